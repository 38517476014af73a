-- Issue 18. Screen-pop (module agent, docs/agent.md): which console user answers on which queue member's phone,
-- set by an ADMIN (audited), and the transfers Asterisk connected to an agent's phone (AMI AgentConnect) that
-- the agent's console opens at once.

-- A queue member as queues.conf / AMI name it (Interface, e.g. PJSIP/agent8001) and the console user at it.
-- One user per phone and one phone per user.
CREATE TABLE agent_phone (
  member_interface VARCHAR(128) NOT NULL PRIMARY KEY,
  username         VARCHAR(64)  NOT NULL,
  set_by           VARCHAR(64)  NOT NULL,
  set_at           DATETIME(3)  NOT NULL,
  UNIQUE KEY uq_agent_phone_user (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A transfer connected to this user's phone. Every gateway node hears the same AgentConnect: (username, transfer)
-- is unique, so the pop is written once. shown_at: when the user's console opened it.
CREATE TABLE screen_pop (
  id               BIGINT AUTO_INCREMENT PRIMARY KEY,
  username         VARCHAR(64)  NOT NULL,
  transfer_id      VARCHAR(64)  NOT NULL,
  member_interface VARCHAR(128) NOT NULL,
  connected_at     DATETIME(3)  NOT NULL,
  shown_at         DATETIME(3)  NULL,
  UNIQUE KEY uq_screen_pop (username, transfer_id),
  KEY ix_screen_pop_user (username, shown_at, connected_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Module outbound: the 停诊 and 候补 calls use purposes SESSION_CANCELLED (17 characters) and WAITLIST_OFFER, which
-- V8_7 reserved in a VARCHAR(16) too short for the first.
ALTER TABLE outbound_call MODIFY purpose VARCHAR(24) NOT NULL;

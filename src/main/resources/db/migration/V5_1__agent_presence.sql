-- When each agent's console last asked for the transfer list: who is at their desk, for the queue estimate.
CREATE TABLE agent_presence (
  username   VARCHAR(64) NOT NULL PRIMARY KEY,
  last_seen  DATETIME(3) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

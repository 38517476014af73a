-- A console session is bound to the credential version its user had at login. Disabling a user or setting
-- its password raises the version, and every request compares the two: a session from before ends at its
-- next request, on whichever gateway node it lives (docs/security.md, "Console and API").
ALTER TABLE console_user ADD COLUMN credential_version INT NOT NULL DEFAULT 0;

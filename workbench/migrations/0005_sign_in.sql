-- Sign-in that holds up: failures in a row and the lock they lead to, when a password was last
-- set, and the e-mail address single sign-on maps to an account.

ALTER TABLE users ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TEXT;
ALTER TABLE users ADD COLUMN password_changed_at TEXT;
ALTER TABLE users ADD COLUMN email TEXT;

CREATE UNIQUE INDEX users_by_email ON users (email COLLATE NOCASE) WHERE email IS NOT NULL;

-- The Activity page filters a case's events by user, action and date; an Account page lists a
-- user's own.
CREATE INDEX audit_events_by_user ON audit_events (username, seq);

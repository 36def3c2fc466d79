-- Issue 24 point 7: failed sign-ins counted per client address, so one client cannot lock every
-- account. A row is written when an attempt starts (so attempts made at the same moment see one
-- another) and removed when it succeeds; what stays are failures. Rows older than the window are
-- pruned as new ones arrive. In the database, not in a process's memory: every app process
-- sharing the file sees the same counts. IF NOT EXISTS: tests re-run the migrations after 0014.
CREATE TABLE IF NOT EXISTS client_sign_in_failures (
    id INTEGER PRIMARY KEY,
    client TEXT NOT NULL,
    at TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS client_sign_in_failures_by_client ON client_sign_in_failures (client, at);

CREATE INDEX IF NOT EXISTS client_sign_in_failures_by_time ON client_sign_in_failures (at);

-- The audit log: one row per event, each chained to the one before by SHA-256.

CREATE TABLE audit_events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT NOT NULL,
    username      TEXT NOT NULL,
    action        TEXT NOT NULL,
    case_ref      TEXT,
    item_code     TEXT,
    details       TEXT NOT NULL DEFAULT '{}',
    justification TEXT NOT NULL DEFAULT '',
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);

CREATE INDEX audit_events_by_case ON audit_events (case_ref, seq);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Retention (issue 8 point 8): closing and reopening a case, when it comes up for review, and what
-- is left of a case once it is deleted.
--
-- case_retention is the history of a case's closings, reopenings and extensions, append-only like
-- case_levels: closing stores the review-by date the configured schedule (schemas/retention.json)
-- gave it and which line of the schedule gave it, so a later change of schedule does not move an
-- old date. cases.status says whether the case is open now; the newest row here says since when.

CREATE TABLE case_retention (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    event       TEXT NOT NULL CHECK (event IN ('close', 'reopen', 'extend')),
    reason      TEXT NOT NULL CHECK (reason <> ''),
    review_by   TEXT CHECK (review_by IS NULL OR review_by GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    rule        TEXT NOT NULL DEFAULT '',  -- the schedule's line that gave review_by ("s47_child_protection: 25 years")
    level       TEXT,                      -- the level of need when it closed (NULL: none recorded)
    anchor      TEXT,
    recorded_by INTEGER REFERENCES users (id),  -- NULL: the operator at the shell
    recorded_at TEXT NOT NULL,
    CHECK ((event = 'reopen') = (review_by IS NULL))
);

CREATE INDEX case_retention_by_case ON case_retention (case_id, id);

-- What is left of a deleted case: its reference, when and by whom, why, how many rows went from
-- each table (JSON) and the evidence files and bytes taken from the store. No title, no content.
CREATE TABLE case_tombstones (
    id            INTEGER PRIMARY KEY,
    reference     TEXT NOT NULL UNIQUE COLLATE NOCASE,
    closed_at     TEXT,
    review_by     TEXT,
    deleted_at    TEXT NOT NULL,
    deleted_by    TEXT NOT NULL CHECK (deleted_by <> ''),  -- the username, as the audit log names them
    reason        TEXT NOT NULL CHECK (reason <> ''),
    counts        TEXT NOT NULL DEFAULT '{}',               -- {"table": rows deleted}
    files_removed INTEGER NOT NULL CHECK (files_removed >= 0),
    bytes_removed INTEGER NOT NULL CHECK (bytes_removed >= 0),
    audit_seq     INTEGER NOT NULL                          -- the case.delete event
);

CREATE TRIGGER case_retention_no_update BEFORE UPDATE ON case_retention
BEGIN SELECT RAISE(ABORT, 'case retention history is append-only'); END;
CREATE TRIGGER case_retention_no_delete BEFORE DELETE ON case_retention
BEGIN SELECT RAISE(ABORT, 'case retention history is append-only'); END;
CREATE TRIGGER case_tombstones_no_update BEFORE UPDATE ON case_tombstones
BEGIN SELECT RAISE(ABORT, 'case tombstones are append-only'); END;
CREATE TRIGGER case_tombstones_no_delete BEFORE DELETE ON case_tombstones
BEGIN SELECT RAISE(ABORT, 'case tombstones are append-only'); END;

-- A deleted case's reference is not given to a new case: the audit log still files the old case's
-- events under it, and a new case's activity would show them.
CREATE TRIGGER cases_reference_not_reused BEFORE INSERT ON cases
WHEN EXISTS (SELECT 1 FROM case_tombstones WHERE reference = NEW.reference)
BEGIN SELECT RAISE(ABORT, 'this reference belonged to a deleted case'); END;

-- Case milestones that users add to the timeline: a referral, a strategy discussion, a case
-- conference, an authorisation, the child seen. Versioned like observations and facts: amending
-- adds a version, retracting adds one marked retracted; nothing is changed in place.

CREATE TABLE milestones (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    code       TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (case_id, code)
);

CREATE TABLE milestone_versions (
    id                   INTEGER PRIMARY KEY,
    milestone_id         INTEGER NOT NULL REFERENCES milestones (id),
    version              INTEGER NOT NULL CHECK (version >= 1),
    kind                 TEXT NOT NULL,
    occurred_at          TEXT,
    occurred_precision   TEXT NOT NULL,
    occurred_approximate INTEGER NOT NULL DEFAULT 0 CHECK (occurred_approximate IN (0, 1)),
    note                 TEXT NOT NULL DEFAULT '',
    retracted            INTEGER NOT NULL DEFAULT 0 CHECK (retracted IN (0, 1)),
    change_reason        TEXT NOT NULL DEFAULT '',
    recorded_by          INTEGER NOT NULL REFERENCES users (id),
    recorded_at          TEXT NOT NULL,
    UNIQUE (milestone_id, version)
);

CREATE TRIGGER milestones_no_update BEFORE UPDATE ON milestones
BEGIN SELECT RAISE(ABORT, 'milestones are append-only'); END;
CREATE TRIGGER milestones_no_delete BEFORE DELETE ON milestones
BEGIN SELECT RAISE(ABORT, 'milestones are append-only'); END;
CREATE TRIGGER milestone_versions_no_update BEFORE UPDATE ON milestone_versions
BEGIN SELECT RAISE(ABORT, 'milestone versions are append-only'); END;
CREATE TRIGGER milestone_versions_no_delete BEFORE DELETE ON milestone_versions
BEGIN SELECT RAISE(ABORT, 'milestone versions are append-only'); END;

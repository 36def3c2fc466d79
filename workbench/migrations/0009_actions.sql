-- Actions taken on what was seen: reported to the platform, police informed, the designated
-- safeguarding lead informed, Report Remove used, a safety plan considered, and others. Each has a
-- status (to do, done, not applicable with a reason), a due date, who did it and when, and the
-- reference the police or the platform gave. Versioned like observations: marking one done adds a
-- version; nothing is changed in place.

CREATE TABLE actions (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    code       TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (case_id, code)
);

CREATE TABLE action_versions (
    id             INTEGER PRIMARY KEY,
    action_id      INTEGER NOT NULL REFERENCES actions (id),
    version        INTEGER NOT NULL CHECK (version >= 1),
    kind           TEXT NOT NULL,
    observation_id INTEGER REFERENCES observations (id),
    note           TEXT NOT NULL DEFAULT '',
    due_date       TEXT,
    status         TEXT NOT NULL CHECK (status IN ('to_do', 'done', 'not_applicable')),
    status_reason  TEXT NOT NULL DEFAULT '',
    done_at        TEXT,
    done_precision TEXT NOT NULL DEFAULT 'unknown',
    done_by        TEXT NOT NULL DEFAULT '',
    reference      TEXT NOT NULL DEFAULT '',
    retracted      INTEGER NOT NULL DEFAULT 0 CHECK (retracted IN (0, 1)),
    change_reason  TEXT NOT NULL DEFAULT '',
    recorded_by    INTEGER NOT NULL REFERENCES users (id),
    recorded_at    TEXT NOT NULL,
    UNIQUE (action_id, version),
    CHECK (status <> 'done' OR done_at IS NOT NULL),
    CHECK (status <> 'not_applicable' OR status_reason <> '')
);

CREATE INDEX action_versions_by_observation ON action_versions (observation_id);

CREATE TRIGGER actions_no_update BEFORE UPDATE ON actions
BEGIN SELECT RAISE(ABORT, 'actions are append-only'); END;
CREATE TRIGGER actions_no_delete BEFORE DELETE ON actions
BEGIN SELECT RAISE(ABORT, 'actions are append-only'); END;
CREATE TRIGGER action_versions_no_update BEFORE UPDATE ON action_versions
BEGIN SELECT RAISE(ABORT, 'action versions are append-only'); END;
CREATE TRIGGER action_versions_no_delete BEFORE DELETE ON action_versions
BEGIN SELECT RAISE(ABORT, 'action versions are append-only'); END;

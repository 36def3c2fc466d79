-- Observations and trusted-source facts. Each has an identity row (its per-case code) and
-- append-only versions: amending adds a version, retracting adds a version marked retracted.

CREATE TABLE observations (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    code       TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (case_id, code)
);

CREATE TABLE observation_versions (
    id                   INTEGER PRIMARY KEY,
    observation_id       INTEGER NOT NULL REFERENCES observations (id),
    version              INTEGER NOT NULL CHECK (version >= 1),
    kind                 TEXT NOT NULL,
    five_c               TEXT NOT NULL,
    indicator            TEXT NOT NULL,
    summary              TEXT NOT NULL,
    details              TEXT NOT NULL DEFAULT '{}',
    url                  TEXT NOT NULL DEFAULT '',
    account_id           INTEGER REFERENCES accounts (id),
    person_id            INTEGER REFERENCES people (id),
    visibility           TEXT NOT NULL,
    occurred_at          TEXT,
    occurred_precision   TEXT NOT NULL,
    occurred_approximate INTEGER NOT NULL DEFAULT 0,
    observed_at          TEXT NOT NULL,
    source_type          TEXT NOT NULL,
    grading_scheme       TEXT NOT NULL,
    source_grade         TEXT NOT NULL,
    information_grade    TEXT NOT NULL,
    handling_code        TEXT NOT NULL,
    immediate_risk       INTEGER NOT NULL DEFAULT 0 CHECK (immediate_risk IN (0, 1)),
    retracted            INTEGER NOT NULL DEFAULT 0 CHECK (retracted IN (0, 1)),
    change_reason        TEXT NOT NULL DEFAULT '',
    recorded_by          INTEGER NOT NULL REFERENCES users (id),
    recorded_at          TEXT NOT NULL,
    UNIQUE (observation_id, version)
);

CREATE INDEX observation_versions_by_observation
    ON observation_versions (observation_id, version DESC);

CREATE TABLE facts (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    code       TEXT NOT NULL,
    person_id  INTEGER NOT NULL REFERENCES people (id),
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (case_id, code)
);

CREATE TABLE fact_versions (
    id               INTEGER PRIMARY KEY,
    fact_id          INTEGER NOT NULL REFERENCES facts (id),
    version          INTEGER NOT NULL CHECK (version >= 1),
    attribute        TEXT NOT NULL,
    value            TEXT NOT NULL,
    source_agency    TEXT NOT NULL,
    source_reference TEXT NOT NULL DEFAULT '',
    valid_from       TEXT,
    valid_to         TEXT,
    retracted        INTEGER NOT NULL DEFAULT 0 CHECK (retracted IN (0, 1)),
    change_reason    TEXT NOT NULL DEFAULT '',
    recorded_by      INTEGER NOT NULL REFERENCES users (id),
    recorded_at      TEXT NOT NULL,
    UNIQUE (fact_id, version)
);

-- History holds: versions are never changed or removed.
CREATE TRIGGER observations_no_update BEFORE UPDATE ON observations
BEGIN SELECT RAISE(ABORT, 'observations are append-only'); END;
CREATE TRIGGER observations_no_delete BEFORE DELETE ON observations
BEGIN SELECT RAISE(ABORT, 'observations are append-only'); END;
CREATE TRIGGER observation_versions_no_update BEFORE UPDATE ON observation_versions
BEGIN SELECT RAISE(ABORT, 'observation versions are append-only'); END;
CREATE TRIGGER observation_versions_no_delete BEFORE DELETE ON observation_versions
BEGIN SELECT RAISE(ABORT, 'observation versions are append-only'); END;
CREATE TRIGGER facts_no_update BEFORE UPDATE ON facts
BEGIN SELECT RAISE(ABORT, 'facts are append-only'); END;
CREATE TRIGGER facts_no_delete BEFORE DELETE ON facts
BEGIN SELECT RAISE(ABORT, 'facts are append-only'); END;
CREATE TRIGGER fact_versions_no_update BEFORE UPDATE ON fact_versions
BEGIN SELECT RAISE(ABORT, 'fact versions are append-only'); END;
CREATE TRIGGER fact_versions_no_delete BEFORE DELETE ON fact_versions
BEGIN SELECT RAISE(ABORT, 'fact versions are append-only'); END;

-- Cross-references: observations held against trusted-source facts.
--
-- An analyst's link (XR-0001) is an identity row plus append-only versions, like observations:
-- withdrawing it adds a version marked withdrawn, with the reason; the link and its history stay.
--
-- What the rules find is derived data: a function of the current observation and fact versions,
-- the case's accounts and the rules' code. It is replaced whenever one of those changes and can
-- always be recomputed, so it is kept as a cache, not as history. Each row names the versions it
-- was computed from.

CREATE TABLE crossrefs (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL REFERENCES cases (id),
    code           TEXT NOT NULL,
    observation_id INTEGER NOT NULL REFERENCES observations (id),
    fact_id        INTEGER NOT NULL REFERENCES facts (id),
    created_by     INTEGER NOT NULL REFERENCES users (id),
    created_at     TEXT NOT NULL,
    UNIQUE (case_id, code)
);

CREATE TABLE crossref_versions (
    id            INTEGER PRIMARY KEY,
    crossref_id   INTEGER NOT NULL REFERENCES crossrefs (id),
    version       INTEGER NOT NULL CHECK (version >= 1),
    relation      TEXT NOT NULL CHECK (relation IN ('corroborates', 'contradicts', 'context')),
    rationale     TEXT NOT NULL,
    withdrawn     INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1)),
    change_reason TEXT NOT NULL DEFAULT '',
    recorded_by   INTEGER NOT NULL REFERENCES users (id),
    recorded_at   TEXT NOT NULL,
    UNIQUE (crossref_id, version)
);

CREATE TRIGGER crossrefs_no_update BEFORE UPDATE ON crossrefs
BEGIN SELECT RAISE(ABORT, 'cross-references are append-only'); END;
CREATE TRIGGER crossrefs_no_delete BEFORE DELETE ON crossrefs
BEGIN SELECT RAISE(ABORT, 'cross-references are append-only'); END;
CREATE TRIGGER crossref_versions_no_update BEFORE UPDATE ON crossref_versions
BEGIN SELECT RAISE(ABORT, 'cross-reference versions are append-only'); END;
CREATE TRIGGER crossref_versions_no_delete BEFORE DELETE ON crossref_versions
BEGIN SELECT RAISE(ABORT, 'cross-reference versions are append-only'); END;

CREATE TABLE rule_findings (
    id                  INTEGER PRIMARY KEY,
    case_id             INTEGER NOT NULL REFERENCES cases (id),
    observation_id      INTEGER NOT NULL REFERENCES observations (id),
    observation_version INTEGER NOT NULL,
    fact_id             INTEGER REFERENCES facts (id),
    fact_version        INTEGER,
    account_id          INTEGER REFERENCES accounts (id),
    person_id           INTEGER REFERENCES people (id),
    rule                TEXT NOT NULL,
    relation            TEXT NOT NULL,
    labels              TEXT NOT NULL DEFAULT '[]',
    claim_field         TEXT NOT NULL,
    claim_value         TEXT NOT NULL,
    detail              TEXT NOT NULL,
    score               REAL,
    threshold           REAL,
    computed_at         TEXT NOT NULL,
    CHECK ((fact_id IS NULL) <> (account_id IS NULL))
);
CREATE INDEX rule_findings_by_observation ON rule_findings (case_id, observation_id);

-- Which version of the rules a case's findings came from: older ones are recomputed on first read.
CREATE TABLE rule_state (
    case_id       INTEGER PRIMARY KEY REFERENCES cases (id),
    rules_version INTEGER NOT NULL,
    computed_at   TEXT NOT NULL
);

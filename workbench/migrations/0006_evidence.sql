-- Evidence captures: one row per item received, never changed. The bytes live in the content-
-- addressed store under WORKBENCH_HOME/evidence; this row says what they are, where they came from,
-- who received them and why they matter. A purge and each integrity check are rows of their own.

CREATE TABLE evidence (
    id                 INTEGER PRIMARY KEY,
    case_id            INTEGER NOT NULL REFERENCES cases (id),
    code               TEXT NOT NULL,
    observation_id     INTEGER REFERENCES observations (id),
    sha256             TEXT NOT NULL CHECK (length(sha256) = 64),
    size               INTEGER NOT NULL CHECK (size > 0),
    category           TEXT NOT NULL CHECK (category IN ('image', 'page')),
    media_type         TEXT NOT NULL,
    extension          TEXT NOT NULL,
    file_name          TEXT NOT NULL,
    duplicate_of       INTEGER REFERENCES evidence (id),
    source_url         TEXT NOT NULL DEFAULT '',
    platform           TEXT NOT NULL DEFAULT '',
    shows              TEXT NOT NULL DEFAULT '',
    relevance          TEXT NOT NULL DEFAULT '',
    method             TEXT NOT NULL,
    viewing_account    TEXT NOT NULL DEFAULT '',
    captured_at        TEXT,
    received_at        TEXT NOT NULL,
    received_by        INTEGER NOT NULL REFERENCES users (id),
    width              INTEGER,
    height             INTEGER,
    metadata           TEXT NOT NULL DEFAULT '{}',
    has_gps            INTEGER NOT NULL DEFAULT 0 CHECK (has_gps IN (0, 1)),
    warnings           TEXT NOT NULL DEFAULT '[]',
    -- The uploader confirmed the file holds no nude or semi-nude image of a child.
    confirmed_no_indecent_image INTEGER NOT NULL CHECK (confirmed_no_indecent_image = 1),
    UNIQUE (case_id, code)
);

CREATE INDEX evidence_by_case_sha256 ON evidence (case_id, sha256);
CREATE INDEX evidence_by_observation ON evidence (observation_id);

-- A purge deletes the bytes and every derived copy; the record, its SHA-256 and this reason stay.
CREATE TABLE evidence_purges (
    evidence_id INTEGER PRIMARY KEY REFERENCES evidence (id),
    reason      TEXT NOT NULL,
    purged_by   INTEGER REFERENCES users (id),
    purged_at   TEXT NOT NULL
);

-- Each time an item's stored bytes are re-hashed: intact, missing or altered.
CREATE TABLE evidence_checks (
    id          INTEGER PRIMARY KEY,
    evidence_id INTEGER NOT NULL REFERENCES evidence (id),
    checked_at  TEXT NOT NULL,
    result      TEXT NOT NULL CHECK (result IN ('intact', 'missing', 'altered'))
);

CREATE INDEX evidence_checks_by_item ON evidence_checks (evidence_id, checked_at DESC);

CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence
BEGIN SELECT RAISE(ABORT, 'evidence records are append-only'); END;
CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence
BEGIN SELECT RAISE(ABORT, 'evidence records are append-only'); END;
CREATE TRIGGER evidence_purges_no_update BEFORE UPDATE ON evidence_purges
BEGIN SELECT RAISE(ABORT, 'evidence purges are append-only'); END;
CREATE TRIGGER evidence_purges_no_delete BEFORE DELETE ON evidence_purges
BEGIN SELECT RAISE(ABORT, 'evidence purges are append-only'); END;
CREATE TRIGGER evidence_checks_no_update BEFORE UPDATE ON evidence_checks
BEGIN SELECT RAISE(ABORT, 'evidence checks are append-only'); END;
CREATE TRIGGER evidence_checks_no_delete BEFORE DELETE ON evidence_checks
BEGIN SELECT RAISE(ABORT, 'evidence checks are append-only'); END;

-- Research authorisations: the written basis for looking at a child's (or anyone's) public
-- footprint in this case. Each holds its purpose, lawful basis, who authorised it and when, when it
-- must be reviewed, and its scope: the platforms and accounts it covers (both empty: everything in
-- the case). Versioned like observations: a review adds a version with the new review date.
--
-- An observation whose platform or account no authorisation covered on the day it was seen is
-- "recorded without authorisation". That is worked out when read, so an authorisation added later
-- (dated back to when it was given) clears the flag; the recorder's reason is kept on the version.

CREATE TABLE authorisations (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    code       TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (case_id, code)
);

CREATE TABLE authorisation_versions (
    id               INTEGER PRIMARY KEY,
    authorisation_id INTEGER NOT NULL REFERENCES authorisations (id),
    version          INTEGER NOT NULL CHECK (version >= 1),
    purpose          TEXT NOT NULL CHECK (purpose <> ''),
    lawful_basis     TEXT NOT NULL CHECK (lawful_basis <> ''),
    authorised_by    TEXT NOT NULL CHECK (authorised_by <> ''),
    authorised_on    TEXT NOT NULL,
    review_date      TEXT NOT NULL CHECK (review_date >= authorised_on),
    ends_on          TEXT CHECK (ends_on IS NULL OR ends_on >= authorised_on),
    platforms        TEXT NOT NULL DEFAULT '[]',  -- JSON list of platform values; [] with [] accounts: all
    accounts         TEXT NOT NULL DEFAULT '[]',  -- JSON list of account codes (A-0001)
    reference        TEXT NOT NULL DEFAULT '',    -- the authorising body's own number, if any
    retracted        INTEGER NOT NULL DEFAULT 0 CHECK (retracted IN (0, 1)),
    change_reason    TEXT NOT NULL DEFAULT '',
    recorded_by      INTEGER NOT NULL REFERENCES users (id),
    recorded_at      TEXT NOT NULL,
    UNIQUE (authorisation_id, version)
);

-- Why an observation was recorded when no authorisation covered it (empty when one did).
ALTER TABLE observation_versions ADD COLUMN unauthorised_reason TEXT NOT NULL DEFAULT '';
-- The authorisation reference given when recording it took an account past the repeated-viewing
-- limit (issue 8 point 2; empty when it did not).
ALTER TABLE observation_versions ADD COLUMN repeat_viewing_reference TEXT NOT NULL DEFAULT '';

CREATE TRIGGER authorisations_no_update BEFORE UPDATE ON authorisations
BEGIN SELECT RAISE(ABORT, 'authorisations are append-only'); END;
CREATE TRIGGER authorisations_no_delete BEFORE DELETE ON authorisations
BEGIN SELECT RAISE(ABORT, 'authorisations are append-only'); END;
CREATE TRIGGER authorisation_versions_no_update BEFORE UPDATE ON authorisation_versions
BEGIN SELECT RAISE(ABORT, 'authorisation versions are append-only'); END;
CREATE TRIGGER authorisation_versions_no_delete BEFORE DELETE ON authorisation_versions
BEGIN SELECT RAISE(ABORT, 'authorisation versions are append-only'); END;

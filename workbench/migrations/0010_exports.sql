-- Evidence bundles that left the workbench: each a sharing decision, kept for good. Who, when,
-- why and to whom, what was asked for (dates, redactions, files, conditional records), and the
-- SHA-256 of the ZIP so that a copy handed on can be matched to this row.

CREATE TABLE exports (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL REFERENCES cases (id),
    code           TEXT NOT NULL,
    exported_by    INTEGER NOT NULL REFERENCES users (id),
    exported_at    TEXT NOT NULL,
    purpose        TEXT NOT NULL CHECK (purpose <> ''),
    recipient      TEXT NOT NULL CHECK (recipient <> ''),
    options        TEXT NOT NULL DEFAULT '{}',
    conditions_met TEXT NOT NULL DEFAULT '',
    file_name      TEXT NOT NULL,
    sha256         TEXT NOT NULL CHECK (length(sha256) = 64),
    size           INTEGER NOT NULL,
    files          INTEGER NOT NULL,
    UNIQUE (case_id, code)
);

CREATE TRIGGER exports_no_update BEFORE UPDATE ON exports
BEGIN SELECT RAISE(ABORT, 'exports are append-only'); END;
CREATE TRIGGER exports_no_delete BEFORE DELETE ON exports
BEGIN SELECT RAISE(ABORT, 'exports are append-only'); END;

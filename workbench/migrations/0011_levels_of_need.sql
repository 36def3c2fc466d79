-- A case's level of need, with its history: each decision a row, the newest the current level.
-- The label is the partnership's own (schemas/vocabularies.json "levels_of_need"); the statutory
-- anchor it maps to (universal, early help, s.17 child in need, s.47 child protection) is kept
-- beside it, so a later change of labels does not change what an old decision meant.

CREATE TABLE case_levels (
    id      INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    level   TEXT NOT NULL,
    label   TEXT NOT NULL,
    anchor  TEXT NOT NULL CHECK (anchor IN ('universal', 'early_help', 's17_child_in_need', 's47_child_protection')),
    reason  TEXT NOT NULL CHECK (reason <> ''),
    set_by  INTEGER NOT NULL REFERENCES users (id),
    set_at  TEXT NOT NULL
);

CREATE INDEX case_levels_by_case ON case_levels (case_id, id);

CREATE TRIGGER case_levels_no_update BEFORE UPDATE ON case_levels
BEGIN SELECT RAISE(ABORT, 'levels of need are append-only'); END;
CREATE TRIGGER case_levels_no_delete BEFORE DELETE ON case_levels
BEGIN SELECT RAISE(ABORT, 'levels of need are append-only'); END;

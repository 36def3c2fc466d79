-- Case references are the workbench's to give (issue 24, point 4): a reference chosen by a user
-- told them, by being refused, that another case (another team's, or a deleted one) held it.
--
-- The partnership's own case-management number is a field of its own: optional, not unique,
-- shown beside the reference to the case's members.
ALTER TABLE cases ADD COLUMN external_ref TEXT NOT NULL DEFAULT '';

-- The last number given in each year (C-2026-0007 is the 7th of 2026 in London). Only ever goes
-- up and is never deleted (it holds no case_id, so deleting a case leaves it), so a number once
-- given, even to a case since deleted, is not given again.
CREATE TABLE case_reference_numbers (
    year INTEGER PRIMARY KEY CHECK (year BETWEEN 1000 AND 9999),
    last INTEGER NOT NULL CHECK (last >= 1)
);

CREATE TRIGGER case_reference_numbers_only_rise BEFORE UPDATE ON case_reference_numbers
WHEN NEW.year <> OLD.year OR NEW.last <= OLD.last
BEGIN SELECT RAISE(ABORT, 'case reference numbers only go up'); END;
CREATE TRIGGER case_reference_numbers_no_delete BEFORE DELETE ON case_reference_numbers
BEGIN SELECT RAISE(ABORT, 'case reference numbers are never taken back'); END;

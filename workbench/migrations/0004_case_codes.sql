-- Per-case counters for the short codes (OBS-0007, F-0002, P-0003, AC-0001), so that giving out
-- the next code costs one row, not a scan of every code in the case. Seeded from existing codes.

CREATE TABLE case_codes (
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    prefix      TEXT NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (case_id, prefix)
);

INSERT INTO case_codes (case_id, prefix, last_number)
SELECT case_id, 'OBS', MAX(CAST(substr(code, 5) AS INTEGER)) FROM observations GROUP BY case_id;
INSERT INTO case_codes (case_id, prefix, last_number)
SELECT case_id, 'F', MAX(CAST(substr(code, 3) AS INTEGER)) FROM facts GROUP BY case_id;
INSERT INTO case_codes (case_id, prefix, last_number)
SELECT case_id, 'P', MAX(CAST(substr(code, 3) AS INTEGER)) FROM people GROUP BY case_id;
INSERT INTO case_codes (case_id, prefix, last_number)
SELECT case_id, 'AC', MAX(CAST(substr(code, 4) AS INTEGER)) FROM accounts GROUP BY case_id;

-- observation_versions_by_observation (observation_id, version DESC) repeated the index SQLite
-- keeps for the table's UNIQUE (observation_id, version): SQLite reads an index in either
-- direction, so every query that used it now uses that one in the same way (the same plans), and
-- each version written updates one index fewer. An import writes a version a row.
DROP INDEX IF EXISTS observation_versions_by_observation;

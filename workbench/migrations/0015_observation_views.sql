-- Each observation as a view of its account (issue 8 point 2; viewing.py says why a view counts),
-- kept by triggers so that counting one account's views in a period reads an index instead of
-- every observation of the case: recording one observation asks it once, and an import once a row.
--
-- A view of an account is when it was first seen (version 1's observed_at) and of the account its
-- current version names (an amendment corrects which account it was); a retracted observation,
-- or one about no account, is a view of none (account_id NULL). Versions are only ever added, each
-- numbered after the last, so the version being inserted is the current one. Derived data: the
-- triggers are its only writers, and it is never exported.

CREATE TABLE observation_views (
    observation_id INTEGER PRIMARY KEY REFERENCES observations (id),
    case_id        INTEGER NOT NULL REFERENCES cases (id),
    account_id     INTEGER REFERENCES accounts (id),
    viewed_at      TEXT NOT NULL
);

CREATE INDEX observation_views_by_account ON observation_views (case_id, account_id, viewed_at);

CREATE TRIGGER observation_views_first AFTER INSERT ON observation_versions WHEN NEW.version = 1
BEGIN
    INSERT INTO observation_views (observation_id, case_id, account_id, viewed_at)
    VALUES (
        NEW.observation_id,
        (SELECT case_id FROM observations WHERE id = NEW.observation_id),
        CASE WHEN NEW.retracted THEN NULL ELSE NEW.account_id END,
        NEW.observed_at
    );
END;

CREATE TRIGGER observation_views_later AFTER INSERT ON observation_versions WHEN NEW.version > 1
BEGIN
    UPDATE observation_views SET account_id = CASE WHEN NEW.retracted THEN NULL ELSE NEW.account_id END
    WHERE observation_id = NEW.observation_id;
END;

INSERT INTO observation_views (observation_id, case_id, account_id, viewed_at)
SELECT o.id, o.case_id, CASE WHEN cur.retracted THEN NULL ELSE cur.account_id END, v1.observed_at
FROM observations o
JOIN observation_versions v1 ON v1.observation_id = o.id AND v1.version = 1
JOIN observation_versions cur ON cur.observation_id = o.id
 AND cur.version = (SELECT MAX(version) FROM observation_versions WHERE observation_id = o.id);

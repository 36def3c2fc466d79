-- The viewing log (issue 8 point 2): each time an analyst looked at a platform account without
-- recording anything, a row. Recording an observation of an account counts as a view of it too;
-- that is read from observation_versions, not copied here. Past the configured number of views
-- of one account in a period (WORKBENCH_VIEW_LIMIT in WORKBENCH_VIEW_PERIOD_DAYS), repeated
-- viewing may amount to directed surveillance (RIPA 2000 Part II), and the authorisation's
-- reference is kept with the view that passed the limit ('' when none was needed).

CREATE TABLE account_views (
    id                      INTEGER PRIMARY KEY,
    case_id                 INTEGER NOT NULL REFERENCES cases (id),
    code                    TEXT NOT NULL,                        -- VW-0001, per case
    account_id              INTEGER NOT NULL REFERENCES accounts (id),
    viewed_at               TEXT NOT NULL CHECK (
        viewed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'
    ),                                                            -- when it was looked at (UTC)
    viewed_by               INTEGER NOT NULL REFERENCES users (id),
    note                    TEXT NOT NULL DEFAULT '',             -- why it was looked at, what was seen
    authorisation_reference TEXT NOT NULL DEFAULT '',
    recorded_at             TEXT NOT NULL,
    UNIQUE (case_id, code)
);

CREATE INDEX account_views_by_account ON account_views (case_id, account_id, viewed_at);

-- A view is of an account in its own case, and not in the future (the same five minutes' grace
-- for the viewer's clock as observed_at has).
CREATE TRIGGER account_views_check_insert BEFORE INSERT ON account_views
WHEN (SELECT case_id FROM accounts WHERE id = NEW.account_id) IS NOT NEW.case_id
  OR NEW.viewed_at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+5 minutes')
BEGIN SELECT RAISE(ABORT, 'a view is of an account in its own case and not in the future'); END;

CREATE TRIGGER account_views_no_update BEFORE UPDATE ON account_views
BEGIN SELECT RAISE(ABORT, 'the viewing log is append-only'); END;
CREATE TRIGGER account_views_no_delete BEFORE DELETE ON account_views
BEGIN SELECT RAISE(ABORT, 'the viewing log is append-only'); END;

-- A sign-in is a record, not only a value in one browser tab's memory: it is bound to a secret the
-- browser holds (an HttpOnly cookie, kept here only as its SHA-256), it ends when the user signs
-- out, idles or is deactivated, and any app process can check it.
CREATE TABLE sign_ins (
    id TEXT PRIMARY KEY,                 -- random; the browser session holds it
    user_id INTEGER NOT NULL REFERENCES users (id),
    method TEXT NOT NULL,                -- password, sso
    browser_key_sha256 TEXT,             -- NULL only where no browser was involved (in-process tests)
    started_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ended_at TEXT,
    ended_reason TEXT
);
CREATE INDEX sign_ins_by_user ON sign_ins (user_id, ended_at);

-- What a browser may fetch beside the app: one file, for one sign-in, for a short while. The token
-- itself is never stored, only its SHA-256, so the database cannot hand out working links.
CREATE TABLE file_grants (
    token_sha256 TEXT PRIMARY KEY,
    sign_in_id TEXT NOT NULL REFERENCES sign_ins (id),
    kind TEXT NOT NULL,                  -- what to produce (downloads.KINDS)
    case_ref TEXT NOT NULL,
    params TEXT NOT NULL,                -- JSON: which item, which filters
    file_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    single_use INTEGER NOT NULL,
    used_at TEXT
);
CREATE INDEX file_grants_by_expiry ON file_grants (expires_at);

-- Users, cases and who belongs to them; people and platform accounts in a case.

CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name         TEXT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'reviewer')),
    password_hash        TEXT NOT NULL,
    active               INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
    created_at           TEXT NOT NULL
);

CREATE TABLE cases (
    id                INTEGER PRIMARY KEY,
    reference         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    title             TEXT NOT NULL,
    subject_pseudonym TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    lead_user_id      INTEGER NOT NULL REFERENCES users (id),
    created_by        INTEGER REFERENCES users (id),  -- NULL: the system operator (CLI)
    created_at        TEXT NOT NULL
);

CREATE TABLE case_members (
    case_id  INTEGER NOT NULL REFERENCES cases (id),
    user_id  INTEGER NOT NULL REFERENCES users (id),
    role     TEXT NOT NULL CHECK (role IN ('analyst', 'reviewer', 'lead')),
    added_by INTEGER REFERENCES users (id),
    added_at TEXT NOT NULL,
    PRIMARY KEY (case_id, user_id)
);

CREATE TABLE people (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    pseudonym  TEXT NOT NULL,
    role       TEXT NOT NULL,
    notes      TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (case_id, code)
);

CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    code       TEXT NOT NULL,
    person_id  INTEGER REFERENCES people (id),
    platform   TEXT NOT NULL,
    handle     TEXT NOT NULL,
    url        TEXT NOT NULL DEFAULT '',
    notes      TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (case_id, code),
    UNIQUE (case_id, platform COLLATE NOCASE, handle COLLATE NOCASE)
);

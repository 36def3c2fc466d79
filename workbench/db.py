"""The SQLite file: connecting, migrating, and the one way to write (a transaction).

A connection belongs to the thread that opened it (Streamlit runs each rerun in a script thread),
so callers open one per run; it is cheap. Writers take BEGIN IMMEDIATE with a busy timeout, so
concurrent users queue rather than fail.
"""

from __future__ import annotations

import contextlib
import functools
import re
import shutil
import sqlite3
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import sqlite_utils

from workbench import private
from workbench.errors import ConfigurationError

BUSY_TIMEOUT_MS = 30_000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def connect(path: Path | str) -> sqlite_utils.Database:
    """Open the database file (creating it and its folder for the owner only), in WAL mode with
    foreign keys enforced. SQLite gives the -wal and -shm files the database file's mode."""
    path = Path(path)
    private.make_folder(path.parent)
    private.ensure_file(path)  # 0600 before SQLite opens it: SQLite would make it 0644
    # isolation_level=None: no implicit transactions; transaction() below is the only one.
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return sqlite_utils.Database(conn)


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """All or nothing. A nested call joins the outer transaction: the outermost block commits or
    rolls back everything (sqlite-utils' own helpers nest inside it as savepoints)."""
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


@contextlib.contextmanager
def snapshot(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One read transaction: every read inside sees the same moment, while writers go on (WAL).
    Nothing is written: it ends with a rollback. Inside a transaction already, it joins it."""
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    conn.execute("BEGIN")
    try:
        yield db
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


def query_one(db: sqlite_utils.Database, sql: str, params: tuple | dict = ()) -> dict | None:
    return next(iter(db.query(sql, params)), None)


# --- migrations -------------------------------------------------------------------------------


@functools.cache
def migrations() -> tuple[tuple[int, str, str], ...]:
    """(number, name, sql) for every file in workbench/migrations, in order (read once)."""
    found = []
    for entry in resources.files("workbench.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..N without gaps, found {numbers}")
    return tuple(found)


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def latest_version() -> int:
    return len(migrations())


def migrate(db: sqlite_utils.Database, target: int | None = None) -> list[str]:
    """Apply the migrations the file has not had yet, each in its own transaction.

    The version lives in PRAGMA user_version, so a database made by an older version of the
    workbench upgrades in place. Returns the names of the migrations applied."""
    applied = []
    current = schema_version(db)
    if current > latest_version():
        raise ConfigurationError(
            f"the database is at schema version {current}, newer than this workbench "
            f"({latest_version()}); upgrade the workbench before opening it"
        )
    for number, name, sql in migrations():
        if number <= current or (target is not None and number > target):
            continue
        with transaction(db):
            # Another process may have applied it while we waited for the write lock.
            if schema_version(db) >= number:
                continue
            for statement in _statements(sql):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
        applied.append(name)
    return applied


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        if not buffer and line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        raise RuntimeError(f"incomplete statement at the end of a migration: {buffer[:60]!r}")


_ROOM_TO_OPEN = 1 << 20  # bytes free below which a failure to open is put down to a full disk


def open_home(settings) -> sqlite_utils.Database:
    """Connect to the workbench under settings.home and bring its schema up to date. The home is the
    service account's alone: the first open in a process sets every mode under it (an upgrade from
    a workbench that left the database readable by all)."""
    private.make_folder(settings.evidence_dir)
    private.repair_once(settings.home)
    try:
        db = connect(settings.database_path)
        migrate(db)
    except sqlite3.OperationalError as e:
        # Opening needs room for the -wal and -shm files; on a full disk SQLite says only
        # "disk I/O error" or "database or disk is full". Say what the administrator can act on.
        if shutil.disk_usage(settings.home).free < _ROOM_TO_OPEN:
            raise ConfigurationError(
                "the server's disk is full: the database cannot be opened. Free some space, then try again."
            ) from e
        raise
    return db


def next_code(db: sqlite_utils.Database, case_id: int, prefix: str) -> str:
    """The next short per-case code people say at conferences: OBS-0007, F-0002, P-0003.
    Call inside the writing transaction: the counter moves with the row that takes the code."""
    return next_codes(db, case_id, prefix, 1)[0]


def next_codes(db: sqlite_utils.Database, case_id: int, prefix: str, count: int) -> list[str]:
    """The next `count` codes, in order, with one move of the counter (an import's rows)."""
    last = db.execute(
        """INSERT INTO case_codes (case_id, prefix, last_number) VALUES (?, ?, ?)
           ON CONFLICT (case_id, prefix) DO UPDATE SET last_number = last_number + excluded.last_number
           RETURNING last_number""",
        (case_id, prefix, count),
    ).fetchone()[0]
    return [f"{prefix}-{number:04d}" for number in range(last - count + 1, last + 1)]

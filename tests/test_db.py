"""The SQLite file: connection settings, migrations, append-only triggers, transactions, codes."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import authorised_case
from workbench import access, facts, observations
from workbench.db import (
    BUSY_TIMEOUT_MS,
    connect,
    latest_version,
    migrate,
    migrations,
    next_code,
    open_home,
    schema_version,
    transaction,
)
from workbench.errors import ConfigurationError

APPEND_ONLY = ("observations", "observation_versions", "facts", "fact_versions", "audit_events")


def _tables(db) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _triggers(db) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}


# --- connecting ----------------------------------------------------------------------------------


def test_connection_uses_write_ahead_logging(empty_db):
    assert empty_db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_connection_enforces_foreign_keys(empty_db):
    assert empty_db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        empty_db.execute(
            "INSERT INTO case_members (case_id, user_id, role, added_at) VALUES (999, 999, 'analyst', 'now')"
        )


def test_connection_sets_a_busy_timeout(empty_db):
    assert BUSY_TIMEOUT_MS > 0
    assert empty_db.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS


def test_connect_creates_the_missing_folder(tmp_path):
    path = tmp_path / "a" / "b" / "workbench.db"
    database = connect(path)
    database.conn.close()
    assert path.exists()


# --- migrations ----------------------------------------------------------------------------------


def test_migrations_are_numbered_from_one_without_gaps():
    found = migrations()
    assert [number for number, _, _ in found] == list(range(1, len(found) + 1))
    assert all(name.startswith(f"{number:04d}_") for number, name, _ in found)
    assert latest_version() == len(found)


def test_fresh_database_is_at_the_latest_schema_version(empty_db):
    assert empty_db.execute("PRAGMA user_version").fetchone()[0] == latest_version()
    assert schema_version(empty_db) == latest_version()


def test_migrate_applies_every_migration_once_in_order(tmp_path):
    database = connect(tmp_path / "workbench.db")
    applied = migrate(database)
    assert applied == [name for _, name, _ in migrations()]
    assert schema_version(database) == latest_version()
    database.conn.close()


def test_migrate_is_idempotent(empty_db):
    tables, triggers = _tables(empty_db), _triggers(empty_db)
    assert migrate(empty_db) == []
    assert schema_version(empty_db) == latest_version()
    assert _tables(empty_db) == tables
    assert _triggers(empty_db) == triggers


def test_no_two_indexes_of_a_table_hold_the_same_columns(empty_db):
    """Writing a row updates every index of its table: a second index on the same columns (in
    either direction, which SQLite reads alike) costs every write and serves no query."""
    keys: dict[tuple[str, tuple[str, ...]], str] = {}
    for table in _tables(empty_db):
        for index in empty_db.execute(f"PRAGMA index_list('{table}')").fetchall():
            name = index[1]
            columns = tuple(r[2] for r in empty_db.execute(f"PRAGMA index_xinfo('{name}')").fetchall() if r[5])
            assert (table, columns) not in keys, f"{name} holds the columns of {keys[(table, columns)]}"
            keys[(table, columns)] = name


def test_migrate_to_a_target_stops_there(tmp_path):
    database = connect(tmp_path / "workbench.db")
    applied = migrate(database, target=1)
    assert applied == [migrations()[0][1]]
    assert schema_version(database) == 1
    assert "users" in _tables(database)
    assert "observations" not in _tables(database)
    database.conn.close()


def test_old_database_upgrades_in_place_keeping_its_rows(tmp_path):
    path = tmp_path / "workbench.db"
    database = connect(path)
    migrate(database, target=1)
    database.execute(
        "INSERT INTO users (username, display_name, role, password_hash, created_at)"
        " VALUES ('olduser', 'Old User', 'analyst', 'x', '2024-01-01T00:00:00Z')"
    )
    database.execute(
        "INSERT INTO cases (reference, title, subject_pseudonym, lead_user_id, created_at)"
        " VALUES ('OLD-1', 'Old case', 'Child A', 1, '2024-01-01T00:00:00Z')"
    )
    database.conn.close()

    reopened = connect(path)
    applied = migrate(reopened)
    assert applied == [name for number, name, _ in migrations() if number > 1]
    assert schema_version(reopened) == latest_version()
    assert [r["username"] for r in reopened.query("SELECT username FROM users")] == ["olduser"]
    assert [r["reference"] for r in reopened.query("SELECT reference FROM cases")] == ["OLD-1"]
    assert {"observations", "facts", "audit_events"} <= _tables(reopened)
    reopened.conn.close()


def test_database_newer_than_the_code_is_refused(settings, empty_db):
    empty_db.execute(f"PRAGMA user_version = {latest_version() + 1}")
    with pytest.raises(ConfigurationError, match="newer than this workbench"):
        migrate(empty_db)
    with pytest.raises(ConfigurationError, match=f"schema version {latest_version() + 1}"):
        open_home(settings)
    assert schema_version(empty_db) == latest_version() + 1


def test_every_append_only_table_has_update_and_delete_triggers(empty_db):
    triggers = _triggers(empty_db)
    for table in APPEND_ONLY:
        assert f"{table}_no_update" in triggers
        assert f"{table}_no_delete" in triggers


# --- append-only history -------------------------------------------------------------------------


@pytest.fixture
def history(db, analyst, observation_input):
    """One observation, one fact and their audit events."""
    observations.record(db, analyst, "CASE-1", observation_input())
    fact = {"person": "P-0001", "attribute": "school", "value": "Northfield", "source_agency": "school"}
    facts.add_fact(db, analyst, "CASE-1", fact)
    return db


_UPDATES = {
    "observations": "UPDATE observations SET code = 'OBS-9999'",
    "observation_versions": "UPDATE observation_versions SET summary = 'rewritten'",
    "facts": "UPDATE facts SET code = 'F-9999'",
    "fact_versions": "UPDATE fact_versions SET value = 'rewritten'",
    "audit_events": "UPDATE audit_events SET action = 'rewritten'",
}


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_triggers_refuse_update(history, table):
    before = list(history.query(f"SELECT * FROM [{table}] ORDER BY rowid"))  # noqa: S608
    assert before, f"the fixture should have put rows in {table}"
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        history.execute(_UPDATES[table])
    assert list(history.query(f"SELECT * FROM [{table}] ORDER BY rowid")) == before  # noqa: S608


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_triggers_refuse_delete(history, table):
    before = history.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0]  # noqa: S608
    assert before > 0
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        history.execute(f"DELETE FROM [{table}]")  # noqa: S608
    assert history.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0] == before  # noqa: S608


# --- transactions --------------------------------------------------------------------------------


def _insert_user(db, name: str) -> None:
    db.execute(
        "INSERT INTO users (username, display_name, role, password_hash, created_at)"
        " VALUES (?, ?, 'analyst', 'x', '2026-01-01T00:00:00Z')",
        (name, name),
    )


def _usernames(db) -> list[str]:
    return [r["username"] for r in db.query("SELECT username FROM users ORDER BY username")]


def test_transaction_commits_on_success(settings, empty_db):
    with transaction(empty_db):
        _insert_user(empty_db, "first")
        _insert_user(empty_db, "second")
    other = connect(settings.database_path)
    assert _usernames(other) == ["first", "second"]
    other.conn.close()


def test_transaction_rolls_back_everything_on_an_exception(settings, empty_db):
    with pytest.raises(RuntimeError, match="boom"), transaction(empty_db):
        _insert_user(empty_db, "first")
        _insert_user(empty_db, "second")
        raise RuntimeError("boom")
    assert not empty_db.conn.in_transaction
    assert _usernames(empty_db) == []
    other = connect(settings.database_path)
    assert _usernames(other) == []
    other.conn.close()


def test_nested_transaction_joins_the_outer_one(empty_db):
    with pytest.raises(RuntimeError), transaction(empty_db):
        _insert_user(empty_db, "outer")
        with transaction(empty_db):
            _insert_user(empty_db, "inner")
        assert _usernames(empty_db) == ["inner", "outer"]
        raise RuntimeError("the outer transaction fails after the inner one finished")
    assert _usernames(empty_db) == []


def test_transaction_rolls_back_a_domain_write_and_its_audit_event(db, analyst, observation_input, counts):
    before = counts()
    with pytest.raises(RuntimeError), transaction(db):
        observations.record(db, analyst, "CASE-1", observation_input())
        assert counts()["observations"] == before["observations"] + 1
        raise RuntimeError("abandon")
    assert counts() == before


# --- per-case codes ------------------------------------------------------------------------------


def test_next_code_numbers_each_case_independently(db, analyst, observation_input):
    other = authorised_case(db, "CASE-2", "Second case")
    first = access.authorize(db, analyst, access.Right.VIEW, "CASE-1")
    codes_1 = [observations.record(db, analyst, "CASE-1", observation_input()).code for _ in range(2)]
    codes_2 = [observations.record(db, analyst, "CASE-2", observation_input()).code for _ in range(1)]
    assert codes_1 == ["OBS-0001", "OBS-0002"]
    assert codes_2 == ["OBS-0001"]
    with transaction(db):
        assert next_code(db, first.case_id, "OBS") == "OBS-0003"
        assert next_code(db, other.case_id, "OBS") == "OBS-0002"


def test_next_code_counts_numerically_past_four_digits(db, case):
    db.execute("INSERT INTO case_codes (case_id, prefix, last_number) VALUES (?, 'OBS', 9999)", (case.case_id,))
    with transaction(db):
        assert next_code(db, case.case_id, "OBS") == "OBS-10000"


def test_next_code_works_for_every_prefix_length(db, case):
    with transaction(db):
        # The subject is P-0001 in every new case.
        assert next_code(db, case.case_id, "P") == "P-0002"
        assert next_code(db, case.case_id, "AC") == "AC-0001"
        assert next_code(db, case.case_id, "F") == "F-0001"


def test_upgrading_a_version_3_database_carries_on_its_codes(tmp_path):
    """A database made before the code counters existed keeps numbering where it left off."""
    old = connect(tmp_path / "old.db")
    migrate(old, target=3)
    old.execute(
        "INSERT INTO users (id, username, display_name, role, password_hash, created_at)"
        " VALUES (1, 'ana', 'Ana', 'analyst', 'x', '2026-01-01T00:00:00Z')"
    )
    old.execute(
        "INSERT INTO cases (id, reference, title, subject_pseudonym, lead_user_id, created_at)"
        " VALUES (1, 'OLD-1', 'Old case', 'Child A', 1, '2026-01-01T00:00:00Z')"
    )
    for number in (1, 2, 12):
        old.execute(
            "INSERT INTO observations (case_id, code, created_by, created_at) VALUES (1, ?, 1, '2026-01-01T00:00:00Z')",
            (f"OBS-{number:04d}",),
        )
    old.execute(
        "INSERT INTO people (case_id, code, name, pseudonym, role, created_by, created_at)"
        " VALUES (1, 'P-0001', 'Child A', 'Child A', 'subject', 1, '2026-01-01T00:00:00Z')"
    )
    assert migrate(old) == [name for number, name, _ in migrations() if number > 3]
    assert schema_version(old) == latest_version()
    with transaction(old):
        assert next_code(old, 1, "OBS") == "OBS-0013"
        assert next_code(old, 1, "P") == "P-0002"
        assert next_code(old, 1, "F") == "F-0001"
    assert old.execute("SELECT COUNT(*) FROM observations").fetchone()[0] == 3

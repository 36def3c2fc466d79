"""The `workbench user ...` commands: each one's happy path, and a refusal that exits 1 with a
message on stderr, no traceback, and the database as it was."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import cli_ok, cli_refused
from workbench import users
from workbench.db import latest_version, open_home
from workbench.timeutil import to_iso_utc

from .conftest import TABLES

GOOD_PASSWORD = "carols-long-password"
TEMPORARY = "temporary-passphrase-1"


@pytest.fixture
def sql(world):
    """A plain connection to this test's database, to look at it (and to set up a lock)."""
    conn = sqlite3.connect(world.database_path)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


@pytest.fixture
def state(sql):
    """Every table's row count and every column of every users row: compare before and after."""

    def snapshot():
        counts = {table: sql.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0] for table in TABLES}  # noqa: S608
        return counts, [dict(row) for row in sql.execute("SELECT * FROM users ORDER BY id")]

    return snapshot


def _user(sql, username: str) -> dict:
    return dict(sql.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone())


def _last_event(sql) -> dict:
    return dict(sql.execute("SELECT * FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone())


def _ok(result) -> str:
    output = cli_ok(result)
    assert result.stderr == ""
    return output


def _refused(result) -> str:
    """The error message (stderr); stdout must be empty."""
    cli_refused(result)
    assert result.stdout == ""
    return result.stderr


# --- user add ------------------------------------------------------------------------------------


def test_user_add_with_every_option(run, sql, state):
    counts, _ = state()
    output = _ok(
        run(
            "user", "add", "Carol", "--role", "analyst", "--display-name", "Carol Smith", "--email",
            "Carol@Example.ORG", "--temporary", "--password-stdin", input=GOOD_PASSWORD + "\n",
        )
    )  # fmt: skip
    assert output == "user carol added as analyst (temporary password)\n"
    assert GOOD_PASSWORD not in output
    row = _user(sql, "carol")
    assert (row["role"], row["display_name"], row["email"], row["must_change_password"], row["active"]) == (
        "analyst",
        "Carol Smith",
        "carol@example.org",
        1,
        1,
    )
    event = _last_event(sql)
    assert (event["username"], event["action"], event["item_code"]) == ("system", "user.create", "carol")
    assert GOOD_PASSWORD not in json.dumps(event)
    assert state()[0] == {**counts, "users": counts["users"] + 1, "audit_events": counts["audit_events"] + 1}


def test_user_add_refuses_a_taken_username(run, state):
    before = state()
    error = _refused(run("user", "add", "ANALYST", "--role", "analyst", "--password-stdin", input=GOOD_PASSWORD))
    assert error == "error: username: analyst is taken\n"
    assert state() == before


def test_user_add_refuses_a_taken_email(run, state):
    _ok(run("user", "email", "analyst", "analyst@example.org"))
    before = state()
    result = run("user", "add", "carol", "--role", "analyst", "--email", "ANALYST@example.org", "--password-stdin",
                 input=GOOD_PASSWORD)  # fmt: skip
    assert _refused(result) == "error: email: analyst@example.org is already the address of analyst\n"
    assert state() == before


def test_user_add_names_every_bad_field(run, state):
    before = state()
    result = run(
        "user", "add", "a b", "--role", "analyst", "--email", "nope", "--password-stdin", input="Sunshine2026!"
    )
    error = _refused(result)
    assert "error: username: must be 2-64" in error
    assert "error: password: is too common" in error
    assert "error: email: nope is not an e-mail address" in error
    assert state() == before


def test_user_add_with_nothing_on_stdin_is_refused(run, state):
    before = state()
    assert _refused(run("user", "add", "carol", "--role", "analyst", "--password-stdin", input="")) == (
        "error: password: is required\n"
    )
    assert state() == before


# --- user deactivate / activate ------------------------------------------------------------------


def test_user_deactivate_and_activate(run, sql, world):
    assert _ok(run("user", "deactivate", "analyst")) == "user analyst deactivated\n"
    assert _user(sql, "analyst")["active"] == 0
    assert (_last_event(sql)["action"], _last_event(sql)["item_code"]) == ("user.deactivate", "analyst")
    db = open_home(world)
    try:
        assert users.current_actor(db, _user(sql, "analyst")["id"]) is None
    finally:
        db.conn.close()
    assert _ok(run("user", "activate", "analyst")) == "user analyst active\n"
    assert _user(sql, "analyst")["active"] == 1
    assert (_last_event(sql)["username"], _last_event(sql)["action"]) == ("system", "user.activate")


def test_user_deactivate_refuses_the_last_administrator(run, state):
    before = state()
    assert _refused(run("user", "deactivate", "admin")) == "error: admin is the last active administrator.\n"
    assert state() == before


def test_user_activate_refuses_an_unknown_user(run, state):
    before = state()
    assert _refused(run("user", "activate", "nobody")) == "error: No user nobody.\n"
    assert state() == before


# --- user unlock ---------------------------------------------------------------------------------


def test_user_unlock_lifts_a_lock(run, sql):
    until = to_iso_utc(datetime.now(UTC) + timedelta(minutes=15))
    sql.execute("UPDATE users SET locked_until = ?, failed_sign_ins = 3 WHERE username = 'analyst'", (until,))
    sql.commit()
    assert _ok(run("user", "unlock", "analyst")) == "user analyst unlocked\n"
    row = _user(sql, "analyst")
    assert (row["locked_until"], row["failed_sign_ins"]) == (None, 0)
    assert (_last_event(sql)["username"], _last_event(sql)["action"]) == ("system", "user.unlock")


def test_user_unlock_refuses_an_unknown_user(run, state):
    before = state()
    assert _refused(run("user", "unlock", "nobody")) == "error: No user nobody.\n"
    assert state() == before


# --- user reset-password -------------------------------------------------------------------------


def test_user_reset_password_gives_a_temporary_password(run, sql, world):
    until = to_iso_utc(datetime.now(UTC) + timedelta(minutes=15))
    sql.execute("UPDATE users SET locked_until = ? WHERE username = 'analyst'", (until,))
    sql.commit()
    output = _ok(run("user", "reset-password", "analyst", "--password-stdin", input=TEMPORARY + "\n"))
    assert output == "user analyst has a temporary password\n"
    row = _user(sql, "analyst")
    assert (row["must_change_password"], row["locked_until"]) == (1, None)
    assert TEMPORARY not in json.dumps(_last_event(sql))
    db = open_home(world)
    try:
        assert users.authenticate(db, "analyst", TEMPORARY).must_change_password is True
    finally:
        db.conn.close()


def test_user_reset_password_prompts_twice(run, sql):
    _ok(run("user", "reset-password", "analyst", input=f"{TEMPORARY}\n{TEMPORARY}\n"))
    assert _user(sql, "analyst")["must_change_password"] == 1


def test_user_reset_password_refuses_a_common_password(run, state):
    before = state()
    error = _refused(run("user", "reset-password", "analyst", "--password-stdin", input="Password2026!\n"))
    assert error.startswith("error: temporary_password: is too common")
    assert state() == before


# --- user role -----------------------------------------------------------------------------------


def test_user_role_changes_the_role(run, sql):
    assert _ok(run("user", "role", "analyst2", "reviewer")) == "user analyst2 is now reviewer\n"
    assert _user(sql, "analyst2")["role"] == "reviewer"
    event = _last_event(sql)
    assert (event["username"], event["action"], json.loads(event["details"])) == (
        "system",
        "user.role",
        {"from": "analyst", "to": "reviewer", "channel": "cli"},
    )


def test_user_role_refuses_to_make_a_case_lead_a_reviewer(run, state):
    before = state()
    assert _refused(run("user", "role", "analyst", "reviewer")) == (
        "error: role: analyst leads CASE-1: choose another lead first\n"
    )
    assert state() == before


def test_user_role_refuses_an_unknown_role_as_a_usage_error(run, state):
    before = state()
    result = run("user", "role", "analyst", "wizard")
    assert result.exit_code == 2
    assert "'wizard' is not one of 'admin', 'analyst', 'reviewer'" in result.stderr
    assert state() == before


# --- user email ----------------------------------------------------------------------------------


def test_user_email_sets_and_removes_the_address(run, sql):
    assert _ok(run("user", "email", "analyst", "Analyst@Example.org")) == "user analyst e-mail set\n"
    assert _user(sql, "analyst")["email"] == "analyst@example.org"
    assert _ok(run("user", "email", "analyst", "")) == "user analyst e-mail removed\n"
    assert _user(sql, "analyst")["email"] is None
    assert (_last_event(sql)["action"], json.loads(_last_event(sql)["details"])) == (
        "user.email",
        {"email": None, "channel": "cli"},
    )


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("not-an-email", "error: email: not-an-email is not an e-mail address\n"),
        ("<script>@example.org", "error: email: <script>@example.org is not an e-mail address\n"),
    ],
    ids=["not-an-email", "html"],
)
def test_user_email_refuses_a_bad_address(run, state, address, message):
    before = state()
    assert _refused(run("user", "email", "analyst", address)) == message
    assert state() == before


# --- user list -----------------------------------------------------------------------------------


def test_user_list_shows_each_accounts_state(run, sql):
    until = to_iso_utc(datetime.now(UTC) + timedelta(minutes=15))
    sql.execute("UPDATE users SET locked_until = ? WHERE username = 'analyst'", (until,))
    sql.execute("UPDATE users SET active = 0, must_change_password = 1 WHERE username = 'reviewer'")
    sql.commit()
    listed = {u["username"]: u for u in json.loads(_ok(run("user", "list", "--format", "json")))}
    assert sorted(listed) == ["admin", "analyst", "analyst2", "reviewer"]
    assert listed["analyst"]["locked_until"] == until
    assert listed["admin"]["locked_until"] is None
    assert (listed["reviewer"]["active"], listed["reviewer"]["temporary_password"]) == (False, True)
    assert all("password_hash" not in u for u in listed.values())
    rows = list(csv.DictReader(io.StringIO(_ok(run("user", "list", "--format", "csv")))))
    assert [r["username"] for r in rows] == ["admin", "analyst", "analyst2", "reviewer"]
    assert "password_hash" not in rows[0]
    table = _ok(run("user", "list"))
    assert table.splitlines()[0].split()[:3] == ["username", "display_name", "role"]
    assert "$argon2id$" not in table


def test_user_list_refuses_a_database_newer_than_the_workbench(run, world, state):
    conn = sqlite3.connect(world.database_path)
    conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.commit()
    conn.close()
    before = state()
    assert "newer than this workbench" in _refused(run("user", "list"))
    assert state() == before


# --- every user command on an unknown user -------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("deactivate", "nobody"),
        ("activate", "nobody"),
        ("unlock", "nobody"),
        ("reset-password", "nobody", "--password-stdin"),
        ("role", "nobody", "analyst"),
        ("email", "nobody", "nobody@example.org"),
    ],
    ids=lambda args: args[0],
)
def test_every_user_command_refuses_an_unknown_user(run, state, args):
    before = state()
    assert _refused(run("user", *args, input=TEMPORARY + "\n")) == "error: No user nobody.\n"
    assert state() == before

"""`workbench view log|list`: a view logged prints its code and is stored with its time (London
when no offset), note and the acting user; past the limit without --authorisation-reference it exits
1 with the warning on stderr and stores nothing, with one the reference is kept; bad input names
its field; a reviewer may list but not log; the list per account or every view, as a table,
formula-safe CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import CASE, cli_ok, cli_refused
from workbench import people

AS = ("--as", "analyst")
HANDLE = "@sunny.fiction"
AUTH = "DEMO-AUTH-12"


def _ago(**delta) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def accounts(db, analyst) -> None:
    people.add_account(db, analyst, CASE, "Instagram", HANDLE, person="P-0001")
    people.add_account(db, analyst, CASE, "TikTok", '=HYPERLINK("http://example.invalid")')


def _log(run, *extra: str, account: str = "AC-0001", user: str = "analyst"):
    return run("view", "log", CASE, account, "--as", user, *extra)


def _stored(db) -> list[tuple]:
    return db.execute(
        "SELECT v.code, a.code, v.viewed_at, u.username, v.note, v.authorisation_reference FROM account_views v"
        " JOIN accounts a ON a.id = v.account_id JOIN users u ON u.id = v.viewed_by ORDER BY v.id"
    ).fetchall()


def test_logging_a_view_prints_its_code_and_stores_it(run, db, accounts):
    out = cli_ok(_log(run, "--at", "2025-06-10 14:30", "--note", "checking the bio is still public"))
    assert out.strip() == "VW-0001"
    assert _stored(db) == [
        ("VW-0001", "AC-0001", "2025-06-10T13:30:00Z", "analyst", "checking the bio is still public", "")
    ]
    event = db.execute("SELECT username, case_ref, item_code FROM audit_events WHERE action = 'view.log'").fetchall()
    assert event == [("analyst", CASE, "VW-0001")]


def test_an_account_is_named_by_handle_and_the_time_defaults_to_now(run, db, accounts):
    before = _ago(seconds=1)
    cli_ok(_log(run, account=HANDLE))
    [(_, account, viewed_at, *_)] = _stored(db)
    assert account == "AC-0001"
    assert before <= viewed_at <= _ago(seconds=-1)


def test_past_the_limit_without_a_reference_exits_1_with_the_warning_and_stores_nothing(run, db, accounts):
    for days in (3, 2, 1):
        cli_ok(_log(run, "--at", _ago(days=days)))
    before = _stored(db)
    out = cli_refused(_log(run, "--note", "one more look"))
    assert "directed surveillance" in out and "RIPA 2000 Part II" in out and "authorisation" in out
    assert "--authorisation-reference" in out
    assert "Nothing was logged" in out
    assert _stored(db) == before


def test_past_the_limit_with_a_reference_it_is_kept(run, db, accounts):
    for days in (3, 2, 1):
        cli_ok(_log(run, "--at", _ago(days=days)))
    result = _log(run, "--authorisation-reference", AUTH)
    out = cli_ok(result)
    assert out.splitlines()[0] == "VW-0004"
    assert "past the limit of 3" in out
    assert _stored(db)[-1][-1] == AUTH


def test_the_limit_comes_from_the_environment(run, db, accounts, monkeypatch):
    monkeypatch.setenv("WORKBENCH_VIEW_LIMIT", "1")
    cli_ok(_log(run, "--at", _ago(hours=2)))
    out = cli_refused(_log(run))
    assert "limit of 1" in out


@pytest.mark.parametrize(
    ("extra", "account", "says"),
    [
        ((), "AC-0099", "error: account: no account"),
        (("--at", "next tuesday"), "AC-0001", "error: viewed_at:"),
        (("--at", "2199-01-01 10:00"), "AC-0001", "error: viewed_at: is in the future"),
    ],
)
def test_bad_input_names_its_field_and_stores_nothing(run, db, accounts, extra, account, says):
    out = cli_refused(_log(run, *extra, account=account))
    assert says in out
    assert _stored(db) == []


def test_a_reviewer_may_list_but_not_log(run, db, accounts):
    out = cli_refused(_log(run, user="reviewer"))
    assert "does not allow you to record" in out
    assert _stored(db) == []
    assert "AC-0001" in cli_ok(run("view", "list", CASE, "--as", "reviewer"))


def test_a_non_member_finds_no_case(run, db, accounts):
    assert f"Case {CASE} not found." in cli_refused(_log(run, user="analyst2"))
    assert f"Case {CASE} not found." in cli_refused(run("view", "list", CASE, "--as", "analyst2"))


def test_the_list_per_account_as_a_table(run, db, accounts):
    for days in (3, 2, 1):
        cli_ok(_log(run, "--at", _ago(days=days)))
    cli_ok(_log(run, "--authorisation-reference", AUTH))
    out = cli_ok(run("view", "list", CASE, *AS))
    assert out.splitlines()[0].startswith("Limit: 3 views of one account in 28 days")
    [line] = [line for line in out.splitlines() if line.lstrip().startswith("AC-0001")]
    assert HANDLE in line and " 4 " in line and "True" in line
    assert list(db.execute("SELECT action FROM audit_events WHERE action = 'view.list'")) == [("view.list",)]


def test_the_list_as_json_and_every_view_as_formula_safe_csv(run, db, accounts):
    cli_ok(_log(run, "--at", _ago(days=2), "--note", "=SUM(A1:A9)", account="AC-0002"))
    cli_ok(_log(run, "--at", _ago(days=1)))
    rows = json.loads(cli_ok(run("view", "list", CASE, *AS, "--format", "json")))
    assert [(r["account"], r["views_in_period"], r["over_limit"]) for r in rows] == [
        ("AC-0001", 1, False),
        ("AC-0002", 1, False),
    ]
    assert rows[0]["limit"] == 3 and rows[0]["whose"]
    views = list(csv.DictReader(io.StringIO(cli_ok(run("view", "list", CASE, *AS, "--views", "--format", "csv")))))
    assert [(v["code"], v["account"], v["source"], v["viewed_by"]) for v in views] == [
        ("VW-0001", "AC-0002", "logged view", "analyst"),
        ("VW-0002", "AC-0001", "logged view", "analyst"),
    ]
    assert views[0]["note"] == "'=SUM(A1:A9)"
    assert views[0]["handle"].startswith("'=")


def test_the_list_of_an_empty_log(run, db):
    out = cli_ok(run("view", "list", CASE, *AS, "--views"))
    assert "(none)" in out

"""The viewing log and repeated viewing (issue 8 point 2): every observation of an account and every
logged view count as views of it; past the limit in the period ending at a view (3 in 28 days unless
set) the view needs an authorisation reference, which is kept; a refusal stores nothing; retracted
observations, other accounts and other cases do not count; the window's edges; the log is append-only
and audited."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import CASE
from workbench import access, cases, observations, people, viewing
from workbench.config import Settings, ViewingPolicy
from workbench.db import migrate
from workbench.errors import ConfigurationError, NotFound, PermissionDenied, ValidationError

HANDLE = "@starlight.fiction"
AUTH = "DEMO-AUTH-77"
AT = "2025-06-01T12:00:00Z"  # a fixed moment for the window tests


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ago(**delta) -> str:
    """A moment before now, as ISO UTC (both the CLI and the domain read it)."""
    return _iso(datetime.now(UTC) - timedelta(**delta))


def _shift(iso: str, **delta) -> str:
    return _iso(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) + timedelta(**delta))


@pytest.fixture
def account(db, analyst) -> str:
    """An account of the child in CASE-1 (AC-0001) and a second one (AC-0002)."""
    people.add_account(db, analyst, CASE, "Instagram", HANDLE, person="P-0001")
    people.add_account(db, analyst, CASE, "TikTok", "@other.fiction", person="P-0001")
    return "AC-0001"


def _account_id(db, code: str = "AC-0001", reference: str = CASE) -> int:
    return db.execute(
        "SELECT a.id FROM accounts a JOIN cases c ON c.id = a.case_id WHERE a.code = ? AND c.reference = ?",
        (code, reference),
    ).fetchone()[0]


def _observe(db, actor, observation_input, at: str, account: str = "AC-0001") -> str:
    return observations.record(db, actor, CASE, observation_input(account=account, observed_at=at)).code


def _log(db, actor, at: str | None = None, account: str = "AC-0001", **extra):
    return viewing.log_view(db, actor, CASE, account, at, **extra)


def _stored(db) -> list[tuple]:
    return db.execute(
        "SELECT code, viewed_at, viewed_by, note, authorisation_reference FROM account_views ORDER BY id"
    ).fetchall()


def _last_seq(db) -> int:
    return db.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0]


def _case_id(db) -> int:
    return access.authorize(db, access.SYSTEM, access.Right.AUDIT, CASE).case_id


# --- what counts as a view -----------------------------------------------------------------------


def test_observations_and_logged_views_are_views_with_who_and_when_oldest_first(
    db, analyst, account, observation_input
):
    _observe(db, analyst, observation_input, "2025-03-14 10:30")  # London, GMT: 10:30 UTC
    _log(db, analyst, "2025-03-10 09:00", note="checking it is still public")
    observations.record(db, analyst, CASE, observation_input(observed_at="2025-03-12 09:00"))  # no account
    _observe(db, analyst, observation_input, "2025-03-11 09:00", account="AC-0002")  # another account
    views = viewing.views_of(db, _case_id(db), _account_id(db))
    assert views[["viewed_at", "source", "code", "viewed_by", "note"]].to_dict("records") == [
        {"viewed_at": "2025-03-10T09:00:00Z", "source": "logged view", "code": "VW-0001", "viewed_by": "analyst",
         "note": "checking it is still public"},
        {"viewed_at": "2025-03-14T10:30:00Z", "source": "observation", "code": "OBS-0001", "viewed_by": "analyst",
         "note": "Instagram bio states age 19"},
    ]  # fmt: skip
    assert set(views["account"]) == {"AC-0001"}
    assert set(views["handle"]) == {HANDLE}


def test_an_observation_is_a_view_when_first_seen_and_of_the_account_it_now_names(
    db, analyst, account, observation_input
):
    code = _observe(db, analyst, observation_input, "2025-03-14 10:30")
    amended = observation_input(account="AC-0002", observed_at=_ago(minutes=1), summary="Bio states 19 (TikTok)")
    observations.amend(db, analyst, CASE, code, amended, "it was the TikTok account")
    assert viewing.views_of(db, _case_id(db), _account_id(db)).empty
    [row] = viewing.views_of(db, _case_id(db), _account_id(db, "AC-0002")).to_dict("records")
    assert (row["code"], row["viewed_at"], row["note"]) == (code, "2025-03-14T10:30:00Z", "Bio states 19 (TikTok)")


def test_a_retracted_observation_is_no_view(db, analyst, account, observation_input):
    codes = [_observe(db, analyst, observation_input, _ago(days=day)) for day in (3, 2, 1)]
    observations.retract(db, analyst, CASE, codes[1], "recorded against the wrong child")
    assert viewing.views_of(db, _case_id(db), _account_id(db))["code"].tolist() == [codes[0], codes[2]]
    assert viewing.repeated_viewing(db, _case_id(db), _account_id(db), _ago(seconds=1)) is None  # 2 + 1 = 3
    _log(db, analyst)  # the third view: no reference needed
    with pytest.raises(ValidationError) as refused:
        _log(db, analyst)  # the fourth
    assert set(refused.value.errors) == {"authorisation_reference"}


def _observation_views(db) -> list[tuple]:
    return db.execute(
        "SELECT o.code, a.code, w.viewed_at FROM observation_views w JOIN observations o ON o.id = w.observation_id"
        " LEFT JOIN accounts a ON a.id = w.account_id ORDER BY o.code"
    ).fetchall()


def test_the_views_kept_by_the_triggers_are_what_migrating_an_older_file_derives(
    db, analyst, account, observation_input
):
    """observation_views is kept by triggers as versions are added; a file made before it (schema
    14) gets it from the versions already there. Both must give the same views."""
    first, amended, retracted, none = (
        _observe(db, analyst, observation_input, at) for at in ("2025-03-14 10:30", _ago(days=2), _ago(days=1), AT)
    )
    observations.amend(db, analyst, CASE, amended, observation_input(account="AC-0002"), "it was the TikTok account")
    observations.retract(db, analyst, CASE, retracted, "recorded against the wrong child")
    observations.amend(db, analyst, CASE, none, observation_input(account=""), "it named no account")
    kept = _observation_views(db)
    assert [(code, whose) for code, whose, _ in kept] == [
        (first, "AC-0001"), (amended, "AC-0002"), (retracted, None), (none, None)
    ]  # fmt: skip
    assert kept[0][2] == "2025-03-14T10:30:00Z"  # when first seen, not when amended
    with db.conn:
        db.execute("DROP TRIGGER observation_views_first")
        db.execute("DROP TRIGGER observation_views_later")
        db.execute("DROP TABLE observation_views")
        db.execute("PRAGMA user_version = 14")
    # Only as far as 0015: later migrations (ALTER TABLE ... ADD COLUMN) cannot run a second time.
    assert migrate(db, target=15) == ["0015_observation_views.sql"]
    assert _observation_views(db) == kept


def test_other_accounts_and_other_cases_are_not_counted(db, analyst, account, observation_input):
    cases.create_case(db, access.SYSTEM, "CASE-2", "Another child", lead="analyst")
    people.add_account(db, analyst, "CASE-2", "Instagram", HANDLE)  # the same handle, another case
    _observe(db, analyst, observation_input, _ago(hours=5), account="AC-0002")
    for day in (4, 3, 2, 1):
        viewing.log_view(db, analyst, "CASE-2", HANDLE, _ago(days=day), authorisation_reference=AUTH)
        _log(db, analyst, _ago(days=day), account="AC-0002", authorisation_reference=AUTH)
    for _ in range(3):
        assert _log(db, analyst).repeated is None  # AC-0001's first three views
    assert viewing.repeated_viewing(db, _case_id(db), _account_id(db), _ago(seconds=0)).count == 4
    other = _account_id(db, "AC-0001", "CASE-2")
    assert len(viewing.views_of(db, _case_id(db), _account_id(db))) == 3
    assert viewing.views_of(db, _case_id(db), other).empty  # not CASE-1's account
    with pytest.raises(NotFound):
        viewing.repeated_viewing(db, _case_id(db), other, AT)


# --- the window ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "counted"),
    [
        ({"days": -28}, True),  # the period's first instant: [at - 28 days, at]
        ({"days": -28, "seconds": -1}, False),
        ({"seconds": 0}, True),  # at itself
        ({"seconds": 1}, False),  # after at: a later view is outside the period ending at at
        ({"days": -14}, True),
    ],
)
def test_the_window_is_the_period_ending_at_the_view_both_ends_counted(db, analyst, account, offset, counted):
    for hours in (1, 2):  # two views well inside the period
        _log(db, analyst, _shift(AT, hours=-hours))
    _log(db, analyst, _shift(AT, **offset), authorisation_reference=AUTH)
    found = viewing.repeated_viewing(db, _case_id(db), _account_id(db), AT)
    if counted:
        assert found is not None and found.count == 4
        assert found.since == "2025-05-04T12:00:00Z" and found.at == AT
    else:
        assert found is None


def test_counts_may_stop_at_a_number_and_are_exact_below_it(db, analyst, account, observation_input):
    """An import asks only whether each row is past the limit: its counts stop one past it."""
    for days in range(1, 7):  # six views in the period: four observations and two logged
        if days <= 4:
            _observe(db, analyst, observation_input, _shift(AT, days=-days))
        else:
            _log(db, analyst, _shift(AT, days=-days), authorisation_reference=AUTH)
    case_id, account_id, other = _case_id(db), _account_id(db), _account_id(db, "AC-0002")
    windows = [(account_id, _shift(AT, days=-28), AT), (account_id, _shift(AT, days=-2), AT), (other, AT, AT)]
    assert viewing.count_views(db, case_id, windows) == [6, 2, 0]
    assert viewing.count_views(db, case_id, windows, at_most=4) == [4, 2, 0]
    assert viewing.count_views(db, case_id, windows, at_most=3) == [3, 2, 0]
    assert viewing.count_views(db, case_id, windows, at_most=6) == [6, 2, 0]
    assert viewing.count_views(db, case_id, []) == []


def test_adding_several_views_at_once(db, analyst, account):
    _log(db, analyst, _shift(AT, days=-1))
    case_id, account_id = _case_id(db), _account_id(db)
    assert viewing.repeated_viewing(db, case_id, account_id, AT, adding=2) is None  # 1 + 2 = 3
    found = viewing.repeated_viewing(db, case_id, account_id, AT, adding=3)
    assert found.count == 4
    assert viewing.repeated_viewing(db, case_id, account_id, AT, adding=0) is None


def test_what_repeated_viewing_says(db, analyst, account):
    for hours in (1, 2, 3):
        _log(db, analyst, _shift(AT, hours=-hours))
    found = viewing.repeated_viewing(db, _case_id(db), _account_id(db), datetime(2025, 6, 1, 12, tzinfo=UTC))
    assert (found.account, found.platform, found.handle) == ("AC-0001", "Instagram", HANDLE)
    assert (found.count, found.limit, found.period_days, found.at) == (4, 3, 28, AT)
    assert "directed surveillance" in found.warning
    assert "RIPA 2000 Part II" in found.warning
    assert "authorisation" in found.warning and HANDLE in found.warning
    assert "4 views" in found.warning and "limit of 3" in found.warning


# --- the limit and period from the settings ------------------------------------------------------


def test_the_defaults_are_three_views_in_28_days(clean_env, tmp_path):
    assert Settings.from_env(tmp_path).viewing == ViewingPolicy(limit=3, period_days=28)


@pytest.mark.parametrize("name", ["WORKBENCH_VIEW_LIMIT", "WORKBENCH_VIEW_PERIOD_DAYS"])
@pytest.mark.parametrize("value", ["0", "-1", "three", "2.5"])
def test_a_bad_limit_or_period_is_refused_by_name(clean_env, monkeypatch, tmp_path, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env(tmp_path)


def test_the_limit_comes_from_the_settings(db, analyst, account, monkeypatch):
    monkeypatch.setenv("WORKBENCH_VIEW_LIMIT", "1")
    _log(db, analyst, _ago(hours=2))
    with pytest.raises(ValidationError, match="limit of 1"):
        _log(db, analyst, _ago(hours=1))
    monkeypatch.setenv("WORKBENCH_VIEW_LIMIT", "2")
    assert _log(db, analyst, _ago(hours=1)).repeated is None


def test_the_period_comes_from_the_settings(db, analyst, account, monkeypatch):
    monkeypatch.setenv("WORKBENCH_VIEW_PERIOD_DAYS", "7")
    for days in (10, 9, 8):
        _log(db, analyst, _ago(days=days))
    assert _log(db, analyst, _ago(days=8, hours=-1), authorisation_reference=AUTH).repeated.count == 4
    for hours in (3, 2, 1):  # the period ending now holds none of those
        assert _log(db, analyst, _ago(hours=hours)).repeated is None
    log = viewing.viewing_log(db, analyst, CASE)
    assert (log.limit, log.period_days) == (3, 7)
    assert log.accounts.loc[log.accounts["account"] == "AC-0001", "views_in_period"].item() == 3


# --- logging a view ------------------------------------------------------------------------------


def test_a_view_is_stored_with_who_when_and_why(db, analyst, account):
    logged = _log(db, analyst, "2025-06-10 14:30", note="checking the bio before the strategy meeting")
    assert (logged.code, logged.account, logged.viewed_at, logged.repeated) == (
        "VW-0001", "AC-0001", "2025-06-10T13:30:00Z", None,
    )  # fmt: skip
    assert _stored(db) == [
        ("VW-0001", "2025-06-10T13:30:00Z", analyst.id, "checking the bio before the strategy meeting", "")
    ]


def test_without_a_time_the_view_is_now_and_an_account_is_found_by_handle(db, analyst, account):
    before = _ago(seconds=1)
    logged = viewing.log_view(db, analyst, CASE, HANDLE)
    assert before <= logged.viewed_at <= _ago(seconds=-1)
    assert logged.account == "AC-0001"


def test_past_the_limit_without_a_reference_is_refused_with_the_warning_and_nothing_is_stored(
    db, analyst, account, observation_input, counts
):
    _observe(db, analyst, observation_input, _ago(days=20))
    _log(db, analyst, _ago(days=10))
    _log(db, analyst, _ago(days=5))
    before, seq = counts(), _last_seq(db)
    codes = db.execute("SELECT * FROM case_codes ORDER BY prefix").fetchall()
    with pytest.raises(ValidationError) as refused:
        _log(db, analyst, note="another look")
    assert list(refused.value.errors) == ["authorisation_reference"]
    warning = refused.value.errors["authorisation_reference"]
    assert "directed surveillance" in warning and "RIPA 2000 Part II" in warning and "4 views" in warning
    assert counts() == before
    assert _last_seq(db) == seq
    assert db.execute("SELECT * FROM case_codes ORDER BY prefix").fetchall() == codes


def test_past_the_limit_the_reference_given_is_kept(db, analyst, account):
    for days in (3, 2, 1):
        _log(db, analyst, _ago(days=days))
    logged = _log(db, analyst, note="weekly check agreed at the strategy discussion", authorisation_reference=AUTH)
    assert logged.repeated is not None and logged.repeated.count == 4
    assert _stored(db)[-1][-1] == AUTH
    views = viewing.views_of(db, _case_id(db), _account_id(db))
    assert views["authorisation_reference"].tolist() == ["", "", "", AUTH]
    log = viewing.viewing_log(db, analyst, CASE)
    assert log.views["authorisation_reference"].tolist()[-1] == AUTH
    [details] = db.execute("SELECT details FROM audit_events WHERE action = 'view.log' AND item_code = 'VW-0004'")
    assert json.loads(details[0]) == {
        "account": "AC-0001",
        "viewed_at": logged.viewed_at,
        "over_limit": True,
        "views_in_period": 4,
        "authorisation_reference": AUTH,
    }


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"account": "AC-0099"}, "account"),
        ({"account": ""}, "account"),
        ({"viewed_at": "tomorrow"}, "viewed_at"),
        ({"viewed_at": "2025-06-10"}, "viewed_at"),  # a day is not a moment
        ({"note": "x" * 2001}, "note"),
        ({"authorisation_reference": "A\nB"}, "authorisation_reference"),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_stored(db, analyst, account, counts, given, field):
    before, seq = counts(), _last_seq(db)
    arguments = {"account": "AC-0001", "viewed_at": None, **given}
    with pytest.raises(ValidationError) as refused:
        viewing.log_view(db, analyst, CASE, **arguments)
    assert field in refused.value.errors
    assert counts() == before and _last_seq(db) == seq


def test_a_view_in_the_future_is_refused(db, analyst, account, counts):
    before = counts()
    with pytest.raises(ValidationError, match="viewed_at: is in the future"):
        _log(db, analyst, _ago(hours=-1))
    assert counts() == before


def test_a_reviewer_may_read_the_log_but_not_add_to_it(db, analyst, reviewer, account, counts):
    before = counts()
    with pytest.raises(PermissionDenied):
        _log(db, reviewer)
    assert counts() == before
    assert len(viewing.viewing_log(db, reviewer, CASE).accounts) == 2


# --- the log -------------------------------------------------------------------------------------


def test_the_log_per_account_with_the_current_period_and_every_view(db, analyst, account, observation_input):
    _observe(db, analyst, observation_input, _ago(days=40))  # before the period
    for days in (3, 2, 1):
        _log(db, analyst, _ago(days=days))
    _log(db, analyst, _ago(hours=1), authorisation_reference=AUTH)
    log = viewing.viewing_log(db, analyst, CASE)
    assert log.accounts.columns.tolist() == viewing.ACCOUNT_COLUMNS
    rows = {row["account"]: row for row in log.accounts.to_dict("records")}
    first, second = rows["AC-0001"], rows["AC-0002"]
    assert (first["platform"], first["handle"], first["person"]) == ("Instagram", HANDLE, "P-0001")
    assert first["whose"]  # the child's name
    assert (first["views_in_period"], first["limit"], first["over_limit"], first["views_total"]) == (4, 3, True, 5)
    assert first["last_viewed"] == log.views["viewed_at"].max()
    assert (second["views_in_period"], second["over_limit"], second["last_viewed"], second["views_total"]) == (
        0, False, "", 0,
    )  # fmt: skip
    assert log.views["source"].tolist() == ["observation"] + ["logged view"] * 4
    assert log.views["viewed_at"].is_monotonic_increasing
    assert (log.limit, log.period_days) == (3, 28)
    assert log.since == _shift(log.until, days=-28)


def test_at_the_limit_is_not_over_it(db, analyst, account):
    for days in (3, 2, 1):
        _log(db, analyst, _ago(days=days))
    row = viewing.viewing_log(db, analyst, CASE).accounts.iloc[0]
    assert (row["views_in_period"], bool(row["over_limit"])) == (3, False)


def test_logging_and_listing_are_audited(db, analyst, account):
    logged = _log(db, analyst, _ago(hours=1))
    viewing.viewing_log(db, analyst, CASE)
    events = db.execute(
        "SELECT username, action, case_ref, item_code, details FROM audit_events"
        " WHERE action LIKE 'view.%' ORDER BY seq"
    ).fetchall()
    assert [event[:4] for event in events] == [
        ("analyst", "view.log", CASE, "VW-0001"),
        ("analyst", "view.list", CASE, None),
    ]
    assert (
        json.loads(events[0][4])["account"] == "AC-0001" and json.loads(events[0][4])["viewed_at"] == logged.viewed_at
    )
    assert json.loads(events[1][4]) == {"accounts": 2, "views": 1, "over_limit": []}


# --- append-only ---------------------------------------------------------------------------------


def test_the_log_is_append_only(db, analyst, account):
    _log(db, analyst, _ago(hours=1))
    before = _stored(db)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE account_views SET authorisation_reference = 'added later'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM account_views")
    assert _stored(db) == before


@pytest.mark.parametrize(
    ("account_code", "reference", "viewed_at"),
    [
        ("AC-0001", "CASE-2", "2025-06-01T12:00:00Z"),  # CASE-1's account filed under CASE-2
        ("AC-0001", CASE, "2999-01-01T00:00:00Z"),  # in the future
        ("AC-0001", CASE, "2025-06-01 12:00"),  # not ISO UTC
    ],
)
def test_the_database_refuses_a_view_the_rules_would(db, analyst, account, account_code, reference, viewed_at):
    cases.create_case(db, access.SYSTEM, "CASE-2", "Another child", lead="analyst")
    case_id = db.execute("SELECT id FROM cases WHERE reference = ?", (reference,)).fetchone()[0]
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO account_views (case_id, code, account_id, viewed_at, viewed_by, recorded_at)"
            " VALUES (?, 'VW-9999', ?, ?, ?, '2025-06-01T12:00:00Z')",
            (case_id, _account_id(db, account_code), viewed_at, analyst.id),
        )

"""Research authorisations against the real SQLite file: adding one names each bad field and stores
nothing when refused; a review adds a version with its reason and keeps what it does not change;
retracting withdraws it. Coverage is worked out when read: the whole case, a platform or an account,
from the day it was authorised to the day it ends, in Europe/London days; a retracted one covers
nothing. Recording what none covers needs a reason, which is kept and flagged (and dropped when one
does cover it); an import gives a standard reason and says so. The state of a case's authorisations
in a few words, on the cases list and the overview; who may record; the audit events; append-only."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta

import pytest

from tests.conftest import CASE, TEMPLATE_AUTHORISATION, import_row, rows_csv
from workbench import access, authorisations, cases, observations, people
from workbench.errors import Conflict, NotFound, PermissionDenied, ValidationError

BARE = "CASE-2"  # a case with no authorisation at all
REASON = "Immediate risk seen while checking a report from school; authorisation requested today."
INSTAGRAM, TIKTOK = "@fiction.one", "@fiction.two"


def _given(**overrides) -> dict:
    return {**TEMPLATE_AUTHORISATION, **overrides}


def _today() -> date:
    return authorisations.today_london()


def _day(offset: int) -> str:
    return (_today() + timedelta(days=offset)).isoformat()


def _case_id(db, reference: str = CASE) -> int:
    return db.execute("SELECT id FROM cases WHERE reference = ?", (reference,)).fetchone()[0]


def _versions(db, code: str, reference: str = CASE) -> list[dict]:
    return list(
        db.query(
            """SELECT v.* FROM authorisation_versions v JOIN authorisations a ON a.id = v.authorisation_id
               JOIN cases c ON c.id = a.case_id WHERE a.code = ? AND c.reference = ? ORDER BY v.version""",
            (code, reference),
        )
    )


def _events(db, action: str) -> list[dict]:
    rows = db.query("SELECT * FROM audit_events WHERE action = ? ORDER BY seq", (action,))
    return [row | {"details": json.loads(row["details"])} for row in rows]


@pytest.fixture
def accounts(db, analyst) -> None:
    """CASE-1's AC-0001 (Instagram) and AC-0002 (TikTok), both the child's."""
    people.add_account(db, analyst, CASE, "Instagram", INSTAGRAM, person="P-0001")
    people.add_account(db, analyst, CASE, "TikTok", TIKTOK, person="P-0001")


@pytest.fixture
def bare(db, analyst) -> str:
    """CASE-2: no authorisation; AC-0001 on Instagram and AC-0002 on TikTok, the child's."""
    cases.create_case(db, access.SYSTEM, BARE, "Unauthorised test case", lead="analyst")
    people.add_account(db, analyst, BARE, "Instagram", INSTAGRAM, person="P-0001")
    people.add_account(db, analyst, BARE, "TikTok", TIKTOK, person="P-0001")
    return BARE


# --- adding ----------------------------------------------------------------------------------------


def test_adding_stores_version_1_with_every_field_and_returns_the_next_code(db, analyst, accounts):
    code = authorisations.add_authorisation(
        db,
        analyst,
        CASE,
        _given(
            authorised_on="2025-01-10",
            review_date="2025-04-10",
            ends_on="2025-12-31",
            platforms="TikTok",
            accounts="AC-0001",
            reference="  FIC-AUTH-9  ",
        ),
    )
    assert code == "AUTH-0002"  # CASE-1 already holds the template's AUTH-0001
    [version] = _versions(db, code)
    assert {k: version[k] for k in (*authorisations.INPUT_FIELDS, "version", "retracted", "change_reason")} == {
        "purpose": TEMPLATE_AUTHORISATION["purpose"],
        "lawful_basis": TEMPLATE_AUTHORISATION["lawful_basis"],
        "authorised_by": TEMPLATE_AUTHORISATION["authorised_by"],
        "authorised_on": "2025-01-10",
        "review_date": "2025-04-10",
        "ends_on": "2025-12-31",
        "platforms": '["TikTok"]',
        "accounts": '["AC-0001"]',
        "reference": "FIC-AUTH-9",
        "version": 1,
        "retracted": 0,
        "change_reason": "",
    }
    row = authorisations.list_authorisations(db, analyst, CASE).set_index("code").loc[code]
    assert row["scope"] == "TikTok, AC-0001"
    assert row["recorded_by"] == "analyst"
    assert not row["in_force"]  # ended 2025-12-31
    assert not row["review_overdue"]  # not in force, so nothing to review


def test_authorised_on_defaults_to_today_in_london(db, analyst):
    code = authorisations.add_authorisation(db, analyst, CASE, _given(authorised_on=""))
    assert _versions(db, code)[0]["authorised_on"] == _today().isoformat()
    assert _versions(db, code)[0]["ends_on"] is None


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"purpose": "  "}, "purpose", "is required"),
        ({"lawful_basis": ""}, "lawful_basis", "is required"),
        ({"authorised_by": ""}, "authorised_by", "is required"),
        ({"authorised_by": "Team\nmanager"}, "authorised_by", "one line"),
        ({"authorised_on": "06/07/2025"}, "authorised_on", "YYYY-MM-DD"),
        ({"review_date": ""}, "review_date", "is required"),
        ({"review_date": "2025-02-30"}, "review_date", "YYYY-MM-DD"),
        ({"ends_on": "soon"}, "ends_on", "YYYY-MM-DD"),
        ({"authorised_on": "2025-05-01", "review_date": "2025-04-30"}, "review_date", "on or after"),
        ({"authorised_on": "2025-05-01", "ends_on": "2025-04-30"}, "ends_on", "on or after"),
        ({"platforms": "Instagram, Myspace"}, "platforms", "'Myspace' is not a platform"),
        ({"accounts": "AC-0009"}, "accounts", "no account 'AC-0009'"),
        ({"accounts": "@nobody.fiction"}, "accounts", "no account"),
        ({"reference": "a\tb"}, "reference", "one line"),
        ({"colour": "red"}, "colour", "is not an authorisation field"),
    ],
)
def test_a_bad_field_is_named_and_nothing_is_stored(db, analyst, accounts, counts, overrides, field, words):
    before = counts()
    with pytest.raises(ValidationError) as caught:
        authorisations.add_authorisation(db, analyst, CASE, _given(**overrides))
    assert field in caught.value.errors, caught.value.errors
    assert words in caught.value.errors[field]
    assert counts() == before


def test_every_bad_field_is_named_at_once(db, analyst, counts):
    before = counts()
    with pytest.raises(ValidationError) as caught:
        authorisations.add_authorisation(
            db, analyst, CASE, {"purpose": "", "lawful_basis": "", "authorised_by": "", "review_date": "x"}
        )
    assert set(caught.value.errors) == {"purpose", "lawful_basis", "authorised_by", "review_date"}
    assert counts() == before


def test_an_authorisation_dated_in_the_future_is_refused(db, analyst, counts):
    before = counts()
    with pytest.raises(ValidationError) as caught:
        authorisations.add_authorisation(db, analyst, CASE, _given(authorised_on=_day(1), review_date=_day(30)))
    assert "cannot be in the future" in caught.value.errors["authorised_on"]
    assert counts() == before
    # today is not the future
    code = authorisations.add_authorisation(db, analyst, CASE, _given(authorised_on=_day(0), review_date=_day(0)))
    assert _versions(db, code)[0]["authorised_on"] == _day(0)


def test_the_review_date_may_be_the_day_it_was_authorised(db, analyst):
    code = authorisations.add_authorisation(
        db, analyst, CASE, _given(authorised_on="2025-05-01", review_date="2025-05-01")
    )
    assert _versions(db, code)[0]["review_date"] == "2025-05-01"


def test_platforms_are_taken_in_any_letter_case_and_kept_as_the_catalog_spells_them(db, analyst):
    code = authorisations.add_authorisation(db, analyst, CASE, _given(platforms=" instagram; TIKTOK ,Instagram,, x "))
    assert json.loads(_versions(db, code)[0]["platforms"]) == ["Instagram", "TikTok", "X"]
    listed = authorisations.add_authorisation(db, analyst, CASE, _given(platforms=["snapchat", "Discord"]))
    assert json.loads(_versions(db, listed)[0]["platforms"]) == ["Discord", "Snapchat"]


def test_accounts_are_taken_by_code_in_any_case_or_by_handle_and_kept_as_codes(db, analyst, accounts):
    code = authorisations.add_authorisation(db, analyst, CASE, _given(accounts=f"ac-0002, {INSTAGRAM}, AC-0002"))
    version = _versions(db, code)[0]
    assert json.loads(version["accounts"]) == ["AC-0001", "AC-0002"]
    assert json.loads(version["platforms"]) == []


def test_an_account_of_another_case_is_unknown_here(db, analyst, bare, counts):
    before = counts()
    with pytest.raises(ValidationError) as caught:
        authorisations.add_authorisation(db, analyst, CASE, _given(accounts=INSTAGRAM))  # only CASE-2 has it
    assert "no account" in caught.value.errors["accounts"]
    assert counts() == before


def test_a_reviewer_may_not_add_review_or_retract(db, reviewer, counts):
    before = counts()
    with pytest.raises(PermissionDenied):
        authorisations.add_authorisation(db, reviewer, CASE, _given())
    with pytest.raises(PermissionDenied):
        authorisations.review_authorisation(db, reviewer, CASE, "AUTH-0001", {"review_date": "2099-06-30"}, "ok")
    with pytest.raises(PermissionDenied):
        authorisations.retract_authorisation(db, reviewer, CASE, "AUTH-0001", "mistake")
    assert counts() == before
    # but a reviewer member may read them
    assert authorisations.list_authorisations(db, reviewer, CASE)["code"].tolist() == ["AUTH-0001"]


def test_a_non_member_is_told_the_case_does_not_exist(db, analyst2, counts):
    before = counts()
    with pytest.raises(NotFound, match="Case CASE-1 not found"):
        authorisations.add_authorisation(db, analyst2, CASE, _given())
    with pytest.raises(NotFound):
        authorisations.list_authorisations(db, analyst2, CASE)
    with pytest.raises(NotFound):
        authorisations.history(db, analyst2, CASE, "AUTH-0001")
    assert counts() == before


# --- review and retract ----------------------------------------------------------------------------


def test_a_review_adds_a_version_with_its_reason_keeping_the_other_fields(db, analyst, accounts):
    code = authorisations.add_authorisation(
        db, analyst, CASE, _given(authorised_on="2025-01-10", review_date="2025-04-10", platforms="TikTok")
    )
    reason = "Reviewed with the team manager: still necessary and proportionate."
    assert (
        authorisations.review_authorisation(db, analyst, CASE, code.lower(), {"review_date": "2025-07-10"}, reason)
        == code
    )
    first, second = _versions(db, code)
    assert second["version"] == 2
    assert second["review_date"] == "2025-07-10"
    assert second["change_reason"] == reason
    assert second["retracted"] == 0
    kept = (
        "purpose",
        "lawful_basis",
        "authorised_by",
        "authorised_on",
        "ends_on",
        "platforms",
        "accounts",
        "reference",
    )
    assert {k: second[k] for k in kept} == {k: first[k] for k in kept}
    history = authorisations.history(db, analyst, CASE, code)
    assert history["version"].tolist() == [1, 2]
    assert history["review_date"].tolist() == ["2025-04-10", "2025-07-10"]
    assert history["change_reason"].tolist() == ["", reason]
    current = authorisations.list_authorisations(db, analyst, CASE).set_index("code").loc[code]
    assert (current["version"], current["review_date"]) == (2, "2025-07-10")


def test_a_review_may_end_it_or_change_its_scope(db, analyst, accounts):
    code = authorisations.add_authorisation(db, analyst, CASE, _given(authorised_on="2025-01-10", platforms="TikTok"))
    authorisations.review_authorisation(
        db, analyst, CASE, code, {"ends_on": "2025-06-30", "platforms": "", "accounts": "AC-0001"}, "Narrowed."
    )
    latest = _versions(db, code)[-1]
    assert (latest["ends_on"], latest["platforms"], latest["accounts"]) == ("2025-06-30", "[]", '["AC-0001"]')
    assert latest["review_date"] == TEMPLATE_AUTHORISATION["review_date"]


def test_a_review_that_changes_nothing_is_refused(db, analyst, counts):
    before = counts()
    with pytest.raises(ValidationError) as caught:
        authorisations.review_authorisation(
            db, analyst, CASE, "AUTH-0001", {"review_date": TEMPLATE_AUTHORISATION["review_date"]}, "Looked again."
        )
    assert "nothing was changed" in caught.value.errors["review_date"]
    with pytest.raises(ValidationError):
        authorisations.review_authorisation(db, analyst, CASE, "AUTH-0001", {}, "Looked again.")
    assert counts() == before


def test_a_review_needs_a_reason_and_good_fields_and_names_them_all(db, analyst, counts):
    before = counts()
    with pytest.raises(ValidationError) as caught:
        authorisations.review_authorisation(
            db, analyst, CASE, "AUTH-0001", {"review_date": "1999-12-31", "ends_on": "never"}, "  "
        )
    assert set(caught.value.errors) == {"reason", "review_date", "ends_on"}
    assert "on or after" in caught.value.errors["review_date"]
    assert counts() == before


def test_a_review_of_a_version_someone_else_changed_is_a_conflict(db, analyst, counts):
    authorisations.review_authorisation(db, analyst, CASE, "AUTH-0001", {"review_date": "2098-01-01"}, "First.")
    before = counts()
    with pytest.raises(Conflict, match="changed since you opened it"):
        authorisations.review_authorisation(
            db, analyst, CASE, "AUTH-0001", {"review_date": "2097-01-01"}, "Second.", expected_version=1
        )
    assert counts() == before
    authorisations.review_authorisation(
        db, analyst, CASE, "AUTH-0001", {"review_date": "2097-01-01"}, "Second.", expected_version=2
    )
    assert [v["version"] for v in _versions(db, "AUTH-0001")] == [1, 2, 3]


def test_an_unknown_code_is_not_found(db, analyst):
    with pytest.raises(NotFound):
        authorisations.review_authorisation(db, analyst, CASE, "AUTH-0099", {"review_date": "2098-01-01"}, "x")
    with pytest.raises(NotFound):
        authorisations.history(db, analyst, CASE, "AUTH-0099")


def test_retracting_adds_a_retracted_version_and_then_nothing_may_change(db, analyst, counts):
    assert (
        authorisations.retract_authorisation(db, analyst, CASE, "AUTH-0001", "Recorded in the wrong case.")
        == "AUTH-0001"
    )
    first, second = _versions(db, "AUTH-0001")
    assert (second["version"], second["retracted"], second["change_reason"]) == (2, 1, "Recorded in the wrong case.")
    assert second["review_date"] == first["review_date"]
    assert authorisations.list_authorisations(db, analyst, CASE).empty
    listed = authorisations.list_authorisations(db, analyst, CASE, include_retracted=True)
    assert listed[["code", "retracted", "in_force", "review_overdue"]].values.tolist() == [
        ["AUTH-0001", True, False, False]
    ]
    before = counts()
    with pytest.raises(Conflict, match="retracted"):
        authorisations.review_authorisation(db, analyst, CASE, "AUTH-0001", {"review_date": "2098-01-01"}, "x")
    with pytest.raises(Conflict):
        authorisations.retract_authorisation(db, analyst, CASE, "AUTH-0001", "again")
    with pytest.raises(ValidationError):
        authorisations.retract_authorisation(db, analyst, CASE, "AUTH-0001", " ")
    assert counts() == before


# --- coverage --------------------------------------------------------------------------------------


def _record_flagged(db, analyst, observation_input, reference: str = BARE, **overrides):
    return observations.record(db, analyst, reference, observation_input(unauthorised_reason=REASON, **overrides))


def _flags(db, actor, reference: str = BARE) -> dict[str, bool]:
    frame = observations.list_observations(db, actor, reference)
    return dict(zip(frame["code"], frame["unauthorised"].tolist(), strict=True))


@pytest.mark.parametrize(
    ("scope", "account", "covered"),
    [
        ({}, "AC-0001", True),
        ({}, "", True),  # the whole case covers an observation naming no account
        ({"platforms": "Instagram"}, "AC-0001", True),
        ({"platforms": "Instagram"}, "AC-0002", False),
        ({"platforms": "Instagram"}, "", False),  # naming no account: only a whole-case one covers it
        ({"accounts": "AC-0002"}, "AC-0002", True),
        ({"accounts": "AC-0002"}, "AC-0001", False),
        ({"accounts": "AC-0002"}, "", False),
        ({"platforms": "Instagram", "accounts": "AC-0002"}, "AC-0002", True),
        ({"platforms": "Instagram", "accounts": "AC-0002"}, "AC-0001", True),
        ({"platforms": "Snapchat"}, "AC-0001", False),
    ],
)
def test_what_an_authorisation_covers(db, analyst, bare, observation_input, scope, account, covered):
    code = _record_flagged(db, analyst, observation_input, account=account).code
    assert _flags(db, analyst) == {code: True}
    authorisations.add_authorisation(db, analyst, BARE, _given(**scope))
    assert _flags(db, analyst) == {code: not covered}
    assert observations.view(db, analyst, BARE, code).unauthorised is (not covered)


@pytest.mark.parametrize(
    ("observed_at", "dates", "covered"),
    [
        ("2025-03-14 10:30", {"authorised_on": "2025-03-14"}, True),  # from the day it was authorised
        ("2025-03-14 10:30", {"authorised_on": "2025-03-15", "review_date": "2025-06-01"}, False),
        ("2025-03-14 10:30", {"authorised_on": "2025-01-01", "ends_on": "2025-03-14"}, True),  # to its last day
        ("2025-03-14 10:30", {"authorised_on": "2025-01-01", "ends_on": "2025-03-13"}, False),
        # 23:30 UTC in summer is 00:30 the next day in London
        ("2025-06-30T23:30:00Z", {"authorised_on": "2025-07-01", "review_date": "2025-09-01"}, True),
        ("2025-06-30T23:30:00Z", {"authorised_on": "2025-01-01", "ends_on": "2025-06-30"}, False),
        ("2025-06-30T22:59:00Z", {"authorised_on": "2025-07-01", "review_date": "2025-09-01"}, False),
        ("2025-06-30T22:59:00Z", {"authorised_on": "2025-01-01", "ends_on": "2025-06-30"}, True),
        # in winter London is UTC: 23:30 UTC is still the same day
        ("2025-01-31T23:30:00Z", {"authorised_on": "2025-02-01", "review_date": "2025-03-01"}, False),
        ("2025-01-31T23:30:00Z", {"authorised_on": "2025-01-01", "ends_on": "2025-01-31"}, True),
    ],
)
def test_an_authorisation_covers_the_london_days_from_authorised_on_to_ends_on(
    db, analyst, bare, observation_input, observed_at, dates, covered
):
    code = _record_flagged(db, analyst, observation_input, account="AC-0001", observed_at=observed_at).code
    authorisations.add_authorisation(db, analyst, BARE, _given(**dates))
    assert _flags(db, analyst) == {code: not covered}


def test_seen_day_is_the_london_day():
    assert authorisations.seen_day("2025-06-30T23:30:00Z") == "2025-07-01"
    assert authorisations.seen_day("2025-06-30T22:59:59Z") == "2025-06-30"
    assert authorisations.seen_day("2025-01-31T23:30:00Z") == "2025-01-31"


def test_a_retracted_authorisation_covers_nothing(db, analyst, observation_input):
    code = observations.record(db, analyst, CASE, observation_input()).code
    assert _flags(db, analyst, CASE) == {code: False}
    authorisations.retract_authorisation(db, analyst, CASE, "AUTH-0001", "Recorded in error.")
    assert _flags(db, analyst, CASE) == {code: True}
    assert observations.view(db, analyst, CASE, code).unauthorised is True
    assert cases.overview(db, analyst, CASE).unauthorised == [code]


def test_an_ended_review_keeps_what_it_covered_before_it_ended(db, analyst, bare, observation_input):
    early = _record_flagged(db, analyst, observation_input, account="AC-0001", observed_at="2025-03-14 10:30").code
    late = _record_flagged(db, analyst, observation_input, account="AC-0001", observed_at="2025-05-02 10:30").code
    code = authorisations.add_authorisation(db, analyst, BARE, _given(authorised_on="2025-03-01"))
    assert _flags(db, analyst) == {early: False, late: False}
    authorisations.review_authorisation(db, analyst, BARE, code, {"ends_on": "2025-04-30"}, "Ended at review.")
    assert _flags(db, analyst) == {early: False, late: True}


def test_one_of_several_authorisations_is_enough(db, analyst, bare, observation_input):
    insta = _record_flagged(db, analyst, observation_input, account="AC-0001").code
    tiktok = _record_flagged(db, analyst, observation_input, account="AC-0002").code
    authorisations.add_authorisation(db, analyst, BARE, _given(platforms="Instagram"))
    authorisations.add_authorisation(db, analyst, BARE, _given(accounts=TIKTOK))
    assert _flags(db, analyst) == {insta: False, tiktok: False}


def test_an_account_whose_platform_was_typed_in_another_letter_case_is_covered_by_its_platform(
    db, analyst, bare, observation_input
):
    people.add_account(db, analyst, BARE, "instagram", "@fiction.three", person="P-0001")  # AC-0003
    code = _record_flagged(db, analyst, observation_input, account="AC-0003").code
    authorisations.add_authorisation(db, analyst, BARE, _given(platforms="Instagram"))
    assert _flags(db, analyst) == {code: False}


# --- recording what no authorisation covers ---------------------------------------------------------


def test_recording_what_no_authorisation_covers_is_refused_without_a_reason(
    db, analyst, bare, observation_input, counts
):
    before = counts()
    with pytest.raises(ValidationError) as caught:
        observations.record(db, analyst, BARE, observation_input(account="AC-0001"))
    assert set(caught.value.errors) == {"unauthorised_reason"}
    message = caught.value.errors["unauthorised_reason"]
    assert message.startswith("is required: no research authorisation in this case covers Instagram account")
    assert INSTAGRAM in message and "on 2025-03-14" in message
    assert "say why it is recorded without one" in message
    with pytest.raises(ValidationError) as caught:
        observations.record(db, analyst, BARE, observation_input(unauthorised_reason="   "))
    assert "an observation naming no account" in caught.value.errors["unauthorised_reason"]
    assert counts() == before


def test_with_a_reason_it_is_recorded_and_flagged(db, analyst, bare, observation_input):
    recorded = observations.record(
        db, analyst, BARE, observation_input(account="AC-0001", unauthorised_reason=f"  {REASON} ")
    )
    assert recorded.unauthorised_reason == REASON
    assert recorded.as_input()["unauthorised_reason"] == REASON
    listed = observations.list_observations(db, analyst, BARE)
    assert listed[["code", "unauthorised", "unauthorised_reason"]].values.tolist() == [[recorded.code, True, REASON]]
    assert listed["unauthorised"].dtype == bool
    opened = observations.view(db, analyst, BARE, recorded.code)
    assert opened.unauthorised is True
    assert opened.current.unauthorised_reason == REASON
    shown = observations.for_display(listed)
    assert shown["Authorisation"].tolist() == ["RECORDED WITHOUT"]
    assert cases.overview(db, analyst, BARE).unauthorised == [recorded.code]


def test_a_reason_given_for_a_covered_observation_is_not_kept(db, analyst, observation_input):
    recorded = observations.record(db, analyst, CASE, observation_input(unauthorised_reason="Just in case."))
    assert recorded.unauthorised_reason == ""
    stored = db.execute("SELECT unauthorised_reason FROM observation_versions").fetchall()
    assert stored == [("",)]
    assert _flags(db, analyst, CASE) == {recorded.code: False}
    assert observations.view(db, analyst, CASE, recorded.code).unauthorised is False
    assert observations.for_display(observations.list_observations(db, analyst, CASE))["Authorisation"].tolist() == [""]


def test_an_authorisation_recorded_later_and_dated_back_clears_the_flag(db, analyst, bare, observation_input):
    code = _record_flagged(db, analyst, observation_input, account="AC-0001").code
    assert observations.view(db, analyst, BARE, code).unauthorised is True
    authorisations.add_authorisation(db, analyst, BARE, _given(authorised_on="2025-03-01", accounts="AC-0001"))
    opened = observations.view(db, analyst, BARE, code)
    assert opened.unauthorised is False
    assert opened.current.unauthorised_reason == REASON  # what the recorder said stays on record
    assert _flags(db, analyst) == {code: False}
    assert cases.overview(db, analyst, BARE).unauthorised == []
    # an authorisation given after the day it was seen does not clear it
    later = _record_flagged(db, analyst, observation_input, account="AC-0002", observed_at="2025-02-01 09:00").code
    assert _flags(db, analyst)[later] is True


def test_amending_keeps_the_reason_and_does_not_drop_it_silently(db, analyst, bare, observation_input):
    recorded = _record_flagged(db, analyst, observation_input, account="AC-0001")
    amended = observations.amend(
        db, analyst, BARE, recorded.code, recorded.as_input() | {"summary": "Bio states age 19 (corrected)"}, "Typo."
    )
    assert (amended.version, amended.unauthorised_reason) == (2, REASON)
    assert observations.view(db, analyst, BARE, recorded.code).unauthorised is True
    without = amended.as_input() | {"unauthorised_reason": "", "summary": "Bio states age 19 again"}
    with pytest.raises(ValidationError) as caught:
        observations.amend(db, analyst, BARE, recorded.code, without, "Dropping the reason.")
    assert set(caught.value.errors) == {"unauthorised_reason"}


def test_amending_once_covered_drops_the_reason(db, analyst, bare, observation_input):
    recorded = _record_flagged(db, analyst, observation_input, account="AC-0001")
    authorisations.add_authorisation(db, analyst, BARE, _given())
    amended = observations.amend(db, analyst, BARE, recorded.code, recorded.as_input() | {"summary": "Changed"}, "Fix.")
    assert amended.unauthorised_reason == ""


# --- importing -------------------------------------------------------------------------------------


def test_an_import_records_uncovered_rows_with_the_standard_reason_and_says_which(db, analyst, bare, observation_input):
    authorisations.add_authorisation(db, analyst, BARE, _given(platforms="Instagram"))
    data = rows_csv(
        [
            import_row(observation_input, account="AC-0001"),
            import_row(observation_input, account="AC-0002"),
            import_row(
                observation_input, account="", unauthorised_reason="Supplied by the police; no research involved."
            ),
            import_row(observation_input, account="AC-0001", unauthorised_reason="Not needed: covered."),
        ]
    )
    result = observations.import_csv(db, analyst, BARE, data)
    assert result.codes == ["OBS-0001", "OBS-0002", "OBS-0003", "OBS-0004"]
    assert result.unauthorised == ["OBS-0002", "OBS-0003"]
    assert result.repeated_viewing == []
    listed = observations.list_observations(db, analyst, BARE)
    assert listed[["code", "unauthorised", "unauthorised_reason"]].values.tolist() == [
        ["OBS-0001", False, ""],
        ["OBS-0002", True, authorisations.IMPORT_REASON],
        ["OBS-0003", True, "Supplied by the police; no research involved."],  # the file's own reason is kept
        ["OBS-0004", False, ""],  # a reason for a covered row is not kept
    ]
    [warning] = result.warnings
    assert warning.startswith("2 observation(s) recorded without authorisation (OBS-0002, OBS-0003)")
    assert "no research authorisation in this case covered" in warning


def test_an_import_that_is_all_covered_warns_of_nothing(db, analyst, observation_input):
    result = observations.import_csv(
        db, analyst, CASE, rows_csv([import_row(observation_input), import_row(observation_input)])
    )
    assert (result.count, result.unauthorised, result.repeated_viewing, result.warnings) == (2, [], [], [])


def test_import_warnings_list_at_most_twenty_codes(db, analyst, bare, observation_input):
    result = observations.import_csv(db, analyst, BARE, rows_csv([import_row(observation_input) for _ in range(22)]))
    assert len(result.unauthorised) == 22
    [warning] = result.warnings
    assert warning.startswith("22 observation(s) recorded without authorisation (OBS-0001, ")
    assert "OBS-0020, …)" in warning and "OBS-0021" not in warning


# --- the state of a case's authorisations ------------------------------------------------------------


def _frame(db, reference: str = CASE, today: date | None = None):
    return authorisations.authorisations_frame(db, _case_id(db, reference), today=today)


def test_state_text_when_all_is_well(db):
    frame = _frame(db)
    assert authorisations.state_text(frame) == ""
    assert authorisations.reviews_due(frame).empty


def test_state_text_and_reviews_due_when_a_review_is_overdue(db, analyst):
    authorisations.add_authorisation(db, analyst, CASE, _given(authorised_on="2024-01-01", review_date="2024-06-01"))
    authorisations.add_authorisation(db, analyst, CASE, _given(authorised_on="2024-01-01", review_date=_day(-1)))
    frame = _frame(db)
    assert authorisations.state_text(frame) == "review overdue (AUTH-0002, AUTH-0003)"
    assert authorisations.reviews_due(frame)["code"].tolist() == ["AUTH-0002", "AUTH-0003"]
    authorisations.review_authorisation(db, analyst, CASE, "AUTH-0002", {"review_date": _day(0)}, "Reviewed today.")
    assert authorisations.state_text(_frame(db)) == "review overdue (AUTH-0003)"  # due today is not overdue


def test_the_review_is_overdue_from_the_day_after_the_review_date(db):
    day = date.fromisoformat(TEMPLATE_AUTHORISATION["review_date"])
    assert authorisations.state_text(_frame(db, today=day)) == ""
    assert authorisations.state_text(_frame(db, today=day + timedelta(days=1))) == "review overdue (AUTH-0001)"


def test_state_text_when_none_is_in_force(db, analyst, bare):
    assert authorisations.state_text(_frame(db, BARE)) == "none in force"
    authorisations.add_authorisation(db, analyst, BARE, _given(authorised_on="2024-01-01", ends_on="2024-12-31"))
    frame = _frame(db, BARE)
    assert authorisations.state_text(frame) == "none in force"  # ended: nothing to review either
    assert authorisations.reviews_due(frame).empty
    authorisations.add_authorisation(db, analyst, BARE, _given(review_date="2001-01-01"))
    authorisations.retract_authorisation(db, analyst, BARE, "AUTH-0002", "Wrong case.")
    assert authorisations.state_text(_frame(db, BARE)) == "none in force"
    retracted = authorisations.authorisations_frame(db, _case_id(db, BARE), include_retracted=True)
    assert authorisations.reviews_due(retracted).empty


def test_the_cases_list_says_the_state_of_each_case(db, analyst, bare):
    cases.create_case(db, access.SYSTEM, "CASE-3", "Overdue test case", lead="analyst")
    authorisations.add_authorisation(
        db, analyst, "CASE-3", _given(authorised_on="2024-01-01", review_date="2024-02-01")
    )
    listed = cases.list_cases(db, analyst).set_index("reference")["authorisation"].to_dict()
    assert listed == {CASE: "", BARE: "none in force", "CASE-3": "review overdue (AUTH-0001)"}


def test_the_overview_holds_the_authorisations_not_retracted_and_what_none_covers(db, analyst, bare, observation_input):
    code = _record_flagged(db, analyst, observation_input, account="AC-0002").code
    authorisations.add_authorisation(db, analyst, BARE, _given(platforms="Instagram"))
    authorisations.add_authorisation(db, analyst, BARE, _given(platforms="Snapchat"))
    authorisations.retract_authorisation(db, analyst, BARE, "AUTH-0002", "Wrong platform.")
    overview = cases.overview(db, analyst, BARE)
    assert overview.authorisations["code"].tolist() == ["AUTH-0001"]
    assert list(overview.authorisations.columns) == authorisations.COLUMNS
    assert overview.unauthorised == [code]
    retracted = observations.record(
        db,
        analyst,
        BARE,
        observation_input(account="AC-0002", unauthorised_reason=REASON, observed_at="2025-03-15 10:00"),
    ).code
    observations.retract(db, analyst, BARE, retracted, "Duplicate.")
    assert cases.overview(db, analyst, BARE).unauthorised == [code]  # a retracted observation is not listed


# --- audit and storage -------------------------------------------------------------------------------


def test_every_step_leaves_its_audit_event(db, analyst, accounts):
    code = authorisations.add_authorisation(db, analyst, CASE, _given(platforms="instagram", accounts="AC-0002"))
    [created] = [e for e in _events(db, "authorisation.create") if e["item_code"] == code]
    assert (created["username"], created["case_ref"]) == ("analyst", CASE)
    assert created["details"] == {"review_date": "2099-12-31", "scope": "Instagram, AC-0002"}

    authorisations.review_authorisation(db, analyst, CASE, code, {"review_date": "2099-01-31"}, "Sooner review.")
    [reviewed] = _events(db, "authorisation.review")
    assert (reviewed["item_code"], reviewed["case_ref"], reviewed["justification"]) == (code, CASE, "Sooner review.")
    assert reviewed["details"] == {"version": 2, "changed": ["review_date"], "review_date": "2099-01-31"}

    authorisations.list_authorisations(db, analyst, CASE)
    [listed] = _events(db, "authorisation.list")
    assert (listed["case_ref"], listed["details"]) == (CASE, {"rows": 2})

    authorisations.history(db, analyst, CASE, code)
    [viewed] = _events(db, "authorisation.view")
    assert (viewed["case_ref"], viewed["item_code"]) == (CASE, code)

    authorisations.retract_authorisation(db, analyst, CASE, code, "Recorded in error.")
    [retracted] = _events(db, "authorisation.retract")
    assert (retracted["item_code"], retracted["justification"], retracted["details"]) == (
        code, "Recorded in error.", {"version": 3},
    )  # fmt: skip


def test_a_refused_add_or_review_leaves_no_event(db, analyst):
    before = len(_events(db, "authorisation.create")), len(_events(db, "authorisation.review"))
    with pytest.raises(ValidationError):
        authorisations.add_authorisation(db, analyst, CASE, _given(review_date=""))
    with pytest.raises(ValidationError):
        authorisations.review_authorisation(db, analyst, CASE, "AUTH-0001", {}, "nothing")
    assert (len(_events(db, "authorisation.create")), len(_events(db, "authorisation.review"))) == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE authorisations SET code = 'AUTH-0009'",
        "DELETE FROM authorisations",
        "UPDATE authorisation_versions SET review_date = '2100-01-01'",
        "UPDATE authorisation_versions SET retracted = 1",
        "DELETE FROM authorisation_versions",
    ],
)
def test_authorisations_are_append_only(db, statement):
    before = _versions(db, "AUTH-0001")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute(statement)
    assert _versions(db, "AUTH-0001") == before

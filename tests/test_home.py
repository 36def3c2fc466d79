"""A user's home across the cases they are a member of: one row per case (their part, the counts),
the immediate-risk items the police have not been told of (until a done police-informed action with
a reference covers them), the actions still to do whose due date has passed, and the authorisations
in force to review now or within 14 days. Cases the user is not a member of never appear, whoever
they are; each case read leaves its own `case.home` event."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.conftest import CASE, TEMPLATE_AUTHORISATION, authorised_case
from workbench import access, actions, authorisations, cases, home, observations
from workbench.errors import ValidationError

MINE, SHARED, OTHERS = "CASE-2", "CASE-3", "CASE-4"


def _day(offset: int) -> str:
    return (authorisations.today_london() + timedelta(days=offset)).isoformat()


def _events(db, action: str = "case.home") -> list[dict]:
    rows = db.query("SELECT * FROM audit_events WHERE action = ? ORDER BY seq", (action,))
    return [row | {"details": json.loads(row["details"])} for row in rows]


def _risk(db, actor, observation_input, reference: str, summary: str = "Arranged to meet an adult tonight") -> str:
    given = observation_input(summary=summary, immediate_risk=True, observed_at="2025-06-01 09:00")
    return observations.record(db, actor, reference, given).code


@pytest.fixture
def world_of_cases(db, analyst, analyst2):
    """CASE-1 (analyst leads), CASE-2 (analyst leads), CASE-3 (analyst2 leads, analyst a member),
    CASE-4 (analyst2 leads; analyst is no member). Each authorised as the template is."""
    authorised_case(db, MINE, "Second case")
    authorised_case(db, SHARED, "Shared case", lead="analyst2")
    cases.add_member(db, access.SYSTEM, SHARED, "analyst", "analyst")
    authorised_case(db, OTHERS, "Someone else's case", lead="analyst2")


def test_one_row_per_case_of_which_the_user_is_a_member_with_their_part(db, analyst, world_of_cases):
    mine = home.home(db, analyst)
    assert list(mine.cases.columns) == home.CASE_COLUMNS
    rows = mine.cases.set_index("reference")
    assert sorted(rows.index) == [CASE, MINE, SHARED]
    assert rows["my_role"].to_dict() == {CASE: "lead", MINE: "lead", SHARED: "analyst"}
    assert rows.loc[SHARED, "title"] == "Shared case"
    assert rows["status"].tolist() == ["open"] * 3
    assert rows[["awaiting_police", "overdue_actions", "outstanding_actions"]].sum().tolist() == [0, 0, 0]
    assert rows["authorisation"].tolist() == ["", "", ""]
    assert (mine.awaiting_police.empty, mine.overdue_actions.empty, mine.reviews.empty) == (True, True, True)


def test_the_counts_of_each_case(db, analyst, analyst2, world_of_cases, observation_input):
    _risk(db, analyst, observation_input, CASE)
    _risk(db, analyst, observation_input, CASE, "Shared live location with an adult")
    actions.add_action(db, analyst, MINE, {"kind": "dsl_informed", "due_date": _day(-1)})
    actions.add_action(db, analyst, MINE, {"kind": "referral_made", "due_date": _day(0)})  # due today: not overdue
    actions.add_action(db, analyst, MINE, {"kind": "safety_plan_considered"})
    actions.add_action(db, analyst2, SHARED, {"kind": "dsl_informed", "due_date": _day(-3)})
    rows = home.home(db, analyst).cases.set_index("reference")
    assert rows.loc[CASE, ["awaiting_police", "overdue_actions", "outstanding_actions"]].tolist() == [2, 0, 0]
    assert rows.loc[MINE, ["awaiting_police", "overdue_actions", "outstanding_actions"]].tolist() == [0, 1, 3]
    assert rows.loc[SHARED, ["awaiting_police", "overdue_actions", "outstanding_actions"]].tolist() == [0, 1, 1]


def test_an_immediate_risk_waits_until_a_done_police_action_with_a_reference_covers_it(
    db, analyst, world_of_cases, observation_input
):
    code = _risk(db, analyst, observation_input, SHARED)
    waiting = home.home(db, analyst).awaiting_police
    assert list(waiting.columns) == home.RISK_COLUMNS
    assert waiting[["reference", "code", "summary"]].values.tolist() == [
        [SHARED, code, "Arranged to meet an adult tonight"]
    ]
    assert waiting.loc[0, "marked"]  # when it was marked, as people read it
    # to do, or done without the police's reference, does not clear it
    actions.add_action(db, analyst, SHARED, {"kind": "police_informed", "observation": code})
    with pytest.raises(ValidationError):
        actions.add_action(db, analyst, SHARED, {"kind": "police_informed", "observation": code, "status": "done"})
    assert home.home(db, analyst).awaiting_police["code"].tolist() == [code]
    actions.add_action(
        db,
        analyst,
        SHARED,
        {"kind": "police_informed", "observation": code, "done_at": "2025-06-01 09:20", "reference": "FIC-CAD-1"},
    )
    mine = home.home(db, analyst)
    assert mine.awaiting_police.empty
    assert mine.cases.set_index("reference").loc[SHARED, "awaiting_police"] == 0


def test_a_retracted_or_unmarked_risk_is_not_waiting(db, analyst, observation_input):
    code = _risk(db, analyst, observation_input, CASE)
    observations.retract(db, analyst, CASE, code, "Recorded in error.")
    assert home.home(db, analyst).awaiting_police.empty
    other = observations.view(db, analyst, CASE, _risk(db, analyst, observation_input, CASE, "Second")).current
    assert home.home(db, analyst).awaiting_police["code"].tolist() == [other.code]
    observations.amend(db, analyst, CASE, other.code, other.as_input() | {"immediate_risk": False}, "Not immediate.")
    assert home.home(db, analyst).awaiting_police.empty


def test_overdue_actions_are_those_still_to_do_whose_due_date_has_passed(
    db, analyst, world_of_cases, observation_input
):
    code = observations.record(db, analyst, MINE, observation_input()).code
    late = actions.add_action(
        db,
        analyst,
        MINE,
        {"kind": "reported_to_platform", "due_date": _day(-1), "observation": code, "note": "Report it"},
    )
    actions.add_action(db, analyst, MINE, {"kind": "dsl_informed", "due_date": _day(1)})
    done = actions.add_action(db, analyst, MINE, {"kind": "referral_made", "due_date": _day(-5)})
    actions.update_action(db, analyst, MINE, done, {"status": "done", "done_at": "2025-06-02"})
    dropped = actions.add_action(db, analyst, MINE, {"kind": "other", "note": "Check school", "due_date": _day(-2)})
    actions.retract_action(db, analyst, MINE, dropped, "Not needed.")
    overdue = home.home(db, analyst).overdue_actions
    assert list(overdue.columns) == home.ACTION_COLUMNS
    assert overdue.values.tolist() == [[MINE, late, "Reported to platform", _day(-1), code, "Report it"]]


def test_the_day_decides_what_is_overdue(db, analyst, world_of_cases):
    actions.add_action(db, analyst, MINE, {"kind": "dsl_informed", "due_date": "2025-06-10"})
    from datetime import date

    assert home.home(db, analyst, today=date(2025, 6, 10)).overdue_actions.empty
    assert len(home.home(db, analyst, today=date(2025, 6, 11)).overdue_actions) == 1


def test_reviews_overdue_and_within_14_days_but_not_beyond_nor_retracted_nor_ended(db, analyst, world_of_cases):
    def add(reference: str, **dates) -> str:
        return authorisations.add_authorisation(
            db, analyst, reference, {**TEMPLATE_AUTHORISATION, "authorised_on": "2024-01-01", **dates}
        )

    overdue = add(MINE, review_date=_day(-1), platforms="Instagram")
    soon = add(MINE, review_date=_day(14))
    add(MINE, review_date=_day(15))  # beyond the 14 days
    retracted = add(MINE, review_date=_day(-3))
    authorisations.retract_authorisation(db, analyst, MINE, retracted, "Recorded in error.")
    add(MINE, review_date="2024-06-01", ends_on="2024-12-31")  # ended: nothing to review
    today = add(SHARED, review_date=_day(0))
    reviews = home.home(db, analyst).reviews
    assert list(reviews.columns) == home.REVIEW_COLUMNS
    assert reviews[["reference", "code", "review_date", "overdue", "scope"]].values.tolist() == [
        [MINE, overdue, _day(-1), True, "Instagram"],
        [SHARED, today, _day(0), False, "the whole case"],  # due today: not yet overdue
        [MINE, soon, _day(14), False, "the whole case"],
    ]
    assert reviews["overdue"].map(type).tolist() == [bool, bool, bool]
    assert reviews.loc[0, "purpose"] == TEMPLATE_AUTHORISATION["purpose"]
    rows = home.home(db, analyst).cases.set_index("reference")["authorisation"]
    assert rows[MINE] == f"review overdue ({overdue})"
    assert rows[SHARED] == ""


def test_a_case_with_none_in_force_says_so(db, analyst):
    cases.create_case(db, access.SYSTEM, MINE, "Nothing authorised", lead="analyst")
    assert home.home(db, analyst).cases.set_index("reference").loc[MINE, "authorisation"] == "none in force"


def test_a_case_the_user_is_not_a_member_of_never_appears(db, analyst, analyst2, world_of_cases, observation_input):
    _risk(db, analyst2, observation_input, OTHERS)
    actions.add_action(db, analyst2, OTHERS, {"kind": "dsl_informed", "due_date": _day(-1)})
    authorisations.add_authorisation(
        db, analyst2, OTHERS, {**TEMPLATE_AUTHORISATION, "authorised_on": "2024-01-01", "review_date": _day(-1)}
    )
    mine = home.home(db, analyst)
    for frame in (mine.cases, mine.awaiting_police, mine.overdue_actions, mine.reviews):
        assert OTHERS not in frame["reference"].tolist()
    theirs = home.home(db, analyst2)
    assert theirs.awaiting_police["reference"].tolist() == [OTHERS]
    assert theirs.overdue_actions["reference"].tolist() == [OTHERS]
    assert theirs.reviews["reference"].tolist() == [OTHERS]
    assert sorted(theirs.cases["reference"]) == [SHARED, OTHERS]


def test_each_case_read_leaves_one_case_home_event(db, analyst, world_of_cases, observation_input):
    _risk(db, analyst, observation_input, MINE)
    before = len(_events(db))
    home.home(db, analyst)
    events = _events(db)[before:]
    assert sorted(e["case_ref"] for e in events) == [CASE, MINE, SHARED]
    assert {e["username"] for e in events} == {"analyst"}
    by_case = {e["case_ref"]: e["details"] for e in events}
    assert by_case[MINE] == {"awaiting_police": 1, "overdue_actions": 0, "reviews": 0}
    assert by_case[CASE] == {"awaiting_police": 0, "overdue_actions": 0, "reviews": 0}


def test_a_reviewer_member_sees_their_cases(db, reviewer, observation_input, analyst):
    _risk(db, analyst, observation_input, CASE)
    mine = home.home(db, reviewer)
    assert mine.cases[["reference", "my_role", "awaiting_police"]].values.tolist() == [[CASE, "reviewer", 1]]
    assert mine.awaiting_police["reference"].tolist() == [CASE]


def test_an_administrator_sees_only_the_cases_they_are_a_member_of(
    db, admin, analyst, world_of_cases, observation_input
):
    _risk(db, analyst, observation_input, CASE)
    before = len(_events(db))
    mine = home.home(db, admin)
    assert (mine.cases.empty, mine.awaiting_police.empty, mine.overdue_actions.empty, mine.reviews.empty) == (
        True, True, True, True,
    )  # fmt: skip
    assert list(mine.cases.columns) == home.CASE_COLUMNS
    assert len(_events(db)) == before  # no case was read
    cases.add_member(db, access.SYSTEM, SHARED, "admin", "analyst")
    member = home.home(db, admin)
    assert member.cases[["reference", "my_role"]].values.tolist() == [[SHARED, "analyst"]]
    assert member.awaiting_police.empty  # CASE-1's risk is not theirs to see
    assert [e["case_ref"] for e in _events(db)[before:]] == [SHARED]


def test_a_user_with_no_case_gets_empty_frames_with_their_columns(db, analyst2):
    mine = home.home(db, analyst2)
    assert mine.cases.empty
    assert list(mine.awaiting_police.columns) == home.RISK_COLUMNS
    assert list(mine.overdue_actions.columns) == home.ACTION_COLUMNS
    assert list(mine.reviews.columns) == home.REVIEW_COLUMNS


# --- an administrator who adds themselves shows on the lead's Home (issue 24, point 6) -----------


def test_an_administrator_who_adds_themselves_shows_on_the_lead_s_home(db, analyst, admin):
    assert home.home(db, analyst).self_added.empty
    cases.add_member(db, admin, CASE, "admin", "reviewer")
    notices = home.home(db, analyst).self_added
    assert list(notices.columns) == home.SELF_ADDED_COLUMNS
    [notice] = notices.to_dict("records")
    assert {k: notice[k] for k in ("reference", "username", "display_name", "administrator", "role")} == {
        "reference": CASE, "username": "admin", "display_name": "admin", "administrator": True, "role": "reviewer",
    }  # fmt: skip
    assert notice["added_at"].endswith("Z")


def test_only_the_lead_is_told(db, analyst, admin, reviewer):
    cases.add_member(db, admin, CASE, "admin", "analyst")
    assert home.home(db, reviewer).self_added.empty  # a member who is not the lead
    assert home.home(db, admin).self_added.empty  # nor the administrator about themselves


def test_an_administrator_added_by_someone_else_is_no_notice(db, analyst, admin):
    cases.add_member(db, access.SYSTEM, CASE, "admin", "analyst")
    cases.add_member(db, analyst, CASE, "analyst2", "analyst")
    assert home.home(db, analyst).self_added.empty


def test_the_notice_goes_when_they_leave_or_the_lead_sets_their_part(db, analyst, admin):
    cases.add_member(db, admin, CASE, "admin", "analyst")
    cases.remove_member(db, admin, CASE, "admin")
    assert home.home(db, analyst).self_added.empty
    cases.add_member(db, admin, CASE, "admin", "analyst")
    cases.add_member(db, analyst, CASE, "admin", "reviewer")  # the lead decided their part
    assert home.home(db, analyst).self_added.empty


def test_each_case_the_lead_leads_has_its_own_notice(db, analyst, admin, world_of_cases):
    for reference in (CASE, MINE, SHARED, OTHERS):
        cases.add_member(db, admin, reference, "admin", "analyst")
    # The analyst leads CASE-1 and CASE-2; CASE-3 and CASE-4 are analyst2's to hear about.
    assert sorted(home.home(db, analyst).self_added["reference"]) == [CASE, MINE]

"""Home, on the demo: the page a user lands on after signing in; their cases with their part and
counts; the authorisation whose review has passed; an immediate-risk item the police have not been
told of in red until a done police-informed action with a reference is recorded; an administrator
who is a member of no case sees no case content; what users typed is shown as typed."""

from __future__ import annotations

import pandas as pd

from tests.conftest import OBSERVATION_INPUT
from tests.pages.conftest import OUTSIDER, button, signed_in, texts
from workbench import actions, observations, users
from workbench.ui.safe import escape

CASE = "DEMO-001"
ANALYST, REVIEWER, ADMIN = "demo-analyst", "demo-reviewer", "demo-admin"
HOSTILE = "**bold** <b>x</b> [link](http://example.invalid)"
AWAITING = "item(s) marked IMMEDIATE RISK of significant harm with no record that the police were informed"


def _home(db, username: str = ANALYST):
    at = signed_in(db, username)
    assert not at.exception, at.exception
    return at


def _frame(at, column: str) -> pd.DataFrame:
    """The first table holding `column` (each of the page's tables has its own)."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def _actor(db, username: str = ANALYST):
    return users.user_by_name(db, username)


def _risk(db, summary: str = "Says she will meet an adult contact tonight (fictional)") -> str:
    given = {**OBSERVATION_INPUT, "summary": summary, "immediate_risk": True, "observed_at": "2026-11-20 18:00"}
    return observations.record(db, _actor(db), CASE, given).code


def _awaiting(at) -> list[str]:
    return [e.value for e in at.error if AWAITING in e.value]


def test_home_is_the_page_after_signing_in(db):
    at = _home(db)
    assert [t.value for t in at.title] == ["Home"]
    assert "Sam Okafor (demo analyst) · analyst" in texts(at)


def test_my_cases_lists_the_demo_case_with_my_part_and_its_state(db):
    at = _home(db)
    cases = _frame(at, "my_role")
    assert cases["reference"].tolist() == [CASE]
    row = cases.iloc[0]
    assert (row["my_role"], row["status"], row["authorisation"]) == ("lead", "open", "review overdue (AUTH-0001)")
    assert (row["awaiting_police"], row["overdue_actions"], row["outstanding_actions"]) == (0, 1, 2)
    assert not _awaiting(at)


def test_the_overdue_review_of_auth_0001_is_listed(db):
    reviews = _frame(_home(db), "review_date")
    assert reviews[["reference", "code", "review_date", "overdue", "scope"]].values.tolist() == [
        [CASE, "AUTH-0001", "20 Nov 2026", "OVERDUE", "the whole case"]
    ]


def test_the_overdue_action_is_listed_with_its_due_day(db):
    overdue = _frame(_home(db), "due_date")
    assert overdue[["reference", "code", "action", "due_date"]].values.tolist() == [
        [CASE, "ACT-0012", "Safety plan considered", "20 Nov 2026"]
    ]


def test_a_reviewer_member_sees_the_case_as_reviewer(db):
    cases = _frame(_home(db, REVIEWER), "my_role")
    assert cases[["reference", "my_role"]].values.tolist() == [[CASE, "reviewer"]]


def test_an_immediate_risk_shows_in_red_until_the_police_action_with_a_reference_is_recorded(db):
    at = _home(db)
    code = _risk(db)
    at.run()
    assert not at.exception
    [shown] = _awaiting(at)
    assert shown.startswith(f"{CASE}: 1 {AWAITING}")
    assert f"{code} · marked " in texts(at)
    assert "Says she will meet an adult contact tonight (fictional)" in texts(at)
    assert _frame(at, "my_role").iloc[0]["awaiting_police"] == 1
    assert [b for b in at.button if b.label == f"Record the police action in {CASE}"]

    actions.add_action(
        db,
        _actor(db),
        CASE,
        {"kind": "police_informed", "observation": code, "done_at": "2026-11-20 18:10", "reference": "DEMO-CAD-0999"},
    )
    at.run()
    assert not at.exception
    assert not _awaiting(at)
    assert code not in texts(at)
    assert _frame(at, "my_role").iloc[0]["awaiting_police"] == 0


def test_the_button_beside_the_risk_opens_the_actions_page(db):
    _risk(db)
    at = _home(db)
    button(at, f"Record the police action in {CASE}").click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Actions"]


def test_open_case_goes_to_the_case_overview(db):
    at = _home(db)
    assert at.selectbox(key="home_case").value == CASE
    button(at, "Open case").click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Case overview"]


def test_an_administrator_who_is_no_member_sees_the_notice_and_no_table(db):
    at = _home(db, ADMIN)
    assert [t.value for t in at.title] == ["Home"]
    [notice] = [i.value for i in at.info]
    assert notice.startswith("You are not a member of any case, so no case content is shown here.")
    assert "administrator" in notice
    assert not at.dataframe
    assert CASE not in texts(at).replace("Case: DEMO-001", "")  # the sidebar's chosen case aside
    assert not _awaiting(at)


def test_an_analyst_in_no_case_is_told_how_to_join_one(db, outsider):
    at = signed_in(db, OUTSIDER, case=None)
    assert not at.exception
    [notice] = [i.value for i in at.info]
    assert notice.startswith("You are not a member of any case yet.")
    assert not at.dataframe


def test_what_users_typed_is_shown_as_typed(db):
    actions.add_action(db, _actor(db), CASE, {"kind": "other", "note": HOSTILE, "due_date": "2026-11-01"})
    code = _risk(db, summary=f"Risk {HOSTILE}")
    at = _home(db)
    overdue = _frame(at, "due_date")
    assert HOSTILE in overdue["note"].tolist()
    assert f"{code} · marked " in texts(at) and f"Risk {HOSTILE}" in texts(at)
    rendered = [m.value for m in at.markdown] + [e.value for e in at.error] + [w.value for w in at.warning]
    rendered += [i.value for i in at.info] + [c.value for c in at.caption]
    assert not any(piece in value for value in rendered for piece in ("**bold**", "<b>", "[link]")), rendered
    assert escape(HOSTILE) != HOSTILE  # the pieces above would be rendered if they reached Markdown


# --- issue 24: an administrator who adds themselves shows on the lead's Home --------------------


def test_an_administrator_who_adds_themselves_shows_on_the_lead_s_home(db):
    from workbench import cases

    assert not _home(db).warning
    db.execute("UPDATE users SET display_name = ? WHERE username = ?", (HOSTILE, ADMIN))
    cases.add_member(db, _actor(db, ADMIN), CASE, ADMIN, "analyst")
    at = _home(db)
    [notice] = [w.value for w in at.warning]
    assert notice.startswith(
        escape(f"An administrator, {HOSTILE} ({ADMIN}), added themselves to {CASE} as analyst on ")
    )
    assert escape("remove them on Members") in notice
    # Shown to the lead only: not to the reviewer member, nor to the administrator.
    assert not _home(db, REVIEWER).warning
    assert not _home(db, ADMIN).warning

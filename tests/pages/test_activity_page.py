"""Activity: a case's audit trail for its lead and administrators; filters narrow it; each view is audited."""

import json

import pytest

from tests.pages.conftest import errors, signed_in
from workbench import access, activity, cases, users
from workbench.errors import NotFound

PAGE = "pages/activity.py"


def _events(at):
    return next(d.value for d in at.dataframe if "action" in d.value.columns)


def _case_seqs(db, reference: str = "DEMO-001", before: int | None = None) -> list[int]:
    sql = "SELECT seq FROM audit_events WHERE case_ref = ?"
    params: list = [reference]
    if before is not None:
        sql += " AND seq < ?"
        params.append(before)
    return [r[0] for r in db.execute(sql + " ORDER BY seq DESC", params)]


def _views(db, username: str) -> list[tuple[int, dict]]:
    return [
        (seq, json.loads(details or "{}"))
        for seq, details in db.execute(
            "SELECT seq, details FROM audit_events WHERE action = 'case.activity.view' AND case_ref = 'DEMO-001'"
            " AND username = ? ORDER BY seq",
            (username,),
        )
    ]


@pytest.mark.parametrize("username", ["demo-analyst", "demo-admin"])
def test_the_lead_and_the_administrator_see_the_cases_events(db, username):
    at = signed_in(db, username, page=PAGE)
    assert not at.exception
    assert not errors(at)
    events = _events(at)
    (view_seq, details), *_ = _views(db, username)
    # Everything the log held for DEMO-001 when the page read it, newest first.
    assert events["seq"].tolist() == _case_seqs(db, before=view_seq)
    assert len(events) > 0
    assert details["rows"] == len(events)
    assert {"case.create", "case.member.add"} <= set(events["action"])


def test_each_view_is_audited(db):
    at = signed_in(db, "demo-analyst", page=PAGE)
    assert len(_views(db, "demo-analyst")) == 1
    at.run()
    views = _views(db, "demo-analyst")
    assert len(views) == 2
    # The second view shows the first one.
    assert views[0][0] in _events(at)["seq"].tolist()


def test_the_user_filter_narrows_the_table(db):
    at = signed_in(db, "demo-analyst", page=PAGE)
    everything = len(_events(at))
    user_filter = at.selectbox(key="activity_user_DEMO-001")
    assert {"demo-analyst", "system"} <= set(user_filter.options)
    user_filter.set_value("system").run()
    assert not at.exception
    events = _events(at)
    assert 0 < len(events) < everything
    assert set(events["username"]) == {"system"}
    assert _views(db, "demo-analyst")[-1][1] == {"user": "system", "rows": len(events)}


def test_the_action_filter_narrows_the_table(db):
    at = signed_in(db, "demo-analyst", page=PAGE)
    everything = len(_events(at))
    at.selectbox(key="activity_action_DEMO-001").set_value("case.member.add").run()
    assert not at.exception
    events = _events(at)
    assert 0 < len(events) < everything
    assert set(events["action"]) == {"case.member.add"}
    expected = db.execute(
        "SELECT COUNT(*) FROM audit_events WHERE case_ref = 'DEMO-001' AND action = 'case.member.add'"
    ).fetchone()[0]
    assert len(events) == expected
    assert _views(db, "demo-analyst")[-1][1] == {"action": "case.member.add", "rows": expected}


def test_both_filters_together(db):
    at = signed_in(db, "demo-analyst", page=PAGE)
    at.selectbox(key="activity_user_DEMO-001").set_value("demo-analyst").run()
    at.selectbox(key="activity_action_DEMO-001").set_value("case.activity.view").run()
    events = _events(at)
    assert set(events["username"]) == {"demo-analyst"}
    assert set(events["action"]) == {"case.activity.view"}
    # The two views before this one: unfiltered, then by user.
    assert len(events) == 2


def test_a_missing_case_in_the_url_reads_not_found(db):
    at = signed_in(db, "demo-analyst", case="NOPE-1", page=PAGE)
    assert not at.exception
    assert "Case NOPE\\-1 not found" in errors(at)
    assert not db.execute("SELECT COUNT(*) FROM audit_events WHERE case_ref = 'NOPE-1'").fetchone()[0]


def test_a_case_led_by_someone_else_reads_the_same_and_shows_none_of_its_events(db, outsider):
    cases.create_case(db, access.SYSTEM, "OTHER-1", "Someone else's case", lead=outsider)
    at = signed_in(db, "demo-analyst", case="OTHER-1", page=PAGE)
    assert not at.exception
    assert "Case OTHER\\-1 not found" in errors(at)
    other = set(_case_seqs(db, "OTHER-1"))
    assert other
    assert not other & set(_events(at)["seq"])
    assert outsider not in set(_events(at)["username"])


# --- issue 24: metadata only for an administrator who is not a member; refused attempts ----------

DEMO_TITLE = "Online footprint review (demo)"


def _case_create_details(at) -> dict:
    events = _events(at)
    return json.loads(events[events["action"] == "case.create"]["details"].iloc[0])


def test_an_administrator_who_is_not_a_member_sees_metadata_only(db):
    at = signed_in(db, "demo-admin", page=PAGE)
    assert not at.exception
    assert any("not a member of this case" in i.value for i in at.info)
    assert _case_create_details(at)["title"] == activity.WITHHELD
    shown = "\n".join(_events(at)["details"].tolist() + _events(at)["justification"].tolist())
    assert DEMO_TITLE not in shown


def test_the_lead_sees_what_was_typed(db):
    at = signed_in(db, "demo-analyst", page=PAGE)
    assert not at.info
    assert _case_create_details(at)["title"] == DEMO_TITLE


def test_an_administrator_who_adds_themselves_sees_it_all(db):
    admin = users.user_by_name(db, "demo-admin")
    cases.add_member(db, admin, "DEMO-001", "demo-admin", "analyst")
    at = signed_in(db, "demo-admin", page=PAGE)
    assert not at.info
    assert _case_create_details(at)["title"] == DEMO_TITLE


def test_the_lead_sees_an_outsider_s_refused_attempt_in_the_case_s_activity(db, outsider):
    with pytest.raises(NotFound):
        cases.overview(db, users.user_by_name(db, outsider), "DEMO-001")
    events = _events(signed_in(db, "demo-analyst", page=PAGE))
    refused = events[events["action"] == "case.refused"]
    assert refused["username"].tolist() == [outsider]
    assert json.loads(refused["details"].iloc[0]) == {"reference": "DEMO-001", "right": "view"}


def test_administrators_list_refused_attempts_at_every_case(db, outsider):
    with pytest.raises(NotFound):
        cases.overview(db, users.user_by_name(db, outsider), "NOPE-1")
    at = signed_in(db, "demo-admin", page=PAGE)
    assert not [d for d in at.dataframe if "right" in d.value.columns], "read only when asked (it is audited)"
    at.toggle(key="activity_refused").set_value(True).run()
    assert not at.exception
    [listed] = [d.value for d in at.dataframe if "right" in d.value.columns]
    assert listed[["username", "case_ref", "reference", "right"]].values.tolist() == [[outsider, "", "NOPE-1", "view"]]


def test_the_lead_is_not_offered_the_list_of_every_refused_attempt(db):
    at = signed_in(db, "demo-analyst", page=PAGE)
    assert not [t for t in at.toggle if t.key == "activity_refused"]

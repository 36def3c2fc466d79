"""Actions: the table and the outstanding banner (also on the case overview and the timeline), recording
an action through the form (and refused fields named under their widgets), one action's history, update
and retract, what a reviewer may not do, the awaiting-police banner coming and going, and user text
shown literally."""

from __future__ import annotations

import copy
import time

import pandas as pd
from streamlit.testing.v1.element_tree import Block

from tests.conftest import OBSERVATION_INPUT
from tests.pages.conftest import button, errors, signed_in, texts
from workbench import actions, immediate_risk, observations, users
from workbench.timeutil import now_utc
from workbench.ui.safe import escape

PAGE = "pages/actions.py"
OVERVIEW = "pages/case_overview.py"
TIMELINE = "pages/timeline.py"
CASE = "DEMO-001"
ANALYST, REVIEWER = "demo-analyst", "demo-reviewer"
ADD = "action_add_0"
HOSTILE = "**bold** <b>x</b> [link](http://example.invalid)"
HOSTILE_PIECES = ("**bold**", "<b>", "[link]", "(http://example.invalid)")
WRITE_BUTTONS = ("Record action", "Save", "Retract action")
AWAITING = "item(s) marked IMMEDIATE RISK of significant harm with no record that the police were informed"


def _page(db, username: str = ANALYST, action: str | None = None, page: str = PAGE):
    at = signed_in(db, username, page=page)
    assert not at.exception, at.exception
    if action:
        at.selectbox(key="open_action").set_value(action).run()
        assert not at.exception, at.exception
    return at


def _case_id(db) -> int:
    return db.execute("SELECT id FROM cases WHERE reference = ?", (CASE,)).fetchone()[0]


def _actor(db, username: str = ANALYST):
    return users.user_by_name(db, username)


def _stored(db) -> pd.DataFrame:
    """The case's current actions as the domain computes them today."""
    return actions.actions_frame(db, _case_id(db))


def _table(at) -> pd.DataFrame:
    """The actions table (the page's first dataframe; its columns are the frame's own names)."""
    return at.dataframe[0].value


def _history(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "version" in d.value.columns)


def _action_rows(db) -> int:
    return db.execute("SELECT COUNT(*) FROM actions").fetchone()[0]


def _versions(db, code: str) -> list[tuple]:
    return db.execute(
        """SELECT v.version, v.status, v.retracted, v.change_reason FROM action_versions v
           JOIN actions a ON a.id = v.action_id WHERE a.code = ? ORDER BY v.version""",
        (code,),
    ).fetchall()


def _audit(db, action: str) -> list[tuple]:
    """The events of `action` after the demo was loaded (it updates the incidents' own actions)."""
    return db.execute(
        """SELECT username, item_code FROM audit_events WHERE action = ?
           AND seq > (SELECT MIN(seq) FROM audit_events WHERE action = 'action.create' AND item_code = 'ACT-0013')
           ORDER BY seq""",
        (action,),
    ).fetchall()


def _text_input(at, label: str):
    found = [t for t in at.text_input if t.label == label]
    assert len(found) == 1, [t.label for t in at.text_input]
    return found[0]


def _successes(at) -> list[str]:
    return [s.value for s in at.success]


def _error_under(at, key: str) -> str | None:
    """The error shown directly beneath the widget keyed `key`, if there is one."""
    nodes = [n for n in at.main if not isinstance(n, Block)]
    place = next(i for i, n in enumerate(nodes) if getattr(n, "key", None) == key)
    following = nodes[place + 1] if place + 1 < len(nodes) else None
    return following.value if following is not None and following.type == "error" else None


def _markdown_like(at) -> list[str]:
    """Every element value Streamlit renders as Markdown: user text must never reach these unescaped."""
    values = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "subheader", "title"):
        values += [str(e.value) for e in at.get(kind)]
    values += [e.label for e in at.expander]
    return values


def _banner_lines(outstanding: pd.DataFrame) -> str:
    return "\n".join(
        f"{row['code']} · {row['action']} · {actions.summary_line(row)}" for row in outstanding.to_dict("records")
    )


def _heading(outstanding: pd.DataFrame) -> str:
    overdue = int(outstanding["overdue"].sum())
    return f"{len(outstanding)} action(s) still to do" + (f", {overdue} OVERDUE" if overdue else "")


def _assert_outstanding_banner(at, db) -> pd.DataFrame:
    """The banner says what the domain's outstanding list says today: a warning when any is overdue."""
    expected = actions.outstanding(_stored(db))
    heading = _heading(expected)
    if expected["overdue"].any():
        assert heading in [w.value for w in at.warning]
        assert "OVERDUE" in heading
        assert heading not in [i.value for i in at.info]
    else:
        assert heading in [i.value for i in at.info]
        assert not [w.value for w in at.warning if "still to do" in w.value]
    assert _banner_lines(expected) in [t.value for t in at.text]
    return expected


def _risky_observation(db, summary: str = "Synthetic: stranger arranges to collect the child tonight") -> str:
    """A new immediate-risk observation, seen now: after ACT-0009 (which names no observation) was recorded,
    so that no police-informed action covers it yet."""
    told = db.execute("SELECT created_at FROM actions WHERE code = 'ACT-0009'").fetchone()[0]
    deadline = time.monotonic() + 3
    while now_utc() <= told and time.monotonic() < deadline:  # times are kept to the second
        time.sleep(0.05)
    given = copy.deepcopy(OBSERVATION_INPUT)
    del given["observed_at"]  # now
    given |= {"summary": summary, "immediate_risk": True}
    return observations.record(db, _actor(db), CASE, given).code


def _awaiting(at) -> list[str]:
    return [e.value for e in at.error if AWAITING in e.value]


def _record_through_form(at, **fields) -> None:
    """Fill the add form (kind, status, observation by selectbox/radio; the rest typed) and submit it."""
    if "kind" in fields:
        at.selectbox(key=f"{ADD}_kind").set_value(fields.pop("kind"))
    if "status" in fields:
        at.radio(key=f"{ADD}_status").set_value(fields.pop("status"))
    if "observation" in fields:
        at.selectbox(key=f"{ADD}_observation").set_value(fields.pop("observation"))
    for name, value in fields.items():
        at.text_input(key=f"{ADD}_{name}").input(value)
    button(at, "Record action").click().run()
    assert not at.exception, at.exception


# --- the table and the outstanding banner ----------------------------------------------------------


def test_the_table_lists_the_demo_actions_as_the_domain_does(db):
    at = _page(db)
    expected = _stored(db)
    # ACT-0001 to ACT-0008: the two image-sharing incidents' own (done or not applicable); then the demo's five.
    assert expected["code"].tolist() == [f"ACT-{n:04d}" for n in range(1, 14)]
    table = _table(at)
    assert table["code"].tolist() == expected["code"].tolist()
    for column in ("action", "state", "done", "done_by", "reference", "observation", "note", "recorded_by"):
        assert table[column].tolist() == expected[column].tolist(), column
    assert table["due"].tolist() == [actions.day_text(d) for d in expected["due_date"]]
    assert table["overdue"].tolist() == ["OVERDUE" if o else "" for o in expected["overdue"]]
    assert set(table["retracted"]) == {""}
    assert "13 of 13 actions." in [c.value for c in at.caption]
    assert [t.value for t in at.text][0] == CASE
    # ACT-0009 told the police of both demo items at immediate risk: no red banner.
    assert not _awaiting(at)


def test_the_outstanding_banner_lists_the_actions_still_to_do(db):
    at = _page(db)
    expected = _assert_outstanding_banner(at, db)
    assert set(expected["code"]) == {"ACT-0012", "ACT-0013"}
    assert "ACT-0009" not in _banner_lines(expected)


def test_an_overdue_action_turns_the_banner_into_a_warning_listed_first(db):
    code = actions.add_action(
        db, _actor(db), CASE, {"kind": "referral_made", "status": "to_do", "due_date": "2025-01-10"}
    )
    at = _page(db)
    expected = _assert_outstanding_banner(at, db)
    assert expected["code"].iloc[0] == code
    assert any("OVERDUE" in w.value for w in at.warning)
    banner = next(t.value for t in at.text if t.value.startswith(f"{code} · "))
    assert banner.splitlines()[0] == f"{code} · Referral made · To do, due 10 Jan 2025 (OVERDUE)"
    assert _table(at).set_index("code").loc[code, "overdue"] == "OVERDUE"


def test_with_nothing_overdue_the_banner_is_a_note_not_a_warning(db):
    actor = _actor(db)
    for code in actions.outstanding(_stored(db)).query("overdue")["code"]:
        actions.update_action(db, actor, CASE, code, {"status": "done"})
    actions.add_action(db, actor, CASE, {"kind": "referral_made", "status": "to_do", "due_date": "2199-12-31"})
    at = _page(db)
    expected = _assert_outstanding_banner(at, db)
    assert not expected["overdue"].any()
    assert not [w.value for w in at.warning if "still to do" in w.value]
    assert any(i.value.endswith("action(s) still to do") for i in at.info)


def test_with_nothing_to_do_there_is_no_outstanding_banner(db):
    actor = _actor(db)
    for code in actions.outstanding(_stored(db))["code"]:
        actions.update_action(db, actor, CASE, code, {"status": "done"})
    at = _page(db)
    assert not [v for v in [*at.warning, *at.info] if "still to do" in v.value]
    assert "13 of 13 actions." in [c.value for c in at.caption]


def test_the_status_filter_narrows_the_table(db):
    at = _page(db)
    at.multiselect[0].set_value(["to_do"]).run()
    assert not at.exception, at.exception
    table = _table(at)
    stored = _stored(db)
    assert table["code"].tolist() == stored[stored["status"] == "to_do"]["code"].tolist()
    assert set(table["state"]) == {"To do"}
    assert f"{len(table)} of 13 actions." in [c.value for c in at.caption]


def test_the_case_overview_shows_the_same_outstanding_banner(db):
    at = _page(db, page=OVERVIEW)
    _assert_outstanding_banner(at, db)


def test_the_timeline_shows_the_same_outstanding_banner(db):
    at = _page(db, page=TIMELINE)
    _assert_outstanding_banner(at, db)


# --- recording ---------------------------------------------------------------------------------------


def test_recording_a_done_police_informed_action_stores_it(db):
    before = _action_rows(db)
    at = _page(db)
    _record_through_form(
        at,
        kind="police_informed",
        status="done",
        observation="OBS-0031",
        note="Synthetic: follow-up call to the control room",
        done_at="2026-01-05 09:15",
        done_by="Synthetic Officer",
        reference="SYN-CAD-0001",
    )
    assert not errors(at)
    assert _action_rows(db) == before + 1
    row = db.execute(
        """SELECT a.code, v.version, v.kind, o.code, v.note, v.status, v.done_at, v.done_precision, v.done_by,
                  v.reference, v.due_date, v.retracted
           FROM actions a JOIN action_versions v ON v.action_id = a.id
           LEFT JOIN observations o ON o.id = v.observation_id ORDER BY v.id DESC LIMIT 1"""
    ).fetchone()
    assert tuple(row) == (
        "ACT-0014", 1, "police_informed", "OBS-0031", "Synthetic: follow-up call to the control room", "done",
        "2026-01-05T09:15:00Z", "exact", "Synthetic Officer", "SYN-CAD-0001", None, 0,
    )  # fmt: skip
    assert escape("Recorded ACT-0014.") in _successes(at)
    assert _audit(db, "action.create")[-1] == (ANALYST, "ACT-0014")
    shown = _table(at).set_index("code").loc["ACT-0014"]
    assert (shown["action"], shown["state"], shown["reference"]) == ("Police informed", "Done", "SYN-CAD-0001")
    # The next action starts from an empty form.
    assert at.text_input(key="action_add_1_reference").value == ""


def test_done_left_empty_means_now_by_the_person_recording(db):
    at = _page(db)
    started = now_utc()
    _record_through_form(at, kind="dsl_informed", status="done")
    assert escape("Recorded ACT-0014.") in _successes(at)
    done_at, done_by = db.execute(
        """SELECT v.done_at, v.done_by FROM action_versions v JOIN actions a ON a.id = v.action_id
           WHERE a.code = 'ACT-0014'"""
    ).fetchone()
    assert started <= done_at <= now_utc()
    assert done_by == _actor(db).display_name


def test_police_informed_done_without_a_reference_is_refused_under_the_reference(db):
    before, audited = _action_rows(db), _audit(db, "action.create")
    at = _page(db)
    _record_through_form(at, kind="police_informed", status="done", observation="OBS-0032")
    assert _action_rows(db) == before
    assert _audit(db, "action.create") == audited
    assert not _successes(at)
    assert "Please correct the following:" in errors(at)
    assert _error_under(at, f"{ADD}_reference") == escape(actions.POLICE_REFERENCE_NEEDED)
    assert _error_under(at, f"{ADD}_due") is None
    # What was chosen is still there to correct.
    assert at.selectbox(key=f"{ADD}_kind").value == "police_informed"
    assert at.radio(key=f"{ADD}_status").value == "done"
    assert at.selectbox(key=f"{ADD}_observation").value == "OBS-0032"


def test_a_bad_due_date_and_done_time_are_each_named_under_their_widget(db):
    before = _action_rows(db)
    at = _page(db)
    _record_through_form(at, kind="referral_made", status="to_do", due="20/11/2026", done_at="**soon**")
    assert _action_rows(db) == before
    assert not _successes(at)
    assert _error_under(at, f"{ADD}_due") == escape("must be a date as YYYY-MM-DD")
    done_error = _error_under(at, f"{ADD}_done_at")
    assert done_error == escape("'**soon**' is not a date; use 2026-03-14 or 2026-03-14 10:30")
    assert "**soon**" not in errors(at)  # user text in an error is escaped
    assert _error_under(at, f"{ADD}_reference") is None
    assert at.text_input(key=f"{ADD}_due").value == "20/11/2026"


def test_not_applicable_without_a_reason_is_refused_under_its_field(db):
    before = _action_rows(db)
    at = _page(db)
    _record_through_form(at, kind="report_remove_used", status="not_applicable")
    assert _action_rows(db) == before
    assert _error_under(at, f"{ADD}_status_reason") == escape("is required: say why this action does not apply")


def test_a_refusal_is_cleared_by_the_next_good_submit(db):
    at = _page(db)
    _record_through_form(at, kind="police_informed", status="done")
    assert _error_under(at, f"{ADD}_reference") is not None
    _record_through_form(at, reference="SYN-CAD-0002")
    assert escape("Recorded ACT-0014.") in _successes(at)
    assert not errors(at)
    assert _error_under(at, "action_add_1_reference") is None


# --- one action ----------------------------------------------------------------------------------------


def test_opening_an_action_shows_its_history(db):
    at = _page(db, action="ACT-0009")
    assert "ACT-0009 · Police informed" in [s.value for s in at.subheader]
    current = _stored(db).set_index("code").loc["ACT-0009"].to_dict()
    assert actions.summary_line(current) in [t.value for t in at.text]
    assert "ref DEMO-CAD-0412" in actions.summary_line(current)
    history = _history(at)
    assert history["version"].tolist() == [1]
    assert history["reference"].tolist() == ["DEMO-CAD-0412"]
    assert history["state"].tolist() == ["Done"]
    assert _audit(db, "action.view") == [(ANALYST, "ACT-0009")]


def test_updating_act_0004_to_done_adds_version_2(db):
    at = _page(db, action="ACT-0012")
    key = "action_update_ACT-0012_1"
    assert at.radio(key=f"{key}_status").value == "to_do"
    at.radio(key=f"{key}_status").set_value("done")
    at.text_input(key=f"{key}_done_at").input("2026-01-06")
    at.text_input(key=f"{key}_done_by").input("Synthetic Social Worker")
    _text_input(at, "Reason for the change").input("Plan agreed with the family (synthetic)")
    button(at, "Save").click().run()
    assert not at.exception, at.exception
    assert not errors(at)
    assert _versions(db, "ACT-0012") == [
        (1, "to_do", 0, ""),
        (2, "done", 0, "Plan agreed with the family (synthetic)"),
    ]
    assert escape("Saved ACT-0012 version 2.") in _successes(at)
    assert _audit(db, "action.update") == [(ANALYST, "ACT-0012")]
    history = _history(at)
    assert history["version"].tolist() == [1, 2]
    assert history["state"].tolist() == ["To do", "Done"]
    assert history["done_by"].tolist() == ["", "Synthetic Social Worker"]
    row = _table(at).set_index("code").loc["ACT-0012"]
    assert (row["state"], row["overdue"]) == ("Done", "")
    assert "ACT-0012" not in _banner_lines(actions.outstanding(_stored(db)))
    _assert_outstanding_banner(at, db)


def test_saving_with_nothing_changed_is_refused(db):
    at = _page(db, action="ACT-0012")
    button(at, "Save").click().run()
    assert not at.exception, at.exception
    assert escape("nothing was changed; there is no new version to save") in errors(at)
    assert _versions(db, "ACT-0012") == [(1, "to_do", 0, "")]
    assert _audit(db, "action.update") == []


def test_an_update_that_drops_the_police_reference_is_refused_under_it(db):
    at = _page(db, action="ACT-0009")
    key = "action_update_ACT-0009_1"
    assert at.text_input(key=f"{key}_reference").value == "DEMO-CAD-0412"
    at.text_input(key=f"{key}_reference").input("")
    button(at, "Save").click().run()
    assert not at.exception, at.exception
    assert _error_under(at, f"{key}_reference") == escape(actions.POLICE_REFERENCE_NEEDED)
    assert _versions(db, "ACT-0009") == [(1, "done", 0, "")]
    assert immediate_risk.awaiting_police(db, _case_id(db)).empty


def test_reopening_a_done_action_through_the_update_form_drops_when_and_by_whom(db):
    """The form sends the done version's when and by whom back; reopening must not trip over them."""
    at = _page(db, action="ACT-0011")
    key = "action_update_ACT-0011_1"
    at.radio(key=f"{key}_status").set_value("to_do")
    button(at, "Save").click().run()
    assert not at.exception, at.exception
    assert [v[1] for v in _versions(db, "ACT-0011")] == ["done", "to_do"]
    row = db.execute(
        """SELECT v.done_at, v.done_by FROM action_versions v JOIN actions a ON a.id = v.action_id
           WHERE a.code = 'ACT-0011' AND v.version = 2"""
    ).fetchone()
    assert tuple(row) == (None, "")


def test_a_new_done_time_typed_while_reopening_is_named_under_its_field(db):
    at = _page(db, action="ACT-0011")
    key = "action_update_ACT-0011_1"
    at.radio(key=f"{key}_status").set_value("to_do")
    at.text_input(key=f"{key}_done_at").input("2026-11-17 09:00")
    button(at, "Save").click().run()
    assert not at.exception, at.exception
    assert _error_under(at, f"{key}_done_at") == escape("is only for a done action; leave it empty")
    assert len(_versions(db, "ACT-0011")) == 1


def test_retracting_needs_a_reason(db):
    at = _page(db, action="ACT-0013")
    button(at, "Retract action").click().run()
    assert not at.exception, at.exception
    assert "**reason**" in errors(at)
    assert _versions(db, "ACT-0013") == [(1, "to_do", 0, "")]
    assert _audit(db, "action.retract") == []


def test_retracting_keeps_the_row_marked_retracted(db):
    at = _page(db, action="ACT-0013")
    _text_input(at, "Reason for retracting *").input("Recorded against the wrong case (synthetic)")
    button(at, "Retract action").click().run()
    assert not at.exception, at.exception
    assert _versions(db, "ACT-0013") == [
        (1, "to_do", 0, ""),
        (2, "to_do", 1, "Recorded against the wrong case (synthetic)"),
    ]
    assert _action_rows(db) == 13
    assert escape("Retracted ACT-0013.") in _successes(at)
    assert _audit(db, "action.retract") == [(ANALYST, "ACT-0013")]
    assert any(w.value.startswith("Retracted.") for w in at.warning)
    assert _history(at)["retracted"].tolist() == ["", "retracted"]
    # No more changes to a retracted action, and it is no longer to do.
    assert not [b.label for b in at.button if b.label in ("Save", "Retract action")]
    assert not [line for line in texts(at).splitlines() if line.startswith("ACT-0013 · ")]
    # Hidden from the table by default, shown marked retracted with the toggle.
    assert "ACT-0013" not in _table(at)["code"].tolist()
    assert "12 of 12 actions." in [c.value for c in at.caption]
    at.toggle[0].set_value(True).run()
    assert _table(at).set_index("code").loc["ACT-0013", "retracted"] == "retracted"
    assert "13 of 13 actions." in [c.value for c in at.caption]


def test_a_retracted_action_is_not_outstanding(db):
    actions.retract_action(db, _actor(db), CASE, "ACT-0013", "Recorded in error (synthetic)")
    at = _page(db)
    expected = _assert_outstanding_banner(at, db)
    assert "ACT-0013" not in expected["code"].tolist()
    assert not [line for line in texts(at).splitlines() if line.startswith("ACT-0013 · ")]


def test_the_reviewer_sees_the_list_but_cannot_record_update_or_retract(db):
    at = _page(db, REVIEWER)
    assert _table(at)["code"].tolist() == _stored(db)["code"].tolist()
    assert not [e.label for e in at.expander if e.label == "Record an action"]
    assert not [b.label for b in at.button if b.label in WRITE_BUTTONS]
    at.selectbox(key="open_action").set_value("ACT-0012").run()
    assert not at.exception, at.exception
    assert "ACT-0012 · Safety plan considered" in [s.value for s in at.subheader]
    assert _history(at)["version"].tolist() == [1]
    assert not [b.label for b in at.button if b.label in WRITE_BUTTONS]
    assert not [e.label for e in at.expander if e.label in ("Update", "Retract")]


# --- awaiting the police ---------------------------------------------------------------------------


def test_a_new_immediate_risk_item_shows_the_red_banner_on_the_overview_and_actions(db):
    code = _risky_observation(db)
    for page in (OVERVIEW, PAGE):
        at = _page(db, page=page)
        assert _awaiting(at) == [
            "1 item(s) marked IMMEDIATE RISK of significant harm with no record that the police were "
            "informed. Inform the police without delay (strategy 6.6), then record a Police informed "
            "action with when, by whom and the reference they gave."
        ], page
        [listed] = [t.value for t in at.text if t.value.startswith(f"{code} · marked ")]
        assert listed.endswith(" · Synthetic: stranger arranges to collect the child tonight"), page
        assert "OBS-0031" not in listed and "OBS-0032" not in listed


def test_recording_that_the_police_were_told_clears_the_red_banner(db):
    code = _risky_observation(db)
    at = _page(db)
    assert _awaiting(at)
    _record_through_form(
        at, kind="police_informed", status="done", observation=code, reference="SYN-CAD-0003", note="Called 101"
    )
    assert escape("Recorded ACT-0014.") in _successes(at)
    assert not _awaiting(at)
    assert not any(t.value.startswith(f"{code} · marked ") for t in at.text)
    assert immediate_risk.awaiting_police(db, _case_id(db)).empty
    overview = _page(db, page=OVERVIEW)
    assert not _awaiting(overview)


def test_a_police_informed_action_still_to_do_does_not_clear_the_red_banner(db):
    code = _risky_observation(db)
    at = _page(db)
    _record_through_form(at, kind="police_informed", status="to_do", observation=code, due="2026-01-01")
    assert escape("Recorded ACT-0014.") in _successes(at)
    assert len(_awaiting(at)) == 1
    assert len(_awaiting(_page(db, page=OVERVIEW))) == 1


# --- user text ---------------------------------------------------------------------------------------


def test_user_text_is_never_rendered_as_markdown(db):
    code = actions.add_action(
        db,
        _actor(db),
        CASE,
        {"kind": "other", "status": "to_do", "due_date": "2025-02-01", "note": HOSTILE},
    )
    done = actions.add_action(
        db,
        _actor(db),
        CASE,
        {"kind": "reported_to_platform", "status": "done", "done_by": HOSTILE, "reference": HOSTILE, "note": HOSTILE},
    )
    risky = _risky_observation(db, summary=HOSTILE)
    at = _page(db, action=code)
    assert f"{risky} · marked " in texts(at) and _awaiting(at)  # the red banner lists its summary as text
    table = _table(at).set_index("code")
    assert table.loc[code, "note"] == HOSTILE
    assert (table.loc[done, "note"], table.loc[done, "done_by"], table.loc[done, "reference"]) == (HOSTILE,) * 3
    assert _history(at)["note"].tolist() == [HOSTILE]
    assert any(HOSTILE in t.value for t in at.text)  # the summary line and the outstanding banner
    assert at.text_input(key=f"action_update_{code}_1_note").value == HOSTILE
    for value in _markdown_like(at):
        for piece in HOSTILE_PIECES:
            assert piece not in value, value
    overview = _page(db, page=OVERVIEW)
    assert any(HOSTILE in t.value for t in overview.text)
    for value in _markdown_like(overview):
        for piece in HOSTILE_PIECES:
            assert piece not in value, value

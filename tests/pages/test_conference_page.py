"""Conference view: the summary metrics are the domain's; the chronology is every current event in time
order; "Pseudonyms only" hides the names and handles the case knows (and shows them when off); a
reviewer may open it; every opening is audited with the switch's setting; user text is never Markdown."""

from __future__ import annotations

import json
import re

from tests.pages.conftest import signed_in, texts
from workbench import conference, milestones, timeline, users

PAGE = "pages/conference.py"
CASE = "DEMO-001"
ANALYST = "demo-analyst"
REVIEWER = "demo-reviewer"
# Names and handles the demo knows for Person B (P-0002): a known_alias fact, and two accounts.
PERSON_B_NAMES = ("Marco", "m4rco.demo", "marco.fastcars.demo")
# A line of the chronology: "when · CODE · what ...", its summary on the next line, indented.
CHRONOLOGY_LINE = re.compile(r"^(?P<when>\S[^·]*) · (?P<code>[A-Z]+-\d{4}) · ")


def _page(db, username: str = ANALYST):
    at = signed_in(db, username, page=PAGE)
    assert not at.exception, at.exception
    return at


def _pseudonyms(at, on: bool):
    at.toggle(key="conference_pseudonyms").set_value(on).run()
    assert not at.exception, at.exception
    return at


def _view(db, username: str = ANALYST, **options) -> conference.Conference:
    return conference.conference_view(db, users.user_by_name(db, username), CASE, **options)


def _chronology(at) -> str:
    """The text under the Chronology heading (the page's last st.text)."""
    return at.text[-1].value


def _codes(chronology: str) -> list[str]:
    return [m["code"] for line in chronology.splitlines() if (m := CHRONOLOGY_LINE.match(line))]


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _markdown_elements(at) -> list[str]:
    """Everything on the page that Streamlit renders as Markdown."""
    found = [m.value for m in at.markdown] + [c.value for c in at.caption]
    found += [t.value for t in at.title] + [h.value for h in at.subheader] + [h.value for h in at.header]
    found += [a.value for kind in (at.error, at.warning, at.info, at.success) for a in kind]
    found += [m.label for m in at.metric] + [t.label for t in at.toggle]
    return found


def _add_milestone(db, note: str) -> str:
    return milestones.add_milestone(
        db, users.user_by_name(db, ANALYST), CASE, {"kind": "other", "occurred_at": "2026-11-17 09:30", "note": note}
    )


def _audit(db, after: int) -> list[tuple[str, str, dict]]:
    rows = db.execute(
        """SELECT username, case_ref, details FROM audit_events
           WHERE action = 'conference.view' AND seq > ? ORDER BY seq""",
        (after,),
    ).fetchall()
    return [(u, c, json.loads(d)) for u, c, d in rows]


def _last_seq(db) -> int:
    return db.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0]


# --- the summary ------------------------------------------------------------------------------------


def test_the_summary_shows_what_the_domain_computes(db):
    at = _page(db)
    view = _view(db)
    shown = _metrics(at)
    assert shown == {
        "Observations": str(int(view.by_five_c["observations"].sum())),
        "Contradicted or conflicting": str(view.contradicted + view.conflicting),
        "False ages stated": str(view.false_ages),
        "Immediate risk": str(len(view.immediate_risk)),
        "Actions outstanding": str(len(view.outstanding)),
    }
    # The demo: 33 observations, OBS-0009's false age, two items at immediate risk.
    events = timeline.timeline(db, users.user_by_name(db, ANALYST), CASE).events
    assert shown["Observations"] == str(int((events["source"] == "observation").sum()))
    assert shown["False ages stated"] == "1"
    assert shown["Immediate risk"] == str(int(events["immediate_risk"].sum())) == "2"
    every = texts(at)
    per_five_c = "; ".join(f"{r.five_c} {r.observations}" for r in view.by_five_c.itertuples())
    assert f"Observations per Five C: {per_five_c}" in every
    # The demo's one call to the police (ACT-0009, naming no observation) covers both items.
    for code in view.immediate_risk["code"]:
        assert re.search(rf"^{code} · .* · marked .*\n.*\n    Police told: Yes: 16 Nov 2026 10:40 ", every, re.M), code
    assert "ref DEMO-CAD-0412 (ACT-0009)" in every
    # Actions still to do: the demo's two, overdue first once its day has passed.
    assert shown["Actions outstanding"] == "2"
    for row in view.outstanding.itertuples():
        assert f"{row.code} · {row.action} · due {row.due}" in every, row.code
    assert "OBS-0009 · F-0001" in every  # what trusted sources contradict
    assert [t.value for t in at.text][0].startswith(f"{CASE} · {view.title}\nAbout {view.subject} · prepared ")


def test_the_chronology_lists_every_current_event_in_time_order(db):
    at = _page(db)
    expected = timeline.timeline(db, users.user_by_name(db, ANALYST), CASE).events
    assert expected["at"].is_monotonic_increasing
    chronology = _chronology(at)
    assert _codes(chronology) == expected["code"].tolist()
    for row in expected.itertuples():
        assert f"{row.when} · {row.code} · {row.what}" in chronology, row.code


def test_the_chronology_leaves_out_retracted_milestones_and_lists_new_ones(db):
    kept = _add_milestone(db, "Strategy discussion booked (fictional)")
    dropped = _add_milestone(db, "Recorded twice by mistake (fictional)")
    milestones.retract_milestone(db, users.user_by_name(db, ANALYST), CASE, dropped, "Duplicate")
    chronology = _chronology(_page(db))
    assert kept in _codes(chronology)
    assert dropped not in _codes(chronology)
    assert "Recorded twice by mistake" not in chronology


# --- pseudonyms -------------------------------------------------------------------------------------


def test_pseudonyms_only_hides_the_names_and_handles_the_case_knows(db):
    _add_milestone(db, "Police asked Snapchat to preserve the m4rco.demo account; Marco also used @marco.fastcars.demo")
    at = _page(db)
    assert at.toggle(key="conference_pseudonyms").value is False
    plain = texts(at)
    for name in PERSON_B_NAMES:
        assert name in plain, name

    _pseudonyms(at, True)
    hidden = texts(at)
    for name in PERSON_B_NAMES:
        assert name.lower() not in hidden.lower(), name
    assert "Person B" in hidden
    assert "Person B's account" in hidden  # the handles
    assert "pseudonyms only" in [t.value for t in at.text][0]
    # The same events, in the same order: only the words change.
    assert (
        _codes(_chronology(at)) == timeline.timeline(db, users.user_by_name(db, ANALYST), CASE).events["code"].tolist()
    )

    _pseudonyms(at, False)
    assert "Marco" in texts(at)
    assert "m4rco.demo" in texts(at)


def test_pseudonyms_only_hides_child_as_name_and_alias(db):
    """Child A's full name and alias are trusted facts: written in a note, they are hidden too."""
    _add_milestone(db, "Alex Demo-Example (known as Lexi) seen alone at school")
    at = _page(db)
    assert "Alex Demo-Example (known as Lexi)" in texts(at)
    _pseudonyms(at, True)
    hidden = texts(at)
    assert "Alex Demo-Example" not in hidden
    assert "Lexi" not in hidden
    assert "Child A (known as Child A) seen alone at school" in hidden


# --- who may open it, and the audit ------------------------------------------------------------------


def test_a_reviewer_can_open_it(db):
    at = _page(db, REVIEWER)
    assert [t.value for t in at.title] == ["Case conference"]
    assert _codes(_chronology(at)) == _view(db, REVIEWER).chronology["code"].tolist()
    assert not at.error


def test_every_opening_is_audited_with_the_pseudonyms_setting(db):
    seq = _last_seq(db)
    at = _page(db, REVIEWER)
    events = _audit(db, seq)
    assert len(events) == 1
    [(username, case, details)] = events
    assert (username, case) == (REVIEWER, CASE)
    assert details["pseudonyms_only"] is False
    assert details["events"] == len(_codes(_chronology(at)))

    seq = _last_seq(db)
    _pseudonyms(at, True)
    assert [(u, c, d["pseudonyms_only"]) for u, c, d in _audit(db, seq)] == [(REVIEWER, CASE, True)]

    seq = _last_seq(db)
    at.run()
    assert [(u, d["pseudonyms_only"]) for u, _, d in _audit(db, seq)] == [(REVIEWER, True)]


# --- user text ---------------------------------------------------------------------------------------


def test_user_text_is_never_rendered_as_markdown(db):
    note = "**bold** [x](http://e.x) <b>tag</b> :red[red]"
    code = _add_milestone(db, note)
    for pseudonyms in (False, True):
        at = _page(db)
        _pseudonyms(at, pseudonyms)
        lines = _chronology(at).splitlines()
        position = [i for i, line in enumerate(lines) if CHRONOLOGY_LINE.match(line) and f" · {code} · " in line]
        assert len(position) == 1
        assert lines[position[0] + 1].endswith(note), lines[position[0] + 1]
        for value in _markdown_elements(at):
            assert "**bold**" not in value and "](http" not in value and "<b>" not in value, value

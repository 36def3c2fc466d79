"""The veracity panel of an opened observation (pages/observations.py): the status box and the facts
and rules behind it, the plain warning for one untested source, what the grades mean, and the
analysts' links: made and withdrawn through the forms, kept with their history."""

from __future__ import annotations

import string

from tests.pages.conftest import button, errors, signed_in, texts
from workbench import crossref, users
from workbench.ui.safe import escape

PAGE = "pages/observations.py"
CASE = "DEMO-001"
ANALYST, REVIEWER = "demo-analyst", "demo-reviewer"
RATIONALE = "Her TikTok follower list includes the older associate's account, as the police log says"


def _open(db, code: str, username: str = ANALYST):
    at = signed_in(db, username)
    at.switch_page(PAGE)
    at.query_params["obs"] = code
    at.run()
    assert not at.exception, at.exception
    return at


def _veracity(db, code: str) -> crossref.Veracity:
    return crossref.observation_veracity(db, users.user_by_name(db, ANALYST), CASE, code)


def _plain(markdown: str) -> str:
    for ch in string.punctuation:
        markdown = markdown.replace("\\" + ch, ch)
    return markdown


def _boxes(at) -> list[tuple[str, str]]:
    """(kind, text as read) of every alert on the page."""
    return [(kind, _plain(e.value)) for kind in ("success", "error", "warning", "info") for e in at.get(kind)]


def _status_box(at, label: str) -> str:
    found = [text for _, text in _boxes(at) if text.startswith(f"{label}: ")]
    assert len(found) == 1, _boxes(at)
    return found[0]


def _links(at):
    """The analysts' links with their history (the only table with a rationale column), or None."""
    found = [d.value for d in at.dataframe if "rationale" in d.value.columns]
    return found[0] if found else None


def _link(at, fact: str, relation: str, rationale: str) -> None:
    next(s for s in at.selectbox if s.label == "Fact").set_value(fact)
    next(r for r in at.radio if r.label == "Relation").set_value(relation)
    next(t for t in at.text_area if t.label == "Rationale *").input(rationale)
    button(at, "Link").click().run()
    assert not at.exception, at.exception


def _link_rows(db) -> list[tuple]:
    return db.execute(
        """SELECT x.code, o.code, f.code, v.version, v.relation, v.rationale, v.withdrawn, v.change_reason
           FROM crossrefs x JOIN crossref_versions v ON v.crossref_id = x.id
           JOIN observations o ON o.id = x.observation_id JOIN facts f ON f.id = x.fact_id
           ORDER BY x.id, v.version"""
    ).fetchall()


def _audit(db, action: str) -> list[tuple]:
    return db.execute(
        "SELECT username, item_code, details, justification FROM audit_events WHERE action = ? ORDER BY seq",
        (action,),
    ).fetchall()


# --- what the panel shows ----------------------------------------------------------------------------


def test_the_false_age_shows_conflicting_with_the_rule_behind_it(db):
    at = _open(db, "OBS-0009", REVIEWER)
    assert "Veracity" in [m.value.strip("*") for m in at.markdown]
    found = _veracity(db, "OBS-0009")
    assert found.status_label == "Conflicting"
    box = _status_box(at, "Conflicting")
    assert box == f"Conflicting: {found.status_description}"
    assert ("warning", box) in _boxes(at)
    lines = [t.value for t in at.text if "false age stated" in t.value]
    assert len(lines) == 1, texts(at)
    assert "profile states 19; known age 14" in lines[0]
    assert "F-0001" in lines[0]
    assert "rule age_against_date_of_birth" in lines[0]
    # The rule that agrees is shown too: that is why it is conflicting, not contradicted.
    assert any(t.value.startswith("✔ Corroborates") and "F-0003" in t.value for t in at.text)


def test_the_grades_are_explained(db):
    at = _open(db, "OBS-0009", REVIEWER)
    grades = _veracity(db, "OBS-0009").grades
    assert f"Source: {grades.source}\nInformation: {grades.information}\nHandling: {grades.handling}" in [
        t.value for t in at.text
    ]
    assert f"What the grades mean ({escape(grades.scheme)})" in [c.value for c in at.caption]


def test_an_uncorroborated_observation_from_an_untested_source_is_warned_about(db):
    found = _veracity(db, "OBS-0002")
    assert (found.status, found.grades.source.split(":")[0]) == ("uncorroborated", "2 Untested")
    at = _open(db, "OBS-0002")
    warnings = [text for kind, text in _boxes(at) if kind == "warning"]
    assert [w for w in warnings if w.startswith("Uncorroborated, from a single source graded 2 Untested")] == [
        found.warning
    ]
    assert _status_box(at, "Uncorroborated").startswith("Uncorroborated: ")
    assert "No trusted-source fact bears on it yet." in texts(at).splitlines()


def test_an_uncorroborated_observation_from_a_reliable_source_has_no_such_warning(db):
    found = _veracity(db, "OBS-0001")
    assert (found.status, found.grades.source.split(" ")[0]) == ("uncorroborated", "1")
    at = _open(db, "OBS-0001")
    assert _status_box(at, "Uncorroborated")
    assert not [text for _, text in _boxes(at) if "from a single source graded" in text]


# --- analysts' links ------------------------------------------------------------------------------------


def test_linking_a_fact_records_the_link_and_changes_the_status(db):
    assert _veracity(db, "OBS-0013").status == "uncorroborated"
    at = _open(db, "OBS-0013")
    assert _links(at) is None
    _link(at, "F-0007", "corroborates", RATIONALE)
    assert not errors(at)

    assert _link_rows(db) == [("XR-0001", "OBS-0013", "F-0007", 1, "corroborates", RATIONALE, 0, "")]
    assert [(u, i, j) for u, i, _, j in _audit(db, "crossref.link")] == [(ANALYST, "XR-0001", RATIONALE)]
    assert escape("Linked OBS-0013 to F-0007 as XR-0001.") in [s.value for s in at.success]
    # The status follows the link; the one-untested-source warning goes with it.
    assert _veracity(db, "OBS-0013").status == "corroborated"
    assert _status_box(at, "Corroborated")
    assert not [text for _, text in _boxes(at) if "from a single source graded" in text]
    assert any(t.value.startswith("✔ Corroborates") and "linked by demo-analyst as XR-0001" in t.value for t in at.text)
    history = _links(at)
    assert history[["code", "version", "fact", "relation", "rationale", "withdrawn"]].values.tolist() == [
        ["XR-0001", 1, "F-0007", "corroborates", RATIONALE, 0]
    ]


def test_linking_without_a_rationale_is_refused_and_stores_nothing(db):
    at = _open(db, "OBS-0013")
    _link(at, "F-0007", "corroborates", "")
    shown = errors(at)
    assert "Please correct the following:" in shown
    assert "**rationale**" in shown
    assert _link_rows(db) == []
    assert _audit(db, "crossref.link") == []
    assert _veracity(db, "OBS-0013").status == "uncorroborated"
    assert _links(at) is None


def test_withdrawing_a_link_keeps_both_versions_and_the_status_goes_back(db):
    at = _open(db, "OBS-0013")
    _link(at, "F-0007", "contradicts", RATIONALE)
    assert _status_box(at, "Contradicted")
    assert [e.label for e in at.expander if e.label == "Withdraw a link"] == ["Withdraw a link"]

    next(s for s in at.selectbox if s.label == "Link").set_value("XR-0001")
    next(t for t in at.text_input if t.label == "Reason *").input("Linked to the wrong fact")
    button(at, "Withdraw link").click().run()
    assert not at.exception, at.exception
    assert not errors(at)

    assert [row[3:] for row in _link_rows(db)] == [
        (1, "contradicts", RATIONALE, 0, ""),
        (2, "contradicts", RATIONALE, 1, "Linked to the wrong fact"),
    ]
    assert [(u, i, j) for u, i, _, j in _audit(db, "crossref.withdraw")] == [
        (ANALYST, "XR-0001", "Linked to the wrong fact")
    ]
    assert escape("Withdrew XR-0001.") in [s.value for s in at.success]
    assert _veracity(db, "OBS-0013").status == "uncorroborated"
    assert _status_box(at, "Uncorroborated")
    history = _links(at)
    assert history[["code", "version", "withdrawn", "change_reason"]].values.tolist() == [
        ["XR-0001", 1, 0, ""],
        ["XR-0001", 2, 1, "Linked to the wrong fact"],
    ]
    # Nothing left to withdraw.
    assert not [e for e in at.expander if e.label == "Withdraw a link"]


def test_the_reviewer_sees_the_panel_but_no_link_form(db):
    at = _open(db, "OBS-0009", REVIEWER)
    assert _status_box(at, "Conflicting")
    assert not [e.label for e in at.expander if e.label in ("Link to a trusted fact", "Withdraw a link")]
    assert not [b.label for b in at.button if b.label in ("Link", "Withdraw link")]

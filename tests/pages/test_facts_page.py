"""Trusted facts: the table and its filters, adding a fact through the form (and a bad date refused),
one fact's history, amend and retract, what a reviewer may not do, and user text shown literally."""

from __future__ import annotations

import pytest

from tests.pages.conftest import button, errors, signed_in, texts
from workbench import facts, users
from workbench.schemas import load_catalog
from workbench.ui.safe import escape

PAGE = "pages/facts.py"
CASE = "DEMO-001"
ANALYST, REVIEWER = "demo-analyst", "demo-reviewer"
HOSTILE = "**bold** <b>x</b> [link](http://x)"
WRITE_BUTTONS = ("Add fact", "Save amendment", "Retract fact", "Import")


def _page(db, username: str = ANALYST, fact: str | None = None):
    at = signed_in(db, username, page=PAGE)
    assert not at.exception, at.exception
    if fact:
        at.selectbox(key="open_fact").set_value(fact).run()
        assert not at.exception, at.exception
    return at


def _table(at):
    """The facts table (the first dataframe; its columns are the frame's own names)."""
    return at.dataframe[0].value


def _history(at):
    return next(d.value for d in at.dataframe if "change_reason" in d.value.columns)


def _special(attribute: str) -> bool:
    return any(
        c.value == attribute and c.extra.get("special_category") for c in load_catalog().choices("fact_attributes")
    )


def _fact_rows(db) -> int:
    return db.execute("SELECT COUNT(*) FROM facts").fetchone()[0]


def _versions(db, code: str) -> list[tuple]:
    return db.execute(
        """SELECT v.version, v.value, v.retracted, v.change_reason FROM fact_versions v
           JOIN facts f ON f.id = v.fact_id WHERE f.code = ? ORDER BY v.version""",
        (code,),
    ).fetchall()


def _audit(db, action: str) -> list[tuple]:
    return db.execute(
        "SELECT username, item_code FROM audit_events WHERE action = ? ORDER BY seq", (action,)
    ).fetchall()


def _text_input(at, label: str):
    return next(t for t in at.text_input if t.label == label)


def _markdown_like(at) -> list[str]:
    """Every element value Streamlit renders as Markdown: user text must never reach these unescaped."""
    values = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "subheader", "title"):
        values += [str(e.value) for e in at.get(kind)]
    values += [e.label for e in at.expander]
    return values


# --- the table -------------------------------------------------------------------------------------


def test_the_table_lists_the_demo_facts_and_marks_special_category(db):
    at = _page(db)
    table = _table(at)
    stored = db.execute(
        """SELECT f.code, v.attribute FROM facts f JOIN fact_versions v ON v.fact_id = f.id
           AND v.version = (SELECT MAX(version) FROM fact_versions WHERE fact_id = f.id) ORDER BY f.id"""
    ).fetchall()
    assert table["code"].tolist() == [code for code, _ in stored]
    special = dict(zip(table["code"], table["special_category"], strict=True))
    catalog = load_catalog()
    for code, attribute in stored:
        assert bool(special[code]) is _special(attribute), (code, attribute)
    marked = {catalog.label("fact_attributes", a) for c, a in stored if special[c]}
    assert marked == {"Mental health", "Family risk factor"}
    assert f"{len(stored)} of {len(stored)} facts." in [c.value for c in at.caption]


def test_the_person_filter_narrows_the_table(db):
    at = _page(db)
    everyone = len(_table(at))
    at.multiselect[0].set_value(["P-0003"]).run()
    table = _table(at)
    assert 0 < len(table) < everyone
    assert set(table["pseudonym"]) == {"Person C"}
    assert f"{len(table)} of {everyone} facts." in [c.value for c in at.caption]


def test_the_attribute_filter_narrows_the_table(db):
    at = _page(db)
    everyone = len(_table(at))
    at.multiselect[1].set_value(["mental_health", "family_risk_factor"]).run()
    table = _table(at)
    assert 0 < len(table) < everyone
    assert set(table["attribute"]) == {"Mental health", "Family risk factor"}
    assert table["special_category"].all()


# --- adding ------------------------------------------------------------------------------------------


def test_adding_a_fact_through_the_form_stores_it(db):
    before = _fact_rows(db)
    at = _page(db)
    at.selectbox(key="fact_add_0_person").set_value("P-0001")
    at.selectbox(key="fact_add_0_attribute").set_value("known_alias")
    at.selectbox(key="fact_add_0_agency").set_value("school")
    at.text_area(key="fact_add_0_value").input("Lex")
    at.text_input(key="fact_add_0_reference").input("Form tutor note (demo)")
    button(at, "Add fact").click().run()
    assert not at.exception, at.exception
    assert not errors(at)

    assert _fact_rows(db) == before + 1
    code, person = db.execute(
        "SELECT f.code, p.code FROM facts f JOIN people p ON p.id = f.person_id ORDER BY f.id DESC LIMIT 1"
    ).fetchone()
    assert person == "P-0001"
    version = db.execute(
        """SELECT v.version, v.attribute, v.value, v.source_agency, v.source_reference, v.retracted
           FROM fact_versions v JOIN facts f ON f.id = v.fact_id WHERE f.code = ?""",
        (code,),
    ).fetchall()
    assert version == [(1, "known_alias", "Lex", "school", "Form tutor note (demo)", 0)]
    assert _audit(db, "fact.create") == [(ANALYST, code)]
    assert escape(f"Added {code}.") in [s.value for s in at.success]
    assert code in _table(at)["code"].tolist()


def test_a_bad_date_of_birth_is_refused_naming_the_field(db):
    before = _fact_rows(db)
    at = _page(db)
    at.selectbox(key="fact_add_0_attribute").set_value("date_of_birth")
    at.text_area(key="fact_add_0_value").input("14/05/2012")
    button(at, "Add fact").click().run()
    assert not at.exception, at.exception
    shown = errors(at)
    assert "Please correct the following:" in shown
    assert "**value**" in shown
    assert escape("must be a date as YYYY-MM-DD") in shown
    assert _fact_rows(db) == before
    assert _audit(db, "fact.create") == []
    assert not at.success


def _import(at, content: bytes):
    at.file_uploader(key="fact_import_file").set_value(("facts.csv", content, "text/csv")).run()
    button(at, "Import").click().run()
    assert not at.exception, at.exception


def test_importing_a_csv_stores_every_row(db):
    before, imports_before = _fact_rows(db), len(_audit(db, "fact.import"))
    at = _page(db)
    _import(
        at,
        b"person,attribute,value,source_agency,source_reference,valid_from,valid_to\n"
        b"P-0004,school,Northfield Academy,school,Admissions record (demo),2023-09-01,\n"
        b"Person D,known_alias,Dee,family_or_carer,,,\n",
    )
    assert _fact_rows(db) == before + 2
    first, last = (r[0] for r in db.execute("SELECT code FROM facts ORDER BY id DESC LIMIT 2").fetchall()[::-1])
    assert escape(f"Imported 2 facts ({first} to {last}).") in [s.value for s in at.success]
    assert _audit(db, "fact.import")[imports_before:] == [(ANALYST, None)]
    assert {first, last} <= set(_table(at)["code"])


def test_an_import_with_one_bad_row_stores_nothing_and_names_the_row(db):
    before, imports_before = _fact_rows(db), _audit(db, "fact.import")
    at = _page(db)
    _import(
        at,
        b"person,attribute,value,source_agency\n"
        b"P-0004,known_alias,Dee,family_or_carer\n"
        b"P-0004,date_of_birth,14/05/2012,school\n",
    )
    shown = errors(at)
    assert shown.startswith("Import refused; nothing was imported:")
    assert escape("row 3: value: a date of birth must be a date as YYYY-MM-DD") in shown
    assert "row 2" not in shown
    assert _fact_rows(db) == before
    assert _audit(db, "fact.import") == imports_before


# --- one fact --------------------------------------------------------------------------------------


def test_opening_a_fact_shows_its_version_history(db):
    at = _page(db, fact="F-0001")
    assert "F-0001 · Date of birth" in [s.value for s in at.subheader]
    assert "2012-05-14" in texts(at).splitlines()
    history = _history(at)
    assert history["version"].tolist() == [1]
    assert history["value"].tolist() == ["2012-05-14"]
    assert history["retracted"].tolist() == [0]
    assert _audit(db, "fact.view") == [(ANALYST, "F-0001")]


def test_amending_with_a_reason_adds_version_2_and_keeps_version_1(db):
    at = _page(db, fact="F-0005")
    at.text_area(key="fact_amend_F-0005_1_value").input("Northfield Academy (Year 10)")
    _text_input(at, "Reason for the amendment *").input("Year group confirmed by the school")
    button(at, "Save amendment").click().run()
    assert not at.exception, at.exception
    assert not errors(at)
    assert _versions(db, "F-0005") == [
        (1, "Northfield Academy", 0, ""),
        (2, "Northfield Academy (Year 10)", 0, "Year group confirmed by the school"),
    ]
    assert escape("Saved F-0005 version 2.") in [s.value for s in at.success]
    history = _history(at)
    assert history["version"].tolist() == [1, 2]
    assert history["value"].tolist() == ["Northfield Academy", "Northfield Academy (Year 10)"]
    row = _table(at).set_index("code").loc["F-0005"]
    assert row["value"] == "Northfield Academy (Year 10)"
    assert row["status"] == "amended (v2)"


def test_amending_without_a_reason_is_refused(db):
    at = _page(db, fact="F-0005")
    at.text_area(key="fact_amend_F-0005_1_value").input("Southfield Academy")
    button(at, "Save amendment").click().run()
    assert not at.exception, at.exception
    assert "**reason**" in errors(at)
    assert _versions(db, "F-0005") == [(1, "Northfield Academy", 0, "")]
    assert _audit(db, "fact.amend") == []


def test_retracting_keeps_the_fact_marked_retracted(db):
    at = _page(db, fact="F-0004")
    _text_input(at, "Reason for retracting *").input("Recorded against the wrong child")
    button(at, "Retract fact").click().run()
    assert not at.exception, at.exception
    assert _versions(db, "F-0004")[-1][2:] == (1, "Recorded against the wrong child")
    assert len(_versions(db, "F-0004")) == 2
    assert any(w.value.startswith("Retracted.") for w in at.warning)
    assert _history(at)["retracted"].tolist() == [0, 1]
    # No more changes to a retracted fact.
    assert not [b for b in at.button if b.label in ("Save amendment", "Retract fact")]
    # Hidden from the table by default, shown marked retracted with the toggle.
    assert "F-0004" not in _table(at)["code"].tolist()
    at.toggle[0].set_value(True).run()
    row = _table(at).set_index("code").loc["F-0004"]
    assert row["status"] == "retracted"


def test_the_reviewer_reads_facts_but_cannot_change_them(db):
    at = _page(db, REVIEWER, fact="F-0001")
    assert not at.exception, at.exception
    assert len(_table(at)) > 0
    assert _history(at)["version"].tolist() == [1]
    assert not [b.label for b in at.button if b.label in WRITE_BUTTONS]
    assert not [e.label for e in at.expander if e.label in ("Add a fact", "Amend", "Retract")]


# --- user text -------------------------------------------------------------------------------------


@pytest.mark.parametrize("attribute", ["known_alias", "mental_health"])
def test_user_text_is_never_rendered_as_markdown(db, attribute):
    analyst = users.user_by_name(db, ANALYST)
    code = facts.add_fact(
        db,
        analyst,
        CASE,
        {
            "person": "P-0001",
            "attribute": attribute,
            "value": HOSTILE,
            "source_agency": "school",
            "source_reference": HOSTILE,
        },
    )
    at = _page(db, fact=code)
    table = _table(at).set_index("code")
    assert table.loc[code, "value"] == HOSTILE
    assert table.loc[code, "source_reference"] == HOSTILE
    assert HOSTILE in texts(at).splitlines()
    assert _history(at)["value"].tolist() == [HOSTILE]
    for value in _markdown_like(at):
        for piece in ("**bold**", "<b>", "[link]", "(http://x)"):
            assert piece not in value, value
    # The amend form offers the value back as text to edit, never as Markdown.
    assert at.text_area(key=f"fact_amend_{code}_1_value").value == HOSTILE

"""Persons of concern page: the standing note first, each person with their accounts and linked
observations, adding a person and an account of theirs (refusals under the field), what a reviewer
may not do, and user text shown literally. Fictional demo data."""

from __future__ import annotations

from tests.pages.conftest import button, errors, signed_in, texts
from workbench import people, users
from workbench.ui.safe import escape

PAGE = "pages/persons_of_concern.py"
CASE = "DEMO-001"
ANALYST, REVIEWER = "demo-analyst", "demo-reviewer"
HOSTILE = "**bold** <b>x</b> [link](http://x)"
ADD_PERSON, ADD_ACCOUNT = "Add person of concern", "Add account"


def _page(db, username: str = ANALYST):
    at = signed_in(db, username, page=PAGE)
    assert not at.exception, at.exception
    return at


def _markdown_like(at) -> list[str]:
    values = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "subheader", "title"):
        values += [str(e.value) for e in at.get(kind)]
    values += [e.label for e in at.expander]
    return values


def _concern_people(db) -> list[tuple]:
    return db.execute(
        "SELECT p.code, p.name, p.pseudonym FROM people p JOIN cases c ON c.id = p.case_id"
        " WHERE c.reference = ? AND p.role = 'person_of_concern' ORDER BY p.code",
        (CASE,),
    ).fetchall()


def test_the_note_comes_first_and_each_person_is_shown_with_accounts_and_observations(db):
    at = _page(db, REVIEWER)
    assert [t.value for t in at.title] == ["Persons of concern"]
    assert any("may be a child too" in i.value and "6\\.8" in i.value for i in at.info)
    assert [s.value for s in at.subheader] == [escape("P-0002 · Person B"), escape("P-0003 · Person C")]
    shown = texts(at)
    assert "'Marco' (adult contact, real identity unknown)" in shown
    assert "5 linked observations · first seen" in shown and "1 at immediate risk" in shown
    handles = [d.value["handle"].tolist() for d in at.dataframe if "handle" in d.value.columns]
    assert handles == [["@marco.fastcars.demo", "m4rco.demo"], ["@trapstar.demo"]]
    linked = [d.value for d in at.dataframe if "How it links them" in d.value.columns]
    assert linked[0]["Code"].tolist() == ["OBS-0007", "OBS-0017", "OBS-0018", "OBS-0019", "OBS-0031"]
    assert linked[0]["Risk"].tolist()[-1] == "IMMEDIATE RISK"
    assert linked[1]["How it links them"].tolist() == ["names their account AC-0007", "on their account AC-0007"]


def test_a_reviewer_gets_no_forms(db):
    at = _page(db, REVIEWER)
    labels = [b.label for b in at.button]
    assert ADD_PERSON not in labels and ADD_ACCOUNT not in labels
    assert not at.text_input


def test_the_page_is_audited(db):
    _page(db, REVIEWER)
    row = db.execute(
        "SELECT username, case_ref FROM audit_events WHERE action = 'person_of_concern.list' ORDER BY seq DESC"
    ).fetchone()
    assert row == (REVIEWER, CASE)


def test_adding_a_person_of_concern(db):
    at = _page(db)
    at.text_input(key="concern_add_0_name").input("Adult on the gaming server (demo)")
    at.text_area(key="concern_add_0_notes").input("Says he is 17; unverified")
    button(at, ADD_PERSON).click().run()
    assert not at.exception and not errors(at)
    assert _concern_people(db)[-1] == ("P-0006", "Adult on the gaming server (demo)", "Person F")
    assert escape("Added P-0006 as a person of concern.") in [s.value for s in at.success]
    assert escape("P-0006 · Person F") in [s.value for s in at.subheader]


def test_a_refused_person_is_named_under_the_field_and_nothing_is_added(db):
    before = _concern_people(db)
    at = _page(db)
    at.text_input(key="concern_add_0_pseudonym").input("Person B")  # taken, and no name given
    button(at, ADD_PERSON).click().run()
    assert not at.exception
    assert "is required" in errors(at)
    assert "Person B is already used" not in errors(at)  # the name is checked first
    assert _concern_people(db) == before
    at.text_input(key="concern_add_0_name").input("Someone (demo)")
    button(at, ADD_PERSON).click().run()
    assert "Person B is already used in this case" in errors(at)
    assert _concern_people(db) == before


def test_adding_an_account_of_theirs(db):
    at = _page(db)
    at.selectbox(key="concern_account_0_person").set_value("P-0003")
    at.selectbox(key="concern_account_0_platform").set_value("Instagram")
    at.text_input(key="concern_account_0_handle").input("@trapstar.second.demo")
    button(at, ADD_ACCOUNT).click().run()
    assert not at.exception and not errors(at)
    row = db.execute(
        "SELECT a.code, a.platform, p.code FROM accounts a JOIN people p ON p.id = a.person_id WHERE a.handle = ?",
        ("@trapstar.second.demo",),
    ).fetchone()
    assert row == ("AC-0008", "Instagram", "P-0003")
    handles = [d.value["handle"].tolist() for d in at.dataframe if "handle" in d.value.columns]
    assert handles[1] == ["@trapstar.demo", "@trapstar.second.demo"]


def test_an_account_already_known_is_refused_under_the_handle(db):
    at = _page(db)
    at.selectbox(key="concern_account_0_person").set_value("P-0002")
    at.selectbox(key="concern_account_0_platform").set_value("Snapchat")
    at.text_input(key="concern_account_0_handle").input("M4RCO.demo")
    button(at, ADD_ACCOUNT).click().run()
    assert not at.exception
    assert "this case already has that account as AC\\-0006" in errors(at)
    assert db.execute("SELECT COUNT(*) FROM accounts WHERE handle = 'M4RCO.demo'").fetchone() == (0,)


def test_an_account_without_a_platform_is_refused(db):
    at = _page(db)
    at.text_input(key="concern_account_0_handle").input("@someone.demo")
    button(at, ADD_ACCOUNT).click().run()
    assert not at.exception
    assert "is required" in errors(at)


def test_user_text_is_shown_literally(db):
    analyst = users.user_by_name(db, ANALYST)
    code = people.add_person(db, analyst, CASE, HOSTILE, "person_of_concern", pseudonym="*Star* <i>", notes=HOSTILE)
    people.add_account(db, analyst, CASE, "Other", HOSTILE, person=code)
    at = _page(db)
    assert escape(f"{code} · *Star* <i>") in [s.value for s in at.subheader]
    assert f"{HOSTILE}\n{HOSTILE}" in texts(at)
    accounts = [d.value for d in at.dataframe if "handle" in d.value.columns]
    assert accounts[-1]["handle"].tolist() == [HOSTILE]
    for value in _markdown_like(at):
        assert "**bold**" not in value and "<b>" not in value and "*Star*" not in value


def test_a_case_you_are_not_a_member_of_does_not_exist(db, outsider):
    at = signed_in(db, outsider, page=PAGE)
    assert not at.exception
    assert "Case DEMO\\-001 not found" in errors(at)
    assert not at.dataframe and not at.info

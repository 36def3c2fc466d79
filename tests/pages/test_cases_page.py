import re

import pytest

from tests.pages.conftest import button, errors, signed_in
from workbench import access, users
from workbench.ui.safe import escape


def test_analyst_sees_the_demo_case_and_opens_it(db):
    at = signed_in(db, "demo-analyst", case=None, page="pages/cases.py")
    assert not at.exception
    table = at.dataframe[0].value
    assert table["reference"].tolist() == ["DEMO-001"]
    button(at, "Open case").click().run()
    assert not at.exception
    assert at.session_state["case_ref"] == "DEMO-001"


def test_admin_who_is_no_member_sees_no_case(db):
    at = signed_in(db, "demo-admin", case=None, page="pages/cases.py")
    assert not at.exception
    assert not at.dataframe
    assert any("not a member of any case" in i.value for i in at.info)


def _open(at, **given: str):
    form_inputs = {t.label: t for t in at.text_input}
    for label, value in given.items():
        form_inputs[label].input(value)
    # Two buttons read "Open case": the table's first, the new-case form's last.
    [b for b in at.button if b.label == "Open case"][-1].click().run()
    return at


def test_the_form_asks_for_no_reference(db):
    at = signed_in(db, "demo-analyst", case=None, page="pages/cases.py")
    labels = [t.label for t in at.text_input]
    assert labels == ["Title *", "Case-management number", "Child's pseudonym *", "Case lead (username)"]


def test_analyst_opens_a_new_case_under_the_reference_the_workbench_gives(db):
    at = signed_in(db, "demo-analyst", case=None, page="pages/cases.py")
    _open(at, **{"Title *": "Early help review", "Case-management number": "EH-2026-0142"})
    assert not at.exception
    (reference, title, external_ref, lead) = db.execute(
        "SELECT c.reference, c.title, c.external_ref, u.username FROM cases c JOIN users u ON u.id = c.lead_user_id"
        " WHERE c.reference <> 'DEMO-001'"
    ).fetchone()
    assert re.fullmatch(r"C-\d{4}-0001", reference)
    assert (title, external_ref, lead) == ("Early help review", "EH-2026-0142", "demo-analyst")
    assert [s.value for s in at.success] == [escape(f"Case {reference} opened.")]
    assert at.session_state["case_ref"] == reference
    table = at.dataframe[0].value.set_index("reference")
    assert table.loc[reference, "external_ref"] == "EH-2026-0142"
    assert table.loc["DEMO-001", "external_ref"] == "EH-DEMO-0142"


def test_a_case_management_number_another_case_uses_opens_a_case_all_the_same(db):
    at = signed_in(db, "demo-analyst", case=None, page="pages/cases.py")
    _open(at, **{"Title *": "Again", "Case-management number": "EH-DEMO-0142"})
    assert not at.exception and not at.error
    assert db.execute("SELECT COUNT(*) FROM cases WHERE external_ref = 'EH-DEMO-0142'").fetchone()[0] == 2


@pytest.mark.parametrize("lead", ["demo-reviewer", "nobody-by-this-name", "retired-analyst"])
def test_every_lead_refused_gets_the_one_message_and_nothing_is_written(db, lead):
    users.create_user(db, access.SYSTEM, "retired-analyst", "analyst", "retired-long-password-2026")
    users.set_active(db, access.SYSTEM, "retired-analyst", False)
    before = db.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
    at = signed_in(db, "demo-analyst", case=None, page="pages/cases.py")
    _open(at, **{"Title *": "Early help review", "Case lead (username)": lead})
    assert not at.exception
    shown = errors(at)
    assert "no analyst or administrator account by that name can lead" in shown
    assert lead not in shown and "reviewer" not in shown and "active" not in shown
    assert db.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == before


def test_a_bad_field_is_refused_by_field_and_nothing_is_written(db):
    before = db.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
    at = signed_in(db, "demo-analyst", case=None, page="pages/cases.py")
    _open(at, **{"Title *": "", "Case-management number": "EH-1"})
    assert not at.exception
    assert escape("title") in errors(at) and "is required" in errors(at)
    assert not at.success
    assert db.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == before

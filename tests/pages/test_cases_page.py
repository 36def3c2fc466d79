from tests.pages.conftest import button, errors, signed_in


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


def test_analyst_opens_a_new_case_and_leads_it(db):
    at = signed_in(db, "demo-analyst", case=None, page="pages/cases.py")
    form_inputs = {t.label: t for t in at.text_input}
    form_inputs["Reference *"].input("EH-2026-0142")
    form_inputs["Title *"].input("Early help review")
    # Two buttons read "Open case": the table's first, the new-case form's last.
    [b for b in at.button if b.label == "Open case"][-1].click().run()
    assert not at.exception
    row = db.execute(
        "SELECT c.title, u.username FROM cases c JOIN users u ON u.id = c.lead_user_id WHERE reference = ?",
        ("EH-2026-0142",),
    ).fetchone()
    assert row == ("Early help review", "demo-analyst")


def test_a_bad_reference_is_refused_by_field_and_nothing_is_written(db):
    before = db.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
    at = signed_in(db, "demo-analyst", case=None, page="pages/cases.py")
    form_inputs = {t.label: t for t in at.text_input}
    form_inputs["Reference *"].input("../etc/passwd")
    form_inputs["Title *"].input("x")
    [b for b in at.button if b.label == "Open case"][-1].click().run()
    assert "reference" in errors(at)
    assert db.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == before

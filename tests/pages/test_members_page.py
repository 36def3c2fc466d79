"""Members: the lead (or an administrator) sees, adds, re-parts and removes the members of a case."""

import pytest

from tests.pages.conftest import button, errors, signed_in
from workbench import access, cases, users

PAGE = "pages/members.py"


def _members(db, reference: str = "DEMO-001") -> dict[str, str]:
    return dict(
        db.execute(
            "SELECT u.username, m.role FROM case_members m JOIN users u ON u.id = m.user_id"
            " JOIN cases c ON c.id = m.case_id WHERE c.reference = ?",
            (reference,),
        ).fetchall()
    )


def _table(at):
    return next(d.value for d in at.dataframe if "username" in d.value.columns)


def _successes(at) -> str:
    return "\n".join(s.value for s in at.success)


def _add(at, username: str, part: str):
    next(t for t in at.text_input if t.label == "Username").input(username)
    next(s for s in at.selectbox if s.label == "Part").set_value(part)
    return button(at, "Save").click().run()


def _member_choice(at):
    return next(s for s in at.selectbox if s.label == "Member")


def _confirm_box(at):
    return next(c for c in at.checkbox if c.label.startswith("They will no longer see"))


def test_the_lead_sees_the_members_and_their_parts(db):
    at = signed_in(db, "demo-analyst", page=PAGE)
    assert not at.exception
    assert not errors(at)
    table = _table(at)
    assert dict(zip(table["username"], table["role"], strict=True)) == _members(db)
    assert dict(zip(table["username"], table["role"], strict=True)) == {
        "demo-analyst": "lead",
        "demo-reviewer": "reviewer",
    }
    assert table["active"].tolist() == [True, True]


def test_an_administrator_who_is_no_member_sees_them_too(db):
    at = signed_in(db, "demo-admin", page=PAGE)
    assert not at.exception
    assert set(_table(at)["username"]) == {"demo-analyst", "demo-reviewer"}


def test_add_an_analyst(db, outsider):
    at = _add(signed_in(db, "demo-analyst", page=PAGE), outsider, "analyst")
    assert not at.exception
    assert not errors(at)
    assert _members(db)[outsider] == "analyst"
    assert "outside\\-analyst is now analyst in DEMO\\-001\\." in _successes(at)
    assert _table(at).set_index("username").loc[outsider, "role"] == "analyst"
    assert db.execute(
        "SELECT username, item_code FROM audit_events WHERE action = 'case.member.add' ORDER BY seq DESC LIMIT 1"
    ).fetchone() == ("demo-analyst", outsider)


def test_change_a_part(db, outsider):
    cases.add_member(db, access.SYSTEM, "DEMO-001", outsider, "reviewer")
    at = _add(signed_in(db, "demo-analyst", page=PAGE), outsider, "analyst")
    assert not errors(at)
    assert _members(db)[outsider] == "analyst"
    assert db.execute(
        "SELECT json_extract(details, '$.was'), json_extract(details, '$.role') FROM audit_events"
        " WHERE action = 'case.member.role' ORDER BY seq DESC LIMIT 1"
    ).fetchone() == ("reviewer", "analyst")


def test_making_someone_lead_hands_the_lead_over(db, outsider):
    cases.add_member(db, access.SYSTEM, "DEMO-001", outsider, "analyst")
    at = _add(signed_in(db, "demo-analyst", page=PAGE), outsider, "lead")
    assert not at.exception
    assert _members(db) == {outsider: "lead", "demo-analyst": "analyst", "demo-reviewer": "reviewer"}
    # The former lead manages no case any more.
    assert any("you lead none" in i.value for i in at.info)
    assert not at.dataframe


def test_remove_a_member_with_the_confirm_box(db):
    at = signed_in(db, "demo-analyst", page=PAGE)
    _member_choice(at).set_value("demo-reviewer")
    _confirm_box(at).check()
    button(at, "Remove").click().run()
    assert not at.exception
    assert not errors(at)
    assert "demo\\-reviewer was removed from DEMO\\-001\\." in _successes(at)
    assert _members(db) == {"demo-analyst": "lead"}
    assert _table(at)["username"].tolist() == ["demo-analyst"]


def test_remove_without_the_confirm_box_changes_nothing(db):
    at = signed_in(db, "demo-analyst", page=PAGE)
    _member_choice(at).set_value("demo-reviewer")
    button(at, "Remove").click().run()
    assert "Choose a member and tick the box to confirm." in errors(at)
    assert _members(db) == {"demo-analyst": "lead", "demo-reviewer": "reviewer"}


def test_removing_the_lead_is_not_offered(db):
    at = signed_in(db, "demo-analyst", page=PAGE)
    assert _member_choice(at).options == ["demo-reviewer"]


def test_an_unknown_username_is_refused_and_nothing_changes(db):
    before = _members(db)
    at = _add(signed_in(db, "demo-analyst", page=PAGE), "nobody-here", "analyst")
    assert not at.exception
    assert "no active account by that name" in errors(at)
    assert not at.success
    assert _members(db) == before


def test_a_deactivated_user_cannot_be_added(db, outsider):
    users.set_active(db, access.SYSTEM, outsider, False)
    at = _add(signed_in(db, "demo-analyst", page=PAGE), outsider, "analyst")
    assert "no active account by that name" in errors(at)
    assert outsider not in _members(db)


@pytest.mark.parametrize("username", ["demo-reviewer", "nobody-here", "outside-analyst"])
def test_every_name_refused_as_lead_gets_the_one_message(db, outsider, username):
    """A reviewer account, no account, a deactivated one: the lead learns nothing about which."""
    users.set_active(db, access.SYSTEM, outsider, False)
    at = _add(signed_in(db, "demo-analyst", page=PAGE), username, "lead")
    assert not at.exception
    assert "no analyst or administrator account by that name can lead" in errors(at)
    assert "reviewer" not in errors(at) and "active" not in errors(at)
    assert _members(db) == {"demo-analyst": "lead", "demo-reviewer": "reviewer"}


def test_a_missing_case_in_the_url_reads_not_found(db):
    at = signed_in(db, "demo-analyst", case="NOPE-1", page=PAGE)
    assert not at.exception
    assert "Case NOPE\\-1 not found" in errors(at)
    # The page falls back to a case the lead manages; nothing is shown for NOPE-1.
    assert next(s for s in at.selectbox if s.label == "Case").value == "DEMO-001"
    assert not db.execute("SELECT COUNT(*) FROM audit_events WHERE case_ref = 'NOPE-1'").fetchone()[0]


def test_a_case_led_by_someone_else_reads_the_same_as_a_missing_one(db, outsider):
    cases.create_case(db, access.SYSTEM, "OTHER-1", "Someone else's case", subject_pseudonym="Child Z", lead=outsider)
    users.create_user(db, access.SYSTEM, "other-member", "reviewer", "other-member-password-2026")
    cases.add_member(db, access.SYSTEM, "OTHER-1", "other-member", "reviewer")
    at = signed_in(db, "demo-analyst", case="OTHER-1", page=PAGE)
    assert not at.exception
    assert "Case OTHER\\-1 not found" in errors(at)
    case_choice = next(s for s in at.selectbox if s.label == "Case")
    assert case_choice.options == ["DEMO-001"]
    shown = set(_table(at)["username"])
    assert outsider not in shown and "other-member" not in shown
    assert not db.execute(
        "SELECT COUNT(*) FROM audit_events WHERE case_ref = 'OTHER-1' AND username = 'demo-analyst'"
    ).fetchone()[0]


def test_each_removal_needs_its_own_confirmation(db, outsider):
    cases.add_member(db, access.SYSTEM, "DEMO-001", outsider, "analyst")
    at = signed_in(db, "demo-analyst", page=PAGE)
    _member_choice(at).set_value("demo-reviewer")
    _confirm_box(at).check()
    button(at, "Remove").click().run()
    assert "demo-reviewer" not in _members(db)
    _member_choice(at).set_value(outsider)
    button(at, "Remove").click().run()  # the box was not ticked for this one
    assert _members(db).get(outsider) == "analyst"
    assert "Choose a member and tick the box to confirm." in errors(at)

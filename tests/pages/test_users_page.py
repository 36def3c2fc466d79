"""Users: an administrator adds accounts (temporary password shown once), deactivates, unlocks,
resets passwords and changes roles and e-mail addresses; refusals are messages and change nothing."""

import pytest

from tests.pages.conftest import errors, signed_in
from workbench import access, users
from workbench.errors import AuthenticationFailed

PAGE = "pages/users.py"


def _page(db):
    at = signed_in(db, "demo-admin", case=None, page=PAGE)
    assert not at.exception
    return at


def _table(at):
    return next(d.value for d in at.dataframe if "temporary_password" in d.value.columns).set_index("username")


def _row(db, username: str) -> dict:
    cursor = db.execute("SELECT * FROM users WHERE username = ?", (username,))
    values = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], values, strict=True)) if values else {}


def _successes(at) -> str:
    return "\n".join(s.value for s in at.success)


def _by_label(widgets, label: str):
    found = [w for w in widgets if w.label == label]
    assert len(found) == 1, f"{len(found)} widgets labelled {label!r}"
    return found[0]


def _add(at, username: str, *, name: str = "", role: str = "analyst", email: str = ""):
    _by_label(at.text_input, "Username *").input(username)
    _by_label(at.text_input, "Name").input(name)
    _by_label(at.selectbox, "Role *").set_value(role)
    _by_label(at.text_input, "E-mail for single sign-on").input(email)
    return _by_label(at.button, "Add user").click().run()


def _choose(at, username: str):
    return _by_label(at.selectbox, "User").set_value(username).run()


def _user_count(db) -> int:
    return db.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def test_the_administrator_sees_every_account(db):
    at = _page(db)
    table = _table(at)
    assert sorted(table.index) == sorted(r[0] for r in db.execute("SELECT username FROM users"))
    assert table.loc["demo-analyst", "role"] == "analyst"
    assert not table["temporary_password"].any()


def test_adding_a_user_shows_a_temporary_password_once(db):
    at = _add(_page(db), "new-starter", name="New Starter", role="reviewer", email="New.Starter@Example.org")
    assert not at.exception
    assert not errors(at)
    assert len(at.code) == 1
    password = at.code[0].value
    assert "new\\-starter" in _successes(at)
    row = _row(db, "new-starter")
    assert (row["role"], row["display_name"], row["email"], row["must_change_password"]) == (
        "reviewer",
        "New Starter",
        "new.starter@example.org",
        1,
    )
    assert bool(_table(at).loc["new-starter", "temporary_password"]) is True
    assert users.authenticate(db, "new-starter", password).must_change_password
    # Shown once: the next run no longer has it.
    at.run()
    assert not at.code
    assert password not in "\n".join(str(e.value) for e in at.main if hasattr(e, "value"))


def test_a_bad_username_is_refused_and_nothing_is_added(db):
    before = _user_count(db)
    at = _add(_page(db), "Bad Name!")
    assert not at.exception
    assert "**username**" in errors(at)
    assert not at.code
    assert _user_count(db) == before


def test_a_taken_username_is_refused(db):
    before = _user_count(db)
    at = _add(_page(db), "demo-reviewer")
    assert "demo\\-reviewer is taken" in errors(at)
    assert not at.code
    assert _user_count(db) == before


def test_a_taken_email_is_refused_when_adding(db):
    users.set_email(db, access.SYSTEM, "demo-analyst", "sam@example.org")
    before = _user_count(db)
    at = _add(_page(db), "new-starter", email="sam@example.org")
    assert "sam\\@example\\.org is already the address of demo\\-analyst" in errors(at)
    assert not at.code
    assert _user_count(db) == before
    assert not _row(db, "new-starter")


def test_deactivate_and_reactivate(db):
    at = _choose(_page(db), "demo-reviewer")
    at.button(key="deactivate").click().run()
    assert not at.exception
    assert not errors(at)
    assert "demo\\-reviewer is deactivated\\." in _successes(at)
    assert _row(db, "demo-reviewer")["active"] == 0
    assert bool(_table(at).loc["demo-reviewer", "active"]) is False
    at.button(key="reactivate").click().run()
    assert not at.exception
    assert "demo\\-reviewer is active again\\." in _successes(at)
    assert _row(db, "demo-reviewer")["active"] == 1
    actions = [r[0] for r in db.execute("SELECT action FROM audit_events WHERE item_code = 'demo-reviewer'")]
    assert actions[-2:] == ["user.deactivate", "user.activate"]


def test_the_administrator_cannot_deactivate_themselves(db):
    at = _choose(_page(db), "demo-admin")
    at.button(key="deactivate").click().run()
    assert "You cannot deactivate your own account\\." in errors(at)
    assert _row(db, "demo-admin")["active"] == 1


def _lock(db, username: str) -> None:
    for attempt in range(5):
        with pytest.raises(AuthenticationFailed):
            users.authenticate(db, username, f"wrong-password-{attempt}")
    assert _row(db, username)["locked_until"] is not None


def test_unlock_a_locked_account(db):
    at = _choose(_page(db), "demo-reviewer")
    assert at.button(key="unlock").disabled
    _lock(db, "demo-reviewer")
    at.run()
    assert _table(at).loc["demo-reviewer", "locked_until"] is not None
    assert not at.button(key="unlock").disabled
    at.button(key="unlock").click().run()
    assert not at.exception
    assert "demo\\-reviewer is unlocked\\." in _successes(at)
    assert _row(db, "demo-reviewer")["locked_until"] is None
    assert users.authenticate(db, "demo-reviewer", "demo-reviewer-only-2026").username == "demo-reviewer"


def test_reset_password_shows_a_temporary_one_once(db):
    at = _choose(_page(db), "demo-reviewer")
    at.button(key="reset_password").click().run()
    assert not at.exception
    assert len(at.code) == 1
    password = at.code[0].value
    assert _row(db, "demo-reviewer")["must_change_password"] == 1
    assert bool(_table(at).loc["demo-reviewer", "temporary_password"]) is True
    assert users.authenticate(db, "demo-reviewer", password).must_change_password
    with pytest.raises(AuthenticationFailed):
        users.authenticate(db, "demo-reviewer", "demo-reviewer-only-2026")
    at.run()
    assert not at.code


def test_change_role_and_email(db):
    at = _choose(_page(db), "demo-reviewer")
    _by_label(at.selectbox, "Role").set_value("analyst")
    _by_label(at.text_input, "E-mail").input("jo@example.org")
    at.button(key="save_user").click().run()
    assert not at.exception
    assert not errors(at)
    assert "demo\\-reviewer is saved\\." in _successes(at)
    row = _row(db, "demo-reviewer")
    assert (row["role"], row["email"]) == ("analyst", "jo@example.org")
    table = _table(at)
    assert (table.loc["demo-reviewer", "role"], table.loc["demo-reviewer", "email"]) == ("analyst", "jo@example.org")


def test_a_taken_email_is_refused_when_changing(db):
    users.set_email(db, access.SYSTEM, "demo-analyst", "sam@example.org")
    at = _choose(_page(db), "demo-reviewer")
    _by_label(at.text_input, "E-mail").input("sam@example.org")
    at.button(key="save_user").click().run()
    assert "sam\\@example\\.org is already the address of demo\\-analyst" in errors(at)
    assert not at.success
    assert _row(db, "demo-reviewer")["email"] is None


def test_a_lead_cannot_be_made_a_reviewer(db):
    at = _choose(_page(db), "demo-analyst")
    _by_label(at.selectbox, "Role").set_value("reviewer")
    at.button(key="save_user").click().run()
    assert "demo\\-analyst leads DEMO\\-001" in errors(at)
    assert _row(db, "demo-analyst")["role"] == "analyst"


def test_the_role_and_email_fields_show_the_chosen_users_own_values(db, outsider):
    at = _choose(_page(db), "demo-analyst")
    _by_label(at.selectbox, "Role").set_value("admin")
    _by_label(at.text_input, "E-mail").input("typed-for-sam@example.org")
    at.run()  # not saved: the administrator changes their mind and picks someone else
    _choose(at, outsider)
    shown = (_by_label(at.selectbox, "Role").value, _by_label(at.text_input, "E-mail").value)
    at.button(key="save_user").click().run()
    assert shown == ("analyst", "")
    assert (_row(db, outsider)["role"], _row(db, outsider)["email"]) == ("analyst", None)


# --- issue 24: locked accounts and addresses held back, seen and cleared -------------------------


def test_locked_accounts_are_listed_with_an_unlock_button(db):
    at = _page(db)
    assert not [s for s in at.subheader if s.value == "Locked accounts"]
    _lock(db, "demo-reviewer")
    at.run()
    assert [s.value for s in at.subheader if s.value == "Locked accounts"]
    assert any(t.value.startswith("demo-reviewer · locked until ") for t in at.text)
    at.button(key="unlock_locked_demo-reviewer").click().run()
    assert not at.exception
    assert "demo\\-reviewer is unlocked\\." in _successes(at)
    assert _row(db, "demo-reviewer")["locked_until"] is None
    event = db.execute("SELECT username, action, item_code FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    assert event == ("demo-admin", "user.unlock", "demo-reviewer")


def test_addresses_with_failed_sign_ins_are_listed_and_cleared(db):
    from workbench import throttle

    for _ in range(10):
        with pytest.raises(AuthenticationFailed):
            throttle.authenticate(db, "203.0.113.9", "nobody-known", "whatever-it-is")
    at = _page(db)
    [listed] = [d.value for d in at.dataframe if "held_back" in d.value.columns]
    assert listed[["client", "failures", "held_back"]].values.tolist() == [["203.0.113.9", 10, True]]
    assert at.button(key="clear_client").disabled
    at.selectbox(key="client_to_clear").set_value("203.0.113.9").run()
    at.button(key="clear_client").click().run()
    assert not at.exception
    assert "Failed sign\\-ins from 203\\.0\\.113\\.9 are cleared\\." in _successes(at)
    assert not [d for d in at.dataframe if "held_back" in d.value.columns]
    event = db.execute("SELECT username, action, item_code FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    assert event == ("demo-admin", "sign_in.client_clear", "203.0.113.9")

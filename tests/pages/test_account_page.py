"""My account: who I am, my own recent activity (nobody else's), and changing my password."""

from streamlit.testing.v1 import AppTest

from tests.pages.conftest import ROOT, button, errors, seat, signed_in, texts
from workbench import audit, users
from workbench.errors import AuthenticationFailed

PAGE = "pages/account.py"
PASSWORD = "demo-analyst-only-2026"  # noqa: S105 (the demo's published password)
CHOSEN = "kettle lighthouse orbit crayon"  # noqa: S105 (a test password)


def _activity(at):
    return next(d.value for d in at.dataframe if "action" in d.value.columns)


def _change(at, current: str, new: str, again: str | None = None):
    by_label = {t.label: t for t in at.text_input}
    by_label["Current password"].input(current)
    by_label["New password"].input(new)
    by_label["New password again"].input(new if again is None else again)
    return button(at, "Set password").click().run()


def _signs_in(db, password: str) -> bool:
    try:
        users.authenticate(db, "demo-analyst", password)
    except AuthenticationFailed:
        return False
    return True


def test_the_page_says_who_i_am(db):
    at = signed_in(db, "demo-analyst", case=None, page=PAGE)
    assert not at.exception
    assert [t.value for t in at.title] == ["My account"]
    assert "(demo-analyst) · analyst" in texts(at)


def test_my_recent_activity_is_mine_only(db):
    audit.record(db, "demo-reviewer", "case.view", case_ref="DEMO-001", details={"marker": "not mine"})
    audit.record(db, "demo-admin", "user.list")
    at = signed_in(db, "demo-analyst", case=None, page=PAGE)
    shown = _activity(at)
    mine = [r[0] for r in db.execute("SELECT seq FROM audit_events WHERE username = 'demo-analyst' ORDER BY seq DESC")]
    assert len(shown) > 0
    assert shown["seq"].tolist() == mine[:200]
    others = {r[0] for r in db.execute("SELECT seq FROM audit_events WHERE username != 'demo-analyst'")}
    assert not others & set(shown["seq"])
    assert "not mine" not in " ".join(shown["details"].fillna(""))
    assert "username" not in shown.columns


def test_change_my_password(db):
    at = signed_in(db, "demo-analyst", case=None, page=PAGE)
    _change(at, PASSWORD, CHOSEN)
    assert not at.exception
    assert not errors(at)
    assert any(s.value == "Your password is changed." for s in at.success)
    assert _signs_in(db, CHOSEN)
    assert not _signs_in(db, PASSWORD)
    assert db.execute(
        "SELECT COUNT(*) FROM audit_events WHERE username = 'demo-analyst' AND action = 'password.change'"
    ).fetchone() == (1,)


def test_a_wrong_current_password_is_refused(db):
    at = signed_in(db, "demo-analyst", case=None, page=PAGE)
    _change(at, "not-my-password-at-all", CHOSEN)
    assert not at.exception
    assert "**current\\_password**: is not your current password" in errors(at)
    assert not at.success
    assert _signs_in(db, PASSWORD)
    assert not _signs_in(db, CHOSEN)


def test_a_mismatched_confirmation_is_refused(db):
    at = signed_in(db, "demo-analyst", case=None, page=PAGE)
    _change(at, PASSWORD, CHOSEN, again=CHOSEN + " typo")
    assert "does not match the new password" in errors(at)
    assert _signs_in(db, PASSWORD)


def test_single_sign_on_users_get_no_password_form(db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    seat(at, db, "demo-analyst", method="sso")
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert not at.text_input
    assert len(_activity(at)) > 0

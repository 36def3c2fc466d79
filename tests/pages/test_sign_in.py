from streamlit.testing.v1 import AppTest

from tests.pages.conftest import ROOT, button, errors
from tests.pages.test_navigation import CHOOSE_PASSWORD, registered_pages
from workbench import access, signins, users

# Markdown-escaped, as st.error shows it; the same words whatever went wrong.
REFUSED = (
    "Sign\\-in refused\\: wrong username or password\\. After 5 failed attempts in a row an account is locked"
    " for 15 minutes\\; an administrator can unlock it\\."
)
ANALYST_PASSWORD = "demo-analyst-only-2026"  # noqa: S105 (the demo's published password)


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()


def _sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    return button(at, "Sign in").click().run()


def test_signed_out_visitor_sees_only_the_sign_in_form(home):
    at = _app()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert "sign_in_id" not in at.session_state


def test_wrong_password_gets_the_generic_message_and_no_session(home):
    at = _sign_in(_app(), "demo-analyst", "not-the-password")
    assert not at.exception
    assert errors(at) == REFUSED
    assert "sign_in_id" not in at.session_state


def test_unknown_user_gets_the_same_message(home):
    at = _sign_in(_app(), "nobody-at-all", "whatever-password")
    assert errors(at) == REFUSED
    assert "sign_in_id" not in at.session_state


def test_right_password_signs_in_and_shows_the_cases(home, db):
    at = _sign_in(_app(), "demo-analyst", ANALYST_PASSWORD)
    assert not at.exception
    assert at.session_state["sign_in_id"] is not None
    assert any(t.value == "Home" for t in at.title)
    events = [r["action"] for r in db.query("SELECT action FROM audit_events WHERE username = 'demo-analyst'")]
    assert "sign_in" in events


def _locked_until(db, username: str):
    return db.execute("SELECT locked_until FROM users WHERE username = ?", (username,)).fetchone()[0]


def test_five_failures_lock_the_account_and_the_right_password_is_then_refused(home, db):
    at = _app()
    for attempt in range(1, 6):
        _sign_in(at, "demo-analyst", f"wrong-password-number-{attempt}")
        assert not at.exception
        assert errors(at) == REFUSED, f"attempt {attempt}"
        assert "sign_in_id" not in at.session_state
        if attempt < 5:
            assert _locked_until(db, "demo-analyst") is None, f"locked after only {attempt} failures"
    assert _locked_until(db, "demo-analyst") is not None
    assert db.execute(
        "SELECT COUNT(*) FROM audit_events WHERE username = 'demo-analyst' AND action = 'account.locked'"
    ).fetchone() == (1,)

    # The right password, replayed while the account is locked: the same words, no session.
    _sign_in(at, "demo-analyst", ANALYST_PASSWORD)
    assert not at.exception
    assert errors(at) == REFUSED
    assert "sign_in_id" not in at.session_state
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    reasons = [
        r[0]
        for r in db.execute(
            "SELECT json_extract(details, '$.reason') FROM audit_events"
            " WHERE username = 'demo-analyst' AND action = 'sign_in.failed' ORDER BY seq"
        )
    ]
    assert reasons == ["wrong password"] * 5 + ["account locked"]
    assert not db.execute(
        "SELECT COUNT(*) FROM audit_events WHERE username = 'demo-analyst' AND action = 'sign_in'"
    ).fetchone()[0]


TEMPORARY = "amber-heron-quartz-willow-maple-042"  # noqa: S105 (a test password)
CHOSEN = "kettle lighthouse orbit crayon"  # noqa: S105 (a test password)


def test_a_temporary_password_leads_only_to_choosing_a_new_one(home, db):
    users.create_user(db, access.SYSTEM, "new-starter", "analyst", TEMPORARY, temporary=True)
    at = _sign_in(_app(), "new-starter", TEMPORARY)
    assert not at.exception
    assert signins.get(db, at.session_state["sign_in_id"]).user_id == users.user_by_name(db, "new-starter").id
    assert registered_pages(at) == {CHOOSE_PASSWORD}
    assert [t.value for t in at.title] == ["Choose your password"]
    assert [t.label for t in at.text_input] == ["Current password", "New password", "New password again"]


def test_choosing_a_new_password_opens_the_normal_navigation(home, db):
    users.create_user(db, access.SYSTEM, "new-starter", "analyst", TEMPORARY, temporary=True)
    at = _sign_in(_app(), "new-starter", TEMPORARY)
    by_label = {t.label: t for t in at.text_input}
    by_label["Current password"].input(TEMPORARY)
    by_label["New password"].input(CHOSEN)
    by_label["New password again"].input(CHOSEN)
    button(at, "Set password").click().run()
    assert not at.exception
    assert not errors(at)
    assert registered_pages(at) == {
        "Home",
        "Cases",
        "Case overview",
        "Record observation",
        "Observations",
        "Evidence",
        "Trusted facts",
        "Persons of concern",
        "Cross-references",
        "Actions",
        "Viewing log",
        "Authorisations",
        "Timeline",
        "Conference view",
        "Export",
        "My account",
    }
    assert any(t.value == "Home" for t in at.title)
    row = db.execute("SELECT must_change_password FROM users WHERE username = 'new-starter'").fetchone()
    assert row == (0,)
    assert not users.authenticate(db, "new-starter", CHOSEN).must_change_password


def test_the_temporary_password_page_refuses_a_weak_choice(home, db):
    users.create_user(db, access.SYSTEM, "new-starter", "analyst", TEMPORARY, temporary=True)
    at = _sign_in(_app(), "new-starter", TEMPORARY)
    by_label = {t.label: t for t in at.text_input}
    by_label["Current password"].input(TEMPORARY)
    by_label["New password"].input("short")
    by_label["New password again"].input("short")
    button(at, "Set password").click().run()
    assert not at.exception
    assert "at least 12 characters" in errors(at)
    assert registered_pages(at) == {CHOOSE_PASSWORD}
    row = db.execute("SELECT must_change_password FROM users WHERE username = 'new-starter'").fetchone()
    assert row == (1,)


# Sign-out lives in app.py's sidebar; AppTest reruns only the page after a click, so the
# browser test (tests/browser) signs out for real.


def test_a_bad_setting_is_a_message_not_a_crash(home, monkeypatch):
    monkeypatch.setenv("WORKBENCH_GRADING", "nato")
    at = _app()
    assert not at.exception
    assert "WORKBENCH\\_GRADING must be one of" in errors(at)
    assert not at.text_input


def test_the_form_counts_failures_by_address_and_holds_a_failing_one_back(home, db):
    # AppTest has no client address: its attempts count as "(no address)", like a same-machine proxy's.
    at = _app()
    for attempt in range(10):
        _sign_in(at, ("demo-admin", "demo-reviewer", "nobody-at-all")[attempt % 3], f"wrong-password-{attempt}")
        assert errors(at) == REFUSED
    _sign_in(at, "demo-analyst", ANALYST_PASSWORD)
    assert errors(at) == REFUSED, "held back: the same words, even with the right password"
    assert "user_id" not in at.session_state
    assert _locked_until(db, "demo-analyst") is None and _locked_until(db, "demo-reviewer") is None
    reason = db.execute("SELECT details FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert '"reason": "client held back"' in reason and '"client": "(no address)"' in reason

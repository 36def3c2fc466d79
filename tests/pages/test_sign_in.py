from streamlit.testing.v1 import AppTest

from tests.pages.conftest import ROOT, button, errors


def test_signed_out_visitor_sees_only_the_sign_in_form(home):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert "user_id" not in at.session_state


def test_wrong_password_gets_the_generic_message_and_no_session(home):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_input[0].input("demo-analyst")
    at.text_input[1].input("not-the-password")
    button(at, "Sign in").click().run()
    assert "Wrong username or password." in errors(at)
    assert "user_id" not in at.session_state


def test_unknown_user_gets_the_same_message(home):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_input[0].input("nobody-at-all")
    at.text_input[1].input("whatever-password")
    button(at, "Sign in").click().run()
    assert "Wrong username or password." in errors(at)


def test_right_password_signs_in_and_shows_the_cases(home, db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_input[0].input("demo-analyst")
    at.text_input[1].input("demo-analyst-2026!")
    button(at, "Sign in").click().run()
    assert not at.exception
    assert at.session_state["user_id"] is not None
    assert any(t.value == "Cases" for t in at.title)
    events = [r["action"] for r in db.query("SELECT action FROM audit_events WHERE username = 'demo-analyst'")]
    assert "sign_in" in events


# Sign-out lives in app.py's sidebar; AppTest reruns only the page after a click, so the
# browser test (tests/browser) signs out for real.


def test_a_bad_setting_is_a_message_not_a_crash(home, monkeypatch):
    monkeypatch.setenv("WORKBENCH_GRADING", "nato")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "WORKBENCH\\_GRADING must be one of" in errors(at)
    assert not at.text_input

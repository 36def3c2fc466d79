"""AppTest fixtures: a real workbench home with the demo case, and a signed-in app."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from workbench import access, signins, users
from workbench.config import Settings
from workbench.db import open_home
from workbench.demo import load_demo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """The demo home built once (argon2 hashing is slow); each test gets a copy."""
    home = tmp_path_factory.mktemp("demo-template")
    db = open_home(Settings.from_env(home))
    load_demo(db)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return home


@pytest.fixture
def home(demo_template, tmp_path, monkeypatch) -> Path:
    target = tmp_path / "home"
    target.mkdir()
    for item in demo_template.iterdir():
        if item.is_file():
            (target / item.name).write_bytes(item.read_bytes())
    monkeypatch.setenv("WORKBENCH_HOME", str(target))
    return target


@pytest.fixture
def db(home):
    database = open_home(Settings.from_env(home))
    yield database
    database.conn.close()


OUTSIDER = "outside-analyst"


@pytest.fixture
def outsider(db) -> str:
    """An analyst who is a member of no case: DEMO-001 must not exist for them."""
    users.create_user(db, access.SYSTEM, OUTSIDER, "analyst", "outsider-long-password-2026")
    return OUTSIDER


def seat(at: AppTest, db, username: str, method: str = "password") -> str:
    """Put a signed-in `username` in the app's session: a sign-in record as the sign-in page makes
    one, with no browser key (AppTest has no browser, no HTTP request and so no cookie)."""
    sign_in_id = signins.begin(db, users.current_actor(db, users.user_by_name(db, username).id), method, None)
    at.session_state["sign_in_id"] = sign_in_id
    at.session_state["username"] = username
    at.session_state["sign_in_method"] = method
    return sign_in_id


def signed_in(db, username: str, *, case: str | None = "DEMO-001", page: str | None = None) -> AppTest:
    """An app with `username` signed in (the sign-in screen has its own tests)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    seat(at, db, username)
    if case:
        at.query_params["case"] = case
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def button(at: AppTest, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r}; buttons: {[b.label for b in at.button]}"
    return found[0]


def texts(at: AppTest) -> str:
    return "\n".join(t.value for t in at.text)


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)

"""A session ID is not a key (issue 24, point 3).

A real Chromium signs in; the test reads the Streamlit session ID the server sent it, as anyone who
learns it might, then a second client (a plain websocket, with no cookie) attaches to that session
and asks it to run. It must find a signed-out session: the sign-in ends, on record, and neither the
second client nor the first browser gets back in without the password."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

from tests.browser.conftest import RunningApp, new_page, sign_in, start_app

pytestmark = pytest.mark.browser

ANALYST, ANALYST_PASSWORD = "demo-analyst", "demo-analyst-only-2026"
DISPLAY_NAME = "Sam Okafor"


@pytest.fixture(scope="module")
def key_app(tmp_path_factory) -> Iterator[RunningApp]:
    with start_app(tmp_path_factory.mktemp("session-key-home")) as app:
        yield app


def _session_id_of(frames: list[bytes]) -> str:
    for frame in frames:
        message = ForwardMsg()
        message.ParseFromString(frame)
        if message.WhichOneof("type") == "new_session" and message.new_session.initialize.session_id:
            return message.new_session.initialize.session_id
    raise AssertionError("the server sent no session id")


def _attach(app: RunningApp, session_id: str, *, seconds: float = 20) -> str:
    """Attach to `session_id` as a second client with no cookie, ask for a run, and return the text
    of everything the server sent back until the run finished."""
    received: list[str] = []
    with connect(
        f"ws://127.0.0.1:{app.port}/_stcore/stream",
        subprotocols=["streamlit", "PLACEHOLDER_AUTH_TOKEN", session_id],
        origin=f"http://127.0.0.1:{app.port}",
        open_timeout=10,
    ) as socket:
        rerun = BackMsg()
        rerun.rerun_script.query_string = ""
        rerun.rerun_script.page_script_hash = ""
        socket.send(rerun.SerializeToString())
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                frame = socket.recv(timeout=max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                break
            message = ForwardMsg()
            message.ParseFromString(frame)
            received.append(str(message))
            if message.WhichOneof("type") == "script_finished":
                break
    return "\n".join(received)


def test_a_stolen_session_id_attaches_to_a_signed_out_session(browser, key_app):
    page = new_page(browser)
    frames: list[bytes] = []
    page.on(
        "websocket",
        lambda socket: socket.on(
            "framereceived", lambda frame: frames.append(frame) if isinstance(frame, bytes) else None
        ),
    )
    sign_in(page, key_app.url, ANALYST, ANALYST_PASSWORD)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    session_id = _session_id_of(frames)
    before = key_app.last_seq()

    seen = _attach(key_app, session_id)

    # The intruder's run draws the sign-in form and nothing of the user's: not their name, not the
    # sidebar's sign-out, not a case. (Streamlit's greeting repeats the titles of the pages the
    # session had before this run; the run then replaces them with "Sign in" alone.)
    assert "Your session has ended" in seen and 'label: "Sign in"' in seen
    assert DISPLAY_NAME not in seen and "Sign out" not in seen and "DEMO-001" not in seen
    assert (ANALYST, "sign_out", {"reason": "a connection without this browser's key"}) in key_app.audit(after=before)
    # The sign-in is over for the browser that made it too: its next click finds the sign-in form.
    page.reload()
    page.get_by_role("button", name="Sign in", exact=True).wait_for()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    page.context.close()


def test_without_the_browsers_key_nobody_signs_in(browser, tmp_path):
    """The key is the workbench server's to give. Started as `streamlit run app.py` (Streamlit's
    server alone), no browser is given one, so no sign-in can be bound: the sign-in page says so
    before any password is checked."""
    with start_app(tmp_path / "home", script="app.py") as bare:
        page = new_page(browser)
        page.goto(bare.url)
        page.get_by_label("Username").fill(ANALYST)
        page.get_by_label("Password", exact=True).fill(ANALYST_PASSWORD)
        before = bare.last_seq()
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_text("has not been given the workbench's sign-in cookie")).to_be_visible()
        assert [a for _, a, _ in bare.audit(after=before)] == []  # no password checked, nobody signed in
        page.context.close()

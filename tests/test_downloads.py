"""Case files leave only to the sign-in and browser they were offered to (issue 24, points 1-2).

The endpoint is driven through Starlette's TestClient: the real routes and middleware of
`workbench/web/`, the real database and evidence store under tmp_path. The browser tests drive the
same endpoint through the real server (tests/browser/test_files_in_browser.py)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from datetime import timedelta

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests import evidence_files as files
from tests.conftest import CASE, authorised_case
from workbench import cases, downloads, evidence, export, signins, timeline, users
from workbench.access import Right
from workbench.config import EvidenceLimits
from workbench.errors import NotFound, PermissionDenied
from workbench.timeutil import from_iso_utc, now_utc, to_iso_utc
from workbench.web import browser_key, middleware, routes

KEY = "a-browser-key-for-the-tests"
OTHER_KEY = "another-browser-entirely"


@pytest.fixture
def client(world, db, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(world.home))
    app = Starlette(routes=routes(), middleware=middleware(world))
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def _image(db, analyst) -> str:
    [result] = evidence.add_files(
        db, analyst, CASE, [evidence.Upload.of_bytes("profile.png", files.png())],
        {"confirmed_no_indecent_image": True, "shows": "A test picture"}, limits=EvidenceLimits(),
    )  # fmt: skip
    return result.code


def _fetch(client, token: str, key: str | None = KEY):
    client.cookies.clear()
    if key is not None:
        client.cookies.set(browser_key.NAME, key)
    return client.get(f"/files/{token}")


def _events(db, action: str) -> list[dict]:
    return list(db.query("SELECT * FROM audit_events WHERE action = ? ORDER BY seq", (action,)))


def test_an_original_is_served_once_to_its_browser_and_the_fetch_is_audited(db, analyst, client):
    code = _image(db, analyst)
    sign_in = signins.begin(db, analyst, "password", KEY)
    token = downloads.offer(
        db, analyst, CASE, "evidence.original", sign_in_id=sign_in, file_name="profile.png", params={"code": code}
    )
    assert _events(db, "evidence.download") == []  # offering reads nothing

    got = _fetch(client, token)
    assert got.status_code == 200
    assert got.content == files.png()
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["cache-control"] == "no-store"
    assert got.headers["x-content-type-options"] == "nosniff"
    [event] = _events(db, "evidence.download")
    assert (event["username"], event["item_code"]) == ("analyst", code)

    again = _fetch(client, token)
    assert again.status_code == 404
    assert again.text == _fetch(client, "no-such-token").text  # every refusal says the same


def test_no_cookie_another_browser_or_a_made_up_token_gets_nothing(db, analyst, client):
    code = _image(db, analyst)
    sign_in = signins.begin(db, analyst, "password", KEY)

    def offered() -> str:
        return downloads.offer(
            db, analyst, CASE, "evidence.original", sign_in_id=sign_in, file_name="p.png", params={"code": code}
        )

    assert _fetch(client, offered(), key=None).status_code == 404
    assert _fetch(client, offered(), key=OTHER_KEY).status_code == 404
    assert _fetch(client, "x" * 43).status_code == 404
    assert _events(db, "evidence.download") == []
    reasons = [json.loads(e["details"])["reason"] for e in _events(db, "file.refused")]
    assert reasons == ["another browser", "another browser"]


def test_sign_out_deactivation_and_a_lost_right_stop_a_link_already_given(db, admin, analyst, client):
    code = _image(db, analyst)

    def offered(sign_in: str) -> str:
        return downloads.offer(
            db, analyst, CASE, "evidence.preview", sign_in_id=sign_in, file_name="p", params={"code": code}
        )

    signed_out = signins.begin(db, analyst, "password", KEY)
    token = offered(signed_out)
    assert _fetch(client, token).status_code == 200  # a preview may be fetched again while it is good
    signins.end(db, signed_out, "analyst", "signed out")
    assert _fetch(client, token).status_code == 404

    live = signins.begin(db, analyst, "password", KEY)
    token = offered(live)
    users.set_active(db, admin, "analyst", False)
    assert _fetch(client, token).status_code == 404
    users.set_active(db, admin, "analyst", True)
    assert _fetch(client, token).status_code == 200

    cases.add_member(db, admin, CASE, "analyst2", "analyst")
    analyst2 = users.user_by_name(db, "analyst2")
    member = signins.begin(db, analyst2, "password", OTHER_KEY)
    preview = downloads.offer(
        db, analyst2, CASE, "evidence.preview", sign_in_id=member, file_name="p", params={"code": code}
    )
    assert _fetch(client, preview, key=OTHER_KEY).status_code == 200
    cases.remove_member(db, admin, CASE, "analyst2")
    assert _fetch(client, preview, key=OTHER_KEY).status_code == 404


def test_a_role_changed_after_the_link_was_given_counts_at_the_fetch(db, admin, analyst, analyst2, client):
    code = _image(db, analyst)
    cases.add_member(db, admin, CASE, "analyst2", "analyst")
    sign_in = signins.begin(db, analyst2, "password", KEY)
    token = downloads.offer(
        db, analyst2, CASE, "evidence.original", sign_in_id=sign_in, file_name="p.png", params={"code": code}
    )
    users.set_role(db, admin, "analyst2", "reviewer")  # the Actor the link was made with still says analyst
    assert _fetch(client, token).status_code == 404
    assert _events(db, "evidence.download") == []


def test_a_link_expires_and_an_idle_sign_in_serves_nothing(db, analyst, client, settings):
    code = _image(db, analyst)
    sign_in = signins.begin(db, analyst, "password", KEY)
    token = downloads.offer(
        db, analyst, CASE, "evidence.preview", sign_in_id=sign_in, file_name="p", params={"code": code}
    )
    past = to_iso_utc(from_iso_utc(now_utc()) - timedelta(seconds=1))
    db.execute("UPDATE file_grants SET expires_at = ?", (past,))
    assert _fetch(client, token).status_code == 404

    token = downloads.offer(
        db, analyst, CASE, "evidence.preview", sign_in_id=sign_in, file_name="p", params={"code": code}
    )
    idle = to_iso_utc(from_iso_utc(now_utc()) - timedelta(minutes=settings.sign_in.idle_minutes + 2))
    db.execute("UPDATE sign_ins SET last_seen_at = ?", (idle,))
    assert _fetch(client, token).status_code == 404
    signins.touch(db, sign_in)
    assert _fetch(client, token).status_code == 200


def test_offering_goes_through_the_one_permission_check(db, analyst, analyst2, reviewer):
    code = _image(db, analyst)
    sign_in = signins.begin(db, analyst2, "password", KEY)
    with pytest.raises(NotFound):  # not a member: the case does not exist for them
        downloads.offer(db, analyst2, CASE, "evidence.original", sign_in_id=sign_in, file_name="p", params={})
    with pytest.raises(PermissionDenied):  # reviewers read on screen; they take no copies out
        downloads.offer(
            db, reviewer, CASE, "evidence.original", sign_in_id=sign_in, file_name="p", params={"code": code}
        )
    with pytest.raises(PermissionDenied):
        evidence.original(db, reviewer, CASE, code)
    assert db.execute("SELECT COUNT(*) FROM file_grants").fetchone()[0] == 0


def test_a_keyless_sign_in_is_never_served(db, analyst, client):
    """A sign-in made where no browser was involved cannot be used by one, with or without a key."""
    code = _image(db, analyst)
    sign_in = signins.begin(db, analyst, "password", None)
    for key in (None, KEY):
        token = downloads.offer(
            db, analyst, CASE, "evidence.preview", sign_in_id=sign_in, file_name="p", params={"code": code}
        )
        assert _fetch(client, token, key=key).status_code == 404


def test_a_timeline_csv_is_made_when_fetched_with_the_filters_it_was_offered(db, analyst, client, observation_input):
    from workbench import observations

    observations.record(db, analyst, CASE, observation_input())
    sign_in = signins.begin(db, analyst, "password", KEY)
    filters = timeline.TimelineFilter(kinds=("profile_indicator",))
    token = downloads.offer(
        db, analyst, CASE, "timeline.csv", sign_in_id=sign_in, file_name="t.csv",
        params={"filters": downloads.filters_as_params(filters), "only": None, "file_name": "t.csv"},
    )  # fmt: skip
    assert _events(db, "timeline.download") == []
    got = _fetch(client, token)
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/csv")
    assert got.content == timeline.download_csv(db, analyst, CASE, filters)
    assert len(_events(db, "timeline.download")) == 2  # the fetch, and the comparison above


def test_a_bundle_waits_in_the_outbox_and_goes_when_fetched(db, analyst, client, world):
    leader = authorised_case(db, "CASE-2", lead="analyst")
    sign_in = signins.begin(db, analyst, "password", KEY)
    options = export.ExportOptions(purpose="Strategy discussion", recipient="Police (fictional)")
    result, token = downloads.export_for_download(db, analyst, leader.reference, options, sign_in_id=sign_in)
    outbox = world.home / downloads.OUTBOX
    [waiting] = list(outbox.rglob("*.zip"))
    assert waiting.name == result.path.name
    assert waiting.name.startswith(f"{leader.reference}-")
    assert oct(outbox.stat().st_mode & 0o777) == "0o700"

    got = _fetch(client, token)
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == result.sha256
    assert zipfile.ZipFile(io.BytesIO(got.content)).testzip() is None
    assert list(outbox.iterdir()) == []  # handed over once, then gone
    [event] = _events(db, "export.download")
    assert event["item_code"] == result.code
    assert _fetch(client, token).status_code == 404


def test_the_sweep_deletes_bundles_no_live_link_names(db, analyst, world):
    leader = authorised_case(db, "CASE-2", lead="analyst")
    sign_in = signins.begin(db, analyst, "password", KEY)
    options = export.ExportOptions(purpose="Strategy discussion", recipient="Police (fictional)")
    downloads.export_for_download(db, analyst, leader.reference, options, sign_in_id=sign_in)
    outbox = world.home / downloads.OUTBOX
    assert downloads.sweep(db, world) == 0  # live, and too new to touch anyway
    past = to_iso_utc(from_iso_utc(now_utc()) - timedelta(seconds=1))
    db.execute("UPDATE file_grants SET expires_at = ?", (past,))
    [folder] = list(outbox.iterdir())
    os.utime(folder, (0, 0))
    assert downloads.sweep(db, world) == 1
    assert list(outbox.iterdir()) == []
    assert db.execute("SELECT COUNT(*) FROM file_grants").fetchone()[0] == 0


def test_the_browser_key_cookie_is_given_with_the_first_page_only(world, monkeypatch):
    from starlette.responses import HTMLResponse, PlainTextResponse
    from starlette.routing import Route

    app = Starlette(
        routes=[Route("/", lambda r: HTMLResponse("<p>app</p>")), Route("/x", lambda r: PlainTextResponse("x"))],
        middleware=middleware(world),
    )
    with TestClient(app, base_url="http://127.0.0.1") as client:
        first = client.get("/")
        cookie = first.headers["set-cookie"]
        assert cookie.startswith(f"{browser_key.NAME}=")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert "set-cookie" not in client.get("/").headers  # it has one now
        client.cookies.clear()
        assert "set-cookie" not in client.get("/x").headers  # only pages get one


def test_behind_tls_the_key_is_secure_and_host_only(world):
    import dataclasses

    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    secure = dataclasses.replace(world, secure_cookies=True)
    app = Starlette(routes=[Route("/", lambda r: HTMLResponse("<p>app</p>"))], middleware=middleware(secure))
    with TestClient(app, base_url="https://127.0.0.1") as client:
        cookie = client.get("/").headers["set-cookie"]
    assert cookie.startswith(f"__Host-{browser_key.NAME}=") and "Secure" in cookie


def test_the_right_to_take_copies_is_the_analysts_and_leads():
    from workbench.access import _MEMBER_RIGHTS

    assert Right.DOWNLOAD not in _MEMBER_RIGHTS["reviewer"]
    assert Right.DOWNLOAD in _MEMBER_RIGHTS["analyst"] and Right.DOWNLOAD in _MEMBER_RIGHTS["lead"]

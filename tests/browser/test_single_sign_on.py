"""Single sign-on in a real browser against a real OpenID Connect provider on loopback.

oidc-provider-mock plays the organisation's identity provider: its authorisation page takes any
subject (`sub`) and vouches for it as the e-mail address, unless a predefined user's claims say
otherwise. The app gets `[auth]` secrets from a file in the test's temporary folder, never the
repository's. The browser uses http://localhost:PORT because the redirect_uri must name that host.
Each test's `page` is in its own browser context, so no identity cookie carries over between tests.
"""

import json
import secrets
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import free_port, process_group, start_app, wait_for_url

pytestmark = pytest.mark.browser

SSO_BUTTON = "Sign in with your organisation's account"
ANALYST_EMAIL = "analyst@example.org"
# A provider user whose address is an account's but which the provider has not verified.
UNVERIFIED = {"sub": "unverified-analyst", "email": ANALYST_EMAIL, "email_verified": False}


@pytest.fixture(scope="module")
def identity_provider(tmp_path_factory) -> str:
    """oidc-provider-mock on a free loopback port; yields its metadata URL."""
    folder = tmp_path_factory.mktemp("oidc-provider")
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "oidc-provider-mock"),
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--user-claims",
        json.dumps(UNVERIFIED),
    ]
    with process_group(command, folder / "provider.log") as process:
        metadata = f"http://127.0.0.1:{port}/.well-known/openid-configuration"
        wait_for_url(metadata, process, timeout=30)
        yield metadata


@pytest.fixture(scope="module")
def sso_app(tmp_path_factory, identity_provider):
    home = tmp_path_factory.mktemp("sso-home")
    port = free_port()
    secrets_file = tmp_path_factory.mktemp("sso-secrets") / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        'client_id = "workbench-browser-test"\n'
        f'client_secret = "{secrets.token_urlsafe(24)}"\n'
        f'server_metadata_url = "{identity_provider}"\n'
    )
    with start_app(home, extra_args=[f"--secrets.files={secrets_file}"], url_host="localhost", port=port) as app:
        app.cli("user", "email", "demo-analyst", ANALYST_EMAIL)
        yield app


def _sign_in_at_provider(page, app_url: str, subject: str) -> None:
    page.goto(app_url)
    page.get_by_role("button", name=SSO_BUTTON).click()
    page.locator("input[name=sub]").fill(subject)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(f"{app_url}/**")


def _expect_nothing_of_the_app(page) -> None:
    expect(page.get_by_role("heading", name="Home")).to_have_count(0)
    expect(page.get_by_test_id("stSidebar")).to_have_count(0)
    expect(page.get_by_role("link", name="Observations")).to_have_count(0)


def test_sign_in_page_offers_single_sign_on_and_passwords(page, sso_app):
    page.goto(sso_app.url)
    expect(page.get_by_role("button", name=SSO_BUTTON)).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_be_visible()


def test_provider_signs_in_the_account_with_that_email_and_sign_out_logs_out_of_it(page, sso_app):
    app = sso_app
    before = app.last_seq()
    _sign_in_at_provider(page, app.url, ANALYST_EMAIL)
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text("Sam Okafor (demo analyst)")).to_be_visible()
    # A single sign-on user has no workbench password to change.
    page.get_by_role("link", name="My account").click()
    page.get_by_role("heading", name="My account").wait_for()
    expect(page.get_by_text("Change my password")).to_have_count(0)
    signed_in = [(u, a, d) for u, a, d in app.audit(after=before) if a.startswith("sign_in")]
    assert len(signed_in) == 1
    username, _, details = signed_in[0]
    assert username == "demo-analyst"
    assert details["method"] == "single sign-on"
    assert details["email"] == ANALYST_EMAIL

    # Signing out ends the workbench session and Streamlit's login (st.logout): the provider's
    # end-session page comes next, then the app's sign-in page.
    page.locator(".st-key-sign_out").get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("button", name=SSO_BUTTON)).to_be_visible()
    expect(page.get_by_role("heading", name="Home")).to_have_count(0)
    assert not [c for c in page.context.cookies() if c["name"].startswith("_streamlit_user")]
    # A reload must not sign this browser straight back in.
    page.reload()
    expect(page.get_by_role("button", name=SSO_BUTTON)).to_be_visible()
    _expect_nothing_of_the_app(page)
    assert [(u, a, d) for u, a, d in app.audit(after=before) if a == "sign_out"] == [
        ("demo-analyst", "sign_out", {"reason": "signed out"})
    ]


def test_an_address_without_an_account_is_refused(page, sso_app):
    app = sso_app
    before = app.last_seq()
    _sign_in_at_provider(page, app.url, "stranger@example.org")
    expect(page.get_by_text("Sign-in refused: no workbench account has this e-mail address.")).to_be_visible()
    _expect_nothing_of_the_app(page)
    expect(page.get_by_label("Password", exact=True)).to_have_count(0)
    events = app.audit(after=before)
    assert [(u, a) for u, a, _ in events] == [("(unknown)", "sign_in.failed")]
    assert events[0][2]["reason"] == "no workbench account has this e-mail address"
    assert events[0][2]["email"] == "stranger@example.org"

    # Streamlit's identity cookie is still there, so a reload is refused again (and audited again).
    page.reload()
    expect(page.get_by_text("Sign-in refused: no workbench account has this e-mail address.")).to_be_visible()
    _expect_nothing_of_the_app(page)
    assert {(u, a) for u, a, _ in app.audit(after=before)} == {("(unknown)", "sign_in.failed")}
    # "Sign out of single sign-on" logs out of Streamlit's login and the provider: a clean start.
    page.get_by_role("button", name="Sign out of single sign-on").click()
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("button", name=SSO_BUTTON)).to_be_visible()
    expect(page.get_by_text("Sign-in refused")).to_have_count(0)
    assert not [c for c in page.context.cookies() if c["name"].startswith("_streamlit_user")]


def test_an_unverified_address_is_refused(page, sso_app):
    app = sso_app
    before = app.last_seq()
    _sign_in_at_provider(page, app.url, UNVERIFIED["sub"])
    expect(
        page.get_by_text("Sign-in refused: the identity provider has not verified this e-mail address.")
    ).to_be_visible()
    _expect_nothing_of_the_app(page)
    events = app.audit(after=before)
    assert [(u, a, d["reason"]) for u, a, d in events] == [
        ("demo-analyst", "sign_in.failed", "the identity provider has not verified this e-mail address")
    ]

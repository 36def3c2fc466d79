"""/_stcore/host-config lists no outside origin allowed to message the app when framed (issue 24,
point 7): `client.allowedOrigins = []` in .streamlit/config.toml, read as Streamlit reads it and
answered by Streamlit's own route."""

from __future__ import annotations

import tomllib
import warnings

import pytest
from starlette.applications import Starlette
from streamlit import config
from streamlit.web.server.starlette.starlette_routes import create_host_config_routes

from tests.pages.conftest import ROOT

with warnings.catch_warnings():  # starlette would rather httpx2; the venv has httpx
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient


def test_the_shipped_config_allows_no_origin():
    shipped = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert shipped["client"]["allowedOrigins"] == []


@pytest.fixture
def streamlit_config(monkeypatch):
    """Streamlit's options parsed from the repository's .streamlit/config.toml, as `streamlit run`
    started there would; parsed afresh again afterwards."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("HOME", str(ROOT / "no-such-home"))  # no user-wide config joins in
    config.get_config_options(force_reparse=True)
    yield config
    monkeypatch.undo()
    config.get_config_options(force_reparse=True)


def test_host_config_answers_with_no_allowed_origins(streamlit_config):
    assert streamlit_config.get_option("client.allowedOrigins") == []
    assert streamlit_config.get_option("global.developmentMode") is False
    client = TestClient(Starlette(routes=create_host_config_routes(None)))
    answer = client.get("/_stcore/host-config")
    assert answer.status_code == 200
    assert answer.json()["allowedOrigins"] == []

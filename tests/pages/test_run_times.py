"""WORKBENCH_RUN_TIMES: one line per script run, the page's title and the seconds, nothing else."""

from __future__ import annotations

from workbench.ui import run_times

from .conftest import signed_in


def test_each_run_appends_its_page_and_seconds_and_nothing_about_the_user(db, tmp_path, monkeypatch):
    log = tmp_path / "runs.tsv"
    monkeypatch.setenv(run_times.ENV, str(log))
    at = signed_in(db, "demo-analyst")
    assert not at.exception
    runs = run_times.read(log)
    assert [page for page, _ in runs] == ["Home"]
    assert all(0 < seconds < 600 for _, seconds in runs)
    written = log.read_text()
    assert "demo-analyst" not in written and "DEMO-001" not in written
    assert (log.stat().st_mode & 0o777) == 0o600


def test_the_sign_in_page_is_timed_too(home, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from .conftest import ROOT

    log = tmp_path / "runs.tsv"
    monkeypatch.setenv(run_times.ENV, str(log))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_input[0].input("someone").run()
    assert [page for page, _ in run_times.read(log)] == ["Sign in", "Sign in"]


def test_unset_writes_nothing(db, tmp_path, monkeypatch):
    monkeypatch.delenv(run_times.ENV, raising=False)
    before = set(tmp_path.rglob("*"))
    signed_in(db, "demo-analyst")
    assert set(tmp_path.rglob("*")) == before


def test_a_line_cut_short_by_a_killed_server_is_skipped(tmp_path):
    log = tmp_path / "runs.tsv"
    log.write_text("Home\t0.1200\nTimeline\t0.5\nExport\t0.")
    assert run_times.read(log) == [("Home", 0.12), ("Timeline", 0.5), ("Export", 0.0)]
    log.write_text("Home\t0.1200\nExpo")
    assert run_times.read(log) == [("Home", 0.12)]
    assert run_times.read(tmp_path / "none.tsv") == []

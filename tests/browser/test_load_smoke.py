"""bench/load.py end to end at a tiny size: two browser sessions for about ten seconds against a
server of its own. No timing is asserted (speed belongs in the benchmark, not in a test): the run
finishes by itself, every action kind it reached was counted, nothing failed and no write was lost."""

from __future__ import annotations

import pytest

from bench import load

pytestmark = pytest.mark.browser


@pytest.mark.timeout(400)
def test_two_sessions_for_ten_seconds_finish_without_errors_or_lost_writes(capsys):
    report = load.run(sessions=2, seconds=10, solo_rounds=1, think=0)  # no pause: every kind is reached

    assert report.errors == []
    assert report.integrity.lost_writes == 0
    assert report.actions > 0
    assert {log.username for log in report.logs} == {"demo-analyst", "load-analyst-01"}
    for kind in ("open app", "sign in", "home", "open case"):
        assert report.durations(kind), f"no {kind} under load"
    # The baseline session alone did a whole round: it recorded and exported.
    assert report.solo.rounds == 1
    assert report.integrity.observations_confirmed >= 2  # warm-up and baseline rounds, at least
    assert report.integrity.observations_added == report.integrity.observations_confirmed
    assert report.integrity.exports_confirmed >= 2
    assert report.integrity.exports_added == report.integrity.exports_confirmed

    text = load.format_report(report)
    assert "all actions" in text and "lost writes: 0" in text and "errors: 0" in text
    assert "server" in capsys.readouterr().out  # run() said where the server was

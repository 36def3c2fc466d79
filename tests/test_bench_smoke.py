"""The benchmarks run end to end at a tiny size. No timing is asserted: machines are noisy."""

from __future__ import annotations

import csv
import io
import re
import tempfile

from bench import crossref_data, crossref_recompute, evidence_intake, timeline_build, timeline_data
from bench.common import format_table
from workbench.schemas import SCHEMAS_DIR


def test_intake_benchmark_runs_end_to_end(tmp_path, clean_env, capsys):
    result = evidence_intake.run(5, 0.1, workdir=tmp_path)
    assert result.figure > 0
    assert result.baseline_figure > 0
    assert result.ratio > 0
    assert list(tmp_path.iterdir()) == []  # its temp folder is gone
    assert "every file stored" in capsys.readouterr().out
    assert "evidence intake" in format_table([result])


def test_main_prints_the_table(tmp_path, monkeypatch, clean_env, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert evidence_intake.main(["--count", "3", "--megapixels", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "sha256sum" in out and "ratio" in out
    assert list(tmp_path.iterdir()) == []


# --- cross-referencing ---------------------------------------------------------------------------


def test_the_crossref_case_is_the_same_every_time():
    first, second = crossref_data.plan(40, 20), crossref_data.plan(40, 20)
    assert first.facts_csv == second.facts_csv
    assert first.observation_csvs == second.observation_csvs
    assert first.facts_csv.count(b"\n") == 21  # the header and exactly 20 facts
    assert crossref_data.plan(40, 20, seed=7).observation_csvs != first.observation_csvs


def test_crossref_benchmark_runs_and_finds_things(tmp_path, clean_env, capsys):
    measured = crossref_recompute.run(60, 20, 1, samples=5, workdir=tmp_path)
    assert measured.findings > 0
    assert [r.baseline_figure > 0 and r.figure > 0 for r in measured.results] == [True, True]
    assert list(tmp_path.iterdir()) == []  # its temp folder is gone
    assert "facts.add_fact end to end" in capsys.readouterr().out


def test_crossref_main_prints_the_table(tmp_path, monkeypatch, clean_env, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert crossref_recompute.main(["--observations", "60", "--facts", "20", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    table = out[out.index("benchmark") :]
    found = re.search(
        r"^crossref recompute, whole case: ([\d,]+) findings .*read \+ json, no rules .*< 2 s", table, re.M
    )
    assert found, table
    assert int(found.group(1).replace(",", "")) > 0
    assert re.search(r"^crossref refresh, one observation .* ms .*its rows \+ facts, no rules", table, re.M), table
    assert "target (issue 5)" in out
    assert list(tmp_path.iterdir()) == []


# --- timeline ------------------------------------------------------------------------------------


def test_the_timeline_case_is_the_same_every_time():
    first, second = timeline_data.plan(60), timeline_data.plan(60)
    assert first.case.observation_csvs == second.case.observation_csvs
    assert first.amendments == second.amendments
    assert first.observations + first.dated_facts + len(first.milestones) + first.prompted_actions == 60
    assert timeline_data.plan(60, seed=7).case.observation_csvs != first.case.observation_csvs
    rows = [
        row
        for data in timeline_data.plan(1_000).case.observation_csvs
        for row in csv.DictReader(io.StringIO(data.decode()))
    ]
    assert {row["kind"] for row in rows} == {path.name.split(".")[0] for path in (SCHEMAS_DIR / "kinds").iterdir()}
    assert {"true", "false"} == {row["immediate_risk"] for row in rows}


def test_timeline_benchmark_runs_points_and_bins(tmp_path, clean_env, capsys):
    points, bins = timeline_build.run([30, 120], 1, max_points=50, workdir=tmp_path)
    assert (points.events, points.binned, points.chart_rows) == (30, False, 30)
    assert bins.events == 120 and bins.binned and 0 < bins.chart_rows <= 120
    assert bins.period in {"day", "week", "month", "year"}
    assert points.versions > 30 and bins.versions > 120  # the amended observations' older versions
    assert all(m.result.figure > 0 and m.result.baseline_figure > 0 for m in (points, bins))
    assert list(tmp_path.iterdir()) == []  # its temp folders are gone
    assert "rows in the chart's dataset" in capsys.readouterr().out


def test_timeline_main_prints_the_table(tmp_path, monkeypatch, clean_env, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert timeline_build.main(["--events", "30", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    table = out[out.index("benchmark") :]
    found = re.search(r"^timeline data \+ chart, 30 events \(points, 30 rows\) .*SQL read.* < 0\.3 s", table, re.M)
    assert found, table
    assert re.search(r"^chart dataset, 30 events: 30 rows \(points\)$", out, re.M), out
    assert "target (issue 6)" in out
    assert list(tmp_path.iterdir()) == []

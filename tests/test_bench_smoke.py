"""The benchmarks run end to end at a tiny size. No timing is asserted: machines are noisy."""

from __future__ import annotations

import re
import tempfile

from bench import crossref_data, crossref_recompute, evidence_intake
from bench.common import format_table


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

"""The intake benchmark runs end to end at a tiny size. No timing is asserted: machines are noisy."""

from __future__ import annotations

import tempfile

from bench import evidence_intake
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

"""The export benchmark runs end to end at a tiny size. No timing is asserted: machines are noisy."""

from __future__ import annotations

import shutil
import tempfile

from bench import export_bundle
from bench.common import format_table
from workbench import bundle_verify


def test_export_benchmark_runs_end_to_end(tmp_path, clean_env, capsys):
    measured = export_bundle.run(30, 3, 0.05, workdir=tmp_path)
    speed, memory = measured.speed, measured.memory
    assert speed.figure > 0
    assert all(seconds > 0 for seconds in measured.export_seconds)
    assert memory.figure > 0 and memory.baseline_figure > 0
    assert all(e.peak_kb >= e.rss_before_kb > 0 for e in measured.exports)
    assert len(measured.case.originals) == 3 and measured.case.evidence_bytes > 0
    assert all(e.evidence_files == 3 for e in measured.exports)
    assert measured.verified_members > 3  # the CSVs, the three files, README, datapackage.json, SHA256SUMS
    if shutil.which("zip") and shutil.which("sha256sum"):
        assert speed.baseline_figure > 0 and speed.ratio > 0
        assert all(seconds > 0 for seconds in measured.baseline_seconds)
    assert list(tmp_path.iterdir()) == []  # its temp folder is gone
    out = capsys.readouterr().out
    assert "the last bundle verifies" in out
    table = format_table([speed, memory])
    assert "bundle export" in table and "< 300 MB" in table


def test_export_profile_runs(tmp_path, clean_env, capsys):
    export_bundle.run(20, 1, 0.02, profile=True, workdir=tmp_path)
    assert "export_case" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_an_exported_bundle_verifies(tmp_path, clean_env):
    """The benchmark's case exports to a bundle that verify_bundle finds intact (what run checks)."""
    images = tmp_path / "images"
    images.mkdir()
    width, height = export_bundle.dimensions(0.02)
    case = export_bundle.load(tmp_path / "home", 20, export_bundle.generate(images, 2, width, height))
    exported = export_bundle.time_export(case, tmp_path / "bundle.zip")
    assert exported.seconds > 0 and exported.evidence_files == 2 and exported.zip_bytes > case.evidence_bytes
    report = bundle_verify.verify_bundle(tmp_path / "bundle.zip")
    assert report.intact, report.problems


def test_main_prints_the_table(tmp_path, monkeypatch, clean_env, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    args = ["--observations", "30", "--images", "3", "--megabytes-per-image", "0.05"]
    assert export_bundle.main(args) == 0
    out = capsys.readouterr().out
    table = out[out.index("benchmark") :]
    assert "ratio" in table and "bundle export, 30 observations + 3 files" in table
    assert "peak RSS of its process" in table
    if shutil.which("zip") and shutil.which("sha256sum"):
        assert "zip -0 -r + sha256sum" in table
    assert "peak memory:" in out and "targets (the issue)" in out
    assert list(tmp_path.iterdir()) == []


def test_without_zip_the_baseline_is_skipped(tmp_path, monkeypatch, clean_env, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(export_bundle, "baseline_missing", lambda: ["zip"])
    args = ["--observations", "20", "--images", "1", "--megabytes-per-image", "0.02", "--check"]
    assert export_bundle.main(args) == 0  # only the memory target is checked
    out = capsys.readouterr().out
    assert "zip not installed: the baseline is skipped" in out
    assert "not compared" in out
    assert list(tmp_path.iterdir()) == []

"""The import and audit-verify benchmarks, and the one-table runner, end to end at a tiny size. No
timing is asserted: machines are noisy. (Cold start and load start servers: tests/browser.)"""

from __future__ import annotations

import shutil
import tempfile

import pytest

import bench.__main__ as everything
from bench import audit_verify, import_instructions, observation_import
from bench.common import Result


def test_the_import_benchmark_imports_every_row_both_ways(tmp_path, monkeypatch, clean_env, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = observation_import.run(120, 1)
    assert (result.unit, result.baseline_name, result.limit) == ("obs/s", "sqlite-utils insert_all", 5_000)
    assert result.figure > 0 and result.baseline_figure > 0
    assert "planned 120 observations" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []  # its temp folders are gone


def test_a_short_import_file_is_a_failed_run(monkeypatch, tmp_path, clean_env):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(observation_import, "raw_insert", lambda files, folder: 1)
    with pytest.raises(observation_import.BenchmarkFailed, match="baseline stored 1 rows"):
        observation_import.run(50, 1)


@pytest.mark.parametrize(("mode", "stored"), [("plan", 0), ("setup", 0), ("raw", 40), ("import", 40)])
def test_each_run_the_instruction_count_takes_does_what_it_names(tmp_path, monkeypatch, clean_env, mode, stored):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert import_instructions.run_once(mode, 40) == stored
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed (it is optional)")
def test_callgrind_counts_more_for_a_run_that_does_more(monkeypatch, clean_env):
    assert import_instructions.counted("raw", 40) > import_instructions.counted("plan", 40) > 0


def test_the_audit_benchmark_verifies_its_chain_and_catches_a_change(tmp_path, monkeypatch, clean_env):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    measured = audit_verify.run(3_000, 1)
    assert measured.events == 3_000 and measured.result.figure > 0 and measured.hashing_rate > 0
    assert measured.result.baseline_name == audit_verify.BASELINE


def test_the_built_chain_is_what_audit_record_would_write(tmp_path, clean_env):
    """The benchmark writes events straight into the table; they must be the log's own format."""
    path = audit_verify.build(tmp_path, 50)
    assert audit_verify.plain_chain(audit_verify.canonical_bytes(path)) == audit_verify._rows_head(path)
    assert audit_verify._verify(path).intact


def test_the_runner_prints_one_table_of_every_result_it_ran(monkeypatch, capsys):
    fake = {
        "evidence_intake": lambda: [Result("a", 2.0, "MB/s", "sha256sum", 4.0, 0.5)],
        "audit_verify": lambda: [Result("b", 1.0, "events/s", "chain", 4.0, 0.5)],
    }
    monkeypatch.setattr(everything, "BENCHMARKS", fake)
    assert everything.main([]) == 0
    out = capsys.readouterr().out
    table = out.split("== every benchmark ==")[1]
    assert "a " in table and "b " in table and "BELOW TARGET" in table
    assert everything.main(["--check"]) == 1
    assert everything.main(["--only", "evidence_intake", "--check"]) == 0

"""The preview memory benchmark runs end to end at a tiny size. No memory or time is asserted:
the figures are the benchmark's to report, not a test's."""

from __future__ import annotations

import tempfile

from bench import preview_memory
from bench.common import format_table


def test_preview_memory_benchmark_runs_end_to_end(tmp_path, clean_env, capsys):
    measured = preview_memory.run(0.3, budget=36_000_000, workdir=tmp_path)
    assert [m.image.label for m in measured] == [
        "PNG RGBA, the intake's largest",
        "JPEG progressive 4:4:4, the intake's largest",
        "JPEG baseline 4:2:0, the intake's largest",
        "PNG RGBA, the largest previewed",
        "JPEG progressive 4:4:4, the largest previewed",
    ]
    assert all(m.preview_kb > 0 and m.header_kb > 0 and m.file_bytes > 0 for m in measured)
    assert all(m.outcome.startswith("preview ") for m in measured[3:]), [m.outcome for m in measured]
    assert list(tmp_path.iterdir()) == []  # its temp folder is gone
    out = capsys.readouterr().out
    assert "the largest previewed" in out and "header only" in out
    table = format_table([m.result for m in measured])
    assert "preview peak" in table and "< 300 MB" in table


def test_the_largest_previewed_is_the_largest_within_the_budget():
    budget = 60_000_000
    (_, _, _, png, jpeg) = preview_memory.worst_images(0.3, budget)
    width, height = png.size
    assert preview_memory.preview.estimated_bytes("PNG", png.size, png.size) <= budget
    bigger = (width + 4, (width + 4) * 3 // 4)
    assert preview_memory.preview.estimated_bytes("PNG", bigger, bigger) > budget
    assert preview_memory._progressive_jpeg_bytes(jpeg.size) <= budget


def test_main_prints_the_table_and_each_formats_decode(tmp_path, monkeypatch, clean_env, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(preview_memory.preview, "DECODE_BUDGET", 36_000_000)
    monkeypatch.setattr(preview_memory, "decode_per_pixel", lambda megapixels, folder: {"PNG": 4.0})
    assert preview_memory.main(["--megapixels", "0.2", "--formats"]) == 0
    out = capsys.readouterr().out
    assert "PNG: 4.00 (preview.LOAD_BYTES_PER_PIXEL: 4.25)" in out
    assert "target (issue 24)" in out and "benchmark" in out
    assert list(tmp_path.iterdir()) == []

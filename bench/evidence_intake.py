"""Evidence intake throughput, against `sha256sum` over the same files in the same run.

    python -m bench.evidence_intake [--count 500] [--megapixels 2] [--check]

Makes N photo-like JPEGs (gradients, soft light and sensor-like noise, never people; quality 90;
EXIF with camera, software, time taken and GPS), different in every file. Untimed. Then, with the
files in the page cache:

- baseline: coreutils `sha256sum` over every file;
- figure: `evidence.add_files` over every file (Upload.of_path) into a fresh workbench home with one
  analyst and one case: read, hash, identify and verify, EXIF, stage with fsync, place, insert and
  audit, one transaction per file. Every file must come back stored with sha256sum's digest.

Each is taken twice, in turns (sha256sum, intake, sha256sum, intake, the cache warmed before each),
and the faster of each counts, so a busy moment on a shared machine does not land on one side only.

Both are MB/s (10^6 bytes a second) over the files' total size. The target is a ratio: intake at
least half as fast as sha256sum. `--check` makes the exit status 1 when the ratio is below it.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

import numpy as np
from PIL import ExifTags, Image, ImageChops

from bench.common import Result, positive_int, print_table, sha256sum, warm
from workbench import access, cases, evidence, users
from workbench.config import EvidenceLimits, Settings
from workbench.db import open_home

NAME = "evidence intake"
BASELINE = "sha256sum"
TARGET = 0.5
DEFAULT_COUNT = 500
DEFAULT_MEGAPIXELS = 2.0
QUALITY = 90
NOISE_SIGMA = 8.0  # grey levels of noise: about 0.5 MB a file at 2 MP and quality 90
NOISE_OFFSET = 32  # the noise picture is stored as NOISE_OFFSET + noise, in 0-255
NOISE_MARGIN = 64  # each file takes the shared noise picture at its own offset
SEED = 2026  # the same files every run, so runs compare
MB = 1_000_000
RUNS = 2  # each measurement is taken this many times, in turns; the fastest counts
ANALYST, PASSWORD, CASE = "bench-analyst", "bench-analyst-password-2026", "BENCH-1"
CAPTURE = {"shows": "benchmark", "confirmed_no_indecent_image": True}


class BenchmarkFailed(RuntimeError):
    """The run did not measure what it claims to (a file not stored, a digest that differs)."""


def dimensions(megapixels: float) -> tuple[int, int]:
    """Width and height of a 3:2 picture of about that many megapixels, in whole 16-pixel blocks."""
    width = max(16, round(math.sqrt(megapixels * 1e6 * 3 / 2) / 16) * 16)
    height = max(16, round(width * 2 / 3 / 16) * 16)
    return width, height


# --- the files (not timed) ---------------------------------------------------------------------


def generate(folder: Path, count: int, megapixels: float, seed: int = SEED) -> list[Path]:
    """Write `count` JPEGs into `folder`; no two alike (checked).

    Each is a smooth field of colour (a base colour, light falling across it, soft bright and dark
    patches), drawn at an eighth of the size and enlarged, plus fine noise taken from one shared
    noise picture at the file's own offset: cheap to make, and compressing like a photograph."""
    width, height = dimensions(megapixels)
    rng = np.random.default_rng(seed)
    shape = (height + NOISE_MARGIN, width + NOISE_MARGIN, 3)
    noise = Image.fromarray(np.clip(rng.normal(NOISE_OFFSET, NOISE_SIGMA, shape), 0, 255).astype(np.uint8))
    small_width, small_height = max(2, width // 8), max(2, height // 8)
    x = np.linspace(0, 1, small_width, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 1, small_height, dtype=np.float32)[:, None, None]
    taken = datetime(2026, 3, 14, 9, 30, 0)
    paths, digests = [], set()
    for index in range(count):
        level = rng.uniform(60, 190, 3).astype(np.float32)  # the base colour
        slope_x, slope_y = rng.uniform(-70, 70, (2, 3)).astype(np.float32)  # light falling across
        patches = np.sin(rng.uniform(1, 9) * x + rng.uniform(0, 6.3)) * np.sin(
            rng.uniform(1, 7) * y + rng.uniform(0, 6.3)
        )
        field = level + slope_x * x + slope_y * y + rng.uniform(10, 45) * patches
        smooth = Image.fromarray(np.clip(field, 0, 255).astype(np.uint8)).resize(
            (width, height), Image.Resampling.BILINEAR
        )
        left, top = (int(n) for n in rng.integers(0, NOISE_MARGIN, 2))
        image = ImageChops.add(smooth, noise.crop((left, top, left + width, top + height)), 1.0, -NOISE_OFFSET)
        path = folder / f"IMG_{index:04d}.jpg"
        image.save(path, "JPEG", quality=QUALITY, exif=_exif(taken + timedelta(seconds=37 * index), rng))
        digest = hashlib.sha256(path.read_bytes()).digest()
        if digest in digests:
            raise BenchmarkFailed(f"{path.name} is identical to an earlier file")
        digests.add(digest)
        paths.append(path)
    return paths


def _exif(taken: datetime, rng: np.random.Generator) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Benchcam"
    exif[ExifTags.Base.Model] = "BC-2 (synthetic)"
    exif[ExifTags.Base.Software] = "bench.evidence_intake"
    exif[ExifTags.Base.DateTime] = taken.strftime("%Y:%m:%d %H:%M:%S")
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken.strftime("%Y:%m:%d %H:%M:%S")
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (53.0, 47.0, round(float(rng.uniform(0, 60)), 2))
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (1.0, 32.0, round(float(rng.uniform(0, 60)), 2))
    return exif.tobytes()


# --- the measurements --------------------------------------------------------------------------


def time_sha256sum(paths: Sequence[Path]) -> tuple[float, dict[str, str]]:
    """Seconds of one sha256sum run over every file (the page cache warmed first), and its digest
    of each file by name."""
    warm(paths)
    started = time.perf_counter()
    digests = sha256sum(paths[0].parent, [path.name for path in paths])
    return time.perf_counter() - started, digests


def time_intake(paths: Sequence[Path], home: Path) -> tuple[float, list[evidence.IntakeResult]]:
    """Seconds of one `add_files` over every file into a fresh home with one analyst and one case
    (the page cache warmed first), and its results."""
    db = open_home(Settings(home=home))
    try:
        analyst = users.create_user(db, access.SYSTEM, ANALYST, "analyst", PASSWORD)
        cases.create_case(db, access.SYSTEM, CASE, "Intake benchmark", lead=ANALYST)
        uploads = [evidence.Upload.of_path(path) for path in paths]
        warm(paths)
        started = time.perf_counter()
        results = evidence.add_files(db, analyst, CASE, uploads, CAPTURE, limits=EvidenceLimits())
        seconds = time.perf_counter() - started
    finally:
        db.conn.close()
    return seconds, results


def _check(paths: Sequence[Path], results: Sequence[evidence.IntakeResult], digests: dict[str, str]) -> None:
    if len(results) != len(paths):
        raise BenchmarkFailed(f"{len(paths)} files given, {len(results)} results")
    for path, result in zip(paths, results, strict=True):
        if result.status != evidence.STORED:
            raise BenchmarkFailed(f"{path.name} was {result.status}, not stored: {result.error or result.duplicate_of}")
        if result.sha256 != digests.get(path.name):
            raise BenchmarkFailed(f"{path.name}: intake's SHA-256 {result.sha256} is not sha256sum's")
        if result.metadata.get("gps_latitude") is None or not result.metadata.get("taken_at"):
            raise BenchmarkFailed(f"{path.name}: the EXIF was not read ({result.metadata})")


# --- the run -----------------------------------------------------------------------------------


def run(
    count: int = DEFAULT_COUNT,
    megapixels: float = DEFAULT_MEGAPIXELS,
    *,
    workdir: Path | None = None,
    out: TextIO | None = None,
) -> Result:
    """Generate, measure both, check every result; the temp folder (under `workdir`) is removed."""
    out = out or sys.stdout
    width, height = dimensions(megapixels)
    with tempfile.TemporaryDirectory(prefix="bench-intake-", dir=workdir) as temp:
        files = Path(temp) / "files"
        files.mkdir()
        print(f"{NAME}: generating {count} JPEGs of {width}x{height} ({width * height / 1e6:.1f} MP) ...", file=out)
        started = time.perf_counter()
        paths = generate(files, count, megapixels)
        generated = time.perf_counter() - started
        total = warm(paths)
        print(f"  generated {total / MB:,.1f} MB in {generated:.1f} s (not timed)", file=out)

        # Taken in turns, so a busy moment on the machine falls on both; the faster of each counts.
        sha_seconds, intake_seconds = [], []
        for run_number in range(RUNS):
            seconds, digests = time_sha256sum(paths)
            sha_seconds.append(seconds)
            seconds, results = time_intake(paths, Path(temp) / f"home-{run_number}")
            _check(paths, results, digests)
            intake_seconds.append(seconds)
            shutil.rmtree(Path(temp) / f"home-{run_number}")
        sha_rate = total / MB / min(sha_seconds)
        intake_rate = total / MB / min(intake_seconds)
        for name, seconds in ((BASELINE, sha_seconds), (NAME, intake_seconds)):
            runs = ", ".join(f"{s:.3f} s ({total / MB / s:,.1f} MB/s)" for s in seconds)
            print(f"  {name}: {runs}", file=out)
        per_file = (
            f"{min(intake_seconds) / count * 1000:.2f} ms a file against {min(sha_seconds) / count * 1000:.2f} ms"
        )
        print(f"  every file stored with sha256sum's digest and its EXIF read; at best {per_file}", file=out)
    return Result(NAME, intake_rate, "MB/s", BASELINE, sha_rate, TARGET)


def _megapixels(text: str) -> float:
    value = float(text)
    if not 0 < value <= 50:
        raise argparse.ArgumentTypeError("must be above 0 and at most 50")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.evidence_intake", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=positive_int, default=DEFAULT_COUNT, help="files (default 500)")
    parser.add_argument("--megapixels", type=_megapixels, default=DEFAULT_MEGAPIXELS, help="each (default 2)")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when the ratio is below {TARGET}")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = run(args.count, args.megapixels)
    print()
    print_table([result])
    print(f"\nwall time {time.perf_counter() - started:.1f} s")
    return 1 if args.check and not result.met else 0


if __name__ == "__main__":
    sys.exit(main())

"""Evidence bundle export: throughput and peak memory, against `zip -0 -r` + `sha256sum` in the same run.

    python -m bench.export_bundle [--observations 5000] [--images 300] [--megabytes-per-image 2]
                                  [--profile] [--check]

The issue: "a case with 5,000 observations and 300 images (about 600 MB), reporting seconds, MB/s
and peak memory, and the ratio to `zip -0 -r` plus `sha256sum` over the same files in the same run.
Targets: at least 0.6 of that baseline's throughput; peak memory under 300 MB."

Setup, not timed: a fresh workbench home in a temp folder with one analyst who leads one case
(bench/crossref_data.py: the people, their accounts, facts and N observations, loaded with
`facts.import_csv` and `observations.import_csv`), and M JPEGs of about the given size each (smooth
colour fields plus noise, never people; different in every file; EXIF with camera, software and time
taken, no GPS) taken in with `evidence.add_files`: two in three linked to an observation (one
capture each), the rest to the case alone (one batch). Then, in turns, twice each (baseline, export,
baseline, export), the page cache warmed with the evidence files before each:

- baseline: `zip -0 -r -q` of a folder holding the same evidence files (hard links to the store's
  originals, named as in the bundle), then coreutils `sha256sum` over every one of them; the two
  timed together;
- figure: `export.export_case` of the whole case with its files (the lead as actor; the
  conditions of records graded C confirmed, so every observation and every file is in) into a new
  .zip, in a child process of its own (multiprocessing, spawn). Only the call is timed, not the
  child's start, its imports or opening the database. The export also writes the case's CSVs,
  datapackage.json, README.txt and SHA256SUMS, hashes every file and the whole ZIP as it writes, and
  fsyncs the ZIP; the baseline only copies each file into a ZIP with its CRC-32 and hashes it once.

The faster of each counts. Both rates are MB/s (10^6 bytes a second) over the same bytes: the
evidence files' total size (the ZIP's own size is printed beside it). Peak memory is the export
child's peak resident set size during the export: its VmHWM (/proc/self/status), set back to the
resident size just before the call (/proc/self/clear_refs) and read after it, so the whole process
(Python, the workbench's imports, the open database) plus what the export adds, in MB of 10^6 bytes.
Where that reset is not possible, ru_maxrss of the child (its peak since it started). The table's
baseline for it is the resident size just before the export; the growth is printed too. The larger
peak of the two runs counts.

The last bundle is checked with `bundle_verify.verify_bundle` (untimed) and every temp folder is
removed. Targets: the export at least 0.6 of the baseline's rate; peak memory under 300 MB. A
missed target is reported, not an error: `--check` makes the exit status 1 when either is missed.
If `zip` or `sha256sum` is not installed the baseline is skipped (said so) and only memory is checked.
`--profile` adds a cProfile of one more export, in this process.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import math
import multiprocessing
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

import numpy as np
from PIL import ExifTags, Image, ImageChops

from bench import crossref_data
from bench.common import Result, positive_int, print_profile, print_table, sha256sum, warm
from workbench import bundle_verify, evidence, export
from workbench.access import Actor
from workbench.config import EvidenceLimits, Settings
from workbench.db import open_home
from workbench.evidence_store import EvidenceStore

NAME = "bundle export"
BASELINE = "zip -0 -r + sha256sum"
MEMORY_NAME = "bundle export, peak RSS of its process"
MEMORY_BASELINE = "same process before the export"
TARGET = 0.6  # of the baseline's MB/s
MEMORY_LIMIT = 300.0  # MB (10^6 bytes), peak resident set size
DEFAULT_OBSERVATIONS = 5_000
DEFAULT_IMAGES = 300
DEFAULT_MEGABYTES = 2.0  # each image, about
LINKED = 2 / 3  # of the images, linked to an observation; the rest to the case alone
QUALITY = 95  # JPEG quality, with 4:4:4 chroma: about 1.5 bytes a pixel with this noise
NOISE_SIGMA = 24.0
NOISE_OFFSET = 64  # the noise picture is stored as NOISE_OFFSET + noise, in 0-255
NOISE_MARGIN = 64  # each file takes the shared noise picture at its own offset
SEED = 2026
MB = 1_000_000
RUNS = 2  # each measurement is taken this many times, in turns; the fastest counts
REFERENCE = "BENCH-EXPORT-1"
TITLE = "Export benchmark (fictional)"
CAPTURE = {
    "shows": "Benchmark image: colour gradients and noise only (synthetic)",
    "relevance": "Benchmark of the bundle export (fictional)",
    "confirmed_no_indecent_image": True,
}
OPTIONS = export.ExportOptions(
    purpose="Benchmark of the bundle export (fictional)",
    recipient="Bench recipient (fictional)",
    conditions_met="Bench: shared under a fictional information-sharing agreement",
)


class BenchmarkFailed(RuntimeError):
    """The run did not measure what it claims to (a file not stored, a bundle that does not verify)."""


@dataclass(frozen=True)
class Case:
    home: Path
    reference: str
    case_id: int
    lead: Actor
    observations: int
    linked: int  # images linked to an observation
    originals: tuple[Path, ...]  # the evidence store's files, one per image
    evidence_bytes: int


@dataclass(frozen=True)
class Exported:
    """One export, as its child process saw it."""

    seconds: float
    zip_bytes: int
    members: int
    evidence_files: int
    rss_before_kb: int  # VmRSS just before export_case
    peak_before_kb: int  # the process's peak before export_case (its imports, opening the database)
    peak_kb: int  # the process's peak during export_case
    peak_measure: str  # "VmHWM" (reset just before the export) or "ru_maxrss" (the fallback)


@dataclass(frozen=True)
class Measured:
    speed: Result
    memory: Result
    case: Case
    export_seconds: list[float]
    baseline_seconds: list[float]  # empty when zip or sha256sum is missing
    exports: list[Exported]
    verified_members: int
    load_seconds: float
    generate_seconds: float
    width: int
    height: int

    @property
    def baseline_skipped(self) -> bool:
        return not self.baseline_seconds


def fact_count(observations: int) -> int:
    return max(20, min(crossref_data.DEFAULT_FACTS, observations // 25))


def baseline_missing() -> list[str]:
    """The baseline's tools that are not installed."""
    return [tool for tool in ("zip", "sha256sum") if shutil.which(tool) is None]


# --- the images (not timed) ----------------------------------------------------------------------


def _picture(
    rng: np.random.Generator, noise: Image.Image, width: int, height: int, x: np.ndarray, y: np.ndarray
) -> Image.Image:
    """A smooth field of colour (a base colour, light falling across it, soft patches), drawn at an
    eighth of the size and enlarged, plus noise from the shared picture at its own offset."""
    level = rng.uniform(60, 190, 3).astype(np.float32)
    slope_x, slope_y = rng.uniform(-70, 70, (2, 3)).astype(np.float32)
    patches = np.sin(rng.uniform(1, 9) * x + rng.uniform(0, 6.3)) * np.sin(rng.uniform(1, 7) * y + rng.uniform(0, 6.3))
    field = level + slope_x * x + slope_y * y + rng.uniform(10, 45) * patches
    smooth = Image.fromarray(np.clip(field, 0, 255).astype(np.uint8)).resize((width, height), Image.Resampling.BILINEAR)
    left, top = (int(n) for n in rng.integers(0, NOISE_MARGIN, 2))
    return ImageChops.add(smooth, noise.crop((left, top, left + width, top + height)), 1.0, -NOISE_OFFSET)


def _grids(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    small_width, small_height = max(2, width // 8), max(2, height // 8)
    x = np.linspace(0, 1, small_width, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 1, small_height, dtype=np.float32)[:, None, None]
    return x, y


def _noise(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    shape = (height + NOISE_MARGIN, width + NOISE_MARGIN, 3)
    return Image.fromarray(np.clip(rng.normal(NOISE_OFFSET, NOISE_SIGMA, shape), 0, 255).astype(np.uint8))


def _encode(image: Image.Image, exif: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=QUALITY, subsampling=0, exif=exif)
    return buffer.getvalue()


def dimensions(megabytes: float, seed: int = SEED) -> tuple[int, int]:
    """Width and height (3:2, whole 16-pixel blocks) of a picture that encodes to about that many
    MB: one trial picture is encoded, and the area scaled by how far it missed."""
    rng = np.random.default_rng(seed + 1)
    width, height = 960, 640
    trial = _picture(rng, _noise(rng, width, height), width, height, *_grids(width, height))
    per_pixel = len(_encode(trial)) / (width * height)
    pixels = megabytes * MB / per_pixel
    width = max(16, round(math.sqrt(pixels * 3 / 2) / 16) * 16)
    return width, max(16, round(width * 2 / 3 / 16) * 16)


def generate(folder: Path, count: int, width: int, height: int, seed: int = SEED) -> list[Path]:
    """Write `count` JPEGs of that size into `folder`; no two alike (checked)."""
    rng = np.random.default_rng(seed)
    noise = _noise(rng, width, height)
    x, y = _grids(width, height)
    taken = datetime(2025, 6, 2, 9, 30, 0)
    paths, digests = [], set()
    for index in range(count):
        data = _encode(_picture(rng, noise, width, height, x, y), _exif(taken + timedelta(seconds=41 * index)))
        digest = hashlib.sha256(data).digest()
        if digest in digests:
            raise BenchmarkFailed(f"image {index} is identical to an earlier one")
        digests.add(digest)
        path = folder / f"BENCH_{index:04d}.jpg"
        path.write_bytes(data)
        paths.append(path)
    return paths


def _exif(taken: datetime) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Benchcam"
    exif[ExifTags.Base.Model] = "BC-3 (synthetic)"
    exif[ExifTags.Base.Software] = "bench.export_bundle"
    exif[ExifTags.Base.DateTime] = taken.strftime("%Y:%m:%d %H:%M:%S")
    return exif.tobytes()


# --- the case (not timed) ------------------------------------------------------------------------


def load(home: Path, observations: int, images: Sequence[Path], seed: int = SEED) -> Case:
    """A fresh home: crossref_data's case of `observations` observations, then the images taken in,
    two in three linked to an observation. Every image must be stored (none a duplicate)."""
    loaded = crossref_data.load(
        crossref_data.plan(observations, fact_count(observations), seed), home, reference=REFERENCE, title=TITLE
    )
    db, lead = loaded.db, loaded.analyst
    try:
        rng = random.Random(seed + 2)
        chosen = [rng.random() < LINKED for _ in images]
        linked = [path for path, link in zip(images, chosen, strict=True) if link]
        unlinked = [path for path, link in zip(images, chosen, strict=True) if not link]
        limits = EvidenceLimits()
        results = []
        for path in linked:  # a capture record names one observation, so one call each
            capture = CAPTURE | {"observation": rng.choice(loaded.observation_codes)}
            results += evidence.add_files(db, lead, REFERENCE, [evidence.Upload.of_path(path)], capture, limits=limits)
        if unlinked:
            uploads = [evidence.Upload.of_path(path) for path in unlinked]
            results += evidence.add_files(db, lead, REFERENCE, uploads, CAPTURE, limits=limits)
        bad = [r for r in results if r.status != evidence.STORED]
        if bad or len(results) != len(images):
            first = bad[0] if bad else None
            raise BenchmarkFailed(
                f"{len(results) - len(bad)} of {len(images)} images stored"
                + (f"; {first.file} was {first.status}: {first.error or first.duplicate_of}" if first else "")
            )
        store = EvidenceStore.for_database(db)
        originals = tuple(store.original_path(loaded.case_id, r.sha256) for r in results)
    finally:
        db.conn.close()
    total = sum(path.stat().st_size for path in originals)
    return Case(home, REFERENCE, loaded.case_id, lead, observations, len(linked), originals, total)


# --- the baseline --------------------------------------------------------------------------------


def baseline_folder(case: Case, folder: Path) -> Path:
    """The same files under `folder`/evidence/<sha256>.jpg (hard links to the store's originals,
    copies where a link cannot be made)."""
    files = folder / "evidence"
    files.mkdir(parents=True)
    for original in case.originals:
        link = files / f"{original.name}.jpg"
        try:
            os.link(original, link)
        except OSError:
            shutil.copyfile(original, link)
    return files


def time_baseline(case: Case, files: Path, out_zip: Path) -> float:
    """Seconds of `zip -0 -r -q` of the folder plus `sha256sum` over every file in it (the page
    cache warmed first). The ZIP is removed afterwards; sha256sum's digests must be the files' names."""
    names = sorted(path.name for path in files.iterdir())
    warm(case.originals)
    started = time.perf_counter()
    subprocess.run(["zip", "-0", "-r", "-q", str(out_zip), files.name], cwd=files.parent, check=True)
    digests = sha256sum(files, names)
    seconds = time.perf_counter() - started
    out_zip.unlink()
    for name, digest in digests.items():
        if f"{digest}.jpg" != name:
            raise BenchmarkFailed(f"sha256sum gives {digest} for {name}")
    return seconds


# --- the export, in a child process --------------------------------------------------------------


def _status_kb(field: str) -> int | None:
    """A figure in kB from /proc/self/status (VmRSS: resident now; VmHWM: its peak), or None."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Set this process's peak resident size (VmHWM) back to its resident size now (Linux 4.0+)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _maxrss_kb() -> int:
    """ru_maxrss of this process in kB (Linux gives kB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def _export_child(home: str, lead: Actor, reference: str, target: str, conn) -> None:
    """The child's work: open the home, export once, send back an Exported (or the error's text).

    The peak is VmHWM, set back to the resident size just before the export, so it is the highest
    the whole process stood at during the export. ru_maxrss is the fallback where that cannot be
    done; it is not used otherwise, because a spawned child's ru_maxrss can carry the RSS of the
    parent it was forked from before its exec."""
    try:
        db = open_home(Settings(home=Path(home)))
        try:
            peak_before = _status_kb("VmHWM") or _maxrss_kb()
            reset = _reset_peak() and _status_kb("VmHWM") is not None
            rss_before = _status_kb("VmRSS") or 0
            started = time.perf_counter()
            result = export.export_case(db, lead, reference, Path(target), OPTIONS)
            seconds = time.perf_counter() - started
            peak = (_status_kb("VmHWM") if reset else None) or _maxrss_kb()
        finally:
            db.conn.close()
        exported = Exported(
            seconds, result.size, result.files, result.evidence_files, rss_before, peak_before, peak,
            "VmHWM" if reset else "ru_maxrss",
        )  # fmt: skip
        conn.send(exported)
    except BaseException:
        conn.send(traceback.format_exc())
    finally:
        conn.close()


def time_export(case: Case, target: Path) -> Exported:
    """One export of the whole case into `target`, in a child process started with spawn (the page
    cache warmed first). The child's start, imports and opening the database are not timed."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    warm(case.originals)
    child = context.Process(
        target=_export_child, args=(str(case.home), case.lead, case.reference, str(target), send), daemon=True
    )
    child.start()
    send.close()
    try:
        answer = receive.recv()
    except EOFError:
        answer = None
    finally:
        receive.close()
        child.join()
    if isinstance(answer, Exported):
        return answer
    raise BenchmarkFailed(f"the export's process failed (exit code {child.exitcode}): {answer or 'no answer'}")


def profile_export(case: Case, target: Path, out: TextIO, top: int = 25) -> None:
    """cProfile of one more export, in this process: where the time goes."""
    db = open_home(Settings(home=case.home))
    try:
        warm(case.originals)
        print_profile(lambda: export.export_case(db, case.lead, case.reference, target, OPTIONS), out, top)
    finally:
        db.conn.close()
        target.unlink(missing_ok=True)


# --- the run -------------------------------------------------------------------------------------


def run(
    observations: int = DEFAULT_OBSERVATIONS,
    images: int = DEFAULT_IMAGES,
    megabytes: float = DEFAULT_MEGABYTES,
    *,
    profile: bool = False,
    workdir: Path | None = None,
    out: TextIO | None = None,
) -> Measured:
    """Generate and load, measure both in turns, verify the last bundle; the temp folder (under
    `workdir`) is removed."""
    out = out or sys.stdout
    missing = baseline_missing()
    with tempfile.TemporaryDirectory(prefix="bench-export-", dir=workdir) as temp:
        temp = Path(temp)
        width, height = dimensions(megabytes)
        print(f"{NAME}: generating {images} JPEGs of {width}x{height} (about {megabytes:g} MB each) ...", file=out)
        started = time.perf_counter()
        generated = temp / "generated"
        generated.mkdir()
        paths = generate(generated, images, width, height)
        generate_seconds = time.perf_counter() - started
        print(f"  generated {warm(paths) / MB:,.1f} MB in {generate_seconds:.1f} s (not timed)", file=out)

        print(f"  loading a case of {observations:,} observations and taking in the images ...", file=out)
        started = time.perf_counter()
        case = load(temp / "home", observations, paths)
        load_seconds = time.perf_counter() - started
        shutil.rmtree(generated)  # the store holds them now
        print(
            f"  loaded through the domain in {load_seconds:.1f} s (not timed): {observations:,} observations,"
            f" {fact_count(observations)} facts, {len(case.originals)} evidence files"
            f" ({case.linked} linked to an observation), {case.evidence_bytes / MB:,.1f} MB",
            file=out,
        )
        if missing:
            print(f"  {' and '.join(missing)} not installed: the baseline is skipped", file=out)
            files = None
        else:
            files = baseline_folder(case, temp / "baseline")

        # Taken in turns, so a busy moment on the machine falls on both; the faster of each counts.
        baseline_seconds, exports = [], []
        target = temp / "bundle.zip"
        for run_number in range(RUNS):
            if files is not None:
                baseline_seconds.append(time_baseline(case, files, temp / "baseline.zip"))
            if run_number:
                target.unlink()  # keep only the last bundle, to verify
            exported = time_export(case, target)
            if exported.evidence_files != len(case.originals):
                raise BenchmarkFailed(
                    f"the bundle holds {exported.evidence_files} evidence files, not {len(case.originals)}"
                )
            exports.append(exported)

        report = bundle_verify.verify_bundle(target)
        if not report.intact:
            raise BenchmarkFailed("the bundle does not verify: " + "; ".join(report.problems[:5]))
        target.unlink()
        _print_runs(case, baseline_seconds, exports, report, out)
        if profile:
            print("\n  cProfile of one export (in this process):", file=out)
            profile_export(case, temp / "profiled.zip", out)

    total = case.evidence_bytes
    export_seconds = [e.seconds for e in exports]
    heaviest = max(exports, key=lambda e: e.peak_kb)
    rate = total / MB / min(export_seconds)
    speed = Result(
        f"{NAME}, {observations:,} observations + {len(case.originals)} files",
        rate,
        "MB/s",
        BASELINE if baseline_seconds else f"{BASELINE} (skipped: {' and '.join(missing)} missing)",
        total / MB / min(baseline_seconds) if baseline_seconds else float("nan"),
        TARGET if baseline_seconds else None,
    )
    memory = Result(
        MEMORY_NAME,
        _kb_mb(heaviest.peak_kb),
        "MB",
        MEMORY_BASELINE,
        _kb_mb(heaviest.rss_before_kb),
        None,
        higher_is_better=False,
        limit=MEMORY_LIMIT,
    )
    return Measured(
        speed,
        memory,
        case,
        export_seconds,
        baseline_seconds,
        exports,
        report.files,
        load_seconds,
        generate_seconds,
        width,
        height,
    )


def _print_runs(
    case: Case,
    baseline_seconds: list[float],
    exports: list[Exported],
    report: bundle_verify.BundleReport,
    out: TextIO,
) -> None:
    """Every run's time and rate, the bundle's size, each export's memory, the verification."""
    total = case.evidence_bytes
    export_seconds = [e.seconds for e in exports]
    for name, seconds in ((BASELINE, baseline_seconds), (NAME, export_seconds)):
        if seconds:
            runs = ", ".join(f"{s:.3f} s ({total / MB / s:,.1f} MB/s)" for s in seconds)
            print(f"  {name}: {runs}", file=out)
    fastest = min(exports, key=lambda e: e.seconds)
    print(
        f"  rates over the evidence files' {total / MB:,.1f} MB; the bundle is {fastest.zip_bytes / MB:,.1f} MB"
        f" ({fastest.members} members; {fastest.zip_bytes / MB / fastest.seconds:,.1f} MB/s over its own size)",
        file=out,
    )
    for number, e in enumerate(exports, start=1):
        print(
            f"  export {number}, its process: {_kb_mb(e.rss_before_kb):,.1f} MB resident before the export"
            f" (its peak until then {_kb_mb(e.peak_before_kb):,.1f} MB: imports, opening the database),"
            f" peak during it {_kb_mb(e.peak_kb):,.1f} MB ({e.peak_measure};"
            f" +{_kb_mb(e.peak_kb - e.rss_before_kb):,.1f} MB)",
            file=out,
        )
    print(f"  the last bundle verifies (bundle_verify): {report.files} members intact", file=out)


def _kb_mb(kb: int) -> float:
    """kB as /proc and ru_maxrss give them (KiB) in MB of 10^6 bytes."""
    return kb * 1024 / MB


def _megabytes(text: str) -> float:
    value = float(text)
    if not 0 < value <= 40:
        raise argparse.ArgumentTypeError("must be above 0 and at most 40")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.export_bundle", description=__doc__.splitlines()[0])
    parser.add_argument("--observations", type=positive_int, default=DEFAULT_OBSERVATIONS, help="(default 5000)")
    parser.add_argument("--images", type=positive_int, default=DEFAULT_IMAGES, help="evidence files (default 300)")
    parser.add_argument(
        "--megabytes-per-image", type=_megabytes, default=DEFAULT_MEGABYTES, help="about, each (default 2)"
    )
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one export")
    parser.add_argument(
        "--check",
        action="store_true",
        help=f"exit 1 when the ratio is below {TARGET} or the peak over {MEMORY_LIMIT:g} MB",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    measured = run(args.observations, args.images, args.megabytes_per_image, profile=args.profile)
    speed, memory = measured.speed, measured.memory
    print()
    print_table([speed, memory])
    print(f"\nexport: {min(measured.export_seconds):.3f} s for {measured.case.evidence_bytes / MB:,.1f} MB")
    print("targets (the issue): at least 0.6 of the baseline's MB/s; peak memory under 300 MB; here:")
    if measured.baseline_skipped:
        print(f"  throughput: {speed.figure:,.1f} MB/s, not compared ({', '.join(baseline_missing())} not installed)")
    else:
        verdict = "met" if speed.met else "NOT MET"
        print(f"  throughput: {speed.ratio:.2f} of {BASELINE}, {verdict}")
    print(f"  peak memory: {memory.figure:,.1f} MB, {'met' if memory.met else 'NOT MET'}")
    print(f"wall time {time.perf_counter() - started:.1f} s")
    return 1 if args.check and not (speed.met and memory.met) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Preview memory: the peak resident memory of making one preview of the worst images the workbench takes.

    python -m bench.preview_memory [--megapixels 80] [--formats] [--check]

The issue (24, point 5): "An 80-megapixel PNG under the size limit made a preview take 2.6 s and
1.03 GB. ... A benchmark gives the worst allowed image's peak memory; target under 300 MB."

Setup, not measured: images made with Pillow from gradients (never a picture of anyone), each
checked to be one the intake takes (`media.identify` at the default pixel limit, within the
default size limit), and placed in an evidence store in a temp folder:

- the intake's largest (the pixel limit, 80 megapixels by default) as a PNG with transparency
  (RGBA: the most a PNG decodes to), a progressive JPEG without chroma subsampling (4:4:4: the most
  coefficients libjpeg holds) and a baseline JPEG (4:2:0, what cameras write);
- the largest a preview decodes: the biggest 4:3 RGBA PNG and progressive 4:4:4 JPEG whose
  estimate (`preview.estimated_bytes`) is within `preview.DECODE_BUDGET`. These are the worst
  images that are previewed rather than refused.

Each is measured in a child process of its own (a fresh interpreter, `python -m
bench.preview_memory --child ...`): the figure is the child's peak resident size (VmHWM, from
/proc/self/status) after it imports the workbench and makes the preview through
`EvidenceStore.preview`, as the app does; the baseline is the same for a child that imports the
same and only opens the image's header. The peak of a fresh process is exactly what the preview
took on top of a server's imports, and it counts what Pillow, libjpeg, zlib and libheif allocate
(tracemalloc would see only Python's own allocations, not the pixel buffers). ru_maxrss is the
fallback where /proc is missing; it is not used on Linux because a child's ru_maxrss can carry the
RSS of the parent it was forked from. MB are 10^6 bytes. Target: every figure under 300 MB.

`--formats` also prints what a full decode (Image.open and load, nothing else) takes a pixel for
each format at 12 megapixels: the figures `preview.LOAD_BYTES_PER_PIXEL` is rounded up from.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from PIL import Image

from bench.common import Result, print_table
from workbench import media, preview
from workbench.config import EvidenceLimits

ROOT = Path(__file__).resolve().parent.parent
LIMIT_MB = 300
MB = 1_000_000
BASELINE = "same process, image header only"
CASE_ID = 1


@dataclass(frozen=True)
class Worst:
    label: str
    format: str  # what Pillow saves
    size: tuple[int, int]
    bands: int
    options: dict


@dataclass(frozen=True)
class Measured:
    image: Worst
    file_bytes: int
    header_kb: int
    preview_kb: int
    outcome: str  # "preview W x H" or the refusal's message
    seconds: float
    result: Result


def worst_images(megapixels: float, budget: int) -> list[Worst]:
    """The intake's largest as PNG and JPEG, and the largest a preview decodes."""
    largest = _size(int(megapixels * 1_000_000), 5 / 4)
    progressive = {"quality": 90, "progressive": True, "subsampling": 0}
    png_previewed = _largest(lambda size: preview.estimated_bytes("PNG", size, size) <= budget)
    jpeg_previewed = _largest(lambda size: _progressive_jpeg_bytes(size) <= budget)
    return [
        Worst("PNG RGBA, the intake's largest", "PNG", largest, 4, {"compress_level": 1}),
        Worst("JPEG progressive 4:4:4, the intake's largest", "JPEG", largest, 3, progressive),
        Worst("JPEG baseline 4:2:0, the intake's largest", "JPEG", largest, 3, {"quality": 90, "subsampling": 2}),
        Worst("PNG RGBA, the largest previewed", "PNG", png_previewed, 4, {"compress_level": 1}),
        Worst("JPEG progressive 4:4:4, the largest previewed", "JPEG", jpeg_previewed, 3, progressive),
    ]


def _size(pixels: int, aspect: float) -> tuple[int, int]:
    width = int(math.sqrt(pixels * aspect))
    return width, pixels // width


def _largest(fits) -> tuple[int, int]:
    """The largest 4:3 size that fits (binary search on the width)."""
    low, high = 4, 200_000
    while low < high:
        middle = (low + high + 1) // 2
        if fits((middle, middle * 3 // 4)):
            low = middle
        else:
            high = middle - 1
    return low, low * 3 // 4


def _progressive_jpeg_bytes(size: tuple[int, int]) -> int:
    """preview's estimate for a progressive 4:4:4 JPEG of this size: drafted as Pillow drafts it,
    plus the full image's coefficients."""
    target = preview._fitted(size)
    ratio = min(size[0] // target[0], size[1] // target[1])
    scale = next(s for s in (8, 4, 2, 1) if ratio >= s)
    drafted = (math.ceil(size[0] / scale), math.ceil(size[1] / scale))
    header = SimpleNamespace(layer=[(1, 1, 1, 0), (2, 1, 1, 0), (3, 1, 1, 0)])
    return preview.estimated_bytes("JPEG", size, drafted, preview._coefficient_bytes(header, *size))


def gradient(size: tuple[int, int], bands: int) -> Image.Image:
    """Ramps across and down (and an alpha ramp): plain colours, never a picture of anyone."""
    width, height = size
    across = (np.arange(width, dtype=np.uint32) * 255 // max(width - 1, 1)).astype(np.uint8)
    down = (np.arange(height, dtype=np.uint32) * 255 // max(height - 1, 1)).astype(np.uint8)
    pixels = np.empty((height, width, bands), np.uint8)
    pixels[..., 0] = across[None, :]
    pixels[..., 1] = down[:, None]
    pixels[..., 2] = across[None, :] // 2 + down[:, None] // 2
    if bands == 4:
        pixels[..., 3] = 255 - down[:, None] // 2
    return Image.fromarray(pixels, "RGBA" if bands == 4 else "RGB")


def make(image: Worst, folder: Path) -> Path:
    """The image saved into a store's layout under `folder`; checked to be one the intake takes."""
    temp = folder / f"made.{image.format.lower()}"
    made = gradient(image.size, image.bands)
    made.save(temp, image.format, **image.options)
    del made
    limits = EvidenceLimits()
    data = temp.read_bytes()
    if len(data) > limits.max_bytes:
        raise SystemExit(f"{image.label}: {len(data):,} bytes, over the intake's size limit")
    media.identify(data, max_pixels=limits.max_pixels)  # raises Rejected if the intake would refuse it
    sha256 = hashlib.sha256(data).hexdigest()
    del data
    path = folder / "store" / f"case-{CASE_ID}" / "originals" / sha256
    path.parent.mkdir(parents=True, exist_ok=True)
    temp.replace(path)
    return path


def measure(image: Worst, folder: Path, budget: int | None = None) -> Measured:
    path = make(image, folder)
    header = _child("header", path, budget)
    shutil.rmtree(path.parent.parent / "previews", ignore_errors=True)
    made = _child("preview", path, budget)
    shutil.rmtree(path.parent.parent / "previews", ignore_errors=True)
    peak, base = made["peak_kb"] * 1024 / MB, header["peak_kb"] * 1024 / MB
    megapixels = image.size[0] * image.size[1] / 1_000_000
    result = Result(
        f"preview peak, {image.label} ({megapixels:.1f} MP)", peak, "MB", BASELINE, base, None,
        higher_is_better=False, limit=LIMIT_MB,
    )  # fmt: skip
    measured = Measured(
        image, path.stat().st_size, header["peak_kb"], made["peak_kb"], made["outcome"], made["seconds"], result
    )
    path.unlink()
    return measured


def _child(mode: str, path: Path, budget: int | None) -> dict:
    command = [sys.executable, "-m", "bench.preview_memory", "--child", mode, str(path)]
    if budget is not None:
        command += ["--budget", str(budget)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the {mode} child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child(mode: str, path: Path, budget: int | None) -> dict:
    """In the child: the same imports either way, then the header only, or the preview as the app
    makes it (EvidenceStore.preview, which reads the stored file and keeps the copy on disk)."""
    if budget is not None:
        preview.DECODE_BUDGET = budget
    started = time.perf_counter()
    if mode == "header":
        with Image.open(path, formats=media.PILLOW_FORMATS) as opened:
            outcome = f"header {opened.width} x {opened.height}"
    else:
        from workbench.evidence_store import EvidenceStore

        store = EvidenceStore(path.parent.parent.parent)
        try:
            shown = store.preview(CASE_ID, path.name, None)
        except preview.NoPreview as e:
            outcome = f"refused: {e}"
        else:
            with Image.open(io.BytesIO(shown)) as made:
                outcome = f"preview {made.width} x {made.height}"
    return {"peak_kb": peak_kb(), "outcome": outcome, "seconds": time.perf_counter() - started}


def peak_kb() -> int:
    """This process's peak resident size in kB: VmHWM, or ru_maxrss where /proc is missing."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


# --- what a full decode takes a pixel, by format ---------------------------------------------------

FORMATS = (("PNG", 4, {}), ("GIF", 3, {}), ("TIFF", 4, {"compression": "tiff_deflate"}),
           ("WEBP", 4, {"quality": 80}), ("HEIF", 3, {"quality": 60}), ("JPEG", 3, {"quality": 90}))  # fmt: skip


def decode_per_pixel(megapixels: float, folder: Path) -> dict[str, float]:
    """Bytes a pixel that opening and loading each format takes (a child each), with nothing else."""
    size = _size(int(megapixels * 1_000_000), 4 / 3)
    found = {}
    for name, bands, options in FORMATS:
        path = folder / f"decode.{name.lower()}"
        made = gradient(size, bands)
        (made.convert("P") if name == "GIF" else made).save(path, name, **options)
        header = _child("header", path, None)
        loaded = _child("load", path, None)
        found[name] = (loaded["peak_kb"] - header["peak_kb"]) * 1024 / (size[0] * size[1])
        path.unlink()
    return found


def _load_child(path: Path) -> dict:
    with Image.open(path, formats=media.PILLOW_FORMATS) as opened:
        opened.load()
        outcome = f"loaded {opened.mode}"
    return {"peak_kb": peak_kb(), "outcome": outcome, "seconds": 0.0}


# --- running -------------------------------------------------------------------------------------


def run(
    megapixels: float | None = None,
    *,
    budget: int | None = None,
    formats_megapixels: float | None = None,
    workdir: Path | None = None,
) -> list[Measured]:
    """Measure every worst image; print each as it goes. `budget` stands in for
    preview.DECODE_BUDGET (the smoke test's small images)."""
    megapixels = megapixels or EvidenceLimits().max_pixels / 1_000_000
    spent = budget or preview.DECODE_BUDGET
    measured = []
    with tempfile.TemporaryDirectory(prefix="preview-memory-", dir=workdir) as temp:
        folder = Path(temp)
        for image in worst_images(megapixels, spent):
            m = measure(image, folder, spent)
            measured.append(m)
            print(
                f"  {image.label}: {image.size[0]:,} x {image.size[1]:,}, {m.file_bytes / MB:,.1f} MB file;"
                f" header only {m.header_kb * 1024 / MB:,.1f} MB, preview {m.preview_kb * 1024 / MB:,.1f} MB"
                f" (+{(m.preview_kb - m.header_kb) * 1024 / MB:,.1f} MB, {m.seconds:.2f} s): {m.outcome}",
                flush=True,
            )
        if formats_megapixels:
            print(f"  a full decode (open and load) at {formats_megapixels:g} megapixels, bytes a pixel:")
            for name, per_pixel in decode_per_pixel(formats_megapixels, folder).items():
                table = preview.LOAD_BYTES_PER_PIXEL.get(name, "-")
                print(f"    {name}: {per_pixel:.2f} (preview.LOAD_BYTES_PER_PIXEL: {table})")
    return measured


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.preview_memory", description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, help="the intake's largest (default: its pixel limit)")
    parser.add_argument("--formats", action="store_true", help="also print each format's full decode a pixel")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when a peak is {LIMIT_MB} MB or more")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--budget", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        import workbench.evidence_store  # noqa: F401 - every child imports what the app has loaded

        mode, path = args.child
        found = _load_child(Path(path)) if mode == "load" else child(mode, Path(path), args.budget)
        print(json.dumps(found))
        return 0
    started = time.perf_counter()
    results = [m.result for m in run(args.megapixels, formats_megapixels=12 if args.formats else None)]
    print()
    print_table(results)
    print(f"\ntarget (issue 24): every peak under {LIMIT_MB} MB: {'met' if all(r.met for r in results) else 'NOT MET'}")
    print(f"wall time {time.perf_counter() - started:.1f} s")
    return 1 if args.check and not all(r.met for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

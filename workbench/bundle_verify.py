"""Checking an evidence bundle that came back: is every file as it was exported?

Three checks, each naming what it finds: SHA256SUMS against every member of the ZIP (a changed,
missing or added file); the Frictionless data package (every resource's hash and size, and every
CSV against its Table Schema); and the evidence files against their names and evidence.csv. Needs
no database: anyone holding the ZIP can run it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import frictionless

SUMS = "SHA256SUMS"
_SUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")
_EVIDENCE_NAME = re.compile(r"^evidence/([0-9a-f]{64})\.[A-Za-z0-9]+$")
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BundleReport:
    files: int  # members of the ZIP
    problems: list[str]  # one line each; none when intact

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_bundle(path: Path | str) -> BundleReport:
    path = Path(path)
    try:
        bundle = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as e:
        return BundleReport(0, [f"{path.name}: not a readable ZIP file ({e})"])
    with bundle:
        names = [info.filename for info in bundle.infolist() if not info.is_dir()]
        problems = [
            f"{name}: in the ZIP {names.count(name)} times (a second copy can hide a change)"
            for name in sorted(set(names))
            if names.count(name) > 1
        ]
        hashes = {}
        for name in names:
            try:
                hashes[name] = _sha256(bundle, name)
            except (zipfile.BadZipFile, OSError, ValueError) as e:  # a damaged member: CRC, header
                problems.append(f"{name}: cannot be read ({e})")
        problems += _check_sums(bundle, names, hashes)
        problems += _check_evidence(bundle, names, hashes)
        problems += _check_package(bundle)
    return BundleReport(len(names), problems)


def _sha256(bundle: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with bundle.open(name) as member:
        while chunk := member.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_sums(bundle: zipfile.ZipFile, names: list[str], hashes: dict[str, str]) -> list[str]:
    if SUMS not in names:
        return [f"{SUMS}: missing"]
    listed: dict[str, str] = {}
    problems = []
    for number, line in enumerate(bundle.read(SUMS).decode("utf-8", "replace").splitlines(), start=1):
        found = _SUM_LINE.match(line)
        if not found:
            problems.append(f"{SUMS}: line {number} is not '<sha256>  <file>'")
            continue
        listed[found[2]] = found[1]
    for name, expected in listed.items():
        if name not in names:
            problems.append(f"{name}: listed in {SUMS} but missing from the bundle")
        elif name not in hashes:
            continue  # unreadable: said already
        elif hashes[name] != expected:
            problems.append(f"{name}: changed (its SHA-256 is not the one {SUMS} gives)")
    for name in names:
        if name != SUMS and name not in listed:
            problems.append(f"{name}: not listed in {SUMS} (added after export?)")
    return problems


def _check_evidence(bundle: zipfile.ZipFile, names: list[str], hashes: dict[str, str]) -> list[str]:
    problems = []
    files = {name for name in names if name.startswith("evidence/")}
    for name in sorted(files):
        named = _EVIDENCE_NAME.match(name)
        if not named:
            problems.append(f"{name}: not named <sha256>.<ext>")
        elif name in hashes and hashes[name] != named[1]:
            problems.append(f"{name}: its SHA-256 does not match its name")
    if "evidence.csv" not in names:
        return [*problems, "evidence.csv: missing"]
    rows = list(csv.DictReader(io.StringIO(bundle.read("evidence.csv").decode("utf-8-sig", "replace"))))
    referenced = set()
    for row in rows:
        file = row.get("file") or ""
        if not file:
            continue
        referenced.add(file)
        if file not in files:
            problems.append(f"{file}: evidence.csv lists it for {row.get('code')}, but it is not in the bundle")
        elif not file.startswith(f"evidence/{row.get('sha256')}."):
            problems.append(f"{file}: evidence.csv gives {row.get('code')} another SHA-256")
    for name in sorted(files - referenced):
        problems.append(f"{name}: in the bundle, but no row of evidence.csv names it")
    return problems


def _check_package(bundle: zipfile.ZipFile) -> list[str]:
    """The data package, read by Frictionless from the bundle unpacked in a temporary folder (gone
    afterwards): resources' hashes and sizes, and the CSVs against their Table Schemas."""
    if "datapackage.json" not in bundle.namelist():
        return ["datapackage.json: missing"]
    with tempfile.TemporaryDirectory(prefix="verify-bundle-") as folder:
        try:
            bundle.extractall(folder)  # zipfile keeps every member inside the folder
            report = frictionless.validate(str(Path(folder) / "datapackage.json"))
        except Exception as e:  # noqa: BLE001 - a damaged bundle is a finding, not a crash
            return [f"datapackage.json: cannot be read ({str(e).replace(folder, '.').splitlines()[0][:200]})"]
        problems = []
        for task in report.tasks:
            for error in task.errors:
                where = f" (row {error.row_number})" if getattr(error, "row_number", None) else ""
                note = error.note.replace(folder + "/", "").replace(folder, ".")
                problems.append(f"{_resource_file(task)}: {error.type}{where}: {note}")
        problems += [f"datapackage.json: {error.type}: {error.note.replace(folder, '.')}" for error in report.errors]
    return problems


def _resource_file(task) -> str:
    """The file a Frictionless task is about, as the bundle names it."""
    place = str(task.place or task.name or "")
    return place.rsplit("/", 1)[-1] if "/" in place else place

"""Faults as tests (issue 9 point 3): the workbench killed (SIGKILL) part way through an
observation import and an evidence upload, and a disk that fills during an upload. (An export
killed part way is tests/test_export_killed.py.)

After each: PRAGMA integrity_check is ok, `workbench audit verify` passes, `workbench evidence
verify` passes, an import is whole or absent, and no partial file sits under a final name.

What a kill may leave in the evidence store, by design (evidence_store.py), and what clears it:
- a temp file in evidence/incoming/ (receiving-*), perhaps half written: never under a final
  name, ignored by `evidence verify` (it checks what rows name), removed by the next upload once
  it is STALE_SECONDS old;
- a whole file under its final name (its SHA-256) that no row names yet: killed between the rename
  and the commit. The same bytes uploaded again take it over (`place(replace=True)`);
  `workbench retention sweep` removes it otherwise.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from tests import evidence_files as files
from tests.conftest import CASE, cli_ok, import_row, install_template, rows_csv
from tests.processes import (
    assert_sound,
    child_env,
    integrity,
    kill_when,
    run_killed,
    wal_size,
    workbench,
    writer_busy,
)
from workbench import evidence, evidence_store
from workbench.cli import main
from workbench.config import Settings
from workbench.db import open_home

IMPORT_ROWS = 20_000  # checking them takes seconds; the transaction that writes them, a second or more
WAL_GROWN = 1 << 20  # bytes in the -wal that say the import is well into writing its rows
UPLOAD_FILES = 300


def _count(db, table: str) -> int:
    return db.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0]  # noqa: S608


def _actions(db, action: str) -> list[dict]:
    return list(db.query("SELECT * FROM audit_events WHERE action = ? ORDER BY seq", (action,)))


# --- an observation import ------------------------------------------------------------------------


def _import_file(observation_input, rows: int, folder: Path) -> Path:
    path = folder / f"observations-{rows}.csv"
    made = [import_row(observation_input, summary=f"Bio states age 19 (fictional row {n})") for n in range(rows)]
    path.write_bytes(rows_csv(made))
    return path


def _assert_no_import(db) -> None:
    """Absent, all of it: rows, versions, the per-case counter and the audit event roll back together."""
    assert _count(db, "observations") == 0
    assert _count(db, "observation_versions") == 0
    assert not db.execute("SELECT 1 FROM case_codes WHERE prefix = 'OBS'").fetchall()
    assert not _actions(db, "observation.import")


def test_an_import_killed_while_its_transaction_writes_leaves_none_of_it_and_the_retry_succeeds(
    db, settings, run, observation_input, tmp_path
):
    source = _import_file(observation_input, IMPORT_ROWS, tmp_path)
    database = settings.database_path
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert wal_size(database) == 0

    def writing_rows() -> bool:
        # Mid-transaction the page cache spills uncommitted rows to the -wal: a megabyte of them is
        # thousands of rows in (the first write alone puts only a header there). The write lock
        # still held says the transaction is open, so the kill comes before its COMMIT.
        return wal_size(database) > WAL_GROWN and writer_busy(database)

    with (tmp_path / "import.out").open("w") as out:
        child = subprocess.Popen(
            workbench(settings.home, "observation", "import", CASE, str(source), "--as", "analyst"),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=child_env(),
        )
        kill_when(child, writing_rows, what="the import's transaction writing rows to the -wal")
    assert wal_size(database) > WAL_GROWN  # uncommitted rows were on disk: recovery has to ignore them

    assert_sound(database, run)
    _assert_no_import(db)  # 0 of IMPORT_ROWS: the kill came mid-transaction, so none, never some

    out = cli_ok(run("observation", "import", CASE, str(source), "--as", "analyst"))
    assert f"imported {IMPORT_ROWS} observations (OBS-0001 to OBS-{IMPORT_ROWS:04d})" in out
    assert _count(db, "observations") == IMPORT_ROWS
    assert len(_actions(db, "observation.import")) == 1
    assert_sound(database, run)


IMPORT_KILLED_BEFORE_COMMIT = textwrap.dedent(
    """
    from workbench import actions, cli

    home, rows, source = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    real, calls = actions.add_prompted, 0

    def add_prompted(*args, **kwargs):
        global calls
        real(*args, **kwargs)
        calls += 1
        if calls == rows:  # every row, the audit event and the prompted actions written: COMMIT is next
            KILL()

    actions.add_prompted = add_prompted
    cli.main(["--home", home, "observation", "import", "CASE-1", source, "--as", "analyst"])
    """
)


def test_an_import_killed_just_before_its_commit_leaves_none_of_it(db, settings, run, observation_input, tmp_path):
    rows = 300
    source = _import_file(observation_input, rows, tmp_path)
    run_killed(IMPORT_KILLED_BEFORE_COMMIT, str(settings.home), str(rows), str(source))
    assert_sound(settings.database_path, run)
    _assert_no_import(db)
    assert f"imported {rows} observations (OBS-0001 to OBS-0300)" in cli_ok(
        run("observation", "import", CASE, str(source), "--as", "analyst")
    )
    assert _count(db, "observation_versions") == rows


# --- an evidence upload ---------------------------------------------------------------------------


def _captures(folder: Path, count: int, size: tuple[int, int] = (200, 200)) -> dict[str, Path]:
    """Distinct JPEGs made by Pillow (one image of noise, a different comment in each), by SHA-256."""
    folder.mkdir(exist_ok=True)
    image = Image.frombytes("RGB", size, random.Random(9).randbytes(size[0] * size[1] * 3))
    made = {}
    for n in range(count):
        data = files.save(image, "JPEG", quality=90, comment=f"fictional capture {n}".encode())
        path = folder / f"capture-{n:03d}.jpg"
        path.write_bytes(data)
        made[hashlib.sha256(data).hexdigest()] = path
    assert len(made) == count
    return made


def _store(home: Path) -> tuple[dict[str, Path], list[Path]]:
    """(files under a final name by that name, temp files) in the evidence store; nothing else may be there."""
    root = home / "evidence"
    finals, temps = {}, []
    for path in sorted(root.rglob("*")):
        if path.is_dir():
            continue
        where = path.relative_to(root).parts
        if where[0] == "incoming":
            assert len(where) == 2 and where[1].startswith("receiving-"), where
            temps.append(path)
        else:
            assert len(where) == 3 and where[:2] == ("case-1", "originals"), f"unexpected file {where}"
            finals[where[2]] = path
    return finals, temps


def _stored(db) -> set[str]:
    return {row[0] for row in db.execute("SELECT sha256 FROM evidence")}


def _assert_store_promise(db, home: Path, sources: dict[str, Path]) -> tuple[set[str], list[Path]]:
    """No partial file under a final name: each hashes to its name. Every row's file is there. What no
    row names is at most one whole file of the batch (its row cut off) and at most one temp file.
    Returns (the final names no row gives, the temp files)."""
    finals, temps = _store(home)
    for name, path in finals.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == name, f"a partial or altered file under {name}"
    rows = _stored(db)
    assert rows <= set(finals), "a row whose file is not in the store"
    unnamed = set(finals) - rows
    assert len(unnamed) <= 1 and unnamed <= set(sources), unnamed
    assert len(temps) <= 1, temps
    return unnamed, temps


def _add(run, paths) -> tuple[int, list[dict]]:
    result = run("evidence", "add", CASE, *map(str, paths), "--as", "analyst")
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def _finish_the_upload(db, run, home: Path, sources: dict[str, Path], temps: list[Path]) -> None:
    """Add what was not stored again: every file ends stored once, the store holds exactly the rows'
    files, a stale temp file is swept, and `retention sweep` finds nothing left over."""
    stale = time.time() - evidence_store.STALE_SECONDS - 60
    for path in temps:
        os.utime(path, (stale, stale))
    rest = [path for sha, path in sources.items() if sha not in _stored(db)]
    assert rest
    status, lines = _add(run, rest)
    assert status == 0 and [line["status"] for line in lines] == ["stored"] * len(rest), lines
    finals, temps = _store(home)
    assert set(finals) == _stored(db) == set(sources)
    assert temps == []
    assert _count(db, "evidence") == len(sources)
    assert cli_ok(run("retention", "sweep")).strip() == "removed 0 files (0 folders of deleted cases)"
    assert f"{len(sources)} items intact" in cli_ok(run("evidence", "verify"))


def test_an_upload_killed_part_way_keeps_what_it_stored_and_leaves_no_partial_file(db, settings, run, tmp_path):
    sources = _captures(tmp_path / "captures", UPLOAD_FILES)
    originals = settings.home / "evidence" / "case-1" / "originals"

    def a_third_stored() -> bool:
        try:
            return len(os.listdir(originals)) >= UPLOAD_FILES // 3
        except FileNotFoundError:
            return False

    with (tmp_path / "add.out").open("w") as out:  # a file, not a pipe: 300 JSON lines would fill one
        child = subprocess.Popen(
            workbench(settings.home, "evidence", "add", CASE, *map(str, sources.values()), "--as", "analyst"),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=child_env(),
        )
        kill_when(child, a_third_stored, what="a third of the files stored")

    assert 0 < _count(db, "evidence") < UPLOAD_FILES
    _, temps = _assert_store_promise(db, settings.home, sources)
    assert_sound(settings.database_path, run)
    _finish_the_upload(db, run, settings.home, sources, temps)


UPLOAD_KILLED = textwrap.dedent(
    """
    from workbench import cli, evidence_store

    home, point, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
    calls = 0

    class HalfWritten:
        def __init__(self, stream):
            self.stream = stream

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.stream.close()

        def write(self, data):
            self.stream.write(data[: len(data) // 2])
            self.stream.flush()
            KILL()

    class Os:  # stands in for `os` in evidence_store
        def __getattr__(self, name):
            return getattr(os, name)

        def fdopen(self, *args, **kwargs):
            global calls
            calls += 1
            stream = os.fdopen(*args, **kwargs)
            return HalfWritten(stream) if calls == 3 else stream

    real_place = evidence_store.EvidenceStore.place

    def place(self, *args, **kwargs):
        global calls
        placed = real_place(self, *args, **kwargs)
        calls += 1
        if calls == 3:  # the third file is under its final name; its row is not written yet
            KILL()
        return placed

    if point == "writing":  # half of the third file written under its temp name
        evidence_store.os = Os()
    else:
        evidence_store.EvidenceStore.place = place
    cli.main(["--home", home, "evidence", "add", "CASE-1", *paths, "--as", "analyst"])
    """
)


@pytest.mark.parametrize("point", ["writing", "placed"])
def test_an_upload_killed_at_each_step_of_storing_a_file(db, settings, run, tmp_path, point):
    sources = _captures(tmp_path / "captures", 5)
    paths = list(sources.values())
    run_killed(UPLOAD_KILLED, str(settings.home), point, *map(str, paths))

    assert _count(db, "evidence") == 2
    unnamed, temps = _assert_store_promise(db, settings.home, sources)
    third = hashlib.sha256(paths[2].read_bytes()).hexdigest()
    if point == "writing":  # the half-written file is only ever under a temp name
        assert unnamed == set()
        [temp] = temps
        assert 0 < temp.stat().st_size < paths[2].stat().st_size
    else:  # the file is whole under its name; no row names it, so verify does not count it
        assert unnamed == {third} and temps == []
    assert_sound(settings.database_path, run)
    assert "2 items intact" in cli_ok(run("evidence", "verify"))
    if point == "placed":
        assert cli_ok(run("retention", "sweep")).strip() == "removed 1 files (0 folders of deleted cases)"
        assert third not in _store(settings.home)[0]
    _finish_the_upload(db, run, settings.home, sources, temps)


# --- a full disk during an upload -------------------------------------------------------------------


@pytest.fixture
def small_disk():
    """Mount a small tmpfs (root, in a container that permits it), unmounted after the test.
    Skips, saying why, where mounting is not allowed; the simulated full disk tests run anyway."""
    mounted: list[Path] = []

    def mount(folder: Path, size: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            pytest.skip("mounting a small tmpfs needs root (the simulated ENOSPC tests still run)")
        try:
            done = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except FileNotFoundError:
            pytest.skip("no mount command here (the simulated ENOSPC tests still run)")
        if done.returncode != 0:
            pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip() or done.returncode}")
        mounted.append(folder)
        assert os.path.ismount(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        if subprocess.run(["umount", str(folder)], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def _cli(home: Path):
    runner = CliRunner()
    return lambda *args: runner.invoke(main, ["--home", str(home), *args])


def _fill(folder: Path) -> Path:
    """Write a file until the disk says it is full."""
    filler = folder / "filler"
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (b"\0" * 65536, b"\0" * 4096, b"\0" * 512):
            try:
                while True:
                    os.write(handle, chunk)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
    finally:
        os.close(handle)
    return filler


def _assert_refused_for_space(lines: list[dict], sources: dict[str, Path]) -> int:
    """The files are stored until the disk fills; each after it is refused, saying why. Returns how many were stored."""
    statuses = [line["status"] for line in lines]
    stored = statuses.count(evidence.STORED)
    assert 0 < stored < len(sources) and statuses == ["stored"] * stored + ["rejected"] * (len(sources) - stored)
    for line in lines[stored:]:
        assert "No space left on device" in line["error"] and "nothing was kept" in line["error"], line
        assert line["code"] is None
    return stored


def test_an_upload_onto_a_full_evidence_disk_refuses_the_file_clearly_and_keeps_the_rest(
    small_disk, db, settings, run, tmp_path
):
    """The store on its own small volume (a real tmpfs), the database beside it with room."""
    small_disk(settings.home / "evidence", "1m")
    sources = _captures(tmp_path / "captures", 6, size=(500, 500))  # about 230 KB each
    status, lines = _add(run, sources.values())
    assert status == 3  # some files rejected: the CLI's exit status for that
    stored = _assert_refused_for_space(lines, sources)

    shas = list(sources)
    assert _stored(db) == set(shas[:stored])  # no row for a refused file
    finals, temps = _store(settings.home)
    assert set(finals) == set(shas[:stored]) and temps == []  # nothing partial left, in incoming/ or anywhere
    refusals = _actions(db, "evidence.reject")
    assert len(refusals) == len(sources) - stored
    assert all("No space left on device" in json.loads(event["details"])["reason"] for event in refusals)
    assert_sound(settings.database_path, run)
    assert f"{stored} items intact" in cli_ok(run("evidence", "verify"))


def test_an_upload_when_the_whole_home_is_on_a_full_disk_says_so_and_keeps_the_rest(
    small_disk, template_db_path, clean_env, tmp_path
):
    """Database and store on one small volume (a real tmpfs) that fills: not even the refusal can be
    recorded. A clear error (exit 1, no traceback); what was stored before stays intact."""
    home = small_disk(tmp_path / "disk", "3m") / "home"
    settings = Settings(home=home)
    install_template(template_db_path, settings)
    run = _cli(home)
    db = open_home(settings)  # held open, as the running server holds it: the -wal and -shm stay
    try:
        sources = _captures(tmp_path / "captures", 3, size=(300, 300))
        paths = list(sources.values())
        status, lines = _add(run, paths[:2])
        assert status == 0 and [line["status"] for line in lines] == ["stored", "stored"]
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # so that any write now needs new space
        filler = _fill(home.parent)

        result = run("evidence", "add", CASE, str(paths[2]), "--as", "analyst")
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
        assert "error: the server's disk is full" in result.output, result.output

        filler.unlink()
        shas = list(sources)
        assert _stored(db) == set(shas[:2])
        finals, temps = _store(home)
        assert set(finals) == set(shas[:2]) and temps == []
        assert_sound(settings.database_path, run)
        assert "2 items intact" in cli_ok(run("evidence", "verify"))
        status, lines = _add(run, paths[2:])  # with room again, the same file goes in
        assert status == 0 and lines[0]["status"] == "stored"
    finally:
        db.conn.close()


class _HalfThenFull:
    """A staged file's stream on a disk that fills part way through it."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stream.close()

    def __getattr__(self, name):
        return getattr(self.stream, name)

    def write(self, data):
        self.stream.write(data[: len(data) // 2])
        self.stream.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class _FullFrom:
    """Stands in for `os` in evidence_store: the disk is full from the n-th staged file on."""

    def __init__(self, n: int):
        self.n, self.opened = n, 0

    def __getattr__(self, name):
        return getattr(os, name)

    def fdopen(self, *args, **kwargs):
        self.opened += 1
        stream = os.fdopen(*args, **kwargs)
        return _HalfThenFull(stream) if self.opened >= self.n else stream


def test_a_simulated_full_disk_while_staging_refuses_the_file_clearly_and_keeps_the_rest(
    db, settings, run, tmp_path, monkeypatch
):
    sources = _captures(tmp_path / "captures", 4)
    monkeypatch.setattr(evidence_store, "os", _FullFrom(3))
    status, lines = _add(run, sources.values())
    assert status == 3
    assert _assert_refused_for_space(lines, sources) == 2
    shas = list(sources)
    assert _stored(db) == set(shas[:2])
    finals, temps = _store(settings.home)
    assert set(finals) == set(shas[:2]) and temps == []  # the half-written temp file was removed
    assert_sound(settings.database_path, run)
    assert "2 items intact" in cli_ok(run("evidence", "verify"))


def test_a_simulated_full_database_during_an_upload_says_so_and_keeps_the_rest(
    db, settings, run, tmp_path, monkeypatch
):
    """The file is staged and placed, then the database cannot take its row (SQLITE_FULL)."""
    sources = _captures(tmp_path / "captures", 4)
    real_insert, calls = evidence._insert, []

    def insert(*args, **kwargs):
        calls.append(1)
        if len(calls) >= 3:
            full = sqlite3.OperationalError("database or disk is full")
            full.sqlite_errorcode = sqlite3.SQLITE_FULL
            raise full
        return real_insert(*args, **kwargs)

    monkeypatch.setattr(evidence, "_insert", insert)
    result = run("evidence", "add", CASE, *map(str, sources.values()), "--as", "analyst")
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    assert "error: the server's disk is full: the database cannot be written. File 3 of 4" in result.output

    shas = list(sources)
    assert _stored(db) == set(shas[:2])
    finals, temps = _store(settings.home)
    assert set(finals) == set(shas[:2]) and temps == []  # the placed file was taken back
    assert integrity(settings.database_path) == "ok"
    monkeypatch.setattr(evidence, "_insert", real_insert)
    assert_sound(settings.database_path, run)
    _finish_the_upload(db, run, settings.home, sources, [])


def test_a_command_on_a_completely_full_disk_says_so(small_disk, template_db_path, clean_env, tmp_path):
    home = small_disk(tmp_path / "disk", "2m") / "home"
    install_template(template_db_path, Settings(home=home))
    source = _captures(tmp_path / "captures", 1)
    _fill(home.parent)  # nothing holds the database open: opening it must create the -wal and -shm
    result = _cli(home)("evidence", "add", CASE, *map(str, source.values()), "--as", "analyst")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "disk is full" in result.output and "Traceback" not in result.output

"""Backup and restore (issue 9 point 5): a consistent copy while the app is in use, a restore into an
empty home whose audit chain and evidence verify, and every refusal leaving nothing behind."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import textwrap
import time
from pathlib import Path

import pytest

from tests import evidence_files as files
from tests.conftest import CASE, OBSERVATION_INPUT, cli_ok, cli_refused
from workbench import access, backup, evidence, observations, users
from workbench.db import latest_version, open_home
from workbench.errors import Conflict, PermissionDenied

ROOT = Path(__file__).resolve().parent.parent
GROWN_BY_RESTORE = ("audit_events", "evidence_checks")  # the restore's own checks are recorded in it


# --- helpers -------------------------------------------------------------------------------------


def _fill(db, analyst, observation_input) -> None:
    """Two observations; four files, one a duplicate; one item purged: two files held."""
    observations.record(db, analyst, CASE, observation_input())
    observations.record(db, analyst, CASE, observation_input(summary="TikTok bio states age 18"))
    capture = {"observation": "OBS-0001", "shows": "A screenshot (synthetic)", "confirmed_no_indecent_image": True}
    uploads = [
        evidence.Upload.of_bytes("a.png", files.png((40, 40))),
        evidence.Upload.of_bytes("b.jpg", files.jpeg(seed=3)),
        evidence.Upload.of_bytes("c.png", files.png((30, 30), colour="navy")),
        evidence.Upload.of_bytes("d.png", files.png((40, 40))),
    ]
    results = evidence.add_files(db, analyst, CASE, uploads, capture)
    assert [r.status for r in results] == [evidence.STORED] * 3 + [evidence.DUPLICATE]
    evidence.purge(db, analyst, CASE, "EV-0003", "Held in error (test)")


def _counts(database: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        tables = [
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        ]
        return {t: conn.execute(f"SELECT COUNT(*) FROM [{t}]").fetchone()[0] for t in tables}  # noqa: S608
    finally:
        conn.close()


def _query(database: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        return json.loads(tar.extractfile(backup.MANIFEST_MEMBER).read())


def _originals(home: Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes() for p in home.glob("evidence/case-*/originals/*")}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _restore_and_verify(run, home: Path, archive: Path) -> str:
    """Restore through the CLI, then `audit verify` and `evidence verify` on the restored home."""
    out = cli_ok(run("--home", str(home), "restore", str(archive)))
    assert "audit chain intact" in out
    assert "audit chain intact" in cli_ok(run("--home", str(home), "audit", "verify"))
    assert "items intact" in cli_ok(run("--home", str(home), "evidence", "verify"))
    return out


def _same_rows(restored: Path, manifest: dict) -> None:
    after = _counts(restored / "workbench.db")
    assert set(after) == set(manifest["counts"])
    assert {t: n for t, n in after.items() if t not in GROWN_BY_RESTORE} == {
        t: n for t, n in manifest["counts"].items() if t not in GROWN_BY_RESTORE
    }
    assert after["audit_events"] > manifest["counts"]["audit_events"]


def _wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def _left_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- round trip ----------------------------------------------------------------------------------


def test_backup_then_restore_gives_the_same_workbench_whose_checks_pass(
    db, analyst, observation_input, world, run, tmp_path
):
    _fill(db, analyst, observation_input)
    before = _counts(world.database_path)
    target = tmp_path / "backups" / "nightly.tar"
    target.parent.mkdir()

    out = cli_ok(run("backup", "--out", str(target)))
    sha = _sha(target)
    assert f"sha256 {sha}" in out
    assert _left_in(target.parent) == ["nightly.tar"]  # no temporary copy left beside it
    manifest = _manifest(target)
    assert manifest["format"] == backup.FORMAT and manifest["schema_version"] == latest_version()
    assert manifest["counts"] == {**before, "audit_events": before["audit_events"] + 1}  # + backup.start
    assert manifest["evidence_files"] == 2 and not manifest["problems"]
    with tarfile.open(target) as tar:
        names = tar.getnames()
        for entry in manifest["members"]:
            assert hashlib.sha256(tar.extractfile(entry["name"]).read()).hexdigest() == entry["sha256"]
    assert names[0] == "workbench.db" and names[-1] == "manifest.json"
    assert sorted(names[1:-1]) == sorted(_originals(world.home))  # the purged file is in neither

    # Audited in the live database, outside any case; the copy holds backup.start but not backup.create.
    events = list(db.query("SELECT * FROM audit_events WHERE action LIKE 'backup.%' ORDER BY seq"))
    assert [(e["action"], e["username"], e["case_ref"]) for e in events] == [
        ("backup.start", "system", None),
        ("backup.create", "system", None),
    ]
    details = json.loads(events[1]["details"])
    assert details["sha256"] == sha and details["size"] == target.stat().st_size
    assert details["evidence_files"] == 2 and details["rows"] == sum(manifest["counts"].values())
    assert manifest["audit_head"]["seq"] == events[0]["seq"] == details["audit_seq"]

    restored = tmp_path / "restored"
    out = _restore_and_verify(run, restored, target)
    assert f"sha256 {sha}" in out and f"audit chain intact: {events[0]['seq']} events" in out
    assert "3 items intact" in out  # EV-0001, EV-0002 and EV-0004 (a duplicate of EV-0001)
    _same_rows(restored, manifest)
    assert _originals(restored) == _originals(world.home)
    # The log is the live one up to the backup, then the restore's own events.
    live = db.execute("SELECT seq, hash FROM audit_events WHERE seq <= ? ORDER BY seq", (events[0]["seq"],)).fetchall()
    copied = _query(restored / "workbench.db", "SELECT seq, hash, action FROM audit_events ORDER BY seq")
    assert [(s, h) for s, h, _ in copied[: len(live)]] == [tuple(row) for row in live]
    assert [a for _, _, a in copied[len(live) :]] == ["backup.restore", "evidence.verify", "evidence.verify"]
    assert _query(
        restored / "workbench.db", "SELECT code FROM evidence e JOIN evidence_purges p ON p.evidence_id = e.id"
    )


def test_only_an_administrator_backs_up_and_an_absent_home_is_not_made(db, analyst, run, tmp_path, settings):
    with pytest.raises(PermissionDenied):
        backup.create_backup(db, analyst, tmp_path / "b.tar")
    assert not (tmp_path / "b.tar").exists()
    nowhere = tmp_path / "nowhere"
    assert "no workbench" in cli_refused(run("--home", str(nowhere), "backup", "--out", str(tmp_path / "c.tar")))
    assert not nowhere.exists()
    assert "must name a .tar" in cli_refused(run("backup", "--out", str(tmp_path / "b.zip")))


# --- while the app is in use ---------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from tests import evidence_files as files
    from workbench import evidence, observations, users
    from workbench.config import Settings
    from workbench.db import open_home

    home, stop, given = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
    db = open_home(Settings(home=home))
    analyst = users.user_by_name(db, "analyst")
    written = 0
    while not stop.exists():
        written += 1
        code = observations.record(db, analyst, "CASE-1", dict(given, summary=f"Bio states age 19 ({written})")).code
        if written % 3 == 0:
            capture = {"observation": code, "shows": "A screenshot (synthetic)", "confirmed_no_indecent_image": True}
            upload = evidence.Upload.of_bytes(f"w{written}.jpg", files.jpeg(seed=1000 + written))
            [result] = evidence.add_files(db, analyst, "CASE-1", [upload], capture)
            assert result.status == evidence.STORED, result.error
    print(written)
    """
)


def test_a_backup_taken_while_another_process_writes_restores_consistent(db, world, run, tmp_path):
    def live(table: str) -> int:
        return db.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0]  # noqa: S608

    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(world.home), str(stop), json.dumps(OBSERVATION_INPUT)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    at_snapshot = {}

    def hold(stage: str, done: int, total: int) -> None:
        """After the database is copied, let the writer record and upload more before files are copied."""
        if stage == "snapshot" and not at_snapshot:
            at_snapshot.update(observations=live("observations"), evidence=live("evidence"))
            _wait_for(lambda: live("observations") >= at_snapshot["observations"] + 4)
            _wait_for(lambda: live("evidence") >= at_snapshot["evidence"] + 1)

    try:
        _wait_for(lambda: live("evidence") >= 2)
        by_cli = tmp_path / "by-cli.tar"
        cli_ok(run("backup", "--out", str(by_cli)))
        held = tmp_path / "held.tar"
        result = backup.create_backup(db, access.SYSTEM, held, progress=hold)
        _wait_for(lambda: live("observations") >= at_snapshot["observations"] + 8)  # still writing after
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    assert int(out) >= 8

    final = _counts(world.database_path)
    manifest = _manifest(held)
    assert result.attempts == 1 and not result.problems
    # The hook counted just after the copy (the writer may have got in between), then waited for more.
    assert manifest["counts"]["observations"] <= at_snapshot["observations"] < final["observations"]
    assert manifest["counts"]["evidence"] <= at_snapshot["evidence"] < final["evidence"]
    assert manifest["evidence_files"] < len(_originals(world.home))  # files uploaded after the copy: left out

    for archive in (by_cli, held):
        manifest = _manifest(archive)
        restored = tmp_path / f"restored-{archive.stem}"
        _restore_and_verify(run, restored, archive)
        _same_rows(restored, manifest)
        database = restored / "workbench.db"
        # Rows and files agree: every file a record holds is there, and no file without a record.
        held_rows = _query(
            database,
            """SELECT DISTINCT 'evidence/case-' || case_id || '/originals/' || sha256 FROM evidence e
               WHERE NOT EXISTS (SELECT 1 FROM evidence_purges p WHERE p.evidence_id = e.id)""",
        )
        assert sorted(r[0] for r in held_rows) == sorted(_originals(restored))
        assert len(held_rows) == manifest["evidence_files"]
        orphans = "SELECT COUNT(*) FROM observations o WHERE NOT EXISTS (SELECT 1 FROM observation_versions v WHERE v.observation_id = o.id)"  # noqa: E501
        assert _query(database, orphans) == [(0,)]
        codes = _query(
            database, "SELECT last_number FROM case_codes c JOIN cases k ON k.id = c.case_id WHERE prefix = 'OBS'"
        )
        assert codes == [(manifest["counts"]["observations"],)]


@pytest.mark.parametrize("when", ["snapshot", "file"])
def test_a_purge_while_the_backup_runs_starts_it_again_without_the_purged_bytes(
    db, analyst, observation_input, world, run, tmp_path, when
):
    _fill(db, analyst, observation_input)
    other = open_home(world)  # another user's connection
    purged = db.execute("SELECT sha256 FROM evidence WHERE code = 'EV-0002'").fetchone()[0]
    done_once = []

    def purge_once(stage: str, done: int, total: int) -> None:
        if stage == when and not done_once:
            done_once.append(stage)
            evidence.purge(other, users.user_by_name(other, "analyst"), CASE, "EV-0002", "Purged mid-backup (test)")

    target = tmp_path / "b.tar"
    try:
        result = backup.create_backup(db, access.SYSTEM, target, progress=purge_once)
    finally:
        other.conn.close()
    assert result.attempts == 2 and not result.problems
    assert _left_in(tmp_path) == sorted(["b.tar", "home"])
    manifest = _manifest(target)
    assert manifest["evidence_files"] == 1
    assert not [m for m in manifest["members"] if m["name"].endswith(purged)]
    restored = tmp_path / "restored"
    assert "2 items intact" in _restore_and_verify(run, restored, target)
    assert _query(
        restored / "workbench.db",
        "SELECT e.code FROM evidence e JOIN evidence_purges p ON p.evidence_id = e.id ORDER BY e.code",
    ) == [("EV-0002",), ("EV-0003",)]


def test_a_backup_that_keeps_losing_the_race_keeps_nothing(
    db, analyst, observation_input, world, tmp_path, monkeypatch
):
    _fill(db, analyst, observation_input)
    monkeypatch.setattr(backup, "ATTEMPTS", 1)

    def purge(stage: str, done: int, total: int) -> None:
        if stage == "snapshot":
            evidence.purge(db, analyst, CASE, "EV-0002", "Purged mid-backup (test)")

    with pytest.raises(Conflict, match="purged or deleted"):
        backup.create_backup(db, access.SYSTEM, tmp_path / "b.tar", progress=purge)
    assert _left_in(tmp_path) == ["home"]


def test_a_file_missing_from_the_store_is_reported_and_the_rest_kept(
    db, analyst, observation_input, world, run, tmp_path
):
    _fill(db, analyst, observation_input)
    sha = db.execute("SELECT sha256 FROM evidence WHERE code = 'EV-0002'").fetchone()[0]
    next(world.evidence_dir.glob(f"case-*/originals/{sha}")).unlink()  # damage behind the workbench's back
    target = tmp_path / "b.tar"
    result = run("backup", "--out", str(target))
    assert result.exit_code == backup_exit_incomplete(), result.output
    assert f"file {sha}: missing" in result.output
    manifest = _manifest(target)
    assert manifest["evidence_files"] == 1 and [p["sha256"] for p in manifest["problems"]] == [sha]
    # The restore reports it too, as `evidence verify` would on the live home.
    restored = tmp_path / "restored"
    out = cli_refused(run("--home", str(restored), "restore", str(target)))
    assert "audit chain intact" in out and "EV-0002: missing" in out
    assert (restored / "workbench.db").exists()


def backup_exit_incomplete() -> int:
    from workbench.cli import EXIT_BACKUP_INCOMPLETE

    return EXIT_BACKUP_INCOMPLETE


# --- refusals ------------------------------------------------------------------------------------


@pytest.fixture
def archive(db, analyst, observation_input, run, tmp_path) -> Path:
    _fill(db, analyst, observation_input)
    target = tmp_path / "b.tar"
    cli_ok(run("backup", "--out", str(target)))
    return target


def test_restore_refuses_a_home_that_is_not_empty(archive, world, run, tmp_path):
    database = _sha(world.database_path)
    out = cli_refused(run("restore", str(archive)))  # the world's own home
    assert "is not empty (it holds workbench.db" in out and "never replaces" in out
    assert _sha(world.database_path) == database

    stray = tmp_path / "stray"
    (stray / "evidence" / "case-1" / "originals").mkdir(parents=True)
    (stray / "evidence" / "case-1" / "originals" / ("0" * 64)).write_bytes(b"left from another workbench")
    assert "is not empty" in cli_refused(run("--home", str(stray), "restore", str(archive)))
    assert not (stray / "workbench.db").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []

    ready = tmp_path / "ready"  # folders only, no files: empty enough
    (ready / "evidence" / "incoming").mkdir(parents=True)
    _restore_and_verify(run, ready, archive)


def _flip(archive: Path, member: str) -> None:
    with tarfile.open(archive) as tar:
        info = tar.getmember(member)
        at = info.offset_data + info.size // 2
    data = bytearray(archive.read_bytes())
    data[at] ^= 0x01
    archive.write_bytes(bytes(data))


@pytest.mark.parametrize("member", ["workbench.db", "evidence", "manifest.json"])
def test_restore_refuses_a_tampered_archive_and_writes_nothing(archive, run, tmp_path, member):
    if member == "evidence":
        with tarfile.open(archive) as tar:
            member = next(n for n in tar.getnames() if n.startswith("evidence/"))
    _flip(archive, member)
    before = _left_in(tmp_path)
    restored = tmp_path / "restored"
    out = cli_refused(run("--home", str(restored), "restore", str(archive)))
    assert "nothing was written" in out or "not a workbench backup" in out
    assert not restored.exists()
    assert _left_in(tmp_path) == before  # no temporary folder either


def test_restore_refuses_a_cut_short_or_foreign_archive(archive, run, tmp_path):
    restored = tmp_path / "restored"
    cut = tmp_path / "cut.tar"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    foreign = tmp_path / "foreign.tar"
    with tarfile.open(foreign, "w") as tar:
        data = b"not a workbench"
        info = tarfile.TarInfo("../escape")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"this is not a tar file at all" * 100)
    before = _left_in(tmp_path)
    for bad in (cut, foreign, junk):
        assert "Traceback" not in cli_refused(run("--home", str(restored), "restore", str(bad)))
        assert not restored.exists()
        assert not (tmp_path.parent / "escape").exists()
    assert _left_in(tmp_path) == before


def _rebuilt(archive: Path, out: Path, tmp_path: Path, schema_version: int) -> None:
    """The same backup with its database at another schema version, and a manifest to match."""
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile(backup.MANIFEST_MEMBER).read())
        blobs = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.name != backup.MANIFEST_MEMBER}
    database = tmp_path / "changed.db"
    database.write_bytes(blobs["workbench.db"])
    conn = sqlite3.connect(database)
    conn.execute(f"PRAGMA user_version = {schema_version}")
    conn.close()
    blobs["workbench.db"] = database.read_bytes()
    manifest["schema_version"] = schema_version
    manifest["members"] = [
        {"name": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()} for n, b in blobs.items()
    ]
    manifest["manifest_sha256"] = backup._manifest_hash(manifest)
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in [*blobs.items(), (backup.MANIFEST_MEMBER, json.dumps(manifest).encode())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_restore_refuses_a_database_newer_than_the_code(archive, run, tmp_path):
    newer = tmp_path / "newer.tar"
    _rebuilt(archive, newer, tmp_path, latest_version() + 1)
    restored = tmp_path / "restored"
    out = cli_refused(run("--home", str(restored), "restore", str(newer)))
    assert "newer than this workbench" in out and "upgrade the workbench" in out
    assert not restored.exists()
    # The rebuilt archive itself is sound: at the current version it restores.
    same = tmp_path / "same.tar"
    _rebuilt(archive, same, tmp_path, latest_version())
    _restore_and_verify(run, restored, same)


def test_backup_refuses_to_overwrite_unless_forced(db, run, tmp_path):
    target = tmp_path / "b.tar"
    target.write_bytes(b"yesterday's backup")
    assert "exists" in cli_refused(run("backup", "--out", str(target)))
    assert target.read_bytes() == b"yesterday's backup"
    assert _left_in(tmp_path) == ["b.tar", "home"]
    assert not db.execute("SELECT COUNT(*) FROM audit_events WHERE action LIKE 'backup.%'").fetchone()[0]
    cli_ok(run("backup", "--out", str(target), "--force"))
    assert _manifest(target)["format"] == backup.FORMAT


# --- killed part way -------------------------------------------------------------------------------

KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from workbench import access, backup
    from workbench.config import Settings
    from workbench.db import open_home

    db = open_home(Settings(home=Path(sys.argv[1])))

    def progress(stage, done, total):
        if stage == "file" and done == total // 2:  # the archive is half written
            os.kill(os.getpid(), signal.SIGKILL)

    backup.create_backup(db, access.SYSTEM, Path(sys.argv[2]), progress=progress)
    """
)


def test_a_killed_backup_leaves_nothing_under_the_final_name(db, analyst, observation_input, world, run, tmp_path):
    observations.record(db, analyst, CASE, observation_input())
    capture = {"observation": "OBS-0001", "shows": "A screenshot (synthetic)", "confirmed_no_indecent_image": True}
    uploads = [evidence.Upload.of_bytes(f"{i}.jpg", files.jpeg((200, 150), seed=i)) for i in range(6)]
    assert {r.status for r in evidence.add_files(db, analyst, CASE, uploads, capture)} == {evidence.STORED}
    target = tmp_path / "out" / "b.tar"
    target.parent.mkdir()
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(world.home), str(target)], cwd=ROOT, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not target.exists()
    left = _left_in(target.parent)
    assert left and all(name.startswith(".b.tar.") and name.endswith(".partial") for name in left)
    actions = [row[0] for row in db.execute("SELECT action FROM audit_events WHERE action LIKE 'backup.%'")]
    assert actions == ["backup.start"]  # the attempt is on record; no completion is

    # The next backup to that name is whole (and leaves the fresh leftovers: they may be a running backup's).
    cli_ok(run("backup", "--out", str(target)))
    assert _manifest(target)["evidence_files"] == 6
    assert _left_in(target.parent) == sorted([*left, "b.tar"])


RESTORE_KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from workbench import backup
    from workbench.config import Settings

    def killed_after_unpacking(*args, **kwargs):  # every member is out, nothing is checked or moved yet
        os.kill(os.getpid(), signal.SIGKILL)

    backup._check_database = killed_after_unpacking
    backup.restore_backup(Settings(home=Path(sys.argv[1])), Path(sys.argv[2]))
    """
)


def test_a_killed_restore_leaves_no_home_and_the_next_one_tidies_up(archive, run, tmp_path):
    home = tmp_path / "restored" / "home"
    home.parent.mkdir()
    killed = subprocess.run(
        [sys.executable, "-c", RESTORE_KILLER, str(home), str(archive)], cwd=ROOT, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not home.exists()
    left = _left_in(home.parent)
    assert len(left) == 1 and left[0].startswith(".home.restore-")
    assert (home.parent / left[0] / "workbench.db").exists()  # it was killed with the database unpacked

    # A restore straight after leaves the fresh leftover alone (it may be a restore still running)...
    _restore_and_verify(run, home, archive)
    assert _left_in(home.parent) == sorted([left[0], "home"])

    # ...and one after it has gone stale removes it.
    shutil.rmtree(home)
    stale = time.time() - backup.STALE_SECONDS - 60
    os.utime(home.parent / left[0], (stale, stale))
    _restore_and_verify(run, home, archive)
    assert _left_in(home.parent) == ["home"]

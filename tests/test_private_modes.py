"""Everything under the home is the service account's alone (issue 24 point 5): every folder 0700,
every file without group or other bits (an evidence original 0400), whatever the umask, for a home
made now, a home made by an older workbench, and a restored one."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests import evidence_files as files
from tests.conftest import CASE
from workbench import backup, evidence, export, observations, private
from workbench.config import Settings
from workbench.db import connect, open_home


@pytest.fixture(params=[0o022, 0o000], ids=["umask-022", "umask-000"])
def umask(request):
    """The process umask for the test, put back after. Listed first, so the home is made under it."""
    before = os.umask(request.param)
    private._repaired.clear()  # each test's home is opened as if by a new process
    yield request.param
    os.umask(before)


def _modes(home: Path) -> dict[str, int]:
    """Every folder and file under home (and home itself, as "."), with its permission bits."""
    found = {".": stat.S_IMODE(home.lstat().st_mode)}
    for path in home.rglob("*"):
        found[str(path.relative_to(home))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def _assert_private(home: Path) -> dict[str, int]:
    modes = _modes(home)
    for name, mode in modes.items():
        path = home / name
        if path.is_dir():
            assert mode == 0o700, f"{name}: {oct(mode)}"
        else:
            assert mode & 0o077 == 0, f"{name}: {oct(mode)}"
    return modes


def test_a_home_in_use_is_the_owners_alone(umask, db, world, analyst, admin, observation_input, tmp_path):
    observations.record(db, analyst, CASE, observation_input())
    uploads = [evidence.Upload.of_bytes("a.png", files.png()), evidence.Upload.of_bytes("b.jpg", files.jpeg())]
    capture = {"observation": "OBS-0001", "shows": "A screenshot (synthetic)", "confirmed_no_indecent_image": True}
    evidence.add_files(db, analyst, CASE, uploads, capture)
    assert all(evidence.previews(db, analyst, CASE, ["EV-0001", "EV-0002"]).values())
    export.export_case(
        db, analyst, CASE, tmp_path / "bundle.zip", export.ExportOptions("Strategy meeting", "Police (fictional)")
    )
    backup.create_backup(db, admin, tmp_path / "backup.tar")

    modes = _assert_private(world.home)
    for name in ("workbench.db", "workbench.db-wal", "workbench.db-shm"):
        assert modes[name] == 0o600, name
    originals = [name for name in modes if "/originals/" in name]
    previews = [name for name in modes if "/previews/" in name]
    assert len(originals) == 2 and len(previews) == 2, modes
    assert {modes[name] for name in originals} == {0o400}
    assert {modes[name] for name in previews} == {0o600}
    # What leaves the home is private too: the bundle and the backup are written under temp names
    # made 0600 and renamed.
    assert stat.S_IMODE((tmp_path / "bundle.zip").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "backup.tar").stat().st_mode) == 0o600

    restored = tmp_path / "restored"
    backup.restore_backup(Settings(home=restored), tmp_path / "backup.tar")
    modes = _assert_private(restored)
    assert modes["workbench.db"] == 0o600
    assert {modes[name] for name in modes if "/originals/" in name} == {0o400}


def test_an_old_homes_modes_are_repaired_when_it_is_opened(umask, db, world, analyst):
    evidence.add_files(
        db, analyst, CASE, [evidence.Upload.of_bytes("a.png", files.png())],
        {"shows": "A screenshot (synthetic)", "confirmed_no_indecent_image": True},
    )  # fmt: skip
    evidence.previews(db, analyst, CASE, ["EV-0001"])
    db.conn.close()
    # As an older workbench left it: folders 0755, the database and the previews 0644, originals 0444.
    for path in [world.home, *world.home.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
        else:
            path.chmod(0o444 if "/originals/" in str(path) else 0o644)
    private._repaired.clear()  # a new process: the upgraded workbench starting
    reopened = open_home(world)
    try:
        modes = _assert_private(world.home)
        assert modes["workbench.db"] == 0o600
        assert {modes[name] for name in modes if "/originals/" in name} == {0o400}
    finally:
        reopened.conn.close()


def test_sqlite_gives_the_wal_and_shm_files_the_database_files_mode(umask, tmp_path):
    database = connect(tmp_path / "new" / "workbench.db")
    try:
        database.execute("CREATE TABLE t (x)")
        database.execute("INSERT INTO t VALUES (1)")
        for name in ("workbench.db", "workbench.db-wal", "workbench.db-shm"):
            assert stat.S_IMODE((tmp_path / "new" / name).stat().st_mode) == 0o600, name
        assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    finally:
        database.conn.close()


def test_the_helpers_set_exact_modes_whatever_the_umask(umask, tmp_path):
    made = private.make_folder(tmp_path / "a" / "b" / "c")
    for folder in (tmp_path / "a", tmp_path / "a" / "b", made):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    fd = private.create_file(made / "f")
    os.close(fd)
    assert stat.S_IMODE((made / "f").stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        private.create_file(made / "f")
    private.ensure_file(made / "f")  # an existing file is left as it is
    (made / "open").write_text("x")
    (made / "open").chmod(0o4755)
    (made / "link").symlink_to(made / "open")
    assert private.repair(tmp_path) >= 1
    assert stat.S_IMODE((made / "open").stat().st_mode) == 0o700  # the owner's bits kept, nothing else
    assert private.repair(tmp_path) == 0  # nothing left to change

"""Files and folders only the workbench's service account can read, whatever the process umask.

Under WORKBENCH_HOME every folder is 0700 and every file 0600, except an evidence original, which
is 0400 (read-only as well). A mode is set when the thing is made: the folder or file is created
with it and then set to it exactly (the umask can only take bits away, and an odd one could take
the owner's too). SQLite gives a database's -wal, -shm and -journal files the mode of the database
file, so a database created 0600 here keeps its companions 0600.

`repair` brings an existing home into line (one made by an older workbench, which left the
database 0644 and the originals 0444): folders to 0700, and every group and other bit off each
file, keeping the owner's (so a read-only original stays read-only). `db.open_home` runs it once
per process per home, and a restore runs it on the home it unpacks.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path

FOLDER = 0o700
FILE = 0o600
READ_ONLY = 0o400  # an evidence original: no one writes to it, not even the workbench

_repaired: set[Path] = set()  # homes repaired by this process (paths only, never their content)
_repairing = threading.Lock()


def make_folder(path: Path | str) -> Path:
    """The folder and any missing parents, each made 0700. An existing folder is left as it is."""
    path = Path(path)
    missing = []
    for folder in (path, *path.parents):
        if folder.is_dir():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER)
        except FileExistsError:
            continue  # made meanwhile by another thread or process, the same way
        os.chmod(folder, FOLDER)
    return path


def create_file(path: Path | str, mode: int = FILE) -> int:
    """A new file (never an existing one: FileExistsError), open for writing with `mode`. Returns its
    descriptor; the caller closes it (os.fdopen(fd, "wb") does)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), mode)
    try:
        os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def ensure_file(path: Path | str) -> None:
    """Create an empty file 0600 unless one is there (a database file, before SQLite opens it)."""
    with contextlib.suppress(FileExistsError):
        os.close(create_file(path))


def repair(home: Path | str) -> int:
    """Every folder under `home` (and it) 0700, every file without group or other bits. Symbolic
    links are neither followed nor changed. Returns how many modes were changed."""
    home = Path(home)
    changed = 0
    for folder, folders, names in os.walk(home):
        changed += _private(Path(folder), directory=True)
        changed += sum(_private(Path(folder) / name, directory=False) for name in names)
        folders[:] = [name for name in folders if not (Path(folder) / name).is_symlink()]
    return changed


def repair_once(home: Path | str) -> None:
    """`repair` the first time this process opens the home; later opens skip the walk."""
    home = Path(home).resolve()
    with _repairing:
        if home in _repaired:
            return
        repair(home)
        _repaired.add(home)


def _private(path: Path, *, directory: bool) -> int:
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return 0  # removed while the walk ran (a temp file, a purge)
    if stat.S_ISLNK(mode):
        return 0
    wanted = FOLDER if directory else stat.S_IMODE(mode) & 0o700
    if stat.S_IMODE(mode) == wanted:
        return 0
    try:
        os.chmod(path, wanted)
    except FileNotFoundError:
        return 0
    return 1

"""An export killed part way (SIGKILL: no clean-up runs) leaves nothing under the bundle's name,
the database sound and the audit chain whole, and the next export to that name clears what the
killed one left once it is stale."""

from __future__ import annotations

import os
import textwrap
import time

from tests import evidence_files as files
from tests.conftest import CASE
from tests.processes import assert_sound, run_killed
from workbench import evidence, export, observations

KILLER = textwrap.dedent(
    """
    from workbench import export, users
    from workbench.config import Settings
    from workbench.db import open_home

    db = open_home(Settings(home=Path(sys.argv[1])))

    def progress(fraction, message):
        if message.startswith("Adding"):  # the ZIP is half written
            KILL()

    export.export_case(
        db, users.user_by_name(db, "analyst"), "CASE-1", Path(sys.argv[2]),
        export.ExportOptions("Strategy meeting", "Police"), progress=progress,
    )
    """
)


def _case_with_a_file(db, analyst, observation_input) -> None:
    observations.record(db, analyst, CASE, observation_input())
    capture = {"observation": "OBS-0001", "shows": "A screenshot (synthetic)", "confirmed_no_indecent_image": True}
    [stored] = evidence.add_files(db, analyst, CASE, [evidence.Upload.of_bytes("a.png", files.png((40, 40)))], capture)
    assert stored.status == evidence.STORED


def test_a_killed_export_leaves_nothing_under_the_bundles_name(db, analyst, observation_input, settings, tmp_path, run):
    _case_with_a_file(db, analyst, observation_input)
    target = tmp_path / "out" / "bundle.zip"
    target.parent.mkdir()
    run_killed(KILLER, str(settings.home), str(target))
    assert not target.exists()
    [left] = list(target.parent.iterdir())  # what it was writing: hidden, and not the bundle's name
    assert left.name.startswith(".bundle.zip.") and left.name.endswith(".partial")
    assert not db.execute("SELECT COUNT(*) FROM exports").fetchone()[0]
    started = [row[0] for row in db.execute("SELECT action FROM audit_events WHERE action LIKE 'export.%'")]
    assert started == ["export.start"]  # the attempt is on record; no completion is
    assert_sound(settings.database_path, run)  # integrity_check ok, audit chain and evidence files intact

    # A later export to the same name: a fresh leftover is kept (it may be another export's), a stale one goes.
    export.export_case(db, analyst, CASE, target, export.ExportOptions("Strategy meeting", "Police"))
    assert left.exists()
    stale = time.time() - export.STALE_PARTIAL_SECONDS - 60
    os.utime(left, (stale, stale))
    export.export_case(db, analyst, CASE, target, export.ExportOptions("Again", "Police", force=True))
    assert [p.name for p in target.parent.iterdir()] == ["bundle.zip"]

"""Many writers at once: eight real OS processes each record 200 observations into one database at
the same time. Every observation and its audit event is there, the codes run OBS-0001..OBS-1600
without a gap or a repeat, the chain verifies, and nobody ever sees "database is locked".

The workers are separate Python processes (`python -c`), each opening its own connection with
`open_home`, exactly as separate Streamlit servers or CLI runs would. They all wait for a start
file, so their writes overlap rather than run one after another.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from workbench import audit, cases, observations
from workbench.access import SYSTEM

WORKERS = 8
EACH = 200
TOTAL = WORKERS * EACH
START_TIMEOUT_S = 120  # how long a worker waits for the start file before giving up
RUN_TIMEOUT_S = 240

# One worker: open the home, say it is ready, wait for the start file, record EACH observations as
# USERNAME, and print one JSON line with the codes it got and every exception it met (as text).
_WORKER = r"""
import json, sys, time, traceback
from pathlib import Path

home, username, count, ready, start, timeout = (
    Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]), float(sys.argv[6])
)
codes, errors = [], []
try:
    from workbench import observations, users
    from workbench.config import Settings
    from workbench.db import open_home

    db = open_home(Settings(home=home))
    actor = users.user_by_name(db, username)
    given = {
        "kind": "profile_indicator", "indicator": "stated_age", "summary": "Instagram bio states age 19",
        "details": {"profile_element": "bio", "stated_age": 19}, "source_type": "analyst_viewed",
        "source_grade": "2", "information_grade": "B", "handling_code": "P", "observed_at": "2025-03-14 10:30",
    }
    ready.touch()
    deadline = time.monotonic() + timeout
    while not start.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the start file never appeared")
        time.sleep(0.005)
    for n in range(count):
        try:
            codes.append(observations.record(db, actor, "CASE-1", {**given, "summary": f"{username} #{n}"}).code)
        except Exception:
            errors.append(traceback.format_exc())
    db.conn.close()
except Exception:
    errors.append(traceback.format_exc())
print(json.dumps({"username": username, "codes": codes, "errors": errors}))
"""


def _env() -> dict[str, str]:
    """The parent's environment without WORKBENCH_* settings: the workers use --home / Settings only."""
    return {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=_env(),
    )


def _events(db) -> int:
    return db.execute("SELECT COUNT(*) FROM audit_events").fetchone()[0]


def test_eight_processes_record_1600_observations_at_once(db, world, tmp_path):
    cases.add_member(db, SYSTEM, "CASE-1", "analyst2", "analyst")
    events_before = _events(db)
    observations_before = db.execute("SELECT COUNT(*) FROM observations").fetchone()[0]
    assert observations_before == 0
    signals = tmp_path / "signals"
    signals.mkdir()
    start = signals / "start"
    # Half record as the lead, half as an analyst member.
    usernames = ["analyst" if n % 2 == 0 else "analyst2" for n in range(WORKERS)]

    began = time.monotonic()
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WORKER,
                str(world.home),
                username,
                str(EACH),
                str(signals / f"ready-{n}"),
                str(start),
                str(START_TIMEOUT_S),
            ],  # fmt: skip
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for n, username in enumerate(usernames)
    ]
    try:
        # Start them together: only once every worker has opened its connection and is waiting.
        deadline = time.monotonic() + START_TIMEOUT_S
        while len(list(signals.glob("ready-*"))) < WORKERS:
            assert time.monotonic() < deadline, "the workers did not all get ready"
            assert all(w.poll() is None for w in workers), "a worker ended before the start"
            time.sleep(0.01)
        started = time.monotonic()
        start.touch()
        outputs = [w.communicate(timeout=RUN_TIMEOUT_S) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.communicate()
    writing = time.monotonic() - started

    reports = []
    for w, (stdout, stderr) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, stderr
        reports.append(json.loads(stdout.strip().splitlines()[-1]))
    errors = [error for report in reports for error in report["errors"]]
    assert not any("database is locked" in error for error in errors), errors[0]
    assert errors == [], errors[0]

    # Every worker got its 200 codes, in increasing order, and no code was handed out twice.
    for report in reports:
        assert len(report["codes"]) == EACH
        assert report["codes"] == sorted(report["codes"])
    handed_out = [code for report in reports for code in report["codes"]]
    expected = [f"OBS-{n:04d}" for n in range(1, TOTAL + 1)]
    assert sorted(handed_out) == expected

    # The writes really overlapped: in code order the workers take turns, rather than each taking
    # one block of 200 (which would be WORKERS - 1 changes of hands).
    owner = {code: n for n, report in enumerate(reports) for code in report["codes"]}
    turns = sum(owner[a] != owner[b] for a, b in zip(expected, expected[1:], strict=False))
    assert turns > 10 * WORKERS, f"the workers hardly overlapped: {turns} changes of hands"

    stored = [row[0] for row in db.execute("SELECT code FROM observations ORDER BY code")]
    assert stored == expected
    assert db.execute("SELECT COUNT(*) FROM observation_versions").fetchone()[0] == TOTAL
    by_user = dict(
        db.execute(
            "SELECT username, COUNT(*) FROM audit_events WHERE action = 'observation.create' AND case_ref = 'CASE-1'"
            " GROUP BY username"
        ).fetchall()
    )
    assert by_user == {"analyst": TOTAL // 2, "analyst2": TOTAL // 2}
    audited = {row[0] for row in db.execute("SELECT item_code FROM audit_events WHERE action = 'observation.create'")}
    assert audited == set(expected)
    assert _events(db) == events_before + TOTAL

    report = audit.verify(db)
    assert report.intact, report
    assert report.events == events_before + TOTAL
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    verified = _cli(world.home, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip() == f"audit chain intact: {events_before + TOTAL} events"
    assert "database is locked" not in verified.stderr
    print(
        f"\n{WORKERS} workers x {EACH} observations: {writing:.1f} s writing, "
        f"{time.monotonic() - began:.1f} s in all, {turns} changes of hands"
    )


def _tamper(database: Path, sql: str) -> None:
    """Change the file behind the workbench's back, from another process: with the sqlite3 shell
    where it is installed, otherwise with Python's sqlite3 module in a subprocess."""
    shell = shutil.which("sqlite3")
    if shell:
        command = [shell, str(database), sql]
    else:
        script = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.close()"
        command = [sys.executable, "-c", script, str(database), sql]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def test_the_command_line_names_an_event_edited_by_another_program(db, world, analyst, observation_input):
    for _ in range(3):
        observations.record(db, analyst, "CASE-1", observation_input())
    total = _events(db)
    target = total - 2
    db.conn.close()  # nothing of ours holds the file while the other program edits it
    edit = f"UPDATE audit_events SET justification = 'nothing to see' WHERE seq = {target};"  # noqa: S608
    _tamper(world.database_path, "DROP TRIGGER audit_events_no_update; " + edit)
    verified = _cli(world.home, "audit", "verify")
    assert verified.returncode == 1, (verified.stdout, verified.stderr)
    assert re.search(rf"audit chain broken at event {target}\b", verified.stderr), verified.stderr
    assert "does not match its hash" in verified.stderr
    assert "Traceback" not in verified.stderr
    assert verified.stdout == ""

"""Recording an image-sharing incident creates the actions the strategy asks for (report to the
platform early, Report Remove, tell the DSL or the police, consider a safety plan: 5.33-5.37),
still to do, naming it, due from the day it was seen; the kind file says which (x-actions), and a
kind file naming an unknown action stops the start."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import date, timedelta

import pytest

from tests.conftest import CASE
from workbench import actions, observations, schemas
from workbench.schemas import SCHEMAS_DIR

INCIDENT = {
    "kind": "image_sharing_incident",
    "indicator": "image_shared_by_others",
    "summary": "A semi-nude image of the child was posted in a group chat (synthetic)",
    "details": {"what_was_seen": "Described by a teacher; nobody viewed it (synthetic)", "where_seen": "A group chat"},
    "observed_at": "2025-07-14 10:30",
    "url": "",
}
EXPECTED = [
    ("reported_to_platform", 0),
    ("report_remove_used", 0),
    ("dsl_informed", 0),
    ("safety_plan_considered", 1),
]


def _record(db, actor, observation_input, **overrides) -> str:
    return observations.record(db, actor, CASE, observation_input(**(INCIDENT | overrides))).code


def _actions(db, case) -> list[dict]:
    return actions.actions_frame(db, case.case_id, today=date(2025, 7, 14)).to_dict("records")


def test_recording_an_incident_creates_the_strategys_actions_still_to_do(db, analyst, case, observation_input):
    code = _record(db, analyst, observation_input)
    made = _actions(db, case)
    assert [(a["kind"], a["status"], a["observation"]) for a in made] == [(k, "to_do", code) for k, _ in EXPECTED]
    seen = date(2025, 7, 14)
    assert [a["due_date"] for a in made] == [(seen + timedelta(days=days)).isoformat() for _, days in EXPECTED]
    assert "5.35-5.37" in made[0]["note"] and "5.33-5.34" in made[3]["note"]
    events = db.execute(
        "SELECT item_code, details FROM audit_events WHERE action = 'action.create' ORDER BY seq"
    ).fetchall()
    assert [(c, json.loads(d)["prompted_by"]) for c, d in events] == [(a["code"], code) for a in made]


def test_they_are_overdue_once_their_day_has_passed(db, analyst, case, observation_input):
    _record(db, analyst, observation_input)
    later = actions.actions_frame(db, case.case_id, today=date(2025, 7, 16))
    assert later["overdue"].all()


def test_other_kinds_create_no_actions(db, analyst, case, observation_input):
    observations.record(db, analyst, CASE, observation_input())
    assert _actions(db, case) == []


def _import_file(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def test_an_import_creates_them_for_each_incident(db, analyst, case):
    common = {"visibility": "supplied", "source_type": "supplied_school", "source_grade": "2",
              "information_grade": "B", "handling_code": "P", "observed_at": "2025-07-14 10:30"}  # fmt: skip
    incident = common | {
        "kind": "image_sharing_incident", "indicator": "image_shared_by_others", "summary": "Shared in a chat",
        "details": json.dumps(INCIDENT["details"]),
    }  # fmt: skip
    note = common | {"kind": "general_note", "indicator": "note", "summary": "Nothing of concern",
                     "details": json.dumps({"note": "Nothing of concern (synthetic)"})}  # fmt: skip
    result = observations.import_csv(db, analyst, CASE, _import_file([incident, note, incident]))
    made = _actions(db, case)
    assert [a["observation"] for a in made] == [result.codes[0]] * 4 + [result.codes[2]] * 4


def test_a_refused_incident_creates_nothing(db, analyst, case, observation_input, counts):
    before = counts()
    with pytest.raises(Exception):  # noqa: B017 - any refusal: what matters is that nothing is written
        _record(db, analyst, observation_input, details={"where_seen": ""})
    assert counts() == before


def test_a_kind_file_naming_an_unknown_action_stops_the_start(tmp_path):
    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR, copy)
    path = copy / "kinds" / "image_sharing_incident.schema.json"
    text = path.read_text(encoding="utf-8").replace('"kind": "report_remove_used"', '"kind": "report_removed"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuntimeError, match="x-actions"):
        schemas.load_catalog(str(copy))

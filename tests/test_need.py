"""A case's level of need: the partnership's labels from the configuration, each mapped to a
statutory anchor; every decision kept with who, when and why; refusals change nothing; the case
list and overview show the current level; the CLI sets and lists it."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from tests.conftest import CASE, cli_ok, cli_refused
from workbench import cases, need, schemas
from workbench.errors import PermissionDenied, ValidationError
from workbench.schemas import SCHEMAS_DIR


def _levels(db) -> list[tuple]:
    return db.execute("SELECT level, label, anchor, reason FROM case_levels ORDER BY id").fetchall()


def test_setting_a_level_keeps_its_label_anchor_and_reason_and_is_audited(db, analyst):
    assert need.set_level(db, analyst, CASE, "child_in_need", "Agreed at the strategy discussion") == "child_in_need"
    assert _levels(db) == [
        ("child_in_need", "Level 3: Child in need (s.17)", "s17_child_in_need", "Agreed at the strategy discussion")
    ]
    [(details, justification)] = db.execute(
        "SELECT details, justification FROM audit_events WHERE action = 'case.level'"
    ).fetchall()
    assert json.loads(details) == {"level": "child_in_need", "anchor": "s17_child_in_need", "from": None}
    assert justification == "Agreed at the strategy discussion"


def test_a_level_is_taken_by_its_label_too(db, analyst):
    assert need.set_level(db, analyst, CASE, "level 4: child protection (s.47)", "Threshold met") == "child_protection"


def test_the_history_is_newest_first_and_the_case_shows_the_current_level(db, analyst, case):
    need.set_level(db, analyst, CASE, "early_help", "Early help assessment")
    need.set_level(db, analyst, CASE, "child_protection", "Immediate risk: s.47 enquiry")
    history = need.level_history(db, analyst, CASE)
    assert history["level"].tolist() == ["child_protection", "early_help"]
    assert history["anchor_label"].tolist() == [need.ANCHORS["s47_child_protection"], need.ANCHORS["early_help"]]
    assert history["set_by"].tolist() == ["analyst", "analyst"]
    assert cases.overview(db, analyst, CASE).levels["level"].tolist() == ["child_protection", "early_help"]
    listed = cases.list_cases(db, analyst)
    assert listed.loc[listed["reference"] == CASE, "level"].tolist() == ["Level 4: Child protection (s.47)"]
    last = json.loads(
        db.execute("SELECT details FROM audit_events WHERE action = 'case.level' ORDER BY seq DESC").fetchone()[0]
    )
    assert last["from"] == "early_help"


@pytest.mark.parametrize(
    ("level", "reason", "field"),
    [
        ("level_9", "Why not", "level"),
        ("", "Why not", "level"),
        ("early_help", "", "reason"),
        ("early_help", " ", "reason"),
    ],
)
def test_bad_input_is_named_and_changes_nothing(db, analyst, counts, level, reason, field):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        need.set_level(db, analyst, CASE, level, reason)
    assert field in refused.value.errors
    assert counts() == before


def test_the_same_level_again_is_no_change(db, analyst, counts):
    need.set_level(db, analyst, CASE, "early_help", "First")
    before = counts()
    with pytest.raises(ValidationError) as refused:
        need.set_level(db, analyst, CASE, "Level 2: Early help", "Again")
    assert refused.value.errors["level"].startswith("is already Level 2: Early help")
    assert counts() == before


def test_a_reviewer_cannot_set_it(db, reviewer, counts):
    before = counts()
    with pytest.raises(PermissionDenied):
        need.set_level(db, reviewer, CASE, "early_help", "Not mine to decide")
    assert counts() == before


def test_decisions_are_append_only(db, analyst):
    need.set_level(db, analyst, CASE, "early_help", "First")
    for statement in ("UPDATE case_levels SET level = 'universal'", "DELETE FROM case_levels"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(statement)


def test_a_level_without_a_statutory_anchor_stops_the_start(tmp_path):
    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR, copy)
    path = copy / "vocabularies.json"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            '"anchor": "early_help", "description": "Complex', '"anchor": "tier_3", "description": "Complex'
        ),
        encoding="utf-8",
    )
    with pytest.raises(RuntimeError, match="targeted_early_help"):
        schemas.load_catalog(str(copy))


def test_the_command_line_sets_and_lists_the_level(run, db):
    assert (
        cli_ok(run("case", "level", CASE, "child_in_need", "--reason", "Agreed", "--as", "analyst")).strip()
        == "child_in_need"
    )
    listed = json.loads(cli_ok(run("case", "level", CASE, "--history", "--as", "reviewer", "--format", "json")))
    assert [(r["level"], r["reason"], r["set_by"]) for r in listed] == [("child_in_need", "Agreed", "analyst")]
    assert "reason" in cli_refused(run("case", "level", CASE, "universal", "--as", "analyst"))
    assert "record" in cli_refused(run("case", "level", CASE, "universal", "--reason", "x", "--as", "reviewer"))

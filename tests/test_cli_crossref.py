"""`workbench fact add|amend|retract|link|withdraw-link` and `workbench crossref`: codes printed,
user errors exit 1 with a field-level message and store nothing, and the cross-reference list as
a table, formula-safe CSV (contradictions first) or JSON."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest
from click.testing import CliRunner

from tests.conftest import cli_ok, cli_refused
from workbench.cli import main

HEADER = [
    "observation", "fact", "person", "relation", "labels", "by", "detail", "score", "threshold", "code",
    "claim_field", "claim_value", "fact_attribute", "fact_value", "special_category", "withdrawn", "recorded_at",
]  # fmt: skip
AS = ("--as", "analyst")


def _count(world, table: str) -> int:
    conn = sqlite3.connect(world.database_path)
    try:
        return conn.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0]  # noqa: S608
    finally:
        conn.close()


def _actions(world) -> list[str]:
    conn = sqlite3.connect(world.database_path)
    try:
        return [r[0] for r in conn.execute("SELECT action FROM audit_events ORDER BY seq")]
    finally:
        conn.close()


def _add_fact(run, *extra: str, value: str = "2010-05-14", attribute: str = "date_of_birth"):
    return run("fact", "add", "CASE-1", *AS, "--person", "Child A", "--attribute", attribute, "--value", value,
               "--source-agency", "school", *extra)  # fmt: skip


def _add_observation(run, details: dict, indicator: str = "stated_age", kind: str = "profile_indicator"):
    return run(
        "observation", "add", "CASE-1", *AS, "--kind", kind, "--indicator", indicator, "--summary", "Seen on a profile",
        "--details", json.dumps(details), "--source-type", "analyst_viewed", "--source-grade", "2",
        "--information-grade", "B", "--handling-code", "P", "--observed-at", "2025-03-14 10:30",
    )  # fmt: skip


def _csv(run, *extra: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(cli_ok(run("crossref", "CASE-1", *AS, "--format", "csv", *extra)))))


def _json(run, *extra: str) -> list[dict]:
    return json.loads(cli_ok(run("crossref", "CASE-1", *AS, "--format", "json", *extra)))


@pytest.fixture
def contradicted(world, run):
    """F-0001 date of birth (14 on the day), F-0002 school; OBS-0001 states 19, OBS-0002 states 14."""
    cli_ok(_add_fact(run))
    cli_ok(_add_fact(run, value="Northfield Academy", attribute="school"))
    cli_ok(_add_observation(run, {"profile_element": "bio", "stated_age": 19}))
    cli_ok(_add_observation(run, {"profile_element": "bio", "stated_age": 14}))
    return world


# --- facts ---------------------------------------------------------------------------------------


def test_fact_add_prints_the_code(run, world):
    assert cli_ok(_add_fact(run, "--source-reference", "Admissions record")).strip() == "F-0001"
    assert cli_ok(_add_fact(run, value="female", attribute="gender")).strip() == "F-0002"
    listed = json.loads(cli_ok(run("fact", "list", "CASE-1", *AS, "--format", "json")))
    assert [(f["code"], f["attribute"], f["value"], f["source_reference"]) for f in listed] == [
        ("F-0001", "date_of_birth", "2010-05-14", "Admissions record"),
        ("F-0002", "gender", "female", ""),
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--value", "14/05/2010"), "error: value: a date of birth must be a date as YYYY-MM-DD"),
        (("--value", "2010-05-14", "--valid-from", "yesterday"), "error: valid_from: must be a date as YYYY-MM-DD"),
    ],
)
def test_fact_add_with_a_bad_date_prints_the_field_and_stores_nothing(run, world, extra, message):
    output = cli_refused(
        run("fact", "add", "CASE-1", *AS, "--person", "P-0001", "--attribute", "date_of_birth",
            "--source-agency", "school", *extra)
    )  # fmt: skip
    assert message in output
    assert (_count(world, "facts"), _count(world, "fact_versions")) == (0, 0)
    assert "fact.create" not in _actions(world)


def test_fact_amend_prints_the_code_and_reruns_the_rules(run, contradicted):
    assert _json(run)[0]["relation"] == "contradicts"
    assert cli_ok(run("fact", "amend", "CASE-1", "F-0001", *AS, "--value", "2005-11-30",
                      "--reason", "Typed from the wrong form")).strip() == "F-0001"  # fmt: skip
    age_rows = [r for r in _json(run) if r["fact"] == "F-0001"]
    assert {(r["observation"], r["relation"]) for r in age_rows} == {
        ("OBS-0001", "corroborates"), ("OBS-0002", "contradicts"),
    }  # fmt: skip
    assert _count(contradicted, "fact_versions") == 3


def test_fact_amend_with_nothing_changed_is_refused(run, contradicted):
    output = cli_refused(run("fact", "amend", "CASE-1", "F-0001", *AS, "--value", "2010-05-14", "--reason", "same"))
    assert "error: fact: nothing was changed" in output
    assert _count(contradicted, "fact_versions") == 2


def test_fact_retract_prints_the_code_and_its_findings_go(run, contradicted):
    assert cli_ok(run("fact", "retract", "CASE-1", "F-0001", *AS, "--reason", "Wrong child")).strip() == "F-0001"
    assert [r for r in _json(run) if r["fact"] == "F-0001"] == []
    output = cli_refused(run("fact", "retract", "CASE-1", "F-0001", *AS, "--reason", "Again"))
    assert "error: F-0001 is retracted" in output


# --- links ---------------------------------------------------------------------------------------


def test_fact_link_prints_the_code_and_withdraw_link_keeps_it(run, contradicted):
    assert cli_ok(run("fact", "link", "CASE-1", "OBS-0001", "F-0002", *AS, "--relation", "context",
                      "--rationale", "The bio photo shows the school uniform")).strip() == "XR-0001"  # fmt: skip
    manual = [r for r in _json(run) if r["code"] == "XR-0001"]
    assert [(r["observation"], r["fact"], r["relation"], r["by"], r["detail"]) for r in manual] == [
        ("OBS-0001", "F-0002", "context", "analyst", "The bio photo shows the school uniform")
    ]
    assert cli_ok(run("fact", "withdraw-link", "CASE-1", "xr-0001", *AS, "--reason", "Not her school")).strip() == (
        "withdrew XR-0001"
    )
    assert [r for r in _json(run) if r["code"] == "XR-0001"] == []
    assert [r["withdrawn"] for r in _json(run, "--include-withdrawn") if r["code"] == "XR-0001"] == [1]
    assert (_count(contradicted, "crossrefs"), _count(contradicted, "crossref_versions")) == (1, 2)
    output = cli_refused(run("fact", "withdraw-link", "CASE-1", "XR-0001", *AS, "--reason", "Again"))
    assert "error: XR-0001 is already withdrawn." in output


def test_fact_link_with_bad_fields_names_them_and_stores_nothing(run, contradicted):
    output = cli_refused(
        run("fact", "link", "CASE-1", "OBS-0404", "F-0404", *AS, "--relation", "context", "--rationale", " ")
    )
    assert "error: observation: no observation OBS-0404 in this case" in output
    assert "error: fact: no fact F-0404 in this case" in output
    assert "error: rationale: is required" in output
    assert _count(contradicted, "crossrefs") == 0


def test_fact_link_with_a_rule_relation_is_a_usage_error(run, contradicted):
    result = run("fact", "link", "CASE-1", "OBS-0001", "F-0002", *AS, "--relation", "relates_to", "--rationale", "x")
    assert result.exit_code == 2
    assert "relates_to" in result.output
    assert _count(contradicted, "crossrefs") == 0


# --- the cross-reference list --------------------------------------------------------------------


def test_crossref_csv_has_the_header_and_the_contradiction_first(run, contradicted):
    rows = _csv(run)
    assert rows[0] == HEADER
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [(r["observation"], r["fact"], r["relation"]) for r in records] == [
        ("OBS-0001", "F-0001", "contradicts"), ("OBS-0002", "F-0001", "corroborates"),
    ]  # fmt: skip
    first = records[0]
    assert (first["labels"], first["by"], first["person"]) == ("false age stated", "age_against_date_of_birth",
                                                               "Child A")  # fmt: skip
    assert first["detail"] == "profile states 19; known age 14 from the school's record of date of birth (F-0001)"
    assert (first["score"], first["threshold"]) == ("", "")


def test_crossref_csv_shows_the_fuzzy_score_and_threshold(run, world):
    cli_ok(_add_fact(run, value="Northfield Academy", attribute="school"))
    cli_ok(_add_observation(run, {"profile_element": "bio", "stated_school": "Riverside High"}, "stated_school"))
    rows = _csv(run)
    record = dict(zip(rows[0], rows[1], strict=True))
    assert (record["relation"], record["by"], record["threshold"]) == ("contradicts", "school_name", "90.0")
    assert 0 <= float(record["score"]) < 90
    assert "below the threshold 90" in record["detail"]


def test_crossref_json_parses_with_every_column(run, contradicted):
    listed = _json(run)
    assert [list(r) for r in listed] == [HEADER] * 2
    assert listed[0]["relation"] == "contradicts"
    assert listed[0]["special_category"] is False
    assert listed[0]["claim_value"] == "19"


def test_crossref_table_shows_the_chosen_columns(run, contradicted):
    output = cli_ok(run("crossref", "CASE-1", *AS))
    header = output.splitlines()[0].split()
    assert header == ["observation", "fact", "relation", "labels", "by", "score", "detail"]
    assert output.index("contradicts") < output.index("corroborates")


def test_crossref_of_an_empty_case_says_none(run, world):
    assert cli_ok(run("crossref", "CASE-1", *AS)).strip() == "(none)"
    assert _csv(run) == [HEADER]


def test_a_rationale_starting_with_equals_is_formula_safe_in_csv(run, contradicted):
    rationale = '=HYPERLINK("http://example.invalid","x")'
    cli_ok(run("fact", "link", "CASE-1", "OBS-0002", "F-0002", *AS, "--relation", "corroborates",
               "--rationale", rationale))  # fmt: skip
    rows = _csv(run)
    manual = [dict(zip(rows[0], row, strict=True)) for row in rows[1:] if "XR-0001" in row]
    assert [r["detail"] for r in manual] == ["'" + rationale]
    assert [r["detail"] for r in _json(run) if r["code"] == "XR-0001"] == [rationale]  # JSON keeps it as typed


def test_include_withdrawn_lists_withdrawn_links(run, contradicted):
    cli_ok(run("fact", "link", "CASE-1", "OBS-0002", "F-0002", *AS, "--relation", "context", "--rationale", "why"))
    cli_ok(run("fact", "withdraw-link", "CASE-1", "XR-0001", *AS, "--reason", "mistaken"))
    plain = _csv(run)
    with_withdrawn = _csv(run, "--include-withdrawn")
    assert len(with_withdrawn) == len(plain) + 1
    withdrawn = [dict(zip(HEADER, row, strict=True)) for row in with_withdrawn[1:] if row[HEADER.index("code")]]
    assert [(r["code"], r["withdrawn"]) for r in withdrawn] == [("XR-0001", "1")]


def test_recompute_runs_the_rules_again_first(run, contradicted):
    conn = sqlite3.connect(contradicted.database_path)
    with conn:
        conn.execute("DELETE FROM rule_findings")  # rule_state still says current
    conn.close()
    assert _csv(run) == [HEADER]
    rows = _csv(run, "--recompute")
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [
        ("OBS-0001", "F-0001", "contradicts"), ("OBS-0002", "F-0001", "corroborates"),
    ]  # fmt: skip
    assert _actions(contradicted)[-2:] == ["crossref.recompute", "crossref.list"]


def test_a_reviewer_may_list_but_not_recompute_or_link(run, contradicted):
    assert len(json.loads(cli_ok(run("crossref", "CASE-1", "--as", "reviewer", "--format", "json")))) == 2
    output = cli_refused(run("crossref", "CASE-1", "--as", "reviewer", "--recompute"))
    assert "does not allow you to record" in output
    output = cli_refused(run("fact", "link", "CASE-1", "OBS-0001", "F-0002", "--as", "reviewer",
                             "--relation", "context", "--rationale", "why"))  # fmt: skip
    assert "does not allow you to record" in output
    assert _count(contradicted, "crossrefs") == 0


@pytest.mark.parametrize(
    "args",
    [
        ("crossref", "CASE-1", "--as", "analyst2"),
        ("crossref", "CASE-1", "--as", "analyst2", "--recompute"),
        (
            "fact",
            "link",
            "CASE-1",
            "OBS-0001",
            "F-0001",
            "--as",
            "analyst2",
            "--relation",
            "context",
            "--rationale",
            "x",
        ),
        ("fact", "withdraw-link", "CASE-1", "XR-0001", "--as", "analyst2", "--reason", "x"),
        ("fact", "amend", "CASE-1", "F-0001", "--as", "analyst2", "--value", "2010-05-15", "--reason", "x"),
        ("fact", "retract", "CASE-1", "F-0001", "--as", "analyst2", "--reason", "x"),
    ],
    ids=lambda args: " ".join(args[:2]) + (" --recompute" if "--recompute" in args else ""),
)
def test_a_non_member_gets_not_found(run, contradicted, args):
    before = {t: _count(contradicted, t) for t in ("crossrefs", "fact_versions", "rule_findings", "audit_events")}
    output = cli_refused(run(*args))
    assert "error: Case CASE-1 not found." in output
    # Nothing changes but the trail: one case.refused event (issue 24).
    assert {t: _count(contradicted, t) for t in before} == before | {"audit_events": before["audit_events"] + 1}
    conn = sqlite3.connect(contradicted.database_path)
    try:
        refused = conn.execute("SELECT username, action FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    assert refused == ("analyst2", "case.refused")


@pytest.mark.parametrize(
    "path",
    [("fact", "add"), ("fact", "amend"), ("fact", "retract"), ("fact", "link"), ("fact", "withdraw-link"),
     ("crossref",)],
    ids=" ".join,
)  # fmt: skip
def test_every_command_has_help(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    command = main
    for name in path:
        command = command.commands[name]
    assert (command.help or "").strip()
    assert command.help.split("\n")[0][:30] in result.output
    for param in command.params:
        if param.param_type_name == "option":
            assert (param.help or "").strip(), f"{' '.join(path)} {param.opts[0]} has no help"

"""The `workbench` command: every command has help, each is a thin call into the domain, and
errors a user can cause print a message and exit 1, never a traceback."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from tests.conftest import cli_ok, cli_refused
from workbench import users
from workbench.cli import main
from workbench.db import latest_version, open_home
from workbench.demo import demo_logins


def _walk(command: click.Command, path: tuple[str, ...] = ()):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _walk(sub, (*path, name))


COMMANDS = list(_walk(main))
GOOD_ROW = {
    "kind": "profile_indicator", "indicator": "stated_age", "summary": "Bio states age 19",
    "details": json.dumps({"profile_element": "bio", "stated_age": 19}), "source_type": "analyst_viewed",
    "source_grade": "2", "information_grade": "B", "handling_code": "P", "observed_at": "2025-03-14 10:30",
}  # fmt: skip


@pytest.fixture
def home(settings):
    return settings.home


def _count(settings, table: str) -> int:
    conn = sqlite3.connect(settings.database_path)
    try:
        return conn.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0]  # noqa: S608
    finally:
        conn.close()


def _csv_file(tmp_path, rows: list[dict], name: str = "import.csv"):
    columns = list(GOOD_ROW)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / name
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


# --- help ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "workbench" for p, _ in COMMANDS])
def test_every_command_and_group_has_help(path, command):
    assert (command.help or command.short_help or "").strip(), f"{' '.join(path)} has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert (param.help or "").strip(), f"{' '.join(path)} {param.opts[0]} has no help text"
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert command.get_short_help_str() in result.output or command.help.split("\n")[0][:30] in result.output


def test_the_walk_found_every_group():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"init", "user add", "case member add", "observation import", "fact list", "audit verify"} <= names


def test_python_dash_m_workbench_prints_help():
    result = subprocess.run(
        [sys.executable, "-m", "workbench", "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    assert "observation" in result.stdout


def test_version_is_printed(run):
    assert re.search(r"version \d+\.\d+\.\d+", cli_ok(run("--version")))


# --- init ----------------------------------------------------------------------------------------


def test_init_creates_the_database(run, settings):
    output = cli_ok(run("init"))
    assert f"workbench ready at {settings.home}" in output
    conn = sqlite3.connect(settings.database_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == latest_version()
    conn.close()


def test_init_with_demo_prints_the_demo_logins_and_is_idempotent(run, settings):
    first = cli_ok(run("init", "--demo"))
    assert "demo case loaded" in first
    assert "DEMO ONLY" in first
    for login in demo_logins():
        assert re.search(rf"{login.role}\s+username {re.escape(login.username)}\s+password {re.escape(login.password)}",
                         first)  # fmt: skip
    tables = ("users", "cases", "observations", "facts")
    before = {t: _count(settings, t) for t in tables}
    assert before["observations"] > 0 and before["users"] == len(demo_logins())
    second = cli_ok(run("init", "--demo"))
    assert "demo case already present" in second
    assert "DEMO ONLY" in second
    assert {t: _count(settings, t) for t in tables} == before


# --- users ---------------------------------------------------------------------------------------


def test_user_add_reads_the_password_from_stdin(run, settings):
    output = cli_ok(
        run("user", "add", "Carol", "--role", "analyst", "--password-stdin", input="carols-long-password\n")
    )
    assert output.strip() == "user carol added as analyst"
    assert "carols-long-password" not in output
    db = open_home(settings)
    assert users.authenticate(db, "carol", "carols-long-password").role == "analyst"
    db.conn.close()


def test_user_add_prompts_for_the_password_twice(run, settings):
    cli_ok(run("user", "add", "dana", "--role", "reviewer", input="danas-long-password\ndanas-long-password\n"))
    assert _count(settings, "users") == 1


def test_user_add_with_a_short_password_is_refused(run, settings):
    cli_ok(run("init"))
    output = cli_refused(run("user", "add", "carol", "--role", "analyst", "--password-stdin", input="short\n"))
    assert "error: password: must be at least 12 characters" in output
    assert _count(settings, "users") == 0


def test_user_add_with_an_unknown_role_is_a_usage_error(run):
    result = run("user", "add", "carol", "--role", "wizard", "--password-stdin", input="carols-long-password\n")
    assert result.exit_code == 2
    assert "Invalid value for '--role'" in result.output


def test_user_list_shows_users_without_hashes(run, world):
    listed = json.loads(cli_ok(run("user", "list", "--format", "json")))
    assert sorted(u["username"] for u in listed) == ["admin", "analyst", "analyst2", "reviewer"]
    assert all("password_hash" not in u for u in listed)


# --- cases ---------------------------------------------------------------------------------------


def test_case_add_opens_a_case_with_its_lead_under_a_reference_the_workbench_gives(run, world):
    output = cli_ok(run("case", "add", "--title", "Second case", "--lead", "analyst2", "--external-ref", "EH-0142"))
    match = re.fullmatch(r"case (C-\d{4}-0001) opened with lead analyst2", output.strip())
    assert match, output
    listed = json.loads(cli_ok(run("case", "list", "--as", "analyst2", "--format", "json")))
    assert [(c["reference"], c["external_ref"], c["my_role"], c["subject"]) for c in listed] == [
        (match.group(1), "EH-0142", "lead", "Child A")
    ]


def test_case_add_takes_no_reference_of_the_operators_choosing(run, world):
    result = run("case", "add", "CASE-2", "--title", "Second", "--lead", "analyst")
    assert result.exit_code == 2  # a usage error: there is no REFERENCE argument
    assert _count(world, "cases") == 1


def test_case_add_numbers_cases_in_turn_and_a_shared_case_management_number_is_no_refusal(run, world):
    opened = [
        cli_ok(run("case", "add", "--title", title, "--lead", "analyst", "--external-ref", "EH-0142")).split()[1]
        for title in ("Second", "Third")
    ]
    assert [reference[-4:] for reference in opened] == ["0001", "0002"]
    assert opened[0][:7] == opened[1][:7]  # C-YYYY-: the same year
    assert _count(world, "cases") == 3


@pytest.mark.parametrize("lead", ["reviewer", "nobody-by-this-name"])
def test_case_add_refuses_every_lead_it_cannot_take_in_the_same_words(run, world, lead):
    output = cli_refused(run("case", "add", "--title", "Second", "--lead", lead))
    assert output.strip().splitlines()[-1] == "error: lead: no analyst or administrator account by that name can lead"
    assert _count(world, "cases") == 1


def test_case_member_add_lets_a_user_in(run, world):
    assert "not found" in cli_refused(run("observation", "list", "CASE-1", "--as", "analyst2")).lower()
    assert cli_ok(run("case", "member", "add", "CASE-1", "analyst2", "--role", "analyst")).strip() == (
        "analyst2 is now analyst in CASE-1"
    )
    listed = json.loads(cli_ok(run("case", "list", "--as", "analyst2", "--format", "json")))
    assert [(c["reference"], c["my_role"]) for c in listed] == [("CASE-1", "analyst")]


def test_case_list_as_csv(run, world):
    rows = list(csv.DictReader(io.StringIO(cli_ok(run("case", "list", "--as", "reviewer", "--format", "csv")))))
    assert [(r["reference"], r["my_role"], r["lead"]) for r in rows] == [("CASE-1", "reviewer", "analyst")]


def test_case_list_for_a_user_in_no_case(run, world):
    assert cli_ok(run("case", "list", "--as", "analyst2")).strip() == "(none)"


# --- people and accounts -------------------------------------------------------------------------


def test_person_add_prints_the_code(run, world):
    assert cli_ok(
        run("person", "add", "CASE-1", "--name", "Mother", "--role", "family", "--as", "analyst")
    ).strip() == ("P-0002")
    listed = json.loads(cli_ok(run("person", "list", "CASE-1", "--as", "reviewer", "--format", "json")))
    assert [(p["code"], p["name"], p["pseudonym"]) for p in listed] == [
        ("P-0001", "Child A", "Child A"), ("P-0002", "Mother", "Person B"),
    ]  # fmt: skip


def test_account_add_prints_the_code(run, world):
    output = run(
        "account", "add", "CASE-1", "--platform", "Instagram", "--handle", "@child.a", "--person", "P-0001",
        "--url", "https://instagram.example/child.a", "--as", "analyst",
    )  # fmt: skip
    assert cli_ok(output).strip() == "AC-0001"
    listed = json.loads(cli_ok(run("account", "list", "CASE-1", "--as", "analyst", "--format", "json")))
    assert [(a["code"], a["handle"], a["person"]) for a in listed] == [("AC-0001", "@child.a", "P-0001")]


def test_account_add_with_a_bad_url_is_refused(run, world):
    output = cli_refused(
        run("account", "add", "CASE-1", "--platform", "X", "--handle", "@x", "--url", "javascript:alert(1)",
            "--as", "analyst")
    )  # fmt: skip
    assert "error: url: must be a web address" in output
    assert _count(world, "accounts") == 0


# --- observations --------------------------------------------------------------------------------


def _add_args(**overrides) -> list[str]:
    given = {**GOOD_ROW, **overrides}
    args = []
    for name, value in given.items():
        args += [f"--{name.replace('_', '-')}", value]
    return args


def test_observation_add_prints_the_code(run, world):
    assert cli_ok(run("observation", "add", "CASE-1", "--as", "analyst", *_add_args())).strip() == "OBS-0001"
    assert cli_ok(run("observation", "add", "CASE-1", "--as", "analyst", *_add_args(), "--immediate-risk")).strip() == (
        "OBS-0002"
    )
    listed = json.loads(cli_ok(run("observation", "list", "CASE-1", "--as", "analyst", "--format", "json")))
    assert [(o["code"], o["immediate_risk"]) for o in listed] == [("OBS-0001", 0), ("OBS-0002", 1)]


def test_observation_add_with_bad_fields_names_them(run, world):
    output = cli_refused(
        run("observation", "add", "CASE-1", "--as", "analyst", *_add_args(source_grade="9", url="ftp://x"))
    )
    assert "error: source_grade: must be one of: 1, 2, 3" in output
    assert "error: url: must be a web address" in output
    assert _count(world, "observations") == 0


def test_a_reviewer_cannot_add_an_observation(run, world):
    output = cli_refused(run("observation", "add", "CASE-1", "--as", "reviewer", *_add_args()))
    assert "error: Your part in case CASE-1 does not allow you to record." in output
    assert _count(world, "observations") == 0


def test_observation_import_of_a_good_file(run, world, tmp_path):
    path = _csv_file(tmp_path, [{**GOOD_ROW, "summary": f"Number {n}"} for n in range(3)])
    assert cli_ok(run("observation", "import", "CASE-1", str(path), "--as", "analyst")).strip() == (
        "imported 3 observations (OBS-0001 to OBS-0003)"
    )
    assert _count(world, "observations") == 3


def test_observation_import_of_a_bad_file_imports_nothing(run, world, tmp_path):
    rows = [{**GOOD_ROW, "summary": f"Number {n}"} for n in range(5)]
    rows[1]["source_grade"] = "9"
    rows[3]["handling_code"] = "Q"
    path = _csv_file(tmp_path, rows)
    before = {t: _count(world, t) for t in ("observations", "observation_versions", "audit_events")}
    output = cli_refused(run("observation", "import", "CASE-1", str(path), "--as", "analyst"))
    lines = output.strip().splitlines()
    assert lines[0] == "import refused; nothing was imported:"
    assert lines[1:] == [
        "row 3: source_grade: must be one of: 1, 2, 3",
        "row 5: handling_code: must be one of: P, C",
    ]
    assert {t: _count(world, t) for t in before} == before
    assert json.loads(cli_ok(run("observation", "list", "CASE-1", "--as", "analyst", "--format", "json"))) == []


def test_observation_list_as_csv_is_formula_safe(run, world):
    cli_ok(run("observation", "add", "CASE-1", "--as", "analyst", *_add_args(summary='=HYPERLINK("http://x")')))
    rows = list(csv.DictReader(io.StringIO(cli_ok(run("observation", "list", "CASE-1", "--as", "analyst",
                                                   "--format", "csv")))))  # fmt: skip
    assert [r["code"] for r in rows] == ["OBS-0001"]
    assert rows[0]["summary"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["observed_at"] == "2025-03-14T10:30:00Z"


def test_observation_list_as_json_has_details_as_an_object(run, world):
    cli_ok(run("observation", "add", "CASE-1", "--as", "analyst", *_add_args(summary="Zoë ✨")))
    [listed] = json.loads(cli_ok(run("observation", "list", "CASE-1", "--as", "reviewer", "--format", "json")))
    assert listed["details"] == {"profile_element": "bio", "stated_age": 19}
    assert (listed["code"], listed["summary"], listed["source_grade"]) == ("OBS-0001", "Zoë ✨", "2")


def test_observation_list_as_a_table(run, world):
    cli_ok(run("observation", "add", "CASE-1", "--as", "analyst", *_add_args()))
    output = cli_ok(run("observation", "list", "CASE-1", "--as", "analyst"))
    assert "OBS-0001" in output
    assert "Bio states age 19" in output


# --- facts ---------------------------------------------------------------------------------------


def test_fact_import_and_list(run, world, tmp_path):
    path = tmp_path / "facts.csv"
    path.write_text(
        "person,attribute,value,source_agency\n"
        "Child A,date_of_birth,2012-05-14,school\n"
        "P-0001,mental_health,Referred to CAMHS,health\n",
        encoding="utf-8",
    )
    assert cli_ok(run("fact", "import", "CASE-1", str(path), "--as", "analyst")).strip() == (
        "imported 2 facts (F-0001 to F-0002)"
    )
    listed = json.loads(cli_ok(run("fact", "list", "CASE-1", "--as", "reviewer", "--format", "json")))
    assert [(f["code"], f["attribute"], f["special_category"]) for f in listed] == [
        ("F-0001", "date_of_birth", False), ("F-0002", "mental_health", True),
    ]  # fmt: skip


def test_fact_import_of_a_bad_file_imports_nothing(run, world, tmp_path):
    path = tmp_path / "facts.csv"
    path.write_text("person,attribute,value,source_agency\nNobody,gender,female,school\n", encoding="utf-8")
    output = cli_refused(run("fact", "import", "CASE-1", str(path), "--as", "analyst"))
    assert "row 2: person: no person 'Nobody' in this case" in output
    assert _count(world, "facts") == 0


# --- audit ---------------------------------------------------------------------------------------


def test_audit_verify_reports_an_intact_chain(run, world):
    output = cli_ok(run("audit", "verify"))
    match = re.fullmatch(r"audit chain intact: (\d+) events", output.strip())
    assert match, output
    assert int(match.group(1)) == _count(world, "audit_events")


def test_audit_verify_names_the_tampered_event(run, world):
    conn = sqlite3.connect(world.database_path)
    conn.execute("DROP TRIGGER audit_events_no_update")
    conn.execute("UPDATE audit_events SET username = 'mallory' WHERE seq = 3")
    conn.commit()
    conn.close()
    output = cli_refused(run("audit", "verify"))
    assert "audit chain broken at event 3" in output


# --- who may -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("observation", "list", "CASE-1", "--as", "analyst2"),
        ("observation", "add", "CASE-1", "--as", "analyst2", *_add_args()),
        ("person", "list", "CASE-1", "--as", "analyst2"),
        ("fact", "list", "CASE-1", "--as", "analyst2"),
        ("observation", "list", "CASE-404", "--as", "analyst"),
    ],
    ids=["observation-list", "observation-add", "person-list", "fact-list", "missing-case"],
)
def test_a_case_you_may_not_see_is_not_found_without_a_traceback(run, world, args):
    output = cli_refused(run(*args))
    assert "not found" in output.lower()
    assert re.fullmatch(r"error: Case CASE-(1|404) not found\.", output.strip()), output


def test_a_database_newer_than_the_workbench_is_refused_without_a_traceback(run, world):
    conn = sqlite3.connect(world.database_path)
    conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.commit()
    conn.close()
    output = cli_refused(run("audit", "verify"))
    assert "newer than this workbench" in output


@pytest.mark.parametrize(("variable", "value"), [("WORKBENCH_GRADING", "nato"), ("WORKBENCH_MAX_IMPORT_ROWS", "lots")])
def test_a_bad_setting_is_reported_without_a_traceback(run, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    output = cli_refused(run("init"))
    assert variable in output


def test_an_unknown_acting_user_is_refused(run, world):
    output = cli_refused(run("observation", "list", "CASE-1", "--as", "nobody"))
    assert "error: No active user nobody." in output

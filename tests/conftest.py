"""Shared fixtures for the domain and CLI tests: a real SQLite home under tmp_path, real argon2.

Argon2 takes about 0.2 s a hash, so the four users and CASE-1 are made once per session with the
real `users.create_user`, `cases.create_case` and `cases.add_member`, and every test gets its own
copy of that database file. A test that needs a database with nothing in it uses `empty_db`.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from workbench import access, authorisations, cases, users
from workbench.cli import main
from workbench.config import Settings
from workbench.db import open_home

CASE = "CASE-1"
# username -> (role, password); every password is at least 12 characters.
USERS = {
    "admin": ("admin", "admin-password-2026"),
    "analyst": ("analyst", "analyst-password-2026"),
    "analyst2": ("analyst", "analyst2-password-2026"),
    "reviewer": ("reviewer", "reviewer-password-2026"),
}
TABLES = (
    "users", "cases", "case_members", "people", "accounts", "observations", "observation_versions",
    "facts", "fact_versions", "evidence", "evidence_purges", "evidence_checks", "crossrefs", "crossref_versions",
    "rule_findings", "milestones", "milestone_versions", "actions", "action_versions", "exports", "case_levels",
    "authorisations", "authorisation_versions", "account_views", "case_retention", "case_tombstones",
    "audit_events",
)  # fmt: skip
TEMPLATE_AUTHORISATION = {
    "purpose": "Section 47 enquiry into risk of exploitation",
    "lawful_basis": "Children Act 1989 s.47; DPA 2018 Sch.1 para 18",
    "authorised_by": "Team manager (fictional)",
    "authorised_on": "2000-01-01",
    "review_date": "2099-12-31",
}
_ENV = (
    "WORKBENCH_HOME", "WORKBENCH_GRADING", "WORKBENCH_MAX_IMPORT_ROWS", "WORKBENCH_SCHEMAS",
    "WORKBENCH_LOCKOUT_ATTEMPTS", "WORKBENCH_LOCKOUT_MINUTES", "WORKBENCH_IDLE_MINUTES", "WORKBENCH_EVIDENCE_MAX_MB",
    "WORKBENCH_EVIDENCE_MAX_PIXELS", "WORKBENCH_THIN_OBSERVATIONS", "WORKBENCH_THIN_PLATFORMS",
    "WORKBENCH_VIEW_LIMIT", "WORKBENCH_VIEW_PERIOD_DAYS", "WORKBENCH_CLIENT_ATTEMPTS", "WORKBENCH_CLIENT_MINUTES",
    "WORKBENCH_TRUSTED_PROXIES",
)  # fmt: skip


@pytest.fixture
def passwords() -> dict[str, str]:
    """The fixture users' passwords, by username."""
    return {username: password for username, (_, password) in USERS.items()}


@pytest.fixture
def clean_env(monkeypatch) -> None:
    """The tests decide the settings: no WORKBENCH_* variable leaks in from the shell."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def settings(tmp_path, clean_env) -> Settings:
    return Settings.from_env(tmp_path / "home")


@pytest.fixture
def empty_db(settings):
    """A freshly migrated database with no users, cases or events."""
    database = open_home(settings)
    yield database
    database.conn.close()


@pytest.fixture(scope="session")
def template_db_path(tmp_path_factory) -> Path:
    """The four users and CASE-1 (lead analyst, reviewer as reviewer member), made once."""
    home = tmp_path_factory.mktemp("template")
    database = open_home(Settings(home=home))
    for username, (role, password) in USERS.items():
        users.create_user(database, access.SYSTEM, username, role, password)
    cases.create_case(database, access.SYSTEM, CASE, "Test case", lead="analyst")
    cases.add_member(database, access.SYSTEM, CASE, "reviewer", "reviewer")
    # Ordinary recording in CASE-1 is authorised (whole case, from long ago); the tests of
    # recording without authorisation use a case of their own or retract this one.
    authorisations.add_authorisation(database, users.user_by_name(database, "analyst"), CASE, TEMPLATE_AUTHORISATION)
    database.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.conn.close()
    return home / "workbench.db"


def authorised_case(db, reference: str, title: str = "Another test case", lead: str = "analyst") -> access.CaseAccess:
    """A case of the template's kind: created, with an authorisation covering all of it, so that
    recording in it needs no reason."""
    created = cases.create_case(db, access.SYSTEM, reference, title, lead=lead)
    authorisations.add_authorisation(db, users.user_by_name(db, lead), reference, TEMPLATE_AUTHORISATION)
    return created


def rows_csv(rows: list[dict]) -> bytes:
    """An import file of these rows (the header: every column any row has)."""
    columns = sorted({name for row in rows for name in row})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def import_row(observation_input, **overrides) -> dict:
    """An observation as an import file's row gives it: details as JSON text."""
    row = observation_input(**overrides)
    row["details"] = json.dumps(row["details"])
    return row


def install_template(template: Path, settings: Settings) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, settings.database_path)


@pytest.fixture
def world(settings, template_db_path) -> Settings:
    """This test's home holds the four users and CASE-1 (for the CLI, which opens it itself)."""
    install_template(template_db_path, settings)
    return settings


@pytest.fixture
def db(world):
    """A migrated database of this test's own, holding the users and CASE-1."""
    database = open_home(world)
    yield database
    database.conn.close()


@pytest.fixture
def admin(db) -> access.Actor:
    return users.user_by_name(db, "admin")


@pytest.fixture
def analyst(db) -> access.Actor:
    """The lead of CASE-1."""
    return users.user_by_name(db, "analyst")


@pytest.fixture
def analyst2(db) -> access.Actor:
    """An analyst who is not a member of CASE-1 (tests add them when they need a member)."""
    return users.user_by_name(db, "analyst2")


@pytest.fixture
def reviewer(db) -> access.Actor:
    """A reviewer account, a reviewer member of CASE-1."""
    return users.user_by_name(db, "reviewer")


@pytest.fixture
def case(db, analyst) -> access.CaseAccess:
    return access.authorize(db, analyst, access.Right.VIEW, CASE)


OBSERVATION_INPUT = {
    "kind": "profile_indicator",
    "indicator": "stated_age",
    "summary": "Instagram bio states age 19",
    "details": {"profile_element": "bio", "stated_age": 19},
    "source_type": "analyst_viewed",
    "source_grade": "2",
    "information_grade": "B",
    "handling_code": "P",
    "observed_at": "2025-03-14 10:30",
}


@pytest.fixture
def observation_input() -> Callable[..., dict]:
    """A valid observation input; keyword arguments replace or add fields."""

    def make(**overrides) -> dict:
        return {**copy.deepcopy(OBSERVATION_INPUT), **overrides}  # tests may change details in place

    return make


@pytest.fixture
def counts(db) -> Callable[[], dict[str, int]]:
    """Row counts of every table that holds case data or history: compare before and after. The
    audit log's count leaves out `case.refused` events: a refused attempt at a case changes nothing
    but that trail (issue 24; tests/test_refusals.py and the permission matrix check the trail)."""

    def count() -> dict[str, int]:
        found = {table: db.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0] for table in TABLES}  # noqa: S608
        refused = "SELECT COUNT(*) FROM audit_events WHERE action = 'case.refused'"
        found["audit_events"] -= db.execute(refused).fetchone()[0]
        return found

    return count


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def run(settings, clean_env) -> Callable[..., Result]:
    """Invoke the CLI against this test's home; result.output has stdout and stderr."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(main, ["--home", str(settings.home), *args], input=input)

    return invoke


def cli_ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    assert result.exception is None
    return result.output


def cli_refused(result: Result) -> str:
    """Exit 1 with a message, never a traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), f"uncaught {result.exception!r}: the user sees a traceback"
    assert "Traceback" not in result.output
    return result.output

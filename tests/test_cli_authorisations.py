"""`workbench authorisation add|review|list`, and what the observation commands do about
authorisation: `add` prints the code and stores every option in its field; a refusal names the field
on stderr, exits 1 and stores nothing; `review` adds a version keeping what it does not change; the
list as a table, formula-safe CSV or JSON. `observation add` in a case with no authorisation is
refused without --unauthorised-reason and recorded with it; past the viewing limit it needs
--repeat-viewing-reference; `observation import` prints its warnings on stderr."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import CASE, OBSERVATION_INPUT, TEMPLATE_AUTHORISATION, cli_ok, cli_refused
from workbench import access, authorisations, cases, observations, people

AS = ("--as", "analyst")
BARE = "CASE-2"
REQUIRED = (
    "--purpose", "Section 47 enquiry (fictional)", "--basis", "Children Act 1989 s.47", "--authorised-by",
    "Team manager (fictional)", "--review-date", "2099-06-30",
)  # fmt: skip
OBSERVE = (
    "--kind", "profile_indicator", "--indicator", "stated_age", "--summary", "Bio states age 19",
    "--details", '{"profile_element": "bio", "stated_age": 19}', "--source-type", "analyst_viewed",
    "--source-grade", "2", "--information-grade", "B", "--handling-code", "P", "--observed-at", "2025-03-14 10:30",
)  # fmt: skip


def _add(run, *extra: str, reference: str = CASE, user: str = "analyst"):
    return run("authorisation", "add", reference, "--as", user, *extra)


def _versions(db) -> list[dict]:
    return list(
        db.query(
            """SELECT c.reference AS case_ref, a.code, v.* FROM authorisation_versions v
               JOIN authorisations a ON a.id = v.authorisation_id JOIN cases c ON c.id = a.case_id
               ORDER BY v.id"""
        )
    )


def _stored_counts(db) -> tuple[int, int]:
    return (
        db.execute("SELECT COUNT(*) FROM authorisations").fetchone()[0],
        db.execute("SELECT COUNT(*) FROM authorisation_versions").fetchone()[0],
    )


def _refused_quietly(result) -> str:
    """Exit 1, the reasons on stderr and nothing on stdout."""
    cli_refused(result)
    assert result.stdout == ""
    return result.stderr


@pytest.fixture
def bare(db, analyst) -> str:
    """CASE-2: no authorisation; AC-0001 on Instagram."""
    cases.create_case(db, access.SYSTEM, BARE, "Unauthorised test case", lead="analyst")
    people.add_account(db, analyst, BARE, "Instagram", "@fiction.one", person="P-0001")
    return BARE


# --- add -------------------------------------------------------------------------------------------


def test_add_prints_the_code_and_stores_every_option(run, db, analyst):
    people.add_account(db, analyst, CASE, "TikTok", "@fiction.two", person="P-0001")
    out = cli_ok(
        _add(
            run, *REQUIRED, "--authorised-on", "2025-01-10", "--ends-on", "2025-12-31", "--platforms",
            "instagram, snapchat", "--accounts", "@fiction.two", "--auth-reference", "FIC-AUTH-3",
        )
    )  # fmt: skip
    assert out == "AUTH-0002\n"
    stored = _versions(db)[-1]
    assert {k: stored[k] for k in ("case_ref", "code", *authorisations.INPUT_FIELDS)} == {
        "case_ref": CASE,
        "code": "AUTH-0002",
        "reference": "FIC-AUTH-3",  # --auth-reference: the authorising body's own number
        "purpose": "Section 47 enquiry (fictional)",
        "lawful_basis": "Children Act 1989 s.47",
        "authorised_by": "Team manager (fictional)",
        "authorised_on": "2025-01-10",
        "review_date": "2099-06-30",
        "ends_on": "2025-12-31",
        "platforms": '["Instagram", "Snapchat"]',
        "accounts": '["AC-0001"]',
    }
    [event] = [e for e in db.query("SELECT * FROM audit_events WHERE action = 'authorisation.create'")][-1:]
    assert (event["username"], event["case_ref"], event["item_code"]) == ("analyst", CASE, "AUTH-0002")


def test_add_without_a_day_means_today(run, db):
    assert cli_ok(_add(run, *REQUIRED)) == "AUTH-0002\n"
    assert _versions(db)[-1]["authorised_on"] == authorisations.today_london().isoformat()


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        (("--review-date", "30/06/2099"), "review_date", "must be a date as YYYY-MM-DD"),
        (("--authorised-on", "2099-01-01"), "authorised_on", "cannot be in the future"),
        (("--authorised-on", "2025-05-01", "--ends-on", "2025-04-01"), "ends_on", "on or after"),
        (("--platforms", "Friendster"), "platforms", "'Friendster' is not a platform"),
        (("--accounts", "AC-0042"), "accounts", "no account 'AC-0042'"),
        (("--purpose", " "), "purpose", "is required"),
    ],
)
def test_a_bad_option_names_its_field_on_stderr_and_stores_nothing(run, db, extra, field, words):
    before = _stored_counts(db)
    args = list(REQUIRED)
    for name, value in zip(extra[::2], extra[1::2], strict=True):
        if name in args:
            args[args.index(name) + 1] = value
        else:
            args += [name, value]
    stderr = _refused_quietly(_add(run, *args))
    assert f"error: {field}: " in stderr and words in stderr
    assert _stored_counts(db) == before


def test_a_missing_required_option_is_a_usage_error(run, db):
    before = _stored_counts(db)
    result = _add(run, "--purpose", "x", "--basis", "y", "--authorised-by", "z")
    assert result.exit_code == 2
    assert "--review-date" in result.output
    assert _stored_counts(db) == before


def test_a_reviewer_may_not_add(run, db):
    before = _stored_counts(db)
    stderr = _refused_quietly(_add(run, *REQUIRED, user="reviewer"))
    assert stderr.startswith("error: ")
    assert _stored_counts(db) == before


# --- review ----------------------------------------------------------------------------------------


def test_review_adds_a_version_keeping_what_is_not_given(run, db):
    out = cli_ok(
        run(
            "authorisation",
            "review",
            CASE,
            "auth-0001",
            *AS,
            "--reason",
            "Still necessary.",
            "--review-date",
            "2098-03-31",
        )
    )
    assert out == "AUTH-0001\n"
    first, second = _versions(db)
    assert (second["version"], second["review_date"], second["change_reason"]) == (2, "2098-03-31", "Still necessary.")
    for name in ("purpose", "lawful_basis", "authorised_by", "authorised_on", "ends_on", "platforms", "accounts"):
        assert second[name] == first[name], name
    cli_ok(run("authorisation", "review", CASE, "AUTH-0001", *AS, "--reason", "Ended.", "--ends-on", "2025-01-31"))
    third = _versions(db)[-1]
    assert (third["version"], third["review_date"], third["ends_on"]) == (3, "2098-03-31", "2025-01-31")


def test_review_refusals_name_the_field_and_store_nothing(run, db):
    before = _stored_counts(db)
    stderr = _refused_quietly(
        run("authorisation", "review", CASE, "AUTH-0001", *AS, "--reason", "Same.", "--review-date", "2099-12-31")
    )
    assert "error: review_date: nothing was changed" in stderr
    stderr = _refused_quietly(
        run("authorisation", "review", CASE, "AUTH-0001", *AS, "--reason", "Bad.", "--review-date", "soon")
    )
    assert "error: review_date: must be a date as YYYY-MM-DD" in stderr
    stderr = _refused_quietly(
        run("authorisation", "review", CASE, "AUTH-0009", *AS, "--reason", "x", "--review-date", "2098-01-01")
    )
    assert "error: " in stderr and "AUTH-0009" in stderr
    assert _stored_counts(db) == before


# --- list ------------------------------------------------------------------------------------------


@pytest.fixture
def listed(run, db, analyst):
    """AUTH-0001 (the template's), AUTH-0002 overdue and scoped to Instagram, AUTH-0003 retracted."""
    cli_ok(
        _add(
            run,
            *REQUIRED[:-2],
            "--review-date",
            "2024-06-01",
            "--authorised-on",
            "2024-01-01",
            "--platforms",
            "Instagram",
        )
    )
    cli_ok(_add(run, *REQUIRED[:2], "--basis", '=HYPERLINK("http://example.invalid")', *REQUIRED[4:]))
    authorisations.retract_authorisation(db, analyst, CASE, "AUTH-0003", "Recorded in error.")


def test_list_as_a_table(run, listed):
    lines = cli_ok(run("authorisation", "list", CASE, *AS)).splitlines()
    assert lines[0].split() == [
        "code",
        "authorised_on",
        "review_date",
        "ends_on",
        "scope",
        "in_force",
        "review_overdue",
    ]
    assert [line.split()[0] for line in lines[1:]] == ["AUTH-0001", "AUTH-0002"]
    assert lines[1].split()[1:] == ["2000-01-01", "2099-12-31", "the", "whole", "case", "True", "False"]
    assert lines[2].split()[1:] == ["2024-01-01", "2024-06-01", "Instagram", "True", "True"]
    shown = cli_ok(run("authorisation", "list", CASE, *AS, "--include-retracted")).splitlines()
    assert [line.split()[0] for line in shown[1:]] == ["AUTH-0001", "AUTH-0002", "AUTH-0003"]


def test_list_as_json(run, listed):
    records = json.loads(cli_ok(run("authorisation", "list", CASE, *AS, "--format", "json")))
    assert [list(r) for r in records] == [authorisations.COLUMNS] * 2
    assert [(r["code"], r["in_force"], r["review_overdue"], r["retracted"]) for r in records] == [
        ("AUTH-0001", True, False, False),
        ("AUTH-0002", True, True, False),
    ]
    assert records[0]["purpose"] == TEMPLATE_AUTHORISATION["purpose"]
    assert (records[1]["scope"], records[1]["version"], records[1]["recorded_by"]) == ("Instagram", 1, "analyst")
    every = json.loads(cli_ok(run("authorisation", "list", CASE, *AS, "--format", "json", "--include-retracted")))
    assert [(r["code"], r["retracted"], r["change_reason"]) for r in every][-1] == (
        "AUTH-0003", True, "Recorded in error.",
    )  # fmt: skip
    assert every[-1]["lawful_basis"].startswith("=HYPERLINK")  # JSON is for programs: as typed


def test_list_as_csv_is_formula_safe(run, listed):
    out = cli_ok(run("authorisation", "list", CASE, *AS, "--format", "csv", "--include-retracted"))
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == authorisations.COLUMNS
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert [r["code"] for r in body] == ["AUTH-0001", "AUTH-0002", "AUTH-0003"]
    assert [r["review_overdue"] for r in body] == ["False", "True", "False"]
    assert body[2]["lawful_basis"] == '\'=HYPERLINK("http://example.invalid")'
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_a_reviewer_may_list_and_a_non_member_may_not(run, listed, db):
    out = cli_ok(run("authorisation", "list", CASE, "--as", "reviewer", "--format", "json"))
    assert [r["code"] for r in json.loads(out)] == ["AUTH-0001", "AUTH-0002"]
    _refused_quietly(run("authorisation", "list", CASE, "--as", "analyst2"))


def test_list_of_none_says_none(run, bare):
    assert cli_ok(run("authorisation", "list", BARE, *AS)).strip() == "(none)"
    assert json.loads(cli_ok(run("authorisation", "list", BARE, *AS, "--format", "json"))) == []


# --- observations ------------------------------------------------------------------------------------


def test_observation_add_in_an_unauthorised_case_needs_a_reason(run, db, analyst, bare):
    before = db.execute("SELECT COUNT(*) FROM observation_versions").fetchone()[0]
    stderr = _refused_quietly(run("observation", "add", BARE, *AS, *OBSERVE, "--account", "AC-0001"))
    assert "error: unauthorised_reason: is required: no research authorisation in this case covers Instagram" in stderr
    assert db.execute("SELECT COUNT(*) FROM observation_versions").fetchone()[0] == before
    reason = "Seen during an urgent welfare check; authorisation requested."
    out = cli_ok(
        run("observation", "add", BARE, *AS, *OBSERVE, "--account", "AC-0001", "--unauthorised-reason", reason)
    )
    assert out == "OBS-0001\n"
    listed = observations.list_observations(db, analyst, BARE)
    assert listed[["code", "unauthorised", "unauthorised_reason"]].values.tolist() == [["OBS-0001", True, reason]]


def test_observation_add_in_an_authorised_case_needs_no_reason(run, db):
    assert cli_ok(run("observation", "add", CASE, *AS, *OBSERVE)) == "OBS-0001\n"


def test_observation_add_past_the_viewing_limit_needs_the_reference(run, db, analyst):
    people.add_account(db, analyst, CASE, "Instagram", "@fiction.one", person="P-0001")
    for day in ("01", "02", "03"):
        cli_ok(
            run(
                "observation",
                "add",
                CASE,
                *AS,
                *OBSERVE[:-2],
                "--observed-at",
                f"2025-03-{day} 10:00",
                "--account",
                "AC-0001",
            )
        )
    fourth = (*OBSERVE[:-2], "--observed-at", "2025-03-04 10:00", "--account", "AC-0001")
    stderr = _refused_quietly(run("observation", "add", CASE, *AS, *fourth))
    assert "error: repeat_viewing_reference: is required: " in stderr
    assert "directed surveillance (RIPA 2000 Part II)" in stderr
    out = cli_ok(run("observation", "add", CASE, *AS, *fourth, "--repeat-viewing-reference", "DSA-FIC-9"))
    assert out == "OBS-0004\n"
    assert observations.view(db, analyst, CASE, "OBS-0004").current.repeat_viewing_reference == "DSA-FIC-9"


def _csv_file(tmp_path, rows: list[dict]):
    columns = sorted({name for row in rows for name in row})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "observations.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return str(path)


def _import_row(**overrides) -> dict:
    return {**OBSERVATION_INPUT, "details": json.dumps(OBSERVATION_INPUT["details"]), **overrides}


def test_observation_import_prints_its_warnings_on_stderr(run, db, analyst, bare, tmp_path):
    days = ("2025-03-01 10:00", "2025-03-02 10:00", "2025-03-03 10:00", "2025-03-04 10:00")
    path = _csv_file(tmp_path, [_import_row(account="AC-0001", observed_at=d) for d in days])
    result = run("observation", "import", BARE, path, *AS)
    cli_ok(result)
    assert result.stdout == "imported 4 observations (OBS-0001 to OBS-0004)\n"
    warnings = result.stderr.splitlines()
    assert len(warnings) == 2
    assert warnings[0].startswith("Warning: 4 observation(s) recorded without authorisation (OBS-0001, OBS-0002, ")
    assert warnings[1].startswith("Warning: 1 observation(s) took their account past 3 views in 28 days (OBS-0004)")
    reasons = observations.list_observations(db, analyst, BARE)["unauthorised_reason"]
    assert set(reasons) == {authorisations.IMPORT_REASON}


def test_observation_import_with_nothing_to_warn_of_is_quiet_on_stderr(run, db, tmp_path):
    path = _csv_file(tmp_path, [_import_row(), _import_row(summary="Another")])
    result = run("observation", "import", CASE, path, *AS)
    cli_ok(result)
    assert result.stderr == ""
    assert result.stdout == "imported 2 observations (OBS-0001 to OBS-0002)\n"

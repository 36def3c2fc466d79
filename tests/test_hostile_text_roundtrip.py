"""Hostile text through every text field, from recording to the screen to the bundle.

A fixed list of strings that break spreadsheets, Markdown, HTML, CSV, SQL and terminals goes into
each text field of an observation (summary, a details string, its web address), an account (handle,
notes), a person (name, notes), a fact's value, an action's note and an authorisation's purpose.

(a) Recording stores exactly what fields.text documents (stripped; refused when required and empty,
    too long, or holding a control character in a one-line field), or refuses with the field named.
(b) The pages show the stored text literally: a dataframe cell equals it, and nothing that renders
    Markdown (markdown, captions, alerts, labels) carries it unescaped.
(c) The export bundle's CSV, read back with the csv module, gives the same text, with a leading '
    only before a formula start (= + - @ tab CR; README, workbench/csvsafe.py), and the bundle verifies.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import pytest

from tests.conftest import CASE
from tests.pages.conftest import signed_in
from workbench import actions, authorisations, facts, observations, people
from workbench.bundle_verify import verify_bundle
from workbench.errors import ValidationError
from workbench.export import ExportOptions, export_case

HOSTILE = {
    "formula-equals": '=HYPERLINK("http://example.invalid","click")',
    "formula-plus": "+44 20 7946 0000",
    "formula-minus": "-2+3",
    "formula-at": "@SUM(A1:A2)",
    "tab-first": "\t=1+1 after a tab",
    "cr-first": "\r=1+1 after a carriage return",
    "html-script": "<script>alert('hostile')</script><b>hostile-bold-tag</b><img src=x onerror=alert(1)>",
    "markdown": "**hostile-bold** _hostile-em_ [hostile-link](javascript:alert(1)) `hostile-code`",
    "markdown-heading": "# hostile-heading\n## two\n- item",
    "latex-colour-emoji": "$x^2$ :red[hostile-red] :smile: <br>",
    "nul-and-controls": "before\x00after\x01\x1b[31mred\x7f end",
    "rtl-override": "\u202eexe.txt\u202c hostile-rtl",
    "zero-width": "a\u200db\u200c\u200bc\ufeffd",
    "emoji-astral": "😀 𝕏 𓀀 👩‍👩‍👧 🏳️‍🌈",
    "very-long": "long " * 2000,
    "sql": "Robert'); DROP TABLE observations;-- \" OR 1=1",
    "csv-breaking": 'He said "hi", then left,\n"quoted",,\'',
    "windows-lines": "line one\r\nline two\r\nline three",
    "cjk": "漢字かなカナ한국어 中文",
    "backslash": "\\",
    "backslashes": "C:\\Users\\hostile\\ \\n \\x00",
    "whitespace-only": " \t\r\n\u00a0\u2003 ",
    "leading-quote": "'=already quoted",
    "padded": "   padded both sides\t\n",
}
IDS = list(HOSTILE)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
URL_PREFIX = "https://example.invalid/profile?q="
AUTHORISATION = {
    "lawful_basis": "Children Act 1989 s.47",
    "authorised_by": "Team manager (fictional)",
    "authorised_on": "2024-01-01",
    "review_date": "2099-01-01",
}
MARKUP = ("hostile-bold", "hostile-em", "hostile-link", "hostile-code", "hostile-heading", "hostile-red",
          "<script>", "<b>", "<img", "javascript:", "<br>", ":smile:")  # fmt: skip


def documented(value: str, *, required: bool, max_length: int, single_line: bool = False) -> str | None:
    """fields.text as documented: stripped; refused (None) when required and empty, longer than
    allowed, or a one-line field with a control character."""
    stripped = value.strip()
    if (required and not stripped) or len(stripped) > max_length:
        return None
    if single_line and any(unicodedata.category(ch) == "Cc" for ch in stripped):
        return None
    return stripped


def documented_url(value: str) -> str | None:
    """A web address: one line, no spaces, http(s) with a host, at most 2,000 characters."""
    stored = documented(URL_PREFIX + value, required=False, max_length=2000, single_line=True)
    return None if stored is None or " " in stored else stored


def in_csv(stored: str) -> str:
    """What the bundle's CSV holds for a text cell: a leading ' before a formula start."""
    return "'" + stored if stored.startswith(FORMULA_STARTS) else stored


# --- recording each field ------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    record: Callable  # (db, actor, observation_input, text) -> code
    read: Callable  # (db, actor, code) -> the stored text
    expected: Callable[[str], str | None]


def _record_observation(db, actor, observation_input, **overrides) -> str:
    return observations.record(db, actor, CASE, observation_input(**overrides)).code


def _details(description: str = "", display_name: str = "") -> dict:
    return {"profile_element": "bio", "stated_age": 19, "description": description, "display_name": display_name}


def _case_id(db) -> int:
    return db.execute("SELECT id FROM cases WHERE reference = ?", (CASE,)).fetchone()[0]


def _row(frame: pd.DataFrame, code: str) -> dict:
    return frame.set_index("code").loc[code].to_dict()


FIELDS = (
    Field(
        "observation.summary",
        lambda db, a, oi, t: _record_observation(db, a, oi, summary=t),
        lambda db, a, code: observations.view(db, a, CASE, code).current.summary,
        lambda t: documented(t, required=True, max_length=observations.MAX_SUMMARY),
    ),
    Field(
        "observation.details.description",
        lambda db, a, oi, t: _record_observation(db, a, oi, details=_details(description=t)),
        lambda db, a, code: observations.view(db, a, CASE, code).current.details.get("description", ""),
        lambda t: documented(t, required=False, max_length=4000),
    ),
    Field(
        "observation.details.display_name",
        lambda db, a, oi, t: _record_observation(db, a, oi, details=_details(display_name=t)),
        lambda db, a, code: observations.view(db, a, CASE, code).current.details.get("display_name", ""),
        lambda t: documented(t, required=False, max_length=200),
    ),
    Field(
        "observation.url",
        lambda db, a, oi, t: _record_observation(db, a, oi, url=URL_PREFIX + t),
        lambda db, a, code: observations.view(db, a, CASE, code).current.url,
        documented_url,
    ),
    Field(
        "account.handle",
        lambda db, a, oi, t: people.add_account(db, a, CASE, "Instagram", t),
        lambda db, a, code: _row(people.list_accounts(db, a, CASE), code)["handle"],
        lambda t: documented(t, required=True, max_length=200, single_line=True),
    ),
    Field(
        "account.notes",
        lambda db, a, oi, t: people.add_account(db, a, CASE, "Instagram", "plain_handle", notes=t),
        lambda db, a, code: _row(people.list_accounts(db, a, CASE), code)["notes"],
        lambda t: documented(t, required=False, max_length=4000),
    ),
    Field(
        "person.name",
        lambda db, a, oi, t: people.add_person(db, a, CASE, t, "person_of_concern"),
        lambda db, a, code: _row(people.list_people(db, a, CASE), code)["name"],
        lambda t: documented(t, required=True, max_length=200, single_line=True),
    ),
    Field(
        "person.notes",
        lambda db, a, oi, t: people.add_person(db, a, CASE, "Fictional Person", "associate", notes=t),
        lambda db, a, code: _row(people.list_people(db, a, CASE), code)["notes"],
        lambda t: documented(t, required=False, max_length=4000),
    ),
    Field(
        "fact.value",
        lambda db, a, oi, t: facts.add_fact(
            db, a, CASE, {"person": "P-0001", "attribute": "known_alias", "value": t, "source_agency": "school"}
        ),
        lambda db, a, code: facts.view_fact(db, a, CASE, code).current["value"],
        lambda t: documented(t, required=True, max_length=2000),
    ),
    Field(
        "action.note",
        lambda db, a, oi, t: actions.add_action(
            db, a, CASE, {"kind": "other", "status": "to_do", "due_date": "2025-02-01", "note": t}
        ),
        lambda db, a, code: actions.view_action(db, a, CASE, code).current["note"],
        lambda t: documented(t, required=True, max_length=2000),
    ),
    Field(
        "authorisation.purpose",
        lambda db, a, oi, t: authorisations.add_authorisation(db, a, CASE, {**AUTHORISATION, "purpose": t}),
        lambda db, a, code: _row(authorisations.authorisations_frame(db, _case_id(db)), code)["purpose"],
        lambda t: documented(t, required=True, max_length=2000),
    ),
)
FIELD_ERROR = {"observation.details.description": "details.description",
               "observation.details.display_name": "details.display_name"}  # fmt: skip


@pytest.mark.parametrize("key", IDS)
def test_recording_stores_the_documented_normalisation_or_names_the_field(db, analyst, observation_input, counts, key):
    text = HOSTILE[key]
    for spec in FIELDS:
        expected = spec.expected(text)
        before = counts()
        if expected is None:
            with pytest.raises(ValidationError) as raised:
                spec.record(db, analyst, observation_input, text)
            field = FIELD_ERROR.get(spec.name, spec.name.rsplit(".", 1)[1])
            assert field in raised.value.errors, (spec.name, raised.value.errors)
            assert counts() == before, spec.name
        else:
            code = spec.record(db, analyst, observation_input, text)
            assert spec.read(db, analyst, code) == expected, spec.name


# --- the pages and the bundle --------------------------------------------------------------------


@pytest.fixture
def hostile_case(db, analyst, observation_input, world, monkeypatch) -> dict[str, dict[str, str]]:
    """CASE-1 with every hostile string recorded in every field that takes it: {kind: {code: stored}}."""
    monkeypatch.setenv("WORKBENCH_HOME", str(world.home))
    stored: dict[str, dict[str, str]] = {}

    def keep(kind: str, code: str, value: str) -> None:
        stored.setdefault(kind, {})[code] = value

    for n, text in enumerate(HOSTILE.values()):
        handle = documented(text, required=True, max_length=200, single_line=True)
        notes = text if documented(text, required=False, max_length=4000) is not None else ""
        account = people.add_account(db, analyst, CASE, "Instagram", handle or f"handle_{n}", notes=notes)
        keep("handle", account, handle or f"handle_{n}")
        name = documented(text, required=True, max_length=200, single_line=True) or f"Fictional {n}"
        keep("person", people.add_person(db, analyst, CASE, name, "associate", notes=notes), name)
        summary = documented(text, required=True, max_length=1000) or f"Plain summary {n}"
        description = documented(text, required=False, max_length=4000) or ""
        url = documented_url(text) or ""
        given = observation_input(summary=summary, details=_details(description), url=url, account=account)
        obs = observations.record(db, analyst, CASE, given)
        keep("summary", obs.code, summary)
        keep("description", obs.code, description)
        keep("url", obs.code, url)
        keep("account_handle", obs.code, handle or f"handle_{n}")
        value = documented(text, required=True, max_length=2000)
        if value is not None:
            fact = {"person": "P-0001", "attribute": "known_alias", "value": text, "source_agency": "school"}
            keep("fact", facts.add_fact(db, analyst, CASE, fact), value)
            note = {"kind": "other", "status": "to_do", "due_date": "2025-02-01", "note": text}
            keep("note", actions.add_action(db, analyst, CASE, note), value)
            purpose = {**AUTHORISATION, "purpose": text}
            keep("purpose", authorisations.add_authorisation(db, analyst, CASE, purpose), value)
    return stored


def _markdown_like(at) -> list[str]:
    """Every element value Streamlit renders as Markdown (as in tests/pages/test_actions_page.py)."""
    values = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "subheader", "title"):
        values += [str(e.value) for e in at.get(kind)]
    values += [e.label for e in at.expander]
    return values


def _assert_no_markup_rendered(at) -> None:
    rendered = _markdown_like(at)
    for value in rendered:
        for piece in MARKUP:
            assert piece not in value, (piece, value)
    for text in HOSTILE.values():
        shown = text.strip()
        if any(piece in shown for piece in MARKUP):
            assert not any(shown in value for value in rendered), shown


def _table(at, column: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if {"code", column} <= set(d.value.columns)]
    found += [
        d.value.rename(columns={"Code": "code"}) for d in at.dataframe if {"Code", column} <= set(d.value.columns)
    ]
    assert found, [list(d.value.columns) for d in at.dataframe]
    return found[0].set_index("code")


def _page(db, page: str):
    at = signed_in(db, "analyst", case=CASE, page=page)
    assert not at.exception, at.exception
    return at


def test_pages_show_hostile_text_literally(db, hostile_case):
    at = _page(db, "pages/observations.py")
    table = _table(at, "Summary")
    for code, summary in hostile_case["summary"].items():
        assert table.loc[code, "Summary"] == summary, code
    _assert_no_markup_rendered(at)

    markdown_code = next(c for c, s in hostile_case["summary"].items() if "hostile-bold" in s)
    at.query_params["obs"] = markdown_code
    at.run()
    assert not at.exception, at.exception
    assert hostile_case["summary"][markdown_code] in [t.value for t in at.text]
    _assert_no_markup_rendered(at)

    checks = (("pages/facts.py", "value", "fact"), ("pages/actions.py", "note", "note"),
              ("pages/authorisations.py", "purpose", "purpose"))  # fmt: skip
    for page, column, kind in checks:
        at = _page(db, page)
        table = _table(at, column)
        for code, value in hostile_case[kind].items():
            assert table.loc[code, column] == value, (page, code)
        _assert_no_markup_rendered(at)


def _read_csv(bundle: zipfile.ZipFile, name: str) -> dict[str, dict[str, str]]:
    raw = bundle.read(name)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return {row["code"]: row for row in rows}


def test_the_bundle_holds_hostile_text_exactly_and_verifies(db, analyst, hostile_case, tmp_path):
    target = tmp_path / "hostile.zip"
    export_case(db, analyst, CASE, target, ExportOptions("Hostile text round trip", "Test recipient"))
    report = verify_bundle(target)
    assert report.intact, report.problems
    with zipfile.ZipFile(target) as bundle:
        observations_csv = _read_csv(bundle, "observations.csv")
        people_csv = _read_csv(bundle, "people.csv")
        accounts_csv = _read_csv(bundle, "accounts.csv")
        facts_csv = _read_csv(bundle, "facts.csv")
        actions_csv = _read_csv(bundle, "actions.csv")
        authorisations_csv = _read_csv(bundle, "authorisations.csv")
    for code, summary in hostile_case["summary"].items():
        row = observations_csv[code]
        assert row["summary"] == in_csv(summary), code
        assert row["url"] == in_csv(hostile_case["url"][code]), code
        assert row["account_handle"] == in_csv(hostile_case["account_handle"][code]), code
        assert json.loads(row["details"]).get("description", "") == hostile_case["description"][code], code
    for code, handle in hostile_case["handle"].items():
        assert accounts_csv[code]["handle"] == in_csv(handle), code
    for code, name in hostile_case["person"].items():
        assert people_csv[code]["name"] == in_csv(name), code
    for code, value in hostile_case["fact"].items():
        assert facts_csv[code]["value"] == in_csv(value), code
    for code, note in hostile_case["note"].items():
        assert actions_csv[code]["note"] == in_csv(note), code
    for code, purpose in hostile_case["purpose"].items():
        assert authorisations_csv[code]["purpose"] == in_csv(purpose), code
    # The quote goes only before a formula start, and every formula start got one.
    quoted = [row["summary"] for row in observations_csv.values() if row["summary"].startswith("'")]
    assert quoted and all(q[1:].startswith(FORMULA_STARTS) or q.startswith("'=already") for q in quoted)

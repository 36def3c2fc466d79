"""Research authorisations: the written basis for looking at a public footprint in a case.

Each says why (purpose), under what law (lawful basis: a s.47 enquiry, DPA 2018 Sch.1 para 18),
who authorised it and on what day, when it must be reviewed, optionally when it ends, and its
scope: the platforms and accounts it covers (neither given: everything in the case). Versioned like
observations: a review adds a version with the new review date and the reason.

An observation is covered when an authorisation in force on the day it was seen (authorised on or
before that day, not ended before it, not retracted) includes its account or the account's
platform; an observation naming no account is covered only by one for the whole case. One not
covered is still recorded (an immediate risk cannot wait), with the recorder's reason, and carries
a "recorded without authorisation" flag. The flag is worked out when read, so an authorisation
recorded later and dated back to when it was given clears it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlite_utils

from workbench import audit, fields
from workbench.access import Actor, Right, authorize
from workbench.db import transaction
from workbench.errors import ValidationError
from workbench.people import account_id_for
from workbench.schemas import load_catalog
from workbench.timeutil import LONDON, from_iso_utc, london_day, now_utc
from workbench.versioned import VersionedTable

INPUT_FIELDS = (
    "purpose", "lawful_basis", "authorised_by", "authorised_on", "review_date", "ends_on", "platforms", "accounts",
    "reference",
)  # fmt: skip
AUTHORISATIONS = VersionedTable(
    "authorisation", "authorisations", "authorisation_versions", "authorisation_id", "AUTH", INPUT_FIELDS
)
COLUMNS = [
    "code", "version", "purpose", "lawful_basis", "authorised_by", "authorised_on", "review_date", "ends_on",
    "platforms", "accounts", "scope", "reference", "in_force", "review_overdue", "retracted", "change_reason",
    "recorded_by", "recorded_at",
]  # fmt: skip
# The reason an import gives for the rows no authorisation covers: a file cannot be asked.
IMPORT_REASON = "Imported from a file; no research authorisation covered it when it was imported."


def add_authorisation(db: sqlite_utils.Database, actor: Actor, reference: str, given: dict) -> str:
    """Record an authorisation; returns its code (AUTH-0001)."""
    access = authorize(db, actor, Right.RECORD, reference)
    with transaction(db):
        clean = normalise(db, access.case_id, given)
        code = AUTHORISATIONS.insert(db, actor, access.case_id, clean)
        audit.record(
            db,
            actor.username,
            "authorisation.create",
            case_ref=access.reference,
            item_code=code,
            details={"review_date": clean["review_date"], "scope": _scope_text(clean)},
        )
    return code


def review_authorisation(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    code: str,
    changes: dict,
    reason: str,
    *,
    expected_version: int | None = None,
) -> str:
    """Add a version: a new review date after a review, an end date, a changed scope. Fields not
    given keep their value; the reason (what the review decided) is required."""
    access = authorize(db, actor, Right.RECORD, reference)
    errors = {}
    try:
        reason = fields.text(reason, max_length=2000)
    except ValueError as e:
        errors["reason"] = str(e)
    with transaction(db):
        latest = AUTHORISATIONS.latest(db, access.case_id, code)
        current = _as_given(latest)
        given = {k: ("" if v is None else v) for k, v in (changes or {}).items()}
        try:
            clean = normalise(db, access.case_id, current | given)
        except ValidationError as e:
            errors.update(e.errors)
        if errors:
            raise ValidationError(errors)
        return AUTHORISATIONS.supersede(
            db, actor, access, latest, clean, reason=reason, expected_version=expected_version,
            event="authorisation.review", unchanged_field="review_date", details={"review_date": clean["review_date"]},
        )  # fmt: skip


def retract_authorisation(
    db: sqlite_utils.Database, actor: Actor, reference: str, code: str, reason: str, *, expected_version=None
) -> str:
    """Withdraw an authorisation recorded in error. What it covered is flagged again."""
    access = authorize(db, actor, Right.RECORD, reference)
    return AUTHORISATIONS.retract(db, actor, access, code, reason, expected_version=expected_version)


def list_authorisations(
    db: sqlite_utils.Database, actor: Actor, reference: str, *, include_retracted: bool = False
) -> pd.DataFrame:
    """The case's authorisations (COLUMNS), current versions, oldest first; audited."""
    access = authorize(db, actor, Right.VIEW, reference)
    frame = authorisations_frame(db, access.case_id, include_retracted=include_retracted)
    audit.record(db, actor.username, "authorisation.list", case_ref=access.reference, details={"rows": len(frame)})
    return frame


def history(db: sqlite_utils.Database, actor: Actor, reference: str, code: str) -> pd.DataFrame:
    """Every version of one authorisation, oldest first; audited."""
    access = authorize(db, actor, Right.VIEW, reference)
    latest = AUTHORISATIONS.latest(db, access.case_id, code)
    frame = _frame(db, "a.id = ?", (latest["id"],), every_version=True, today=today_london())
    audit.record(db, actor.username, "authorisation.view", case_ref=access.reference, item_code=latest["code"])
    return frame


# --- for other domain modules (the caller has authorized) ---------------------------------------


def today_london() -> date:
    return from_iso_utc(now_utc()).astimezone(LONDON).date()


def authorisations_frame(
    db: sqlite_utils.Database, case_id: int, *, include_retracted: bool = False, today: date | None = None
) -> pd.DataFrame:
    frame = _frame(db, "a.case_id = ?", (case_id,), every_version=False, today=today or today_london())
    if not include_retracted:
        frame = frame[~frame["retracted"]].reset_index(drop=True)
    return frame


def reviews_due(frame: pd.DataFrame) -> pd.DataFrame:
    """The authorisations in force whose review date has passed."""
    return frame[frame["review_overdue"] & ~frame["retracted"]]


def state_text(frame: pd.DataFrame) -> str:
    """A case's authorisations in a few words, for lists: "review overdue (AUTH-0001)", "none in
    force", or "" when all is well."""
    overdue = reviews_due(frame)
    if len(overdue):
        return f"review overdue ({', '.join(overdue['code'])})"
    return "" if frame["in_force"].any() else "none in force"


@dataclass(frozen=True)
class Coverage:
    """What the case's authorisations cover, to ask of many observations at once."""

    spans: tuple[tuple[str, str | None, frozenset[str], frozenset[str]], ...]  # (from, to, platforms, accounts)
    platform_of: dict[str, str]  # account code -> platform, casefolded
    accounts: dict[int, dict]  # account id -> code, platform, handle

    def covers(self, account: str | None, seen_day: str) -> bool:
        platform = self.platform_of.get(account or "")
        for start, end, platforms, accounts in self.spans:
            if start > seen_day or (end is not None and end < seen_day):
                continue
            if not platforms and not accounts:
                return True
            if account and (account in accounts or platform in platforms):
                return True
        return False


def case_coverage(db: sqlite_utils.Database, case_id: int) -> Coverage:
    # The current, not retracted versions, read straight (an import asks once per file, and the
    # frame with its states costs more than the rows of the file it checks).
    rows = db.execute(
        f"""SELECT v.authorised_on, v.ends_on, v.platforms, v.accounts
            FROM authorisations a JOIN authorisation_versions v ON v.authorisation_id = a.id AND v.version = {_LATEST}
            WHERE a.case_id = ? AND v.retracted = 0 ORDER BY a.id""",  # noqa: S608
        (case_id,),
    )
    # An account's platform is as typed ("instagram"); an authorisation's as the catalog spells it.
    spans = tuple(
        (
            authorised_on,
            ends_on or None,
            frozenset(p.casefold() for p in json.loads(platforms)),
            frozenset(json.loads(accounts)),
        )
        for authorised_on, ends_on, platforms, accounts in rows
    )
    accounts = {
        r.pop("id"): r
        for r in db.query("SELECT id, code, platform, handle FROM accounts WHERE case_id = ?", (case_id,))
    }
    platform_of = {a["code"]: a["platform"].casefold() for a in accounts.values()}
    return Coverage(spans, platform_of, accounts)


def seen_day(observed_at: str) -> str:
    """The day in London an observation was seen (its observed_at, ISO UTC)."""
    return london_day(observed_at).isoformat()


def unauthorised(db: sqlite_utils.Database, case_id: int, observations: pd.DataFrame) -> pd.Series:
    """For a frame of observations (`account` code, `observed_at`): True where none covers it."""
    cover = case_coverage(db, case_id)
    return pd.Series(
        [not cover.covers(r.account, seen_day(r.observed_at)) for r in observations.itertuples()],
        index=observations.index,
        dtype=bool,
    )


def not_covered_message(
    db: sqlite_utils.Database,
    case_id: int,
    account_id: int | None,
    observed_at: str,
    *,
    coverage: Coverage | None = None,
) -> str:
    """Why recording this needs a reason: empty when an authorisation covers it. An import passes
    the case's `coverage`, read once."""
    coverage = coverage or case_coverage(db, case_id)
    account = coverage.accounts[account_id] if account_id is not None else None
    day = seen_day(observed_at)
    if coverage.covers(account["code"] if account else None, day):
        return ""
    what = f"{account['platform']} account {account['handle']}" if account else "an observation naming no account"
    return (
        f"no research authorisation in this case covers {what} on {day}. You can still record it (an immediate "
        "risk cannot wait): say why it is recorded without one, and it is flagged until an authorisation covers it"
    )


# --- checking what was given ---------------------------------------------------------------------


def normalise(db: sqlite_utils.Database, case_id: int, given: dict) -> dict:
    """The version's columns from what a form or the CLI gives, or ValidationError naming each bad field."""
    given = {k: ("" if v is None else v) for k, v in (given or {}).items()}
    check = fields.Checks()
    check("purpose", lambda: fields.text(given.get("purpose"), max_length=2000))
    check("lawful_basis", lambda: fields.text(given.get("lawful_basis"), max_length=500))
    check("authorised_by", lambda: fields.text(given.get("authorised_by"), max_length=200, single_line=True))
    check("authorised_on", lambda: _not_future(fields.day(given.get("authorised_on") or today_london().isoformat())))
    check("review_date", lambda: fields.day(given.get("review_date")))
    check("ends_on", lambda: fields.day(given.get("ends_on"), required=False))
    check("platforms", lambda: json.dumps(_platforms(given.get("platforms"))))
    check("accounts", lambda: json.dumps(_accounts(db, case_id, given.get("accounts"))))
    check("reference", lambda: fields.text(given.get("reference"), required=False, max_length=200, single_line=True))
    clean, errors = check.clean, check.errors
    start = clean.get("authorised_on")
    if start and clean.get("review_date") and clean["review_date"] < start:
        errors["review_date"] = "must be on or after the day it was authorised"
    if start and clean.get("ends_on") and clean["ends_on"] < start:
        errors["ends_on"] = "must be on or after the day it was authorised"
    unknown = sorted(set(given) - set(INPUT_FIELDS))
    if unknown:
        errors[unknown[0]] = "is not an authorisation field"
    if errors:
        raise ValidationError(errors)
    return clean


def _not_future(day: str) -> str:
    if day > today_london().isoformat():
        raise ValueError("cannot be in the future: record an authorisation once it is given")
    return day


def _items(value) -> list[str]:
    items = value if isinstance(value, list | tuple | set) else str(value or "").replace(";", ",").split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _platforms(value) -> list[str]:
    known = {p.casefold(): p for p in load_catalog().platforms}
    chosen = []
    for item in _items(value):
        if item.casefold() not in known:
            raise ValueError(f"{fields.clip(item, 40)!r} is not a platform; one of: {', '.join(known.values())}")
        chosen.append(known[item.casefold()])
    return sorted(set(chosen))


def _accounts(db: sqlite_utils.Database, case_id: int, value) -> list[str]:
    codes = []
    for item in _items(value):
        account_id = account_id_for(db, case_id, item)
        codes.append(next(db.query("SELECT code FROM accounts WHERE id = ?", (account_id,)))["code"])
    return sorted(set(codes))


def _scope_text(clean: dict) -> str:
    platforms, accounts = json.loads(clean["platforms"]), json.loads(clean["accounts"])
    if not platforms and not accounts:
        return "the whole case"
    return ", ".join([*platforms, *accounts])


def _as_given(latest: dict) -> dict:
    given = {name: latest[name] or "" for name in INPUT_FIELDS}
    return given | {"platforms": json.loads(latest["platforms"]), "accounts": json.loads(latest["accounts"])}


_LATEST = "(SELECT MAX(version) FROM authorisation_versions WHERE authorisation_id = a.id)"


def _frame(db, where: str, params: tuple, *, every_version: bool, today: date) -> pd.DataFrame:
    latest = "" if every_version else f"AND v.version = {_LATEST}"
    rows = db.query(
        f"""SELECT a.code, v.version, {", ".join("v." + c for c in INPUT_FIELDS)}, v.retracted, v.change_reason,
                   u.username AS recorded_by, v.recorded_at
            FROM authorisations a JOIN authorisation_versions v ON v.authorisation_id = a.id {latest}
            JOIN users u ON u.id = v.recorded_by
            WHERE {where} ORDER BY a.id, v.version""",  # noqa: S608
        params,
    )
    base = ["code", "version", *INPUT_FIELDS, "retracted", "change_reason", "recorded_by", "recorded_at"]
    frame = pd.DataFrame(list(rows), columns=base)
    day = today.isoformat()
    frame["retracted"] = frame["retracted"].astype(bool)
    frame["scope"] = [
        _scope_text({"platforms": p, "accounts": a}) for p, a in zip(frame["platforms"], frame["accounts"], strict=True)
    ]
    ended = frame["ends_on"].notna() & (frame["ends_on"].fillna("") < day)
    frame["in_force"] = ~frame["retracted"] & (frame["authorised_on"] <= day) & ~ended
    frame["review_overdue"] = frame["in_force"] & (frame["review_date"] < day)
    frame["ends_on"] = frame["ends_on"].fillna("")
    return frame[COLUMNS]

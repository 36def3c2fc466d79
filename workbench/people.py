"""People in a case (the child, persons of concern, associates, family) and their platform accounts."""

from __future__ import annotations

import string
from dataclasses import dataclass

import pandas as pd
import sqlite_utils

from workbench import audit, crossref, fields
from workbench.access import Actor, CaseAccess, Right, authorize
from workbench.db import next_code, query_one, transaction
from workbench.errors import NotFound, ValidationError
from workbench.schemas import load_catalog
from workbench.timeutil import now_utc


def add_person(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    name: str,
    role: str,
    *,
    pseudonym: str = "",
    notes: str = "",
) -> str:
    """Add a person; returns their code (P-0002). Without a pseudonym they get the next letter:
    Person B, Person C, … (the child is Child A), so exports can hide names consistently."""
    access = authorize(db, actor, Right.RECORD, reference)
    catalog = load_catalog()
    clean, errors = {}, {}
    for field, check in {
        "name": lambda: fields.text(name, max_length=200, single_line=True),
        "role": lambda: fields.choice(role, [r for r in catalog.values("person_roles") if r != "subject"]),
        "pseudonym": lambda: fields.text(pseudonym, required=False, max_length=60, single_line=True),
        "notes": lambda: fields.text(notes, required=False, max_length=4000),
    }.items():
        try:
            clean[field] = check()
        except ValueError as e:
            errors[field] = str(e)
    if errors:
        raise ValidationError(errors)
    with transaction(db):
        code = next_code(db, access.case_id, "P")
        taken = {
            r["pseudonym"].casefold()
            for r in db.query("SELECT pseudonym FROM people WHERE case_id = ?", (access.case_id,))
        }
        if clean["pseudonym"] and clean["pseudonym"].casefold() in taken:
            raise ValidationError({"pseudonym": f"{clean['pseudonym']} is already used in this case"})
        if not clean["pseudonym"]:
            clean["pseudonym"] = _free_pseudonym(taken, start=int(code.split("-")[1]) - 1)
        db.table("people").insert(
            {"case_id": access.case_id, "code": code, **clean, "created_by": actor.id, "created_at": now_utc()}
        )
        audit.record(db, actor.username, "person.create", case_ref=access.reference, item_code=code)
    return code


def add_account(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    platform: str,
    handle: str,
    *,
    url: str = "",
    person: str = "",
    notes: str = "",
) -> str:
    """Add a platform account, optionally whose it is (a person's code); returns its code (AC-0001)."""
    access = authorize(db, actor, Right.RECORD, reference)
    clean, errors = {}, {}
    for field, check in {
        "platform": lambda: fields.text(platform, max_length=60, single_line=True),
        "handle": lambda: fields.text(handle, max_length=200, single_line=True),
        "url": lambda: fields.web_url(url),
        "notes": lambda: fields.text(notes, required=False, max_length=4000),
    }.items():
        try:
            clean[field] = check()
        except ValueError as e:
            errors[field] = str(e)
    person_id = None
    if person:
        try:
            person_id = person_id_for(db, access.case_id, person)
        except ValueError as e:
            errors["person"] = str(e)
    if errors:
        raise ValidationError(errors)
    with transaction(db):
        taken = query_one(
            db,
            "SELECT code FROM accounts WHERE case_id = ? AND platform = ? COLLATE NOCASE AND handle = ? COLLATE NOCASE",
            (access.case_id, clean["platform"], clean["handle"]),
        )
        if taken:
            raise ValidationError({"handle": f"this case already has that account as {taken['code']}"})
        code = next_code(db, access.case_id, "AC")
        db.table("accounts").insert(
            {
                "case_id": access.case_id,
                "code": code,
                "person_id": person_id,
                **clean,
                "created_by": actor.id,
                "created_at": now_utc(),
            }
        )
        crossref.refresh(db, access.case_id)  # a handle seen in observations may now be known to be someone's
        audit.record(db, actor.username, "account.create", case_ref=access.reference, item_code=code)
    return code


@dataclass(frozen=True)
class Directory:
    """Who and which accounts a case knows: what an observation form offers to choose from."""

    access: CaseAccess
    people: pd.DataFrame
    accounts: pd.DataFrame


def directory(db: sqlite_utils.Database, actor: Actor, reference: str, *, right: Right = Right.VIEW) -> Directory:
    """The case's people and accounts. A form that records asks with right=Right.RECORD, so a user
    who may only read is refused before they fill it in."""
    access = authorize(db, actor, right, reference)
    audit.record(db, actor.username, "case.directory", case_ref=access.reference)
    return Directory(access, people_frame(db, access.case_id), accounts_frame(db, access.case_id))


def list_people(db: sqlite_utils.Database, actor: Actor, reference: str) -> pd.DataFrame:
    access = authorize(db, actor, Right.VIEW, reference)
    audit.record(db, actor.username, "person.list", case_ref=access.reference)
    return people_frame(db, access.case_id)


def list_accounts(db: sqlite_utils.Database, actor: Actor, reference: str) -> pd.DataFrame:
    access = authorize(db, actor, Right.VIEW, reference)
    audit.record(db, actor.username, "account.list", case_ref=access.reference)
    return accounts_frame(db, access.case_id)


# --- for other domain modules (the caller has authorized) ---------------------------------------


def people_frame(db: sqlite_utils.Database, case_id: int) -> pd.DataFrame:
    columns = ["code", "name", "pseudonym", "role", "notes"]
    rows = db.query(f"SELECT {', '.join(columns)} FROM people WHERE case_id = ? ORDER BY code", (case_id,))  # noqa: S608
    return pd.DataFrame(list(rows), columns=columns)


def accounts_frame(db: sqlite_utils.Database, case_id: int) -> pd.DataFrame:
    rows = db.query(
        """SELECT a.code, a.platform, a.handle, a.url, p.code AS person, p.name AS person_name, a.notes
           FROM accounts a LEFT JOIN people p ON p.id = a.person_id
           WHERE a.case_id = ? ORDER BY a.code""",
        (case_id,),
    )
    return pd.DataFrame(list(rows), columns=["code", "platform", "handle", "url", "person", "person_name", "notes"])


def person_id_for(db: sqlite_utils.Database, case_id: int, wanted: str) -> int:
    """A person by code (P-0002), pseudonym (Person B) or name, ignoring letter case."""
    wanted = str(wanted or "").strip()
    if not wanted:
        raise ValueError("is required")
    by_code = query_one(db, "SELECT id FROM people WHERE case_id = ? AND code = upper(?)", (case_id, wanted))
    if by_code:
        return by_code["id"]
    rows = list(
        db.query(
            "SELECT id FROM people WHERE case_id = ? AND (pseudonym = ? COLLATE NOCASE OR name = ? COLLATE NOCASE)",
            (case_id, wanted, wanted),
        )
    )
    if len(rows) > 1:
        raise ValueError(f"{wanted[:40]!r} matches several people; use the person's code")
    if not rows:
        raise ValueError(f"no person {wanted[:40]!r} in this case")
    return rows[0]["id"]


def account_id_for(db: sqlite_utils.Database, case_id: int, code_or_handle: str) -> int:
    """An account by its code (AC-0002) or, when unambiguous, its handle."""
    return AccountIndex.read(db, case_id).find(code_or_handle)


@dataclass(frozen=True)
class AccountIndex:
    """A case's accounts by code and by handle, read once: an import finds one per row."""

    by_code: dict[str, int]
    by_handle: dict[str, list[int]]  # as typed: a handle is matched exactly
    owner: dict[int, int | None]  # account id -> person id

    @classmethod
    def read(cls, db: sqlite_utils.Database, case_id: int) -> AccountIndex:
        index = cls({}, {}, {})
        for row in db.query("SELECT id, code, handle, person_id FROM accounts WHERE case_id = ?", (case_id,)):
            index.by_code[row["code"]] = row["id"]
            index.by_handle.setdefault(row["handle"], []).append(row["id"])
            index.owner[row["id"]] = row["person_id"]
        return index

    def find(self, code_or_handle: str) -> int:
        wanted = str(code_or_handle).strip()
        found = set(self.by_handle.get(wanted, ()))
        if wanted.upper() in self.by_code:
            found.add(self.by_code[wanted.upper()])
        if len(found) == 1:
            return found.pop()
        if not found:
            raise ValueError(f"no account {wanted[:60]!r} in this case")
        raise ValueError(f"{wanted[:60]!r} matches several accounts; use the account code")


def subject_id(db: sqlite_utils.Database, case_id: int) -> int:
    row = query_one(db, "SELECT id FROM people WHERE case_id = ? AND role = 'subject' ORDER BY id LIMIT 1", (case_id,))
    if not row:
        raise NotFound("The case has no subject person.")
    return row["id"]


def _free_pseudonym(taken: set[str], start: int) -> str:
    """Person B, Person C, ...: the first letter from the person's place that no one has yet."""
    index = start
    while f"person {_letter(index)}".casefold() in taken:
        index += 1
    return f"Person {_letter(index)}"


def _letter(index: int) -> str:
    letters = string.ascii_uppercase
    return letters[index] if index < 26 else letters[index // 26 - 1] + letters[index % 26]

"""Cases and who is a member of them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlite_utils

from workbench import actions, audit, authorisations, child_context, fields, immediate_risk, need, observations, people
from workbench.access import (
    MEMBER_ROLES,
    Actor,
    CaseAccess,
    Right,
    authorize,
    current,
    may_create_cases,
    require_ready,
)
from workbench.db import next_code, query_one, transaction
from workbench.errors import NotFound, PermissionDenied, ValidationError
from workbench.schemas import load_catalog
from workbench.timeutil import london_day, now_utc
from workbench.users import user_by_name


@dataclass(frozen=True)
class CaseOverview:
    access: CaseAccess
    external_ref: str  # the partnership's own case-management number; '' when none was given
    lead: str
    members: pd.DataFrame
    people: pd.DataFrame
    accounts: pd.DataFrame
    by_five_c: pd.DataFrame
    by_kind: pd.DataFrame
    by_grade: pd.DataFrame
    observations: int
    retracted: int
    immediate_risk: int
    facts: int
    risks: pd.DataFrame  # immediate_risk.COLUMNS: each item at immediate risk, and whether the police were told
    outstanding: pd.DataFrame  # actions.COLUMNS: the actions still to do, overdue first
    levels: pd.DataFrame  # need.HISTORY_COLUMNS: the level of need, newest first (the first row is current)
    context: child_context.ChildContext  # the child's vulnerability and family risk factors; a thin review's notice
    authorisations: pd.DataFrame  # authorisations.COLUMNS: the research authorisations not retracted
    unauthorised: list[str]  # codes of current observations no authorisation covers


# One answer for every lead refused by name: an unknown account, a deactivated one and a reviewer
# account read alike, so the field tells nobody which accounts exist or what they are.
LEAD_REFUSED = "no analyst or administrator account by that name can lead"
# The same for adding a member by name: no active account is no active account, whatever the reason.
MEMBER_REFUSED = "no active account by that name"
ASSIGNED_PREFIX = "C"


def open_case(
    db: sqlite_utils.Database,
    actor: Actor,
    title: str,
    *,
    external_ref: str = "",
    subject_pseudonym: str = "Child A",
    lead: str | None = None,
) -> CaseAccess:
    """Open a case under a reference the workbench gives (C-2026-0007: the year in London and the
    next number of that year, never one given before, a deleted case's included). The partnership's
    own case-management number is `external_ref`: optional, and more than one case may carry it.
    Its lead becomes a member with the lead role; the child becomes person P-0001."""
    return _create(db, actor, None, title, external_ref, subject_pseudonym, lead)


def create_case(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    title: str,
    *,
    external_ref: str = "",
    subject_pseudonym: str = "Child A",
    lead: str | None = None,
) -> CaseAccess:
    """Open a case under a reference chosen by the operator at the shell (`access.SYSTEM`): the demo
    (DEMO-001), the tests' fixtures, the benchmarks. No user can: a refusal of a reference someone
    chose would tell them another case holds it. Users open cases with `open_case`."""
    return _create(db, actor, reference, title, external_ref, subject_pseudonym, lead)


def _create(db, actor: Actor, reference: str | None, title, external_ref, subject_pseudonym, lead) -> CaseAccess:
    require_ready(actor)
    if not may_create_cases(current(db, actor)):
        raise PermissionDenied("Only analysts and administrators can open cases.")
    if reference is not None and not actor.is_system:
        raise PermissionDenied("The workbench gives each case its reference.")
    check = fields.Checks()
    if reference is not None:
        check("reference", fields.reference, reference)
    check("title", fields.text, title, max_length=200, single_line=True)
    check("external_ref", fields.text, external_ref, required=False, max_length=60, single_line=True)
    check("subject_pseudonym", fields.text, subject_pseudonym, max_length=60, single_line=True)
    clean, errors = check.clean, check.errors
    lead_name = lead or (None if actor.is_system else actor.username)
    lead_user = None
    if not lead_name:
        errors["lead"] = "is required"
    else:
        lead_user = _lead_by_name(db, lead_name)
        if lead_user is None:
            errors["lead"] = LEAD_REFUSED
    if errors:
        raise ValidationError(errors)
    now = now_utc()
    with transaction(db):
        if reference is None:
            clean["reference"] = _next_reference(db, london_day(now).year)
        elif query_one(db, "SELECT id FROM cases WHERE reference = ?", (clean["reference"],)):
            raise ValidationError({"reference": f"{clean['reference']} is already in use"})
        elif query_one(db, "SELECT id FROM case_tombstones WHERE reference = ?", (clean["reference"],)):
            raise ValidationError({"reference": f"{clean['reference']} belonged to a deleted case: choose another"})
        case_id = (
            db.table("cases")
            .insert(
                {
                    "reference": clean["reference"],
                    "external_ref": clean["external_ref"],
                    "title": clean["title"],
                    "subject_pseudonym": clean["subject_pseudonym"],
                    "status": "open",
                    "lead_user_id": lead_user.id,
                    "created_by": actor.id,
                    "created_at": now,
                }
            )
            .last_pk
        )
        members = [(lead_user, "lead")]
        if not actor.is_system and actor.id != lead_user.id and actor.role == "analyst":
            members.append((actor, "analyst"))
        for user, role in members:
            db.table("case_members").insert(
                {"case_id": case_id, "user_id": user.id, "role": role, "added_by": actor.id, "added_at": now}
            )
        db.table("people").insert(
            {
                "case_id": case_id,
                "code": next_code(db, case_id, "P"),
                "name": clean["subject_pseudonym"],
                "pseudonym": clean["subject_pseudonym"],
                "role": "subject",
                "notes": "",
                "created_by": lead_user.id,
                "created_at": now,
            }
        )
        audit.record(
            db,
            actor.username,
            "case.create",
            case_ref=clean["reference"],
            details={"title": clean["title"], "lead": lead_user.username},
        )
    return CaseAccess(case_id, clean["reference"], clean["title"], clean["subject_pseudonym"], "open", "lead")


def _lead_by_name(db: sqlite_utils.Database, username: object) -> Actor | None:
    """The active analyst or administrator account by that name, or None whatever the reason."""
    try:
        user = user_by_name(db, username)
    except NotFound:
        return None
    return None if user.role == "reviewer" else user


def _next_reference(db: sqlite_utils.Database, year: int) -> str:
    """The year's next reference, inside the caller's transaction: the counter only rises, and a
    number whose reference is held already (a case or a tombstone under a reference the operator
    chose) is passed over, so nothing is refused and nothing is given twice."""
    row = query_one(db, "SELECT last FROM case_reference_numbers WHERE year = ?", (year,))
    number = row["last"] if row else 0
    while True:
        number += 1
        candidate = f"{ASSIGNED_PREFIX}-{year}-{number:04d}"
        taken = db.execute(
            "SELECT EXISTS (SELECT 1 FROM cases WHERE reference = :r)"
            " OR EXISTS (SELECT 1 FROM case_tombstones WHERE reference = :r)",
            {"r": candidate},
        ).fetchone()[0]
        if not taken:
            break
    db.execute(
        "INSERT INTO case_reference_numbers (year, last) VALUES (?, ?)"
        " ON CONFLICT (year) DO UPDATE SET last = excluded.last",
        (year, number),
    )
    return candidate


def add_member(db: sqlite_utils.Database, actor: Actor, reference: str, username: str, role: str) -> None:
    """Add someone to a case or change their part in it. Making someone lead hands the lead over:
    the previous lead stays in the case as an analyst. A name refused reads the same whether there
    is no such account, it is deactivated or (for lead) it is a reviewer's."""
    access = authorize(db, actor, Right.MANAGE_MEMBERS, reference)
    try:
        role = fields.choice(role, MEMBER_ROLES)
    except ValueError as e:
        raise ValidationError({"role": str(e)}) from None
    if role == "lead":
        user = _lead_by_name(db, username)
        if user is None:
            raise ValidationError({"username": LEAD_REFUSED})
    else:
        try:
            user = user_by_name(db, username)
        except NotFound:
            raise ValidationError({"username": MEMBER_REFUSED}) from None
    now = now_utc()
    with transaction(db):
        lead_id = query_one(db, "SELECT lead_user_id FROM cases WHERE id = ?", (access.case_id,))["lead_user_id"]
        if lead_id == user.id and role != "lead":
            raise ValidationError(
                {"role": f"{user.username} leads the case: make someone else lead first, and they become an analyst"}
            )
        before = query_one(
            db, "SELECT role FROM case_members WHERE case_id = ? AND user_id = ?", (access.case_id, user.id)
        )
        if role == "lead" and lead_id != user.id:
            db.execute("UPDATE cases SET lead_user_id = ? WHERE id = ?", (user.id, access.case_id))
            db.execute(
                "UPDATE case_members SET role = 'analyst' WHERE case_id = ? AND user_id = ?", (access.case_id, lead_id)
            )
        db.table("case_members").upsert(
            {"case_id": access.case_id, "user_id": user.id, "role": role, "added_by": actor.id, "added_at": now},
            pk=("case_id", "user_id"),
        )
        audit.record(
            db,
            actor.username,
            "case.member.add" if before is None else "case.member.role",
            case_ref=access.reference,
            item_code=user.username,
            details={"role": role, "was": before["role"] if before else None},
        )


def remove_member(db: sqlite_utils.Database, actor: Actor, reference: str, username: str) -> None:
    """Take someone out of a case: from their next click the case does not exist for them."""
    access = authorize(db, actor, Right.MANAGE_MEMBERS, reference)
    with transaction(db):
        member = query_one(
            db,
            "SELECT u.id, u.username, m.role FROM case_members m JOIN users u ON u.id = m.user_id"
            " WHERE m.case_id = ? AND u.username = ?",
            (access.case_id, str(username or "").strip().lower()[:200]),
        )
        if member is None:
            raise ValidationError({"username": f"{fields.clip(username)} is not a member of {access.reference}"})
        if member["role"] == "lead":
            raise ValidationError({"username": f"{member['username']} leads the case: make someone else lead first"})
        db.execute("DELETE FROM case_members WHERE case_id = ? AND user_id = ?", (access.case_id, member["id"]))
        audit.record(
            db,
            actor.username,
            "case.member.remove",
            case_ref=access.reference,
            item_code=member["username"],
            details={"role": member["role"]},
        )


def members(db: sqlite_utils.Database, actor: Actor, reference: str) -> pd.DataFrame:
    """Who is in a case, for whoever manages its membership."""
    access = authorize(db, actor, Right.MANAGE_MEMBERS, reference)
    frame = pd.DataFrame(
        list(
            db.query(
                "SELECT u.username, u.display_name, u.role AS account_role, m.role, u.active, m.added_at"
                " FROM case_members m JOIN users u ON u.id = m.user_id WHERE m.case_id = ?"
                " ORDER BY CASE m.role WHEN 'lead' THEN 0 WHEN 'analyst' THEN 1 ELSE 2 END, u.username",
                (access.case_id,),
            )
        ),
        columns=["username", "display_name", "account_role", "role", "active", "added_at"],
    )
    frame["active"] = frame["active"].astype(bool)
    audit.record(db, actor.username, "case.members.view", case_ref=access.reference)
    return frame


def managed_cases(db: sqlite_utils.Database, actor: Actor) -> pd.DataFrame:
    """The cases whose membership the actor manages: every case for an administrator (reference,
    status, lead and size only: no titles, which can say too much), the cases they lead otherwise."""
    require_ready(actor)
    rows = db.query(
        """
        SELECT c.reference, c.status, lead.username AS lead,
               (SELECT COUNT(*) FROM case_members m WHERE m.case_id = c.id) AS members, c.created_at
        FROM cases c JOIN users lead ON lead.id = c.lead_user_id
        WHERE :admin OR c.id IN (SELECT case_id FROM case_members WHERE user_id = :user_id AND role = 'lead')
        ORDER BY c.created_at DESC, c.reference
        """,
        {"admin": int(actor.is_admin), "user_id": actor.id if actor.id is not None else -1},
    )
    return pd.DataFrame(list(rows), columns=["reference", "status", "lead", "members", "created_at"])


def list_cases(db: sqlite_utils.Database, actor: Actor) -> pd.DataFrame:
    """The cases the actor is a member of, newest first, with their sizes."""
    rows = db.query(
        """
        SELECT c.reference, c.external_ref, c.title, c.subject_pseudonym AS subject, c.status, m.role AS my_role,
               lead.username AS lead, c.created_at,
               (SELECT COUNT(*) FROM observations o WHERE o.case_id = c.id) AS observations,
               (SELECT label FROM case_levels l WHERE l.case_id = c.id ORDER BY l.id DESC LIMIT 1) AS level
        FROM cases c
        JOIN case_members m ON m.case_id = c.id AND m.user_id = ?
        JOIN users lead ON lead.id = c.lead_user_id
        ORDER BY c.created_at DESC, c.reference
        """,
        (actor.id if actor.id is not None else -1,),
    )
    columns = [
        "reference", "external_ref", "title", "subject", "status", "my_role", "lead", "created_at", "observations",
        "level",
    ]  # fmt: skip
    frame = pd.DataFrame(list(rows), columns=columns)
    return frame.assign(
        level=frame["level"].fillna(""), authorisation=[_authorisation_state(db, r) for r in frame["reference"]]
    )


def _authorisation_state(db: sqlite_utils.Database, reference: str) -> str:
    case_id = query_one(db, "SELECT id FROM cases WHERE reference = ?", (reference,))["id"]
    return authorisations.state_text(authorisations.authorisations_frame(db, case_id))


def overview(db: sqlite_utils.Database, actor: Actor, reference: str) -> CaseOverview:
    """What a case holds at a glance: people, accounts, and counts by Five C, kind and grade."""
    access = authorize(db, actor, Right.VIEW, reference)
    catalog = load_catalog()
    current = observations.current_frame(db, access.case_id, include_retracted=True)
    live = current[current["retracted"] == 0]
    by_five_c = pd.DataFrame(
        {
            "five_c": [c.label for c in catalog.choices("five_cs")],
            "observations": [int((live["five_c"] == c.value).sum()) for c in catalog.choices("five_cs")],
        }
    )
    by_kind = pd.DataFrame(
        {
            "kind": [k.title for k in catalog.kinds.values()],
            "observations": [int((live["kind"] == k).sum()) for k in catalog.kinds],
        }
    )
    grades = pd.Series(
        [
            observations.grade_text(*r)
            for r in live[["grading_scheme", "source_grade", "information_grade", "handling_code"]].itertuples(
                index=False
            )
        ],
        dtype=object,
    )
    by_grade = grades.value_counts().sort_index().rename_axis("grade").reset_index(name="observations")
    members = pd.DataFrame(
        list(
            db.query(
                "SELECT u.username, u.display_name, m.role FROM case_members m JOIN users u ON u.id = m.user_id"
                " WHERE m.case_id = ? ORDER BY m.role, u.username",
                (access.case_id,),
            )
        ),
        columns=["username", "display_name", "role"],
    )
    case_row = query_one(
        db,
        "SELECT u.username, c.external_ref FROM cases c JOIN users u ON u.id = c.lead_user_id WHERE c.id = ?",
        (access.case_id,),
    )
    facts = db.execute("SELECT COUNT(*) FROM facts WHERE case_id = ?", (access.case_id,)).fetchone()[0]
    audit.record(db, actor.username, "case.view", case_ref=access.reference)
    return CaseOverview(
        access=access,
        external_ref=case_row["external_ref"],
        lead=case_row["username"],
        members=members,
        people=people.people_frame(db, access.case_id),
        accounts=people.accounts_frame(db, access.case_id),
        by_five_c=by_five_c,
        by_kind=by_kind,
        by_grade=by_grade,
        observations=len(live),
        retracted=int((current["retracted"] == 1).sum()),
        immediate_risk=int(live["immediate_risk"].sum()) if len(live) else 0,
        facts=facts,
        risks=immediate_risk.risks(db, access.case_id),
        outstanding=actions.outstanding(actions.actions_frame(db, access.case_id)),
        levels=need.history_frame(db, access.case_id),
        context=child_context.child_context(db, access.case_id),
        authorisations=authorisations.authorisations_frame(db, access.case_id),
        unauthorised=live["code"][authorisations.unauthorised(db, access.case_id, live)].tolist(),
    )

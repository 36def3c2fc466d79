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
from workbench.timeutil import now_utc
from workbench.users import user_by_name


@dataclass(frozen=True)
class CaseOverview:
    access: CaseAccess
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


def create_case(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    title: str,
    *,
    subject_pseudonym: str = "Child A",
    lead: str | None = None,
) -> CaseAccess:
    """Open a case. Its lead becomes a member with the lead role; the child becomes person P-0001."""
    require_ready(actor)
    if not may_create_cases(current(db, actor)):
        raise PermissionDenied("Only analysts and administrators can open cases.")
    errors = {}
    checks = {
        "reference": lambda: fields.reference(reference),
        "title": lambda: fields.text(title, max_length=200, single_line=True),
        "subject_pseudonym": lambda: fields.text(subject_pseudonym, max_length=60, single_line=True),
    }
    clean = {}
    for name, check in checks.items():
        try:
            clean[name] = check()
        except ValueError as e:
            errors[name] = str(e)
    lead_name = lead or (None if actor.is_system else actor.username)
    lead_user = None
    if not lead_name:
        errors["lead"] = "is required"
    else:
        try:
            lead_user = user_by_name(db, lead_name)
            if lead_user.role == "reviewer":
                errors["lead"] = "a reviewer account cannot lead a case"
        except NotFound as e:
            errors["lead"] = str(e)
    if errors:
        raise ValidationError(errors)
    now = now_utc()
    with transaction(db):
        if query_one(db, "SELECT id FROM cases WHERE reference = ?", (clean["reference"],)):
            raise ValidationError({"reference": f"{clean['reference']} is already in use"})
        if query_one(db, "SELECT id FROM case_tombstones WHERE reference = ?", (clean["reference"],)):
            raise ValidationError({"reference": f"{clean['reference']} belonged to a deleted case: choose another"})
        case_id = (
            db.table("cases")
            .insert(
                {
                    "reference": clean["reference"],
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


def add_member(db: sqlite_utils.Database, actor: Actor, reference: str, username: str, role: str) -> None:
    """Add someone to a case or change their part in it. Making someone lead hands the lead over:
    the previous lead stays in the case as an analyst."""
    access = authorize(db, actor, Right.MANAGE_MEMBERS, reference)
    try:
        role = fields.choice(role, MEMBER_ROLES)
    except ValueError as e:
        raise ValidationError({"role": str(e)}) from None
    try:
        user = user_by_name(db, username)
    except NotFound as e:
        raise ValidationError({"username": str(e)}) from None
    if role == "lead" and user.role == "reviewer":
        raise ValidationError({"role": "a reviewer account cannot lead a case"})
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
        SELECT c.reference, c.title, c.subject_pseudonym AS subject, c.status, m.role AS my_role,
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
    columns = ["reference", "title", "subject", "status", "my_role", "lead", "created_at", "observations", "level"]
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
    lead = query_one(
        db, "SELECT u.username FROM cases c JOIN users u ON u.id = c.lead_user_id WHERE c.id = ?", (access.case_id,)
    )["username"]
    facts = db.execute("SELECT COUNT(*) FROM facts WHERE case_id = ?", (access.case_id,)).fetchone()[0]
    audit.record(db, actor.username, "case.view", case_ref=access.reference)
    return CaseOverview(
        access=access,
        lead=lead,
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

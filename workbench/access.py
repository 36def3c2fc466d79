"""Roles, rights, and the one permission check.

Every domain function that touches a case calls `authorize` first. A case the user is not a member
of does not exist for them: they get the same NotFound as for a reference that matches nothing.
Users, passwords and sign-in live in `users.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

import sqlite_utils

from workbench import fields, refusals
from workbench.db import query_one
from workbench.errors import NotFound, PermissionDenied

ROLES = ("admin", "analyst", "reviewer")
MEMBER_ROLES = ("analyst", "reviewer", "lead")
RESERVED_USERNAMES = {"system", "(unknown)"}  # names the audit log uses for the operator and strangers


class Right(StrEnum):
    VIEW = "view"  # read a case's content
    RECORD = "record"  # record, amend, retract; add people, accounts, facts
    MANAGE_MEMBERS = "manage members"
    EXPORT = "export"
    PURGE = "purge"
    AUDIT = "see the case's activity"
    VERIFY = "verify the stored evidence"  # re-hash files: reads no content
    CLOSE = "close or reopen the case"  # and see or extend when it comes up for review: no content
    DELETE = "delete the case"  # for good, once closed: administrators only
    DOWNLOAD = "take copies out of the workbench"  # originals and CSV files; reviewers read on screen only


# What an administrator may do in any case without being a member: manage who is in it, see who
# did what in it, check its evidence files, and purge an item that must not be held (given its
# code), close, reopen or delete a case under the retention schedule. None of these shows the
# case's content.
_ADMIN_RIGHTS = {Right.MANAGE_MEMBERS, Right.AUDIT, Right.VERIFY, Right.PURGE, Right.CLOSE, Right.DELETE}


_MEMBER_RIGHTS = {
    "reviewer": {Right.VIEW},
    "analyst": {Right.VIEW, Right.RECORD, Right.VERIFY, Right.DOWNLOAD},
    "lead": set(Right) - {Right.DELETE},  # a lead closes their case; deleting it is an administrator's call
}


@dataclass(frozen=True)
class Actor:
    """Who is acting. `system` is the operator at the server's shell (CLI admin commands)."""

    id: int | None
    username: str
    display_name: str
    role: str
    is_system: bool = False
    must_change_password: bool = False

    @property
    def is_admin(self) -> bool:
        return self.is_system or self.role == "admin"


SYSTEM = Actor(id=None, username="system", display_name="System (command line)", role="admin", is_system=True)


@dataclass(frozen=True)
class CaseAccess:
    """What authorize hands back: the case, and the actor's part in it."""

    case_id: int
    reference: str
    title: str
    subject_pseudonym: str
    status: str
    member_role: str | None


def current(db: sqlite_utils.Database, actor: Actor) -> Actor:
    """The actor as the database says now: a deactivated account acts no more, and a changed role
    counts at once, however long ago the page, callback or download link was made."""
    if actor.is_system:
        return actor
    row = query_one(db, "SELECT role, active FROM users WHERE id = ?", (actor.id,)) if actor.id is not None else None
    if row is None or not row["active"]:
        raise PermissionDenied("Your account is not active.")
    return actor if row["role"] == actor.role else replace(actor, role=row["role"])


def authorize(db: sqlite_utils.Database, actor: Actor, right: Right, reference: str) -> CaseAccess:
    """The one permission check for anything inside a case."""
    require_ready(actor)
    actor = current(db, actor)
    case = query_one(db, "SELECT * FROM cases WHERE reference = ?", (str(reference or "").strip(),))
    membership = None
    if case and actor.id is not None:
        membership = query_one(
            db, "SELECT role FROM case_members WHERE case_id = ? AND user_id = ?", (case["id"], actor.id)
        )
    admin_managing = right in _ADMIN_RIGHTS and actor.is_admin
    if case is None or (membership is None and not admin_managing):
        refusals.record(db, actor.username, right, reference, case["reference"] if case else None)  # issue 24.7
        raise NotFound(f"Case {fields.clip(reference)} not found.")
    access = CaseAccess(
        case_id=case["id"],
        reference=case["reference"],
        title=case["title"],
        subject_pseudonym=case["subject_pseudonym"],
        status=case["status"],
        member_role=membership["role"] if membership else None,
    )
    if admin_managing:
        return access
    rights = set(_MEMBER_RIGHTS[membership["role"]])
    if actor.role == "reviewer":
        rights &= {Right.VIEW}  # a reviewer account stays read-only whatever its membership says
    if right not in rights:
        raise PermissionDenied(f"Your part in case {case['reference']} does not allow you to {right}.")
    return access


def allowed(db: sqlite_utils.Database, actor: Actor, right: Right, reference: str) -> bool:
    """Whether authorize would let the actor do this: for pages deciding what to offer."""
    try:
        authorize(db, actor, right, reference)
    except (NotFound, PermissionDenied):
        return False
    return True


def require_ready(actor: Actor) -> None:
    """A user holding a temporary password may do nothing until they have set their own."""
    if actor.must_change_password:
        raise PermissionDenied("Set a new password first: yours was a temporary one.")


def require_admin(db: sqlite_utils.Database, actor: Actor, doing: str) -> None:
    require_ready(actor)
    if not current(db, actor).is_admin:
        raise PermissionDenied(f"Only an administrator can {doing}.")


def may_create_cases(actor: Actor) -> bool:
    return not actor.must_change_password and (actor.is_system or actor.role in ("admin", "analyst"))


@dataclass(frozen=True)
class Capabilities:
    """What a user may use at all, for the navigation: each action is still checked case by case."""

    view_cases: bool
    record: bool
    manage_members: bool
    see_activity: bool
    manage_users: bool


def capabilities(db: sqlite_utils.Database, actor: Actor) -> Capabilities:
    roles = set()
    if actor.id is not None:
        roles = {r["role"] for r in db.query("SELECT DISTINCT role FROM case_members WHERE user_id = ?", (actor.id,))}
    leads = "lead" in roles
    if actor.role == "admin":
        # An administrator sees no case content unless a member; the case pages are for members.
        return Capabilities(
            view_cases=bool(roles),
            record=bool(roles & {"analyst", "lead"}),
            manage_members=True,
            see_activity=True,
            manage_users=True,
        )
    return Capabilities(
        view_cases=True,
        record=actor.role == "analyst",
        manage_members=leads,
        see_activity=leads,
        manage_users=False,
    )

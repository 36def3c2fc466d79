"""Users, passwords, roles, case membership, and the one permission check.

Every domain function that touches a case calls `authorize` first. A case the user is not a member
of does not exist for them: they get the same NotFound as for a reference that matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pandas as pd
import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from workbench import audit, fields
from workbench.db import query_one, transaction
from workbench.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationError
from workbench.timeutil import now_utc

ROLES = ("admin", "analyst", "reviewer")
MEMBER_ROLES = ("analyst", "reviewer", "lead")
RESERVED_USERNAMES = {"system", "(unknown)"}  # names the audit log uses for the operator and strangers
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this keeps a wrong username as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")


class Right(StrEnum):
    VIEW = "view"  # read a case's content
    RECORD = "record"  # record, amend, retract; add people, accounts, facts
    MANAGE_MEMBERS = "manage members"
    EXPORT = "export"
    PURGE = "purge"


_MEMBER_RIGHTS = {
    "reviewer": {Right.VIEW},
    "analyst": {Right.VIEW, Right.RECORD},
    "lead": {Right.VIEW, Right.RECORD, Right.MANAGE_MEMBERS, Right.EXPORT, Right.PURGE},
}


@dataclass(frozen=True)
class Actor:
    """Who is acting. `system` is the operator at the server's shell (CLI admin commands)."""

    id: int | None
    username: str
    display_name: str
    role: str
    is_system: bool = False

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


def authorize(db: sqlite_utils.Database, actor: Actor, right: Right, reference: str) -> CaseAccess:
    """The one permission check for anything inside a case."""
    case = query_one(db, "SELECT * FROM cases WHERE reference = ?", (str(reference or "").strip(),))
    membership = None
    if case and actor.id is not None:
        membership = query_one(
            db, "SELECT role FROM case_members WHERE case_id = ? AND user_id = ?", (case["id"], actor.id)
        )
    # Admins manage who is in a case without seeing inside it.
    admin_managing = right is Right.MANAGE_MEMBERS and actor.is_admin
    if case is None or (membership is None and not admin_managing):
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


def require_admin(actor: Actor, doing: str) -> None:
    if not actor.is_admin:
        raise PermissionDenied(f"Only an administrator can {doing}.")


def may_create_cases(actor: Actor) -> bool:
    return actor.is_system or actor.role in ("admin", "analyst")


# --- users -------------------------------------------------------------------------------------


def check_password(password: str, username: str) -> str:
    if not isinstance(password, str) or not password:
        raise ValueError("is required")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"must be at most {MAX_PASSWORD_LENGTH} characters")
    if "\x00" in password:
        raise ValueError("must not contain NUL characters")
    if password.strip().lower() == username.lower():
        raise ValueError("must not be the username")
    return password


def create_user(
    db: sqlite_utils.Database,
    actor: Actor,
    username: str,
    role: str,
    password: str,
    *,
    display_name: str = "",
    must_change_password: bool = False,
) -> Actor:
    require_admin(actor, "add users")
    errors = {}
    try:
        username = fields.username(username)
        if username in RESERVED_USERNAMES:
            raise ValueError(f"{username} is reserved for the audit log")
    except ValueError as e:
        errors["username"] = str(e)
        username = str(username)[:64]
    try:
        role = fields.choice(role, ROLES)
    except ValueError as e:
        errors["role"] = str(e)
    try:
        check_password(password, username)
    except ValueError as e:
        errors["password"] = str(e)
    try:
        display_name = fields.text(display_name, required=False, max_length=200, single_line=True)
    except ValueError as e:
        errors["display_name"] = str(e)
    if errors:
        raise ValidationError(errors)
    with transaction(db):
        if query_one(db, "SELECT id FROM users WHERE username = ?", (username,)):
            raise ValidationError({"username": f"{username} is taken"})
        user_id = (
            db.table("users")
            .insert(
                {
                    "username": username,
                    "display_name": display_name or username,
                    "role": role,
                    "password_hash": _hasher.hash(password),
                    "active": 1,
                    "must_change_password": int(must_change_password),
                    "created_at": now_utc(),
                }
            )
            .last_pk
        )
        audit.record(db, actor.username, "user.create", item_code=username, details={"role": role})
    return Actor(user_id, username, display_name or username, role)


def authenticate(db: sqlite_utils.Database, username: str, password: str) -> Actor:
    """Sign in with a local account. Wrong username and wrong password look the same."""
    name = str(username or "").strip().lower()[:200]
    user = None
    if fields.USERNAME_PATTERN.match(name):
        user = query_one(db, "SELECT * FROM users WHERE username = ?", (name,))
    ok = False
    if isinstance(password, str) and 0 < len(password) <= MAX_PASSWORD_LENGTH:
        try:
            ok = _hasher.verify(user["password_hash"] if user else _DUMMY_HASH, password) and user is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    if not ok or not user["active"]:
        audit.record(db, name if user else "(unknown)", "sign_in.failed", details={"username_known": user is not None})
        raise AuthenticationFailed()
    audit.record(db, user["username"], "sign_in")
    return _actor(user)


def sign_out(db: sqlite_utils.Database, actor: Actor) -> None:
    audit.record(db, actor.username, "sign_out")


def current_actor(db: sqlite_utils.Database, user_id: int) -> Actor | None:
    """Re-read the signed-in user on every run: a deactivated account stops at its next click."""
    user = query_one(db, "SELECT * FROM users WHERE id = ?", (user_id,))
    return _actor(user) if user and user["active"] else None


def user_by_name(db: sqlite_utils.Database, username: str) -> Actor:
    user = query_one(db, "SELECT * FROM users WHERE username = ?", (str(username or "").strip().lower(),))
    if not user or not user["active"]:
        raise NotFound(f"No active user {fields.clip(username)}.")
    return _actor(user)


def list_users(db: sqlite_utils.Database, actor: Actor) -> pd.DataFrame:
    require_admin(actor, "list users")
    return pd.DataFrame(
        db.query("SELECT username, display_name, role, active, created_at FROM users ORDER BY username")
    )


def _actor(user: dict) -> Actor:
    return Actor(user["id"], user["username"], user["display_name"], user["role"])

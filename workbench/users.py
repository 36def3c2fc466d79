"""User accounts: creating and managing them, and signing in (password or single sign-on).

Sign-in refuses with one message whatever went wrong (unknown name, wrong password, a locked or
inactive account), so it tells an attacker nothing. Failures in a row lock an account for a while;
every attempt, lock and change is audited. A temporary password (set by an administrator) lets its
holder do one thing: set their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
import sqlite_utils

from workbench import audit, fields, passwords
from workbench.access import RESERVED_USERNAMES, ROLES, Actor, require_admin
from workbench.config import SignInPolicy
from workbench.db import query_one, transaction
from workbench.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationError
from workbench.timeutil import from_iso_utc, now_utc, to_iso_utc

DEFAULT_POLICY = SignInPolicy()


def refusal(policy: SignInPolicy) -> AuthenticationFailed:
    minutes = f"{policy.lockout_minutes:g}"
    return AuthenticationFailed(
        "Sign-in refused: wrong username or password. After "
        f"{policy.lockout_attempts} failed attempts in a row an account is locked for {minutes} minutes; "
        "an administrator can unlock it."
    )


def create_user(
    db: sqlite_utils.Database,
    actor: Actor,
    username: str,
    role: str,
    password: str,
    *,
    display_name: str = "",
    email: str = "",
    temporary: bool = False,
) -> Actor:
    """Add an account. A temporary password must be replaced at first sign-in."""
    require_admin(db, actor, "add users")
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
        passwords.check(password, username)
    except ValueError as e:
        errors["password"] = str(e)
    try:
        display_name = fields.text(display_name, required=False, max_length=200, single_line=True)
    except ValueError as e:
        errors["display_name"] = str(e)
    try:
        email = fields.email(email)
    except ValueError as e:
        errors["email"] = str(e)
    if errors:
        raise ValidationError(errors)
    now = now_utc()
    with transaction(db):
        if query_one(db, "SELECT id FROM users WHERE username = ?", (username,)):
            raise ValidationError({"username": f"{username} is taken"})
        _refuse_taken_email(db, email, None)
        user_id = (
            db.table("users")
            .insert(
                {
                    "username": username,
                    "display_name": display_name or username,
                    "role": role,
                    "password_hash": passwords.hash_password(password),
                    "active": 1,
                    "must_change_password": int(temporary),
                    "created_at": now,
                    "password_changed_at": now,
                    "email": email,
                }
            )
            .last_pk
        )
        audit.record(
            db,
            actor.username,
            "user.create",
            item_code=username,
            details={"role": role, "temporary_password": temporary, "email": email},
        )
    return Actor(user_id, username, display_name or username, role, must_change_password=temporary)


def _refuse_taken_email(db: sqlite_utils.Database, email: str | None, user_id: int | None) -> None:
    if email is None:
        return
    holder = query_one(db, "SELECT id, username FROM users WHERE email = ?", (email,))
    if holder and holder["id"] != user_id:
        raise ValidationError({"email": f"{email} is already the address of {holder['username']}"})


# --- signing in ----------------------------------------------------------------------------------


def authenticate(
    db: sqlite_utils.Database, username: object, password: object, policy: SignInPolicy = DEFAULT_POLICY
) -> Actor:
    """Sign in with a local account and password."""
    name = str(username or "").strip().lower()[:200]
    known = fields.USERNAME_PATTERN.match(name) is not None
    user = query_one(db, "SELECT * FROM users WHERE username = ?", (name,)) if known else None
    # The hash is checked even for a locked or unknown account, so every refusal takes as long.
    password_ok = passwords.verify(user["password_hash"] if user else None, password)
    now = now_utc()
    with transaction(db):
        if user is None:
            audit.record(db, "(unknown)", "sign_in.failed", details={"reason": "unknown username"})
            raise_after = refusal(policy)
        else:
            user = query_one(db, "SELECT * FROM users WHERE id = ?", (user["id"],))  # fresh, under the lock
            locked = user["locked_until"] is not None and user["locked_until"] > now
            if locked:
                reason = "account locked"
            elif not user["active"]:
                reason = "account deactivated"
            elif not password_ok:
                reason = "wrong password"
            else:
                reason = None
            if reason is None:
                db.execute("UPDATE users SET failed_sign_ins = 0, locked_until = NULL WHERE id = ?", (user["id"],))
                audit.record(db, user["username"], "sign_in", details={"method": "password"})
                raise_after = None
            else:
                audit.record(db, user["username"], "sign_in.failed", details={"reason": reason})
                if reason == "wrong password":
                    _count_failure(db, user, policy, now)
                raise_after = refusal(policy)
    if raise_after is not None:
        raise raise_after
    return _actor(user)


def _count_failure(db: sqlite_utils.Database, user: dict, policy: SignInPolicy, now: str) -> None:
    failures = (0 if user["locked_until"] else user["failed_sign_ins"]) + 1
    if failures < policy.lockout_attempts:
        db.execute("UPDATE users SET failed_sign_ins = ?, locked_until = NULL WHERE id = ?", (failures, user["id"]))
        return
    until = to_iso_utc(from_iso_utc(now) + timedelta(minutes=policy.lockout_minutes))
    db.execute("UPDATE users SET failed_sign_ins = 0, locked_until = ? WHERE id = ?", (until, user["id"]))
    audit.record(
        db,
        user["username"],
        "account.locked",
        details={"failures_in_a_row": failures, "locked_until": until},
    )


@dataclass(frozen=True)
class SingleSignOnClaims:
    """What the identity provider vouched for, as Streamlit's st.user hands it over."""

    email: str | None
    email_verified: bool | None
    subject: str | None = None
    issuer: str | None = None


def authenticate_sso(db: sqlite_utils.Database, claims: SingleSignOnClaims) -> Actor:
    """Map an identity provider's verified e-mail address to an active workbench account."""
    try:
        email = fields.email(claims.email)
    except ValueError:
        email = None
    details = {"method": "single sign-on", "email": fields.clip(claims.email, 120), "issuer": claims.issuer}
    with transaction(db):
        user = query_one(db, "SELECT * FROM users WHERE email = ?", (email,)) if email else None
        if email is None:
            reason = "the identity provider gave no e-mail address"
        elif claims.email_verified is False:
            reason = "the identity provider has not verified this e-mail address"
        elif user is None:
            reason = "no workbench account has this e-mail address"
        elif not user["active"]:
            reason = "account deactivated"
        else:
            reason = None
        username = user["username"] if user else "(unknown)"
        if reason:
            audit.record(db, username, "sign_in.failed", details={**details, "reason": reason})
        else:
            audit.record(db, username, "sign_in", details=details)
    if reason:
        raise AuthenticationFailed(
            f"Sign-in refused: {reason}. Ask your administrator to set up your workbench account with the"
            " e-mail address your organisation signs you in with."
        )
    # Single sign-on users prove themselves to the identity provider, not with a workbench password.
    return Actor(user["id"], user["username"], user["display_name"], user["role"])


def current_actor(db: sqlite_utils.Database, user_id: int) -> Actor | None:
    """Re-read the signed-in user on every run: a deactivated account stops at its next click."""
    user = query_one(db, "SELECT * FROM users WHERE id = ?", (user_id,))
    return _actor(user) if user and user["active"] else None


def user_by_name(db: sqlite_utils.Database, username: object) -> Actor:
    user = query_one(db, "SELECT * FROM users WHERE username = ?", (str(username or "").strip().lower()[:200],))
    if not user or not user["active"]:
        raise NotFound(f"No active user {fields.clip(username)}.")
    return _actor(user)


# --- passwords -----------------------------------------------------------------------------------


def change_password(
    db: sqlite_utils.Database,
    actor: Actor,
    current: object,
    new: object,
    confirm: object,
    policy: SignInPolicy = DEFAULT_POLICY,
) -> Actor:
    """A user sets their own password; the one thing a temporary password allows. A wrong current
    password counts towards the lockout, so an unattended session cannot be used to guess it."""
    user = query_one(db, "SELECT * FROM users WHERE id = ?", (actor.id,))
    if user is None or not user["active"]:
        raise NotFound("No such account.")
    errors = {}
    if not passwords.verify(user["password_hash"], current):
        errors["current_password"] = "is not your current password"  # noqa: S105 (a field name)
        with transaction(db):
            fresh = query_one(db, "SELECT * FROM users WHERE id = ?", (user["id"],))
            audit.record(db, user["username"], "password.change.failed", details={"reason": "wrong current password"})
            if not (fresh["locked_until"] and fresh["locked_until"] > now_utc()):
                _count_failure(db, fresh, policy, now_utc())
    try:
        passwords.check(new, user["username"])
        if new == current:
            raise ValueError("must differ from the current one")
    except ValueError as e:
        errors["new_password"] = str(e)
    if "new_password" not in errors and new != confirm:
        errors["confirm_password"] = "does not match the new password"  # noqa: S105 (a field name)
    if errors:
        raise ValidationError(errors)
    with transaction(db):
        db.execute(
            "UPDATE users SET password_hash = ?, must_change_password = 0, password_changed_at = ? WHERE id = ?",
            (passwords.hash_password(new), now_utc(), user["id"]),
        )
        audit.record(
            db, user["username"], "password.change", details={"was_temporary": bool(user["must_change_password"])}
        )
    return current_actor(db, user["id"])


def reset_password(db: sqlite_utils.Database, actor: Actor, username: str, temporary_password: str) -> None:
    """An administrator gives a temporary password; its holder must set their own at sign-in."""
    require_admin(db, actor, "reset passwords")
    user = _managed_user(db, username)
    try:
        passwords.check(temporary_password, user["username"])
    except ValueError as e:
        raise ValidationError({"temporary_password": str(e)}) from None
    with transaction(db):
        db.execute(
            "UPDATE users SET password_hash = ?, must_change_password = 1, failed_sign_ins = 0,"
            " locked_until = NULL, password_changed_at = ? WHERE id = ?",
            (passwords.hash_password(temporary_password), now_utc(), user["id"]),
        )
        audit.record(db, actor.username, "user.password_reset", item_code=user["username"])


# --- administration ------------------------------------------------------------------------------


def _managed_user(db: sqlite_utils.Database, username: object) -> dict:
    user = query_one(db, "SELECT * FROM users WHERE username = ?", (str(username or "").strip().lower()[:200],))
    if user is None:
        raise NotFound(f"No user {fields.clip(username)}.")
    return user


def set_active(db: sqlite_utils.Database, actor: Actor, username: str, active: bool) -> None:
    """Deactivate (their open sessions end at their next click) or reactivate an account."""
    require_admin(db, actor, "deactivate or reactivate accounts")
    user = _managed_user(db, username)
    if not active and user["id"] == actor.id:
        raise PermissionDenied("You cannot deactivate your own account.")
    with transaction(db):
        if not active and user["role"] == "admin" and _active_admins(db) <= 1 and user["active"]:
            raise PermissionDenied(f"{user['username']} is the last active administrator.")
        db.execute("UPDATE users SET active = ? WHERE id = ?", (int(active), user["id"]))
        audit.record(db, actor.username, "user.activate" if active else "user.deactivate", item_code=user["username"])


def unlock(db: sqlite_utils.Database, actor: Actor, username: str) -> None:
    require_admin(db, actor, "unlock accounts")
    user = _managed_user(db, username)
    with transaction(db):
        db.execute("UPDATE users SET failed_sign_ins = 0, locked_until = NULL WHERE id = ?", (user["id"],))
        audit.record(db, actor.username, "user.unlock", item_code=user["username"])


def set_role(db: sqlite_utils.Database, actor: Actor, username: str, role: str) -> None:
    require_admin(db, actor, "change roles")
    user = _managed_user(db, username)
    try:
        role = fields.choice(role, ROLES)
    except ValueError as e:
        raise ValidationError({"role": str(e)}) from None
    if user["id"] == actor.id and role != "admin":
        raise PermissionDenied("You cannot take away your own administrator role.")
    with transaction(db):
        if user["role"] == "admin" and role != "admin" and user["active"] and _active_admins(db) <= 1:
            raise PermissionDenied(f"{user['username']} is the last active administrator.")
        if role == "reviewer":
            led = [
                r["reference"] for r in db.query("SELECT reference FROM cases WHERE lead_user_id = ?", (user["id"],))
            ]
            if led:
                raise ValidationError({"role": f"{user['username']} leads {', '.join(led)}: choose another lead first"})
        db.execute("UPDATE users SET role = ? WHERE id = ?", (role, user["id"]))
        audit.record(
            db, actor.username, "user.role", item_code=user["username"], details={"from": user["role"], "to": role}
        )


def set_email(db: sqlite_utils.Database, actor: Actor, username: str, email: str) -> None:
    """The address single sign-on maps to this account; empty removes it."""
    require_admin(db, actor, "set e-mail addresses")
    user = _managed_user(db, username)
    try:
        clean = fields.email(email)
    except ValueError as e:
        raise ValidationError({"email": str(e)}) from None
    with transaction(db):
        _refuse_taken_email(db, clean, user["id"])
        db.execute("UPDATE users SET email = ? WHERE id = ?", (clean, user["id"]))
        audit.record(db, actor.username, "user.email", item_code=user["username"], details={"email": clean})


def _active_admins(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = 1").fetchone()[0]


def list_users(db: sqlite_utils.Database, actor: Actor) -> pd.DataFrame:
    """Every account with its state: active, locked until, password temporary, last sign-in."""
    require_admin(db, actor, "list users")
    now = now_utc()
    rows = db.query(
        """
        SELECT u.username, u.display_name, u.role, u.email, u.active,
               CASE WHEN u.locked_until > :now THEN u.locked_until END AS locked_until,
               u.must_change_password AS temporary_password, u.created_at,
               (SELECT MAX(a.at) FROM audit_events a WHERE a.username = u.username AND a.action = 'sign_in')
                   AS last_sign_in
        FROM users u ORDER BY u.username
        """,
        {"now": now},
    )
    columns = [
        "username",
        "display_name",
        "role",
        "email",
        "active",
        "locked_until",
        "temporary_password",
        "created_at",
        "last_sign_in",
    ]
    frame = pd.DataFrame(list(rows), columns=columns)
    for column in ("active", "temporary_password"):
        frame[column] = frame[column].astype(bool)
    return frame


def _actor(user: dict) -> Actor:
    return Actor(
        user["id"],
        user["username"],
        user["display_name"],
        user["role"],
        must_change_password=bool(user["must_change_password"]),
    )

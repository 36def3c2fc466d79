"""Sign-in throttle per client address (issue 24, point 7).

Five wrong passwords in a row lock an account (`users.authenticate`), so anyone who knows a
username can keep that account locked. The lock stays; what this adds is a limit per client:
`client_attempts` failed sign-ins from one address within `client_minutes` hold that address back.
Its further attempts are refused with the same words as any other refusal, without checking the
password and without counting against the account they name, until its oldest failure in the
window is older than the window. With the defaults (10 in 15 minutes, a lock of 5 failures lasting
15 minutes) one address can have at most two accounts locked at any time, not everyone's.

An attempt is written as a row before the password is checked and removed when it succeeds, so
attempts made at the same moment (several browser sessions, several app processes) count one
another. The rows are in the database, not in a process's memory. Rows older than the window go
as new ones arrive, so the table holds at most a window's worth of failures.

The address is the connection's (`client_address`). Behind a reverse proxy it is the proxy's, and
Streamlit gives no address at all for a connection from the same machine: then every client
shares one count, and one client failing often holds back everyone's sign-in for the window.
Set WORKBENCH_TRUSTED_PROXIES to the number of proxies in front of the app to count by the
address the nearest one saw (X-Forwarded-For, read from the right); only when every request
passes through them, since a client reaching the app directly can write that header itself.
IPv6 addresses count by their /64 network, the block one machine is usually given.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pandas as pd
import sqlite_utils

from workbench import audit, fields, users
from workbench.access import Actor, require_admin
from workbench.config import SignInPolicy
from workbench.db import query_one, transaction
from workbench.errors import AuthenticationFailed, NotFound
from workbench.timeutil import from_iso_utc, now_utc, to_iso_utc

UNKNOWN_CLIENT = "(no address)"  # a connection from the same machine (Streamlit gives no address) or none known
CLIENT_COLUMNS = ["client", "failures", "first_failure", "last_failure", "held_back"]


def client_address(peer: str | None, forwarded_for: str | None = None, trusted_proxies: int = 0) -> str:
    """The address a sign-in attempt counts against: the connection's own, or, behind
    `trusted_proxies` proxies, the one the nearest proxy saw (X-Forwarded-For's entry that many
    from the right; entries further left are the client's own say and are ignored)."""
    if trusted_proxies > 0 and forwarded_for:
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        if len(hops) >= trusted_proxies:
            seen = _normalise(hops[-trusted_proxies])
            if seen is not None:
                return seen
    return _normalise(peer) or UNKNOWN_CLIENT


def _normalise(address: str | None) -> str | None:
    if not address:
        return None
    try:
        parsed = ipaddress.ip_address(str(address).strip().strip("[]"))
    except ValueError:
        return None
    if parsed.version == 6 and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _cutoff(policy: SignInPolicy, now: str) -> str:
    return to_iso_utc(from_iso_utc(now) - timedelta(minutes=policy.client_minutes))


def authenticate(
    db: sqlite_utils.Database,
    client: str,
    username: object,
    password: object,
    policy: SignInPolicy = users.DEFAULT_POLICY,
) -> Actor:
    """`users.authenticate`, counted against the client's address: refused with the same words,
    and without a look at the password or the account, while the address is held back."""
    attempt = _start(db, client, username, policy)
    if attempt is None:
        raise users.refusal(policy)
    try:
        actor = users.authenticate(db, username, password, policy)
    except AuthenticationFailed:
        raise  # the attempt's row stays: one more failure from this address
    except BaseException:
        _forget(db, attempt)  # not a failed sign-in (a database error, an interrupted run)
        raise
    _forget(db, attempt)
    return actor


def _start(db: sqlite_utils.Database, client: str, username: object, policy: SignInPolicy) -> int | None:
    """Count the attempt against the client, or None when the client is held back (audited)."""
    now = now_utc()
    cutoff = _cutoff(policy, now)
    with transaction(db):
        db.execute("DELETE FROM client_sign_in_failures WHERE at < ?", (cutoff,))
        failures = db.execute(
            "SELECT COUNT(*) FROM client_sign_in_failures WHERE client = ? AND at >= ?", (client, cutoff)
        ).fetchone()[0]
        if failures >= policy.client_attempts:
            name = str(username or "").strip().lower()[:200]
            known = fields.USERNAME_PATTERN.match(name) and query_one(
                db, "SELECT username FROM users WHERE username = ?", (name,)
            )
            audit.record(
                db,
                known["username"] if known else "(unknown)",
                "sign_in.failed",
                details={"reason": "client held back", "client": client, "client_failures": failures},
            )
            return None
        return db.execute(
            "INSERT INTO client_sign_in_failures (client, at) VALUES (?, ?) RETURNING id", (client, now)
        ).fetchone()[0]


def _forget(db: sqlite_utils.Database, attempt: int) -> None:
    with transaction(db):
        db.execute("DELETE FROM client_sign_in_failures WHERE id = ?", (attempt,))


def clients(db: sqlite_utils.Database, actor: Actor, policy: SignInPolicy = users.DEFAULT_POLICY) -> pd.DataFrame:
    """Every address with failed sign-ins in the window, most failures first, and whether it is
    held back now: for administrators."""
    require_admin(db, actor, "see sign-in failures by address")
    rows = db.query(
        """SELECT client, COUNT(*) AS failures, MIN(at) AS first_failure, MAX(at) AS last_failure
           FROM client_sign_in_failures WHERE at >= ? GROUP BY client ORDER BY failures DESC, client""",
        (_cutoff(policy, now_utc()),),
    )
    frame = pd.DataFrame(list(rows), columns=CLIENT_COLUMNS[:-1])
    return frame.assign(held_back=(frame["failures"] >= policy.client_attempts).astype(bool))


def clear(db: sqlite_utils.Database, actor: Actor, client: str) -> int:
    """Forget an address's failed sign-ins, so it may try again at once (audited). Returns how many."""
    require_admin(db, actor, "clear sign-in failures")
    client = str(client or "").strip()[:100]
    with transaction(db):
        gone = db.execute("DELETE FROM client_sign_in_failures WHERE client = ?", (client,)).rowcount
        if not gone:
            raise NotFound(f"No failed sign-ins from {fields.clip(client)}.")
        audit.record(db, actor.username, "sign_in.client_clear", item_code=client, details={"failures": gone})
    return gone

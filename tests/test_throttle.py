"""The sign-in throttle per client address (issue 24, point 7): one address failing against many
accounts is held back before it can lock them all; its refusals read like any other and count
against no account; another address still signs in; the per-account lock stays; administrators
see and clear both; the counts are in the database, so every process shares them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.conftest import cli_ok, cli_refused
from workbench import audit, throttle, users
from workbench.config import SignInPolicy
from workbench.db import open_home
from workbench.errors import AuthenticationFailed, NotFound, PermissionDenied
from workbench.timeutil import from_iso_utc, now_utc, to_iso_utc

# Small numbers, as argon2 takes a while: 2 failures in a row lock an account; 4 from one address
# hold it back.
POLICY = SignInPolicy(lockout_attempts=2, client_attempts=4, client_minutes=15)
ATTACKER, OFFICE = "203.0.113.9", "198.51.100.20"


def _refused(db, client: str, username: str, password: str = "not-the-password-at-all") -> str:  # noqa: S107
    with pytest.raises(AuthenticationFailed) as refused:
        throttle.authenticate(db, client, username, password, POLICY)
    return str(refused.value)


def _locked(db, username: str) -> bool:
    until = db.execute("SELECT locked_until FROM users WHERE username = ?", (username,)).fetchone()[0]
    return until is not None and until > now_utc()


def _failures(db, client: str) -> int:
    return db.execute("SELECT COUNT(*) FROM client_sign_in_failures WHERE client = ?", (client,)).fetchone()[0]


def test_one_address_failing_against_many_accounts_is_held_back_before_it_locks_them_all(db, passwords):
    # Two wrong passwords each at analyst and analyst2 lock both and use up the address's four.
    for username in ("analyst", "analyst", "analyst2", "analyst2"):
        assert _refused(db, ATTACKER, username) == str(users.refusal(POLICY))
    assert _locked(db, "analyst") and _locked(db, "analyst2")
    # From here the address is held back: the same words, and the accounts it names are untouched.
    for username in ("reviewer", "reviewer", "admin", "admin"):
        assert _refused(db, ATTACKER, username) == str(users.refusal(POLICY))
    assert not _locked(db, "reviewer") and not _locked(db, "admin")
    assert db.execute("SELECT failed_sign_ins FROM users WHERE username = 'reviewer'").fetchone()[0] == 0
    # Even the right password is refused from the held-back address, and is not checked.
    _refused(db, ATTACKER, "reviewer", passwords["reviewer"])
    # Another address signs in.
    assert throttle.authenticate(db, OFFICE, "reviewer", passwords["reviewer"], POLICY).username == "reviewer"
    assert _failures(db, ATTACKER) == 4 and _failures(db, OFFICE) == 0


def test_held_back_attempts_are_audited_without_the_password_or_the_typed_name(db):
    for _ in range(4):
        _refused(db, ATTACKER, "nobody-known")
    seq = db.execute("SELECT MAX(seq) FROM audit_events").fetchone()[0]
    _refused(db, ATTACKER, "admin")
    _refused(db, ATTACKER, "password-typed-as-a-name")
    rows = db.execute("SELECT username, action, details FROM audit_events WHERE seq > ?", (seq,)).fetchall()
    assert [(u, a, json.loads(d)) for u, a, d in rows] == [
        ("admin", "sign_in.failed", {"reason": "client held back", "client": ATTACKER, "client_failures": 4}),
        ("(unknown)", "sign_in.failed", {"reason": "client held back", "client": ATTACKER, "client_failures": 4}),
    ]
    assert audit.verify(db).intact


def test_a_success_does_not_count_against_the_address(db, passwords):
    for _ in range(6):
        throttle.authenticate(db, OFFICE, "analyst", passwords["analyst"], POLICY)
    assert _failures(db, OFFICE) == 0


def test_the_account_lock_stays_whatever_the_address(db, passwords):
    _refused(db, ATTACKER, "analyst")
    _refused(db, OFFICE, "analyst")
    assert _locked(db, "analyst")
    _refused(db, "192.0.2.1", "analyst", passwords["analyst"])


def test_an_address_is_let_back_once_its_failures_are_older_than_the_window(db, passwords):
    for _ in range(4):
        _refused(db, ATTACKER, "nobody-known")
    _refused(db, ATTACKER, "analyst", passwords["analyst"])
    long_ago = to_iso_utc(from_iso_utc(now_utc()) - timedelta(minutes=16))
    db.execute("UPDATE client_sign_in_failures SET at = ?", (long_ago,))
    assert throttle.authenticate(db, ATTACKER, "analyst", passwords["analyst"], POLICY).username == "analyst"
    assert _failures(db, ATTACKER) == 0, "old failures are pruned as new attempts arrive"


def test_attempts_in_flight_count(db):
    # An attempt is counted before its password is checked, so many at once cannot all slip by.
    for _ in range(4):
        assert throttle._start(db, ATTACKER, "analyst", POLICY) is not None
    assert throttle._start(db, ATTACKER, "analyst", POLICY) is None


def test_another_process_sees_the_same_counts(db, world):
    for _ in range(4):
        _refused(db, ATTACKER, "nobody-known")
    other = open_home(world)
    try:
        with pytest.raises(AuthenticationFailed):
            throttle.authenticate(other, ATTACKER, "analyst", "whatever-it-is", POLICY)
    finally:
        other.conn.close()


def test_a_database_error_is_not_a_failed_sign_in(db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(users, "authenticate", broken)
    with pytest.raises(RuntimeError):
        throttle.authenticate(db, ATTACKER, "analyst", "whatever-it-is", POLICY)
    assert _failures(db, ATTACKER) == 0


# --- the address -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "forwarded", "proxies", "expected"),
    [
        ("203.0.113.9", None, 0, "203.0.113.9"),
        (None, None, 0, throttle.UNKNOWN_CLIENT),  # Streamlit gives none for the same machine
        ("not an address", None, 0, throttle.UNKNOWN_CLIENT),
        # Not trusted: the header is the client's own say, ignored.
        ("10.0.0.2", "203.0.113.9", 0, "10.0.0.2"),
        # One trusted proxy: the rightmost entry, what it saw; a forged entry to its left is ignored.
        ("10.0.0.2", "198.51.100.1, 203.0.113.9", 1, "203.0.113.9"),
        # Two: the second from the right.
        ("10.0.0.2", "198.51.100.1, 203.0.113.9, 10.0.0.3", 2, "203.0.113.9"),
        # Too few entries, or a bad one: the connection's own.
        ("10.0.0.2", "203.0.113.9", 2, "10.0.0.2"),
        ("10.0.0.2", "garbage", 1, "10.0.0.2"),
        (None, "203.0.113.9", 1, "203.0.113.9"),
        # IPv6 counts by its /64; IPv4 written as IPv6 counts as IPv4.
        ("2001:db8:1:2:aaaa::1", None, 0, "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", None, 0, "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", None, 0, "203.0.113.9"),
    ],
)
def test_the_address_an_attempt_counts_against(peer, forwarded, proxies, expected):
    assert throttle.client_address(peer, forwarded, proxies) == expected


def test_the_settings_come_from_the_environment(monkeypatch, clean_env):
    monkeypatch.setenv("WORKBENCH_CLIENT_ATTEMPTS", "20")
    monkeypatch.setenv("WORKBENCH_CLIENT_MINUTES", "30")
    monkeypatch.setenv("WORKBENCH_TRUSTED_PROXIES", "1")
    policy = SignInPolicy.from_env()
    assert (policy.client_attempts, policy.client_minutes, policy.trusted_proxies) == (20, 30, 1)


def test_the_defaults(clean_env):
    policy = SignInPolicy.from_env()
    assert (policy.client_attempts, policy.client_minutes, policy.trusted_proxies) == (10, 15, 0)


@pytest.mark.parametrize("raw", ["-1", "many", "11"])
def test_a_bad_proxy_count_stops_the_start(monkeypatch, clean_env, raw):
    from workbench.errors import ConfigurationError

    monkeypatch.setenv("WORKBENCH_TRUSTED_PROXIES", raw)
    with pytest.raises(ConfigurationError, match="WORKBENCH_TRUSTED_PROXIES"):
        SignInPolicy.from_env()


# --- administrators see and clear ------------------------------------------------------------------


def test_administrators_see_addresses_with_failures_and_which_are_held_back(db, admin):
    for _ in range(4):
        _refused(db, ATTACKER, "nobody-known")
    _refused(db, OFFICE, "nobody-known")
    seen = throttle.clients(db, admin, POLICY)
    assert list(seen.columns) == throttle.CLIENT_COLUMNS
    assert seen[["client", "failures", "held_back"]].values.tolist() == [[ATTACKER, 4, True], [OFFICE, 1, False]]


def test_clearing_an_address_lets_it_try_at_once_and_is_audited(db, admin, passwords):
    for _ in range(4):
        _refused(db, ATTACKER, "nobody-known")
    assert throttle.clear(db, admin, ATTACKER) == 4
    event = db.execute("SELECT username, action, item_code, details FROM audit_events ORDER BY seq DESC").fetchone()
    assert (event[0], event[1], event[2], json.loads(event[3])) == (
        "admin",
        "sign_in.client_clear",
        ATTACKER,
        {"failures": 4},
    )
    assert throttle.authenticate(db, ATTACKER, "analyst", passwords["analyst"], POLICY).username == "analyst"
    with pytest.raises(NotFound):
        throttle.clear(db, admin, ATTACKER)


@pytest.mark.parametrize("who", ["analyst", "reviewer"])
def test_only_administrators_see_or_clear(db, who):
    actor = users.user_by_name(db, who)
    with pytest.raises(PermissionDenied):
        throttle.clients(db, actor, POLICY)
    with pytest.raises(PermissionDenied):
        throttle.clear(db, actor, ATTACKER)


def test_the_cli_lists_and_clears_addresses(run, db):
    for _ in range(3):
        _refused(db, ATTACKER, "nobody-known")
    listed = json.loads(cli_ok(run("user", "addresses", "--format", "json")))
    assert [(row["client"], row["failures"], row["held_back"]) for row in listed] == [(ATTACKER, 3, False)]
    assert cli_ok(run("user", "clear-address", ATTACKER)) == f"3 failed sign-ins from {ATTACKER} cleared\n"
    assert cli_refused(run("user", "clear-address", ATTACKER)) == f"error: No failed sign-ins from {ATTACKER}.\n"
    event = db.execute("SELECT username, details FROM audit_events WHERE action = 'sign_in.client_clear'").fetchone()
    assert (event[0], json.loads(event[1])) == ("system", {"failures": 3, "channel": "cli"})

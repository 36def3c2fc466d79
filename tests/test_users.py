"""User accounts and signing in: creating, passwords, lockout, temporary passwords, deactivation,
single sign-on, roles and e-mail addresses.

Every refusal is checked to leave the database as it was: the row count of every table (`counts`)
and every column of every users row. A refused sign-in writes exactly one audit event (and, for a
wrong password, counts the failure); nothing else.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from workbench import access, cases, users
from workbench.access import SYSTEM, Right
from workbench.config import SignInPolicy
from workbench.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationError
from workbench.timeutil import from_iso_utc, to_iso_utc

from .conftest import CASE

GOOD_PASSWORD = "a-perfectly-fine-password"
NEW_PASSWORD = "a-brand-new-passphrase"
TEMPORARY = "temporary-passphrase-1"
REFUSAL = str(users.refusal(users.DEFAULT_POLICY))
NOT_READY = "Set a new password first: yours was a temporary one."
WRONG_GUESSES = ("wrong-guess-number-1", "wrong-guess-number-2", "wrong-guess-number-3", "wrong-guess-number-4",
                 "wrong-guess-number-5", "wrong-guess-number-6")  # fmt: skip
QUICK = SignInPolicy(lockout_attempts=2)  # fewer argon2 checks where the number does not matter


def _events(db, after: int = 0) -> list[dict]:
    return list(db.query("SELECT * FROM audit_events WHERE seq > ? ORDER BY seq", (after,)))


def _last_seq(db) -> int:
    return db.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0]


def _rows(db) -> list[dict]:
    """Every column of every users row, to compare before and after."""
    return list(db.query("SELECT * FROM users ORDER BY id"))


def _row(db, username: str) -> dict:
    return next(db.query("SELECT * FROM users WHERE username = ?", (username,)))


def _changed(rows: list[dict], username: str, **columns) -> list[dict]:
    """The rows as they should be after one user's columns changed."""
    return [{**row, **columns} if row["username"] == username else row for row in rows]


def _plus_events(before: dict[str, int], n: int = 1) -> dict[str, int]:
    return {**before, "audit_events": before["audit_events"] + n}


def _refused(db, username, password, policy: SignInPolicy = users.DEFAULT_POLICY) -> str:
    with pytest.raises(AuthenticationFailed) as raised:
        users.authenticate(db, username, password, policy)
    return str(raised.value)


def _lock(db, username: str, policy: SignInPolicy) -> str:
    """Fail policy.lockout_attempts times in a row; returns locked_until."""
    for guess in WRONG_GUESSES[: policy.lockout_attempts]:
        _refused(db, username, guess, policy)
    locked_until = _row(db, username)["locked_until"]
    assert locked_until is not None
    return locked_until


def _expire_lock(db, username: str) -> None:
    past = to_iso_utc(datetime.now(UTC) - timedelta(seconds=1))
    db.execute("UPDATE users SET locked_until = ? WHERE username = ?", (past, username))


# --- creating users ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "password", "field", "reason"),
    [
        ("", GOOD_PASSWORD, "username", "is required"),
        ("a", GOOD_PASSWORD, "username", "must be 2-64"),
        ("two words", GOOD_PASSWORD, "username", "must be 2-64"),
        ("-dash-first", GOOD_PASSWORD, "username", "start with a letter or digit"),
        ("x" * 10_000, GOOD_PASSWORD, "username", "must be at most 64 characters (it has 10000)"),
        ("nul\x00name", GOOD_PASSWORD, "username", "without control characters"),
        ("robert'); DROP TABLE users;--", GOOD_PASSWORD, "username", "must be 2-64"),
        ("' OR 1=1 --", GOOD_PASSWORD, "username", "must be 2-64"),
        ("'; DROP TABLE users; --", GOOD_PASSWORD, "username", "must be 2-64"),
        ("<script>alert(1)</script>", GOOD_PASSWORD, "username", "must be 2-64"),
        ("carol", "", "password", "is required"),
        ("carol", None, "password", "is required"),
        ("carol", "short-pw", "password", "at least 12 characters"),
        ("carol", "' OR 1=1 --", "password", "at least 12 characters"),
        ("longusername1", "LongUsername1", "password", "must not be the username"),
        ("carol", "twelve-chars\x00-and-nul", "password", "must not contain NUL"),
        ("carol", "p" * 1025, "password", "at most 1024 characters"),
        ("carol", "p" * 10_000, "password", "at most 1024 characters"),
        ("carol", "Sunshine2026!", "password", "is too common"),
        ("carol", "abcabcabcabc", "password", "is a short pattern repeated"),
    ],
    ids=[
        "empty", "one-char", "space", "leading-dash", "10000-chars", "nul", "sql", "sql-or", "sql-drop", "html",
        "no-password", "none-password", "short-password", "sql-password", "password-is-username", "nul-password",
        "long-password", "10000-char-password", "common-password", "repeated-password",
    ],
)  # fmt: skip
def test_create_user_refuses_bad_input_naming_the_field(db, counts, username, password, field, reason):
    before, rows = counts(), _rows(db)
    with pytest.raises(ValidationError) as raised:
        users.create_user(db, SYSTEM, username, "analyst", password)
    assert field in raised.value.errors, raised.value.errors
    assert reason in raised.value.errors[field]
    assert len(str(raised.value)) < 400  # a huge input is not echoed back whole
    assert (counts(), _rows(db)) == (before, rows)


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"display_name": "Carol\nAdmin"}, "display_name", "one line without control characters"),
        ({"display_name": "Carol\x00"}, "display_name", "one line without control characters"),
        ({"display_name": "C" * 10_000}, "display_name", "at most 200 characters (it has 10000)"),
        ({"email": "not-an-email"}, "email", "is not an e-mail address"),
        ({"email": "carol@localhost"}, "email", "is not an e-mail address"),
        ({"email": "x" * 10_000 + "@example.org"}, "email", "is not an e-mail address"),
        ({"email": "carol\x00@example.org"}, "email", "is not an e-mail address"),
        ({"email": "<script>alert(1)</script>@example.org"}, "email", "is not an e-mail address"),
        ({"email": "' OR 1=1 --@example.org"}, "email", "is not an e-mail address"),
        ({"email": "carol smith@example.org"}, "email", "is not an e-mail address"),
    ],
    ids=["multi-line-name", "nul-name", "10000-char-name", "no-at", "no-dot", "10000-char-email", "nul-email",
         "html-email", "sql-email", "space-email"],
)  # fmt: skip
def test_create_user_refuses_a_bad_display_name_or_email(db, counts, changes, field, reason):
    before, rows = counts(), _rows(db)
    with pytest.raises(ValidationError) as raised:
        users.create_user(db, SYSTEM, "carol", "analyst", GOOD_PASSWORD, **changes)
    assert set(raised.value.errors) == {field}
    assert reason in raised.value.errors[field]
    assert len(str(raised.value)) < 400
    assert (counts(), _rows(db)) == (before, rows)


@pytest.mark.parametrize("reserved", ["System", "system", "(unknown)"])
def test_the_names_the_audit_log_uses_cannot_be_taken_by_a_user(db, counts, reserved):
    # The CLI operator is audited as "system": a user of that name would be indistinguishable in the log.
    before, rows = counts(), _rows(db)
    with pytest.raises(ValidationError) as raised:
        users.create_user(db, SYSTEM, reserved, "admin", GOOD_PASSWORD)
    assert "username" in raised.value.errors
    assert (counts(), _rows(db)) == (before, rows)


def test_create_user_refuses_an_unknown_role(db, counts):
    before, rows = counts(), _rows(db)
    with pytest.raises(ValidationError) as raised:
        users.create_user(db, SYSTEM, "carol", "superuser", GOOD_PASSWORD)
    assert set(raised.value.errors) == {"role"}
    assert "admin, analyst, reviewer" in raised.value.errors["role"]
    assert (counts(), _rows(db)) == (before, rows)


def test_create_user_names_every_bad_field_at_once(db):
    with pytest.raises(ValidationError) as raised:
        users.create_user(db, SYSTEM, "a b", "wizard", "short", display_name="x\ny", email="nope")
    assert set(raised.value.errors) == {"username", "role", "password", "display_name", "email"}


@pytest.mark.parametrize("taken", ["analyst", "ANALYST", " Analyst "])
def test_create_user_refuses_a_taken_username_in_any_letter_case(db, counts, taken):
    before, rows = counts(), _rows(db)
    with pytest.raises(ValidationError) as raised:
        users.create_user(db, SYSTEM, taken, "analyst", GOOD_PASSWORD)
    assert raised.value.errors == {"username": "analyst is taken"}
    assert (counts(), _rows(db)) == (before, rows)


@pytest.mark.parametrize("who", ["analyst", "reviewer"])
def test_only_an_administrator_can_create_users(db, counts, who):
    actor = users.user_by_name(db, who)
    before, rows = counts(), _rows(db)
    with pytest.raises(PermissionDenied, match="Only an administrator can add users"):
        users.create_user(db, actor, "carol", "analyst", GOOD_PASSWORD)
    assert (counts(), _rows(db)) == (before, rows)


def test_an_administrator_creates_a_user_with_a_hashed_password(db, admin):
    seq = _last_seq(db)
    created = users.create_user(db, admin, "Carol", "reviewer", GOOD_PASSWORD, display_name="Carol R")
    assert (created.username, created.role, created.display_name) == ("carol", "reviewer", "Carol R")
    assert created.must_change_password is False
    row = next(db.query("SELECT * FROM users WHERE id = ?", (created.id,)))
    assert row["password_hash"].startswith("$argon2id$")
    assert GOOD_PASSWORD not in row["password_hash"]
    assert (row["active"], row["must_change_password"], row["failed_sign_ins"], row["email"]) == (1, 0, 0, None)
    assert row["locked_until"] is None
    assert row["password_changed_at"] == row["created_at"]
    [event] = _events(db, seq)
    assert (event["username"], event["action"], event["item_code"]) == ("admin", "user.create", "carol")
    assert json.loads(event["details"]) == {"role": "reviewer", "temporary_password": False, "email": None}
    assert GOOD_PASSWORD not in json.dumps(event)


def test_create_user_stores_the_email_in_lower_case(db, admin):
    seq = _last_seq(db)
    users.create_user(db, admin, "carol", "analyst", GOOD_PASSWORD, email="  Carol.Smith@Example.ORG ")
    assert _row(db, "carol")["email"] == "carol.smith@example.org"
    [event] = _events(db, seq)
    assert json.loads(event["details"])["email"] == "carol.smith@example.org"


def test_display_name_defaults_to_the_username(db):
    created = users.create_user(db, SYSTEM, "dana", "analyst", GOOD_PASSWORD)
    assert created.display_name == "dana"


def test_sql_and_html_in_a_password_are_just_characters(db, counts):
    # The password is hashed, never put into SQL: a user may choose it, and only it signs them in.
    sql_password = "'; DROP TABLE users; --"
    users.create_user(db, SYSTEM, "carol", "analyst", sql_password, display_name="<script>alert(1)</script>")
    assert _row(db, "carol")["display_name"] == "<script>alert(1)</script>"  # stored as text; pages escape it
    assert users.authenticate(db, "carol", sql_password).username == "carol"
    rows = _rows(db)
    assert _refused(db, "carol", "' OR 1=1 --") == REFUSAL
    assert _rows(db) == _changed(rows, "carol", failed_sign_ins=1)
    assert counts()["users"] == 5


# --- signing in ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["analyst", "  ANALYST  "])
def test_authenticate_with_the_right_password(db, analyst, passwords, typed):
    seq = _last_seq(db)
    signed_in = users.authenticate(db, typed, passwords["analyst"])
    assert signed_in == analyst
    [event] = _events(db, seq)
    assert (event["username"], event["action"]) == ("analyst", "sign_in")
    assert json.loads(event["details"]) == {"method": "password"}


def test_wrong_password_and_unknown_user_fail_the_same_way(db):
    wrong_password = _refused(db, "analyst", "not-the-password-at-all")
    unknown_user = _refused(db, "nobody-here", "not-the-password-at-all")
    assert wrong_password == unknown_user == REFUSAL
    assert REFUSAL.startswith("Sign-in refused: wrong username or password.")
    assert "After 5 failed attempts in a row an account is locked for 15 minutes" in REFUSAL


def test_the_refusal_names_the_policy_in_force(db):
    policy = SignInPolicy(lockout_attempts=3, lockout_minutes=0.5)
    message = _refused(db, "analyst", "not-the-password-at-all", policy)
    assert message == str(users.refusal(policy))
    assert "After 3 failed attempts in a row an account is locked for 0.5 minutes" in message


@pytest.mark.parametrize("password", ["", None, "x" * 5000])
def test_authenticate_refuses_empty_or_absurd_passwords(db, password):
    assert _refused(db, "analyst", password) == REFUSAL


def test_another_users_password_does_not_work(db, passwords):
    assert _refused(db, "analyst", passwords["analyst2"]) == REFUSAL


def test_failed_sign_ins_are_audited_without_the_password(db):
    seq = _last_seq(db)
    secret = "my-secret-guess-123"
    for username in ("analyst", "nobody-here"):
        _refused(db, username, secret)
    known, unknown = _events(db, seq)
    assert (known["action"], known["username"]) == ("sign_in.failed", "analyst")
    assert json.loads(known["details"]) == {"reason": "wrong password"}
    assert (unknown["action"], unknown["username"]) == ("sign_in.failed", "(unknown)")
    assert json.loads(unknown["details"]) == {"reason": "unknown username"}
    for event in (known, unknown):
        assert secret not in json.dumps(event)
    assert "nobody-here" not in json.dumps(unknown)  # a password typed into the username box stays out


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("x" * 10_000, GOOD_PASSWORD, "unknown username"),
        ("analyst", "x" * 10_000, "wrong password"),
        ("ana\x00lyst", "analyst-password-2026", "unknown username"),
        ("analyst\x00", "analyst-password-2026", "unknown username"),
        ("analyst", "analyst-password-2026\x00", "wrong password"),
        ("analyst", "\x00", "wrong password"),
        ("' OR 1=1 --", "' OR 1=1 --", "unknown username"),
        ("analyst' --", GOOD_PASSWORD, "unknown username"),
        ("analyst", "' OR 1=1 --", "wrong password"),
        ("analyst", "' OR '1'='1", "wrong password"),
        ("'; DROP TABLE users; --", GOOD_PASSWORD, "unknown username"),
        ("analyst", "'; DROP TABLE users; --", "wrong password"),
        ("<script>alert(1)</script>", GOOD_PASSWORD, "unknown username"),
        ("analyst", "<script>alert(1)</script>", "wrong password"),
        (None, None, "unknown username"),
        ("analyst", b"analyst-password-2026", "wrong password"),
        ("analyst", 12345678901234, "wrong password"),
        ("system", GOOD_PASSWORD, "unknown username"),
        ("(unknown)", GOOD_PASSWORD, "unknown username"),
    ],
    ids=[
        "10000-char-username", "10000-char-password", "nul-in-username", "nul-after-username",
        "nul-after-right-password", "nul-password", "sql-both", "sql-comment-username", "sql-password",
        "sql-quote-password", "sql-drop-username", "sql-drop-password", "html-username", "html-password",
        "none", "bytes-of-right-password", "int-password", "system", "unknown-marker",
    ],
)  # fmt: skip
def test_hostile_sign_in_input_is_refused_and_changes_nothing_else(db, counts, username, password, reason):
    before, rows = counts(), _rows(db)
    seq = _last_seq(db)
    assert _refused(db, username, password) == REFUSAL
    [event] = _events(db, seq)
    assert event["action"] == "sign_in.failed"
    assert json.loads(event["details"]) == {"reason": reason}
    assert counts() == _plus_events(before)
    if reason == "wrong password":
        assert event["username"] == "analyst"
        assert _rows(db) == _changed(rows, "analyst", failed_sign_ins=1)
    else:
        assert event["username"] == "(unknown)"
        assert _rows(db) == rows
    assert db.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 4


# --- lockout -------------------------------------------------------------------------------------


def test_four_failures_then_the_right_password_resets_the_count(db, passwords):
    for guess in WRONG_GUESSES[:4]:
        assert _refused(db, "analyst", guess) == REFUSAL
    row = _row(db, "analyst")
    assert (row["failed_sign_ins"], row["locked_until"]) == (4, None)
    assert users.authenticate(db, "analyst", passwords["analyst"]).username == "analyst"
    row = _row(db, "analyst")
    assert (row["failed_sign_ins"], row["locked_until"]) == (0, None)
    # The count starts again from nothing: one more failure is the first, not the fifth.
    _refused(db, "analyst", WRONG_GUESSES[4])
    row = _row(db, "analyst")
    assert (row["failed_sign_ins"], row["locked_until"]) == (1, None)


def test_five_failures_in_a_row_lock_the_account_with_these_events(db, counts):
    seq = _last_seq(db)
    started = datetime.now(UTC).replace(microsecond=0)
    for guess in WRONG_GUESSES[:5]:
        assert _refused(db, "analyst", guess) == REFUSAL
    row = _row(db, "analyst")
    assert row["failed_sign_ins"] == 0
    locked_until = from_iso_utc(row["locked_until"])
    assert started + timedelta(minutes=15) <= locked_until <= datetime.now(UTC) + timedelta(minutes=15)
    events = _events(db, seq)
    assert [(e["username"], e["action"]) for e in events] == [("analyst", "sign_in.failed")] * 5 + [
        ("analyst", "account.locked")
    ]
    assert all(json.loads(e["details"]) == {"reason": "wrong password"} for e in events[:5])
    assert json.loads(events[5]["details"]) == {"failures_in_a_row": 5, "locked_until": row["locked_until"]}


def test_the_right_password_is_refused_while_locked_with_the_same_message(db, counts, passwords):
    # A sign-in form replayed with the right password after the lock must not get in or say why.
    _lock(db, "analyst", users.DEFAULT_POLICY)
    before, rows, seq = counts(), _rows(db), _last_seq(db)
    right = _refused(db, "analyst", passwords["analyst"])
    wrong = _refused(db, "analyst", "yet-another-wrong-guess")
    assert right == wrong == REFUSAL
    events = _events(db, seq)
    assert [(e["username"], e["action"], json.loads(e["details"])) for e in events] == [
        ("analyst", "sign_in.failed", {"reason": "account locked"})
    ] * 2  # no second account.locked: failures while locked neither count nor extend the lock
    assert counts() == _plus_events(before, 2)
    assert _rows(db) == rows


def test_a_locked_account_shows_in_the_user_list(db, admin):
    until = _lock(db, "analyst", QUICK)
    listed = users.list_users(db, admin).set_index("username")
    assert listed.loc["analyst", "locked_until"] == until
    assert listed["locked_until"].drop("analyst").isna().all()


def test_a_lock_expires_and_the_count_then_starts_afresh(db, passwords):
    _lock(db, "analyst", QUICK)
    _expire_lock(db, "analyst")
    seq = _last_seq(db)
    # One failure after the lock has run out is the first of a new run, not another lock.
    _refused(db, "analyst", "wrong-after-the-lock", QUICK)
    row = _row(db, "analyst")
    assert (row["failed_sign_ins"], row["locked_until"]) == (1, None)
    assert users.authenticate(db, "analyst", passwords["analyst"], QUICK).username == "analyst"
    assert [json.loads(e["details"]) for e in _events(db, seq)] == [
        {"reason": "wrong password"},
        {"method": "password"},
    ]
    row = _row(db, "analyst")
    assert (row["failed_sign_ins"], row["locked_until"]) == (0, None)


def test_a_short_lock_runs_out_by_itself(db, passwords):
    policy = SignInPolicy(lockout_attempts=3, lockout_minutes=0.001)
    until = _lock(db, "analyst", policy)
    # Times are stored to the second: wait until the clock is past locked_until.
    time.sleep(max(0.0, (from_iso_utc(until) - datetime.now(UTC)).total_seconds()) + 1.05)
    assert users.authenticate(db, "analyst", passwords["analyst"], policy).username == "analyst"
    assert _row(db, "analyst")["locked_until"] is None


def test_an_administrator_unlocks_an_account(db, counts, admin, analyst2, passwords):
    _lock(db, "analyst", QUICK)
    before, rows = counts(), _rows(db)
    with pytest.raises(PermissionDenied, match="Only an administrator can unlock accounts"):
        users.unlock(db, analyst2, "analyst")
    with pytest.raises(NotFound, match="No user nobody"):
        users.unlock(db, admin, "nobody")
    assert (counts(), _rows(db)) == (before, rows)
    seq = _last_seq(db)
    users.unlock(db, admin, " Analyst ")
    assert _rows(db) == _changed(rows, "analyst", failed_sign_ins=0, locked_until=None)
    [event] = _events(db, seq)
    assert (event["username"], event["action"], event["item_code"]) == ("admin", "user.unlock", "analyst")
    assert users.authenticate(db, "analyst", passwords["analyst"], QUICK).username == "analyst"


def test_failures_on_one_account_do_not_lock_another(db, passwords):
    policy = SignInPolicy(lockout_attempts=3)
    _lock(db, "analyst", policy)
    for _ in range(3):
        _refused(db, "nobody-here", "a-guess-for-nobody", policy)  # strangers lock nothing
    _refused(db, "analyst2", "a-wrong-guess-for-analyst2", policy)
    _refused(db, "analyst2", "another-wrong-guess-2", policy)
    row = _row(db, "analyst2")
    assert (row["failed_sign_ins"], row["locked_until"]) == (2, None)
    assert users.authenticate(db, "analyst2", passwords["analyst2"], policy).username == "analyst2"
    assert _refused(db, "analyst", passwords["analyst"], policy)  # still locked
    locked = [r["username"] for r in db.query("SELECT username FROM users WHERE locked_until IS NOT NULL")]
    assert locked == ["analyst"]


def test_no_password_ever_reaches_the_audit_log(db, admin, passwords):
    secrets = [passwords["analyst"], passwords["analyst2"], *WRONG_GUESSES[:5], GOOD_PASSWORD, TEMPORARY, NEW_PASSWORD]
    users.authenticate(db, "analyst2", passwords["analyst2"])
    _lock(db, "analyst", users.DEFAULT_POLICY)
    _refused(db, "analyst", passwords["analyst"])  # locked
    _refused(db, passwords["analyst"], passwords["analyst"])  # a password typed as the username
    users.create_user(db, admin, "carol", "analyst", GOOD_PASSWORD, temporary=True)
    users.reset_password(db, admin, "carol", TEMPORARY)
    carol = users.authenticate(db, "carol", TEMPORARY)
    users.change_password(db, carol, TEMPORARY, NEW_PASSWORD, NEW_PASSWORD)
    with pytest.raises(ValidationError):
        users.change_password(db, carol, "wrong-guess-number-1", NEW_PASSWORD, NEW_PASSWORD)
    logged = json.dumps(_events(db))
    for secret in secrets:
        assert secret not in logged


# --- temporary passwords -------------------------------------------------------------------------


def test_a_user_created_with_a_temporary_password_is_flagged(db, admin):
    seq = _last_seq(db)
    created = users.create_user(db, admin, "carol", "analyst", TEMPORARY, temporary=True)
    assert created.must_change_password is True
    assert _row(db, "carol")["must_change_password"] == 1
    assert json.loads(_events(db, seq)[0]["details"])["temporary_password"] is True
    assert bool(users.list_users(db, admin).set_index("username").loc["carol", "temporary_password"]) is True
    signed_in = users.authenticate(db, "carol", TEMPORARY)  # signing in works; doing anything does not
    assert signed_in.must_change_password is True


def test_a_temporary_password_allows_nothing_in_a_case(db, counts, admin):
    users.reset_password(db, admin, "analyst", TEMPORARY)  # the lead of CASE-1
    lead = users.authenticate(db, "analyst", TEMPORARY)
    for right in Right:
        with pytest.raises(PermissionDenied) as raised:
            access.authorize(db, lead, right, CASE)
        assert str(raised.value) == NOT_READY
        assert not access.allowed(db, lead, right, CASE)
    before, rows = counts(), _rows(db)
    with pytest.raises(PermissionDenied, match="^Set a new password first"):
        cases.add_member(db, lead, CASE, "analyst2", "analyst")
    assert (counts(), _rows(db)) == (before, rows)


def test_a_temporary_password_allows_no_administration(db, counts, admin):
    boss = users.create_user(db, admin, "boss", "admin", TEMPORARY, temporary=True)
    assert boss.is_admin
    before, rows = counts(), _rows(db)
    with pytest.raises(PermissionDenied) as raised:
        access.require_admin(db, boss, "add users")
    assert str(raised.value) == NOT_READY
    for attempt in (
        lambda: users.list_users(db, boss),
        lambda: users.create_user(db, boss, "carol", "admin", GOOD_PASSWORD),
        lambda: users.set_role(db, boss, "analyst", "admin"),
        lambda: users.reset_password(db, boss, "admin", GOOD_PASSWORD),
        lambda: users.set_active(db, boss, "admin", False),
        lambda: users.unlock(db, boss, "analyst"),
        lambda: users.set_email(db, boss, "boss", "boss@example.org"),
    ):
        with pytest.raises(PermissionDenied, match="^Set a new password first"):
            attempt()
    assert (counts(), _rows(db)) == (before, rows)


def test_a_temporary_password_cannot_open_a_case(db, counts, admin):
    users.reset_password(db, admin, "analyst", TEMPORARY)
    lead = users.user_by_name(db, "analyst")
    assert not access.may_create_cases(lead)
    before, rows = counts(), _rows(db)
    with pytest.raises(PermissionDenied):
        cases.open_case(db, lead, "Another case")
    assert (counts(), _rows(db)) == (before, rows)


def test_a_temporary_password_refusal_to_open_a_case_says_why(db, admin):
    users.reset_password(db, admin, "analyst", TEMPORARY)
    lead = users.user_by_name(db, "analyst")
    with pytest.raises(PermissionDenied, match="^Set a new password first"):
        cases.open_case(db, lead, "Another case")


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "reason"),
    [
        ("not-the-temporary-one", NEW_PASSWORD, NEW_PASSWORD, "current_password", "is not your current password"),
        (None, NEW_PASSWORD, NEW_PASSWORD, "current_password", "is not your current password"),
        (TEMPORARY, NEW_PASSWORD, NEW_PASSWORD + "x", "confirm_password", "does not match the new password"),
        (TEMPORARY, NEW_PASSWORD, "", "confirm_password", "does not match the new password"),
        (TEMPORARY, TEMPORARY, TEMPORARY, "new_password", "must differ from the current one"),
        (TEMPORARY, "Sunshine2026!", "Sunshine2026!", "new_password", "is too common"),
        (TEMPORARY, "short-one", "short-one", "new_password", "at least 12 characters"),
        (TEMPORARY, "", "", "new_password", "is required"),
        (TEMPORARY, "Analyst-2026!", "Analyst-2026!", "new_password", "must not be the username"),
        (TEMPORARY, "n" * 10_000, "n" * 10_000, "new_password", "at most 1024 characters"),
        (TEMPORARY, "new-with-\x00-nul-inside", "new-with-\x00-nul-inside", "new_password", "NUL"),
    ],
    ids=["wrong-current", "no-current", "mismatch", "no-confirm", "same-as-current", "common", "short", "empty",
         "username", "10000-chars", "nul"],
)  # fmt: skip
def test_change_password_refuses_naming_the_field(db, counts, admin, current, new, confirm, field, reason):
    users.reset_password(db, admin, "analyst", TEMPORARY)
    lead = users.user_by_name(db, "analyst")
    before, rows = counts(), _rows(db)
    with pytest.raises(ValidationError) as raised:
        users.change_password(db, lead, current, new, confirm)
    assert field in raised.value.errors, raised.value.errors
    assert reason in raised.value.errors[field]
    assert _row(db, "analyst")["must_change_password"] == 1
    if field == "current_password":
        # A wrong current password is a failed attempt: audited and counted towards the lockout.
        assert counts() == {**before, "audit_events": before["audit_events"] + 1}
        assert _row(db, "analyst")["failed_sign_ins"] == 1
        last = next(db.query("SELECT * FROM audit_events ORDER BY seq DESC LIMIT 1"))
        assert (last["username"], last["action"]) == ("analyst", "password.change.failed")
    else:
        assert (counts(), _rows(db)) == (before, rows)  # still temporary, same hash


def test_guessing_the_current_password_locks_the_account(db, analyst, passwords):
    policy = SignInPolicy(lockout_attempts=3)
    for _ in range(3):
        with pytest.raises(ValidationError):
            users.change_password(db, analyst, "a-wrong-guess-here", NEW_PASSWORD, NEW_PASSWORD, policy)
    assert _row(db, "analyst")["locked_until"] is not None
    with pytest.raises(AuthenticationFailed):
        users.authenticate(db, "analyst", passwords["analyst"], policy)


def test_the_last_administrator_keeps_the_role(db, counts):
    before, rows = counts(), _rows(db)
    with pytest.raises(PermissionDenied, match="last active administrator"):
        users.set_role(db, SYSTEM, "admin", "analyst")
    assert (counts(), _rows(db)) == (before, rows)


def test_change_password_names_every_bad_field_at_once(db, analyst):
    with pytest.raises(ValidationError) as raised:
        users.change_password(db, analyst, "not-my-password", "short", "short")
    assert set(raised.value.errors) == {"current_password", "new_password"}


def test_setting_a_new_password_clears_the_temporary_flag(db, admin):
    users.reset_password(db, admin, "analyst", TEMPORARY)
    lead = users.authenticate(db, "analyst", TEMPORARY)
    old_hash = _row(db, "analyst")["password_hash"]
    seq = _last_seq(db)
    ready = users.change_password(db, lead, TEMPORARY, NEW_PASSWORD, NEW_PASSWORD)
    assert ready.must_change_password is False
    row = _row(db, "analyst")
    assert row["must_change_password"] == 0
    assert row["password_hash"] != old_hash and row["password_hash"].startswith("$argon2id$")
    [event] = _events(db, seq)
    assert (event["username"], event["action"], json.loads(event["details"])) == (
        "analyst",
        "password.change",
        {"was_temporary": True},
    )
    assert access.authorize(db, ready, Right.RECORD, CASE).reference == CASE
    assert _refused(db, "analyst", TEMPORARY) == REFUSAL
    assert users.authenticate(db, "analyst", NEW_PASSWORD).must_change_password is False


def test_reset_password_makes_it_temporary_again_and_unlocks(db, admin, passwords):
    _lock(db, "analyst", QUICK)
    seq = _last_seq(db)
    users.reset_password(db, admin, "analyst", TEMPORARY)
    row = _row(db, "analyst")
    assert (row["must_change_password"], row["failed_sign_ins"], row["locked_until"]) == (1, 0, None)
    [event] = _events(db, seq)
    assert (event["username"], event["action"], event["item_code"]) == ("admin", "user.password_reset", "analyst")
    assert _refused(db, "analyst", passwords["analyst"], QUICK) == str(users.refusal(QUICK))  # the old one is gone
    assert users.authenticate(db, "analyst", TEMPORARY, QUICK).must_change_password is True


@pytest.mark.parametrize(
    ("who", "username", "password", "error", "message"),
    [
        ("analyst", "analyst2", TEMPORARY, PermissionDenied, "Only an administrator can reset passwords"),
        ("admin", "nobody", TEMPORARY, NotFound, "No user nobody"),
        ("admin", "analyst", "Sunshine2026!", ValidationError, "temporary_password: is too common"),
        ("admin", "analyst", "short", ValidationError, "temporary_password: must be at least 12"),
        ("admin", "analyst", "Analyst!!!!!!", ValidationError, "temporary_password: must not be the username"),
    ],
    ids=["not-admin", "unknown-user", "common", "short", "username"],
)
def test_reset_password_refusals_change_nothing(db, counts, who, username, password, error, message):
    actor = users.user_by_name(db, who)
    before, rows = counts(), _rows(db)
    with pytest.raises(error, match=message):
        users.reset_password(db, actor, username, password)
    assert (counts(), _rows(db)) == (before, rows)


# --- deactivation --------------------------------------------------------------------------------


def test_a_deactivated_user_cannot_sign_in_and_their_session_ends(db, counts, admin, analyst, passwords):
    seq = _last_seq(db)
    users.set_active(db, admin, "analyst", False)
    [event] = _events(db, seq)
    assert (event["username"], event["action"], event["item_code"]) == ("admin", "user.deactivate", "analyst")
    assert users.current_actor(db, analyst.id) is None  # the open session stops at its next click
    with pytest.raises(NotFound):
        users.user_by_name(db, "analyst")
    before, rows, seq = counts(), _rows(db), _last_seq(db)
    assert _refused(db, "analyst", passwords["analyst"]) == REFUSAL  # same message as a wrong password
    assert _refused(db, "analyst", "a-wrong-one-as-well") == REFUSAL
    assert [json.loads(e["details"]) for e in _events(db, seq)] == [{"reason": "account deactivated"}] * 2
    assert counts() == _plus_events(before, 2)
    assert _rows(db) == rows  # failures on a deactivated account are not counted
    with pytest.raises(NotFound):
        users.change_password(db, analyst, passwords["analyst"], NEW_PASSWORD, NEW_PASSWORD)
    assert _rows(db) == rows


def test_a_deactivated_user_is_reactivated(db, admin, analyst, passwords):
    users.set_active(db, admin, "analyst", False)
    seq = _last_seq(db)
    users.set_active(db, admin, "ANALYST", True)
    [event] = _events(db, seq)
    assert (event["username"], event["action"], event["item_code"]) == ("admin", "user.activate", "analyst")
    assert users.current_actor(db, analyst.id) == analyst
    assert users.authenticate(db, "analyst", passwords["analyst"]) == analyst


def test_an_administrator_cannot_deactivate_themself(db, counts, admin):
    users.create_user(db, admin, "admin2", "admin", GOOD_PASSWORD)  # not the last admin, still refused
    before, rows = counts(), _rows(db)
    with pytest.raises(PermissionDenied, match="You cannot deactivate your own account"):
        users.set_active(db, admin, "admin", False)
    assert (counts(), _rows(db)) == (before, rows)


def test_the_last_active_administrator_cannot_be_deactivated(db, counts, admin):
    before, rows = counts(), _rows(db)
    with pytest.raises(PermissionDenied, match="admin is the last active administrator"):
        users.set_active(db, SYSTEM, "admin", False)
    assert (counts(), _rows(db)) == (before, rows)
    users.create_user(db, admin, "admin2", "admin", GOOD_PASSWORD)
    users.set_active(db, SYSTEM, "admin", False)  # now there is another
    before, rows = counts(), _rows(db)
    with pytest.raises(PermissionDenied, match="admin2 is the last active administrator"):
        users.set_active(db, SYSTEM, "admin2", False)
    assert (counts(), _rows(db)) == (before, rows)


@pytest.mark.parametrize(
    ("who", "username", "error", "message"),
    [
        ("analyst", "analyst2", PermissionDenied, "Only an administrator can deactivate or reactivate accounts"),
        ("reviewer", "reviewer", PermissionDenied, "Only an administrator"),
        ("admin", "nobody", NotFound, "No user nobody"),
        ("admin", "x" * 10_000, NotFound, "No user x+…"),
    ],
    ids=["analyst", "reviewer-self", "unknown", "10000-chars"],
)
def test_deactivation_refusals_change_nothing(db, counts, who, username, error, message):
    actor = users.user_by_name(db, who)
    before, rows = counts(), _rows(db)
    with pytest.raises(error, match=message):
        users.set_active(db, actor, username, False)
    assert (counts(), _rows(db)) == (before, rows)


def test_current_actor_rereads_the_user(db, analyst):
    assert users.current_actor(db, analyst.id) == analyst
    assert users.current_actor(db, 999_999) is None


def test_current_actor_sees_a_password_reset_at_the_next_click(db, admin, analyst):
    users.reset_password(db, admin, "analyst", TEMPORARY)
    assert users.current_actor(db, analyst.id).must_change_password is True


# --- single sign-on ------------------------------------------------------------------------------


def _claims(email, verified=True) -> users.SingleSignOnClaims:
    return users.SingleSignOnClaims(email=email, email_verified=verified, subject="sub-1", issuer="https://idp.test")


@pytest.fixture
def with_email(db, admin):
    users.set_email(db, admin, "analyst", "Analyst@Example.org")
    return "analyst@example.org"


@pytest.mark.parametrize("typed", ["analyst@example.org", "ANALYST@EXAMPLE.ORG", " Analyst@example.ORG "])
def test_single_sign_on_maps_the_email_in_any_letter_case(db, with_email, analyst, typed):
    seq = _last_seq(db)
    signed_in = users.authenticate_sso(db, _claims(typed))
    assert signed_in == analyst
    [event] = _events(db, seq)
    assert (event["username"], event["action"]) == ("analyst", "sign_in")
    details = json.loads(event["details"])
    assert (details["method"], details["issuer"]) == ("single sign-on", "https://idp.test")


@pytest.mark.parametrize(
    ("claims", "reason", "logged_as"),
    [
        (_claims(None), "the identity provider gave no e-mail address", "(unknown)"),
        (_claims(""), "the identity provider gave no e-mail address", "(unknown)"),
        (_claims("not-an-email"), "the identity provider gave no e-mail address", "(unknown)"),
        (_claims("x" * 10_000 + "@example.org"), "the identity provider gave no e-mail address", "(unknown)"),
        (_claims("' OR 1=1 --@example.org"), "the identity provider gave no e-mail address", "(unknown)"),
        (_claims("analyst@example.org", False), "the identity provider has not verified this e-mail address",
         "analyst"),
        (_claims("nobody@example.org"), "no workbench account has this e-mail address", "(unknown)"),
        (_claims("analyst@example.org.evil.test"), "no workbench account has this e-mail address", "(unknown)"),
    ],
    ids=["none", "empty", "not-an-email", "10000-chars", "sql", "unverified", "unknown", "suffix"],
)  # fmt: skip
def test_single_sign_on_refusals_are_audited_and_change_nothing(db, counts, with_email, claims, reason, logged_as):
    before, rows, seq = counts(), _rows(db), _last_seq(db)
    with pytest.raises(AuthenticationFailed) as raised:
        users.authenticate_sso(db, claims)
    assert str(raised.value).startswith(f"Sign-in refused: {reason}.")
    assert len(str(raised.value)) < 400
    [event] = _events(db, seq)
    assert (event["username"], event["action"]) == (logged_as, "sign_in.failed")
    details = json.loads(event["details"])
    assert (details["method"], details["reason"]) == ("single sign-on", reason)
    assert len(event["details"]) < 400
    assert counts() == _plus_events(before)
    assert _rows(db) == rows


def test_single_sign_on_refuses_a_deactivated_account(db, counts, admin, with_email):
    users.set_active(db, admin, "analyst", False)
    before, rows, seq = counts(), _rows(db), _last_seq(db)
    with pytest.raises(AuthenticationFailed, match="^Sign-in refused: account deactivated"):
        users.authenticate_sso(db, _claims(with_email))
    [event] = _events(db, seq)
    assert (event["username"], json.loads(event["details"])["reason"]) == ("analyst", "account deactivated")
    assert (counts(), _rows(db)) == (_plus_events(before), rows)


def test_an_email_belongs_to_one_account_in_any_letter_case(db, counts, admin, with_email):
    before, rows = counts(), _rows(db)
    with pytest.raises(ValidationError) as raised:
        users.set_email(db, admin, "analyst2", "ANALYST@example.org")
    assert raised.value.errors == {"email": "analyst@example.org is already the address of analyst"}
    with pytest.raises(ValidationError) as raised:
        users.create_user(db, admin, "carol", "analyst", GOOD_PASSWORD, email="Analyst@Example.Org")
    assert raised.value.errors == {"email": "analyst@example.org is already the address of analyst"}
    assert (counts(), _rows(db)) == (before, rows)
    users.set_email(db, admin, "analyst", "ANALYST@EXAMPLE.ORG")  # its own address again is fine
    assert _row(db, "analyst")["email"] == "analyst@example.org"


def test_removing_an_email_ends_single_sign_on_for_it(db, admin, with_email):
    seq = _last_seq(db)
    users.set_email(db, admin, "analyst", "")
    [event] = _events(db, seq)
    assert (event["username"], event["action"], event["item_code"]) == ("admin", "user.email", "analyst")
    assert json.loads(event["details"]) == {"email": None}
    assert _row(db, "analyst")["email"] is None
    with pytest.raises(AuthenticationFailed, match="no workbench account has this e-mail address"):
        users.authenticate_sso(db, _claims(with_email))
    users.set_email(db, admin, "analyst2", with_email)  # the address is free again
    assert users.authenticate_sso(db, _claims(with_email)).username == "analyst2"


@pytest.mark.parametrize(
    ("who", "username", "email", "error", "message"),
    [
        ("analyst", "analyst", "analyst@example.org", PermissionDenied, "Only an administrator can set e-mail"),
        ("admin", "nobody", "nobody@example.org", NotFound, "No user nobody"),
        ("admin", "analyst", "<script>@example.org", ValidationError, "email: .* is not an e-mail address"),
        ("admin", "analyst", "analyst\x00@example.org", ValidationError, "is not an e-mail address"),
    ],
    ids=["not-admin", "unknown-user", "html", "nul"],
)
def test_set_email_refusals_change_nothing(db, counts, who, username, email, error, message):
    actor = users.user_by_name(db, who)
    before, rows = counts(), _rows(db)
    with pytest.raises(error, match=message):
        users.set_email(db, actor, username, email)
    assert (counts(), _rows(db)) == (before, rows)


# --- roles ---------------------------------------------------------------------------------------


def test_an_administrator_changes_a_role(db, admin):
    seq = _last_seq(db)
    users.set_role(db, admin, "analyst2", "reviewer")
    assert _row(db, "analyst2")["role"] == "reviewer"
    [event] = _events(db, seq)
    assert (event["username"], event["action"], event["item_code"]) == ("admin", "user.role", "analyst2")
    assert json.loads(event["details"]) == {"from": "analyst", "to": "reviewer"}


@pytest.mark.parametrize(
    ("who", "username", "role", "error", "message"),
    [
        ("admin", "analyst", "reviewer", ValidationError, "role: analyst leads CASE-1: choose another lead first"),
        ("admin", "admin", "analyst", PermissionDenied, "You cannot take away your own administrator role"),
        ("admin", "analyst2", "superuser", ValidationError, "role: must be one of: admin, analyst, reviewer"),
        ("admin", "nobody", "analyst", NotFound, "No user nobody"),
        ("analyst", "analyst", "admin", PermissionDenied, "Only an administrator can change roles"),
    ],
    ids=["lead-to-reviewer", "own-admin-role", "unknown-role", "unknown-user", "not-admin"],
)
def test_role_change_refusals_change_nothing(db, counts, who, username, role, error, message):
    actor = users.user_by_name(db, who)
    before, rows = counts(), _rows(db)
    with pytest.raises(error, match=message):
        users.set_role(db, actor, username, role)
    assert (counts(), _rows(db)) == (before, rows)


# --- listing -------------------------------------------------------------------------------------


def test_only_an_administrator_lists_users_and_never_their_hashes(db, admin, analyst, passwords):
    with pytest.raises(PermissionDenied):
        users.list_users(db, analyst)
    listed = users.list_users(db, admin)
    assert sorted(listed["username"]) == sorted(passwords)
    assert list(listed.columns) == [
        "username", "display_name", "role", "email", "active", "locked_until", "temporary_password",
        "created_at", "last_sign_in",
    ]  # fmt: skip
    assert "password_hash" not in listed.columns


def test_the_user_list_shows_each_accounts_state(db, admin, passwords):
    users.authenticate(db, "analyst2", passwords["analyst2"])
    users.set_active(db, admin, "reviewer", False)
    users.reset_password(db, admin, "analyst", TEMPORARY)
    _expire_lock(db, "analyst2")  # a lock that has run out is not shown
    listed = users.list_users(db, admin).set_index("username")
    assert listed["active"].to_dict() == {"admin": True, "analyst": True, "analyst2": True, "reviewer": False}
    assert listed["temporary_password"].to_dict() == {
        "admin": False,
        "analyst": True,
        "analyst2": False,
        "reviewer": False,
    }
    assert listed["locked_until"].isna().all()
    assert listed.loc["analyst2", "last_sign_in"] is not None
    assert listed["last_sign_in"].drop("analyst2").isna().all()

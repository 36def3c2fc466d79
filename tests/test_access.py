"""Users, passwords, sign-in, and the one permission check (authorize)."""

from __future__ import annotations

import json

import pytest

from workbench import access, cases, observations
from workbench.access import SYSTEM, Right, authorize
from workbench.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationError

GOOD_PASSWORD = "a-perfectly-fine-password"


def _events(db, after: int = 0) -> list[dict]:
    return list(db.query("SELECT * FROM audit_events WHERE seq > ? ORDER BY seq", (after,)))


def _last_seq(db) -> int:
    return db.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0]


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
        ("<script>alert(1)</script>", GOOD_PASSWORD, "username", "must be 2-64"),
        ("carol", "", "password", "is required"),
        ("carol", "short-pw", "password", "at least 12 characters"),
        ("longusername1", "LongUsername1", "password", "must not be the username"),
        ("carol", "twelve-chars\x00-and-nul", "password", "must not contain NUL"),
        ("carol", "p" * 1025, "password", "at most 1024 characters"),
    ],
    ids=[
        "empty", "one-char", "space", "leading-dash", "10000-chars", "nul", "sql", "html", "no-password",
        "short-password", "password-is-username", "nul-password", "long-password",
    ],
)  # fmt: skip
def test_create_user_refuses_bad_input_naming_the_field(db, counts, username, password, field, reason):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        access.create_user(db, SYSTEM, username, "analyst", password)
    assert field in raised.value.errors, raised.value.errors
    assert reason in raised.value.errors[field]
    assert counts() == before


@pytest.mark.parametrize("reserved", ["System"])
def test_the_command_line_operators_name_cannot_be_taken_by_a_user(db, counts, reserved):
    # The CLI operator is audited as "system": a user of that name would be indistinguishable in the log.
    before = counts()
    with pytest.raises(ValidationError) as raised:
        access.create_user(db, SYSTEM, reserved, "admin", GOOD_PASSWORD)
    assert "username" in raised.value.errors
    assert counts() == before


def test_create_user_refuses_an_unknown_role(db, counts):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        access.create_user(db, SYSTEM, "carol", "superuser", GOOD_PASSWORD)
    assert set(raised.value.errors) == {"role"}
    assert "admin, analyst, reviewer" in raised.value.errors["role"]
    assert counts() == before


def test_create_user_refuses_a_multi_line_display_name(db, counts):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        access.create_user(db, SYSTEM, "carol", "analyst", GOOD_PASSWORD, display_name="Carol\nAdmin")
    assert set(raised.value.errors) == {"display_name"}
    assert counts() == before


def test_create_user_names_every_bad_field_at_once(db):
    with pytest.raises(ValidationError) as raised:
        access.create_user(db, SYSTEM, "a b", "wizard", "short")
    assert set(raised.value.errors) == {"username", "role", "password"}


@pytest.mark.parametrize("taken", ["analyst", "ANALYST", " Analyst "])
def test_create_user_refuses_a_taken_username_in_any_letter_case(db, counts, taken):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        access.create_user(db, SYSTEM, taken, "analyst", GOOD_PASSWORD)
    assert raised.value.errors == {"username": "analyst is taken"}
    assert counts() == before


@pytest.mark.parametrize("who", ["analyst", "reviewer"])
def test_only_an_administrator_can_create_users(db, counts, who):
    actor = access.user_by_name(db, who)
    before = counts()
    with pytest.raises(PermissionDenied, match="Only an administrator can add users"):
        access.create_user(db, actor, "carol", "analyst", GOOD_PASSWORD)
    assert counts() == before


def test_an_administrator_creates_a_user_with_a_hashed_password(db, admin):
    seq = _last_seq(db)
    created = access.create_user(db, admin, "Carol", "reviewer", GOOD_PASSWORD, display_name="Carol R")
    assert (created.username, created.role, created.display_name) == ("carol", "reviewer", "Carol R")
    row = next(db.query("SELECT * FROM users WHERE id = ?", (created.id,)))
    assert row["password_hash"].startswith("$argon2id$")
    assert GOOD_PASSWORD not in row["password_hash"]
    [event] = _events(db, seq)
    assert (event["username"], event["action"], event["item_code"]) == ("admin", "user.create", "carol")
    assert json.loads(event["details"]) == {"role": "reviewer"}
    assert GOOD_PASSWORD not in json.dumps(event)


def test_display_name_defaults_to_the_username(db):
    created = access.create_user(db, SYSTEM, "dana", "analyst", GOOD_PASSWORD)
    assert created.display_name == "dana"


# --- signing in ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["analyst", "  ANALYST  "])
def test_authenticate_with_the_right_password(db, analyst, passwords, typed):
    seq = _last_seq(db)
    signed_in = access.authenticate(db, typed, passwords["analyst"])
    assert signed_in == analyst
    [event] = _events(db, seq)
    assert (event["username"], event["action"]) == ("analyst", "sign_in")


def test_wrong_password_and_unknown_user_fail_the_same_way(db):
    with pytest.raises(AuthenticationFailed) as wrong_password:
        access.authenticate(db, "analyst", "not-the-password-at-all")
    with pytest.raises(AuthenticationFailed) as unknown_user:
        access.authenticate(db, "nobody-here", "not-the-password-at-all")
    assert str(wrong_password.value) == str(unknown_user.value) == "Wrong username or password."


@pytest.mark.parametrize("password", ["", None, "x" * 5000])
def test_authenticate_refuses_empty_or_absurd_passwords(db, password):
    with pytest.raises(AuthenticationFailed):
        access.authenticate(db, "analyst", password)


def test_another_users_password_does_not_work(db, passwords):
    with pytest.raises(AuthenticationFailed):
        access.authenticate(db, "analyst", passwords["analyst2"])


def test_failed_sign_ins_are_audited_without_the_password(db):
    seq = _last_seq(db)
    secret = "my-secret-guess-123"
    for username in ("analyst", "nobody-here"):
        with pytest.raises(AuthenticationFailed):
            access.authenticate(db, username, secret)
    known, unknown = _events(db, seq)
    assert (known["action"], known["username"]) == ("sign_in.failed", "analyst")
    assert json.loads(known["details"]) == {"username_known": True}
    assert (unknown["action"], unknown["username"]) == ("sign_in.failed", "(unknown)")
    assert json.loads(unknown["details"]) == {"username_known": False}
    for event in (known, unknown):
        assert secret not in json.dumps(event)


def test_a_deactivated_user_cannot_sign_in_and_drops_out(db, analyst, passwords):
    db.execute("UPDATE users SET active = 0 WHERE username = 'analyst'")
    with pytest.raises(AuthenticationFailed, match="Wrong username or password"):
        access.authenticate(db, "analyst", passwords["analyst"])
    assert access.current_actor(db, analyst.id) is None
    with pytest.raises(NotFound):
        access.user_by_name(db, "analyst")


def test_current_actor_rereads_the_user(db, analyst):
    assert access.current_actor(db, analyst.id) == analyst
    assert access.current_actor(db, 999_999) is None


def test_sign_out_is_audited(db, analyst):
    seq = _last_seq(db)
    access.sign_out(db, analyst)
    [event] = _events(db, seq)
    assert (event["username"], event["action"]) == ("analyst", "sign_out")


def test_only_an_administrator_lists_users_and_never_their_hashes(db, admin, analyst, passwords):
    with pytest.raises(PermissionDenied):
        access.list_users(db, analyst)
    listed = access.list_users(db, admin)
    assert sorted(listed["username"]) == sorted(passwords)
    assert "password_hash" not in listed.columns


# --- the permission matrix -----------------------------------------------------------------------

ALLOWED, DENIED, HIDDEN = "allowed", "denied", "not found"
_ALL_RIGHTS = list(Right)
MATRIX = {
    "lead": dict.fromkeys(_ALL_RIGHTS, ALLOWED),
    "analyst member": {
        Right.VIEW: ALLOWED, Right.RECORD: ALLOWED, Right.MANAGE_MEMBERS: DENIED, Right.EXPORT: DENIED,
        Right.PURGE: DENIED,
    },
    "reviewer member": {
        Right.VIEW: ALLOWED, Right.RECORD: DENIED, Right.MANAGE_MEMBERS: DENIED, Right.EXPORT: DENIED,
        Right.PURGE: DENIED,
    },
    "non-member analyst": dict.fromkeys(_ALL_RIGHTS, HIDDEN),
    "admin non-member": {
        Right.VIEW: HIDDEN, Right.RECORD: HIDDEN, Right.MANAGE_MEMBERS: ALLOWED, Right.EXPORT: HIDDEN,
        Right.PURGE: HIDDEN,
    },
}  # fmt: skip


def _who(db, part: str) -> access.Actor:
    if part == "lead":
        return access.user_by_name(db, "analyst")
    if part == "analyst member":
        cases.add_member(db, SYSTEM, "CASE-1", "analyst2", "analyst")
        return access.user_by_name(db, "analyst2")
    if part == "reviewer member":
        return access.user_by_name(db, "reviewer")
    if part == "non-member analyst":
        return access.user_by_name(db, "analyst2")
    return access.user_by_name(db, "admin")


def test_the_matrix_covers_every_right():
    assert all(set(rights) == set(Right) for rights in MATRIX.values())


@pytest.mark.parametrize(
    ("part", "right", "expected"),
    [(part, right, expected) for part, rights in MATRIX.items() for right, expected in rights.items()],
    ids=lambda v: str(v).replace(" ", "-"),
)
def test_authorize_matrix(db, part, right, expected):
    actor = _who(db, part)
    if expected == ALLOWED:
        granted = authorize(db, actor, right, "CASE-1")
        assert granted.reference == "CASE-1"
        assert granted.title == "Test case"
    elif expected == DENIED:
        with pytest.raises(PermissionDenied, match=f"does not allow you to {right}"):
            authorize(db, actor, right, "CASE-1")
    else:
        with pytest.raises(NotFound, match="Case CASE-1 not found"):
            authorize(db, actor, right, "CASE-1")


@pytest.mark.parametrize(
    ("part", "member_role"),
    [("lead", "lead"), ("analyst member", "analyst"), ("reviewer member", "reviewer"), ("admin non-member", None)],
)
def test_authorize_reports_the_actors_part(db, part, member_role):
    right = Right.MANAGE_MEMBERS if part == "admin non-member" else Right.VIEW
    assert authorize(db, _who(db, part), right, "CASE-1").member_role == member_role


def test_the_system_operator_manages_members_but_cannot_see_inside(db):
    assert authorize(db, SYSTEM, Right.MANAGE_MEMBERS, "CASE-1").reference == "CASE-1"
    with pytest.raises(NotFound):
        authorize(db, SYSTEM, Right.VIEW, "CASE-1")


@pytest.mark.parametrize("right", list(Right))
def test_a_case_you_may_not_see_looks_exactly_like_one_that_does_not_exist(db, analyst2, right):
    with pytest.raises(NotFound) as hidden:
        authorize(db, analyst2, right, "CASE-1")
    with pytest.raises(NotFound) as missing:
        authorize(db, analyst2, right, "CASE-9")
    assert str(missing.value) == "Case CASE-9 not found."
    assert str(hidden.value) == str(missing.value).replace("CASE-9", "CASE-1")


def test_a_hidden_case_looks_missing_through_a_domain_function_too(db, analyst2):
    with pytest.raises(NotFound) as hidden:
        observations.list_observations(db, analyst2, "CASE-1")
    with pytest.raises(NotFound) as missing:
        observations.list_observations(db, analyst2, "CASE-9")
    assert type(hidden.value) is type(missing.value)
    assert str(hidden.value) == str(missing.value).replace("CASE-9", "CASE-1")


def test_case_reference_is_matched_ignoring_letter_case(db, analyst):
    assert authorize(db, analyst, Right.VIEW, " case-1 ").reference == "CASE-1"


def test_a_reviewer_account_with_an_analyst_membership_still_cannot_record(db, reviewer, observation_input, counts):
    cases.add_member(db, SYSTEM, "CASE-1", "reviewer", "analyst")
    assert authorize(db, reviewer, Right.VIEW, "CASE-1").member_role == "analyst"
    with pytest.raises(PermissionDenied):
        authorize(db, reviewer, Right.RECORD, "CASE-1")
    before = counts()
    with pytest.raises(PermissionDenied):
        observations.record(db, reviewer, "CASE-1", observation_input())
    assert counts() == before


def test_a_reviewer_account_cannot_be_made_lead(db, counts):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        cases.add_member(db, SYSTEM, "CASE-1", "reviewer", "lead")
    assert "cannot lead" in raised.value.errors["role"]
    assert counts() == before


def test_a_reviewer_account_cannot_open_a_case(db, reviewer, counts):
    before = counts()
    with pytest.raises(PermissionDenied):
        cases.create_case(db, reviewer, "CASE-2", "Another case")
    assert counts() == before


def test_the_lead_adds_members_and_an_analyst_member_cannot(db, analyst, analyst2, admin):
    cases.add_member(db, analyst, "CASE-1", "analyst2", "analyst")
    assert authorize(db, analyst2, Right.VIEW, "CASE-1").member_role == "analyst"
    with pytest.raises(PermissionDenied):
        cases.add_member(db, analyst2, "CASE-1", "admin", "analyst")
    with pytest.raises(NotFound):
        authorize(db, admin, Right.VIEW, "CASE-1")


def test_a_new_member_sees_the_case_in_their_list(db, analyst2):
    assert cases.list_cases(db, analyst2).empty
    cases.add_member(db, SYSTEM, "CASE-1", "analyst2", "reviewer")
    listed = cases.list_cases(db, analyst2)
    assert listed[["reference", "my_role", "lead"]].values.tolist() == [["CASE-1", "reviewer", "analyst"]]

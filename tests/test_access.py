"""The one permission check (authorize): every right for every part a user can have in a case."""

from __future__ import annotations

import pytest

from workbench import access, cases, observations, users
from workbench.access import SYSTEM, Right, authorize
from workbench.errors import NotFound, PermissionDenied, ValidationError

from .conftest import CASE

GOOD_PASSWORD = "a-perfectly-fine-password"


def _events(db, after: int = 0) -> list[dict]:
    return list(db.query("SELECT * FROM audit_events WHERE seq > ? ORDER BY seq", (after,)))


def _last_seq(db) -> int:
    return db.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0]


# --- the permission matrix -----------------------------------------------------------------------

# The full matrix (every function, every part) is in test_permission_matrix.py.


def _who(db, part: str) -> access.Actor:
    if part == "lead":
        return users.user_by_name(db, "analyst")
    if part == "analyst member":
        cases.add_member(db, SYSTEM, "CASE-1", "analyst2", "analyst")
        return users.user_by_name(db, "analyst2")
    if part == "reviewer member":
        return users.user_by_name(db, "reviewer")
    if part == "non-member analyst":
        return users.user_by_name(db, "analyst2")
    return users.user_by_name(db, "admin")


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
    assert raised.value.errors == {"username": cases.LEAD_REFUSED}
    assert counts() == before


def test_a_reviewer_account_cannot_open_a_case(db, reviewer, counts):
    before = counts()
    with pytest.raises(PermissionDenied):
        cases.open_case(db, reviewer, "Another case")
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


# --- the account as it is now (issue 24, point 2) ----------------------------------------------------


def test_an_actor_captured_before_deactivation_is_refused_everywhere(db, admin, analyst):
    """A page left open, a callback or a link holds the Actor it was drawn with; the check does not
    trust it, it reads the account."""
    captured = analyst
    assert authorize(db, captured, Right.VIEW, CASE).reference == CASE
    users.set_active(db, admin, "analyst", False)
    with pytest.raises(PermissionDenied, match="not active"):
        authorize(db, captured, Right.VIEW, CASE)
    with pytest.raises(PermissionDenied, match="not active"):
        observations.list_observations(db, captured, CASE)
    users.set_active(db, admin, "analyst", True)
    assert authorize(db, captured, Right.VIEW, CASE).reference == CASE


def test_a_role_changed_since_the_actor_was_read_counts_at_once(db, admin, analyst2):
    cases.add_member(db, admin, CASE, "analyst2", "analyst")
    captured = analyst2
    assert authorize(db, captured, Right.RECORD, CASE)
    users.set_role(db, admin, "analyst2", "reviewer")
    with pytest.raises(PermissionDenied):
        authorize(db, captured, Right.RECORD, CASE)
    assert authorize(db, captured, Right.VIEW, CASE)  # a reviewer still reads


def test_an_administrator_demoted_or_deactivated_loses_admin_work_at_once(db, admin):
    second = users.create_user(db, admin, "second-admin", "admin", "second-admin-password-2026")
    users.list_users(db, second)
    users.set_role(db, admin, "second-admin", "analyst")
    with pytest.raises(PermissionDenied):
        users.list_users(db, second)  # `second` still says admin; the database does not
    users.set_role(db, admin, "second-admin", "admin")
    users.set_active(db, admin, "second-admin", False)
    with pytest.raises(PermissionDenied):
        users.create_user(db, second, "x-user", "analyst", "x-user-password-long-2026")

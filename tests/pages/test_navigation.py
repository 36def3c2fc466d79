"""st.navigation registers only the pages a user's role and memberships allow."""

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import ROOT, seat, signed_in
from workbench import access, cases, users

TITLES = {
    "pages/home.py": "Home",
    "pages/cases.py": "Cases",
    "pages/case_overview.py": "Case overview",
    "pages/record_observation.py": "Record observation",
    "pages/observations.py": "Observations",
    "pages/evidence.py": "Evidence",
    "pages/facts.py": "Trusted facts",
    "pages/persons_of_concern.py": "Persons of concern",
    "pages/crossrefs.py": "Cross-references",
    "pages/actions.py": "Actions",
    "pages/viewing_log.py": "Viewing log",
    "pages/authorisations.py": "Authorisations",
    "pages/timeline.py": "Timeline",
    "pages/conference.py": "Conference view",
    "pages/export.py": "Export",
    "pages/members.py": "Members",
    "pages/activity.py": "Activity",
    "pages/users.py": "Users",
    "pages/retention.py": "Retention",
    "pages/account.py": "My account",
}
CHOOSE_PASSWORD = "Choose your password"
_CALLABLE_PAGES = {"set_password_page": CHOOSE_PASSWORD, "sign_in_page": "Sign in"}


def registered_pages(at: AppTest) -> set[str]:
    """The titles of the pages the last run's st.navigation registered.

    AppTest.switch_page to a file that is no page raises ValueError listing the "Known pages":
    file pages by script path, function pages by URL path."""
    try:
        at.switch_page("workbench/__init__.py")
    except ValueError as e:
        known = ast.literal_eval(str(e).split("Known pages: ", 1)[1].rstrip("."))
    else:
        raise AssertionError("switch_page reached a file that is not a page")
    titles = set()
    for page in known:
        path = Path(page)
        if path.is_absolute():
            titles.add(TITLES.get(path.relative_to(ROOT).as_posix(), page))
        else:
            titles.add(_CALLABLE_PAGES.get(page, page))
    return titles


READ_PAGES = {
    "Case overview",
    "Observations",
    "Evidence",
    "Trusted facts",
    "Persons of concern",
    "Cross-references",
    "Actions",
    "Viewing log",
    "Authorisations",
    "Timeline",
    "Conference view",
    "Export",
}
CASE_PAGES = READ_PAGES | {"Record observation"}
# What an analyst who leads nothing sees: the case pages and their own account.
ANALYST_PAGES = {"Home", "Cases", "My account"} | CASE_PAGES


def test_signed_out_only_the_sign_in_page(home):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert registered_pages(at) == {"Sign in"}


def test_an_administrator_who_is_no_member_manages_but_sees_no_case_pages(db):
    at = signed_in(db, "demo-admin", case=None)
    assert not at.exception
    assert registered_pages(at) == {"Home", "Cases", "Members", "Activity", "Users", "Retention", "My account"}


def test_the_lead_analyst_gets_the_case_pages_and_management_but_not_users(db):
    at = signed_in(db, "demo-analyst")
    assert not at.exception
    assert registered_pages(at) == ANALYST_PAGES | {"Members", "Activity"}


def test_a_reviewer_only_reads(db):
    at = signed_in(db, "demo-reviewer")
    assert not at.exception
    assert registered_pages(at) == {"Home", "Cases", "My account"} | READ_PAGES


def test_an_analyst_who_leads_nothing_gets_no_management_pages(db, outsider):
    at = signed_in(db, outsider, case=None)
    assert not at.exception
    assert registered_pages(at) == ANALYST_PAGES


def test_an_analyst_member_who_is_not_lead_gets_no_management_pages(db):
    users.create_user(db, access.SYSTEM, "member-analyst", "analyst", "member-analyst-password-2026")
    cases.add_member(db, access.SYSTEM, "DEMO-001", "member-analyst", "analyst")
    at = signed_in(db, "member-analyst")
    assert registered_pages(at) == ANALYST_PAGES


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("reviewer", READ_PAGES),
        ("analyst", CASE_PAGES),
    ],
)
def test_an_administrator_who_is_a_member_also_gets_the_case_pages_of_their_part(db, part, expected):
    cases.add_member(db, access.SYSTEM, "DEMO-001", "demo-admin", part)
    at = signed_in(db, "demo-admin")
    managing = {"Home", "Cases", "Members", "Activity", "Users", "Retention", "My account"}
    assert registered_pages(at) == managing | expected


def test_a_temporary_password_registers_only_choose_your_password(db):
    users.create_user(
        db, access.SYSTEM, "new-starter", "analyst", "amber-heron-quartz-willow-maple-042", temporary=True
    )
    at = signed_in(db, "new-starter", case=None)
    assert not at.exception
    assert registered_pages(at) == {CHOOSE_PASSWORD}
    assert [t.value for t in at.title] == [CHOOSE_PASSWORD]
    with pytest.raises(ValueError, match="Known pages"):
        at.switch_page("pages/cases.py")


def test_a_temporary_password_even_for_a_lead_registers_only_choose_your_password(db):
    users.reset_password(db, access.SYSTEM, "demo-analyst", "amber-heron-quartz-willow-maple-042")
    at = signed_in(db, "demo-analyst")
    assert registered_pages(at) == {CHOOSE_PASSWORD}


def test_single_sign_on_skips_the_temporary_password(db):
    """The identity provider vouched for the user: a temporary password guards only the local sign-in."""
    users.create_user(
        db,
        access.SYSTEM,
        "sso-starter",
        "analyst",
        "amber-heron-quartz-willow-maple-042",
        email="sso.starter@example.org",
        temporary=True,
    )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    seat(at, db, "sso-starter", method="sso")
    at.run()
    assert not at.exception
    assert registered_pages(at) == ANALYST_PAGES

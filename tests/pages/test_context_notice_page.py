"""The case overview's child context: vulnerability and family risk factors as special-category data,
and the thin-footprint notice only when a family risk factor is recorded AND the review is thin
(strategy 6.5). Fictional data."""

from __future__ import annotations

from tests.pages.conftest import signed_in, texts
from workbench import access, cases, facts, observations, people, users
from workbench.ui.safe import escape

PAGE = "pages/case_overview.py"
THIN = "THIN-001"
HOSTILE = "**bold** <b>x</b> [link](http://x)"
FAMILY_RISK = {
    "person": "P-0001",
    "attribute": "family_risk_factor",
    "value": "Social isolation (demo)",
    "source_agency": "school",
}
OBSERVATION = {
    "kind": "general_note",
    "indicator": "note",
    "summary": "Public profile looked at (demo)",
    "details": {"note": "One public account found."},
    "account": "AC-0001",
    "source_type": "analyst_viewed",
    "source_grade": "1",
    "information_grade": "A",
    "handling_code": "P",
    "observed_at": "2026-01-05 10:00",
}


def _thin_case(db, *, family_risk: bool) -> None:
    """A second case the demo analyst leads: one observation on one platform."""
    analyst = users.user_by_name(db, "demo-analyst")
    cases.create_case(db, access.SYSTEM, THIN, "Thin review (demo)", lead="demo-analyst")
    people.add_account(db, analyst, THIN, "Instagram", "@thin.case.demo", person="P-0001")
    people.add_account(db, analyst, THIN, "Snapchat", "thin.case.snaps", person="P-0001")
    given = dict(OBSERVATION)
    if "unauthorised_reason" in observations.INPUT_FIELDS:  # a case with no research authorisation
        given["unauthorised_reason"] = "Shown by the school (demo)"
    observations.record(db, analyst, THIN, given)
    facts.add_fact(db, analyst, THIN, {**FAMILY_RISK, "attribute": "send_or_disability", "value": "EHCP (demo)"})
    if family_risk:
        facts.add_fact(db, analyst, THIN, FAMILY_RISK)


def _notices(at) -> list[str]:
    return [w.value for w in at.warning if "deeper look" in w.value]


def _factors(at):
    return next(d.value for d in at.dataframe if "factor" in d.value.columns)


def test_a_family_risk_factor_and_a_thin_review_show_the_notice(db):
    _thin_case(db, family_risk=True)
    at = signed_in(db, "demo-analyst", case=THIN, page=PAGE)
    assert not at.exception
    (notice,) = _notices(at)
    assert escape("strategy 6.5") in notice
    assert escape("1 current observation on 1 platform (Instagram)") in notice
    assert escape("fewer than 5 current observations, or observations from fewer than 2 platforms") in notice
    assert escape("known accounts on Snapchat.") in notice
    assert not [c for c in at.checkbox if "review" in c.label.lower()]  # nothing to tick
    factors = _factors(at)
    assert factors["kind"].tolist() == ["Family risk factor", "Vulnerability"]
    assert factors["value"].tolist() == ["Social isolation (demo)", "EHCP (demo)"]
    assert any("Special-category data" in c.value for c in at.caption)


def test_a_thin_review_without_a_family_risk_factor_shows_no_notice(db):
    _thin_case(db, family_risk=False)
    at = signed_in(db, "demo-analyst", case=THIN, page=PAGE)
    assert not at.exception
    assert _notices(at) == []
    assert _factors(at)["kind"].tolist() == ["Vulnerability"]


def test_a_family_risk_factor_with_a_full_review_shows_no_notice(db):
    """The demo child has a family risk factor, and 33 observations on four platforms."""
    at = signed_in(db, "demo-reviewer", page=PAGE)
    assert not at.exception
    assert _notices(at) == []
    assert "Family risk factor" in _factors(at)["kind"].tolist()


def test_the_thresholds_come_from_the_settings(db, monkeypatch):
    monkeypatch.setenv("WORKBENCH_THIN_OBSERVATIONS", "100")
    at = signed_in(db, "demo-reviewer", page=PAGE)
    assert not at.exception
    (notice,) = _notices(at)
    assert "fewer than 100 current observations" in notice


def test_no_factors_says_so_in_plain_text(db):
    cases.create_case(db, access.SYSTEM, THIN, "Nothing known (demo)", lead="demo-analyst")
    at = signed_in(db, "demo-analyst", case=THIN, page=PAGE)
    assert not at.exception
    assert "Vulnerability and family risk factors: none recorded for Child A from trusted sources" in texts(at)
    assert _notices(at) == []


def test_fact_text_is_shown_literally(db):
    _thin_case(db, family_risk=False)
    facts.add_fact(db, users.user_by_name(db, "demo-analyst"), THIN, {**FAMILY_RISK, "value": HOSTILE})
    at = signed_in(db, "demo-analyst", case=THIN, page=PAGE)
    assert HOSTILE in _factors(at)["value"].tolist()
    (notice,) = _notices(at)
    assert "**bold**" not in notice and "<b>" not in notice

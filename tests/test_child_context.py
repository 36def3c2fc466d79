"""The child's vulnerability and family risk factors, and the notice when a family risk factor meets a
thin footprint review (strategy 6.5). Fictional data only."""

from __future__ import annotations

import pytest

from tests.conftest import CASE
from workbench import cases, child_context, facts, observations, people
from workbench.config import ThinFootprint
from workbench.errors import ConfigurationError

FAMILY_RISK = {
    "person": "P-0001",
    "attribute": "family_risk_factor",
    "value": "Neglect: home conditions (demo)",
    "source_agency": "childrens_social_care",
    "source_reference": "CSC-TEST-1",
    "valid_from": "2025-01-06",
}
LOOKED_AFTER = {
    "person": "P-0001",
    "attribute": "looked_after",
    "value": "Section 20 (demo)",
    "source_agency": "childrens_social_care",
}


def _context(db, case):
    return child_context.child_context(db, case.case_id)


def _observe(db, analyst, observation_input, count: int, account: str = "") -> None:
    for i in range(count):
        observations.record(
            db, analyst, CASE,
            observation_input(summary=f"Seen {i}", account=account, repeat_viewing_reference="DSA-TEST-1"),
        )  # fmt: skip


def test_nothing_known_means_no_factors_and_no_notice(db, case):
    context = _context(db, case)
    assert context.factors.empty and context.vulnerabilities.empty and context.family_risks.empty
    assert context.footprint.thin  # nothing looked at yet
    assert context.notice is None  # ... but thin alone is no reason to say so


def test_factors_come_from_the_childs_current_facts_with_source_and_when(db, analyst, case):
    people.add_person(db, analyst, CASE, "Mother (demo)", "family")
    facts.add_fact(db, analyst, CASE, FAMILY_RISK)  # F-0001
    facts.add_fact(db, analyst, CASE, LOOKED_AFTER)  # F-0002
    facts.add_fact(db, analyst, CASE, {**FAMILY_RISK, "person": "P-0002", "value": "About the mother"})  # F-0003
    facts.add_fact(db, analyst, CASE, {**LOOKED_AFTER, "attribute": "school", "value": "Northfield"})  # F-0004
    facts.add_fact(db, analyst, CASE, {**LOOKED_AFTER, "attribute": "mental_health", "value": "Low mood"})  # F-0005
    facts.retract_fact(db, analyst, CASE, "F-0005", "recorded against the wrong child")
    context = _context(db, case)
    family = context.family_risks.to_dict("records")
    assert family == [
        {
            "code": "F-0001",
            "factor": "Family risk factor",
            "value": "Neglect: home conditions (demo)",
            "source": "Children's social care",
            "source_reference": "CSC-TEST-1",
            "valid_from": "2025-01-06",
            "valid_to": "",
            "when": "since 2025-01-06",
        }
    ]
    # Not the family risk factor, not a fact about someone else, not a school, not a retracted one.
    assert context.vulnerabilities["code"].tolist() == ["F-0002"]
    assert context.vulnerabilities.iloc[0]["factor"] == "Looked after"
    assert context.vulnerabilities.iloc[0]["when"] == "not known"
    assert context.factors["kind"].tolist() == ["Family risk factor", "Vulnerability"]


def test_an_amended_fact_shows_its_current_value(db, analyst, case):
    facts.add_fact(db, analyst, CASE, FAMILY_RISK)
    facts.amend_fact(db, analyst, CASE, "F-0001", {"valid_to": "2025-06-30", "value": "Neglect (historic)"}, "update")
    row = _context(db, case).family_risks.iloc[0]
    assert (row["value"], row["when"]) == ("Neglect (historic)", "from 2025-01-06 to 2025-06-30")


def test_a_family_risk_factor_and_a_thin_review_give_the_notice(db, analyst, case, observation_input):
    facts.add_fact(db, analyst, CASE, FAMILY_RISK)
    people.add_account(db, analyst, CASE, "Instagram", "@child.a.test", person="P-0001")  # AC-0001
    people.add_account(db, analyst, CASE, "Discord", "child_a_test", person="P-0001")  # AC-0002
    _observe(db, analyst, observation_input, 3, account="AC-0001")
    notice = _context(db, case).notice
    assert notice is not None
    assert "family risk factor is recorded for Child A (F-0001, from Children's social care)" in notice
    assert "deeper look" in notice and "6.5" in notice
    assert "3 current observations on 1 platform (Instagram)" in notice
    assert "fewer than 5 current observations, or observations from fewer than 2 platforms" in notice
    assert "known accounts on Discord" in notice
    assert "Neglect" not in notice  # the special-category value stays in the table


def test_enough_observations_on_enough_platforms_is_not_thin(db, analyst, case, observation_input):
    facts.add_fact(db, analyst, CASE, FAMILY_RISK)
    people.add_account(db, analyst, CASE, "Instagram", "@child.a.test", person="P-0001")
    people.add_account(db, analyst, CASE, "TikTok", "@child.a.dances", person="P-0001")
    _observe(db, analyst, observation_input, 4, account="AC-0001")
    _observe(db, analyst, observation_input, 1, account="AC-0002")
    context = _context(db, case)
    assert (context.footprint.observations, context.footprint.platforms) == (5, ("Instagram", "TikTok"))
    assert not context.footprint.thin
    assert context.notice is None


def test_many_observations_on_one_platform_are_still_thin(db, analyst, case, observation_input):
    facts.add_fact(db, analyst, CASE, FAMILY_RISK)
    people.add_account(db, analyst, CASE, "Instagram", "@child.a.test", person="P-0001")
    _observe(db, analyst, observation_input, 6, account="AC-0001")
    _observe(db, analyst, observation_input, 2)  # no account: counted, but no platform
    notice = _context(db, case).notice
    assert notice and "8 current observations on 1 platform (Instagram)" in notice


def test_retracted_observations_do_not_count(db, analyst, case, observation_input):
    facts.add_fact(db, analyst, CASE, FAMILY_RISK)
    people.add_account(db, analyst, CASE, "Instagram", "@child.a.test", person="P-0001")
    people.add_account(db, analyst, CASE, "TikTok", "@child.a.dances", person="P-0001")
    _observe(db, analyst, observation_input, 4, account="AC-0001")
    _observe(db, analyst, observation_input, 1, account="AC-0002")
    observations.retract(db, analyst, CASE, "OBS-0005", "wrong child")
    footprint = _context(db, case).footprint
    assert (footprint.observations, footprint.platforms) == (4, ("Instagram",))
    assert footprint.thin


def test_no_notice_without_a_family_risk_factor_even_when_thin(db, analyst, case, observation_input):
    facts.add_fact(db, analyst, CASE, LOOKED_AFTER)
    _observe(db, analyst, observation_input, 1)
    context = _context(db, case)
    assert context.footprint.thin and not context.vulnerabilities.empty
    assert context.notice is None


def test_a_retracted_family_risk_factor_gives_no_notice(db, analyst, case):
    facts.add_fact(db, analyst, CASE, FAMILY_RISK)
    assert _context(db, case).notice
    facts.retract_fact(db, analyst, CASE, "F-0001", "about another family")
    assert _context(db, case).notice is None


def test_a_family_risk_factor_about_someone_else_gives_no_notice(db, analyst, case):
    people.add_person(db, analyst, CASE, "Cousin (demo)", "family")
    facts.add_fact(db, analyst, CASE, {**FAMILY_RISK, "person": "P-0002"})
    assert _context(db, case).notice is None


def test_the_thresholds_are_settings(db, analyst, case, observation_input, monkeypatch):
    facts.add_fact(db, analyst, CASE, FAMILY_RISK)
    people.add_account(db, analyst, CASE, "Instagram", "@child.a.test", person="P-0001")
    _observe(db, analyst, observation_input, 2, account="AC-0001")
    assert _context(db, case).notice
    monkeypatch.setenv("WORKBENCH_THIN_OBSERVATIONS", "2")
    monkeypatch.setenv("WORKBENCH_THIN_PLATFORMS", "1")
    assert ThinFootprint.from_env() == ThinFootprint(observations=2, platforms=1)
    assert _context(db, case).notice is None
    monkeypatch.setenv("WORKBENCH_THIN_OBSERVATIONS", "3")
    notice = _context(db, case).notice
    assert notice and "fewer than 3 current observations, or observations from fewer than 1 platform" in notice


@pytest.mark.parametrize("value", ["0", "-1", "five", "2.5"])
def test_a_bad_threshold_stops_with_a_configuration_error(monkeypatch, clean_env, value):
    monkeypatch.setenv("WORKBENCH_THIN_PLATFORMS", value)
    with pytest.raises(ConfigurationError, match="WORKBENCH_THIN_PLATFORMS"):
        ThinFootprint.from_env()


def test_the_overview_carries_the_context(db, analyst, reviewer, case):
    facts.add_fact(db, analyst, CASE, FAMILY_RISK)
    overview = cases.overview(db, reviewer, CASE)
    assert overview.context.family_risks["code"].tolist() == ["F-0001"]
    assert overview.context.notice and "0 current observations" in overview.context.notice

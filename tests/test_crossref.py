"""Cross-referencing against the real SQLite file: what the rules find is recomputed whenever an
observation, a fact or an account changes; analysts' links (XR-0001) are append-only records; the
veracity panel and the case review read both; every read and write is audited. Also the fact
history (amend, retract, view) the rules depend on."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import CASE
from workbench import cases, crossref, facts, observations, people
from workbench.access import SYSTEM
from workbench.errors import Conflict, NotFound, PermissionDenied, ValidationError

DOB = {"person": "P-0001", "attribute": "date_of_birth", "value": "2010-05-14", "source_agency": "school"}
AGE_19 = "profile states 19; known age 14 from the school's record of date of birth (F-0001)"
OBS_HEADER = "kind,indicator,summary,details,source_type,source_grade,information_grade,handling_code,observed_at\n"


def _fact(db, actor, **overrides) -> str:
    return facts.add_fact(db, actor, CASE, {**DOB, **overrides})


def _observe(db, actor, observation_input, **overrides) -> str:
    return observations.record(db, actor, CASE, observation_input(**overrides)).code


def _age(observation_input, age: int, **overrides) -> dict:
    return observation_input(
        summary=f"Bio states age {age}", details={"profile_element": "bio", "stated_age": age}, **overrides
    )


def _note(observation_input, **overrides) -> dict:
    return observation_input(
        kind="general_note", indicator="note", summary="A note", details={"note": "Seen at the park"}, **overrides
    )


def _found(db, actor, **kwargs) -> list[tuple]:
    frame = crossref.list_crossrefs(db, actor, CASE, **kwargs)
    return [(r.observation, r.fact, r.relation, r.by) for r in frame.itertuples()]


def _actions(db, after: int = 0) -> list[str]:
    return [r["action"] for r in db.query("SELECT action FROM audit_events WHERE seq > ? ORDER BY seq", (after,))]


def _last_seq(db) -> int:
    return db.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0]


def _stored_findings(db) -> list[dict]:
    return list(db.query("SELECT * FROM rule_findings ORDER BY id"))


# --- what the rules find, as things change -------------------------------------------------------


def test_a_false_stated_age_is_stored_as_a_contradiction(db, analyst, observation_input):
    _fact(db, analyst)
    assert _observe(db, analyst, observation_input) == "OBS-0001"
    frame = crossref.list_crossrefs(db, analyst, CASE)
    assert list(frame.columns) == crossref.COLUMNS
    assert len(frame) == 1
    row = frame.iloc[0].to_dict()
    assert (row["observation"], row["fact"], row["person"], row["relation"]) == (
        "OBS-0001", "F-0001", "Child A", "contradicts",
    )  # fmt: skip
    assert (row["labels"], row["by"], row["detail"]) == ("false age stated", "age_against_date_of_birth", AGE_19)
    assert (row["claim_field"], row["claim_value"], row["fact_attribute"], row["fact_value"]) == (
        "stated_age", "19", "date_of_birth", "2010-05-14",
    )  # fmt: skip
    assert (row["code"], row["withdrawn"], bool(row["special_category"])) == ("", 0, False)
    stored = _stored_findings(db)
    assert [(f["observation_version"], f["fact_version"], f["account_id"]) for f in stored] == [(1, 1, None)]


def test_a_fact_added_after_the_observation_finds_it_too(db, analyst, observation_input):
    _observe(db, analyst, observation_input)
    assert _stored_findings(db) == []
    _fact(db, analyst)
    assert _found(db, analyst) == [("OBS-0001", "F-0001", "contradicts", "age_against_date_of_birth")]


def test_amending_the_observation_to_the_right_age_corroborates(db, analyst, observation_input):
    _fact(db, analyst)
    _observe(db, analyst, observation_input)
    observations.amend(db, analyst, CASE, "OBS-0001", _age(observation_input, 14), "misread the bio")
    frame = crossref.list_crossrefs(db, analyst, CASE)
    assert [(r.relation, r.labels, r.claim_value) for r in frame.itertuples()] == [("corroborates", "", "14")]
    assert [f["observation_version"] for f in _stored_findings(db)] == [2]


def test_retracting_the_observation_removes_its_findings(db, analyst, observation_input):
    _fact(db, analyst)
    _observe(db, analyst, observation_input)
    _observe(db, analyst, observation_input)  # OBS-0002 keeps its finding
    observations.retract(db, analyst, CASE, "OBS-0001", "recorded against the wrong child")
    assert _found(db, analyst) == [("OBS-0002", "F-0001", "contradicts", "age_against_date_of_birth")]


def test_adding_amending_and_retracting_a_fact_reruns_the_rules(db, analyst, observation_input):
    _observe(db, analyst, observation_input)
    assert _found(db, analyst) == []
    _fact(db, analyst)
    assert _found(db, analyst) == [("OBS-0001", "F-0001", "contradicts", "age_against_date_of_birth")]
    facts.amend_fact(db, analyst, CASE, "F-0001", {"value": "2005-11-30"}, "typed from the wrong form")
    frame = crossref.list_crossrefs(db, analyst, CASE)
    assert [(r.relation, r.fact_value) for r in frame.itertuples()] == [("corroborates", "2005-11-30")]
    assert "known age 19" in frame["detail"][0]
    assert [f["fact_version"] for f in _stored_findings(db)] == [2]
    facts.retract_fact(db, analyst, CASE, "F-0001", "belongs to a sibling")
    assert _found(db, analyst) == []
    assert _stored_findings(db) == []


def test_an_account_added_for_a_person_of_concern_makes_an_earlier_contact_relate_to_them(
    db, analyst, observation_input
):
    assert people.add_person(db, analyst, CASE, "Unknown adult", "person_of_concern") == "P-0002"
    contact = observation_input(
        kind="contact_event", indicator="unknown_adult_contact", summary="Messages from an adult",
        details={"counterpart_handle": "@Dark Knight"},
    )  # fmt: skip
    observations.record(db, analyst, CASE, contact)
    assert _found(db, analyst) == []
    assert people.add_account(db, analyst, CASE, "Instagram", "darkknight", person="P-0002") == "AC-0001"
    frame = crossref.list_crossrefs(db, analyst, CASE)
    assert len(frame) == 1
    row = frame.iloc[0]
    assert (row["observation"], row["fact"], row["person"], row["relation"], row["labels"]) == (
        "OBS-0001", "AC-0001", "Person B", "relates_to", "person of concern",
    )  # fmt: skip
    assert (row["by"], row["fact_attribute"], row["fact_value"], row["score"]) == (
        "account_of_known_person", "known_account", "darkknight", 100.0,
    )  # fmt: skip
    assert "Person B (P-0002), a person of concern" in row["detail"]
    stored = _stored_findings(db)
    assert [(f["fact_id"], f["account_id"] is not None) for f in stored] == [(None, True)]


def test_an_account_of_the_child_is_not_a_relation_of_the_child(db, analyst, observation_input):
    people.add_account(db, analyst, CASE, "Instagram", "zoe_official", person="P-0001")
    contact = observation_input(
        kind="contact_event", indicator="other", summary="Own account", details={"counterpart_handle": "zoe_official"}
    )
    observations.record(db, analyst, CASE, contact)
    assert _found(db, analyst) == []


def test_import_of_observations_runs_the_rules(db, analyst):
    _fact(db, analyst)
    rows = "".join(
        f'profile_indicator,stated_age,Bio {age},"{{""profile_element"": ""bio"", ""stated_age"": {age}}}",'
        f"analyst_viewed,2,B,P,2025-03-14 10:30\n"
        for age in (19, 14)
    )
    result = observations.import_csv(db, analyst, CASE, (OBS_HEADER + rows).encode())
    assert result.codes == ["OBS-0001", "OBS-0002"]
    assert _found(db, analyst) == [
        ("OBS-0001", "F-0001", "contradicts", "age_against_date_of_birth"),
        ("OBS-0002", "F-0001", "corroborates", "age_against_date_of_birth"),
    ]


def test_an_import_stores_what_a_whole_recompute_of_the_case_finds(tmp_path):
    """The import runs the rules on the rows it has just written, without reading them back: what
    it stores must be exactly what the rules find when they read the whole case from the file."""
    from bench import crossref_data
    from workbench.db import transaction

    plan = crossref_data.plan(600, 60)
    case = crossref_data.load(plan, tmp_path, with_observations=False)
    for data in plan.observation_csvs[:1]:
        observations.import_csv(case.db, case.analyst, case.reference, data)
    before = _findings_as_stored(case.db)
    with transaction(case.db):
        crossref.refresh(case.db, case.case_id)
    assert len(before) > 100  # every rule has rows to find
    assert {row["rule"] for row in before} >= {"age_against_date_of_birth", "school_name", "account_of_known_person"}
    assert _findings_as_stored(case.db) == before


def _findings_as_stored(db) -> list[dict]:
    """Every finding but its row id and when it was computed, in a fixed order."""
    rows = db.query("SELECT * FROM rule_findings")
    return sorted(({k: v for k, v in row.items() if k not in ("id", "computed_at")} for row in rows), key=repr)


def test_a_vulnerability_fact_heightens_concern_and_is_marked_special_category(db, analyst, observation_input):
    _fact(db, analyst, attribute="mental_health", value="Anorexia nervosa", source_agency="health")
    group = observation_input(
        kind="group_membership", indicator="harmful_community", summary="Pro-ana group",
        details={"group_name": "Pro-ana support", "category": "eating_disorder"},
    )  # fmt: skip
    observations.record(db, analyst, CASE, group)
    frame = crossref.list_crossrefs(db, analyst, CASE)
    assert [(r.relation, r.by, bool(r.special_category)) for r in frame.itertuples()] == [
        ("heightens_concern", "concern_meets_vulnerability", True)
    ]


# --- links made by hand --------------------------------------------------------------------------


@pytest.fixture
def linkable(db, analyst, observation_input):
    """OBS-0001 (age 19), F-0001 (date of birth); OBS-0002 and F-0002 exist but are retracted."""
    _fact(db, analyst)
    _fact(db, analyst, attribute="gender", value="female")
    _observe(db, analyst, observation_input)
    observations.record(db, analyst, CASE, _note(observation_input))
    observations.retract(db, analyst, CASE, "OBS-0002", "duplicate")
    facts.retract_fact(db, analyst, CASE, "F-0002", "wrong child")


def test_link_returns_its_code_and_lists_with_the_rationale(db, analyst, linkable, counts):
    before = counts()
    assert crossref.link(db, analyst, CASE, "obs-0001", " f-0001 ", "context", "School confirms the bio photo") == (
        "XR-0001"
    )
    after = counts()
    assert {t: after[t] - before[t] for t in after if after[t] != before[t]} == {
        "crossrefs": 1, "crossref_versions": 1, "audit_events": 1,
    }  # fmt: skip
    frame = crossref.list_crossrefs(db, analyst, CASE)
    manual = frame[frame["code"] == "XR-0001"].iloc[0]
    assert (manual["observation"], manual["fact"], manual["relation"], manual["by"], manual["detail"]) == (
        "OBS-0001", "F-0001", "context", "analyst", "School confirms the bio photo",
    )  # fmt: skip
    assert (manual["withdrawn"], manual["labels"], manual["fact_attribute"]) == (0, "", "date_of_birth")


@pytest.mark.parametrize(
    ("observation", "fact", "relation", "rationale", "errors"),
    [
        ("OBS-0001", "F-0001", "refutes", "why", {"relation": "must be one of: corroborates, contradicts, context"}),
        ("OBS-0001", "F-0001", "relates_to", "why", {"relation": "must be one of"}),
        ("OBS-0001", "F-0001", "", "why", {"relation": "is required"}),
        ("OBS-0001", "F-0001", "context", "   ", {"rationale": "is required"}),
        ("OBS-0001", "F-0001", "context", "r" * 2001, {"rationale": "at most 2000 characters"}),
        ("OBS-0404", "F-0001", "context", "why", {"observation": "no observation OBS-0404 in this case"}),
        ("OBS-0001", "F-0404", "context", "why", {"fact": "no fact F-0404 in this case"}),
        ("", "F-0001", "context", "why", {"observation": "is required"}),
        ("OBS-0002", "F-0001", "context", "why", {"observation": "OBS-0002 is retracted"}),
        ("OBS-0001", "F-0002", "context", "why", {"fact": "F-0002 is retracted"}),
        ("OBS-0404", "F-0002", "refutes", "", {"observation": "no observation", "fact": "is retracted",
                                               "relation": "must be one of", "rationale": "is required"}),
    ],
)  # fmt: skip
def test_a_bad_link_is_refused_field_by_field_and_changes_nothing(db, analyst, linkable, counts, observation, fact,
                                                                  relation, rationale, errors):  # fmt: skip
    before = counts()
    with pytest.raises(ValidationError) as raised:
        crossref.link(db, analyst, CASE, observation, fact, relation, rationale)
    assert set(raised.value.errors) == set(errors)
    for field, reason in errors.items():
        assert reason in raised.value.errors[field]
    assert counts() == before


def test_a_second_active_link_of_the_same_pair_is_refused(db, analyst, linkable, counts):
    crossref.link(db, analyst, CASE, "OBS-0001", "F-0001", "contradicts", "School says 14")
    before = counts()
    with pytest.raises(ValidationError) as raised:
        crossref.link(db, analyst, CASE, "OBS-0001", "F-0001", "corroborates", "Changed my mind")
    assert raised.value.errors == {"fact": "is already linked to this observation as XR-0001; withdraw that link first"}
    assert counts() == before
    crossref.withdraw(db, analyst, CASE, "XR-0001", "changed my mind")
    assert crossref.link(db, analyst, CASE, "OBS-0001", "F-0001", "corroborates", "Second thoughts") == "XR-0002"


def test_withdrawing_keeps_the_history(db, analyst, linkable, counts):
    crossref.link(db, analyst, CASE, "OBS-0001", "F-0001", "contradicts", "School says 14")
    before = counts()
    crossref.withdraw(db, analyst, CASE, " xr-0001 ", "Linked the wrong fact")
    after = counts()
    assert {t: after[t] - before[t] for t in after if after[t] != before[t]} == {
        "crossref_versions": 1, "audit_events": 1,
    }  # fmt: skip
    links = crossref.observation_veracity(db, analyst, CASE, "OBS-0001").links
    shown = ["code", "version", "fact", "relation", "rationale", "withdrawn", "change_reason", "by"]
    assert links[shown].values.tolist() == [
        ["XR-0001", 1, "F-0001", "contradicts", "School says 14", 0, "", "analyst"],
        ["XR-0001", 2, "F-0001", "contradicts", "School says 14", 1, "Linked the wrong fact", "analyst"],
    ]  # fmt: skip
    assert "XR-0001" not in set(crossref.list_crossrefs(db, analyst, CASE)["code"])
    everything = crossref.list_crossrefs(db, analyst, CASE, include_withdrawn=True)
    assert everything.loc[everything["code"] == "XR-0001", "withdrawn"].tolist() == [1]


def test_a_withdrawn_link_no_longer_counts_for_the_status(db, analyst, observation_input):
    _fact(db, analyst, attribute="school", value="Northfield Academy")
    observations.record(db, analyst, CASE, _note(observation_input))
    assert crossref.observation_veracity(db, analyst, CASE, "OBS-0001").status == "uncorroborated"
    crossref.link(db, analyst, CASE, "OBS-0001", "F-0001", "contradicts", "The note names another school")
    assert crossref.observation_veracity(db, analyst, CASE, "OBS-0001").status == "contradicted"
    crossref.withdraw(db, analyst, CASE, "XR-0001", "misread the note")
    shown = crossref.observation_veracity(db, analyst, CASE, "OBS-0001")
    assert shown.status == "uncorroborated"
    assert shown.crossrefs.empty
    assert len(shown.links) == 2


def test_withdrawing_twice_is_a_conflict_and_unknown_codes_are_not_found(db, analyst, linkable, counts):
    crossref.link(db, analyst, CASE, "OBS-0001", "F-0001", "context", "why")
    crossref.withdraw(db, analyst, CASE, "XR-0001", "first time")
    before = counts()
    with pytest.raises(Conflict, match="XR-0001 is already withdrawn"):
        crossref.withdraw(db, analyst, CASE, "XR-0001", "second time")
    with pytest.raises(NotFound, match="XR-0404"):
        crossref.withdraw(db, analyst, CASE, "XR-0404", "no such link")
    with pytest.raises(ValidationError) as raised:
        crossref.withdraw(db, analyst, CASE, "XR-0001", "  ")
    assert raised.value.errors == {"reason": "is required"}
    assert counts() == before


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE crossrefs SET fact_id = fact_id",
        "DELETE FROM crossrefs",
        "UPDATE crossref_versions SET withdrawn = 1",
        "UPDATE crossref_versions SET rationale = 'rewritten'",
        "DELETE FROM crossref_versions",
    ],
)
def test_links_and_their_versions_cannot_be_changed_or_deleted(db, analyst, linkable, sql):
    crossref.link(db, analyst, CASE, "OBS-0001", "F-0001", "context", "why")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute(sql)
    assert db.execute("SELECT COUNT(*), MAX(rationale) FROM crossref_versions").fetchone() == (1, "why")
    assert db.execute("SELECT COUNT(*) FROM crossrefs").fetchone()[0] == 1


def test_a_link_to_a_fact_retracted_since_no_longer_counts(db, analyst, observation_input):
    _fact(db, analyst, attribute="school", value="Northfield Academy")
    observations.record(db, analyst, CASE, _note(observation_input))
    crossref.link(db, analyst, CASE, "OBS-0001", "F-0001", "contradicts", "The note names another school")
    facts.retract_fact(db, analyst, CASE, "F-0001", "the school record was for a sibling")
    assert crossref.observation_veracity(db, analyst, CASE, "OBS-0001").status == "uncorroborated"


# --- the veracity panel --------------------------------------------------------------------------


@pytest.fixture
def reviewed(db, analyst, observation_input):
    """Two dates of birth that disagree (14 and 19 on the day), a school, an untouched gender, and:
    OBS-0001 a note (uncorroborated), OBS-0002 school Northfield (corroborated), OBS-0003 age 19
    (conflicting), OBS-0004 age 30 (contradicted)."""
    _fact(db, analyst)  # F-0001: 14 on 2025-03-14
    _fact(db, analyst, value="2005-11-30", source_agency="health")  # F-0002: 19 on 2025-03-14
    _fact(db, analyst, attribute="school", value="Northfield Academy")  # F-0003
    _fact(db, analyst, attribute="gender", value="female")  # F-0004: nothing touches it
    observations.record(db, analyst, CASE, _note(observation_input))
    school = observation_input(
        indicator="stated_school", summary="Bio names a school", details={"profile_element": "bio",
                                                                          "stated_school": "Northfield"},
    )  # fmt: skip
    observations.record(db, analyst, CASE, school)
    observations.record(db, analyst, CASE, _age(observation_input, 19))
    observations.record(db, analyst, CASE, _age(observation_input, 30))


@pytest.mark.parametrize(
    ("code", "status", "label"),
    [
        ("OBS-0001", "uncorroborated", "Uncorroborated"),
        ("OBS-0002", "corroborated", "Corroborated"),
        ("OBS-0003", "conflicting", "Conflicting"),
        ("OBS-0004", "contradicted", "Contradicted"),
    ],
)
def test_the_veracity_panel_gives_each_status(db, analyst, reviewed, code, status, label):
    shown = crossref.observation_veracity(db, analyst, CASE, code.lower())
    assert (shown.observation, shown.status, shown.status_label) == (code, status, label)
    assert shown.status_description
    assert set(shown.crossrefs["observation"]) <= {code}


def test_the_panel_lists_the_findings_of_that_observation_only(db, analyst, reviewed):
    shown = crossref.observation_veracity(db, analyst, CASE, "OBS-0003")
    assert sorted(zip(shown.crossrefs["fact"], shown.crossrefs["relation"], strict=True)) == [
        ("F-0001", "contradicts"), ("F-0002", "corroborates"),
    ]  # fmt: skip
    assert shown.crossrefs["relation"].tolist()[0] == "contradicts"  # contradictions first
    assert shown.links.empty


@pytest.mark.parametrize(("grade", "warned"), [("1", False), ("2", True), ("3", True)])
def test_an_uncorroborated_observation_from_an_untested_source_is_warned_about(db, analyst, observation_input,
                                                                               grade, warned):  # fmt: skip
    observations.record(db, analyst, CASE, _note(observation_input, source_grade=grade))
    shown = crossref.observation_veracity(db, analyst, CASE, "OBS-0001")
    assert shown.status == "uncorroborated"
    assert shown.grades.untested_or_worse is warned
    assert shown.grades.source.startswith(f"{grade} ")
    assert shown.grades.scheme.startswith("3x5x2")
    if warned:
        assert shown.warning.startswith(f"Uncorroborated, from a single source graded {grade} ")
        assert "Treat it as unconfirmed" in shown.warning
    else:
        assert shown.warning == ""


@pytest.mark.parametrize("age", [14, 19])
def test_no_warning_once_a_trusted_source_has_spoken(db, analyst, observation_input, age):
    _fact(db, analyst)
    observations.record(db, analyst, CASE, _age(observation_input, age, source_grade="3"))
    shown = crossref.observation_veracity(db, analyst, CASE, "OBS-0001")
    assert shown.status in ("corroborated", "contradicted")
    assert shown.grades.untested_or_worse
    assert shown.warning == ""


def test_the_panel_of_an_unknown_observation_is_not_found(db, analyst):
    with pytest.raises(NotFound, match="Observation OBS-0404 not found"):
        crossref.observation_veracity(db, analyst, CASE, "OBS-0404")


# --- the case review -----------------------------------------------------------------------------


def test_the_review_puts_contradicted_observations_first(db, analyst, reviewed):
    seen = crossref.review(db, analyst, CASE)
    assert seen.observations[["code", "status"]].values.tolist() == [
        ["OBS-0004", "contradicted"], ["OBS-0003", "conflicting"], ["OBS-0002", "corroborated"],
        ["OBS-0001", "uncorroborated"],
    ]  # fmt: skip
    by_code = seen.observations.set_index("code")
    assert by_code.loc["OBS-0004", "labels"] == "false age stated"
    # only the uncorroborated note (graded 2, untested) rests on one untested source
    assert by_code["rests_on_one_untested_source"].to_dict() == {
        "OBS-0004": False, "OBS-0003": False, "OBS-0002": False, "OBS-0001": True,
    }  # fmt: skip
    assert seen.crossrefs["relation"].tolist()[:3] == ["contradicts"] * 3


def test_untouched_facts_are_those_nothing_cross_references(db, analyst, reviewed):
    seen = crossref.review(db, analyst, CASE)
    assert seen.untouched_facts["code"].tolist() == ["F-0004"]
    assert dict(zip(seen.facts["code"], seen.facts["crossrefs"], strict=True)) == {
        "F-0001": 2, "F-0002": 2, "F-0003": 1, "F-0004": 0,
    }  # fmt: skip
    crossref.link(db, analyst, CASE, "OBS-0001", "F-0004", "context", "the note mentions her")
    assert crossref.review(db, analyst, CASE).untouched_facts.empty


def test_the_matrix_marks_the_contradiction_in_the_date_of_birth_column(db, analyst, reviewed):
    matrix = crossref.review(db, analyst, CASE).matrix("P-0001")
    assert matrix["observation"].tolist() == ["OBS-0002", "OBS-0003", "OBS-0004"]  # the note claims nothing
    dob = "F-0001 Date of birth: 2010-05-14"
    assert dob in matrix.columns
    rows = matrix.set_index("observation")
    assert rows.loc["OBS-0004", dob] == "✘ contradicts"
    assert rows.loc["OBS-0003", dob] == "✘ contradicts"
    assert rows.loc["OBS-0003", "F-0002 Date of birth: 2005-11-30"] == "✔ corroborates"
    assert rows.loc["OBS-0002", "F-0003 School: Northfield Academy"] == "✔ corroborates"
    assert rows.loc["OBS-0002", dob] == ""
    assert (rows.loc["OBS-0004", "claims"], rows.loc["OBS-0002", "claims"]) == ("30", "Northfield")


def test_the_review_lists_facts_that_disagree(db, analyst, reviewed):
    seen = crossref.review(db, analyst, CASE)
    assert seen.disagreements == [
        "F-0001 and F-0002 disagree on Child A (P-0001)'s date of birth: '2010-05-14' (the school's record) and "
        "'2005-11-30' (the health record)"
    ]
    facts.retract_fact(db, analyst, CASE, "F-0002", "entered against the wrong child")
    assert crossref.review(db, analyst, CASE).disagreements == []


@pytest.fixture
def contact_with_a_person_of_concern(db, analyst, observation_input):
    """OBS-0001: a contact with the child from @darkknight, the account of Person B (P-0002)."""
    people.add_person(db, analyst, CASE, "Unknown adult", "person_of_concern")
    people.add_account(db, analyst, CASE, "Instagram", "darkknight", person="P-0002")
    contact = observation_input(
        kind="contact_event", indicator="unknown_adult_contact", summary="Messages from an adult",
        details={"counterpart_handle": "@darkknight"},
    )  # fmt: skip
    observations.record(db, analyst, CASE, contact)


def test_the_childs_matrix_shows_the_contact_relating_to_the_account(db, analyst, contact_with_a_person_of_concern):
    seen = crossref.review(db, analyst, CASE)
    matrix = seen.matrix("P-0001").set_index("observation")
    account_column = next(c for c in matrix.columns if c.startswith("AC-0001 "))
    assert account_column.startswith("AC-0001 Account: ") and "darkknight" in account_column
    assert matrix.loc["OBS-0001", account_column] == "→ relates to"
    assert matrix.loc["OBS-0001", "claims"] == "@darkknight"
    assert seen.observations["labels"].tolist() == ["person of concern"]


def test_a_contact_with_their_account_concerns_the_person_of_concern(db, analyst, contact_with_a_person_of_concern):
    seen = crossref.review(db, analyst, CASE)
    assert seen.touching("P-0002") == {"OBS-0001"}
    assert seen.concerning("P-0002") == {"OBS-0001"}
    assert seen.matrix("P-0002")["observation"].tolist() == ["OBS-0001"]


def test_the_review_lists_what_each_observation_claims(db, analyst, reviewed):
    claims = crossref.review(db, analyst, CASE).claims
    assert claims[["observation", "person", "field", "value"]].values.tolist() == [
        ["OBS-0002", "P-0001", "stated_school", "Northfield"],
        ["OBS-0003", "P-0001", "stated_age", "19"],
        ["OBS-0004", "P-0001", "stated_age", "30"],
    ]


# --- the audit trail, who may, and stale findings ------------------------------------------------


def test_every_read_and_write_leaves_its_audit_event(db, analyst, observation_input):
    _fact(db, analyst)
    _observe(db, analyst, observation_input)
    steps = [
        ("crossref.link", lambda: crossref.link(db, analyst, CASE, "OBS-0001", "F-0001", "context", "why")),
        ("crossref.withdraw", lambda: crossref.withdraw(db, analyst, CASE, "XR-0001", "mistaken")),
        ("crossref.list", lambda: crossref.list_crossrefs(db, analyst, CASE)),
        ("crossref.veracity", lambda: crossref.observation_veracity(db, analyst, CASE, "OBS-0001")),
        ("crossref.review", lambda: crossref.review(db, analyst, CASE)),
        ("crossref.recompute", lambda: crossref.recompute(db, analyst, CASE)),
        ("fact.amend", lambda: facts.amend_fact(db, analyst, CASE, "F-0001", {"value": "2010-05-15"}, "typo")),
        ("fact.view", lambda: facts.view_fact(db, analyst, CASE, "F-0001")),
        ("fact.retract", lambda: facts.retract_fact(db, analyst, CASE, "F-0001", "wrong child")),
    ]
    for action, step in steps:
        seq = _last_seq(db)
        step()
        assert _actions(db, seq) == [action]
        event = next(iter(db.query("SELECT * FROM audit_events WHERE seq > ?", (seq,))))
        assert (event["username"], event["case_ref"]) == ("analyst", CASE)


def test_link_and_withdraw_events_carry_what_and_why(db, analyst, observation_input):
    _fact(db, analyst)
    _observe(db, analyst, observation_input)
    crossref.link(db, analyst, CASE, "OBS-0001", "F-0001", "contradicts", "School says 14")
    crossref.withdraw(db, analyst, CASE, "XR-0001", "Linked the wrong fact")
    link, withdraw = db.query(
        "SELECT * FROM audit_events WHERE action IN ('crossref.link', 'crossref.withdraw') ORDER BY seq"
    )
    assert (link["item_code"], link["justification"]) == ("XR-0001", "School says 14")
    assert json.loads(link["details"]) == {"observation": "OBS-0001", "fact": "F-0001", "relation": "contradicts"}
    assert (withdraw["item_code"], withdraw["justification"]) == ("XR-0001", "Linked the wrong fact")
    amended = facts.amend_fact(db, analyst, CASE, "F-0001", {"value": "2010-05-15"}, "typo in the year")
    event = list(db.query("SELECT * FROM audit_events WHERE action = 'fact.amend'"))[-1]
    assert (event["item_code"], event["justification"]) == (amended, "typo in the year")
    assert json.loads(event["details"]) == {"version": 2, "changed": ["value"]}


def test_recompute_reports_what_it_found(db, analyst, observation_input):
    _fact(db, analyst)
    _observe(db, analyst, observation_input)
    _observe(db, analyst, observation_input)
    db.execute("DELETE FROM rule_findings")
    assert crossref.recompute(db, analyst, CASE) == 2
    event = list(db.query("SELECT details FROM audit_events WHERE action = 'crossref.recompute'"))[-1]
    assert json.loads(event["details"]) == {"findings": 2}
    assert len(_stored_findings(db)) == 2


def test_a_reviewer_can_read_but_not_link(db, analyst, reviewer, linkable, counts):
    crossref.link(db, analyst, CASE, "OBS-0001", "F-0001", "context", "why")
    assert ("OBS-0001", "F-0001", "contradicts", "age_against_date_of_birth") in _found(db, reviewer)
    assert crossref.observation_veracity(db, reviewer, CASE, "OBS-0001").status == "contradicted"
    assert crossref.review(db, reviewer, CASE).observations["code"].tolist() == ["OBS-0001"]
    before = counts()
    for attempt in (
        lambda: crossref.link(db, reviewer, CASE, "OBS-0001", "F-0001", "corroborates", "why"),
        lambda: crossref.withdraw(db, reviewer, CASE, "XR-0001", "why"),
        lambda: crossref.recompute(db, reviewer, CASE),
        lambda: facts.amend_fact(db, reviewer, CASE, "F-0001", {"value": "2010-05-15"}, "why"),
        lambda: facts.retract_fact(db, reviewer, CASE, "F-0001", "why"),
    ):
        with pytest.raises(PermissionDenied, match="does not allow you to record"):
            attempt()
    assert counts() == before


def test_a_non_member_gets_not_found(db, analyst, analyst2, linkable, counts):
    before = counts()
    for attempt in (
        lambda: crossref.link(db, analyst2, CASE, "OBS-0001", "F-0001", "context", "why"),
        lambda: crossref.withdraw(db, analyst2, CASE, "XR-0001", "why"),
        lambda: crossref.list_crossrefs(db, analyst2, CASE),
        lambda: crossref.observation_veracity(db, analyst2, CASE, "OBS-0001"),
        lambda: crossref.review(db, analyst2, CASE),
        lambda: crossref.recompute(db, analyst2, CASE),
        lambda: facts.view_fact(db, analyst2, CASE, "F-0001"),
    ):
        with pytest.raises(NotFound, match="Case CASE-1 not found"):
            attempt()
    assert counts() == before


def test_a_member_added_later_may_link(db, analyst, analyst2, linkable):
    cases.add_member(db, SYSTEM, CASE, "analyst2", "analyst")
    assert crossref.link(db, analyst2, CASE, "OBS-0001", "F-0001", "context", "why") == "XR-0001"
    assert crossref.list_crossrefs(db, analyst, CASE).set_index("code").loc["XR-0001", "by"] == "analyst2"


@pytest.mark.parametrize(
    "tamper",
    [
        ["UPDATE rule_state SET rules_version = 0", "DELETE FROM rule_findings"],
        ["DELETE FROM rule_findings", "DELETE FROM rule_state"],
    ],
    ids=["older-rules", "no-state"],
)
@pytest.mark.parametrize("read", ["list", "veracity", "review"])
def test_stale_findings_are_recomputed_on_the_next_read(db, analyst, observation_input, tamper, read):
    _fact(db, analyst)
    _observe(db, analyst, observation_input)
    for sql in tamper:
        db.execute(sql)
    assert _stored_findings(db) == []
    if read == "list":
        assert _found(db, analyst) == [("OBS-0001", "F-0001", "contradicts", "age_against_date_of_birth")]
    elif read == "veracity":
        assert crossref.observation_veracity(db, analyst, CASE, "OBS-0001").status == "contradicted"
    else:
        assert crossref.review(db, analyst, CASE).observations["status"].tolist() == ["contradicted"]
    assert len(_stored_findings(db)) == 1
    state = db.execute("SELECT rules_version FROM rule_state").fetchall()
    assert [tuple(r) for r in state] == [(crossref.veracity.RULES_VERSION,)]


def test_current_findings_are_not_recomputed_on_read(db, analyst, observation_input):
    _fact(db, analyst)
    _observe(db, analyst, observation_input)
    db.execute("DELETE FROM rule_findings")  # rule_state still says current: a read trusts it
    assert _found(db, analyst) == []


# --- fact history --------------------------------------------------------------------------------


def test_amend_fact_keeps_every_version(db, analyst):
    _fact(db, analyst, source_reference="Admissions record")
    assert facts.amend_fact(db, analyst, CASE, "f-0001", {"value": "2010-05-15"}, "typo in the day",
                            expected_version=1) == "F-0001"  # fmt: skip
    shown = facts.view_fact(db, analyst, CASE, "F-0001")
    assert (shown.code, shown.person, shown.version, shown.retracted) == ("F-0001", "P-0001", 2, False)
    assert shown.current["value"] == "2010-05-15"
    assert shown.current["source_reference"] == "Admissions record"  # not given: kept
    assert shown.versions[["version", "value", "change_reason", "recorded_by"]].values.tolist() == [
        [1, "2010-05-14", "", "analyst"],
        [2, "2010-05-15", "typo in the day", "analyst"],
    ]
    assert facts.list_facts(db, analyst, CASE)["version"].tolist() == [2]


def test_amend_fact_refuses_nothing_changed(db, analyst, counts):
    _fact(db, analyst)
    before = counts()
    with pytest.raises(ValidationError) as raised:
        facts.amend_fact(db, analyst, CASE, "F-0001", {"value": " 2010-05-14 ", "person": "p-0001"}, "no change")
    assert raised.value.errors == {"fact": "nothing was changed; there is no new version to save"}
    assert counts() == before


def test_amend_fact_refuses_changing_the_person(db, analyst, counts):
    people.add_person(db, analyst, CASE, "Sibling", "family")
    _fact(db, analyst)
    before = counts()
    with pytest.raises(ValidationError) as raised:
        facts.amend_fact(db, analyst, CASE, "F-0001", {"person": "P-0002", "value": "2010-05-15"}, "other child")
    assert "cannot change" in raised.value.errors["person"]
    assert counts() == before


def test_amend_fact_accepts_the_same_person_by_pseudonym(db, analyst):
    _fact(db, analyst)
    facts.amend_fact(db, analyst, CASE, "F-0001", {"person": "Child A", "value": "2010-05-15"}, "typo")
    assert facts.view_fact(db, analyst, CASE, "F-0001").version == 2


def test_amend_fact_checks_the_new_values(db, analyst, counts):
    _fact(db, analyst)
    before = counts()
    with pytest.raises(ValidationError) as raised:
        facts.amend_fact(db, analyst, CASE, "F-0001", {"value": "2999-01-01"}, " ")
    assert set(raised.value.errors) == {"value", "reason"}
    assert "cannot be in the future" in raised.value.errors["value"]
    assert counts() == before


def test_amend_fact_refuses_a_stale_version(db, analyst, counts):
    _fact(db, analyst)
    facts.amend_fact(db, analyst, CASE, "F-0001", {"value": "2010-05-15"}, "first fix", expected_version=1)
    before = counts()
    with pytest.raises(Conflict, match="changed since you opened it"):
        facts.amend_fact(db, analyst, CASE, "F-0001", {"value": "2010-05-16"}, "second fix", expected_version=1)
    with pytest.raises(Conflict):
        facts.retract_fact(db, analyst, CASE, "F-0001", "late", expected_version=1)
    assert counts() == before


def test_a_retracted_fact_cannot_be_amended_or_retracted_again(db, analyst, counts):
    _fact(db, analyst)
    facts.retract_fact(db, analyst, CASE, "F-0001", "wrong child")
    shown = facts.view_fact(db, analyst, CASE, "F-0001")
    assert (shown.version, shown.retracted) == (2, True)
    assert shown.versions["retracted"].tolist() == [0, 1]
    assert shown.versions["change_reason"].tolist() == ["", "wrong child"]
    before = counts()
    with pytest.raises(Conflict, match="F-0001 is retracted"):
        facts.amend_fact(db, analyst, CASE, "F-0001", {"value": "2010-05-15"}, "fix")
    with pytest.raises(Conflict, match="F-0001 is retracted"):
        facts.retract_fact(db, analyst, CASE, "F-0001", "again")
    assert counts() == before
    assert facts.list_facts(db, analyst, CASE).empty
    assert facts.list_facts(db, analyst, CASE, include_retracted=True)["code"].tolist() == ["F-0001"]


def test_fact_history_of_an_unknown_fact_is_not_found(db, analyst):
    with pytest.raises(NotFound, match="Fact F-0404 not found"):
        facts.view_fact(db, analyst, CASE, "F-0404")
    with pytest.raises(NotFound):
        facts.amend_fact(db, analyst, CASE, "F-0404", {"value": "x"}, "why")
    with pytest.raises(NotFound):
        facts.retract_fact(db, analyst, CASE, "F-0404", "why")


def test_a_vulnerability_fact_view_is_marked_special_category(db, analyst):
    _fact(db, analyst, attribute="mental_health", value="Anxiety", source_agency="health")
    _fact(db, analyst)
    assert facts.view_fact(db, analyst, CASE, "F-0001").special_category is True
    assert facts.view_fact(db, analyst, CASE, "F-0002").special_category is False

"""Trusted-source facts: added one by one or imported whole, checked, special-category flagged."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from workbench import facts, people
from workbench.errors import NotFound, PermissionDenied, ValidationError
from workbench.imports import ImportRejected
from workbench.schemas import SCHEMAS_DIR

HEADER = "person,attribute,value,source_agency,source_reference,valid_from,valid_to\n"


def _fact(**overrides) -> dict:
    given = {"person": "P-0001", "attribute": "school", "value": "Northfield Academy", "source_agency": "school"}
    given.update(overrides)
    return given


def _special_attributes() -> set[str]:
    """Read straight from the vocabulary file, not through the code under test."""
    vocab = json.loads((SCHEMAS_DIR / "vocabularies.json").read_text(encoding="utf-8"))
    return {entry["value"] for entry in vocab["fact_attributes"] if entry.get("special_category")}


# --- adding --------------------------------------------------------------------------------------


def test_add_fact_returns_codes_and_lists_the_fact(db, analyst):
    first = facts.add_fact(db, analyst, "CASE-1", _fact(source_reference="Admissions record", valid_from="2023-09-01"))
    second = facts.add_fact(db, analyst, "CASE-1", _fact(attribute="gender", value="female"))
    assert (first, second) == ("F-0001", "F-0002")
    listed = facts.list_facts(db, analyst, "CASE-1")
    assert listed["code"].tolist() == ["F-0001", "F-0002"]
    row = listed.iloc[0].to_dict()
    assert (row["person"], row["pseudonym"], row["attribute"], row["value"]) == (
        "P-0001", "Child A", "school", "Northfield Academy",
    )  # fmt: skip
    assert (row["source_agency"], row["source_reference"], row["valid_from"]) == (
        "school", "Admissions record", "2023-09-01",
    )  # fmt: skip
    assert (row["version"], row["recorded_by"]) == (1, "analyst")


def test_add_fact_writes_one_fact_one_version_one_event(db, analyst, counts):
    before = counts()
    facts.add_fact(db, analyst, "CASE-1", _fact())
    after = counts()
    assert {t: after[t] - before[t] for t in after if after[t] != before[t]} == {
        "facts": 1, "fact_versions": 1, "audit_events": 1,
    }  # fmt: skip


@pytest.mark.parametrize("typed", ["P-0002", "p-0002", "Person B", "person b", "Mother", "MOTHER"])
def test_a_person_is_found_by_code_pseudonym_or_name(db, analyst, typed):
    mother = people.add_person(db, analyst, "CASE-1", "Mother", "family")
    assert mother == "P-0002"
    facts.add_fact(db, analyst, "CASE-1", _fact(person=typed, attribute="home_area", value="Eastbrook"))
    assert facts.list_facts(db, analyst, "CASE-1")["person"].tolist() == ["P-0002"]


def test_the_child_is_found_by_pseudonym(db, analyst):
    facts.add_fact(db, analyst, "CASE-1", _fact(person="child a"))
    assert facts.list_facts(db, analyst, "CASE-1")["person"].tolist() == ["P-0001"]


def test_an_ambiguous_person_name_is_refused(db, analyst, counts):
    people.add_person(db, analyst, "CASE-1", "Mother", "family")
    people.add_person(db, analyst, "CASE-1", "Mother", "family", notes="Birth mother, not the carer")
    before = counts()
    with pytest.raises(ValidationError) as raised:
        facts.add_fact(db, analyst, "CASE-1", _fact(person="Mother", attribute="mental_health", value="Depression"))
    assert "person" in raised.value.errors
    assert counts() == before


def test_labels_are_accepted_for_attribute_and_agency(db, analyst):
    facts.add_fact(db, analyst, "CASE-1", _fact(attribute="Date of birth", value="2012-05-14",
                                                 source_agency="children's social care"))  # fmt: skip
    row = facts.list_facts(db, analyst, "CASE-1").iloc[0]
    assert (row["attribute"], row["source_agency"]) == ("date_of_birth", "childrens_social_care")


def test_a_date_of_birth_is_stored_as_a_date(db, analyst):
    facts.add_fact(db, analyst, "CASE-1", _fact(attribute="date_of_birth", value=" 2012-05-14 "))
    assert facts.list_facts(db, analyst, "CASE-1")["value"].tolist() == ["2012-05-14"]


def test_a_date_of_birth_of_today_is_accepted(db, analyst):
    today = date.today().isoformat()
    facts.add_fact(db, analyst, "CASE-1", _fact(attribute="date_of_birth", value=today))
    assert facts.list_facts(db, analyst, "CASE-1")["value"].tolist() == [today]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("14/05/2012", "must be a date as YYYY-MM-DD"),
        ("2012-02-30", "must be a date as YYYY-MM-DD"),
        ("twelve", "must be a date as YYYY-MM-DD"),
        ("tomorrow", "cannot be in the future"),  # worked out when the test runs, not when it is collected
        ("2999-01-01", "cannot be in the future"),
    ],
)
def test_a_date_of_birth_must_be_a_past_date(db, analyst, counts, value, reason):
    if value == "tomorrow":  # a run that starts before midnight and reaches this after it must still mean tomorrow
        value = (date.today() + timedelta(days=1)).isoformat()
    before = counts()
    with pytest.raises(ValidationError) as raised:
        facts.add_fact(db, analyst, "CASE-1", _fact(attribute="date_of_birth", value=value))
    assert reason in raised.value.errors["value"]
    assert counts() == before


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"person": ""}, "person", "is required"),
        ({"person": "P-0404"}, "person", "no person 'P-0404' in this case"),
        ({"attribute": "shoe_size"}, "attribute", "must be one of"),
        ({"value": " "}, "value", "is required"),
        ({"value": "v" * 2001}, "value", "at most 2000 characters"),
        ({"source_agency": "rumour"}, "source_agency", "must be one of"),
        ({"source_reference": "r" * 201}, "source_reference", "at most 200 characters"),
        ({"valid_from": "last year"}, "valid_from", "must be a date as YYYY-MM-DD"),
        ({"valid_from": "2025-06-01", "valid_to": "2025-01-01"}, "valid_to", "cannot be before valid_from"),
        ({"confidence": "high"}, "confidence", "is not a fact field"),
    ],
)
def test_bad_fact_input_is_refused_naming_the_field(db, analyst, counts, overrides, field, reason):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        facts.add_fact(db, analyst, "CASE-1", _fact(**overrides))
    assert field in raised.value.errors, raised.value.errors
    assert reason in raised.value.errors[field]
    assert counts() == before


# --- people, as facts find them (by code, pseudonym or name) ---------------------------------


def test_an_automatic_pseudonym_never_repeats_one_already_in_the_case(db, analyst):
    people.add_person(db, analyst, "CASE-1", "Uncle", "family", pseudonym="Person C")  # P-0002
    people.add_person(db, analyst, "CASE-1", "Neighbour", "other")  # P-0003 would be "Person C"
    pseudonyms = people.list_people(db, analyst, "CASE-1")["pseudonym"].tolist()
    assert len(pseudonyms) == len(set(pseudonyms)), pseudonyms


def test_a_pseudonym_already_in_the_case_is_refused(db, analyst, counts):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        people.add_person(db, analyst, "CASE-1", "Cousin", "family", pseudonym="child a")
    assert "pseudonym" in raised.value.errors
    assert counts() == before


# --- special category ----------------------------------------------------------------------------


def test_special_category_attributes_are_flagged(db, analyst):
    special = _special_attributes()
    assert {"mental_health", "looked_after", "send_or_disability", "family_risk_factor"} <= special
    for attribute in ("mental_health", "looked_after", "school", "gender"):
        facts.add_fact(db, analyst, "CASE-1", _fact(attribute=attribute, value=f"about {attribute}"))
    listed = facts.list_facts(db, analyst, "CASE-1")
    flagged = dict(zip(listed["attribute"], listed["special_category"], strict=True))
    assert flagged == {"mental_health": True, "looked_after": True, "school": False, "gender": False}


def test_an_empty_fact_list_still_has_the_special_category_column(db, analyst):
    listed = facts.list_facts(db, analyst, "CASE-1")
    assert listed.empty
    assert "special_category" in listed.columns


# --- who may ------------------------------------------------------------------------------------


def test_a_reviewer_can_list_but_not_add_facts(db, reviewer, counts):
    before = counts()
    with pytest.raises(PermissionDenied):
        facts.add_fact(db, reviewer, "CASE-1", _fact())
    with pytest.raises(PermissionDenied):
        facts.import_csv(db, reviewer, "CASE-1", (HEADER + "P-0001,gender,female,school,,,\n").encode())
    assert counts()["facts"] == before["facts"]
    assert facts.list_facts(db, reviewer, "CASE-1").empty


def test_a_non_member_gets_not_found(db, analyst2, counts):
    before = counts()
    for attempt in (
        lambda: facts.add_fact(db, analyst2, "CASE-1", _fact()),
        lambda: facts.list_facts(db, analyst2, "CASE-1"),
        lambda: facts.import_csv(db, analyst2, "CASE-1", (HEADER + "P-0001,gender,female,school,,,\n").encode()),
    ):
        with pytest.raises(NotFound, match="Case CASE-1 not found"):
            attempt()
    assert counts() == before


# --- importing -----------------------------------------------------------------------------------


def test_import_adds_every_row(db, analyst):
    people.add_person(db, analyst, "CASE-1", "Mother", "family")
    data = (
        HEADER
        + "Child A,date_of_birth,2012-05-14,school,Admissions record,,\n"
        + "Child A,mental_health,Referred to CAMHS,health,CAMHS-88,2025-11-03,\n"
        + "Person B,family_risk_factor,Domestic abuse (historic),childrens_social_care,CSC-17,2024-02-01,2025-06-30\n"
    ).encode()
    codes = facts.import_csv(db, analyst, "CASE-1", data)
    assert codes == ["F-0001", "F-0002", "F-0003"]
    listed = facts.list_facts(db, analyst, "CASE-1")
    assert listed["person"].tolist() == ["P-0001", "P-0001", "P-0002"]
    assert listed["special_category"].tolist() == [False, True, True]
    assert listed["valid_to"].tolist()[2] == "2025-06-30"


def test_import_with_bad_rows_is_refused_whole(db, analyst, counts):
    data = (
        HEADER
        + "Child A,gender,female,school,,,\n"
        + "Nobody,gender,female,school,,,\n"
        + "Child A,date_of_birth,2999-01-01,school,,,\n"
        + "Child A,school,Northfield,school,,,\n"
    ).encode()
    before = counts()
    with pytest.raises(ImportRejected) as raised:
        facts.import_csv(db, analyst, "CASE-1", data)
    assert raised.value.lines() == [
        "row 3: person: no person 'Nobody' in this case",
        "row 4: value: a date of birth cannot be in the future",
    ]
    assert counts() == before


def test_import_refuses_a_file_missing_a_required_column(db, analyst, counts):
    before = counts()
    with pytest.raises(ImportRejected) as raised:
        facts.import_csv(db, analyst, "CASE-1", b"person,attribute,value\nChild A,gender,female\n")
    assert raised.value.lines() == ["row 1: columns: missing required column 'source_agency'"]
    assert counts() == before

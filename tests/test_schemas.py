"""schemas/: observation kinds (JSON Schema 2020-12 with x- annotations), vocabularies, gradings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from workbench.errors import ValidationError
from workbench.schemas import SCHEMAS_DIR, load_catalog

KIND_FILES = sorted((SCHEMAS_DIR / "kinds").glob("*.schema.json"))
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

# One valid (indicator, details) per kind: a new kind needs an example here.
EXAMPLES = {
    "contact_event": ("grooming_pattern", {"counterpart_handle": "@stranger", "grooming_indicators": ["flattery"]}),
    "device_observation": ("decoy_app", {"reported_by": "police", "decoy_apps": ["Calculator+"]}),
    "friend_network": ("many_older_contacts", {"contacts_total": 500, "contacts_reviewed": 100, "apparent_adults": 60}),
    "general_note": ("note", {"note": "Mother called the school."}),
    "group_membership": ("harmful_community", {"group_name": "Thin club", "category": "eating_disorder"}),
    "image_sharing_incident": ("sextortion", {"what_was_seen": "A description only", "where_seen": "Snapchat"}),
    "posting_activity": ("posting_surge", {"topic": "knives", "post_count": 30, "baseline_count": 3}),
    "profile_indicator": ("stated_age", {"profile_element": "bio", "stated_age": 19}),
}


@pytest.fixture
def catalog(clean_env):
    return load_catalog()


@pytest.fixture
def schemas_copy(tmp_path) -> Path:
    """A private copy of schemas/ to break."""
    target = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR, target)
    return target


def _edit_kind(root: Path, kind: str, change) -> None:
    path = root / "kinds" / f"{kind}.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    change(schema)
    path.write_text(json.dumps(schema), encoding="utf-8")


# --- the kind files ------------------------------------------------------------------------------


def test_there_are_kind_files():
    assert len(KIND_FILES) >= 1


@pytest.mark.parametrize("path", KIND_FILES, ids=lambda p: p.name)
def test_every_kind_file_is_a_valid_2020_12_schema(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$schema"] == DRAFT_2020_12
    Draft202012Validator.check_schema(schema)
    assert schema.get("type") == "object"
    assert schema.get("additionalProperties") is False


def test_every_kind_file_loads_into_the_catalog(catalog):
    assert set(catalog.kinds) == {p.name.removesuffix(".schema.json") for p in KIND_FILES}


def test_every_kind_has_a_valid_default_five_c_and_indicators(catalog):
    five_cs = set(catalog.values("five_cs"))
    for kind in catalog.kinds.values():
        assert kind.default_five_c in five_cs, kind.name
        assert len(kind.indicators) >= 1, kind.name
        values = [i.value for i in kind.indicators]
        assert len(values) == len(set(values)), f"{kind.name} repeats an indicator"
        for indicator in kind.indicators:
            assert indicator.label.strip(), f"{kind.name}.{indicator.value} has no label"
            assert indicator.five_c is None or indicator.five_c in five_cs
            assert set(indicator.requires) <= set(kind.properties)
            assert kind.five_c_for(indicator.value) in five_cs


def test_every_kind_has_a_title_and_an_example(catalog):
    assert set(EXAMPLES) == set(catalog.kinds)
    for kind in catalog.kinds.values():
        assert kind.title.strip() and kind.title != kind.name


@pytest.mark.parametrize(("kind", "example"), EXAMPLES.items())
def test_every_kind_accepts_its_example(catalog, kind, example):
    indicator, details = example
    assert catalog.validate_details(kind, indicator, details) == details


def test_only_the_image_sharing_kind_forbids_attachments(catalog):
    assert {k.name for k in catalog.kinds.values() if k.no_attachments} == {"image_sharing_incident"}


def test_indicator_five_c_overrides_the_kind_default(catalog):
    contact = catalog.kinds["contact_event"]
    assert contact.five_c_for("gifts_or_money_offered") == "commercialisation"
    assert contact.five_c_for("grooming_pattern") == "contact"
    assert contact.five_c_for("no_such_indicator") == "contact"


# --- vocabularies and gradings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("five_c", "four_c"),
    [
        ("content", "content"),
        ("conduct", "conduct"),
        ("contact", "contact"),
        ("commercialisation", "contract"),
        ("communities", "conduct"),
    ],
)
def test_five_cs_map_to_the_4cs(catalog, five_c, four_c):
    assert catalog.four_c(five_c) == four_c


def test_every_five_c_has_a_4cs_mapping(catalog):
    assert {catalog.four_c(v) for v in catalog.values("five_cs")} <= {"content", "conduct", "contact", "contract"}


def test_unknown_five_c_has_no_4cs_mapping(catalog):
    with pytest.raises(ValueError, match="unknown Five C"):
        catalog.four_c("cuddles")


def test_grading_schemes_list_their_grades(catalog):
    three = catalog.grading("3x5x2")
    assert [c.value for c in three.source] == ["1", "2", "3"]
    assert [c.value for c in three.information] == ["A", "B", "C", "D", "E"]
    admiralty = catalog.grading("admiralty")
    assert [c.value for c in admiralty.source] == ["A", "B", "C", "D", "E", "F"]
    assert [c.value for c in admiralty.information] == ["1", "2", "3", "4", "5", "6"]
    assert [c.value for c in catalog.handling] == ["P", "C"]
    assert three.source_choice("2").label.startswith("2 ")
    assert admiralty.information_choice("9") is None


def test_special_category_fact_attributes_are_flagged(catalog):
    special = {c.value for c in catalog.choices("fact_attributes") if c.extra.get("special_category")}
    assert special == {"looked_after", "send_or_disability", "mental_health", "physical_health", "family_risk_factor"}


def test_catalog_labels_fall_back_to_the_value(catalog):
    assert catalog.label("five_cs", "commercialisation") == "Commercialisation"
    assert catalog.label("five_cs", "mystery") == "mystery"


# --- validating details --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "indicator", "details", "field", "reason"),
    [
        ("profile_indicator", "other", {"profile_element": "bio", "stated_age": "nineteen"},
         "details.stated_age", "must be a whole number"),
        ("profile_indicator", "other", {"profile_element": "bio", "stated_age": True},
         "details.stated_age", "must be a whole number"),
        ("profile_indicator", "other", {"profile_element": "bio", "favourite_colour": "red"},
         "details.favourite_colour", "is not a field of this kind"),
        ("profile_indicator", "other", {"description": "no element"},
         "details.profile_element", "is required"),
        ("profile_indicator", "stated_age", {"profile_element": "bio"},
         "details.stated_age", "is required for the indicator 'Stated age'"),
        ("profile_indicator", "stated_school", {"profile_element": "bio", "stated_school": "  "},
         "details.stated_school", "is required for the indicator 'Stated school'"),
        ("profile_indicator", "other", {"profile_element": "armpit"},
         "details.profile_element", "must be one of: profile_picture"),
        ("profile_indicator", "other", {"profile_element": "bio", "stated_age": -1},
         "details.stated_age", "must be at least 0"),
        ("profile_indicator", "other", {"profile_element": "bio", "stated_age": 121},
         "details.stated_age", "must be at most 120"),
        ("profile_indicator", "other", {"profile_element": "bio", "display_name": "x" * 201},
         "details.display_name", "must be at most 200 characters"),
        ("friend_network", "other", {"contacts_total": 10, "contacts_reviewed": 20},
         "details.contacts_reviewed", "cannot be more than contacts_total (20 > 10)"),
        ("friend_network", "other", {"contacts_total": 100, "contacts_reviewed": 20, "older_males": 21},
         "details.older_males", "cannot be more than contacts_reviewed"),
        ("posting_activity", "other",
         {"topic": "t", "post_count": 3, "window_start": "2026-03-10", "window_end": "2026-03-01"},
         "details.window_end", "cannot be before window_start"),
        ("posting_activity", "other", {"topic": "t", "post_count": 3, "window_start": "2026-02-30"},
         "details.window_start", "must be a date as YYYY-MM-DD"),
        ("posting_activity", "other", {"topic": "t", "post_count": 3, "window_start": "14/03/2026"},
         "details.window_start", "must be a date as YYYY-MM-DD"),
        ("group_membership", "other", {"group_name": "g", "category": "gaming", "group_url": "javascript:alert(1)"},
         "details.group_url", "must be a web address starting with http:// or https://"),
        ("group_membership", "other", {"group_name": "g", "category": "gaming", "group_url": "ftp://example.org/g"},
         "details.group_url", "must be a web address"),
        ("group_membership", "other", {"group_name": "g", "category": "gaming", "group_url": "https://"},
         "details.group_url", "must be a web address"),
        ("contact_event", "other", {"counterpart_handle": "@x", "grooming_indicators": ["flattery", "flattery"]},
         "details.grooming_indicators", "must not repeat a value"),
        ("contact_event", "other", {"counterpart_handle": "@x", "grooming_indicators": ["kindness"]},
         "details.grooming_indicators", "must be one of"),
        ("contact_event", "other", {"counterpart_handle": "@x", "threats": "yes"},
         "details.threats", "must be true or false"),
        ("device_observation", "other", {"reported_by": "police", "apps": "TikTok"},
         "details.apps", "must be a list"),
    ],
)  # fmt: skip
def test_validate_details_names_the_bad_field(catalog, kind, indicator, details, field, reason):
    with pytest.raises(ValidationError) as raised:
        catalog.validate_details(kind, indicator, details)
    assert field in raised.value.errors, raised.value.errors
    assert reason in raised.value.errors[field]


@pytest.mark.parametrize("value", ["2026-W11-6", "2026-073"])
def test_validate_details_refuses_a_date_not_written_yyyy_mm_dd(catalog, value):
    # Python 3.11's date.fromisoformat reads ISO week and ordinal dates; x-date-order then
    # compares them as text against YYYY-MM-DD values.
    details = {"topic": "t", "post_count": 3, "window_start": value}
    with pytest.raises(ValidationError) as raised:
        catalog.validate_details("posting_activity", "other", details)
    assert raised.value.errors.get("details.window_start") == "must be a date as YYYY-MM-DD"


def test_validate_details_reports_every_bad_field_at_once(catalog):
    with pytest.raises(ValidationError) as raised:
        catalog.validate_details(
            "profile_indicator", "stated_school", {"profile_element": "armpit", "stated_age": "x", "extra": 1}
        )
    assert set(raised.value.errors) == {
        "details.profile_element", "details.stated_age", "details.extra", "details.stated_school",
    }  # fmt: skip


def test_validate_details_accepts_good_urls_dates_and_equal_limits(catalog):
    group = {"group_name": "g", "category": "gaming", "group_url": "https://discord.example/invite/x"}
    assert catalog.validate_details("group_membership", "other", group) == group
    posting = {"topic": "t", "post_count": 3, "window_start": "2026-03-01", "window_end": "2026-03-01"}
    assert catalog.validate_details("posting_activity", "other", posting) == posting
    network = {"contacts_total": 10, "contacts_reviewed": 10, "apparent_adults": 10}
    assert catalog.validate_details("friend_network", "other", network) == network


def test_validate_details_drops_empty_optional_fields_and_trims_text(catalog):
    given = {
        "profile_element": " bio ", "description": "   ", "display_name": None, "stated_school": "",
        "stated_location": " Eastbrook ",
    }  # fmt: skip
    assert catalog.validate_details("profile_indicator", "other", given) == {
        "profile_element": "bio", "stated_location": "Eastbrook",
    }  # fmt: skip


def test_validate_details_drops_empty_list_items(catalog):
    given = {"reported_by": "police", "apps": ["TikTok", " ", "", None, " Snapchat "]}
    assert catalog.validate_details("device_observation", "other", given)["apps"] == ["TikTok", "Snapchat"]


def test_validate_details_refuses_an_unknown_kind(catalog):
    with pytest.raises(ValidationError) as raised:
        catalog.validate_details("recipe", "other", {})
    assert "kind" in raised.value.errors
    assert "profile_indicator" in raised.value.errors["kind"]


# --- derived values ------------------------------------------------------------------------------


def _labels(catalog, kind: str) -> dict[str, str]:
    return {d.name: d.label for d in catalog.kinds[kind].derived}


def test_friend_network_shares_are_derived(catalog):
    labels = _labels(catalog, "friend_network")
    details = {
        "contacts_total": 812, "contacts_reviewed": 100, "apparent_adults": 41, "older_males": 33,
        "few_or_no_mutual_friends": 29,
    }  # fmt: skip
    assert catalog.derived_values("friend_network", details) == {
        labels["adult_share"]: "41%",
        labels["older_male_share"]: "33%",
        labels["few_mutuals_share"]: "29%",
    }


def test_derived_share_is_computed_against_the_reviewed_contacts(catalog):
    adult_share = next(d for d in catalog.kinds["friend_network"].derived if d.name == "adult_share")
    assert adult_share.compute({"contacts_total": 900, "contacts_reviewed": 8, "apparent_adults": 2}) == 0.25


def test_derived_values_leave_out_what_cannot_be_computed(catalog):
    labels = _labels(catalog, "friend_network")
    shown = catalog.derived_values("friend_network", {"contacts_total": 10, "contacts_reviewed": 10, "older_males": 5})
    assert shown == {labels["older_male_share"]: "50%"}


def test_surge_ratio_is_derived(catalog):
    label = _labels(catalog, "posting_activity")["surge_ratio"]
    assert catalog.derived_values("posting_activity", {"topic": "t", "post_count": 30, "baseline_count": 4}) == {
        label: "7.5x"
    }


@pytest.mark.parametrize("baseline", [0, None])
def test_surge_ratio_without_a_baseline_gives_nothing(catalog, baseline):
    details = {"topic": "t", "post_count": 30}
    if baseline is not None:
        details["baseline_count"] = baseline
    assert catalog.derived_values("posting_activity", details) == {}


def test_derived_values_of_an_unknown_kind_or_one_without_them_are_empty(catalog):
    assert catalog.derived_values("recipe", {"a": 1}) == {}
    assert catalog.derived_values("general_note", {"note": "x"}) == {}


# --- loading from another folder ----------------------------------------------------------------


def test_a_copy_of_the_schemas_loads_the_same_kinds(catalog, schemas_copy):
    copied = load_catalog(str(schemas_copy))
    assert set(copied.kinds) == set(catalog.kinds)


def test_adding_a_kind_is_adding_a_file(catalog, schemas_copy):
    (schemas_copy / "kinds" / "school_report.schema.json").write_text(
        json.dumps(
            {
                "$schema": DRAFT_2020_12,
                "title": "School report",
                "type": "object",
                "x-default-five-c": "conduct",
                "x-indicators": [{"value": "report", "label": "Report"}],
                "properties": {"text": {"type": "string", "minLength": 1}},
                "required": ["text"],
                "additionalProperties": False,
            }
        ),
        encoding="utf-8",
    )
    extended = load_catalog(str(schemas_copy))
    assert set(extended.kinds) == set(catalog.kinds) | {"school_report"}
    assert extended.validate_details("school_report", "report", {"text": "late"}) == {"text": "late"}
    with pytest.raises(ValidationError) as raised:
        extended.validate_details("school_report", "report", {})
    assert "details.text" in raised.value.errors


def test_claims_follow_the_kinds_fact_attribute_annotations(catalog):
    """Read from the files, not through the code under test: every x-fact-attribute is a claim field."""
    for path in sorted((SCHEMAS_DIR / "kinds").glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        annotated = {
            name: spec["x-fact-attribute"] for name, spec in schema["properties"].items() if "x-fact-attribute" in spec
        }
        kind = catalog.kinds[path.name.removesuffix(".schema.json")]
        loaded = {c.name: c.attributes for c in kind.claim_fields}
        assert loaded == {n: (a,) if isinstance(a, str) else tuple(a) for n, a in annotated.items()}
    assert catalog.kinds["profile_indicator"].claim_source == "profile"
    assert catalog.kinds["general_note"].claim_source == "observation"


def test_a_new_kind_with_a_claim_is_cross_referenced_without_code(schemas_copy):
    (schemas_copy / "kinds" / "school_report.schema.json").write_text(
        json.dumps(
            {
                "$schema": DRAFT_2020_12,
                "title": "School report",
                "type": "object",
                "x-default-five-c": "conduct",
                "x-indicators": [{"value": "report", "label": "Report"}],
                "properties": {"school_named": {"type": "string", "title": "School", "x-fact-attribute": "school"}},
                "additionalProperties": False,
            }
        ),
        encoding="utf-8",
    )
    kind = load_catalog(str(schemas_copy)).kinds["school_report"]
    assert [(c.name, c.attributes) for c in kind.claim_fields] == [("school_named", ("school",))]


@pytest.mark.parametrize(
    ("kind", "change", "complaint"),
    [
        ("profile_indicator", lambda s: s.update({"x-default-five-c": "cuddles"}), "x-default-five-c"),
        ("profile_indicator", lambda s: s.pop("x-default-five-c"), "x-default-five-c"),
        ("profile_indicator", lambda s: s.update({"x-indicators": []}), "at least one indicator"),
        ("profile_indicator", lambda s: s["x-indicators"][0].update({"five_c": "cuddles"}), "unknown five_c cuddles"),
        ("profile_indicator", lambda s: s["x-indicators"][0].update({"requires": ["shoe_size"]}),
         "requires unknown field shoe_size"),
        ("friend_network", lambda s: s["x-not-greater-than"].update({"shoe_size": "contacts_total"}),
         "unknown field: shoe_size"),
        ("posting_activity", lambda s: s["x-date-order"].append(["window_start", "moon_phase"]),
         "unknown field: window_start, moon_phase"),
        ("profile_indicator", lambda s: s["properties"]["stated_age"].update({"x-fact-attribute": "birthday"}),
         "field stated_age: x-fact-attribute names unknown fact attributes ['birthday']"),
        ("profile_indicator", lambda s: s["x-indicators"][0].update({"concern": "knitting"}),
         "unknown concern knitting"),
    ],
    ids=["five-c-unknown", "five-c-missing", "no-indicators", "indicator-five-c", "requires", "not-greater-than",
         "date-order", "fact-attribute", "concern"],
)  # fmt: skip
def test_a_broken_annotation_is_refused_naming_the_file(schemas_copy, kind, change, complaint):
    _edit_kind(schemas_copy, kind, change)
    with pytest.raises(RuntimeError) as raised:
        load_catalog(str(schemas_copy))
    assert f"{kind}.schema.json" in str(raised.value)
    assert complaint in str(raised.value)


def test_a_derived_value_naming_an_unknown_field_is_refused_naming_the_file(schemas_copy):
    _edit_kind(schemas_copy, "posting_activity", lambda s: s["x-derived"][0].update({"denominator": "baseline_cuont"}))
    with pytest.raises(RuntimeError) as raised:
        load_catalog(str(schemas_copy))
    assert "posting_activity.schema.json" in str(raised.value)
    assert "baseline_cuont" in str(raised.value)


@pytest.mark.parametrize(
    "broken",
    ['{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": 5}', '{"type": "object",'],
    ids=["invalid-schema", "invalid-json"],
)
def test_a_kind_file_that_is_not_a_schema_is_refused_naming_the_file(schemas_copy, broken):
    (schemas_copy / "kinds" / "general_note.schema.json").write_text(broken, encoding="utf-8")
    with pytest.raises(Exception) as raised:  # noqa: B017 - any error will do, as long as it names the file
        load_catalog(str(schemas_copy))
    assert "general_note.schema.json" in str(raised.value)


def test_a_folder_without_kinds_is_refused(schemas_copy):
    for path in (schemas_copy / "kinds").glob("*.json"):
        path.unlink()
    with pytest.raises(RuntimeError, match="no observation kinds found"):
        load_catalog(str(schemas_copy))

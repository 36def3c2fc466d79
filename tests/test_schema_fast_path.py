"""The compiled schemas (fastjsonschema) only ever say yes where jsonschema says yes, and say yes to
ordinary details: an import's rows take the fast path, and no row gets past it that jsonschema
would refuse."""

from __future__ import annotations

import csv
import json

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from workbench.demo import DEMO_DIR
from workbench.errors import ValidationError
from workbench.schemas import _fast_accepts, load_catalog, prune_empty

CATALOG = load_catalog()
KINDS = sorted(CATALOG.kinds)


WILD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=10**7),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from([0, 1, 1.0, 2.5, -1, 10**15, "", " ", "1", "2026-02-30", "20260314", "ftp://x/y", "https://"]),
    st.text(max_size=5),
    st.lists(st.one_of(st.text(max_size=3), st.integers()), max_size=3),
)


def _valid_value(prop: dict) -> st.SearchStrategy:
    """A value the property's schema takes, most of the time (the edges of its lengths and bounds)."""
    kind = prop.get("type")
    if kind == "boolean":
        return st.booleans()
    if kind in ("integer", "number"):
        low, high = prop.get("minimum", -100), prop.get("maximum", 10**6)
        return st.integers(min_value=low, max_value=high)
    if kind == "array":
        items = prop.get("items", {})
        inner = st.sampled_from(items["enum"]) if "enum" in items else st.text(min_size=1, max_size=10)
        return st.lists(inner, max_size=4, unique=bool(prop.get("uniqueItems")))
    if "enum" in prop:
        return st.sampled_from(prop["enum"])
    if prop.get("format") == "date":
        return st.one_of(st.dates().map(str), st.sampled_from(["2026-02-30", "20260314", "2026-W11-6"]))
    if prop.get("format") == "uri":
        return st.sampled_from(["https://example.org/a", "http://x", "ftp://x/y", "https://", "not a url"])
    low, high = prop.get("minLength", 0), prop.get("maxLength", 50)
    return st.text(min_size=low, max_size=min(high + 1, 60))


def _details_for(kind_name: str) -> st.SearchStrategy[dict]:
    """Details near the kind's schema: its required fields mostly there, values mostly fitting,
    now and then a wild value or a field the schema does not name."""
    kind = CATALOG.kinds[kind_name]

    def value(prop: dict) -> st.SearchStrategy:
        return st.one_of(_valid_value(prop), _valid_value(prop), _valid_value(prop), WILD)

    required = {name: value(prop) for name, prop in kind.properties.items() if name in kind.required}
    optional = {name: value(prop) for name, prop in kind.properties.items() if name not in kind.required}
    known = st.fixed_dictionaries(required, optional=optional)
    stray = st.one_of(st.just({}), st.just({}), st.dictionaries(st.text(max_size=8), WILD, max_size=2))
    return st.tuples(known, stray).map(lambda pair: {**pair[1], **pair[0]})


@pytest.mark.parametrize("kind_name", KINDS)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_compiled_schema_accepts_nothing_jsonschema_refuses(kind_name, data):
    kind = CATALOG.kinds[kind_name]
    details = data.draw(_details_for(kind_name))
    if _fast_accepts(kind, details):
        refusals = [e.message for e in kind.validator.iter_errors(details)]
        assert refusals == [], f"{kind_name}: fastjsonschema took {details!r}, jsonschema refuses: {refusals}"


@pytest.mark.parametrize("kind_name", KINDS)
def test_the_generated_details_reach_the_fast_yes(kind_name):
    """The property above is not vacuous: what it draws includes details the compiled schema takes
    with more than one field (where the kind has more)."""
    kind = CATALOG.kinds[kind_name]
    found = find(_details_for(kind_name), lambda d: len(d) >= min(2, len(kind.properties)) and _fast_accepts(kind, d))
    assert kind.validator.is_valid(found)


def _demo_details() -> list[tuple[str, dict]]:
    with (DEMO_DIR / "observations.csv").open(encoding="utf-8", newline="") as f:
        return [(row["kind"], prune_empty(json.loads(row["details"] or "{}"))) for row in csv.DictReader(f)]


def test_ordinary_details_take_the_fast_path():
    """Every demo observation's details pass the compiled schema: jsonschema is not what an import waits on."""
    seen = _demo_details()
    assert len({kind for kind, _ in seen}) >= 5
    slow = [(kind, details) for kind, details in seen if not _fast_accepts(CATALOG.kinds[kind], details)]
    assert slow == []


def test_a_refusal_is_still_explained_field_by_field():
    kind = CATALOG.kinds["contact_event"]
    details = {"counterpart_handle": "x", "grooming_indicators": ["flattery", "flattery"], "threats": "yes"}
    assert not _fast_accepts(kind, details)
    with pytest.raises(ValidationError) as refused:
        CATALOG.validate_details("contact_event", "unknown_adult_contact", details)
    assert set(refused.value.errors) == {"details.grooming_indicators", "details.threats"}

"""Loads schemas/: the observation kinds (JSON Schema 2020-12), the vocabularies and the gradings.

A kind is one file. Its `properties` are the kind's own fields (the observation's `details`); its
`x-` annotations carry what JSON Schema cannot say: the default Five C, the indicators to choose
from (with fields an indicator makes required), cross-field limits, derived shares and ratios,
whether files may ever attach, and which fields are claims that trusted-source facts can confirm or
deny (`x-fact-attribute`). The entry form, the validation, the cross-referencing and the export
follow from it.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import fastjsonschema
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from workbench.errors import ValidationError
from workbench.fields import Vocabulary, is_web_url

SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    description: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Indicator:
    value: str
    label: str
    five_c: str | None = None
    requires: tuple[str, ...] = ()
    concern: str | None = None  # a concern topic (eating_disorder, self_harm, ...) the indicator itself shows


# A claim field may map to this instead of one attribute: every fact marked "vulnerability".
VULNERABILITY = "vulnerability"


@dataclass(frozen=True)
class ClaimField:
    """A field of a kind that states something a trusted source may know (x-fact-attribute)."""

    name: str
    title: str
    attributes: tuple[str, ...]


@dataclass(frozen=True)
class Derived:
    name: str
    label: str
    numerator: str
    denominator: str
    format: str  # "percent" or "ratio"

    def compute(self, details: dict) -> float | None:
        top, bottom = details.get(self.numerator), details.get(self.denominator)
        if top is None or not bottom:
            return None
        return top / bottom

    def describe(self, details: dict) -> str | None:
        value = self.compute(details)
        if value is None:
            return None
        return f"{value:.0%}" if self.format == "percent" else f"{value:.1f}x"


@dataclass(frozen=True)
class PromptedAction:
    """An action that recording the kind creates, still to do (x-actions): the strategy's steps."""

    kind: str  # an action_kinds value
    note: str
    due_in_days: int = 0  # due this many London days after it is recorded


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    description: str
    schema: dict = field(compare=False, hash=False, repr=False)
    default_five_c: str = "content"
    indicators: tuple[Indicator, ...] = ()
    no_attachments: bool = False
    derived: tuple[Derived, ...] = ()
    not_greater_than: tuple[tuple[str, str], ...] = ()
    date_order: tuple[tuple[str, str], ...] = ()
    order: int = 1000  # x-order: where the kind stands in lists (the form's default is the first)
    claim_fields: tuple[ClaimField, ...] = ()
    claim_source: str = "observation"  # x-claim-source: how a finding names it ("profile states 19")
    prompted_actions: tuple[PromptedAction, ...] = ()  # x-actions
    guidance: str = ""  # x-guidance: what to keep in mind when recording one, shown on the form
    validator: Draft202012Validator | None = field(default=None, compare=False, hash=False, repr=False)
    # The same schema compiled to Python by fastjsonschema: a dozen times faster at saying yes, which
    # is what almost every row of an import hears. Only `validator` explains a no.
    accepts: Callable[[dict], object] | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def properties(self) -> dict:
        return self.schema.get("properties", {})

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(self.schema.get("required", ()))

    def indicator(self, value: str) -> Indicator | None:
        return self._indicators_by_value.get(value)

    @functools.cached_property
    def _labels(self) -> dict[str, dict[str, str]]:
        return {name: spec.get("x-labels", {}) for name, spec in self.properties.items()}

    @functools.cached_property
    def _indicators_by_value(self) -> dict[str, Indicator]:
        return {i.value: i for i in reversed(self.indicators)}  # reversed: the first of a value wins

    @functools.cached_property
    def indicator_vocabulary(self) -> Vocabulary:
        return Vocabulary((i.value, i.label) for i in self.indicators)

    def five_c_for(self, indicator_value: str) -> str:
        found = self.indicator(indicator_value)
        return (found.five_c if found and found.five_c else None) or self.default_five_c

    def label_of(self, prop: str, value) -> str:
        """The label of an enum value of a property (lists are joined)."""
        labels = self._labels.get(prop, {})
        if isinstance(value, list):
            return ", ".join(labels.get(v, str(v)) for v in value)
        return labels.get(value, str(value))


@dataclass(frozen=True)
class GradingScheme:
    name: str
    label: str
    source: tuple[Choice, ...]
    information: tuple[Choice, ...]

    @functools.cached_property
    def source_vocabulary(self) -> Vocabulary:
        return Vocabulary((c.value, c.label) for c in self.source)

    @functools.cached_property
    def information_vocabulary(self) -> Vocabulary:
        return Vocabulary((c.value, c.label) for c in self.information)

    def source_choice(self, value: str) -> Choice | None:
        return next((c for c in self.source if c.value == value), None)

    def information_choice(self, value: str) -> Choice | None:
        return next((c for c in self.information if c.value == value), None)


@dataclass(frozen=True)
class Catalog:
    kinds: dict[str, Kind]
    vocabularies: dict[str, tuple[Choice, ...]]
    platforms: tuple[str, ...]
    gradings: dict[str, GradingScheme]
    handling: tuple[Choice, ...]

    def kind(self, name: str) -> Kind:
        try:
            return self.kinds[name]
        except KeyError:
            raise ValidationError({"kind": f"must be one of: {', '.join(self.kinds)}"}) from None

    def choices(self, vocabulary: str) -> tuple[Choice, ...]:
        return self.vocabularies[vocabulary]

    def pairs(self, vocabulary: str) -> list[tuple[str, str]]:
        return [(c.value, c.label) for c in self.vocabularies[vocabulary]]

    def vocabulary(self, name: str) -> Vocabulary:
        """A vocabulary to find values in by value or label (fields.vocabulary), built once."""
        found = self._vocabularies.get(name)
        if found is None:
            found = self._vocabularies[name] = Vocabulary(self.pairs(name))
        return found

    @functools.cached_property
    def kind_vocabulary(self) -> Vocabulary:
        return Vocabulary((name, kind.title) for name, kind in self.kinds.items())

    @functools.cached_property
    def handling_vocabulary(self) -> Vocabulary:
        return Vocabulary((c.value, c.label) for c in self.handling)

    @functools.cached_property
    def _vocabularies(self) -> dict[str, Vocabulary]:
        return {}

    def values(self, vocabulary: str) -> list[str]:
        return [c.value for c in self.vocabularies[vocabulary]]

    def label(self, vocabulary: str, value: str) -> str:
        found = next((c for c in self.vocabularies[vocabulary] if c.value == value), None)
        return found.label if found else str(value)

    def four_c(self, five_c: str) -> str:
        found = next((c for c in self.vocabularies["five_cs"] if c.value == five_c), None)
        if found is None:
            raise ValueError(f"unknown Five C {five_c!r}")
        return found.extra["four_c"]

    def grading(self, scheme: str) -> GradingScheme:
        return self.gradings[scheme]

    def validate_details(self, kind_name: str, indicator: str, details: dict) -> dict:
        """Clean and check a kind's own fields. Errors are keyed `details.<field>`."""
        kind = self.kind(kind_name)
        cleaned = prune_empty(details)
        errors: dict[str, str] = {}
        if not _fast_accepts(kind, cleaned):
            for error in kind.validator.iter_errors(cleaned):
                name, reason = _describe(error)
                errors.setdefault(f"details.{name}" if name else "details", reason)
        chosen = kind.indicator(indicator)
        for required in chosen.requires if chosen else ():
            if required not in cleaned:
                title = kind.properties[required].get("title", required)
                errors.setdefault(f"details.{required}", f"is required for the indicator {chosen.label!r} ({title})")
        for smaller, larger in kind.not_greater_than:
            a, b = cleaned.get(smaller), cleaned.get(larger)
            if isinstance(a, int) and isinstance(b, int) and a > b:
                errors.setdefault(f"details.{smaller}", f"cannot be more than {larger} ({a} > {b})")
        for first, last in kind.date_order:
            a, b = cleaned.get(first), cleaned.get(last)
            if isinstance(a, str) and isinstance(b, str) and _is_date(a) and _is_date(b) and a > b:
                errors.setdefault(f"details.{last}", f"cannot be before {first} ({b} < {a})")
        if errors:
            raise ValidationError(errors)
        return cleaned

    def derived_values(self, kind_name: str, details: dict) -> dict[str, str]:
        kind = self.kinds.get(kind_name)
        if not kind:
            return {}
        shown = {d.label: d.describe(details) for d in kind.derived}
        return {label: text for label, text in shown.items() if text is not None}


def grade_text(scheme: str, source: str, information: str, handling: str) -> str:
    """3x5x2 reads '2 / C / P'; the Admiralty code reads 'B2 / P'."""
    if scheme == "admiralty":
        return f"{source}{information} / {handling}"
    return f"{source} / {information} / {handling}"


def prune_empty(details: dict) -> dict:
    """Optional fields left empty in a form arrive as None, '' or []: they are absent."""
    cleaned = {}
    for key, value in (details or {}).items():
        if isinstance(value, str):
            value = value.strip()
            if not value:
                continue
        elif isinstance(value, list):
            value = [v.strip() if isinstance(v, str) else v for v in value]
            value = [v for v in value if v not in ("", None)]
            if not value:
                continue
        elif value is None:
            continue
        cleaned[key] = value
    return cleaned


def _fast_accepts(kind: Kind, details: dict) -> bool:
    """True when the compiled schema takes the details. False sends them to jsonschema, which
    judges and explains (tests/test_schema_fast_path.py holds the two to agreeing)."""
    if kind.accepts is None:
        return False
    try:
        kind.accepts(details)
    except Exception:  # noqa: BLE001 - its refusal, or a value the generated code did not foresee: jsonschema judges
        return False
    return True


_FORMATS = FormatChecker(formats=())
_FORMATS.checks("uri")(is_web_url)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@_FORMATS.checks("date")
def _is_date(value) -> bool:
    """Only YYYY-MM-DD (fromisoformat alone also takes 20260314 and 2026-W11-6)."""
    if not isinstance(value, str):
        return True
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return bool(_ISO_DATE.match(value))


# --- loading ---------------------------------------------------------------------------------


# The statutory anchors a partnership's levels of need map to (levels_of_need's "anchor").
LEVEL_ANCHORS = ("universal", "early_help", "s17_child_in_need", "s47_child_protection")


@functools.cache
def load_catalog(directory: str | None = None) -> Catalog:
    root = Path(directory or os.environ.get("WORKBENCH_SCHEMAS") or SCHEMAS_DIR)
    vocab = json.loads((root / "vocabularies.json").read_text(encoding="utf-8"))
    grading = json.loads((root / "gradings.json").read_text(encoding="utf-8"))
    vocabularies = {
        name: tuple(_choice(entry) for entry in entries) for name, entries in vocab.items() if name != "platforms"
    }
    known = _Known(
        five_cs=frozenset(c.value for c in vocabularies["five_cs"]),
        fact_attributes=frozenset(c.value for c in vocabularies["fact_attributes"]) | {VULNERABILITY},
        concerns=frozenset(c.value for c in vocabularies["concern_topics"]),
        action_kinds=frozenset(c.value for c in vocabularies["action_kinds"]),
    )
    for level in vocabularies.get("levels_of_need", ()):
        if level.extra.get("anchor") not in LEVEL_ANCHORS:
            raise RuntimeError(
                f"{root / 'vocabularies.json'}: level of need {level.value!r} must have an anchor, one of "
                + ", ".join(LEVEL_ANCHORS)
            )
    loaded = [_load_kind(path, known) for path in sorted((root / "kinds").glob("*.schema.json"))]
    kinds = {kind.name: kind for kind in sorted(loaded, key=lambda k: (k.order, k.name))}
    if not kinds:
        raise RuntimeError(f"no observation kinds found in {root / 'kinds'}")
    gradings = {
        name: GradingScheme(
            name=name,
            label=scheme["label"],
            source=tuple(_choice(e) for e in scheme["source"]),
            information=tuple(_choice(e) for e in scheme["information"]),
        )
        for name, scheme in grading["schemes"].items()
    }
    return Catalog(
        kinds=kinds,
        vocabularies=vocabularies,
        platforms=tuple(vocab["platforms"]),
        gradings=gradings,
        handling=tuple(_choice(e) for e in grading["handling"]),
    )


def _choice(entry: dict) -> Choice:
    extra = {k: v for k, v in entry.items() if k not in ("value", "label", "description")}
    return Choice(entry["value"], entry["label"], entry.get("description", ""), extra)


@dataclass(frozen=True)
class _Known:
    """What a kind file may name: checked when the files load, so a typo stops the start."""

    five_cs: frozenset[str]
    fact_attributes: frozenset[str]
    concerns: frozenset[str]
    action_kinds: frozenset[str] = frozenset()


def _load_kind(path: Path, known: _Known) -> Kind:
    five_cs = known.five_cs

    def problem(message: str) -> RuntimeError:
        return RuntimeError(f"{path.name}: {message}")

    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
    except (json.JSONDecodeError, SchemaError) as e:
        raise problem(f"is not a valid JSON Schema 2020-12 file: {str(e).splitlines()[0]}") from None
    name = path.name.removesuffix(".schema.json")
    props = schema.get("properties", {})

    default_five_c = schema.get("x-default-five-c")
    if default_five_c not in five_cs:
        raise problem(f"x-default-five-c must be one of {sorted(five_cs)}")
    indicators = []
    for entry in schema.get("x-indicators", []):
        if entry.get("five_c") and entry["five_c"] not in five_cs:
            raise problem(f"indicator {entry['value']}: unknown five_c {entry['five_c']}")
        for required in entry.get("requires", []):
            if required not in props:
                raise problem(f"indicator {entry['value']} requires unknown field {required}")
        if entry.get("concern") and entry["concern"] not in known.concerns:
            raise problem(f"indicator {entry['value']}: unknown concern {entry['concern']}")
        indicators.append(
            Indicator(
                entry["value"],
                entry["label"],
                entry.get("five_c"),
                tuple(entry.get("requires", [])),
                entry.get("concern"),
            )
        )
    if not indicators:
        raise problem("x-indicators must list at least one indicator")
    pairs = list(schema.get("x-not-greater-than", {}).items()) + [
        tuple(pair) for pair in schema.get("x-date-order", [])
    ]
    pairs += [(d["numerator"], d["denominator"]) for d in schema.get("x-derived", [])]
    for a, b in pairs:
        if a not in props or b not in props:
            raise problem(f"a cross-field rule or derived value names an unknown field: {a}, {b}")
    claim_fields = []
    for prop, spec in props.items():
        mapped = spec.get("x-fact-attribute")
        if mapped is None:
            continue
        attributes = (mapped,) if isinstance(mapped, str) else tuple(mapped)
        unknown = [a for a in attributes if a not in known.fact_attributes]
        if unknown or not attributes:
            raise problem(f"field {prop}: x-fact-attribute names unknown fact attributes {unknown}")
        claim_fields.append(ClaimField(prop, spec.get("title", prop), attributes))
    prompted = []
    for entry in schema.get("x-actions", []):
        if entry.get("kind") not in known.action_kinds or not str(entry.get("note", "")).strip():
            kinds = ", ".join(sorted(known.action_kinds))
            raise problem(f"x-actions: {entry!r} must name an action kind ({kinds}) and a note")
        prompted.append(PromptedAction(entry["kind"], entry["note"], int(entry.get("due_in_days", 0))))
    return Kind(
        name=name,
        title=schema.get("title", name),
        description=schema.get("description", ""),
        schema=schema,
        default_five_c=default_five_c,
        indicators=tuple(indicators),
        no_attachments=bool(schema.get("x-no-attachments", False)),
        derived=tuple(Derived(**d) for d in schema.get("x-derived", [])),
        not_greater_than=tuple(schema.get("x-not-greater-than", {}).items()),
        date_order=tuple(tuple(pair) for pair in schema.get("x-date-order", [])),
        order=int(schema.get("x-order", 1000)),
        claim_fields=tuple(claim_fields),
        claim_source=schema.get("x-claim-source", "observation"),
        prompted_actions=tuple(prompted),
        guidance=str(schema.get("x-guidance", "")),
        validator=Draft202012Validator(schema, format_checker=_FORMATS),
        accepts=_compile(schema),
    )


def _compile(schema: dict) -> Callable[[dict], object]:
    """The kind's schema as fastjsonschema code, with the formats jsonschema checks here (uri, date)
    and every other format an annotation, as jsonschema treats it."""
    formats = {name: (lambda _value: True) for name in _annotation_formats(schema)}
    formats |= {"uri": is_web_url, "date": _is_date}
    return fastjsonschema.compile(schema, formats=formats, use_default=False)


def _annotation_formats(node) -> set[str]:
    if isinstance(node, dict):
        found = {node["format"]} if isinstance(node.get("format"), str) else set()
        return found.union(*(_annotation_formats(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_annotation_formats(v) for v in node))
    return set()


_TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
}


def _describe(error) -> tuple[str, str]:
    """(field, reason) in words an analyst reads without knowing JSON Schema."""
    path = [str(p) for p in error.absolute_path if not isinstance(p, int)]
    name = ".".join(path)
    v, expected = error.validator, error.validator_value
    if v == "required":
        missing = [p for p in expected if p not in error.instance]
        prefix = f"{name}." if name else ""
        return prefix + (missing[0] if missing else ""), "is required"
    if v == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        prefix = f"{name}." if name else ""
        return prefix + (extra[0] if extra else ""), "is not a field of this kind"
    if v == "type":
        return name, f"must be {_TYPE_WORDS.get(expected, expected)}"
    if v == "enum":
        return name, f"must be one of: {', '.join(map(str, expected))}"
    if v == "minimum":
        return name, f"must be at least {expected}"
    if v == "maximum":
        return name, f"must be at most {expected}"
    if v == "minLength":
        return name, "must not be empty" if expected == 1 else f"must be at least {expected} characters"
    if v == "maxLength":
        return name, f"must be at most {expected} characters"
    if v == "format":
        words = {"date": "a date as YYYY-MM-DD", "uri": "a web address starting with http:// or https://"}
        return name, f"must be {words.get(expected, expected)}"
    if v == "uniqueItems":
        return name, "must not repeat a value"
    return name, error.message

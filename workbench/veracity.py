"""The veracity rules: each claim an observation makes, held against what trusted sources know.

A claim is a field of an observation that its kind's schema maps to a fact attribute
(`"x-fact-attribute": "date_of_birth"` on stated_age), or an indicator that shows a concern topic.
A rule is a small function that takes one claim and one fact and returns a finding (corroborates,
contradicts, relates to, heightens concern) or None. `RULES` is the table: which fact attributes
each rule reads and whose facts it looks at. `evaluate` runs the table; nothing here touches the
database (crossref.py feeds it and stores what it finds).
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from rapidfuzz import fuzz

from workbench.schemas import VULNERABILITY, Catalog, Kind
from workbench.timeutil import london_day

CORROBORATES, CONTRADICTS, CONTEXT = "corroborates", "contradicts", "context"
RELATES_TO, HEIGHTENS_CONCERN = "relates_to", "heightens_concern"
FALSE_AGE = "false age stated"
PERSON_OF_CONCERN = "person of concern"

# Bump when a rule changes what it finds: stored findings of an older version are recomputed.
RULES_VERSION = 1


@dataclass(frozen=True)
class Period:
    """Inclusive dates. A claim known only to the month spans the month; a fact with no end runs on."""

    first: date
    last: date

    def overlaps(self, other: Period) -> bool:
        return self.first <= other.last and other.first <= self.last


ALWAYS = Period(date.min, date.max)


class Claim(NamedTuple):  # a refresh builds one per stated value: a tuple costs a fifth of a frozen dataclass
    observation_id: int
    observation: str  # its code, OBS-0007
    version: int
    person_id: int | None  # whom the observation is about
    when: Period  # when the claim was made: occurred_at, else observed_at
    when_note: str = ""  # why `when` is a span: "known only to the month", "approximate"
    source: str = "observation"  # how the detail names it: "profile states 19"
    field: str = ""  # the kind's field, or "indicator"
    title: str = ""
    attributes: tuple[str, ...] = ()  # fact attributes it can be held against
    value: object = None
    topics: frozenset[str] = frozenset()  # concern topics the value shows

    @property
    def text(self) -> str:
        return str(self.value)

    def _with(self, field: str, title: str, attributes: tuple[str, ...], value, topics: frozenset[str]) -> Claim:
        """This observation's claim of one field."""
        return _new_claim(Claim, (*self[:7], field, title, attributes, value, topics))


_new_claim = tuple.__new__  # Claim's fields in order, without NamedTuple's __new__ in Python between


class Fact(NamedTuple):  # a refresh builds one per fact and known account, for every file imported (as Claim)
    """A trusted-source fact, or an account the case directory says is someone's (code AC-0005)."""

    code: str
    person_id: int
    person: str  # "Person B (P-0002)": a pseudonym, never a name, so details can leave the case
    person_role: str
    attribute: str
    attribute_label: str
    value: str
    record: str  # "the school's record"
    source_reference: str = ""
    valid: Period = ALWAYS
    recorded_on: date | None = None
    fact_id: int | None = None
    version: int | None = None
    account_id: int | None = None
    topics: frozenset[str] = frozenset()

    @property
    def cited(self) -> str:
        reference = f", {self.source_reference}" if self.source_reference else ""
        return f"{self.code}{reference}"


class Finding(NamedTuple):  # one per rule finding, thousands in a refresh (as Claim)
    rule: str
    relation: str
    detail: str
    labels: tuple[str, ...] = ()
    score: float | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    attributes: frozenset[str]  # the fact attributes it reads
    check: Callable[[Claim, Fact], Finding | None]
    description: str
    any_person: bool = False  # False: only facts about the person the observation is about
    key: Callable[[str], str] | None = None  # for any_person rules: facts and claims meet on this key


class Result(NamedTuple):
    claim: Claim
    fact: Fact
    finding: Finding


# --- normalising ---------------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def plain(text: str) -> str:
    """Lower case, accents and punctuation gone, single spaces: 'Zoë  O'Brien-Smith' -> 'zoe o brien smith'."""
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _NOT_WORD.sub(" ", bare).strip()


@functools.lru_cache(maxsize=8192)  # the same handles and names meet many claims in one refresh
def handle_key(handle: str) -> str:
    """The same account however it is typed: no @, no spaces, no letter case, no accents."""
    decomposed = unicodedata.normalize("NFKD", str(handle or "").strip().lstrip("@"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch) and not ch.isspace())
    return bare.casefold()


# Words that say what kind of place it is, not which one: "Academy" alone must not match every academy.
_SCHOOL_WORDS = frozenset(
    """academy school college high primary secondary junior infant infants grammar community free the of
    and st saint saints church england ce c e rc catholic sixth form trust upper lower middle""".split()
)
_PLACE_WORDS = frozenset("the of and near in area estate town city village borough".split())


@functools.lru_cache(maxsize=8192)
def _words(text: str, noise: frozenset[str] = frozenset()) -> str:
    return " ".join(word for word in plain(text).split() if word not in noise)


@functools.lru_cache(maxsize=16384)  # a refresh holds the same stated names against the same facts many times
def similarity(a: str, b: str, noise: frozenset[str] = frozenset()) -> float | None:
    """0-100, word order ignored (rapidfuzz's token set ratio); None when either side says nothing."""
    left, right = _words(a, noise), _words(b, noise)
    if not left or not right:
        return None
    return round(fuzz.token_set_ratio(left, right), 1)


class Topics:
    """Concern topics (eating disorder, self-harm, ...) found in text by their keywords.
    A keyword ending in * matches words that start with it ('anorexi*' finds 'anorexia')."""

    def __init__(self, keywords: dict[str, list[str]]):
        self._seen: dict[tuple[str, ...], frozenset[str]] = {}
        self._patterns = {
            topic: re.compile(
                "|".join(
                    r"(?<![0-9a-z])"
                    + re.escape(plain(word.rstrip("*")))
                    + ("" if word.endswith("*") else r"(?![0-9a-z])")
                    for word in words
                )
            )
            for topic, words in keywords.items()
            if words
        }

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> Topics:
        """One per set of keywords, kept: what it has found stays found from one refresh to the next."""
        return _topics(tuple((c.value, tuple(c.extra.get("keywords", []))) for c in catalog.choices("concern_topics")))

    def of(self, *texts: str) -> frozenset[str]:
        found = self._seen.get(texts)
        if found is None:
            text = " ".join(plain(t) for t in texts)
            found = frozenset(topic for topic, pattern in self._patterns.items() if pattern.search(text))
            if len(self._seen) < 8192:  # a refresh meets the same group names and categories many times
                self._seen[texts] = found
        return found


@functools.lru_cache(maxsize=8)
def _topics(keywords: tuple[tuple[str, tuple[str, ...]], ...]) -> Topics:
    return Topics({topic: list(words) for topic, words in keywords})


# --- time ----------------------------------------------------------------------------------------


def claim_period(occurred_at: str | None, precision: str, approximate: bool, observed_at: str) -> tuple[Period, str]:
    """When a claim was made, as the span of days it may have been: occurred_at with its precision
    (widened by one step when approximate), else the day it was observed."""
    if not occurred_at or precision == "unknown":
        day = london_day(observed_at)
        return Period(day, day), ""
    return _occurred_period(occurred_at, precision, approximate)


@functools.lru_cache(maxsize=16384)  # a refresh meets the same dates many times
def _occurred_period(occurred_at: str, precision: str, approximate: bool) -> tuple[Period, str]:
    start = london_day(occurred_at)
    if precision == "year":
        period = Period(start, date(start.year, 12, 31))
        if approximate:
            period = Period(_add_years(period.first, -1), _add_years(period.last, 1))
    elif precision == "month":
        last = date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
        period = Period(start, last)
        if approximate:
            period = Period(_add_months(start, -1), _month_end(_add_months(start, 1)))
    else:
        period = Period(start, start)
        if approximate:
            period = Period(start - timedelta(days=1), start + timedelta(days=1))
    notes = []
    if precision in ("year", "month"):
        notes.append(f"the claim's date is known only to the {precision}")
    if approximate:
        notes.append("the claim's date is approximate")
    return period, "; ".join(notes)


def _add_years(day: date, years: int) -> date:
    return day.replace(year=day.year + years, day=min(day.day, calendar.monthrange(day.year + years, day.month)[1]))


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def age_on(born: date, day: date) -> int:
    """Whole years. Someone born on 29 February turns a year older on 1 March in other years."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


# --- the rules -----------------------------------------------------------------------------------


def age_against_date_of_birth(claim: Claim, fact: Fact) -> Finding | None:
    """Stated age against date of birth, on the day (or days) the claim was made."""
    try:
        stated = int(claim.value)
        born = date.fromisoformat(fact.value)
    except (TypeError, ValueError):
        return None
    where = f"known age {{}} from {fact.record} of date of birth ({fact.cited})"
    note = f"; {claim.when_note}" if claim.when_note else ""
    if born > claim.when.last:
        return Finding(
            "age_against_date_of_birth",
            CONTRADICTS,
            f"{claim.source} states {stated}, but the claim predates the date of birth in {fact.record} ({fact.cited})",
            (FALSE_AGE,),
        )
    youngest, oldest = max(age_on(born, claim.when.first), 0), age_on(born, claim.when.last)
    known = str(oldest) if youngest == oldest else f"{youngest} to {oldest}"
    detail = f"{claim.source} states {stated}; " + where.format(known) + note
    if youngest <= stated <= oldest:
        return Finding("age_against_date_of_birth", CORROBORATES, detail)
    return Finding("age_against_date_of_birth", CONTRADICTS, detail, (FALSE_AGE,))


@dataclass(frozen=True)
class _NameMatch:
    """How a stated name is held against a known one."""

    rule: str
    noise: frozenset[str] = frozenset()
    threshold: float = 90.0
    mismatch: str | None = CONTRADICTS  # None: a different name says nothing (display names are made up)

    def __call__(self, claim: Claim, fact: Fact) -> Finding | None:
        if not claim.when.overlaps(fact.valid):
            return None  # the fact did not hold when the claim was made (a school since left)
        return _name_finding(
            self, claim.source, claim.title, claim.text, fact.record, fact.attribute_label, fact.value, fact.cited
        )


@functools.lru_cache(maxsize=16384)  # many observations state the same name, held against the same facts
def _name_finding(
    match: _NameMatch, source: str, title: str, text: str, record: str, attribute_label: str, value: str, cited: str
) -> Finding | None:
    score = similarity(text, value, match.noise)
    if score is None:
        return None
    said = f"{source}: {title.lower()} {text!r}"
    known = f"{record} gives {attribute_label.lower()} {value!r} ({cited})"
    if score >= match.threshold:
        detail = f"{said}; {known}: similarity {score:g}, threshold {match.threshold:g}"
        return Finding(match.rule, CORROBORATES, detail, (), score, match.threshold)
    if match.mismatch is None:
        return None
    detail = f"{said}; {known}: similarity {score:g}, below the threshold {match.threshold:g}"
    return Finding(match.rule, match.mismatch, detail, (), score, match.threshold)


school_name = _NameMatch("school_name", noise=_SCHOOL_WORDS)
home_area_name = _NameMatch("home_area_name", noise=_PLACE_WORDS)
person_name = _NameMatch("person_name", mismatch=None)


def account_of_known_person(claim: Claim, fact: Fact) -> Finding | None:
    """An account in the observation (a contact's handle, one in a friend network) that the case
    knows belongs to someone: 'relates to' that person, named by pseudonym."""
    if handle_key(claim.text) != handle_key(fact.value) or fact.person_id == claim.person_id:
        return None
    concern = fact.person_role == "person_of_concern"
    whose = f"{fact.person}, a person of concern" if concern else fact.person
    detail = f"{claim.title.lower()} {claim.text!r} belongs to {whose} ({fact.record}: {fact.cited})"
    return Finding("account_of_known_person", RELATES_TO, detail, (PERSON_OF_CONCERN,) if concern else (), 100.0)


def concern_meets_vulnerability(claim: Claim, fact: Fact) -> Finding | None:
    """What the observation shows (a pro-ana group, self-harm posts) meets a known vulnerability of
    the same topic (a known eating disorder, known self-harm). An ended fact still counts: a past
    eating disorder makes a pro-ana group more worrying, not less; the detail says it ended."""
    shared = claim.topics & fact.topics
    if not shared:
        return None
    topics = ", ".join(sorted(t.replace("_", " ") for t in shared))
    ended = f" (recorded as ended {fact.valid.last.isoformat()})" if fact.valid.last < claim.when.first else ""
    detail = (
        f"{claim.source}: {claim.title.lower()} {claim.text!r}; {fact.record} gives "
        f"{fact.attribute_label.lower()} {fact.value!r} ({fact.cited}){ended}: {topics}"
    )
    return Finding(
        "concern_meets_vulnerability", HEIGHTENS_CONCERN, detail, tuple(t.replace("_", " ") for t in sorted(shared))
    )


RULES: tuple[Rule, ...] = (
    Rule(
        "age_against_date_of_birth",
        frozenset({"date_of_birth"}),
        age_against_date_of_birth,
        "Stated age against the date of birth, at the time of the claim; a contradiction is a false age stated.",
    ),
    Rule("school_name", frozenset({"school"}), school_name, "Stated school against the known school (fuzzy)."),
    Rule("home_area_name", frozenset({"home_area"}), home_area_name, "Stated location against the home area (fuzzy)."),
    Rule(
        "person_name",
        frozenset({"full_name", "known_alias"}),
        person_name,
        "Display name against the full name and aliases (fuzzy); only a match is a finding.",
    ),
    Rule(
        "account_of_known_person",
        frozenset({"known_account"}),
        account_of_known_person,
        "A handle in the observation that belongs to a person the case knows (a person of concern above all).",
        any_person=True,
        key=handle_key,
    ),
    Rule(
        "concern_meets_vulnerability",
        frozenset({VULNERABILITY}),
        concern_meets_vulnerability,
        "A group, topic or indicator that meets a known vulnerability of the same kind.",
    ),
)
RULE_DESCRIPTIONS = {rule.name: rule.description for rule in RULES}


# --- claims and running the table ----------------------------------------------------------------


def claims_of(kind: Kind, base: Claim, indicator: str, details: dict, topics: Topics) -> list[Claim]:
    """Every claim one observation makes, as its kind's schema maps them. `base` carries what
    all its claims share: the observation, its version, whom it is about and when."""
    found = []
    for spec in kind.claim_fields:
        value = details.get(spec.name)
        for item in value if isinstance(value, list) else [value]:
            if item is None or (isinstance(item, str) and not item.strip()):
                continue
            shown = kind.label_of(spec.name, item) if isinstance(item, str) else str(item)
            found.append(
                base._with(
                    spec.name,
                    spec.title,
                    spec.attributes,
                    item if isinstance(item, int) else shown,
                    topics.of(shown) if VULNERABILITY in spec.attributes else frozenset(),
                )
            )
    chosen = kind.indicator(indicator)
    if chosen and chosen.concern:
        found.append(base._with("indicator", "Indicator", (VULNERABILITY,), chosen.label, frozenset({chosen.concern})))
    return [c for c in found if VULNERABILITY not in c.attributes or c.topics]


def evaluate(claims: Iterable[Claim], facts: Iterable[Fact], rules: tuple[Rule, ...] = RULES) -> list[Result]:
    """Run every rule over every claim and the facts it may be held against. A claim and a fact
    meet once per rule; several claims of one observation that find the same thing (a group's
    name and its category both about eating disorders) give one finding. A claim of concern topics
    meets only the vulnerabilities that share one of them."""
    facts = list(facts)
    by_person: dict[tuple[int, str], list[Fact]] = defaultdict(list)
    for fact in facts:
        by_person[(fact.person_id, fact.attribute)].append(fact)
        if fact.topics:
            by_person[(fact.person_id, VULNERABILITY)].append(fact)
    by_key = {rule.name: _index(facts, rule) for rule in rules if rule.any_person and rule.key is not None}
    results, seen = [], set()
    applies: dict[tuple[str, ...], list[tuple[Rule, frozenset[str]]]] = {}  # claims share few attribute tuples
    theirs: dict[tuple[int | None, frozenset[str], frozenset[str]], list[Fact]] = {}  # and few people and topics
    for claim in claims:
        meets = applies.get(claim.attributes)
        if meets is None:
            meets = applies[claim.attributes] = [
                (rule, wanted) for rule in rules if (wanted := rule.attributes.intersection(claim.attributes))
            ]
        for rule, wanted in meets:
            if rule.any_person:
                candidates = (
                    by_key[rule.name].get(rule.key(claim.text), [])
                    if rule.name in by_key
                    else [f for f in facts if f.attribute in wanted]
                )
            else:
                mine = (claim.person_id, wanted, claim.topics)
                candidates = theirs.get(mine)
                if candidates is None:
                    candidates = theirs[mine] = [
                        f
                        for a in wanted
                        for f in by_person.get((claim.person_id, a), [])
                        if a != VULNERABILITY or f.topics & claim.topics
                    ]
            for fact in candidates:
                finding = rule.check(claim, fact)
                if finding is not None and (met := (claim.observation_id, fact.code, rule.name)) not in seen:
                    seen.add(met)
                    results.append(Result(claim, fact, finding))
    return results


def _index(facts: list[Fact], rule: Rule) -> dict[str, list[Fact]]:
    index: dict[str, list[Fact]] = defaultdict(list)
    for fact in facts:
        if fact.attribute in rule.attributes:
            index[rule.key(fact.value)].append(fact)
    return index


# --- facts that disagree with each other ---------------------------------------------------------


@dataclass(frozen=True)
class Disagreement:
    person: str
    attribute_label: str
    first: Fact
    second: Fact

    @property
    def detail(self) -> str:
        return (
            f"{self.first.code} and {self.second.code} disagree on {self.person}'s "
            f"{self.attribute_label.lower()}: {self.first.value!r} ({self.first.record}) and "
            f"{self.second.value!r} ({self.second.record})"
        )


# Written many ways for one thing: two such facts disagree only when they are not alike. Any other
# single-valued attribute (a date of birth, a gender) disagrees on any difference.
_FUZZY_ATTRIBUTES = {"full_name": frozenset(), "school": _SCHOOL_WORDS, "home_area": _PLACE_WORDS}


def disagreements(facts: Iterable[Fact], single_valued: set[str], threshold: float = 90.0) -> list[Disagreement]:
    """Pairs of facts about one person that cannot both be true: a single-valued attribute (date
    of birth, school) with different values whose times overlap."""

    def differ(first: Fact, second: Fact) -> bool:
        if plain(first.value) == plain(second.value):
            return False
        if first.attribute not in _FUZZY_ATTRIBUTES:
            return True
        score = similarity(first.value, second.value, _FUZZY_ATTRIBUTES[first.attribute])
        return score is not None and score < threshold

    groups: dict[tuple[int, str], list[Fact]] = defaultdict(list)
    for fact in facts:
        if fact.attribute in single_valued and fact.fact_id is not None:
            groups[(fact.person_id, fact.attribute)].append(fact)
    found = []
    for group in groups.values():
        for i, first in enumerate(group):
            for second in group[i + 1 :]:
                if not first.valid.overlaps(second.valid):
                    continue
                if differ(first, second):
                    found.append(Disagreement(first.person, first.attribute_label, first, second))
    return found


STATUSES = ("contradicted", "conflicting", "corroborated", "uncorroborated")  # worst first


def status_of(relations: Iterable[str]) -> str:
    """Corroborated, contradicted, conflicting (some facts for, some against) or uncorroborated.
    Only corroborates and contradicts count: context, relates to and heightens concern say
    nothing about whether the observation is true."""
    relations = set(relations)
    if CORROBORATES in relations and CONTRADICTS in relations:
        return "conflicting"
    if CONTRADICTS in relations:
        return "contradicted"
    if CORROBORATES in relations:
        return "corroborated"
    return "uncorroborated"


def forget() -> None:
    """Drop what the rules remember of the values they have met (names, handles, group names):
    called when a case is deleted, so its values do not outlive it in this process's memory."""
    for cached in (similarity, _name_finding, _words, handle_key, _topics):
        cached.cache_clear()

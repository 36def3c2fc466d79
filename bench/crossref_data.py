"""A large fictional case for the cross-referencing benchmark, the same every run for a size.

    plan(observation_count, fact_count) -> Plan   # pure: the people, accounts and CSV files (seeded)
    load(plan, home) -> BenchCase                 # through the domain, into a fresh workbench home

The case: the child (P-0001) and ten others (four persons of concern, three associates, two
family members, one other), each with platform accounts; `facts` trusted-source facts spread over
them (dates of birth, two disagreeing for some people; full names; aliases; schools and home areas
with valid_from/valid_to windows; known accounts; vulnerabilities such as known self-harm or an
eating disorder); and `observations` observations in a realistic mix of kinds, most of them making
claims the rules read (stated age, school, location and display name; a contact's handle; accounts
of note; groups and topics), with occurred_at known to the minute, day, month or year,
approximately, or not at all.

Everything is loaded as an analyst would: people and accounts one by one, facts with
`facts.import_csv` and observations with `observations.import_csv` in chunks, so every row passes
the same validation as a real import. Every name, school, place and handle is invented and says so
("Demo Person 3", "Bench Primary School 2", "@bench.handle.42").
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlite_utils

from workbench import access, authorisations, cases, facts, observations, people, users
from workbench.access import Actor
from workbench.config import Settings
from workbench.db import open_home, query_one
from workbench.veracity import age_on

SEED = 2026
DEFAULT_OBSERVATIONS = 5_000
DEFAULT_FACTS = 200
CHUNK = 1_000  # observations a CSV file (one import, one transaction)
REFERENCE = "BENCH-XREF-1"
ANALYST, PASSWORD = "bench-analyst", "bench-analyst-password-2026"
FACT_COLUMNS = ("person", "attribute", "value", "source_agency", "source_reference", "valid_from", "valid_to")
OBSERVATION_COLUMNS = (
    "kind", "indicator", "summary", "details", "account", "person", "visibility", "occurred_at", "observed_at",
    "source_type", "source_grade", "information_grade", "handling_code", "immediate_risk",
)  # fmt: skip
# Observations are seen between these days (all in the past), each some days after it happened.
FIRST_SEEN, LAST_SEEN = date(2023, 9, 1), date(2025, 8, 31)
# The others after the child: (role, accounts). Codes follow in order: P-0002, P-0003, ...
OTHERS = (
    ("person_of_concern", 4), ("person_of_concern", 3), ("person_of_concern", 3), ("person_of_concern", 2),
    ("associate", 2), ("associate", 2), ("associate", 2), ("family", 1), ("family", 1), ("other", 1),
)  # fmt: skip
CHILD_ACCOUNTS = 3
UNOWNED_ACCOUNTS = 2
PLATFORMS = ("Instagram", "TikTok", "Snapchat", "Discord", "X", "Roblox", "Twitch", "Reddit")
AREAS = ("Benchton", "Demoford", "Exampleby", "Mockhampton", "Testwick", "Samplebury", "Fictonville", "Placeholme")
QUARTERS = ("North", "South", "East", "West", "Central", "Upper", "Lower", "Green")
# Aliases are two of these words, never the same pair twice: different enough that the fuzzy name
# rule does not take one alias for another.
NICKNAMES = (
    "Pixel", "Comet", "Maple", "Sparrow", "Nova", "Pebble", "Echo", "Juniper", "Quartz", "Willow", "Ember",
    "Cobalt", "Saffron", "Tundra", "Orbit", "Fable", "Marble", "Cinder", "Lark", "Meadow", "Onyx", "Zephyr",
    "Bramble", "Glacier", "Harbor", "Indigo", "Jasper", "Kestrel", "Lumen", "Mosaic",
)  # fmt: skip


@dataclass
class Person:
    """One person of the case and what is true of them (the facts record part of it)."""

    code: str
    name: str
    role: str
    number: int
    born: date
    full_name: str
    accounts: list[tuple[str, str]] = field(default_factory=list)  # (platform, handle)
    handles: list[str] = field(default_factory=list)  # known to be theirs, beyond the directory
    aliases: list[str] = field(default_factory=list)
    schools: list[tuple[str, date | None, date | None]] = field(default_factory=list)
    areas: list[tuple[str, date | None, date | None]] = field(default_factory=list)

    @property
    def all_handles(self) -> list[str]:
        return [h for _, h in self.accounts] + self.handles

    def current(self, items: list[tuple[str, date | None, date | None]], day: date) -> str | None:
        for value, first, last in items:
            if (first or date.min) <= day <= (last or date.max):
                return value
        return None


@dataclass(frozen=True)
class Plan:
    observations: int
    facts: int
    seed: int
    people: tuple[Person, ...]  # the child first
    unowned_accounts: tuple[tuple[str, str], ...]
    facts_csv: bytes
    observation_csvs: tuple[bytes, ...]  # CHUNK rows each, the last one fewer


@dataclass(frozen=True)
class BenchCase:
    db: sqlite_utils.Database
    analyst: Actor
    reference: str
    case_id: int
    observation_codes: tuple[str, ...]
    fact_codes: tuple[str, ...]
    accounts: int


# --- the plan (pure) -----------------------------------------------------------------------------


def plan(observation_count: int = DEFAULT_OBSERVATIONS, fact_count: int = DEFAULT_FACTS, seed: int = SEED) -> Plan:
    """The whole case as data: the same for the same sizes and seed."""
    if observation_count < 1 or fact_count < 1:
        raise ValueError("observations and facts must be 1 or more")
    rng = random.Random(seed)
    nicknames = _nicknames(rng)
    cast = _people(rng, nicknames)
    unowned = tuple((rng.choice(PLATFORMS), f"@bench.handle.unowned.{n}") for n in range(1, UNOWNED_ACCOUNTS + 1))
    fact_rows = _facts(rng, cast, fact_count, nicknames)
    observation_rows = [_observation(rng, cast, n) for n in range(1, observation_count + 1)]
    return Plan(
        observations=observation_count,
        facts=fact_count,
        seed=seed,
        people=tuple(cast),
        unowned_accounts=unowned,
        facts_csv=_csv(FACT_COLUMNS, fact_rows),
        observation_csvs=tuple(
            _csv(OBSERVATION_COLUMNS, observation_rows[start : start + CHUNK])
            for start in range(0, len(observation_rows), CHUNK)
        ),
    )


def _people(rng: random.Random, nicknames: Iterator[str]) -> list[Person]:
    handle_numbers = iter(range(1, 10_000))

    def accounts(count: int) -> list[tuple[str, str]]:
        return [(rng.choice(PLATFORMS), f"@bench.handle.{next(handle_numbers)}") for _ in range(count)]

    school = rng.randrange(1, 9)
    child = Person(
        code="P-0001",
        name="Child A",  # create_case names the child by the pseudonym
        role="subject",
        number=0,
        born=_day_in(rng, date(2011, 1, 1), date(2011, 12, 31)),
        full_name="Demo Child Example",
        accounts=accounts(CHILD_ACCOUNTS),
        aliases=[next(nicknames), next(nicknames)],
        schools=[
            (f"Bench Primary School {school}", date(2015, 9, 1), date(2022, 7, 22)),
            (f"Demo Academy {school}", date(2022, 9, 1), date(2024, 7, 19)),
            (f"Example High School {school}", date(2024, 9, 2), None),
        ],
        areas=[(_area(rng), date(2019, 6, 1), date(2024, 3, 31)), (_area(rng), date(2024, 4, 1), None)],
    )
    cast = [child]
    for number, (role, count) in enumerate(OTHERS, start=1):
        if role == "person_of_concern":
            born = _day_in(rng, date(1982, 1, 1), date(1999, 12, 31))
        elif role == "associate":
            born = _day_in(rng, date(2010, 6, 1), date(2012, 6, 30))
        else:
            born = _day_in(rng, date(1975, 1, 1), date(1992, 12, 31))
        person = Person(
            code=f"P-{number + 1:04d}",
            name=f"Demo Person {number}",
            role=role,
            number=number,
            born=born,
            full_name=f"Demo Person {number} Example",
            accounts=accounts(count),
            aliases=[next(nicknames)],
            areas=[(_area(rng), date(2018, 1, 1), None)],
        )
        if role == "associate":  # the child's classmates, at the child's schools
            person.schools = list(child.schools[1:]) if number % 2 else [(f"Demo Academy {school + 1}", None, None)]
        if role == "person_of_concern":
            person.handles = [f"@bench.known.{number}.1"]
        cast.append(person)
    return cast


def _nicknames(rng: random.Random) -> Iterator[str]:
    """Two-word aliases, 'Pixel Comet', in a seeded order, never the same pair twice."""
    pairs = [f"{a} {b}" for a in NICKNAMES for b in NICKNAMES if a != b]
    rng.shuffle(pairs)
    return iter(pairs)


def _facts(rng: random.Random, cast: list[Person], wanted: int, nicknames: Iterator[str]) -> list[dict]:
    """Exactly `wanted` facts: the ones every rule needs first (so a small case still finds all
    kinds of thing), then more aliases, accounts, old home areas and vulnerabilities."""
    child, poc, associates, family = cast[0], cast[1:5], cast[5:8], cast[8:10]
    references = iter(range(1, 1_000_000))

    def fact(person, attribute, value, agency, first=None, last=None) -> dict:
        return {
            "person": person.code,
            "attribute": attribute,
            "value": value,
            "source_agency": agency,
            "source_reference": f"Bench record {next(references)} (fictional)",
            "valid_from": first.isoformat() if first else "",
            "valid_to": last.isoformat() if last else "",
        }

    def school(person, index):
        name, first, last = person.schools[index]
        return fact(person, "school", name, "school", first, last)

    def area(person, index):
        name, first, last = person.areas[index]
        return fact(person, "home_area", name, "childrens_social_care", first, last)

    def other_date_of_birth(person):  # a record that disagrees: another year, the same day
        return fact(person, "date_of_birth", person.born.replace(year=rng.randrange(2005, 2009)).isoformat(), "other")

    rows = [
        fact(child, "date_of_birth", child.born.isoformat(), "school"),
        fact(child, "full_name", child.full_name, "school"),
        school(child, 2),
        area(child, 1),
        fact(child, "mental_health", "Known self-harm, CAMHS referral (fictional)", "health", date(2024, 1, 10)),
        fact(poc[0], "date_of_birth", poc[0].born.isoformat(), "police"),
        fact(poc[0], "known_account", poc[0].handles[0], "police"),
        fact(
            child,
            "mental_health",
            "Eating disorder (anorexia), under CAMHS (fictional)",
            "health",
            date(2023, 6, 1),
            date(2024, 12, 31),
        ),
        school(child, 1),
        other_date_of_birth(poc[0]),
        fact(child, "known_alias", child.aliases[0], "family_or_carer"),
        fact(poc[1], "date_of_birth", poc[1].born.isoformat(), "police"),
        fact(poc[1], "full_name", poc[1].full_name, "police"),
        fact(poc[0], "full_name", poc[0].full_name, "police"),
        area(child, 0),
        fact(associates[0], "date_of_birth", associates[0].born.isoformat(), "school"),
        school(associates[0], 0),
        fact(poc[1], "known_alias", poc[1].aliases[0], "police"),
        fact(poc[2], "date_of_birth", poc[2].born.isoformat(), "police"),
        other_date_of_birth(poc[2]),
        fact(poc[2], "full_name", poc[2].full_name, "police"),
        fact(poc[3], "date_of_birth", poc[3].born.isoformat(), "police"),
        fact(poc[3], "full_name", poc[3].full_name, "police"),
        fact(associates[0], "full_name", associates[0].full_name, "school"),
        fact(associates[0], "mental_health", "Known self-harm (fictional)", "school", date(2023, 11, 1)),
        fact(associates[1], "date_of_birth", associates[1].born.isoformat(), "school"),
        school(associates[1], 0),
        other_date_of_birth(associates[1]),
        fact(associates[2], "date_of_birth", associates[2].born.isoformat(), "school"),
        fact(associates[2], "full_name", associates[2].full_name, "school"),
        school(child, 0),
        fact(child, "known_alias", child.aliases[1], "school"),
        fact(child, "family_risk_factor", "Parental substance misuse (fictional)", "childrens_social_care"),
        fact(child, "send_or_disability", "ADHD, support plan (fictional)", "school", date(2020, 2, 1)),
        fact(child, "gender", "female", "school"),
        *(fact(p, "full_name", p.full_name, "family_or_carer") for p in family),
        *(area(p, 0) for p in family),
        fact(family[0], "family_risk_factor", "Substance misuse (fictional)", "childrens_social_care"),
        fact(cast[10], "full_name", cast[10].full_name, "other"),
        *(fact(p, "known_alias", p.aliases[0], "police") for p in (poc[0], poc[2], poc[3])),
        *(area(p, 0) for p in poc),
        fact(poc[0], "known_associate", poc[1].name, "police"),
    ]
    extras = (
        ("alias", 30),
        ("account", 35),
        ("old_area", 15),
        ("vulnerability", 12),
        ("associate", 8),
    )
    vulnerabilities = (
        ("mental_health", "Disordered eating, school nurse note (fictional)"),
        ("mental_health", "Low mood, self-harm disclosed to tutor (fictional)"),
        ("mental_health", "Bulimia, past episode (fictional)"),
        ("family_risk_factor", "Domestic abuse at home (fictional)"),
        ("family_risk_factor", "Social isolation (fictional)"),
        ("looked_after", "Section 20 accommodation (fictional)"),
        ("physical_health", "Asthma (fictional)"),
        ("send_or_disability", "Dyslexia (fictional)"),
    )
    while len(rows) < wanted:
        choice = rng.choices([name for name, _ in extras], [weight for _, weight in extras])[0]
        if choice == "alias":
            person = rng.choice([child, child, *poc, *associates])
            person.aliases.append(next(nicknames))
            rows.append(fact(person, "known_alias", person.aliases[-1], rng.choice(["police", "school", "other"])))
        elif choice == "account":
            person = rng.choice([*poc, *poc, *associates])
            person.handles.append(f"@bench.known.{person.number}.{len(person.handles) + 1}")
            rows.append(fact(person, "known_account", person.handles[-1], rng.choice(["police", "other"])))
        elif choice == "old_area":  # an earlier home, before any observation
            person = rng.choice(cast)
            ended = min(first or date(2018, 1, 1) for _, first, _ in person.areas) - timedelta(days=1)
            began = ended - timedelta(days=rng.randrange(200, 1500))
            person.areas.append((_area(rng), began, ended))
            rows.append(area(person, len(person.areas) - 1))
        elif choice == "vulnerability":
            person = rng.choice([child, child, *associates])
            attribute, value = rng.choice(vulnerabilities)
            first = _day_in(rng, date(2019, 1, 1), date(2024, 12, 31))
            last = first + timedelta(days=rng.randrange(90, 900)) if rng.random() < 0.4 else None
            agency = rng.choice(["health", "school", "childrens_social_care"])
            rows.append(fact(person, attribute, value, agency, first, last))
        else:
            person, other = rng.sample([*poc, *associates], 2)
            rows.append(fact(person, "known_associate", other.name, "police"))
    return rows[:wanted]


def _observation(rng: random.Random, cast: list[Person], number: int) -> dict:
    child, poc, associates = cast[0], cast[1:5], cast[5:8]
    occurred, observed, day = _when(rng)
    kind = rng.choices(
        ["profile_indicator", "contact_event", "friend_network", "group_membership", "posting_activity",
         "device_observation", "general_note"],
        [34, 20, 10, 12, 14, 5, 5],
    )[0]  # fmt: skip
    about = child
    if kind == "profile_indicator":
        about = rng.choices([child, *poc, *associates], [20, 2, 2, 1, 1, 1, 1, 1])[0]
        details, indicator = _profile(rng, about, day)
    elif kind == "contact_event":
        details, indicator = _contact(rng, cast)
    elif kind == "friend_network":
        details, indicator = _friends(rng, cast)
    elif kind == "group_membership":
        details, indicator = _group(rng)
    elif kind == "posting_activity":
        details, indicator = _posts(rng, day)
    elif kind == "device_observation":
        details = {"reported_by": rng.choice(["police", "family_or_carer", "school"]), "device": "Bench phone"}
        details["apps"] = rng.sample(["Bench Chat", "Demo Vault", "Example Maps", "Mock Messenger"], 2)
        indicator = rng.choice(["decoy_app", "second_device", "anonymous_chat_app", "location_sharing"])
    else:
        details = {"note": f"Bench note {number}: a conversation with the school about the child (fictional)."}
        indicator = rng.choice(["note", "bullying", "other"])
    on_account = about.accounts and rng.random() < 0.8
    return {
        "kind": kind,
        "indicator": indicator,
        "summary": f"Bench observation {number} ({kind.replace('_', ' ')}, fictional)",
        "details": json.dumps(details, sort_keys=True),
        "account": rng.choice(about.accounts)[1] if on_account else "",
        "person": "" if on_account or about is child else about.code,
        "visibility": rng.choices(["public", "friends_only", "supplied"], [6, 2, 2])[0],
        "occurred_at": occurred,
        "observed_at": observed,
        "source_type": rng.choices(["analyst_viewed", "supplied_parent_carer", "supplied_school"], [7, 2, 1])[0],
        "source_grade": rng.choice("123"),
        "information_grade": rng.choice("ABCD"),
        "handling_code": rng.choice("PC"),
        "immediate_risk": "true" if rng.random() < 0.02 else "false",
    }


def _profile(rng: random.Random, person: Person, day: date) -> tuple[dict, str]:
    details: dict = {"profile_element": rng.choice(["bio", "display_name", "profile_picture", "pinned_post"])}
    if rng.random() < 0.7:
        names = [person.full_name, *person.aliases]
        pick = rng.random()
        if pick < 0.4:
            details["display_name"] = rng.choice(names)
        elif pick < 0.6:
            details["display_name"] = rng.choice(names).lower().replace(" ", "_")
        else:
            details["display_name"] = f"xx bench star {rng.randrange(100)} xx"
    if rng.random() < 0.55:
        age = age_on(person.born, day)
        pick = rng.random()
        if pick < 0.5:
            details["stated_age"] = age
        elif pick < 0.65:
            details["stated_age"] = max(age + rng.choice([-1, 1]), 0)
        else:  # a false age: older for the child, younger for an adult
            details["stated_age"] = rng.choice([16, 18, 19, 21]) if age < 16 else rng.randrange(14, 18)
    if person.schools and rng.random() < 0.45:
        known = person.current(person.schools, day) or person.schools[-1][0]
        pick = rng.random()
        if pick < 0.5:
            details["stated_school"] = known
        elif pick < 0.7:
            details["stated_school"] = known.lower().replace(" school", "")
        else:
            details["stated_school"] = f"Mock Grammar School {rng.randrange(1, 20)}"
    if rng.random() < 0.4:
        known = person.current(person.areas, day) or person.areas[0][0]
        pick = rng.random()
        if pick < 0.5:
            details["stated_location"] = known
        elif pick < 0.7:
            details["stated_location"] = known.split()[0]
        else:
            details["stated_location"] = _area(rng)
    stated = [name for name in ("stated_age", "stated_school", "stated_location") if name in details]
    if stated and rng.random() < 0.7:
        return details, rng.choice(stated)
    return details, rng.choice(["self_harm_content", "illegal_substance_imagery", "weapons", "other", "gang_signs"])


def _handle(rng: random.Random, cast: list[Person]) -> str:
    """A handle as seen: often one a person of concern is known by, typed however it was shown."""
    pick = rng.random()
    if pick < 0.35:
        handle = rng.choice(rng.choice(cast[1:5]).all_handles)
    elif pick < 0.45:
        handle = rng.choice(rng.choice(cast[5:11]).all_handles or ["@bench.stranger.0"])
    else:
        handle = f"@bench.stranger.{rng.randrange(400)}"
    if rng.random() < 0.3:
        handle = handle.lstrip("@")
    if rng.random() < 0.2:
        handle = handle.upper()
    return handle


def _contact(rng: random.Random, cast: list[Person]) -> tuple[dict, str]:
    details = {
        "counterpart_handle": _handle(rng, cast),
        "counterpart_platform": rng.choice(PLATFORMS),
        "counterpart_apparent_age": rng.choice(["teenager", "young_adult", "adult", "adult", "unknown"]),
        "channel": rng.choice(["public_comment", "direct_message_shown", "group_chat", "game_chat"]),
        "grooming_indicators": rng.sample(
            ["flattery", "secrecy_requests", "gifts_or_money", "move_to_private_channel", "age_probing"],
            rng.randrange(0, 4),
        ),
        "requests_for_images": rng.random() < 0.1,
        "meeting_request": rng.random() < 0.1,
    }
    indicator = rng.choice(["unknown_adult_contact", "grooming_pattern", "meeting_request", "other"])
    if details["requests_for_images"]:
        indicator = "request_for_images"
    return details, indicator


def _friends(rng: random.Random, cast: list[Person]) -> tuple[dict, str]:
    total = rng.randrange(20, 900)
    reviewed = rng.randrange(10, min(total, 200) + 1)
    adults = rng.randrange(0, reviewed + 1)
    notes = list(dict.fromkeys(_handle(rng, cast) for _ in range(rng.randrange(0, 6))))
    details = {
        "contacts_total": total,
        "contacts_reviewed": reviewed,
        "apparent_adults": adults,
        "older_males": rng.randrange(0, adults + 1),
        "few_or_no_mutual_friends": rng.randrange(0, reviewed + 1),
        "accounts_of_note": notes,
    }
    return details, rng.choice(["many_older_contacts", "older_males_few_mutuals", "unknown_adults", "other"])


GROUPS = {  # category: (share, group names, indicator)
    "eating_disorder": (20, ("Bench Thinspo Circle {}", "Demo Pro-Ana Support {}"), "harmful_community"),
    "self_harm": (15, ("Demo Self-Harm Vent Space {}", "Bench Quiet Cuts {}"), "harmful_community"),
    "gaming": (30, ("Bench Gaming Guild {}", "Demo Raid Squad {}"), "grooming_risk_community"),
    "drugs": (6, ("Bench Cannabis Chat {}", "Demo Party Supplies {}"), "harmful_community"),
    "extremism": (4, ("Demo Far Right Memes {}",), "harmful_community"),
    "gangs": (5, ("Bench Drill Music Fans {}",), "harmful_community"),
    "hacking": (5, ("Demo Code Crew {}",), "other"),
    "other": (15, ("Bench Dance Fans {}", "Demo Pet Pictures {}"), "other"),
}
TOPICS = (  # (topic, indicator, share)
    ("Self-harm quotes and edits", "self_harm_posts", 12),
    ("Pro-ana diet tips", "posting_surge", 12),
    ("Thinspo edits", "posting_surge", 8),
    ("Cannabis pictures", "drug_related_posts", 6),
    ("Gaming clips", "posting_surge", 20),
    ("Dance videos", "other", 20),
    ("Gifted products (#ad)", "sponsored_or_gifted_posts", 10),
    ("Low mood, suicide lyrics", "self_harm_posts", 6),
    ("School sports", "other", 6),
)


def _group(rng: random.Random) -> tuple[dict, str]:
    category = rng.choices(list(GROUPS), [share for share, _, _ in GROUPS.values()])[0]
    _, names, indicator = GROUPS[category]
    details = {
        "group_name": rng.choice(names).format(rng.randrange(1, 60)),
        "category": category,
        "role": rng.choice(["member", "follower", "member", "moderator"]),
        "member_count": rng.randrange(5, 40_000),
    }
    return details, indicator


def _posts(rng: random.Random, day: date) -> tuple[dict, str]:
    topic, indicator, _ = rng.choices(TOPICS, [share for _, _, share in TOPICS])[0]
    start = day - timedelta(days=rng.randrange(7, 60))
    details = {
        "topic": topic,
        "window_start": start.isoformat(),
        "window_end": day.isoformat(),
        "post_count": rng.randrange(1, 80),
        "baseline_count": rng.randrange(0, 20),
    }
    return details, indicator


def _when(rng: random.Random) -> tuple[str, str, date]:
    """occurred_at as typed (exact, day, month, year, ~approximate or unknown), observed_at, and
    the day the claim was made (for a stated age)."""
    seen = _day_in(rng, FIRST_SEEN, LAST_SEEN)
    observed = datetime(seen.year, seen.month, seen.day, rng.randrange(9, 19), rng.randrange(60))
    happened = seen - timedelta(days=rng.randrange(1, 45))
    pick = rng.random()
    if pick < 0.22:
        occurred = f"{happened.isoformat()} {rng.randrange(8, 22):02d}:{rng.randrange(60):02d}"
    elif pick < 0.45:
        occurred = happened.isoformat()
    elif pick < 0.60:
        occurred = happened.strftime("%Y-%m")
    elif pick < 0.66:
        occurred = str(happened.year)
    elif pick < 0.74:
        occurred = "~" + happened.isoformat()
    elif pick < 0.82:
        occurred = "~" + happened.strftime("%Y-%m")
    else:
        occurred, happened = "", seen
    return occurred, observed.strftime("%Y-%m-%d %H:%M"), happened


def _day_in(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _area(rng: random.Random) -> str:
    return f"{rng.choice(AREAS)} {rng.choice(QUARTERS)}"


def _csv(columns: tuple[str, ...], rows: list[dict]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([row.get(c, "") for c in columns] for row in rows)
    return buffer.getvalue().encode("utf-8")


# --- loading (through the domain) ----------------------------------------------------------------


# The generated case is reviewed under an authorisation covering all of it, as a real one would be.
BENCH_AUTHORISATION = {
    "purpose": "Benchmark case (fictional)",
    "lawful_basis": "Children Act 1989 s.47 (fictional)",
    "authorised_by": "Benchmark team manager (fictional)",
    "authorised_on": "2000-01-01",
    "review_date": "2099-12-31",
}


class LoadFailed(RuntimeError):
    """The generated case did not load as planned."""


def load(
    case_plan: Plan,
    home: Path,
    *,
    reference: str = REFERENCE,
    title: str = "Cross-referencing benchmark (fictional)",
    with_observations: bool = True,
) -> BenchCase:
    """A fresh workbench home with one analyst and the planned case, loaded as an analyst would.
    Without observations: everything they need (people, accounts, facts), for a benchmark that
    times importing them."""
    db = open_home(Settings(home=home))
    analyst = users.create_user(db, access.SYSTEM, ANALYST, "analyst", PASSWORD)
    cases.create_case(db, access.SYSTEM, reference, title, lead=ANALYST)
    authorisations.add_authorisation(db, analyst, reference, BENCH_AUTHORISATION)
    for person in case_plan.people[1:]:
        code = people.add_person(db, analyst, reference, person.name, person.role)
        if code != person.code:
            raise LoadFailed(f"{person.name} became {code}, not {person.code}")
    accounts = [(platform, handle, p.code) for p in case_plan.people for platform, handle in p.accounts]
    accounts += [(platform, handle, "") for platform, handle in case_plan.unowned_accounts]
    for platform, handle, person in accounts:
        people.add_account(db, analyst, reference, platform, handle, person=person)
    fact_codes = facts.import_csv(db, analyst, reference, case_plan.facts_csv)
    codes: list[str] = []
    for data in case_plan.observation_csvs if with_observations else ():
        codes += observations.import_csv(db, analyst, reference, data).codes
    wanted = case_plan.observations if with_observations else 0
    if len(fact_codes) != case_plan.facts or len(codes) != wanted:
        raise LoadFailed(f"{len(fact_codes)} facts and {len(codes)} observations loaded, not as planned")
    case_id = query_one(db, "SELECT id FROM cases WHERE reference = ?", (reference,))["id"]
    return BenchCase(db, analyst, reference, case_id, tuple(codes), tuple(fact_codes), len(accounts))

"""The veracity rules table, without a database: claims and facts built by hand, one section per
rule in `veracity.RULES`, then the claims a kind's schema makes, `evaluate`, facts that disagree
with each other and the status an observation gets."""

from __future__ import annotations

from datetime import date

import pytest

from workbench import veracity
from workbench.schemas import load_catalog
from workbench.timeutil import parse_partial
from workbench.veracity import ALWAYS, Claim, Fact, Period

SCHOOL_RECORD = "the school's record"
DAY = date(2025, 3, 14)
CHILD, OTHER = 1, 2


def _on(day: date) -> Period:
    return Period(day, day)


def _claim(
    value,
    *,
    field: str = "stated_age",
    title: str = "Stated age",
    attributes: tuple[str, ...] = ("date_of_birth",),
    when: Period | None = None,
    note: str = "",
    person_id: int | None = CHILD,
    observation_id: int = 1,
    topics: frozenset[str] = frozenset(),
) -> Claim:
    return Claim(
        observation_id=observation_id,
        observation=f"OBS-{observation_id:04d}",
        version=1,
        person_id=person_id,
        when=when or _on(DAY),
        when_note=note,
        source="profile",
        field=field,
        title=title,
        attributes=attributes,
        value=value,
        topics=topics,
    )


def _fact(
    attribute: str,
    value: str,
    *,
    code: str = "F-0001",
    label: str | None = None,
    person_id: int = CHILD,
    person: str = "Child A (P-0001)",
    role: str = "subject",
    record: str = SCHOOL_RECORD,
    reference: str = "",
    valid: Period = ALWAYS,
    recorded_on: date | None = None,
    topics: frozenset[str] = frozenset(),
    fact_id: int | None = 1,
) -> Fact:
    return Fact(
        code=code,
        person_id=person_id,
        person=person,
        person_role=role,
        attribute=attribute,
        attribute_label=label or attribute.replace("_", " ").capitalize(),
        value=value,
        record=record,
        source_reference=reference,
        valid=valid,
        recorded_on=recorded_on,
        fact_id=fact_id,
        version=1 if fact_id is not None else None,
        topics=topics,
    )


def _dob(value: str, **kwargs) -> Fact:
    return _fact("date_of_birth", value, label="Date of birth", **kwargs)


def _period(text: str, observed_at: str = "2026-09-01T10:00:00Z") -> tuple[Period, str]:
    """What a user typed, stored as the app stores it, then read back as a claim's span."""
    typed = parse_partial(text)
    return veracity.claim_period(typed.at, typed.precision, typed.approximate, observed_at)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def topics(catalog) -> veracity.Topics:
    return veracity.Topics.from_catalog(catalog)


def test_the_rules_table_is_the_one_these_sections_test():
    assert [rule.name for rule in veracity.RULES] == [
        "age_against_date_of_birth", "school_name", "home_area_name", "person_name", "account_of_known_person",
        "concern_meets_vulnerability",
    ]  # fmt: skip
    for rule in veracity.RULES:
        assert rule.attributes and rule.description.strip()
        assert veracity.RULE_DESCRIPTIONS[rule.name] == rule.description
    assert [r.name for r in veracity.RULES if r.any_person] == ["account_of_known_person"]


# --- when a claim was made -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "first", "last", "note"),
    [
        ("2026-03-14", date(2026, 3, 14), date(2026, 3, 14), ""),
        ("~2026-03-14", date(2026, 3, 13), date(2026, 3, 15), "the claim's date is approximate"),
        ("2026-03-14 10:30", date(2026, 3, 14), date(2026, 3, 14), ""),
        ("~2026-03-14 10:30", date(2026, 3, 13), date(2026, 3, 15), "the claim's date is approximate"),
        ("2026-06", date(2026, 6, 1), date(2026, 6, 30), "the claim's date is known only to the month"),
        (
            "~2026-06",
            date(2026, 5, 1),
            date(2026, 7, 31),
            "the claim's date is known only to the month; the claim's date is approximate",
        ),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "the claim's date is known only to the month"),
        (
            "~2026-01",
            date(2025, 12, 1),
            date(2026, 2, 28),
            "the claim's date is known only to the month; the claim's date is approximate",
        ),
        (
            "~2026-12",
            date(2026, 11, 1),
            date(2027, 1, 31),
            "the claim's date is known only to the month; the claim's date is approximate",
        ),
        ("2026", date(2026, 1, 1), date(2026, 12, 31), "the claim's date is known only to the year"),
        (
            "~2026",
            date(2025, 1, 1),
            date(2027, 12, 31),
            "the claim's date is known only to the year; the claim's date is approximate",
        ),
    ],
)
def test_a_claims_period_spans_what_its_date_may_be(typed, first, last, note):
    assert _period(typed) == (Period(first, last), note)


def test_a_month_in_summer_time_is_read_in_london_not_utc():
    # "2026-06" is stored as 2026-05-31T23:00:00Z: read in UTC it would be May.
    assert parse_partial("2026-06").at == "2026-05-31T23:00:00Z"
    assert _period("2026-06")[0] == Period(date(2026, 6, 1), date(2026, 6, 30))


@pytest.mark.parametrize(
    ("occurred_at", "precision", "approximate"),
    [
        (None, "unknown", False),
        ("", "unknown", False),
        (None, "unknown", True),
        ("2020-01-01T00:00:00Z", "unknown", False),
    ],
)
def test_an_unknown_date_falls_back_to_the_day_it_was_observed(occurred_at, precision, approximate):
    # 23:30 UTC on 31 March is 00:30 on 1 April in London (summer time).
    period, note = veracity.claim_period(occurred_at, precision, approximate, "2026-03-31T23:30:00Z")
    assert (period, note) == (Period(date(2026, 4, 1), date(2026, 4, 1)), "")


def test_periods_overlap_inclusively():
    spring = Period(date(2025, 3, 1), date(2025, 5, 31))
    assert spring.overlaps(Period(date(2025, 5, 31), date(2025, 8, 31)))
    assert spring.overlaps(ALWAYS)
    assert not spring.overlaps(Period(date(2025, 6, 1), date(2025, 8, 31)))
    assert not Period(date(2024, 1, 1), date(2025, 2, 28)).overlaps(spring)


# --- age against date of birth -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (date(2012, 2, 29), date(2025, 2, 28), 12),
        (date(2012, 2, 29), date(2025, 3, 1), 13),
        (date(2012, 2, 29), date(2024, 2, 28), 11),
        (date(2012, 2, 29), date(2024, 2, 29), 12),
        (date(2010, 5, 14), date(2025, 5, 13), 14),
        (date(2010, 5, 14), date(2025, 5, 14), 15),
        (date(2010, 12, 31), date(2011, 1, 1), 0),
    ],
)
def test_age_on_counts_whole_years(born, day, age):
    assert veracity.age_on(born, day) == age


def test_a_false_age_is_a_contradiction_worded_exactly():
    finding = veracity.age_against_date_of_birth(_claim(19), _dob("2010-05-14"))
    assert finding.relation == veracity.CONTRADICTS
    assert finding.rule == "age_against_date_of_birth"
    assert finding.labels == ("false age stated",) == (veracity.FALSE_AGE,)
    assert finding.detail == "profile states 19; known age 14 from the school's record of date of birth (F-0001)"
    assert "profile states 19; known age 14 from the school's record of date of birth" in finding.detail
    assert (finding.score, finding.threshold) == (None, None)


def test_the_source_reference_is_cited_in_the_detail():
    finding = veracity.age_against_date_of_birth(_claim(19), _dob("2010-05-14", reference="Admissions record"))
    assert finding.detail.endswith("(F-0001, Admissions record)")


def test_a_right_age_corroborates_without_a_label():
    finding = veracity.age_against_date_of_birth(_claim(14), _dob("2010-05-14"))
    assert finding.relation == veracity.CORROBORATES
    assert finding.labels == ()
    assert finding.detail == "profile states 14; known age 14 from the school's record of date of birth (F-0001)"


@pytest.mark.parametrize(
    ("day", "stated", "relation", "known"),
    [
        (date(2025, 2, 28), 13, veracity.CONTRADICTS, "known age 12"),
        (date(2025, 2, 28), 12, veracity.CORROBORATES, "known age 12"),
        (date(2025, 3, 1), 13, veracity.CORROBORATES, "known age 13"),
        (date(2025, 3, 1), 12, veracity.CONTRADICTS, "known age 13"),
    ],
)
def test_a_birthday_on_29_february_comes_on_1_march(day, stated, relation, known):
    finding = veracity.age_against_date_of_birth(_claim(stated, when=_on(day)), _dob("2012-02-29"))
    assert finding.relation == relation
    assert known + " from" in finding.detail


def test_a_claim_known_only_to_the_month_allows_both_ages_of_that_month():
    when, note = _period("2026-06")
    born = _dob("2012-06-15")
    for stated in (13, 14):
        finding = veracity.age_against_date_of_birth(_claim(stated, when=when, note=note), born)
        assert finding.relation == veracity.CORROBORATES, finding.detail
        assert "known age 13 to 14" in finding.detail
        assert finding.detail.endswith("; the claim's date is known only to the month")
    assert veracity.age_against_date_of_birth(_claim(15, when=when, note=note), born).relation == veracity.CONTRADICTS


def test_an_approximate_month_widens_what_age_may_be_right():
    born = _dob("2012-07-20")
    exact_month, note = _period("2026-06")
    finding = veracity.age_against_date_of_birth(_claim(14, when=exact_month, note=note), born)
    assert finding.relation == veracity.CONTRADICTS  # all of June 2026 they were 13
    assert "known age 13 from" in finding.detail
    about, note = _period("~2026-06")  # May to July: the birthday falls inside
    finding = veracity.age_against_date_of_birth(_claim(14, when=about, note=note), born)
    assert finding.relation == veracity.CORROBORATES
    assert "known age 13 to 14" in finding.detail
    assert "the claim's date is approximate" in finding.detail


def test_an_unknown_date_is_judged_on_the_day_it_was_observed():
    when, note = veracity.claim_period(None, "unknown", False, "2025-03-14T10:30:00Z")
    finding = veracity.age_against_date_of_birth(_claim(19, when=when, note=note), _dob("2010-05-14"))
    assert finding.relation == veracity.CONTRADICTS
    assert finding.detail.endswith("(F-0001)")  # no note: the day is known


def test_a_claim_made_before_the_fact_was_recorded_is_still_judged():
    claim = _claim(19, when=_on(date(2024, 1, 10)))
    recorded_later = veracity.age_against_date_of_birth(claim, _dob("2010-05-14", recorded_on=date(2026, 1, 5)))
    assert recorded_later is not None
    assert recorded_later.relation == veracity.CONTRADICTS
    assert "known age 13" in recorded_later.detail
    assert recorded_later == veracity.age_against_date_of_birth(claim, _dob("2010-05-14"))


def test_a_claim_made_before_the_date_of_birth_contradicts():
    finding = veracity.age_against_date_of_birth(_claim(3, when=_on(date(2014, 6, 1))), _dob("2015-01-01"))
    assert finding.relation == veracity.CONTRADICTS
    assert finding.labels == (veracity.FALSE_AGE,)
    assert "predates the date of birth" in finding.detail


@pytest.mark.parametrize(("stated", "born"), [(None, "2010-05-14"), ("nineteen", "2010-05-14"), (19, "unknown")])
def test_an_age_or_date_that_cannot_be_read_gives_no_finding(stated, born):
    assert veracity.age_against_date_of_birth(_claim(stated), _dob(born)) is None


# --- school name ---------------------------------------------------------------------------------


def _school_claim(value, **kwargs) -> Claim:
    return _claim(value, field="stated_school", title="Stated school", attributes=("school",), **kwargs)


def test_a_school_that_matches_corroborates_with_score_and_threshold():
    finding = veracity.school_name(_school_claim("northfield"), _fact("school", "Northfield Academy", label="School"))
    assert finding.relation == veracity.CORROBORATES
    assert (finding.rule, finding.score, finding.threshold) == ("school_name", 100.0, 90.0)
    assert finding.detail == (
        "profile: stated school 'northfield'; the school's record gives school 'Northfield Academy' (F-0001): "
        "similarity 100, threshold 90"
    )


def test_a_school_that_does_not_match_contradicts_showing_the_score():
    finding = veracity.school_name(_school_claim("Riverside High"), _fact("school", "Northfield Academy"))
    assert finding.relation == veracity.CONTRADICTS
    assert finding.threshold == 90.0
    assert finding.score is not None and finding.score < 90
    assert finding.detail.endswith(f"similarity {finding.score:g}, below the threshold 90")
    assert finding.labels == ()


@pytest.mark.parametrize("stated", ["Academy", "academy", "The Academy", "St. Community C of E Primary School"])
def test_school_words_alone_name_no_school(stated):
    # "Academy" must not match every academy, nor contradict one: it says nothing.
    assert veracity.school_name(_school_claim(stated), _fact("school", "Northfield Academy")) is None


def test_school_words_do_not_count_towards_a_match():
    finding = veracity.school_name(
        _school_claim("St Mary's Catholic Primary"), _fact("school", "Saint Marys RC Primary")
    )
    assert finding.relation == veracity.CORROBORATES
    southfield = veracity.school_name(_school_claim("Southfield Academy"), _fact("school", "Northfield Academy"))
    assert southfield.relation == veracity.CONTRADICTS


@pytest.mark.parametrize("stated", ["Riverside High", "Northfield Academy"])
def test_a_school_fact_not_valid_when_the_claim_was_made_gives_no_finding(stated):
    left = _fact("school", "Northfield Academy", valid=Period(date(2019, 9, 1), date(2023, 7, 31)))
    assert veracity.school_name(_school_claim(stated), left) is None


def test_a_school_fact_valid_for_part_of_the_claims_span_is_judged():
    started = _fact("school", "Northfield Academy", valid=Period(date(2025, 9, 1), date.max))
    when, _ = veracity.claim_period("2025-01-01T00:00:00Z", "year", False, "2026-01-01T00:00:00Z")
    assert veracity.school_name(_school_claim("Northfield", when=when), started).relation == veracity.CORROBORATES
    assert veracity.school_name(_school_claim("Northfield", when=_on(date(2025, 8, 31))), started) is None


@pytest.mark.parametrize("stated", ["", "   ", "!!"])
def test_an_empty_school_gives_no_finding(stated):
    assert veracity.school_name(_school_claim(stated), _fact("school", "Northfield Academy")) is None


# --- home area -----------------------------------------------------------------------------------


def _area_claim(value) -> Claim:
    return _claim(value, field="stated_location", title="Stated location", attributes=("home_area",))


def test_a_home_area_that_matches_corroborates():
    finding = veracity.home_area_name(_area_claim("Eastbrook"), _fact("home_area", "Eastbrook estate"))
    assert (finding.rule, finding.relation, finding.score, finding.threshold) == (
        "home_area_name", veracity.CORROBORATES, 100.0, 90.0,
    )  # fmt: skip


def test_a_home_area_that_does_not_match_contradicts():
    finding = veracity.home_area_name(_area_claim("Leeds"), _fact("home_area", "Eastbrook estate"))
    assert finding.relation == veracity.CONTRADICTS
    assert "below the threshold 90" in finding.detail


@pytest.mark.parametrize("stated", ["", "the area", "Town"])
def test_place_words_alone_give_no_finding(stated):
    assert veracity.home_area_name(_area_claim(stated), _fact("home_area", "Eastbrook estate")) is None


# --- person name ---------------------------------------------------------------------------------


def _name_claim(value) -> Claim:
    return _claim(value, field="display_name", title="Display name shown", attributes=("full_name", "known_alias"))


@pytest.mark.parametrize(
    ("stated", "known"),
    [
        ("Zoë O'Brien", "O'Brien Zoe"),
        ("O'Brien Zoe", "Zoë O'Brien"),
        ("ZOE O BRIEN", "Zoe O'Brien"),
        ("zoë-o'brien", "O'BRIEN, Zoë"),
    ],
)
def test_names_match_whatever_the_accents_punctuation_and_word_order(stated, known):
    finding = veracity.person_name(_name_claim(stated), _fact("full_name", known, label="Full name"))
    assert finding.relation == veracity.CORROBORATES
    assert (finding.score, finding.threshold) == (100.0, 90.0)
    assert "similarity 100, threshold 90" in finding.detail


def test_a_plain_and_accented_name_agree_on_their_plain_form():
    assert veracity.plain("Zoë  O'Brien-Smith") == "zoe o brien smith"
    assert veracity.similarity("Zoë O'Brien", "O'Brien Zoe") == 100.0


@pytest.mark.parametrize("stated", ["xXdarkangelXx", "zoe_s_2012", "Totally Someone Else"])
def test_a_display_name_that_does_not_match_gives_no_finding(stated):
    # A made-up display name says nothing about the child: mismatch is None, unlike a school.
    assert veracity.person_name.mismatch is None
    assert veracity.school_name.mismatch == veracity.CONTRADICTS
    assert veracity.person_name(_name_claim(stated), _fact("full_name", "Zoe O'Brien")) is None


@pytest.mark.parametrize("stated", ["", "   ", "-"])
def test_an_empty_display_name_gives_no_finding(stated):
    assert veracity.person_name(_name_claim(stated), _fact("full_name", "Zoe O'Brien")) is None


def test_a_display_name_is_held_against_aliases_too():
    results = veracity.evaluate(
        [_name_claim("Zozo")],
        [_fact("full_name", "Zoe O'Brien", code="F-0001"), _fact("known_alias", "zozo", code="F-0002")],
    )
    assert [(r.fact.code, r.finding.rule, r.finding.relation) for r in results] == [
        ("F-0002", "person_name", veracity.CORROBORATES)
    ]


# --- accounts of known people --------------------------------------------------------------------


def _handle_claim(value, *, person_id: int | None = CHILD, observation_id: int = 1) -> Claim:
    return _claim(
        value,
        field="counterpart_handle",
        title="Counterpart account (handle)",
        attributes=("known_account",),
        person_id=person_id,
        observation_id=observation_id,
    )


def _account(handle: str, *, role: str = "person_of_concern", person_id: int = OTHER, code: str = "AC-0001") -> Fact:
    return _fact(
        "known_account",
        handle,
        code=code,
        label="Account",
        person_id=person_id,
        person="Person B (P-0002)" if person_id == OTHER else "Child A (P-0001)",
        role=role,
        record="the case's accounts",
        reference="Instagram",
        fact_id=None,
    )


@pytest.mark.parametrize(
    ("typed", "known"),
    [("@darkknight", "darkknight"), ("DarkKnight", "@darkknight"), (" @Dark Knight ", "darkknight"),
     ("@DARK_KNIGHT", "dark_knight"), ("@Zoë", "zoe")],
)  # fmt: skip
def test_a_handle_matches_whatever_the_at_sign_letter_case_and_spaces(typed, known):
    assert veracity.handle_key(typed) == veracity.handle_key(known)
    finding = veracity.account_of_known_person(_handle_claim(typed), _account(known))
    assert finding is not None
    assert finding.relation == veracity.RELATES_TO


@pytest.mark.parametrize("typed", ["@darkknight2", "@dark.knight", "knight"])
def test_a_different_handle_gives_no_finding(typed):
    assert veracity.account_of_known_person(_handle_claim(typed), _account("darkknight")) is None


def test_a_person_of_concern_gets_the_label_and_is_named_by_pseudonym():
    finding = veracity.account_of_known_person(_handle_claim("@darkknight"), _account("darkknight"))
    assert finding.labels == ("person of concern",) == (veracity.PERSON_OF_CONCERN,)
    assert (finding.rule, finding.score, finding.threshold) == ("account_of_known_person", 100.0, None)
    assert finding.detail == (
        "counterpart account (handle) '@darkknight' belongs to Person B (P-0002), a person of concern "
        "(the case's accounts: AC-0001, Instagram)"
    )


def test_an_associate_relates_without_the_concern_label():
    finding = veracity.account_of_known_person(_handle_claim("@pal"), _account("pal", role="associate"))
    assert finding.relation == veracity.RELATES_TO
    assert finding.labels == ()
    assert "person of concern" not in finding.detail
    assert "belongs to Person B (P-0002) (" in finding.detail


def test_an_account_of_the_observations_own_person_does_not_relate_to_them():
    own = _account("zoe_official", person_id=CHILD, role="subject")
    assert veracity.account_of_known_person(_handle_claim("@zoe_official"), own) is None
    assert veracity.evaluate([_handle_claim("@zoe_official")], [own]) == []


def test_accounts_are_matched_whoever_the_observation_is_about():
    # any_person: the observation is about the child, the account is Person B's.
    results = veracity.evaluate([_handle_claim("@DarkKnight")], [_account("darkknight")])
    assert [(r.fact.code, r.finding.rule) for r in results] == [("AC-0001", "account_of_known_person")]


@pytest.mark.parametrize("typed", ["", "   ", None])
def test_an_empty_handle_gives_no_finding(typed):
    assert veracity.evaluate([_handle_claim(typed)], [_account("darkknight")]) == []


# --- concern topics and known vulnerabilities ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gang member", {"gangs"}),
        ("the gangs of the estate", {"gangs"}),
        ("Gangnam Style dance", set()),
        ("gangster films", set()),
        ("Anorexia nervosa", {"eating_disorder"}),
        ("ANOREXIC", {"eating_disorder"}),
        ("Pro-ana tips", {"eating_disorder"}),
        ("#thinspo", {"eating_disorder"}),
        ("self-harming", {"self_harm"}),
        ("Self harm", {"self_harm"}),
        ("suicidal thoughts", {"self_harm"}),
        ("CSE concern", {"sexual_exploitation"}),
        ("csee", set()),
        ("drug-related posts and anorexia", {"drugs", "eating_disorder"}),
        ("Minecraft builders", set()),
        ("", set()),
    ],
)
def test_topics_are_found_by_their_keywords(topics, text, expected):
    assert topics.of(text) == frozenset(expected)


def test_a_star_keyword_matches_word_starts_and_a_plain_one_whole_words():
    found = veracity.Topics({"pets": ["cat*", "dog"], "empty": []})
    assert found.of("Categories") == {"pets"}
    assert found.of("a dog") == {"pets"}
    assert found.of("dogs") == frozenset()
    assert found.of("hotdog") == frozenset()
    assert found.of("concatenate") == frozenset()
    assert found.of("one text", "and a DOG in another") == {"pets"}


def _vulnerability(value: str, topics: veracity.Topics, **kwargs) -> Fact:
    return _fact(
        "mental_health", value, label="Mental health", record="the health record", topics=topics.of(value), **kwargs
    )


def _group_claim(value, topics: veracity.Topics, **kwargs) -> Claim:
    return _claim(
        value, field="group_name", title="Group name", attributes=("vulnerability",), topics=topics.of(value), **kwargs
    )


def test_a_pro_ana_group_against_a_known_eating_disorder_heightens_concern(topics):
    finding = veracity.concern_meets_vulnerability(
        _group_claim("Pro-ana support", topics), _vulnerability("Anorexia nervosa", topics)
    )
    assert finding.relation == veracity.HEIGHTENS_CONCERN
    assert finding.labels == ("eating disorder",)
    assert finding.detail == (
        "profile: group name 'Pro-ana support'; the health record gives mental health 'Anorexia nervosa' "
        "(F-0001): eating disorder"
    )


def test_self_harm_posts_against_known_self_harm_heighten_concern(topics):
    indicator = _claim(
        "Self-harm posts", field="indicator", title="Indicator", attributes=("vulnerability",),
        topics=frozenset({"self_harm"}),
    )  # fmt: skip
    finding = veracity.concern_meets_vulnerability(indicator, _vulnerability("Known self-harm (cutting)", topics))
    assert finding.relation == veracity.HEIGHTENS_CONCERN
    assert finding.labels == ("self harm",)
    assert finding.detail.endswith(": self harm")


def test_no_shared_topic_gives_nothing(topics):
    claim = _group_claim("Pro-ana support", topics)
    assert veracity.concern_meets_vulnerability(claim, _vulnerability("Known self-harm", topics)) is None
    assert veracity.concern_meets_vulnerability(claim, _vulnerability("Anxiety", topics)) is None


def test_an_ended_vulnerability_still_heightens_concern_and_says_it_ended(topics):
    ended = _vulnerability("Anorexia (treated)", topics, valid=Period(date(2022, 1, 1), date(2024, 6, 30)))
    finding = veracity.concern_meets_vulnerability(_group_claim("Pro-ana support", topics), ended)
    assert finding.relation == veracity.HEIGHTENS_CONCERN
    assert "(recorded as ended 2024-06-30)" in finding.detail
    current = ended._replace(valid=Period(date(2022, 1, 1), date.max))
    assert "ended" not in veracity.concern_meets_vulnerability(_group_claim("Pro-ana support", topics), current).detail


def test_only_the_shared_topics_are_labelled(topics):
    claim = _group_claim("pro ana and drugs chat", topics)
    fact = _vulnerability("anorexia and self-harm", topics)
    assert veracity.concern_meets_vulnerability(claim, fact).labels == ("eating disorder",)


# --- the claims a kind's schema makes ------------------------------------------------------------


def _base(observation_id: int = 7) -> Claim:
    return Claim(observation_id, f"OBS-{observation_id:04d}", 2, CHILD, _on(DAY), "", "profile")


def test_a_profile_makes_one_claim_per_mapped_field_and_skips_empty_ones(catalog, topics):
    kind = catalog.kinds["profile_indicator"]
    details = {
        "profile_element": "bio", "description": "a bio", "stated_age": 19, "stated_school": "Northfield",
        "display_name": "  ", "stated_location": "",
    }  # fmt: skip
    claims = veracity.claims_of(kind, _base(), "stated_age", details, topics)
    assert [(c.field, c.attributes, c.value) for c in claims] == [
        ("stated_age", ("date_of_birth",), 19),
        ("stated_school", ("school",), "Northfield"),
    ]
    assert all((c.observation, c.version, c.person_id, c.when) == ("OBS-0007", 2, CHILD, _on(DAY)) for c in claims)
    assert claims[0].title == "Stated age"
    assert claims[0].text == "19"


def test_a_display_name_claim_is_held_against_full_name_and_alias(catalog, topics):
    claims = veracity.claims_of(
        catalog.kinds["profile_indicator"], _base(), "other", {"profile_element": "bio", "display_name": "Zoë"}, topics
    )
    assert [(c.field, c.attributes) for c in claims] == [("display_name", ("full_name", "known_alias"))]


def test_a_list_field_makes_one_claim_per_item(catalog, topics):
    kind = catalog.kinds["friend_network"]
    details = {"contacts_total": 40, "contacts_reviewed": 20, "accounts_of_note": ["@older_guy", " ", "@another"]}
    claims = veracity.claims_of(kind, _base(), "many_older_contacts", details, topics)
    assert [(c.field, c.value, c.attributes) for c in claims] == [
        ("accounts_of_note", "@older_guy", ("known_account",)),
        ("accounts_of_note", "@another", ("known_account",)),
    ]


def test_a_group_claim_carries_the_topics_its_name_and_category_show(catalog, topics):
    kind = catalog.kinds["group_membership"]
    details = {"group_name": "Pro-ana support", "category": "eating_disorder"}
    claims = veracity.claims_of(kind, _base(), "harmful_community", details, topics)
    assert [(c.field, c.value, c.topics) for c in claims] == [
        ("group_name", "Pro-ana support", {"eating_disorder"}),
        ("category", "Eating disorder / pro-ana", {"eating_disorder"}),  # the label, not the stored value
    ]


def test_vulnerability_claims_that_show_no_topic_are_dropped(catalog, topics):
    kind = catalog.kinds["group_membership"]
    assert veracity.claims_of(kind, _base(), "other", {"group_name": "Minecraft builders", "category": "gaming"},
                              topics) == []  # fmt: skip
    kept = veracity.claims_of(kind, _base(), "other", {"group_name": "Minecraft builders", "category": "gangs"}, topics)
    assert [(c.field, c.topics) for c in kept] == [("category", {"gangs"})]


def test_an_indicator_with_a_concern_is_a_claim_of_its_own(catalog, topics):
    kind = catalog.kinds["posting_activity"]
    details = {"topic": "school work", "post_count": 30}
    claims = veracity.claims_of(kind, _base(), "self_harm_posts", details, topics)
    assert [(c.field, c.title, c.value, c.topics, c.attributes) for c in claims] == [
        ("indicator", "Indicator", "Self-harm posts", {"self_harm"}, ("vulnerability",))
    ]
    assert veracity.claims_of(kind, _base(), "posting_surge", details, topics) == []


def test_an_indicator_concern_comes_from_the_schema(catalog, topics):
    kind = catalog.kinds["profile_indicator"]
    concerned = {i.value: i.concern for i in kind.indicators if i.concern}
    assert concerned["gang_signs"] == "gangs"
    claims = veracity.claims_of(kind, _base(), "gang_signs", {"profile_element": "cover_photo"}, topics)
    assert [(c.field, c.topics) for c in claims] == [("indicator", {"gangs"})]


def test_a_kind_without_claim_fields_makes_no_claims(catalog, topics):
    assert catalog.kinds["general_note"].claim_fields == ()
    assert veracity.claims_of(catalog.kinds["general_note"], _base(), "note", {"note": "self-harm"}, topics) == []


# --- running the table ---------------------------------------------------------------------------


def test_two_claims_that_find_the_same_thing_give_one_finding(catalog, topics):
    claims = veracity.claims_of(
        catalog.kinds["group_membership"], _base(), "harmful_community",
        {"group_name": "Pro-ana support", "category": "eating_disorder"}, topics,
    )  # fmt: skip
    assert len(claims) == 2
    results = veracity.evaluate(claims, [_vulnerability("Anorexia nervosa", topics)])
    assert [(r.claim.field, r.fact.code, r.finding.rule) for r in results] == [
        ("group_name", "F-0001", "concern_meets_vulnerability")
    ]


def test_each_observation_and_each_fact_meet_on_their_own(topics):
    claims = [_claim(19, observation_id=1), _claim(14, observation_id=2)]
    facts = [_dob("2010-05-14", code="F-0001"), _dob("2005-11-30", code="F-0002", fact_id=2)]
    found = {(r.claim.observation, r.fact.code): r.finding.relation for r in veracity.evaluate(claims, facts)}
    assert found == {
        ("OBS-0001", "F-0001"): veracity.CONTRADICTS,
        ("OBS-0001", "F-0002"): veracity.CORROBORATES,
        ("OBS-0002", "F-0001"): veracity.CORROBORATES,
        ("OBS-0002", "F-0002"): veracity.CONTRADICTS,
    }


def test_facts_about_someone_else_are_not_held_against_the_claim():
    someone_else = _dob("1990-01-01", person_id=OTHER, person="Person B (P-0002)")
    assert veracity.evaluate([_claim(19)], [someone_else]) == []
    assert veracity.evaluate([_claim(19, person_id=None)], [_dob("2010-05-14")]) == []


def test_a_claim_meets_only_the_attributes_it_maps_to(topics):
    facts = [_fact("school", "Northfield Academy", code="F-0001"), _dob("2010-05-14", code="F-0002", fact_id=2)]
    results = veracity.evaluate([_school_claim("Northfield")], facts)
    assert [(r.fact.code, r.finding.rule) for r in results] == [("F-0001", "school_name")]


def test_evaluate_with_a_smaller_table_runs_only_those_rules():
    rules = tuple(r for r in veracity.RULES if r.name != "age_against_date_of_birth")
    assert veracity.evaluate([_claim(19)], [_dob("2010-05-14")], rules) == []


# --- facts that disagree with each other ---------------------------------------------------------


def test_two_dates_of_birth_one_for_and_one_against_make_the_claim_conflicting():
    first = _dob("2010-05-14", code="F-0001", record="the school's record")
    second = _dob("2005-11-30", code="F-0002", fact_id=2, record="the health record")
    results = veracity.evaluate([_claim(19)], [first, second])
    assert sorted(r.finding.relation for r in results) == [veracity.CONTRADICTS, veracity.CORROBORATES]
    assert veracity.status_of(r.finding.relation for r in results) == "conflicting"
    found = veracity.disagreements([first, second], {"date_of_birth"})
    assert [(d.first.code, d.second.code) for d in found] == [("F-0001", "F-0002")]
    assert found[0].detail == (
        "F-0001 and F-0002 disagree on Child A (P-0001)'s date of birth: '2010-05-14' (the school's record) and "
        "'2005-11-30' (the health record)"
    )


@pytest.mark.parametrize("other", ["2012-05-14", "2010-05-15", "2010-06-14"])
def test_dates_of_birth_that_differ_at_all_disagree(other):
    # As fuzzy text '2010-05-14' and '2012-05-14' score 90: a date must not be compared that way.
    first = _dob("2010-05-14", code="F-0001")
    second = _dob(other, code="F-0002", fact_id=2)
    assert [(d.first.code, d.second.code) for d in veracity.disagreements([first, second], {"date_of_birth"})] == [
        ("F-0001", "F-0002")
    ]


def test_two_different_academies_disagree_as_the_school_rule_says():
    # Whole text scores 88.9; without the school words, 'northfield' and 'southfield' differ.
    assert veracity.school_name(
        _school_claim("Southfield Academy"), _fact("school", "Northfield Academy")
    ).relation == (veracity.CONTRADICTS)
    first = _fact("school", "Northfield Academy", code="F-0001")
    second = _fact("school", "Southfield Academy", code="F-0002", fact_id=2)
    assert len(veracity.disagreements([first, second], {"school"})) == 1


def test_one_school_written_two_ways_does_not_disagree():
    first = _fact("school", "Northfield Academy", code="F-0001")
    second = _fact("school", "Northfield", code="F-0002", fact_id=2)
    assert veracity.disagreements([first, second], {"school"}) == []


def test_facts_whose_validity_does_not_overlap_do_not_disagree():
    before = _fact("school", "Riverside Primary", code="F-0001", valid=Period(date(2017, 9, 1), date(2023, 7, 31)))
    after = _fact("school", "Northfield Academy", code="F-0002", fact_id=2, valid=Period(date(2023, 9, 1), date.max))
    assert veracity.disagreements([before, after], {"school"}) == []
    overlapping = after._replace(valid=Period(date(2023, 7, 1), date.max))
    assert len(veracity.disagreements([before, overlapping], {"school"})) == 1


@pytest.mark.parametrize(
    "facts",
    [
        # the same value written differently
        [_fact("school", "Northfield Academy"), _fact("school", "NORTHFIELD  academy", code="F-0002", fact_id=2)],
        # an attribute that may have many values
        [_fact("known_alias", "Zozo"), _fact("known_alias", "Bee", code="F-0002", fact_id=2)],
        # about two people
        [_dob("2010-05-14"), _dob("1980-01-01", code="F-0002", fact_id=2, person_id=OTHER)],
        # an account from the directory is not a fact
        [_fact("school", "Northfield Academy"), _fact("school", "Riverside High", code="AC-0001", fact_id=None)],
    ],
    ids=["same-value", "multi-valued", "two-people", "account"],
)
def test_facts_that_can_both_be_true_do_not_disagree(facts):
    assert veracity.disagreements(facts, {"date_of_birth", "school"}) == []


# --- the status of an observation ----------------------------------------------------------------


C, X, CTX, R, H = (veracity.CORROBORATES, veracity.CONTRADICTS, veracity.CONTEXT, veracity.RELATES_TO,
                   veracity.HEIGHTENS_CONCERN)  # fmt: skip


@pytest.mark.parametrize(
    ("relations", "status"),
    [
        ([], "uncorroborated"),
        ([CTX], "uncorroborated"),
        ([R], "uncorroborated"),
        ([H], "uncorroborated"),
        ([CTX, R, H], "uncorroborated"),
        ([C], "corroborated"),
        ([C, C], "corroborated"),
        ([C, CTX, R, H], "corroborated"),
        ([X], "contradicted"),
        ([X, X, CTX], "contradicted"),
        ([X, R, H], "contradicted"),
        ([C, X], "conflicting"),
        ([X, C, CTX, R, H], "conflicting"),
    ],
)
def test_status_of_every_combination(relations, status):
    assert veracity.status_of(relations) == status
    assert veracity.status_of(iter(relations)) == status  # any iterable, read once


def test_statuses_are_listed_worst_first():
    assert veracity.STATUSES == ("contradicted", "conflicting", "corroborated", "uncorroborated")

"""Time: stored ISO 8601 UTC, shown in Europe/London, partial times keep their precision."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.timeutil import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    LONDON,
    PartialTime,
    days_before,
    format_local,
    from_iso_utc,
    is_after,
    local,
    london_day,
    now_utc,
    parse_instant,
    parse_partial,
    to_input_text,
    to_iso_utc,
)

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.mark.parametrize(
    ("text", "at", "precision", "approximate"),
    [
        ("", None, "unknown", False),
        (None, None, "unknown", False),
        ("unknown", None, "unknown", False),
        ("  Unknown ", None, "unknown", False),
        ("2026", "2026-01-01T00:00:00Z", "year", False),
        ("2026-03", "2026-03-01T00:00:00Z", "month", False),
        ("2026-03-14", "2026-03-14T00:00:00Z", "day", False),
        ("2026-03-14 10:30", "2026-03-14T10:30:00Z", "exact", False),
        ("2026-03-14T10:30", "2026-03-14T10:30:00Z", "exact", False),
        ("~2026-03", "2026-03-01T00:00:00Z", "month", True),
        ("c. 2026", "2026-01-01T00:00:00Z", "year", True),
        ("circa 2026-03-14", "2026-03-14T00:00:00Z", "day", True),
        ("about 2026-03-14 10:30", "2026-03-14T10:30:00Z", "exact", True),
        ("2028-02-29", "2028-02-29T00:00:00Z", "day", False),
    ],
)
def test_parse_partial_reads_each_precision(text, at, precision, approximate):
    assert parse_partial(text) == PartialTime(at=at, precision=precision, approximate=approximate)


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("2026-07-01 10:00", "2026-07-01T09:00:00Z"),  # British Summer Time, UTC+1
        ("2026-01-15 10:00", "2026-01-15T10:00:00Z"),  # Greenwich Mean Time, UTC+0
        ("2026-07", "2026-06-30T23:00:00Z"),  # midnight on 1 July in London is 23:00 UTC the day before
        ("2026-07-14", "2026-07-13T23:00:00Z"),
        ("2026-03-29 03:00", "2026-03-29T02:00:00Z"),  # the first hour of BST in 2026
        ("2026-10-25 03:00", "2026-10-25T03:00:00Z"),  # back on GMT
    ],
)
def test_parse_partial_converts_london_time_to_utc(text, at):
    assert parse_partial(text).at == at


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("2026-07-01T10:00Z", "2026-07-01T10:00:00Z"),
        ("2026-07-01T10:00+02:00", "2026-07-01T08:00:00Z"),
        ("2026-01-15 10:00-05:00", "2026-01-15T15:00:00Z"),
    ],
)
def test_parse_partial_respects_an_explicit_offset(text, at):
    assert parse_partial(text) == PartialTime(at=at, precision="exact")


def test_parse_partial_approximate_flag_can_be_passed_in():
    assert parse_partial("2026", approximate=True) == PartialTime("2026-01-01T00:00:00Z", "year", True)


@pytest.mark.parametrize(
    ("text", "precision", "at"),
    [
        ("2026-03-14 10:30", "day", "2026-03-14T00:00:00Z"),
        ("2026-03-14 10:30", "month", "2026-03-01T00:00:00Z"),
        ("2026-03-14", "year", "2026-01-01T00:00:00Z"),
        ("2026-07-14 00:30", "day", "2026-07-13T23:00:00Z"),  # London's 14 July, not UTC's
    ],
)
def test_parse_partial_truncates_to_an_explicit_precision(text, precision, at):
    assert parse_partial(text, precision) == PartialTime(at=at, precision=precision)


def test_parse_partial_with_precision_unknown_gives_unknown():
    assert parse_partial("2026-03-14", "unknown") == PartialTime.unknown()


@pytest.mark.parametrize(("text", "precision"), [("2026", "day"), ("2026-03", "exact"), ("2026-03-14", "exact")])
def test_parse_partial_refuses_a_precision_finer_than_the_text(text, precision):
    with pytest.raises(ValueError, match="not precise enough"):
        parse_partial(text, precision)


def test_parse_partial_refuses_an_unknown_precision():
    with pytest.raises(ValueError, match="precision must be one of exact, day, month, year, unknown"):
        parse_partial("2026", "week")


@pytest.mark.parametrize(
    "text",
    [
        "2027-02-29",
        "2026-02-30",
        "2026-13",
        "2026-00",
        "2026-3",
        "14/03/2026",
        "next tuesday",
        "2026-03-14 25:00",
        "~nope",
    ],  # fmt: skip
)
def test_parse_partial_bad_input_gives_a_helpful_value_error(text):
    with pytest.raises(ValueError) as raised:
        parse_partial(text)
    message = str(raised.value)
    assert "is not a date" in message
    assert "2026-03-14 10:30" in message  # shows an example of what works
    assert text.lstrip("~") in message  # names what was typed


def test_parse_partial_clips_a_very_long_bad_input_in_its_message():
    with pytest.raises(ValueError) as raised:
        parse_partial("x" * 10_000)
    assert len(str(raised.value)) < 300
    assert "…" in str(raised.value)


@pytest.mark.parametrize("text", ["0999"])
def test_parse_partial_never_stores_a_time_it_cannot_read_back(text):
    try:
        parsed = parse_partial(text)
    except ValueError as e:  # refusing such a year is fine too
        assert "is not a date" in str(e)
        return
    assert ISO_UTC.match(parsed.at), parsed.at
    assert from_iso_utc(parsed.at) is not None
    assert format_local(parsed.at, parsed.precision) == text


@pytest.mark.parametrize(
    "text",
    [str(EARLIEST_YEAR - 1), f"{LATEST_YEAR + 1}-01", f"{LATEST_YEAR + 1}-01-01 10:00", f"~{EARLIEST_YEAR - 1}-12-31"],
)
def test_parse_partial_refuses_a_year_outside_the_range_naming_it(text):
    with pytest.raises(ValueError, match=f"the year must be between {EARLIEST_YEAR} and {LATEST_YEAR}"):
        parse_partial(text)


def test_parse_partial_accepts_the_first_and_last_years():
    assert parse_partial(str(EARLIEST_YEAR)) == PartialTime(f"{EARLIEST_YEAR}-01-01T00:00:00Z", "year")
    assert parse_partial(f"{LATEST_YEAR}-12-31 23:59").at == f"{LATEST_YEAR}-12-31T23:59:00Z"


@pytest.mark.parametrize("text", ["20260314", "2026-W11-6"])
def test_parse_partial_does_not_invent_a_time_for_a_date_without_one(text):
    try:
        parsed = parse_partial(text)
    except ValueError:  # refusing the compact or week form is fine too
        return
    assert parsed.precision != "exact", f"{text!r} names a day but was stored as {parsed.at} exactly"


# --- showing times ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "precision", "approximate", "shown"),
    [
        ("2026-07-01T09:00:00Z", "exact", False, "01 Jul 2026 10:00"),
        ("2026-01-15T10:00:00Z", "exact", False, "15 Jan 2026 10:00"),
        ("2026-07-13T23:00:00Z", "day", False, "14 Jul 2026"),
        ("2026-06-30T23:00:00Z", "month", False, "Jul 2026"),
        ("2026-06-30T23:00:00Z", "month", True, "~Jul 2026"),
        ("2026-01-01T00:00:00Z", "year", False, "2026"),
        (None, "unknown", False, "unknown"),
        ("2026-01-01T00:00:00Z", "unknown", False, "unknown"),
        (None, "exact", False, "unknown"),
    ],
)
def test_format_local_shows_london_time_no_finer_than_known(at, precision, approximate, shown):
    assert format_local(at, precision, approximate) == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("", "unknown"),
        ("2026", "2026"),
        ("~2026", "~2026"),
        ("2026-07", "Jul 2026"),
        ("2026-12", "Dec 2026"),
        ("2026-07-01", "01 Jul 2026"),
        ("c. 2026-01-31", "~31 Jan 2026"),
        ("2026-07-01 10:00", "01 Jul 2026 10:00"),
        ("2026-01-15 10:00", "15 Jan 2026 10:00"),
        ("2028-02-29", "29 Feb 2028"),
    ],
)
def test_format_local_shows_what_parse_partial_read(text, shown):
    parsed = parse_partial(text)
    assert format_local(parsed.at, parsed.precision, parsed.approximate) == shown


@pytest.mark.parametrize(
    "text",
    [
        "", "2026", "~2026", "2026-07", "~2026-01", "2026-07-01", "2026-01-31", "2028-02-29",
        "2026-07-01 10:00", "2026-01-15 10:00", "~2026-03-14 23:59", "2026-03-29 03:00",
    ],
)  # fmt: skip
def test_to_input_text_round_trips_through_parse_partial(text):
    parsed = parse_partial(text)
    assert parse_partial(to_input_text(parsed.at, parsed.precision, parsed.approximate)) == parsed


@pytest.mark.parametrize("at", ["2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"])
def test_to_input_text_round_trips_both_instants_of_the_repeated_autumn_hour(at):
    # 00:30Z is 01:30 BST and 01:30Z is 01:30 GMT: two instants with the same London wall time.
    parsed = PartialTime(at, "exact")
    assert parse_partial(to_input_text(parsed.at, parsed.precision)) == parsed


def test_to_input_text_of_unknown_is_empty():
    assert to_input_text(None, "unknown") == ""
    assert to_input_text("2026-01-01T00:00:00Z", "unknown") == ""


# --- instants ------------------------------------------------------------------------------------


def test_now_utc_is_iso_utc_and_now():
    stamp = now_utc()
    assert ISO_UTC.match(stamp)
    assert abs(from_iso_utc(stamp) - datetime.now(UTC)) < timedelta(seconds=5)


def test_to_iso_utc_takes_a_naive_time_as_london():
    assert to_iso_utc(datetime(2026, 7, 1, 10, 0)) == "2026-07-01T09:00:00Z"
    assert to_iso_utc(datetime(2026, 1, 15, 10, 0)) == "2026-01-15T10:00:00Z"
    assert to_iso_utc(datetime(2026, 7, 1, 10, 0, tzinfo=UTC)) == "2026-07-01T10:00:00Z"


def test_parse_instant_needs_a_value_and_reads_london_time():
    assert parse_instant("2026-07-01 10:00") == "2026-07-01T09:00:00Z"
    with pytest.raises(ValueError, match="a date and time is needed"):
        parse_instant("  ")
    with pytest.raises(ValueError, match="is not a date and time"):
        parse_instant("teatime")


def test_is_after_allows_five_minutes_of_clock_slack():
    assert not is_after("2026-01-01T10:04:00Z", "2026-01-01T10:00:00Z")
    assert is_after("2026-01-01T10:06:00Z", "2026-01-01T10:00:00Z")
    assert not is_after("2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z")


@settings(max_examples=500, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31)),
    zone=st.sampled_from([None, UTC, LONDON]),
)
def test_to_iso_utc_writes_what_strftime_writes(moment, zone):
    """The fast formatting is the stored form exactly: zero-padded, seconds, no fraction, Z."""
    aware = moment.replace(tzinfo=zone or LONDON)
    assert to_iso_utc(moment.replace(tzinfo=zone)) == aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("at", "days", "expected"),
    [
        ("2026-03-29T00:30:00Z", 28, "2026-03-01T00:30:00Z"),  # across the clocks going forward: UTC has none
        ("2024-03-28T23:59:59Z", 28, "2024-02-29T23:59:59Z"),  # a leap day
        ("2026-01-10T08:00:00Z", 28, "2025-12-13T08:00:00Z"),  # into the year before
        ("2026-06-01T12:00:00Z", 0, "2026-06-01T12:00:00Z"),
    ],
)
def test_days_before_moves_only_the_date_of_a_stored_time(at, days, expected):
    assert days_before(at, days) == expected


@given(st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2199, 12, 31)), st.integers(0, 400))
def test_days_before_is_the_time_that_many_days_earlier(moment, days):
    at = to_iso_utc(moment.replace(tzinfo=UTC))
    assert days_before(at, days) == to_iso_utc(from_iso_utc(at) - timedelta(days=days))


# --- London's clock changes, which the fast conversions rely on ------------------------------------


def _london_clock_changes(first_year: int, last_year: int) -> list[tuple[int, timedelta, timedelta]]:
    """Each change of London's offset from UTC: the first second (a Unix time) of the new offset,
    the old offset and the new. Found from one noon to the next, then to the second by halving."""

    def offset(second: int) -> timedelta:
        return datetime.fromtimestamp(second, UTC).astimezone(LONDON).utcoffset()

    changes = []
    noon = int(datetime(first_year, 1, 1, 12, tzinfo=UTC).timestamp())
    end = int(datetime(last_year, 12, 31, 12, tzinfo=UTC).timestamp())
    before = offset(noon)
    while noon < end:
        following = noon + 86_400
        after = offset(following)
        if after != before:
            low, high = noon, following  # low has the old offset, high the new
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == before else (low, middle)
            changes.append((high, before, after))
            before = after
        noon = following
    return changes


def test_london_clocks_never_changed_twice_in_a_day():
    """What to_iso_utc and london_day assume, held over every change from 1900 to 2200: a day whose
    first and last seconds have one offset has it all day."""
    changes = _london_clock_changes(EARLIEST_YEAR, LATEST_YEAR)
    assert len(changes) > 2 * (LATEST_YEAR - 2000)  # twice a year for two centuries at least: the scan works
    gaps = [later - earlier for (earlier, _, _), (later, _, _) in zip(changes, changes[1:], strict=False)]
    assert min(gaps) > 2 * 86_400  # more than two days: no day, by London's clock or UTC's, holds two


@pytest.mark.parametrize(
    ("wall", "expected"),
    [
        (datetime(2026, 3, 29, 0, 59), "2026-03-29T00:59:00Z"),
        (datetime(2026, 3, 29, 1, 30), "2026-03-29T01:30:00Z"),  # the hour the clocks skip, read as GMT
        (datetime(2026, 3, 29, 2, 0), "2026-03-29T01:00:00Z"),
        (datetime(2026, 10, 25, 1, 30), "2026-10-25T00:30:00Z"),  # the repeated hour: the first, BST
        (datetime(2026, 10, 25, 1, 30, fold=1), "2026-10-25T01:30:00Z"),  # and the second, GMT
        (datetime(1968, 12, 1, 12, 0), "1968-12-01T11:00:00Z"),  # British Standard Time, a winter at +1
        (datetime(1944, 6, 6, 12, 0), "1944-06-06T10:00:00Z"),  # double summer time, +2
    ],
)
def test_to_iso_utc_reads_a_wall_clock_time_as_london_did(wall, expected):
    assert to_iso_utc(wall) == expected


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31)))
def test_london_day_is_the_date_in_london(moment):
    at = to_iso_utc(moment.replace(tzinfo=UTC))
    assert london_day(at) == local(at).date()


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
    st.integers(-600, 600),
    st.sampled_from([timedelta(0), timedelta(minutes=5), timedelta(hours=1)]),
)
def test_is_after_judges_stored_times_as_the_times_they_are(moment, seconds, slack):
    earlier = to_iso_utc(moment.replace(tzinfo=UTC))
    later = to_iso_utc(moment.replace(tzinfo=UTC) + timedelta(seconds=seconds))
    assert is_after(later, earlier, slack) == (from_iso_utc(later) > from_iso_utc(earlier) + slack)


def test_the_fast_conversions_agree_with_zoneinfo_around_every_clock_change():
    """Every 20 minutes of the day before each change from 1900 to 2200, the day of it and the day
    after: London's wall clock to UTC, and UTC to London's day."""
    for second, _, _ in _london_clock_changes(EARLIEST_YEAR, LATEST_YEAR):
        day = datetime.fromtimestamp(second, UTC).date()
        start = datetime.combine(day - timedelta(days=1), datetime.min.time())
        for step in range(0, 3 * 24 * 60, 20):
            wall = start + timedelta(minutes=step)
            assert to_iso_utc(wall) == wall.replace(tzinfo=LONDON).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            at = wall.strftime("%Y-%m-%dT%H:%M:%SZ")  # the same figures read as UTC
            assert london_day(at) == from_iso_utc(at).astimezone(LONDON).date(), at

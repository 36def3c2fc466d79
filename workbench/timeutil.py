"""Time: stored as ISO 8601 UTC, shown in Europe/London, with its precision kept.

When something happened is often known only roughly ("March 2026", "about a week ago"), so a
partial time is stored as the first instant of the period it names (local time, converted to UTC)
with a precision and an approximate flag. Nothing here invents a time the user did not give.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from workbench.fields import clip

LONDON = ZoneInfo("Europe/London")
PRECISIONS = ("exact", "day", "month", "year", "unknown")
_ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"
_APPROXIMATE_PREFIX = re.compile(r"^\s*(~|c\.|ca\.|circa|approx\.?|about)\s*", re.IGNORECASE)
_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A moment must name its time of day: a bare date is a day, never midnight (no invented times).
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$")
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200


@dataclass(frozen=True)
class PartialTime:
    """A time that may be unknown or known only to the year, month or day."""

    at: str | None  # ISO 8601 UTC of the first instant of the period, None when unknown
    precision: str = "exact"
    approximate: bool = False

    @classmethod
    def unknown(cls) -> PartialTime:
        return cls(at=None, precision="unknown", approximate=False)


def now_utc() -> str:
    return to_iso_utc(datetime.now(UTC))


def to_iso_utc(moment: datetime) -> str:
    """As strftime(_ISO_UTC) writes it, in a fifth of the time (an import writes several per row).
    A time without a zone is London's wall clock."""
    offset = _london_wall_day_offset(moment.date()) if moment.tzinfo is None and not moment.fold else None
    if offset is not None:
        utc = moment - offset
    else:
        utc = (moment if moment.tzinfo else moment.replace(tzinfo=LONDON)).astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="seconds") + "Z"


# London's offset from UTC over a whole day, or None on a day its clocks change, by its wall clock
# and by UTC's. Its clocks have never changed twice in one day (tests/test_timeutil.py checks
# 1900-2200), so a day whose first and last seconds agree has one offset all day. An import reads
# thousands of times on a few hundred days.
@functools.lru_cache(maxsize=16384)
def _london_wall_day_offset(day: date) -> timedelta | None:
    first = datetime.combine(day, time.min, tzinfo=LONDON).utcoffset()
    return first if first == datetime.combine(day, _LAST_SECOND, tzinfo=LONDON).utcoffset() else None


@functools.lru_cache(maxsize=16384)
def _london_utc_day_offset(day: date) -> timedelta | None:
    first = datetime.combine(day, time.min, tzinfo=UTC).astimezone(LONDON).utcoffset()
    last = datetime.combine(day, _LAST_SECOND, tzinfo=UTC).astimezone(LONDON).utcoffset()
    return first if first == last else None


_LAST_SECOND = time(23, 59, 59)


def _is_stored(text: str) -> bool:
    """In the form every stored time takes (2026-03-14T10:30:00Z)."""
    return len(text) == 20 and text[10] == "T" and text[19] == "Z"


def from_iso_utc(text: str) -> datetime:
    """A stored time (2026-03-14T10:30:00Z). fromisoformat is some forty times faster than
    strptime, which still refuses anything not exactly in that form."""
    if _is_stored(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    return datetime.strptime(text, _ISO_UTC).replace(tzinfo=UTC)


def days_before(iso_utc: str, days: int) -> str:
    """A stored time (ISO UTC) moved back by whole days: UTC has no clock changes, so only the date
    moves. A fifth of the time of parsing and writing it back (an import does it once a row)."""
    if _is_stored(iso_utc):
        try:
            return _days_before(iso_utc[:10], days) + iso_utc[10:]
        except ValueError:
            pass
    return to_iso_utc(from_iso_utc(iso_utc) - timedelta(days=days))


@functools.lru_cache(maxsize=16384)  # an import's rows fall on a few hundred days
def _days_before(day: str, days: int) -> str:
    return (date.fromisoformat(day) - timedelta(days=days)).isoformat()


def parse_instant(text: str) -> str:
    """An exact moment as ISO UTC. Without an offset the time is taken as Europe/London."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValueError("a date and time is needed")
    try:
        if not _MOMENT.match(cleaned):
            raise ValueError
        moment = datetime.fromisoformat(cleaned.replace(" ", "T", 1))
    except ValueError:
        raise ValueError(
            f"{clip(cleaned, 40)!r} is not a date and time; use e.g. 2026-03-14 10:30 or 2026-03-14T10:30Z"
        ) from None
    _check_year(moment.year)
    return to_iso_utc(moment)


def _check_year(year: int) -> None:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValueError(
            f"{year} is not a date this workbench takes: the year must be between {EARLIEST_YEAR} and {LATEST_YEAR}"
        )


@functools.lru_cache(maxsize=16384)  # an import meets the same days and months many times
def parse_partial(text: str | None, precision: str | None = None, approximate: bool = False) -> PartialTime:
    """Read what a user typed: '', 'unknown', '2026', '2026-03', '2026-03-14', '2026-03-14 10:30',
    any of them after '~' or 'c.' for approximate. An explicit precision truncates to it."""
    cleaned = (text or "").strip()
    match = _APPROXIMATE_PREFIX.match(cleaned)
    if match:
        approximate = True
        cleaned = cleaned[match.end() :]
    if precision and precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}")
    if not cleaned or cleaned.lower() == "unknown" or precision == "unknown":
        return PartialTime.unknown()
    try:
        if _YEAR.match(cleaned):
            local, found = datetime(int(cleaned), 1, 1), "year"
        elif _MONTH.match(cleaned):
            year, month = map(int, cleaned.split("-"))
            local, found = datetime(year, month, 1), "month"
        elif _DAY.match(cleaned):
            local, found = datetime.combine(date.fromisoformat(cleaned), datetime.min.time()), "day"
        else:
            exact = parse_instant(cleaned)
            local, found = from_iso_utc(exact).astimezone(LONDON), "exact"
        _check_year(local.year)
    except ValueError as e:
        if "the year must be" in str(e):
            raise
        raise ValueError(
            f"{clip(cleaned, 40)!r} is not a date; use 2026, 2026-03, 2026-03-14 or 2026-03-14 10:30, "
            "with ~ in front when approximate, or leave empty when unknown"
        ) from None
    chosen = precision or found
    if PRECISIONS.index(chosen) < PRECISIONS.index(found):
        raise ValueError(f"{clip(cleaned, 40)!r} is not precise enough for precision {chosen!r}")
    at = exact if chosen == "exact" else to_iso_utc(_truncate(local, chosen))  # exact: already as stored
    return PartialTime(at=at, precision=chosen, approximate=approximate)


def _truncate(moment: datetime, precision: str) -> datetime:
    local = moment.astimezone(LONDON).replace(tzinfo=None) if moment.tzinfo else moment
    if precision == "year":
        return local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if precision == "month":
        return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if precision == "day":
        return local.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment


def local(iso: str) -> datetime:
    return from_iso_utc(iso).astimezone(LONDON)


def format_local(iso: str | None, precision: str = "exact", approximate: bool = False) -> str:
    """How a person reads the time: in Europe/London, no finer than it is known."""
    if not iso or precision == "unknown":
        return "unknown"
    moment = local(iso)
    text = {
        "year": moment.strftime("%Y"),
        "month": moment.strftime("%b %Y"),
        "day": moment.strftime("%d %b %Y"),
    }.get(precision, moment.strftime("%d %b %Y %H:%M"))
    return f"~{text}" if approximate else text


def to_input_text(iso: str | None, precision: str = "exact", approximate: bool = False) -> str:
    """The text that parse_partial reads back to the same PartialTime (for amend forms)."""
    if not iso or precision == "unknown":
        return ""
    moment = local(iso)
    text = {
        "year": moment.strftime("%Y"),
        "month": moment.strftime("%Y-%m"),
        "day": moment.strftime("%Y-%m-%d"),
    }.get(precision)
    if text is None:
        text = moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")
        if _is_ambiguous(moment):  # the hour repeated when the clocks go back: say which one
            text += moment.strftime("%z")[:3] + ":" + moment.strftime("%z")[3:]
    return f"~{text}" if approximate else text


def _is_ambiguous(moment: datetime) -> bool:
    wall = moment.replace(tzinfo=None)
    return wall.replace(tzinfo=LONDON, fold=0).utcoffset() != wall.replace(tzinfo=LONDON, fold=1).utcoffset()


def is_after(later: str, earlier: str, slack: timedelta = timedelta(minutes=5)) -> bool:
    if later <= earlier and _is_stored(later) and _is_stored(earlier) and slack >= _NO_TIME:
        return False  # stored times sort as they read: not even later, let alone by the slack
    return from_iso_utc(later) > from_iso_utc(earlier) + slack


_NO_TIME = timedelta(0)


def london_day(iso_utc: str) -> date:
    """The day in London at a stored time (ISO UTC)."""
    moment = from_iso_utc(iso_utc)
    offset = _london_utc_day_offset(moment.date())
    return (moment + offset).date() if offset is not None else moment.astimezone(LONDON).date()

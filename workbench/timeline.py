"""The timeline: everything in a case on one time axis, for a case conference to review.

Events come from observations (at occurred_at; at observed_at when that is unknown, marked
approximate), trusted facts that have a date (valid_from), evidence captures (when received),
actions (when done; while still to do, when due or else when recorded) and the milestones users
add. Each event row says where it sits on the axis, how sure that time is, what it is, whom it is
about and how far it can be believed. Superseded and retracted versions are rows too, hidden
unless asked for.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import sqlite_utils

from workbench import actions, audit, crossref
from workbench.access import Actor, Right, authorize
from workbench.csvsafe import frame_to_csv, frame_to_csv_bytes
from workbench.schemas import Catalog, grade_text, load_catalog
from workbench.timeutil import LONDON, parse_partial

COLUMNS = [
    "event", "code", "source", "at", "when", "approximate", "what", "summary", "five_c", "kind", "indicator",
    "person", "account", "platform", "grade", "source_rank", "information_rank", "status", "immediate_risk",
    "version", "current", "retracted",
]  # fmt: skip
SOURCES = {
    "observation": "Observation", "fact": "Trusted fact", "evidence": "Evidence", "action": "Action",
    "milestone": "Milestone",
}  # fmt: skip
# Where events without a Five C sit when the lanes are the Five Cs.
OTHER_LANES = {"fact": "Trusted facts", "evidence": "Evidence", "action": "Actions", "milestone": "Milestones"}
_FORMATS = {"year": "%Y", "month": "%b %Y", "day": "%d %b %Y", "exact": "%d %b %Y %H:%M"}


@dataclass(frozen=True)
class TimelineFilter:
    date_from: date | None = None  # London days, inclusive
    date_to: date | None = None
    five_cs: tuple[str, ...] = ()  # labels, as the events show them
    kinds: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    max_source_rank: int | None = None  # 0 is the best grade of its scheme: keep this rank or better
    max_information_rank: int | None = None
    statuses: tuple[str, ...] = ()
    immediate_risk_only: bool = False
    include_history: bool = False  # superseded and retracted versions too
    sources: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Timeline:
    events: pd.DataFrame  # the filtered events, oldest first
    total: int  # events in the case (current ones; every version with include_history)
    outstanding: pd.DataFrame  # actions.COLUMNS: the case's actions still to do, overdue first


def timeline(
    db: sqlite_utils.Database, actor: Actor, reference: str, filters: TimelineFilter | None = None
) -> Timeline:
    access = authorize(db, actor, Right.VIEW, reference)
    total, chosen = _chosen(db, access.case_id, filters or TimelineFilter())
    audit.record(db, actor.username, "timeline.view", case_ref=access.reference, details={"events": len(chosen)})
    return Timeline(chosen, total, actions.outstanding(actions.actions_frame(db, access.case_id)))


def download_csv(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    filters: TimelineFilter,
    only: Collection[str] | None = None,
) -> bytes:
    """The filtered timeline as a CSV file (UTF-8 with a byte-order mark, for Excel); audited.
    `only` narrows it to the events picked on the chart (their `event` keys). Reviewers read on
    screen only."""
    access = authorize(db, actor, Right.DOWNLOAD, reference)
    _, chosen = _chosen(db, access.case_id, filters)
    if only is not None:
        chosen = chosen[chosen["event"].isin(set(only))].reset_index(drop=True)
    audit.record(
        db,
        actor.username,
        "timeline.download",
        case_ref=access.reference,
        details={"events": len(chosen), "picked_on_chart": only is not None},
    )
    return frame_to_csv_bytes(for_export(chosen))


def as_csv(events: pd.DataFrame) -> str:
    """The events as a spreadsheet reads them: times in ISO 8601 UTC, formula-safe cells."""
    return frame_to_csv(for_export(events))


def for_export(events: pd.DataFrame) -> pd.DataFrame:
    """The events as they leave the workbench: ISO 8601 UTC times, no internal sort keys."""
    return events.drop(columns=["source_rank", "information_rank"]).assign(
        at=events["at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def _chosen(db, case_id: int, filters: TimelineFilter) -> tuple[int, pd.DataFrame]:
    """How many events the case shows (current ones, or every version), and those the filters keep."""
    shown = visible(events_frame(db, case_id), filters.include_history)
    return len(shown), apply(shown, filters)


def visible(events: pd.DataFrame, include_history: bool) -> pd.DataFrame:
    """The current versions, or (with history) every version: superseded and retracted too."""
    return events if include_history else events[events["current"] & ~events["retracted"]]


def apply(events: pd.DataFrame, filters: TimelineFilter) -> pd.DataFrame:
    keep = pd.Series(True, index=events.index)
    local_day = events["at"].dt.tz_convert(LONDON).dt.date
    if filters.date_from:
        keep &= local_day >= filters.date_from
    if filters.date_to:
        keep &= local_day <= filters.date_to
    for column, wanted in (
        ("five_c", filters.five_cs),
        ("kind", filters.kinds),
        ("person", filters.people),
        ("account", filters.accounts),
        ("platform", filters.platforms),
        ("status", filters.statuses),
        ("source", filters.sources),
    ):
        if wanted:
            keep &= events[column].isin(wanted)
    # A minimum grade speaks only to graded events (observations); the others stay.
    if filters.max_source_rank is not None:
        keep &= events["source_rank"].isna() | (events["source_rank"] <= filters.max_source_rank)
    if filters.max_information_rank is not None:
        keep &= events["information_rank"].isna() | (events["information_rank"] <= filters.max_information_rank)
    if filters.immediate_risk_only:
        keep &= events["immediate_risk"]
    return events[keep].reset_index(drop=True)


def events_frame(db: sqlite_utils.Database, case_id: int) -> pd.DataFrame:
    """Every event of the case, every version, oldest first. For modules that have authorized."""
    catalog = load_catalog()
    parts = [
        _observations(db, case_id, catalog),
        _facts(db, case_id, catalog),
        _evidence(db, case_id),
        _actions(db, case_id),
        _milestones(db, case_id, catalog),
    ]
    frame = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(not p.empty for p in parts) else None
    if frame is None:
        return _empty()
    frame["at"] = pd.to_datetime(frame["at"], utc=True, format="ISO8601")  # the fast path for stored times
    frame["when"] = _when(frame["at"], frame.pop("precision"), frame["approximate"])
    frame = frame.sort_values(["at", "event"], kind="stable").reset_index(drop=True)
    return frame[COLUMNS]


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    frame["at"] = pd.Series(dtype="datetime64[ns, UTC]")
    for column in ("approximate", "immediate_risk", "current", "retracted"):
        frame[column] = pd.Series(dtype=bool)
    return frame


def _when(at: pd.Series, precision: pd.Series, approximate: pd.Series) -> pd.Series:
    """How a person reads each time, no finer than it is known, in London time (vectorised:
    a case of 50,000 events must not format them one by one)."""
    local = at.dt.tz_convert(LONDON).dt.tz_localize(None)  # naive: strftime is vectorised then
    text = pd.Series("", index=at.index, dtype=object)
    for name, pattern in _FORMATS.items():
        chosen = precision == name
        if chosen.any():
            text[chosen] = local[chosen].dt.strftime(pattern)
    return text.where(~approximate.astype(bool), "~" + text)


_OBSERVATION_COLUMNS = [
    "code", "version", "kind", "five_c", "indicator", "summary", "occurred_at", "occurred_precision",
    "occurred_approximate", "observed_at", "grading_scheme", "source_grade", "information_grade", "handling_code",
    "immediate_risk", "retracted", "account", "platform", "person", "latest",
]  # fmt: skip


# Every version of the case's observations (bench/timeline_build.py reads the same rows as its floor).
OBSERVATION_EVENTS_SQL = """SELECT o.code, v.version, v.kind, v.five_c, v.indicator, v.summary, v.occurred_at,
                  v.occurred_precision, v.occurred_approximate, v.observed_at, v.grading_scheme,
                  v.source_grade, v.information_grade, v.handling_code, v.immediate_risk, v.retracted,
                  a.handle AS account, a.platform, p.pseudonym AS person, m.latest
           FROM observations o
           JOIN observation_versions v ON v.observation_id = o.id
           JOIN (SELECT observation_id, MAX(version) AS latest FROM observation_versions
                 WHERE observation_id IN (SELECT id FROM observations WHERE case_id = ?)
                 GROUP BY observation_id) m ON m.observation_id = o.id
           LEFT JOIN accounts a ON a.id = v.account_id
           LEFT JOIN people p ON p.id = v.person_id
           WHERE o.case_id = ?"""


def _observations(db, case_id: int, catalog: Catalog) -> pd.DataFrame:
    rows = _read(db, OBSERVATION_EVENTS_SQL, (case_id, case_id), _OBSERVATION_COLUMNS)
    if rows.empty:
        return rows
    unknown = rows["occurred_at"].isna() | (rows["occurred_precision"] == "unknown")
    titles = {name: kind.title for name, kind in catalog.kinds.items()}
    indicators = {(name, i.value): i.label for name, kind in catalog.kinds.items() for i in kind.indicators}
    ranks = _grade_ranks(catalog)
    status = crossref.status_by_observation(db, case_id)
    # Plain lists, not Series, in the per-row steps: a case may hold 50,000 events.
    kind, scheme = rows["kind"].tolist(), rows["grading_scheme"].tolist()
    source, information = rows["source_grade"].tolist(), rows["information_grade"].tolist()
    retracted = rows["retracted"].astype(bool)
    return pd.DataFrame(
        {
            "event": rows["code"] + " v" + rows["version"].astype(str),
            "code": rows["code"],
            "source": "observation",
            "at": rows["occurred_at"].where(~unknown, rows["observed_at"]),
            "precision": rows["occurred_precision"].where(~unknown, "exact"),
            "approximate": unknown | rows["occurred_approximate"].astype(bool),
            "what": [titles.get(k, k) for k in kind],
            "summary": rows["summary"],
            "five_c": rows["five_c"].map(dict(catalog.pairs("five_cs"))),
            "kind": [titles.get(k, k) for k in kind],
            "indicator": [indicators.get(pair, pair[1]) for pair in zip(kind, rows["indicator"].tolist(), strict=True)],
            "person": rows["person"].fillna(""),
            "account": rows["account"].fillna(""),
            "platform": rows["platform"].fillna(""),
            "grade": [
                grade_text(*values)
                for values in zip(scheme, source, information, rows["handling_code"].tolist(), strict=True)
            ],
            "source_rank": [ranks["source"].get(pair) for pair in zip(scheme, source, strict=True)],
            "information_rank": [ranks["information"].get(pair) for pair in zip(scheme, information, strict=True)],
            "status": [
                "" if gone else status.get(code, "uncorroborated")
                for code, gone in zip(rows["code"].tolist(), retracted.tolist(), strict=True)
            ],
            "immediate_risk": rows["immediate_risk"].astype(bool),
            "version": rows["version"],
            "current": rows["version"] == rows["latest"],
            "retracted": retracted,
        }
    )


def _read(db, sql: str, params: tuple, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(db.execute(sql, params).fetchall(), columns=columns)


def _grade_ranks(catalog: Catalog) -> dict[str, dict[tuple[str, str], int]]:
    """(scheme, grade) -> its place in the scheme's list, 0 the most reliable."""
    return {
        "source": {(name, c.value): i for name, s in catalog.gradings.items() for i, c in enumerate(s.source)},
        "information": {
            (name, c.value): i for name, s in catalog.gradings.items() for i, c in enumerate(s.information)
        },
    }


def _facts(db, case_id: int, catalog: Catalog) -> pd.DataFrame:
    rows = pd.DataFrame(
        list(
            db.query(
                """SELECT f.code, v.version, v.attribute, v.value, v.source_agency, v.valid_from, v.valid_to,
                          v.retracted, p.pseudonym AS person,
                          (SELECT MAX(version) FROM fact_versions WHERE fact_id = f.id) AS latest
                   FROM facts f JOIN fact_versions v ON v.fact_id = f.id
                   JOIN people p ON p.id = f.person_id
                   WHERE f.case_id = ? AND v.valid_from IS NOT NULL""",
                (case_id,),
            )
        )
    )
    if rows.empty:
        return rows
    attribute = rows["attribute"].map(lambda v: catalog.label("fact_attributes", v))
    until = rows["valid_to"].map(lambda d: f" (until {d})" if isinstance(d, str) and d else "")
    return _other(
        rows,
        "fact",
        at=rows["valid_from"].map(lambda day: parse_partial(day).at),  # the start of that London day
        precision="day",
        what=attribute,
        summary=attribute
        + ": "
        + rows["value"]
        + until
        + " · "
        + rows["source_agency"].map(lambda v: catalog.label("source_agencies", v)),
        person=rows["person"],
    )


def _evidence(db, case_id: int) -> pd.DataFrame:
    rows = pd.DataFrame(
        list(
            db.query(
                """SELECT e.code, e.received_at, e.file_name, e.shows, e.platform, o.code AS observation,
                          EXISTS (SELECT 1 FROM evidence_purges x WHERE x.evidence_id = e.id) AS purged
                   FROM evidence e LEFT JOIN observations o ON o.id = e.observation_id
                   WHERE e.case_id = ?""",
                (case_id,),
            )
        )
    )
    if rows.empty:
        return rows
    about = rows["observation"].map(lambda c: f" · for {c}" if c else "")
    return _other(
        rows.assign(version=1, latest=1, retracted=0),
        "evidence",
        at=rows["received_at"],
        precision="exact",
        what=pd.Series("Evidence captured", index=rows.index),
        summary=rows["shows"].where(rows["shows"] != "", rows["file_name"])
        + about
        + rows["purged"].map(lambda p: " (purged)" if p else ""),
        platform=rows["platform"],
    )


def _actions(db, case_id: int) -> pd.DataFrame:
    """Every version of every action: a done one when it was done; one still to do when it is due
    (or, with no due date, when it was recorded); one that does not apply when that was decided."""
    rows = actions.all_versions(db, case_id)
    if rows.empty:
        return rows
    done, due = rows["status"] == "done", (rows["status"] == "to_do") & (rows["due_date"] != "")
    to_do = (rows["status"] == "to_do") & ~due
    at = rows["recorded_at"].where(~to_do, rows["created_at"])
    at = at.where(~due, rows["due_date"].map(lambda day: parse_partial(day).at if day else None))
    at = at.where(~done, rows["done_at"])
    precision = rows["done_precision"].where(done, "exact").where(~due, "day")
    current = rows["version"] == rows["latest"]
    # Overdue is today's news: an old version shows what it said then.
    summary = [
        actions.summary_line(row | {"overdue": row["overdue"] and now})
        for row, now in zip(rows.to_dict("records"), current.tolist(), strict=True)
    ]
    return _other(
        rows,
        "action",
        at=at,
        precision=precision,
        what=rows["action"],
        summary=pd.Series(summary, index=rows.index),
    )


def _milestones(db, case_id: int, catalog: Catalog) -> pd.DataFrame:
    rows = pd.DataFrame(
        list(
            db.query(
                """SELECT m.code, v.version, v.kind, v.occurred_at, v.occurred_precision, v.occurred_approximate,
                          v.note, v.retracted,
                          (SELECT MAX(version) FROM milestone_versions WHERE milestone_id = m.id) AS latest
                   FROM milestones m JOIN milestone_versions v ON v.milestone_id = m.id
                   WHERE m.case_id = ?""",
                (case_id,),
            )
        )
    )
    if rows.empty:
        return rows
    label = rows["kind"].map(lambda v: catalog.label("milestone_kinds", v))
    return _other(
        rows,
        "milestone",
        at=rows["occurred_at"],
        precision=rows["occurred_precision"],
        approximate=rows["occurred_approximate"].astype(bool),
        what=label,
        summary=label + rows["note"].map(lambda n: f": {n}" if n else ""),
    )


def _other(rows: pd.DataFrame, source: str, *, at, precision, what, summary, approximate=False, person="", platform=""):
    """Events that are not observations: ungraded, no Five C (they sit in their own lane)."""
    return pd.DataFrame(
        {
            "event": rows["code"] + (" v" + rows["version"].astype(str) if source != "evidence" else ""),
            "code": rows["code"],
            "source": source,
            "at": at,
            "precision": precision,
            "approximate": approximate,
            "what": what,
            "summary": summary,
            "five_c": OTHER_LANES[source],
            "kind": SOURCES[source],
            "indicator": "",
            "person": person,
            "account": "",
            "platform": platform,
            "grade": "",
            "source_rank": None,
            "information_rank": None,
            "status": "",
            "immediate_risk": False,
            "version": rows["version"],
            "current": rows["version"] == rows["latest"],
            "retracted": rows["retracted"].astype(bool),
        },
        index=rows.index,
    )


def weekly_counts(events: pd.DataFrame, by: str = "topic") -> pd.DataFrame:
    """Observations per week (weeks start on Monday, London time) and per `by`: "topic" (the
    indicator), "five_c" or "kind". A surge shows as a tall week."""
    observed = events[events["source"] == "observation"]
    column = {"topic": "indicator", "five_c": "five_c", "kind": "kind"}[by]
    if observed.empty:
        return pd.DataFrame(columns=["week", by, "observations"])
    week = observed["at"].dt.tz_convert(LONDON).dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    counts = observed.groupby([week.rename("week"), observed[column].rename(by)]).size().rename("observations")
    return counts.reset_index().sort_values(["week", by]).reset_index(drop=True)

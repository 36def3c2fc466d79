"""The tables an evidence bundle holds, each with its Table Schema: what every column is called,
its type and what it means. Built from the case as it stands, in a fixed order, so the same case
state gives the same rows; redacted as the export asks.

Which observations are in is decided once (`Scope`): the date range and the handling codes leave
some out, and with them their versions, cross-references, evidence and timeline events.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import sqlite_utils

from workbench import actions, authorisations, crossref, evidence, facts, immediate_risk, people, timeline
from workbench.schemas import grade_text
from workbench.timeutil import LONDON


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Table Schema: string, integer, number, boolean, date, datetime
    description: str


@dataclass(frozen=True)
class Table:
    name: str  # the file is <name>.csv
    description: str
    columns: tuple[Column, ...]
    frame: pd.DataFrame  # exactly the columns, in order

    def schema(self) -> dict:
        return {
            "fields": [{"name": c.name, "type": c.type, "description": c.description} for c in self.columns],
            "missingValues": [""],
        }


@dataclass(frozen=True)
class Redactions:
    names: bool = False
    handles: bool = False
    urls: bool = False
    gps: bool = False

    @property
    def listed(self) -> list[str]:
        return [name for name in ("names", "handles", "urls", "gps") if getattr(self, name)]


@dataclass(frozen=True)
class Scope:
    """What the export covers: the case, its dates, whether conditional records may go, redactions."""

    case_id: int
    date_from: date | None = None
    date_to: date | None = None
    include_conditional: bool = False  # handling code C: only when the exporter confirmed the conditions are met
    redact: Redactions = field(default_factory=Redactions)
    hide: Callable[[str], str] = lambda text: text  # names, handles, web addresses in free text
    address: Callable[[str], str] = lambda url: url  # a column holding one web address


def _c(name: str, type_: str, description: str) -> Column:
    return Column(name, type_, description)


_OBSERVATION_COLUMNS = (
    _c("code", "string", "The observation's code in the case (OBS-0007)."),
    _c("version", "integer", "Its version: 1 as first recorded, higher after each amendment."),
    _c("kind", "string", "What kind of observation (profile_indicator, contact_event, ...)."),
    _c("five_c", "string", "The Five C it falls under: content, conduct, contact, commercialisation, communities."),
    _c("indicator", "string", "What it indicates, one of the kind's indicators."),
    _c("summary", "string", "What was seen, in the recorder's words."),
    _c("details", "string", "The kind's own fields, as a JSON object."),
    _c("url", "string", "Where it was seen."),
    _c("account", "string", "The account's code in the case (AC-0002)."),
    _c("account_handle", "string", "The account's handle on its platform."),
    _c("platform", "string", "The platform of the account."),
    _c("person", "string", "Whom it is about: the person's code (P-0001)."),
    _c("pseudonym", "string", "That person's pseudonym in the case (Child A, Person B)."),
    _c("visibility", "string", "public, friends_only or supplied."),
    _c("occurred_at", "datetime", "When it happened, UTC: the first instant of the period known."),
    _c("occurred_precision", "string", "How precisely that is known: exact, day, month, year or unknown."),
    _c("occurred_approximate", "boolean", "Whether that time is approximate."),
    _c("observed_at", "datetime", "When the recorder saw it, UTC."),
    _c("source_type", "string", "Where it came from (analyst_viewed, supplied_school, ...)."),
    _c("grading_scheme", "string", "The grading scheme of its grades: 3x5x2 or admiralty."),
    _c("source_grade", "string", "How reliable the source is, in that scheme."),
    _c("information_grade", "string", "How far the information is believed, in that scheme."),
    _c("handling_code", "string", "P: sharing permitted; C: sharing only with conditions."),
    _c("grade", "string", "The three grades as written: source / information / handling."),
    _c("immediate_risk", "boolean", "Marked immediate risk of significant harm."),
)
_VERACITY = _c(
    "veracity", "string", "What trusted sources say of it: corroborated, contradicted, conflicting or uncorroborated."
)
_POLICE = (
    _c("risk_marked_at", "datetime", "An item at immediate risk: when it was marked (seen, or amended to it), UTC."),
    _c("police_informed_at", "datetime", "When the police were told of it, UTC (a police-informed action)."),
    _c("police_informed_by", "string", "Who told them."),
    _c("police_reference", "string", "The incident or log number the police gave."),
    _c("police_action", "string", "The action that records it (ACT-0009)."),
    _c("minutes_to_police", "integer", "Minutes from marking to telling the police; empty when only the day is known."),
)
_AUTHORISATION_REASONS = (
    _c("unauthorised_reason", "string", "Why it was recorded when no research authorisation covered it."),
    _c(
        "repeat_viewing_reference",
        "string",
        "The authorisation reference given when it took its account past the repeated-viewing limit.",
    ),
)
_UNAUTHORISED = _c(
    "recorded_without_authorisation",
    "boolean",
    "No research authorisation covered its account or platform on the day it was seen (see authorisations.csv).",
)
_RECORDED = (
    _c("recorded_by", "string", "Who recorded this version (username)."),
    _c("recorded_at", "datetime", "When this version was recorded, UTC."),
)
# No "retracted": an observation withdrawn as recorded in error is not exported, nor its versions.
_CHANGE_REASON = _c("change_reason", "string", "Why this version was made (empty for version 1).")


def current_observations(db: sqlite_utils.Database, case_id: int) -> pd.DataFrame:
    """The current version of every observation of the case, read once for an export."""
    return _observation_rows(db, case_id, every_version=False)


def observation_codes(current: pd.DataFrame, scope: Scope) -> list[str]:
    """The observations the export covers: current, not retracted, in the date range (by when they
    happened, else when seen, London days), and graded P unless conditional sharing is confirmed."""
    frame = current[~current["retracted"]]
    if not scope.include_conditional:
        frame = frame[frame["handling_code"] != "C"]
    when = pd.to_datetime(frame["occurred_at"].where(frame["occurred_at"].notna(), frame["observed_at"]), utc=True)
    day = when.dt.tz_convert(LONDON).dt.date
    keep = pd.Series(True, index=frame.index)
    if scope.date_from:
        keep &= day >= scope.date_from
    if scope.date_to:
        keep &= day <= scope.date_to
    return frame.loc[keep, "code"].tolist()


def observations_table(db: sqlite_utils.Database, scope: Scope, codes: list[str], current: pd.DataFrame) -> Table:
    rows = current[current["code"].isin(codes)]
    status = crossref.status_by_observation(db, scope.case_id)
    rows = rows.assign(veracity=rows["code"].map(lambda c: status.get(c, "uncorroborated")))
    risks = immediate_risk.risks(db, scope.case_id).set_index("code")
    police = {
        "risk_marked_at": "marked_at", "police_informed_at": "informed_at", "police_informed_by": "informed_by",
        "police_reference": "police_reference", "police_action": "action", "minutes_to_police": "delay_minutes",
    }  # fmt: skip
    rows = rows.assign(
        **{column: rows["code"].map(risks[source]).astype(object) for column, source in police.items()}
    ).astype({"minutes_to_police": "Int64"})
    rows = rows.assign(recorded_without_authorisation=authorisations.unauthorised(db, scope.case_id, rows))
    columns = (*_OBSERVATION_COLUMNS, _VERACITY, *_POLICE, _UNAUTHORISED, *_AUTHORISATION_REASONS, *_RECORDED)
    return Table(
        "observations",
        "The current version of each observation the export covers.",
        columns,
        _redact_observations(rows, scope)[[c.name for c in columns]],
    )


def observation_versions_table(db: sqlite_utils.Database, scope: Scope, codes: list[str]) -> Table:
    rows = _observation_rows(db, scope.case_id, every_version=True)
    rows = rows[rows["code"].isin(codes)]
    columns = (*_OBSERVATION_COLUMNS, _CHANGE_REASON, *_AUTHORISATION_REASONS, *_RECORDED)
    return Table(
        "observation_versions",
        "Every version of each observation the export covers: as first recorded and each amendment.",
        columns,
        _redact_observations(rows, scope)[[c.name for c in columns]],
    )


def _observation_rows(db, case_id: int, *, every_version: bool) -> pd.DataFrame:
    latest = "AND v.version = (SELECT MAX(version) FROM observation_versions WHERE observation_id = o.id)"
    latest = "" if every_version else latest
    rows = db.query(
        f"""SELECT o.code, v.version, v.kind, v.five_c, v.indicator, v.summary, v.details, v.url,
                   a.code AS account, a.handle AS account_handle, a.platform, p.code AS person,
                   p.pseudonym, v.visibility, v.occurred_at, v.occurred_precision, v.occurred_approximate,
                   v.observed_at, v.source_type, v.grading_scheme, v.source_grade, v.information_grade,
                   v.handling_code, v.immediate_risk, v.retracted, v.change_reason, v.unauthorised_reason,
                   v.repeat_viewing_reference, u.username AS recorded_by, v.recorded_at
            FROM observations o
            JOIN observation_versions v ON v.observation_id = o.id {latest}
            LEFT JOIN accounts a ON a.id = v.account_id
            LEFT JOIN people p ON p.id = v.person_id
            JOIN users u ON u.id = v.recorded_by
            WHERE o.case_id = ? ORDER BY o.code, v.version""",  # noqa: S608
        (case_id,),
    )
    frame = pd.DataFrame(list(rows))
    if frame.empty:
        frame = pd.DataFrame(columns=[*(c.name for c in _OBSERVATION_COLUMNS), "retracted", "change_reason",
                                      "unauthorised_reason", "repeat_viewing_reference", "recorded_by",
                                      "recorded_at"])  # fmt: skip
    for flag in ("occurred_approximate", "immediate_risk", "retracted"):
        frame[flag] = frame[flag].astype(bool)
    frame["grade"] = [
        grade_text(*values)
        for values in zip(
            frame["grading_scheme"], frame["source_grade"], frame["information_grade"], frame["handling_code"],
            strict=True,
        )
    ]  # fmt: skip
    return frame.fillna({"account": "", "account_handle": "", "platform": "", "person": "", "pseudonym": ""})


def _redact_observations(rows: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    hide = scope.hide
    redacted = rows.assign(
        summary=rows["summary"].map(hide),
        details=rows["details"].map(lambda text: _json_text(text, hide)),
        change_reason=rows["change_reason"].map(hide),
        unauthorised_reason=rows["unauthorised_reason"].map(hide),
    )
    redacted["url"] = redacted["url"].map(scope.address)
    if scope.redact.handles:
        redacted["account_handle"] = ""
    return redacted


def facts_table(db: sqlite_utils.Database, scope: Scope) -> Table:
    rows = facts.facts_frame(db, scope.case_id)
    named = rows["attribute"].isin(["full_name", "known_alias"])
    if scope.redact.names:
        rows = rows.assign(value=rows["value"].where(~named, rows["pseudonym"]))
    rows = rows.assign(
        value=rows["value"].map(scope.hide),
        source_reference=rows["source_reference"].map(scope.hide),
        valid_from=rows["valid_from"].fillna(""),
        valid_to=rows["valid_to"].fillna(""),
        special_category=rows["special_category"].astype(bool),
    ).sort_values("code")
    columns = (
        _c("code", "string", "The fact's code in the case (F-0002)."),
        _c("person", "string", "Whom it is about: the person's code."),
        _c("pseudonym", "string", "That person's pseudonym in the case."),
        _c("attribute", "string", "What it says: date_of_birth, school, known_account, a vulnerability, ..."),
        _c("value", "string", "What the trusted source knows."),
        _c("source_agency", "string", "Which trusted source: school, police, health, social_care, family, record."),
        _c("source_reference", "string", "The source's own reference for it."),
        _c("valid_from", "date", "From when it held, if known."),
        _c("valid_to", "date", "Until when it held, if it has ended."),
        _c(
            "special_category",
            "boolean",
            "Special-category data (health, disability): share only as the purpose needs.",
        ),
        _c("version", "integer", "Its version: higher after each amendment."),
        *_RECORDED,
    )
    return Table("facts", "What trusted sources know, current versions.", columns, rows[[c.name for c in columns]])


def crossrefs_table(db: sqlite_utils.Database, scope: Scope, codes: list[str]) -> Table:
    rows = crossref.crossref_frame(db, scope.case_id)
    rows = rows[rows["observation"].isin(codes)]
    rows = rows.assign(
        detail=rows["detail"].map(scope.hide),
        claim_value=rows["claim_value"].map(scope.hide),
        fact_value=rows["fact_value"].map(scope.hide),
        special_category=rows["special_category"].astype(bool),
        score=rows["score"].astype(object).where(rows["score"].notna(), ""),
        threshold=rows["threshold"].astype(object).where(rows["threshold"].notna(), ""),
    ).sort_values(["observation", "fact", "relation", "code", "by"], kind="stable")
    columns = (
        _c("observation", "string", "The observation's code."),
        _c("fact", "string", "The fact's code, or the account's when the case's accounts say whose it is."),
        _c("person", "string", "Whom the fact is about (pseudonym)."),
        _c("relation", "string", "corroborates, contradicts, context, relates_to or heightens_concern."),
        _c("labels", "string", "What it shows: false age stated, person of concern, concern topics."),
        _c("by", "string", "The rule that found it, or the analyst who linked it."),
        _c("detail", "string", "The finding in words."),
        _c("score", "number", "A fuzzy match's score, 0-100."),
        _c("threshold", "number", "The score a match needs."),
        _c("code", "string", "An analyst's link's code (XR-0001); empty for a rule's finding."),
        _c("claim_field", "string", "The observation's field that makes the claim."),
        _c("claim_value", "string", "What the observation claims."),
        _c("fact_attribute", "string", "The fact's attribute."),
        _c("fact_value", "string", "What the fact says."),
        _c("special_category", "boolean", "The fact is special-category data."),
        _c("withdrawn", "boolean", "An analyst's link withdrawn since."),
        _c("recorded_at", "datetime", "When it was found or linked, UTC."),
    )
    rows = rows.assign(withdrawn=rows["withdrawn"].astype(bool))
    return Table(
        "crossrefs",
        "Each observation held against what trusted sources know: the rules' findings and analysts' links.",
        columns,
        rows[[c.name for c in columns]],
    )


def people_table(db: sqlite_utils.Database, scope: Scope) -> Table:
    rows = people.people_frame(db, scope.case_id)
    if scope.redact.names:
        rows = rows.assign(name="")
    rows = rows.assign(notes=rows["notes"].map(scope.hide))
    columns = (
        _c("code", "string", "The person's code in the case (P-0001 is the child)."),
        _c("name", "string", "Their name, if known and not redacted."),
        _c("pseudonym", "string", "Their pseudonym: Child A, Person B, ..."),
        _c("role", "string", "subject, person_of_concern, associate, family or other."),
        _c("notes", "string", "Notes."),
    )
    return Table("people", "The people in the case.", columns, rows[[c.name for c in columns]])


def accounts_table(db: sqlite_utils.Database, scope: Scope) -> Table:
    rows = people.accounts_frame(db, scope.case_id)
    rows = rows.assign(notes=rows["notes"].map(scope.hide), person=rows["person"].fillna(""))
    if scope.redact.handles:
        rows = rows.assign(handle="")
    rows = rows.assign(url=rows["url"].map(scope.address))
    columns = (
        _c("code", "string", "The account's code in the case (AC-0002)."),
        _c("platform", "string", "The platform."),
        _c("handle", "string", "Its handle on the platform."),
        _c("url", "string", "Its address."),
        _c("person", "string", "Whose it is: the person's code, if known."),
        _c("notes", "string", "Notes."),
    )
    return Table("accounts", "The platform accounts in the case.", columns, rows[[c.name for c in columns]])


EVIDENCE_COLUMNS = (
    _c("code", "string", "The item's code in the case (EV-0003)."),
    _c("sha256", "string", "The SHA-256 of the file as received: its name in evidence/."),
    _c("file", "string", "Its path in this bundle, or empty when it is not included."),
    _c("not_included", "string", "Why the file is not in this bundle (purged, GPS redacted, files left out)."),
    _c("file_name", "string", "The file's name as received."),
    _c("media_type", "string", "Its type (image/png, application/pdf, ...)."),
    _c("size", "integer", "Its size in bytes."),
    _c("width", "integer", "An image's width in pixels."),
    _c("height", "integer", "An image's height in pixels."),
    _c("observation", "string", "The observation it belongs to."),
    _c("duplicate_of", "string", "The earlier item with the same bytes, if any."),
    _c("source_url", "string", "Where it was captured."),
    _c("platform", "string", "The platform."),
    _c("shows", "string", "What it shows, in the analyst's words."),
    _c("relevance", "string", "Why it is relevant."),
    _c("method", "string", "How it was captured (screenshot_work_device, supplied_police, ...)."),
    _c("viewing_account", "string", "The overt organisational account it was viewed with."),
    _c("captured_at", "string", "When it was captured, as the analyst stated it."),
    _c("received_at", "datetime", "When the workbench received it, UTC."),
    _c("received_by", "string", "Who added it (username)."),
    _c("camera_make", "string", "EXIF: the camera's maker."),
    _c("camera_model", "string", "EXIF: the camera's model."),
    _c("software", "string", "EXIF: the software that wrote it."),
    _c("taken_at", "string", "EXIF: when the picture was taken, as the file says."),
    _c("gps_latitude", "number", "EXIF: where it was taken (unless redacted)."),
    _c("gps_longitude", "number", "EXIF: where it was taken (unless redacted)."),
    _c("exif", "string", "Every EXIF tag as text, a JSON object (GPS tags dropped when redacted)."),
    _c("warnings", "string", "What intake noticed, a JSON list."),
    _c("purged", "boolean", "The bytes were purged; the record stays."),
    _c("purged_at", "datetime", "When, UTC."),
    _c("purge_reason", "string", "Why."),
)


@dataclass(frozen=True)
class EvidenceFile:
    code: str
    sha256: str
    size: int
    path: str  # in the bundle: evidence/<sha256>.<ext>


def evidence_table(
    db: sqlite_utils.Database, scope: Scope, codes: list[str], *, include_files: bool
) -> tuple[Table, list[EvidenceFile]]:
    """The capture records in scope, and the files to put in the bundle (each once, by its hash)."""
    items = [
        item
        for item in evidence.case_items(db, scope.case_id)
        if (item.observation in codes) or (item.observation is None and _in_range(item.received_at, scope))
    ]
    rows, files, placed = [], [], set()
    for item in sorted(items, key=lambda i: i.code):
        path = f"evidence/{item.sha256}.{item.extension}"
        why_not = ""
        if item.purged:
            why_not = "purged"
        elif not include_files:
            why_not = "files left out of this export"
        elif scope.redact.gps and item.has_gps:
            why_not = "holds a GPS location, and GPS is redacted"
        if not why_not and item.sha256 not in placed:
            placed.add(item.sha256)
            files.append(EvidenceFile(item.code, item.sha256, item.size, path))
        metadata = item.metadata
        raw = metadata.get("raw") or {}
        if scope.redact.gps:  # the GPS tags, and the pointer to them
            raw = {tag: value for tag, value in raw.items() if "GPS" not in tag.upper()}
        raw = _walk(raw, scope.hide)
        rows.append(
            {
                "code": item.code,
                "sha256": item.sha256,
                "file": "" if why_not else path,
                "not_included": why_not,
                "file_name": scope.hide(item.file_name),
                "media_type": item.media_type,
                "size": item.size,
                "width": item.width,
                "height": item.height,
                "observation": item.observation or "",
                "duplicate_of": item.duplicate_of or "",
                "source_url": scope.address(item.source_url),
                "platform": item.platform,
                "shows": scope.hide(item.shows),
                "relevance": scope.hide(item.relevance),
                "method": item.method,
                "viewing_account": item.viewing_account,
                "captured_at": item.captured_at or "",
                "received_at": item.received_at,
                "received_by": item.received_by,
                "camera_make": metadata.get("camera_make") or "",
                "camera_model": metadata.get("camera_model") or "",
                "software": metadata.get("software") or "",
                "taken_at": metadata.get("taken_at") or "",
                "gps_latitude": "" if scope.redact.gps else _number(metadata.get("gps_latitude")),
                "gps_longitude": "" if scope.redact.gps else _number(metadata.get("gps_longitude")),
                "exif": json.dumps(raw, sort_keys=True, ensure_ascii=False),
                "warnings": json.dumps(item.warnings, ensure_ascii=False),
                "purged": item.purged,
                "purged_at": item.purged_at or "",
                "purge_reason": scope.hide(item.purge_reason or ""),
            }
        )
    frame = pd.DataFrame(rows, columns=[c.name for c in EVIDENCE_COLUMNS])
    frame = frame.astype({"width": "Int64", "height": "Int64"}) if not frame.empty else frame
    table = Table("evidence", "The capture record of each evidence item, with its SHA-256 and metadata.",
                  EVIDENCE_COLUMNS, frame)  # fmt: skip
    return table, files


def actions_table(db: sqlite_utils.Database, scope: Scope) -> Table:
    rows = actions.for_export(actions.actions_frame(db, scope.case_id, include_retracted=True))
    rows = rows.assign(note=rows["note"].map(scope.hide), status_reason=rows["status_reason"].map(scope.hide))
    columns = (
        _c("code", "string", "The action's code (ACT-0001)."),
        _c("version", "integer", "Its current version."),
        _c("kind", "string", "reported_to_platform, police_informed, dsl_informed, report_remove_used, ..."),
        _c("observation", "string", "The observation it answers, if any."),
        _c("note", "string", "What, to whom."),
        _c("due_date", "date", "When it is due."),
        _c("status", "string", "to_do, done or not_applicable."),
        _c("status_reason", "string", "Why it does not apply."),
        _c("done_at", "datetime", "When it was done, UTC."),
        _c("done_precision", "string", "exact, or day when only the day is known."),
        _c("done_by", "string", "Who did it."),
        _c("reference", "string", "The reference the police or the platform gave."),
        _c("overdue", "boolean", "Still to do, and due before the day of export."),
        _c("retracted", "boolean", "Withdrawn as recorded in error."),
        *_RECORDED,
    )
    return Table(
        "actions", "What was done about what was seen, current versions.", columns, rows[[c.name for c in columns]]
    )


def authorisations_table(db: sqlite_utils.Database, scope: Scope) -> Table:
    rows = authorisations.authorisations_frame(db, scope.case_id, include_retracted=True)
    rows = rows.assign(purpose=rows["purpose"].map(scope.hide), change_reason=rows["change_reason"].map(scope.hide))
    columns = (
        _c("code", "string", "The authorisation's code (AUTH-0001)."),
        _c("version", "integer", "Its current version (each review adds one)."),
        _c("purpose", "string", "Why the footprint is looked at."),
        _c("lawful_basis", "string", "The law it rests on."),
        _c("authorised_by", "string", "Who gave it."),
        _c("authorised_on", "date", "The day it was given."),
        _c("review_date", "date", "When it must next be reviewed."),
        _c("ends_on", "date", "The last day it covers, if it ends."),
        _c("scope", "string", "What it covers: platforms and account codes, or the whole case."),
        _c("reference", "string", "The authorising body's own reference."),
        _c("in_force", "boolean", "In force on the day of export."),
        _c("review_overdue", "boolean", "In force, and its review date had passed on the day of export."),
        _c("retracted", "boolean", "Withdrawn as recorded in error."),
        _c("change_reason", "string", "What the last review decided."),
        *_RECORDED,
    )
    rows = rows.assign(ends_on=rows["ends_on"].replace("", None))
    return Table(
        "authorisations",
        "The research authorisations of the case: the basis for looking at the footprint, current versions.",
        columns,
        rows[[c.name for c in columns]],
    )


def timeline_table(db: sqlite_utils.Database, scope: Scope, codes: list[str], evidence_codes: set[str]) -> Table:
    events = timeline.visible(timeline.events_frame(db, scope.case_id), include_history=False)
    keep = (
        ((events["source"] == "observation") & events["code"].isin(codes))
        | ((events["source"] == "evidence") & events["code"].isin(evidence_codes))
        | events["source"].isin(["fact", "action", "milestone"])
    )
    events = timeline.for_export(events[keep]).drop(columns=["current", "retracted", "version"])
    if scope.redact.handles:
        events = events.assign(account="")
    events = events.assign(summary=events["summary"].map(scope.hide))
    columns = (
        _c("event", "string", "The event's key: the record's code and version."),
        _c("code", "string", "The record's code."),
        _c("source", "string", "observation, fact, evidence, action or milestone."),
        _c("at", "datetime", "Where it sits on the time axis, UTC."),
        _c("when", "string", "The same as people read it, London time, no finer than known; ~ is approximate."),
        _c("approximate", "boolean", "The time is approximate."),
        _c("what", "string", "What it is."),
        _c("summary", "string", "It in words."),
        _c("five_c", "string", "Its Five C, or its lane (Trusted facts, Evidence, Actions, Milestones)."),
        _c("kind", "string", "Its kind."),
        _c("indicator", "string", "An observation's indicator."),
        _c("person", "string", "Whom it is about (pseudonym)."),
        _c("account", "string", "The account's handle."),
        _c("platform", "string", "The platform."),
        _c("grade", "string", "An observation's grades: source / information / handling."),
        _c("status", "string", "An observation's veracity."),
        _c("immediate_risk", "boolean", "Marked immediate risk of significant harm."),
    )
    return Table("timeline", "The case on one time axis, oldest first.", columns, events[[c.name for c in columns]])


def audit_table(db: sqlite_utils.Database, scope: Scope, reference: str) -> Table:
    rows = pd.DataFrame(
        list(
            db.query(
                """SELECT seq, at, username, action, item_code, details, justification, prev_hash, hash
                   FROM audit_events WHERE case_ref = ? ORDER BY seq""",
                (reference,),
            )
        ),
        columns=["seq", "at", "username", "action", "item_code", "details", "justification", "prev_hash", "hash"],
    )
    rows = rows.assign(
        item_code=rows["item_code"].fillna(""),
        details=rows["details"].map(lambda text: _json_text(text, scope.hide)),
        justification=rows["justification"].map(scope.hide),
    )
    columns = (
        _c("seq", "integer", "The event's place in the workbench's audit log."),
        _c("at", "datetime", "When, UTC."),
        _c("username", "string", "Who."),
        _c("action", "string", "What (observation.create, evidence.view, export.start, ...)."),
        _c("item_code", "string", "The record it touched."),
        _c("details", "string", "What else was recorded, a JSON object."),
        _c("justification", "string", "The reason given."),
        _c("prev_hash", "string", "The hash of the event before it in the whole log (a chain)."),
        _c("hash", "string", "This event's hash, over the event as held (before any redaction)."),
    )
    return Table("audit", "Who did what in the case: its audit events, this export included.", columns, rows)


def _json_text(text: str, hide: Callable[[str], str]) -> str:
    """A JSON text with every string inside it passed through `hide`; keys sorted, UTF-8 kept."""
    return json.dumps(_walk(json.loads(text or "{}"), hide), sort_keys=True, ensure_ascii=False)


def _walk(value, hide):
    if isinstance(value, str):
        return hide(value)
    if isinstance(value, list):
        return [_walk(v, hide) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v, hide) for k, v in value.items()}
    return value


def _in_range(at: str, scope: Scope) -> bool:
    day = pd.Timestamp(at).tz_convert(LONDON).date()
    return (not scope.date_from or day >= scope.date_from) and (not scope.date_to or day <= scope.date_to)


def _number(value):
    return "" if value is None else value

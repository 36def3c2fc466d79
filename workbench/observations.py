"""Observations: what an analyst saw, graded, and never changed in place.

An observation is an identity (its per-case code, OBS-0007) and a list of versions. Recording adds
version 1; amending adds a version that supersedes the one before, with who, when and why;
retracting adds a version marked retracted, with the reason. The current version is the latest.
"""

from __future__ import annotations

import json
import operator
from bisect import bisect_left
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pandas as pd
import sqlite_utils

from workbench import actions, audit, authorisations, config, crossref, details_json, fields, imports, viewing
from workbench.access import Actor, Right, authorize
from workbench.config import ViewingPolicy
from workbench.db import transaction
from workbench.errors import NotFound, ValidationError
from workbench.people import AccountIndex, person_id_for, subject_id
from workbench.schemas import Catalog, grade_text, load_catalog
from workbench.timeutil import (
    PartialTime,
    days_before,
    format_local,
    is_after,
    now_utc,
    parse_instant,
    parse_partial,
)
from workbench.versioned import VersionedTable

# The fields a caller (form, CLI, import file) gives. `details` holds the kind's own fields.
INPUT_FIELDS = tuple(
    """kind five_c indicator summary details url account person visibility occurred_at occurred_precision
    occurred_approximate observed_at source_type grading_scheme source_grade information_grade handling_code
    immediate_risk unauthorised_reason repeat_viewing_reference""".split()
)
REQUIRED_IMPORT_COLUMNS = tuple(
    "kind indicator summary source_type source_grade information_grade handling_code".split()
)
# What a version stores, beyond its identity and who recorded it.
_VERSION_COLUMNS = tuple({"account": "account_id", "person": "person_id"}.get(f, f) for f in INPUT_FIELDS)
OBSERVATIONS = VersionedTable(
    "observation", "observations", "observation_versions", "observation_id", "OBS", _VERSION_COLUMNS
)
MAX_SUMMARY = 1000
_INPUT_FIELD_SET = frozenset(INPUT_FIELDS)
_version_values = operator.itemgetter(*_VERSION_COLUMNS)


def default_grading_scheme() -> str:
    return config.grading_scheme()


@dataclass(frozen=True)
class Observation:
    code: str
    version: int
    kind: str
    five_c: str
    indicator: str
    summary: str
    details: dict
    url: str
    account: str | None  # account code
    person: str | None  # person code
    visibility: str
    occurred: PartialTime
    observed_at: str
    source_type: str
    grading_scheme: str
    source_grade: str
    information_grade: str
    handling_code: str
    immediate_risk: bool
    unauthorised_reason: str  # why it was recorded when no authorisation covered it
    repeat_viewing_reference: str  # the authorisation reference given past the repeated-viewing limit
    retracted: bool
    change_reason: str
    recorded_by: str
    recorded_at: str

    @property
    def grade(self) -> str:
        return grade_text(self.grading_scheme, self.source_grade, self.information_grade, self.handling_code)

    def as_input(self) -> dict:
        """The fields as a form or import gives them: amend starts from here."""
        return {
            "kind": self.kind,
            "five_c": self.five_c,
            "indicator": self.indicator,
            "summary": self.summary,
            "details": dict(self.details),
            "url": self.url,
            "account": self.account or "",
            "person": self.person or "",
            "visibility": self.visibility,
            "occurred_at": self.occurred.at or "",
            "occurred_precision": self.occurred.precision,
            "occurred_approximate": self.occurred.approximate,
            "observed_at": self.observed_at,
            "source_type": self.source_type,
            "grading_scheme": self.grading_scheme,
            "source_grade": self.source_grade,
            "information_grade": self.information_grade,
            "handling_code": self.handling_code,
            "immediate_risk": self.immediate_risk,
            "unauthorised_reason": self.unauthorised_reason,
            "repeat_viewing_reference": self.repeat_viewing_reference,
        }


@dataclass(frozen=True)
class ObservationView:
    current: Observation
    versions: pd.DataFrame  # every version, oldest first
    unauthorised: bool = False  # no research authorisation covers it (worked out now, not stored)


# --- writing -------------------------------------------------------------------------------------


def record(db: sqlite_utils.Database, actor: Actor, reference: str, given: dict) -> Observation:
    access = authorize(db, actor, Right.RECORD, reference)
    with transaction(db):  # checked under the write lock: two at once cannot both pass as the third view
        clean = normalise(db, access.case_id, given, recording=True)
        code = OBSERVATIONS.insert(db, actor, access.case_id, clean)
        crossref.refresh_observations(db, access.case_id, [code])
        audit.record(
            db,
            actor.username,
            "observation.create",
            case_ref=access.reference,
            item_code=code,
            details={"kind": clean["kind"], "immediate_risk": clean["immediate_risk"]},
        )
        actions.add_prompted(db, actor, access, code, load_catalog().kinds[clean["kind"]], clean["observed_at"])
    return _load(db, access.case_id, code)


def amend(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    code: str,
    given: dict,
    reason: str,
    *,
    expected_version: int | None = None,
) -> Observation:
    """Add a version that supersedes the current one. The reason is required and kept."""
    access = authorize(db, actor, Right.RECORD, reference)
    current = _load(db, access.case_id, code)
    errors = {}
    try:
        reason = fields.text(reason, max_length=2000)
    except ValueError as e:
        errors["reason"] = str(e)
    try:
        clean = normalise(db, access.case_id, given)
    except ValidationError as e:
        errors.update(e.errors)
    if errors:
        raise ValidationError(errors)
    stored = OBSERVATIONS.latest(db, access.case_id, current.code)
    changed = [name for name in _VERSION_COLUMNS if clean[name] != stored[name]]
    if not changed:
        raise ValidationError({"observation": "nothing was changed; there is no new version to save"})
    with transaction(db):
        latest, version = OBSERVATIONS.next_version(db, access.case_id, current.code, expected_version)
        OBSERVATIONS.add_version(db, actor, latest["id"], version, clean, reason=reason)
        crossref.refresh_observations(db, access.case_id, [current.code])
        audit.record(
            db,
            actor.username,
            "observation.amend",
            case_ref=access.reference,
            item_code=current.code,
            details={"version": version, "changed": changed},
            justification=reason,
        )
    return _load(db, access.case_id, current.code)


def retract(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    code: str,
    reason: str,
    *,
    expected_version: int | None = None,
) -> Observation:
    """Withdraw an observation: it stays on record, marked retracted, with the reason."""
    access = authorize(db, actor, Right.RECORD, reference)
    current = _load(db, access.case_id, code)
    OBSERVATIONS.retract(
        db,
        actor,
        access,
        current.code,
        reason,
        expected_version=expected_version,
        then=lambda retracted: crossref.refresh_observations(db, access.case_id, [retracted]),
    )
    return _load(db, access.case_id, current.code)


@dataclass(frozen=True)
class ImportResult:
    count: int
    codes: list[str]
    unauthorised: list[str] = field(default_factory=list)  # recorded without authorisation: flagged
    repeated_viewing: list[str] = field(default_factory=list)  # past the limit, with no reference given

    @property
    def warnings(self) -> list[str]:
        """What the importer must be told (the CLI prints these to stderr, the page shows them)."""
        said = []
        if self.unauthorised:
            said.append(
                f"{len(self.unauthorised)} observation(s) recorded without authorisation ({_some(self.unauthorised)}): "
                "no research authorisation in this case covered their platform or account on the day they were "
                "seen. They are flagged until one does; record the authorisation if one was given."
            )
        if self.repeated_viewing:
            policy = ViewingPolicy.from_env()
            said.append(
                f"{len(self.repeated_viewing)} observation(s) took their account past {policy.limit} views in "
                f"{policy.period_days} days ({_some(self.repeated_viewing)}) and the file gave no "
                "repeat_viewing_reference. Repeated viewing to monitor someone may amount to directed surveillance "
                "(RIPA 2000 Part II), which needs an authorisation: check the Viewing log page."
            )
        return said


def _some(codes: list[str]) -> str:
    return ", ".join(codes[:20]) + (", …" if len(codes) > 20 else "")


def import_csv(
    db: sqlite_utils.Database, actor: Actor, reference: str, data: bytes | str, *, max_rows: int = 100_000
) -> ImportResult:
    """Check every row, then record them all in one transaction, or none and say which rows are bad."""
    access = authorize(db, actor, Right.RECORD, reference)
    rows = imports.read_rows(data, allowed=INPUT_FIELDS, required=REQUIRED_IMPORT_COLUMNS, max_rows=max_rows)
    lookups = CaseLookups.read(db, access.case_id)  # once, not per row
    clean_rows = imports.check_all(
        rows, lambda cells: normalise(db, access.case_id, cells, importing=True, lookups=lookups)
    )
    with transaction(db):
        repeated = [
            i
            for i in _past_viewing_limit(db, access.case_id, clean_rows)
            if not clean_rows[i]["repeat_viewing_reference"]
        ]
        ids = OBSERVATIONS.insert_many(db, actor, access.case_id, clean_rows)
        codes = list(ids)
        crossref.refresh_recorded(db, access.case_id, ids, clean_rows, parsed=lookups.details_read)
        audit.record(
            db,
            actor.username,
            "observation.import",
            case_ref=access.reference,
            details={"count": len(codes), "first": codes[0], "last": codes[-1], "file_sha256": imports.sha256_of(data)},
        )
        catalog = load_catalog()
        for code, clean in zip(codes, clean_rows, strict=True):
            actions.add_prompted(db, actor, access, code, catalog.kinds[clean["kind"]], clean["observed_at"])
    unauthorised = [code for code, clean in zip(codes, clean_rows, strict=True) if clean["unauthorised_reason"]]
    return ImportResult(len(codes), codes, unauthorised, [codes[i] for i in repeated])


# --- reading -------------------------------------------------------------------------------------


def list_observations(
    db: sqlite_utils.Database, actor: Actor, reference: str, *, include_retracted: bool = False
) -> pd.DataFrame:
    """The current version of every observation in a case, as stored (codes, ISO UTC times)."""
    access = authorize(db, actor, Right.VIEW, reference)
    frame = current_frame(db, access.case_id, include_retracted=include_retracted)
    frame["unauthorised"] = authorisations.unauthorised(db, access.case_id, frame)
    audit.record(db, actor.username, "observation.list", case_ref=access.reference, details={"rows": len(frame)})
    return frame


def view(db: sqlite_utils.Database, actor: Actor, reference: str, code: str) -> ObservationView:
    """One observation with its whole version history."""
    access = authorize(db, actor, Right.VIEW, reference)
    current = _load(db, access.case_id, code)
    versions = _frame(db, "o.case_id = ? AND o.code = ?", (access.case_id, current.code), every_version=True)
    audit.record(db, actor.username, "observation.view", case_ref=access.reference, item_code=current.code)
    flagged = authorisations.unauthorised(db, access.case_id, versions.tail(1)).iloc[0]
    return ObservationView(current, versions, unauthorised=bool(flagged))


def current_frame(db: sqlite_utils.Database, case_id: int, *, include_retracted: bool = False) -> pd.DataFrame:
    """For other domain modules that have authorized already."""
    frame = _frame(db, "o.case_id = ?", (case_id,))
    if not include_retracted:
        frame = frame[frame["retracted"] == 0].reset_index(drop=True)
    return frame


def for_display(
    frame: pd.DataFrame, catalog: Catalog | None = None, veracity: dict[str, str] | None = None
) -> pd.DataFrame:
    """Labels instead of codes and Europe/London times: what a person reads in a table. With
    `veracity` (code -> status, from crossref.statuses) it also says what trusted sources make of each."""
    catalog = catalog or load_catalog()
    kinds = catalog.kinds

    def indicator_label(row) -> str:
        kind = kinds.get(row.kind)
        found = kind.indicator(row.indicator) if kind else None
        return found.label if found else row.indicator

    def status(row) -> str:
        if row.retracted:
            return "retracted"
        return f"amended (v{row.version})" if row.version > 1 else "current"

    shown = pd.DataFrame(
        {
            "Code": frame["code"],
            "Risk": frame["immediate_risk"].map(lambda v: "IMMEDIATE RISK" if v else ""),
            "Authorisation": (
                frame["unauthorised"].map(lambda v: "RECORDED WITHOUT" if v else "") if "unauthorised" in frame else ""
            ),
            "Kind": frame["kind"].map(lambda k: kinds[k].title if k in kinds else k),
            "Five C": frame["five_c"].map(lambda v: catalog.label("five_cs", v)),
            "Indicator": [indicator_label(row) for row in frame.itertuples()],
            "Summary": frame["summary"],
            "Account": frame["account"].fillna(""),
            "Occurred": [
                format_local(r.occurred_at, r.occurred_precision, bool(r.occurred_approximate))
                for r in frame.itertuples()
            ],
            "Observed": frame["observed_at"].map(format_local),
            "Grade": [
                grade_text(r.grading_scheme, r.source_grade, r.information_grade, r.handling_code)
                for r in frame.itertuples()
            ],
            "Source": frame["source_type"].map(lambda v: catalog.label("source_types", v)),
            "Status": [status(row) for row in frame.itertuples()],
            "Recorded by": frame["recorded_by"],
        }
    )
    if veracity is not None:
        labels = dict(catalog.pairs("veracity_statuses"))
        shown.insert(
            shown.columns.get_loc("Grade") + 1,
            "Veracity",
            ["" if r.retracted else labels[veracity.get(r.code, "uncorroborated")] for r in frame.itertuples()],
        )
    return shown


# --- checking input ------------------------------------------------------------------------------


# The fields a vocabulary decides, and the flag, in groups that are checked together (an indicator
# is one of its kind's; grades are of their scheme). A file gives few combinations within each
# group, so an import checks each combination once (CaseLookups.coded) rather than once a row.
_WHAT_FIELDS = ("kind", "indicator", "five_c")
_GRADE_FIELDS = ("grading_scheme", "source_grade", "information_grade", "handling_code")
_FLAG_FIELDS = ("visibility", "source_type", "immediate_risk")
# The order in which a refused row's fields are named: the order of the form.
_ERROR_ORDER = {
    name: rank
    for rank, name in enumerate(
        """kind indicator five_c summary details url account person visibility source_type observed_at occurred_at
        grading_scheme source_grade information_grade handling_code immediate_risk unauthorised_reason
        repeat_viewing_reference""".split()
    )
}
# Optional text fields, with their checks: most rows leave them empty, and an empty one is '' unchecked.
_OPTIONAL_FIELDS = (
    ("url", fields.web_url, {}),
    ("unauthorised_reason", fields.text, {"required": False, "max_length": 2000}),
    ("repeat_viewing_reference", fields.text, {"required": False, "max_length": 200, "single_line": True}),
)
_MEMO_LIMIT = 4096  # distinct combinations remembered per import: a hostile file cannot grow it further


@dataclass
class CaseLookups:
    """What checking an observation reads of its case and the settings, read once: for an import,
    once for the whole file rather than per row. The accounts, the subject, the research
    authorisations' coverage, the default grading scheme and the moment it began; and, as the
    rows are checked, each combination of coded values and each person named, with its answer, and
    each row's details as read (which the import's rules then take instead of reading the JSON again)."""

    db: sqlite_utils.Database
    case_id: int
    catalog: Catalog
    accounts: AccountIndex
    coverage: authorisations.Coverage
    grading_scheme: str
    now: str
    _subject: int | None = None
    _coded: dict[tuple, tuple[dict, dict]] = field(default_factory=dict)
    _people: dict[str, tuple[int | None, str]] = field(default_factory=dict)
    # Each row's details as checked, by the JSON stored: the import's rules read them from here.
    details_read: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def read(cls, db: sqlite_utils.Database, case_id: int) -> CaseLookups:
        return cls(
            db, case_id, load_catalog(), AccountIndex.read(db, case_id), authorisations.case_coverage(db, case_id),
            default_grading_scheme(), now_utc(),
        )  # fmt: skip

    def person_of(self, account_id: int | None) -> int:
        """Whom an observation is about when it names no person: its account's owner, else the subject."""
        return self.accounts.owner.get(account_id) or self.subject()

    def subject(self) -> int:
        if self._subject is None:
            self._subject = subject_id(self.db, self.case_id)
        return self._subject

    def person(self, wanted) -> int:
        """`person_id_for`, remembered: an import names the same few people on many rows."""
        if not isinstance(wanted, str):
            return person_id_for(self.db, self.case_id, wanted)
        found = self._people.get(wanted)
        if found is None:
            try:
                found = (person_id_for(self.db, self.case_id, wanted), "")
            except ValueError as e:
                found = (None, str(e))
            if len(self._people) < _MEMO_LIMIT:
                self._people[wanted] = found
        person_id, refused = found
        if refused:
            raise ValueError(refused)
        return person_id

    def clean_details(self, kind: str, indicator: str, given) -> str:
        """The kind's own fields, checked, as the JSON a version stores."""
        cleaned = self.catalog.validate_details(kind, indicator, _details(given))
        stored = details_json.write(cleaned)
        self.details_read[stored] = cleaned
        return stored

    def coded(self, given: dict) -> tuple[dict, dict]:
        """The clean coded values and the errors among them, each a new dict the caller may change."""
        clean, errors = {}, {}
        for names, checks in _CODED_GROUPS:
            key = (checks, *map(given.get, names))
            try:
                found = self._coded.get(key)
            except TypeError:  # a value that cannot be a key (a list from a caller): checked, not remembered
                found = key = None
            if found is None:
                found = checks(self.catalog, given, self.grading_scheme)
                if key is not None and len(self._coded) < _MEMO_LIMIT:
                    self._coded[key] = found
            clean.update(found[0])
            if found[1]:
                errors.update(found[1])
        return clean, errors


def _what_checks(catalog: Catalog, given: dict, _default_scheme: str) -> tuple[dict, dict]:
    check = fields.Checks()
    clean = check.clean
    check("kind", lambda: catalog.kind_vocabulary(given.get("kind")))
    kind = catalog.kinds.get(clean.get("kind"))
    if kind:
        check("indicator", lambda: kind.indicator_vocabulary(given.get("indicator")))
    if given.get("five_c"):
        check("five_c", lambda: catalog.vocabulary("five_cs")(given["five_c"]))
    elif kind and "indicator" in clean:
        clean["five_c"] = kind.five_c_for(clean["indicator"])
    return clean, check.errors


def _grade_checks(catalog: Catalog, given: dict, default_scheme: str) -> tuple[dict, dict]:
    check = fields.Checks()
    check("grading_scheme", lambda: fields.choice(given.get("grading_scheme") or default_scheme, catalog.gradings))
    scheme = catalog.gradings.get(check.clean.get("grading_scheme"))
    if scheme:
        check("source_grade", lambda: scheme.source_vocabulary(given.get("source_grade")))
        check("information_grade", lambda: scheme.information_vocabulary(given.get("information_grade")))
    check("handling_code", lambda: catalog.handling_vocabulary(given.get("handling_code")))
    return check.clean, check.errors


def _flag_checks(catalog: Catalog, given: dict, _default_scheme: str) -> tuple[dict, dict]:
    check = fields.Checks()
    check("visibility", lambda: catalog.vocabulary("visibility")(given.get("visibility") or "public"))
    check("source_type", lambda: catalog.vocabulary("source_types")(given.get("source_type")))
    check("immediate_risk", lambda: int(fields.boolean(given.get("immediate_risk"))))
    return check.clean, check.errors


_CODED_GROUPS = ((_WHAT_FIELDS, _what_checks), (_GRADE_FIELDS, _grade_checks), (_FLAG_FIELDS, _flag_checks))


def normalise(
    db: sqlite_utils.Database,
    case_id: int,
    given: dict,
    *,
    importing: bool = False,
    recording: bool = False,
    lookups: CaseLookups | None = None,
) -> dict:
    """Check every field and return the version's column values, or raise ValidationError naming
    each bad field. Vocabulary fields take the value or its label, in any letter case. One that no
    research authorisation covers needs `unauthorised_reason` (an import gives a standard one).
    `recording` a new one counts as a view of its account: past the repeated-viewing limit it
    needs `repeat_viewing_reference`. An import passes the case's `lookups`, read once."""
    lookups = lookups or CaseLookups.read(db, case_id)
    catalog = lookups.catalog
    given = given or {}
    if not importing and None in given.values():  # a form's empty field; a file's cells are never None
        given = {k: ("" if v is None else v) for k, v in given.items()}
    check = fields.Checks()
    check.clean, check.errors = lookups.coded(given)
    clean, errors = check.clean, check.errors

    kind = catalog.kinds.get(clean.get("kind"))
    check("summary", fields.text, given.get("summary"), max_length=MAX_SUMMARY)
    if kind and "indicator" in clean:
        check("details", lookups.clean_details, kind.name, clean["indicator"], given.get("details"))
    for name, check_field, options in _OPTIONAL_FIELDS:
        if given.get(name, "") != "":
            check(name, check_field, given[name], **options)
        else:
            clean[name] = ""
    if kind and kind.no_attachments and _links_to_media(clean.get("url", "")):
        errors["url"] = "must not link to the image itself; give the page or place where it was seen"
    account = given.get("account", "")
    if str(account).strip():
        check("account", lookups.accounts.find, account)
        clean["account_id"] = clean.pop("account", None)
    else:
        clean["account_id"] = None
    person = given.get("person", "")
    if str(person).strip():
        check("person", lookups.person, person)
        clean["person_id"] = clean.pop("person", None)
    else:
        clean["person_id"] = lookups.person_of(clean["account_id"])
    if given.get("observed_at"):
        check("observed_at", parse_instant, given["observed_at"])
    else:
        clean["observed_at"] = lookups.now
    check("occurred_at", _occurred, given)
    clean["occurred"] = clean.pop("occurred_at", None)
    _check_times(clean, errors, lookups.now)
    if not errors:
        _check_authorisation(db, case_id, clean, errors, importing=importing, coverage=lookups.coverage)
        if recording and clean["account_id"] is not None and not clean["repeat_viewing_reference"]:
            repeated = viewing.repeated_viewing(db, case_id, clean["account_id"], clean["observed_at"])
            if repeated:
                errors["repeat_viewing_reference"] = "is required: " + repeated.warning
    if not given.keys() <= _INPUT_FIELD_SET:
        errors[min(given.keys() - _INPUT_FIELD_SET)] = "is not an observation field"
    if errors:
        last = len(_ERROR_ORDER)
        raise ValidationError(
            dict(sorted(errors.items(), key=lambda item: _ERROR_ORDER.get(item[0].split(".", 1)[0], last)))
        )
    occurred: PartialTime = clean.pop("occurred")
    clean["occurred_at"], clean["occurred_precision"] = occurred.at, occurred.precision
    clean["occurred_approximate"] = int(occurred.approximate)
    return dict(zip(_VERSION_COLUMNS, _version_values(clean), strict=True))


def _check_authorisation(db, case_id: int, clean: dict, errors: dict, *, importing: bool, coverage) -> None:
    """Recording what no authorisation covers is allowed, but never silently: it needs a reason,
    kept on the version. A reason given for one that is covered is not kept."""
    needed = authorisations.not_covered_message(
        db, case_id, clean["account_id"], clean["observed_at"], coverage=coverage
    )
    if not needed:
        clean["unauthorised_reason"] = ""
    elif not clean["unauthorised_reason"]:
        if importing:
            clean["unauthorised_reason"] = authorisations.IMPORT_REASON
        else:
            errors["unauthorised_reason"] = "is required: " + needed


def _past_viewing_limit(db, case_id: int, clean_rows: list[dict]) -> list[int]:
    """The rows of an import that take their account past the repeated-viewing limit, counting the
    views already recorded and the file's own rows seen earlier (each row as `viewing.repeated_viewing`
    would judge it, had the rows been recorded one by one in the order they were seen)."""
    policy = ViewingPolicy.from_env()
    rows_of: dict[int, list[int]] = {}
    for index, clean in enumerate(clean_rows):
        if clean["account_id"] is not None:
            rows_of.setdefault(clean["account_id"], []).append(index)
    judged = []  # (row, its window, the file's views of the account in it up to and with this row)
    for account_id, indexes in rows_of.items():
        indexes.sort(key=lambda i: clean_rows[i]["observed_at"])
        times = [clean_rows[i]["observed_at"] for i in indexes]  # the file's views of the account, in order
        for seen, (index, at) in enumerate(zip(indexes, times, strict=True), start=1):
            since = days_before(at, policy.period_days)
            judged.append((index, (account_id, since, at), seen - bisect_left(times, since, 0, seen)))
    # Past the limit is past it: counting further changes no row's answer.
    recorded = viewing.count_views(db, case_id, [window for _, window, _ in judged], at_most=policy.limit + 1)
    return sorted(
        index for (index, _, in_file), stored in zip(judged, recorded, strict=True) if stored + in_file > policy.limit
    )


def _check_times(clean: dict, errors: dict, now: str) -> None:
    observed = clean.get("observed_at")
    if observed and is_after(observed, now):
        errors["observed_at"] = "is in the future"
    occurred = clean.get("occurred")
    if observed and occurred and occurred.at and is_after(occurred.at, observed):
        errors["occurred_at"] = "is after observed_at: it cannot have been seen before it happened"


_MEDIA_SUFFIXES = (
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".webp",
    ".heic",
    ".heif",
    ".tif",
    ".tiff",
    ".bmp",
    ".mp4",
    ".mov",
    ".webm",
    ".avi",
)


def _links_to_media(url: str) -> bool:
    """A link straight to an image or video file (for kinds that may never hold one)."""
    return urlsplit(url).path.lower().endswith(_MEDIA_SUFFIXES) if url else False


def _occurred(given: dict) -> PartialTime:
    return parse_partial(
        str(given.get("occurred_at", "")),
        given.get("occurred_precision") or None,
        fields.boolean(given.get("occurred_approximate")),
    )


def _details(value) -> dict:
    if isinstance(value, dict):
        return value
    text = str(value or "").strip()
    if not text:
        return {}
    try:
        parsed = details_json.read(text)
    except json.JSONDecodeError as e:
        raise ValidationError({"details": f"is not valid JSON ({e.msg} at character {e.pos})"}) from None
    except RecursionError:  # thousands of nested brackets: json gives up before it finds the end
        raise ValidationError({"details": "is nested too deeply: a kind's fields are one JSON object"}) from None
    if not isinstance(parsed, dict):
        raise ValidationError({"details": 'must be a JSON object such as {"field": "value"}'})
    return parsed


# --- storage -------------------------------------------------------------------------------------


def _load(db, case_id: int, code: str) -> Observation:
    wanted = str(code or "").strip().upper()
    frame = _frame(db, "o.case_id = ? AND o.code = ?", (case_id, wanted))
    if frame.empty:
        raise NotFound(f"Observation {wanted[:40]} not found.")
    return _from_row(frame.iloc[0].to_dict())


_FRAME_COLUMNS = ["code", "version", *INPUT_FIELDS, "retracted", "change_reason", "recorded_by", "recorded_at"]


def _frame(db, where: str, params: tuple, *, every_version: bool = False) -> pd.DataFrame:
    latest_only = (
        ""
        if every_version
        else "AND v.version = (SELECT MAX(version) FROM observation_versions WHERE observation_id = o.id)"
    )
    rows = db.query(
        f"""
        SELECT o.code, v.version, v.kind, v.five_c, v.indicator, v.summary, v.details, v.url,
               a.code AS account, p.code AS person, v.visibility, v.occurred_at, v.occurred_precision,
               v.occurred_approximate, v.observed_at, v.source_type, v.grading_scheme, v.source_grade,
               v.information_grade, v.handling_code, v.immediate_risk, v.unauthorised_reason,
               v.repeat_viewing_reference, v.retracted, v.change_reason,
               u.username AS recorded_by, v.recorded_at
        FROM observations o
        JOIN observation_versions v ON v.observation_id = o.id {latest_only}
        LEFT JOIN accounts a ON a.id = v.account_id
        LEFT JOIN people p ON p.id = v.person_id
        JOIN users u ON u.id = v.recorded_by
        WHERE {where}
        ORDER BY o.id, v.version
        """,  # noqa: S608
        params,
    )
    return pd.DataFrame(list(rows), columns=_FRAME_COLUMNS)


def _from_row(row: dict) -> Observation:
    return Observation(
        code=row["code"],
        version=int(row["version"]),
        kind=row["kind"],
        five_c=row["five_c"],
        indicator=row["indicator"],
        summary=row["summary"],
        details=json.loads(row["details"]),
        url=row["url"],
        account=row["account"],
        person=row["person"],
        visibility=row["visibility"],
        occurred=PartialTime(row["occurred_at"], row["occurred_precision"], bool(row["occurred_approximate"])),
        observed_at=row["observed_at"],
        source_type=row["source_type"],
        grading_scheme=row["grading_scheme"],
        source_grade=row["source_grade"],
        information_grade=row["information_grade"],
        handling_code=row["handling_code"],
        immediate_risk=bool(row["immediate_risk"]),
        unauthorised_reason=row["unauthorised_reason"],
        repeat_viewing_reference=row["repeat_viewing_reference"],
        retracted=bool(row["retracted"]),
        change_reason=row["change_reason"],
        recorded_by=row["recorded_by"],
        recorded_at=row["recorded_at"],
    )

"""The whole matrix: every domain function that acts inside a case, for every part a user can have
(each account role, as a member and as a non-member), is either allowed, refused, or finds no case.

The functions are found by looking at the modules, so a new one that takes (db, actor, reference)
fails `test_every_case_function_is_in_the_matrix` until someone decides who may call it.
"""

from __future__ import annotations

import inspect
import io
import shutil
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import CASE, OBSERVATION_INPUT, install_template
from workbench import (
    access,
    actions,
    activity,
    authorisations,
    cases,
    conference,
    crossref,
    downloads,
    evidence,
    export,
    facts,
    immediate_risk,
    milestones,
    need,
    observations,
    people,
    persons_of_concern,
    retention,
    signins,
    timeline,
    users,
    viewing,
)
from workbench.access import SYSTEM, Right
from workbench.config import Settings
from workbench.db import open_home
from workbench.errors import NotFound, PermissionDenied

ALLOWED, DENIED, HIDDEN = "allowed", "refused", "not found"

# The part each user plays in CASE-1 in this module's database.
PARTS = {
    "lead (analyst account)": "analyst",
    "analyst member": "analyst2",
    "reviewer member": "reviewer",
    "admin member (as analyst)": "admin2",
    "analyst non-member": "outsider",
    "reviewer non-member": "reviewer2",
    "admin non-member": "admin",
}

_ALL = list(Right)
EXPECTED = {
    # A lead closes and reopens their case; deleting it is for administrators.
    "lead (analyst account)": {**dict.fromkeys(_ALL, ALLOWED), Right.DELETE: DENIED},
    "analyst member": {
        Right.VIEW: ALLOWED, Right.RECORD: ALLOWED, Right.MANAGE_MEMBERS: DENIED, Right.EXPORT: DENIED,
        Right.PURGE: DENIED, Right.AUDIT: DENIED, Right.VERIFY: ALLOWED, Right.CLOSE: DENIED, Right.DELETE: DENIED,
        Right.DOWNLOAD: ALLOWED,
    },
    "reviewer member": {
        Right.VIEW: ALLOWED, Right.RECORD: DENIED, Right.MANAGE_MEMBERS: DENIED, Right.EXPORT: DENIED,
        Right.PURGE: DENIED, Right.AUDIT: DENIED, Right.VERIFY: DENIED, Right.CLOSE: DENIED, Right.DELETE: DENIED,
        Right.DOWNLOAD: DENIED,  # a reviewer reads on screen: no originals or CSV files leave with them
    },
    "admin member (as analyst)": {
        Right.VIEW: ALLOWED, Right.RECORD: ALLOWED, Right.MANAGE_MEMBERS: ALLOWED, Right.EXPORT: DENIED,
        Right.PURGE: ALLOWED, Right.AUDIT: ALLOWED, Right.VERIFY: ALLOWED, Right.CLOSE: ALLOWED, Right.DELETE: ALLOWED,
        Right.DOWNLOAD: ALLOWED,
    },
    "analyst non-member": dict.fromkeys(_ALL, HIDDEN),
    "reviewer non-member": dict.fromkeys(_ALL, HIDDEN),
    # An administrator purges an item that must not be held, given its code, without seeing the case.
    "admin non-member": {
        Right.VIEW: HIDDEN, Right.RECORD: HIDDEN, Right.MANAGE_MEMBERS: ALLOWED, Right.EXPORT: HIDDEN,
        Right.PURGE: ALLOWED, Right.AUDIT: ALLOWED, Right.VERIFY: ALLOWED, Right.CLOSE: ALLOWED, Right.DELETE: ALLOWED,
        Right.DOWNLOAD: HIDDEN,
    },
}  # fmt: skip

OBSERVATION = OBSERVATION_INPUT
OBSERVATION_CSV = (
    b"kind,indicator,summary,details,source_type,source_grade,information_grade,handling_code,observed_at\n"
    b'profile_indicator,stated_age,Imported,"{""profile_element"": ""bio"", ""stated_age"": 17}",'
    b"analyst_viewed,2,B,P,2025-03-15 09:00\n"
)
FACT = {"person": "P-0001", "attribute": "school", "value": "Northfield", "source_agency": "school"}
FACT_CSV = b"person,attribute,value,source_agency\nP-0001,gender,female,school\n"


def _png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(out, format="PNG")
    return out.getvalue()


AUTHORISATION = {
    "purpose": "Section 47 enquiry", "lawful_basis": "Children Act 1989 s.47", "authorised_by": "Team manager",
    "review_date": "2099-01-01",
}  # fmt: skip
CAPTURE = {"shows": "Profile page", "confirmed_no_indecent_image": True}
VIEWED_ACCOUNT = "@viewed.demo"  # an account of CASE-1 in the matrix template, for logging a view


def _closed_first(db, who, right, function, *args, **kwargs):
    """Reopening, extending and deleting need a closed case: the operator closes it first, but only
    for a user the table allows (a refusal must find everything as it was)."""
    if access.allowed(db, who, right, CASE):
        retention.close_case(db, SYSTEM, CASE, "Closed for the matrix")
    return function(db, who, CASE, *args, **kwargs)


# Every case function: the right it needs, and a call with valid arguments.
CALLS = {
    "cases.overview": (Right.VIEW, lambda db, who: cases.overview(db, who, CASE)),
    "cases.add_member": (Right.MANAGE_MEMBERS, lambda db, who: cases.add_member(db, who, CASE, "bystander", "analyst")),
    "cases.remove_member": (Right.MANAGE_MEMBERS, lambda db, who: cases.remove_member(db, who, CASE, "bystander")),
    "cases.members": (Right.MANAGE_MEMBERS, lambda db, who: cases.members(db, who, CASE)),
    "people.add_person": (Right.RECORD, lambda db, who: people.add_person(db, who, CASE, "Adult X", "associate")),
    "people.add_account": (Right.RECORD, lambda db, who: people.add_account(db, who, CASE, "instagram", "new.handle")),
    "people.directory": (Right.VIEW, lambda db, who: people.directory(db, who, CASE)),
    "people.list_people": (Right.VIEW, lambda db, who: people.list_people(db, who, CASE)),
    "people.list_accounts": (Right.VIEW, lambda db, who: people.list_accounts(db, who, CASE)),
    "persons_of_concern.persons_of_concern": (
        Right.VIEW, lambda db, who: persons_of_concern.persons_of_concern(db, who, CASE),
    ),
    "observations.record": (Right.RECORD, lambda db, who: observations.record(db, who, CASE, OBSERVATION)),
    "observations.amend": (
        Right.RECORD,
        lambda db, who: observations.amend(db, who, CASE, "OBS-0001", {**OBSERVATION, "summary": "Amended"}, "typo"),
    ),
    "observations.retract": (
        Right.RECORD,
        lambda db, who: observations.retract(db, who, CASE, "OBS-0001", "recorded against the wrong child"),
    ),
    "observations.import_csv": (Right.RECORD, lambda db, who: observations.import_csv(db, who, CASE, OBSERVATION_CSV)),
    "observations.list_observations": (Right.VIEW, lambda db, who: observations.list_observations(db, who, CASE)),
    "observations.view": (Right.VIEW, lambda db, who: observations.view(db, who, CASE, "OBS-0001")),
    "facts.add_fact": (Right.RECORD, lambda db, who: facts.add_fact(db, who, CASE, FACT)),
    "facts.import_csv": (Right.RECORD, lambda db, who: facts.import_csv(db, who, CASE, FACT_CSV)),
    "facts.list_facts": (Right.VIEW, lambda db, who: facts.list_facts(db, who, CASE)),
    "facts.view_fact": (Right.VIEW, lambda db, who: facts.view_fact(db, who, CASE, "F-0001")),
    "facts.amend_fact": (
        Right.RECORD, lambda db, who: facts.amend_fact(db, who, CASE, "F-0001", {"value": "Southfield"}, "moved"),
    ),
    "facts.retract_fact": (Right.RECORD, lambda db, who: facts.retract_fact(db, who, CASE, "F-0001", "wrong child")),
    "crossref.link": (
        Right.RECORD,
        lambda db, who: crossref.link(db, who, CASE, "OBS-0001", "F-0002", "context", "school trip photo"),
    ),
    "crossref.withdraw": (Right.RECORD, lambda db, who: crossref.withdraw(db, who, CASE, "XR-0001", "mistaken")),
    "crossref.recompute": (Right.RECORD, lambda db, who: crossref.recompute(db, who, CASE)),
    "crossref.list_crossrefs": (Right.VIEW, lambda db, who: crossref.list_crossrefs(db, who, CASE)),
    "crossref.observation_veracity": (
        Right.VIEW, lambda db, who: crossref.observation_veracity(db, who, CASE, "OBS-0001"),
    ),
    "crossref.review": (Right.VIEW, lambda db, who: crossref.review(db, who, CASE)),
    "milestones.add_milestone": (
        Right.RECORD,
        lambda db, who: milestones.add_milestone(db, who, CASE, {"kind": "referral", "occurred_at": "2026-03-01"}),
    ),
    "milestones.retract_milestone": (
        Right.RECORD, lambda db, who: milestones.retract_milestone(db, who, CASE, "M-0001", "wrong case"),
    ),
    "actions.add_action": (
        Right.RECORD, lambda db, who: actions.add_action(db, who, CASE, {"kind": "dsl_informed", "status": "done"}),
    ),
    "actions.update_action": (
        Right.RECORD, lambda db, who: actions.update_action(db, who, CASE, "ACT-0001", {"due_date": "2026-03-02"}),
    ),
    "actions.retract_action": (
        Right.RECORD, lambda db, who: actions.retract_action(db, who, CASE, "ACT-0001", "wrong case"),
    ),
    "actions.view_action": (Right.VIEW, lambda db, who: actions.view_action(db, who, CASE, "ACT-0001")),
    "actions.list_actions": (Right.VIEW, lambda db, who: actions.list_actions(db, who, CASE)),
    "immediate_risk.list_risks": (Right.VIEW, lambda db, who: immediate_risk.list_risks(db, who, CASE)),
    "export.export_case": (
        Right.EXPORT,
        lambda db, who: export.export_case(
            db, who, CASE, Path(tempfile.mkdtemp()) / "bundle.zip", export.ExportOptions("Strategy meeting", "Police")
        ),
    ),
    "export.list_exports": (Right.VIEW, lambda db, who: export.list_exports(db, who, CASE)),
    "authorisations.add_authorisation": (
        Right.RECORD, lambda db, who: authorisations.add_authorisation(db, who, CASE, AUTHORISATION),
    ),
    "authorisations.review_authorisation": (
        Right.RECORD,
        lambda db, who: authorisations.review_authorisation(
            db, who, CASE, "AUTH-0001", {"review_date": "2100-01-01"}, "Reviewed: still needed"
        ),
    ),
    "authorisations.retract_authorisation": (
        Right.RECORD, lambda db, who: authorisations.retract_authorisation(db, who, CASE, "AUTH-0001", "wrong case"),
    ),
    "authorisations.list_authorisations": (
        Right.VIEW, lambda db, who: authorisations.list_authorisations(db, who, CASE),
    ),
    "authorisations.history": (Right.VIEW, lambda db, who: authorisations.history(db, who, CASE, "AUTH-0001")),
    "need.set_level": (Right.RECORD, lambda db, who: need.set_level(db, who, CASE, "early_help", "Agreed at the TAF")),
    "need.level_history": (Right.VIEW, lambda db, who: need.level_history(db, who, CASE)),
    "timeline.timeline": (Right.VIEW, lambda db, who: timeline.timeline(db, who, CASE)),
    "timeline.download_csv": (
        Right.DOWNLOAD, lambda db, who: timeline.download_csv(db, who, CASE, timeline.TimelineFilter()),
    ),
    "conference.conference_view": (
        Right.VIEW, lambda db, who: conference.conference_view(db, who, CASE, pseudonyms_only=True),
    ),
    "activity.case_activity": (Right.AUDIT, lambda db, who: activity.case_activity(db, who, CASE)),
    "evidence.add_files": (
        Right.RECORD,
        lambda db, who: evidence.add_files(db, who, CASE, [evidence.Upload.of_bytes("b.png", _png("blue"))], CAPTURE),
    ),
    "evidence.list_evidence": (Right.VIEW, lambda db, who: evidence.list_evidence(db, who, CASE)),
    "evidence.view": (Right.VIEW, lambda db, who: evidence.view(db, who, CASE, "EV-0001")),
    "evidence.previews": (Right.VIEW, lambda db, who: evidence.previews(db, who, CASE, ["EV-0001"])),
    "evidence.preview_outcomes": (Right.VIEW, lambda db, who: evidence.preview_outcomes(db, who, CASE, ["EV-0001"])),
    "evidence.original": (Right.DOWNLOAD, lambda db, who: evidence.original(db, who, CASE, "EV-0001")),
    "evidence.purge": (Right.PURGE, lambda db, who: evidence.purge(db, who, CASE, "EV-0001", "wrong case")),
    "evidence.verify_case": (Right.VERIFY, lambda db, who: evidence.verify_case(db, who, CASE)),
    "viewing.log_view": (
        Right.RECORD, lambda db, who: viewing.log_view(db, who, CASE, VIEWED_ACCOUNT, note="checking it is public"),
    ),
    "viewing.viewing_log": (Right.VIEW, lambda db, who: viewing.viewing_log(db, who, CASE)),
    "retention.close_case": (Right.CLOSE, lambda db, who: retention.close_case(db, who, CASE, "Plan ended")),
    "retention.reopen_case": (
        Right.CLOSE, lambda db, who: _closed_first(db, who, Right.CLOSE, retention.reopen_case, "New referral"),
    ),
    "retention.extend_review": (
        Right.CLOSE,
        lambda db, who: _closed_first(db, who, Right.CLOSE, retention.extend_review, "2199-01-01", "Complaint open"),
    ),
    "downloads.offer": (
        Right.DOWNLOAD,
        lambda db, who: downloads.offer(
            db, who, CASE, "evidence.original", sign_in_id=signins.begin(db, who, "password", "key"),
            file_name="r.png", params={"code": "EV-0001"},
        ),
    ),
    "downloads.export_for_download": (
        Right.EXPORT,
        lambda db, who: downloads.export_for_download(
            db, who, CASE, export.ExportOptions("Strategy meeting", "Police"),
            sign_in_id=signins.begin(db, who, "password", "key"),
        ),
    ),
    "retention.review_details": (Right.CLOSE, lambda db, who: retention.review_details(db, who, CASE)),
    "retention.delete_case": (
        Right.DELETE,
        lambda db, who: _closed_first(db, who, Right.DELETE, retention.delete_case, "Period over", confirm=CASE),
    ),
}  # fmt: skip

MODULES = (
    cases, people, observations, facts, crossref, milestones, actions, immediate_risk, timeline, conference, activity,
    evidence, export, need, viewing, persons_of_concern, retention, authorisations, downloads,
)  # fmt: skip
_STATE_TABLES = (
    "users", "cases", "case_members", "people", "accounts", "observations", "observation_versions", "facts",
    "fact_versions", "evidence", "evidence_purges", "evidence_checks", "crossrefs", "crossref_versions",
    "rule_findings", "rule_state", "milestones", "milestone_versions", "actions", "action_versions", "exports",
    "case_levels", "account_views", "case_retention", "case_tombstones", "authorisations", "authorisation_versions",
)  # fmt: skip


def _case_functions() -> set[str]:
    found = set()
    for module in MODULES:
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            if list(inspect.signature(function).parameters)[:3] == ["db", "actor", "reference"]:
                found.add(f"{module.__name__.rsplit('.', 1)[1]}.{name}")
    return found


# Takes a reference, but for a case that does not exist yet: who may open cases is tested below.
OPENS_A_CASE = {"cases.create_case"}


def test_every_case_function_is_in_the_matrix():
    assert _case_functions() == set(CALLS) | OPENS_A_CASE


@pytest.mark.parametrize(
    ("username", "may"),
    [("analyst", True), ("outsider", True), ("admin", True), ("reviewer", False), ("reviewer2", False)],
)
def test_analysts_and_administrators_open_cases_and_reviewers_cannot(matrix_db, username, may):
    actor = users.user_by_name(matrix_db, username)
    if may:
        opened = cases.open_case(matrix_db, actor, "Another", lead="analyst")
        assert opened.reference.startswith("C-")
    else:
        before = _state(matrix_db)
        with pytest.raises(PermissionDenied):
            cases.open_case(matrix_db, actor, "Another", lead="analyst")
        assert _state(matrix_db) == before


@pytest.mark.parametrize("username", ["analyst", "outsider", "admin", "reviewer", "reviewer2"])
def test_no_user_chooses_a_case_reference(matrix_db, username):
    """Only the operator at the shell names a reference (the demo, fixtures): a user's refusal of
    one they chose would tell them another case holds it."""
    before = _state(matrix_db)
    with pytest.raises(PermissionDenied):
        cases.create_case(matrix_db, users.user_by_name(matrix_db, username), "CASE-2", "Another", lead="analyst")
    assert _state(matrix_db) == before


def test_the_expected_table_covers_every_part_and_right():
    assert set(EXPECTED) == set(PARTS)
    assert all(set(rights) == set(Right) for rights in EXPECTED.values())


@pytest.fixture(scope="module")
def matrix_template(tmp_path_factory, template_db_path):
    """CASE-1 with a member or outsider for every part, a bystander to add and remove, one observation."""
    settings = Settings(home=tmp_path_factory.mktemp("matrix"))
    install_template(template_db_path, settings)
    db = open_home(settings)
    for username, role in (
        ("admin2", "admin"),
        ("outsider", "analyst"),
        ("reviewer2", "reviewer"),
        ("bystander", "analyst"),
    ):
        users.create_user(db, SYSTEM, username, role, f"{username}-long-password-2026")
    cases.add_member(db, SYSTEM, CASE, "analyst2", "analyst")
    cases.add_member(db, SYSTEM, CASE, "admin2", "analyst")
    cases.add_member(db, SYSTEM, CASE, "bystander", "reviewer")
    observations.record(db, users.user_by_name(db, "analyst"), CASE, OBSERVATION)
    facts.add_fact(db, users.user_by_name(db, "analyst"), CASE, FACT)
    facts.add_fact(db, users.user_by_name(db, "analyst"), CASE, {**FACT, "attribute": "gender", "value": "female"})
    crossref.link(db, users.user_by_name(db, "analyst"), CASE, "OBS-0001", "F-0001", "context", "seen together")
    milestones.add_milestone(
        db, users.user_by_name(db, "analyst"), CASE, {"kind": "referral", "occurred_at": "2026-02-01"}
    )
    actions.add_action(
        db, users.user_by_name(db, "analyst"), CASE, {"kind": "reported_to_platform", "observation": "OBS-0001"}
    )
    evidence.add_files(
        db, users.user_by_name(db, "analyst"), CASE, [evidence.Upload.of_bytes("r.png", _png("red"))], CAPTURE
    )
    people.add_account(db, users.user_by_name(db, "analyst"), CASE, "instagram", VIEWED_ACCOUNT)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return settings.home


@pytest.fixture
def matrix_db(matrix_template, tmp_path):
    """A copy of the template home: the database and the evidence store."""
    home = tmp_path / "home"
    shutil.copytree(matrix_template, home)
    db = open_home(Settings(home=home))
    yield db
    db.conn.close()


def _state(db) -> dict[str, list]:
    return {table: list(db.query(f"SELECT * FROM [{table}]")) for table in _STATE_TABLES}  # noqa: S608


def _last_seq(db) -> int:
    return db.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0]


@pytest.mark.parametrize("part", list(PARTS))
@pytest.mark.parametrize("function", list(CALLS))
def test_matrix(matrix_db, function, part):
    right, call = CALLS[function]
    expected = EXPECTED[part][right]
    actor = users.user_by_name(matrix_db, PARTS[part])
    before, seq = _state(matrix_db), _last_seq(matrix_db)
    if expected == ALLOWED:
        call(matrix_db, actor)
        events = list(matrix_db.query("SELECT username, case_ref FROM audit_events WHERE seq > ?", (seq,)))
        assert {"username": actor.username, "case_ref": CASE} in events, "an allowed call leaves an audit event"
        return
    raised = PermissionDenied if expected == DENIED else NotFound
    with pytest.raises(raised) as refusal:
        call(matrix_db, actor)
    if expected == HIDDEN:
        assert str(refusal.value) == f"Case {CASE} not found."
        # ... exactly what a reference that matches nothing says
        with pytest.raises(NotFound, match="^Case CASE-404 not found.$"):
            access.authorize(matrix_db, actor, right, "CASE-404")
    assert _state(matrix_db) == before, "a refusal changes nothing"
    events = list(matrix_db.query("SELECT username, action, case_ref FROM audit_events WHERE seq > ?", (seq,)))
    if expected == HIDDEN:
        # ... but leaves its trace (issue 24 point 7): a case.refused event filed under the case it
        # names, and under none for the reference that names no case.
        assert {(e["username"], e["action"]) for e in events} == {(actor.username, "case.refused")}
        assert [e["case_ref"] for e in events] == [CASE] * (len(events) - 1) + [None]
    else:
        assert events == [], "a refusal the user is told of in its own words leaves no event"


@pytest.mark.parametrize("part", list(PARTS))
def test_authorize_agrees_with_the_table_for_every_right(matrix_db, part):
    actor = users.user_by_name(matrix_db, PARTS[part])
    for right, expected in EXPECTED[part].items():
        outcome = ALLOWED
        try:
            access.authorize(matrix_db, actor, right, CASE)
        except PermissionDenied:
            outcome = DENIED
        except NotFound:
            outcome = HIDDEN
        assert outcome == expected, f"{part} / {right}"

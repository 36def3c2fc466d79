"""Persons of concern (strategy 6.8): who, their accounts, the observations that link them to the
child, and the standing note that they may be children too; the domain and the CLI. Fictional data."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import CASE, cli_ok, cli_refused
from workbench import conference, observations, people, persons_of_concern
from workbench.errors import NotFound


@pytest.fixture
def concern(db, analyst, observation_input):
    """P-0002 a person of concern with two accounts; P-0003 an associate; observations linking P-0002
    every way, one retracted, one amended, one about the associate only."""
    people.add_person(db, analyst, CASE, "'Rook' (adult contact, demo)", "person_of_concern", notes="Age unknown")
    people.add_person(db, analyst, CASE, "Classmate (demo)", "associate")
    people.add_account(db, analyst, CASE, "Instagram", "@rook.demo", person="P-0002")  # AC-0001
    people.add_account(db, analyst, CASE, "Snapchat", "rook.snaps.demo", person="P-0002")  # AC-0002
    people.add_account(db, analyst, CASE, "TikTok", "@classmate.demo", person="P-0003")  # AC-0003

    def record(summary, observed_at, **fields):
        return observations.record(
            db, analyst, CASE, observation_input(summary=summary, observed_at=observed_at, **fields)
        ).code

    record("About Rook directly", "2025-03-10 09:00", person="P-0002")  # OBS-0001
    record("Post on Rook's Instagram", "2025-03-12 09:00", account="AC-0001", immediate_risk=True)  # OBS-0002
    record(  # OBS-0003: names Rook's Snapchat handle
        "Messages from an adult",
        "2025-03-14 09:00",
        kind="contact_event",
        indicator="unknown_adult_contact",
        details={"counterpart_handle": "rook.snaps.demo"},
    )
    record("Retracted sighting", "2025-03-01 09:00", account="AC-0002")  # OBS-0004
    observations.retract(db, analyst, CASE, "OBS-0004", "wrong account")
    record("Classmate's post", "2025-03-20 09:00", account="AC-0003")  # OBS-0005
    record("Child's own post", "2025-03-21 09:00")  # OBS-0006: about the child only
    observations.amend(
        db,
        analyst,
        CASE,
        "OBS-0001",
        observation_input(summary="About Rook directly (amended)", observed_at="2025-03-10 09:00", person="P-0002"),
        "clearer",
    )


def test_each_person_of_concern_with_accounts_and_linked_observations(db, reviewer, concern):
    found = persons_of_concern.persons_of_concern(db, reviewer, CASE)
    assert [p.code for p in found.people] == ["P-0002"]  # the associate is not one
    rook = found.people[0]
    assert (rook.name, rook.pseudonym, rook.notes) == ("'Rook' (adult contact, demo)", "Person B", "Age unknown")
    assert rook.accounts[["code", "platform", "handle"]].values.tolist() == [
        ["AC-0001", "Instagram", "@rook.demo"],
        ["AC-0002", "Snapchat", "rook.snaps.demo"],
    ]
    linked = rook.observations
    assert linked["code"].tolist() == ["OBS-0001", "OBS-0002", "OBS-0003"]  # not the retracted OBS-0004
    assert linked["link"].tolist() == ["about them", "on their account AC-0001", "names their account AC-0002"]
    assert linked.iloc[0]["summary"] == "About Rook directly (amended)"  # the current version
    assert linked["kind"].tolist() == ["Profile indicator", "Profile indicator", "Contact event"]
    assert linked["immediate_risk"].tolist() == [False, True, False]
    assert linked.iloc[0]["grade"] == "2 / B / P"
    assert (rook.count, rook.immediate_risk) == (3, 1)
    assert (rook.first_seen, rook.last_seen) == ("2025-03-10T09:00:00Z", "2025-03-14T09:00:00Z")


def test_an_observation_linking_them_two_ways_is_listed_once(db, analyst, concern, observation_input):
    observations.record(
        db,
        analyst,
        CASE,
        observation_input(
            kind="contact_event",
            indicator="meeting_request",
            summary="On Rook's Instagram, about the child: his Snapchat asks her to meet",
            account="AC-0001",
            person="P-0001",
            details={"counterpart_handle": "rook.snaps.demo"},
        ),
    )
    rook = persons_of_concern.persons_of_concern(db, analyst, CASE).people[0]
    row = rook.observations[rook.observations["code"] == "OBS-0007"]
    assert len(row) == 1
    assert row.iloc[0]["link"] == "on their account AC-0001; names their account AC-0002"


def test_the_standing_note_says_they_may_be_a_child_too(db, reviewer):
    found = persons_of_concern.persons_of_concern(db, reviewer, CASE)
    assert found.people == []
    assert "may be a child too" in found.note
    assert "6.8" in found.note and "safeguarding procedures apply to them" in found.note


def test_a_person_without_observations_or_accounts(db, analyst):
    people.add_person(db, analyst, CASE, "Unknown adult (demo)", "person_of_concern")
    person = persons_of_concern.persons_of_concern(db, analyst, CASE).people[0]
    assert person.accounts.empty and person.observations.empty
    assert (person.count, person.first_seen, person.last_seen, person.immediate_risk) == (0, None, None, 0)


def test_listing_is_audited(db, reviewer, concern):
    persons_of_concern.persons_of_concern(db, reviewer, CASE)
    event = db.execute(
        "SELECT username, action, case_ref, details FROM audit_events ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    assert event[:3] == ("reviewer", "person_of_concern.list", CASE)
    assert json.loads(event[3]) == {"people": 1, "observations": 3}


def test_an_outsider_finds_no_case(db, analyst2):
    with pytest.raises(NotFound, match=f"^Case {CASE} not found.$"):
        persons_of_concern.persons_of_concern(db, analyst2, CASE)


# --- the command line ----------------------------------------------------------------------------


def test_cli_lists_them_as_a_table_with_the_note(run, db, concern):
    out = cli_ok(run("concern", "list", CASE, "--as", "reviewer"))
    assert out.startswith("Note: A person of concern may be a child too.")
    assert "P-0002" in out and "AC-0001 Instagram @rook.demo" in out
    assert "OBS-0001 OBS-0002 OBS-0003" in out
    assert "P-0003" not in out


def test_cli_csv_is_one_row_per_person(run, db, concern):
    rows = list(csv.DictReader(io.StringIO(cli_ok(run("concern", "list", CASE, "--as", "analyst", "--format", "csv")))))
    assert len(rows) == 1
    assert rows[0]["code"] == "P-0002" and rows[0]["observations"] == "3" and rows[0]["immediate_risk"] == "1"
    assert rows[0]["first_seen"] == "2025-03-10T09:00:00Z"


def test_cli_json_holds_the_note_accounts_and_observations(run, db, concern):
    data = json.loads(cli_ok(run("concern", "list", CASE, "--as", "analyst", "--format", "json")))
    assert "may be a child too" in data["note"]
    (rook,) = data["people"]
    assert [a["handle"] for a in rook["accounts"]] == ["@rook.demo", "rook.snaps.demo"]
    assert [o["code"] for o in rook["observations"]] == ["OBS-0001", "OBS-0002", "OBS-0003"]
    assert rook["observations"][1]["immediate_risk"] is True
    assert rook["count"] == 3


def test_cli_refuses_an_outsider_without_a_traceback(run, db):
    out = cli_refused(run("concern", "list", CASE, "--as", "analyst2"))
    assert f"Case {CASE} not found" in out


# --- the conference view ---------------------------------------------------------------------------


def test_the_conference_view_lists_them_and_hides_names_and_handles_with_pseudonyms_only(db, reviewer, concern):
    plain = conference.conference_view(db, reviewer, CASE)
    assert "may be a child too" in plain.concern_note
    row = plain.persons_of_concern.iloc[0].to_dict()
    assert row["person"] == "Person B · 'Rook' (adult contact, demo)"
    assert row["accounts"] == "Instagram @rook.demo; Snapchat rook.snaps.demo"
    assert (row["observations"], row["immediate_risk"], row["linked"]) == (3, 1, "OBS-0001 OBS-0002 OBS-0003")
    assert row["first_seen"] == "10 Mar 2025 09:00"

    hidden = conference.conference_view(db, reviewer, CASE, pseudonyms_only=True).persons_of_concern
    assert hidden["person"].tolist() == ["Person B"]
    assert hidden["accounts"].tolist() == ["Instagram AC-0001; Snapchat AC-0002"]
    assert "rook" not in hidden.to_csv().lower()

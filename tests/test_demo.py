"""The fictional demo case loads whole, covers every kind and every Five C, and stays fictional."""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from urllib.parse import urlsplit

import pytest

from workbench import facts, observations, people, users
from workbench.config import Settings
from workbench.db import open_home
from workbench.demo import DEMO_DIR, load_demo
from workbench.schemas import load_catalog
from workbench.timeutil import local

REFERENCE = "DEMO-001"
URL_PATTERN = re.compile(r"(?:https?://|www\.)[^\s\"'<>]+", re.IGNORECASE)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".heif", ".bmp", ".tif", ".tiff", ".avif")


def _csv_rows(name: str) -> list[dict]:
    with (DEMO_DIR / name).open(encoding="utf-8-sig", newline="") as f:
        return [row for row in csv.DictReader(f, strict=True) if any((v or "").strip() for v in row.values())]


@pytest.fixture
def demo(tmp_path):
    db = open_home(Settings(home=tmp_path / "home"))
    assert load_demo(db) is True
    actor = users.user_by_name(db, "demo-analyst")
    yield db, actor
    db.conn.close()


@pytest.fixture
def obs(demo):
    db, actor = demo
    return observations.list_observations(db, actor, REFERENCE)


def _strings(value):
    """Every string inside a details value, however deeply nested."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _is_fictional_url(url: str) -> bool:
    candidate = url if "://" in url else "https://" + url
    host = (urlsplit(candidate).hostname or "").lower().rstrip(".")
    return host.endswith(".example") or host == "example"


def test_observation_count_matches_the_file_and_is_about_thirty(obs):
    assert 28 <= len(obs) <= 34
    assert len(obs) == len(_csv_rows("observations.csv"))


def test_the_file_names_only_input_fields():
    with (DEMO_DIR / "observations.csv").open(encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f))
    assert set(header) <= set(observations.INPUT_FIELDS)
    assert set(observations.REQUIRED_IMPORT_COLUMNS) <= set(header)


def test_every_kind_appears(obs):
    assert set(load_catalog().kinds) <= set(obs["kind"])


def test_every_five_c_appears(obs):
    assert set(load_catalog().values("five_cs")) <= set(obs["five_c"])


def test_at_least_one_immediate_risk(obs):
    assert int(obs["immediate_risk"].sum()) >= 1


def test_facts_loaded_with_date_of_birth_from_school(demo):
    db, actor = demo
    frame = facts.list_facts(db, actor, REFERENCE)
    expected = _csv_rows("facts.csv")
    assert len(frame) == len(expected)
    dob_rows = [r for r in expected if r["attribute"] == "date_of_birth" and r["source_agency"] == "school"]
    assert dob_rows, "facts.csv should hold a date of birth from the school"
    loaded = frame[(frame["attribute"] == "date_of_birth") & (frame["source_agency"] == "school")]
    assert len(loaded) == len(dob_rows)
    assert set(loaded["value"]) == {r["value"] for r in dob_rows}
    assert "P-0001" in set(loaded["person"])  # the subject, Child A


def test_a_stated_age_contradicts_the_known_date_of_birth(demo, obs):
    """The demo shows the false-age indicator: a profile claims an age the school record rules out."""
    db, actor = demo
    frame = facts.list_facts(db, actor, REFERENCE)
    dob = date.fromisoformat(
        frame[(frame["attribute"] == "date_of_birth") & (frame["person"] == "P-0001")]["value"].iloc[0]
    )
    stated = obs[(obs["indicator"] == "stated_age") & (obs["person"] == "P-0001")]
    assert not stated.empty
    contradictions = 0
    for row in stated.itertuples():
        seen = local(row.observed_at).date()
        real_age = seen.year - dob.year - ((seen.month, seen.day) < (dob.month, dob.day))
        if json.loads(row.details)["stated_age"] != real_age:
            contradictions += 1
    assert contradictions >= 1


def test_loading_twice_returns_false_and_adds_nothing(demo):
    db, _ = demo
    before = {name: db[name].count for name in db.table_names()}
    assert load_demo(db) is False
    after = {name: db[name].count for name in db.table_names()}
    assert after == before


def test_every_url_is_fictional(demo, obs):
    db, actor = demo
    found = []
    for row in obs.itertuples():
        if row.url:
            found.append(row.url)
        for text in [row.summary, *_strings(json.loads(row.details))]:
            found.extend(URL_PATTERN.findall(text))
    accounts = people.list_accounts(db, actor, REFERENCE)
    for row in accounts.itertuples():
        if row.url:
            found.append(row.url)
        for text in (row.handle, row.notes or ""):
            found.extend(URL_PATTERN.findall(text))
    assert found, "the demo should show some (fictional) URLs"
    bad = [url for url in found if not _is_fictional_url(url)]
    assert bad == []


def test_image_sharing_incidents_hold_no_link_to_an_image(obs):
    incidents = obs[obs["kind"] == "image_sharing_incident"]
    assert not incidents.empty
    for row in incidents.itertuples():
        path = urlsplit(row.url or "").path.lower()
        assert not path.endswith(IMAGE_SUFFIXES), f"{row.code} links to an image file"
        details = json.loads(row.details)
        assert not [s for s in _strings(details) if URL_PATTERN.search(s)], f"{row.code} has a link in its details"
        assert details.get("what_was_seen") and details.get("where_seen")

import json

from tests.pages.conftest import button, errors, seat, signed_in

PAGE = "pages/record_observation.py"


def _count(db) -> int:
    return db.execute("SELECT COUNT(*) FROM observation_versions").fetchone()[0]


def _fill_stated_age(at, *, summary: str, age: int | None):
    at.selectbox(key="record_indicator_profile_indicator").set_value("stated_age").run()
    at.text_area(key="record_0_summary").input(summary)
    at.selectbox(key="record_0_profile_indicator_profile_element").set_value("bio")
    if age is not None:
        at.number_input(key="record_0_profile_indicator_stated_age").set_value(age)
    at.selectbox(key="record_0_account").set_value("AC-0001")
    at.selectbox(key="record_0_source_type").set_value("analyst_viewed")
    at.radio(key="record_0_source").set_value("2")
    at.radio(key="record_0_information").set_value("A")


def test_the_form_records_an_observation_with_the_schema_fields(db):
    at = signed_in(db, "demo-analyst", page=PAGE)
    assert not at.exception
    _fill_stated_age(at, summary="Bio now states age 21", age=21)
    button(at, "Record observation").click().run()
    assert not at.exception
    assert any("Recorded OBS-" in s.value for s in at.success)
    row = db.execute(
        """SELECT v.summary, v.details, v.five_c, v.source_grade, v.information_grade, v.handling_code
           FROM observation_versions v ORDER BY v.id DESC LIMIT 1"""
    ).fetchone()
    assert row[0] == "Bio now states age 21"
    assert json.loads(row[1]) == {"profile_element": "bio", "stated_age": 21}
    assert row[2:] == ("content", "2", "A", "P")
    # the next observation starts from an empty form
    assert at.text_area(key="record_1_summary").value == ""


def test_missing_fields_are_named_and_nothing_is_written(db):
    before = _count(db)
    at = signed_in(db, "demo-analyst", page=PAGE)
    _fill_stated_age(at, summary="", age=None)
    button(at, "Record observation").click().run()
    assert not at.exception
    shown = errors(at)
    assert "summary" in shown and "stated\\_age" in shown
    assert _count(db) == before
    # the typed values survive the refusal
    assert at.selectbox(key="record_0_account").value == "AC-0001"


def test_image_sharing_incident_warns_that_no_image_may_be_kept(db):
    at = signed_in(db, "demo-analyst", page=PAGE)
    at.selectbox(key="record_kind").set_value("image_sharing_incident").run()
    assert any("Never view again, copy, screenshot" in w.value for w in at.warning)
    assert not at.file_uploader


def test_a_reviewer_who_reaches_the_page_is_refused(db):
    # Navigation hides the page from reviewers; the check must hold without it, e.g. for a stale
    # session whose account became a reviewer. Register the page as an analyst, then switch user.

    at = signed_in(db, "demo-analyst")
    seat(at, db, "demo-reviewer")
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "does not allow you to record" in errors(at)
    assert not [b for b in at.button if b.label == "Record observation"]


def test_hostile_text_is_stored_as_typed_and_shown_as_text(db):
    hostile = '=HYPERLINK("http://evil.example") **bold** [link](http://evil.example) <b>html</b>'
    at = signed_in(db, "demo-analyst", page=PAGE)
    _fill_stated_age(at, summary=hostile, age=19)
    button(at, "Record observation").click().run()
    code = next(s.value for s in at.success).split()[1].rstrip(".")
    at.switch_page("pages/observations.py")
    at.query_params["obs"] = code
    at.run()
    assert not at.exception
    assert hostile in [t.value for t in at.text]
    assert all(hostile not in m.value for m in at.markdown)

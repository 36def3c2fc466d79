"""Authorisations, on the demo: the table with AUTH-0001's review overdue and the warning; recording
one through the form, and a bad date named under its widget with nothing stored; opening one for its
versions; a review through the form; retracting; a reviewer gets no forms. And where the pages of a
case show authorisation: the case overview's banners, the Observations page's "Recorded without
authorisation" warning, and the Record observation form asking why once recording was refused."""

from __future__ import annotations

from streamlit.testing.v1.element_tree import Block

from tests.conftest import OBSERVATION_INPUT
from tests.pages.conftest import button, errors, signed_in, texts
from workbench import access, authorisations, cases, observations, users
from workbench.ui.safe import escape

PAGE = "pages/authorisations.py"
OVERVIEW = "pages/case_overview.py"
OBSERVATIONS = "pages/observations.py"
RECORD = "pages/record_observation.py"
CASE, BARE = "DEMO-001", "DEMO-002"
ANALYST, REVIEWER = "demo-analyst", "demo-reviewer"
ADD = "add_authorisation_0"
OVERDUE = "Research authorisation review overdue."
REASON = "Seen while checking a report from school; the manager is asked for an authorisation (fictional)."
WHY = "Why it is recorded without authorisation *"
NONE_IN_FORCE = "No research authorisation is in force in this case."


def _page(db, username: str = ANALYST, *, case: str = CASE, page: str = PAGE, code: str | None = None):
    at = signed_in(db, username, case=case, page=page)
    assert not at.exception, at.exception
    if code:
        at.selectbox(key="open_authorisation").set_value(code).run()
        assert not at.exception, at.exception
    return at


def _actor(db, username: str = ANALYST):
    return users.user_by_name(db, username)


def _case_id(db, reference: str = CASE) -> int:
    return db.execute("SELECT id FROM cases WHERE reference = ?", (reference,)).fetchone()[0]


def _versions(db, code: str = "AUTH-0001") -> list[tuple]:
    return db.execute(
        """SELECT v.version, v.review_date, v.ends_on, v.retracted, v.change_reason FROM authorisation_versions v
           JOIN authorisations a ON a.id = v.authorisation_id WHERE a.code = ? AND a.case_id = ? ORDER BY v.version""",
        (code, _case_id(db)),
    ).fetchall()


def _count(db) -> tuple[int, int]:
    return (
        db.execute("SELECT COUNT(*) FROM authorisations").fetchone()[0],
        db.execute("SELECT COUNT(*) FROM authorisation_versions").fetchone()[0],
    )


def _table(at):
    return next(d.value for d in at.dataframe if "state" in d.value.columns)


def _history(at):
    return next(d.value for d in at.dataframe if "change_reason" in d.value.columns)


def _text_input(at, label: str):
    found = [t for t in at.text_input if t.label == label]
    assert len(found) == 1, [t.label for t in at.text_input]
    return found[0]


def _text_area(at, label: str):
    found = [t for t in at.text_area if t.label == label]
    assert len(found) == 1, [t.label for t in at.text_area]
    return found[0]


def _error_under(at, key: str) -> str | None:
    """The error shown directly beneath the widget keyed `key`, if there is one."""
    nodes = [n for n in at.main if not isinstance(n, Block)]
    place = next(i for i, n in enumerate(nodes) if getattr(n, "key", None) == key)
    following = nodes[place + 1] if place + 1 < len(nodes) else None
    return following.value if following is not None and following.type == "error" else None


def _overdue_banner(at) -> list[str]:
    return [w.value for w in at.warning if w.value.startswith(OVERDUE)]


def _fill(at, **typed) -> None:
    """The add form: the purpose typed in its text area, the rest in text inputs by label."""
    _text_area(at, "Purpose *").input(typed.pop("Purpose *", "Section 47 enquiry (fictional)"))
    values = {
        "Lawful basis *": "Children Act 1989 s.47 (fictional)",
        "Authorised by *": "Team manager (fictional)",
        "Review by *": "2027-01-31",
    } | typed
    for label, value in values.items():
        _text_input(at, label).input(value)


def _bare_case(db) -> None:
    """DEMO-002, led by the demo analyst, with no authorisation."""
    cases.create_case(db, access.SYSTEM, BARE, "Second demo case (no authorisation)", lead=ANALYST)


def _unauthorised_observation(db) -> str:
    _bare_case(db)
    given = {**OBSERVATION_INPUT, "observed_at": "2026-11-20 10:00", "unauthorised_reason": REASON}
    return observations.record(db, _actor(db), BARE, given).code


# --- the table -------------------------------------------------------------------------------------


def test_the_table_shows_auth_0001_review_overdue_and_the_warning(db):
    at = _page(db)
    assert [t.value for t in at.title] == ["Authorisations"]
    table = _table(at)
    assert table[
        ["code", "state", "review_date", "authorised_on", "scope", "reference", "version"]
    ].values.tolist() == [
        ["AUTH-0001", "REVIEW OVERDUE", "20 Nov 2026", "06 Jul 2026", "the whole case", "DEMO-AUTH-12", 2]
    ]
    [banner] = _overdue_banner(at)
    assert escape("AUTH-0001: review was due 20 Nov 2026 (the whole case)") in banner


def test_recording_one_through_the_form(db):
    at = _page(db)
    before = _count(db)
    _fill(at, **{"Their reference": "FIC-AUTH-77", "Authorised on": "2026-11-24"})
    at.multiselect(key=f"{ADD}_platforms").set_value(["Instagram", "TikTok"])
    button(at, "Record authorisation").click().run()
    assert not at.exception, at.exception
    assert escape("Recorded AUTH-0002.") in [s.value for s in at.success]
    assert _count(db) == (before[0] + 1, before[1] + 1)
    frame = authorisations.authorisations_frame(db, _case_id(db)).set_index("code")
    stored = frame.loc["AUTH-0002"]
    assert (stored["authorised_on"], stored["review_date"], stored["scope"], stored["reference"]) == (
        "2026-11-24", "2027-01-31", "Instagram, TikTok", "FIC-AUTH-77",
    )  # fmt: skip
    assert (stored["purpose"], stored["recorded_by"]) == ("Section 47 enquiry (fictional)", ANALYST)
    table = _table(at)
    assert table.set_index("code").loc["AUTH-0002", "state"] == "in force"
    assert _text_area(at, "Purpose *").value == ""  # an empty form for the next one


def test_a_bad_review_date_is_named_under_its_widget_and_nothing_is_stored(db):
    at = _page(db)
    before = _count(db)
    _fill(at, **{"Review by *": "31/01/2027"})
    button(at, "Record authorisation").click().run()
    assert not at.exception, at.exception
    assert _count(db) == before
    assert _error_under(at, f"{ADD}_review") == escape("must be a date as YYYY-MM-DD")
    assert "review\\_date" in errors(at)
    assert not at.success
    # the typed values survive the refusal
    assert _text_input(at, "Authorised by *").value == "Team manager (fictional)"


def test_a_future_authorised_on_and_a_missing_purpose_are_both_named(db):
    at = _page(db)
    before = _count(db)
    _fill(at, **{"Purpose *": "", "Authorised on": "2099-01-01"})
    button(at, "Record authorisation").click().run()
    assert not at.exception, at.exception
    assert _count(db) == before
    assert "cannot be in the future" in _error_under(at, f"{ADD}_on")
    assert _error_under(at, f"{ADD}_purpose") == "is required"


# --- one authorisation -----------------------------------------------------------------------------


def test_opening_one_shows_its_versions(db):
    at = _page(db, code="AUTH-0001")
    assert "AUTH-0001" in [s.value for s in at.subheader]
    history = _history(at)
    assert history["version"].tolist() == [1, 2]
    assert history["review_date"].tolist() == ["2026-10-06", "2026-11-20"]
    assert history["change_reason"].tolist()[0] == ""
    assert history["change_reason"].tolist()[1].startswith("Reviewed at the strategy meeting")
    events = db.execute("SELECT username, item_code FROM audit_events WHERE action = 'authorisation.view'").fetchall()
    assert (ANALYST, "AUTH-0001") in events


def test_a_review_through_the_form_adds_a_version_and_clears_the_warning(db):
    at = _page(db, code="AUTH-0001")
    assert _text_input(at, "Next review by *").value == "2026-11-20"  # starts from the current version
    _text_input(at, "Next review by *").input("2027-01-05")
    _text_area(at, "What the review decided *").input("Still necessary and proportionate (fictional).")
    button(at, "Save review").click().run()
    assert not at.exception, at.exception
    assert escape("Saved the review of AUTH-0001.") in [s.value for s in at.success]
    assert _versions(db)[-1] == (3, "2027-01-05", None, 0, "Still necessary and proportionate (fictional).")
    assert not _overdue_banner(at)
    assert _table(at).loc[0, "state"] == "in force"
    assert _history(at)["version"].tolist() == [1, 2, 3]


def test_a_review_without_a_reason_is_refused_and_stores_nothing(db):
    at = _page(db, code="AUTH-0001")
    before = _versions(db)
    _text_input(at, "Next review by *").input("2027-01-05")
    button(at, "Save review").click().run()
    assert not at.exception, at.exception
    assert _versions(db) == before
    assert "reason" in errors(at) and "is required" in errors(at)


def test_retracting_through_the_form(db):
    at = _page(db, code="AUTH-0001")
    _text_input(at, "Reason for retracting *").input("Recorded against the wrong case (fictional).")
    button(at, "Retract authorisation").click().run()
    assert not at.exception, at.exception
    assert _versions(db)[-1][3:] == (1, "Recorded against the wrong case (fictional).")
    assert not _overdue_banner(at)
    assert "No research authorisation is recorded in this case." in texts(at)
    at.toggle[0].set_value(True).run()
    assert _table(at)[["code", "state"]].values.tolist() == [["AUTH-0001", "retracted"]]


def test_a_reviewer_sees_the_table_but_gets_no_forms(db):
    at = _page(db, REVIEWER, code="AUTH-0001")
    assert _table(at)["code"].tolist() == ["AUTH-0001"]
    assert _overdue_banner(at)
    assert _history(at)["version"].tolist() == [1, 2]
    labels = [b.label for b in at.button]
    for label in ("Record authorisation", "Save review", "Retract authorisation"):
        assert label not in labels
    assert not [t for t in at.text_input if t.label in ("Review by *", "Next review by *")]


def test_hostile_text_is_shown_as_typed(db):
    hostile = "**bold** <b>x</b> [link](http://example.invalid)"
    given = {
        "purpose": hostile,
        "lawful_basis": "Children Act 1989 s.47",
        "authorised_by": hostile,
        "review_date": "2027-01-31",
    }
    authorisations.add_authorisation(db, _actor(db), CASE, given)
    at = _page(db, code="AUTH-0002")
    row = _table(at).set_index("code").loc["AUTH-0002"]
    assert (row["purpose"], row["authorised_by"]) == (hostile, hostile)
    rendered = [m.value for m in at.markdown] + [w.value for w in at.warning] + [e.value for e in at.error]
    assert not any("<b>" in value or "**bold**" in value for value in rendered)


# --- the case overview, the observations and the record form -----------------------------------------


def test_the_case_overview_shows_the_review_banner(db):
    at = _page(db, page=OVERVIEW)
    [banner] = _overdue_banner(at)
    assert escape("AUTH-0001: review was due 20 Nov 2026") in banner
    assert not [w for w in at.warning if "recorded without authorisation" in w.value]
    assert not [w for w in at.warning if w.value.startswith(NONE_IN_FORCE)]


def test_the_case_overview_shows_what_was_recorded_without_authorisation(db):
    code = _unauthorised_observation(db)
    at = _page(db, case=BARE, page=OVERVIEW)
    warnings = [w.value for w in at.warning]
    assert any(w.startswith(NONE_IN_FORCE) for w in warnings), warnings
    [flagged] = [w for w in warnings if "recorded without authorisation:" in w]
    assert flagged.startswith(f"1 observation(s) recorded without authorisation: {escape(code)}.")
    assert not _overdue_banner(at)


def test_an_authorisation_dated_back_clears_the_overview_banners(db):
    _unauthorised_observation(db)
    authorisations.add_authorisation(
        db,
        _actor(db),
        BARE,
        {"purpose": "s.47", "lawful_basis": "CA 1989 s.47", "authorised_by": "Manager", "authorised_on": "2026-11-01",
         "review_date": "2027-02-01"},
    )  # fmt: skip
    at = _page(db, case=BARE, page=OVERVIEW)
    assert not [w.value for w in at.warning if "authorisation" in w.value]


def test_the_observations_page_says_recorded_without_authorisation(db):
    code = _unauthorised_observation(db)
    at = _page(db, case=BARE, page=OBSERVATIONS)
    table = at.dataframe[0].value
    assert table.set_index("Code").loc[code, "Authorisation"] == "RECORDED WITHOUT"
    at.selectbox(key="open_observation").set_value(code).run()
    assert not at.exception, at.exception
    [warning] = [w.value for w in at.warning if w.value.startswith("Recorded without authorisation")]
    assert warning.endswith("Reason given: " + escape(REASON))


def test_a_covered_observation_has_no_such_warning(db):
    at = _page(db, page=OBSERVATIONS)
    assert set(at.dataframe[0].value["Authorisation"]) == {""}
    at.selectbox(key="open_observation").set_value("OBS-0001").run()
    assert not at.exception, at.exception
    assert not [w for w in at.warning if w.value.startswith("Recorded without authorisation")]


def _fill_observation(at, summary: str) -> None:
    at.selectbox(key="record_indicator_profile_indicator").set_value("stated_age").run()
    at.text_area(key="record_0_summary").input(summary)
    at.selectbox(key="record_0_profile_indicator_profile_element").set_value("bio")
    at.number_input(key="record_0_profile_indicator_stated_age").set_value(19)
    at.selectbox(key="record_0_source_type").set_value("analyst_viewed")
    at.radio(key="record_0_source").set_value("2")
    at.radio(key="record_0_information").set_value("A")


def _observation_rows(db) -> int:
    return db.execute("SELECT COUNT(*) FROM observation_versions").fetchone()[0]


def test_the_record_form_asks_why_once_recording_without_authorisation_was_refused(db):
    _bare_case(db)
    at = _page(db, case=BARE, page=RECORD)
    assert not [t for t in at.text_area if t.label == WHY]  # not asked before it is needed
    before = _observation_rows(db)
    _fill_observation(at, "Bio states age 19 (fictional)")
    button(at, "Record observation").click().run()
    assert not at.exception, at.exception
    assert _observation_rows(db) == before
    assert "unauthorised\\_reason" in errors(at)
    field = _text_area(at, WHY)
    under = _error_under(at, field.key)
    assert under is not None
    assert under.startswith(
        escape("is required: no research authorisation in this case covers an observation naming no")
    )
    assert at.text_area(key="record_0_summary").value == "Bio states age 19 (fictional)"  # kept

    field.input(REASON)
    button(at, "Record observation").click().run()
    assert not at.exception, at.exception
    assert "Recorded OBS-0001." in [s.value for s in at.success]
    assert _observation_rows(db) == before + 1
    recorded = observations.view(db, _actor(db), BARE, "OBS-0001")
    assert (recorded.current.unauthorised_reason, recorded.unauthorised) == (REASON, True)
    assert not [t for t in at.text_area if t.label == WHY]  # the next form starts without it


def test_the_record_form_in_an_authorised_case_never_asks_why(db):
    at = _page(db, page=RECORD)
    before = _observation_rows(db)
    _fill_observation(at, "Bio states age 19 (fictional)")
    button(at, "Record observation").click().run()
    assert not at.exception, at.exception
    assert _observation_rows(db) == before + 1
    assert not [t for t in at.text_area if t.label == WHY]

from tests.pages.conftest import button, errors, signed_in, texts
from workbench.schemas import load_catalog

PAGE = "pages/observations.py"


def _open(db, username: str, code: str | None = None):
    at = signed_in(db, username, page=PAGE if code is None else None)
    if code:
        at.switch_page(PAGE)
        at.query_params["obs"] = code
        at.run()
    return at


def test_the_table_lists_every_current_observation(db):
    at = _open(db, "demo-reviewer")
    assert not at.exception
    table = at.dataframe[0].value
    codes = [r[0] for r in db.execute("SELECT code FROM observations ORDER BY id")]
    assert table["Code"].tolist() == codes


def test_filters_narrow_the_table(db):
    at = _open(db, "demo-analyst")
    at.multiselect[0].set_value(["contact"]).run()
    table = at.dataframe[0].value
    assert len(table) > 0
    assert set(table["Five C"]) == {"Contact"}


def test_opening_one_shows_its_grades_and_history(db):
    at = _open(db, "demo-reviewer", "OBS-0001")
    assert not at.exception
    assert "OBS-0001" in [s.value.split(" ")[0] for s in at.subheader]
    scheme, grade = db.execute(
        """SELECT v.grading_scheme, v.source_grade FROM observation_versions v
           JOIN observations o ON o.id = v.observation_id WHERE o.code = 'OBS-0001'"""
    ).fetchone()
    assert f"Source: {load_catalog().grading(scheme).source_choice(grade).label}:" in texts(at)
    history = at.dataframe[-1].value
    assert history["version"].tolist() == [1]
    assert not [b for b in at.button if b.label in ("Save amendment", "Retract observation")]


def test_amend_adds_a_version_and_keeps_the_first(db):
    at = _open(db, "demo-analyst", "OBS-0001")
    at.text_area(key="amend_OBS-0001_1_summary").input("Bio states age 19 (checked again)")
    reason = next(t for t in at.text_input if t.label == "Reason for the amendment *")
    reason.input("Re-checked the profile")
    button(at, "Save amendment").click().run()
    assert not at.exception
    versions = db.execute(
        """SELECT v.version, v.summary, v.change_reason FROM observation_versions v
           JOIN observations o ON o.id = v.observation_id WHERE o.code = 'OBS-0001' ORDER BY v.version"""
    ).fetchall()
    assert [v[0] for v in versions] == [1, 2]
    assert versions[1][1:] == ("Bio states age 19 (checked again)", "Re-checked the profile")
    assert versions[0][1] != versions[1][1]


def test_amend_without_a_reason_is_refused(db):
    at = _open(db, "demo-analyst", "OBS-0001")
    at.text_area(key="amend_OBS-0001_1_summary").input("Changed")
    button(at, "Save amendment").click().run()
    assert "reason" in errors(at)
    count = db.execute(
        "SELECT COUNT(*) FROM observation_versions v JOIN observations o ON o.id = v.observation_id"
        " WHERE o.code = 'OBS-0001'"
    ).fetchone()[0]
    assert count == 1


def test_retract_keeps_the_record_with_its_reason(db):
    at = _open(db, "demo-analyst", "OBS-0002")
    reason = next(t for t in at.text_input if t.label == "Reason for retracting *")
    reason.input("Entered against the wrong account")
    button(at, "Retract observation").click().run()
    assert not at.exception
    row = db.execute(
        """SELECT v.retracted, v.change_reason FROM observation_versions v JOIN observations o
           ON o.id = v.observation_id WHERE o.code = 'OBS-0002' ORDER BY v.version DESC LIMIT 1"""
    ).fetchone()
    assert row == (1, "Entered against the wrong account")
    at.query_params.pop("obs", None)
    at.run()
    assert "OBS-0002" not in at.dataframe[0].value["Code"].tolist()


def test_an_unknown_observation_code_says_not_found(db):
    at = _open(db, "demo-analyst", "OBS-9999")
    assert "OBS\\-9999 not found" in errors(at)

from tests.pages.conftest import errors, signed_in, texts

PAGE = "pages/case_overview.py"


def test_overview_counts_match_the_database(db):
    at = signed_in(db, "demo-reviewer", page=PAGE)
    assert not at.exception
    stored = db.execute(
        """SELECT COUNT(*) FROM observations o JOIN observation_versions v ON v.observation_id = o.id
           AND v.version = (SELECT MAX(version) FROM observation_versions WHERE observation_id = o.id)
           WHERE v.retracted = 0"""
    ).fetchone()[0]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Observations"] == str(stored)
    assert "DEMO-001 · Online footprint review (demo) · case-management number EH-DEMO-0142" in texts(at)
    people = next(d.value for d in at.dataframe if "pseudonym" in d.value.columns)
    assert "Child A" in people["pseudonym"].tolist()


def test_a_case_you_are_not_a_member_of_does_not_exist(db, outsider):
    at = signed_in(db, outsider, page=PAGE)
    assert not at.exception
    assert "Case DEMO\\-001 not found" in errors(at)
    assert not at.metric and not at.dataframe


def test_a_case_that_does_not_exist_reads_the_same(db, outsider):
    at = signed_in(db, outsider, case="NOPE-999", page=PAGE)
    assert "Case NOPE\\-999 not found" in errors(at)


def test_without_a_case_the_page_points_to_the_cases_list(db):
    at = signed_in(db, "demo-analyst", case=None, page=PAGE)
    assert not at.exception
    assert any("Choose a case" in i.value for i in at.info)

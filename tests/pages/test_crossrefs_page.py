"""Cross-references: the metrics are the domain's counts, the worst status comes first, the status and
person filters narrow the tables, the claims-against-facts matrix marks the false age, facts nothing
touched are listed, trusted sources that disagree are said so, and opening the page is audited."""

from __future__ import annotations

import string

from tests.pages.conftest import signed_in
from workbench import crossref, facts, observations, people, users
from workbench.schemas import load_catalog
from workbench.ui.safe import escape
from workbench.veracity import STATUSES

PAGE = "pages/crossrefs.py"
CASE = "DEMO-001"
ANALYST = "demo-analyst"
FALSE_AGE = "false age stated"


def _page(db, username: str = ANALYST):
    at = signed_in(db, username, page=PAGE)
    assert not at.exception, at.exception
    return at


def _review(db) -> crossref.Review:
    return crossref.review(db, users.user_by_name(db, ANALYST), CASE)


# Each table by a column only it has (the dataframes' keys do not reach AppTest's elements).
_TABLES = {
    "observations": "rests_on_one_untested_source",
    "links": "threshold",
    "matrix": "claims",
    "untouched": "record",
}


def _table(at, name: str):
    column = _TABLES[name]
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) == 1, f"{len(found)} tables with a {column!r} column"
    return found[0]


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _labels() -> dict[str, str]:
    """Status value -> the label the page shows."""
    return dict(load_catalog().pairs("veracity_statuses"))


def _plain(markdown: str) -> str:
    """What a reader sees of Markdown made with ui.safe.escape: the backslashes gone."""
    for ch in string.punctuation:
        markdown = markdown.replace("\\" + ch, ch)
    return markdown


def _person_filter(at):
    return next(s for s in at.selectbox if s.label == "Person")


def _record_about(db, person: str) -> str:
    """An observation about someone other than Child A (a fictional note from school)."""
    made = observations.record(
        db,
        users.user_by_name(db, ANALYST),
        CASE,
        {
            "kind": "general_note",
            "indicator": "note",
            "summary": "School friend says she has been skipping lunch all week",
            "details": {"note": "Told the form tutor on Monday (fictional)."},
            "person": person,
            "source_type": "supplied_school",
            "source_grade": "2",
            "information_grade": "B",
            "handling_code": "P",
            "observed_at": "2026-11-19 09:00",
            "visibility": "public",
        },
    )
    return made.code


# --- metrics -----------------------------------------------------------------------------------------


def test_the_metrics_show_the_counts_the_domain_computes(db):
    at = _page(db)
    found = _review(db).observations
    labels = _labels()
    shown = _metrics(at)
    for status in STATUSES:
        assert shown[labels[status]] == str(int((found["status"] == status).sum())), status
    assert shown["On one untested source"] == str(int(found["rests_on_one_untested_source"].sum()))
    false_ages = int(found["labels"].str.contains(FALSE_AGE, regex=False).sum())
    assert shown["False ages stated"] == str(false_ages)
    assert false_ages == 1  # the demo: OBS-0009's profile states 19 for a child born 2012-05-14
    assert sum(int(shown[labels[s]]) for s in STATUSES) == len(found)


def test_the_metrics_follow_a_new_contradiction(db):
    """One more stated age against the date of birth: one more false age, recomputed on the next run."""
    before = _metrics(_page(db))
    made = observations.record(
        db,
        users.user_by_name(db, ANALYST),
        CASE,
        {
            "kind": "profile_indicator",
            "indicator": "stated_age",
            "summary": "TikTok bio states age 18",
            "details": {"profile_element": "bio", "stated_age": 18},
            "account": "AC-0002",
            "source_type": "analyst_viewed",
            "source_grade": "1",
            "information_grade": "A",
            "handling_code": "P",
            "observed_at": "2026-11-19 10:00",
            "visibility": "public",
            "repeat_viewing_reference": "DEMO-DSA-07",  # AC-0002's fourth view in 28 days
        },
    )
    after = _metrics(_page(db))
    found = _review(db).observations.set_index("code")
    assert FALSE_AGE in found.loc[made.code, "labels"]
    assert int(after["False ages stated"]) == int(before["False ages stated"]) + 1
    assert int(after["Contradicted"]) == int(before["Contradicted"]) + 1


# --- the observations and cross-references tables ------------------------------------------------------


def test_the_worst_status_comes_first_and_the_false_age_is_named(db):
    at = _page(db)
    table = _table(at, "observations")
    labels = _labels()
    order = {labels[s]: i for i, s in enumerate(STATUSES)}
    ranks = table["status"].map(order).tolist()
    assert ranks == sorted(ranks)
    assert table["status"].iloc[0] in (labels["contradicted"], labels["conflicting"])
    row = table.set_index("code").loc["OBS-0009"]
    assert row["status"] in (labels["contradicted"], labels["conflicting"])
    assert FALSE_AGE in row["labels"]
    assert table["code"].tolist() == _review(db).observations["code"].tolist()
    links = _table(at, "links")
    assert links["relation"].iloc[0] == "Contradicts"
    assert {"OBS-0009"} == set(links.loc[links["labels"].str.contains(FALSE_AGE, regex=False), "observation"])


def test_filtering_by_status_leaves_only_that_status(db):
    at = _page(db)
    everything = len(_table(at, "observations"))
    status = next(m for m in at.multiselect if m.label == "Status")
    status.set_value(["corroborated"]).run()
    table = _table(at, "observations")
    expected = set(_review(db).observations.query("status == 'corroborated'")["code"])
    assert expected, "the demo has corroborated observations"
    assert set(table["code"]) == expected
    assert set(table["status"]) == {_labels()["corroborated"]}
    assert f"{len(table)} of {everything} observations, contradicted first." in [c.value for c in at.caption]
    links = _table(at, "links")
    assert len(links) > 0
    assert set(links["observation"]) <= expected


def test_choosing_a_person_narrows_the_tables(db):
    about_friend = _record_about(db, "P-0004")
    at = _page(db)
    everything = set(_table(at, "observations")["code"])
    assert about_friend in everything

    _person_filter(at).set_value("P-0004").run()
    assert not at.exception, at.exception
    assert _table(at, "observations")["code"].tolist() == [about_friend]
    assert _table(at, "untouched").empty  # the case knows no facts about Person D
    assert any(c.value.startswith(f"For {escape('P-0004 · Person D')}:") for c in at.caption)

    _person_filter(at).set_value("P-0001").run()
    shown = set(_table(at, "observations")["code"])
    assert about_friend not in shown
    assert shown == _review(db).concerning("P-0001")
    untouched = _table(at, "untouched")
    assert len(untouched) > 0
    assert set(untouched["person"]) == {"P-0001"}


def test_choosing_a_person_of_concern_shows_the_contacts_with_their_accounts(db):
    """Person B has no trusted facts, only accounts: the contact events with those accounts concern them."""
    rows = db.execute("SELECT a.code FROM accounts a JOIN people p ON p.id = a.person_id WHERE p.code = 'P-0002'")
    accounts = {code for (code,) in rows}
    links = _review(db).crossrefs
    contacts = set(links.loc[links["fact"].isin(accounts), "observation"])
    assert contacts, "the demo has contact events with Person B's accounts"
    at = _page(db)
    _person_filter(at).set_value("P-0002").run()
    assert not at.exception, at.exception
    assert set(_table(at, "observations")["code"]) == contacts
    assert set(_table(at, "links")["observation"]) == contacts
    matrix = _table(at, "matrix").set_index("observation")
    assert set(matrix.index) == contacts
    marks = {mark for column in matrix.columns if column != "claims" for mark in matrix[column] if mark}
    assert marks == {"→ relates to"}


# --- the matrix and the untouched facts ----------------------------------------------------------------


def test_the_matrix_for_child_a_marks_the_false_age(db):
    at = _page(db)
    assert any(c.value.startswith(f"For {escape('P-0001 · Child A')}:") for c in at.caption)
    matrix = _table(at, "matrix").set_index("observation")
    date_of_birth = [c for c in matrix.columns if c.startswith("F-0001 ")]
    assert date_of_birth == ["F-0001 Date of birth: 2012-05-14"]
    assert matrix.loc["OBS-0009", date_of_birth[0]] == "✘ contradicts"
    assert "19" in matrix.loc["OBS-0009", "claims"].split("; ")
    # Nothing else contradicts the date of birth.
    others = matrix.drop(index="OBS-0009")[date_of_birth[0]]
    assert not others.str.contains("contradicts").any()


def test_the_untouched_facts_are_those_no_crossref_touches(db):
    at = _page(db)
    untouched = _table(at, "untouched")
    found = _review(db)
    touched = set(found.crossrefs["fact"])
    assert len(untouched) > 0
    assert set(untouched["code"]).isdisjoint(touched)
    current = set(facts.list_facts(db, users.user_by_name(db, ANALYST), CASE)["code"])
    assert set(untouched["code"]) == current - touched
    assert "F-0001" not in set(untouched["code"])  # the date of birth is held against OBS-0009


# --- disagreements and the audit ------------------------------------------------------------------------


def test_no_disagreement_is_shown_for_the_demo(db):
    at = _page(db)
    assert not [w for w in at.warning if "Trusted sources disagree" in w.value]


def test_a_second_different_date_of_birth_shows_that_trusted_sources_disagree(db):
    second = facts.add_fact(
        db,
        users.user_by_name(db, ANALYST),
        CASE,
        {
            "person": "P-0001",
            "attribute": "date_of_birth",
            "value": "2009-11-30",
            "source_agency": "health",
            "source_reference": "GP registration (demo)",
        },
    )
    at = _page(db)
    warnings = [_plain(w.value) for w in at.warning if w.value.startswith("Trusted sources disagree: ")]
    assert len(warnings) == 1, [w.value for w in at.warning]
    assert "F-0001" in warnings[0]
    assert second in warnings[0]
    assert "2012-05-14" in warnings[0] and "2009-11-30" in warnings[0]
    assert [_plain(w) for w in _review(db).disagreements] == [warnings[0].removeprefix("Trusted sources disagree: ")]


def test_opening_the_page_is_audited(db):
    seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0]
    _page(db, "demo-reviewer")
    events = db.execute(
        "SELECT username, case_ref FROM audit_events WHERE action = 'crossref.review' AND seq > ?", (seq,)
    ).fetchall()
    assert events
    assert set(events) == {("demo-reviewer", CASE)}


# --- user text -------------------------------------------------------------------------------------------


def test_a_pseudonym_is_never_rendered_as_markdown(db):
    hostile = "**Bold** [x](http://e.x)"
    code = people.add_person(
        db, users.user_by_name(db, ANALYST), CASE, "Cousin (fictional)", "family", pseudonym=hostile
    )
    at = _page(db)
    _person_filter(at).set_value(code).run()
    assert not at.exception, at.exception
    rendered = [c.value for c in at.caption] + [m.value for m in at.markdown] + [w.value for w in at.warning]
    for value in rendered:
        assert "**Bold**" not in value and "](http" not in value, value

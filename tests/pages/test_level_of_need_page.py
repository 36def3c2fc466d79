"""The case overview's level of need: not recorded at first; the analyst records one with a
reason (a refusal names the field and stores nothing); the history and the case list show it; a
reviewer reads it but has no form."""

from __future__ import annotations

from tests.pages.conftest import signed_in
from workbench.ui.safe import escape

PAGE = "pages/case_overview.py"


def _page(db, username: str = "demo-analyst"):
    at = signed_in(db, username, page=PAGE)
    assert not at.exception, at.exception
    return at


def _record(at, level: str | None, reason: str):
    [box] = [s for s in at.selectbox if s.label == "Level *"]
    box.set_value(level)
    [why] = [t for t in at.text_input if t.label == "Why *"]
    why.input(reason)
    next(b for b in at.button if b.label == "Record the level").click().run()
    assert not at.exception, at.exception
    return at


def _texts(at) -> list[str]:
    return [t.value for t in at.text]


def test_recording_the_level_of_need_with_a_reason(db):
    at = _page(db)
    assert "Level of need: not recorded yet" in _texts(at)
    _record(at, "child_in_need", "Agreed at the strategy discussion (synthetic)")
    assert any(s.value == escape("Level of need: Level 3: Child in need (s.17).") for s in at.success)
    assert any(t.startswith("Level of need: Level 3: Child in need (s.17) (Child in need (Children Act 1989 s.17))")
               for t in _texts(at))  # fmt: skip
    history = [d for d in at.dataframe if "anchor_label" in d.value.columns]
    assert history[0].value["reason"].tolist() == ["Agreed at the strategy discussion (synthetic)"]
    assert db.execute("SELECT level, reason FROM case_levels").fetchall() == [
        ("child_in_need", "Agreed at the strategy discussion (synthetic)")
    ]


def test_a_level_without_a_reason_is_refused_under_its_field(db):
    at = _record(_page(db), "early_help", "")
    assert any(escape("is required") in e.value for e in at.error)
    assert db.execute("SELECT COUNT(*) FROM case_levels").fetchone()[0] == 0


def test_a_reviewer_reads_the_level_but_cannot_change_it(db):
    _record(_page(db), "early_help", "Early help assessment (synthetic)")
    at = _page(db, "demo-reviewer")
    assert any(t.startswith("Level of need: Level 2: Early help") for t in _texts(at))
    assert not [b for b in at.button if b.label == "Record the level"]

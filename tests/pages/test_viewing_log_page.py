"""Viewing log page: the per-account table as the domain computes it, an account past the limit
flagged; logging a view through the form; past the limit the form asks for the authorisation
reference with the warning beneath it and stores nothing until it is given, then keeps it; refused
fields named under their widgets; a reviewer reads but gets no form; user text shown literally."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from streamlit.testing.v1.element_tree import Block

from tests.pages.conftest import button, errors, signed_in, texts
from workbench import people, users, viewing
from workbench.ui.safe import escape

PAGE = "pages/viewing_log.py"
CASE = "DEMO-001"
ANALYST, REVIEWER = "demo-analyst", "demo-reviewer"
FORM = "view_log_0"
QUIET = "AC-0005"  # 'Marco''s Instagram: no demo observation names it, so its count is ours alone
AUTH = "DEMO-AUTH-12"
HOSTILE = "**bold** <b>x</b> [link](http://example.invalid)"
HOSTILE_PIECES = ("**bold**", "<b>", "[link]", "(http://example.invalid)")


def _ago(**delta) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _actor(db, username: str = ANALYST):
    return users.user_by_name(db, username)


def _page(db, username: str = ANALYST):
    at = signed_in(db, username, page=PAGE)
    assert not at.exception, at.exception
    return at


def _views_before(db, account: str = QUIET, count: int = 3) -> None:
    for days in range(count, 0, -1):
        viewing.log_view(db, _actor(db), CASE, account, _ago(days=days), authorisation_reference=AUTH)


def _stored(db) -> list[tuple]:
    return db.execute(
        "SELECT a.code, v.note, v.authorisation_reference FROM account_views v JOIN accounts a ON a.id = v.account_id"
        " ORDER BY v.id"
    ).fetchall()


def _accounts_table(at):
    return next(d.value for d in at.dataframe if "views_in_period" in d.value.columns)


def _views_table(at):
    return next(d.value for d in at.dataframe if "source" in d.value.columns)


def _fill(at, account: str | None = QUIET, **given: str):
    if account:
        at.selectbox(key=f"{FORM}_account").set_value(account)
    for name, value in given.items():
        at.text_input(key=f"{FORM}_{name}").input(value)
    button(at, "Log view").click().run()
    assert not at.exception, at.exception
    return at


def _error_under(at, key: str) -> str | None:
    nodes = [n for n in at.main if not isinstance(n, Block)]
    place = next(i for i, n in enumerate(nodes) if getattr(n, "key", None) == key)
    following = nodes[place + 1] if place + 1 < len(nodes) else None
    return following.value if following is not None and following.type == "error" else None


def _markdown_like(at) -> list[str]:
    values = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "subheader", "title"):
        values += [str(e.value) for e in at.get(kind)]
    return values


def test_the_accounts_and_every_view_as_the_domain_has_them(db):
    at = _page(db)
    assert [t.value for t in at.title] == ["Viewing log"]
    expected = viewing.viewing_log(db, _actor(db), CASE)
    table = _accounts_table(at)
    assert table["account"].tolist() == expected.accounts["account"].tolist() == [f"AC-{n:04d}" for n in range(1, 8)]
    for column in ("platform", "handle", "whose", "views_in_period", "limit", "views_total"):
        assert table[column].tolist() == expected.accounts[column].tolist(), column
    views = _views_table(at)
    assert views["code"].tolist() == expected.views["code"].tolist()
    assert len(views) == 25  # the demo's observations that name an account
    assert set(views["source"]) == {"observation"}
    assert "25 of 25 views, oldest first." in [c.value for c in at.caption]
    assert db.execute("SELECT COUNT(*) FROM audit_events WHERE action = 'view.list'").fetchone()[0] >= 1


def test_an_account_past_the_limit_is_flagged(db):
    _views_before(db, count=4)
    at = _page(db)
    row = _accounts_table(at).set_index("account").loc[QUIET]
    assert (row["views_in_period"], row["state"]) == (4, "OVER LIMIT")
    assert any("directed surveillance" in w.value for w in at.warning)
    assert f"{QUIET} · Instagram @marco.fastcars.demo · 4 views" in texts(at)


def test_an_account_at_the_limit_says_so_and_is_not_flagged_over(db):
    _views_before(db, count=3)
    at = _page(db)
    assert _accounts_table(at).set_index("account").loc[QUIET, "state"] == "at the limit"
    assert not [w for w in at.warning if "directed surveillance" in w.value]


def test_logging_a_view_through_the_form(db):
    at = _fill(_page(db), note="checking the account is still public", viewed_at="2026-01-06 10:00")
    assert not errors(at)
    assert [s.value for s in at.success] == [escape(f"Logged VW-0001 ({QUIET}).")]
    assert _stored(db) == [(QUIET, "checking the account is still public", "")]
    assert "VW-0001" in _views_table(at)["code"].tolist()
    # The form starts empty again.
    assert at.text_input(key="view_log_1_note").value == ""


def test_past_the_limit_the_form_asks_for_the_reference_with_the_warning_then_keeps_it(db):
    _views_before(db)
    at = _fill(_page(db), note="one more look")
    assert _stored(db)[3:] == []
    under = _error_under(at, f"{FORM}_authorisation_reference")
    assert under is not None and "directed surveillance" in under and "RIPA 2000 Part II" in under
    assert at.text_input(key=f"{FORM}_authorisation_reference").label == "Authorisation reference *"
    at = _fill(at, account=None, authorisation_reference="DEMO-AUTH-99")
    assert not errors(at)
    assert _stored(db)[-1] == (QUIET, "one more look", "DEMO-AUTH-99")
    assert any("authorisation reference is kept" in s.value for s in at.success)
    views = _views_table(at)
    assert views.loc[views["code"] == "VW-0004", "authorisation_reference"].tolist() == ["DEMO-AUTH-99"]


def test_refused_fields_are_named_under_their_widgets(db):
    at = _fill(_page(db), account=None, viewed_at="next tuesday")
    assert _error_under(at, f"{FORM}_account") == "is required"
    assert "is not a date and time" in _error_under(at, f"{FORM}_viewed_at")
    assert _stored(db) == []
    at = _fill(at, viewed_at=(datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d %H:%M"))
    assert "is in the future" in _error_under(at, f"{FORM}_viewed_at")
    assert _stored(db) == []


def test_the_reviewer_reads_the_log_but_gets_no_form(db):
    at = _page(db, REVIEWER)
    assert len(_accounts_table(at)) == 7
    assert "Log view" not in [b.label for b in at.button]
    assert not [t for t in at.text_input if t.key and t.key.startswith("view_log")]
    assert "Your part in this case lets you read the log, not add to it." in [c.value for c in at.caption]


def test_user_text_is_never_rendered_as_markdown(db):
    code = people.add_account(db, _actor(db), CASE, "Instagram", HOSTILE)
    _views_before(db, account=code, count=4)
    at = _page(db)
    assert HOSTILE in texts(at)  # the over-limit list, as plain text
    at = _fill(at, account=code, note=HOSTILE)  # a fifth view, without a reference
    under = _error_under(at, f"{FORM}_authorisation_reference")
    assert under is not None and "directed surveillance" in under
    for value in _markdown_like(at):
        for piece in HOSTILE_PIECES:
            assert piece not in value
    assert HOSTILE in _accounts_table(at)["handle"].tolist()

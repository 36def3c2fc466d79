"""Recording an observation is a view of its account: past the repeated-viewing limit (3 views in 28
days unless set) observations.record asks for the authorisation's reference, with the directed
surveillance warning, and stores nothing until given it; the reference is kept. Amending is not a new
view. An import is never refused for it: it records every row and names the rows that passed the
limit with no reference (counting the views already recorded and the file's own earlier-seen rows).
The demo itself passes no limit without a reference and raises no warning."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import CASE, import_row, rows_csv
from workbench import access, demo, observations, people, users, viewing
from workbench.db import open_home
from workbench.errors import ValidationError

HANDLE = "@starlight.fiction"
REFERENCE = "DSA-FIC-0001"


@pytest.fixture
def accounts(db, analyst) -> None:
    """CASE-1's AC-0001 (Instagram) and AC-0002 (TikTok)."""
    people.add_account(db, analyst, CASE, "Instagram", HANDLE, person="P-0001")
    people.add_account(db, analyst, CASE, "TikTok", "@other.fiction", person="P-0001")


def _case_id(db, reference: str = CASE) -> int:
    return db.execute("SELECT id FROM cases WHERE reference = ?", (reference,)).fetchone()[0]


def _account_id(db, code: str, reference: str = CASE) -> int:
    return db.execute(
        "SELECT id FROM accounts WHERE code = ? AND case_id = ?", (code, _case_id(db, reference))
    ).fetchone()[0]


def _record(db, actor, observation_input, at: str, account: str = "AC-0001", **extra):
    return observations.record(db, actor, CASE, observation_input(account=account, observed_at=at, **extra))


def _three(db, actor, observation_input, account: str = "AC-0001") -> list[str]:
    return [
        _record(db, actor, observation_input, at, account).code
        for at in ("2025-03-01T10:00:00Z", "2025-03-10T10:00:00Z", "2025-03-20T10:00:00Z")
    ]


# --- recording ---------------------------------------------------------------------------------------


def test_a_fourth_view_in_28_days_is_refused_with_the_warning_and_nothing_is_stored(
    db, analyst, accounts, observation_input, counts
):
    _three(db, analyst, observation_input)
    before = counts()
    with pytest.raises(ValidationError) as caught:
        _record(db, analyst, observation_input, "2025-03-25T10:00:00Z")
    assert set(caught.value.errors) == {"repeat_viewing_reference"}
    message = caught.value.errors["repeat_viewing_reference"]
    assert message.startswith(f"is required: Instagram {HANDLE} (AC-0001) would have 4 views in the 28 days to ")
    assert "past the limit of 3" in message
    assert "may amount to directed surveillance (RIPA 2000 Part II)" in message
    assert "Give the authorisation's reference" in message
    assert counts() == before
    with pytest.raises(ValidationError):  # a blank reference is no reference
        _record(db, analyst, observation_input, "2025-03-25T10:00:00Z", repeat_viewing_reference="   ")
    assert counts() == before


def test_with_the_reference_it_is_recorded_and_the_reference_kept(db, analyst, accounts, observation_input):
    _three(db, analyst, observation_input)
    recorded = _record(
        db, analyst, observation_input, "2025-03-25T10:00:00Z", repeat_viewing_reference=f" {REFERENCE} "
    )
    assert recorded.repeat_viewing_reference == REFERENCE
    assert recorded.as_input()["repeat_viewing_reference"] == REFERENCE
    assert observations.view(db, analyst, CASE, recorded.code).current.repeat_viewing_reference == REFERENCE
    listed = observations.list_observations(db, analyst, CASE).set_index("code")["repeat_viewing_reference"]
    assert listed.to_dict() == {"OBS-0001": "", "OBS-0002": "", "OBS-0003": "", recorded.code: REFERENCE}
    views = viewing.views_of(db, _case_id(db), _account_id(db, "AC-0001"))
    assert views.set_index("code")["authorisation_reference"].to_dict()[recorded.code] == REFERENCE
    # the fifth needs one too: the limit is per view, not once per account
    with pytest.raises(ValidationError):
        _record(db, analyst, observation_input, "2025-03-26T10:00:00Z")


def test_a_reference_given_below_the_limit_is_kept_too(db, analyst, accounts, observation_input):
    recorded = _record(db, analyst, observation_input, "2025-03-01T10:00:00Z", repeat_viewing_reference=REFERENCE)
    assert recorded.repeat_viewing_reference == REFERENCE


@pytest.mark.parametrize(
    ("at", "refused"),
    [
        ("2025-03-29T10:00:00Z", True),  # exactly 28 days after the first: both ends of the period count
        ("2025-03-29T10:00:01Z", False),  # the first has left the period
        ("2025-04-20T10:00:00Z", False),
        ("2025-03-15T10:00:00Z", False),  # seen between the earlier ones: only two of them were before it
    ],
)
def test_the_period_is_the_28_days_ending_at_the_view(db, analyst, accounts, observation_input, at, refused):
    _three(db, analyst, observation_input)
    if refused:
        with pytest.raises(ValidationError) as caught:
            _record(db, analyst, observation_input, at)
        assert "repeat_viewing_reference" in caught.value.errors
    else:
        assert _record(db, analyst, observation_input, at).repeat_viewing_reference == ""


def test_other_accounts_and_observations_naming_none_do_not_count(db, analyst, accounts, observation_input):
    _three(db, analyst, observation_input)
    assert _record(db, analyst, observation_input, "2025-03-25T10:00:00Z", account="AC-0002").code
    for _ in range(4):  # no account: no view of anyone's account
        assert observations.record(db, analyst, CASE, observation_input(observed_at="2025-03-25T10:00:00Z")).code


def test_logged_views_count_and_retracted_observations_do_not(db, analyst, accounts, observation_input):
    viewing.log_view(db, analyst, CASE, "AC-0001", "2025-03-01T10:00:00Z")
    viewing.log_view(db, analyst, CASE, "AC-0001", "2025-03-02T10:00:00Z")
    third = _record(db, analyst, observation_input, "2025-03-03T10:00:00Z").code
    with pytest.raises(ValidationError):
        _record(db, analyst, observation_input, "2025-03-04T10:00:00Z")
    observations.retract(db, analyst, CASE, third, "Recorded twice.")
    assert _record(db, analyst, observation_input, "2025-03-04T10:00:00Z").repeat_viewing_reference == ""


@pytest.mark.parametrize(("limit", "allowed"), [(1, 1), (2, 2), (5, 5)])
def test_the_limit_comes_from_the_environment(db, analyst, accounts, observation_input, monkeypatch, limit, allowed):
    monkeypatch.setenv("WORKBENCH_VIEW_LIMIT", str(limit))
    for day in range(1, allowed + 1):
        _record(db, analyst, observation_input, f"2025-03-{day:02d}T10:00:00Z")
    with pytest.raises(ValidationError) as caught:
        _record(db, analyst, observation_input, f"2025-03-{allowed + 1:02d}T10:00:00Z")
    assert f"would have {allowed + 1} views in the 28 days" in caught.value.errors["repeat_viewing_reference"]
    assert f"past the limit of {limit}." in caught.value.errors["repeat_viewing_reference"]


def test_the_period_comes_from_the_environment(db, analyst, accounts, observation_input, monkeypatch):
    monkeypatch.setenv("WORKBENCH_VIEW_PERIOD_DAYS", "7")
    _three(db, analyst, observation_input)  # 1, 10 and 20 March: never three in 7 days
    assert _record(db, analyst, observation_input, "2025-03-21T10:00:00Z").code
    assert _record(db, analyst, observation_input, "2025-03-22T10:00:00Z").code  # 20, 21, 22: the third
    with pytest.raises(ValidationError) as caught:
        _record(db, analyst, observation_input, "2025-03-23T10:00:00Z")
    assert "would have 4 views in the 7 days" in caught.value.errors["repeat_viewing_reference"]


def test_amending_is_not_a_new_view(db, analyst, accounts, observation_input, counts):
    codes = _three(db, analyst, observation_input)
    current = observations.view(db, analyst, CASE, codes[-1]).current
    amended = observations.amend(
        db, analyst, CASE, current.code, current.as_input() | {"summary": "Bio states age 19 (amended)"}, "Typo."
    )
    assert (amended.version, amended.repeat_viewing_reference) == (2, "")
    fourth = _record(db, analyst, observation_input, "2025-03-25T10:00:00Z", repeat_viewing_reference=REFERENCE)
    # over the limit now, yet amending any of them (even one without a reference) asks for nothing
    first = observations.view(db, analyst, CASE, codes[0]).current
    assert (
        observations.amend(db, analyst, CASE, first.code, first.as_input() | {"summary": "Changed"}, "Fix.").version
        == 2
    )
    again = observations.amend(db, analyst, CASE, fourth.code, fourth.as_input() | {"summary": "Changed"}, "Fix.")
    assert again.repeat_viewing_reference == REFERENCE  # kept through the amendment
    with pytest.raises(ValidationError):  # and a new one is still refused
        _record(db, analyst, observation_input, "2025-03-26T10:00:00Z")


def test_a_refused_recording_that_needs_both_a_reason_and_a_reference_names_both(
    db, analyst, observation_input, counts
):
    from workbench import cases

    cases.create_case(db, access.SYSTEM, "CASE-2", "No authorisation", lead="analyst")
    people.add_account(db, analyst, "CASE-2", "Instagram", HANDLE, person="P-0001")
    for at in ("2025-03-01T10:00:00Z", "2025-03-02T10:00:00Z", "2025-03-03T10:00:00Z"):
        observations.record(
            db, analyst, "CASE-2", observation_input(account="AC-0001", observed_at=at, unauthorised_reason="Urgent.")
        )
    before = counts()
    with pytest.raises(ValidationError) as caught:
        observations.record(
            db, analyst, "CASE-2", observation_input(account="AC-0001", observed_at="2025-03-04T10:00:00Z")
        )
    assert set(caught.value.errors) == {"unauthorised_reason", "repeat_viewing_reference"}
    assert counts() == before


def test_two_recordings_at_once_cannot_both_pass_as_the_third_view(
    db, world, analyst, accounts, observation_input, monkeypatch
):
    _record(db, analyst, observation_input, "2025-03-01T10:00:00Z")
    _record(db, analyst, observation_input, "2025-03-02T10:00:00Z")
    real = viewing.repeated_viewing
    outcome: dict = {}
    threads: list[threading.Thread] = []

    def other_analyst() -> None:
        other = open_home(world)
        try:
            given = observation_input(account="AC-0001", observed_at="2025-03-03T11:00:00Z")
            outcome["code"] = observations.record(other, users.user_by_name(other, "analyst"), CASE, given).code
        except ValidationError as e:
            outcome["refused"] = e.errors
        except Exception as e:  # noqa: BLE001 - reported below
            outcome["error"] = repr(e)
        finally:
            other.conn.close()

    def racing(*args, **kwargs):
        found = real(*args, **kwargs)
        if not threads:  # the first count: the other analyst records meanwhile (or waits for the lock)
            threads.append(threading.Thread(target=other_analyst))
            threads[0].start()
            threads[0].join(timeout=1)
        return found

    monkeypatch.setattr(observations.viewing, "repeated_viewing", racing)
    _record(db, analyst, observation_input, "2025-03-03T10:00:00Z")
    threads[0].join(timeout=60)
    assert "error" not in outcome, outcome
    views = viewing.views_of(db, _case_id(db), _account_id(db, "AC-0001"))
    assert (views["authorisation_reference"] == "").sum() <= 3, views[["code", "viewed_at"]]


# --- importing ---------------------------------------------------------------------------------------


def test_an_import_records_every_row_and_names_those_past_the_limit_without_a_reference(
    db, analyst, accounts, observation_input
):
    _record(db, analyst, observation_input, "2025-03-01T10:00:00Z")  # OBS-0001
    viewing.log_view(db, analyst, CASE, "AC-0001", "2025-03-05T10:00:00Z")  # a logged view counts too
    data = rows_csv(
        [
            import_row(observation_input, account="AC-0001", observed_at="2025-03-12T10:00:00Z"),  # 5th: named
            import_row(observation_input, account="AC-0002", observed_at="2025-03-12T10:00:00Z"),  # another account
            import_row(observation_input, account="AC-0001", observed_at="2025-03-08T10:00:00Z"),  # 3rd, seen earlier
            import_row(
                observation_input,
                account="AC-0001",
                observed_at="2025-03-10T10:00:00Z",
                repeat_viewing_reference=REFERENCE,
            ),  # 4th, with the reference: not named
            import_row(observation_input, observed_at="2025-03-12T10:00:00Z"),  # no account
        ]
    )
    result = observations.import_csv(db, analyst, CASE, data)
    assert result.codes == ["OBS-0002", "OBS-0003", "OBS-0004", "OBS-0005", "OBS-0006"]
    assert result.repeated_viewing == ["OBS-0002"]
    assert result.unauthorised == []
    listed = observations.list_observations(db, analyst, CASE).set_index("code")["repeat_viewing_reference"]
    assert listed["OBS-0005"] == REFERENCE and listed["OBS-0002"] == ""
    [warning] = result.warnings
    assert warning.startswith("1 observation(s) took their account past 3 views in 28 days (OBS-0002)")
    assert "the file gave no repeat_viewing_reference" in warning
    assert "directed surveillance (RIPA 2000 Part II)" in warning
    # the same rows as repeated_viewing judges each view, now that all are recorded
    over = {
        code
        for code, account, at in observations.list_observations(db, analyst, CASE)[
            ["code", "account", "observed_at"]
        ].itertuples(index=False)
        if isinstance(account, str)
        and viewing.repeated_viewing(db, _case_id(db), _account_id(db, account), at, adding=0)
    }
    assert over == {"OBS-0002", "OBS-0005"}


def test_rows_of_one_file_alone_can_pass_the_limit(db, analyst, accounts, observation_input):
    days = ["2025-03-04", "2025-03-01", "2025-03-03", "2025-03-02", "2025-05-01"]
    data = rows_csv([import_row(observation_input, account="AC-0001", observed_at=f"{d}T10:00:00Z") for d in days])
    result = observations.import_csv(db, analyst, CASE, data)
    assert result.count == 5
    assert result.repeated_viewing == ["OBS-0001"]  # the one seen fourth, though first in the file


def test_an_import_below_the_limit_warns_of_nothing(db, analyst, accounts, observation_input):
    data = rows_csv(
        [import_row(observation_input, account="AC-0001", observed_at=f"2025-0{m}-01T10:00:00Z") for m in (1, 3, 5, 7)]
    )
    result = observations.import_csv(db, analyst, CASE, data)
    assert (result.count, result.repeated_viewing, result.warnings) == (4, [], [])


def test_an_import_follows_the_limit_in_the_environment(db, analyst, accounts, observation_input, monkeypatch):
    monkeypatch.setenv("WORKBENCH_VIEW_LIMIT", "1")
    monkeypatch.setenv("WORKBENCH_VIEW_PERIOD_DAYS", "2")
    days = ["2025-03-01", "2025-03-02", "2025-03-10"]
    result = observations.import_csv(
        db,
        analyst,
        CASE,
        rows_csv([import_row(observation_input, account="AC-0001", observed_at=f"{d}T10:00:00Z") for d in days]),
    )
    assert result.repeated_viewing == ["OBS-0002"]
    assert result.warnings[0].startswith("1 observation(s) took their account past 1 views in 2 days (OBS-0002)")


def test_both_warnings_when_both_apply(db, analyst, observation_input):
    from workbench import cases

    cases.create_case(db, access.SYSTEM, "CASE-2", "No authorisation", lead="analyst")
    people.add_account(db, analyst, "CASE-2", "Instagram", HANDLE, person="P-0001")
    days = ["2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04"]
    result = observations.import_csv(
        db,
        analyst,
        "CASE-2",
        rows_csv([import_row(observation_input, account="AC-0001", observed_at=f"{d}T10:00:00Z") for d in days]),
    )
    assert result.unauthorised == ["OBS-0001", "OBS-0002", "OBS-0003", "OBS-0004"]
    assert result.repeated_viewing == ["OBS-0004"]
    assert len(result.warnings) == 2
    assert "recorded without authorisation" in result.warnings[0]
    assert "took their account past 3 views" in result.warnings[1]


# --- the demo ----------------------------------------------------------------------------------------


def test_the_demo_loads_with_no_warning_and_its_references_are_on_exactly_the_views_past_the_limit(
    empty_db, monkeypatch
):
    results = []
    real = observations.import_csv

    def capture(*args, **kwargs):
        results.append(real(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr(demo.observations, "import_csv", capture)
    assert demo.load_demo(empty_db)
    [result] = results
    assert result.count > 20
    assert (result.unauthorised, result.repeated_viewing, result.warnings) == ([], [], [])

    case_id = _case_id(empty_db, "DEMO-001")
    frame = observations.current_frame(empty_db, case_id)
    with_reference = set(frame.loc[frame["repeat_viewing_reference"] != "", "code"])
    over = set()
    for code, account, at in frame[["code", "account", "observed_at"]].itertuples(index=False):
        if isinstance(account, str) and viewing.repeated_viewing(
            empty_db, case_id, _account_id(empty_db, account, "DEMO-001"), at, adding=0
        ):
            over.add(code)
    assert with_reference, "the demo should show a view past the limit with its reference"
    assert with_reference == over
    assert set(frame.loc[frame["repeat_viewing_reference"] != "", "repeat_viewing_reference"]) == {"DEMO-DSA-07"}
    assert not frame["unauthorised_reason"].any()

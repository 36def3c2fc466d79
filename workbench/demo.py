"""The fictional demo case: Child A, a few accounts, ~30 observations, trusted facts and actions.

Everything in sample_data/demo is invented. The demo accounts' passwords are printed on start and
shown in the README: they are for trying the workbench on a laptop, never for real use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlite_utils

from workbench import access, actions, authorisations, cases, facts, observations, people, users
from workbench.db import query_one, transaction

DEMO_DIR = Path(__file__).resolve().parent.parent / "sample_data" / "demo"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str


def demo_logins(directory: Path = DEMO_DIR) -> list[DemoLogin]:
    spec = json.loads((directory / "case.json").read_text(encoding="utf-8"))
    return [DemoLogin(u["username"], u["password"], u["role"]) for u in spec["users"]]


def load_demo(db: sqlite_utils.Database, directory: Path = DEMO_DIR) -> bool:
    """Create the demo users and case. Returns False (and changes nothing) when already there."""
    spec = json.loads((directory / "case.json").read_text(encoding="utf-8"))
    case = spec["case"]
    if query_one(db, "SELECT id FROM cases WHERE reference = ?", (case["reference"],)):
        return False
    with transaction(db):  # all of the demo or none of it
        for user in spec["users"]:
            if not query_one(db, "SELECT id FROM users WHERE username = ?", (user["username"],)):
                users.create_user(
                    db,
                    access.SYSTEM,
                    user["username"],
                    user["role"],
                    user["password"],
                    display_name=user["display_name"],
                )
        lead = users.user_by_name(db, case["lead"])
        # The system's own path names the reference: the demo is DEMO-001 in the README, the
        # screenshots and the tests. A user's case is numbered by the workbench (cases.open_case).
        cases.create_case(
            db,
            access.SYSTEM,
            case["reference"],
            case["title"],
            external_ref=case.get("external_ref", ""),
            subject_pseudonym=case["subject_pseudonym"],
            lead=lead.username,
        )
        for member in case["members"]:
            cases.add_member(db, access.SYSTEM, case["reference"], member["username"], member["role"])
        analyst = users.user_by_name(db, case["recorded_by"])
        for person in spec["people"]:
            people.add_person(
                db, analyst, case["reference"], person["name"], person["role"], notes=person.get("notes", "")
            )
        for account in spec["accounts"]:
            people.add_account(
                db,
                analyst,
                case["reference"],
                account["platform"],
                account["handle"],
                url=account.get("url", ""),
                person=account.get("person", ""),
                notes=account.get("notes", ""),
            )
        for given in spec.get("authorisations", []):  # before the observations, which it covers
            given = dict(given)
            reviews = given.pop("reviews", [])
            code = authorisations.add_authorisation(db, analyst, case["reference"], given)
            for review in reviews:
                review = dict(review)
                reason = review.pop("reason")
                authorisations.review_authorisation(db, analyst, case["reference"], code, review, reason)
        facts.import_csv(db, analyst, case["reference"], (directory / "facts.csv").read_bytes())
        observations.import_csv(db, analyst, case["reference"], (directory / "observations.csv").read_bytes())
        for update in spec.get("prompted_action_updates", []):  # the incidents' own actions, done in October
            update = dict(update)
            actions.update_action(db, analyst, case["reference"], update.pop("code"), update)
        for action in spec.get("actions", []):
            actions.add_action(db, analyst, case["reference"], _dated(action))
    return True


def _dated(action: dict) -> dict:
    """An action the demo means to be still ahead names its due day in days from the day the demo is
    loaded (`due_in_days`), so it never falls overdue as the calendar moves on; the rest keep their dates."""
    action = dict(action)
    if "due_in_days" in action:
        days = int(action.pop("due_in_days"))
        action["due_date"] = (authorisations.today_london() + timedelta(days=days)).isoformat()
    return action

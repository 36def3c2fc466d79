"""A user's home: across every case they are a member of, what needs them now.

Immediate-risk items the police have not been told of come first (strategy 6.6), then overdue
actions, then research authorisations whose review has passed or is near. Each case is read through
the one permission check and leaves its own audit event, as opening it would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import sqlite_utils

from workbench import actions, audit, authorisations, immediate_risk
from workbench.access import Actor, Right, authorize

# An authorisation whose review falls within this many days is listed before it is overdue.
REVIEW_SOON_DAYS = 14

CASE_COLUMNS = [
    "reference", "title", "status", "my_role", "awaiting_police", "overdue_actions", "outstanding_actions",
    "authorisation",
]  # fmt: skip
RISK_COLUMNS = ["reference", "code", "marked", "summary"]
ACTION_COLUMNS = ["reference", "code", "action", "due_date", "observation", "note"]
REVIEW_COLUMNS = ["reference", "code", "review_date", "overdue", "scope", "purpose"]
SELF_ADDED_COLUMNS = ["reference", "username", "display_name", "administrator", "role", "added_at"]


@dataclass(frozen=True)
class Home:
    cases: pd.DataFrame  # CASE_COLUMNS, one row per case the user is a member of
    awaiting_police: pd.DataFrame  # RISK_COLUMNS: immediate-risk items with no police-informed action
    overdue_actions: pd.DataFrame  # ACTION_COLUMNS: actions still to do whose due date has passed
    reviews: pd.DataFrame  # REVIEW_COLUMNS: authorisations in force to review now or within REVIEW_SOON_DAYS
    # SELF_ADDED_COLUMNS: in the cases the user leads, members who added themselves (administrators)
    self_added: pd.DataFrame


def home(db: sqlite_utils.Database, actor: Actor, *, today: date | None = None) -> Home:
    today = today or authorisations.today_london()
    memberships = db.query(
        """SELECT c.reference FROM cases c JOIN case_members m ON m.case_id = c.id AND m.user_id = ?
           ORDER BY c.created_at DESC, c.reference""",
        (actor.id if actor.id is not None else -1,),
    )
    cases, risks, overdue, reviews, self_added = [], [], [], [], []
    for reference in [row["reference"] for row in memberships]:
        access = authorize(db, actor, Right.VIEW, reference)
        waiting = immediate_risk.awaiting_police(db, access.case_id)
        todo = actions.outstanding(actions.actions_frame(db, access.case_id, today=today))
        late = todo[todo["overdue"]]
        granted = authorisations.authorisations_frame(db, access.case_id, today=today)
        soon = (today + timedelta(days=REVIEW_SOON_DAYS)).isoformat()
        due = granted[granted["in_force"] & (granted["review_date"] <= soon)]
        audit.record(
            db,
            actor.username,
            "case.home",
            case_ref=access.reference,
            details={"awaiting_police": len(waiting), "overdue_actions": len(late), "reviews": len(due)},
        )
        cases.append(
            {
                "reference": access.reference,
                "title": access.title,
                "status": access.status,
                "my_role": access.member_role,
                "awaiting_police": len(waiting),
                "overdue_actions": len(late),
                "outstanding_actions": len(todo),
                "authorisation": authorisations.state_text(granted),
            }
        )
        risks += [{"reference": access.reference} | row for row in waiting[RISK_COLUMNS[1:]].to_dict("records")]
        overdue += [{"reference": access.reference} | row for row in late[ACTION_COLUMNS[1:]].to_dict("records")]
        reviews += [
            {"reference": access.reference} | row | {"overdue": bool(row["overdue"])}
            for row in due.rename(columns={"review_overdue": "overdue"})[REVIEW_COLUMNS[1:]].to_dict("records")
        ]
        if access.member_role == "lead":
            self_added += [{"reference": access.reference} | row for row in _self_added(db, access.case_id, actor.id)]
    return Home(
        pd.DataFrame(cases, columns=CASE_COLUMNS),
        pd.DataFrame(risks, columns=RISK_COLUMNS),
        pd.DataFrame(overdue, columns=ACTION_COLUMNS),
        pd.DataFrame(reviews, columns=REVIEW_COLUMNS).sort_values("review_date", kind="stable").reset_index(drop=True),
        pd.DataFrame(self_added, columns=SELF_ADDED_COLUMNS),
    )


def _self_added(db: sqlite_utils.Database, case_id: int, lead_id: int | None) -> list[dict]:
    """The case's members whose membership is their own doing, other than the lead reading."""
    rows = db.query(
        """SELECT u.username, u.display_name, u.role = 'admin' AS administrator, m.role, m.added_at
           FROM case_members m JOIN users u ON u.id = m.user_id
           WHERE m.case_id = ? AND m.added_by = m.user_id AND m.user_id IS NOT ?
           ORDER BY m.added_at, u.username""",
        (case_id, lead_id),
    )
    return [row | {"administrator": bool(row["administrator"])} for row in rows]

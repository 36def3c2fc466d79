"""Refused attempts at cases: the trail someone probing for cases leaves (issue 24, point 7).

`access.authorize` answers a case the user may not see exactly as it answers a reference that
matches none ("Case X not found."). Before it raises, it calls `record`, which writes one
`case.refused` event: who, when, the reference as tried (clipped) and the right asked for. The
event is written in a short transaction of its own (audit.record opens one), so it stays although
the operation that asked fails. Every domain function authorizes before it opens its transaction;
called inside one, the event would join it and go with its rollback.

Where the event is filed: a reference that names a case is filed under that case (case_ref), so
the case's lead and administrators see it in the case's Activity. A reference that names no case
is filed under none: no lead sees it (a case opened later under that reference must not inherit
it), and administrators see it with all the others in `activity.refused_attempts`.
"""

from __future__ import annotations

import sqlite_utils

from workbench import audit, fields

ACTION = "case.refused"
REFERENCE_SHOWN = 60  # characters of the tried reference kept: a reference is at most 40


def record(db: sqlite_utils.Database, username: str, right: str, tried: object, case_reference: str | None) -> None:
    """Write the `case.refused` event for `username`'s attempt at `tried` (`case_reference`: the
    case it names, or None when it names none)."""
    audit.record(
        db,
        username,
        ACTION,
        case_ref=case_reference,
        details={"right": str(right), "reference": fields.clip(tried, REFERENCE_SHOWN)},
    )

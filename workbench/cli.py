"""The `workbench` command: a second front door onto the same domain functions as the pages.

Commands that act inside a case name the acting user with --as; the permission check and the
audit event happen in the domain, exactly as for the browser. Administrative commands (init,
user ..., case add, case member ... without --as) act as the operator at the server's shell,
audited as `system`. Every event a command writes carries `"channel": "cli"` in its details, so
the log tells an event typed at the server's shell (under the name given with --as, or `system`)
from one made in the browser. Errors a user can cause print a message and exit 1, never a traceback.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

import click
import pandas as pd

from workbench import (
    access,
    actions,
    activity,
    audit,
    authorisations,
    bundle_verify,
    cases,
    crossref,
    demo,
    evidence,
    export,
    facts,
    milestones,
    need,
    observations,
    people,
    persons_of_concern,
    retention,
    throttle,
    timeline,
    users,
    viewing,
)
from workbench.config import Settings
from workbench.csvsafe import frame_to_csv
from workbench.db import open_home
from workbench.errors import ValidationError, WorkbenchError
from workbench.imports import ImportRejected


class _Group(click.Group):
    """Turns the errors a user can cause into a message and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ImportRejected as e:
            click.echo("import refused; nothing was imported:", err=True)
            for line in e.lines():
                click.echo(line, err=True)
            ctx.exit(1)
        except ValidationError as e:
            for field, reason in e.errors.items():
                click.echo(f"error: {field}: {reason}", err=True)
            ctx.exit(1)
        except WorkbenchError as e:
            click.echo(f"error: {e}", err=True)
            ctx.exit(1)


class _Context:
    def __init__(self, home: str | None):
        self.settings = Settings.from_env(home)
        self._db = None

    @property
    def db(self):
        if self._db is None:
            self._db = open_home(self.settings)
        return self._db

    def actor(self, username: str) -> access.Actor:
        return users.user_by_name(self.db, username)

    def actor_or_system(self, username: str | None) -> access.Actor:
        return self.actor(username) if username else access.SYSTEM


pass_context = click.make_pass_decorator(_Context)
as_option = click.option("--as", "as_user", required=True, metavar="USERNAME", help="The user the command acts as.")
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table for reading, csv for a spreadsheet (formula-safe), json for programs.",
)


@click.group(cls=_Group)
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    default=None,
    envvar="WORKBENCH_HOME",
    help="Folder holding the database and evidence store (default: $WORKBENCH_HOME or ./workbench-data).",
)
@click.version_option(package_name="safeguarding-workbench")
@click.pass_context
def main(ctx: click.Context, home: str | None) -> None:
    """Safeguarding evidence workbench: record, grade and review what children show online."""
    ctx.obj = _Context(home)
    ctx.with_resource(audit.channel("cli"))  # until the command ends: its events say they came this way


@main.command()
@click.option("--demo", "with_demo", is_flag=True, help="Also load the fictional demo case and demo accounts.")
@pass_context
def init(c: _Context, with_demo: bool) -> None:
    """Create or upgrade the database under --home, optionally with the demo case."""
    db = c.db  # opening migrates
    click.echo(f"workbench ready at {c.settings.home}")
    if with_demo:
        loaded = demo.load_demo(db)
        click.echo("demo case loaded" if loaded else "demo case already present")
        click.echo("DEMO ONLY - fictional accounts for trying the workbench, never for real cases:")
        for login in demo.demo_logins():
            click.echo(f"  {login.role:<9} username {login.username:<16} password {login.password}")


# --- users -------------------------------------------------------------------------------------


@main.group()
def user() -> None:
    """Manage user accounts (administrators)."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(access.ROLES), required=True, help="admin, analyst or reviewer.")
@click.option("--display-name", default="", help="The name shown in the app and the audit log.")
@click.option("--email", default="", help="The address single sign-on maps to this account.")
@click.option("--temporary", is_flag=True, help="The user must choose their own password at first sign-in.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
@pass_context
def user_add(
    c: _Context, username: str, role: str, display_name: str, email: str, temporary: bool, password_stdin: bool
) -> None:
    """Add a user. The password is read from stdin or prompted for, never given as an argument."""
    password = _read_password(password_stdin)
    created = users.create_user(
        c.db, access.SYSTEM, username, role, password, display_name=display_name, email=email, temporary=temporary
    )
    click.echo(f"user {created.username} added as {created.role}" + (" (temporary password)" if temporary else ""))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@user.command("deactivate")
@click.argument("username")
@pass_context
def user_deactivate(c: _Context, username: str) -> None:
    """Stop an account signing in; its open sessions end at their next click."""
    users.set_active(c.db, access.SYSTEM, username, False)
    click.echo(f"user {username} deactivated")


@user.command("activate")
@click.argument("username")
@pass_context
def user_activate(c: _Context, username: str) -> None:
    """Let a deactivated account sign in again."""
    users.set_active(c.db, access.SYSTEM, username, True)
    click.echo(f"user {username} active")


@user.command("unlock")
@click.argument("username")
@pass_context
def user_unlock(c: _Context, username: str) -> None:
    """Lift a lock that failed sign-ins put on an account."""
    users.unlock(c.db, access.SYSTEM, username)
    click.echo(f"user {username} unlocked")


@user.command("addresses")
@format_option
@pass_context
def user_addresses(c: _Context, fmt: str) -> None:
    """Addresses with failed sign-ins in the throttle's window, and whether each is held back."""
    _print_frame(throttle.clients(c.db, access.SYSTEM, c.settings.sign_in), fmt)


@user.command("clear-address")
@click.argument("address")
@pass_context
def user_clear_address(c: _Context, address: str) -> None:
    """Forget an address's failed sign-ins, so it may try again at once."""
    gone = throttle.clear(c.db, access.SYSTEM, address)
    click.echo(f"{gone} failed sign-ins from {address} cleared")


@user.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the temporary password from standard input.")
@pass_context
def user_reset_password(c: _Context, username: str, password_stdin: bool) -> None:
    """Give a temporary password; the user must choose their own at sign-in."""
    users.reset_password(c.db, access.SYSTEM, username, _read_password(password_stdin))
    click.echo(f"user {username} has a temporary password")


@user.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(access.ROLES))
@pass_context
def user_role(c: _Context, username: str, role: str) -> None:
    """Change an account's role."""
    users.set_role(c.db, access.SYSTEM, username, role)
    click.echo(f"user {username} is now {role}")


@user.command("email")
@click.argument("username")
@click.argument("email")
@pass_context
def user_email(c: _Context, username: str, email: str) -> None:
    """Set the e-mail address single sign-on maps to the account ("" removes it)."""
    users.set_email(c.db, access.SYSTEM, username, email)
    click.echo(f"user {username} e-mail set" if email else f"user {username} e-mail removed")


@user.command("list")
@format_option
@pass_context
def user_list(c: _Context, fmt: str) -> None:
    """List user accounts."""
    _print_frame(users.list_users(c.db, access.SYSTEM), fmt)


# --- cases -------------------------------------------------------------------------------------


@main.group()
def case() -> None:
    """Open cases and manage who is a member of them."""


@case.command("add")
@click.option("--title", required=True, help="A short title; no child's real name.")
@click.option("--lead", required=True, metavar="USERNAME", help="The case lead (an analyst or admin account).")
@click.option("--subject", default="Child A", show_default=True, help="The child's pseudonym in this case.")
@click.option(
    "--external-ref",
    default="",
    metavar="TEXT",
    help="The partnership's own case-management number (optional; need not be unique).",
)
@pass_context
def case_add(c: _Context, title: str, lead: str, subject: str, external_ref: str) -> None:
    """Open a case with a lead; the workbench gives its reference (C-2026-0007), the child becomes P-0001."""
    opened = cases.open_case(
        c.db, access.SYSTEM, title, external_ref=external_ref, subject_pseudonym=subject, lead=lead
    )
    click.echo(f"case {opened.reference} opened with lead {lead}")


@case.group("member")
def case_member() -> None:
    """Case membership."""


operator_option = click.option(
    "--as",
    "as_user",
    default=None,
    metavar="USERNAME",
    help="Act as this user (a case lead or administrator); default: the operator at the shell.",
)


@case_member.command("add")
@click.argument("reference")
@click.argument("username")
@click.option(
    "--role", type=click.Choice(["analyst", "reviewer", "lead"]), required=True, help="Their part in the case."
)
@operator_option
@pass_context
def case_member_add(c: _Context, reference: str, username: str, role: str, as_user: str | None) -> None:
    """Add a user to a case, or change their part in it (lead hands the lead over)."""
    cases.add_member(c.db, c.actor_or_system(as_user), reference, username, role)
    click.echo(f"{username} is now {role} in {reference}")


@case_member.command("remove")
@click.argument("reference")
@click.argument("username")
@operator_option
@pass_context
def case_member_remove(c: _Context, reference: str, username: str, as_user: str | None) -> None:
    """Take a user out of a case."""
    cases.remove_member(c.db, c.actor_or_system(as_user), reference, username)
    click.echo(f"{username} removed from {reference}")


@case_member.command("list")
@click.argument("reference")
@operator_option
@format_option
@pass_context
def case_member_list(c: _Context, reference: str, as_user: str | None, fmt: str) -> None:
    """Who is in a case and in what part."""
    _print_frame(cases.members(c.db, c.actor_or_system(as_user), reference), fmt)


@case.command("level")
@click.argument("reference")
@click.argument("level", required=False)
@as_option
@click.option("--reason", default="", help="Why (required when setting a level); kept with it.")
@click.option("--history", is_flag=True, help="List the case's levels instead, newest first.")
@format_option
@pass_context
def case_level(
    c: _Context, reference: str, level: str | None, as_user: str, reason: str, history: bool, fmt: str
) -> None:
    """Record a case's level of need (LEVEL: one of the configured levels, by value or label), or
    list its history with --history."""
    actor = c.actor(as_user)
    if history or level is None:
        _print_frame(need.level_history(c.db, actor, reference), fmt)
        return
    click.echo(need.set_level(c.db, actor, reference, level, reason))


@case.command("list")
@as_option
@format_option
@pass_context
def case_list(c: _Context, as_user: str, fmt: str) -> None:
    """List the cases a user is a member of."""
    _print_frame(cases.list_cases(c.db, c.actor(as_user)), fmt)


# --- retention: closing, reviewing, deleting (issue 8 point 8) ------------------------------------


@case.command("close")
@click.argument("reference")
@click.option("--reason", required=True, help="Why the case closes; kept with it.")
@as_option
@pass_context
def case_close(c: _Context, reference: str, reason: str, as_user: str) -> None:
    """Close a case (its lead or an administrator); prints the review-by date the schedule gives it."""
    review_by = retention.close_case(c.db, c.actor(as_user), reference, reason)
    click.echo(f"case {reference.strip().upper()} closed; review by {review_by}")


@case.command("reopen")
@click.argument("reference")
@click.option("--reason", required=True, help="Why the case opens again; kept with it.")
@as_option
@pass_context
def case_reopen(c: _Context, reference: str, reason: str, as_user: str) -> None:
    """Open a closed case again (its lead or an administrator)."""
    retention.reopen_case(c.db, c.actor(as_user), reference, reason)
    click.echo(f"case {reference.strip().upper()} reopened")


@case.command("keep")
@click.argument("reference")
@click.option("--until", "review_by", required=True, metavar="YYYY-MM-DD", help="The new, later review-by date.")
@click.option("--reason", required=True, help="Why it is kept longer.")
@as_option
@pass_context
def case_keep(c: _Context, reference: str, review_by: str, reason: str, as_user: str) -> None:
    """Keep a closed case longer: a later review-by date, with the reason."""
    kept = retention.extend_review(c.db, c.actor(as_user), reference, review_by, reason)
    click.echo(f"case {reference.strip().upper()} kept; review by {kept}")


@case.command("delete")
@click.argument("reference")
@click.option("--reason", required=True, help="Why it is deleted (kept in the tombstone and the audit log).")
@click.option("--confirm", required=True, metavar="REFERENCE", help="The case reference again, to confirm.")
@as_option
@pass_context
def case_delete(c: _Context, reference: str, reason: str, confirm: str, as_user: str) -> None:
    """Delete a closed case for good (administrators): every record and evidence file of it. A
    tombstone (reference, when, by whom, why, rows per table) and the audit log stay."""
    done = retention.delete_case(c.db, c.actor(as_user), reference, reason, confirm=confirm)
    click.echo(
        f"case {done.reference} deleted: {sum(done.counts.values())} rows, "
        f"{done.files_removed} evidence files ({done.bytes_removed} bytes)"
    )
    for table, rows in done.counts.items():
        click.echo(f"  {table}: {rows}")
    if done.files_left:
        click.echo(
            f"error: {len(done.files_left)} evidence files could not be deleted; run `workbench retention sweep`",
            err=True,
        )
        sys.exit(1)


@main.group("retention")
def retention_group() -> None:
    """When closed cases come up for review, and what is left of deleted ones (administrators)."""


@retention_group.command("due")
@operator_option
@click.option("--all", "every_closed", is_flag=True, help="Every closed case, not only those due.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Count from this day (London).")
@format_option
@pass_context
def retention_due(c: _Context, as_user: str | None, every_closed: bool, today, fmt: str) -> None:
    """Closed cases whose review-by date has passed or falls within the schedule's window."""
    found = retention.due_for_review(
        c.db, c.actor_or_system(as_user), today=today.date() if today else None, every_closed=every_closed
    )
    _print_frame(found, fmt)


@retention_group.command("deleted")
@operator_option
@format_option
@pass_context
def retention_deleted(c: _Context, as_user: str | None, fmt: str) -> None:
    """The tombstones of deleted cases, newest first."""
    _print_frame(retention.tombstones(c.db, c.actor_or_system(as_user)), fmt)


@retention_group.command("schedule")
@format_option
def retention_schedule(fmt: str) -> None:
    """The retention schedule in force (schemas/retention.json, or WORKBENCH_SCHEMAS's): checks it too."""
    schedule = retention.load_schedule()
    _print_frame(schedule.as_frame(), fmt)
    if fmt == "table":
        click.echo(f"due within {schedule.due_within_days} days of the review-by date; from {schedule.source}")


@retention_group.command("sweep")
@operator_option
@pass_context
def retention_sweep(c: _Context, as_user: str | None) -> None:
    """Remove evidence files no record vouches for (left by a deletion that stopped part-way)."""
    swept = retention.sweep_store(c.db, c.actor_or_system(as_user))
    click.echo(f"removed {swept.files_removed} files ({swept.folders_removed} folders of deleted cases)")


# --- people and accounts ---------------------------------------------------------------------


@main.group()
def person() -> None:
    """People in a case: persons of concern, associates, family."""


@person.command("add")
@click.argument("reference")
@click.option("--name", required=True, help="Name or description of the person.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["person_of_concern", "associate", "family", "other"]),
    help="Their part.",
)
@click.option("--pseudonym", default="", help="Defaults to the next free letter: Person B, Person C, ...")
@click.option("--notes", default="", help="Free text.")
@as_option
@pass_context
def person_add(c: _Context, reference: str, name: str, role: str, pseudonym: str, notes: str, as_user: str) -> None:
    """Add a person to a case; prints their code."""
    code = people.add_person(c.db, c.actor(as_user), reference, name, role, pseudonym=pseudonym, notes=notes)
    click.echo(code)


@person.command("list")
@click.argument("reference")
@as_option
@format_option
@pass_context
def person_list(c: _Context, reference: str, as_user: str, fmt: str) -> None:
    """List the people in a case."""
    _print_frame(people.list_people(c.db, c.actor(as_user), reference), fmt)


@main.group()
def account() -> None:
    """Platform accounts in a case."""


@account.command("add")
@click.argument("reference")
@click.option("--platform", required=True, help="Instagram, TikTok, Snapchat, ...")
@click.option("--handle", required=True, help="The account's handle as shown on the platform.")
@click.option("--url", default="", help="The profile's web address.")
@click.option("--person", "person_code", default="", help="Whose account it is: a person code such as P-0001.")
@click.option("--notes", default="", help="Free text.")
@as_option
@pass_context
def account_add(
    c: _Context, reference: str, platform: str, handle: str, url: str, person_code: str, notes: str, as_user: str
) -> None:
    """Add a platform account to a case; prints its code."""
    code = people.add_account(
        c.db, c.actor(as_user), reference, platform, handle, url=url, person=person_code, notes=notes
    )
    click.echo(code)


@account.command("list")
@click.argument("reference")
@as_option
@format_option
@pass_context
def account_list(c: _Context, reference: str, as_user: str, fmt: str) -> None:
    """List the platform accounts in a case."""
    _print_frame(people.list_accounts(c.db, c.actor(as_user), reference), fmt)


# --- persons of concern (strategy 6.8) ---------------------------------------------------------


@main.group()
def concern() -> None:
    """Persons of concern: who may pose a risk to the child (and may be a child too)."""


@concern.command("list")
@click.argument("reference")
@as_option
@format_option
@pass_context
def concern_list(c: _Context, reference: str, as_user: str, fmt: str) -> None:
    """Each person of concern with their accounts and the observations that link them to the child.

    table and csv give one row per person (csv leaves out the standing note); json gives the note and,
    per person, every account and linked observation."""
    found = persons_of_concern.persons_of_concern(c.db, c.actor(as_user), reference)
    if fmt == "json":
        people_json = [
            {
                "code": p.code,
                "name": p.name,
                "pseudonym": p.pseudonym,
                "notes": p.notes,
                "accounts": p.accounts.to_dict("records"),
                "observations": p.observations.to_dict("records"),
                "count": p.count,
                "first_seen": p.first_seen,
                "last_seen": p.last_seen,
            }
            for p in found.people
        ]
        click.echo(json.dumps({"note": found.note, "people": people_json}, ensure_ascii=False, indent=2))
        return
    frame = pd.DataFrame(
        [
            {
                "code": p.code,
                "pseudonym": p.pseudonym,
                "name": p.name,
                "accounts": "; ".join(f"{a.code} {a.platform} {a.handle}" for a in p.accounts.itertuples()),
                "observations": p.count,
                "immediate_risk": p.immediate_risk,
                "first_seen": p.first_seen or "",
                "last_seen": p.last_seen or "",
                "linked": " ".join(p.observations["code"]),
                "notes": p.notes,
            }
            for p in found.people
        ],
        columns=[
            "code", "pseudonym", "name", "accounts", "observations", "immediate_risk", "first_seen", "last_seen",
            "linked", "notes",
        ],
    )  # fmt: skip
    if fmt == "table":
        click.echo(f"Note: {found.note}\n")
    _print_frame(frame, fmt)


# --- observations ----------------------------------------------------------------------------


@main.group()
def observation() -> None:
    """Record, import and list observations."""


@observation.command("add")
@click.argument("reference")
@as_option
@click.option("--kind", required=True, help="profile_indicator, friend_network, group_membership, ...")
@click.option("--indicator", required=True, help="One of the kind's indicators (value or label).")
@click.option("--summary", required=True, help="One or two sentences: what was seen.")
@click.option("--details", default="{}", help="The kind's own fields as a JSON object.")
@click.option(
    "--five-c", default="", help="Content, Conduct, Contact, Commercialisation or Communities (default: the kind's)."
)
@click.option("--url", default="", help="Where it was seen.")
@click.option("--account", "account_ref", default="", help="The account's code (AC-0001) or handle.")
@click.option(
    "--person", "person_code", default="", help="Whom it is about (default: the account's owner, else the child)."
)
@click.option("--visibility", default="public", show_default=True, help="public, friends_only or supplied.")
@click.option(
    "--occurred-at", default="", help="When it was posted or happened: 2026, 2026-03, 2026-03-14, ~2026-03-14 10:30."
)
@click.option("--observed-at", default="", help="When you saw it (default: now).")
@click.option("--source-type", required=True, help="analyst_viewed, supplied_parent_carer, supplied_police, ...")
@click.option("--source-grade", required=True, help="3x5x2: 1, 2 or 3. Admiralty: A-F.")
@click.option("--information-grade", required=True, help="3x5x2: A-E. Admiralty: 1-6.")
@click.option("--handling-code", required=True, help="P (sharing permitted) or C (with conditions).")
@click.option("--immediate-risk", is_flag=True, help="Immediate risk of significant harm: tell the police now.")
@click.option("--unauthorised-reason", default="", help="Why it is recorded when no research authorisation covers it.")
@click.option(
    "--repeat-viewing-reference", default="", help="The authorisation reference, past the repeated-viewing limit."
)
@pass_context
def observation_add(c: _Context, reference: str, as_user: str, **given) -> None:
    """Record one observation; prints its code."""
    given["account"] = given.pop("account_ref")
    given["person"] = given.pop("person_code")
    recorded = observations.record(c.db, c.actor(as_user), reference, given)
    click.echo(recorded.code)


@observation.command("import")
@click.argument("reference")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@as_option
@pass_context
def observation_import(c: _Context, reference: str, file: Path, as_user: str) -> None:
    """Import observations from a CSV file: every row is checked first; one bad row and nothing is imported."""
    result = observations.import_csv(
        c.db, c.actor(as_user), reference, file.read_bytes(), max_rows=c.settings.max_import_rows
    )
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(f"imported {result.count} observations ({result.codes[0]} to {result.codes[-1]})")


@observation.command("list")
@click.argument("reference")
@as_option
@format_option
@click.option("--include-retracted", is_flag=True, help="Also list retracted observations.")
@pass_context
def observation_list(c: _Context, reference: str, as_user: str, fmt: str, include_retracted: bool) -> None:
    """List the current version of every observation in a case."""
    frame = observations.list_observations(c.db, c.actor(as_user), reference, include_retracted=include_retracted)
    if fmt == "json":
        frame = frame.assign(details=frame["details"].map(json.loads))
    _print_frame(frame, fmt)


# --- facts -------------------------------------------------------------------------------------


@main.group()
def fact() -> None:
    """Trusted-source facts: what school, police, health or social care know."""


_FACT_ATTRIBUTE_HELP = (
    "date_of_birth, full_name, known_alias, gender, school, home_area, known_associate, known_account, "
    "looked_after, send_or_disability, mental_health, physical_health, family_risk_factor"
)
_AGENCY_HELP = "school, police, health, childrens_social_care, family_or_carer or other."


@fact.command("add")
@click.argument("reference")
@as_option
@click.option("--person", required=True, help="Whom it is about: a person code (P-0001), pseudonym or name.")
@click.option("--attribute", required=True, help=_FACT_ATTRIBUTE_HELP + ".")
@click.option("--value", required=True, help="What the source knows; a date of birth as YYYY-MM-DD.")
@click.option("--source-agency", required=True, help=_AGENCY_HELP)
@click.option("--source-reference", default="", help="Where it is recorded, e.g. Admissions record.")
@click.option("--valid-from", default="", help="First day it held (YYYY-MM-DD).")
@click.option("--valid-to", default="", help="Last day it held (YYYY-MM-DD).")
@pass_context
def fact_add(c: _Context, reference: str, as_user: str, **given) -> None:
    """Record one trusted-source fact; prints its code. The cross-referencing rules run at once."""
    click.echo(facts.add_fact(c.db, c.actor(as_user), reference, given))


@fact.command("amend")
@click.argument("reference")
@click.argument("code")
@as_option
@click.option("--reason", required=True, help="Why it changes; kept with the new version.")
@click.option("--attribute", default=None, help=_FACT_ATTRIBUTE_HELP + ".")
@click.option("--value", default=None, help="The corrected value.")
@click.option("--source-agency", default=None, help=_AGENCY_HELP)
@click.option("--source-reference", default=None, help="Where it is recorded.")
@click.option("--valid-from", default=None, help="First day it held (YYYY-MM-DD).")
@click.option("--valid-to", default=None, help="Last day it held (YYYY-MM-DD).")
@pass_context
def fact_amend(c: _Context, reference: str, code: str, as_user: str, reason: str, **given) -> None:
    """Add a version of a fact; options not given keep their value."""
    changes = {name: value for name, value in given.items() if value is not None}
    click.echo(facts.amend_fact(c.db, c.actor(as_user), reference, code, changes, reason))


@fact.command("retract")
@click.argument("reference")
@click.argument("code")
@as_option
@click.option("--reason", required=True, help="Why it is withdrawn; kept on record.")
@pass_context
def fact_retract(c: _Context, reference: str, code: str, as_user: str, reason: str) -> None:
    """Withdraw a fact; it stays on record, marked retracted."""
    click.echo(facts.retract_fact(c.db, c.actor(as_user), reference, code, reason))


@fact.command("link")
@click.argument("reference")
@click.argument("observation")
@click.argument("fact_code", metavar="FACT")
@as_option
@click.option(
    "--relation", required=True, type=click.Choice(crossref.MANUAL_RELATIONS), help="How the fact bears on it."
)
@click.option("--rationale", required=True, help="Why: kept with the link.")
@pass_context
def fact_link(
    c: _Context, reference: str, observation: str, fact_code: str, as_user: str, relation: str, rationale: str
) -> None:
    """Link an observation to a fact by hand; prints the link's code (XR-0001)."""
    click.echo(crossref.link(c.db, c.actor(as_user), reference, observation, fact_code, relation, rationale))


@fact.command("withdraw-link")
@click.argument("reference")
@click.argument("code")
@as_option
@click.option("--reason", required=True, help="Why the link is withdrawn; its history stays.")
@pass_context
def fact_withdraw_link(c: _Context, reference: str, code: str, as_user: str, reason: str) -> None:
    """Withdraw a link made by hand (XR-0001); it stays on record with its history."""
    crossref.withdraw(c.db, c.actor(as_user), reference, code, reason)
    click.echo(f"withdrew {code.strip().upper()}")


@fact.command("import")
@click.argument("reference")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@as_option
@pass_context
def fact_import(c: _Context, reference: str, file: Path, as_user: str) -> None:
    """Import facts from a CSV file: every row is checked first; one bad row and nothing is imported."""
    codes = facts.import_csv(c.db, c.actor(as_user), reference, file.read_bytes(), max_rows=c.settings.max_import_rows)
    click.echo(f"imported {len(codes)} facts ({codes[0]} to {codes[-1]})")


@fact.command("list")
@click.argument("reference")
@as_option
@format_option
@pass_context
def fact_list(c: _Context, reference: str, as_user: str, fmt: str) -> None:
    """List the current trusted-source facts of a case."""
    _print_frame(facts.list_facts(c.db, c.actor(as_user), reference), fmt)


@main.command("crossref")
@click.argument("reference")
@as_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table for reading, csv for a spreadsheet (formula-safe), json for programs.",
)
@click.option("--include-withdrawn", is_flag=True, help="Also list links an analyst withdrew.")
@click.option("--recompute", is_flag=True, help="Run every rule over the case again first.")
@pass_context
def crossref_list(
    c: _Context, reference: str, as_user: str, fmt: str, include_withdrawn: bool, recompute: bool
) -> None:
    """Every cross-reference of a case, contradictions first: observation, fact, relation, the rule
    or analyst behind it, the detail and the match score."""
    actor = c.actor(as_user)
    if recompute:
        crossref.recompute(c.db, actor, reference)
    frame = crossref.list_crossrefs(c.db, actor, reference, include_withdrawn=include_withdrawn)
    if fmt == "table":
        frame = frame[["observation", "fact", "relation", "labels", "by", "score", "detail"]]
    _print_frame(frame, fmt)


# --- the timeline --------------------------------------------------------------------------------


@main.group()
def milestone() -> None:
    """Case milestones on the timeline: referral, strategy discussion, case conference, ..."""


@milestone.command("add")
@click.argument("reference")
@as_option
@click.option(
    "--kind",
    required=True,
    help="referral, strategy_discussion, case_conference, authorisation, child_seen or other.",
)
@click.option("--at", "occurred_at", required=True, help="When: 2026-03-14, 2026-03-14 10:30, ~2026-03.")
@click.option("--note", default="", help="What was decided or done.")
@pass_context
def milestone_add(c: _Context, reference: str, as_user: str, **given) -> None:
    """Add a milestone to a case's timeline; prints its code (M-0001)."""
    click.echo(milestones.add_milestone(c.db, c.actor(as_user), reference, given))


@milestone.command("retract")
@click.argument("reference")
@click.argument("code")
@as_option
@click.option("--reason", required=True, help="Why it is withdrawn; kept on record.")
@pass_context
def milestone_retract(c: _Context, reference: str, code: str, as_user: str, reason: str) -> None:
    """Withdraw a milestone recorded in error; it stays on record, marked retracted."""
    click.echo(milestones.retract_milestone(c.db, c.actor(as_user), reference, code, reason))


# --- actions -----------------------------------------------------------------------------------

_ACTION_OPTIONS = (
    click.option("--observation", default=None, help="The observation it answers (OBS-0007)."),
    click.option(
        "--status", default=None, help="to_do, done or not_applicable (default: done with --done-at, else to_do)."
    ),
    click.option("--due", "due_date", default=None, help="Due by: 2026-03-20."),
    click.option(
        "--done-at", default=None, help="When it was done: 2026-03-14 or 2026-03-14 10:30 (default: now, if done)."
    ),
    click.option("--done-by", default=None, help="Who did it (default: you, if done)."),
    click.option(
        "--reference", "action_reference", default=None, help="The police incident or log number, or the platform's."
    ),
    click.option("--why-not", "status_reason", default=None, help="Why it does not apply (for not_applicable)."),
    click.option("--note", default=None, help="What, to whom."),
)  # fmt: skip


def _action_options(command):
    for option in reversed(_ACTION_OPTIONS):
        command = option(command)
    return command


def _action_given(options: dict) -> dict:
    """What was typed, by the field names actions.py reads; options not given are left out."""
    given = {name: value for name, value in options.items() if value is not None}
    if "action_reference" in given:
        given["reference"] = given.pop("action_reference")
    return given


@main.group()
def action() -> None:
    """Actions: reported to platform, police informed, DSL informed, Report Remove used, ..."""


@action.command("add")
@click.argument("reference")
@click.argument("kind")
@as_option
@_action_options
@pass_context
def action_add(c: _Context, reference: str, kind: str, as_user: str, **options) -> None:
    """Record an action; prints its code (ACT-0001). KIND: reported_to_platform, police_informed,
    dsl_informed, report_remove_used, safety_plan_considered, strategy_discussion_held, referral_made
    or other."""
    click.echo(actions.add_action(c.db, c.actor(as_user), reference, {"kind": kind, **_action_given(options)}))


@action.command("update")
@click.argument("reference")
@click.argument("code")
@as_option
@_action_options
@click.option("--reason", default="", help="Why it changes (optional); kept on record.")
@pass_context
def action_update(c: _Context, reference: str, code: str, as_user: str, reason: str, **options) -> None:
    """Add a version of an action: mark it done or not applicable, set its due date or reference.
    Options not given keep their value."""
    click.echo(actions.update_action(c.db, c.actor(as_user), reference, code, _action_given(options), reason=reason))


@action.command("retract")
@click.argument("reference")
@click.argument("code")
@as_option
@click.option("--reason", required=True, help="Why it is withdrawn; kept on record.")
@pass_context
def action_retract(c: _Context, reference: str, code: str, as_user: str, reason: str) -> None:
    """Withdraw an action recorded in error; it stays on record, marked retracted."""
    click.echo(actions.retract_action(c.db, c.actor(as_user), reference, code, reason))


@action.command("list")
@click.argument("reference")
@as_option
@click.option("--include-retracted", is_flag=True, help="Also actions withdrawn as recorded in error.")
@click.option("--outstanding", is_flag=True, help="Only those still to do, overdue first.")
@format_option
@pass_context
def action_list(
    c: _Context, reference: str, as_user: str, include_retracted: bool, outstanding: bool, fmt: str
) -> None:
    """A case's actions: kind, status, due date, overdue, when done and by whom, reference."""
    frame = actions.list_actions(c.db, c.actor(as_user), reference, include_retracted=include_retracted)
    if outstanding:
        frame = actions.outstanding(frame)
    if fmt == "table":
        frame = frame[["code", "action", "state", "due_date", "overdue", "done", "done_by", "reference", "observation"]]
    else:
        frame = actions.for_export(frame)
    _print_frame(frame, fmt)


# --- research authorisations ---------------------------------------------------------------------


@main.group()
def authorisation() -> None:
    """Research authorisations: the basis for looking at a footprint, and when to review it."""


@authorisation.command("add")
@click.argument("reference")
@as_option
@click.option("--purpose", required=True, help="Why the footprint is looked at.")
@click.option("--basis", "lawful_basis", required=True, help="E.g. 'Children Act 1989 s.47; DPA 2018 Sch.1 para 18'.")
@click.option("--authorised-by", required=True, metavar="NAME", help="Who gave it (name and post).")
@click.option("--authorised-on", default="", help="The day it was given, YYYY-MM-DD (default: today).")
@click.option("--review-date", required=True, help="When it must be reviewed, YYYY-MM-DD.")
@click.option("--ends-on", default="", help="The last day it covers, if it ends.")
@click.option(
    "--platforms", default="", help="Platforms it covers, comma-separated (default: all, with no --accounts)."
)
@click.option("--accounts", default="", help="Account codes or handles it covers, comma-separated.")
@click.option("--auth-reference", "reference_given", default="", help="The authorising body's own number.")
@pass_context
def authorisation_add(c: _Context, reference: str, as_user: str, reference_given: str, **given) -> None:
    """Record a research authorisation; prints its code (AUTH-0001)."""
    given["reference"] = reference_given
    click.echo(authorisations.add_authorisation(c.db, c.actor(as_user), reference, given))


@authorisation.command("review")
@click.argument("reference")
@click.argument("code")
@as_option
@click.option("--reason", required=True, help="What the review decided; kept on record.")
@click.option("--review-date", default=None, help="The next review, YYYY-MM-DD.")
@click.option("--ends-on", default=None, help="The last day it covers.")
@click.option("--platforms", default=None, help="Platforms it covers now, comma-separated.")
@click.option("--accounts", default=None, help="Account codes or handles it covers now, comma-separated.")
@pass_context
def authorisation_review(c: _Context, reference: str, code: str, as_user: str, reason: str, **changes) -> None:
    """Record a review: a new version with the next review date (or an end). Options not given keep their value."""
    changes = {name: value for name, value in changes.items() if value is not None}
    click.echo(authorisations.review_authorisation(c.db, c.actor(as_user), reference, code, changes, reason))


@authorisation.command("list")
@click.argument("reference")
@as_option
@click.option("--include-retracted", is_flag=True, help="Also authorisations withdrawn as recorded in error.")
@format_option
@pass_context
def authorisation_list(c: _Context, reference: str, as_user: str, include_retracted: bool, fmt: str) -> None:
    """A case's authorisations: basis, scope, in force, review date and whether it is overdue."""
    frame = authorisations.list_authorisations(c.db, c.actor(as_user), reference, include_retracted=include_retracted)
    if fmt == "table":
        frame = frame[["code", "authorised_on", "review_date", "ends_on", "scope", "in_force", "review_overdue"]]
    elif fmt == "json":
        frame = frame.assign(platforms=frame["platforms"].map(json.loads), accounts=frame["accounts"].map(json.loads))
    _print_frame(frame, fmt)


# --- viewing log -------------------------------------------------------------------------------


@main.group("view")
def view_group() -> None:
    """The viewing log: looking at an account without recording, and repeated viewing."""


@view_group.command("log")
@click.argument("reference")
@click.argument("account")
@click.option("--at", "viewed_at", default=None, help="When: 2026-03-14 10:30, London time (default: now).")
@click.option("--note", default="", help="Why you looked; what you saw.")
@click.option(
    "--authorisation-reference",
    default="",
    help="The authorisation for repeated viewing; needed past the limit of views of one account in the period.",
)
@as_option
@pass_context
def view_log(
    c: _Context, reference: str, account: str, viewed_at: str | None, note: str, authorisation_reference: str,
    as_user: str,
) -> None:  # fmt: skip
    """Log a look at ACCOUNT (its code, AC-0002, or handle) without recording an observation;
    prints the view's code (VW-0001)."""
    try:
        logged = viewing.log_view(
            c.db, c.actor(as_user), reference, account, viewed_at, note=note,
            authorisation_reference=authorisation_reference,
        )  # fmt: skip
    except ValidationError as e:
        if "authorisation_reference" in e.errors:
            click.echo(f"warning: {e.errors['authorisation_reference']}", err=True)
            click.echo("Nothing was logged. Give the reference with --authorisation-reference.", err=True)
            sys.exit(1)
        raise
    click.echo(logged.code)
    if logged.repeated:
        click.echo(
            f"{logged.repeated.count} views of {logged.account} in {logged.repeated.period_days} days, past the "
            f"limit of {logged.repeated.limit}: the authorisation reference is kept.",
            err=True,
        )


@view_group.command("list")
@click.argument("reference")
@as_option
@click.option("--views", "every_view", is_flag=True, help="Every view (logged or by observation), not the accounts.")
@format_option
@pass_context
def view_list(c: _Context, reference: str, as_user: str, every_view: bool, fmt: str) -> None:
    """Per account: views in the current period, the limit, over it or not, last viewed. With --views,
    every view with who, when and any authorisation reference."""
    log = viewing.viewing_log(c.db, c.actor(as_user), reference)
    if fmt == "table" and not every_view:
        click.echo(f"Limit: {log.limit} views of one account in {log.period_days} days ({log.since} to {log.until}).")
    _print_frame(log.views if every_view else log.accounts, fmt)


@main.command("timeline")
@click.argument("reference")
@as_option
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (London).")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (London).")
@click.option("--include-history", is_flag=True, help="Also superseded and retracted versions.")
@click.option("--immediate-risk-only", is_flag=True, help="Only observations marked immediate risk.")
@format_option
@pass_context
def timeline_list(
    c: _Context, reference: str, as_user: str, date_from, date_to, include_history, immediate_risk_only, fmt: str
) -> None:
    """A case's events in time order: observations, dated facts, evidence captures, actions, milestones."""
    filters = timeline.TimelineFilter(
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
        include_history=include_history,
        immediate_risk_only=immediate_risk_only,
    )
    events = timeline.timeline(c.db, c.actor(as_user), reference, filters).events
    if fmt == "csv":
        click.echo(timeline.as_csv(events), nl=False)
        return
    if fmt == "table":
        events = events[["code", "when", "what", "summary", "five_c", "grade", "status"]]
    else:
        events = timeline.for_export(events)
    _print_frame(events, fmt)


# --- evidence ----------------------------------------------------------------------------------

EXIT_REJECTED = 3


@main.group("evidence")
def evidence_group() -> None:
    """Evidence files: screenshots, supplied photos and saved pages, kept byte-exact and hashed."""


@evidence_group.command("add")
@click.argument("reference")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@as_option
@click.option("--observation", default="", help="The observation the files belong to (OBS-0007).")
@click.option("--source-url", default="", help="Where it was seen.")
@click.option("--description", "shows", default="", help="What it shows.")
@click.option("--relevance", default="", help="Why it is relevant.")
@click.option(
    "--method",
    default=evidence.DEFAULT_METHOD,
    show_default=True,
    help="screenshot_work_device, supplied_parent_carer, supplied_police, saved_page or other.",
)
@click.option("--platform", default="", help="Instagram, TikTok, Snapchat, ...")
@click.option("--viewing-account", default="", help="The overt organisational account it was viewed with.")
@click.option("--captured-at", default="", help="When it was captured, as you state it (default: not stated).")
@pass_context
def evidence_add(c: _Context, reference: str, files: tuple[Path, ...], as_user: str, **capture) -> None:
    """Store files as evidence: one JSON line per file (stored, duplicate or rejected); exit 3 if any
    was rejected. Running it confirms that no file holds a nude or semi-nude image of a child."""
    click.echo(
        "By adding these files you confirm none holds a nude or semi-nude image of a child "
        "(Protection of Children Act 1978): describe such an image in an observation and report it instead.",
        err=True,
    )
    results = evidence.add_files(
        c.db,
        c.actor(as_user),
        reference,
        [evidence.Upload.of_path(path) for path in files],
        {**capture, "confirmed_no_indecent_image": True},
        limits=c.settings.evidence,
    )
    for result in results:
        click.echo(_json_line(result.as_json()))
    if any(result.status == evidence.REJECTED for result in results):
        sys.exit(EXIT_REJECTED)


@evidence_group.command("list")
@click.argument("reference")
@as_option
@format_option
@pass_context
def evidence_list(c: _Context, reference: str, as_user: str, fmt: str) -> None:
    """List a case's evidence items, purged ones included."""
    frame = evidence.as_frame(evidence.list_evidence(c.db, c.actor(as_user), reference))
    if fmt == "table":
        frame = frame[["code", "file_name", "media_type", "size", "observation", "duplicate_of", "has_gps", "purged"]]
    _print_frame(frame, fmt)


@evidence_group.command("verify")
@click.argument("reference", required=False)
@click.option("--as", "as_user", default=None, metavar="USERNAME", help="Act as this user (default: the operator).")
@pass_context
def evidence_verify(c: _Context, reference: str | None, as_user: str | None) -> None:
    """Re-hash every stored file (of one case, or all); exit 1 listing each missing or altered one."""
    actor = c.actor_or_system(as_user)
    report = evidence.verify_case(c.db, actor, reference) if reference else evidence.verify_all(c.db, actor)
    if report.intact:
        click.echo(f"{report.checked} items intact")
        return
    for problem in report.problems:
        click.echo(_printable(problem.line()), err=True)
    sys.exit(1)


@evidence_group.command("purge")
@click.argument("reference")
@click.argument("code")
@click.option("--reason", required=True, help="Why the bytes must go; kept with the record.")
@click.option("--as", "as_user", default=None, metavar="USERNAME", help="Act as this user (default: the operator).")
@pass_context
def evidence_purge(c: _Context, reference: str, code: str, reason: str, as_user: str | None) -> None:
    """Delete an item's bytes and every derived copy; the record, its SHA-256 and the reason stay."""
    codes = evidence.purge(c.db, c.actor_or_system(as_user), reference, code, reason)
    click.echo(f"purged {', '.join(codes)}: the bytes are deleted; the records stay, marked purged")


# --- audit -------------------------------------------------------------------------------------


# --- evidence bundles ----------------------------------------------------------------------------


@main.command("export")
@click.argument("reference")
@click.option("--out", "target", required=True, type=click.Path(path_type=Path), help="The ZIP to write.")
@as_option
@click.option("--purpose", required=True, help="Why it is shared (kept on record and in the bundle).")
@click.option("--recipient", required=True, help="Whom it is for.")
@click.option("--redact", default="", help="Any of names,handles,urls,gps, comma-separated.")
@click.option("--no-files", is_flag=True, help="Leave the evidence files out (evidence.csv still lists them).")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (London).")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (London).")
@click.option(
    "--conditions-met",
    default="",
    help="How the conditions on records graded C are met; without it they are left out.",
)
@click.option("--force", is_flag=True, help="Replace a file already at --out.")
@pass_context
def export_bundle(
    c: _Context, reference: str, target: Path, as_user: str, redact: str, no_files: bool, date_from, date_to, **given
) -> None:
    """Export a case as an evidence bundle: CSVs, the evidence files, datapackage.json, README.txt,
    SHA256SUMS. Prints the bundle's code, path and SHA-256."""
    options = export.ExportOptions(
        purpose=given["purpose"],
        recipient=given["recipient"],
        redact=tuple(part.strip() for part in redact.split(",") if part.strip()),
        include_files=not no_files,
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
        conditions_met=given["conditions_met"],
        force=given["force"],
    )
    result = export.export_case(c.db, c.actor(as_user), reference, target, options)
    click.echo(f"{result.code} {result.path} sha256 {result.sha256} ({result.files} files, {result.size} bytes)")
    if result.left_out_conditional:
        click.echo(
            f"note: {result.left_out_conditional} observation(s) graded C (sharing with conditions) were left out; "
            "give --conditions-met to include them.",
            err=True,
        )


@main.command("verify-bundle")
@click.argument("bundle", type=click.Path(path_type=Path, dir_okay=False))
def verify_bundle(bundle: Path) -> None:
    """Check an evidence bundle: SHA256SUMS, the data package's hashes and Table Schemas, and each
    evidence file against its name and evidence.csv. Exit 0 when intact, 1 with one line per problem."""
    report = bundle_verify.verify_bundle(bundle)
    if report.intact:
        click.echo(f"bundle intact: {report.files} files")
        return
    for problem in report.problems:
        click.echo(_printable(problem))
    sys.exit(1)


@main.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@pass_context
def audit_verify(c: _Context) -> None:
    """Recompute the audit chain; exit 1 naming the first event that does not verify."""
    report = audit.verify(c.db)
    if report.intact:
        click.echo(f"audit chain intact: {report.events} events")
        return
    click.echo(f"audit chain broken at event {report.first_bad_seq}: {report.problem}", err=True)
    sys.exit(1)


@audit_group.command("activity")
@click.argument("reference")
@as_option
@click.option("--user", "username", default=None, help="Only this user's events.")
@click.option("--action", default=None, help="Only this action, e.g. observation.create.")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (London).")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (London).")
@format_option
@pass_context
def audit_activity(c: _Context, reference: str, as_user: str, username, action, date_from, date_to, fmt: str) -> None:
    """A case's events, newest first (its lead and administrators)."""
    filters = activity.ActivityFilter(
        username=username,
        action=action,
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
    )
    found = activity.case_activity(c.db, c.actor(as_user), reference, filters, limit=None, downloading=fmt != "table")
    _print_frame(found.events, fmt)


# --- backup and restore (issue 9 point 5) ----------------------------------------------------------

EXIT_BACKUP_INCOMPLETE = 3  # written, but files the database names were missing or altered


@main.command("backup")
@click.option(
    "--out", "target", required=True, type=click.Path(path_type=Path, dir_okay=False), help="The .tar to write."
)
@click.option("--force", is_flag=True, help="Replace a file already at --out.")
@pass_context
def backup_create(c: _Context, target: Path, force: bool) -> None:
    """Back up the whole workbench into one .tar while the app runs: the database (SQLite's online
    backup) and the evidence files it names, with a manifest of SHA-256s. Prints the archive's path
    and SHA-256; exit 3 (archive written) when files the database names are missing or altered."""
    from workbench import backup

    if not c.settings.database_path.exists():
        raise WorkbenchError(f"there is no workbench at {c.settings.home} to back up")
    done = backup.create_backup(c.db, access.SYSTEM, target, force=force)
    click.echo(
        f"backup {done.path} sha256 {done.sha256} ({done.size} bytes: schema {done.schema_version}, "
        f"{sum(done.counts.values())} rows, {done.evidence_files} evidence files, {done.evidence_bytes} bytes)"
    )
    if done.problems:
        for problem in done.problems:
            click.echo(f"warning: {_printable(problem)}", err=True)
        click.echo("warning: the backup holds the store as it is; run `workbench evidence verify`", err=True)
        sys.exit(EXIT_BACKUP_INCOMPLETE)


@main.command("restore")
@click.argument("archive", type=click.Path(path_type=Path, dir_okay=False))
@pass_context
def backup_restore(c: _Context, archive: Path) -> None:
    """Restore a backup into --home, which must be empty (or not exist yet). Every member is checked
    against the manifest before anything is written; then the audit chain and every evidence file
    are checked, as `audit verify` and `evidence verify` do. Exit 1 if either finds a problem."""
    from workbench import backup

    done = backup.restore_backup(c.settings, archive)
    click.echo(
        f"restored {done.home} from {archive} (sha256 {done.archive_sha256}), a backup made {done.created_at} "
        f"by workbench {_printable(done.workbench_version)}: schema {done.schema_version}, "
        f"{sum(done.counts.values())} rows, {done.evidence_files} evidence files"
    )
    failed = False
    if done.audit.intact:
        click.echo(f"audit chain intact: {done.audit.events} events")
    else:
        click.echo(f"audit chain broken at event {done.audit.first_bad_seq}: {done.audit.problem}", err=True)
        failed = True
    if done.evidence.intact:
        click.echo(f"{done.evidence.checked} items intact")
    else:
        for problem in done.evidence.problems:
            click.echo(_printable(problem.line()), err=True)
        failed = True
    if failed:
        sys.exit(1)


def _print_frame(frame: pd.DataFrame, fmt: str) -> None:
    if fmt == "json":
        click.echo(frame.to_json(orient="records", force_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo(frame_to_csv(frame), nl=False)
    elif frame.empty:
        click.echo("(none)")
    else:  # a terminal must not act on control characters in user text
        printable = frame.map(lambda v: _printable(v) if isinstance(v, str) else v)
        click.echo(printable.to_string(index=False, max_colwidth=60))


def _json_line(value) -> str:
    """One line of JSON with non-ASCII names intact, but no character a terminal would act on
    (C1 controls, bidi overrides from a file's metadata): those are written as \\u escapes."""
    text = json.dumps(value, ensure_ascii=False)
    return "".join(f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)

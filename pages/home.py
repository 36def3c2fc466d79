"""Home: what needs you now, across every case you are a member of."""

import streamlit as st

from workbench import home
from workbench.actions import day_text
from workbench.errors import WorkbenchError
from workbench.timeutil import format_local
from workbench.ui import session
from workbench.ui.feedback import show_error
from workbench.ui.safe import escape

user = session.require_actor()
db = session.db()

st.title("Home")
st.text(f"{user.display_name} · {user.role}")
try:
    mine = home.home(db, user)
except WorkbenchError as e:
    show_error(e)
    st.stop()


def _open(reference: str, page: str, label: str, key: str) -> None:
    if st.button(label, key=key, icon=":material/open_in_new:"):
        session.choose_case(reference)
        st.switch_page(page, query_params={"case": reference})


if mine.cases.empty:
    if user.is_admin:
        st.info(
            "You are not a member of any case, so no case content is shown here. As an administrator you manage "
            "members, activity, users and retention from the Manage pages."
        )
    else:
        st.info("You are not a member of any case yet. A case lead or an administrator can add you.")
    st.stop()

# Immediate risk first: the police must be told without delay (strategy 6.6).
for reference, items in mine.awaiting_police.groupby("reference", sort=False):
    with st.container(border=True):
        st.error(
            f"{reference}: {len(items)} item(s) marked IMMEDIATE RISK of significant harm with no record that the "
            "police were informed. Inform the police without delay, then record a Police informed action with "
            "when, by whom and their reference.",
            icon=":material/warning:",
        )
        st.text("\n".join(f"{r.code} · marked {r.marked} · {r.summary}" for r in items.itertuples()))
        _open(reference, "pages/actions.py", f"Record the police action in {reference}", f"police_{reference}")

# Someone gave themselves access to a case you lead: an administrator may join any case (issue 24).
for joined in mine.self_added.itertuples():
    who = f"{joined.display_name} ({joined.username})"
    st.warning(
        escape(
            (f"An administrator, {who}," if joined.administrator else who)
            + f" added themselves to {joined.reference} as {joined.role} on {format_local(joined.added_at)}."
            " They see the case's content while they are a member; if they should not, remove them on Members."
        ),
        icon=":material/person_add:",
    )

st.subheader("My cases")
st.dataframe(
    mine.cases,
    hide_index=True,
    column_config={
        "reference": "Reference",
        "title": "Title",
        "status": "Status",
        "my_role": "My part",
        "awaiting_police": "Police not told",
        "overdue_actions": "Overdue actions",
        "outstanding_actions": "Actions to do",
        "authorisation": "Research authorisation",
    },
)

st.subheader("Overdue actions")
if mine.overdue_actions.empty:
    st.text("None.")
else:
    st.dataframe(
        mine.overdue_actions.assign(due_date=mine.overdue_actions["due_date"].map(day_text)),
        hide_index=True,
        column_config={
            "reference": "Case",
            "code": "Code",
            "action": "Action",
            "due_date": "Was due",
            "observation": "For",
            "note": st.column_config.TextColumn("Note", width="large"),
        },
    )

st.subheader("Authorisations to review")
st.caption(f"Research authorisations whose review date has passed or falls within {home.REVIEW_SOON_DAYS} days.")
if mine.reviews.empty:
    st.text("None.")
else:
    st.dataframe(
        mine.reviews.assign(
            review_date=mine.reviews["review_date"].map(day_text),
            overdue=mine.reviews["overdue"].map({True: "OVERDUE", False: "soon"}),
        ),
        hide_index=True,
        column_config={
            "reference": "Case",
            "code": "Code",
            "review_date": "Review by",
            "overdue": "State",
            "scope": "Covers",
            "purpose": st.column_config.TextColumn("Purpose", width="large"),
        },
    )

references = mine.cases["reference"].tolist()
current = session.current_case()
left, right = st.columns([3, 1], vertical_alignment="bottom")
chosen = left.selectbox(
    "Case to open", references, index=references.index(current) if current in references else 0, key="home_case"
)
with right:
    _open(chosen, "pages/case_overview.py", "Open case", "home_open_case")

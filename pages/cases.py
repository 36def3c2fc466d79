"""Cases: the cases you are a member of; open one; open a new case."""

import streamlit as st

from workbench import access, cases
from workbench.errors import WorkbenchError
from workbench.ui import session
from workbench.ui.feedback import notify_after_rerun, show_error, show_notice

user = session.require_actor()
db = session.db()
st.title("Cases")
show_notice()

mine = cases.list_cases(db, user)
if mine.empty and user.is_admin:
    st.info(
        "You are not a member of any case, so you see no case content. As an administrator you manage"
        " who is in each case on the Members page, and read what happened in it on the Activity page."
    )
elif mine.empty:
    st.info("You are not a member of any case yet. A case lead or an administrator can add you.")
else:
    st.dataframe(
        mine,
        hide_index=True,
        column_config={
            "reference": "Reference",
            "external_ref": "Case-management number",
            "title": "Title",
            "subject": "Child",
            "status": "Status",
            "my_role": "My part",
            "lead": "Lead",
            "observations": "Observations",
            "level": "Level of need",
            "authorisation": "Research authorisation",
            "created_at": st.column_config.DatetimeColumn("Opened (UTC)", format="D MMM YYYY"),
        },
    )
    references = mine["reference"].tolist()
    current = session.current_case()
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    chosen = left.selectbox(
        "Case to open", references, index=references.index(current) if current in references else 0, key="open_case"
    )
    if right.button("Open case", type="primary"):
        session.choose_case(chosen)
        st.switch_page("pages/case_overview.py", query_params={"case": chosen})

if access.may_create_cases(user):
    with st.expander("Open a new case", icon=":material/create_new_folder:", expanded=mine.empty):
        with st.form("new_case", clear_on_submit=False):
            st.caption("The workbench gives the case its reference when it opens.")
            title = st.text_input("Title *", max_chars=200, help="Short and without the child's real name.")
            external_ref = st.text_input(
                "Case-management number",
                max_chars=60,
                help="Your service's own number for this case, e.g. EH-2026-0142, if it has one.",
            )
            subject = st.text_input("Child's pseudonym *", value="Child A", max_chars=60)
            lead = st.text_input(
                "Case lead (username)",
                value="" if user.role == "admin" else user.username,
                max_chars=64,
                help="The lead adds members and exports. Analysts lead the cases they open unless they name another.",
            )
            if st.form_submit_button("Open case", type="primary"):
                try:
                    opened = cases.open_case(
                        db, user, title, external_ref=external_ref, subject_pseudonym=subject, lead=lead or None
                    )
                except WorkbenchError as e:
                    show_error(e)
                else:
                    session.choose_case(opened.reference)
                    notify_after_rerun(f"Case {opened.reference} opened.")
                    st.rerun()

"""The workbench's server: `streamlit run server.py` (make run does it).

Streamlit serves the app (app.py) as usual; beside it the workbench serves case files itself, to
the signed-in browser that asked for them, and gives each browser the key its sign-in is bound to
(`workbench/web/`). Started as `streamlit run app.py` instead, nobody could sign in: the browser
would never be given its key.
"""

import streamlit as st

from workbench import web
from workbench.config import Settings

app = st.App(
    "app.py",
    routes=web.routes(st.get_option("server.baseUrlPath") or ""),
    middleware=web.middleware(Settings.from_env()),
)

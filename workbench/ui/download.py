"""Downloads that are made, and audited, only when the user clicks.

Streamlit calls a deferred download's function when the button is pressed, outside the script
run, so it opens its own connection: the audit event is written for a download that happened,
not for every time the page drew a button.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import sqlite_utils
import streamlit as st

from workbench.config import Settings
from workbench.csvsafe import frame_to_csv_bytes
from workbench.db import open_home


def csv_download(
    label: str, file_name: str, make: Callable[[sqlite_utils.Database], pd.DataFrame], *, key: str
) -> None:
    file_download(label, file_name, lambda db: frame_to_csv_bytes(make(db)), mime="text/csv", key=key)


def file_download(
    label: str, file_name: str, make: Callable[[sqlite_utils.Database], bytes], *, mime: str, key: str
) -> None:
    settings = Settings.from_env()

    def produce() -> bytes:
        db = open_home(settings)
        try:
            return make(db)
        finally:
            db.conn.close()

    st.download_button(
        label, produce, file_name=file_name, mime=mime, icon=":material/download:", key=key, on_click="ignore"
    )

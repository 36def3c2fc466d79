"""Case files in the page: downloads and previews, served beside the app to this sign-in only.

Streamlit's own download button and image element would publish the bytes at a `/media/` address
that any client could fetch with no cookie, for as long as the session lived. Here a page asks
`workbench.downloads` for a grant and the browser fetches `files/<token>` from the workbench's own
endpoint (`workbench/web/files.py`), which checks the sign-in, the browser's key, the account and
the right at that moment, and writes the audit event as the bytes leave.

A download is two clicks: the button asks for the file (a grant, checked then), and the link it
reveals fetches it, once, within a couple of minutes. The link is gone at the next click.
"""

from __future__ import annotations

import html
import time

import streamlit as st

from workbench import downloads
from workbench.errors import WorkbenchError
from workbench.ui import session
from workbench.ui.feedback import show_error
from workbench.web.files import FILES_PATH

_PREVIEWS = "_preview_links"  # per case and code: (token, good until), so a rerun shows the same link


def file_url(token: str) -> str:
    """Relative to the page (every page is one level under the app's root, whatever its base path)."""
    return f"{FILES_PATH}/{token}"


def prepared_download(
    label: str,
    *,
    reference: str,
    kind: str,
    file_name: str,
    params: dict | None = None,
    key: str,
) -> None:
    """A button that asks for the file, then the link that fetches it."""
    if not st.button(label, key=key, icon=":material/download:"):
        return
    try:
        token = downloads.offer(
            session.db(),
            session.require_actor(),
            reference,
            kind,
            sign_in_id=session.sign_in_id(),
            file_name=file_name,
            params={**(params or {}), "file_name": file_name},
        )
    except WorkbenchError as e:
        show_error(e)
        return
    link(token, f"Save {file_name}", minutes=downloads.minutes_valid(kind), key=f"{key}_link")


def link(token: str, label: str, *, minutes: float, key: str) -> None:
    st.link_button(label, file_url(token), type="primary", icon=":material/save:", key=key)
    st.caption(f"The link works once, in this browser, for {minutes:g} minutes.")


def previews(reference: str, codes: list[str]) -> dict[str, str]:
    """A link to each item's preview, made once and shown again while it is good (the browser
    then keeps the picture it has instead of fetching it at every click)."""
    held: dict = st.session_state.setdefault(_PREVIEWS, {})
    now = time.time()
    good_for = downloads.minutes_valid("evidence.preview") * 60
    links = {}
    for code in codes:
        token, until = held.get((reference, code), (None, 0.0))
        if token is None or until - now < 60:
            token = downloads.offer(
                session.db(),
                session.require_actor(),
                reference,
                "evidence.preview",
                sign_in_id=session.sign_in_id(),
                file_name=f"{code}-preview",
                params={"code": code},
            )
            held[(reference, code)] = (token, now + good_for)
        links[code] = token
    return links


def image(token: str, alt: str, *, max_width: int | None = None) -> None:
    """The preview behind a link, drawn by the browser from the workbench's endpoint: as wide as its
    column (a gallery card), or at its own size up to `max_width`, never enlarged. The markup is the
    workbench's own: a token, an item code and fixed words, each escaped."""
    width = f"max-width:min(100%,{int(max_width)}px)" if max_width else "width:100%"
    st.html(
        f'<img src="{html.escape(file_url(token))}" alt="{html.escape(alt)}" '
        f'style="{width};height:auto;display:block;border-radius:0.25rem">'
    )

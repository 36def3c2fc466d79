"""User text never reaches Markdown or HTML unescaped.

Most user text is shown with st.text, st.dataframe or st.code, which render no markup. Where a
Streamlit call renders Markdown (st.error, st.info, labels, captions), escape() turns every
ASCII punctuation mark into a literal one, so links, images, HTML, emphasis, LaTeX, coloured text
and emoji short codes in user text stay plain characters.
"""

from __future__ import annotations

import string

_ESCAPES = {ord(ch): "\\" + ch for ch in string.punctuation}


def escape(text) -> str:
    """Markdown-inert text: every punctuation mark backslash-escaped, line breaks kept."""
    escaped = str(text).translate(_ESCAPES)
    return escaped.replace("\r\n", "\n").replace("\n", "  \n")

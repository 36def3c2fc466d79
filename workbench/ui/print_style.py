"""How a page prints from the browser: the sidebar, the header and the controls left off, the
text given the whole page. Fixed CSS only: no user text ever goes through st.html."""

import streamlit as st

_PRINT_CSS = """
<style>
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stCheckbox"], [data-testid="stDecoration"], [data-testid="stStatusWidget"] {
    display: none !important;
  }
  [data-testid="stMain"] .block-container, [data-testid="stMainBlockContainer"] {
    padding: 0 !important;
    max-width: 100% !important;
  }
  [data-testid="stText"] { white-space: pre-wrap !important; break-inside: avoid-page; }
  body, .stApp { background: white !important; }
}
</style>
"""


def print_style() -> None:
    st.html(_PRINT_CSS)

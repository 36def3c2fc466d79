"""Streamlit widgets shared by the pages. The only part of workbench/ that imports streamlit."""

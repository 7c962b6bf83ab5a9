"""Streamlit review dashboard (see app.py)."""

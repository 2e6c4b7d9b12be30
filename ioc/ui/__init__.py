"""Streamlit UI: shared helpers (components, theme, nav, session, serve) and one sub-package per
page (overview, dossiers, alerts, thresholds, login) holding the view that pages/<page>.py
calls. Formatting, tables and HTML builders are pure so they test without a running app; only
the modules that draw import Streamlit."""

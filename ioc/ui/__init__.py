"""Streamlit UI helpers: labels and number formatting (i18n), theme CSS, page registry (nav)
and rendering components. Formatting and HTML builders are pure so they test without
Streamlit; only functions that draw import it."""

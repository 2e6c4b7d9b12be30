"""Fixtures of the page tests."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlalchemy import Engine


@pytest.fixture()
def app_db(monkeypatch: pytest.MonkeyPatch, db_url: str, engine: Engine) -> Engine:
    """A migrated database the page under test reads (province 25, no anonymous role, local
    sign-in), with Streamlit's data cache emptied."""
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    monkeypatch.setenv("IOC_PROVINCE_CODE", "25")
    for name in ("IOC_ANONYMOUS_ROLE", "IOC_AUTH"):
        monkeypatch.delenv(name, raising=False)
    st.cache_data.clear()
    return engine

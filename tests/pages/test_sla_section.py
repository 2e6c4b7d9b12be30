"""The Feedback SLA section of the Thresholds page (AppTest on a real migrated database): an
admin adds a per-agency rule and sees it in force and in the history; a viewer and an operator
are refused and nothing is written; a start date in the past is refused with the reason."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from ioc.auth import Identity
from ioc.feedback.sla import seed_rules
from ioc.feedback.sla_store import history, load_policy
from ioc.ui.session import IDENTITY_KEY, LAST_SEEN_KEY, SIGNED_IN_AT_KEY
from tests import REPO_ROOT

THRESHOLDS = str(REPO_ROOT / "pages" / "thresholds.py")
ADMIN, VIEWER, OPERATOR = (Identity("boss", "admin"), Identity("v", "viewer"),
                           Identity("op1", "operator"))


def _page(identity: Identity) -> AppTest:
    at = AppTest.from_file(THRESHOLDS, default_timeout=60)
    at.session_state[IDENTITY_KEY] = identity
    at.session_state[SIGNED_IN_AT_KEY] = at.session_state[LAST_SEEN_KEY] = time.time()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _fill_and_save(at: AppTest, days: float, agency: str = "SXD-25") -> AppTest:
    at.selectbox(key="sla_category").set_value("giao thông")
    at.text_input(key="sla_agency").input(agency)
    at.number_input(key="sla_days").set_value(days)
    at.text_input(key="sla_reason").input("Chỉ đạo của UBND tỉnh")
    [b for b in at.button if b.label.startswith("Đặt thời hạn")][0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _table(at: AppTest, key: str):
    """The SLA tables in page order: rules in force, then the history (in its expander)."""
    tables = [df.value for df in at.dataframe if "Lĩnh vực · Category" in df.value.columns]
    return tables[("sla_in_force", "sla_history").index(key)]


def test_admin_sets_a_rule_and_the_audited_row_appears(app_db: Engine) -> None:
    at = _page(ADMIN)
    assert any("Thời hạn xử lý phản ánh" in m.value for m in at.markdown)
    in_force = _table(at, "sla_in_force")
    assert len(in_force) == len(seed_rules())  # the catalogue's values, one per category
    _fill_and_save(at, 1.5)
    assert not at.error, [e.value for e in at.error]
    assert any("Đã lưu" in s.value and "SXD-25" in s.value for s in at.success)
    newest = history(app_db)[0]
    assert (newest.category, newest.agency_code, newest.days, newest.set_by, newest.reason) == (
        "giao thông", "SXD-25", 1.5, "boss", "Chỉ đạo của UBND tỉnh")
    in_force = _table(at, "sla_in_force")
    row = in_force[in_force["Cơ quan · Agency"] == "SXD-25"]
    assert list(row["Ngày làm việc · Working days"]) == [1.5]
    assert list(row["Người đặt · Set by"]) == ["boss"]
    hist = _table(at, "sla_history")
    assert len(hist) == len(seed_rules()) + 1
    assert load_policy(app_db).days("giao thông", "SXD-25", newest.valid_from
                                    + timedelta(seconds=1)) == 1.5


@pytest.mark.parametrize("who", [VIEWER, OPERATOR], ids=["viewer", "operator"])
def test_a_non_admin_cannot_set_a_rule(app_db: Engine, who: Identity) -> None:
    at = _fill_and_save(_page(who), 4)
    assert any("may not do 'sla.edit'" in e.value for e in at.error), \
        [e.value for e in at.error]
    assert len(history(app_db)) == len(seed_rules())


def test_a_start_in_the_past_is_refused(app_db: Engine) -> None:
    at = _page(ADMIN)
    at.date_input(key="sla_from").set_value(
        at.date_input(key="sla_from").value - timedelta(days=2))
    _fill_and_save(at, 4)
    assert any("the start date" in e.value and "in the past" in e.value for e in at.error), \
        [e.value for e in at.error]
    assert len(history(app_db)) == len(seed_rules())

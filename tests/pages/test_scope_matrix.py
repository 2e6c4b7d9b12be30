"""Scope matrix (issue 14 §4): one commune-scoped leader (commune A) on every page, with every
URL parameter that selects a scope pointed at commune B's codes, on one real database seeded
with both communes' dossiers, feedback, social posts and alerts (the page tests' seeds).
Whatever the request, nothing of B reaches the rendered elements — no B code, name, dossier,
report, post or alert in markdown, captions, tables, maps — except the rankings the portal
publishes (ioc.auth.scopes); where the request names B itself the page says
"Ngoài phạm vi · Out of your scope". Downloads are built from the frames the tables show
(ioc.ui.dossiers.table_view.download_buttons), so the tables stand for them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from ioc.alerts import rule_store
from ioc.alerts import store as alert_store
from ioc.alerts.rules import parse_rule
from ioc.auth import Identity, create_user, set_scope
from ioc.auth.scopes import OUT_OF_SCOPE
from tests import REPO_ROOT
from tests.helpers import open_app_page
from tests.pages import test_alert_pages as al
from tests.pages import test_feedback_page as fb
from tests.pages import test_social_page as so
from tests.pages.test_dossiers_page import AGENCY_B, WARD_A, WARD_B, seed

APP = str(REPO_ROOT / "app.py")
LEADER = Identity("chutich", "viewer", "local", f"commune:{WARD_A}")
B_ALERT, B_RULE = "ontime-hoabinh-1", "ontime-hoabinh"
# Text that only B's data carries: its code, its name, its agency, its dossiers, its posts,
# its alert. (Not "Hòa Bình" alone: Phú Thọ took in the former Hòa Bình province.)
B_TEXT = (WARD_B, "Phường Hòa Bình", AGENCY_B, "H25.NEAR", "H25.DONE", f"facebook-{WARD_B}",
          "Tin facebook", B_ALERT)
B_CELLS = {"B1"}  # feedback report ids are short: matched as whole table cells
# Tables that rank communes or agencies: published scores, every commune in them by design.
RANKING_COLUMNS = {"movement", "previous_rank"}

# (page, URL parameters, whether the page must say "out of your scope")
CASES = [
    ("pages/overview.py", {}, False),
    ("pages/dossiers.py", {}, False),
    ("pages/dossiers.py", {"commune": WARD_B}, True),
    ("pages/dossiers.py", {"commune": WARD_B, "agency": AGENCY_B}, True),
    ("pages/dossiers.py", {"agency": AGENCY_B}, False),  # cut to A ∧ B's agency: nothing
    ("pages/dossiers.py", {"commune": WARD_A, "agency": AGENCY_B}, False),
    ("pages/dossiers.py", {"procedure": "1.001"}, False),
    ("pages/dossiers.py", {"commune": WARD_B, "window": "custom", "from": "2020-01-01",
                           "to": "2030-12-31"}, True),
    ("pages/feedback.py", {"window": "30d"}, False),
    ("pages/feedback.py", {"window": "30d", "commune": WARD_B}, True),
    ("pages/feedback.py", {"window": "30d", "agency": "SXD-25"}, False),
    ("pages/feedback.py", {"window": "30d", "category": "giao thông"}, False),
    ("pages/feedback.py", {"window": "30d", "commune": WARD_B, "category": "giao thông"},
     True),
    ("pages/social.py", {}, False),
    ("pages/social.py", {"commune": WARD_B}, True),
    ("pages/social.py", {"topic": "y tế"}, False),
    ("pages/social.py", {"platform": "facebook"}, False),
    ("pages/social.py", {"commune": WARD_B, "topic": "y tế"}, True),
    ("pages/alerts.py", {}, False),
    ("pages/alerts.py", {"alert": B_ALERT, "rule": "ontime-hoabinh"}, False),
]


@pytest.fixture()
def both_communes(monkeypatch: pytest.MonkeyPatch, db_url: str, engine: Engine) -> Engine:
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    monkeypatch.setenv("IOC_PROVINCE_CODE", "25")
    monkeypatch.setenv("IOC_FRESHNESS_SECONDS", "60")
    st.cache_data.clear()
    seed(engine)  # dossiers: A 80 received, B 20
    fb.seed(engine, datetime.now(UTC).replace(microsecond=0))  # feedback: B1 is B's
    so.seed(engine)
    so.seed_posts(engine)  # social: 4 facebook posts on health in B
    al.seed(engine, al.alert_row(), al.alert_row(  # alerts: one in A, one in B
        B_ALERT, scope=f"province:25,commune:{WARD_B}", value=0.5))
    rule_store.save_rule(engine, parse_rule({**al.RULE, "rule_id": B_RULE,
                                             "name": "Đúng hạn phường Hòa Bình",
                                             "scope": f"province:25,commune:{WARD_B}"}),
                         al.ADMIN)
    now = datetime.now(UTC)
    for prefix in (f"province:25,commune:{WARD_B}", f"province:25,commune:{WARD_A}"):
        alert_store.add_silence(engine, al.OPERATOR, now - timedelta(hours=1),
                                now + timedelta(hours=2), f"bảo trì {prefix[-5:]}",
                                scope_prefix=prefix)
    create_user(engine, LEADER.username, "Scoped-Leader-42", "viewer")
    set_scope(engine, LEADER.username, LEADER.scope, by="test")
    return engine


def rendered(at: AppTest, ranking_map: bool = False
             ) -> tuple[list[str], list[set[str]]]:
    """(texts, table cells) of what the page drew: markdown, captions, messages, metrics,
    map points that carry a figure and every table but the rankings. `ranking_map`: the
    page's map colours the commune ranking (Dossiers: published scores, like the table)."""
    texts = [e.value for kind in ("markdown", "caption", "warning", "info", "error",
                                  "success", "title", "header", "subheader")
             for e in getattr(at, kind)]
    texts += [f"{m.label} {m.value}" for m in at.metric]
    for deck in at.get("deck_gl_json_chart"):  # map layers: the rows that carry a figure
        if not ranking_map:  # (every commune's point is drawn, grey without one)
            texts += [json.dumps(row, ensure_ascii=False)
                      for layer in json.loads(deck.proto.json).get("layers", [])
                      for row in layer.get("data", []) if isinstance(row, dict)
                      and any(row.get(k) is not None for k in ("value", "posts", "count"))]
    tables = []
    for df in at.dataframe:
        # A pandas frame as is (its "data" column is the alerts' link); a Styler's .data.
        frame = df.value if isinstance(df.value, pd.DataFrame) else df.value.data
        if RANKING_COLUMNS & set(frame.columns):
            continue
        cells = {str(v) for col in frame.columns for v in frame[col].tolist()}
        tables.append(cells)
        texts.append(json.dumps(sorted(cells), ensure_ascii=False))
    return texts, tables


def out_of_scope(at: AppTest) -> bool:
    return any(OUT_OF_SCOPE in w.value for w in at.warning)


@pytest.mark.parametrize(("page", "query", "refused"), CASES,
                         ids=[f"{p.split('/')[1][:-3]}-{'&'.join(f'{k}={v}' for k, v in q.items())}"
                              for p, q, _ in CASES])
def test_nothing_of_the_other_commune(both_communes: Engine, page: str,
                                      query: dict[str, str], refused: bool) -> None:
    at = open_app_page(APP, page, LEADER, query=query)
    texts, tables = rendered(at, ranking_map=page == "pages/dossiers.py")
    assert texts, "the page drew nothing"
    leaks = sorted({t for t in B_TEXT for x in texts if t in x})
    leaks += sorted(c for cells in tables for c in cells & B_CELLS)
    where = [x[max(0, x.find(leaks[0]) - 300):x.find(leaks[0]) + 100] for x in texts
             if leaks and leaks[0] in x][:1]
    assert not leaks, f"{page} {query}: commune B's {leaks} on the page: {where}"
    assert out_of_scope(at) == refused
    if page == "pages/alerts.py":  # the rule pickers list only the rules of his commune
        for key in ("alerts_rule", "alerts_silence_rule"):
            options = at.selectbox(key=key).options
            assert any("(ontime-tanhoa)" in o for o in options), options
            assert not [o for o in options if f"({B_RULE})" in o], options


def test_the_matrix_sees_commune_b_when_unrestricted(both_communes: Engine) -> None:
    # The same pages for an unrestricted account do show B's data: the checks above can fail.
    create_user(both_communes, "tinh", "Scoped-Leader-42", "viewer")
    seen = set()
    for page in ("pages/dossiers.py", "pages/feedback.py", "pages/social.py",
                 "pages/alerts.py"):
        at = open_app_page(APP, page, Identity("tinh", "viewer", "local"),
                           query={"window": "30d"} if "feedback" in page else None)
        texts, tables = rendered(at)
        seen |= {t for t in B_TEXT for x in texts if t in x}
        seen |= {c for cells in tables for c in cells & B_CELLS}
    assert {"H25.NEAR", f"facebook-{WARD_B}", B_ALERT, "B1"} <= seen

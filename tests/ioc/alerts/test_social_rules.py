"""Social KPIs in alert rules (SQLite and PostgreSQL): a burst on one topic fires through the
real evaluator while another topic stays quiet; threshold rules on the negative share and on
the sentiment index (a negative threshold) at topic scope; the backtest replays the burst."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from ioc.alerts.backtest import backtest
from ioc.alerts.bursts import burst_reading
from ioc.alerts.lifecycle import FIRE
from ioc.alerts.rule_store import save_rule
from ioc.alerts.rules import Rule, parse_rule
from ioc.auth import Identity
from streams.alert_evaluator import AlertEvaluator
from streams.chaos.workload import social_event
from tests.helpers import apply_events

NOW = datetime(2026, 3, 9, 2, 40, tzinfo=UTC)
WEEK = timedelta(days=7)
ADMIN = Identity("test", "admin")
TRAFFIC = "province:25,topic:giao thông"
JAM = "Ùn tắc kéo dài trên quốc lộ 2, tắc đường cả tiếng, quá tệ, dân bức xúc"
FESTIVAL = "Lễ hội đền Hùng tổ chức chu đáo, du khách rất vui"


def _rule(rule_id: str, kind: str, kpi: str, **kw: object) -> Rule:
    base = {"rule_id": rule_id, "name": rule_id, "kind": kind, "kpi": kpi, "scope": TRAFFIC,
            "window": "1h", "severity": "warning", "targets": ["banner"]}
    return parse_rule({**base, **kw})


def test_burst_on_a_topic_fires_and_another_topic_stays_quiet(engine: Engine) -> None:
    hour = NOW.replace(minute=0)
    events = [
        # this hour: 8 angry posts about a traffic jam, 2 festival posts
        *[social_event(f"J{i}", hour + timedelta(minutes=3 * i), text=JAM) for i in range(8)],
        *[social_event(f"F{i}", hour + timedelta(minutes=5 + i), text=FESTIVAL)
          for i in range(2)],
        # the same hour of the last two weeks: 1 traffic post, 2 festival posts each week
        *[social_event(f"W{k}", hour - k * WEEK + timedelta(minutes=10), text=JAM)
          for k in (1,)],
        *[social_event(f"G{k}{i}", hour - k * WEEK + timedelta(minutes=10 + i), text=FESTIVAL)
          for k in (1, 2) for i in range(2)],
    ]
    apply_events(engine, events)
    burst = _rule("traffic-burst", "burst", "social.posts",
                  params={"baseline_weeks": 2, "min_count": 3, "factor": 3})
    neg_burst = _rule("traffic-negative-burst", "burst", "social.negative_posts",
                      params={"baseline_weeks": 2, "min_count": 3, "factor": 3})
    quiet = _rule("festival-burst", "burst", "social.posts",
                  scope="province:25,topic:văn hóa - du lịch",
                  params={"baseline_weeks": 2, "min_count": 3, "factor": 3})
    share = _rule("traffic-negative-share", "threshold", "social.negative_share",
                  comparator=">=", threshold=0.5)
    index = _rule("traffic-mood", "threshold", "social.sentiment_index", comparator="<=",
                  threshold=-0.5)
    # 8 now against [1, 0]: limit max(3, 3 × 0.5) = 3
    assert burst_reading(engine, burst, NOW) == (8, 3.0)
    assert burst_reading(engine, quiet, NOW) == (2, 6.0)
    for r in (burst, neg_burst, quiet, share, index):
        save_rule(engine, r, ADMIN)
    result = AlertEvaluator(engine, None).evaluate_once(NOW)
    assert result.transitions == {FIRE: 4}  # all but the festival burst
    replay = backtest(engine, burst, now=NOW + timedelta(minutes=30), days=15)
    assert replay.count == 1


def test_index_thresholds_are_checked_between_minus_one_and_one() -> None:
    import pytest

    with pytest.raises(ValueError, match="between -1 and 1"):
        _rule("x", "threshold", "social.sentiment_index", comparator="<=", threshold=-2)
    assert _rule("y", "threshold", "social.sentiment_index", comparator="<=",
                 threshold=-0.3).threshold == -0.3


def test_per_group_kpis_are_not_watched_by_rules() -> None:
    import pytest

    for code in ("social.topic_posts", "social.place_posts", "social.rising_keywords"):
        with pytest.raises(ValueError, match="watch social.posts with a topic or commune"):
            _rule("z", "burst", code, params={"baseline_weeks": 2, "min_count": 3,
                                              "factor": 3})

"""Per-stream freshness from the connectors' heartbeat rows: the pure rule (a quiet source is
not stale, a feed's poll interval is allowed, a connector that never succeeded counts from its
start), the rows read back on SQLite and PostgreSQL with an injected `now`, and the expiry of
a removed connector's row."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select

from ioc.db import connector_heartbeats as chb
from ioc.db.connector_heartbeats import ConnectorHeartbeat
from ioc.db.schema import connector_heartbeats
from ioc.kpis.freshness import freshness, stream_stale

T0 = datetime(2026, 12, 6, 12, 0, 0)  # naive UTC = 19:00 in Hà Nội


def _hb(last_ok: datetime | None, interval: float = 1.0, started: datetime = T0,
        error: str | None = None) -> ConnectorHeartbeat:
    return ConnectorHeartbeat("sim-feedback", "feedback", started, last_ok or started,
                              last_ok, error, 0, interval, last_ok or started)


def test_stale_only_when_the_last_success_is_older_than_threshold_plus_interval() -> None:
    quiet = _hb(T0)  # polled with nothing new at T0: a success all the same
    assert not stream_stale(quiet, T0 + timedelta(seconds=60), 60).stale
    late = stream_stale(quiet, T0 + timedelta(seconds=62), 60)
    assert late.stale and late.since == T0 and late.connector == "sim-feedback"
    feed = _hb(T0, interval=300)  # polled every 5 minutes: 6 minutes is its normal gap
    assert not stream_stale(feed, T0 + timedelta(seconds=359), 60).stale
    assert stream_stale(feed, T0 + timedelta(seconds=361), 60).stale


def test_never_succeeded_counts_from_the_start_of_its_run() -> None:
    failing = _hb(None, started=T0, error="OSError: refused")
    assert not stream_stale(failing, T0 + timedelta(seconds=30), 60).stale
    s = stream_stale(failing, T0 + timedelta(seconds=90), 60)
    assert s.stale and s.since == T0 and s.last_error == "OSError: refused"


def _live_aggregator(engine: Engine, at: datetime) -> None:
    from sqlalchemy import insert

    from ioc.db.schema import aggregator_batches
    with engine.begin() as conn:
        conn.execute(insert(aggregator_batches).values(
            instance="a", consumer_group="g", committed_at=at, heartbeat_at=at,
            events_total=1, last_batch_events=1, lag=0))


def test_freshness_names_the_stale_stream_and_keeps_the_aggregator_rules(engine: Engine):
    _live_aggregator(engine, T0 + timedelta(seconds=100))
    chb.record(engine, "sim-dossier", "dossier", ok=True, records=5, interval_seconds=1,
               now=T0 + timedelta(seconds=95))
    chb.record(engine, "sim-feedback", "feedback", ok=True, records=3, interval_seconds=1,
               now=T0)
    chb.record(engine, "sim-feedback", "feedback", ok=False, error="OSError: refused",
               interval_seconds=1, now=T0 + timedelta(seconds=90))
    now = T0 + timedelta(seconds=100)
    fr = freshness(engine, 60, now=now)
    assert fr.stale and fr.status == "stale" and fr.aggregator_stale is False
    assert [(s.connector, s.stream, s.since, s.last_error) for s in fr.stale_streams] == [
        ("sim-feedback", "feedback", T0, "OSError: refused")]
    assert {s.stream for s in fr.streams} == {"dossier", "feedback"}
    # The failure kept last_ok_at and added to nothing; a success clears the error.
    chb.record(engine, "sim-feedback", "feedback", ok=True, records=2, interval_seconds=1,
               now=now)
    fr = freshness(engine, 60, now=now)
    assert not fr.stale and fr.status == "live" and fr.stale_streams == ()
    row = {h.connector: h for h in chb.load(engine, now)}["sim-feedback"]
    assert (row.records_total, row.last_error, row.last_ok_at) == (5, None, now)


def test_a_removed_connector_expires_and_is_deleted(engine: Engine):
    _live_aggregator(engine, T0 + timedelta(days=2))
    chb.record(engine, "old-feed", "social", ok=True, now=T0)
    day_later = T0 + timedelta(hours=23)
    assert [s.connector for s in freshness(engine, 60, now=day_later,
                                           expiry_seconds=24 * 3600).stale_streams] == ["old-feed"]
    two_days = T0 + timedelta(days=2)
    fr = freshness(engine, 60, now=two_days, expiry_seconds=24 * 3600)
    assert fr.streams == () and not fr.stale  # ignored: the stream no longer counts
    assert chb.prune(engine, now=day_later, expiry_seconds=24 * 3600) == 0
    assert chb.prune(engine, now=two_days, expiry_seconds=24 * 3600) == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(connector_heartbeats)).scalar() == 0


def test_the_error_is_cut_to_the_column(engine: Engine):
    chb.record(engine, "x", "social", ok=False, error="E" * 1000, now=T0)
    (row,) = chb.load(engine, T0)
    assert row.last_error == "E" * chb.ERROR_CHARS and row.last_ok_at is None

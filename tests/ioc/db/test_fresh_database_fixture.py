"""The `engine` fixture's shortcuts (a copy of a migrated SQLite file; PostgreSQL tables
emptied and re-seeded) leave exactly what running the migrations on an empty database does:
same schema, same seeded rows, sequences back at their start."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, MetaData, select, text

from ioc.db.engine import make_engine
from ioc.db.migrate import upgrade
from tests.conftest import pg_fingerprint, pg_fresh_schema
from tests.helpers import reset_database


def _state(engine: Engine) -> tuple:
    """Schema and every row of every table, sequences included."""
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as conn:
        rows = {t.name: sorted(map(repr, conn.execute(select(t)).all()))
                for t in tables.sorted_tables}
        if engine.dialect.name == "sqlite":
            schema: tuple = tuple(conn.execute(text(
                "SELECT type, name, sql FROM sqlite_master ORDER BY 1, 2")).all())
            sequences: tuple = ()
        else:
            schema = pg_fingerprint(engine)
            sequences = tuple(conn.execute(text(
                "SELECT sequencename, last_value FROM pg_sequences "
                "WHERE schemaname = current_schema() ORDER BY 1")).all())
    return schema, rows, sequences


def _dirty(engine: Engine) -> None:
    # A moved sequence, a changed seed table, a table written then emptied.
    with engine.begin() as conn:
        seed = conn.execute(text("SELECT * FROM feedback_sla_rules LIMIT 1")).mappings().one()
        conn.execute(text("DELETE FROM feedback_sla_rules"))
        conn.execute(text("INSERT INTO feedback_sla_rules (category, agency_code, valid_from, "
                          "set_at, days, set_by, reason) VALUES (:category, 'X', :valid_from, "
                          ":set_at, 99, 'test', 'test')"), dict(seed))
        conn.execute(text("INSERT INTO rule_audit (rule_id, action, actor, at) "
                          "VALUES ('r', 'create', 't', CURRENT_TIMESTAMP)"))
        conn.execute(text("DELETE FROM rule_audit"))


def test_the_fixture_database_equals_freshly_migrated(engine: Engine, db_url: str,
                                                      tmp_path: Path) -> None:
    if engine.dialect.name == "sqlite":
        fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        upgrade(fresh)
        expected = _state(fresh)
        fresh.dispose()
        assert _state(engine) == expected
        return
    expected = _state(engine)
    reset_database(engine)
    upgrade(engine)
    assert _state(engine) == expected  # what the fixture gave = the migrations' own result
    _dirty(engine)
    assert _state(engine) != expected
    pg_fresh_schema(engine, db_url)  # the fast path: the schema is still the migrations'
    assert _state(engine) == expected

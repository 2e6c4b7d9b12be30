"""The migration chain: one head, so `ioc migrate` knows where to go (two engineers adding a
revision at once leave two heads, and every start fails)."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from ioc.db.migrate import alembic_config


def test_the_migration_chain_has_one_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"several heads: {heads}; chain the newer revision after the other"

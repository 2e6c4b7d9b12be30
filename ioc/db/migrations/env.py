"""Alembic environment: the connection is passed in by ioc.db.migrate (no alembic.ini URL)."""

from alembic import context

from ioc.db.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through ioc.db.migrate.upgrade()")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

"""Database layer: schema (SQLAlchemy Core), engine factory, Alembic migrations."""

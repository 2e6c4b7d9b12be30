"""dossiers open at an instant read from their closures (issue 13): an index on
(province_code, closed_at, received_at), so "open at T" is two ranges (closed_at IS NULL;
closed_at >= T) instead of every dossier received before T.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 18:40:00
"""
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_dossiers_closed_open", "dossiers",
                    ["province_code", "closed_at", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_dossiers_closed_open", table_name="dossiers")

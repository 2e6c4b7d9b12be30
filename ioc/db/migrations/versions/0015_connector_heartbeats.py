"""connector_heartbeats: each long-running connector's last poll and last success, so the
freshness strip and badge can say which stream stopped and since when

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 18:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('connector_heartbeats',
    sa.Column('connector', sa.String(length=100), nullable=False),
    sa.Column('stream', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_ok_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('records_total', sa.BigInteger(), nullable=False),
    sa.Column('interval_seconds', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('connector')
    )


def downgrade() -> None:
    op.drop_table('connector_heartbeats')

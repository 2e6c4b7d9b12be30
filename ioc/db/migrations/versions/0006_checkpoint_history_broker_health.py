"""connector checkpoint history (offsets + cluster id per checkpoint, for the rewind after a
lost embedded broker) and the broker health row the supervisor writes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('connector_checkpoint_history',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('connector', sa.String(length=100), nullable=False),
    sa.Column('prev_cursor', sa.Text(), nullable=True),
    sa.Column('cursor', sa.Text(), nullable=True),
    sa.Column('cluster_id', sa.String(length=100), nullable=True),
    sa.Column('offsets', sa.Text(), nullable=False),
    sa.Column('saved_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('connector_checkpoint_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connector_checkpoint_history_connector'),
                              ['connector'], unique=False)
    op.create_table('broker_health',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('cause', sa.Text(), nullable=True),
    sa.Column('since', sa.DateTime(), nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.Column('restarts', sa.Integer(), nullable=False),
    sa.Column('last_restart_at', sa.DateTime(), nullable=True),
    sa.Column('cluster_id', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('broker_health')
    with op.batch_alter_table('connector_checkpoint_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connector_checkpoint_history_connector'))
    op.drop_table('connector_checkpoint_history')

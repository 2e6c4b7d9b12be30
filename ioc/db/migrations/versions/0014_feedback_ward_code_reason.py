"""feedback.ward_code_reason: why a report has no commune (outside the province, no usable
address or coordinates), kept beside the null ward_code instead of only on the event

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 16:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('feedback') as batch:
        batch.add_column(sa.Column('ward_code_reason', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('feedback') as batch:
        batch.drop_column('ward_code_reason')

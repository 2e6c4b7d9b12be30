"""scoped accounts (issue 14 §4): users.scope, the part of the province an account may see
('province:25', 'commune:08494[,commune:…]', 'agency:SYT-25'; null = unrestricted)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 16:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('scope', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('scope')

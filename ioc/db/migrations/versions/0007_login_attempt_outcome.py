"""login attempts say what happened (ok, bad_credentials, disabled, throttled, unlock), so
the backoff counts checked failures only and `ioc users unlock` leaves an audited row; an
index on source for the per-client throttle

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 11:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f('ix_login_attempts_source'), ['source'], unique=False)
    # Older rows only knew ok or not: a refused attempt then looked like a wrong password.
    op.execute("UPDATE login_attempts SET outcome = CASE WHEN ok THEN 'ok' "
               "ELSE 'bad_credentials' END")


def downgrade() -> None:
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempts_source'))
        batch_op.drop_column('outcome')

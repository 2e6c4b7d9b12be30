"""dossier_long_open (issue 13): the dossiers whose closed_at − received_at exceeds 30 days, so
the state counts at a long-ago instant read the closures of its first 30 days and these few
beyond instead of every closure up to the open bound (80 days on three years of a province).
Backfilled from the dossiers.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 10:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

# Frozen here (ioc.kpis.open_bound.LONG_OPEN when written): a later change of the threshold
# comes with its own revision.
LONG_OPEN_S = 30 * 86400
# A second under the threshold: julianday's float error (far below a second) never leaves
# out a dossier just over it; one just under is harmless (the read checks the dossier itself).
_SPAN_OVER = {
    "sqlite": f"(julianday(closed_at) - julianday(received_at)) * 86400.0 > {LONG_OPEN_S - 1}",
    "postgresql": f"closed_at - received_at > interval '{LONG_OPEN_S - 1} seconds'",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "dossier_long_open",
        sa.Column("dossier_id", sa.String(length=64), nullable=False),
        sa.Column("province_code", sa.String(length=8), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("dossier_id"),
    )
    op.create_index("ix_dossier_long_open", "dossier_long_open",
                    ["province_code", "closed_at", "received_at"])
    op.execute(
        f"INSERT INTO dossier_long_open (dossier_id, province_code, closed_at, received_at) "
        f"SELECT dossier_id, province_code, closed_at, received_at FROM dossiers "
        f"WHERE closed_at IS NOT NULL AND {_SPAN_OVER[dialect]}")


def downgrade() -> None:
    op.drop_index("ix_dossier_long_open", table_name="dossier_long_open")
    op.drop_table("dossier_long_open")

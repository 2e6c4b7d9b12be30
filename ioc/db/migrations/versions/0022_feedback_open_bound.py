"""feedback_open_bound (issue 13): per province, an upper bound on closed_at − received_at of
every stored feedback report in whole seconds + 1, as 0019's dossier_open_bound — the reports
open at a long-ago instant (a year to date's previous period) read the closures up to that
instant + the bound instead of every one since. Backfilled from the reports.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

# As 0019's: whole seconds, + 1 (an upper bound; julianday's float error is far below a
# second), at least 0. No ceil(): not every SQLite build has math functions.
_SPAN = {
    "sqlite": "max(0, CAST((julianday(closed_at) - julianday(received_at)) * 86400.0 "
              "AS INTEGER) + 1)",
    "postgresql": "greatest(0, CAST(floor(extract(epoch FROM closed_at - received_at)) "
                  "AS BIGINT) + 1)",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "feedback_open_bound",
        sa.Column("province_code", sa.String(length=8), nullable=False),
        sa.Column("max_open_s", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("province_code"),
    )
    op.execute(
        f"INSERT INTO feedback_open_bound (province_code, max_open_s) "
        f"SELECT province_code, max({_SPAN[dialect]}) FROM feedback "
        f"WHERE closed_at IS NOT NULL GROUP BY province_code")


def downgrade() -> None:
    op.drop_table("feedback_open_bound")

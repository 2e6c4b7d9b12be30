"""dossier bucket rollups (issue 13): dossier_buckets_day and dossier_buckets_month, the hourly
dossier buckets summed per local (Asia/Ho_Chi_Minh) day and month, `hour` = the period's
first hour in naive UTC; backfilled from the existing hourly rows. Covering indexes for the
dossier entity reads of long windows (completions in a window, open at an instant).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 16:00:00
"""
import sqlalchemy as sa
from alembic import op

# Frozen here: a later counter is added to the hourly table and its rollups by its own
# revision.
DOSSIER_DIMS = ('hour', 'province_code', 'ward_code', 'agency_code', 'procedure_code', 'sector',
                'channel', 'level')
DOSSIER_COUNTERS = (
    'received', 'received_online', 'received_full_online', 'received_digitized',
    'fee_bearing', 'paid_online', 'received_eligible', 'received_online_eligible',
    'completed', 'completed_on_time', 'completed_e_result', 'proc_hours_sum',
    'proc_minutes_sum', 'returned', 'cancelled', 'rated',
    'rated_satisfied',
)


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# Local day/month start (UTC+7, no DST) of a naive-UTC hour, in each dialect's SQL; SQLite
# text in SQLAlchemy's storage form so rows compare equal to those written through Core.
_START = {
    "sqlite": {
        "day": "strftime('%Y-%m-%d %H:%M:%S.000000', date(hour, '+7 hours'), '-7 hours')",
        "month": "strftime('%Y-%m-%d %H:%M:%S.000000', strftime('%Y-%m-01', hour, "
                 "'+7 hours'), '-7 hours')",
    },
    "postgresql": {
        "day": "date_trunc('day', hour + interval '7 hours') - interval '7 hours'",
        "month": "date_trunc('month', hour + interval '7 hours') - interval '7 hours'",
    },
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    dims = [d for d in DOSSIER_DIMS if d != "hour"]
    for grain in ("day", "month"):
        name = f"dossier_buckets_{grain}"
        op.create_table(
            name,
            sa.Column("hour", sa.DateTime(), nullable=False),
            *[sa.Column(d, sa.String(length=64), nullable=False) for d in dims],
            *[sa.Column(c, sa.BigInteger(), nullable=False) for c in DOSSIER_COUNTERS],
            sa.PrimaryKeyConstraint("hour", *dims),
        )
        start = _START[dialect][grain]
        cols = ", ".join(dims)
        sums = ", ".join(f"sum({c})" for c in DOSSIER_COUNTERS)
        op.execute(
            f"INSERT INTO {name} (hour, {cols}, {', '.join(DOSSIER_COUNTERS)}) "
            f"SELECT {start} AS start, {cols}, {sums} FROM dossier_buckets "
            f"GROUP BY start, {cols}")
    op.create_index("ix_dossiers_completed_cover", "dossiers",
                    ["province_code", "completed_at", "status", "proc_minutes", "ward_code",
                     "agency_code", "sector"])
    op.create_index("ix_dossiers_open_at", "dossiers",
                    ["province_code", "received_at", "closed_at"])


def downgrade() -> None:
    op.drop_index("ix_dossiers_open_at", table_name="dossiers")
    op.drop_index("ix_dossiers_completed_cover", table_name="dossiers")
    op.drop_table("dossier_buckets_month")
    op.drop_table("dossier_buckets_day")

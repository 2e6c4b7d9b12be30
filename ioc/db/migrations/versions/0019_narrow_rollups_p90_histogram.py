"""narrow dossier rollups and the processing-time histogram (issue 13):
dossier_buckets_{day,month}_{province,ward,agency,sector}, the dossier day/month rollups
summed per province and at most one more dimension (backfilled from the full rollups); dossier_p90_day/_month, per province,
local day/month of completion and 60-minute bin of proc_minutes the number of completed
dossiers (backfilled from the dossiers); index ix_dossiers_p90 (province_code, proc_minutes,
completed_at) to read one bin's dossiers of a window; dossier_open_bound, per province an
upper bound on closed_at − received_at (backfilled from the dossiers) so the state at a
long-ago instant reads the closures of that span only; ix_dossiers_state_cover replaces
0016's ix_dossiers_closed_open (same prefix) and covers the state counts' columns.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 01:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

# Frozen here: a later counter or narrow table comes with its own revision.
DOSSIER_COUNTERS = (
    'received', 'received_online', 'received_full_online', 'received_digitized',
    'fee_bearing', 'paid_online', 'received_eligible', 'received_online_eligible',
    'completed', 'completed_on_time', 'completed_e_result', 'proc_hours_sum',
    'proc_minutes_sum', 'returned', 'cancelled', 'rated',
    'rated_satisfied',
)
NARROW_DIMS = {
    "province": ("province_code",),
    "ward": ("province_code", "ward_code"),
    "agency": ("province_code", "agency_code"),
    "sector": ("province_code", "sector"),
}
BIN = 60
STATE_COVER = ("province_code", "closed_at", "received_at", "due_at", "due_at_legal",
               "supplement_requested_at", "supplement_received_at", "ward_code", "agency_code",
               "sector")

# Local day/month start (UTC+7, no DST) of a naive-UTC time, as in 0012; SQLite text in
# SQLAlchemy's storage form so rows compare equal to those written through Core.
_START = {
    "sqlite": {
        "day": "strftime('%Y-%m-%d %H:%M:%S.000000', date({t}, '+7 hours'), '-7 hours')",
        "month": "strftime('%Y-%m-%d %H:%M:%S.000000', strftime('%Y-%m-01', {t}, "
                 "'+7 hours'), '-7 hours')",
    },
    "postgresql": {
        "day": "date_trunc('day', {t} + interval '7 hours') - interval '7 hours'",
        "month": "date_trunc('month', {t} + interval '7 hours') - interval '7 hours'",
    },
}
# floor(proc_minutes / BIN) in integers on both databases (their division truncates).
_BIN = (f"CASE WHEN proc_minutes >= 0 THEN proc_minutes / {BIN} "
        f"ELSE -(({BIN - 1} - proc_minutes) / {BIN}) END")


# closed_at − received_at in whole seconds, + 1 (an upper bound; julianday's float error is
# far below a second), at least 0. No ceil(): not every SQLite build has math functions.
_SPAN = {
    "sqlite": "max(0, CAST((julianday(closed_at) - julianday(received_at)) * 86400.0 "
              "AS INTEGER) + 1)",
    "postgresql": "greatest(0, CAST(floor(extract(epoch FROM closed_at - received_at)) "
                  "AS BIGINT) + 1)",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    counters = ", ".join(DOSSIER_COUNTERS)
    sums = ", ".join(f"sum({c})" for c in DOSSIER_COUNTERS)
    for grain in ("day", "month"):
        for name, dims in NARROW_DIMS.items():
            table = f"dossier_buckets_{grain}_{name}"
            op.create_table(
                table,
                sa.Column("hour", sa.DateTime(), nullable=False),
                *[sa.Column(d, sa.String(length=64), nullable=False) for d in dims],
                *[sa.Column(c, sa.BigInteger(), nullable=False) for c in DOSSIER_COUNTERS],
                sa.PrimaryKeyConstraint("hour", *dims),
                sqlite_with_rowid=False,  # clustered on the key: one B-tree
            )
            cols = ", ".join(dims)
            op.execute(
                f"INSERT INTO {table} (hour, {cols}, {counters}) "
                f"SELECT hour, {cols}, {sums} FROM dossier_buckets_{grain} "
                f"GROUP BY hour, {cols}")
    for grain in ("day", "month"):
        op.create_table(
            f"dossier_p90_{grain}",
            sa.Column("hour", sa.DateTime(), nullable=False),
            sa.Column("province_code", sa.String(length=8), nullable=False),
            sa.Column("bin", sa.Integer(), nullable=False),
            sa.Column("completions", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("hour", "province_code", "bin"),
            sqlite_with_rowid=False,
        )
    day = _START[dialect]["day"].format(t="completed_at")
    op.execute(
        f"INSERT INTO dossier_p90_day (hour, province_code, bin, completions) "
        f"SELECT {day} AS start, province_code, {_BIN} AS b, count(*) FROM dossiers "
        f"WHERE status = 'completed' AND completed_at IS NOT NULL "
        f"AND proc_minutes IS NOT NULL GROUP BY start, province_code, b")
    month = _START[dialect]["month"].format(t="hour")
    op.execute(
        f"INSERT INTO dossier_p90_month (hour, province_code, bin, completions) "
        f"SELECT {month} AS start, province_code, bin, sum(completions) "
        f"FROM dossier_p90_day GROUP BY start, province_code, bin")
    op.create_index("ix_dossiers_p90", "dossiers",
                    ["province_code", "proc_minutes", "completed_at"])
    # The state counts at an instant read this index alone (it replaces 0016's prefix).
    op.create_index("ix_dossiers_state_cover", "dossiers", list(STATE_COVER))
    op.drop_index("ix_dossiers_closed_open", table_name="dossiers")
    op.create_table(
        "dossier_open_bound",
        sa.Column("province_code", sa.String(length=8), nullable=False),
        sa.Column("max_open_s", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("province_code"),
    )
    op.execute(
        f"INSERT INTO dossier_open_bound (province_code, max_open_s) "
        f"SELECT province_code, max({_SPAN[dialect]}) FROM dossiers "
        f"WHERE closed_at IS NOT NULL GROUP BY province_code")


def downgrade() -> None:
    op.drop_table("dossier_open_bound")
    op.create_index("ix_dossiers_closed_open", "dossiers",
                    ["province_code", "closed_at", "received_at"])
    op.drop_index("ix_dossiers_state_cover", table_name="dossiers")
    op.drop_index("ix_dossiers_p90", table_name="dossiers")
    op.drop_table("dossier_p90_month")
    op.drop_table("dossier_p90_day")
    for grain in ("month", "day"):
        for name in reversed(NARROW_DIMS):
            op.drop_table(f"dossier_buckets_{grain}_{name}")

"""feedback and social bucket rollups (issue 13): feedback_buckets_day/_month and
social_buckets_day/_month, the hourly buckets summed per local (Asia/Ho_Chi_Minh) day and
month, `hour` = the period's first hour in naive UTC (as 0012 does for the dossiers);
backfilled from the existing hourly rows. Indexes for the feedback entity reads of long
windows and old instants (open at an instant, responded / closed / received in a window,
newest first), and the social posts of a window with what their scopes filter on.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 01:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# Frozen here: a later counter is added to the hourly tables and their rollups by its own
# revision.
BUCKETS = {
    "feedback_buckets": (
        ("province_code", "ward_code", "channel", "category", "agency_code"),
        ("received", "closed", "closed_on_time", "responded", "rated", "rated_satisfied")),
    "social_buckets": (
        ("province_code", "ward_code", "platform", "topic"),
        ("posts", "negative", "positive", "neutral", "engagement")),
}

INDEXES = (
    ("ix_feedback_closed_open", "feedback", ("province_code", "closed_at", "received_at")),
    ("ix_feedback_responded", "feedback", ("province_code", "responded_at")),
    ("ix_feedback_received", "feedback", ("province_code", "received_at", "closed_at")),
    ("ix_social_posts_window", "social_posts",
     ("province_code", "published_at", "post_id", "ward_code", "platform", "topic")),
)

# Local day/month start (UTC+7, no DST) of a naive-UTC hour, as in 0012.
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
    for source, (dims, counters) in BUCKETS.items():
        for grain in ("day", "month"):
            name = f"{source}_{grain}"
            op.create_table(
                name,
                sa.Column("hour", sa.DateTime(), nullable=False),
                *[sa.Column(d, sa.String(length=64), nullable=False) for d in dims],
                *[sa.Column(c, sa.BigInteger(), nullable=False) for c in counters],
                sa.PrimaryKeyConstraint("hour", *dims),
            )
            start = _START[dialect][grain]
            cols = ", ".join(dims)
            sums = ", ".join(f"sum({c})" for c in counters)
            op.execute(
                f"INSERT INTO {name} (hour, {cols}, {', '.join(counters)}) "
                f"SELECT {start} AS start, {cols}, {sums} FROM {source} "
                f"GROUP BY start, {cols}")
    for name, table, cols_ in INDEXES:
        op.create_index(name, table, list(cols_))


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    for source in reversed(BUCKETS):
        for grain in ("month", "day"):
            op.drop_table(f"{source}_{grain}")

"""social reads over long windows (issue 13): social_terms_day, per province and local
(Asia/Ho_Chi_Minh) day of publication (`hour` = the day's first hour in naive UTC, as the
bucket rollups) the number of posts that mention each term (social_post_tags kind 'term'),
backfilled from the posts and their tags; social_buckets_{day,month}_{province,ward,platform,
topic}, the social day/month rollups summed per province and at most one more dimension,
backfilled from the full rollups (as 0019 for the dossiers). WITHOUT ROWID on SQLite
(clustered on their key).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 04:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

# Frozen here: a later counter or narrow table comes with its own revision.
SOCIAL_COUNTERS = ("posts", "negative", "positive", "neutral", "engagement")
NARROW_DIMS = {
    "province": ("province_code",),
    "ward": ("province_code", "ward_code"),
    "platform": ("province_code", "platform"),
    "topic": ("province_code", "topic"),
}

# Local day start (UTC+7, no DST) of a naive-UTC time, as in 0018/0019; SQLite text in
# SQLAlchemy's storage form so rows compare equal to those written through Core.
_DAY = {
    "sqlite": "strftime('%Y-%m-%d %H:%M:%S.000000', date(p.published_at, '+7 hours'), "
              "'-7 hours')",
    "postgresql": "date_trunc('day', p.published_at + interval '7 hours') - interval '7 hours'",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "social_terms_day",
        sa.Column("province_code", sa.String(length=8), nullable=False),
        sa.Column("hour", sa.DateTime(), nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("posts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("province_code", "hour", "term"),
        sqlite_with_rowid=False,
    )
    op.execute(
        f"INSERT INTO social_terms_day (province_code, hour, term, posts) "
        f"SELECT p.province_code, {_DAY[dialect]} AS day, t.value, count(*) "
        f"FROM social_post_tags t JOIN social_posts p ON p.post_id = t.post_id "
        f"WHERE t.kind = 'term' GROUP BY p.province_code, day, t.value")
    counters = ", ".join(SOCIAL_COUNTERS)
    sums = ", ".join(f"sum({c})" for c in SOCIAL_COUNTERS)
    for grain in ("day", "month"):
        for name, dims in NARROW_DIMS.items():
            table = f"social_buckets_{grain}_{name}"
            op.create_table(
                table,
                sa.Column("hour", sa.DateTime(), nullable=False),
                *[sa.Column(d, sa.String(length=64), nullable=False) for d in dims],
                *[sa.Column(c, sa.BigInteger(), nullable=False) for c in SOCIAL_COUNTERS],
                sa.PrimaryKeyConstraint("hour", *dims),
                sqlite_with_rowid=False,
            )
            cols = ", ".join(dims)
            op.execute(
                f"INSERT INTO {table} (hour, {cols}, {counters}) "
                f"SELECT hour, {cols}, {sums} FROM social_buckets_{grain} "
                f"GROUP BY hour, {cols}")


def downgrade() -> None:
    for grain in ("month", "day"):
        for name in reversed(NARROW_DIMS):
            op.drop_table(f"social_buckets_{grain}_{name}")
    op.drop_table("social_terms_day")

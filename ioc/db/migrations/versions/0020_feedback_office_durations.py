"""feedback office durations (issue 13): feedback.response_us and feedback.close_us, the office
microseconds (working hours on the Vietnamese calendar, ioc.reference.calendar) from receipt
to first response and to close, written by the aggregator with the report's state and
backfilled here from the stored times; ix_feedback_responded and ix_feedback_closed_open are
rebuilt with them last (same prefixes: a window's times read the index alone);
feedback_times_day/_month, per province, local day/month of the response / close, kind and
bin of one office hour, how many reports and the sum of their microseconds (backfilled from
the reports), and ix_feedback_response_us / ix_feedback_close_us to read one bin's reports:
the KPI tiles' mean and exact p90 over a long window (ioc.kpis.feedback_times);
feedback_buckets_{day,month}_{channel_category,agency,ward}, the feedback day/month rollups
summed per province and channel × category, agency or commune (backfilled from the full
rollups; a month of the full rollup holds ~2,800 rows of one province, these 70/157/149).

The backfill computes office time in Python with the application's calendar (holidays are
not expressible in SQL): it is the definition the aggregator uses for new rows.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 04:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

CHUNK = 5000
# (index, columns) before and after this revision.
OLD = (("ix_feedback_responded", ("province_code", "responded_at")),
       ("ix_feedback_closed_open", ("province_code", "closed_at", "received_at")))
NEW = (("ix_feedback_responded", ("province_code", "responded_at", "response_us")),
       ("ix_feedback_closed_open", ("province_code", "closed_at", "received_at", "close_us")),
       ("ix_feedback_response_us", ("province_code", "response_us", "responded_at")),
       ("ix_feedback_close_us", ("province_code", "close_us", "closed_at")))
FEEDBACK_COUNTERS = ("received", "closed", "closed_on_time", "responded", "rated",
                     "rated_satisfied")
NARROW_DIMS = {
    "channel_category": ("province_code", "channel", "category"),
    "agency": ("province_code", "agency_code"),
    "ward": ("province_code", "ward_code"),
}
BIN = 3_600_000_000  # office microseconds of one hour (frozen here)
KINDS = {"response": ("response_us", "responded_at"), "close": ("close_us", "closed_at")}
# Local day/month start (UTC+7, no DST) of a naive-UTC time, as in 0012/0019; SQLite text in
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


def _bin(col: str) -> str:
    """floor(col / BIN) in integers on both databases (their division truncates)."""
    return f"CASE WHEN {col} >= 0 THEN {col} / {BIN} ELSE -(({BIN - 1} - {col}) / {BIN}) END"


def _backfill() -> None:
    import polars as pl

    from ioc.reference.calendar import office_times

    conn = op.get_bind()
    f = sa.table("feedback", sa.column("feedback_id", sa.String),
                 sa.column("received_at", sa.DateTime), sa.column("responded_at", sa.DateTime),
                 sa.column("closed_at", sa.DateTime), sa.column("response_us", sa.BigInteger),
                 sa.column("close_us", sa.BigInteger))
    update = (sa.update(f).where(f.c.feedback_id == sa.bindparam("id"))
              .values(response_us=sa.bindparam("r"), close_us=sa.bindparam("c")))
    after = ""
    while True:
        rows = conn.execute(
            sa.select(f.c.feedback_id, f.c.received_at, f.c.responded_at, f.c.closed_at)
            .where(f.c.feedback_id > after,
                   sa.or_(f.c.responded_at.is_not(None), f.c.closed_at.is_not(None)))
            .order_by(f.c.feedback_id).limit(CHUNK)).all()
        if not rows:
            return
        df = pl.DataFrame([tuple(r) for r in rows], orient="row", schema={
            "id": pl.String, "received_at": pl.Datetime("us"),
            "responded_at": pl.Datetime("us"), "closed_at": pl.Datetime("us")})
        start = office_times(df["received_at"])
        df = df.select("id", (office_times(df["responded_at"]) - start).alias("r"),
                       (office_times(df["closed_at"]) - start).alias("c"))
        conn.execute(update, df.to_dicts())
        after = rows[-1][0]


def upgrade() -> None:
    op.add_column("feedback", sa.Column("response_us", sa.BigInteger(), nullable=True))
    op.add_column("feedback", sa.Column("close_us", sa.BigInteger(), nullable=True))
    for name, _ in OLD:  # dropped before the backfill: its UPDATEs need not maintain them
        op.drop_index(name, table_name="feedback")
    _backfill()
    for name, cols in NEW:
        op.create_index(name, "feedback", list(cols))
    dialect = op.get_bind().dialect.name
    for grain in ("day", "month"):
        op.create_table(
            f"feedback_times_{grain}",
            sa.Column("hour", sa.DateTime(), nullable=False),
            sa.Column("province_code", sa.String(length=8), nullable=False),
            sa.Column("kind", sa.String(length=16), nullable=False),
            sa.Column("bin", sa.BigInteger(), nullable=False),
            sa.Column("reports", sa.BigInteger(), nullable=False),
            sa.Column("total_us", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("hour", "province_code", "kind", "bin"),
            sqlite_with_rowid=False,
        )
    for kind, (us, at) in KINDS.items():
        day = _START[dialect]["day"].format(t=at)
        op.execute(
            f"INSERT INTO feedback_times_day (hour, province_code, kind, bin, reports, "
            f"total_us) SELECT {day} AS start, province_code, '{kind}', {_bin(us)} AS b, "
            f"count(*), sum({us}) FROM feedback WHERE {at} IS NOT NULL AND {us} IS NOT NULL "
            f"GROUP BY start, province_code, b")
    month = _START[dialect]["month"].format(t="hour")
    op.execute(
        f"INSERT INTO feedback_times_month (hour, province_code, kind, bin, reports, total_us) "
        f"SELECT {month} AS start, province_code, kind, bin, sum(reports), sum(total_us) "
        f"FROM feedback_times_day GROUP BY start, province_code, kind, bin")
    counters = ", ".join(FEEDBACK_COUNTERS)
    sums = ", ".join(f"sum({c})" for c in FEEDBACK_COUNTERS)
    for grain in ("day", "month"):
        for name, dims in NARROW_DIMS.items():
            table = f"feedback_buckets_{grain}_{name}"
            op.create_table(
                table,
                sa.Column("hour", sa.DateTime(), nullable=False),
                *[sa.Column(d, sa.String(length=64), nullable=False) for d in dims],
                *[sa.Column(c, sa.BigInteger(), nullable=False) for c in FEEDBACK_COUNTERS],
                sa.PrimaryKeyConstraint("hour", *dims),
                sqlite_with_rowid=False,  # clustered on the key: one B-tree
            )
            cols = ", ".join(dims)
            op.execute(
                f"INSERT INTO {table} (hour, {cols}, {counters}) "
                f"SELECT hour, {cols}, {sums} FROM feedback_buckets_{grain} "
                f"GROUP BY hour, {cols}")


def downgrade() -> None:
    for grain in ("month", "day"):
        for name in reversed(NARROW_DIMS):
            op.drop_table(f"feedback_buckets_{grain}_{name}")
    op.drop_table("feedback_times_month")
    op.drop_table("feedback_times_day")
    for name, _ in NEW:
        op.drop_index(name, table_name="feedback")
    for name, cols in OLD:
        op.create_index(name, "feedback", list(cols))
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("close_us")
        batch.drop_column("response_us")

"""SQL schema: hourly buckets, entity state, offsets, checkpoints, dead letters.

Times are stored as timezone-naive UTC (portable between SQLite and PostgreSQL).
Bucket dimension columns are NOT NULL ('' = unknown) so they can form a primary key.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from ioc.db.columns import (
    DOSSIER_COUNTERS,
    DOSSIER_DIMS,
    FEEDBACK_COUNTERS,
    FEEDBACK_DIMS,
    SOCIAL_COUNTERS,
    SOCIAL_DIMS,
)

metadata = MetaData()



def _dim(name: str) -> Column:
    if name == "hour":
        return Column("hour", DateTime, primary_key=True)
    return Column(name, String(64), primary_key=True, default="")


def _bucket_table(name: str, dims: tuple[str, ...], counters: tuple[str, ...],
                  **kw: bool) -> Table:
    return Table(
        name,
        metadata,
        *[_dim(d) for d in dims],
        *[Column(c, BigInteger, nullable=False, default=0) for c in counters],
        **kw,
    )


dossier_buckets = _bucket_table("dossier_buckets", DOSSIER_DIMS, DOSSIER_COUNTERS)
feedback_buckets = _bucket_table("feedback_buckets", FEEDBACK_DIMS, FEEDBACK_COUNTERS)
social_buckets = _bucket_table("social_buckets", SOCIAL_DIMS, SOCIAL_COUNTERS)
# Rollups of the dossier buckets (issue 13): same dimensions, `hour` = the first hour (naive
# UTC) of the local day / month summed; written in the aggregator's transaction with the
# hourly rows, so long windows read a few rows per day or month instead of every hour's.
dossier_buckets_day = _bucket_table("dossier_buckets_day", DOSSIER_DIMS, DOSSIER_COUNTERS)
dossier_buckets_month = _bucket_table("dossier_buckets_month", DOSSIER_DIMS, DOSSIER_COUNTERS)
# The same for feedback and social (migration 0018).
feedback_buckets_day = _bucket_table("feedback_buckets_day", FEEDBACK_DIMS, FEEDBACK_COUNTERS)
feedback_buckets_month = _bucket_table("feedback_buckets_month", FEEDBACK_DIMS,
                                       FEEDBACK_COUNTERS)
social_buckets_day = _bucket_table("social_buckets_day", SOCIAL_DIMS, SOCIAL_COUNTERS)
social_buckets_month = _bucket_table("social_buckets_month", SOCIAL_DIMS, SOCIAL_COUNTERS)
ROLLUPS: dict[str, dict[str, Table]] = {
    "dossier_buckets": {"day": dossier_buckets_day, "month": dossier_buckets_month},
    "feedback_buckets": {"day": feedback_buckets_day, "month": feedback_buckets_month},
    "social_buckets": {"day": social_buckets_day, "month": social_buckets_month}}
# Narrow dossier rollups (migration 0019): the same day/month sums keyed by one dimension
# besides the province (a full day compresses only 1.6x: ~1,600 rows a day against ~140 per
# commune or agency). A read takes the narrowest table of its grain whose dimensions cover
# its filter and group columns (ioc.kpis.values.bucket_parts), else the full one. Clustered
# on their key on SQLite (WITHOUT ROWID): one B-tree to write and to range-scan.
NARROW_DIMS = {
    "province": ("hour", "province_code"),  # a province's scorecard, the daily trend
    "ward": ("hour", "province_code", "ward_code"),  # commune ranking, map, options
    "agency": ("hour", "province_code", "agency_code"),  # agency ranking
    "sector": ("hour", "province_code", "sector"),  # sector breakdown
}
FEEDBACK_NARROW_DIMS = {
    "channel_category": ("hour", "province_code", "channel", "category"),
    "agency": ("hour", "province_code", "agency_code"),
    "ward": ("hour", "province_code", "ward_code"),
}
NARROW_ROLLUPS: dict[str, dict[str, tuple[Table, ...]]] = {
    "dossier_buckets": {
        grain: tuple(_bucket_table(f"dossier_buckets_{grain}_{name}", dims, DOSSIER_COUNTERS,
                                   sqlite_with_rowid=False)
                     for name, dims in NARROW_DIMS.items())
        for grain in ("day", "month")},
    # Feedback (migration 0020): the KPI tiles, the category breakdown and the channel trend
    # (channel × category), the agency breakdown and the drill options (agency, commune).
    "feedback_buckets": {
        grain: tuple(_bucket_table(f"feedback_buckets_{grain}_{name}", dims, FEEDBACK_COUNTERS,
                                   sqlite_with_rowid=False)
                     for name, dims in FEEDBACK_NARROW_DIMS.items())
        for grain in ("day", "month")}}

dossiers = Table(
    "dossiers",
    metadata,
    Column("dossier_id", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("status", String(24), nullable=False),
    Column("province_code", String(8), nullable=False),
    Column("ward_code", String(16), nullable=False, default=""),
    Column("agency_code", String(64), nullable=False, default=""),
    Column("agency_name", String(200)),
    Column("procedure_code", String(64), nullable=False, default=""),
    Column("procedure_name", String(300)),
    Column("sector", String(100), nullable=False, default=""),
    Column("level", String(16), nullable=False, default=""),
    Column("channel", String(16), nullable=False, default=""),
    Column("online_mode", String(16)),
    Column("received_at", DateTime, nullable=False),
    Column("due_at", DateTime, nullable=False),
    Column("completed_at", DateTime, index=True),  # windows of completions (p90)
    Column("closed_at", DateTime, index=True),  # "open at T" for the previous period
    Column("digitized", Boolean),
    Column("e_result", Boolean),
    Column("fee_vnd", BigInteger),
    Column("paid_online", Boolean),
    Column("rating", String(16)),
    Column("applicant_kind", String(16)),
    Column("is_open", Boolean, nullable=False, index=True),
    # Lifecycle: `due_at` above is the effective deadline (moved by a finished supplement
    # pause); `due_at_legal` is the source's deadline without pauses.
    Column("due_at_legal", DateTime),
    Column("supplement_requested_at", DateTime),
    Column("supplement_received_at", DateTime),
    Column("online_eligible", Boolean),
    Column("proc_minutes", Integer),  # office minutes receipt → result, net of the pause
)
# Covering indexes of the long-window reads (issue 13): completions in a window with their
# processing minutes (p90, rankings), and dossiers open at an instant.
Index("ix_dossiers_completed_cover", dossiers.c.province_code, dossiers.c.completed_at,
      dossiers.c.status, dossiers.c.proc_minutes, dossiers.c.ward_code, dossiers.c.agency_code,
      dossiers.c.sector)
Index("ix_dossiers_open_at", dossiers.c.province_code, dossiers.c.received_at,
      dossiers.c.closed_at)
# "Open at T" as closures after T (migration 0016): an old instant reads its backlog only;
# covering the state counts' columns and the scorecard groups (migration 0019 widened it:
# the state frames were then the largest part of a long window's page, half in row lookups).
Index("ix_dossiers_state_cover", dossiers.c.province_code, dossiers.c.closed_at,
      dossiers.c.received_at, dossiers.c.due_at, dossiers.c.due_at_legal,
      dossiers.c.supplement_requested_at, dossiers.c.supplement_received_at,
      dossiers.c.ward_code, dossiers.c.agency_code, dossiers.c.sector)
# Names the dossiers carry per code (migration 0017): how many stored dossiers carry each
# (code, name) pair, kept in the aggregator's transaction, so the pages read names without
# scanning the dossiers (ioc.dossiers.names). kind = the code column (agency_code, ...).
dossier_names = Table(
    "dossier_names",
    metadata,
    Column("province_code", String(8), primary_key=True),
    Column("kind", String(24), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("name", String(300), primary_key=True),
    Column("dossiers", BigInteger, nullable=False, default=0),
)
# Histogram of processing minutes (migration 0019): per province, local day or month of
# completion (`hour` = its first hour, naive UTC) and bin of P90_BIN_MINUTES, how many
# completed dossiers took that long; kept in the aggregator's transaction (new − replaced
# states). The exact p90 reads it to find the bin of rank ceil(0.9·n), then only the
# dossiers of that bin (ix_dossiers_p90), not every completion of a long window.
P90_BIN_MINUTES = 60


def _p90_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("hour", DateTime, primary_key=True),
        Column("province_code", String(8), primary_key=True),
        Column("bin", Integer, primary_key=True),
        Column("completions", BigInteger, nullable=False, default=0),
        sqlite_with_rowid=False,
    )


dossier_p90_day = _p90_table("dossier_p90_day")
dossier_p90_month = _p90_table("dossier_p90_month")
P90_ROLLUPS = {"day": dossier_p90_day, "month": dossier_p90_month}
Index("ix_dossiers_p90", dossiers.c.province_code, dossiers.c.proc_minutes,
      dossiers.c.completed_at)
# Per province, an upper bound on closed_at − received_at of every stored dossier (seconds;
# migration 0019): the state at a long-ago instant reads the closures up to instant + bound
# only (ioc.kpis.open_bound).
def _open_bound_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("province_code", String(8), primary_key=True),
        Column("max_open_s", BigInteger, nullable=False),
    )


dossier_open_bound = _open_bound_table("dossier_open_bound")

# The dossiers that stayed open longer than LONG_OPEN (closed_at − received_at > 30 days;
# migration 0023), kept in the transaction that stores their state: the state at a long-ago
# instant reads the closures of its first 30 days through ix_dossiers_state_cover and only
# these few beyond (≈1.6 % of dossiers; ioc.kpis.open_bound).
dossier_long_open = Table(
    "dossier_long_open",
    metadata,
    Column("dossier_id", String(64), primary_key=True),
    Column("province_code", String(8), nullable=False),
    Column("closed_at", DateTime, nullable=False),
    Column("received_at", DateTime, nullable=False),
)
Index("ix_dossier_long_open", dossier_long_open.c.province_code, dossier_long_open.c.closed_at,
      dossier_long_open.c.received_at)

feedback = Table(
    "feedback",
    metadata,
    Column("feedback_id", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("status", String(24), nullable=False),
    Column("province_code", String(8), nullable=False),
    Column("ward_code", String(16), nullable=False, default=""),
    Column("ward_code_reason", String(200)),  # why ward_code is empty (outside the province, …)
    Column("channel", String(24), nullable=False, default=""),
    Column("category", String(100), nullable=False, default=""),
    Column("agency_code", String(64), nullable=False, default=""),
    Column("text", Text),
    Column("lat", Float),
    Column("lon", Float),
    Column("received_at", DateTime, nullable=False),
    Column("due_at", DateTime, nullable=False),
    Column("responded_at", DateTime),
    Column("closed_at", DateTime),
    Column("rating", String(16)),
    Column("is_open", Boolean, nullable=False, index=True),
    # Office microseconds receipt → first response / close (migration 0020; the aggregator
    # writes them with the state, ioc.feedback.transitions.office_durations).
    Column("response_us", BigInteger),
    Column("close_us", BigInteger),
)
# Long windows and old instants (migration 0018): reports open at an instant (closures after
# it), responded or closed in a window, received in a window or newest first (report list).
# The durations last (0020): the KPI tiles' times of a window read these indexes alone.
Index("ix_feedback_closed_open", feedback.c.province_code, feedback.c.closed_at,
      feedback.c.received_at, feedback.c.close_us)
Index("ix_feedback_responded", feedback.c.province_code, feedback.c.responded_at,
      feedback.c.response_us)
Index("ix_feedback_received", feedback.c.province_code, feedback.c.received_at,
      feedback.c.closed_at)
# Histogram of those durations (migration 0020), as dossier_p90_*: per province, local day
# or month of the response / close (`hour` = its first hour, naive UTC), kind ('response' |
# 'close') and bin of FEEDBACK_TIME_BIN_US office microseconds, how many reports and the sum
# of their durations (the mean); the p90 then reads one bin's reports through these indexes.
FEEDBACK_TIME_BIN_US = 3_600_000_000  # one office hour
Index("ix_feedback_response_us", feedback.c.province_code, feedback.c.response_us,
      feedback.c.responded_at)
Index("ix_feedback_close_us", feedback.c.province_code, feedback.c.close_us,
      feedback.c.closed_at)
# Per province, an upper bound on closed_at − received_at of every stored report (seconds;
# migration 0022), as dossier_open_bound: the reports open at a long-ago instant read the
# closures up to instant + bound only (ioc.kpis.open_bound).
feedback_open_bound = _open_bound_table("feedback_open_bound")


def _times_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("hour", DateTime, primary_key=True),
        Column("province_code", String(8), primary_key=True),
        Column("kind", String(16), primary_key=True),
        Column("bin", BigInteger, primary_key=True),
        Column("reports", BigInteger, nullable=False, default=0),
        Column("total_us", BigInteger, nullable=False, default=0),
        sqlite_with_rowid=False,
    )


feedback_times_day = _times_table("feedback_times_day")
feedback_times_month = _times_table("feedback_times_month")
FEEDBACK_TIME_ROLLUPS = {"day": feedback_times_day, "month": feedback_times_month}

# SLA of citizen feedback (issue 11): append-only versions, so the table is its own audit trail
# (who set which deadline, from when, why). ioc.feedback.sla resolves the version in force.
feedback_sla_rules = Table(
    "feedback_sla_rules",
    metadata,
    Column("category", String(100), primary_key=True),
    Column("agency_code", String(64), primary_key=True, default=""),  # '' = any agency
    Column("valid_from", DateTime, primary_key=True),
    Column("set_at", DateTime, primary_key=True),
    Column("days", Float, nullable=False),
    Column("set_by", String(100), nullable=False),
    Column("reason", Text, nullable=False, default=""),
)

# Social posts: one row per post_id is the dedupe set (the first delivery wins; an edited
# re-delivery changes nothing). Title/text arrive redacted. `label` is the model's decision on
# `sentiment` by `model_version`; `corrected_label` an operator's correction (wins when set);
# `topic` (primary) and `ward_code` are the bucket dimensions the post is counted under.
social_posts = Table(
    "social_posts",
    metadata,
    Column("post_id", String(128), primary_key=True),
    Column("published_at", DateTime, nullable=False, index=True),
    Column("province_code", String(8), nullable=False),
    Column("ward_code", String(16), nullable=False, default=""),
    Column("platform", String(16), nullable=False),
    Column("sentiment", Float, nullable=False),
    Column("title", Text),
    Column("text", Text),
    Column("url", Text),
    Column("source", String(100)),
    Column("author_ref", String(128)),
    Column("likes", BigInteger, nullable=False, default=0, server_default="0"),
    Column("shares", BigInteger, nullable=False, default=0, server_default="0"),
    Column("comments", BigInteger, nullable=False, default=0, server_default="0"),
    Column("engagement", BigInteger, nullable=False, default=0, server_default="0"),
    Column("label", String(8)),
    Column("model_version", String(32)),
    Column("corrected_label", String(8)),
    Column("topic", String(64), nullable=False, default="", server_default=""),
    Column("topics", Text),  # all matched topics, '|'-joined, primary first
    Column("places", Text),  # 2025 ward codes mentioned, ','-joined
)
# The posts of a window with the columns their scopes filter on (migration 0018): rising
# keywords join their tags without reading the posts' rows.
Index("ix_social_posts_window", social_posts.c.province_code, social_posts.c.published_at,
      social_posts.c.post_id, social_posts.c.ward_code, social_posts.c.platform,
      social_posts.c.topic)

# What a post mentions, one row per (post, kind, value): kind 'term' (keywords after stop
# words), 'topic', 'place' (2025 ward code). Rising keywords and the page's filters read it.
social_post_tags = Table(
    "social_post_tags",
    metadata,
    Column("post_id", String(128), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("value", String(64), primary_key=True),
)

# Rising keywords over long windows (issue 13, migration 0021): per province and local day
# (`hour` = its first hour, naive UTC, as the bucket rollups) the posts published that day
# that mention each term, written with the posts' tags in the aggregator's transaction. A
# post's terms never change after its first delivery (relabel and rescore leave them), so
# nothing else moves these rows.
social_terms_day = Table(
    "social_terms_day",
    metadata,
    Column("province_code", String(8), primary_key=True),
    Column("hour", DateTime, primary_key=True),
    Column("term", String(64), primary_key=True),
    Column("posts", BigInteger, nullable=False, default=0),
    sqlite_with_rowid=False,
)
# Narrow social rollups (migration 0021), as the dossiers' (0019): a day of posts barely
# compresses over commune × platform × topic (~1 post a row), so the KPI tiles' totals and
# their per-platform, per-topic and per-commune rows read these instead.
SOCIAL_NARROW_DIMS = {
    "province": ("hour", "province_code"),
    "ward": ("hour", "province_code", "ward_code"),
    "platform": ("hour", "province_code", "platform"),
    "topic": ("hour", "province_code", "topic"),
}
NARROW_ROLLUPS["social_buckets"] = {
    grain: tuple(_bucket_table(f"social_buckets_{grain}_{name}", dims, SOCIAL_COUNTERS,
                               sqlite_with_rowid=False)
                 for name, dims in SOCIAL_NARROW_DIMS.items())
    for grain in ("day", "month")}

# Operators' label corrections; the table is the audit (who, when, before, after, model).
social_label_corrections = Table(
    "social_label_corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("post_id", String(128), nullable=False, index=True),
    Column("actor", String(100), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("old_label", String(8), nullable=False),
    Column("new_label", String(8), nullable=False),
    Column("model_label", String(8)),
    Column("model_version", String(32)),
)

consumer_offsets = Table(
    "consumer_offsets",
    metadata,
    Column("consumer_group", String(100), primary_key=True),
    Column("topic", String(200), primary_key=True),
    Column("partition", Integer, primary_key=True),
    # The Kafka cluster id the offset belongs to: a new (e.g. compacted embedded) broker
    # starts its logs at 0 again, so offsets of another cluster are not valid there.
    Column("cluster_id", String(100), nullable=False),
    Column("next_offset", BigInteger, nullable=False),
)

aggregator_batches = Table(
    "aggregator_batches",
    metadata,
    Column("instance", String(100), primary_key=True),
    Column("consumer_group", String(100), nullable=False),
    Column("committed_at", DateTime, nullable=False),
    Column("heartbeat_at", DateTime, nullable=False),
    Column("events_total", BigInteger, nullable=False, default=0),
    Column("last_batch_events", Integer, nullable=False, default=0),
    Column("lag", BigInteger, nullable=False, default=0),
)

connector_checkpoints = Table(
    "connector_checkpoints",
    metadata,
    Column("connector", String(100), primary_key=True),
    Column("cursor", Text, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# Each checkpoint with the broker offsets its records got: after the embedded broker is lost
# (memory-only), a connector rewinds to the newest one the aggregator had committed.
connector_checkpoint_history = Table(
    "connector_checkpoint_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("connector", String(100), nullable=False, index=True),
    Column("prev_cursor", Text),  # where the batch started (None: the source's beginning)
    Column("cursor", Text),  # None: a rewind to the source's beginning
    Column("cluster_id", String(100)),
    Column("offsets", Text, nullable=False),  # JSON {"topic": {"partition": last offset}}
    Column("saved_at", DateTime, nullable=False),
)

# The embedded broker's health as the supervisor sees it (one row per supervisor): the
# freshness badge reads it, since the aggregator's heartbeats go on while the broker is gone.
broker_health = Table(
    "broker_health",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("state", String(16), nullable=False),  # up | down
    Column("cause", Text),
    Column("since", DateTime, nullable=False),
    Column("checked_at", DateTime, nullable=False),
    Column("restarts", Integer, nullable=False, default=0),
    Column("last_restart_at", DateTime),
    Column("cluster_id", String(100)),
)

# One row per long-running connector (`ioc connect`, ioc up's simulators; one-shot imports
# write none): its last poll and last success, so freshness can name the stream that stopped.
# `interval_seconds` is the connector's pause between polls (a feed polled every 5 minutes is
# not stale after 1); rows not updated within IOC_CONNECTOR_EXPIRY_HOURS are a removed
# connector: ignored, and deleted by the next connector that writes.
connector_heartbeats = Table(
    "connector_heartbeats",
    metadata,
    Column("connector", String(100), primary_key=True),
    Column("stream", String(16), nullable=False),  # dossier | feedback | social
    Column("started_at", DateTime, nullable=False),  # this run of the connector began
    Column("last_attempt_at", DateTime, nullable=False),
    Column("last_ok_at", DateTime),  # null: no successful poll in any run yet
    Column("last_error", String(300)),  # redacted; null once a poll succeeds again
    Column("records_total", BigInteger, nullable=False, default=0),
    Column("interval_seconds", Float, nullable=False, default=0),
    Column("updated_at", DateTime, nullable=False),
)

# One row per dead record, whatever the number of re-sends: `dead_id` is the original topic,
# partition and offset under the cluster id for records the aggregator dead-letters, or the
# source + a hash of the original bytes and position for records a connector dead-letters.
# `payload` is redacted; `payload_sha256` is the hash of the original bytes (to match a replay).
dead_letters = Table(
    "dead_letters",
    metadata,
    Column("dead_id", String(300), primary_key=True),
    Column("cluster_id", String(100)),
    Column("original_topic", String(200)),
    Column("original_partition", Integer),
    Column("original_offset", BigInteger),
    Column("reason", Text, nullable=False),
    Column("stage", String(32), nullable=False),
    Column("source", String(100)),
    Column("payload", LargeBinary),
    Column("payload_sha256", String(64)),
    Column("dead_at", DateTime, nullable=False, index=True),
)

# Deadline reminders: one row per item (dossier or feedback report), kind and deadline, so an
# item is reminded once even across restarts. `alert_id` is the episode it was notified in,
# `sent_at` when that notification was written to the outbox (null = not notified yet). A
# deadline moved by a supplement pause is a new deadline and may be reminded again.
deadline_reminders = Table(
    "deadline_reminders",
    metadata,
    Column("stream", String(16), primary_key=True),  # dossier | feedback
    Column("item_id", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),  # near_due | overdue
    Column("due_at", DateTime, primary_key=True),
    Column("province_code", String(8), nullable=False),
    Column("agency_code", String(64), nullable=False),
    Column("detected_at", DateTime, nullable=False),
    Column("alert_id", String(64), index=True),
    Column("sent_at", DateTime, index=True),
)

# Targets per KPI, editable by ops staff; absent rows fall back to the catalogue default.
kpi_targets = Table(
    "kpi_targets",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("target", Float),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(100), nullable=False),
)

# ------------------------------------------------------------------ alerts and access (issue 4)
# Alert rules ops staff own; every change is kept in rule_audit (who, when, before, after).
alert_rules = Table(
    "alert_rules",
    metadata,
    Column("rule_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # threshold | burst
    Column("kpi", String(64), nullable=False),
    Column("scope", String(200), nullable=False),
    Column("window", String(16), nullable=False),
    Column("comparator", String(4), nullable=False),
    Column("threshold", Float, nullable=False),
    Column("pending_minutes", Integer, nullable=False, default=0),
    Column("hysteresis", Float, nullable=False, default=0.0),
    Column("severity", String(16), nullable=False),
    Column("targets", Text, nullable=False, default="[]"),  # JSON list
    Column("params", Text, nullable=False, default="{}"),  # JSON object (burst method)
    Column("enabled", Boolean, nullable=False, default=True),
    Column("version", Integer, nullable=False, default=1),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(100), nullable=False),
)

rule_audit = Table(
    "rule_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule_id", String(64), nullable=False, index=True),
    Column("action", String(16), nullable=False),  # create | update | disable | enable | import
    Column("actor", String(100), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("before", Text),  # JSON of the rule before (null on create)
    Column("after", Text),  # JSON of the rule after
)

# Local accounts: modern password hash only, never the password.
users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),  # viewer | operator | admin
    Column("disabled", Boolean, nullable=False, default=False),
    # ioc.auth.scopes: 'commune:08494[,commune:…]' | 'agency:…' | 'province:…'; null = all
    Column("scope", String(500)),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, index=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("ok", Boolean, nullable=False),
    Column("source", String(64), index=True),  # "ui:<client ip>", "cli" …: per-client throttle
    # ok | bad_credentials | disabled | throttled (refused unchecked) | unlock (`ioc users
    # unlock`); only checked failures count toward the backoff (ioc.auth.accounts)
    Column("outcome", String(16)),
)

# One row per alert episode of a rule: pending → firing → acknowledged → resolved (or dropped
# when a pending condition stopped holding). At most one open episode per rule.
alerts = Table(
    "alerts",
    metadata,
    Column("alert_id", String(64), primary_key=True),
    Column("rule_id", String(64), nullable=False, index=True),
    Column("rule_version", Integer, nullable=False),
    Column("kpi", String(64), nullable=False),
    Column("scope", String(200), nullable=False),
    Column("window", String(16), nullable=False),
    Column("comparator", String(4), nullable=False),
    Column("threshold", Float, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("state", String(16), nullable=False),  # pending|firing|acknowledged|resolved|dropped
    Column("is_open", Boolean, nullable=False, index=True),
    Column("value", Float),  # newest evaluated value
    Column("pending_since", DateTime),
    Column("fired_at", DateTime),
    Column("acked_at", DateTime),
    Column("acked_by", String(64)),
    Column("ack_note", Text),
    Column("resolved_at", DateTime),
    Column("evaluated_at", DateTime, nullable=False),
)

alert_history = Table(
    "alert_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", String(64), nullable=False, index=True),
    Column("rule_id", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("transition", String(16), nullable=False),  # pend|fire|ack|resolve|drop
    Column("actor", String(100), nullable=False),  # "evaluator" or a username
    Column("value", Float),
    Column("note", Text),
)

# Silences mute notifications of matching alerts in [starts_at, ends_at); evaluation goes on.
silences = Table(
    "silences",
    metadata,
    Column("silence_id", String(64), primary_key=True),
    Column("rule_id", String(64)),  # null = any rule
    Column("scope_prefix", String(200), nullable=False, default=""),  # "" = any scope
    Column("starts_at", DateTime, nullable=False),
    Column("ends_at", DateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# Notification outbox: written in the transition's transaction, delivered after; a crash in
# between re-delivers with the same alert_id + transition (receivers dedupe on them).
alert_outbox = Table(
    "alert_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", String(64), nullable=False, index=True),
    Column("transition", String(16), nullable=False),
    Column("channel", String(200), nullable=False),  # topic | webhook | email:ADDRESS
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("suppressed_by", String(64)),  # silence_id; suppressed rows are never delivered
    Column("sent_at", DateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
)

# Wall-screen playlists (ioc.wall): items as a JSON list; the kiosk token only as its SHA-256.
# Every change is kept in playlist_audit (who, when, before, after), like rule_audit.
wall_playlists = Table(
    "wall_playlists",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("title", String(200), nullable=False, default=""),
    Column("items", Text, nullable=False),  # JSON list of {page, scope, window, dwell}
    Column("interrupt_on_critical", Boolean, nullable=False, default=True),
    Column("token_sha256", String(64), nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(100), nullable=False),
)

playlist_audit = Table(
    "playlist_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, index=True),
    Column("action", String(16), nullable=False),  # create | update | import | token | delete
    Column("actor", String(100), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("before", Text),  # JSON of the playlist before (null on create)
    Column("after", Text),  # JSON after (null on delete)
)

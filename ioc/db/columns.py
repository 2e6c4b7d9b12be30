"""Dimensions and counters of the hourly buckets, per stream. Plain names, no SQLAlchemy, so the
pure transitions and the schema share one definition."""

DOSSIER_DIMS = ("hour", "province_code", "ward_code", "agency_code", "procedure_code",
                "sector", "channel", "level")
DOSSIER_COUNTERS = (
    "received", "received_online", "received_full_online", "received_digitized",
    "fee_bearing", "paid_online", "received_eligible", "received_online_eligible",
    "completed", "completed_on_time", "completed_e_result", "proc_hours_sum", "proc_minutes_sum",
    "returned", "cancelled", "rated", "rated_satisfied",
)
FEEDBACK_DIMS = ("hour", "province_code", "ward_code", "channel", "category", "agency_code")
FEEDBACK_COUNTERS = ("received", "closed", "closed_on_time", "responded", "rated",
                     "rated_satisfied")
SOCIAL_DIMS = ("hour", "province_code", "ward_code", "platform", "topic")
SOCIAL_COUNTERS = ("posts", "negative", "positive", "neutral", "engagement")

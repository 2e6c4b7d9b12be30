"""Vietnamese-first labels (English second) and Vietnamese number formatting.

Pure functions, no Streamlit: the pages and the tests share them. Vietnamese writes the
thousands separator as "." and the decimal mark as "," (12.345; 91,5 %).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from typing_extensions import TypeIs

DASH = "—"  # shown for a value that cannot be computed (e.g. a ratio over zero items)
SEP = " · "  # between the Vietnamese label and its English translation

# key → (Vietnamese, English). Pages use keys so the wording lives in one place.
LABELS: Mapping[str, tuple[str, str]] = {
    "app": ("Trung tâm Điều hành thông minh", "Intelligent Operations Centre"),
    "overview": ("Tổng quan", "Overview"),
    "window": ("Khoảng thời gian", "Time window"),
    "live": ("Dữ liệu trực tiếp", "Live data"),
    "stale": ("Dữ liệu chậm/không cập nhật", "Data delayed or not updating"),
    "no_data": ("Chưa có dữ liệu", "No data yet"),
    "no_data_hint": (
        "Chưa có sự kiện nào được tổng hợp. Khi bộ tổng hợp chạy, các chỉ số sẽ tự hiện ra.",
        "No events have been aggregated yet; the figures appear once the aggregator runs.",
    ),
    "db_error": ("Không đọc được cơ sở dữ liệu", "Cannot read the database"),
    "trend": ("Diễn biến theo giờ (48 giờ qua)", "Hourly trend (last 48 hours)"),
    "trend_empty": ("Chưa có dữ liệu trong 48 giờ qua", "No data in the last 48 hours"),
    "map": ("Bản đồ xã, phường", "Commune map"),
    "map_kpi": ("Chỉ số trên bản đồ", "Map indicator"),
    "map_empty": ("Chưa có dữ liệu theo xã trong khoảng này",
                  "No commune data in this window"),
    "by_channel": ("Theo kênh tiếp nhận", "By channel"),
    "now": ("hiện tại", "now"),
    "target": ("mục tiêu", "target"),
    "hour": ("Giờ", "Hour"),
    "count": ("Số lượng", "Count"),
    "stream": ("Luồng dữ liệu", "Stream"),
    "no_value": ("không có dữ liệu", "no data"),
    "updated": ("cập nhật", "updated"),
    "ago": ("trước", "ago"),
    "lag": ("độ trễ", "lag"),
    "records": ("bản ghi", "records"),
    "aggregators": ("bộ tổng hợp", "aggregators"),
    "no_aggregator": ("chưa có bộ tổng hợp nào báo cáo", "no aggregator has reported"),
    "dead_letters": ("bản ghi lỗi", "dead letters"),
    "seconds": ("giây", "seconds"),
}

STREAM_LABELS: Mapping[str, tuple[str, str]] = {
    "dossier": ("Hồ sơ TTHC", "Administrative dossiers"),
    "feedback": ("Phản ánh kiến nghị", "Citizen feedback"),
    "social": ("Mạng xã hội", "Social media"),
}

# Feedback channels of the ioc.feedback.v1 contract (DESIGN.md §3).
CHANNEL_LABELS: Mapping[str, str] = {
    "hotline_1022": "Tổng đài 1022",
    "web": "Cổng thông tin",
    "zalo": "Zalo",
    "facebook": "Facebook",
    "app": "Ứng dụng di động",
    "email": "Thư điện tử",
    "open311": "Open311",
    "": "Không rõ",
}

WINDOW_LABELS: Mapping[str, tuple[str, str]] = {
    "24h": ("24 giờ", "24 hours"),
    "7d": ("7 ngày", "7 days"),
    "30d": ("30 ngày", "30 days"),
}


def vi(key: str) -> str:
    """The Vietnamese label of a key."""
    return LABELS[key][0]


def en(key: str) -> str:
    return LABELS[key][1]


def bilingual(vi_text: str, en_text: str) -> str:
    """'Tổng quan · Overview': Vietnamese first, English second."""
    return f"{vi_text}{SEP}{en_text}" if en_text else vi_text


def both(key: str) -> str:
    return bilingual(*LABELS[key])


def window_label(window: str) -> str:
    return WINDOW_LABELS.get(window, (window, window))[0]


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel)


def _finite(x: float | int | None) -> TypeIs[float | int]:
    return x is not None and not (isinstance(x, float) and not math.isfinite(x))


def _swap_marks(text: str) -> str:
    # Python formats 12,345.6; Vietnamese wants 12.345,6.
    return text.translate(str.maketrans(",.", ".,"))


def fmt_int(n: float | int | None) -> str:
    """12345 → '12.345'; None → '—'."""
    if not _finite(n):
        return DASH
    return _swap_marks(f"{round(n):,d}")


def fmt_number(x: float | int | None, decimals: int = 1) -> str:
    """1234.56 → '1.234,6' (decimals=1)."""
    if not _finite(x):
        return DASH
    return _swap_marks(f"{x:,.{decimals}f}")


def fmt_pct(ratio: float | None, decimals: int = 1) -> str:
    """0.915 → '91,5 %' (a ratio in 0..1, shown as a percentage)."""
    if not _finite(ratio):
        return DASH
    return f"{fmt_number(ratio * 100, decimals)} %"


def fmt_value(value: float | int | None, unit: str) -> str:
    """A KPI value by its catalogue unit: 'ratio' → percentage, anything else → integer."""
    return fmt_pct(value) if unit == "ratio" else fmt_int(value)


def fmt_duration(seconds: float | None) -> str:
    """Human age in Vietnamese: '45 giây', '3 phút 5 giây', '2 giờ 4 phút', '3 ngày 1 giờ'."""
    if not _finite(seconds):
        return DASH
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} giây"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m} phút {s} giây" if s else f"{m} phút"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h} giờ {m} phút" if m else f"{h} giờ"
    d, h = divmod(h, 24)
    return f"{fmt_int(d)} ngày {h} giờ" if h else f"{fmt_int(d)} ngày"


def fmt_age(seconds: float | None) -> str:
    """Age of the last update, in seconds first (operators compare it with the threshold),
    then in words when it is long: '12 giây', '7.265 giây (2 giờ 1 phút)'."""
    if not _finite(seconds):
        return DASH
    s = max(0, int(seconds))
    text = f"{fmt_int(s)} giây"
    return text if s < 120 else f"{text} ({fmt_duration(s)})"

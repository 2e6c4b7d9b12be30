"""Wording of the Dossiers page (Vietnamese first, English second), in one place so the
builders and the renderers print the same words."""

from __future__ import annotations

from ioc.i18n import bilingual

LABELS: dict[str, tuple[str, str]] = {
    "title": ("Hồ sơ TTHC", "Administrative dossiers"),
    "subtitle": ("Bộ chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766/QĐ-TTg)",
                 "Citizen and business service index (Decision 766/QĐ-TTg)"),
    "window": ("Khoảng thời gian", "Time window"),
    "from": ("Từ ngày", "From"),
    "to": ("Đến ngày", "To"),
    "commune": ("Xã, phường", "Commune"),
    "agency": ("Cơ quan", "Agency"),
    "procedure": ("Thủ tục", "Procedure"),
    "all_communes": ("Toàn tỉnh", "Whole province"),
    "all_agencies": ("Tất cả cơ quan", "All agencies"),
    "all_procedures": ("Tất cả thủ tục", "All procedures"),
    "bad_range": ("Khoảng ngày không hợp lệ", "Invalid date range"),
    "vs_previous": ("so với kỳ trước", "vs previous period"),
    "previous": ("kỳ trước", "previous"),
    "now": ("hiện tại", "now"),
    "end_of": ("cuối kỳ", "end of period"),
    "target": ("mục tiêu", "target"),
    "score_group": ("Chỉ số 766 · phần hồ sơ", "766 index, dossier part"),
    "intake_group": ("Tiếp nhận và giải quyết", "Intake and resolution"),
    "digital_group": ("Dịch vụ số và mức độ hài lòng", "Digital services and satisfaction"),
    "formulas": ("Công thức", "Formula"),
    "deadlines": ("Hồ sơ quá hạn / sắp đến hạn", "Overdue and near-due dossiers"),
    "deadline_list": ("Danh sách", "List"),
    "by_agency": ("Theo cơ quan", "By agency"),
    "by_procedure": ("Theo thủ tục", "By procedure"),
    "no_deadlines": ("Không có hồ sơ quá hạn hoặc sắp đến hạn",
                     "No overdue or near-due dossiers"),
    "rankings": ("Xếp hạng theo tổng điểm 766", "Rankings on the 766 total"),
    "rank_communes": ("Xã, phường", "Communes"),
    "rank_agencies": ("Cơ quan", "Agencies"),
    "no_ranking": ("Chưa có đơn vị nào để xếp hạng", "Nothing to rank yet"),
    "trend": ("Diễn biến theo ngày", "Daily trend"),
    "received_completed": ("Tiếp nhận và giải quyết", "Received and completed"),
    "on_time_share": ("Tỷ lệ giải quyết đúng hạn trong ngày", "On-time share of completions"),
    "breakdowns": ("Phân tích theo", "Breakdowns"),
    "map": ("Bản đồ tỷ lệ đúng hạn theo xã, phường", "On-time rate by commune"),
    "dossier_list": ("Danh sách hồ sơ", "Dossier list"),
    "list_capped": ("Chỉ hiện {n} hồ sơ đầu tiên; chọn xã, cơ quan hoặc thủ tục để thu hẹp.",
                    "Only the first {n} dossiers; narrow the scope to see the rest."),
    "no_data": ("Chưa có hồ sơ trong phạm vi và khoảng thời gian này",
                "No dossiers in this scope and window"),
    "no_data_hint": ("Chọn khoảng thời gian khác hoặc quay về toàn tỉnh.",
                     "Pick another window or go back to the whole province."),
    "csv": ("Tải CSV", "CSV"),
    "xlsx": ("Tải Excel", "Excel"),
    "received_series": ("Tiếp nhận", "Received"),
    "completed_series": ("Giải quyết", "Completed"),
    "day": ("Ngày", "Day"),
    "count": ("Số hồ sơ", "Dossiers"),
    "share": ("Tỷ lệ đúng hạn", "On-time share"),
    "unknown": ("Không rõ", "Unknown"),
    "days": ("ngày", "days"),
    "points": ("điểm", "points"),
    "pct_points": ("điểm %", "pp"),
    "new": ("mới", "new"),
}

STATUS_LABELS = {"received": "Mới tiếp nhận", "in_progress": "Đang giải quyết",
                 "supplement": "Chờ bổ sung", "completed": "Đã giải quyết",
                 "returned": "Trả lại", "cancelled": "Đã hủy"}
STATE_LABELS = {"overdue": "Quá hạn", "near_due": "Sắp đến hạn"}
CHANNEL_LABELS = {"online": "Trực tuyến", "in_person": "Trực tiếp", "postal": "Bưu chính"}
LEVEL_LABELS = {"province": "Cấp tỉnh", "commune": "Cấp xã"}
RATING_LABELS = {"satisfied": "Hài lòng", "neutral": "Bình thường",
                 "unsatisfied": "Không hài lòng"}


def vi(key: str) -> str:
    return LABELS[key][0]


def both(key: str) -> str:
    return bilingual(*LABELS[key])

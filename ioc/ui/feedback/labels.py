"""Wording of the Feedback page (Vietnamese first, English second) and the Vietnamese headers of
its tables and files."""

from __future__ import annotations

from ioc.i18n import bilingual

LABELS: dict[str, tuple[str, str]] = {
    "title": ("Phản ánh kiến nghị", "Citizen feedback"),
    "subtitle": ("Tổng đài 1022, cổng phản ánh, Zalo, Facebook, ứng dụng: tiếp nhận, xử lý "
                 "đúng hạn và mức độ hài lòng",
                 "Hotline 1022, web, Zalo, Facebook, app: intake, on-time handling and "
                 "satisfaction"),
    "commune": ("Xã, phường", "Commune"),
    "agency": ("Cơ quan xử lý", "Agency"),
    "category": ("Lĩnh vực", "Category"),
    "all_communes": ("Toàn tỉnh", "Whole province"),
    "all_agencies": ("Tất cả cơ quan", "All agencies"),
    "all_categories": ("Tất cả lĩnh vực", "All categories"),
    "intake_group": ("Tiếp nhận và xử lý", "Intake and handling"),
    "quality_group": ("Đúng hạn, thời gian và hài lòng", "On time, durations and satisfaction"),
    "backlog_group": ("Tồn đọng theo thời gian đã tiếp nhận", "Backlog by age"),
    "trend": ("Tiếp nhận theo kênh", "Received by channel"),
    "overdue_by_agency": ("Cơ quan đang giữ phản ánh quá hạn", "Who holds the overdue reports"),
    "no_overdue": ("Không có phản ánh quá hạn hoặc sắp đến hạn",
                   "No overdue or near-due report"),
    "most_overdue": ("Nhiều phản ánh quá hạn nhất: {name} ({n})",
                     "Most overdue: {name} ({n})"),
    "by_category": ("Theo lĩnh vực", "By category"),
    "by_agency": ("Theo cơ quan xử lý", "By agency"),
    "ranking": ("Xếp hạng cơ quan theo tỷ lệ đúng hạn", "Agencies ranked on on-time rate"),
    "backlog_age": ("Tồn đọng theo tuổi (ngày làm việc)", "Backlog by age (working days)"),
    "hotspots": ("Điểm nóng phản ánh", "Feedback hotspots"),
    "hotspot_window": ("Cửa sổ điểm nóng", "Hotspot window"),
    "hotspot_category": ("Lĩnh vực trên bản đồ", "Category on the map"),
    "hotspot_pick": ("Chọn ô để xem phản ánh", "Pick a cell to list its reports"),
    "no_hotspot": ("Không có điểm nóng trong cửa sổ này", "No hotspot in this window"),
    "unlocated": ("{n} phản ánh không có tọa độ không được đưa lên bản đồ",
                  "{n} reports without coordinates are not on the map"),
    "report_list": ("Danh sách phản ánh", "Report list"),
    "cell_reports": ("Phản ánh trong ô đã chọn", "Reports of the chosen cell"),
    "list_capped": ("Chỉ hiện {n} phản ánh đầu tiên; chọn xã, cơ quan hoặc lĩnh vực để thu hẹp.",
                    "Only the first {n} reports; narrow the scope to see the rest."),
    "no_data": ("Chưa có phản ánh trong phạm vi và khoảng thời gian này",
                "No feedback in this scope and window"),
    "no_data_hint": ("Chọn khoảng thời gian khác hoặc quay về toàn tỉnh.",
                     "Pick another window or go back to the whole province."),
    "no_rows": ("Không có dữ liệu", "No data"),
    "hotspot_label": ("Điểm nóng", "Hotspot"),
    "cell_label": ("Ô có phản ánh", "Cell with reports"),
    "count": ("Số phản ánh", "Reports"),
    "bucket": ("Thời điểm", "Time"),
}

# Tables' and files' headers for the columns this page adds.
HEADERS: dict[str, str] = {
    "feedback_id": "Mã phản ánh",
    "channel": "Kênh tiếp nhận",
    "channel_name": "Kênh tiếp nhận",
    "category": "Lĩnh vực",
    "text": "Nội dung (đã che thông tin cá nhân)",
    "due_at": "Hạn xử lý",
    "responded_at": "Trả lời lúc",
    "closed_at": "Xử lý xong lúc",
    "state": "Tình trạng",
    "status": "Trạng thái",
    "age_days": "Đã tiếp nhận (ngày làm việc)",
    "received": "Tiếp nhận",
    "closed": "Xử lý xong",
    "closed_on_time": "Xong đúng hạn",
    "on_time_rate_pct": "Tỷ lệ đúng hạn (%)",
    "previous_on_time_rate_pct": "Tỷ lệ đúng hạn kỳ trước (%)",
    "rated": "Lượt đánh giá",
    "satisfied": "Hài lòng",
    "satisfaction_rate_pct": "Tỷ lệ hài lòng (%)",
    "open": "Đang xử lý",
    "overdue": "Quá hạn",
    "near_due": "Sắp đến hạn",
    "name": "Tên",
    "band": "Nhóm tuổi (ngày làm việc)",
    "count": "Số phản ánh",
    "cell": "Ô H3",
    "is_hotspot": "Điểm nóng",
    "baseline_mean": "Trung bình các kỳ trước",
    "baseline_sd": "Độ lệch chuẩn các kỳ trước",
    "limit": "Ngưỡng",
    "lat": "Vĩ độ",
    "lon": "Kinh độ",
    "bucket": "Thời điểm",
}
SHORT_HEADERS = {"on_time_rate_pct": "Đúng hạn (%)", "satisfaction_rate_pct": "Hài lòng (%)",
                 "received": "Tiếp nhận", "overdue": "Quá hạn", "open": "Đang xử lý",
                 "closed": "Xong", "movement": "Thay đổi", "rank": "Hạng"}

STATE_LABELS = {"overdue": "Quá hạn", "open": "Đang xử lý", "closed": "Đã xử lý xong"}
STATUS_LABELS = {"received": "Mới tiếp nhận", "assigned": "Đã chuyển xử lý",
                 "responded": "Đã trả lời", "closed": "Đã xử lý xong"}


def vi(key: str) -> str:
    return LABELS[key][0]


def both(key: str) -> str:
    return bilingual(*LABELS[key])

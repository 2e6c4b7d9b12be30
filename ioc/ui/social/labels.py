"""Wording of the Social page (Vietnamese first, English second), in one place so the pure
builders and the renderers print the same words."""

from __future__ import annotations

from ioc.i18n import bilingual

LABELS: dict[str, tuple[str, str]] = {
    "title": ("Lắng nghe mạng xã hội", "Social listening"),
    "subtitle": ("Tin bài, bình luận về tỉnh trên báo chí và mạng xã hội",
                 "Posts and articles about the province in the news and on social media"),
    "window": ("Khoảng thời gian", "Time window"),
    "platform": ("Nền tảng", "Platform"),
    "topic": ("Chủ đề", "Topic"),
    "commune": ("Xã, phường", "Commune"),
    "all_platforms": ("Tất cả nền tảng", "All platforms"),
    "all_topics": ("Tất cả chủ đề", "All topics"),
    "all_communes": ("Toàn tỉnh", "Whole province"),
    "previous": ("kỳ trước", "previous"),
    "pct_points": ("điểm %", "pct points"),
    "kpis": ("Chỉ số", "Indicators"),
    "posts_axis": ("Số tin", "Posts"),
    "negative_pct": ("Tỷ lệ tiêu cực (%)", "Negative share (%)"),
    "volume": ("Số tin theo nền tảng", "Volume by platform"),
    "sentiment": ("Chỉ số cảm xúc", "Sentiment index"),
    "sentiment_hint": ("(tích cực − tiêu cực) / số tin", "(positive − negative) / posts"),
    "topics": ("Chủ đề nổi bật", "Top topics"),
    "keywords": ("Từ khóa tăng nhanh", "Rising keywords"),
    "places": ("Địa danh được nhắc đến", "Places mentioned"),
    "posts": ("Tin bài được tương tác nhiều nhất", "Most engaged posts"),
    "bursts": ("Đột biến đang diễn ra", "Bursts now"),
    "no_bursts": ("Không có đột biến nào trên các chỉ số mạng xã hội",
                  "No burst firing on the social indicators"),
    "no_data": ("Chưa có tin bài nào trong phạm vi và khoảng thời gian này",
                "No post in this scope and window yet"),
    "model": ("mô hình", "model"),
    "on_heldout": ("trên tập kiểm tra", "on the held-out set"),
    "neg_recall": ("độ phủ tin tiêu cực", "negative recall"),
    "relabel": ("Sửa nhãn cảm xúc", "Correct the sentiment label"),
    "relabel_post": ("Tin bài", "Post"),
    "relabel_label": ("Nhãn đúng", "Correct label"),
    "relabel_confirm": ("Tôi xác nhận nhãn này đúng", "I confirm this label is right"),
    "relabel_save": ("Lưu nhãn", "Save label"),
    "relabel_done": ("Đã sửa nhãn", "Label corrected"),
    "relabel_denied": ("Không có quyền sửa nhãn", "Not allowed to correct labels"),
    "relabel_need_confirm": ("Hãy đánh dấu xác nhận trước khi lưu", "Tick the confirmation first"),
    "open_link": ("Mở", "Open"),
    "disc_size": ("Cỡ vòng tròn: số tin nhắc đến xã, phường", "Disc size: posts about the commune"),
    "no_keywords": ("Chưa có từ khóa nào xuất hiện từ 3 tin trở lên trong kỳ",
                    "No keyword in 3 posts or more in this window"),
    "csv": ("Tải CSV", "CSV"),
    "xlsx": ("Tải Excel", "XLSX"),
}

SENTIMENT_LABELS: dict[str, tuple[str, str]] = {
    "negative": ("Tiêu cực", "Negative"),
    "neutral": ("Trung tính", "Neutral"),
    "positive": ("Tích cực", "Positive"),
}

PLATFORM_LABELS: dict[str, str] = {
    "news": "Báo chí", "facebook": "Facebook", "forum": "Diễn đàn", "youtube": "YouTube",
    "tiktok": "TikTok", "other": "Khác", "": "Không rõ",
}

# Column headers of the tables and their CSV/XLSX files.
HEADERS: dict[str, str] = {
    "platform": "Nền tảng", "platform_label": "Nền tảng", "topic": "Chủ đề",
    "posts": "Số tin", "negative": "Tiêu cực", "positive": "Tích cực", "neutral": "Trung tính",
    "negative_share_pct": "Tỷ lệ tiêu cực (%)", "sentiment_index": "Chỉ số cảm xúc",
    "engagement": "Tương tác", "ward_code": "Mã xã", "ward_name": "Xã, phường",
    "period_start": "Từ (giờ VN)", "post_id": "Mã tin", "title": "Tiêu đề", "source": "Nguồn",
    "text": "Nội dung (đã ẩn dữ liệu cá nhân)", "url": "Liên kết", "label": "Nhãn",
    "sentiment_label": "Nhãn cảm xúc", "published_at": "Thời gian đăng",
    "rule_id": "Quy tắc", "rule_name": "Tên quy tắc", "kpi": "Chỉ số", "scope": "Phạm vi",
    "value": "Giá trị", "threshold": "Ngưỡng", "severity": "Mức độ", "fired_at": "Bắt đầu",
    "state": "Trạng thái",
}

KEYWORD_HEADERS: dict[str, str] = {
    "term": "Từ khóa", "posts": "Số tin kỳ này", "previous_posts": "Số tin kỳ trước",
    "expected": "Kỳ vọng theo kỳ trước", "score": "Điểm tăng (log2)",
}


def vi(key: str) -> str:
    return LABELS[key][0]


def both(key: str) -> str:
    return bilingual(*LABELS[key])


def platform_label(platform: str) -> str:
    return PLATFORM_LABELS.get(platform, platform)


def sentiment_label(label: str) -> str:
    return bilingual(*SENTIMENT_LABELS.get(label, (label, label)))

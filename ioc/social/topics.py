"""Topic taxonomy of social posts and its keyword rules (pure).

The taxonomy is `ioc.reference.catalogue.SOCIAL_TOPICS` (13 topics, "khác" = none of them);
docs/kpis.md describes each. A topic's rule is a list of Vietnamese keywords and phrases
(TOPIC_KEYWORDS). A text matches a keyword when the phrase occurs between word boundaries in
the lowercased NFC text; a keyword of two or more syllables also matches the text with
diacritics stripped ("ngap lut", "tac duong"), since Facebook comments are often typed
without them. One-syllable keywords match only with their diacritics: stripped, they collide
with everyday words ("bão" → "bao", "lũ" → "lu", "rác" → "rac" is safe but "cầu" → "cau"
is not).

`topics(text)` lists every matching topic, most matches first (ties: taxonomy order). The
first is the post's primary topic, the bucket dimension its counts go to (so topic counts add
up to the posts); the others are kept on the post for filters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ioc.reference.catalogue import SOCIAL_TOPICS
from ioc.social.features import strip_diacritics

OTHER = "khác"

TOPIC_KEYWORDS: dict[str, tuple[str, ...]] = {
    "giao thông": ("giao thông", "ùn tắc", "tắc đường", "kẹt xe", "quốc lộ", "tỉnh lộ",
                   "đường", "cầu", "ổ gà", "ổ voi", "tai nạn", "xe tải", "xe khách",
                   "đèn tín hiệu", "vỉa hè", "cao tốc", "xe buýt", "bến xe", "đăng kiểm",
                   "csgt", "cảnh sát giao thông", "nồng độ cồn"),
    "môi trường": ("môi trường", "rác", "rác thải", "ô nhiễm", "bốc mùi", "xả thải", "khói",
                   "bụi", "nước thải", "cây xanh", "kênh", "mương", "đốt rơm", "chất thải",
                   "bãi rác", "hôi thối", "cá chết"),
    "đất đai": ("đất đai", "sổ đỏ", "sổ hồng", "giấy chứng nhận quyền sử dụng đất",
                "quyền sử dụng đất", "giải phóng mặt bằng", "lấn chiếm", "đền bù", "thửa đất",
                "quy hoạch", "tranh chấp đất", "đất nông nghiệp", "giá đất", "sốt đất",
                "phân lô"),
    "thủ tục hành chính": ("thủ tục", "hồ sơ", "một cửa", "dịch vụ công", "giấy tờ",
                           "chứng thực", "hộ tịch", "khai sinh", "cán bộ", "công chức",
                           "trung tâm phục vụ hành chính công", "cải cách hành chính",
                           "căn cước", "hộ khẩu", "giải quyết hồ sơ"),
    "y tế": ("y tế", "bệnh viện", "trạm y tế", "khám bệnh", "dịch bệnh", "sốt xuất huyết",
             "bảo hiểm y tế", "tiêm chủng", "thuốc", "bác sĩ", "cấp cứu", "ngộ độc",
             "tay chân miệng", "bệnh nhân"),
    "giáo dục": ("giáo dục", "trường học", "học sinh", "giáo viên", "tuyển sinh", "học phí",
                 "lớp học", "thi tốt nghiệp", "sinh viên", "mầm non", "thầy cô",
                 "phụ huynh", "sách giáo khoa", "bán trú"),
    "an ninh trật tự": ("an ninh", "trật tự", "trộm", "lừa đảo", "đánh nhau", "công an",
                        "ma túy", "cờ bạc", "tội phạm", "cướp", "khởi tố", "bắt giữ",
                        "tín dụng đen", "đua xe", "trộm cắp"),
    "điện nước": ("mất điện", "mất nước", "điện lực", "nước sạch", "cấp nước", "tiền điện",
                  "lưới điện", "cắt điện", "tiền nước", "nước máy", "hóa đơn điện"),
    "kinh tế - đầu tư": ("đầu tư", "doanh nghiệp", "khu công nghiệp", "dự án", "kinh tế",
                         "xuất khẩu", "việc làm", "thu ngân sách", "tăng trưởng", "giá cả",
                         "nông sản", "chợ", "tiểu thương", "thất nghiệp", "giải ngân"),
    "văn hóa - du lịch": ("lễ hội", "du lịch", "du khách", "di tích", "đền hùng", "văn hóa",
                          "nghệ thuật", "hát xoan", "giỗ tổ", "bảo tàng", "khu du lịch",
                          "homestay"),
    "thiên tai - thời tiết": ("mưa lớn", "bão", "lũ", "lũ quét", "sạt lở", "ngập",
                              "ngập lụt", "ngập úng", "nắng nóng", "rét", "rét đậm",
                              "thời tiết", "giông lốc", "thiên tai", "lốc xoáy", "mưa đá",
                              "hạn hán", "triều cường"),
    "chuyển đổi số": ("chuyển đổi số", "trực tuyến", "ứng dụng", "vneid", "số hóa",
                      "thanh toán không dùng tiền mặt", "dữ liệu", "trí tuệ nhân tạo",
                      "cổng dịch vụ công", "chữ ký số", "wifi", "internet"),
}
assert set(TOPIC_KEYWORDS) | {OTHER} == set(SOCIAL_TOPICS)


def normalize(text: str) -> str:
    """NFC + lowercase + single spaces: the form keywords are compared in."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def _phrase_regex(phrases: set[str]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    # Longest first so alternation prefers "ùn tắc" over "tắc"; \w is Unicode-aware, so the
    # boundaries keep a syllable from matching inside another one.
    alts = sorted(phrases, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(a) for a in alts) + r")(?!\w)")


@lru_cache(maxsize=1)
def _patterns() -> dict[str, tuple[re.Pattern[str] | None, re.Pattern[str] | None]]:
    """topic → (accented pattern, stripped pattern of the multi-syllable keywords)."""
    out = {}
    for name, kws in TOPIC_KEYWORDS.items():
        accented = {normalize(k) for k in kws}
        bare = {strip_diacritics(k) for k in accented if " " in k}
        out[name] = (_phrase_regex(accented), _phrase_regex(bare))
    return out


def topic_counts(text: str | None) -> dict[str, int]:
    """topic → number of keyword matches in `text` (topics without a match are absent)."""
    norm = normalize(text or "")
    if not norm:
        return {}
    bare = strip_diacritics(norm)
    out = {}
    for name, (accented, stripped) in _patterns().items():
        n = len(accented.findall(norm)) if accented else 0
        if stripped is not None:  # the same phrase typed without diacritics
            n = max(n, len(stripped.findall(bare)))
        if n:
            out[name] = n
    return out


def topics(text: str | None) -> list[str]:
    """Matching topics, most matches first (ties in taxonomy order); [] when none match."""
    counts = topic_counts(text)
    order = {t: i for i, t in enumerate(SOCIAL_TOPICS)}
    return sorted(counts, key=lambda t: (-counts[t], order[t]))


def primary_topic(text: str | None) -> str:
    """The topic a post is counted under: the first of topics(), "khác" when none match."""
    found = topics(text)
    return found[0] if found else OTHER

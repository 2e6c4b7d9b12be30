"""Lexicon-based Vietnamese sentiment and topic tagging (enrichment of social posts).

Method
------
1. Normalise: Unicode NFC (so composed and decomposed accents compare equal) and lowercase.
   Matching is accent-aware on purpose: "ngập" (flooded) and "ngáp" (yawn) are different words,
   so text without diacritics ("ngap") is *not* matched; that is a known limit.
2. Find lexicon phrases as whole syllable sequences (word boundaries on both sides), longest
   phrase first, each text position used once, so "không hài lòng" counts once as negative and
   never as the positive "hài lòng". A few neutral phrases ("tốt nghiệp", "chậm nhất",
   "an toàn thực phẩm") are matched too and ignored, so their words do not count.
3. Proper names: a match whose syllables are all capitalised is a place or person name, not an
   opinion ("phường Thành Công", "xã Thuận Lợi", "Bãi Cháy"), unless it is a single word at
   the start of a sentence ("Tốt lắm!").
4. Negation: a positive phrase directly preceded by a negator ("không", "chưa", "chẳng",
   "chả", "thiếu") counts as negative; a negative one preceded by a negator is dropped
   ("không ô nhiễm" is not praise, but it is not a complaint either).
5. score = (pos − neg) / (pos + neg + 1), in (−1, 1): one complaint word gives −0.5, two give
   −0.67, one of each gives 0. `label` cuts at ±0.2.

Limits: no syntax, sarcasm, intensity or domain adaptation; the lexicon is small and tuned to
public-service talk (complaints about roads, waste, paperwork; praise of quick service).
Enrichment is a pure function so history can be re-scored when a better model arrives.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

from ioc.reference.catalogue import SOCIAL_TOPICS

Label = Literal["negative", "neutral", "positive"]

NEGATIVE: tuple[str, ...] = (
    "bức xúc", "chậm", "chậm trễ", "chậm giải quyết", "ô nhiễm", "ngập", "ngập úng", "hư hỏng",
    "xuống cấp", "nhũng nhiễu", "tắc", "ùn tắc", "tắc đường", "không giải quyết", "kém",
    "yếu kém", "phiền hà", "gây khó khăn", "sai phạm", "vi phạm", "tai nạn", "bốc mùi",
    "hôi thối", "mất điện", "mất nước", "sạt lở", "lấn chiếm", "quá hạn", "trễ hẹn", "than phiền",
    "lo lắng", "thiệt hại", "bất cập", "tiêu cực", "đùn đẩy", "thờ ơ", "ổ gà", "cháy", "trộm",
    "lừa đảo", "bụi", "tràn lan", "khiếu nại", "gây bức xúc", "bỏ hoang", "chưa được xử lý",
    "không hài lòng", "chưa hài lòng", "mất an toàn", "nguy hiểm", "quá tải", "sự cố",
    "tồn đọng", "đi lại nhiều lần", "ngang nhiên", "xả thải", "vô trách nhiệm",
)

POSITIVE: tuple[str, ...] = (
    "hài lòng", "nhanh chóng", "tận tình", "cảm ơn", "tốt", "thuận tiện", "thuận lợi",
    "hiệu quả", "kịp thời", "chu đáo", "sạch đẹp", "khang trang", "thành công", "vui mừng",
    "phấn khởi", "đúng hạn", "trước hạn", "tiện lợi", "minh bạch", "niềm nở", "ghi nhận",
    "khen ngợi", "nâng cao", "cải thiện", "đẩy mạnh", "thu hút", "hấp dẫn", "an toàn",
    "đổi mới", "tích cực", "dễ dàng", "sôi nổi", "ấn tượng", "xuất sắc", "hoàn thành",
    "đạt chuẩn", "văn minh", "trân trọng", "ổn định",
)

# Phrases that contain a lexicon word without its sentiment; matched first and ignored.
NEUTRAL: tuple[str, ...] = (
    "tốt nghiệp", "chậm nhất", "an toàn thực phẩm", "an toàn giao thông", "phòng cháy",
    "chữa cháy", "cháy nổ", "tắc kè",
)

NEGATORS: tuple[str, ...] = ("không", "chưa", "chẳng", "chả", "thiếu")

# Topic keywords (normalised like the text); a topic's score is its number of matches.
TOPIC_KEYWORDS: dict[str, tuple[str, ...]] = {
    "giao thông": ("giao thông", "ùn tắc", "tắc đường", "quốc lộ", "tỉnh lộ", "đường", "cầu",
                   "ổ gà", "tai nạn", "xe tải", "đèn tín hiệu", "vỉa hè"),
    "môi trường": ("môi trường", "rác", "rác thải", "ô nhiễm", "bốc mùi", "xả thải", "khói",
                   "bụi", "nước thải", "cây xanh", "kênh", "mương"),
    "đất đai": ("đất đai", "sổ đỏ", "giấy chứng nhận quyền sử dụng đất", "quyền sử dụng đất",
                "giải phóng mặt bằng", "lấn chiếm", "đền bù", "thửa đất", "quy hoạch"),
    "thủ tục hành chính": ("thủ tục", "hồ sơ", "một cửa", "dịch vụ công", "giấy tờ",
                           "chứng thực", "hộ tịch", "khai sinh", "cán bộ"),
    "y tế": ("y tế", "bệnh viện", "trạm y tế", "khám bệnh", "dịch bệnh", "sốt xuất huyết",
             "bảo hiểm y tế", "tiêm chủng", "thuốc"),
    "giáo dục": ("giáo dục", "trường học", "học sinh", "giáo viên", "tuyển sinh", "học phí",
                 "lớp học", "thi tốt nghiệp"),
    "an ninh trật tự": ("an ninh", "trật tự", "trộm", "lừa đảo", "đánh nhau", "công an",
                        "ma túy", "cờ bạc", "tội phạm"),
    "điện nước": ("mất điện", "mất nước", "điện lực", "nước sạch", "cấp nước", "tiền điện",
                  "lưới điện"),
    "kinh tế - đầu tư": ("đầu tư", "doanh nghiệp", "khu công nghiệp", "dự án", "kinh tế",
                         "xuất khẩu", "việc làm", "thu ngân sách", "tăng trưởng"),
    "văn hóa - du lịch": ("lễ hội", "du lịch", "du khách", "di tích", "đền hùng", "văn hóa",
                          "nghệ thuật", "hát xoan"),
    "thiên tai - thời tiết": ("mưa lớn", "bão", "lũ", "sạt lở", "ngập", "nắng nóng", "rét",
                              "thời tiết", "giông lốc", "thiên tai"),
    "chuyển đổi số": ("chuyển đổi số", "trực tuyến", "ứng dụng", "vneid", "số hóa",
                      "thanh toán không dùng tiền mặt", "dữ liệu", "trí tuệ nhân tạo"),
}
assert set(TOPIC_KEYWORDS) | {"khác"} == set(SOCIAL_TOPICS)


def normalize(text: str) -> str:
    """NFC + lowercase + single spaces: the form lexicon entries are compared in."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def _is_proper_name(orig: str, start: int, end: int) -> bool:
    words = orig[start:end].split()
    if not all(w[:1].isupper() for w in words):
        return False
    if len(words) > 1:
        return True
    before = orig[:start].rstrip()
    return bool(before) and before[-1] not in ".!?:;\"'“”(-–—"


def _phrase_regex(phrases: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first so alternation prefers "ùn tắc" over "tắc"; \w is Unicode-aware, so the
    # boundaries keep "tắc" from matching inside another syllable.
    alts = sorted({normalize(p) for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(a) for a in alts) + r")(?!\w)")


@lru_cache(maxsize=1)
def _lexicon() -> tuple[re.Pattern[str], frozenset[str], frozenset[str]]:
    pos = frozenset(normalize(p) for p in POSITIVE)
    neg = frozenset(normalize(p) for p in NEGATIVE)
    return _phrase_regex(POSITIVE + NEGATIVE + NEUTRAL), pos, neg


_NEGATOR_BEFORE = re.compile(r"(?<!\w)(" + "|".join(NEGATORS) + r")\s+$")


def polarity_counts(text: str) -> tuple[int, int]:
    """(positive, negative) phrase counts after negation handling."""
    pattern, pos_set, neg_set = _lexicon()
    orig = " ".join(unicodedata.normalize("NFC", text).split())
    norm = orig.lower()
    same_length = len(norm) == len(orig)  # lowercasing rarely changes length; then no names
    pos = neg = 0
    for m in pattern.finditer(norm):
        phrase = m.group(1)
        if same_length and _is_proper_name(orig, m.start(), m.end()):
            continue
        negated = bool(_NEGATOR_BEFORE.search(norm[max(0, m.start() - 12):m.start()]))
        if phrase in neg_set:
            # A listed negative phrase that itself starts with a negator is already a complaint.
            if not negated:
                neg += 1
        elif phrase in pos_set:
            if negated:
                neg += 1
            else:
                pos += 1
    return pos, neg


def score(text: str) -> float:
    """Sentiment in (−1, 1): (pos − neg) / (pos + neg + 1); 0 for text with no lexicon hit."""
    if not text:
        return 0.0
    pos, neg = polarity_counts(text)
    return (pos - neg) / (pos + neg + 1)


def label(value: float) -> Label:
    """negative if value ≤ −0.2, positive if value ≥ 0.2, neutral otherwise."""
    if value <= -0.2:
        return "negative"
    if value >= 0.2:
        return "positive"
    return "neutral"


@lru_cache(maxsize=1)
def _topic_patterns() -> dict[str, re.Pattern[str]]:
    return {t: _phrase_regex(kws) for t, kws in TOPIC_KEYWORDS.items()}


def topic(text: str) -> str:
    """The topic (from catalogue.SOCIAL_TOPICS) with most keyword matches; ties go to the
    earlier topic in that list; "khác" when nothing matches."""
    norm = normalize(text or "")
    best, best_n = "khác", 0
    for name, pattern in _topic_patterns().items():
        n = len(pattern.findall(norm))
        if n > best_n:
            best, best_n = name, n
    return best

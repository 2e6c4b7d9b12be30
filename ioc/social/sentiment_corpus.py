"""The sentiment training corpus: templates × slot fillers written for this project (CC0 1.0),
plus the hand-written sentences in data/sentiment_handwritten.tsv. Pure and deterministic: the
same seed gives the same lines, so `ioc sentiment corpus` reproduces the shipped file.

Labelling rules (also in docs/sentiment.md):
- negative: the writer complains, criticises or reports harm (an accident, pollution, a flood,
  a fraud); a praise word under negation ("không hài lòng", "chẳng ngon") is negative.
- positive: praise, satisfaction, thanks, good news; a complaint word under negation followed by
  praise ("không tệ chút nào, rất đáng tiền") is positive.
- neutral: facts, announcements, questions and requests without an opinion; lukewarm verdicts
  ("tạm được", "bình thường", "không tệ lắm"); a complaint word only negated ("không đắt lắm").
- mixed: the clause after "nhưng" / "mà" / "tuy … nhưng" decides ("đẹp nhưng mau hỏng" is
  negative, "hơi đắt nhưng đáng tiền" positive); two equal halves with no verdict are neutral.
Variants: about a third of the generated lines lose their diacritics, a third are rewritten in
teencode ("không" → "ko"/"k", "được" → "đc", "rất" → "vl" after the adjective, …).
"""

from __future__ import annotations

import random
from importlib import resources

from ioc.social.features import strip_diacritics

LABELS = ("negative", "neutral", "positive")
SEED = 20261201

# Aspects a writer judges: (subject, domain). Product and service talk first, public life next.
ASPECTS: tuple[str, ...] = (
    "sản phẩm", "hàng", "áo", "quần", "giày", "túi", "điện thoại", "tai nghe", "máy", "pin",
    "màn hình", "loa", "sạc", "đồ ăn", "món này", "quán", "nhà hàng", "cà phê", "trà sữa",
    "shop", "cửa hàng", "giao hàng", "đóng gói", "chất lượng", "giá", "dịch vụ", "nhân viên",
    "phục vụ", "khách sạn", "phòng", "ứng dụng", "phim", "sách", "mỹ phẩm", "kem dưỡng",
    "xe", "bảo hành", "chăm sóc khách hàng", "mạng", "cán bộ phường", "cán bộ một cửa",
    "thủ tục", "hồ sơ", "UBND xã", "con đường", "đường làng", "cây cầu", "bệnh viện",
    "trạm y tế", "trường học", "nước máy", "điện", "thu gom rác", "chợ", "bến xe",
    "dịch vụ công trực tuyến", "tổng đài", "xe buýt", "công viên",
)
POSITIVE_ADJ: tuple[str, ...] = (
    "tốt", "đẹp", "ngon", "tuyệt vời", "xuất sắc", "ổn", "ưng ý", "chất lượng", "đáng tiền",
    "nhanh", "tiện", "tiện lợi", "thuận tiện", "sạch sẽ", "sạch đẹp", "thân thiện", "nhiệt tình",
    "tận tình", "chu đáo", "chuyên nghiệp", "bền", "chắc chắn", "êm", "mượt", "rẻ", "hợp lý",
    "xịn", "đỉnh", "hoàn hảo", "dễ thương", "dễ dùng", "hiệu quả", "minh bạch", "khang trang",
    "an toàn", "nhanh gọn", "uy tín", "chuẩn", "vừa vặn", "thơm", "vui vẻ", "lịch sự",
    "kịp thời", "đúng hẹn", "rõ ràng", "tiện nghi", "rộng rãi", "mát", "bổ ích", "tuyệt",
)
NEGATIVE_ADJ: tuple[str, ...] = (
    "tệ", "xấu", "dở", "kém", "chán", "đắt", "chậm", "bẩn", "hỏng", "lỗi", "dởm", "tồi",
    "tồi tệ", "kém chất lượng", "vô trách nhiệm", "thất vọng", "lừa đảo", "cẩu thả", "ồn",
    "nhạt", "mặn", "nguội", "hôi", "bốc mùi", "nhếch nhác", "xuống cấp", "hư hỏng", "rườm rà",
    "phiền hà", "lằng nhằng", "hách dịch", "thô lỗ", "cáu gắt", "chập chờn", "yếu", "lag",
    "đắt đỏ", "chặt chém", "mỏng", "rách", "phai màu", "ẩm mốc", "nguy hiểm", "quá tải",
    "ô nhiễm", "ngập", "tắc", "lầy lội", "nhũng nhiễu", "không ra gì", "tệ hại", "dỏm",
)
LUKEWARM: tuple[str, ...] = (
    "bình thường", "tạm được", "tạm ổn", "cũng được", "tàm tạm", "không có gì đặc biệt",
    "trung bình", "được", "như mô tả", "không hơn không kém", "ở mức chấp nhận được",
)
INTENSIFIERS: tuple[str, ...] = ("rất", "quá", "cực kỳ", "siêu", "khá", "thật sự", "vô cùng",
                                 "hơi", "cực")
# After the adjective: "tệ quá", "ngon lắm".
POST_INTENSIFIERS: tuple[str, ...] = ("quá", "lắm", "vô cùng", "cực kỳ", "thật", "ghê",
                                      "kinh khủng", "xỉu")
NEGATORS: tuple[str, ...] = ("không", "chẳng", "chả", "không hề", "chưa")
NEG_CONSEQUENCES: tuple[str, ...] = (
    "không bao giờ quay lại", "không nên mua", "phí tiền", "mất thời gian", "bực mình",
    "thất vọng quá", "ai mua thì cân nhắc", "chán không muốn nói", "tiền mất tật mang",
    "báo mãi không ai xử lý", "đi lại nhiều lần", "người dân bức xúc", "rất khó chịu",
)
POS_CONSEQUENCES: tuple[str, ...] = (
    "sẽ ủng hộ tiếp", "sẽ quay lại", "rất hài lòng", "cảm ơn nhiều", "đáng đồng tiền",
    "5 sao", "giới thiệu cho bạn bè", "mọi người nên thử", "quá ưng", "rất đáng mua",
    "bà con phấn khởi", "người dân hài lòng", "khen hết lời",
)
NEUTRAL_FACTS: tuple[str, ...] = (
    "{a} có bán ở {p} không ạ?", "cho mình hỏi {a} ở {p} thế nào?", "ai biết {a} ở {p} không?",
    "{a} ở {p} mở cửa lúc mấy giờ?", "thông báo: {a} ở {p} tạm nghỉ ngày mai",
    "mình vừa nhận {a}, chưa dùng nên chưa biết", "{a} có mấy loại vậy shop?",
    "UBND {p} thông báo lịch làm việc về {a}", "{p} họp bàn kế hoạch về {a} năm nay",
    "hướng dẫn đăng ký {a} trực tuyến tại {p}", "có ai dùng {a} chưa, cho xin nhận xét",
    "{a} giá bao nhiêu vậy mọi người", "lịch {a} ở {p} tuần này thay đổi",
    "{p} tổ chức hội nghị về {a}", "để mình dùng thử {a} thêm vài hôm rồi đánh giá",
)
PLACES: tuple[str, ...] = (
    "xã Lâm Thao", "phường Việt Trì", "thôn Đông", "huyện", "tỉnh", "khu phố 2", "thị trấn",
    "phường Thành Công", "xã Thuận Lợi", "Thái Nguyên", "Bạc Liêu", "Hà Nội", "quận 1",
)
# Teencode rewrites: standard word → spellings seen online.
_TEEN: dict[str, tuple[str, ...]] = {
    "không": ("ko", "k", "hông", "hok", "khum"), "được": ("đc", "dc"), "quá": ("qá", "wá"),
    "gì": ("j",), "bình thường": ("bt",), "mọi người": ("mn",), "cũng": ("cx",),
    "rồi": ("r",), "mình": ("mik", "mk"), "sản phẩm": ("sp",), "cảm ơn": ("tks", "thanks"),
    "nhân viên": ("nv",), "với": ("vs",), "rất": ("vl", "vãi"),
}


def _pick(rng: random.Random, items: tuple[str, ...]) -> str:
    return items[rng.randrange(len(items))]


def _neg_sentence(rng: random.Random) -> str:
    a, b = _pick(rng, ASPECTS), _pick(rng, ASPECTS)
    neg, pos = _pick(rng, NEGATIVE_ADJ), _pick(rng, POSITIVE_ADJ)
    i, j = _pick(rng, INTENSIFIERS), _pick(rng, POST_INTENSIFIERS)
    forms = (
        f"{a} {i} {neg}", f"{a} {neg}, {_pick(rng, NEG_CONSEQUENCES)}",
        f"{a} {_pick(rng, NEGATORS)} {pos} chút nào", f"{a} {_pick(rng, NEGATORS)} {pos}",
        f"thất vọng về {a}, {neg} {j}", f"{a} thì {neg}, {b} thì {_pick(rng, NEGATIVE_ADJ)}",
        f"{a} {pos} nhưng {b} {i} {neg}", f"nhìn thì {pos} mà {a} {neg} {j}",
        f"{a} {neg} {j}, {_pick(rng, NEG_CONSEQUENCES)}",
        f"{i} {neg}, {_pick(rng, NEG_CONSEQUENCES)}",
        f"tuy {a} {pos} nhưng {neg}, {_pick(rng, NEG_CONSEQUENCES)}",
        f"người dân phản ánh {a} ở {_pick(rng, PLACES)} {neg}",
        f"{a} ở {_pick(rng, PLACES)} {neg} mà {_pick(rng, NEGATORS)} ai xử lý",
    )
    return _pick(rng, forms)


def _pos_sentence(rng: random.Random) -> str:
    a, b = _pick(rng, ASPECTS), _pick(rng, ASPECTS)
    neg, pos = _pick(rng, NEGATIVE_ADJ), _pick(rng, POSITIVE_ADJ)
    i, j = _pick(rng, INTENSIFIERS), _pick(rng, POST_INTENSIFIERS)
    forms = (
        f"{a} {i} {pos}", f"{a} {pos}, {_pick(rng, POS_CONSEQUENCES)}",
        f"{a} {pos}, {b} {_pick(rng, POSITIVE_ADJ)}, {_pick(rng, POS_CONSEQUENCES)}",
        f"{a} không hề {neg}, {i} {pos}", f"{a} {_pick(rng, NEGATORS)} {neg} chút nào, {pos} lắm",
        f"{a} hơi {neg} nhưng {b} {i} {pos}", f"tuy {neg} một chút nhưng {a} {pos}, đáng tiền",
        f"cảm ơn {a} {i} {pos}", f"{i} {pos}, {_pick(rng, POS_CONSEQUENCES)}",
        f"{a} ở {_pick(rng, PLACES)} giờ {pos} hơn hẳn", f"khen {a} {pos}",
        f"{a} {pos} {j}, {_pick(rng, POS_CONSEQUENCES)}",
        f"người dân {_pick(rng, PLACES)} khen {a} {pos}",
    )
    return _pick(rng, forms)


def _neu_sentence(rng: random.Random) -> str:
    a, b = _pick(rng, ASPECTS), _pick(rng, ASPECTS)
    neg, pos = _pick(rng, NEGATIVE_ADJ), _pick(rng, POSITIVE_ADJ)
    forms = (
        _pick(rng, NEUTRAL_FACTS).format(a=a, p=_pick(rng, PLACES)),
        _pick(rng, NEUTRAL_FACTS).format(a=a, p=_pick(rng, PLACES)),
        _pick(rng, NEUTRAL_FACTS).format(a=a, p=_pick(rng, PLACES)),
        f"{a} {_pick(rng, LUKEWARM)}", f"{a} {_pick(rng, LUKEWARM)}, {b} {_pick(rng, LUKEWARM)}",
        f"{a} không {neg} lắm, cũng {_pick(rng, LUKEWARM)}", f"{a} có {pos} không ạ?",
        f"{a} có bị {neg} không mọi người?", f"được cái {a} {pos}, còn lại {_pick(rng, LUKEWARM)}",
        f"{a} chưa biết {pos} hay {neg}, dùng thêm mới biết",
    )
    return _pick(rng, forms)


_MAKERS = {"negative": _neg_sentence, "neutral": _neu_sentence, "positive": _pos_sentence}


def _teencode(text: str, rng: random.Random) -> str:
    for word, spellings in _TEEN.items():
        if f" {word} " in f" {text} " and rng.random() < 0.8:
            text = f" {text} ".replace(f" {word} ", f" {_pick(rng, spellings)} ").strip()
    return text


def _surface(text: str, rng: random.Random) -> str:
    """Casing, punctuation, diacritics and teencode as people type them."""
    roll = rng.random()
    if roll < 0.3:
        text = strip_diacritics(text)
    elif roll < 0.6:
        text = _teencode(text, rng)
    if rng.random() < 0.5:
        text = text[0].upper() + text[1:]
    end = rng.random()
    if end < 0.15:
        text += "!!"
    elif end < 0.5 and not text.endswith("?"):
        text += "."
    return text


def generated(n_per_label: int = 1500, seed: int = SEED) -> list[tuple[str, str, str]]:
    """(label, register, text) lines from the templates; duplicates dropped, order stable."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[tuple[str, str, str]] = []
    for lab in LABELS:
        made = 0
        tries = 0
        while made < n_per_label and tries < n_per_label * 20:
            tries += 1
            text = _surface(_MAKERS[lab](rng), rng)
            if text.lower() in seen:
                continue
            seen.add(text.lower())
            out.append((lab, "template", text))
            made += 1
    return out


def read_tsv(name: str) -> list[tuple[str, str, str]]:
    """(label, register, text) rows of a shipped TSV in ioc/social/data (# lines skipped)."""
    raw = resources.files("ioc.social").joinpath("data", name).read_text("utf-8")
    rows: list[tuple[str, str, str]] = []
    for line in raw.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        lab, register, text = line.split("\t", 2)
        if lab not in LABELS:
            raise ValueError(f"{name}: unknown label {lab!r} in {line!r}")
        rows.append((lab, register, text))
    return rows


CORPUS_FILE = "sentiment_corpus.tsv"
HANDWRITTEN_FILE = "sentiment_handwritten.tsv"
HELDOUT_FILE = "sentiment_heldout.tsv"
HEADER = ("# label\tregister\ttext — training corpus of ioc.social.sentiment: hand-written "
          "sentences, then template lines (ioc/social/sentiment_corpus.py, seed "
          f"{SEED}). Written for this project, CC0 1.0. Rebuild: ioc sentiment corpus")


def corpus_text() -> str:
    """The full training corpus file: hand-written lines first, then generated ones."""
    rows = read_tsv(HANDWRITTEN_FILE) + generated()
    return "\n".join([HEADER, *("\t".join(r) for r in rows)]) + "\n"

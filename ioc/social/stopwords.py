"""Vietnamese stop words for keyword terms: function words, pronouns, particles, auxiliaries,
the everyday words that say nothing about what a post is about, and the words nearly every
post of a provincial feed carries (administrative titles). Written for this project.
Multi-syllable words are written with "_" below (underthesea joins them into one word); each
entry also stops its spelling without diacritics ("không" and "khong")."""

from __future__ import annotations

from functools import lru_cache

from ioc.social.features import strip_diacritics

_WORDS = """
và với của cho là thì mà nhưng hay hoặc nếu vì nên do bởi tại để từ đến tới theo về trong
ở ngoài trên dưới giữa sau trước khi lúc đã đang sẽ vẫn còn cũng đều chỉ rất quá lắm hơn nhất
thật không chẳng chả chưa có được bị phải nữa rồi luôn ngay mới vừa cứ
này kia đó ấy đây nọ nào gì sao bao ai đâu thế vậy như nhé nhỉ nha nhá ạ à ơi ư hả hở chứ
chăng đi thôi lại ra vào lên xuống qua bằng
tôi tao mình ta chúng_ta chúng_tôi tớ mày bạn anh chị em ông bà cô chú bác cháu con họ nó
hắn người mọi cả các những một hai ba bốn năm mỗi từng nhiều ít vài mấy tất_cả toàn_bộ
cái chiếc việc sự điều cách lần ngày giờ năm tháng tuần hôm hôm_nay ngày_mai sáng trưa
chiều tối đêm bây_giờ hiện_nay thời_gian lúc_nào
làm nói biết thấy xem muốn cần có_thể cho_biết theo_đó ngoài_ra trong_khi tuy_nhiên
vì_vậy do_đó bên_cạnh đồng_thời cùng cùng_với nhằm thêm hết nhau khác
ok uh ừ ờ ừm hihi haha hic huhu kkk
bài viết tin bài_viết tin_tức thông_tin theo_dõi xem_thêm chia_sẻ bình_luận
tỉnh xã phường thị_trấn huyện quận thành_phố ubnd ủy_ban uỷ_ban nhân_dân địa_bàn
đồng_chí người_dân bà_con mọi_người
"""

STOP_WORDS: frozenset[str] = frozenset(w.replace("_", " ") for w in _WORDS.split())


@lru_cache(maxsize=1)
def _all_spellings() -> frozenset[str]:
    return STOP_WORDS | frozenset(strip_diacritics(w) for w in STOP_WORDS)


def is_stop_word(word: str) -> bool:
    """`word` lowercased (NFC) is a stop word, with or without its diacritics."""
    return word in _all_spellings()

"""Simulated social listening: public posts and articles that mention one province.

~120 + 1.2 × communes posts a day (Phú Thọ: ~300), around the clock with an evening peak;
platforms: Facebook 45 %, news 30 %, TikTok 10 %, forums 8 %, YouTube 7 %. Titles and texts
are written in the registers real ones use: news headlines with a lead (news, YouTube), forum
threads, Facebook / TikTok comments with diacritics and, about a third of them, typed without
diacritics or in teencode ("ko", "dc", "vl", "mn"); complaints and praise of public services,
traffic, waste, power cuts, floods, festivals. 60 % name a real commune of the province ("xã Lâm
Thao", "P. Việt Trì", "Lâm Thao", "xa lam thao"), the others the province only. Events carry
no ward_code (a platform does not tag one): the aggregator finds the commune in the text
(ioc.social.places), so posts land on the map as real ones would. No label is sent: the
negative share is the model's (about a quarter of posts on this mix). ~3 % of posts are seen
again later by the crawler: the same post_id and event_id with higher engagement, so the
aggregator's dedupe is exercised.
"""

from __future__ import annotations

import random
import string
from typing import Any

from connectors.simulators.common import (
    DAY,
    HOUR,
    HourlySimulator,
    Item,
    Part,
    SlotRecord,
    Weighted,
    ascii_slug,
    commune_picker,
    iso,
    local,
    place_name,
    poisson,
    short_hash,
)
from ioc.reference.admin_units import Commune
from ioc.social.features import strip_diacritics

SCHEMA = "ioc.social.v1"
SOURCE = "sim-social"
NO_WARD_REASON = "nền tảng không gắn xã/phường; suy ra từ nội dung bài viết"
DUPLICATE_SHARE = 0.03
HORIZON_S = 2 * DAY  # a re-seen post reappears within 36 h

PLATFORMS = Weighted(["facebook", "news", "tiktok", "forum", "youtube"],
                     [0.45, 0.30, 0.10, 0.08, 0.07])
_HOURS = (0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.5, 0.8, 0.9, 1.0, 1.0, 1.0,
          1.1, 0.9, 0.9, 0.9, 1.0, 1.1, 1.3, 1.6, 1.8, 1.7, 1.2, 0.6)
_HOUR_NORM = 1.0 / sum(_HOURS)

# News headlines (title, lead): {place} "xã Lâm Thao"; {province} "Phú Thọ".
NEWS_NEGATIVE = (
    ("Người dân {place} bức xúc vì rác thải tập kết sai quy định",
     "Nhiều ngày qua, điểm tập kết rác tự phát ở {place} bốc mùi hôi thối, ảnh hưởng tới sinh "
     "hoạt của hàng trăm hộ dân."),
    ("Ùn tắc nhiều giờ trên quốc lộ đoạn qua {place}",
     "Giờ cao điểm sáng nay các phương tiện nối đuôi nhau hàng km, nhiều người than phiền vì "
     "đi làm muộn."),
    ("Mưa lớn gây ngập úng cục bộ tại {place}",
     "Nhiều tuyến đường ở {place} ngập sâu, một số hộ dân bị thiệt hại tài sản."),
    ("Đường liên xã ở {place} xuống cấp nghiêm trọng",
     "Mặt đường hư hỏng, ổ gà chi chít khiến người đi đường lo lắng mỗi khi trời mưa."),
    ("Hồ sơ đất đai chậm giải quyết, người dân {place} phải đi lại nhiều lần",
     "Nhiều hộ dân cho biết hồ sơ nộp từ lâu vẫn chưa có kết quả, bị trễ hẹn nhiều lần."),
    ("Cơ sở chăn nuôi xả thải gây ô nhiễm nguồn nước tại {place}",
     "Người dân sống gần trại chăn nuôi ở {place} phản ánh nước mương đen kịt, bốc mùi."),
    ("Mất điện nhiều giờ giữa trời nắng nóng ở {place}",
     "Người dân than phiền vì mất điện mà không được báo trước, sinh hoạt bị đảo lộn."),
    ("Sạt lở bờ sông đe dọa nhiều nhà dân tại {place}",
     "Bờ sông sạt lở ăn sâu vào khu dân cư, các hộ dân lo lắng khi mùa mưa đến."),
    ("Cảnh báo lừa đảo mạo danh cán bộ thu tiền tại {place}",
     "Đối tượng gọi điện mạo danh cán bộ yêu cầu chuyển tiền, nhiều người suýt bị lừa đảo."),
)
NEWS_POSITIVE = (
    ("{province}: thủ tục hành chính được giải quyết nhanh chóng, người dân hài lòng",
     "Bộ phận một cửa của {place} trả kết quả đúng hạn, nhiều hồ sơ được giải quyết trước hạn."),
    ("Cán bộ một cửa {place} tận tình hướng dẫn người dân làm thủ tục",
     "Người dân cảm ơn cán bộ đã hướng dẫn chu đáo, nộp hồ sơ trực tuyến rất thuận tiện."),
    ("Lễ hội truyền thống tại {place} thu hút đông đảo du khách",
     "Lễ hội năm nay được tổ chức thành công, nhiều hoạt động văn hóa hấp dẫn."),
    ("{province} đẩy mạnh chuyển đổi số, dịch vụ công trực tuyến ngày càng thuận tiện",
     "Người dân có thể nộp hồ sơ và thanh toán trực tuyến dễ dàng, tiết kiệm thời gian đi lại."),
    ("Khánh thành cây cầu mới tại {place}, người dân phấn khởi",
     "Cây cầu giúp việc đi lại và giao thương của bà con thuận lợi hơn nhiều."),
    ("Đường làng ở {place} sạch đẹp nhờ phong trào xây dựng nông thôn mới",
     "Các tuyến đường được trồng hoa, lắp đèn chiếu sáng, cảnh quan ngày càng khang trang."),
    ("Thu hút đầu tư của {province} đạt kết quả ấn tượng",
     "Nhiều dự án lớn được cấp phép, môi trường đầu tư được cải thiện rõ rệt."),
)
NEWS_NEUTRAL = (
    ("{province} tổ chức hội nghị triển khai nhiệm vụ trọng tâm",
     "Hội nghị quán triệt các nội dung công tác trong thời gian tới tại {place}."),
    ("Dự báo thời tiết {province} hôm nay: nhiều mây, có mưa rào rải rác",
     "Nhiệt độ thấp nhất khoảng 22 độ, cao nhất khoảng 29 độ."),
    ("Lịch tiếp công dân định kỳ tại {place}",
     "UBND {place} thông báo lịch tiếp công dân định kỳ trong tháng."),
    ("{place} triển khai kế hoạch tuyển sinh năm học mới",
     "Các trường công bố chỉ tiêu, thời gian nhận hồ sơ và phương thức tuyển sinh."),
    ("Lịch tạm ngừng cung cấp điện tại {place} cuối tuần này",
     "Điện lực thông báo tạm ngừng cung cấp điện để bảo dưỡng đường dây."),
    ("Giá lúa, giá lợn hơi tại {place} tuần này",
     "Giá lúa tươi và giá lợn hơi trên địa bàn {place} tuần này đi ngang so với tuần trước."),
    ("Video: một vòng {place} nhìn từ trên cao",
     "Những hình ảnh flycam ghi lại toàn cảnh {place} vào buổi sáng."),
    ("{province} công bố kế hoạch tổ chức kỳ thi tốt nghiệp",
     "Sở Giáo dục và Đào tạo công bố số điểm thi và lịch thi tại {place}."),
)
# Facebook / TikTok comments, written with diacritics; {place} as people write it.
COMMENT_NEGATIVE = (
    "Đường vào {place} ổ gà to như cái ao, đi xe máy mà sợ, bao giờ mới sửa đây",
    "Rác ở đầu ngõ {place} mấy hôm không ai thu gom, hôi không chịu nổi",
    "Nộp hồ sơ ở {place} hẹn 5 ngày mà 3 tuần chưa xong, đi lại mệt mỏi quá",
    "Mất điện cả buổi chiều ở {place} mà không thông báo gì, nóng chết mất",
    "Cán bộ tiếp dân ở {place} thái độ hách dịch, hỏi gì cũng gắt, thất vọng thật sự",
    "Mưa có tí mà {place} đã ngập hết đường, năm nào cũng thế chán lắm rồi",
    "Xe tải chạy ầm ầm qua {place} cả đêm, bụi mù mịt, dân khổ quá",
)
COMMENT_POSITIVE = (
    "Làm căn cước ở {place} nhanh lắm, các anh chị cán bộ nhiệt tình, cảm ơn nhiều ạ",
    "Đường mới ở {place} đẹp quá, đi sướng hẳn, cảm ơn chính quyền",
    "Công an {place} hỗ trợ làm định danh điện tử tận nhà cho ông bà, quá tuyệt vời",
    "Lễ hội ở {place} năm nay vui lắm mọi người ơi, tổ chức chu đáo ghê",
    "Trạm y tế {place} tiêm chủng cho bé nhanh gọn, nhân viên dễ thương, rất hài lòng",
)
COMMENT_NEUTRAL = (
    "Cho mình hỏi ở {place} làm giấy khai sinh cho con thì cần mang những gì ạ",
    "Có ai biết lịch cắt điện ở {place} tuần này không ạ",
    "Mọi người ơi chợ {place} sáng mai có họp không nhỉ",
    "Ở {place} đăng ký xe máy thì lên công an xã hay lên tỉnh ạ",
    "Tối nay {place} có chiếu phim lưu động ở nhà văn hóa nhé cả nhà",
)
# The same registers typed without diacritics or in teencode (ko, dc, vl, mn, r, j).
TEEN_NEGATIVE = (
    "duong o {place} hu hong qua troi ma ko ai sua, di xe may muon te",
    "nop ho so o {place} 2 tuan r van chua dc, can bo cu hen lan hen lua chan vl",
    "mat nuoc ca ngay o {place} ma ko bao truoc, bực mình ghê",
    "rac o {place} boc mui kinh khung, mn chiu sao noi",
    "ket xe o {place} may tieng lien, te that su",
)
TEEN_POSITIVE = (
    "can bo {place} lam ho so nhanh ghe, cam on mn nhiu",
    "duong moi o {place} dep vl, di suong that",
    "o {place} lam thu tuc online dc lun, tien qua troi, hai long",
)
TEEN_NEUTRAL = (
    "mn cho e hoi o {place} lam so do thi nop o dau a",
    "ai biet {place} mai co mat dien ko a",
    "o {place} co cho nao sua xe may uy tin ko mn",
)
# Forum threads (title, first post).
FORUM_NEGATIVE = (
    ("[Hỏi] Thủ tục sang tên sổ đỏ ở {place} sao lâu thế?",
     "Mình nộp hồ sơ được hơn một tháng, gọi lên hỏi thì cứ bảo chờ, chậm quá các bác ạ."),
    ("Đoạn đường qua {place} nguy hiểm quá",
     "Tối không có đèn, ổ gà nhiều, tuần trước lại có tai nạn, mong các cơ quan chức năng "
     "xem xét."),
)
FORUM_POSITIVE = (
    ("Kinh nghiệm làm hộ chiếu ở {province}: nhanh, gọn",
     "Mình làm online, hẹn đúng ngày lên nhận, cán bộ hướng dẫn rất nhiệt tình, rất hài lòng."),
    ("Review đi chơi {place} cuối tuần",
     "Cảnh đẹp, đồ ăn ngon, người dân thân thiện, đường sá sạch sẽ, đáng để đi lắm."),
)
FORUM_NEUTRAL = (
    ("[Hỏi] Đăng kiểm xe ở {province} đặt lịch thế nào?",
     "Các bác cho em hỏi đăng kiểm ở {place} giờ đặt lịch online hay phải lên trực tiếp ạ."),
    ("Giá đất khu vực {place} hiện nay",
     "Có bác nào nắm giá đất quanh {place} dạo này không, em đang tìm hiểu để mua."),
)

# Per platform: the register of its posts, as (pool, tone) choices weighted so the model's
# negative share lands near a quarter (the generator's tone is never sent: the KPI reads the
# model's label of the text).
TONE_WEIGHTS = (0.27, 0.28, 0.45)  # negative, positive, neutral
NEWS = (NEWS_NEGATIVE, NEWS_POSITIVE, NEWS_NEUTRAL)
FORUM = (FORUM_NEGATIVE, FORUM_POSITIVE, FORUM_NEUTRAL)
COMMENTS = (COMMENT_NEGATIVE, COMMENT_POSITIVE, COMMENT_NEUTRAL)
TEEN = (TEEN_NEGATIVE, TEEN_POSITIVE, TEEN_NEUTRAL)
TEEN_SHARE = 0.35  # of comments: typed without diacritics / in teencode
NATIONAL_NEWS = ("vnexpress.net", "tuoitre.vn", "dantri.com.vn", "vietnamnet.vn",
                 "thanhnien.vn", "laodong.vn")
FORUMS = ("https://www.otofun.net/threads", "https://voz.vn/t", "https://tinhte.vn/thread")
_B64 = string.ascii_letters + string.digits + "-_"


class _Plan(SlotRecord):
    __slots__ = ("post_id", "platform", "url", "title", "text", "published",
                 "engagement", "author_ref", "seen")

class SocialSimulator(HourlySimulator):
    stream = "social"
    parts = (Part("S", HORIZON_S),)

    def __init__(self, province_code: str = "25", seed: int = 20250701, rate: float = 1.0) -> None:
        super().__init__(province_code, seed, rate)
        self._communes = commune_picker(province_code)
        self.daily = rate * (120 + 1.2 * len(self._communes.items))
        self._key = ascii_slug(self.province.short_name).replace("-", "")  # "phutho"
        name = self.province.name
        self._province_place = name[0].lower() + name[1:]  # "tỉnh Phú Thọ"

    def _generate(self, part: Part, hour: int, rng: random.Random) -> list[Item]:
        start = hour * HOUR
        loc = local(start)
        n = poisson(rng, self.daily * _HOURS[loc.hour] * _HOUR_NORM)
        items: list[Item] = []
        for k in range(n):
            plan = self._plan(rng, hour, k, start + rng.randrange(HOUR))
            for idx, t in enumerate(plan.seen):
                items.append((t, plan.post_id, 1, idx, plan, idx))
        return items

    def _url(self, rng: random.Random, platform: str, title: str) -> str:
        slug = ascii_slug(title)
        if platform == "news":
            if rng.random() < 0.6:
                return f"https://bao{self._key}.vn/{slug}-{rng.randrange(10**5, 10**6)}.htm"
            site = rng.choice(NATIONAL_NEWS)
            return f"https://{site}/{slug}-{rng.randrange(10**6, 10**7)}.html"
        if platform == "facebook":
            group = rng.choice((f"hoinguoi{self._key}", f"{self._key}24h", f"cudan{self._key}"))
            return f"https://www.facebook.com/groups/{group}/posts/{rng.randrange(10**15, 10**16)}"
        if platform == "forum":
            return f"{rng.choice(FORUMS)}/{slug}.{rng.randrange(10**6, 10**7)}/"
        if platform == "youtube":
            return f"https://www.youtube.com/watch?v={''.join(rng.choices(_B64, k=11))}"
        handle = f"{self._key}.{rng.choice(('review', 'news', 'daily', 'quetoi'))}"
        return f"https://www.tiktok.com/@{handle}/video/{rng.randrange(10**18, 10**19)}"

    def _place(self, rng: random.Random, commune: Commune | None, bare: bool) -> str:
        """How a post names its commune: "xã Lâm Thao", "Lâm Thao", "X. Lâm Thao", or
        "xa lam thao" in a comment typed without diacritics."""
        if commune is None:
            return strip_diacritics(self._province_place) if bare else self._province_place
        full = place_name(commune)
        if bare:
            return strip_diacritics(full).lower()
        form = rng.random()
        if form < 0.65:
            return full
        if form < 0.85:
            return commune.short_name
        return f"{commune.kind[0].upper()}. {commune.short_name}"

    def _texts(self, rng: random.Random, platform: str,
               commune: Commune | None) -> tuple[str | None, str]:
        tone = rng.choices(range(3), TONE_WEIGHTS)[0]
        province = self.province.short_name
        if platform in ("facebook", "tiktok"):
            bare = rng.random() < TEEN_SHARE
            text = rng.choice((TEEN if bare else COMMENTS)[tone])
            place = self._place(rng, commune, bare)
            return None, text.format(place=place, province=province)
        title_t, text_t = rng.choice((FORUM if platform == "forum" else NEWS)[tone])
        place = self._place(rng, commune, False)
        title = title_t.format(place=place, province=province)
        return title[0].upper() + title[1:], text_t.format(place=place, province=province)

    def _plan(self, rng: random.Random, hour: int, k: int, published: int) -> _Plan:
        platform = PLATFORMS.pick(rng)
        commune: Commune | None = self._communes.pick(rng) if rng.random() < 0.6 else None
        title, text = self._texts(rng, platform, commune)
        url = self._url(rng, platform, title or text[:60])
        # Engagement by platform (log-normal), negative news draws more comments.
        mu = {"facebook": 3.6, "news": 2.0, "tiktok": 4.5, "forum": 1.5, "youtube": 3.2}[platform]
        likes = int(rng.lognormvariate(mu, 1.2))
        engagement = {
            "likes": likes,
            "shares": int(likes * rng.uniform(0.01, 0.2)),
            "comments": int(likes * rng.uniform(0.05, 0.5)),
        }
        if platform == "news":
            author = rng.choice(NATIONAL_NEWS + (f"bao{self._key}.vn",))
        else:
            author = f"{platform}:{int(rng.paretovariate(1.2) * 50)}"  # a few authors post a lot
        seen = [published]
        if rng.random() < DUPLICATE_SHARE:
            seen.append(published + rng.randrange(5 * 60, 36 * HOUR))
        return _Plan(
            post_id=f"{platform}-{short_hash(self.seed, self.province_code, hour, k, n=12)}",
            platform=platform, url=url, title=title, text=text,
            published=published, engagement=engagement,
            author_ref=f"anon-{short_hash(self.seed, author)}", seen=tuple(seen),
        )

    def _materialize(self, plan: _Plan, index: int) -> dict[str, Any]:
        # A re-seen post carries grown counts: the same event_id, so dedupe keeps one.
        grow = 1.0 + 0.5 * index
        event = {
            "schema": SCHEMA,
            "event_id": f"{plan.post_id}:1",
            "type": "published",
            "occurred_at": iso(plan.seen[index]),
            "source": SOURCE,
            "seq": 1,
            "province_code": self.province_code,
            "ward_code": None,
            "ward_code_reason": NO_WARD_REASON,
            "post_id": plan.post_id,
            "platform": plan.platform,
            "url": plan.url,
            "title": plan.title,
            "text": plan.text,
            "published_at": iso(plan.published),
            "engagement": {k: int(v * grow) for k, v in plan.engagement.items()},
            "author_ref": plan.author_ref,
        }
        return event

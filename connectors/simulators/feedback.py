"""Simulated citizen feedback (phản ánh kiến nghị, PAKN) of one province.

~30 + 0.45 × communes reports a day (Phú Thọ: ~97), weekends at 60 %; channels: hotline 1022
45 %, Zalo 20 %, web 15 %, Facebook 10 %, app 7 %, Open311/e-mail the rest. Texts come from
templates per category with the commune's name and a village/street. About 10 % of raw texts
carry personal data (phone, citizen ID, e-mail, a name, an exact house address) that the
connector must redact; ~1 % have no usable address (ward_code null with a reason).
Lifecycle received → assigned → responded → closed → rated (~30 % of closed); ~85 % closed
within the category's SLA, the rest late by up to 15 working days. Handlers differ: the
Department of Agriculture and Environment (SNNMT: environment and land) closes only ~55 % in
time and the Department of Construction ~82 %, communes' People's Committees ~88 %, so SNNMT
holds the most overdue reports. Satisfied / rated ≈ 80 % (the seeds' satisfaction figure):
86 % of ratings after an on-time answer, 40 % after a late one.

Hotspot: every local day one commune gets a cluster of 14 extra geolocated reports on one
subject (garbage not collected, a flooded street, a burst water main) within 400 m of a point,
over five hours from a morning hour (1, 3, 5, 3, 2 an hour: it appears and fades), so
ioc.feedback.hotspots flags that commune's H3 cell while it lasts. Commune, point, subject
and start hour are drawn from the seed and the day alone.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
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
    clamp_times,
    commune_picker,
    iso,
    jitter_point,
    local,
    place_name,
    poisson,
)
from ioc.feedback.hotspots import cell_center, cell_of
from ioc.feedback.sla import sla_days
from ioc.reference.admin_units import Commune
from ioc.reference.calendar import DAY_US, TZ, from_office_time, is_working_day, office_time
from ioc.reference.catalogue import (
    FEEDBACK_CATEGORIES,
    Agency,
    FeedbackCategory,
    agency,
    commune_agency_code,
    department_code,
    feedback_category,
)

SCHEMA = "ioc.feedback.v1"
SOURCE = "sim-feedback"
UNKNOWN_WARD_REASON = "không xác định được địa chỉ"

CHANNELS = Weighted(
    ["hotline_1022", "web", "zalo", "facebook", "app", "open311", "email"],
    [0.45, 0.15, 0.20, 0.10, 0.07, 0.02, 0.01],
)
# Hour-of-day profile (hotline runs 24/7, people report in daytime and early evening).
_HOURS = (0.15, 0.08, 0.05, 0.05, 0.08, 0.3, 0.8, 1.3, 1.6, 1.6, 1.5, 1.3,
          1.0, 1.1, 1.4, 1.4, 1.3, 1.2, 1.1, 1.2, 1.1, 0.9, 0.6, 0.3)
_HOUR_NORM = 1.0 / sum(_HOURS)
_DAY_OFF = 0.6  # weekends and holidays, relative to a working day
ON_TIME = 0.85  # handlers not listed below
# Share closed within the SLA per handler: one department much slower than the rest.
ON_TIME_BY_DEPARTMENT = {"SNNMT": 0.55, "SXD": 0.82, "CAT": 0.93}
COMMUNE_ON_TIME = 0.88
# (satisfied, neutral) shares of the ratings after an on-time / a late answer.
RATING_ON_TIME, RATING_LATE = (0.86, 0.09), (0.40, 0.25)
PII_SHARE = 0.10
UNKNOWN_SHARE = 0.01
_MAX_SLA, _LATE_MAX = max(c.sla_days for c in FEEDBACK_CATEGORIES), 15.0
HORIZON_S = (math.ceil((_MAX_SLA + _LATE_MAX + 0.5) * 1.4) + 14) * DAY + 3 * DAY + HOUR

STREETS = ("Hùng Vương", "Trần Phú", "Lê Lợi", "Nguyễn Tất Thành", "Quang Trung", "Nguyễn Du",
           "Lý Thường Kiệt", "Lê Quý Đôn", "Châu Phong", "Hòa Phong", "Tân Xương", "Phú Lợi")
ROADS = ("Quốc lộ 2", "Quốc lộ 32", "Quốc lộ 70", "Tỉnh lộ 315", "Tỉnh lộ 320", "đường liên xã")
LANDMARKS = ("gần chợ", "cạnh nhà văn hóa", "gần trường tiểu học", "đầu cầu", "gần trạm y tế",
             "cạnh sân bóng", "khu vực ngã ba")
PROCS = ("đăng ký khai sinh", "cấp giấy phép xây dựng", "đăng ký biến động đất đai",
         "chứng thực bản sao", "đăng ký hộ kinh doanh", "cấp giấy xác nhận tình trạng hôn nhân")

# {loc}: village/street + commune; {commune}: "xã Lâm Thao"; {street}; {proc}; {days}.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "môi trường": (
        "Rác thải tập kết tràn ra đường tại {loc}, bốc mùi nhiều ngày chưa được thu gom.",
        "Cơ sở sản xuất tại {loc} xả khói bụi gây ô nhiễm, người dân đề nghị kiểm tra.",
        "Mương thoát nước tại {loc} bị tắc, nước thải ứ đọng bốc mùi hôi thối.",
        "Đề nghị xử lý tình trạng đốt rơm rạ gây khói mù mịt tại {loc}.",
        "Trại chăn nuôi lợn tại {loc} xả nước thải ra kênh tưới tiêu.",
    ),
    "giao thông": (
        "Mặt đường tại {loc} xuất hiện nhiều ổ gà, tiềm ẩn nguy cơ tai nạn.",
        "Đèn tín hiệu tại nút giao đường {street}, {commune} không hoạt động từ sáng nay.",
        "Xe tải chở vật liệu chạy quá tốc độ qua {loc}, làm rơi vãi đất đá ra đường.",
        "Biển báo hạn chế tải trọng tại {loc} bị đổ, đề nghị sớm khắc phục.",
        "Hố ga mất nắp trên {road} đoạn qua {commune}, rất nguy hiểm vào ban đêm.",
    ),
    "trật tự đô thị": (
        "Nhiều hộ kinh doanh lấn chiếm vỉa hè tại {loc}, người đi bộ phải xuống lòng đường.",
        "Công trình xây dựng tại {loc} không che chắn, vật liệu để tràn ra đường.",
        "Quảng cáo rao vặt dán tràn lan trên cột điện tại {loc}.",
        "Xe ô tô đỗ dưới lòng đường {street}, {commune} gây cản trở đi lại.",
    ),
    "đất đai": (
        "Đề nghị làm rõ việc san lấp đất nông nghiệp trái phép tại {loc}.",
        "Hộ dân tại {loc} phản ánh hồ sơ cấp giấy chứng nhận quyền sử dụng đất chậm giải quyết.",
        "Tranh chấp ranh giới thửa đất tại {loc} kéo dài, đề nghị chính quyền hòa giải.",
        "Phản ánh việc xây dựng nhà trên đất nông nghiệp tại {loc}.",
    ),
    "điện nước": (
        "Khu vực {loc} mất điện nhiều giờ mà không có thông báo trước.",
        "Nước sạch cấp cho {loc} có màu vàng đục, đề nghị kiểm tra chất lượng.",
        "Đường ống cấp nước tại {loc} bị vỡ, nước chảy lênh láng ra đường.",
        "Điện áp yếu vào buổi tối tại {loc}, các thiết bị điện không hoạt động được.",
    ),
    "an ninh trật tự": (
        "Nhóm thanh niên tụ tập đua xe, gây ồn ào lúc đêm khuya tại {loc}.",
        "Tình trạng trộm cắp vặt xảy ra nhiều lần tại {loc}, đề nghị tăng cường tuần tra.",
        "Phản ánh có dấu hiệu tổ chức cờ bạc tại {loc}.",
        "Karaoke tại {loc} hát to quá giờ quy định, ảnh hưởng giấc ngủ của người dân.",
    ),
    "y tế": (
        "Trạm y tế {commune} thường xuyên không có bác sĩ trực vào buổi chiều.",
        "Phát hiện nhiều ổ bọ gậy tại {loc}, đề nghị phun thuốc phòng sốt xuất huyết.",
        "Cơ sở bán thuốc tại {loc} bán thuốc kê đơn mà không cần đơn.",
    ),
    "giáo dục": (
        "Phụ huynh phản ánh các khoản thu đầu năm học tại một trường ở {commune} chưa minh bạch.",
        "Cổng trường tại {loc} thường xuyên ùn tắc vào giờ tan học.",
        "Đề nghị bố trí thêm lớp bán trú cho học sinh tiểu học tại {commune}.",
    ),
    "thủ tục hành chính": (
        "Hồ sơ {proc} nộp tại UBND {commune} quá hạn nhiều ngày nhưng chưa được trả kết quả.",
        "Bộ phận một cửa {commune} yêu cầu bổ sung giấy tờ nhiều lần cho hồ sơ {proc}.",
        "Cổng dịch vụ công báo lỗi khi nộp hồ sơ {proc} trực tuyến.",
        "Đề nghị hướng dẫn rõ thành phần hồ sơ {proc} tại {commune}.",
    ),
    "khác": (
        "Đề nghị lắp đặt thêm đèn chiếu sáng tại {loc}.",
        "Chó thả rông không rọ mõm tại {loc} gây nguy hiểm cho trẻ nhỏ.",
        "Loa truyền thanh tại {loc} mở quá to vào sáng sớm.",
        "Cây xanh tại {loc} có nguy cơ gãy đổ, đề nghị cắt tỉa trước mùa mưa bão.",
    ),
}
UNKNOWN_PLACES = ("khu vực {landmark}", "đoạn đường {landmark}", "khu dân cư {landmark}")

# The daily hotspot: subject (category, texts), reports per hour as it grows and fades, and
# how people report from the spot (with coordinates).
EPISODE_SUBJECTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("môi trường", (
        "Rác thải ùn ứ nhiều ngày tại {loc}, bốc mùi hôi thối, ruồi muỗi nhiều.",
        "Điểm tập kết rác tại {loc} không được thu gom, rác tràn ra lòng đường.",
        "Xe thu gom rác không đến {loc} mấy ngày nay, đề nghị xử lý gấp.",
    )),
    ("giao thông", (
        "Đường tại {loc} ngập sâu sau mưa lớn, nhiều xe máy chết máy giữa đường.",
        "Nước ngập quá đầu gối tại {loc}, cống thoát nước bị tắc không tiêu kịp.",
        "Đề nghị cử lực lượng phân luồng, đoạn đường {loc} đang ngập nặng.",
    )),
    ("điện nước", (
        "Đường ống cấp nước tại {loc} bị vỡ, cả khu mất nước sinh hoạt từ sáng.",
        "Nước chảy tràn ra đường tại {loc} do vỡ ống, nhiều hộ không có nước dùng.",
        "Mất nước sinh hoạt tại {loc}, đề nghị công ty cấp nước sớm khắc phục.",
    )),
)
EPISODE_PROFILE = (1, 3, 5, 3, 2)
EPISODE_FIRST_HOURS = range(7, 13)  # local start hour
EPISODE_RADIUS_KM = 0.4  # well inside a resolution-7 cell (inner radius ≈ 1.2 km)
EPISODE_CHANNELS = Weighted(["hotline_1022", "zalo", "app", "facebook"], [0.4, 0.3, 0.2, 0.1])

# Personal data (only ever in `text` and `address`, never in ids).
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hà", "Ngô")
MIDDLE = ("Văn", "Thị", "Minh", "Đức", "Thu", "Quang", "Ngọc", "Hữu")
GIVEN = ("Hùng", "Lan", "Hương", "Tuấn", "Dũng", "Mai", "Nam", "Hoa", "Long", "Thảo", "Sơn")


def _ascii(name: str) -> str:
    return ascii_slug(name).replace("-", "")


def _phone(rng: random.Random) -> str:
    prefix = rng.choice(("091", "098", "097", "096", "094", "088", "086", "083", "070", "039"))
    digits = f"{prefix}{rng.randrange(10**7):07d}"
    if rng.random() < 0.3:
        return f"+84 {digits[1:]}"
    return f"{digits[:4]} {digits[4:7]} {digits[7:]}"


def _person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat1 - lat2) * 111.0
    dx = (lon1 - lon2) * 111.0 * math.cos(math.radians(lat2))
    return math.hypot(dx, dy)


@dataclass(frozen=True)
class Episode:
    """One day's hotspot: where, about what, from which hour (epoch of its first hour)."""

    commune: Commune
    lat: float
    lon: float
    place: str
    category: str
    templates: tuple[str, ...]
    first_hour: int

    def extra(self, hour: int) -> int:
        """Extra reports arriving in epoch hour `hour`."""
        k = hour - self.first_hour
        return EPISODE_PROFILE[k] if 0 <= k < len(EPISODE_PROFILE) else 0


@lru_cache(maxsize=64)
def episode(seed: int, province_code: str, day: date) -> Episode:
    """The hotspot of a local day. Its centre is the centre of the H3 cell holding the
    commune's centroid, taken only where the cluster stays inside the commune's disc (the
    simulator's notion of the commune), so every report lies in one cell and one commune."""
    rng = random.Random(f"{seed}:feedback-hotspot:{province_code}:{day.isoformat()}")
    picker = commune_picker(province_code)
    c = picker.pick(rng)
    for _ in range(200):
        lat, lon = cell_center(cell_of(c.lat, c.lon))
        if _km_between(lat, lon, c.lat, c.lon) + EPISODE_RADIUS_KM \
                <= math.sqrt(c.area_km2 or 30.0) / 3:
            break
        c = picker.pick(rng)
    else:
        lat, lon = c.lat, c.lon  # no commune fits (tiny province): the centroid then
    category, templates = rng.choice(EPISODE_SUBJECTS)
    place = (f"tổ dân phố {rng.randint(1, 25)}" if c.kind == "phường"
             else f"thôn {rng.randint(1, 20)}")
    start = datetime.combine(day, time(rng.choice(EPISODE_FIRST_HOURS)), TZ)
    return Episode(c, lat, lon, place, category, templates, int(start.timestamp()) // HOUR)


def _near(rng: random.Random, lat: float, lon: float, radius_km: float) -> tuple[float, float]:
    r = radius_km * math.sqrt(rng.random())
    a = rng.random() * 2 * math.pi
    return (round(lat + r * math.sin(a) / 111.0, 6),
            round(lon + r * math.cos(a) / (111.0 * math.cos(math.radians(lat))), 6))


class _Plan(SlotRecord):
    __slots__ = ("feedback_id", "ward_code", "reason", "channel", "category", "text", "lat",
                 "lon", "address", "agency", "received", "due", "events", "rating")

class FeedbackSimulator(HourlySimulator):
    stream = "feedback"
    parts = (Part("F", HORIZON_S),)

    def __init__(self, province_code: str = "25", seed: int = 20250701, rate: float = 1.0) -> None:
        super().__init__(province_code, seed, rate)
        self._communes = commune_picker(province_code)
        self.daily = rate * (30 + 0.45 * len(self._communes.items))
        name = self.province.name
        self._province_txt = name[0].lower() + name[1:]  # "tỉnh Phú Thọ" inside an address
        self._categories = Weighted(list(FEEDBACK_CATEGORIES),
                                    [c.weight for c in FEEDBACK_CATEGORIES])

    def _generate(self, part: Part, hour: int, rng: random.Random) -> list[Item]:
        start = hour * HOUR
        loc = local(start)
        factor = 1.0 if is_working_day(loc.date()) else _DAY_OFF
        n = poisson(rng, self.daily * factor * _HOURS[loc.hour] * _HOUR_NORM)
        items: list[Item] = []
        for k in range(1, n + 1):
            received = start + rng.randrange(HOUR)
            feedback_id = f"PAKN-{self.province_code}-{loc:%y%m%d}-{loc.hour:02d}{k:02d}"
            plan = self._plan(rng, part, feedback_id, received)
            for idx, ev in enumerate(plan.events):
                items.append((ev[0], feedback_id, idx + 1, 0, plan, idx))
        # The day's hotspot, drawn after the ordinary arrivals so those stay as they were.
        ep = episode(self.seed, self.province_code, loc.date())
        for k in range(n + 1, n + 1 + round(ep.extra(hour) * self.rate)):
            received = start + rng.randrange(HOUR)
            feedback_id = f"PAKN-{self.province_code}-{loc:%y%m%d}-{loc.hour:02d}{k:02d}"
            plan = self._plan(rng, part, feedback_id, received, ep)
            for idx, ev in enumerate(plan.events):
                items.append((ev[0], feedback_id, idx + 1, 0, plan, idx))
        return items

    def _text(self, rng: random.Random, cat: FeedbackCategory, c: Commune | None
              ) -> tuple[str, str | None]:
        """(report text, address) without personal data."""
        tpl = rng.choice(TEMPLATES[cat.name])
        if c is None:
            where = rng.choice(UNKNOWN_PLACES).format(landmark=rng.choice(LANDMARKS))
            commune_txt = "địa phương"
            address = None
        else:
            if c.kind == "phường":
                sub = rng.choice((f"tổ dân phố {rng.randint(1, 25)}", f"khu {rng.randint(1, 12)}",
                                  f"đường {rng.choice(STREETS)}"))
            elif c.kind == "đặc khu":
                sub = f"khu {rng.randint(1, 10)}"
            else:
                sub = rng.choice((f"thôn {rng.randint(1, 20)}", f"khu {rng.randint(1, 15)}",
                                  f"xóm {rng.randint(1, 12)}"))
            commune_txt = place_name(c)
            where = f"{sub}, {commune_txt}"
            address = f"{sub}, {commune_txt}, {self._province_txt}"
        text = tpl.format(loc=where, commune=commune_txt, street=rng.choice(STREETS),
                          road=rng.choice(ROADS), proc=rng.choice(PROCS))
        return text, address

    def _add_pii(self, rng: random.Random, text: str, address: str | None
                 ) -> tuple[str, str | None]:
        kind = rng.randrange(6)
        if kind == 0:
            return f"{text} Số điện thoại liên hệ: {_phone(rng)}.", address
        if kind == 1:
            return f"Tôi là {_person(rng)}, xin phản ánh: {text[0].lower()}{text[1:]}", address
        if kind == 2:
            cccd = f"0{self.province_code}{rng.randrange(10**9):09d}"
            return f"{text} Người phản ánh có số CCCD {cccd}.", address
        if kind == 3:
            name = _person(rng)
            mail = f"{_ascii(name)}{rng.randint(70, 99)}@gmail.com"
            return f"{text} Mọi thông tin xin gửi về email {mail}.", address
        if kind == 4:
            house = f"số {rng.randint(2, 250)} ngõ {rng.randint(1, 60)} đường {rng.choice(STREETS)}"
            new_addr = f"{house}, {address}" if address else house
            return f"{text} Nhà tôi ở {house}, mong được xử lý sớm.", new_addr
        title = rng.choice(("ông", "bà", "anh", "chị"))
        return f"{text} Liên hệ {title} {_person(rng)}, điện thoại {_phone(rng)}.", address

    def _plan(self, rng: random.Random, part: Part, feedback_id: str, received: int,
              ep: Episode | None = None) -> _Plan:
        if ep is not None:
            cat, channel, c = feedback_category(ep.category), EPISODE_CHANNELS.pick(rng), ep.commune
            where = f"{ep.place}, {place_name(c)}"
            text = rng.choice(ep.templates).format(loc=where)
            address: str | None = f"{where}, {self._province_txt}"
            lat, lon = _near(rng, ep.lat, ep.lon, EPISODE_RADIUS_KM)
        else:
            cat = self._categories.pick(rng)
            channel = CHANNELS.pick(rng)
            c = None if rng.random() < UNKNOWN_SHARE else self._communes.pick(rng)
            text, address = self._text(rng, cat, c)
            lat = lon = None
            if c is not None and (channel in ("app", "open311", "zalo") or rng.random() < 0.6):
                lat, lon = jitter_point(rng, c)  # geolocated reports (phản ánh hiện trường)
        if rng.random() < PII_SHARE:
            text, address = self._add_pii(rng, text, address)
        # Field reports go to the commune's People's Committee; the rest to the department.
        if c is not None and rng.random() < 0.75:
            handler: Agency = agency(self.province_code, commune_agency_code(c.code))
        else:
            handler = agency(self.province_code, department_code(cat.agency, self.province_code))

        sla = sla_days(cat.name, handler.code, local(received))  # the rule in force (ioc sla)
        o_r = office_time(local(received))

        def at(pos: float) -> int:
            return int(from_office_time(o_r + round(pos * DAY_US)).timestamp())

        assigned = rng.uniform(0.02, 0.4)
        if rng.random() < self._on_time_share(handler):
            closed = rng.uniform(assigned + 0.1, sla) if sla > assigned + 0.1 else sla
            responded = assigned + rng.uniform(0.3, 0.9) * (closed - assigned)
        else:
            closed = sla + 0.05 + min(rng.expovariate(1 / 3.0), _LATE_MAX)
            responded = assigned + rng.uniform(0.4, 0.95) * (closed - assigned)
        times = [received, at(assigned), at(responded), at(closed)]
        kinds = ["received", "assigned", "responded", "closed"]
        rating = None
        if rng.random() < 0.30:
            times.append(times[-1] + 60 + int(min(rng.expovariate(1 / (8 * HOUR)), 3 * DAY)))
            kinds.append("rated")
            late = closed > sla
            sat, neu = RATING_LATE if late else RATING_ON_TIME
            v = rng.random()
            rating = "satisfied" if v < sat else "neutral" if v < sat + neu else "unsatisfied"
        times = clamp_times(times, received + part.horizon_s)
        return _Plan(
            feedback_id=feedback_id, ward_code=c.code if c else None,
            reason=None if c else UNKNOWN_WARD_REASON, channel=channel, category=cat.name,
            text=text, lat=lat, lon=lon, address=address, agency=handler, received=received,
            due=at(sla), events=tuple(zip(times, kinds, strict=True)), rating=rating,
        )

    def _on_time_share(self, handler: Agency) -> float:
        if handler.level == "commune":
            return COMMUNE_ON_TIME
        acronym = handler.code.removesuffix(f"-{self.province_code}")
        return ON_TIME_BY_DEPARTMENT.get(acronym, ON_TIME)

    def _materialize(self, plan: _Plan, index: int) -> dict[str, Any]:
        t, kind = plan.events[index]
        times = {k: e for e, k in plan.events[: index + 1]}
        status = "closed" if kind == "rated" else kind
        event = {
            "schema": SCHEMA,
            "event_id": f"{plan.feedback_id}:{index + 1}",
            "type": kind,
            "occurred_at": iso(t),
            "source": SOURCE,
            "seq": index + 1,
            "province_code": self.province_code,
            "ward_code": plan.ward_code,
            "feedback_id": plan.feedback_id,
            "channel": plan.channel,
            "category": plan.category,
            "text": plan.text,
            "lat": plan.lat,
            "lon": plan.lon,
            "address": plan.address,
            "agency_code": plan.agency.code if index > 0 else None,  # known once assigned
            "received_at": iso(plan.received),
            "due_at": iso(plan.due),
            "responded_at": iso(times["responded"]) if "responded" in times else None,
            "closed_at": iso(times["closed"]) if "closed" in times else None,
            "status": status,
            "rating": plan.rating if kind == "rated" else None,
        }
        if plan.reason:
            event["ward_code_reason"] = plan.reason
        return event

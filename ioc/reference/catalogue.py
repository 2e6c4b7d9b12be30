"""Domain catalogue: administrative procedures, agencies, feedback categories, social topics.

The procedure list is a realistic *sample* (~30 of the ~1,500 procedures a province runs) with
the volumes, legal processing times, fees and online availability typical after the 2025
reorganisation (two-level local government: province and commune; departments merged, e.g.
Sở Tài chính took over planning and investment, Sở Nông nghiệp và Môi trường merged agriculture
with natural resources). Procedure codes follow the national database's "x.00nnnn" shape but are
illustrative, not looked up. Fees are the common statutory amounts, simplified.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from ioc.reference.admin_units import communes, province

Level = Literal["province", "commune"]


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str  # Vietnamese name
    sector: str  # lĩnh vực
    level: Level  # who decides: a provincial agency or the commune People's Committee
    legal_days: float  # legal processing time in working days (0.5 = same day)
    fee_vnd: int  # fee/charge per dossier (0 = free)
    online_eligible: bool  # may be submitted online at all (DVC trực tuyến)
    full_online_eligible: bool  # toàn trình: result also delivered online
    weight: float  # relative volume within the province
    agency: str | None = None  # department acronym for province-level procedures
    business_share: float = 0.0  # share of applicants that are businesses


@dataclass(frozen=True)
class Agency:
    code: str  # "STP-25" for departments, "UBND-<wardCode>" for communes
    name: str
    level: Level
    ward_code: str | None  # the commune of a commune People's Committee


@dataclass(frozen=True)
class FeedbackCategory:
    name: str  # Vietnamese label, used as the `category` value of feedback events
    sla_days: float  # handling deadline in working days
    weight: float  # relative volume
    agency: str  # department acronym that handles it when not the commune


# Province-level departments after the 2025 mergers: acronym → name (province appended).
DEPARTMENTS: dict[str, str] = {
    "STP": "Sở Tư pháp",
    "STC": "Sở Tài chính",
    "SXD": "Sở Xây dựng",
    "SNNMT": "Sở Nông nghiệp và Môi trường",
    "SYT": "Sở Y tế",
    "SGDDT": "Sở Giáo dục và Đào tạo",
    "SCT": "Sở Công Thương",
    "SNV": "Sở Nội vụ",
    "SKHCN": "Sở Khoa học và Công nghệ",
    "SVHTTDL": "Sở Văn hóa, Thể thao và Du lịch",
    "CAT": "Công an tỉnh",
    "BQLKCN": "Ban Quản lý các khu công nghiệp",
}

_P: Level = "province"
_C: Level = "commune"

# code, name, sector, level, legal_days, fee, online, full online, weight, agency, business share
PROCEDURES: tuple[Procedure, ...] = (
    # --- commune People's Committees (UBND xã/phường/đặc khu) ---
    Procedure("1.001193", "Đăng ký khai sinh", "Hộ tịch", _C, 0.5, 0, True, True, 8.0),
    Procedure("1.000656", "Đăng ký khai tử", "Hộ tịch", _C, 0.5, 0, True, True, 2.0),
    Procedure("1.000894", "Đăng ký kết hôn", "Hộ tịch", _C, 0.5, 0, True, False, 2.5),
    Procedure("1.004873", "Cấp giấy xác nhận tình trạng hôn nhân", "Hộ tịch", _C, 3, 0,
              True, True, 5.0),
    Procedure("2.000635", "Cấp bản sao trích lục hộ tịch", "Hộ tịch", _C, 0.5, 8_000,
              True, True, 3.0),
    Procedure("1.004859", "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch", "Hộ tịch",
              _C, 3, 15_000, True, False, 1.0),
    Procedure("2.000908", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "Chứng thực", _C,
              0.5, 2_000, True, False, 22.0),
    Procedure("2.000884", "Chứng thực chữ ký trong các giấy tờ, văn bản", "Chứng thực", _C, 0.5,
              10_000, False, False, 5.0),
    Procedure("2.001035", "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản, "
              "quyền sử dụng đất và nhà ở", "Chứng thực", _C, 2, 50_000, False, False, 3.0),
    Procedure("2.000720", "Cấp giấy chứng nhận đăng ký hộ kinh doanh", "Thành lập và hoạt động "
              "của hộ kinh doanh", _C, 3, 100_000, True, True, 2.5, None, 1.0),
    Procedure("1.009994", "Cấp giấy phép xây dựng đối với nhà ở riêng lẻ", "Hoạt động xây dựng",
              _C, 15, 75_000, True, False, 2.0),
    Procedure("1.012756", "Đăng ký đất đai, cấp giấy chứng nhận quyền sử dụng đất, quyền sở hữu "
              "tài sản gắn liền với đất lần đầu", "Đất đai", _C, 30, 100_000, True, False, 2.0),
    Procedure("1.012790", "Chuyển mục đích sử dụng đất", "Đất đai", _C, 15, 0, True, False, 1.0),
    Procedure("1.001776", "Giải quyết hưởng trợ cấp xã hội hàng tháng", "Bảo trợ xã hội", _C, 15,
              0, True, False, 1.2),
    Procedure("2.000286", "Xác nhận hộ gia đình làm nông nghiệp có mức sống trung bình",
              "Giảm nghèo", _C, 7, 0, True, True, 0.8),
    # --- provincial agencies ---
    Procedure("1.012803", "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền "
              "với đất (chuyển nhượng, tặng cho, thừa kế)", "Đất đai", _P, 10, 50_000, True,
              False, 6.0, "SNNMT"),
    Procedure("1.004316", "Cấp giấy phép môi trường", "Môi trường", _P, 30, 0, True, False, 0.2,
              "SNNMT", 1.0),
    Procedure("2.001610", "Cấp giấy chứng nhận đăng ký doanh nghiệp (thành lập mới)",
              "Thành lập và hoạt động doanh nghiệp", _P, 3, 50_000, True, True, 2.0, "STC", 1.0),
    Procedure("2.002033", "Đăng ký thay đổi nội dung đăng ký doanh nghiệp", "Thành lập và hoạt "
              "động doanh nghiệp", _P, 3, 50_000, True, True, 3.0, "STC", 1.0),
    Procedure("1.009645", "Cấp giấy chứng nhận đăng ký đầu tư", "Đầu tư tại Việt Nam", _P, 15, 0,
              True, False, 0.3, "STC", 1.0),
    Procedure("1.000105", "Cấp phiếu lý lịch tư pháp cho công dân Việt Nam", "Lý lịch tư pháp",
              _P, 10, 200_000, True, True, 3.0, "STP"),
    Procedure("1.009974", "Cấp giấy phép xây dựng mới đối với công trình", "Hoạt động xây dựng",
              _P, 20, 150_000, True, False, 0.6, "SXD", 0.7),
    Procedure("1.002809", "Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh", "Khám bệnh, chữa bệnh",
              _P, 20, 360_000, True, False, 0.6, "SYT"),
    Procedure("1.001842", "Cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
              "An toàn thực phẩm", _P, 15, 1_000_000, True, False, 0.5, "SCT", 1.0),
    Procedure("2.000620", "Cấp giấy phép bán buôn rượu", "Lưu thông hàng hóa trong nước", _P, 10,
              1_200_000, True, True, 0.2, "SCT", 1.0),
    Procedure("1.005092", "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", "Văn bằng, chứng chỉ", _P,
              0.5, 0, True, True, 1.0, "SGDDT"),
    Procedure("1.001003", "Chuyển trường đối với học sinh trung học phổ thông", "Giáo dục trung "
              "học", _P, 3, 0, True, True, 0.6, "SGDDT"),
    Procedure("1.000459", "Cấp giấy phép lao động cho người lao động nước ngoài", "Việc làm", _P,
              5, 600_000, True, True, 0.4, "SNV", 1.0),
    Procedure("1.001978", "Giải quyết hưởng trợ cấp thất nghiệp", "Việc làm", _P, 20, 0, True,
              False, 1.5, "SNV"),
    # Driver licences and residence registration moved to the police (2025); commune police
    # posts belong to Công an tỉnh, so these are provincial-agency dossiers here.
    Procedure("2.001124", "Cấp đổi giấy phép lái xe", "Giấy phép lái xe", _P, 5, 135_000, True,
              True, 3.0, "CAT"),
    Procedure("1.004194", "Đăng ký thường trú", "Đăng ký, quản lý cư trú", _P, 7, 20_000, True,
              True, 4.0, "CAT"),
    Procedure("1.004222", "Đăng ký tạm trú", "Đăng ký, quản lý cư trú", _P, 3, 15_000, True, True,
              3.0, "CAT"),
)

# Citizen feedback (PAKN) categories with their handling SLA in working days.
FEEDBACK_CATEGORIES: tuple[FeedbackCategory, ...] = (
    FeedbackCategory("môi trường", 3, 20.0, "SNNMT"),
    FeedbackCategory("giao thông", 3, 16.0, "SXD"),
    FeedbackCategory("trật tự đô thị", 3, 14.0, "SXD"),
    FeedbackCategory("đất đai", 10, 12.0, "SNNMT"),
    FeedbackCategory("điện nước", 2, 10.0, "SCT"),
    FeedbackCategory("an ninh trật tự", 2, 8.0, "CAT"),
    FeedbackCategory("y tế", 3, 5.0, "SYT"),
    FeedbackCategory("giáo dục", 3, 4.0, "SGDDT"),
    FeedbackCategory("thủ tục hành chính", 5, 7.0, "STP"),
    FeedbackCategory("khác", 3, 4.0, "SNV"),
)
DEFAULT_FEEDBACK_SLA_DAYS = 3.0

# Topics of social listening (the `topic` enrichment returns one of these).
SOCIAL_TOPICS: tuple[str, ...] = (
    "giao thông",
    "môi trường",
    "đất đai",
    "thủ tục hành chính",
    "y tế",
    "giáo dục",
    "an ninh trật tự",
    "điện nước",
    "kinh tế - đầu tư",
    "văn hóa - du lịch",
    "thiên tai - thời tiết",
    "chuyển đổi số",
    "khác",
)


@lru_cache(maxsize=1)
def _procedures_by_code() -> dict[str, Procedure]:
    return {p.code: p for p in PROCEDURES}


def procedures(level: Level | None = None) -> list[Procedure]:
    """All procedures of the catalogue, optionally those of one level."""
    return [p for p in PROCEDURES if level is None or p.level == level]


def procedure(code: str) -> Procedure:
    try:
        return _procedures_by_code()[code]
    except KeyError:
        raise ValueError(f"unknown procedure code {code!r}") from None


def feedback_category(name: str) -> FeedbackCategory:
    for c in FEEDBACK_CATEGORIES:
        if c.name == name:
            return c
    raise ValueError(f"unknown feedback category {name!r}")


def feedback_sla_days(name: str) -> float:
    """SLA of a category; the default (3 working days) for unknown ones."""
    for c in FEEDBACK_CATEGORIES:
        if c.name == name:
            return c.sla_days
    return DEFAULT_FEEDBACK_SLA_DAYS


def department_code(acronym: str, province_code: str) -> str:
    return f"{acronym}-{province_code}"


def commune_agency_code(ward_code: str) -> str:
    return f"UBND-{ward_code}"


@lru_cache(maxsize=64)
def _agencies(province_code: str) -> tuple[Agency, ...]:
    prov = province(province_code)
    # "Công an tỉnh Phú Thọ", "Sở Tư pháp thành phố Hà Nội": the unit's name + the province.
    where = prov.name[0].lower() + prov.name[1:]
    depts = [
        Agency(department_code(acr, province_code),
               f"Công an {where}" if acr == "CAT" else f"{name} {where}", "province", None)
        for acr, name in DEPARTMENTS.items()
    ]
    ubnd = [
        Agency(commune_agency_code(c.code), f"UBND {c.name[0].lower()}{c.name[1:]}", "commune",
               c.code)
        for c in communes(province_code)
    ]
    return tuple(depts + ubnd)


def agencies(province_code: str) -> list[Agency]:
    """Provincial departments, then one People's Committee per commune of the province."""
    return list(_agencies(province_code))


@lru_cache(maxsize=64)
def _agency_index(province_code: str) -> dict[str, Agency]:
    return {a.code: a for a in _agencies(province_code)}


def agency(province_code: str, code: str) -> Agency:
    try:
        return _agency_index(province_code)[code]
    except KeyError:
        raise ValueError(f"unknown agency {code!r} in province {province_code!r}") from None


def agency_for(proc: Procedure, province_code: str, ward_code: str | None = None) -> Agency:
    """The agency that decides a dossier: the department for province-level procedures, the
    commune's People's Committee (UBND) for commune-level ones (ward_code required)."""
    if proc.level == "province":
        assert proc.agency is not None, proc.code
        return agency(province_code, department_code(proc.agency, province_code))
    if ward_code is None:
        raise ValueError(f"commune-level procedure {proc.code} needs a ward_code")
    return agency(province_code, commune_agency_code(ward_code))

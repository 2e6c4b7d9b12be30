"""Page registry: which pages a role sees. app.py asks `pages_for(role)` and hands the result to
st.navigation, so a new page (Dossiers, Alerts, Thresholds …) or role is one PageSpec here.

The role filter builds the menu, and st.navigation only serves the pages it is given, so a URL
to a page outside the role's menu opens the default page instead. Pages still check every
state-changing action on the server (`ioc.ui.session.require_action`).

Pages that other work adds (Alerts, Thresholds) are registered only once their file exists, so
the app runs before they land.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ioc.i18n import bilingual

ROLES: tuple[str, ...] = ("viewer", "operator", "admin")
DEFAULT_ROLE = "viewer"
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "viewer": ("Lãnh đạo, theo dõi", "Viewer"),
    "operator": ("Cán bộ vận hành", "Operator"),
    "admin": ("Quản trị hệ thống", "Administrator"),
}
ROOT = Path(__file__).resolve().parents[2]  # the repo root, /app in the image (pip install -e)
LOGIN_PATH = "pages/login.py"


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to the entry script's folder (the repo root, or /app in the image)
    title_vi: str
    title_en: str
    icon: str  # emoji: a ":material/…:" icon makes the favicon a fonts.gstatic.com fetch
    url_path: str
    roles: frozenset[str] = frozenset(ROLES)
    section: str = ""  # st.navigation section header; "" = no header
    default: bool = False

    @property
    def title(self) -> str:
        return bilingual(self.title_vi, self.title_en)


LOGIN = PageSpec(LOGIN_PATH, "Đăng nhập", "Sign in", "", "login")

# Viewers (leaders) see alerts read-only, operators acknowledge them there (alert.ack), and
# only admins change thresholds and rules (rule.*): the page itself checks each action.
_PLANNED: tuple[PageSpec, ...] = (
    # icon "": none. An emoji renders as a box on screens without a colour-emoji font, and a
    # ":material/…:" page icon becomes the tab's favicon, fetched from fonts.gstatic.com.
    PageSpec("pages/feedback.py", "Phản ánh kiến nghị", "Citizen feedback", "", "feedback"),
    PageSpec("pages/social.py", "Lắng nghe mạng xã hội", "Social listening", "", "social"),
    PageSpec("pages/alerts.py", "Cảnh báo", "Alerts", "", "alerts"),
    PageSpec("pages/thresholds.py", "Ngưỡng cảnh báo", "Thresholds", "", "thresholds",
             roles=frozenset({"admin"})),
    # Every role: a wall screen's token session (viewer's pages) starts here (ioc.ui.wall).
    PageSpec("pages/wall.py", "Trình chiếu", "Playlists", "", "wall"),
)


def role_label(role: str) -> str:
    vi_text, en_text = ROLE_LABELS.get(role, (role, role))
    return bilingual(vi_text, en_text)


def registry(root: Path = ROOT) -> tuple[PageSpec, ...]:
    """Every page in menu order, the planned ones only if their file exists under `root`."""
    return (
        PageSpec("pages/overview.py", "Tổng quan", "Overview", "", "overview",
                 default=True),
        PageSpec("pages/dossiers.py", "Hồ sơ TTHC", "Dossiers", "", "dossiers"),
        *(p for p in _PLANNED if (root / p.path).exists()),
        LOGIN,
    )


PAGES: tuple[PageSpec, ...] = registry()  # read once: a page that lands needs a restart


def page_specs_for(role: str | None, pages: tuple[PageSpec, ...] = PAGES) -> list[PageSpec]:
    """Pages a role may open, in menu order (pure; an unknown role gets the viewer's pages)."""
    role = role if role in ROLES else DEFAULT_ROLE
    return [p for p in pages if role in p.roles]


def menu_specs(role: str | None, pages: tuple[PageSpec, ...] = PAGES) -> list[PageSpec]:
    """The menu of a session: its role's pages, or only the sign-in page (then the default
    page) when there is no role (sign-in required and nobody signed in)."""
    if role is None:
        return [p for p in pages if p.path == LOGIN_PATH]
    return page_specs_for(role, pages)


def pages_for(role: str | None):  # noqa: ANN201 - st.Page list, or {section: [st.Page]}
    """st.Page objects for st.navigation (role None = sign-in page only): a flat list while
    no page has a section, a {section: pages} mapping once some do."""
    import streamlit as st

    specs = menu_specs(role)
    only_login = len(specs) == 1  # sign-in required: the sign-in page is the default one
    pages = [st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path,
                     default=p.default or only_login) for p in specs]
    if not any(p.section for p in specs):
        return pages
    sections: dict[str, list] = {}
    for spec, page in zip(specs, pages, strict=True):
        sections.setdefault(spec.section, []).append(page)
    return sections


def current_role() -> str | None:
    """Role of the session: the signed-in identity's, else IOC_ANONYMOUS_ROLE (None when
    sign-in is required)."""
    from ioc.ui.session import current_role as role_of_session

    return role_of_session()

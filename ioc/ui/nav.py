"""Page registry: which pages a role sees. app.py asks `pages_for(role)` and hands the result to
st.navigation, so a new page (Dossiers, Alerts, Thresholds …) or role is one PageSpec here.

The role filter only builds the menu; pages still enforce access in their queries
(DESIGN.md §7).
"""

from __future__ import annotations

from dataclasses import dataclass

from ioc.ui.i18n import bilingual

ROLES: tuple[str, ...] = ("viewer", "operator", "admin")
DEFAULT_ROLE = "viewer"
ROLE_KEY = "ioc_role"  # st.session_state key the future login flow sets


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


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/overview.py", "Tổng quan", "Overview", "📊", "overview",
             default=True),
    PageSpec("pages/dossiers.py", "Hồ sơ TTHC", "Dossiers", "📁", "dossiers"),
)


def page_specs_for(role: str | None) -> list[PageSpec]:
    """Pages a role may open, in menu order (pure; an unknown role gets the viewer's pages)."""
    role = role if role in ROLES else DEFAULT_ROLE
    return [p for p in PAGES if role in p.roles]


def pages_for(role: str | None):  # noqa: ANN201 - st.Page list, or {section: [st.Page]}
    """st.Page objects for st.navigation: a flat list while no page has a section, a
    {section: pages} mapping once some do."""
    import streamlit as st

    specs = page_specs_for(role)
    pages = [st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path,
                     default=p.default) for p in specs]
    if not any(p.section for p in specs):
        return pages
    sections: dict[str, list] = {}
    for spec, page in zip(specs, pages, strict=True):
        sections.setdefault(spec.section, []).append(page)
    return sections


def current_role() -> str:
    """Role of the session; viewer until the login flow (a later issue) stores one."""
    import streamlit as st

    role = st.session_state.get(ROLE_KEY, DEFAULT_ROLE)
    return role if role in ROLES else DEFAULT_ROLE

"""Trình chiếu · Playlists: the wall playlists (what each shows, for how long), the editor for
operators and admins (validated by ioc.wall.playlists.parse_playlist, saved with its audit
row by ioc.wall.store, which checks the permission) and each playlist's audit trail.

Opened as /wall?playlist=NAME&key=TOKEN the page only starts the rotation (ioc.ui.wall.kiosk
does it in app.py); the editor is never shown in kiosk mode.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import streamlit as st
from sqlalchemy import Engine

from ioc.auth import Identity, PermissionDenied
from ioc.i18n import bilingual, window_label
from ioc.kpis.windows import WINDOW_NAMES
from ioc.settings import Settings
from ioc.ui.components import db_guard, get_engine
from ioc.ui.nav import LOGIN, PAGES
from ioc.ui.wall.kiosk import STATE_KEY, WALL_PAGE
from ioc.wall import store
from ioc.wall.playlists import MAX_DWELL, MIN_DWELL, PlaylistError, parse_playlist

NEW = ""
PAGE_TITLES = {p.url_path: p.title for p in PAGES
               if p.url_path not in (LOGIN.url_path, WALL_PAGE)}
TOKEN_KEY = "wall_new_token"  # (name, token) to show once after a create or renewal


def playlist_pages() -> list[str]:
    return list(PAGE_TITLES)


def items_rows(items: Sequence[object]) -> list[dict]:
    return [i.to_dict() for i in items]  # type: ignore[attr-defined]


def render_list(rows: Sequence[store.StoredPlaylist]) -> None:
    if not rows:
        st.info(bilingual("Chưa có danh sách trình chiếu nào", "No playlists yet"))
        return
    st.dataframe([{
        bilingual("Tên", "Name"): r.playlist.name,
        bilingual("Tiêu đề", "Title"): r.playlist.title,
        bilingual("Trang", "Pages"): " → ".join(f"{i.page} {i.dwell}s" for i in r.playlist.items),
        bilingual("Vòng (giây)", "Loop (s)"): sum(i.dwell for i in r.playlist.items),
        bilingual("Cảnh báo nghiêm trọng chen ngang", "Critical alerts interrupt"):
            r.playlist.interrupt_on_critical,
        bilingual("Phiên bản", "Version"): r.version,
        bilingual("Sửa bởi", "Updated by"): r.updated_by,
    } for r in rows], hide_index=True, width="stretch", key="wall_list")


def render_editor(engine: Engine, rows: Sequence[store.StoredPlaylist],
                  identity: Identity | None) -> None:
    by_name = {r.playlist.name: r.playlist for r in rows}
    st.markdown(f"#### {bilingual('Sửa danh sách', 'Edit a playlist')}")
    pick = st.selectbox(bilingual("Danh sách", "Playlist"), [NEW, *by_name], key="wall_pick",
                        format_func=lambda n: n or bilingual("Danh sách mới", "New playlist"))
    current = by_name.get(pick)
    with st.form(f"wall_form_{pick}"):
        name = st.text_input(bilingual("Tên (a-z, 0-9, -)", "Name"),
                             value=current.name if current else "", disabled=bool(current))
        title = st.text_input(bilingual("Tiêu đề trên màn hình", "Title on the wall"),
                              value=current.title if current else "")
        interrupt = st.checkbox(
            bilingual("Cảnh báo nghiêm trọng chen ngang để hiện trang Cảnh báo",
                      "A critical alert interrupts to show the Alerts page"),
            value=current.interrupt_on_critical if current else True)
        items = st.data_editor(
            items_rows(current.items) if current else [
                {"page": "overview", "scope": "", "window": "", "dwell": 30}],
            num_rows="dynamic", hide_index=False, width="stretch", key=f"wall_items_{pick}",
            column_config={
                "page": st.column_config.SelectboxColumn(
                    bilingual("Trang", "Page"), options=playlist_pages(), required=True),
                "scope": st.column_config.TextColumn(
                    bilingual("Phạm vi", "Scope"),
                    help="'' = toàn tỉnh · province; commune:08494, agency:SYT-25, …"),
                "window": st.column_config.SelectboxColumn(
                    bilingual("Khoảng thời gian", "Window"), options=["", *WINDOW_NAMES],
                    help=", ".join(f"{w} = {window_label(w)}" for w in WINDOW_NAMES)),
                "dwell": st.column_config.NumberColumn(
                    bilingual("Thời gian hiện (giây)", "Dwell (s)"), min_value=MIN_DWELL,
                    max_value=MAX_DWELL, step=1, required=True),
            })
        saved = st.form_submit_button(bilingual("Lưu", "Save"), type="primary")
    if saved:
        data = {"name": (current.name if current else name).strip(), "title": title,
                "interrupt_on_critical": interrupt,
                "items": [{k: ("" if v is None else v) for k, v in row.items()}
                          for row in items if row.get("page")]}
        try:
            playlist = parse_playlist(data, playlist_pages())
            result, token = store.save(engine, playlist, identity)
        except PlaylistError as exc:
            st.error("\n".join(f"- {e}" for e in exc.errors))
        except PermissionDenied:
            st.error(bilingual("Chỉ cán bộ vận hành hoặc quản trị viên được sửa",
                               "Only operators and admins may edit playlists"))
        else:
            if token:
                st.session_state[TOKEN_KEY] = (playlist.name, token)
            st.success(f"{playlist.name}: {result}")
    if current is not None and st.button(bilingual("Cấp mã màn hình mới", "Renew wall key"),
                                         key="wall_renew"):
        try:
            st.session_state[TOKEN_KEY] = (current.name,
                                           store.renew_token(engine, current.name, identity))
        except PermissionDenied:
            st.error(bilingual("Không được phép", "Not allowed"))
    shown = st.session_state.pop(TOKEN_KEY, None)
    if shown:
        url = f"/wall?playlist={shown[0]}&key={shown[1]}"
        st.warning(bilingual("Địa chỉ màn hình tường, chỉ hiện một lần",
                             "Wall URL, shown this once") + f"\n\n`{url}`")
    if current is not None:
        with st.expander(bilingual("Nhật ký thay đổi", "Audit trail")):
            st.dataframe([{k: a[k] for k in ("at", "action", "actor", "after")}
                          for a in store.audit(engine, current.name)],
                         hide_index=True, width="stretch", key="wall_audit")


def render_wall(settings: Settings, identity: Identity | None) -> None:
    if st.session_state.get(STATE_KEY):  # kiosk: app.py starts the rotation
        st.markdown(f'<div class="ioc-title">{bilingual("Đang mở trình chiếu", "Starting")}'
                    "</div>", unsafe_allow_html=True)
        return
    engine = get_engine(settings.database_url)
    hint = bilingual("Màn hình tường mở /wall?playlist=TÊN&key=MÃ",
                     "A wall screen opens /wall?playlist=NAME&key=KEY")
    st.markdown(f'<div class="ioc-title">{bilingual("Trình chiếu", "Playlists")}</div>'
                f'<div class="ioc-subtitle">{html.escape(hint)}</div>', unsafe_allow_html=True)
    with db_guard():
        rows = store.list_playlists(engine)
        render_list(rows)
        if identity is not None and identity.can("playlist.edit"):
            render_editor(engine, rows, identity)
        else:
            st.caption(bilingual("Cán bộ vận hành và quản trị viên đăng nhập để sửa",
                                 "Operators and admins sign in to edit"))

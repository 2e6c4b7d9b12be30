"""Trình chiếu · Playlists: wall-screen playlists and their editor (operators, admins); opened
as /wall?playlist=NAME&key=KEY it starts that playlist's rotation in kiosk mode. The view lives
in ioc.ui.wall.
"""

from __future__ import annotations

from ioc.settings import load_settings
from ioc.ui.session import current_identity
from ioc.ui.wall.view import render_wall

render_wall(load_settings(), current_identity())

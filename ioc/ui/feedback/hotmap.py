"""The hotspot map: H3 cells with reports as hexagons (hotspots red, the rest on the count
ramp), the province's communes as faint dots for orientation, and the hotspots' commune names.
No basemap, so it renders with no internet (see ioc.ui.components.commune_deck). Pure."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
import pydeck as pdk
from pydeck.types import String

from ioc.feedback.hotspots import cell_polygon
from ioc.ui.components import view_for
from ioc.ui.theme import RAMP_COUNT, ramp_color

HOT_COLOR = [198, 40, 40, 235]
COMMUNE_DOT = [120, 130, 145, 110]


def cell_rows(cells: pl.DataFrame, wards: Mapping[str, str]) -> list[dict[str, Any]]:
    """One row per cell for the polygon layer: boundary, colour, tooltip text."""
    top = max(cells["count"].to_list(), default=1) or 1
    rows = []
    for r in cells.iter_rows(named=True):
        t = math.log1p(r["count"]) / math.log1p(top)
        colour = HOT_COLOR if r["is_hotspot"] else ramp_color(t, RAMP_COUNT, alpha=170)
        rows.append({"cell": r["cell"], "polygon": cell_polygon(r["cell"]), "count": r["count"],
                     "name": wards.get(r["ward_code"] or "", r["ward_code"] or ""),
                     "hot": "điểm nóng · hotspot" if r["is_hotspot"] else "",
                     "limit": f"{r['limit']:.1f}".replace(".", ","),
                     "lat": r["lat"], "lon": r["lon"], "color": colour})
    # Hotspots drawn last, on top.
    return sorted(rows, key=lambda x: bool(x["hot"]))


def hotspot_deck(cells: pl.DataFrame, communes: Sequence[Any], wards: Mapping[str, str],
                 height: int = 420) -> pdk.Deck:
    dots = [{"lat": c.lat, "lon": c.lon, "name": c.name} for c in communes]
    rows = cell_rows(cells, wards)
    layers = [
        pdk.Layer("ScatterplotLayer", data=dots, id="communes", get_position="[lon, lat]",
                  get_radius=350, radius_min_pixels=2, get_fill_color=COMMUNE_DOT),
        # A hotspot's hexagon is a few pixels at the province's zoom: a halo marks it.
        pdk.Layer("ScatterplotLayer", data=[r for r in rows if r["hot"]], id="hot-halo",
                  get_position="[lon, lat]", get_radius=4000, radius_min_pixels=14,
                  get_fill_color=[198, 40, 40, 60], get_line_color=HOT_COLOR, stroked=True,
                  line_width_min_pixels=2, pickable=True),
        pdk.Layer("PolygonLayer", data=rows, id="cells", get_polygon="polygon",
                  get_fill_color="color", get_line_color=[255, 255, 255, 255],
                  line_width_min_pixels=1, stroked=True, filled=True, pickable=True,
                  auto_highlight=True),
        pdk.Layer("TextLayer", data=[r for r in rows if r["hot"]], id="hot-labels",
                  get_position="[lon, lat]", get_text="name", get_size=15,
                  get_color=[18, 38, 58, 255], get_pixel_offset=[0, -18],
                  character_set=String("auto"),
                  font_family=String('"Source Sans", "Source Sans Pro", sans-serif'),
                  font_weight=600, outline_width=3, outline_color=[255, 255, 255, 255],
                  font_settings={"sdf": True}),
    ]
    tooltip = {"html": "<b>{name}</b> {hot}<br/>{count} phản ánh · ngưỡng {limit}",
               "style": {"fontSize": "15px", "backgroundColor": "#12263a", "color": "#fff"}}
    return pdk.Deck(layers=layers, initial_view_state=view_for(dots, height),
                    map_provider=None, tooltip=tooltip)

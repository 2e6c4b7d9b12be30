"""Map of the places posts are about: every commune of the province as a small grey dot (the
map has no basemap: IOC rooms are often offline), communes with posts as discs sized by their
posts and coloured by their negative share. Drawn with the Overview's deck
(ioc.ui.components.commune_deck: no web tiles, names of the busiest communes)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import polars as pl

from ioc.i18n import fmt_int, fmt_pct
from ioc.ui.components import MapLegend
from ioc.ui.theme import RAMP_GOOD_HIGH, css_rgb, ramp_color

MAX_RADIUS_M = 6000  # the busiest commune's disc; others by the square root of their share
MIN_RADIUS_M = 900
EMPTY_RADIUS_M = 500


# Red for mostly negative, green for none: RAMP_GOOD_HIGH read from the good end.
NEGATIVE_RAMP = tuple(reversed(RAMP_GOOD_HIGH))


def places_legend() -> MapLegend:
    """The colour scale of the discs (negative share, 0 to 100 %), for components.legend_html."""
    stops = ", ".join(css_rgb(ramp_color(i / 4, NEGATIVE_RAMP)) for i in range(5))
    return MapLegend("social.negative_share", fmt_pct(0.0, 0), fmt_pct(1.0, 0),
                     f"linear-gradient(90deg, {stops})")


def place_points(communes: Sequence[Any], places: pl.DataFrame) -> list[dict[str, Any]]:
    """Points for commune_deck: value = posts (labels go to the busiest communes)."""
    rows = {r["ward_code"]: r for r in places.iter_rows(named=True)}
    top = max((r["posts"] for r in rows.values()), default=0) or 1
    points = []
    for c in communes:
        r = rows.get(c.code)
        if r is None:
            points.append({"code": c.code, "name": c.name, "lat": c.lat, "lon": c.lon,
                           "radius": EMPTY_RADIUS_M, "value": None,
                           "value_text": "0 tin · 0 posts", "color": ramp_color(None)})
            continue
        neg = r["negative"] / r["posts"]
        points.append({
            "code": c.code, "name": c.name, "lat": c.lat, "lon": c.lon,
            "radius": round(max(MIN_RADIUS_M, MAX_RADIUS_M * math.sqrt(r["posts"] / top))),
            "value": r["posts"],
            "value_text": f"{fmt_int(r['posts'])} tin · {fmt_pct(neg)} tiêu cực",
            "color": ramp_color(neg, NEGATIVE_RAMP, alpha=220),
        })
    points.sort(key=lambda p: (p["value"] is not None, p["value"] or 0))  # big discs on top
    return points

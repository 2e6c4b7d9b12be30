"""Colours and CSS for wall screens (1920×1080, read from across the room) that still work on a
1024×768 tablet: tile grids drop to two columns below 1280 px and to one on phones.

Pure module (strings and small functions); components inject CSS into the page.
"""

from __future__ import annotations

# Status colours, chosen for contrast with white text / on a white tile (WCAG AA).
GOOD = "#1b7f3b"
WARN = "#a15c00"
BAD = "#c62828"
NEUTRAL = "#455a64"
NO_DATA_RGBA = (176, 184, 194, 150)

# One colour per stream, the same in tiles, trend chart and legend.
STREAM_COLORS: dict[str, str] = {
    "dossier": "#0b5cad",
    "feedback": "#d35400",
    "social": "#7b3fb5",
}

STATUS_COLORS: dict[str, str] = {"good": GOOD, "warn": WARN, "bad": BAD, "neutral": NEUTRAL}

# Alert severities: background colours with white text (WCAG AA): red, amber (dark enough for
# white), blue; and the icon that goes with each.
SEVERITY_COLORS: dict[str, str] = {"critical": "#c62828", "warning": "#a15c00",
                                   "info": "#0b5cad"}
# Plain geometric glyphs (in DejaVu Sans, which every Debian desktop has) for table cells,
# where no SVG can go; colour emoji render as empty boxes without an emoji font.
SEVERITY_ICONS: dict[str, str] = {"critical": "◆", "warning": "▲", "info": "●"}
# Inline SVG for HTML (banner, tiles): ships with the app, needs no font and no network.
_SVG_PATHS: dict[str, str] = {
    # octagon with a bar, triangle with "!", circle with "i" (24×24: the shape in
    # currentColor, the marks dark)
    "critical": ('<path d="M7.9 2h8.2L22 7.9v8.2L16.1 22H7.9L2 16.1V7.9z" fill="currentColor"/>'
                 '<rect x="6" y="10.6" width="12" height="2.8" rx="1" fill="#333"/>'),
    "warning": ('<path d="M12 2 23 21H1z" fill="currentColor"/>'
                '<rect x="10.8" y="8.5" width="2.4" height="6.5" rx="1" fill="#333"/>'
                '<circle cx="12" cy="17.8" r="1.4" fill="#333"/>'),
    "info": ('<circle cx="12" cy="12" r="10" fill="currentColor"/>'
             '<rect x="10.8" y="10.5" width="2.4" height="7" rx="1" fill="#333"/>'
             '<circle cx="12" cy="7.4" r="1.5" fill="#333"/>'),
}


def icon_html(severity: str, size: str = "1.1em") -> str:
    """An inline SVG icon of a severity (white with dark marks, for the severity colours);
    '' for an unknown one."""
    path = _SVG_PATHS.get(severity)
    if path is None:
        return ""
    return (f'<svg class="ioc-icon" data-icon="{severity}" viewBox="0 0 24 24" width="{size}" '
            f'height="{size}" style="vertical-align:-0.15em;color:#fff;'
            f'filter:drop-shadow(0 0 1px rgba(0,0,0,.5))" aria-hidden="true">{path}</svg>')

# Map colour ramps (RGB stops from low to high value).
RAMP_COUNT: tuple[tuple[int, int, int], ...] = (
    (222, 235, 247), (107, 174, 214), (33, 113, 181), (8, 48, 107))
RAMP_GOOD_HIGH: tuple[tuple[int, int, int], ...] = (
    (198, 40, 40), (245, 166, 35), (253, 216, 53), (102, 187, 106), (27, 127, 59))


def ramp_color(t: float | None, ramp: tuple[tuple[int, int, int], ...] = RAMP_COUNT,
               alpha: int = 210) -> list[int]:
    """Colour at position t∈[0,1] of a ramp (linear between stops); None → grey 'no data'."""
    if t is None:
        return list(NO_DATA_RGBA)
    t = min(1.0, max(0.0, float(t)))
    pos = t * (len(ramp) - 1)
    i = min(int(pos), len(ramp) - 2)
    f = pos - i
    a, b = ramp[i], ramp[i + 1]
    return [round(a[k] + (b[k] - a[k]) * f) for k in range(3)] + [alpha]


def css_rgb(rgba: list[int] | tuple[int, ...]) -> str:
    return f"rgb({rgba[0]},{rgba[1]},{rgba[2]})"


CSS = """
<style>
/* Streamlit's default padding wastes a wall screen's first 6 rem. */
[data-testid="stMainBlockContainer"], .block-container {
  padding-top: 3.9rem; padding-bottom: 1rem; padding-left: 1.6rem; padding-right: 1.6rem;
}
/* A wall screen is not a place to deploy from, and the "Running… Stop" widget would flash
   on every tile refresh; our freshness badge says what matters. */
[data-testid="stAppDeployButton"], [data-testid="stStatusWidget"] { display: none; }
/* Window selector: neutral blue instead of the theme red, which reads as "alarm" here. */
button[data-variant="segmented_control"] p { font-size: 1.05rem; font-weight: 600; }
button[data-variant="segmented_control"][data-selected="true"],
button[data-variant="segmented_control"][data-selected="true"] * {
  background: #0b5cad !important; border-color: #0b5cad !important; color: #fff !important; }
.ioc-title { font-size: 2.1rem; font-weight: 700; line-height: 1.15; margin: 0; color: #12263a; }
.ioc-subtitle { font-size: 1rem; color: #5f6b7a; margin: .15rem 0 0 0; }
.ioc-status { display: flex; flex-wrap: wrap; align-items: center; gap: .4rem 1rem;
  margin: 0 0 .5rem 0; }
.ioc-badge { display: inline-flex; align-items: center; gap: .55rem; padding: .35rem 1rem;
  border-radius: 999px; font-weight: 700; font-size: 1.1rem; color: #fff; }
.ioc-badge.live { background: #1b7f3b; }
.ioc-badge.stale { background: #c62828; }
.ioc-badge .dot { width: .75rem; height: .75rem; border-radius: 50%; background: #fff; }
.ioc-badge.live .dot { animation: ioc-pulse 2s ease-in-out infinite; }
@keyframes ioc-pulse { 50% { opacity: .35; } }
.ioc-status-detail { font-size: 1rem; color: #37474f; }
.ioc-clock { font-size: 1rem; color: #5f6b7a; margin-left: auto; }
.ioc-board { display: grid; grid-template-columns: minmax(0, 1fr); gap: .7rem; }
.ioc-row { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 2fr); gap: .7rem 1rem; }
.ioc-group-title { font-size: 1.2rem; font-weight: 700; color: #12263a; margin: 0 0 .35rem 0;
  padding-left: .55rem; border-left: 6px solid var(--stream, #455a64); line-height: 1.3; }
.ioc-section-title { font-size: 1.2rem; font-weight: 700; color: #12263a; margin: .2rem 0 0 0; }
.ioc-section-title .en, .ioc-group-title .en {
  font-weight: 400; color: #5f6b7a; font-size: .95rem; }
.ioc-grid { display: grid; gap: .7rem;
  grid-template-columns: repeat(var(--cols, 5), minmax(0, 1fr)); }
.ioc-tile { background: #fff; border: 1px solid #d5dde6; border-left: 7px solid var(--accent);
  border-radius: 10px; padding: .6rem .9rem .65rem .9rem; min-width: 0;
  box-shadow: 0 1px 2px rgba(18, 38, 58, .06); }
.ioc-tile .lbl { font-size: 1.08rem; font-weight: 650; color: #1f2a37; line-height: 1.25; }
.ioc-tile .lbl-en { font-size: .85rem; color: #5f6b7a; line-height: 1.2; }
.ioc-tile .val { font-size: 2.9rem; font-weight: 700; line-height: 1.1; margin: .2rem 0 .1rem 0;
  white-space: nowrap; font-variant-numeric: tabular-nums; color: var(--accent); }
.ioc-tile .sub { font-size: .92rem; color: #4a5563; line-height: 1.3; }
.ioc-tile.wide { grid-column: span 2; }
/* Channels in two columns, read top to bottom, so the tile is no taller than its neighbours. */
.ioc-channels { list-style: none; margin: .3rem 0 0 0; padding: 0; display: grid;
  grid-auto-flow: column; grid-template-rows: repeat(var(--rows, 4), auto); column-gap: 1.2rem; }
.ioc-channels li { display: grid; grid-template-columns: minmax(0, 7.5rem) minmax(0, 1fr) auto;
  align-items: center; gap: .5rem; font-size: .95rem; line-height: 1.45; margin: 0; }
.ioc-channels .name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.ioc-channels .bar { height: .6rem; border-radius: 3px; background: var(--accent); }
.ioc-channels .n { font-weight: 700; font-variant-numeric: tabular-nums; text-align: right; }
.ioc-legend { display: flex; flex-wrap: wrap; align-items: center; gap: .3rem .6rem;
  font-size: .95rem; color: #37474f; }
.ioc-legend span { white-space: nowrap; }
.ioc-legend .ramp { flex: 1 1 6rem; max-width: 16rem; height: .75rem; border-radius: 3px; }
.ioc-legend .nodata { display: inline-block; width: .75rem; height: .75rem; border-radius: 50%;
  background: rgb(176, 184, 194); margin-left: 1rem; }
/* Tablet and narrow windows: two tiles a row, stream groups stacked. */
@media (max-width: 1280px) {
  .ioc-row { grid-template-columns: minmax(0, 1fr); }
  .ioc-grid { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  /* No half-empty rows: a tile left alone on its row takes the whole row. */
  .ioc-tile:nth-child(odd):last-child,
  .ioc-tile:nth-child(odd):has(+ .ioc-tile.wide) { grid-column: span 2; }
  .ioc-tile .val { font-size: 2.3rem; }
  .ioc-title { font-size: 1.7rem; }
}
/* Tablets and touch screens: every control at least 44 px to the finger (WCAG 2.5.5);
   wide tables scroll inside their own frame (st.dataframe does), never the page. */
@media (max-width: 1100px), (pointer: coarse) {
  button[data-testid^="stBaseButton"]:not([data-testid="stBaseButton-elementToolbar"]),
  button[data-variant="segmented_control"], [data-testid="stTab"], button[role="tab"],
  [data-testid="stPageLink-NavLink"], [data-baseweb="select"] > div,
  [data-testid="stNumberInputStepUp"], [data-testid="stNumberInputStepDown"],
  [data-testid="stTopNavSection"], [data-testid="stMainMenuButton"],
  [data-testid^="stTabsScroll"] {
    min-height: 44px; }
  [data-testid="stNumberInputStepUp"], [data-testid="stNumberInputStepDown"],
  [data-testid="stMainMenuButton"] { min-width: 44px; }
  [data-testid="stTopNavSection"], [data-testid="stPageLink-NavLink"] {
    display: inline-flex; align-items: center; }
  [data-testid="stExpander"] summary { min-height: 44px; }
}
@media (max-width: 640px) {
  .ioc-grid { grid-template-columns: minmax(0, 1fr); }
  .ioc-tile.wide, .ioc-tile:nth-child(odd):last-child,
  .ioc-tile:nth-child(odd):has(+ .ioc-tile.wide) { grid-column: auto; }
}
</style>
"""

"""Tablet layout (issue 14 §5), the parts that need no browser: the alert banner's one-line
variant for narrow screens, and no colour emoji left in the UI (they render as empty boxes
on machines without a colour-emoji font, like the kiosk's Chromium)."""

from __future__ import annotations

import re

from ioc.ui.alerts.banner import BANNER_CSS, banner_html
from ioc.ui.theme import icon_html
from tests import REPO_ROOT
from tests.pages.test_alert_pages import alert_row

# Emoji blocks (pictographs, misc symbols/dingbats) and the emoji presentation selector.
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F]")


def test_banner_has_a_one_line_variant_that_opens_on_touch() -> None:
    markup = banner_html([alert_row(), alert_row("b-1", state="acknowledged",
                                                 acked_by="op1", severity="warning")])
    wide, compact = markup.split('<details class="ioc-alert-compact"')
    assert 'class="ioc-alert-banner ioc-wide"' in wide
    summary = re.search(r"<summary>(.*?)</summary>", compact)
    assert summary
    line = re.sub(r"<[^>]+>", "", summary.group(1))
    assert line.startswith("2 cảnh báo · alerts · 1 chưa xác nhận · unacknowledged")
    assert "\n" not in line and 'data-icon="critical"' in summary.group(1)
    # The messages and the ticker are inside the <details>, behind the touch.
    assert "<ul class=\"top\">" in compact and "ioc-ticker" in compact
    # CSS: below 1100 px the full banner hides and the one line shows, ≥ 44 px to touch.
    narrow = BANNER_CSS[BANNER_CSS.index("Tablets"):]
    assert ".ioc-alert-banner.ioc-wide { display: none; }" in narrow
    assert "min-height: 44px" in narrow
    assert not EMOJI.search(markup)


def test_severity_icons_are_inline_svg() -> None:
    for severity in ("critical", "warning", "info"):
        svg = icon_html(severity)
        assert svg.startswith("<svg") and f'data-icon="{severity}"' in svg
    assert icon_html("nope") == ""


def test_no_colour_emoji_in_the_ui_sources() -> None:
    files = [REPO_ROOT / "app.py", *(REPO_ROOT / "pages").glob("*.py"),
             *(REPO_ROOT / "ioc" / "ui").rglob("*.py")]
    found = [f"{f.relative_to(REPO_ROOT)}:{n}: {line.strip()}"
             for f in files for n, line in enumerate(f.read_text().splitlines(), 1)
             if EMOJI.search(line)]
    assert found == []

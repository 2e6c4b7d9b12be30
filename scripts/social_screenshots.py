"""Screenshots of the Social page (Lắng nghe mạng xã hội) at 1920×1080 and 1024×768, signed in
as an operator or admin (so the relabel control shows), on a running system with simulated
data. Uses the helpers of scripts/e2e_alert_flow.py (settle, full-page shot, sign-in).

    python3 -m venv /tmp/pw && /tmp/pw/bin/pip install playwright
    export IOC_VAR_DIR=/tmp/ioc_social/var IOC_UI_PORT=8657 IOC_ADMIN_PASSWORD='…'
    setsid .venv/bin/ioc up > /tmp/ioc_social/up.log 2>&1 &   # wait for "IOC đang chạy"
    E2E_ADMIN_PASSWORD='…' /tmp/pw/bin/python scripts/social_screenshots.py \\
        --base-url http://localhost:8657

Writes docs/screenshots/social_1920.png and social_1024.png (--out to change the folder).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from e2e_alert_flow import TABLET, WALL, log, nav, settle, shot, sign_in
from playwright.sync_api import sync_playwright


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-url", default="http://localhost:8657")
    ap.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()
    user = os.environ.get("E2E_ADMIN_USER", "admin")
    password = os.environ["E2E_ADMIN_PASSWORD"]
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium,
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        ctx = browser.new_context(viewport={"width": WALL[0], "height": WALL[1]},
                                  locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
        page = ctx.new_page()
        page.set_default_timeout(60000)
        page.goto(f"{args.base_url}/login")
        settle(page)
        sign_in(page, user, password)
        # Through the menu: a new URL would open a new session, signed out.
        nav(page, "Lắng nghe mạng xã hội", user)
        page.locator(".ioc-sboard").first.wait_for()
        settle(page, quiet=2.0)  # the map's WebGL canvas draws after the run
        for size in (WALL, TABLET):
            shot(page, args.out, f"social_{size[0]}.png", size)
        browser.close()
    log("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

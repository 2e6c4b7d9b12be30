"""Soak of a wall screen: the UI server (as `ioc ui` starts it) on a fresh SQLite database with
a week of the three streams, a five-page playlist (Overview, Dossiers, Feedback, Social,
Alerts), Debian's chromium on the playlist URL at 1920×1080 for --minutes. Every --sample
seconds it records the page on screen, whether an exception or the reconnecting overlay is
shown, and the resident memory (VmRSS) of the UI server and of all chromium processes.

    .venv/bin/python scripts/wall_soak.py --minutes 60 --dwell 20 --out /tmp/wall_soak.json

Prints one JSON line per sample and a summary (slots seen, errors, memory first/last/max).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ioc.auth import Identity
from ioc.db.migrate import migrated_engine
from ioc.ui.wall.watchdog import SLOT_ID
from ioc.wall import store
from ioc.wall.playlists import Item, Playlist
from streams.chaos.workload import random_events
from tests.browser.conftest import CHROMIUM, Heartbeat, UiServer, free_port
from tests.helpers import apply_events

PAGES = ("overview", "dossiers", "feedback", "social", "alerts")


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(root: int) -> list[int]:
    """root and all its descendants (from /proc's parent links)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def chromium_kb() -> int:
    total = 0
    for pid in tree(os.getpid()):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"chrom" in cmd:
            total += rss_kb(pid)
    return total


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--dwell", type=int, default=20)
    ap.add_argument("--sample", type=float, default=30)
    ap.add_argument("--out", default="/tmp/wall_soak.json")
    ap.add_argument("--db", default="/tmp/wall_soak.db")
    args = ap.parse_args()
    for suffix in ("", "-wal", "-shm"):  # a fresh database, also after a killed run
        Path(args.db + suffix).unlink(missing_ok=True)
    url = f"sqlite:///{args.db}"
    engine = migrated_engine(url)
    apply_events(engine, random_events(2000, 1000, 1000, seed=3, now=datetime.now(UTC)))
    hb = Heartbeat(engine)
    hb.start()
    pl = Playlist("soak", "Soak", tuple(Item(p, dwell=args.dwell) for p in PAGES), True)
    _, token = store.save(engine, pl, Identity("soak", "operator"))
    server = UiServer(url, free_port(), Path(args.out).with_suffix(".ui.log"))
    server.start()
    from playwright.sync_api import sync_playwright

    samples = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        # The host document stays put and loads each slot into its iframe: count the
        # documents requested by frames other than the host (one per slot and per reconnect;
        # Streamlit's component frames use srcdoc or /component/ URLs and are left out).
        loads = [0]

        def on_request(req: object) -> None:
            r: Any = req
            if (r.resource_type == "document" and r.frame != page.main_frame
                    and "/component/" not in r.url):
                loads[0] += 1

        page.on("request", on_request)
        page.goto(f"{server.base}/wall?playlist=soak&key={token}")
        end = time.monotonic() + args.minutes * 60
        while time.monotonic() < end:
            try:
                # The slot on screen: inside the host's iframe once the rotation started.
                doc = page.frame_locator(f"#{SLOT_ID}") if page.locator(
                    f"#{SLOT_ID}").count() else page
                strip = doc.locator(".ioc-wall-strip")
                shown = strip.first.get_attribute("data-page") if strip.count() else None
                errors = doc.locator("[data-testid='stException']").count()
                offline = page.locator("#ioc-offline").count()
            except Exception as exc:  # noqa: BLE001 - a navigation under way
                shown, errors, offline = f"({type(exc).__name__})", 0, 0
            assert server.proc is not None
            s = {"t": round(args.minutes * 60 - (end - time.monotonic())), "page": shown,
                 "exceptions": errors, "offline": offline, "page_loads": loads[0],
                 "server_rss_mb": round(sum(rss_kb(p) for p in tree(server.proc.pid)) / 1024),
                 "chromium_rss_mb": round(chromium_kb() / 1024)}
            samples.append(s)
            print(json.dumps(s), flush=True)
            time.sleep(args.sample)
        browser.close()
    server.stop()
    hb.stop()
    summary = {"minutes": args.minutes, "dwell": args.dwell, "samples": len(samples),
               "page_loads": samples[-1]["page_loads"] if samples else 0,
               "samples_with_exception": sum(1 for s in samples if s["exceptions"]),
               "samples_offline": sum(1 for s in samples if s["offline"]),
               "pages_seen": sorted({str(s["page"]) for s in samples}),
               **{f"{k}_{w}": f(s[k] for s in samples) if samples else None
                  for k in ("server_rss_mb", "chromium_rss_mb")
                  for w, f in (("max", max), ("min", min))},
               "first": samples[0] if samples else None, "last": samples[-1] if samples else None}
    Path(args.out).write_text(json.dumps({"summary": summary, "samples": samples}, indent=1))
    print(json.dumps(summary), flush=True)
    return 0 if summary["samples_with_exception"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

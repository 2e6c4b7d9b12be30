"""The wall screen's script: rotation to the next playlist slot and the reconnect watchdog.

It is installed once per browser document into the top page (a <script> element appended to
the parent document by a components.html iframe), so it keeps running while Streamlit's own
frontend has lost its server: every 2 s it asks /_stcore/health. Server away → a full-screen
"Mất kết nối · reconnecting" overlay (with since when); server back → the page of the current
slot is loaded again (a fresh session, no click). Dwell over and the server answers → the next
slot's URL replaces this one.

Why a full page load per slot rather than st.switch_page in one long session: each slot starts
a new document and a new server session, so nothing (deck.gl/Vega views in the browser,
session state on the server) can pile up over hours of rotation; the browser caches the
static bundle, so a slot costs one HTML request and one websocket. The health check before
each navigation keeps the browser from landing on its own error page when the server is down.
"""

from __future__ import annotations

import json

HEALTH_PATH = "/_stcore/health"
CHECK_MS = 2000
OFFLINE_TEXT = ("Mất kết nối", "reconnecting")

# Runs in the top document; reads window.__iocWallCfg (updated at each full run).
_TOP_SCRIPT = """
(function () {
  var started = Date.now(), downSince = null;
  function fmt(d) {
    return new Intl.DateTimeFormat('vi-VN', {timeZone: 'Asia/Ho_Chi_Minh', hour: '2-digit',
      minute: '2-digit', second: '2-digit', hour12: false}).format(d);
  }
  function overlay(show) {
    var el = document.getElementById('ioc-offline');
    if (!show) { if (el) el.remove(); return; }
    if (!el) {
      el = document.createElement('div');
      el.id = 'ioc-offline';
      el.setAttribute('role', 'alert');
      el.setAttribute('data-offline', 'true');
      document.body.appendChild(el);
    }
    el.innerHTML = '<div class="box"><div class="t">__VI__ · __EN__</div>' +
      '<div class="s">Máy chủ giao diện không trả lời từ ' + fmt(downSince) +
      ' · the display server has not answered since ' + fmt(downSince) +
      '. Tự kết nối lại · retrying every __SEC__ s</div></div>';
  }
  function clock() {
    var now = new Date();
    document.querySelectorAll('[data-ioc-clock]').forEach(function (el) {
      el.textContent = fmt(now);
    });
  }
  function go(url) { window.location.replace(url); }
  function tick() {
    var cfg = window.__iocWallCfg || {};
    fetch('__HEALTH__', {cache: 'no-store'}).then(function (r) { return r.ok; },
                                                 function () { return false; })
      .then(function (ok) {
        if (!ok) {
          if (!downSince) downSince = new Date();
          overlay(true);
        } else if (downSince) {
          go(cfg.here || window.location.href);  // back: this slot again, fresh session
          return;
        } else if (cfg.next && cfg.dwell > 0 && Date.now() - started >= cfg.dwell * 1000) {
          go(cfg.next);
          return;
        }
        setTimeout(tick, __CHECK__);
      });
  }
  setInterval(clock, 1000);
  setTimeout(tick, __CHECK__);
})();
"""


def top_script() -> str:
    return (_TOP_SCRIPT.replace("__HEALTH__", HEALTH_PATH).replace("__CHECK__", str(CHECK_MS))
            .replace("__VI__", OFFLINE_TEXT[0]).replace("__EN__", OFFLINE_TEXT[1])
            .replace("__SEC__", str(CHECK_MS // 1000)))


def watchdog_html(here: str, next_url: str | None, dwell: int, seq: int) -> str:
    """The iframe body: set the run's config on the top window (the highest `seq` wins: a
    run emits its plan before the page and, when the page fails, a retry plan after it, and
    the two iframes may load in either order) and install the top script once per
    document."""
    # "<" escaped: a query parameter holding "</script>" must not end the element.
    cfg = json.dumps({"here": here, "next": next_url, "dwell": dwell, "seq": seq}
                     ).replace("<", "\\u003c")
    script = json.dumps(top_script()).replace("<", "\\u003c")
    return f"""<script>
(function () {{
  var top = window.parent;
  var cfg = {cfg};
  if (!top.__iocWallCfg || cfg.seq >= top.__iocWallCfg.seq) top.__iocWallCfg = cfg;
  if (top.__iocWallInstalled) return;
  top.__iocWallInstalled = true;
  var s = top.document.createElement('script');
  s.textContent = {script};
  top.document.head.appendChild(s);
}})();
</script>"""

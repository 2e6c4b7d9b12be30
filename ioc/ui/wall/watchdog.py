"""The wall screen's script: rotation to the next playlist slot and the reconnect watchdog.

The top document of a wall screen never navigates: it is the host. The script is installed
once into it (a <script> element appended to the parent document by a components.html
iframe of the first page) and from the first rotation on it loads each slot into a
full-screen iframe (#ioc-wall-slot) over its own page, which it hides. Because nothing
replaces the host document, the script survives anything the server does: a slot whose load
fails shows chromium's error page inside the iframe only, and the host loads it again.
Every 2 s it asks /_stcore/health. Server away → a full-screen "Mất kết nối · reconnecting"
overlay in the host (with since when); server back → the current slot is loaded again (a
fresh session, no click). Dwell over and the server answers → the next slot. A slot that has
not reported its plan within SLOT_LOAD_MS (it landed on an error page while the server was
back within one check) is loaded again. Slot documents do not install the script: their run
only hands its plan (this URL, the next one, the dwell) to the host.

Why a page load per slot rather than st.switch_page in one long session: each slot starts a
new document and a new server session, so nothing (deck.gl/Vega views in the browser, session
state on the server) can pile up over hours of rotation; the browser caches the static
bundle, so a slot costs one HTML request and one websocket. The host's own first page stays
loaded under the iframe, hidden (one extra idle session per screen, its fragments still
refresh on the server).
"""

from __future__ import annotations

import json

HEALTH_PATH = "/_stcore/health"
CHECK_MS = 2000
SLOT_LOAD_MS = 30000
SLOT_ID = "ioc-wall-slot"
OFFLINE_TEXT = ("Mất kết nối", "reconnecting")

# Runs in the host (top) document; reads window.__iocWallCfg (the host page's own plan) until
# the first slot, then window.__iocSlotCfg (the plan of the slot on screen).
_TOP_SCRIPT = """
(function () {
  // started: when the plan on screen arrived (the dwell counts from there, not from the
  // request: a slow page still gets its whole dwell); slotAt: when the slot was requested.
  var started = Date.now(), downSince = null, slot = null, slotUrl = null, slotAt = 0;
  function fmt(d) {
    return new Intl.DateTimeFormat('vi-VN', {timeZone: 'Asia/Ho_Chi_Minh', hour: '2-digit',
      minute: '2-digit', second: '2-digit', hour12: false}).format(d);
  }
  function overlay(show) {
    var el = document.getElementById('ioc-offline');
    // The slot's half-loaded page (Streamlit's own module-fetch errors) stays out of sight.
    if (slot) slot.style.visibility = show ? 'hidden' : 'visible';
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
  function docs() {
    var out = [document];
    try { if (slot && slot.contentDocument) out.push(slot.contentDocument); } catch (e) {}
    return out;
  }
  function clock() {  // slot documents run no script of ours: their clock is set from here
    var now = fmt(new Date());
    docs().forEach(function (d) {
      d.querySelectorAll('[data-ioc-clock]').forEach(function (el) { el.textContent = now; });
    });
  }
  function plan() { return slot ? window.__iocSlotCfg : (window.__iocWallCfg || {}); }
  function show(url) {
    if (!slot) {
      slot = document.createElement('iframe');
      slot.id = '__SLOT__';
      slot.title = 'wall';
      // Under the offline overlay (999994) and the red border (999995) of the host's CSS.
      slot.style.cssText = 'position:fixed;inset:0;width:100vw;height:100vh;border:0;' +
        'margin:0;z-index:999990;background:#fff';
      document.body.appendChild(slot);
      var hide = document.createElement('style');  // the host's own page: no layout, no paint
      hide.textContent = '#root { display: none !important; }';
      document.head.appendChild(hide);
    }
    window.__iocSlotCfg = null;
    slotUrl = url;
    slotAt = Date.now();
    started = 0;
    slot.src = url;
  }
  function tick() {
    fetch('__HEALTH__', {cache: 'no-store'}).then(function (r) { return r.ok; },
                                                 function () { return false; })
      .then(function (ok) {
        var cfg = plan();
        if (!ok) {
          if (!downSince) downSince = new Date();
          overlay(true);
        } else if (downSince) {
          downSince = null;
          overlay(false);
          show((cfg && cfg.here) || slotUrl || window.location.href);  // fresh session
        } else if (slot && !cfg) {
          if (Date.now() - slotAt >= __LOAD__) show(slotUrl);  // an error page, or stuck
        } else if (cfg) {
          if (!started) started = Date.now();
          if (cfg.next && cfg.dwell > 0 && Date.now() - started >= cfg.dwell * 1000) {
            show(cfg.next);
          }
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
            .replace("__LOAD__", str(SLOT_LOAD_MS)).replace("__SLOT__", SLOT_ID)
            .replace("__VI__", OFFLINE_TEXT[0]).replace("__EN__", OFFLINE_TEXT[1])
            .replace("__SEC__", str(CHECK_MS // 1000)))


def watchdog_html(here: str, next_url: str | None, dwell: int, seq: int) -> str:
    """The iframe body. In the host (top) document: set the run's plan on it (the highest
    `seq` wins: a run emits its plan before the page and, when the page fails, a retry plan
    after it, and the two iframes may load in either order) and install the top script once.
    In a slot (a document inside the host's #ioc-wall-slot): hand the plan to the host only."""
    # "<" escaped: a query parameter holding "</script>" must not end the element.
    cfg = json.dumps({"here": here, "next": next_url, "dwell": dwell, "seq": seq}
                     ).replace("<", "\\u003c")
    script = json.dumps(top_script()).replace("<", "\\u003c")
    return f"""<script>
(function () {{
  var cfg = {cfg};
  var page = window.parent, host = page;
  try {{ host = page.top; void host.document; }} catch (e) {{ host = page; }}
  if (host !== page && host.__iocWallInstalled) {{
    var cur = host.__iocSlotCfg;
    if (!cur || cfg.seq >= cur.seq) host.__iocSlotCfg = cfg;
    return;
  }}
  if (!page.__iocWallCfg || cfg.seq >= page.__iocWallCfg.seq) page.__iocWallCfg = cfg;
  if (page.__iocWallInstalled) return;
  page.__iocWallInstalled = true;
  var s = page.document.createElement('script');
  s.textContent = {script};
  page.document.head.appendChild(s);
}})();
</script>"""

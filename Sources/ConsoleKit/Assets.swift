import Hummingbird

/// The consoles' style sheet and script, served by the binary itself (a plant network has no internet): no CDN, no
/// web fonts (the system's sans-serif), no build step.
public enum ConsoleAssets {
    /// Registers `GET /console/assets/console.css` and `…/console.js` (cached for an hour).
    public static func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("console/assets/console.css") { _, _ in
            ConsoleResponse.bytes(Array(css.utf8), contentType: "text/css; charset=utf-8", cache: "max-age=3600")
        }
        router.get("console/assets/console.js") { _, _ in
            ConsoleResponse.bytes(Array(script.utf8), contentType: "text/javascript; charset=utf-8", cache: "max-age=3600")
        }
    }

    public static let css = #"""
:root { --bg:#f3f5f8; --panel:#fff; --ink:#14202b; --muted:#5b6b7a; --line:#d5dce3; --top:#0f2a44; --accent:#1769aa;
  --good:#1b7f3b; --bad:#b3261e; --warn:#b26a00; --idle:#6b7785; }
* { box-sizing:border-box; }
html { font-family: "DejaVu Sans", "Noto Sans", "Liberation Sans", Arial, sans-serif; font-size:16px; color:var(--ink); background:var(--bg); }
body { margin:0; }
a { color:var(--accent); }
header.top { display:flex; flex-wrap:wrap; align-items:center; gap:12px 24px; background:var(--top); color:#fff; padding:8px 16px; }
header.top a { color:#dbe8f5; text-decoration:none; }
header.top .brand { font-weight:700; font-size:1.15rem; color:#fff; }
header.top nav { display:flex; flex-wrap:wrap; gap:4px; }
header.top nav a { padding:10px 14px; border-radius:6px; }
header.top nav a.active, header.top nav a:hover { background:#24476b; color:#fff; }
header.top .who { margin-left:auto; display:flex; align-items:center; gap:12px; flex-wrap:wrap; }
header.top .who form { display:inline; margin:0; }
header.top .who button { background:transparent; color:#dbe8f5; border:1px solid #4d6d8d; padding:6px 10px; min-height:0; }
.langs a { padding:4px 6px; text-transform:uppercase; font-size:.85rem; }
.langs a.active { border-bottom:2px solid #fff; color:#fff; }
.clock { font-variant-numeric:tabular-nums; color:#fff; }
main { padding:16px; max-width:1600px; margin:0 auto; }
footer { color:var(--muted); font-size:.8rem; padding:8px 16px 24px; text-align:center; }
h1 { font-size:1.6rem; margin:4px 0 16px; }
h2 { font-size:1.2rem; margin:24px 0 8px; }
.lost { background:var(--bad); color:#fff; font-weight:700; font-size:1.2rem; padding:14px 16px; text-align:center; }
body.offline .live { opacity:.45; }
.panel { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:14px 16px; margin-bottom:16px; }
.mt { margin-top:12px; }
.grid > *, .frames > * { min-width:0; }
.grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(180px, 1fr)); gap:12px; }
.kpi { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:10px 14px; }
.kpi .label { color:var(--muted); font-size:.9rem; }
.kpi .value { font-size:2.6rem; font-weight:700; font-variant-numeric:tabular-nums; line-height:1.15; }
.kpi .sub { color:var(--muted); font-size:.85rem; }
.line-head { display:flex; align-items:center; gap:16px; flex-wrap:wrap; }
.line-head h2 { margin:0; font-size:1.6rem; }
.badge { display:inline-block; padding:6px 14px; border-radius:999px; font-weight:700; font-size:1.1rem; color:#fff; background:var(--idle); text-transform:uppercase; letter-spacing:.03em; }
.badge.running, .badge.up, .badge.delivering, .badge.ok { background:var(--good); }
.badge.fault, .badge.down, .badge.failed, .badge.bad { background:var(--bad); }
.badge.stopped, .badge.starting, .badge.ended { background:var(--idle); }
.badge.silent, .badge.warn { background:var(--warn); }
.small-badge { font-size:.8rem; padding:3px 10px; }
table { border-collapse:collapse; width:100%; background:var(--panel); }
th, td { text-align:left; padding:7px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#e9eef3; font-weight:600; font-size:.9rem; }
td.mono { font-family:"DejaVu Sans Mono", monospace; font-size:.8rem; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
tr.good td.kind, td.good { color:var(--good); font-weight:600; }
tr.bad td.kind, td.bad { color:var(--bad); font-weight:600; }
.scroll { max-height:360px; overflow:auto; }
.alarm { display:flex; gap:12px; align-items:center; padding:8px 0; border-bottom:1px solid var(--line); }
.alarm.open .what { color:var(--bad); font-weight:600; }
.alarm.acked { color:var(--muted); }
.alarm time { font-variant-numeric:tabular-nums; white-space:nowrap; }
.alarm .what { flex:1; }
button, .button { font:inherit; min-height:44px; padding:8px 18px; border-radius:6px; border:1px solid var(--accent); background:var(--accent); color:#fff; cursor:pointer; text-decoration:none; display:inline-block; }
button.secondary, .button.secondary { background:#fff; color:var(--accent); }
button.danger { background:var(--bad); border-color:var(--bad); }
form.inline { display:inline; margin:0; }
label { display:block; margin:8px 0 4px; font-weight:600; }
input, select, textarea { font:inherit; padding:8px 10px; min-height:44px; border:1px solid var(--line); border-radius:6px; width:100%; max-width:420px; }
.form-row { display:flex; gap:16px; flex-wrap:wrap; align-items:flex-end; }
.form-row > div { flex:1; min-width:180px; }
.notice { padding:10px 14px; border-radius:6px; margin-bottom:12px; }
.notice.error { background:#fbe9e7; color:var(--bad); border:1px solid #f2b8b5; }
.notice.info { background:#e8f1fb; color:#0f4c81; border:1px solid #b6d3f2; }
.muted { color:var(--muted); }
.login { max-width:420px; margin:40px auto; }
.frame { position:relative; display:block; max-width:100%; }
.frame img { display:block; width:100%; height:auto; background:#222; }
.frame svg { position:absolute; left:0; top:0; width:100%; height:100%; }
.overlay .roi { fill:none; stroke:#2f80ed; stroke-width:3; }
.overlay .cap { fill:none; stroke:#f2c94c; stroke-width:3; }
.overlay .code { fill:rgba(39,174,96,.15); stroke:#27ae60; stroke-width:4; }
.overlay .unread { fill:none; stroke:#eb5757; stroke-width:4; stroke-dasharray:8 6; }
.overlay text { fill:#fff; font-size:22px; paint-order:stroke; stroke:#000; stroke-width:4px; }
.frames { display:grid; grid-template-columns:repeat(auto-fill, minmax(260px, 1fr)); gap:12px; }
.frames figure { margin:0; background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:8px; }
.frames figcaption { font-size:.85rem; margin-top:6px; }
svg.chart { width:100%; max-width:760px; height:auto; background:var(--panel); }
svg.chart .grid { stroke:#dde3e9; stroke-width:1; }
svg.chart .tick, svg.chart .legend, svg.chart .value { font-size:11px; fill:#5b6b7a; }
svg.chart .line { fill:none; stroke-width:2.5; }
.series-0 { fill:#1769aa; stroke:#1769aa; } .series-1 { fill:#e07b00; stroke:#e07b00; } .series-2 { fill:#2e9d57; stroke:#2e9d57; }
.series-3 { fill:#b3261e; stroke:#b3261e; } .series-4 { fill:#7a4fbf; stroke:#7a4fbf; } .series-5 { fill:#0f8a8a; stroke:#0f8a8a; }
.series-6 { fill:#8a6d3b; stroke:#8a6d3b; } .series-7 { fill:#5b6b7a; stroke:#5b6b7a; }
path.series-0, path.series-1, path.series-2, path.series-3, path.series-4, path.series-5, path.series-6, path.series-7 { fill:none; }
.report dl { display:grid; grid-template-columns:max-content 1fr; gap:4px 16px; }
.report dt { color:var(--muted); }
.report dd { margin:0; font-weight:600; }
.print-only { display:none; }
@media (max-width: 900px) { .kpi .value { font-size:2rem; } main { padding:10px; } }
@media print {
  @page { size:A4; margin:15mm; }
  html, body { background:#fff; color:#000; font-size:11pt; }
  header.top, footer, nav, .no-print, .lost, button, form { display:none !important; }
  main { padding:0; max-width:none; }
  .panel, .kpi, table { border-color:#999; box-shadow:none; }
  .print-only { display:block; }
  a { color:#000; text-decoration:none; }
  table { page-break-inside:auto; } tr { page-break-inside:avoid; }
}
"""#

    public static let script = #"""
// QazLine console: live figures over server-sent events, "connection lost" when they stop, and small helpers.
// Updates only ever set textContent and className, so nothing sent by the server becomes markup.
(function () {
  'use strict';
  var body = document.body;
  var lost = document.getElementById('lost');
  var lastMessage = Date.now();
  function offline(yes) {
    if (lost) { lost.hidden = !yes; }
    if (yes) { body.classList.add('offline'); } else { body.classList.remove('offline'); }
  }
  function cell(value) {
    var td = document.createElement('td');
    if (value && typeof value === 'object') {
      td.textContent = value.t;
      if (value.c) { td.className = value.c; }
    } else {
      td.textContent = value;
    }
    return td;
  }
  function apply(update) {
    var id, el;
    for (id in (update.text || {})) { el = document.getElementById(id); if (el) { el.textContent = update.text[id]; } }
    for (id in (update.cls || {})) { el = document.getElementById(id); if (el) { el.className = update.cls[id]; } }
    for (id in (update.show || {})) { el = document.getElementById(id); if (el) { el.hidden = !update.show[id]; } }
    for (id in (update.rows || {})) {
      el = document.getElementById(id);
      if (!el) { continue; }
      var fragment = document.createDocumentFragment();
      update.rows[id].forEach(function (row) {
        var tr = document.createElement('tr');
        row.forEach(function (value) { tr.appendChild(cell(value)); });
        fragment.appendChild(tr);
      });
      el.replaceChildren(fragment);
    }
  }
  var watched = {};  // element id -> refresh functions of the fragments that follow it (data-refresh-on)
  var lastText = {};
  function changed(update) {
    for (var id in (update.text || {})) {
      if (watched[id] && lastText[id] !== undefined && lastText[id] !== update.text[id]) { watched[id].forEach(function (f) { f(); }); }
      lastText[id] = update.text[id];
    }
  }
  var live = body.getAttribute('data-live');
  if (live && window.EventSource) {
    var source = new EventSource(live);
    source.onmessage = function (event) {
      lastMessage = Date.now();
      offline(false);
      var update = JSON.parse(event.data);
      apply(update);
      changed(update);
    };
    source.onerror = function () { offline(true); };
    setInterval(function () { if (Date.now() - lastMessage > 5000) { offline(true); } }, 1000);
  }
  // Parts of a page refreshed from the server's own (escaped) HTML while the page is visible.
  document.querySelectorAll('[data-fragment]').forEach(function (el) {
    function refresh() {
      if (document.hidden) { return; }
      fetch(el.getAttribute('data-fragment'), { credentials: 'same-origin', cache: 'no-store' })
        .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.text(); })
        .then(function (html) { el.innerHTML = html; offline(false); })
        .catch(function () { offline(true); });
    }
    var on = el.getAttribute('data-refresh-on');
    if (on) { (watched[on] = watched[on] || []).push(refresh); }
    var every = el.getAttribute('data-every');
    if (every) { setInterval(refresh, Math.max(1, parseInt(every, 10)) * 1000); }
  });
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.getAttribute('data-confirm'))) { event.preventDefault(); }
    });
  });
  document.querySelectorAll('[data-print]').forEach(function (button) {
    button.addEventListener('click', function () { window.print(); });
  });
  // The clock in the header: Astana time (UTC+5), whatever the browser's zone.
  var clock = document.getElementById('clock');
  function tick() {
    if (!clock) { return; }
    var t = new Date(Date.now() + 5 * 3600 * 1000);
    function two(n) { return (n < 10 ? '0' : '') + n; }
    clock.textContent = two(t.getUTCHours()) + ':' + two(t.getUTCMinutes()) + ':' + two(t.getUTCSeconds());
  }
  tick();
  setInterval(tick, 1000);
}());
"""#
}

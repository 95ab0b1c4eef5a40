import ConsoleKit
import Hummingbird
import QazServer

/// The counterfeits page's own style sheet and script, served by the console beside ConsoleKit's (same origin, so the
/// console's CSP `style-src 'self'; script-src 'self'` admits them and nothing inline is needed).
enum CounterfeitAssets {
    static func register(on router: Router<RegistrarContext>) {
        router.get("console/assets/counterfeits.css") { _, _ in
            ConsoleResponse.bytes(Array(css.utf8), contentType: "text/css; charset=utf-8", cache: "max-age=3600")
        }
        router.get("console/assets/counterfeits.js") { _, _ in
            ConsoleResponse.bytes(Array(script.utf8), contentType: "text/javascript; charset=utf-8", cache: "max-age=3600")
        }
    }

    /// Kinds keep one colour everywhere (the list's badges, the table's counts); the map's colours say how many alerts
    /// a region had, from green (none) to red (100 or more).
    static let css = #"""
.cf-filters > div { min-width:150px; }
.cf-filters .cf-buttons { flex:0 0 auto; min-width:0; display:flex; gap:8px; }
.cf-head { display:flex; flex-wrap:wrap; align-items:baseline; gap:8px 20px; }
.cf-head h2 { margin:8px 0; }
.cf-layout { display:grid; grid-template-columns:minmax(0, 1.15fr) minmax(0, 1fr); gap:16px; align-items:start; }
@media (max-width: 1400px) { .cf-layout { grid-template-columns:minmax(0, 1fr); } .cf-figure { max-width:960px; } }
.cf-figure { margin:0; }
svg.cf-map { width:100%; height:auto; display:block; background:#eaf1f7; border-radius:6px; }
svg.cf-map .land { fill:#fbfbf7; stroke:#6f7f8e; stroke-width:1.5; stroke-linejoin:round; }
svg.cf-map circle.region { stroke:#fff; stroke-width:1.5; fill-opacity:.88; }
svg.cf-map a:hover circle.region, svg.cf-map a:focus circle.region { stroke:#14202b; stroke-width:2.5; }
svg.cf-map .alerts-0 { fill:#2e8b57; } svg.cf-map .alerts-1 { fill:#e0a100; }
svg.cf-map .alerts-2 { fill:#e05a00; } svg.cf-map .alerts-3 { fill:#b3261e; }
svg.cf-map circle.region.empty { fill:#fff; stroke:#8795a3; stroke-width:1.2; }
svg.cf-map text { font-size:12px; fill:#14202b; paint-order:stroke; stroke:#fbfbf7; stroke-width:3px; stroke-linejoin:round; }
svg.cf-map text.capital { font-weight:700; font-size:13px; }
svg.cf-map .legend text { font-size:11px; fill:#3d4b58; stroke:#eaf1f7; }
.cf-side .kpi .value { font-size:2rem; }
#regions th, #regions td { padding:4px 6px; font-size:.85rem; }
.cf-scroll { overflow-x:auto; }
.cf-kind { text-transform:none; letter-spacing:0; white-space:nowrap; }
.cf-kind.unknownScanned, .cf-chip.unknownScanned { background:#b3261e; }
.cf-kind.impossibleTravel, .cf-chip.impossibleTravel { background:#6a1b9a; }
.cf-kind.redeemedScanned, .cf-chip.redeemedScanned { background:#c04f00; }
.cf-kind.notActivatedScanned, .cf-chip.notActivatedScanned { background:#7d5f00; }
.cf-kind.frequentScans, .cf-chip.frequentScans { background:#1769aa; }
.cf-chip { display:inline-block; color:#fff; border-radius:999px; padding:1px 8px; margin:1px 2px; font-size:.8rem; font-weight:700; }
.cf-kinds { font-size:.85rem; line-height:1.9; }
td.nowrap { white-space:nowrap; font-variant-numeric:tabular-nums; }
button.cf-code { background:none; border:0; padding:0; min-height:0; color:var(--accent); text-decoration:underline; cursor:pointer;
  font-family:"DejaVu Sans Mono", monospace; font-size:.85rem; text-align:left; word-break:break-all; }
.cf-message { max-width:60ch; }
details.cf-evidence { margin-top:6px; }
details.cf-evidence summary { cursor:pointer; color:var(--accent); font-size:.9rem; }
details.cf-evidence .cf-fact { margin:6px 0; font-weight:600; }
table.cf-scans { margin-top:6px; font-size:.85rem; }
table.cf-scans th, table.cf-scans td { padding:4px 8px; }
tr.cf-alert.new > td { background:#fff4cc; }
.cf-pager { display:flex; gap:24px; margin-top:10px; }
@media print { svg.cf-map { background:#fff; } }
"""#

    /// Keeps the evidence a reader opened open when the list is fetched again for a new alert (the list is replaced
    /// whole; without this every open `<details>` would close under the reader's eyes).
    static let script = #"""
(function () {
  'use strict';
  var list = document.getElementById('alert-list');
  if (!list || !window.MutationObserver) { return; }
  var open = {};
  list.addEventListener('toggle', function (event) {
    var id = event.target.getAttribute && event.target.getAttribute('data-alert');
    if (id) { if (event.target.open) { open[id] = true; } else { delete open[id]; } }
  }, true);
  new MutationObserver(function () {
    list.querySelectorAll('details[data-alert]').forEach(function (details) {
      if (open[details.getAttribute('data-alert')]) { details.open = true; }
    });
  }).observe(list, { childList: true });
}());
"""#
}

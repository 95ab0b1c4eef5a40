/// The counterfeits page's templates (Mustache: `{{x}}` is escaped). The map is a template too: every text in it (region
/// names, tooltips, labels) is escaped like the rest of the page; the Swift code gives it numbers only. The list and the
/// map go into the page with `{{{…}}}` as templates this file renders (the overview does the same with its chart).
///
/// The page brings its own style sheet and script (`CounterfeitAssets`), served by the console like the shared ones, so
/// the strict CSP holds: no inline style or script. Evidence opens with `<details>`, so the page works without script.
enum CounterfeitTemplates {
    static let all: [String: String] = ["counterfeits": page, "alertList": list, "alertMap": map]

    static let page = """
        <link rel="stylesheet" href="/console/assets/counterfeits.css">
        <script src="/console/assets/counterfeits.js" defer></script>
        <h1>{{t.counterfeitsTitle}}</h1>
        <p class="muted">{{t.counterfeitsIntro}}</p>
        {{#error}}<div class="notice error" id="error">{{error}}</div>{{/error}}
        <form method="get" action="/alerts" class="form-row cf-filters" id="alert-filters">
          <div><label for="kind">{{t.kind}}</label><select id="kind" name="kind"><option value="">{{t.any}}</option>{{#form.kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/form.kinds}}</select></div>
          <div><label for="region">{{t.region}}</label><select id="region" name="region"><option value="">{{t.allRegions}}</option>{{#form.regions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/form.regions}}</select></div>
          <div><label for="from">{{t.from}}</label><input id="from" name="from" type="date" value="{{form.from}}"></div>
          <div><label for="to">{{t.to}}</label><input id="to" name="to" type="date" value="{{form.to}}"></div>
          <div><label for="code">{{t.code}}</label><input id="code" name="code" value="{{form.code}}" maxlength="600" autocomplete="off" spellcheck="false"></div>
          <div class="cf-buttons"><button id="show">{{t.show}}</button> <a class="button secondary" id="reset" href="/alerts">{{t.reset}}</a></div>
        </form>
        {{#ready}}
        <section class="panel live mt">
          <h2>{{t.scansByRegion}}</h2>
          <div id="alert-map" data-fragment="{{mapURL}}" data-refresh-on="alerts-latest" data-every="60">{{{mapHTML}}}</div>
        </section>
        <section class="panel live">
          <div class="cf-head"><h2>{{t.alertsNewestFirst}}</h2>
            <span class="muted">{{t.newestAlert}}: #<span id="alerts-latest">{{latest}}</span> · <span id="alerts-last-at">{{lastAt}}</span></span></div>
          <p class="muted">{{#follow}}{{t.liveHint}}{{/follow}}{{^follow}}{{t.pagedHint}}{{/follow}}</p>
          <div id="alert-list" data-fragment="{{listURL}}"{{#follow}} data-refresh-on="alerts-latest"{{/follow}}>{{{listHTML}}}</div>
        </section>
        {{/ready}}
        """

    static let list = """
        {{#any}}<div class="cf-scroll"><table id="alerts"><thead><tr><th>{{t.time}}</th><th>{{t.kind}}</th><th>{{t.code}}</th><th>{{t.region}}</th><th>{{t.producer}}</th><th>{{t.whatWasSeen}}</th></tr></thead>
        <tbody>{{#alerts}}<tr id="alert-{{id}}" class="cf-alert{{#new}} new{{/new}}">
          <td class="nowrap">{{time}}</td>
          <td><span class="badge small-badge cf-kind {{kind}}">{{kindText}}</span></td>
          <td><form method="post" action="/lookup" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="code" value="{{code}}"><button class="cf-code" title="{{t.lookUpThisCode}}">{{code}}</button></form></td>
          <td>{{region}}</td>
          <td>{{producer}}</td>
          <td><div class="cf-message">{{message}}</div>
            <details class="cf-evidence" data-alert="{{id}}"><summary>{{t.evidence}} · {{scanCount}}</summary>
            {{#facts}}<p class="cf-fact">{{.}}</p>{{/facts}}
            <table class="cf-scans"><thead><tr><th>{{t.time}}</th><th>{{t.verdict}}</th><th>{{t.place}}</th><th>{{t.region}}</th></tr></thead>
            <tbody>{{#scans}}<tr><td class="nowrap">{{time}}</td><td>{{verdict}}</td><td>{{place}}</td><td>{{region}}</td></tr>{{/scans}}</tbody></table>
            </details></td></tr>{{/alerts}}</tbody></table></div>{{/any}}
        {{^any}}<p class="muted" id="alerts-empty">{{t.noAlerts}}</p>{{/any}}
        <nav class="cf-pager">{{#newerURL}}<a id="newer" href="{{newerURL}}">{{t.newer}}</a>{{/newerURL}} {{#olderURL}}<a id="older" href="{{olderURL}}">{{t.older}}</a>{{/olderURL}}</nav>
        """

    static let map = """
        <div class="cf-layout">
        <figure class="cf-figure">
        <svg class="cf-map" id="map-svg" viewBox="0 0 {{width}} {{height}}" role="img" aria-labelledby="map-title">
        <title id="map-title">{{t.mapTitle}}</title>
        <path class="land" d="{{outline}}"></path>
        {{#points}}<a href="{{href}}"><circle class="region alerts-{{level}}{{#empty}} empty{{/empty}}" cx="{{x}}" cy="{{y}}" r="{{r}}" data-region="{{name}}" data-scans="{{scans}}" data-alerts="{{alerts}}"><title>{{title}}</title></circle></a>
        {{/points}}
        {{#labels}}<text class="city{{#capital}} capital{{/capital}}" x="{{x}}" y="{{y}}" text-anchor="{{anchor}}">{{name}}</text>
        {{/labels}}
        <g class="legend">{{#legend}}<circle class="region alerts-{{level}}" cx="16" cy="{{y}}" r="7"></circle><text x="30" y="{{ty}}">{{label}}</text>{{/legend}}</g>
        </svg>
        <figcaption class="muted">{{caption}}{{#sizeNote}} · {{sizeNote}}{{/sizeNote}}{{#defaultPeriod}} {{t.mapDefaultPeriod}}{{/defaultPeriod}}</figcaption>
        </figure>
        <div class="cf-side">
        <div class="grid"><div class="kpi"><div class="label">{{t.scansInPeriod}}</div><div class="value" id="scans-total">{{totalScans}}</div></div>
          <div class="kpi"><div class="label">{{t.alertsInPeriod}}</div><div class="value" id="alerts-total">{{totalAlerts}}</div></div></div>
        <div class="cf-scroll mt"><table id="regions"><thead>
        <tr><th rowspan="2">{{t.region}}</th><th colspan="6">{{t.scansByVerdict}}</th><th colspan="2">{{t.alertsByKind}}</th></tr>
        <tr><th class="num">{{t.total}}</th>{{#verdicts}}<th class="num">{{.}}</th>{{/verdicts}}<th class="num">{{t.total}}</th><th></th></tr>
        </thead><tbody>
        {{#rows}}<tr data-region="{{key}}"><td>{{#linked}}<a href="{{href}}">{{name}}</a>{{/linked}}{{^linked}}{{name}}{{/linked}}</td><td class="num">{{scans}}</td>{{#byVerdict}}<td class="num">{{.}}</td>{{/byVerdict}}<td class="num">{{alerts}}</td><td>{{#chips}}<span class="cf-chip {{kind}}" title="{{text}}">{{count}}</span>{{/chips}}</td></tr>
        {{/rows}}
        {{^rows}}<tr><td colspan="9" class="muted" id="no-scans">{{t.noScans}}</td></tr>{{/rows}}
        </tbody>
        {{#anyRows}}<tfoot><tr><th>{{t.total}}</th><th class="num">{{totalScans}}</th>{{#totalByVerdict}}<th class="num">{{.}}</th>{{/totalByVerdict}}<th class="num">{{totalAlerts}}</th><th></th></tr></tfoot>{{/anyRows}}
        </table></div>
        <p class="cf-kinds">{{#kindLegend}}<span class="cf-chip {{kind}}">{{text}}</span> {{/kindLegend}}</p>
        {{#offMap}}<p class="muted">{{t.offMap}}</p>{{/offMap}}
        </div>
        </div>
        """
}

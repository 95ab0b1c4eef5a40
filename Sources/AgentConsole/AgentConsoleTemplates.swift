/// The line console's page templates (Mustache; `{{x}}` is escaped, see ``ConsoleShell``). Element ids are what the
/// live updates and the browser tests address.
enum AgentConsoleTemplates {
    static let all: [String: String] = [
        "overview": overview, "alarms": alarms, "writeOff": writeOff, "cameras": cameras, "camera": camera, "frame": frame,
        "noFrame": noFrame, "jobs": jobs, "job": job, "outbox": outbox, "audit": audit, "login": login,
        "message": message, "cases": cases, "case": caseDetail,
    ]

    static let cases = """
        <h1>{{t.casesTitle}}</h1>
        {{#notice}}<div class="notice info" id="notice">{{notice}}</div>{{/notice}}
        {{#error}}<div class="notice error" id="error">{{error}}</div>{{/error}}
        {{^hasStations}}<p class="notice info">{{t.noCaseStation}}</p>{{/hasStations}}
        {{#stations}}
          <section class="panel station" id="station-{{id}}">
            <div class="line-head">
              <h2>{{t.caseStation}} {{id}}</h2>
              <span class="muted">{{t.line}} {{line}} · {{perCase}} {{t.perCase}} · {{t.plcLink}}:</span>
              <span class="badge small-badge {{plc}}">{{plc}}</span>
            </div>
            <div class="grid mt">
              <div class="kpi"><div class="label">{{t.cases}}</div><div class="value" id="station-{{id}}-cases">{{cases}}</div></div>
              <div class="kpi"><div class="label">{{t.good}}</div><div class="value">{{good}}</div></div>
              <div class="kpi"><div class="label">{{t.rejected}}</div><div class="value">{{rejected}}</div></div>
              <div class="kpi"><div class="label">{{t.caseDecisionP99}}</div><div class="value">{{p99}}</div></div>
              <div class="kpi"><div class="label">{{t.caseDecodeP99}}</div><div class="value">{{decode}}</div></div>
            </div>
            {{#reasons.0}}
            <table class="mt"><thead><tr><th>{{t.rejectsByReason}}</th><th class="num">{{t.cases}}</th></tr></thead>
            <tbody>{{#reasons}}<tr><td>{{reason}}</td><td class="num">{{count}}</td></tr>{{/reasons}}</tbody></table>
            {{/reasons.0}}
          </section>
        {{/stations}}
        <p id="case-counts">{{t.packed}} <b>{{packed}}</b> · {{t.rejectedWaiting}} <b>{{rejectedCount}}</b> · {{t.dissolvedCount}} <b>{{dissolved}}</b> · {{t.pallets}} <b>{{palletCount}}</b>
          · {{t.aggregationPending}} <b>{{pending}}</b> ({{t.waitingForActivations}} {{waiting}})</p>
        {{#hasDead}}<div class="notice error" id="dead-events">{{t.aggregationDead}}: {{dead}}</div>{{/hasDead}}
        {{#actor}}
        <form method="post" action="/cases/dissolve" class="panel" id="dissolve">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <div class="form-row">
            <div><label for="case">{{t.caseRef}}</label><input id="case" name="case" required maxlength="200"></div>
            <div><label for="reason">{{t.reason}}</label><input id="reason" name="reason" maxlength="150" value="rework"></div>
            <div><button class="danger" id="dissolve-submit">{{t.dissolveCase}}</button></div>
          </div>
          <p class="muted">{{t.dissolveHelp}}</p>
        </form>
        {{/actor}}
        <p><a href="/cases">{{t.all}}</a> · <a href="/cases?status=packed">{{t.packed}}</a> · <a href="/cases?status=rejected">{{t.rejectedWaiting}}</a> · <a href="/cases?status=dissolved">{{t.dissolvedCount}}</a></p>
        {{#hasCases}}
        <table id="cases"><thead><tr><th>{{t.case}}</th><th>{{t.status}}</th><th class="num">{{t.caseSequence}}</th><th class="num">{{t.bottles}}</th><th>{{t.reason}}</th><th>{{t.pallet}}</th><th>{{t.time}}</th></tr></thead>
        <tbody>{{#cases}}<tr><td><a href="/cases/{{link}}">{{ref}}</a></td><td class="{{#ok}}good{{/ok}}{{#bad}}bad{{/bad}}">{{status}}</td><td class="num">{{seq}}</td><td class="num">{{bottles}}</td><td>{{reasons}}</td><td>{{pallet}}</td><td>{{at}}</td></tr>{{/cases}}</tbody></table>
        {{/hasCases}}
        {{^hasCases}}<p class="muted">{{t.noCases}}</p>{{/hasCases}}
        <h2>{{t.pallets}}</h2>
        {{#actor}}
        <form method="post" action="/pallets/build" class="panel" id="build-pallet">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <div class="form-row">
            <div><label for="pallet-cases">{{t.palletCases}}</label><textarea id="pallet-cases" name="cases" rows="2" required></textarea></div>
            <div><button id="build-pallet-submit">{{t.buildPallet}}</button></div>
          </div>
        </form>
        {{/actor}}
        {{#hasPallets}}
        <table id="pallets"><thead><tr><th>{{t.pallet}}</th><th>{{t.status}}</th><th>{{t.cases}}</th><th>{{t.time}}</th><th></th></tr></thead>
        <tbody>{{#pallets}}<tr><td>{{code}}</td><td>{{status}}</td><td>{{cases}}</td><td>{{at}}</td><td>{{#built}}{{#actor}}<form method="post" action="/pallets/dissolve"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="pallet" value="{{code}}"><button class="secondary">{{t.dissolve}}</button></form>{{/actor}}{{/built}}</td></tr>{{/pallets}}</tbody></table>
        {{/hasPallets}}
        """

    static let caseDetail = """
        <h1>{{t.case}} {{ref}}</h1>
        <table class="facts" id="case-facts">
          <tr><th>{{t.status}}</th><td id="case-status">{{status}}</td></tr>
          <tr><th>{{t.line}}</th><td>{{line}} · {{station}}</td></tr>
          <tr><th>{{t.caseSequence}}</th><td>{{seq}}</td></tr>
          <tr><th>{{t.time}}</th><td>{{at}}</td></tr>
          <tr><th>{{t.bottles}}</th><td>{{bottles}}</td></tr>
          {{#hasReasons}}<tr><th>{{t.reason}}</th><td class="bad">{{reasons}}</td></tr><tr><th></th><td>{{detail}}</td></tr>{{/hasReasons}}
          <tr><th>{{t.pallet}}</th><td>{{pallet}}</td></tr>
          {{#isDissolved}}<tr><th>{{t.dissolvedCount}}</th><td>{{dissolved}}</td></tr>{{/isDissolved}}
          {{#events}}<tr><th>{{t.registrarAnswer}}</th><td>{{.}}</td></tr>{{/events}}
        </table>
        {{#canDissolve}}{{#actor}}
        <form method="post" action="/cases/dissolve" class="panel" id="dissolve">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="case" value="{{ref}}">
          <div class="form-row"><div><label for="reason">{{t.reason}}</label><input id="reason" name="reason" maxlength="150" value="rework"></div>
          <div><button class="danger" id="dissolve-submit">{{t.dissolveCase}}</button></div></div>
        </form>
        {{/actor}}{{/canDissolve}}
        <h2>{{t.contents}}</h2>
        <table id="case-contents"><thead><tr><th>#</th><th>{{t.code}}</th><th>{{t.heldNow}}</th></tr></thead>
        <tbody>{{#contents}}<tr><td>{{n}}</td><td class="mono">{{code}}</td><td>{{#held}}✓{{/held}}</td></tr>{{/contents}}</tbody></table>
        <p><a href="/cases">{{t.casesTitle}}</a></p>
        """

    static let overview = """
        {{#notice}}<div class="notice info">{{notice}}</div>{{/notice}}
        {{#lines}}
        <section class="panel live" id="line-{{idx}}">
          <div class="line-head">
            <h2>{{t.line}} {{id}}</h2>
            <span id="l{{idx}}-state" class="badge {{stateClass}}">{{state}}</span>
            <span class="muted">{{t.plcLink}}:</span> <span id="l{{idx}}-plc" class="badge small-badge {{plcClass}}">{{plc}}</span>
            <span class="muted">{{t.job}}:</span> <span id="l{{idx}}-job">{{job}}</span>
          </div>
          <div class="grid mt">
            <div class="kpi"><div class="label">{{t.bottlesPerHour}}</div><div class="value" id="l{{idx}}-bph">{{bph}}</div></div>
            <div class="kpi"><div class="label">{{t.readRate}}</div><div class="value" id="l{{idx}}-read">{{readRate}}</div></div>
            <div class="kpi"><div class="label">{{t.good}}</div><div class="value" id="l{{idx}}-good">{{good}}</div></div>
            <div class="kpi"><div class="label">{{t.rejected}}</div><div class="value" id="l{{idx}}-rejected">{{rejected}}</div></div>
            <div class="kpi"><div class="label">{{t.bottles}}</div><div class="value" id="l{{idx}}-bottles">{{bottles}}</div></div>
          </div>
          <div class="grid mt">
            <div>
              <h2>{{t.rejectsByReason}}</h2>
              <table><thead><tr><th>{{t.reason}}</th><th class="num">{{t.bottles}}</th></tr></thead>
              <tbody id="l{{idx}}-rejects">{{#rejects}}<tr><td>{{kind}}</td><td class="num">{{count}}</td></tr>{{/rejects}}</tbody></table>
              <h2>{{t.cameras}}</h2>
              <table><thead><tr><th>{{t.camera}}</th><th>{{t.status}}</th><th class="num">{{t.frames}}</th><th class="num">{{t.decodeP99}}</th><th class="num">{{t.readContrast}}</th></tr></thead>
              <tbody>{{#cameras}}<tr><td><a href="/cameras/{{id}}">{{id}}</a></td><td><span id="{{dom}}-state" class="badge small-badge {{stateClass}}">{{state}}</span></td>
                <td class="num" id="{{dom}}-frames">{{frames}}</td><td class="num" id="{{dom}}-decode">{{decode}}</td><td class="num" id="{{dom}}-contrast">{{contrast}}</td></tr>{{/cameras}}</tbody></table>
            </div>
            <div>
              <h2>{{t.lastDecisions}}</h2>
              <div class="scroll"><table><thead><tr><th class="num">{{t.sequence}}</th><th>{{t.decision}}</th><th>{{t.code}}</th><th class="num">{{t.latency}}</th><th>{{t.time}}</th></tr></thead>
              <tbody id="l{{idx}}-recent">{{#recent}}<tr><td>{{seq}}</td><td class="{{cls}}">{{kind}}</td><td class="mono">{{code}}</td><td>{{latency}}</td><td>{{time}}</td></tr>{{/recent}}</tbody></table></div>
            </div>
          </div>
        </section>
        {{/lines}}
        <div class="grid">
          <section class="panel live">
            <h2>{{t.outbox}}</h2>
            <div class="grid">
              <div class="kpi"><div class="label">{{t.pending}}</div><div class="value" id="ob-pending">{{outbox.pending}}</div><div class="sub">{{t.oldestPending}}: <span id="ob-oldest">{{outbox.oldest}}</span></div></div>
              <div class="kpi"><div class="label">{{t.deadLetters}}</div><div class="value" id="ob-dead">{{outbox.dead}}</div></div>
              <div class="kpi"><div class="label">{{t.delivered}}</div><div class="value" id="ob-delivered">{{outbox.delivered}}</div><div class="sub">{{t.lastDelivery}}: <span id="ob-last">{{outbox.last}}</span></div></div>
            </div>
            <p id="ob-full" class="notice error"{{^outbox.full}} hidden{{/outbox.full}}>{{t.outboxFull}}</p>
          </section>
          <section class="panel">
            <h2>{{t.alarms}} <span id="alarm-open" class="badge small-badge {{alarmClass}}">{{alarmOpen}}</span></h2>
            <span id="alarm-version" hidden>{{alarmVersion}}</span>
            <div id="alarm-list" data-fragment="/alarms" data-refresh-on="alarm-version">{{{alarmsHTML}}}</div>
          </section>
        </div>
        <p class="muted">{{t.producer}}: {{producer}} · {{t.agentStarted}}: {{started}} · <span id="ready">{{ready}}</span></p>
        """

    static let alarms = """
        {{^alarms}}<p class="muted">{{t.noAlarms}}</p>{{/alarms}}
        {{#alarms}}
        <div class="alarm {{#acked}}acked{{/acked}}{{^acked}}open{{/acked}}" id="alarm-{{id}}">
          <time>{{time}}</time><span class="what">{{#line}}[{{line}}] {{/line}}{{message}}</span>
          {{#acked}}<span class="muted">{{t.acknowledgedBy}} {{by}} · {{at}}</span>{{/acked}}
          {{^acked}}<form class="inline" method="post" action="/alarms/{{id}}/ack"><input type="hidden" name="csrf" value="{{csrf}}"><button class="ack">{{t.acknowledge}}</button></form>{{/acked}}
        </div>
        {{/alarms}}
        """

    static let jobs = """
        <h1>{{t.jobsTitle}}</h1>
        {{#error}}<div class="notice error" id="error">{{error}}</div>{{/error}}
        {{#lines}}
        <section class="panel">
          <h2>{{t.line}} {{id}}</h2>
          {{#open}}
          <p>{{t.job}} <a href="/jobs/{{jobID}}" id="open-job-{{lineIdx}}">#{{jobID}}</a> · {{t.lot}} <b>{{lot}}</b> · {{t.started}} {{started}} ({{startedBy}})</p>
          <form method="post" action="/jobs/{{jobID}}/end" data-confirm="{{t.endJobConfirm}}"><input type="hidden" name="csrf" value="{{csrf}}"><button class="danger" id="end-job-{{lineIdx}}">{{t.endJob}}</button></form>
          {{/open}}
          {{^open}}
          <form method="post" action="/jobs/start" class="form-row" id="start-job-{{lineIdx}}">
            <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="line" value="{{id}}">
            <div><label for="product-{{lineIdx}}">{{t.productName}}</label><select id="product-{{lineIdx}}" name="recipe">{{#products}}<option value="{{recipe}}">{{recipe}} · {{name}}</option>{{/products}}</select></div>
            <div><label for="lot-{{lineIdx}}">{{t.lot}}</label><input id="lot-{{lineIdx}}" name="lot" required maxlength="64"></div>
            <div><label for="planned-{{lineIdx}}">{{t.planned}}</label><input id="planned-{{lineIdx}}" name="planned" inputmode="numeric" pattern="[0-9]*"></div>
            <div><button id="start-{{lineIdx}}">{{t.startJob}}</button></div>
          </form>
          {{/open}}
        </section>
        {{/lines}}
        <p><a class="button secondary" href="/write-off" id="to-write-off">{{t.writeOffTitle}}</a></p>
        <section class="panel">
          <table id="jobs"><thead><tr><th>#</th><th>{{t.line}}</th><th>{{t.lot}}</th><th>{{t.productName}}</th><th class="num">{{t.planned}}</th><th>{{t.started}}</th><th>{{t.ended}}</th><th>{{t.startedBy}}</th></tr></thead>
          <tbody>{{#jobs}}<tr><td><a href="/jobs/{{id}}">{{id}}</a></td><td>{{line}}</td><td>{{lot}}</td><td>{{product}}</td><td class="num">{{planned}}</td><td>{{started}}</td><td>{{ended}}</td><td>{{startedBy}}</td></tr>{{/jobs}}
          {{^jobs}}<tr><td colspan="8" class="muted">{{t.noJobs}}</td></tr>{{/jobs}}</tbody></table>
        </section>
        """

    static let job = """
        <div class="report">
        <h1>{{t.jobReport}} #{{id}}</h1>
        <p class="no-print"><button class="secondary" data-print id="print">{{t.print}}</button> <a class="button secondary" id="csv" href="/jobs/{{id}}/csv">{{t.downloadCSV}}</a></p>
        <section class="panel">
        <dl>
          <dt>{{t.producer}}</dt><dd>{{producer}}</dd>
          <dt>{{t.line}}</dt><dd id="job-line">{{line}}</dd>
          <dt>{{t.productName}}</dt><dd>{{product}}</dd>
          <dt>{{t.lot}}</dt><dd id="job-lot">{{lot}}</dd>
          <dt>{{t.planned}}</dt><dd>{{planned}}</dd>
          <dt>{{t.started}}</dt><dd>{{started}} ({{t.astanaTime}})</dd>
          <dt>{{t.startedBy}}</dt><dd id="job-started-by">{{startedBy}}</dd>
          <dt>{{t.ended}}</dt><dd>{{ended}}</dd>
          <dt>{{t.endedBy}}</dt><dd>{{endedBy}}</dd>
        </dl>
        </section>
        <section class="panel">
        <dl>
          <dt>{{t.bottles}}</dt><dd id="job-bottles">{{bottles}}</dd>
          <dt>{{t.good}}</dt><dd id="job-good">{{good}}</dd>
          <dt>{{t.rejected}}</dt><dd id="job-rejected">{{rejected}}</dd>
          <dt>{{t.codesUsed}}</dt><dd id="job-used">{{used}}</dd>
          <dt>{{t.codesWrittenOff}}</dt><dd id="job-written-off">{{writtenOff}}</dd>
        </dl>
        <h2>{{t.rejectsByReason}}</h2>
        <table id="job-rejects"><thead><tr><th>{{t.reason}}</th><th class="num">{{t.bottles}}</th></tr></thead>
        <tbody>{{#rejects}}<tr><td>{{kind}}</td><td class="num">{{count}}</td></tr>{{/rejects}}{{^rejects}}<tr><td colspan="2" class="muted">{{t.none}}</td></tr>{{/rejects}}</tbody></table>
        </section>
        <p class="print-only muted">{{t.printed}} {{printedAt}} ({{t.astanaTime}})</p>
        </div>
        """

    static let outbox = """
        <h1>{{t.outboxTitle}}</h1>
        {{#notice}}<div class="notice info" id="notice">{{notice}}</div>{{/notice}}
        {{#error}}<div class="notice error" id="error">{{error}}</div>{{/error}}
        <div class="grid">
          <div class="kpi"><div class="label">{{t.pending}}</div><div class="value" id="pending-count">{{pendingCount}}</div></div>
          <div class="kpi"><div class="label">{{t.deadLetters}}</div><div class="value" id="dead-count">{{deadCount}}</div></div>
          <div class="kpi"><div class="label">{{t.delivered}}</div><div class="value">{{delivered}}</div></div>
        </div>
        <h2>{{t.deadLetters}}</h2>
        {{#hasDead}}<form method="post" action="/outbox/retry" data-confirm="{{t.retryAll}}?"><input type="hidden" name="csrf" value="{{csrf}}"><button id="retry-all">{{t.retryAll}}</button></form>{{/hasDead}}
        <table id="dead"><thead><tr><th>{{t.code}}</th><th>{{t.line}}</th><th class="num">{{t.sequence}}</th><th>{{t.result}}</th><th>{{t.reason}}</th><th>{{t.time}}</th><th></th></tr></thead>
        <tbody>{{#dead}}<tr><td>{{code}}</td><td>{{line}}</td><td class="num">{{seq}}</td><td>{{result}}</td><td>{{reason}}</td><td>{{at}}</td>
          <td><form class="inline" method="post" action="/outbox/retry"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="code" value="{{code}}"><button class="secondary">{{t.retry}}</button></form></td></tr>{{/dead}}
        {{^dead}}<tr><td colspan="7" class="muted">{{t.none}}</td></tr>{{/dead}}</tbody></table>
        <h2>{{t.pending}}</h2>
        <table id="pending"><thead><tr><th>{{t.code}}</th><th>{{t.line}}</th><th class="num">{{t.sequence}}</th><th>{{t.decidedAt}}</th><th>{{t.batch}}</th><th class="num">{{t.attempts}}</th><th>{{t.reason}}</th></tr></thead>
        <tbody>{{#pending}}<tr><td>{{code}}</td><td>{{line}}</td><td class="num">{{seq}}</td><td>{{at}}</td><td>{{batch}}</td><td class="num">{{attempts}}</td><td>{{error}}</td></tr>{{/pending}}
        {{^pending}}<tr><td colspan="7" class="muted">{{t.none}}</td></tr>{{/pending}}</tbody></table>
        """

    static let audit = """
        <h1>{{t.auditTitle}}</h1>
        <p class="no-print"><a class="button secondary" id="csv" href="/audit/csv">{{t.downloadCSV}}</a></p>
        <table id="audit"><thead><tr><th>{{t.time}}</th><th>{{t.user}}</th><th>{{t.action}}</th><th>{{t.target}}</th><th>{{t.details}}</th></tr></thead>
        <tbody>{{#entries}}<tr><td>{{at}}</td><td>{{user}}</td><td>{{action}}</td><td>{{target}}</td><td>{{detail}}</td></tr>{{/entries}}
        {{^entries}}<tr><td colspan="5" class="muted">{{t.none}}</td></tr>{{/entries}}</tbody></table>
        """

    static let login = """
        <section class="panel login">
          <h1>{{t.loginTitle}}</h1>
          {{#error}}<div class="notice error" id="error">{{error}}</div>{{/error}}
          <form method="post" action="/login">
            <input type="hidden" name="csrf" value="{{loginToken}}"><input type="hidden" name="next" value="{{next}}">
            <label for="user">{{t.user}}</label><input id="user" name="user" autocomplete="username" required value="{{user}}">
            <label for="password">{{t.password}}</label><input id="password" name="password" type="password" autocomplete="current-password" required>
            <p><button id="login">{{t.signIn}}</button></p>
          </form>
        </section>
        """

    static let writeOff = """
        <h1>{{t.writeOffTitle}}</h1>
        <p class="muted">{{t.writeOffHelp}}</p>
        {{#error}}<div class="notice error" id="error">{{error}}</div>{{/error}}
        {{#hasResults}}
        <table id="write-off-results"><thead><tr><th>{{t.code}}</th><th>{{t.result}}</th></tr></thead>
        <tbody>{{#results}}<tr><td>{{code}}</td><td class="{{#ok}}good{{/ok}}{{^ok}}bad{{/ok}}">{{result}}</td></tr>{{/results}}</tbody></table>
        {{/hasResults}}
        {{#engineer}}
        <form method="post" action="/write-off" class="panel" id="write-off">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="codes">{{t.codes}}</label><textarea id="codes" name="codes" rows="5" required>{{form.codes}}</textarea>
          <div class="form-row">
            <div><label for="reason">{{t.reason}}</label><select id="reason" name="reason"><option value="damaged"{{#damaged}} selected{{/damaged}}>damaged</option><option value="unused"{{#unused}} selected{{/unused}}>unused</option></select></div>
            <div><label for="note">{{t.note}}</label><input id="note" name="note" maxlength="150" value="{{form.note}}"></div>
            <div><button class="danger" id="write-off-submit">{{t.writeOff}}</button></div>
          </div>
        </form>
        {{/engineer}}
        {{^engineer}}<p class="notice info">{{t.engineersOnly}}</p>{{/engineer}}
        """

    static let cameras = """
        <h1>{{t.navCameras}}</h1>
        <table id="camera-list"><thead><tr><th>{{t.camera}}</th><th>{{t.line}}</th><th>{{t.status}}</th><th class="num">{{t.frames}}</th><th class="num">{{t.keptFrames}}</th></tr></thead>
        <tbody>{{#cameras}}<tr><td><a href="/cameras/{{id}}">{{id}}</a></td><td>{{line}}</td><td><span class="badge small-badge {{state}}">{{state}}</span></td><td class="num">{{frames}}</td><td class="num">{{kept}}</td></tr>{{/cameras}}</tbody></table>
        """

    static let camera = """
        <div class="line-head"><h1>{{t.camera}} {{id}}</h1><span class="badge small-badge {{state}}" id="camera-state">{{state}}</span>
          <span class="muted">{{t.line}} {{line}} · {{t.frames}} {{frames}}</span></div>
        <div class="grid mt">
          <section class="panel">
            <h2>{{t.latestFrame}}</h2>
            <div id="latest" data-fragment="/cameras/{{path}}/latest" data-every="2"><p class="muted">…</p></div>
          </section>
          <section class="panel">
            <h2>{{t.decodeHistogram}}</h2>
            {{{histogramSVG}}}
            <p class="muted">{{histogramFrames}} {{t.frames}}</p>
            <h2>{{t.qualityTrend}}</h2>
            {{#hasTrend}}{{{trendSVG}}}{{/hasTrend}}{{^hasTrend}}<p class="muted">{{t.none}}</p>{{/hasTrend}}
          </section>
        </div>
        <section class="panel" id="analysis-panel">
          <h2>{{t.analysisTitle}}</h2>
          <p class="muted">{{t.analysisHelp}}</p>
          {{#engineer}}<form method="post" action="/cameras/{{path}}/analyze"><input type="hidden" name="csrf" value="{{csrf}}"><button id="analyze">{{t.analyze}}</button></form>{{/engineer}}
          {{^engineer}}<p class="notice info">{{t.engineersOnly}}</p>{{/engineer}}
          {{#analysisError}}<div class="notice error" id="analysis-error">{{analysisError}}</div>{{/analysisError}}
          {{#analysis}}
          <div class="report" id="analysis">
            <dl>
              <dt>{{t.frames}}</dt><dd id="analysis-frames">{{frames}}</dd>
              <dt>{{t.readRate}}</dt><dd id="analysis-read-rate">{{readRate}} ({{withCode}})</dd>
              <dt>{{t.decodeP99}}</dt><dd>{{p99}}</dd>
              <dt>{{t.suggestedROI}}</dt><dd id="analysis-roi">{{roi}}</dd>
            </dl>
            <table><thead><tr><th>{{t.stage}}</th><th class="num">p50, ms</th><th class="num">p99, ms</th></tr></thead>
            <tbody>{{#stages}}<tr><td>{{stage}}</td><td class="num">{{p50}}</td><td class="num">{{p99}}</td></tr>{{/stages}}</tbody></table>
            <h2>{{t.advice}}</h2>
            <ul id="analysis-advice">{{#advice}}<li>{{.}}</li>{{/advice}}{{#problems}}<li class="bad">{{.}}</li>{{/problems}}</ul>
            <p class="muted">{{source}}</p>
          </div>
          {{/analysis}}
        </section>
        <section class="panel">
          <h2>{{t.keptFrames}} <span class="muted">({{t.atMost}} {{kept}})</span></h2>
          <p class="muted">{{counts}}</p>
          <div class="frames" id="failed-frames">
          {{#failed}}<figure>{{> frame}}<figcaption>{{t.sequence}} <b>{{bottle}}</b> · <span class="bad">{{decision}}</span> · {{code}} · {{decidedAt}}</figcaption></figure>{{/failed}}
          {{^failed}}<p class="muted">{{t.none}}</p>{{/failed}}
          </div>
        </section>
        """

    static let frame = """
        <div class="frame"><img src="{{src}}" width="{{width}}" height="{{height}}" alt="frame {{sequence}}">{{{overlaySVG}}}</div>
        <p class="muted frame-caption">#{{sequence}} · {{capturedAt}} · {{decodeMs}} ms{{#codes}} · <b>{{text}}</b> ({{step}}){{/codes}}{{#noCode}} · {{t.noCodeRead}}{{/noCode}}</p>
        """

    static let noFrame = """
        <p class="muted">{{t.noFrameYet}}</p>
        """

    static let message = """
        <section class="panel"><div class="notice {{kind}}" id="message">{{text}}</div><p><a href="{{back}}">←</a></p></section>
        """
}

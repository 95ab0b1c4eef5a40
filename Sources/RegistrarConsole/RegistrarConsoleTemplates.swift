/// The registrar console's page templates (Mustache; `{{x}}` is escaped, see `ConsoleShell`). Element ids are what
/// the live updates and the tests address. Only server-drawn SVG (every text in it escaped by `SVGChart`) goes in
/// unescaped, with `{{{…}}}`.
enum RegistrarConsoleTemplates {
    static let all: [String: String] = [
        "overview": overview, "chart": chart, "reports": reports, "lookup": lookup, "login": login, "message": message,
    ]

    static let overview = """
        <h1>{{t.overviewTitle}}</h1>
        <div class="grid live">
          <div class="kpi"><div class="label">{{t.last24h}}</div><div class="value" id="act-24h">{{total}}</div></div>
          <div class="kpi"><div class="label">{{t.thisHour}}</div><div class="value" id="act-hour">{{hour}}</div></div>
          <div class="kpi"><div class="label">{{t.activeParticipants}}</div><div class="value" id="act-participants">{{participants}}</div></div>
          <div class="kpi"><div class="label">{{t.lastEvent}}</div><div class="value" id="ev-latest">{{latest}}</div><div class="sub" id="ev-last-at">{{lastAt}}</div></div>
        </div>
        <section class="panel live mt">
          <h2>{{t.activationsPerHour}}</h2>
          <span id="chart-version" hidden>{{chartVersion}}</span>
          <div id="chart" data-fragment="/console/chart" data-refresh-on="chart-version">{{{chartHTML}}}</div>
        </section>
        <section class="panel live">
          <h2>{{t.lastEvents}}</h2>
          <div class="scroll"><table id="events-table"><thead><tr><th class="num">{{t.event}}</th><th>{{t.time}}</th><th>{{t.participant}}</th><th>{{t.code}}</th><th>{{t.line}}</th><th>{{t.equipment}}</th><th>{{t.productCode}}</th></tr></thead>
          <tbody id="events">{{#events}}<tr><td class="num">{{id}}</td><td>{{time}}</td><td>{{participant}}</td><td>{{code}}</td><td>{{line}}</td><td>{{equipment}}</td><td>{{product}}</td></tr>{{/events}}</tbody></table></div>
        </section>
        <section class="panel">
          <h2>{{t.lookupTitle}}</h2>
          <form method="post" action="/lookup" class="form-row" id="lookup-box">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <div><label for="code">{{t.code}}</label><input id="code" name="code" maxlength="600" required autocomplete="off" spellcheck="false"></div>
            <div><button id="find">{{t.find}}</button></div>
          </form>
          <p class="muted">{{t.lookupHint}}</p>
        </section>
        """

    static let chart = """
        {{{svg}}}{{^any}}<p class="muted" id="chart-empty">{{t.noActivations}}</p>{{/any}}
        """

    static let reports = """
        <h1>{{t.reportsTitle}}</h1>
        {{#error}}<div class="notice error" id="error">{{error}}</div>{{/error}}
        <form method="get" action="/reports" class="form-row no-print" id="month-form">
          <div><label for="month">{{t.month}}</label><input id="month" name="month" type="month" value="{{month}}" required pattern="[0-9]{4}-[0-9]{2}"></div>
          <div><button id="show">{{t.show}}</button></div>
        </form>
        <section class="panel mt">
          <div class="scroll"><table id="reports"><thead>
          <tr><th rowspan="2">{{t.bin}}</th><th rowspan="2">{{t.name}}</th><th colspan="3">{{t.app9}} · {{month}}</th><th colspan="5">{{t.app10}} · {{month}}</th></tr>
          <tr><th class="num">{{t.received}}</th><th class="num">{{t.activated}}</th><th></th>
              <th class="num">{{t.opening}}</th><th class="num">{{t.received}}</th><th class="num">{{t.used}}</th><th class="num">{{t.closing}}</th><th></th></tr>
          </thead><tbody>
          {{#rows}}<tr id="p-{{bin}}"><td>{{bin}}</td><td>{{name}}</td>
            <td class="num">{{app9.received}}</td><td class="num">{{app9.activated}}</td>
            <td><a href="/reports/app9?bin={{bin}}&amp;month={{month}}&amp;format=json">JSON</a> · <a href="/reports/app9?bin={{bin}}&amp;month={{month}}&amp;format=csv">CSV</a> · <a href="/reports/app9?bin={{bin}}&amp;month={{month}}&amp;format=html">{{t.printable}}</a></td>
            <td class="num">{{app10.opening}}</td><td class="num">{{app10.received}}</td><td class="num">{{app10.used}}</td><td class="num">{{app10.closing}}</td>
            <td><a href="/reports/app10?bin={{bin}}&amp;month={{month}}&amp;format=json">JSON</a> · <a href="/reports/app10?bin={{bin}}&amp;month={{month}}&amp;format=csv">CSV</a> · <a href="/reports/app10?bin={{bin}}&amp;month={{month}}&amp;format=html">{{t.printable}}</a></td></tr>{{/rows}}
          {{^rows}}<tr><td colspan="10" class="muted">{{t.noParticipants}}</td></tr>{{/rows}}
          </tbody></table></div>
        </section>
        <p class="muted">{{t.apiNote}} <code>GET /v1/reports/qr-activation?bin=…&amp;month={{month}}</code>, <code>GET /v1/reports/qr-usage?bin=…&amp;month={{month}}</code> (Accept: application/json, text/csv, text/html)</p>
        """

    static let lookup = """
        <h1>{{t.lookupTitle}}</h1>
        {{#error}}<div class="notice error" id="error">{{error}}</div>{{/error}}
        <form method="post" action="/lookup" class="form-row" id="lookup-box">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <div><label for="code">{{t.code}}</label><input id="code" name="code" value="{{code}}" maxlength="600" required autocomplete="off" spellcheck="false"></div>
          <div><button id="find">{{t.find}}</button></div>
        </form>
        <p class="muted">{{t.lookupHint}}</p>
        {{#info}}
        <section class="panel report mt">
        <dl id="code-info">
          <dt>{{t.code}}</dt><dd id="info-code">{{code}}</dd>
          <dt>{{t.status}}</dt><dd><span id="info-status" class="badge small-badge {{statusClass}}">{{status}}</span></dd>
          <dt>{{t.owner}}</dt><dd id="info-owner">{{owner}}</dd>
          <dt>{{t.stamp}}</dt><dd>{{stamp}}</dd>
          <dt>{{t.waybill}}</dt><dd>{{waybill}}</dd>
          <dt>{{t.issuedOn}}</dt><dd>{{issuedOn}}</dd>
          <dt>{{t.productName}}</dt><dd>{{productName}}</dd>
          {{#productCode}}<dt>{{t.productCode}}</dt><dd>{{productCode}}</dd>{{/productCode}}
          {{#activatedAt}}<dt>{{t.activatedAt}}</dt><dd id="info-activated">{{activatedAt}} ({{t.astanaTime}})</dd>{{/activatedAt}}
          {{#lineId}}<dt>{{t.line}}</dt><dd>{{lineId}}</dd>{{/lineId}}
          {{#equipmentId}}<dt>{{t.equipment}}</dt><dd>{{equipmentId}}</dd>{{/equipmentId}}
          {{#batchId}}<dt>{{t.batch}}</dt><dd>{{batchId}}</dd>{{/batchId}}
          {{#writtenOffAt}}<dt>{{t.writtenOffAt}}</dt><dd>{{writtenOffAt}} ({{t.astanaTime}})</dd>{{/writtenOffAt}}
          {{#writeOffReason}}<dt>{{t.writeOffReason}}</dt><dd>{{writeOffReason}}</dd>{{/writeOffReason}}
        </dl>
        </section>
        {{/info}}
        """

    static let login = """
        <section class="panel login">
          <h1>{{t.loginTitle}}</h1>
          {{#error}}<div class="notice error" id="error">{{error}}</div>{{/error}}
          <form method="post" action="/login" id="token-form">
            <input type="hidden" name="csrf" value="{{loginToken}}"><input type="hidden" name="next" value="{{next}}">
            <label for="token">{{t.loginWithToken}}</label><input id="token" name="token" type="password" autocomplete="off" required>
            <p><button id="login">{{t.signIn}}</button></p>
          </form>
          {{#users}}
          <form method="post" action="/login" id="password-form" class="mt">
            <input type="hidden" name="csrf" value="{{loginToken}}"><input type="hidden" name="next" value="{{next}}">
            <h2>{{t.loginWithPassword}}</h2>
            <label for="user">{{t.user}}</label><input id="user" name="user" autocomplete="username" required value="{{user}}">
            <label for="password">{{t.password}}</label><input id="password" name="password" type="password" autocomplete="current-password" required>
            <p><button id="login-password">{{t.signIn}}</button></p>
          </form>
          {{/users}}
          <p class="muted">{{t.participantToken}}</p>
        </section>
        """

    static let message = """
        <section class="panel"><div class="notice {{kind}}" id="message">{{text}}</div><p><a href="{{back}}">←</a></p></section>
        """
}

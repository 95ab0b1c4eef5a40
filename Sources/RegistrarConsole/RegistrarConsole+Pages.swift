import ConsoleKit
import Foundation
import HTTPTypes
import Hummingbird
import LineCore
import Logging
import QazAPI
import QazServer
import Synchronization

/// The last activations the overview lists, newest first, and the newest event id.
struct RecentActivations: Sendable {
    var latest: Int64 = 0
    var events: [ActivationEvent] = []
    var loaded = false
}

/// The chart's figures: activations per participant per hour over the last 24 hours.
struct ChartData: Sendable {
    /// The first hour's start (UTC milliseconds; Astana hours start at the same instants).
    var firstHour: Int64
    var hours: [HourlyActivations]
    var names: [TaxpayerID: String]
    var computedAt: Date
    /// The newest event id when the figures were read.
    var latestEvent: Int64

    static let hourMilliseconds: Int64 = 3_600_000

    var total: Int { hours.reduce(0) { $0 + $1.count } }
    var participants: Int { Set(hours.map(\.participant)).count }
    func count(hour index: Int) -> Int {
        let start = firstHour + Int64(index) * Self.hourMilliseconds
        return hours.filter { $0.hour.milliseconds == start }.reduce(0) { $0 + $1.count }
    }
    /// Changes whenever the figures were read again (the page then reloads the chart).
    var version: String { "\(latestEvent)-\(firstHour)" }
}

extension RegistrarConsole {
    // MARK: Overview

    func registerOverview(on router: Router<RegistrarContext>, server: RegistrarServer) {
        router.get("") { [self] request, _ in
            switch await reader(request, server: server) {
            case .refused(let response): return response
            case .granted(let viewer): return await overviewPage(viewer, server)
            }
        }
        router.get("console/live") { [self] request, _ in
            guard case .granted = await reader(request, server: server) else {
                return ConsoleResponse.error(.unauthorized, "sign in to the registrar console to see live activations")
            }
            return feed.response(first: await liveUpdate(fresh: true).event())
        }
        router.get("console/chart") { [self] request, _ in
            switch await reader(request, server: server) {
            case .refused: return ConsoleResponse.error(.unauthorized, "sign in to the registrar console to see the chart")
            case .granted(let viewer):
                let chart = await chartData(server)
                return shell.fragment("chart", context: chartContext(chart, viewer), viewer: viewer)
            }
        }
    }

    private func overviewPage(_ viewer: ConsoleShell.Viewer, _ server: RegistrarServer) async -> Response {
        let recent = await readRecent(server)
        let chart = await chartData(server, latest: recent.latest)
        let names = chart?.names ?? [:]
        var context: [String: Any] = [
            "total": ConsoleFormat.count(chart?.total ?? 0), "hour": ConsoleFormat.count(chart?.count(hour: 23) ?? 0),
            "participants": String(chart?.participants ?? 0), "latest": String(recent.latest),
            "lastAt": astana(recent.events.first?.activatedAt), "chartVersion": chart?.version ?? "-",
            "events": recent.events.map { event -> [String: Any] in
                ["id": String(event.id), "time": astana(event.activatedAt), "participant": Self.participant(event.participant, names),
                 "code": event.code, "line": event.lineId, "equipment": event.equipmentId, "product": event.productCode ?? "-"]
            },
        ]
        context["chartHTML"] = shell.render("chart", context: chartContext(chart, viewer), viewer: viewer)
        return shell.page("overview", title: "overviewTitle", context: context, viewer: viewer, active: "/", live: "/console/live")
    }

    func chartContext(_ chart: ChartData?, _ viewer: ConsoleShell.Viewer) -> [String: Any] {
        guard let chart else { return ["svg": "", "any": false] }
        let labels = (0..<24).map { index -> String in
            let start = Date(timeIntervalSince1970: Double(chart.firstHour + Int64(index) * ChartData.hourMilliseconds) / 1000)
            return String(format: "%02d", AstanaTime.components(of: start).hour)
        }
        // One series per participant, the busiest first; past seven, the rest together as "others" (eight colours).
        var totals: [TaxpayerID: Int] = [:]
        for row in chart.hours { totals[row.participant, default: 0] += row.count }
        let ranked = totals.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.rawValue < $1.key.rawValue }.map(\.key)
        let shown = ranked.count > 8 ? Array(ranked.prefix(7)) : ranked
        var series = shown.map { participant in
            SVGChart.Series(name: Self.participant(participant, chart.names), values: (0..<24).map { index in
                let start = chart.firstHour + Int64(index) * ChartData.hourMilliseconds
                return Double(chart.hours.filter { $0.participant == participant && $0.hour.milliseconds == start }.reduce(0) { $0 + $1.count })
            })
        }
        if ranked.count > shown.count {
            let rest = Set(ranked.dropFirst(shown.count))
            series.append(SVGChart.Series(name: shell.text("others", viewer), values: (0..<24).map { index in
                let start = chart.firstHour + Int64(index) * ChartData.hourMilliseconds
                return Double(chart.hours.filter { rest.contains($0.participant) && $0.hour.milliseconds == start }.reduce(0) { $0 + $1.count })
            }))
        }
        let svg = SVGChart.stackedBars(labels: labels, series: series, title: shell.text("activationsPerHour", viewer), width: 760,
                                       height: 260, labelEvery: 2)
        return ["svg": svg, "any": chart.total > 0]
    }

    /// The live update: the overview's figures and last activations, addressed by element id (the same for every
    /// viewer: the feed is shared, so it carries no language-dependent text).
    func liveUpdate(fresh: Bool) async -> LiveUpdate {
        var update = LiveUpdate()
        guard let server else { return update }
        let recent = fresh ? await readRecent(server) : recent.withLock { $0 }
        let chart = await chartData(server, latest: recent.latest)
        let names = chart?.names ?? [:]
        update.text["act-24h"] = ConsoleFormat.count(chart?.total ?? 0)
        update.text["act-hour"] = ConsoleFormat.count(chart?.count(hour: 23) ?? 0)
        update.text["act-participants"] = String(chart?.participants ?? 0)
        update.text["ev-latest"] = String(recent.latest)
        update.text["ev-last-at"] = astana(recent.events.first?.activatedAt)
        update.text["chart-version"] = chart?.version ?? "-"
        update.rows["events"] = recent.events.map { event in
            [LiveUpdate.Cell(String(event.id), class: "num"), LiveUpdate.Cell(astana(event.activatedAt)),
             LiveUpdate.Cell(Self.participant(event.participant, names)), LiveUpdate.Cell(event.code), LiveUpdate.Cell(event.lineId),
             LiveUpdate.Cell(event.equipmentId), LiveUpdate.Cell(event.productCode ?? "-")]
        }
        return update
    }

    /// The newest activations, read from storage (event ids have no gaps, so the last N are the N after latest − N).
    func readRecent(_ server: RegistrarServer) async -> RecentActivations {
        do {
            let latest = try await server.store.latestActivationEventID()
            let events = latest == 0 ? [] : try await server.store.activations(
                after: max(0, latest - Int64(Self.eventCount)), participant: nil, limit: Self.eventCount)
            return RecentActivations(latest: latest, events: events.reversed(), loaded: true)
        } catch {
            logger.error("console: cannot read the last activations", metadata: ["error.message": "\(error)"])
            return recent.withLock { $0 }
        }
    }

    /// Keeps ``recent`` current: woken in process by every commit with activations (and every 2 s, for other server
    /// processes on a shared PostgreSQL), it reads storage only when the newest event id changed.
    func watchActivations() async {
        while server == nil, !Task.isCancelled { try? await Task.sleep(for: .milliseconds(100)) }
        guard let server else { return }
        await server.activationFeed.watch(every: .seconds(2)) { [self] in
            guard let latest = try? await server.store.latestActivationEventID() else { return }
            let known = recent.withLock { $0.loaded ? $0.latest : -1 }
            guard latest != known else { return }
            let fresh = await readRecent(server)
            recent.withLock { $0 = fresh }
        }
    }

    /// The chart's figures, read again when older than `chartRefresh` and newer activations exist, or when the hour
    /// turned; nil when storage fails and nothing was read before.
    func chartData(_ server: RegistrarServer, latest: Int64? = nil) async -> ChartData? {
        let time = now()
        let currentHour = Int64(time.timeIntervalSince1970 * 1000) / ChartData.hourMilliseconds * ChartData.hourMilliseconds
        let firstHour = currentHour - 23 * ChartData.hourMilliseconds
        let refresh = Double(chartRefresh.components.seconds) + Double(chartRefresh.components.attoseconds) / 1e18
        if let cached = chartCache.withLock({ $0 }), cached.firstHour == firstHour,
           latest.map({ $0 == cached.latestEvent }) ?? true || time.timeIntervalSince(cached.computedAt) < refresh {
            return cached
        }
        do {
            let latestEvent = try await server.store.latestActivationEventID()
            let hours = try await server.store.activationsPerHour(
                from: Timestamp(milliseconds: firstHour), to: Timestamp(milliseconds: currentHour + ChartData.hourMilliseconds))
            var names: [TaxpayerID: String] = [:]
            for participant in try await server.store.participants() { names[participant.participant] = participant.name }
            let data = ChartData(firstHour: firstHour, hours: hours, names: names, computedAt: time, latestEvent: latestEvent)
            chartCache.withLock { $0 = data }
            return data
        } catch {
            logger.error("console: cannot read activations per hour", metadata: ["error.message": "\(error)"])
            return chartCache.withLock { $0 }
        }
    }

    // MARK: Reports

    func registerReports(on router: Router<RegistrarContext>, server: RegistrarServer) {
        router.get("reports") { [self] request, _ in
            switch await reader(request, server: server) {
            case .refused(let response): return response
            case .granted(let viewer):
                let current = ReportingMonth.containing(now())
                guard let text = request.uri.queryParameters["month"].map(String.init), !text.isEmpty else {
                    return await reportsPage(viewer, server, month: current, error: nil, status: .ok)
                }
                guard let month = ReportingMonth(text) else {
                    let error = shell.text("badMonth", viewer).replacingOccurrences(of: "%@", with: String(text.prefix(40)))
                    return await reportsPage(viewer, server, month: current, error: error, status: .badRequest)
                }
                return await reportsPage(viewer, server, month: month, error: nil, status: .ok)
            }
        }
        // The App. 9/10 forms for a signed-in session: the same report code as `GET /v1/reports/…` (ReportService,
        // ReportRenderer), which needs a bearer token a browser does not have.
        router.get("reports/:form") { [self] request, context in
            switch await reader(request, server: server) {
            case .refused(let response): return response
            case .granted:
                let form = context.parameters.get("form") ?? ""
                guard form == "app9" || form == "app10" else {
                    return ConsoleResponse.error(.notFound, "there is no report form \"\(form.prefix(40))\": app9 or app10")
                }
                let query = request.uri.queryParameters
                guard let bin = query["bin"].flatMap({ TaxpayerID(String($0)) }) else {
                    return ConsoleResponse.error(.badRequest, "bin: expected an IIN/BIN of 12 digits with a valid check digit")
                }
                guard let month = query["month"].flatMap({ ReportingMonth(String($0)) }) else {
                    return ConsoleResponse.error(.badRequest, "month: expected a month YYYY-MM")
                }
                let formatText = query["format"].map(String.init) ?? "html"
                guard let format = ReportFormat(rawValue: formatText) else {
                    return ConsoleResponse.error(.badRequest, "format: expected json, csv or html")
                }
                let service = ReportService(store: server.store)
                let bytes: [UInt8], filename: String
                do {
                    if form == "app9" {
                        bytes = try ReportRenderer.render(try await service.activation(participant: bin, month: month), as: format)
                        filename = "app9-qr-activation-\(bin)-\(month)"
                    } else {
                        bytes = try ReportRenderer.render(try await service.usage(participant: bin, month: month), as: format)
                        filename = "app10-qr-usage-\(bin)-\(month)"
                    }
                } catch {
                    logger.error("console: report failed", metadata: ["error.message": "\(error)"])
                    return ConsoleResponse.error(.serviceUnavailable, "the registrar's storage did not answer; try again")
                }
                return Self.reportResponse(bytes, format: format, filename: filename)
            }
        }
    }

    /// A report form as the API answers it; the printable form keeps its own inline style sheet, so its policy allows
    /// inline styles (and nothing else: no script, no other source).
    static func reportResponse(_ bytes: [UInt8], format: ReportFormat, filename: String) -> Response {
        var headers = ConsoleResponse.securityHeaders
        headers[.contentType] = format.contentType
        switch format {
        case .csv: headers[.contentDisposition] = "attachment; filename=\"\(filename).csv\""
        case .html:
            headers[HTTPField.Name("Content-Security-Policy")!] =
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
        case .json: break
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private func reportsPage(_ viewer: ConsoleShell.Viewer, _ server: RegistrarServer, month: ReportingMonth, error: String?,
                             status: HTTPResponse.Status) async -> Response {
        let service = ReportService(store: server.store)
        var rows: [[String: Any]] = []
        var failure = error
        do {
            for participant in try await server.store.participants() {
                let usage = try await service.usage(participant: participant.participant, month: month)
                let activation = try await service.activation(participant: participant.participant, month: month)
                rows.append([
                    "bin": participant.participant.rawValue, "name": participant.name ?? "",
                    "app9": ["received": ConsoleFormat.count(activation.received), "activated": ConsoleFormat.count(activation.activated)],
                    "app10": ["opening": ConsoleFormat.count(usage.openingBalance), "received": ConsoleFormat.count(usage.received),
                              "used": ConsoleFormat.count(usage.used), "closing": ConsoleFormat.count(usage.closingBalance)],
                ])
            }
        } catch {
            logger.error("console: reports failed", metadata: ["error.message": "\(error)"])
            failure = shell.text("storageFailure", viewer)
        }
        // Every row's links carry the month (the template reads `month` from the page's context).
        var context: [String: Any] = ["month": month.description, "rows": rows]
        if let failure { context["error"] = failure }
        return shell.page("reports", title: "reportsTitle", context: context, viewer: viewer, active: "/reports",
                          status: failure != nil && status == .ok ? .serviceUnavailable : status)
    }

    // MARK: Code look-up

    func registerLookup(on router: Router<RegistrarContext>, server: RegistrarServer) {
        router.get("lookup") { [self] request, _ in
            switch await reader(request, server: server) {
            case .refused(let response): return response
            case .granted(let viewer):
                return shell.page("lookup", title: "lookupTitle", context: ["code": ""], viewer: viewer, active: "/lookup")
            }
        }
        // A post (not a query string), so that codes stay out of URLs, browser history and proxies' logs.
        router.post("lookup") { [self] request, _ in
            switch await poster(request, server: server) {
            case .refused(let response): return response
            case .granted(let (viewer, _, form)):
                return await lookUp(form["code"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "", viewer: viewer, server: server)
            }
        }
    }

    private func lookUp(_ text: String, viewer: ConsoleShell.Viewer, server: RegistrarServer) async -> Response {
        let rules = server.rules
        func page(error: String, status: HTTPResponse.Status, echo: String = text) -> Response {
            shell.page("lookup", title: "lookupTitle", context: ["code": echo, "error": error], viewer: viewer, active: "/lookup", status: status)
        }
        if text.isEmpty { return page(error: shell.text("emptyCode", viewer), status: .badRequest) }
        if text.utf8.count > rules.maxPayloadBytes {
            return page(error: shell.text("codeTooLong", viewer).replacingOccurrences(of: "%@", with: String(rules.maxPayloadBytes)),
                        status: .badRequest, echo: String(text.prefix(80)))
        }
        let code: StampCode
        switch rules.parse(text) {
        case .success(let parsed): code = parsed
        case .failure(let why):
            let shown = text.count > 80 ? String(text.prefix(80)) + "…" : text
            let error = Self.fill(shell.text("notACode", viewer), shown, "\(why.code): \(why)") ?? "\(why)"
            return page(error: error, status: .badRequest)
        }
        let info: CodeInfo?
        do { info = try await server.store.code(code) } catch {
            logger.error("console: code look-up failed", metadata: ["error.message": "\(error)"])
            return page(error: shell.text("storageFailure", viewer), status: .serviceUnavailable)
        }
        guard let info else {
            return page(error: shell.text("codeUnknown", viewer).replacingOccurrences(of: "%@", with: code.rawValue), status: .notFound)
        }
        let name = try? await server.store.participantName(info.owner)
        let details: [String: Any?] = [
            "code": info.code, "status": shell.text("status.\(info.status.rawValue)", viewer), "statusClass": Self.statusClass(info.status),
            "owner": info.owner.rawValue + ((name ?? nil).map { " · " + $0 } ?? ""),
            "stamp": "\(info.series.rawValue) \(info.number.value)", "waybill": info.waybillNumber, "issuedOn": info.issuedOn.description,
            "productName": info.productName, "productCode": info.productCode, "activatedAt": info.activatedAt.map { astana($0) },
            "lineId": info.lineId, "equipmentId": info.equipmentId, "batchId": info.batchId?.uuidString.lowercased(),
            "writtenOffAt": info.writtenOffAt.map { astana($0) }, "writeOffReason": info.writeOffReason,
        ]
        return shell.page("lookup", title: "lookupTitle", context: ["code": text, "info": details.compactMapValues { $0 }], viewer: viewer,
                          active: "/lookup")
    }

    // MARK: Formatting

    /// Fills the `%@` of a text in order.
    static func fill(_ template: String, _ values: String...) -> String? {
        var out = "", rest = Substring(template), index = 0
        while let range = rest.range(of: "%@") {
            guard index < values.count else { return nil }
            out += rest[..<range.lowerBound] + values[index]
            index += 1
            rest = rest[range.upperBound...]
        }
        return out + rest
    }

    static func statusClass(_ status: CodeStatus) -> String {
        switch status {
        case .activated: "ok"
        case .writtenOff: "bad"
        default: "warn"
        }
    }

    static func participant(_ bin: TaxpayerID, _ names: [TaxpayerID: String]) -> String {
        names[bin].map { "\(bin) · \($0)" } ?? bin.rawValue
    }

}

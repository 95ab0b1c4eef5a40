import ConsoleKit
import CounterfeitAnalytics
import Foundation
import HTTPTypes
import Hummingbird
import LineCore
import Logging
import QazAPI
import QazServer

/// The counterfeits page's filters, as its GET form sends them (a query string, so that a filtered view can be
/// bookmarked and sent to a colleague).
struct AlertFilter: Sendable {
    var kind: AlertKind?
    /// One of `KazakhstanRegions.names` or `abroad` (what the store keeps and the API accepts).
    var region: String?
    var from: CalendarDate?
    var to: CalendarDate?
    /// The date fields as typed (echoed in the form, also when wrong).
    var fromText = ""
    var toText = ""
    /// The code field as typed; and what the store matches: the stamp code of a code or a QR link, other text as is
    /// (an `unknownScanned` alert may carry text that is no code of ours).
    var codeText = ""
    var code: String?
    /// The page's cursor: alerts with smaller ids.
    var before: Int64?

    static let pageSize = 50
    /// The map's period when none is chosen, and the form's first period, in days up to today.
    static let defaultDays = 30

    /// The start of an Astana calendar day.
    static func start(of day: CalendarDate) -> Timestamp {
        let days = CivilDateTime.daysFromCivil(year: day.year, month: day.month, day: day.day)
        return Timestamp(milliseconds: (Int64(days) * 86_400 - Int64(AstanaTime.utcOffsetSeconds)) * 1000)
    }

    /// The Astana day `offset` days from `day`.
    static func day(_ day: CalendarDate, plus offset: Int) -> CalendarDate {
        let civil = CivilDateTime.civilFromDays(CivilDateTime.daysFromCivil(year: day.year, month: day.month, day: day.day) + offset)
        return CalendarDate(String(format: "%04d-%02d-%02d", civil.year, civil.month, civil.day))!
    }

    static func today(_ now: Date) -> CalendarDate {
        let civil = AstanaTime.components(of: now)
        return CalendarDate(String(format: "%04d-%02d-%02d", civil.year, civil.month, civil.day))!
    }

    /// The list's bounds: from the first day's start to the last day's end (each end open when not chosen).
    var fromInstant: Timestamp? { from.map(Self.start(of:)) }
    var toInstant: Timestamp? { to.map { Self.start(of: Self.day($0, plus: 1)) } }

    /// The map's days: the chosen period, an open end filled from the last `defaultDays` days up to today.
    func mapPeriod(today: CalendarDate) -> (from: CalendarDate, to: CalendarDate) {
        let last = to ?? today
        return (from ?? Self.day(last, plus: -(Self.defaultDays - 1)), last)
    }

    /// The filters as a query string for links (the dates always, even empty: "no period" is a choice).
    func query(region override: String? = nil, before cursor: Int64? = nil) -> String {
        var pairs: [(String, String)] = []
        if let kind { pairs.append(("kind", kind.rawValue)) }
        if let region = override ?? region { pairs.append(("region", region)) }
        pairs.append(("from", from?.description ?? ""))
        pairs.append(("to", to?.description ?? ""))
        if !codeText.isEmpty { pairs.append(("code", codeText)) }
        if let cursor { pairs.append(("before", String(cursor))) }
        return pairs.map { "\($0.0)=\(Self.encode($0.1))" }.joined(separator: "&")
    }

    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

extension RegistrarConsole {
    // MARK: Counterfeits

    /// `GET /alerts` (the page), `/console/alerts` and `/console/alerts/map` (its list and its map, which the page's
    /// script fetches again when a new alert comes), `/console/alerts/live` (server-sent events: the newest alert).
    func registerCounterfeits(on router: Router<RegistrarContext>, server: RegistrarServer) {
        router.get("alerts") { [self] request, _ in
            switch await reader(request, server: server) {
            case .refused(let response): return response
            case .granted(let viewer): return await counterfeitsPage(request, viewer, server)
            }
        }
        router.get("console/alerts") { [self] request, _ in
            guard case .granted(let viewer) = await reader(request, server: server) else {
                return ConsoleResponse.error(.unauthorized, "sign in to the registrar console to see counterfeit alerts")
            }
            let (filter, error) = alertFilter(request, viewer, server)
            if let error { return ConsoleResponse.error(.badRequest, error) }
            guard let store = server.store as? any RetailStore else { return ConsoleResponse.error(.notImplemented, shell.text("noRetail", viewer)) }
            let fresh = request.uri.queryParameters["fresh"].flatMap { Int64(String($0)) } ?? .max
            do {
                return shell.fragment("alertList", context: try await alertListContext(filter, store, server, viewer, fresh: fresh), viewer: viewer)
            } catch {
                logger.error("console: cannot read counterfeit alerts", metadata: ["error.message": "\(error)"])
                return ConsoleResponse.error(.serviceUnavailable, shell.text("storageFailure", viewer))
            }
        }
        router.get("console/alerts/map") { [self] request, _ in
            guard case .granted(let viewer) = await reader(request, server: server) else {
                return ConsoleResponse.error(.unauthorized, "sign in to the registrar console to see the scan map")
            }
            let (filter, error) = alertFilter(request, viewer, server)
            if let error { return ConsoleResponse.error(.badRequest, error) }
            guard let store = server.store as? any RetailStore else { return ConsoleResponse.error(.notImplemented, shell.text("noRetail", viewer)) }
            do {
                return shell.fragment("alertMap", context: try await alertMapContext(filter, store, viewer), viewer: viewer)
            } catch {
                logger.error("console: cannot read the scan report", metadata: ["error.message": "\(error)"])
                return ConsoleResponse.error(.serviceUnavailable, shell.text("storageFailure", viewer))
            }
        }
        router.get("console/alerts/live") { [self] request, _ in
            guard case .granted = await reader(request, server: server) else {
                return ConsoleResponse.error(.unauthorized, "sign in to the registrar console to follow counterfeit alerts")
            }
            return alertFeed.response(first: await alertUpdate().event())
        }
    }

    private func counterfeitsPage(_ request: Request, _ viewer: ConsoleShell.Viewer, _ server: RegistrarServer) async -> Response {
        let (filter, error) = alertFilter(request, viewer, server)
        var context: [String: Any] = ["form": formContext(filter, viewer), "ready": false]
        func page(_ status: HTTPResponse.Status) -> Response {
            shell.page("counterfeits", title: "counterfeitsTitle", context: context, viewer: viewer, active: "/alerts",
                       live: status == .ok ? "/console/alerts/live" : nil, status: status)
        }
        if let error {
            context["error"] = error
            return page(.badRequest)
        }
        guard let store = server.store as? any RetailStore else {
            context["error"] = shell.text("noRetail", viewer)
            return page(.notImplemented)
        }
        do {
            let newest = try await store.alerts(AlertQuery(limit: 1)).items.first
            let latest = newest?.id ?? 0
            let list = try await alertListContext(filter, store, server, viewer, fresh: latest)
            let map = try await alertMapContext(filter, store, viewer)
            context["ready"] = true
            context["latest"] = String(latest)
            context["lastAt"] = astana(newest?.at)
            context["follow"] = filter.before == nil
            context["listURL"] = "/console/alerts?" + filter.query(before: filter.before) + "&fresh=\(latest)"
            context["mapURL"] = "/console/alerts/map?" + filter.query()
            context["listHTML"] = shell.render("alertList", context: list, viewer: viewer)
            context["mapHTML"] = shell.render("alertMap", context: map, viewer: viewer)
        } catch {
            logger.error("console: cannot read counterfeit alerts", metadata: ["error.message": "\(error)"])
            context["error"] = shell.text("storageFailure", viewer)
            return page(.serviceUnavailable)
        }
        return page(.ok)
    }

    /// The live update of the counterfeits page: the newest alert's id and time (the same for every viewer; a page
    /// fetches its own filtered list again when the id changes).
    func alertUpdate() async -> LiveUpdate {
        var update = LiveUpdate()
        guard let server, let store = server.store as? any RetailStore else { return update }
        do {
            let newest = try await store.alerts(AlertQuery(limit: 1)).items.first
            update.text["alerts-latest"] = String(newest?.id ?? 0)
            update.text["alerts-last-at"] = astana(newest?.at)
        } catch {
            logger.error("console: cannot read the newest alert", metadata: ["error.message": "\(error)"])
        }
        return update
    }

    // MARK: Filters

    /// The request's filters, and the first thing wrong with them (a sentence for the page) when something is.
    func alertFilter(_ request: Request, _ viewer: ConsoleShell.Viewer, _ server: RegistrarServer) -> (AlertFilter, String?) {
        let query = request.uri.queryParameters
        func value(_ key: String) -> String? { query[Substring(key)].map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) } }
        func shown(_ text: String) -> String { text.count > 80 ? String(text.prefix(80)) + "…" : text }
        var filter = AlertFilter()
        var error: String?
        func fail(_ key: String, _ values: String...) {
            guard error == nil else { return }
            var text = shell.text(key, viewer)
            for value in values {
                guard let range = text.range(of: "%@") else { break }
                text.replaceSubrange(range, with: value)
            }
            error = text
        }

        if query["from"] == nil, query["to"] == nil {
            // A first visit (or a link without dates): the last 30 days.
            let today = AlertFilter.today(now())
            filter.to = today
            filter.from = AlertFilter.day(today, plus: -(AlertFilter.defaultDays - 1))
            filter.fromText = filter.from!.description
            filter.toText = today.description
        } else {
            for (key, label) in [("from", "from"), ("to", "to")] {
                let text = value(key) ?? ""
                if key == "from" { filter.fromText = text } else { filter.toText = text }
                guard !text.isEmpty else { continue }
                guard let date = CalendarDate(text) else {
                    fail("badDate", shell.text(label, viewer), shown(text))
                    continue
                }
                if key == "from" { filter.from = date } else { filter.to = date }
            }
            if let from = filter.from, let to = filter.to, to < from { fail("badPeriod") }
        }
        if let text = value("kind"), !text.isEmpty {
            if let kind = AlertKind(rawValue: text) { filter.kind = kind } else { fail("badKind", shown(text)) }
        }
        if let text = value("region"), !text.isEmpty {
            if Self.filterRegions.contains(text) { filter.region = text } else { fail("badRegion", shown(text)) }
        }
        if let text = value("code"), !text.isEmpty {
            filter.codeText = String(text.prefix(server.rules.maxPayloadBytes))
            if text.utf8.count > server.rules.maxPayloadBytes {
                fail("codeTooLong", String(server.rules.maxPayloadBytes))
            } else if case .success(let code) = server.rules.parse(text) {
                filter.code = code.rawValue
            } else {
                filter.code = text
            }
        }
        if let text = value("before"), !text.isEmpty {
            if let cursor = Int64(text), cursor > 0 { filter.before = cursor } else { fail("badCursor", shown(text)) }
        }
        return (filter, error)
    }

    /// The regions the filter offers: those the analytics name inside Kazakhstan, and abroad.
    static let filterRegions: [String] = KazakhstanRegions.names + [KazakhstanRegions.abroad]

    private func formContext(_ filter: AlertFilter, _ viewer: ConsoleShell.Viewer) -> [String: Any] {
        [
            "kinds": AlertKind.allCases.map { kind -> [String: Any] in
                ["value": kind.rawValue, "label": shell.text("kind.\(kind.rawValue)", viewer), "selected": filter.kind == kind]
            },
            "regions": Self.filterRegions.map { region -> [String: Any] in
                ["value": region, "label": regionName(region, viewer), "selected": filter.region == region]
            },
            "from": filter.fromText, "to": filter.toText, "code": filter.codeText,
        ]
    }

    // MARK: The list

    func alertListContext(_ filter: AlertFilter, _ store: any RetailStore, _ server: RegistrarServer, _ viewer: ConsoleShell.Viewer,
                          fresh: Int64) async throws -> [String: Any] {
        // One more than a page: the next page exists only when it is there.
        let query = AlertQuery(kind: filter.kind, code: filter.code, region: filter.region, from: filter.fromInstant, to: filter.toInstant,
                               before: filter.before, limit: AlertFilter.pageSize + 1)
        let found = try await store.alerts(query).items
        let items = Array(found.prefix(AlertFilter.pageSize))
        var names: [TaxpayerID: String] = [:]
        if items.contains(where: { $0.producer != nil }) {
            for participant in try await server.store.participants() { names[participant.participant] = participant.name }
        }
        var context: [String: Any] = [
            "any": !items.isEmpty,
            "alerts": items.map { alertContext($0, names: names, viewer: viewer, fresh: fresh) },
        ]
        if filter.before != nil { context["newerURL"] = "/alerts?" + filter.query() }
        if found.count > AlertFilter.pageSize, let last = items.last { context["olderURL"] = "/alerts?" + filter.query(before: last.id) }
        return context
    }

    private func alertContext(_ alert: CounterfeitAlert, names: [TaxpayerID: String], viewer: ConsoleShell.Viewer, fresh: Int64) -> [String: Any] {
        let evidence = alert.evidence
        var facts: [String] = []
        switch alert.kind {
        case .impossibleTravel:
            let km = Self.decimal(evidence.distanceKm ?? 0, places: 1)
            if let speed = evidence.speedKmh {
                // The time between from the scans themselves: `hours` is rounded to 0.001 h, and copies are often
                // scanned seconds apart.
                let scans = evidence.scans.map(\.at.milliseconds)
                let span = scans.count >= 2 ? (scans.max()! - scans.min()!) : Int64(((evidence.hours ?? 0) * 3_600_000).rounded())
                facts.append(Self.fill(shell.text("travelEvidence", viewer), km, elapsed(span, viewer), Self.grouped(speed),
                                       Self.grouped(evidence.maxSpeedKmh ?? 0)) ?? "")
            } else {
                facts.append(Self.fill(shell.text("sameMoment", viewer), km) ?? "")
            }
        case .frequentScans:
            if let count = evidence.count {
                facts.append(Self.fill(shell.text("frequentEvidence", viewer), ConsoleFormat.count(count),
                                       Self.decimal(evidence.windowHours ?? 0, places: 1)) ?? "")
            }
        case .redeemedScanned:
            if let at = evidence.redeemedAt { facts.append(Self.fill(shell.text("redeemedEvidence", viewer), astana(at)) ?? "") }
        case .unknownScanned, .notActivatedScanned:
            break
        }
        return [
            "id": String(alert.id), "time": astana(alert.at), "kind": alert.kind.rawValue,
            "kindText": shell.text("kind.\(alert.kind.rawValue)", viewer), "code": alert.code,
            "region": alert.region.map { regionName($0, viewer) } ?? shell.text("region.unknown", viewer),
            "producer": alert.producer.map { Self.participant($0, names) } ?? "—", "message": alert.message, "new": alert.id > fresh,
            "scanCount": evidence.scans.count == 1 ? shell.text("oneScan", viewer)
                : Self.fill(shell.text("scansCount", viewer), String(evidence.scans.count)) ?? "", "facts": facts,
            "scans": evidence.scans.map { scan -> [String: Any] in
                ["time": astana(scan.at), "verdict": shell.text("verdict.\(scan.verdict.rawValue)", viewer),
                 "place": Self.place(scan.location) ?? shell.text("noLocation", viewer),
                 "region": scan.region.map { regionName($0, viewer) } ?? "—"]
            },
        ]
    }

    // MARK: The map

    func alertMapContext(_ filter: AlertFilter, _ store: any RetailStore, _ viewer: ConsoleShell.Viewer) async throws -> [String: Any] {
        let period = filter.mapPeriod(today: AlertFilter.today(now()))
        let report = try await store.scanReport(from: AlertFilter.start(of: period.from), to: AlertFilter.start(of: AlertFilter.day(period.to, plus: 1)))
        var rows: [String: RegionScanRow] = [:]
        for row in report.regions { rows[row.region] = row }
        func alerts(_ row: RegionScanRow?) -> Int { row?.alerts.values.reduce(0, +) ?? 0 }

        let most = KazakhstanMapGeometry.centres.map { rows[$0.name]?.scans ?? 0 }.max() ?? 0
        var radii: [String: Double] = [:]
        let points = KazakhstanMapGeometry.centres.map { centre -> (radius: Double, context: [String: Any]) in
            let row = rows[centre.name]
            let scans = row?.scans ?? 0, count = alerts(row)
            let (x, y) = CounterfeitMap.project(latitude: centre.latitude, longitude: centre.longitude)
            let radius = CounterfeitMap.radius(scans: scans, most: most)
            radii["\(centre.latitude),\(centre.longitude)"] = radius
            return (radius, [
                "name": centre.name, "x": CounterfeitMap.number(x), "y": CounterfeitMap.number(y), "r": CounterfeitMap.number(radius),
                "level": String(CounterfeitMap.level(alerts: count)), "empty": scans == 0, "scans": String(scans), "alerts": String(count),
                "href": "/alerts?" + filter.query(region: centre.name),
                "title": Self.fill(shell.text("pointTitle", viewer), regionName(centre.name, viewer), ConsoleFormat.count(scans),
                                   ConsoleFormat.count(count)) ?? centre.name,
            ])
        }
        // The big circles first, so that a small one next to a big one stays visible (and clickable) on top.
        .sorted { $0.radius > $1.radius }.map(\.context)

        let labels = KazakhstanMapGeometry.cities.map { city -> [String: Any] in
            let (x, y) = CounterfeitMap.project(latitude: city.latitude, longitude: city.longitude)
            let gap = (radii["\(city.latitude),\(city.longitude)"] ?? CounterfeitMap.emptyRadius) + 3
            let (lx, ly, anchor): (Double, Double, String) = switch city.placement {
            case .right: (x + gap, y + 4, "start")
            case .left: (x - gap, y + 4, "end")
            case .below: (x, y + gap + 10, "middle")
            case .above: (x, y - gap - 3, "middle")
            }
            let name = switch viewer.language {
            case .en: city.en
            case .ru: city.ru
            case .kk: city.kk
            }
            return ["name": name, "x": CounterfeitMap.number(lx), "y": CounterfeitMap.number(ly), "anchor": anchor, "capital": city.capital]
        }
        let legend = CounterfeitMap.levelRanges.enumerated().map { level, range -> [String: Any] in
            ["level": String(level), "y": String(20 + level * 20), "ty": String(24 + level * 20),
             "label": level == 0 ? shell.text("legendNone", viewer) : Self.fill(shell.text("legendAlerts", viewer), range) ?? range]
        }

        let verdicts = VerifyVerdict.allCases
        let tableRows = report.regions.map { row -> [String: Any] in
            let linked = Self.filterRegions.contains(row.region)
            return [
                "key": row.region, "name": regionName(row.region, viewer), "linked": linked,
                "href": linked ? "/alerts?" + filter.query(region: row.region) : "",
                "scans": ConsoleFormat.count(row.scans), "alerts": ConsoleFormat.count(alerts(row)),
                "byVerdict": verdicts.map { ConsoleFormat.count(row.verdicts[$0.rawValue] ?? 0) },
                "chips": AlertKind.allCases.compactMap { kind -> [String: Any]? in
                    guard let count = row.alerts[kind.rawValue], count > 0 else { return nil }
                    return ["kind": kind.rawValue, "text": shell.text("kind.\(kind.rawValue)", viewer), "count": ConsoleFormat.count(count)]
                },
            ]
        }
        var context: [String: Any] = [
            "width": CounterfeitMap.number(CounterfeitMap.width), "height": CounterfeitMap.number(CounterfeitMap.height),
            "outline": CounterfeitMap.outlinePath, "points": points, "labels": labels, "legend": legend,
            "caption": Self.fill(shell.text("periodCaption", viewer), period.from.description, period.to.description) ?? "",
            "defaultPeriod": filter.from == nil,
            "totalScans": ConsoleFormat.count(report.totalScans), "totalAlerts": ConsoleFormat.count(report.totalAlerts),
            "verdicts": verdicts.map { shell.text("verdict.\($0.rawValue)", viewer) },
            "totalByVerdict": verdicts.map { verdict in ConsoleFormat.count(report.regions.reduce(0) { $0 + ($1.verdicts[verdict.rawValue] ?? 0) }) },
            "rows": tableRows, "anyRows": !tableRows.isEmpty,
            "offMap": report.regions.contains { !KazakhstanRegions.names.contains($0.region) },
            "kindLegend": AlertKind.allCases.map { ["kind": $0.rawValue, "text": shell.text("kind.\($0.rawValue)", viewer)] },
        ]
        if most > 0 {
            context["sizeNote"] = Self.fill(shell.text("legendSize", viewer), ConsoleFormat.count(most)) ?? ""
        }
        return context
    }

    // MARK: Words

    /// A region's name in the viewer's language; a name the texts do not know (never one the analytics give) as it is.
    func regionName(_ region: String, _ viewer: ConsoleShell.Viewer) -> String {
        let key = "region." + region
        let text = shell.text(key, viewer)
        return text == key ? region : text
    }

    /// `under a second`, `40 s`, `12 min`, `3.5 h`.
    func elapsed(_ milliseconds: Int64, _ viewer: ConsoleShell.Viewer) -> String {
        switch milliseconds {
        case ..<1000: shell.text("underASecond", viewer)
        case ..<60_000: Self.fill(shell.text("seconds", viewer), String(milliseconds / 1000)) ?? ""
        case ..<3_600_000: Self.fill(shell.text("minutes", viewer), String(Int((Double(milliseconds) / 60_000).rounded()))) ?? ""
        default: Self.fill(shell.text("hours", viewer), Self.decimal(Double(milliseconds) / 3_600_000, places: 1)) ?? ""
        }
    }

    /// A whole number with thin spaces between thousands (`1 743 697 240`).
    static func grouped(_ value: Double) -> String {
        guard value.isFinite, abs(value) < 1e15 else { return "—" }
        return ConsoleFormat.count(Int(value.rounded()))
    }

    /// `43.2389, 76.8897 ±25 m`.
    static func place(_ location: ScanLocation?) -> String? {
        guard let location else { return nil }
        let point = String(format: "%.4f, %.4f", location.latitude, location.longitude)
        guard let accuracy = location.accuracy else { return point }
        return point + " ±" + decimal(accuracy, places: 0) + " m"
    }

    /// A number with at most `places` decimals, without trailing zeros.
    static func decimal(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "—" }
        var text = String(format: "%.\(places)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }
}

import AgentRuntime
import ConsoleKit
import Foundation
import Hummingbird
import LineConfig
import LineCore
import Outbox

extension AgentConsole {
    /// Cases and pallets: each case station's figures, the newest cases with their reasons, a case's contents, and
    /// dissolving a case (rework) or a pallet — operators and engineers, recorded in the audit log and sent to the
    /// registrar when it knew the unit (what `lineagent case|pallet` do).
    func registerCases(on router: Router<BasicRequestContext>, view: AgentView) {
        router.get("cases") { [self] request, _ in
            switch reader(request) {
            case .refused(let response): return response
            case .granted(let viewer):
                let status = request.uri.queryParameters.get("status").flatMap { ["packed", "rejected", "dissolved"].contains($0) ? $0 : nil }
                return await casesPage(view, viewer, status: status, notice: nil, error: nil, httpStatus: .ok)
            }
        }
        router.get("cases/:ref") { [self] request, context in
            switch reader(request) {
            case .refused(let response): return response
            case .granted(let viewer):
                // Route parameters arrive percent-encoded: a case with no code yet is linked as `/cases/%23<id>`.
                let raw = context.parameters.get("ref") ?? ""
                let reference = raw.removingPercentEncoding ?? raw
                guard reference.count <= 200, let found = try? await view.store.cases(code: reference), let item = found.first else {
                    return message(viewer, text: shell.text("caseUnknown", viewer) + " " + String(reference.prefix(64)), status: .notFound, back: "/cases")
                }
                return casePage(viewer, item, pallets: [])
            }
        }
        router.post("cases/dissolve") { [self] request, _ in
            switch await actor(request) {
            case .refused(let response): return response
            case .granted(let (viewer, session, form)):
                guard let reference = form.text("case"), reference.count <= 200 else {
                    return await casesPage(view, viewer, status: nil, notice: nil, error: "case: give a case code, #id or a bottle's code", httpStatus: .badRequest)
                }
                let reason = form.text("reason") ?? "rework"
                if reason.count > 150 || reason.contains(where: \.isNewline) {
                    return await casesPage(view, viewer, status: nil, notice: nil, error: "reason: one line of at most 150 characters", httpStatus: .badRequest)
                }
                do {
                    let item = try await view.store.dissolveCase(reference, by: session.user.name, reason: reason)
                    return await casesPage(view, viewer, status: nil,
                                           notice: "dissolved case \(item.code ?? "#\(item.id)"): \(item.contents.count) bottle code(s) released for re-packing",
                                           error: nil, httpStatus: .ok)
                } catch {
                    return await casesPage(view, viewer, status: nil, notice: nil, error: "\(error)", httpStatus: .conflict)
                }
            }
        }
        router.post("pallets/build") { [self] request, _ in
            switch await actor(request) {
            case .refused(let response): return response
            case .granted(let (viewer, session, form)):
                func refuse(_ message: String) async -> Response {
                    await casesPage(view, viewer, status: nil, notice: nil, error: message, httpStatus: .badRequest)
                }
                guard let (line, station) = view.plan.configuration.lines.lazy.compactMap({ line in line.caseStation.map { (line, $0) } }).first else {
                    return await refuse("no line has a case station")
                }
                let texts = (form["cases"] ?? "").split(whereSeparator: { $0.isWhitespace || $0 == "," }).map(String.init)
                guard !texts.isEmpty, texts.count <= 500 else { return await refuse("cases: give 1 to 500 case codes") }
                var units: [UnitCode] = []
                for text in texts {
                    do { units.append(try UnitCode(parsing: text)) } catch { return await refuse("case \(text.prefix(64).debugDescription): \(error)") }
                }
                do {
                    let prefix = station.caseCode.companyPrefix
                    let serial = try await view.store.allocateSerial(prefix: "\(station.pallet.extensionDigit)\(prefix)",
                                                                     capacity: SSCC.capacity(companyPrefixLength: prefix.count))
                    let code = try SSCC.make(extensionDigit: station.pallet.extensionDigit, companyPrefix: prefix, serial: serial)
                    let pallet = try await view.store.buildPallet(code: code, cases: units, lineID: line.id, stationID: station.id,
                                                                  by: session.user.name)
                    return await casesPage(view, viewer, status: nil, notice: "built pallet \(pallet.code) of \(pallet.cases.count) case(s)",
                                           error: nil, httpStatus: .ok)
                } catch {
                    return await casesPage(view, viewer, status: nil, notice: nil, error: "\(error)", httpStatus: .conflict)
                }
            }
        }
        router.post("pallets/dissolve") { [self] request, _ in
            switch await actor(request) {
            case .refused(let response): return response
            case .granted(let (viewer, session, form)):
                guard let code = form.text("pallet"), code.count <= 64 else {
                    return await casesPage(view, viewer, status: nil, notice: nil, error: "pallet: give the pallet code", httpStatus: .badRequest)
                }
                do {
                    let pallet = try await view.store.dissolvePallet(code, by: session.user.name, reason: form.text("reason") ?? "rework")
                    return await casesPage(view, viewer, status: nil, notice: "dissolved pallet \(pallet.code): \(pallet.cases.count) case(s) released",
                                           error: nil, httpStatus: .ok)
                } catch {
                    return await casesPage(view, viewer, status: nil, notice: nil, error: "\(error)", httpStatus: .conflict)
                }
            }
        }
    }

    private func casesPage(_ view: AgentView, _ viewer: ConsoleShell.Viewer, status: String?, notice: String?, error: String?,
                           httpStatus: HTTPResponse.Status) async -> Response {
        var stations: [[String: Any]] = []
        for station in view.caseStations {
            let s = await station.status()
            stations.append([
                "id": s.id, "line": s.lineID, "perCase": s.bottlesPerCase, "plc": s.plcLink, "plcUp": s.plcLink == "up",
                "cases": ConsoleFormat.count(s.cases), "good": ConsoleFormat.count(s.good),
                "rejected": ConsoleFormat.count(s.cases - s.good),
                "reasons": s.rejectedByReason.sorted { $0.key < $1.key }.map { ["reason": $0.key, "count": $0.value] },
                "p99": s.decisionLatencyP99Ms.map { String(format: "%.0f", $0) } ?? "-",
                "decode": s.decodeP99Ms.map { String(format: "%.0f", $0) } ?? "-",
            ])
        }
        let cases = (try? await view.store.recentCases(status: status, limit: 100)) ?? []
        let counts = (try? await view.store.caseCounts()) ?? [:]
        let depth = try? await view.store.aggregationDepth()
        let pallets = (try? await view.store.recentPallets(limit: 20)) ?? []
        let rows: [[String: Any]] = cases.map { item in
            ["ref": item.code ?? "#\(item.id)", "link": item.code ?? "%23\(item.id)", "status": item.status,
             "ok": item.status == "packed", "bad": item.status == "rejected", "seq": String(item.sequence), "bottles": item.bottleCount,
             "reasons": item.reasons.joined(separator: ", "), "pallet": item.pallet ?? "", "at": astana(item.at),
             "canDissolve": item.status != "dissolved" && item.pallet == nil]
        }
        var context: [String: Any] = [
            "stations": stations, "hasStations": !stations.isEmpty, "cases": rows, "hasCases": !rows.isEmpty,
            "packed": ConsoleFormat.count(counts["packed"] ?? 0), "rejectedCount": ConsoleFormat.count(counts["rejected"] ?? 0),
            "dissolved": ConsoleFormat.count(counts["dissolved"] ?? 0), "palletCount": ConsoleFormat.count(counts["pallets"] ?? 0),
            "pending": depth?.pending ?? 0, "waiting": depth?.waitingForActivations ?? 0, "dead": depth?.dead ?? 0, "hasDead": (depth?.dead ?? 0) > 0,
            "pallets": pallets.map { ["code": $0.code, "status": $0.status, "cases": $0.cases.count, "built": $0.status == "built",
                                      "at": astana($0.builtAt)] as [String: Any] },
            "hasPallets": !pallets.isEmpty, "filter": status ?? "",
            "actor": viewer.session.map { !$0.user.roles.isDisjoint(with: AgentConsole.actors) } ?? false,
        ]
        if let notice { context["notice"] = notice }
        if let error { context["error"] = error }
        return shell.page("cases", title: "casesTitle", context: context, viewer: viewer, active: "/cases", status: httpStatus)
    }

    private func casePage(_ viewer: ConsoleShell.Viewer, _ item: CaseDetail, pallets: [String]) -> Response {
        let context: [String: Any] = [
            "ref": item.code ?? "#\(item.id)", "status": item.status, "line": item.lineID, "station": item.stationID,
            "seq": String(item.sequence), "at": astana(item.at), "bottles": item.bottleCount,
            "reasons": item.reasons.joined(separator: ", "), "hasReasons": !item.reasons.isEmpty, "detail": item.detail ?? "",
            "pallet": item.pallet ?? "-", "events": item.events, "contents": item.contents.enumerated().map {
                ["n": $0.offset + 1, "code": $0.element, "held": item.members.contains($0.element)] as [String: Any] },
            "dissolved": item.dissolvedAt.map { "\(astana($0)) · \(item.dissolvedBy ?? "?") · \(item.dissolveReason ?? "")" } ?? "",
            "isDissolved": item.dissolvedAt != nil,
            "canDissolve": item.status != "dissolved" && item.pallet == nil,
            "actor": viewer.session.map { !$0.user.roles.isDisjoint(with: AgentConsole.actors) } ?? false,
        ]
        return shell.page("case", title: "caseTitle", context: context, viewer: viewer, active: "/cases", status: .ok)
    }
}

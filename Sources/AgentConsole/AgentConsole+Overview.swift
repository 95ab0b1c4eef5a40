import AgentRuntime
import ConsoleKit
import Foundation
import Hummingbird
import ConfigKit
import LineConfig
import LineCore
import Outbox

/// The overview's figures at one moment, formatted once for the first render and for every live update.
struct OverviewModel {
    struct Line {
        var idx: Int
        var status: LineStatus
        var recent: [RecentBottle]
        var job: ProductionJob?
    }
    var snapshot: AgentStatusSnapshot
    var lines: [Line]
}

extension AgentConsole {
    func overviewModel(_ view: AgentView) async -> OverviewModel {
        let snapshot = await view.snapshot()
        var lines: [OverviewModel.Line] = []
        for (idx, status) in snapshot.lines.enumerated() {
            let runtime = view.lines.first { $0.lineID == status.id }
            let recent = await runtime?.recentBottles(limit: 15) ?? []
            let job = try? await view.store.openJob(line: status.id)
            lines.append(.init(idx: idx, status: status, recent: recent, job: job))
        }
        return OverviewModel(snapshot: snapshot, lines: lines)
    }

    // MARK: Routes

    func registerOverview(on router: Router<BasicRequestContext>, view: AgentView) {
        router.get("") { [self] request, _ in
            switch reader(request) {
            case .refused(let response): return response
            case .granted(let viewer): return await overviewPage(viewer, view)
            }
        }
        router.get("console/live") { [self] request, _ in
            guard case .granted = reader(request) else { return ConsoleResponse.error(.unauthorized, "sign in to see the line") }
            return feed.response(first: await liveUpdate(view).event())
        }
        router.get("alarms") { [self] request, _ in
            switch reader(request) {
            case .refused: return ConsoleResponse.error(.unauthorized, "sign in to see the alarms")
            case .granted(let viewer): return shell.fragment("alarms", context: alarmsContext(view), viewer: viewer)
            }
        }
        router.post("alarms/:id/ack") { [self] request, context in
            switch await actor(request) {
            case .refused(let response): return response
            case .granted(let (viewer, session, _)):
                guard let id = context.parameters.get("id", as: Int.self), let alarm = view.events.acknowledge(id, by: session.user.name) else {
                    return message(viewer, text: "there is no alarm \(context.parameters.get("id") ?? "") any more (only the last 50 are kept)",
                                   status: .notFound)
                }
                await audit(view, user: session.user.name, "alarm-ack", target: "alarm \(id)",
                            detail: "\(alarm.line.map { "[\($0)] " } ?? "")\(alarm.kind): \(alarm.message)")
                return ConsoleResponse.redirect(to: "/")
            }
        }
    }

    private func overviewPage(_ viewer: ConsoleShell.Viewer, _ view: AgentView) async -> Response {
        let model = await overviewModel(view)
        let snapshot = model.snapshot
        let lines: [[String: Any]] = model.lines.map { line in
            let status = line.status
            return [
                "idx": line.idx, "id": status.id, "state": status.lineState, "stateClass": Self.stateClass(status.lineState),
                "plc": status.plcLink, "plcClass": status.plcLink, "bph": ConsoleFormat.count(Int(status.bottlesPerHour.rounded())),
                "readRate": Self.percent(status.readRate), "good": ConsoleFormat.count(status.good),
                "rejected": ConsoleFormat.count(status.rejectedByKind.values.reduce(0, +)), "bottles": ConsoleFormat.count(status.bottles),
                "job": Self.jobText(line.job),
                "rejects": status.rejectedByKind.sorted { $0.key < $1.key }.map { ["kind": $0.key, "count": $0.value] },
                "cameras": status.cameras.enumerated().map { index, camera in
                    ["id": camera.id, "dom": "l\(line.idx)c\(index)", "state": camera.state, "stateClass": camera.state,
                     "frames": ConsoleFormat.count(camera.frames), "decode": Self.milliseconds(camera.decodeP99Ms),
                     "contrast": camera.readContrast.map { String(format: "%.2f", $0) } ?? "-"] as [String: Any]
                },
                "recent": line.recent.map { bottle in
                    ["seq": String(bottle.sequence), "kind": bottle.kind.rawValue, "cls": bottle.kind.passes ? "good" : "bad",
                     "code": bottle.code ?? "-", "latency": String(format: "%.1f", bottle.latencyMs),
                     "time": Self.clock(bottle.decidedAt)] as [String: Any]
                },
            ]
        }
        let outbox = snapshot.outbox
        var context: [String: Any] = [
            "lines": lines,
            "outbox": ["pending": ConsoleFormat.count(outbox.pending), "oldest": Self.age(outbox.oldestPendingAgeSeconds, viewer, shell),
                       "dead": ConsoleFormat.count(outbox.deadLetters), "delivered": ConsoleFormat.count(outbox.delivered),
                       "last": astana(outbox.lastDeliveryAt), "full": !outbox.writable] as [String: Any],
            "producer": "\(view.plan.configuration.producer.name) (\(snapshot.producer))", "started": astana(snapshot.startedAt),
            "ready": shell.text(snapshot.ready ? "ready" : "notReady", viewer)
                + (snapshot.notReadyReasons.isEmpty ? "" : ": " + snapshot.notReadyReasons.joined(separator: "; ")),
        ]
        let open = view.events.unacknowledgedCount
        context["alarmOpen"] = String(open)
        context["alarmClass"] = open > 0 ? "bad" : "ok"
        context["alarmVersion"] = Self.alarmVersion(view)
        var alarms = alarmsContext(view)
        if let session = viewer.session { alarms["csrf"] = session.csrf }
        context["alarmsHTML"] = shell.render("alarms", context: alarms, viewer: viewer)
        return shell.page("overview", title: "overviewTitle", context: context, viewer: viewer, active: "/", live: "/console/live")
    }

    func alarmsContext(_ view: AgentView) -> [String: Any] {
        ["alarms": view.events.alarms.map { alarm in
            var entry: [String: Any] = ["id": alarm.id ?? 0, "time": astana(alarm.time), "message": alarm.message,
                                        "acked": alarm.acknowledgedBy != nil]
            if let line = alarm.line { entry["line"] = line }
            if let by = alarm.acknowledgedBy { entry["by"] = by; entry["at"] = astana(alarm.acknowledgedAt) }
            return entry
        }]
    }

    /// The live update: the same figures the page shows, addressed by element id.
    func liveUpdate(_ view: AgentView) async -> LiveUpdate {
        let model = await overviewModel(view)
        var update = LiveUpdate()
        for line in model.lines {
            let status = line.status, p = "l\(line.idx)"
            update.text["\(p)-state"] = status.lineState
            update.cls["\(p)-state"] = "badge " + Self.stateClass(status.lineState)
            update.text["\(p)-plc"] = status.plcLink
            update.cls["\(p)-plc"] = "badge small-badge " + status.plcLink
            update.text["\(p)-bph"] = ConsoleFormat.count(Int(status.bottlesPerHour.rounded()))
            update.text["\(p)-read"] = Self.percent(status.readRate)
            update.text["\(p)-good"] = ConsoleFormat.count(status.good)
            update.text["\(p)-rejected"] = ConsoleFormat.count(status.rejectedByKind.values.reduce(0, +))
            update.text["\(p)-bottles"] = ConsoleFormat.count(status.bottles)
            update.text["\(p)-job"] = Self.jobText(line.job)
            update.rows["\(p)-rejects"] = status.rejectedByKind.sorted { $0.key < $1.key }.map {
                [LiveUpdate.Cell($0.key), LiveUpdate.Cell(String($0.value), class: "num")]
            }
            update.rows["\(p)-recent"] = line.recent.map { bottle in
                [LiveUpdate.Cell(String(bottle.sequence)), LiveUpdate.Cell(bottle.kind.rawValue, class: bottle.kind.passes ? "good" : "bad"),
                 LiveUpdate.Cell(bottle.code ?? "-", class: "mono"), LiveUpdate.Cell(String(format: "%.1f", bottle.latencyMs)),
                 LiveUpdate.Cell(Self.clock(bottle.decidedAt))]
            }
            for (index, camera) in status.cameras.enumerated() {
                let dom = "\(p)c\(index)"
                update.text["\(dom)-state"] = camera.state
                update.cls["\(dom)-state"] = "badge small-badge " + camera.state
                update.text["\(dom)-frames"] = ConsoleFormat.count(camera.frames)
                update.text["\(dom)-decode"] = Self.milliseconds(camera.decodeP99Ms)
                update.text["\(dom)-contrast"] = camera.readContrast.map { String(format: "%.2f", $0) } ?? "-"
            }
        }
        let outbox = model.snapshot.outbox
        update.text["ob-pending"] = ConsoleFormat.count(outbox.pending)
        update.text["ob-oldest"] = outbox.oldestPendingAgeSeconds.map { String(format: "%.0f s", $0) } ?? "-"
        update.text["ob-dead"] = ConsoleFormat.count(outbox.deadLetters)
        update.text["ob-delivered"] = ConsoleFormat.count(outbox.delivered)
        update.text["ob-last"] = astana(outbox.lastDeliveryAt)
        update.show["ob-full"] = !outbox.writable
        let open = view.events.unacknowledgedCount
        update.text["alarm-open"] = String(open)
        update.cls["alarm-open"] = "badge small-badge " + (open > 0 ? "bad" : "ok")
        update.text["alarm-version"] = Self.alarmVersion(view)
        return update
    }

    /// Changes whenever an alarm is raised or acknowledged (the page reloads its alarm list then).
    static func alarmVersion(_ view: AgentView) -> String {
        "\(view.events.alarmCount)-\(view.events.alarms.filter { $0.acknowledgedBy != nil }.count)"
    }

    // MARK: Formatting

    static func stateClass(_ state: String) -> String {
        switch state {
        case "running": "running"
        case "fault": "fault"
        case "stopped": "stopped"
        default: "starting"
        }
    }

    static func percent(_ rate: Double?) -> String { rate.map { String(format: "%.1f %%", $0 * 100) } ?? "-" }
    static func milliseconds(_ value: Double?) -> String { value.map { String(format: "%.1f ms", $0) } ?? "-" }
    static func clock(_ date: Date) -> String { String(AstanaTime.display(date).suffix(8)) }

    static func age(_ seconds: Double?, _ viewer: ConsoleShell.Viewer, _ shell: ConsoleShell) -> String {
        seconds.map { String(format: "%.0f ", $0) + shell.text("seconds", viewer) } ?? "-"
    }

    /// The open job as the overview shows it (the same text for every viewer: the live feed is shared).
    static func jobText(_ job: ProductionJob?) -> String { job.map { "#\($0.id) · \($0.lot)" } ?? "—" }
}

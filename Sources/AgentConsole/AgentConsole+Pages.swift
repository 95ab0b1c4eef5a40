import AgentRuntime
import ConsoleKit
import Foundation
import Hummingbird
import ConfigKit
import LineConfig
import LineCore
import Outbox

extension AgentConsole {
    // MARK: Jobs

    func registerJobs(on router: Router<BasicRequestContext>, view: AgentView) {
        router.get("jobs") { [self] request, _ in
            switch reader(request) {
            case .refused(let response): return response
            case .granted(let viewer): return await jobsPage(viewer, view, error: nil, status: .ok)
            }
        }
        router.post("jobs/start") { [self] request, _ in
            switch await actor(request) {
            case .refused(let response): return response
            case .granted(let (viewer, session, form)):
                let configuration = view.plan.configuration
                guard let line = form.text("line"), configuration.lines.contains(where: { $0.id == line }) else {
                    return await jobsPage(viewer, view, error: "line: not a line of this agent", status: .badRequest)
                }
                var recipe: Int?
                if let text = form.text("recipe") {
                    guard let value = Int(text), configuration.product(forRecipe: value) != nil else {
                        return await jobsPage(viewer, view, error: "product: recipe \(text) is not configured", status: .badRequest)
                    }
                    recipe = value
                }
                var planned: Int?
                if let text = form.text("planned") {
                    guard let value = Int(text) else {
                        return await jobsPage(viewer, view, error: "planned quantity: \"\(text)\" is not a whole number", status: .badRequest)
                    }
                    planned = value
                }
                let new = NewJob(lineID: line, productCode: recipe.flatMap { configuration.product(forRecipe: $0)?.dsnCode }, recipe: recipe,
                                 lot: form["lot"] ?? "", planned: planned)
                do {
                    let job = try await view.store.startJob(new, by: session.user.name)
                    await audit(view, user: session.user.name, "job-start", target: "job \(job.id)",
                                detail: "line \(line), lot \(job.lot)\(recipe.map { ", recipe \($0)" } ?? "")\(planned.map { ", planned \($0)" } ?? "")")
                    return ConsoleResponse.redirect(to: "/jobs/\(job.id)")
                } catch {
                    return await jobsPage(viewer, view, error: "\(error)", status: .conflict)
                }
            }
        }
        router.post("jobs/:id/end") { [self] request, context in
            switch await actor(request) {
            case .refused(let response): return response
            case .granted(let (viewer, session, _)):
                guard let id = context.parameters.get("id", as: Int64.self), let job = try? await view.store.job(id) else {
                    return await jobsPage(viewer, view, error: "there is no such job", status: .notFound)
                }
                do {
                    let ended = try await view.store.endJob(line: job.lineID, id: id, by: session.user.name)
                    await audit(view, user: session.user.name, "job-end", target: "job \(id)", detail: "line \(ended.lineID), lot \(ended.lot)")
                    return ConsoleResponse.redirect(to: "/jobs/\(id)")
                } catch {
                    return await jobsPage(viewer, view, error: "\(error)", status: .conflict)
                }
            }
        }
        router.get("jobs/:id") { [self] request, context in
            switch reader(request) {
            case .refused(let response): return response
            case .granted(let viewer):
                guard let id = context.parameters.get("id", as: Int64.self), let report = try? await view.store.jobReport(id) else {
                    return message(viewer, text: "there is no job \(context.parameters.get("id") ?? "")", status: .notFound, back: "/jobs")
                }
                return shell.page("job", title: "jobReport", context: jobContext(report, view), viewer: viewer, active: "/jobs")
            }
        }
        router.get("jobs/:id/csv") { [self] request, context in
            guard case .granted = reader(request) else { return ConsoleResponse.error(.unauthorized, "sign in to export a job report") }
            guard let id = context.parameters.get("id", as: Int64.self), let report = try? await view.store.jobReport(id) else {
                return ConsoleResponse.error(.notFound, "there is no job \(context.parameters.get("id") ?? "")")
            }
            return ConsoleResponse.csv(Self.jobCSV(report, producer: view.plan.configuration.producer.bin.rawValue), filename: "job-\(id).csv")
        }
    }

    private func jobsPage(_ viewer: ConsoleShell.Viewer, _ view: AgentView, error: String?, status: HTTPResponse.Status) async -> Response {
        let configuration = view.plan.configuration
        let products = configuration.products.sorted { $0.recipe < $1.recipe }.map { ["recipe": $0.recipe, "name": $0.product.name] as [String: Any] }
        var lines: [[String: Any]] = []
        for (index, line) in configuration.lines.enumerated() {
            var entry: [String: Any] = ["id": line.id, "lineIdx": index, "products": products]
            if let open = try? await view.store.openJob(line: line.id) {
                entry["open"] = ["jobID": open.id, "lot": open.lot, "started": astana(open.startedAt), "startedBy": open.startedBy,
                                 "lineIdx": index] as [String: Any]
            }
            lines.append(entry)
        }
        let jobs = ((try? await view.store.jobs(limit: 100)) ?? []).map { job -> [String: Any] in
            ["id": job.id, "line": job.lineID, "lot": job.lot, "product": productName(job, view),
             "planned": job.planned.map(String.init) ?? "-", "started": astana(job.startedAt),
             "ended": job.endedAt.map(astana) ?? shell.text("running", viewer), "startedBy": job.startedBy]
        }
        var context: [String: Any] = ["lines": lines, "jobs": jobs]
        if let error { context["error"] = error }
        return shell.page("jobs", title: "jobsTitle", context: context, viewer: viewer, active: "/jobs", status: status)
    }

    private func productName(_ job: ProductionJob, _ view: AgentView) -> String {
        let products = view.plan.configuration.products
        if let recipe = job.recipe, let product = products.first(where: { $0.recipe == recipe })?.product { return product.name }
        if let code = job.productCode, let product = products.first(where: { $0.product.dsnCode == code })?.product { return product.name }
        return job.productCode ?? "-"
    }

    private func jobContext(_ report: JobReport, _ view: AgentView) -> [String: Any] {
        let job = report.job
        let configuration = view.plan.configuration
        return [
            "id": job.id, "line": job.lineID, "lot": job.lot, "product": productName(job, view),
            "planned": job.planned.map(String.init) ?? "-", "started": astana(job.startedAt), "startedBy": job.startedBy,
            "ended": job.endedAt.map(astana) ?? "-", "endedBy": job.endedBy ?? "-",
            "producer": "\(configuration.producer.name) (\(configuration.producer.bin.rawValue))",
            "bottles": report.bottles, "good": report.good, "rejected": report.rejected, "used": report.codesUsed,
            "writtenOff": report.codesWrittenOff,
            "rejects": report.rejectedByKind.sorted { $0.key < $1.key }.map { ["kind": $0.key, "count": $0.value] },
            "printedAt": astana(Date()),
        ]
    }

    /// The job report as CSV: one row of figures per job, rejected counts by reason as columns.
    public static func jobCSV(_ report: JobReport, producer: String) -> String {
        let job = report.job
        let kinds = DecisionKind.allCases.filter { !$0.passes }.map(\.rawValue)
        let header = ["job", "producer", "line", "lot", "product_code", "recipe", "planned", "started_astana", "started_by", "ended_astana",
                      "ended_by", "bottles", "good", "rejected", "codes_used", "codes_written_off"] + kinds.map { "rejected_\($0)" }
        let recipe: String = job.recipe.map { String($0) } ?? ""
        let planned: String = job.planned.map { String($0) } ?? ""
        let ended: String = job.endedAt.map { AstanaTime.iso8601($0) } ?? ""
        var row: [String] = [String(job.id), producer, job.lineID, job.lot, job.productCode ?? "", recipe, planned]
        row += [AstanaTime.iso8601(job.startedAt), job.startedBy, ended, job.endedBy ?? ""]
        row += [String(report.bottles), String(report.good), String(report.rejected), String(report.codesUsed), String(report.codesWrittenOff)]
        row += kinds.map { String(report.rejectedByKind[$0] ?? 0) }
        return CSV.render(header: header, rows: [row])
    }

    // MARK: Outbox

    func registerOutbox(on router: Router<BasicRequestContext>, view: AgentView) {
        router.get("outbox") { [self] request, _ in
            switch reader(request) {
            case .refused(let response): return response
            case .granted(let viewer):
                let notice = request.uri.queryParameters["retried"].map { shell.text("retried", viewer).replacingOccurrences(of: "%@", with: String($0)) }
                return await outboxPage(viewer, view, notice: notice, error: nil, status: .ok)
            }
        }
        router.post("outbox/retry") { [self] request, _ in
            switch await actor(request) {
            case .refused(let response): return response
            case .granted(let (viewer, session, form)):
                do {
                    let count: Int
                    if let text = form.text("code") {
                        guard let rules = try? view.plan.configuration.payload.rules(), case .success(let code) = rules.parse(text) else {
                            return await outboxPage(viewer, view, notice: nil, error: "code: \"\(text)\" is not a stamp code", status: .badRequest)
                        }
                        count = try await view.store.requeueDeadLetters(codes: [code]).count
                        await audit(view, user: session.user.name, "outbox-retry", target: code.rawValue, detail: "requeued \(count)")
                    } else {
                        count = try await view.store.requeueDeadLetters()
                        await audit(view, user: session.user.name, "outbox-retry", target: "all dead letters", detail: "requeued \(count)")
                    }
                    return ConsoleResponse.redirect(to: "/outbox?retried=\(count)")
                } catch {
                    return await outboxPage(viewer, view, notice: nil, error: "\(error)", status: .internalServerError)
                }
            }
        }
    }

    private func outboxPage(_ viewer: ConsoleShell.Viewer, _ view: AgentView, notice: String?, error: String?,
                            status: HTTPResponse.Status) async -> Response {
        let snapshot = await view.snapshot()
        let dead = ((try? await view.store.deadLetterRows(limit: 500)) ?? []).map { row -> [String: Any] in
            ["code": row.code.rawValue, "line": row.lineId, "seq": String(row.bottleSequence), "result": row.result ?? "-", "reason": row.reason,
             "at": astana(row.deadAt)]
        }
        let pending = ((try? await view.store.pendingActivations(limit: 200)) ?? []).map { row -> [String: Any] in
            ["code": row.code.rawValue, "line": row.lineId, "seq": String(row.bottleSequence), "at": astana(row.decidedAt),
             "batch": row.batchId.map { String($0.uuidString.prefix(8)) } ?? "-", "attempts": row.attempts, "error": row.lastError ?? ""]
        }
        var context: [String: Any] = [
            "pendingCount": ConsoleFormat.count(snapshot.outbox.pending), "deadCount": ConsoleFormat.count(snapshot.outbox.deadLetters),
            "delivered": ConsoleFormat.count(snapshot.outbox.delivered), "dead": dead, "pending": pending, "hasDead": !dead.isEmpty,
        ]
        if let notice { context["notice"] = notice }
        if let error { context["error"] = error }
        return shell.page("outbox", title: "outboxTitle", context: context, viewer: viewer, active: "/outbox", status: status)
    }

    // MARK: Audit log

    func registerAudit(on router: Router<BasicRequestContext>, view: AgentView) {
        router.get("audit") { [self] request, _ in
            switch reader(request) {
            case .refused(let response): return response
            case .granted(let viewer):
                let entries = ((try? await view.store.auditLog(limit: 500)) ?? []).map { entry -> [String: Any] in
                    ["at": astana(entry.at), "user": entry.user, "action": entry.action, "target": entry.target ?? "", "detail": entry.detail ?? ""]
                }
                return shell.page("audit", title: "auditTitle", context: ["entries": entries], viewer: viewer, active: "/audit")
            }
        }
        router.get("audit/csv") { [self] request, _ in
            guard case .granted = reader(request) else { return ConsoleResponse.error(.unauthorized, "sign in to export the audit log") }
            let entries = (try? await view.store.auditLog(limit: 100_000)) ?? []
            let rows = entries.map { [String($0.id), UTCTime.iso8601($0.at), AstanaTime.iso8601($0.at), $0.user, $0.action, $0.target ?? "", $0.detail ?? ""] }
            return ConsoleResponse.csv(CSV.render(header: ["id", "at_utc", "at_astana", "user", "action", "target", "detail"], rows: rows),
                                       filename: "audit.csv")
        }
    }
}

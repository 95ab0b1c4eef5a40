import AgentRuntime
import ConsoleKit
import Foundation
import Hummingbird
import LineConfig
import LineCore
import Outbox
import QazAPI
import QazClient

extension AgentConsole {
    /// Write-offs (App. 5: damaged or unused stamps), engineers only: the same request `lineagent write-off` sends,
    /// recorded in the agent's database (the open job counts them), written-off codes taken out of the local pool.
    func registerWriteOff(on router: Router<BasicRequestContext>, view: AgentView) {
        router.get("write-off") { [self] request, _ in
            switch reader(request) {
            case .refused(let response): return response
            case .granted(let viewer): return writeOffPage(viewer, form: [:], results: nil, error: nil, status: .ok)
            }
        }
        router.post("write-off") { [self] request, _ in
            switch await actor(request, roles: [ConsoleAccount.Role.engineer.rawValue]) {
            case .refused(let response): return response
            case .granted(let (viewer, session, form)):
                let fields = ["codes": form["codes"] ?? "", "reason": form["reason"] ?? "", "note": form["note"] ?? ""]
                func refuse(_ message: String, _ status: HTTPResponse.Status = .badRequest) -> Response {
                    writeOffPage(viewer, form: fields, results: nil, error: message, status: status)
                }
                guard let reason = form.text("reason"), ["damaged", "unused"].contains(reason) else {
                    return refuse("reason: choose damaged or unused")
                }
                let note = form.text("note")
                if let note, note.contains(where: \.isNewline) || note.count > 150 { return refuse("note: one line of at most 150 characters") }
                let reasonText = note.map { "\(reason): \($0)" } ?? reason
                let texts = (form["codes"] ?? "").split(whereSeparator: { $0.isWhitespace || $0 == "," }).map(String.init)
                guard !texts.isEmpty else { return refuse("codes: give at least one code") }
                guard texts.count <= 1_000 else { return refuse("codes: at most 1000 per write-off here, got \(texts.count)") }
                guard let rules = try? view.plan.configuration.payload.rules() else { return refuse("the payload rules cannot be read", .internalServerError) }
                var codes: [StampCode] = [], bad: [String] = []
                for text in texts {
                    switch rules.parse(text) {
                    case .success(let code): if !codes.contains(code) { codes.append(code) }
                    case .failure(let why): bad.append("\"\(text.prefix(60))\" (\(why))")
                    }
                }
                guard bad.isEmpty else { return refuse("not stamp codes, nothing was sent: " + bad.prefix(5).joined(separator: "; ")) }
                guard let registrar = view.registrar else { return refuse("this agent has no registrar client to write off with", .serviceUnavailable) }
                let receipt: WriteOffReceipt
                do {
                    receipt = try await registrar.writeOff(WriteOffRequest(writtenOffAt: .now, reason: reasonText, codes: codes.map(\.rawValue)))
                } catch {
                    return refuse("the registrar did not take the write-off (nothing was written off): \(error)", .badGateway)
                }
                let results = receipt.results.map { (code: StampCode(trusted: $0.code), result: $0.result.recorded) }
                let done = receipt.results.filter { [.writtenOff, .alreadyWrittenOff].contains($0.result) }
                do {
                    try await view.store.recordWriteOffs(results, reason: reasonText, user: session.user.name)
                    _ = try await view.store.removeFromPool(done.map { StampCode(trusted: $0.code) })
                } catch {
                    view.events.error(line: nil, kind: "write-off", "written off at the registrar but not recorded locally: \(error)")
                }
                await audit(view, user: session.user.name, "write-off", target: "\(codes.count) code(s)",
                            detail: "\(reasonText): \(done.count) written off, \(receipt.results.count - done.count) refused")
                let rows = receipt.results.map { ["code": $0.code, "result": $0.result.recorded,
                                                  "ok": [.writtenOff, .alreadyWrittenOff].contains($0.result)] as [String: Any] }
                return writeOffPage(viewer, form: [:], results: rows, error: nil, status: .ok)
            }
        }
    }

    private func writeOffPage(_ viewer: ConsoleShell.Viewer, form: [String: String], results: [[String: Any]]?, error: String?,
                              status: HTTPResponse.Status) -> Response {
        var context: [String: Any] = ["form": form, "damaged": form["reason"] != "unused", "unused": form["reason"] == "unused"]
        if let results { context["results"] = results; context["hasResults"] = true }
        if let error { context["error"] = error }
        context["engineer"] = viewer.session?.user.roles.contains(ConsoleAccount.Role.engineer.rawValue) == true
        return shell.page("writeOff", title: "writeOffTitle", context: context, viewer: viewer, active: "/jobs", status: status)
    }
}

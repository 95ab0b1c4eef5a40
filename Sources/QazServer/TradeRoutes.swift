import ConfigKit
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import LineCore
import Logging
import NIOCore
import QazAPI
import Signatures
import Synchronization
import WorkingCalendar

/// What the trade half needs beside storage: who is trusted to sign, and the working-day calendar deadlines use.
public struct TradeSettings: Sendable {
    /// Verifies signed documents; nil when no trust anchors are configured (signed operations answer `503
    /// signatures_not_configured`, everything else works).
    public var verifier: SignatureVerifier?
    /// Kazakhstan's working days (decision deadlines, order expiry).
    public var calendar: WorkingCalendar
    /// Whether a waybill must cite an approved application of its recipient with stamps left (cl. 16–17).
    public var requireApplications: Bool
    /// How often the order expiry job looks at least (it also wakes at the next expiry and when an order is saved).
    public var expirySweep: Duration
    /// The trade half's clock: when documents are received, deadlines start, orders expire (tests move it).
    public var clock: @Sendable () -> Timestamp

    public init(verifier: SignatureVerifier? = nil, calendar: WorkingCalendar = .kazakhstan, requireApplications: Bool = false,
                expirySweep: Duration = .seconds(30), clock: @escaping @Sendable () -> Timestamp = { .now }) {
        self.clock = clock
        self.verifier = verifier
        self.calendar = calendar
        self.requireApplications = requireApplications
        self.expirySweep = expirySweep
    }
}

extension RegistrarServer {
    func addTradeRoutes(to v1: RouterGroup<RegistrarContext>) {
        v1.put("accounts/:participant", use: authenticated(putAccount))
        v1.get("accounts/:participant", use: authenticated(getAccount))
        v1.post("accounts/:participant/block", use: authenticated { try await self.block($0, $1, blocking: true) })
        v1.post("accounts/:participant/unblock", use: authenticated { try await self.block($0, $1, blocking: false) })
        v1.get("accounts/:participant/operations", use: authenticated(accountOperations))
        v1.get("accounts/:participant/extract", use: authenticated(accountExtract))
        v1.post("applications", use: authenticated(submitApplication))
        v1.get("applications", use: authenticated(listApplications))
        v1.get("applications/:applicant/:number", use: authenticated(getApplication))
        v1.post("applications/:applicant/:number/decision", use: authenticated(decideApplication))
        v1.post("orders", use: authenticated(saveOrder))
        v1.get("orders", use: authenticated(listOrders))
        v1.get("orders/:id", use: authenticated(getOrder))
        v1.get("orders/:id/codes", use: authenticated(orderCodes))
        v1.get("orders/:id/documents", use: authenticated(orderDocuments))
        v1.post("orders/:id/counter-order", use: authenticated(counterOrder))
        v1.post("orders/:id/cancel", use: authenticated(cancelOrder))
        v1.get("codes/:code/operations", use: authenticated(codeOperations))
        v1.get("codes/:code/extract", use: authenticated(codeExtract))
        v1.post("reports/submissions", use: authenticated(submitReport))
    }

    var tradeStore: any TradeStore {
        get throws(RegistrarError) {
            guard let store = store as? any TradeStore else {
                throw RegistrarError(.notImplemented, .unavailable, "this storage backend does not keep the trade half")
            }
            return store
        }
    }

    /// Refuses a mutating request of a blocked participant (cl. 23(2)); reads and the registrar's and revenue body's
    /// requests pass. Called for every authenticated request before its handler.
    func refuseIfBlocked(_ request: Request, _ identity: Identity, _ logger: Logger) async throws(RegistrarError) {
        guard request.method != .get, request.method != .head, identity.role.trades || identity.role == .banknoteFactory,
              let store = store as? any TradeStore else { return }
        let account = try await call(logger) { () async throws(StoreError) in try await store.account(identity.participant) }
        if let block = account?.blocked {
            throw RegistrarError.from(.refused(TradeRules.blocked(identity.participant, block)))
        }
    }

    // MARK: Accounts

    func putAccount(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.registrar], "create or rename account records")
        let participant = try participantParameter(context, "participant")
        let body = try await BodyReader.decode(AccountRequest.self, from: request, limit: Int(limits.maxBodySize.bytes))
        try text(body.name, "name", 1...200)
        let store = try tradeStore
        let info = try await call(context.logger) { () async throws(StoreError) in
            try await store.putAccount(participant, request: body, actor: identity.participant, at: .now)
        }
        return try Self.json(info)
    }

    func getAccount(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let participant = try participantParameter(context, "participant")
        _ = try requireSelfOrOversight(context, participant, "read another participant's account")
        let store = try tradeStore
        guard let info = try await call(context.logger, { () async throws(StoreError) in try await store.account(participant) }) else {
            throw RegistrarError.notFound("account \(participant)")
        }
        return try Self.json(info)
    }

    func block(_ request: Request, _ context: RegistrarContext, blocking: Bool) async throws -> Response {
        let identity = try require(context, [.registrar, .revenueBody], blocking ? "block accounts" : "unblock accounts")
        let participant = try participantParameter(context, "participant")
        let body = try await BodyReader.decode(BlockRequest.self, from: request, limit: Int(limits.maxBodySize.bytes))
        try text(body.reason, "reason", 1...500)
        let now = trade.clock()
        let store = try tradeStore
        let info = try await call(context.logger) { () async throws(StoreError) in
            try await store.setBlock(participant, block: blocking ? AccountBlock(reason: body.reason, by: identity.participant, at: now) : nil,
                                     actor: identity.participant, reason: body.reason, at: now)
        }
        metrics.trade(blocking ? .accountBlocked : .accountUnblocked)
        context.logger.notice(blocking ? "account blocked" : "account unblocked",
                              metadata: ["account": "\(participant)", "by": "\(identity.participant)", "reason": "\(body.reason)"])
        return try Self.json(info)
    }

    func accountOperations(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let participant = try participantParameter(context, "participant")
        _ = try requireSelfOrOversight(context, participant, "read another participant's operations")
        let query = request.uri.queryParameters
        let limit = try pageLimit(query["limit"], default: TradeLimits.defaultPage, max: TradeLimits.maxPage)
        let after = try cursor(query["after"], "after")
        let from = try instant(query["from"], "from"), to = try instant(query["to"], "to")
        let store = try tradeStore
        let page = try await call(context.logger) { () async throws(StoreError) in
            try await store.operations(OperationQuery(participant: participant, from: from, to: to, after: after, limit: limit))
        }
        return try Self.json(OperationPage(items: page.items, next: page.items.count == limit ? page.last.map(String.init) : nil))
    }

    func accountExtract(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let participant = try participantParameter(context, "participant")
        _ = try requireSelfOrOversight(context, participant, "read another participant's extract")
        let store = try tradeStore
        guard let extract = try await call(context.logger, { () async throws(StoreError) in
            try await store.accountExtract(participant, now: trade.clock())
        }) else { throw RegistrarError.notFound("account \(participant)") }
        if request.uri.queryParameters["format"] == "html" { return Self.html(TradeHTML.accountExtract(extract)) }
        return try Self.json(extract)
    }

    // MARK: Applications

    func submitApplication(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.producer, .importer, .registrar], "submit stamp applications")
        let now = trade.clock()
        let (application, record) = try await signed(StampApplication.self, request, context, kind: "application", now: now) { $0.applicant }
        try TradeValidation.application(application, applicantRole: identity.role == .registrar ? nil : identity.role)
        let due = try deadline(workingDays: application.kind.decisionWorkingDays, after: now)
        let store = try tradeStore
        let stored = try await call(context.logger) { () async throws(StoreError) in
            var command = ApplicationCommand(application: application, document: record, actor: identity.participant, submittedAt: now,
                                             decisionDue: due)
            command.registrarActs = identity.role == .registrar
            return try await store.submitApplication(command)
        }
        if !stored.replayed { metrics.trade(.applicationSubmitted) }
        context.logger.info("application submitted", metadata: [
            "application.number": "\(application.number)", "application.kind": "\(application.kind.rawValue)",
            "application.quantity": "\(application.quantity)", "application.replayed": "\(stored.replayed)",
        ])
        return try Self.json(stored.value, status: stored.replayed ? .ok : .created)
    }

    func listApplications(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.producer, .importer, .revenueBody, .registrar, .banknoteFactory], "list applications")
        let query = request.uri.queryParameters
        let applicant = try listedParticipant(query["applicant"], "applicant", identity, own: identity.role.ownsCodes, what: "applications")
        let status: ApplicationStatus? = try enumParameter(query["status"], "status")
        let overdue = try flag(query["overdue"], "overdue")
        let limit = try pageLimit(query["limit"], default: TradeLimits.defaultPage, max: TradeLimits.maxPage)
        let before = try cursor(query["before"], "before")
        let store = try tradeStore
        let page = try await call(context.logger) { () async throws(StoreError) in
            try await store.applications(ApplicationQuery(applicant: applicant, status: status, overdueOnly: overdue, now: trade.clock(), before: before, limit: limit))
        }
        return try Self.json(ApplicationPage(items: page.items, next: page.items.count == limit ? page.last.map(String.init) : nil))
    }

    func getApplication(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.producer, .importer, .revenueBody, .registrar, .banknoteFactory], "read applications")
        let applicant = try participantParameter(context, "applicant")
        if identity.role.ownsCodes, applicant != identity.participant { throw RegistrarError.notFound("application") }
        let number = try documentNumber(context.parameters.get("number") ?? "", "number")
        let store = try tradeStore
        guard let info = try await call(context.logger, { () async throws(StoreError) in
            try await store.application(applicant: applicant, number: number, now: trade.clock())
        }) else { throw RegistrarError.notFound("application \(number) of \(applicant)") }
        return try Self.json(info)
    }

    func decideApplication(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.revenueBody, .registrar], "decide stamp applications (the revenue body, cl. 14)")
        let applicant = try participantParameter(context, "applicant")
        let number = try documentNumber(context.parameters.get("number") ?? "", "number")
        let decision = try await BodyReader.decode(ApplicationDecision.self, from: request, limit: Int(limits.maxBodySize.bytes))
        try TradeValidation.decision(decision)
        let store = try tradeStore
        let info = try await call(context.logger) { () async throws(StoreError) in
            try await store.decideApplication(ApplicationDecisionCommand(applicant: applicant, number: number, decision: decision,
                                                                         actor: identity.participant, at: trade.clock()))
        }
        metrics.trade(decision.decision == .approve ? .applicationApproved : .applicationRefused)
        context.logger.info("application decided", metadata: [
            "application.number": "\(number)", "application.applicant": "\(applicant)", "application.decision": "\(decision.decision.rawValue)",
        ])
        return try Self.json(info)
    }

    // MARK: Orders

    func saveOrder(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.producer, .importer, .wholesaler, .retailer, .registrar], "save sale orders")
        let now = trade.clock()
        let (order, record) = try await signed(SaleOrder.self, request, context, kind: "order", now: now) { $0.seller }
        let (codes, units) = try TradeValidation.order(order, validator: validator)
        let expires = try deadline(workingDays: 3, after: now)
        let store = try tradeStore
        let stored = try await call(context.logger) { () async throws(StoreError) in
            var command = OrderCommand(id: UUID().uuidString.lowercased(), order: order, codes: codes, units: units, document: record,
                                       actor: identity.participant, savedAt: now, expiresAt: expires)
            command.registrarActs = identity.role == .registrar
            return try await store.saveOrder(command)
        }
        if !stored.replayed {
            orderExpiryWake.signal()
            metrics.trade(.orderSaved)
        }
        context.logger.info("order saved", metadata: [
            "order.id": "\(stored.value.id)", "order.number": "\(order.number)", "order.buyer": "\(order.buyer)",
            "order.codes": "\(stored.value.codeCount)", "order.replayed": "\(stored.replayed)",
        ])
        return try Self.json(stored.value, status: stored.replayed ? .ok : .created)
    }

    func listOrders(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.producer, .importer, .wholesaler, .retailer, .revenueBody, .registrar], "list orders")
        let query = request.uri.queryParameters
        let participant = try listedParticipant(query["participant"], "participant", identity, own: identity.role.trades, what: "orders")
        let side: OrderQuery.Side = try enumParameter(query["side"], "side") ?? .any
        let status: OrderStatus? = try enumParameter(query["status"], "status")
        let limit = try pageLimit(query["limit"], default: TradeLimits.defaultPage, max: TradeLimits.maxPage)
        let before = try cursor(query["before"], "before")
        let store = try tradeStore
        let page = try await call(context.logger) { () async throws(StoreError) in
            try await store.orders(OrderQuery(participant: participant, side: side, status: status, before: before, limit: limit))
        }
        return try Self.json(OrderPage(items: page.items, next: page.items.count == limit ? page.last.map(String.init) : nil))
    }

    /// An order the caller may see: its seller, its buyer, the registrar and the revenue body (others: `404`).
    func visibleOrder(_ context: RegistrarContext) async throws -> OrderInfo {
        let identity = try require(context, [.producer, .importer, .wholesaler, .retailer, .revenueBody, .registrar], "read orders")
        let id = try orderID(context)
        let store = try tradeStore
        guard let order = try await call(context.logger, { () async throws(StoreError) in try await store.order(id: id) }),
              !identity.role.trades || order.seller == identity.participant || order.buyer == identity.participant
        else { throw RegistrarError.notFound("order \(id)") }
        return order
    }

    func getOrder(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        try Self.json(try await visibleOrder(context))
    }

    func orderCodes(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let order = try await visibleOrder(context)
        let query = request.uri.queryParameters
        let limit = try pageLimit(query["limit"], default: TradeLimits.defaultCodePage, max: TradeLimits.maxCodePage)
        var after = query["after"].map(String.init)
        if let text = after, text.utf8.count > rules.maxPayloadBytes { throw RegistrarError.invalidField("after", "too long") }
        if let text = after, let nul = text.firstIndex(of: "\u{0}") { after = String(text[..<nul]) }
        let store = try tradeStore
        let codes = try await call(context.logger) { () async throws(StoreError) in try await store.orderCodes(id: order.id, after: after, limit: limit) }
        return try Self.json(OrderCodePage(order: order.id, codes: codes, next: codes.count == limit ? codes.last : nil))
    }

    func orderDocuments(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let order = try await visibleOrder(context)
        let store = try tradeStore
        let documents = try await call(context.logger) { () async throws(StoreError) in try await store.orderDocuments(id: order.id) }
        return try Self.json(documents)
    }

    func counterOrder(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.producer, .importer, .wholesaler, .retailer, .registrar], "sign counter-orders")
        let id = try orderID(context)
        let now = trade.clock()
        let (counter, record) = try await signed(CounterOrder.self, request, context, kind: "counterOrder", now: now) { $0.buyer }
        if counter.order != id {
            throw RegistrarError.invalidField("document.order", "the counter-order is for order \(counter.order.prefix(40)), the path names \(id)")
        }
        let store = try tradeStore
        let info = try await call(context.logger) { () async throws(StoreError) in
            var command = CounterOrderCommand(orderId: id, counterOrder: counter, document: record, actor: identity.participant, at: now)
            command.registrarActs = identity.role == .registrar
            return try await store.signOrder(command)
        }
        orderExpiryWake.signal()
        if info.signedAt == now { metrics.trade(.orderSigned) }  // else the answer to a re-sent counter-order
        context.logger.info("order signed", metadata: ["order.id": "\(id)", "order.codes": "\(info.codeCount)"])
        return try Self.json(info)
    }

    func cancelOrder(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.producer, .importer, .wholesaler, .retailer, .registrar], "cancel orders")
        let id = try orderID(context)
        let body = try await BodyReader.decode(OrderCancellation.self, from: request, limit: Int(limits.maxBodySize.bytes))
        try text(body.reason, "reason", 1...500)
        let store = try tradeStore
        guard let order = try await call(context.logger, { () async throws(StoreError) in try await store.order(id: id) }),
              identity.role == .registrar || order.seller == identity.participant || order.buyer == identity.participant
        else { throw RegistrarError.notFound("order \(id)") }
        if identity.role != .registrar, order.seller != identity.participant {
            throw RegistrarError.forbidden("cancel an order it did not sell (only the seller cancels, cl. 21(1))")
        }
        let info = try await call(context.logger) { () async throws(StoreError) in
            try await store.cancelOrder(id: id, actor: identity.participant, reason: body.reason, at: trade.clock())
        }
        metrics.trade(.orderCancelled)
        context.logger.info("order cancelled", metadata: ["order.id": "\(id)", "order.reason": "\(body.reason)"])
        return try Self.json(info)
    }

    // MARK: Codes

    func codeOperations(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let (code, _) = try await visibleCode(context)
        let store = try tradeStore
        let operations = try await call(context.logger) { () async throws(StoreError) in try await store.codeOperations(code) }
        return try Self.json(OperationPage(items: operations, next: nil))
    }

    func codeExtract(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let (code, holdings) = try await visibleCode(context)
        let store = try tradeStore
        let operations = try await call(context.logger) { () async throws(StoreError) in try await store.codeOperations(code) }
        guard let info = try await call(context.logger, { () async throws(StoreError) in try await self.store.code(code) }) else {
            throw RegistrarError.notFound("code \(code)")
        }
        let extract = CodeExtract(code: info, holder: holdings.holder, holdings: holdings.holdings, pendingOrder: holdings.pendingOrder,
                                  operations: operations, generatedAt: trade.clock())
        if request.uri.queryParameters["format"] == "html" { return Self.html(TradeHTML.codeExtract(extract)) }
        return try Self.json(extract)
    }

    /// A code the caller may see: its owner, anyone who held it, the registrar, the revenue body and the factory.
    func visibleCode(_ context: RegistrarContext) async throws -> (StampCode, CodeHoldings) {
        let identity = try require(context, Role.allCases, "look up codes")
        let code = try parse(code: context.parameters.get("code") ?? "", field: "code")
        let store = try tradeStore
        guard let holdings = try await call(context.logger, { () async throws(StoreError) in try await store.holdings(code) }) else {
            throw RegistrarError.notFound("code \(code)")
        }
        if identity.role.trades, holdings.holder != identity.participant,
           !holdings.holdings.contains(where: { $0.participant == identity.participant }) {
            guard let info = try await call(context.logger, { () async throws(StoreError) in try await self.store.code(code) }),
                  info.owner == identity.participant else { throw RegistrarError.notOwner([code.rawValue]) }
        }
        return (code, holdings)
    }

    // MARK: Reports

    func submitReport(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.producer, .importer, .registrar], "submit App. 9/10 reports")
        let now = trade.clock()
        let (submission, record) = try await signed(ReportSubmission.self, request, context, kind: "report", now: now) { $0.participant }
        try TradeValidation.report(submission, now: now)
        let reports = ReportService(store: store)
        let usage = try await call(context.logger) { () async throws(StoreError) in
            try await reports.usage(participant: submission.participant, month: submission.month, now: now)
        }
        let activation = try await call(context.logger) { () async throws(StoreError) in
            try await reports.activation(participant: submission.participant, month: submission.month, now: now)
        }
        let differences = TradeRules.differences(submission, usage: usage, activation: activation)
        let store = try tradeStore
        let result = try await call(context.logger) { () async throws(StoreError) in
            try await store.recordReportSubmission(ReportSubmissionCommand(
                id: UUID().uuidString.lowercased(), submission: submission, document: record, actor: identity.participant,
                result: differences.isEmpty ? .accepted : .differs, differences: differences, at: now))
        }
        metrics.trade(.reportSubmitted)
        context.logger.info("report submitted", metadata: [
            "report.form": "\(submission.form.rawValue)", "report.month": "\(submission.month)", "report.result": "\(result.result.rawValue)",
        ])
        // A re-sent document is answered with the stored verdict (received earlier).
        return try Self.json(result, status: result.receivedAt == now ? .created : .ok)
    }

    // MARK: Signed documents

    /// Reads a signed envelope, verifies its signature at `now`, decodes its document, and checks that the signer is
    /// the participant the document is for (`party`) and that the token may act for that participant: the
    /// participant itself, or the registrar (cl. 24(2)), whose own signature then stands for it.
    func signed<Document: Codable & Sendable>(_ type: Document.Type, _ request: Request, _ context: RegistrarContext, kind: String, now: Timestamp,
                                              party: (Document) -> TaxpayerID) async throws -> (Document, SignedRecord) {
        guard let identity = context.identity else { throw RegistrarError.unauthenticated }
        guard let verifier = trade.verifier else {
            throw RegistrarError(.serviceUnavailable, .signaturesNotConfigured,
                                 "this registrar has no trust anchors configured (signatures.trustAnchors); signed documents cannot be verified")
        }
        let body = try await BodyReader.raw(request, limit: Int(limits.maxBodySize.bytes))
        let envelope: SignedEnvelope
        do { envelope = try SignedEnvelope.parse(body) } catch { throw Self.envelopeError(error, body: body) }
        // Authenticity first: the signature over the canonical bytes, the chain, validity and revocation at the moment of
        // receipt (the wall clock: a certificate's validity is a fact of the real world).
        let verified: VerifiedSignature
        do { verified = try verifier.verify(content: envelope.canonical, signature: envelope.signature, at: Date()) } catch {
            context.logger.notice("signature refused", metadata: ["signature.error": "\(error.code)", "document.kind": "\(kind)"])
            metrics.signatureRefused(error.code)
            throw Self.signatureError(error)
        }
        let document = try BodyReader.decode(Document.self, from: envelope.documentJSON, prefix: "document")
        let participant = party(document)
        if identity.role != .registrar, participant != identity.participant {
            throw RegistrarError.forbidden("sign a document for \(participant) (the token speaks for \(identity.participant))")
        }
        let signer = verified.signer
        let expected = identity.role == .registrar ? identity.participant : participant
        guard signer.bin == expected.rawValue || (signer.bin == nil && signer.iin == expected.rawValue) else {
            throw RegistrarError(.forbidden, .signerMismatch,
                                 "the signing certificate is \(signer.bin.map { "BIN \($0)" } ?? signer.iin.map { "IIN \($0)" } ?? "of no BIN/IIN"), not \(expected)'s; nothing was changed",
                                 details: ["expected": expected.rawValue, "certificateBIN": signer.bin ?? "", "certificateIIN": signer.iin ?? "",
                                           "subject": String(signer.subject.prefix(200))])
        }
        let summary = SignatureSummary(subject: signer.subject, iin: signer.iin, bin: signer.bin, certificateSerial: signer.serialNumber,
                                       signingTime: verified.signingTime.map(Timestamp.init), documentDigest: verified.contentDigest)
        return (document, SignedRecord(kind: kind, participant: participant, canonical: envelope.canonical, signature: envelope.signature,
                                       summary: summary, receivedAt: now))
    }

    static func envelopeError(_ error: SignatureError, body: Data) -> RegistrarError {
        switch error {
        case .notCanonicalizable(let why) where (try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])) == nil:
            .invalidJSON("\(why)")
        default: RegistrarError(.unprocessableContent, .invalidField, "the body is not a signed envelope {\"document\": {…}, \"signature\": \"base64\"}: \(error)",
                                details: ["field": "signature", "reason": error.code])
        }
    }

    static func signatureError(_ error: SignatureError) -> RegistrarError {
        RegistrarError(.unprocessableContent, .signatureInvalid, "\(error); nothing was changed", details: ["reason": error.code])
    }

    // MARK: Helpers

    /// The calendar deadline `days` working days after `start`, or `503 calendar_not_covered`.
    func deadline(workingDays days: Int, after start: Timestamp) throws(RegistrarError) -> Timestamp {
        do { return Timestamp(try trade.calendar.adding(workingDays: days, to: start.date)) } catch {
            throw RegistrarError(.serviceUnavailable, .calendarNotCovered,
                                 "the working-day calendar does not cover the deadline: \(error); the registrar must load next year's calendar")
        }
    }

    func requireSelfOrOversight(_ context: RegistrarContext, _ participant: TaxpayerID, _ what: String) throws(RegistrarError) -> Identity {
        guard let identity = context.identity else { throw .unauthenticated }
        if identity.role == .registrar || identity.role == .revenueBody || identity.participant == participant { return identity }
        throw .forbidden(what)
    }

    func participantParameter(_ context: RegistrarContext, _ name: String) throws(RegistrarError) -> TaxpayerID {
        let text = context.parameters.get(name) ?? ""
        guard let value = TaxpayerID(text) else { throw .invalidField(name, "expected an IIN/BIN of 12 digits with a valid check digit") }
        return value
    }

    func orderID(_ context: RegistrarContext) throws(RegistrarError) -> String {
        let text = context.parameters.get("id") ?? ""
        guard let uuid = UUID(uuidString: text) else { throw .invalidField("id", "expected an order id (a UUID)") }
        return uuid.uuidString.lowercased()
    }

    func documentNumber(_ raw: String, _ field: String) throws(RegistrarError) -> String {
        let text = raw.removingPercentEncoding ?? raw
        guard TradeValidation.isDocumentNumber(text) else { throw .invalidField(field, "expected 1-40 of A-Z a-z 0-9 - _ . /") }
        return text
    }

    /// A list's participant filter: any for the registrar and the revenue body (or everyone when absent); a participant
    /// (`own`) sees only its own, and naming another is `403`.
    func listedParticipant(_ text: Substring?, _ field: String, _ identity: Identity, own: Bool, what: String) throws(RegistrarError) -> TaxpayerID? {
        var participant: TaxpayerID?
        if let text {
            guard let value = TaxpayerID(String(text)) else { throw .invalidField(field, "expected an IIN/BIN of 12 digits") }
            participant = value
        }
        if own {
            if let participant, participant != identity.participant { throw .forbidden("list another participant's \(what)") }
            participant = identity.participant
        }
        return participant
    }

    /// A query parameter naming one of an enumeration's values, or nil when absent.
    func enumParameter<T: RawRepresentable & CaseIterable>(_ text: Substring?, _ field: String) throws(RegistrarError) -> T?
    where T.RawValue == String {
        guard let text else { return nil }
        guard let value = T(rawValue: String(text)) else {
            throw .invalidField(field, "expected one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    func pageLimit(_ text: Substring?, default value: Int, max: Int) throws(RegistrarError) -> Int {
        guard let text else { return value }
        guard let limit = Int(String(text)), (1...max).contains(limit) else { throw .invalidField("limit", "expected an integer 1-\(max)") }
        return limit
    }

    func cursor(_ text: Substring?, _ field: String) throws(RegistrarError) -> Int64? {
        guard let text else { return nil }
        guard let value = Int64(String(text)), value >= 0 else { throw .invalidField(field, "expected the `next` of an earlier page") }
        return value
    }

    func instant(_ text: Substring?, _ field: String) throws(RegistrarError) -> Timestamp? {
        guard let text else { return nil }
        guard let value = Timestamp(text: String(text)) else { throw .invalidField(field, "expected a date-time with an offset, e.g. 2026-12-01T00:00:00+05:00") }
        return value
    }

    func flag(_ text: Substring?, _ field: String) throws(RegistrarError) -> Bool {
        switch text {
        case nil: return false
        case "true"?: return true
        case "false"?: return false
        default: throw .invalidField(field, "expected true or false")
        }
    }

    func text(_ value: String, _ field: String, _ range: ClosedRange<Int>) throws(RegistrarError) {
        let count = value.unicodeScalars.count
        guard range.contains(count), !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidField(field, "expected \(range.lowerBound)-\(range.upperBound) printable characters")
        }
    }

    static func html(_ page: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }
}

/// `GET /v1/orders/{id}/codes`: one page of an order's stamp codes.
public struct OrderCodePage: Codable, Sendable, Equatable {
    public var order: String
    public var codes: [String]
    public var next: String?
}

/// Wakes the order expiry job early (an order was saved or signed). One waiter; a signal with no waiter is kept.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at the next signal (or at once if one is pending), or after `duration`, or when cancelled.
    func wait(upTo duration: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: duration) }
            group.addTask { await self.next() }
            await group.next()
            group.cancelAll()
        }
    }

    private func next() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}

import ConfigKit
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import LineCore
import Logging
import Metrics
import NIOCore
import QazAPI

/// The fixed limits of `POST /v1/aggregations`.
public enum AggregationLimits {
    /// The most events one request carries (more is `413 batch_too_large`).
    public static let maxEvents = 1_000
    /// The most contained codes of all events of one request together (more is `413 batch_too_large`).
    public static let maxContents = 100_000
    /// The default and the largest page of `GET /v1/units/{unit}` (as `GET /v1/pools/{bin}/codes`).
    public static let defaultPage = 1_000
    public static let maxPage = 10_000
}

extension RegistrarServer {
    /// `POST /v1/aggregations`: a packing station's events, applied in order, each on its own.
    ///
    /// Producers and importers, for their own codes and units; the registrar for the producer or importer it names in
    /// `participant` (cl. 24(2)), recorded as the events' actor. The units and codes an event names must all belong to
    /// the participant the events are for.
    func aggregate(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.producer, .importer, .registrar], "record aggregations (producers and importers pack their own codes)")
        let batch = try await BodyReader.decode(AggregationBatch.self, from: request, limit: Int(limits.maxBodySize.bytes))
        let participant = try onBehalf(identity, batch.participant)
        let command = try validator.aggregation(batch, participant: participant, actor: identity.participant, now: trade.clock())
        let receipt = try await call(context.logger) { () async throws(StoreError) in try await store.aggregate(command) }
        var outcomes = [AggregationOutcome: Int]()
        for result in receipt.results { outcomes[result.result, default: 0] += 1 }
        for (outcome, count) in outcomes { metrics.aggregationEvents[outcome]?.increment(by: count) }
        context.logger.info("aggregation batch", metadata: [
            "aggregation.events": "\(batch.events.count)", "aggregation.applied": "\(outcomes[.applied] ?? 0)",
            "aggregation.replayed": "\(outcomes[.alreadyApplied] ?? 0)", "aggregation.refused": "\(outcomes[.refused] ?? 0)",
            "aggregation.conflicts": "\(outcomes[.conflict] ?? 0)",
        ])
        return try Self.json(receipt)
    }

    /// `GET /v1/units/{unit}`: a case or pallet and one page of its contents. A producer or importer sees only its own
    /// units (another participant's is `404`, as if it did not exist); revenue body and registrar see all.
    func unitLookUp(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.producer, .importer, .revenueBody, .registrar], "look up cases and pallets")
        let raw = context.parameters.get("unit") ?? ""
        let text = raw.removingPercentEncoding ?? raw
        let unit: UnitCode
        do { unit = try UnitCode(parsing: text) } catch { throw RegistrarError.invalidField("unit", "not a unit code: \(error)") }
        let query = request.uri.queryParameters
        var limit = AggregationLimits.defaultPage
        if let text = query["limit"] {
            guard let value = Int(String(text)), (1...AggregationLimits.maxPage).contains(value) else {
                throw RegistrarError.invalidField("limit", "expected an integer 1-\(AggregationLimits.maxPage)")
            }
            limit = value
        }
        var after = query["after"].map(String.init)
        if let text = after, text.unicodeScalars.count > rules.maxPayloadBytes { throw RegistrarError.invalidField("after", "too long") }
        // No content holds a NUL, so everything after "x\0…" is everything after "x" (and PostgreSQL's text has no NUL).
        if let text = after, let nul = text.firstIndex(of: "\u{0}") { after = String(text[..<nul]) }
        let info = try await call(context.logger) { () async throws(StoreError) in try await store.unit(unit, after: after, limit: limit) }
        guard let info, !identity.role.ownsCodes || info.owner == identity.participant else {
            throw RegistrarError.notFound("unit \(unit)")
        }
        return try Self.json(info)
    }
}

extension Validator {
    /// Checks an aggregation request and classifies each event's contents. Request-wide problems (sizes, fields, times)
    /// are errors; what is wrong with one event's contents (none for a packing event, some for a dissolving one, a
    /// malformed or repeated code) is that event's refusal, stored under its id like any other answer.
    func aggregation(_ batch: AggregationBatch, participant: TaxpayerID, actor: TaxpayerID? = nil, now: Timestamp) throws(RegistrarError) -> AggregationCommand {
        if batch.events.count > AggregationLimits.maxEvents {
            throw .batchTooLarge(count: batch.events.count, limit: AggregationLimits.maxEvents, what: "events")
        }
        let total = batch.events.reduce(0) { $0 + $1.contents.count }
        if total > AggregationLimits.maxContents {
            throw .batchTooLarge(count: total, limit: AggregationLimits.maxContents, what: "contained codes")
        }
        if batch.events.isEmpty { throw .invalidField("events", "expected at least one event") }
        try identifier(batch.lineId, "lineId")
        try identifier(batch.equipmentId, "equipmentId")
        let latest = now.milliseconds + 86_400_000
        var events = [AggregationEventCommand]()
        events.reserveCapacity(batch.events.count)
        for (index, event) in batch.events.enumerated() {
            if event.at.milliseconds > latest { throw .invalidField("events[\(index)].at", "more than a day in the future") }
            for (position, text) in event.contents.enumerated()
            where text.utf8.count > maxCodeBytes && text.unicodeScalars.count > maxCodeBytes {
                let field = "events[\(index)].contents[\(position)]"
                throw RegistrarError(.unprocessableContent, .codeTooLong,
                                     "\(field): \(text.unicodeScalars.count) characters; no code is longer than \(maxCodeBytes)",
                                     details: ["field": field, "limit": String(maxCodeBytes)])
            }
            let (contents, canonical) = classify(event)
            var digest = [UInt8]()
            func feed(_ text: String) {
                digest.append(contentsOf: text.utf8)
                digest.append(0)
            }
            feed(participant.rawValue)
            feed(event.kind.rawValue)
            feed(event.unit.rawValue)
            withUnsafeBytes(of: event.at.milliseconds.littleEndian) { digest.append(contentsOf: $0) }
            for text in canonical { feed(text) }
            events.append(AggregationEventCommand(eventId: event.eventId, kind: event.kind, unit: event.unit, at: event.at,
                                                  digest: Array(SHA256.hash(data: digest)), contents: contents))
        }
        return AggregationCommand(participant: participant, lineId: batch.lineId, equipmentId: batch.equipmentId, receivedAt: now,
                                  events: events, actor: actor)
    }

    /// An event's contents classified, and their canonical texts for the digest (the code itself where it parses, so
    /// the bare and URL forms of a stamp code are one code; the text as sent where it does not).
    func classify(_ event: AggregationEvent) -> (AggregationContents, [String]) {
        let kind = event.kind
        switch kind {
        case .caseDissolved, .palletDissolved:
            guard event.contents.isEmpty else {
                return (.refused(AggregationRefusalDecision(.badContents, codes: event.contents,
                                                            detail: "a \(kind.rawValue) event carries no contents; it has \(event.contents.count)")),
                        event.contents.map { "\u{0}" + $0 })
            }
            return (.none, [])
        case .casePacked, .palletBuilt:
            guard !event.contents.isEmpty else {
                let what = kind == .casePacked ? "at least one stamp code" : "at least one case"
                return (.refused(AggregationRefusalDecision(.badContents, detail: "a \(kind.rawValue) event needs \(what) in contents")), [])
            }
        }
        var canonical = [String]()
        canonical.reserveCapacity(event.contents.count)
        var malformed = [(text: String, why: String)]()
        var stamps = [(text: String, code: StampCode)]()
        var units = [(text: String, code: UnitCode)]()
        for text in event.contents {
            if kind == .casePacked {
                switch fastBareCode(text) ?? rules.parse(text) {
                case .success(let code):
                    stamps.append((text, code))
                    canonical.append(code.rawValue)
                case .failure(let why):
                    malformed.append((text, "\(why.code): \(why)"))
                    canonical.append("\u{0}" + text)
                }
            } else {
                do {
                    let code = try UnitCode(parsing: text)
                    units.append((text, code))
                    canonical.append(code.rawValue)
                } catch {
                    malformed.append((text, error.description))
                    canonical.append("\u{0}" + text)
                }
            }
        }
        if let first = malformed.first {
            let what = kind == .casePacked ? "stamp code" : "unit code"
            let count = malformed.count == 1 ? "1 content is not a \(what)" : "\(malformed.count) contents are not \(what)s"
            return (.refused(AggregationRefusalDecision(.malformedCode, codes: malformed.map(\.text),
                                                        detail: "\(count): \(first.text.prefix(64).debugDescription) (\(first.why))")), canonical)
        }
        var seen = Set<String>(minimumCapacity: canonical.count)
        var repeats = [String]()
        for (index, code) in canonical.enumerated() where !seen.insert(code).inserted { repeats.append(event.contents[index]) }
        if !repeats.isEmpty {
            return (.refused(AggregationRefusalDecision(.duplicateContent, codes: repeats,
                                                        detail: "\(repeats.count == 1 ? "1 code appears" : "\(repeats.count) codes appear") more than once in the event (the bare and URL forms of a code are one code)")),
                    canonical)
        }
        return (kind == .casePacked ? .stampCodes(stamps) : .units(units), canonical)
    }
}

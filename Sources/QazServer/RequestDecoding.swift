import Crypto
import Foundation
import Hummingbird
import LineCore
import NIOCore
import QazAPI

/// Reads a request body within the size limit and decodes it, mapping every failure to a contract error.
enum BodyReader {
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws(RegistrarError) -> T {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw .bodyTooLarge(limit: limit)
        }
        if let contentType = request.headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw RegistrarError(.unsupportedMediaType, .unsupportedMediaType, "expected Content-Type application/json, got \(contentType.prefix(64))")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw .bodyTooLarge(limit: limit)
        } catch {
            throw .invalidJSON("the body could not be read")
        }
        return try decode(type, from: Data(buffer.readableBytesView))
    }

    /// Decodes a body already read: JSON into `T`, then, for strict request types, refuses unknown fields.
    /// The request-independent half of ``decode(_:from:limit:)`` (the fuzz target `Fuzz/server` calls it directly).
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(RegistrarError) -> T {
        let value: T
        do {
            value = try WireCoding.decoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw map(error, data: data)
        } catch {
            throw .invalidJSON("\(error)")
        }
        if let strict = T.self as? any StrictRequestBody.Type {
            let decoder = WireCoding.decoder()
            decoder.userInfo[KeyShapeWalk.shapeKey] = strict.keyShape
            do {
                _ = try decoder.decode(KeyShapeWalk.self, from: data)
            } catch let error as KeyShapeWalk.UnknownKey {
                throw .invalidField(path(error.path), "unknown field; expected one of \(error.allowed.joined(separator: ", "))")
            } catch {
                throw .invalidJSON("\(error)")
            }
        }
        return value
    }

    /// Turns a `DecodingError` into `invalid_json`, `missing_field` or `invalid_field` with the field's path.
    /// Foundation's decoder reports an integer beyond 64 bits as "not valid JSON" with no path; when `data` is valid
    /// JSON after all, that is a value out of range (422 `invalid_field`), not a syntax error (400).
    static func map(_ error: DecodingError, data: Data? = nil) -> RegistrarError {
        switch error {
        case .keyNotFound(let key, let context):
            return .missingField(path(context.codingPath + [key]))
        case .typeMismatch(let type, let context):
            return .invalidField(path(context.codingPath), "expected \(describe(type))")
        case .valueNotFound(let type, let context):
            return .invalidField(path(context.codingPath), "expected \(describe(type)), got null")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                if let data, (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil {
                    return .invalidField("(body)", "a number is out of range (integers must fit in 64 bits)")
                }
                return .invalidJSON(String(context.debugDescription.prefix(200)))
            }
            return .invalidField(path(context.codingPath), enumMessage(context.debugDescription) ?? String(context.debugDescription.prefix(300)))
        @unknown default:
            return .invalidJSON("undecodable")
        }
    }

    /// The values of the request enums, by the type name Foundation's decoder puts in its message.
    static let enumValues: [String: [String]] = [
        "AggregationKind": AggregationKind.allCases.map(\.rawValue),
        "CodeStatus": CodeStatus.allCases.map(\.rawValue),
        "ParticipantKind": ParticipantKind.allCases.map(\.rawValue),
        "ApplicationKind": ApplicationKind.allCases.map(\.rawValue),
        "RefusalGround": RefusalGround.allCases.map(\.rawValue),
        "Verdict": ["approve", "refuse"],
        "SecurityMethod": SecurityMethod.allCases.map(\.rawValue),
        "ReceiptMethod": ReceiptMethod.allCases.map(\.rawValue),
        "ReportForm": ReportForm.allCases.map(\.rawValue),
    ]

    /// "Cannot initialize AggregationKind from invalid String value x" (Foundation's words, naming a Swift type) as
    /// "expected one of …, got "x"".
    static func enumMessage(_ text: String) -> String? {
        let prefix = "Cannot initialize "
        guard text.hasPrefix(prefix), let from = text.range(of: " from invalid ") else { return nil }
        let type = String(text[text.index(text.startIndex, offsetBy: prefix.count)..<from.lowerBound])
        guard let values = enumValues[type] else { return nil }
        var got = String(text[from.upperBound...])
        if let value = got.range(of: "value ") { got = String(got[value.upperBound...]) }
        return "expected one of \(values.joined(separator: ", ")), got \(String(got.prefix(64)).debugDescription)"
    }

    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return text.isEmpty ? "(body)" : text
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        case is [Any].Type: "an array"
        default: "\(type)".hasPrefix("Array") ? "an array" : "an object"
        }
    }
}

/// Checks and classifies what the HTTP layer receives before it reaches a store.
struct Validator: Sendable {
    let rules: PayloadRules
    let maxBatchItems: Int
    /// Longest code text examined (longer is `code_too_long`, a request error, not a per-code answer).
    let maxCodeBytes: Int

    func identifier(_ value: String, _ field: String) throws(RegistrarError) {
        // Counted in Unicode scalars, as the document's JSON Schema `Identifier` counts (a combining mark is one).
        guard (1...64).contains(value.unicodeScalars.count), value.unicodeScalars.allSatisfy(Self.isPrintable) else {
            throw .invalidField(field, "expected 1-64 printable characters")
        }
    }

    /// Not a control character (C0, DEL is allowed) and not a line break (NEL, LS, PS): the document's `Identifier`.
    static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= 0x20 && scalar.value != 0x85 && scalar.value != 0x2028 && scalar.value != 0x2029
    }

    /// Upper-case letters of the Latin and Cyrillic alphabets (with the Kazakh letters) and digits, as the document's
    /// `StampSeries` pattern says (`StampSeries` itself accepts any upper-case letter).
    static let seriesScalars: Set<Unicode.Scalar> = {
        var scalars = Set<Unicode.Scalar>()
        for value in Array(0x30...0x39) + Array(0x41...0x5A) + Array(0x410...0x42F) + [0x401, 0x406, 0x492, 0x49A, 0x4A2, 0x4AE, 0x4B0, 0x4BA, 0x4D8, 0x4E8] {
            scalars.insert(Unicode.Scalar(UInt32(value))!)
        }
        return scalars
    }()

    func series(_ series: StampSeries, _ field: String) throws(RegistrarError) {
        let scalars = series.rawValue.unicodeScalars
        guard (1...8).contains(scalars.count), scalars.allSatisfy(Self.seriesScalars.contains) else {
            throw .invalidField(field, "expected 1-8 upper-case Latin or Cyrillic letters or digits")
        }
    }

    /// A stamp's nine-digit number (App. 6/7 element 1) numbers stamps from 000000001: 000000000 is no stamp's number.
    func stampNumber(_ number: StampNumber, _ field: String) throws(RegistrarError) {
        guard number.value != 0 else {
            throw .invalidField(field, "000000000 is not a stamp number: stamps are numbered 000000001-999999999 (App. 6/7 element 1)")
        }
    }

    /// Classifies code texts: too long is an error; the rest are codes or malformed; repeats are an error.
    func classify(_ texts: [String], field: (Int) -> String, time: (Int) -> Timestamp = { _ in Timestamp(milliseconds: 0) },
                  product: (Int) -> String = { _ in "" }) throws(RegistrarError) -> [ClassifiedItem] {
        var items = [ClassifiedItem]()
        items.reserveCapacity(texts.count)
        var seen = Set<String>(minimumCapacity: texts.count)
        var repeats = [String]()
        for (index, text) in texts.enumerated() {
            // The document's `maxLength: 512` counts characters (Unicode scalars, as JSON Schema does): longer is a
            // request error; a shorter text that is over 512 bytes of UTF-8 is a per-code `malformed` (too_long).
            if text.utf8.count > maxCodeBytes, text.unicodeScalars.count > maxCodeBytes {
                throw RegistrarError(.unprocessableContent, .codeTooLong,
                                     "\(field(index)): \(text.unicodeScalars.count) characters; no stamp code is longer than \(maxCodeBytes)",
                                     details: ["field": field(index), "limit": String(maxCodeBytes)])
            }
            switch fastBareCode(text) ?? rules.parse(text) {
            case .success(let code):
                if !seen.insert(code.rawValue).inserted { repeats.append(code.rawValue) }
                items.append(.code(text: text, code: code, activatedAt: time(index), productCode: product(index)))
            case .failure(let why):
                if !seen.insert("\u{0}" + text).inserted { repeats.append(text) }
                items.append(.malformed(text: text, reason: "\(why.code): \(why)"))
            }
        }
        if !repeats.isEmpty {
            throw RegistrarError(.unprocessableContent, .duplicateCode,
                                 "\(repeats.count) code(s) appear more than once in the request; nothing was changed",
                                 details: ["codes": repeats.prefix(20).joined(separator: ","), "count": String(repeats.count)])
        }
        return items
    }

    /// With the default rules, a bare code of 16-40 characters `0-9A-Z` is accepted without running the regular
    /// expression on the ingest hot path (the same answer as ``PayloadRules/parse(_:)``, checked by a test); anything
    /// else goes to the rules.
    func fastBareCode(_ text: String) -> Result<StampCode, MalformedPayload>? {
        guard usesDefaultPattern, rules.allowBareCode else { return nil }
        let utf8 = text.utf8
        guard (16...40).contains(utf8.count),
              utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) }) else { return nil }
        return .success(StampCode(trusted: text))
    }

    /// `Product.isValidDSNCode` on bytes: 1-32 ASCII letters, digits or `-`.
    static func isDSNCode(_ text: String) -> Bool {
        let utf8 = text.utf8
        return (1...32).contains(utf8.count) && utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 45 }
    }

    var usesDefaultPattern: Bool { rules.codePattern == PayloadRules.defaultCodePattern }

    func activation(_ batch: ActivationBatch, participant: TaxpayerID, actor: TaxpayerID? = nil, now: Timestamp) throws(RegistrarError) -> ActivationCommand {
        if batch.items.count > maxBatchItems { throw .batchTooLarge(count: batch.items.count, limit: maxBatchItems) }
        if batch.items.isEmpty { throw .invalidField("items", "expected at least one item") }
        try identifier(batch.lineId, "lineId")
        try identifier(batch.equipmentId, "equipmentId")
        let latest = now.milliseconds + 86_400_000
        for (index, item) in batch.items.enumerated() {
            if !Self.isDSNCode(item.productCode) {
                throw .invalidField("items[\(index)].productCode", "expected 1-32 letters, digits or '-'")
            }
            if item.activatedAt.milliseconds > latest {
                throw .invalidField("items[\(index)].activatedAt", "more than a day in the future")
            }
        }
        let items = try classify(batch.items.map(\.code), field: { "items[\($0)].code" },
                                 time: { batch.items[$0].activatedAt }, product: { batch.items[$0].productCode })
        // The canonical form: fields separated by NUL, times as milliseconds; hashed once.
        var canonical = [UInt8]()
        canonical.reserveCapacity(64 + batch.items.count * 48)
        func feed(_ text: String) {
            canonical.append(contentsOf: text.utf8)
            canonical.append(0)
        }
        feed(participant.rawValue)
        feed(batch.lineId)
        feed(batch.equipmentId)
        for item in batch.items {
            feed(item.code)
            withUnsafeBytes(of: item.activatedAt.milliseconds.littleEndian) { canonical.append(contentsOf: $0) }
            feed(item.productCode)
        }
        return ActivationCommand(batchId: batch.batchId, participant: participant, lineId: batch.lineId, equipmentId: batch.equipmentId,
                                 bodyHash: Array(SHA256.hash(data: canonical)), receivedAt: now, items: items, actor: actor)
    }

    func waybill(_ w: WaybillRequest, now: Timestamp) throws(RegistrarError) -> WaybillCommand {
        try identifier(w.number, "number")
        try identifier(w.application.number, "application.number")
        guard (1...300).contains(w.recipient.name.unicodeScalars.count) else { throw .invalidField("recipient.name", "expected 1-300 characters") }
        guard (1...300).contains(w.product.name.unicodeScalars.count) else { throw .invalidField("product.name", "expected 1-300 characters") }
        guard (1...100).contains(w.product.type.unicodeScalars.count) else { throw .invalidField("product.type", "expected 1-100 characters") }
        for (index, range) in w.ranges.enumerated() { try series(range.series, "ranges[\(index)].series") }
        for (index, entry) in w.codes.enumerated() { try series(entry.series, "codes[\(index)].series") }
        for (index, range) in w.ranges.enumerated() { try stampNumber(range.first, "ranges[\(index)].first") }
        for (index, entry) in w.codes.enumerated() { try stampNumber(entry.number, "codes[\(index)].number") }
        guard (1...100_000).contains(w.product.capacityMl) else { throw .invalidField("product.capacityMl", "expected 1-100000 ml") }
        guard !w.ranges.isEmpty else { throw .invalidField("ranges", "expected at least one range") }
        guard !w.codes.isEmpty else { throw .invalidField("codes", "expected at least one code") }
        for (index, range) in w.ranges.enumerated() where range.last < range.first {
            throw .invalidField("ranges[\(index)]", "last \(range.last) precedes first \(range.first)")
        }
        guard (1...10_000_000).contains(w.quantity) else { throw .invalidField("quantity", "expected 1-10000000 stamps") }
        let rangeTotal = w.ranges.reduce(0) { $0 + $1.last.value - $1.first.value + 1 }
        if w.quantity != w.codes.count {
            throw .waybillMismatch("quantity is \(w.quantity) but \(w.codes.count) codes are listed")
        }
        if w.quantity != rangeTotal {
            throw .waybillMismatch("quantity is \(w.quantity) but the ranges hold \(rangeTotal) stamps")
        }
        let bySeries = Dictionary(grouping: w.ranges, by: \.series)
        for (series, ranges) in bySeries {
            let sorted = ranges.sorted { $0.first < $1.first }
            for (a, b) in zip(sorted, sorted.dropFirst()) where b.first <= a.last {
                throw .waybillMismatch("ranges \(series) \(a.first)-\(a.last) and \(b.first)-\(b.last) overlap")
            }
        }
        var stamps = Set<StampID>(minimumCapacity: w.codes.count)
        for (index, entry) in w.codes.enumerated() {
            let stamp = StampID(series: entry.series, number: entry.number)
            guard bySeries[entry.series]?.contains(where: { $0.first <= entry.number && entry.number <= $0.last }) == true else {
                throw .waybillMismatch("codes[\(index)]: stamp \(stamp) is in none of the ranges")
            }
            guard stamps.insert(stamp).inserted else {
                throw .waybillMismatch("codes[\(index)]: stamp \(stamp) is listed twice")
            }
        }
        let items = try classify(w.codes.map(\.code), field: { "codes[\($0)].code" })
        var codes = [StampCode]()
        codes.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            switch item {
            case .code(_, let code, _, _): codes.append(code)
            case .malformed(_, let reason): throw .invalidField("codes[\(index)].code", "not a stamp code (\(reason))")
            }
        }
        let canonical = (try? WireCoding.canonicalEncoder().encode(w)) ?? Data()
        return WaybillCommand(waybill: w, codes: codes, bodyHash: Array(SHA256.hash(data: canonical)), recordedAt: now)
    }
}

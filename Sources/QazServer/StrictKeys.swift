import Foundation
import QazAPI

/// The object keys a request body may carry. The document declares every request object
/// `additionalProperties: false`; Codable ignores keys it does not know, so a misspelled optional field (say
/// `productcode` in an import report) would vanish silently. Request bodies are checked against their shape after
/// decoding and an unknown key is `422 invalid_field` naming it.
indirect enum KeyShape: Sendable {
    case object([String: KeyShape])
    case array(KeyShape)
    case value
}

/// A request body type with a declared key shape.
protocol StrictRequestBody {
    static var keyShape: KeyShape { get }
}

/// Walks a decoded JSON document along a ``KeyShape`` and throws ``UnknownKey`` at the first key the shape lacks.
/// Leaves are not decoded; type errors are the typed decoding's job (it runs first).
struct KeyShapeWalk: Decodable {
    static let shapeKey = CodingUserInfoKey(rawValue: "qazline.keyShape")!

    struct UnknownKey: Error {
        let path: [any CodingKey]
        let allowed: [String]
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) {
            self.stringValue = String(intValue)
            self.intValue = intValue
        }
    }

    init(from decoder: any Decoder) throws {
        guard let shape = decoder.userInfo[Self.shapeKey] as? KeyShape else { return }
        try Self.walk(decoder, shape)
    }

    static func walk(_ decoder: any Decoder, _ shape: KeyShape) throws {
        switch shape {
        case .value:
            return
        case .object(let fields):
            guard let container = try? decoder.container(keyedBy: AnyKey.self) else { return }
            for key in container.allKeys {
                guard let field = fields[key.stringValue] else {
                    throw UnknownKey(path: decoder.codingPath + [key], allowed: fields.keys.sorted())
                }
                if case .value = field { continue }
                try walk(try container.superDecoder(forKey: key), field)
            }
        case .array(let element):
            guard var container = try? decoder.unkeyedContainer() else { return }
            if case .value = element { return }
            while !container.isAtEnd { try walk(try container.superDecoder(), element) }
        }
    }
}

extension ActivationBatch: StrictRequestBody {
    static let keyShape = KeyShape.object([
        "batchId": .value, "lineId": .value, "equipmentId": .value, "participant": .value,
        "items": .array(.object(["code": .value, "activatedAt": .value, "productCode": .value])),
    ])
}

extension WaybillRequest: StrictRequestBody {
    static let keyShape = KeyShape.object([
        "number": .value, "date": .value, "issuedOn": .value, "quantity": .value,
        "application": .object(["number": .value, "date": .value]),
        "recipient": .object(["bin": .value, "name": .value]),
        "product": .object(["name": .value, "type": .value, "capacityMl": .value]),
        "ranges": .array(.object(["series": .value, "first": .value, "last": .value])),
        "codes": .array(.object(["code": .value, "series": .value, "number": .value])),
    ])
}

extension WriteOffRequest: StrictRequestBody {
    static let keyShape = KeyShape.object(["writtenOffAt": .value, "reason": .value, "codes": .value, "participant": .value])
}

extension ImportReportRequest: StrictRequestBody {
    static let keyShape = KeyShape.object([
        "reportId": .value, "participant": .value,
        "rows": .array(.object([
            "code": .value, "affixedAt": .value, "productCode": .value,
            "stamp": .object(["series": .value, "number": .value]),
        ])),
    ])
}

extension AggregationBatch: StrictRequestBody {
    static let keyShape = KeyShape.object([
        "lineId": .value, "equipmentId": .value, "participant": .value,
        "events": .array(.object(["eventId": .value, "kind": .value, "unit": .value, "contents": .value, "at": .value])),
    ])
}

// The trade half: a signed envelope's document is checked against its shape after the signature verified.

extension AccountRequest: StrictRequestBody {
    static let keyShape = KeyShape.object(["name": .value, "kind": .value])
}

extension BlockRequest: StrictRequestBody {
    static let keyShape = KeyShape.object(["reason": .value])
}

extension OrderCancellation: StrictRequestBody {
    static let keyShape = KeyShape.object(["reason": .value])
}

extension ApplicationDecision: StrictRequestBody {
    static let keyShape = KeyShape.object(["decision": .value, "grounds": .value, "comment": .value])
}

extension SaleOrder: StrictRequestBody {
    static let keyShape = KeyShape.object([
        "number": .value, "seller": .value, "buyer": .value, "codes": .value, "units": .value, "volumeLitres": .value, "price": .value,
        "note": .value,
    ])
}

extension CounterOrder: StrictRequestBody {
    static let keyShape = KeyShape.object(["order": .value, "seller": .value, "buyer": .value, "orderDigest": .value, "accept": .value])
}

extension ReportSubmission: StrictRequestBody {
    static let keyShape = KeyShape.object([
        "participant": .value, "form": .value, "month": .value, "received": .value, "activated": .value, "openingBalance": .value,
        "used": .value, "closingBalance": .value, "note": .value,
    ])
}

extension StampApplication: StrictRequestBody {
    static let keyShape: KeyShape = {
        let payment = KeyShape.object(["amount": .value, "bankAccount": .value, "document": .value, "date": .value])
        return .object([
            "number": .value, "date": .value, "kind": .value, "applicant": .value, "name": .value, "address": .value,
            "licence": .object(["authority": .value, "number": .value, "date": .value]), "quantity": .value,
            "product": .object(["catalogueCode": .value, "name": .value, "type": .value, "capacityMl": .value, "strength": .value]),
            "periodFrom": .value, "periodTo": .value,
            "certificate": .object(["number": .value, "body": .value, "validUntil": .value]), "hsCode": .value,
            "stampPayment": payment, "excisePayment": payment, "receiptMethod": .value,
            "contract": .object(["number": .value, "date": .value]),
            "obligation": .object([
                "securityAmount": .value, "method": .value, "instrumentNumber": .value, "instrumentDate": .value, "legalAddress": .value,
                "bankDetails": .value,
            ]),
            "undertakings": .object(["apiReports": .value, "dataAccurate": .value, "rulesRead": .value, "noArrears": .value]),
        ])
    }()
}

import Foundation
import LineCore

/// One accepted activation on the registrar's live stream (`GET /v1/stream/activations`, Server-Sent Events): the
/// `data:` line of an `event: activation`. `id` is also the event's SSE `id:`.
public struct ActivationEvent: Codable, Sendable, Equatable {
    /// The activation's event id: assigned in storage when the activation commits, increasing in commit order,
    /// without gaps. A client resumes after it with `Last-Event-ID` (or `?after=`).
    public var id: Int64
    /// The activated code.
    public var code: String
    /// The producer or importer whose code it is (and who activated it).
    public var participant: TaxpayerID
    /// The filling line (`app8-import-report` for App. 8 import reports).
    public var lineId: String
    /// The reading equipment (`-` for import reports).
    public var equipmentId: String
    /// The product's ДСН code, when one was sent.
    public var productCode: String?
    /// The activation time, in UTC.
    public var activatedAt: Timestamp
    /// The batch (or import report) that activated the code.
    public var batchId: UUID

    public init(id: Int64, code: String, participant: TaxpayerID, lineId: String, equipmentId: String, productCode: String?,
                activatedAt: Timestamp, batchId: UUID) {
        self.id = id
        self.code = code
        self.participant = participant
        self.lineId = lineId
        self.equipmentId = equipmentId
        self.productCode = productCode
        self.activatedAt = activatedAt
        self.batchId = batchId
    }
}

/// The names the activation stream uses on the wire.
public enum ActivationStreamFormat {
    /// The SSE `event:` name of an accepted activation.
    public static let eventName = "activation"
    /// The SSE comment sent as a heartbeat so that proxies keep an idle connection open.
    public static let heartbeat = ": keep-alive"
}

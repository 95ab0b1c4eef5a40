import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import QazAPI

// The register → FDO leg (order No 626 cl. 78–81; App. 13-B items 29, 30). Its wire is this simulator's own, JSON over
// HTTP on the relay (`POST /receipts`, `POST /receipts/autonomous`); errors use the registrar's `ErrorResponse` shape.

/// The FDO's answer to one receipt: the fiscal sign it formed (cl. 79: "the fiscal sign generated for each receipt").
public struct SignedReceipt: Codable, Sendable, Equatable {
    public var registrationNumber: String
    public var number: Int
    /// The FDO's fiscal sign for the receipt (for an autonomous receipt: the sign the FDO answers it with on upload; the
    /// receipt itself keeps its autonomous sign).
    public var fiscalSign: String
    /// The FDO already held this receipt (the same sale sent again, e.g. after a lost answer): nothing was queued.
    public var duplicate: Bool
    public init(registrationNumber: String, number: Int, fiscalSign: String, duplicate: Bool = false) {
        self.registrationNumber = registrationNumber
        self.number = number
        self.fiscalSign = fiscalSign
        self.duplicate = duplicate
    }
}

/// `POST /receipts/autonomous`: what a register sends when its link returns (App. 13-B items 30.1, 30.2).
public struct AutonomousUpload: Codable, Sendable, Equatable {
    public var registrationNumber: String
    /// How long the register worked autonomously, seconds (item 30.1).
    public var autonomousSeconds: Int
    /// The accumulated receipts, in number order, consecutive.
    public var receipts: [FiscalReceipt]
    public init(registrationNumber: String, autonomousSeconds: Int, receipts: [FiscalReceipt]) {
        self.registrationNumber = registrationNumber
        self.autonomousSeconds = autonomousSeconds
        self.receipts = receipts
    }
}

/// The answer to an upload: one ``SignedReceipt`` per receipt, in order (cl. 81(2): each receipt answered).
public struct AutonomousUploadAnswer: Codable, Sendable, Equatable {
    public var receipts: [SignedReceipt]
    public init(receipts: [SignedReceipt]) { self.receipts = receipts }
}

/// Why a register's message did not get the FDO's answer.
public enum FDOLinkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No answer within the register's limit (App. 13-B item 29: 5 s), or no connection: the register goes autonomous.
    case unreachable(String)
    /// The FDO answered and refused the message (an invalid receipt, another receipt under the same number).
    case refused(status: Int, ErrorBody)

    public var description: String {
        switch self {
        case .unreachable(let reason): "FDO unreachable: \(reason)"
        case .refused(let status, let body): "FDO refused (\(status) \(body.code)): \(body.message)"
        }
    }
}

/// The seam between a cash register and its fiscal data operator: ``HTTPFDOLink`` over sockets, or an ``FDORelay``
/// in process.
public protocol FDOLink: Sendable {
    /// Sends one receipt formed online; answers the FDO's fiscal sign.
    /// - Parameter receipt: the receipt without signs, `autonomous` false.
    func send(_ receipt: FiscalReceipt) async throws(FDOLinkError) -> SignedReceipt
    /// Sends the receipts a register accumulated offline, in order; answers each.
    /// - Parameter upload: the register, how long it was autonomous, its receipts.
    func sendAutonomous(_ upload: AutonomousUpload) async throws(FDOLinkError) -> AutonomousUploadAnswer
}

/// A register's link to an ``FDORelay`` over HTTP (AsyncHTTPClient). Call ``shutdown()`` when done.
public final class HTTPFDOLink: FDOLink {
    private let http: HTTPClient
    private let baseURL: String
    private let timeout: Duration

    /// - Parameters:
    ///   - baseURL: the relay, e.g. `http://127.0.0.1:8181`.
    ///   - timeout: how long a register waits for the FDO's answer before going autonomous (item 29: 5 s).
    public init(baseURL: String, timeout: Duration = .seconds(5)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.timeout = timeout
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false  // a refused connection is the lost link
        configuration.timeout = .init(connect: .seconds(2))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func send(_ receipt: FiscalReceipt) async throws(FDOLinkError) -> SignedReceipt {
        try await post("/receipts", receipt)
    }

    public func sendAutonomous(_ upload: AutonomousUpload) async throws(FDOLinkError) -> AutonomousUploadAnswer {
        try await post("/receipts/autonomous", upload)
    }

    /// Releases the connections.
    public func shutdown() async throws { try await http.shutdown() }

    private func post<Body: Encodable, Answer: Decodable>(_ path: String, _ body: Body) async throws(FDOLinkError) -> Answer {
        let encoded: Data
        do { encoded = try WireCoding.encoder().encode(body) } catch { throw .unreachable("cannot encode: \(error)") }
        let (status, data) = try await post(path: path, body: encoded)
        guard (200..<300).contains(status) else {
            // A busy or failing FDO is, for the register, no FDO (item 29: no valid answer in time).
            guard (400..<500).contains(status), status != 408, status != 429 else { throw .unreachable("HTTP \(status)") }
            let body = (try? WireCoding.decoder().decode(ErrorResponse.self, from: data))?.error
                ?? ErrorBody(code: .internal, message: "HTTP \(status): \(String(decoding: data.prefix(200), as: UTF8.self))")
            throw .refused(status: status, body)
        }
        do { return try WireCoding.decoder().decode(Answer.self, from: data) } catch { throw .unreachable("undecodable answer: \(error)") }
    }

    /// One POST of raw bytes; the status and the body.
    func post(path: String, body: Data) async throws(FDOLinkError) -> (status: Int, body: Data) {
        do {
            var request = HTTPClientRequest(url: baseURL + path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await http.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            let bytes = try await response.body.collect(upTo: 64 << 20)
            return (Int(response.status.code), Data(bytes.readableBytesView))
        } catch {
            throw .unreachable(String(describing: error))
        }
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : product &+ attoseconds / 1_000_000_000
    }

    /// The duration in seconds, as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

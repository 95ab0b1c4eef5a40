import Logging

/// HTTP to several registrar addresses (`qazserver` instances over one database, serving the same API): each request
/// goes to the address in use (``RegistrarAddresses``); when that fails it goes to the next, and after the
/// addresses' `failback` the first (preferred) one is tried again.
///
/// What moves a request to the next address (``failoverCause(_:)``): no answer at all (connection refused or reset,
/// connect or read timeout, TLS handshake failure: ``QazClientError/connection(_:)``), or an answer of 502, 503 or
/// 504 (a proxy without its upstream, a registrar shutting down or without its storage). Any other answer, 4xx
/// (401, 409, 422, 429…) and 500 included, is the registrar's word on the request and is returned as it is.
///
/// A request that may be sent twice (``execute(method:path:headers:body:timeout:resendElsewhere:)`` with
/// `resendElsewhere` true: every request the client itself retries, since each carries its idempotency key, such as
/// an activation batch's id) is sent to the next address at once. Any other request (a report submission) is not
/// sent again: its failure is returned, and the client moves on so that the next request goes to the next address.
public final class FailoverTransport: HTTPTransport {
    /// The addresses and which one is in use.
    public let addresses: RegistrarAddresses
    private let transports: [any HTTPTransport]
    private let logger: Logger
    private let onSwitch: @Sendable (RegistrarSwitch) -> Void

    /// - Parameters:
    ///   - addresses: the base URLs and the failback interval.
    ///   - transports: one transport per address, in the same order (each sends to its own base URL).
    ///   - logger: each move is logged once, at notice level, with both URLs.
    ///   - onSwitch: called once per move (metrics).
    public init(addresses: RegistrarAddresses, transports: [any HTTPTransport], logger: Logger,
                onSwitch: @escaping @Sendable (RegistrarSwitch) -> Void = { _ in }) {
        precondition(addresses.urls.count == transports.count, "one transport per registrar address")
        self.addresses = addresses
        self.transports = transports
        self.logger = logger
        self.onSwitch = onSwitch
    }

    /// Why an exchange's outcome sends the request to the next address, or nil when it is the registrar's answer.
    public static func failoverCause(_ outcome: Result<RawResponse, QazClientError>) -> String? {
        switch outcome {
        case .success(let response): [502, 503, 504].contains(response.status) ? "HTTP \(response.status)" : nil
        case .failure(.connection(let why)): why
        case .failure: nil
        }
    }

    /// Sends as ``execute(method:path:headers:body:timeout:resendElsewhere:)``; `GET`, `HEAD`, `PUT`, `DELETE` and
    /// `OPTIONS` may go to another address after a failure, other methods may not.
    public func execute(method: String, path: String, headers: [(String, String)], body: [UInt8]?, timeout: Duration)
        async throws(QazClientError) -> RawResponse
    {
        try await execute(method: method, path: path, headers: headers, body: body, timeout: timeout,
                          resendElsewhere: ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(method.uppercased()))
    }

    /// Sends one request to the address in use; on a failure that counts (``failoverCause(_:)``) tries the other
    /// addresses in turn when `resendElsewhere`, each once.
    /// - Returns: the first answer that is not a failover reason; when every address failed, the first 502/503/504
    ///   answer if any address gave one.
    /// - Throws: ``QazClientError/connection(_:)`` naming every address tried, when none answered.
    public func execute(method: String, path: String, headers: [(String, String)], body: [UInt8]?, timeout: Duration,
                        resendElsewhere: Bool) async throws(QazClientError) -> RawResponse
    {
        let plan = addresses.plan(mayProbe: resendElsewhere)
        var failures: [(index: Int, cause: String)] = []
        var unavailable: RawResponse?
        for index in resendElsewhere ? plan.order : [plan.order[0]] {
            let outcome: Result<RawResponse, QazClientError>
            do throws(QazClientError) {
                outcome = .success(try await transports[index].execute(method: method, path: path, headers: headers, body: body,
                                                                       timeout: timeout))
            } catch {
                outcome = .failure(error)
            }
            guard let cause = Self.failoverCause(outcome) else {
                if let move = addresses.answered(at: index, plan: plan, cause: failures.first.map { "\($0.cause)" }) { report(move) }
                return try outcome.get()
            }
            if plan.failbackProbe, index == 0 {
                logger.info("Preferred registrar still failing; staying on the current one", metadata: [
                    "registrar.url": "\(addresses.urls[0])", "registrar.active_url": "\(addresses.urls[plan.active])",
                    "error.message": "\(cause)", "registrar.next_try_in": "\(addresses.failback)"])
            }
            failures.append((index, cause))
            if case .success(let response) = outcome, unavailable == nil { unavailable = response }
            if Task.isCancelled { break }
        }
        if !resendElsewhere, let first = failures.first,
           let move = addresses.failedWithoutResend(at: first.index, plan: plan, cause: first.cause) {
            report(move)
        }
        if let unavailable { return unavailable }
        if failures.count == 1 { throw .connection(failures[0].cause) }
        throw .connection("no registrar address answered: "
            + failures.map { "\(addresses.urls[$0.index]): \($0.cause)" }.joined(separator: "; "))
    }

    public func shutdown() async throws {
        var firstError: (any Error)?
        for transport in transports {
            do { try await transport.shutdown() } catch { firstError = firstError ?? error }
        }
        if let firstError { throw firstError }
    }

    private func report(_ move: RegistrarSwitch) {
        var metadata: Logger.Metadata = [
            "registrar.from": "\(move.fromURL)", "registrar.to": "\(move.toURL)", "registrar.reason": "\(move.reason.rawValue)",
        ]
        if let cause = move.cause { metadata["error.message"] = "\(cause)" }
        switch move.reason {
        case .failover: logger.warning("Registrar address changed: \(move.fromURL) failed, now sending to \(move.toURL)", metadata: metadata)
        case .failback: logger.notice("Registrar address changed: back to the preferred \(move.toURL) (from \(move.fromURL))", metadata: metadata)
        }
        onSwitch(move)
    }
}

import Foundation
import Hummingbird
import LineCore
import QazAPI
import ServiceLifecycle

/// Routes served beside the `/v1` API by the same server, such as the registrar console (the `RegistrarConsole`
/// target). QazServer knows only this protocol: the console depends on QazServer, never the other way round.
///
/// ``register(on:server:)`` is called for every router the server builds (the server builds one more, without
/// middleware, to learn which methods each path answers for `405`), so it must only add routes.
public protocol RegistrarHTTPExtension: Sendable {
    /// Adds the extension's routes. They run behind the server's error and metrics middleware but not behind the
    /// API's bearer-token authentication or rate limit: the extension authenticates its own requests.
    func register(on router: Router<RegistrarContext>, server: RegistrarServer)
    /// Services to run while the server runs. Put them after the HTTP service in a service group, so that on graceful
    /// shutdown they stop first (and end any long-lived response they hold, such as a live page's event stream).
    var services: [any Service] { get }
}

extension RegistrarServer {
    /// The server's background jobs (the order expiry job) and the services of every extension (see
    /// ``RegistrarHTTPExtension/services``): run them after the HTTP service in its service group.
    public var extensionServices: [any Service] {
        (orderExpiryService.map { [$0] } ?? []) + (receiptGapService.map { [$0] } ?? []) + (clusterMaintenanceService.map { [$0] } ?? [])
            + extensions.flatMap(\.services)
    }

    /// The identity of a bearer token's text, or nil when it is unknown, revoked or expired (for an extension's own
    /// sign-in). The token is looked up by its SHA-256 hash, as API requests are: the secret is never compared.
    public func identity(token: String, now: Timestamp = .now) async throws(StoreError) -> Identity? {
        try await tokens.identity(token: token, now: now)
    }
}

extension TokenService {
    /// The identity of a token's text, or nil when it is unknown, revoked or expired.
    public func identity(token: String, now: Timestamp = .now) async throws(StoreError) -> Identity? {
        guard !token.isEmpty, token.utf8.count < 512 else { return nil }
        guard let record = try await store.token(hash: Self.hash(token)), record.revokedAt == nil else { return nil }
        if let expires = record.expiresAt, expires <= now { return nil }
        return Identity(tokenID: record.id, participant: record.participant, role: record.role)
    }
}

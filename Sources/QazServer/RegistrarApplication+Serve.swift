import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// Paths of the PEM files the server's TLS uses.
public struct ServerTLSFiles: Sendable {
    public var certificate: String
    public var privateKey: String
    /// When set, clients must present a certificate signed by this CA (mutual TLS).
    public var clientCA: String?
    public init(certificate: String, privateKey: String, clientCA: String? = nil) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.clientCA = clientCA
    }
}

extension RegistrarServer {
    /// The Hummingbird application serving the registrar.
    /// - Parameters:
    ///   - host: the address to bind (tests and the benchmark use 127.0.0.1).
    ///   - port: the port; 0 picks a free one, reported to `onServerRunning`.
    ///   - tls: certificate files for HTTPS, or nil for plain HTTP.
    ///   - logger: the server's logger.
    ///   - onServerRunning: called with the bound port once the server listens.
    public func application(host: String, port: Int, tls: ServerTLSFiles? = nil, logger: Logger,
                            onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        throws -> Application<RouterResponder<RegistrarContext>>
    {
        let server: HTTPServerBuilder
        if let tls {
            var configuration = NIOSSL.TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKey, format: .pem)))
            if let clientCA = tls.clientCA {
                configuration.trustRoots = .file(clientCA)
                configuration.certificateVerification = .noHostnameVerification
            }
            server = try .tls(.http1(), tlsConfiguration: configuration)
        } else {
            server = .http1()
        }
        var app = Application(
            router: router(),
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "qazserver"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
        app.addServices(readiness)
        return app
    }
}

extension RegistrarServer {
    /// Serves the registrar on 127.0.0.1 (HTTP, or HTTPS with `tls`), on a free port, while `body` runs; then shuts it
    /// down gracefully, whether `body` returns or throws (tests, benchmarks and tools that need a real registrar).
    /// - Parameter body: gets the port and the service group (to trigger a graceful shutdown from outside).
    public func withLoopbackServer<T: Sendable>(logger: Logger, tls: ServerTLSFiles? = nil,
                                                _ body: (_ port: Int, _ group: ServiceGroup) async throws -> T) async throws -> T {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = try application(host: "127.0.0.1", port: 0, tls: tls, logger: logger, onServerRunning: { continuation.yield($0) })
        // Extensions' services after the server: on graceful shutdown they stop first (ending live pages' streams).
        let group = ServiceGroup(configuration: .init(services: [app] + extensionServices, logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { continuation.finish() }  // a server that fails to start ends the wait for its port
                try await group.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await tasks.next()  // the server's own error
                throw CancellationError()
            }
            do {
                let value = try await body(port, group)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}

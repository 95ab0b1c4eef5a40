import ConfigKit
import Foundation
import LineConfig
import Logging
import Outbox
import QazClient

/// A start-up failure that names what is wrong (a file, a setting) and what to do.
public struct AgentSetupError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Opening what an agent configuration points at: the outbox, the registrar client. Shared by `lineagent run`,
/// `demo` and the operator commands (`status`, `outbox`, `pool`, `write-off`).
extension AgentPlan {
    /// The outbox file, resolved against the configuration file's directory.
    public var outboxPath: String { resolve(configuration.outbox.path).path }

    /// Opens the outbox: creates the file (and its directory) when missing; a corrupt file or another program's
    /// database is refused with a message naming it (``OutboxError``), never touched.
    public func openOutbox() throws(AgentSetupError) -> OutboxStore {
        let path = outboxPath
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw AgentSetupError("cannot create the outbox directory \(directory): \(error.localizedDescription)")
        }
        do {
            let database = try AgentDatabase(path: path)
            return OutboxStore(database: database, minimumFreeBytes: configuration.outbox.minFreeSpace.bytes)
        } catch {
            throw AgentSetupError("\(error)")
        }
    }

    /// The bearer token from `server.credentialFile` (first line, trimmed).
    public func readToken() throws(AgentSetupError) -> String {
        let path = resolve(configuration.server.credentialFile).path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AgentSetupError("server.credentialFile: cannot read \(path) (create it with the token the registrar issued: qazserver token issue --config F --bin BIN --role producer, on the registrar)")
        }
        let token = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !token.isEmpty else { throw AgentSetupError("server.credentialFile: \(path) is empty") }
        return token
    }

    /// The registrar client's settings from the `server` block. `maxAttempts` 1: the outbox drainer does the retrying.
    public func clientConfiguration(maxAttempts: Int = 1) throws(AgentSetupError) -> QazClientConfiguration {
        let server = configuration.server
        var tls: ClientTLS?
        if server.caFile != nil || server.clientCertificate != nil {
            tls = ClientTLS(caFile: server.caFile.map { resolve($0).path },
                            certificateFile: server.clientCertificate.map { resolve($0).path },
                            privateKeyFile: server.clientKey.map { resolve($0).path })
        }
        let base = server.url.hasSuffix("/") ? String(server.url.dropLast()) : server.url
        return QazClientConfiguration(baseURL: base, token: try readToken(), requestTimeout: server.timeout.duration, tls: tls,
                                      requestsPerSecond: server.requestsPerSecond,
                                      burst: max(1, Int(server.requestsPerSecond.rounded(.up))), maxAttempts: maxAttempts)
    }

    /// A registrar client for this configuration. Call `shutdown()` when done.
    public func makeClient(maxAttempts: Int = 1, logger: Logger) throws(AgentSetupError) -> QazAPIClient {
        do {
            return try QazAPIClient(configuration: try clientConfiguration(maxAttempts: maxAttempts), logger: logger)
        } catch let error as AgentSetupError {
            throw error
        } catch {
            throw AgentSetupError("registrar client: \(error)")
        }
    }

    /// The agent's own HTTP endpoint base URL (`http://127.0.0.1:9464`); a wildcard bind address is reached on loopback.
    public var endpointURL: String {
        let host = configuration.http.host
        let reach = host == "0.0.0.0" || host == "::" || host.isEmpty ? "127.0.0.1" : host
        return "http://\(reach):\(configuration.http.port.value)"
    }
}

import ConfigKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif
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

    /// The bearer token from `server.credentialFile` (first line, trimmed). A file that gives any permission to group
    /// or others is refused (``CredentialFile/check(_:key:)``).
    public func readToken() throws(AgentSetupError) -> String {
        let path = resolve(configuration.server.credentialFile).path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AgentSetupError("server.credentialFile: cannot read \(path) (create it with the token the registrar issued: qazserver token issue --config F --bin BIN --role producer, on the registrar; then chmod 600 \(path))")
        }
        if let problem = CredentialFile.check(path, key: "server.credentialFile") { throw AgentSetupError(problem) }
        let token = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !token.isEmpty else { throw AgentSetupError("server.credentialFile: \(path) is empty") }
        return token
    }

    /// What is wrong with the permissions of the secret files the configuration names (`server.credentialFile`,
    /// `server.clientKey`), one message each; files that do not exist are not checked here.
    public func credentialProblems() -> [String] {
        var files = [("server.credentialFile", configuration.server.credentialFile)]
        if let key = configuration.server.clientKey { files.append(("server.clientKey", key)) }
        return files.compactMap { key, file in CredentialFile.check(resolve(file).path, key: key) }
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
        if let key = server.clientKey, let problem = CredentialFile.check(resolve(key).path, key: "server.clientKey") {
            throw AgentSetupError(problem)
        }
        let bases = server.urls.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        return QazClientConfiguration(baseURLs: bases, failback: server.failback.duration, token: try readToken(),
                                      requestTimeout: server.timeout.duration, tls: tls, requestsPerSecond: server.requestsPerSecond,
                                      burst: max(1, Int(server.requestsPerSecond.rounded(.up))), maxAttempts: maxAttempts)
    }

    /// A registrar client for this configuration. Call `shutdown()` when done.
    /// - Parameter metrics: where the moves between registrar addresses are counted (the agent's `/metrics`).
    public func makeClient(maxAttempts: Int = 1, logger: Logger, metrics: AgentMetrics? = nil) throws(AgentSetupError) -> QazAPIClient {
        let registrar = metrics.map(RegistrarMetrics.init)
        do {
            return try QazAPIClient(configuration: try clientConfiguration(maxAttempts: maxAttempts), logger: logger,
                                    onSwitch: { registrar?.record($0) })
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

/// Files holding secrets (the bearer token, a TLS client key): only the agent's user may read them.
public enum CredentialFile {
    /// Why the file at `path` is refused, or nil when its mode gives no permission to group or others
    /// (`mode & 0o077 == 0`) or it does not exist. Follows symbolic links (the mode of the file itself counts).
    /// - Parameter key: the configuration key that names the file, for the message.
    public static func check(_ path: String, key: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let mode = UInt32(info.st_mode) & 0o7777
        guard mode & 0o077 != 0 else { return nil }
        let octal = "0" + String(mode, radix: 8)
        return "\(key): \(path) has mode \(octal), so users other than the agent's may read the secret in it; "
            + "make it private to the agent's user: chmod 600 \(path) && chown \(agentUser) \(path)"
    }

    /// Writes `text` to a file only its owner may read or write (mode 0600), creating or replacing it; an existing
    /// file's mode is set to 0600 before anything is written.
    public static func write(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AgentSetupError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else { throw AgentSetupError("cannot make \(path) private (chmod 600): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw AgentSetupError("cannot write \(path): \(String(cString: strerror(errno)))") }
            written += n
        }
    }

    /// The user the agent runs as (for the `chown` advice).
    static var agentUser: String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return "\(geteuid())" }
        return String(cString: name)
    }
}

import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOSSL

/// Carries one HTTP exchange for ``QazAPIClient``: AsyncHTTPClient over sockets in production (``SocketTransport``);
/// the registrar's tests hand the client an in-process router instead.
public protocol HTTPTransport: Sendable {
    /// Sends one request and returns the whole answer; no retry, no status check.
    /// - Parameters:
    ///   - method: `GET`, `POST`, …
    ///   - path: the path and query, e.g. `/v1/codes/QZ…`.
    ///   - headers: every header to send.
    ///   - body: the body bytes, if any.
    ///   - timeout: time allowed from sending to the whole answer.
    /// - Throws: ``QazClientError/connection(_:)`` when no answer came, ``QazClientError/invalidRequest(_:)`` when the
    ///   request cannot be sent at all.
    func execute(method: String, path: String, headers: [(String, String)], body: [UInt8]?, timeout: Duration)
        async throws(QazClientError) -> RawResponse
    /// Releases connections. Called once, by ``QazAPIClient/shutdown()``.
    func shutdown() async throws
}

/// HTTP(S) over sockets with AsyncHTTPClient: one connection pool per client, TLS (and mutual TLS) from PEM files.
public final class SocketTransport: HTTPTransport {
    private let http: HTTPClient
    private let baseURL: String

    /// - Throws: ``QazClientError/invalidRequest(_:)`` when the TLS files cannot be read.
    public convenience init(configuration: QazClientConfiguration) throws(QazClientError) {
        self.init(baseURL: configuration.baseURL, configuration: configuration, tls: try Self.tlsSettings(configuration.tls))
    }

    /// A transport to `baseURL` (e.g. one of `configuration.baseURLs`, for a ``FailoverTransport``) with the rest of
    /// `configuration`.
    /// - Throws: ``QazClientError/invalidRequest(_:)`` when the TLS files cannot be read.
    public convenience init(baseURL: String, configuration: QazClientConfiguration) throws(QazClientError) {
        self.init(baseURL: baseURL, configuration: configuration, tls: try Self.tlsSettings(configuration.tls))
    }

    /// A transport to `baseURL` with TLS settings already read.
    init(baseURL: String, configuration: QazClientConfiguration, tls: NIOSSL.TLSConfiguration?) {
        self.baseURL = baseURL
        var http = HTTPClient.Configuration()
        http.timeout = .init(connect: .nanoseconds(Self.nanos(configuration.connectTimeout)),
                             read: .nanoseconds(Self.nanos(configuration.requestTimeout)))
        http.connectionPool = .init(idleTimeout: .seconds(60))
        http.connectionPool.retryConnectionEstablishment = false  // a refused connection is reported at once; callers retry with backoff
        if let tls { http.tlsConfiguration = tls }
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
    }

    /// The client TLS settings from PEM files (nil: plain defaults).
    /// - Throws: ``QazClientError/invalidRequest(_:)`` when a file cannot be read.
    static func tlsSettings(_ tls: ClientTLS?) throws(QazClientError) -> NIOSSL.TLSConfiguration? {
        guard let tls else { return nil }
        var settings = NIOSSL.TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = tls.caFile { settings.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca)) }
            if let cert = tls.certificateFile {
                settings.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
                guard let key = tls.privateKeyFile else { throw QazClientError.invalidRequest("a client certificate needs privateKeyFile") }
                settings.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
        } catch let error as QazClientError {
            throw error
        } catch {
            throw .invalidRequest("TLS files: \(error)")
        }
        return settings
    }

    public func execute(method: String, path: String, headers: [(String, String)], body: [UInt8]?, timeout: Duration)
        async throws(QazClientError) -> RawResponse
    {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(Self.nanos(timeout)))
            let buffer = try await response.body.collect(upTo: 256 << 20)
            return RawResponse(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                               body: Array(buffer: buffer))
        } catch let error as HTTPClientError where error == .invalidURL || error == .emptyHost || error == .emptyScheme {
            throw .invalidRequest("\(error)")
        } catch {
            throw .connection(String(describing: error))
        }
    }

    public func shutdown() async throws { try await http.shutdown() }

    static func nanos(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

import HTTPTypes
import QazAPI

/// The registrar's routes by path template, so that a request naming a known path with a method it does not
/// support is answered `405 method_not_allowed` with an `Allow` header (RFC 9110 §15.5.6) instead of `404`.
struct RouteTable: Sendable {
    /// Path templates (`:name` matches one segment) and the methods each answers.
    let routes: [(segments: [Substring], methods: [HTTPRequest.Method])]

    init(_ routes: [(String, [HTTPRequest.Method])]) {
        self.routes = routes.map { (path, methods) in (path.split(separator: "/"), methods) }
    }

    /// The methods a path answers, or nil when no route has this path.
    func methods(for path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var found = [HTTPRequest.Method]()
        for route in routes where route.segments.count == segments.count {
            if zip(route.segments, segments).allSatisfy({ $0.hasPrefix(":") || $0 == $1 }) {
                found += route.methods.filter { !found.contains($0) }
            }
        }
        return found.isEmpty ? nil : found
    }

    /// The error for `method` on `path` when the path is known and the method is not one of its methods.
    func methodNotAllowed(_ method: HTTPRequest.Method, path: String) -> RegistrarError? {
        guard let methods = methods(for: path), !methods.contains(method) else { return nil }
        let allow = methods.map(\.rawValue).joined(separator: ", ")
        return RegistrarError(.methodNotAllowed, .methodNotAllowed, "\(method.rawValue) is not allowed on this path; allowed: \(allow)",
                              details: ["allow": allow], headers: [.allow: allow])
    }

    /// Every route of ``RegistrarServer/router()``.
    static let registrar = RouteTable([
        ("/health", [.get]), ("/ready", [.get]), ("/metrics", [.get]), ("/openapi.yaml", [.get]),
        ("/v1/waybills", [.post]), ("/v1/activations", [.post]), ("/v1/activations/:batchId", [.get]),
        ("/v1/codes/:code", [.get]), ("/v1/pools/:bin/codes", [.get]), ("/v1/write-offs", [.post]),
        ("/v1/import-reports", [.post]), ("/v1/reports/qr-usage", [.get]), ("/v1/reports/qr-activation", [.get]),
        ("/v1/stream/activations", [.get]),
    ])
}

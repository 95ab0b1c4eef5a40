import HTTPTypes
import Hummingbird
import QazAPI

/// The registrar's routes as the router holds them, so that a request naming a known path with a method it does not
/// support is answered `405 method_not_allowed` with an `Allow` header (RFC 9110 §15.5.6) instead of `404`.
struct RouteTable: Sendable {
    /// Path templates and the methods each answers.
    let routes: [(path: RouterPath, method: HTTPRequest.Method)]

    /// The routes of `router` (read after every route has been added).
    init<Context>(_ router: Router<Context>) {
        routes = router.routes.map { ($0.path, $0.method) }
    }

    /// The methods a path answers, or nil when no route has this path.
    func methods(for path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var found = [HTTPRequest.Method]()
        for route in routes where route.path.components.count == segments.count && !found.contains(route.method) {
            if zip(route.path.components, segments).allSatisfy({ $0 ~= $1 }) { found.append(route.method) }
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
}

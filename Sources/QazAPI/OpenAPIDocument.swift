import Foundation

/// The OpenAPI 3.1 document of this contract (`Sources/QazAPI/openapi.yaml`, linked from `docs/openapi.yaml`),
/// the single source of the wire format. The server serves it at `/openapi.yaml`.
public enum OpenAPIDocument {
    /// The document's text, read from the module's resources.
    public static let yaml: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return "" }
        return text
    }()
}

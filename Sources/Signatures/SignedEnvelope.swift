import Foundation

/// The wire form of a signed document, shared by every signed endpoint: `{"document": {...}, "signature": "<base64 DER CMS>"}`;
/// the signature is over CanonicalJSON.canonicalize(document's JSON).
public struct SignedEnvelope: Sendable {
    /// The document's JSON text exactly as it arrived (a slice of the body).
    public var documentJSON: Data
    /// RFC 8785 bytes of the document: what the signature is over.
    public var canonical: [UInt8]
    /// The detached CMS SignedData, DER.
    public var signature: [UInt8]

    public init(documentJSON: Data, canonical: [UInt8], signature: [UInt8]) {
        self.documentJSON = documentJSON
        self.canonical = canonical
        self.signature = signature
    }

    /// Parses the envelope: both members required, no others; document must be a JSON object; signature base64 (standard or url-safe).
    ///
    /// Problems with the body or the document throw ``SignatureError/notCanonicalizable(_:)`` (`document_not_canonical`);
    /// a missing, non-string, empty or non-base64 signature throws ``SignatureError/garbled(_:)`` (`signature_garbled`).
    public static func parse(_ body: Data) throws(SignatureError) -> SignedEnvelope {
        let bytes = [UInt8](body)
        var parser = JSONParser(bytes)
        parser.skipWhitespace()
        guard parser.peek() == UInt8(ascii: "{") else {
            throw .notCanonicalizable("the envelope must be a JSON object {\"document\": {...}, \"signature\": \"...\"}")
        }
        let members = try parser.parseMembers(depth: 0)
        try parser.expectEnd()
        var document: JSONParser.Member?
        var signature: JSONParser.Member?
        for member in members {
            switch member.key {
            case "document":
                guard document == nil else { throw .notCanonicalizable("the envelope has two \"document\" members") }
                document = member
            case "signature":
                guard signature == nil else { throw .garbled("the envelope has two \"signature\" members") }
                signature = member
            default:
                throw .notCanonicalizable("the envelope has an unexpected member \"\(member.key.prefix(64))\" (only \"document\" and \"signature\")")
            }
        }
        guard let document else { throw .notCanonicalizable("the envelope has no \"document\" member") }
        guard bytes[document.valueRange.lowerBound] == UInt8(ascii: "{") else {
            throw .notCanonicalizable("the envelope's \"document\" must be a JSON object")
        }
        guard let signature else { throw .garbled("the envelope has no \"signature\" member") }
        guard bytes[signature.valueRange.lowerBound] == UInt8(ascii: "\"") else {
            throw .garbled("the envelope's \"signature\" must be a string (base64 of the DER CMS)")
        }
        var stringParser = JSONParser(Array(bytes[signature.valueRange]))
        let text = try stringParser.parseString()
        guard !text.isEmpty else { throw .garbled("the envelope's \"signature\" is empty") }
        guard let der = decodeBase64(text) else {
            throw .garbled("the envelope's \"signature\" is not base64 (standard or url-safe alphabet, no whitespace)")
        }
        return SignedEnvelope(
            documentJSON: Data(bytes[document.valueRange]), canonical: document.canonicalValue, signature: der)
    }

    /// Builds the envelope JSON for a document object (used by the CLI and tests): the document in canonical form and
    /// the signature over it in standard base64. The result is itself canonical JSON.
    public static func make(
        documentJSON: Data, keyPEM: String, certificatePEM: String, chainPEM: [String] = [], keyPassword: String? = nil
    ) throws(SignatureError) -> Data {
        let canonical = try CanonicalJSON.canonicalize(documentJSON)
        guard canonical.first == UInt8(ascii: "{") else { throw .notCanonicalizable("the document must be a JSON object") }
        let signature = try CMSSigner.sign(
            content: canonical, keyPEM: keyPEM, certificatePEM: certificatePEM, chainPEM: chainPEM, keyPassword: keyPassword)
        var body = Array("{\"document\":".utf8)
        body += canonical
        body += Array(",\"signature\":\"".utf8)
        body += Array(Data(signature).base64EncodedString().utf8)
        body += Array("\"}".utf8)
        return Data(body)
    }

    /// Standard or url-safe base64, padded or not; nil for anything else (whitespace included).
    static func decodeBase64(_ text: String) -> [UInt8]? {
        var normalized = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        guard normalized.utf8.allSatisfy({ byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
        }) else { return nil }
        let remainder = normalized.utf8.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { normalized += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: normalized).map { [UInt8]($0) }
    }
}

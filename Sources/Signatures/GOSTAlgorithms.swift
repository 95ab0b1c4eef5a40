/// Names for the GOST algorithm OIDs a Kazakh (NCA) or Russian signature may carry, so that an unsupported-algorithm
/// answer says which algorithm it was. Debian's OpenSSL 3.0 has no GOST provider (the gost-engine is not packaged for
/// OpenSSL 3 in bookworm), so the server verifies RSA and ECDSA only and refuses these with
/// ``SignatureError/unsupportedAlgorithm(_:)`` before attempting any cryptography.
public enum GOSTAlgorithms {
    /// Kazakhstan's arc (ГОСТ 34.310-2004 / 34.311-95, ГОСТ Р 34.10-2015 as adopted by the NCA).
    public static let kazakhArc = "1.2.398.3.10"
    /// Russia's arc (ГОСТ Р 34.10-2001/2012, 34.11-94/2012; RFC 4357, RFC 9215).
    public static let russianArc = "1.2.643"

    static let names: [String: String] = [
        "1.2.398.3.10.1.1.1.1": "GOST 34.310-2004 (Kazakhstan) key",
        "1.2.398.3.10.1.1.1.2": "GOST 34.310-2004 with GOST 34.311-95 (Kazakhstan) signature",
        "1.2.398.3.10.1.1.2.1": "GOST R 34.10-2015 256-bit (Kazakhstan) key",
        "1.2.398.3.10.1.1.2.2": "GOST R 34.10-2015 512-bit (Kazakhstan) key",
        "1.2.398.3.10.1.1.2.3.1": "GOST R 34.10-2015 with GOST R 34.11-2015 256-bit (Kazakhstan) signature",
        "1.2.398.3.10.1.1.2.3.2": "GOST R 34.10-2015 with GOST R 34.11-2015 512-bit (Kazakhstan) signature",
        "1.2.398.3.10.1.3.1": "GOST 34.311-95 (Kazakhstan) digest",
        "1.2.398.3.10.1.3.2": "GOST R 34.11-2015 256-bit (Kazakhstan) digest",
        "1.2.398.3.10.1.3.3": "GOST R 34.11-2015 512-bit (Kazakhstan) digest",
        "1.2.643.2.2.3": "GOST R 34.11-94 with GOST R 34.10-2001 signature",
        "1.2.643.2.2.9": "GOST R 34.11-94 digest",
        "1.2.643.2.2.19": "GOST R 34.10-2001 key",
        "1.2.643.7.1.1.1.1": "GOST R 34.10-2012 256-bit key",
        "1.2.643.7.1.1.1.2": "GOST R 34.10-2012 512-bit key",
        "1.2.643.7.1.1.2.2": "GOST R 34.11-2012 256-bit (Streebog) digest",
        "1.2.643.7.1.1.2.3": "GOST R 34.11-2012 512-bit (Streebog) digest",
        "1.2.643.7.1.1.3.2": "GOST R 34.10-2012 with GOST R 34.11-2012 256-bit signature",
        "1.2.643.7.1.1.3.3": "GOST R 34.10-2012 with GOST R 34.11-2012 512-bit signature",
    ]

    /// Whether a dotted OID lies in the Kazakh or Russian GOST arcs.
    public static func isGOST(oid: String) -> Bool {
        [kazakhArc, russianArc].contains { oid == $0 || oid.hasPrefix($0 + ".") }
    }

    /// A readable name for a GOST OID ("GOST 34.311-95 (Kazakhstan) digest"), a generic one for other OIDs of the
    /// GOST arcs, and nil for any other OID.
    public static func name(oid: String) -> String? {
        if let name = names[oid] { return name }
        if oid.hasPrefix(kazakhArc + ".") { return "a Kazakh GOST algorithm" }
        if oid.hasPrefix(russianArc + ".") { return "a GOST algorithm" }
        return nil
    }

    /// The text of the `signature_algorithm_unsupported` answer for a GOST OID.
    public static func refusal(oid: String) -> String {
        "\(name(oid: oid) ?? "GOST") (\(oid)): GOST signatures cannot be verified by this server (its OpenSSL 3.0 has "
            + "no GOST provider); sign with an RSA or ECDSA P-256 certificate"
    }
}

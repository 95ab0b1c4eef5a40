import CCMSShim
import Foundation
import Synchronization

/// Trust anchors and CRLs, loaded from PEM files (several certificates per file allowed). Thread-safe; `reload()`
/// re-reads the files (used on SIGHUP and by an admin endpoint) and keeps the old store if the new files are bad
/// (throwing the error).
///
/// What ``verify(content:signature:at:)`` checks, in order (docs/signatures.md has the error codes):
/// 1. the signature is DER CMS SignedData with exactly one SignerInfo;
/// 2. its digest, signature and key algorithms are verifiable here (GOST, MD5 and SHA-1 are refused by name);
/// 3. the signer's certificate is in the CMS, and the signature and content digest match `content`;
/// 4. the certificate's path to a configured trust anchor is valid at `time` (validity of every certificate, CRLs of
///    every issuer that has one — or of all issuers with `requireCRL` — and no purpose/extendedKeyUsage demanded);
/// 5. the certificate's keyUsage, when present, allows digitalSignature or nonRepudiation;
/// 6. the signingTime attribute, when present, lies within the certificate's validity and not after `time` + skew.
public final class SignatureVerifier: Sendable {
    public struct Configuration: Codable, Sendable, Equatable {
        /// PEM file paths (roots). Relative paths are resolved against the `relativeTo` base (the config file's folder).
        public var trustAnchors: [String]
        /// PEM file paths of intermediate CA certificates, optional (default []): for signers that do not include them.
        public var intermediates: [String]
        /// PEM or DER CRL files (default []), re-read by `reload()`.
        public var crls: [String]
        /// Default false: when true, a chain without a CRL for each issuer is refused.
        public var requireCRL: Bool
        /// Default 300: signingTime may be this far in the future of the time of receipt.
        public var clockSkewSeconds: Int

        public init(
            trustAnchors: [String], intermediates: [String] = [], crls: [String] = [], requireCRL: Bool = false,
            clockSkewSeconds: Int = 300
        ) {
            self.trustAnchors = trustAnchors
            self.intermediates = intermediates
            self.crls = crls
            self.requireCRL = requireCRL
            self.clockSkewSeconds = clockSkewSeconds
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            trustAnchors = try container.decode([String].self, forKey: .trustAnchors)
            intermediates = try container.decodeIfPresent([String].self, forKey: .intermediates) ?? []
            crls = try container.decodeIfPresent([String].self, forKey: .crls) ?? []
            requireCRL = try container.decodeIfPresent(Bool.self, forKey: .requireCRL) ?? false
            clockSkewSeconds = try container.decodeIfPresent(Int.self, forKey: .clockSkewSeconds) ?? 300
        }
    }

    /// Where the store comes from: files (re-read on reload) or PEM texts (tests).
    private enum Source: Sendable {
        case files(Configuration, base: URL?)
        case memory(anchors: [String], intermediates: [String], crls: [String], requireCRL: Bool)
    }

    /// The shim's store, freed when the last verification using it is done.
    private final class NativeStore: @unchecked Sendable {
        // Read-only after ccms_store_new; OpenSSL's X509_STORE locks its own lookups.
        let pointer: OpaquePointer
        init(_ pointer: OpaquePointer) { self.pointer = pointer }
        deinit { ccms_store_free(pointer) }
    }

    private struct Loaded: Sendable {
        var store: NativeStore
        var summary: TrustSummary
    }

    private let source: Source
    private let clockSkew: TimeInterval
    private let loaded: Mutex<Loaded>

    public init(configuration: Configuration, relativeTo base: URL? = nil) throws(SignatureError) {
        guard configuration.clockSkewSeconds >= 0 else {
            throw .trustStore("clockSkewSeconds must be >= 0 (is \(configuration.clockSkewSeconds))")
        }
        source = .files(configuration, base: base)
        clockSkew = TimeInterval(configuration.clockSkewSeconds)
        loaded = Mutex(try Self.load(source))
    }

    /// In-memory (tests): PEM texts.
    public init(anchorsPEM: [String], intermediatesPEM: [String] = [], crlsPEM: [String] = [], requireCRL: Bool = false)
        throws(SignatureError)
    {
        source = .memory(anchors: anchorsPEM, intermediates: intermediatesPEM, crls: crlsPEM, requireCRL: requireCRL)
        clockSkew = 300
        loaded = Mutex(try Self.load(source))
    }

    /// Re-reads the anchor, intermediate and CRL files. On any error the current store stays in use and the error is thrown.
    public func reload() throws(SignatureError) {
        let fresh = try Self.load(source)
        loaded.withLock { $0 = fresh }
    }

    /// Counts for /status: anchors and CRLs loaded, last reload time.
    public var summary: TrustSummary { loaded.withLock { $0.summary } }

    /// Verifies a detached CMS over `content`; validity and revocation are checked at `time` (the moment the registrar
    /// received the document; the CMS signingTime when present must lie within the certificate's validity and not after
    /// time + skew).
    public func verify(content: [UInt8], signature: [UInt8], at time: Date) throws(SignatureError) -> VerifiedSignature {
        let store = loaded.withLock { $0.store }
        var result = ccms_verify_result()
        defer { ccms_verify_result_clear(&result) }
        let seconds = Int64(time.timeIntervalSince1970.rounded(.down))
        let status = withExtendedLifetime(store) {
            content.withUnsafeBufferPointer { contentBytes in
                signature.withUnsafeBufferPointer { signatureBytes in
                    ccms_verify(
                        store.pointer, contentBytes.baseAddress, contentBytes.count, signatureBytes.baseAddress,
                        signatureBytes.count, seconds, &result)
                }
            }
        }
        let message = result.message.map { String(cString: $0) } ?? "no detail"
        func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }
        switch status {
        case CCMS_OK: break
        case CCMS_CONTENT_MISMATCH: throw .contentMismatch
        case CCMS_UNTRUSTED: throw .untrustedChain(message)
        case CCMS_EXPIRED: throw .certificateExpired(notAfter: result.has_error_time != 0 ? date(result.error_time) : .distantPast)
        case CCMS_NOT_YET_VALID:
            throw .certificateNotYetValid(notBefore: result.has_error_time != 0 ? date(result.error_time) : .distantFuture)
        case CCMS_REVOKED:
            throw .revoked(
                serial: result.error_serial.map { String(cString: $0) } ?? "?",
                at: result.has_error_time != 0 ? date(result.error_time) : nil)
        case CCMS_UNSUPPORTED_ALGORITHM:
            if let oid = result.unsupported_oid.map({ String(cString: $0) }), GOSTAlgorithms.isGOST(oid: oid) {
                throw .unsupportedAlgorithm(GOSTAlgorithms.refusal(oid: oid))
            }
            throw .unsupportedAlgorithm(message)
        case CCMS_SIGNER_COUNT: throw .signerCount(Int(result.signer_count))
        default: throw .garbled(message)  // CCMS_GARBLED, CCMS_INTERNAL
        }

        guard let der = result.signer_der else { throw .garbled("the signer's certificate is missing") }
        let certificate = [UInt8](UnsafeBufferPointer(start: der, count: result.signer_der_length))
        let algorithm = result.algorithm.map { String(cString: $0) } ?? "unknown"
        let signer = try SignerIdentity(certificateDER: certificate, algorithm: algorithm)
        let signingTime = result.has_signing_time != 0 ? date(result.signing_time) : nil
        if let signingTime {
            if signingTime > time.addingTimeInterval(clockSkew) {
                throw .garbled(
                    "the signingTime \(SignatureError.format(signingTime)) lies after the time of receipt "
                        + "\(SignatureError.format(time)) (allowed clock skew \(Int(clockSkew)) s)")
            }
            if signingTime < signer.notBefore { throw .certificateNotYetValid(notBefore: signer.notBefore) }
            if signingTime > signer.notAfter { throw .certificateExpired(notAfter: signer.notAfter) }
        }
        return VerifiedSignature(signer: signer, signingTime: signingTime, contentDigest: String(cString: result.content_sha256))
    }

    /// Verifies a signed envelope's signature over its document's canonical bytes.
    public func verify(_ envelope: SignedEnvelope, at time: Date) throws(SignatureError) -> VerifiedSignature {
        try verify(content: envelope.canonical, signature: envelope.signature, at: time)
    }

    // MARK: - Loading

    private static func load(_ source: Source) throws(SignatureError) -> Loaded {
        let anchors: [LabelledBytes]
        let intermediates: [LabelledBytes]
        let crls: [LabelledBytes]
        let requireCRL: Bool
        switch source {
        case .files(let configuration, let base):
            guard !configuration.trustAnchors.isEmpty else { throw .trustStore("no trust anchor configured (trustAnchors is empty)") }
            anchors = try readFiles(configuration.trustAnchors, kind: "trust anchor", base: base)
            intermediates = try readFiles(configuration.intermediates, kind: "intermediate", base: base)
            crls = try readFiles(configuration.crls, kind: "CRL", base: base)
            requireCRL = configuration.requireCRL
        case .memory(let anchorTexts, let intermediateTexts, let crlTexts, let require):
            func labelled(_ texts: [String], _ name: String) -> [LabelledBytes] {
                texts.enumerated().map { LabelledBytes(bytes: Array($1.utf8), label: "\(name)[\($0)]") }
            }
            anchors = labelled(anchorTexts, "anchorsPEM")
            intermediates = labelled(intermediateTexts, "intermediatesPEM")
            crls = labelled(crlTexts, "crlsPEM")
            requireCRL = require
        }
        var error: UnsafeMutablePointer<CChar>? = nil
        let pointer = withNativeBuffers(anchors) { anchorBuffers, anchorCount in
            withNativeBuffers(intermediates) { intermediateBuffers, intermediateCount in
                withNativeBuffers(crls) { crlBuffers, crlCount in
                    ccms_store_new(
                        anchorBuffers, anchorCount, intermediateBuffers, intermediateCount, crlBuffers, crlCount,
                        requireCRL ? 1 : 0, &error)
                }
            }
        }
        guard let pointer else { throw .trustStore(takeMessage(error, otherwise: "the trust store cannot be made")) }
        let store = NativeStore(pointer)
        let summary = TrustSummary(
            anchors: Int(ccms_store_anchor_count(pointer)), crls: Int(ccms_store_crl_count(pointer)), loadedAt: Date())
        return Loaded(store: store, summary: summary)
    }

    private static func readFiles(_ paths: [String], kind: String, base: URL?) throws(SignatureError) -> [LabelledBytes] {
        var files: [LabelledBytes] = []
        for path in paths {
            let url: URL
            if path.hasPrefix("/") || base == nil {
                url = URL(fileURLWithPath: path)
            } else {
                url = base!.appendingPathComponent(path)
            }
            do {
                files.append(LabelledBytes(bytes: [UInt8](try Data(contentsOf: url)), label: url.path))
            } catch {
                let reason = FileManager.default.fileExists(atPath: url.path) ? "unreadable" : "no such file"
                throw .trustStore("\(kind) file \(url.path): \(reason)")
            }
        }
        return files
    }
}

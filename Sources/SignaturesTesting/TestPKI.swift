import Foundation

/// A throwaway PKI made with the `openssl` command line in a temporary directory: an RSA root CA, an RSA intermediate CA,
/// a foreign RSA root, CRLs, and signing certificates with NCA-style subjects
/// (`/CN=ИВАНОВ ИВАН/SN=ИВАНОВ/serialNumber=IIN880101300123/C=KZ/O=ТОО Qazaq Spirits/OU=BIN123456789012`).
///
/// Self-contained (Foundation only, no test framework): copy this file into another test target to sign documents the
/// way a producer does. Building it takes about a second; use ``shared()`` to build it once per test process. Nothing
/// here is mocked: every key, certificate, CRL and signature is made by `openssl` 3.0.
///
/// Validity: the CAs and the ordinary leaves are valid from 2020-01-01 to 2049/2050 (made with `openssl ca -startdate
/// -enddate`, since `openssl x509 -req` of OpenSSL 3.0 has no `-not_before`), so tests may verify at any time in between.
public final class TestPKI: @unchecked Sendable {
    /// A key and its certificate, as PEM text and as files.
    public struct Identity: Sendable {
        public var name: String
        public var keyPEM: String
        public var certificatePEM: String
        /// The issuing intermediates to include when signing (empty for certificates issued by a root).
        public var chainPEM: [String]
        public var keyFile: URL
        public var certificateFile: URL
        /// The certificate's serial, hex upper-case (as `openssl x509 -serial` prints it).
        public var serial: String
    }

    /// Thrown when an `openssl` command fails.
    public struct CommandFailed: Error, CustomStringConvertible {
        var command: [String]
        var status: Int32
        var standardError: String
        public var description: String { "openssl \(command.joined(separator: " ")) exited \(status): \(standardError)" }
    }

    /// The NCA-style subject of the ordinary leaves (IIN 880101300123, BIN 123456789012).
    public static let ncaSubject = "/CN=ИВАНОВ ИВАН/SN=ИВАНОВ/serialNumber=IIN880101300123/C=KZ/O=ТОО Qazaq Spirits/OU=BIN123456789012"
    public static let iin = "880101300123"
    public static let bin = "123456789012"
    /// Dates the ordinary certificates are valid between.
    public static let validFrom = "20200101000000Z"
    public static let caValidUntil = "20500101000000Z"
    public static let leafValidUntil = "20490101000000Z"
    /// The password of ``encryptedRSAKeyPEM``.
    public static let keyPassword = "secret-пароль"

    public let directory: URL
    public let root: Identity
    public let intermediate: Identity
    public let foreignRoot: Identity
    /// RSA-2048 and EC P-256 leaves issued by the intermediate (chainPEM = [intermediate]).
    public let rsaLeaf: Identity
    public let ecLeaf: Identity
    /// RSA-2048 and EC P-256 leaves issued by the root directly.
    public let rsaDirectLeaf: Identity
    public let ecDirectLeaf: Identity
    /// Valid 2020-01-01 … 2021-01-01.
    public let expiredLeaf: Identity
    /// Valid 2098-01-01 … 2099-01-01.
    public let notYetValidLeaf: Identity
    /// Revoked in ``intermediateCRL`` and ``intermediateCRLLater``.
    public let revokedLeaf: Identity
    /// Revoked only in ``intermediateCRLLater``.
    public let laterRevokedLeaf: Identity
    /// `/CN=Test Signer Without IDs/O=Qazaq Test/C=KZ`: no IIN, no BIN.
    public let noIDLeaf: Identity
    /// keyUsage keyEncipherment only: may not sign.
    public let encipherOnlyLeaf: Identity
    /// Issued by ``foreignRoot``, which no verifier trusts.
    public let foreignLeaf: Identity
    /// Self-signed, NCA-style subject, not a CA of anyone's store.
    public let selfSignedLeaf: Identity
    /// ``rsaLeaf``'s key, encrypted with ``keyPassword`` (PKCS#8, AES-256).
    public let encryptedRSAKeyPEM: String
    /// CRLs (PEM): the root's (revokes nothing), the intermediate's before any revocation, with ``revokedLeaf``, and
    /// with ``revokedLeaf`` and ``laterRevokedLeaf``.
    public let rootCRL: URL
    public let intermediateCRLEmpty: URL
    public let intermediateCRL: URL
    public let intermediateCRLLater: URL
    /// ``intermediateCRL`` in DER.
    public let intermediateCRLDER: URL

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cached: Result<TestPKI, any Error>?

    /// One PKI per test process (made on first use).
    public static func shared() throws -> TestPKI {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return try cached.get() }
        let result = Result { try TestPKI() }
        cached = result
        return try result.get()
    }

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("qazline-testpki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let maker = Maker(directory: directory)

        root = try maker.makeCA("root", subject: "/CN=QazLine Test Root CA/O=QazLine Test/C=KZ", issuer: nil)
        intermediate = try maker.makeCA(
            "intermediate", subject: "/CN=QazLine Test Intermediate CA/O=QazLine Test/C=KZ", issuer: root)
        foreignRoot = try maker.makeCA("foreign-root", subject: "/CN=Foreign Root CA/O=Elsewhere/C=XX", issuer: nil)

        rsaLeaf = try maker.makeLeaf("rsa", key: .rsa, subject: Self.ncaSubject, issuer: intermediate, chain: [intermediate])
        ecLeaf = try maker.makeLeaf("ec", key: .ec, subject: Self.ncaSubject, issuer: intermediate, chain: [intermediate])
        rsaDirectLeaf = try maker.makeLeaf("rsa-direct", key: .rsa, subject: Self.ncaSubject, issuer: root, chain: [])
        ecDirectLeaf = try maker.makeLeaf("ec-direct", key: .ec, subject: Self.ncaSubject, issuer: root, chain: [])
        expiredLeaf = try maker.makeLeaf(
            "expired", key: .ec, subject: Self.ncaSubject, issuer: intermediate, chain: [intermediate],
            start: "20200101000000Z", end: "20210101000000Z")
        notYetValidLeaf = try maker.makeLeaf(
            "not-yet-valid", key: .ec, subject: Self.ncaSubject, issuer: intermediate, chain: [intermediate],
            start: "20980101000000Z", end: "20990101000000Z")
        revokedLeaf = try maker.makeLeaf("revoked", key: .ec, subject: Self.ncaSubject, issuer: intermediate, chain: [intermediate])
        laterRevokedLeaf = try maker.makeLeaf(
            "later-revoked", key: .ec, subject: Self.ncaSubject, issuer: intermediate, chain: [intermediate])
        noIDLeaf = try maker.makeLeaf(
            "no-ids", key: .ec, subject: "/CN=Test Signer Without IDs/O=Qazaq Test/C=KZ", issuer: intermediate,
            chain: [intermediate])
        encipherOnlyLeaf = try maker.makeLeaf(
            "encipher-only", key: .ec, subject: Self.ncaSubject, issuer: intermediate, chain: [intermediate],
            extensions: "v3_encipher")
        foreignLeaf = try maker.makeLeaf("foreign", key: .ec, subject: Self.ncaSubject, issuer: foreignRoot, chain: [])
        selfSignedLeaf = try maker.makeSelfSigned("self-signed", subject: Self.ncaSubject)

        let encryptedKey = directory.appendingPathComponent("rsa-encrypted.key")
        try maker.openssl([
            "pkey", "-in", rsaLeaf.keyFile.path, "-aes256", "-passout", "pass:\(Self.keyPassword)", "-out", encryptedKey.path,
        ])
        encryptedRSAKeyPEM = try String(contentsOf: encryptedKey, encoding: .utf8)

        intermediateCRLEmpty = try maker.makeCRL(intermediate, file: "intermediate-crl-empty.pem")
        try maker.revoke(revokedLeaf, by: intermediate)
        intermediateCRL = try maker.makeCRL(intermediate, file: "intermediate-crl.pem")
        try maker.revoke(laterRevokedLeaf, by: intermediate)
        intermediateCRLLater = try maker.makeCRL(intermediate, file: "intermediate-crl-later.pem")
        rootCRL = try maker.makeCRL(root, file: "root-crl.pem")
        intermediateCRLDER = directory.appendingPathComponent("intermediate-crl.der")
        try maker.openssl(["crl", "-in", intermediateCRL.path, "-outform", "DER", "-out", intermediateCRLDER.path])
    }

    private let signersLock = NSLock()
    private var signers = [String: Identity]()

    /// An EC P-256 signing certificate of the intermediate for an organisation's BIN (`OU=BIN…`), made on first use and
    /// kept: what a participant of the registrar signs with. The same BIN always gets the same certificate.
    public func signer(bin: String, name: String = "ТОО Test") throws -> Identity {
        signersLock.lock()
        defer { signersLock.unlock() }
        if let known = signers[bin] { return known }
        let identity = try Maker(directory: directory).makeLeaf(
            "signer-\(bin)", key: .ec, subject: "/CN=Test Signer \(bin)/serialNumber=IIN880101300123/C=KZ/O=\(name)/OU=BIN\(bin)",
            issuer: intermediate, chain: [intermediate])
        signers[bin] = identity
        return identity
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `openssl` with the arguments; returns its standard output.
    @discardableResult
    public func openssl(_ arguments: [String], input: Data? = nil) throws -> Data {
        try Maker(directory: directory).openssl(arguments, input: input)
    }

    /// Writes bytes to a file of the PKI's directory and returns its URL.
    public func write(_ data: Data, to name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    /// Signs like a producer on the command line: `openssl cms -sign -binary -md sha256 -outform DER` (detached, the
    /// signer's certificate and `chain` included). Returns the DER.
    public func opensslSign(_ content: [UInt8], as signer: Identity, extraSigners: [Identity] = []) throws -> [UInt8] {
        let name = UUID().uuidString
        let input = try write(Data(content), to: "\(name).in")
        let output = directory.appendingPathComponent("\(name).p7s")
        var arguments = [
            "cms", "-sign", "-binary", "-md", "sha256", "-in", input.path, "-signer", signer.certificateFile.path,
            "-inkey", signer.keyFile.path, "-outform", "DER", "-out", output.path,
        ]
        for extra in extraSigners {
            arguments += ["-signer", extra.certificateFile.path, "-inkey", extra.keyFile.path]
        }
        if !signer.chainPEM.isEmpty {
            let chain = try write(Data(signer.chainPEM.joined().utf8), to: "\(name).chain.pem")
            arguments += ["-certfile", chain.path]
        }
        try openssl(arguments)
        return [UInt8](try Data(contentsOf: output))
    }

    /// Does the work: one `openssl ca` directory per CA, with its own configuration file.
    private struct Maker {
        var directory: URL

        enum KeyType { case rsa, ec }

        func configuration(for caDirectory: URL) -> String {
            """
            [ ca ]
            default_ca = CA_default
            [ CA_default ]
            dir = \(caDirectory.path)
            database = $dir/index.txt
            new_certs_dir = $dir/newcerts
            serial = $dir/serial
            crlnumber = $dir/crlnumber
            certificate = $dir/ca.pem
            private_key = $dir/ca.key
            default_md = sha256
            default_crl_days = 3650
            policy = policy_any
            unique_subject = no
            email_in_dn = no
            [ policy_any ]
            commonName = optional
            surname = optional
            serialNumber = optional
            countryName = optional
            organizationName = optional
            organizationalUnitName = optional
            [ req ]
            distinguished_name = req_dn
            string_mask = utf8only
            utf8 = yes
            [ req_dn ]
            [ v3_ca ]
            basicConstraints = critical, CA:true
            keyUsage = critical, keyCertSign, cRLSign
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid:always
            [ v3_leaf ]
            basicConstraints = critical, CA:false
            keyUsage = critical, digitalSignature, nonRepudiation
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid
            [ v3_encipher ]
            basicConstraints = critical, CA:false
            keyUsage = critical, keyEncipherment
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid
            [ v3_self ]
            basicConstraints = critical, CA:false
            keyUsage = critical, digitalSignature, nonRepudiation
            subjectKeyIdentifier = hash
            """
        }

        func caDirectory(_ name: String) -> URL { directory.appendingPathComponent(name) }
        func configFile(_ name: String) -> URL { caDirectory(name).appendingPathComponent("ca.cnf") }

        func makeKey(_ type: KeyType, at url: URL) throws {
            switch type {
            case .rsa: try openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", url.path])
            case .ec: try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", url.path])
            }
        }

        func makeCA(_ name: String, subject: String, issuer: Identity?) throws -> Identity {
            let folder = caDirectory(name)
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("newcerts"), withIntermediateDirectories: true)
            try Data().write(to: folder.appendingPathComponent("index.txt"))
            try Data("1000\n".utf8).write(to: folder.appendingPathComponent("serial"))
            try Data("1000\n".utf8).write(to: folder.appendingPathComponent("crlnumber"))
            try Data(configuration(for: folder).utf8).write(to: configFile(name))
            let key = folder.appendingPathComponent("ca.key")
            let csr = folder.appendingPathComponent("ca.csr")
            let certificate = folder.appendingPathComponent("ca.pem")
            try makeKey(.rsa, at: key)
            try openssl(["req", "-new", "-config", configFile(name).path, "-utf8", "-key", key.path, "-subj", subject, "-out", csr.path])
            var arguments = [
                "ca", "-batch", "-config", configFile(issuer.map { $0.name } ?? name).path, "-in", csr.path, "-out", certificate.path,
                "-startdate", TestPKI.validFrom, "-enddate", TestPKI.caValidUntil, "-extensions", "v3_ca", "-notext", "-utf8",
                "-preserveDN",
            ]
            if issuer == nil { arguments += ["-selfsign", "-keyfile", key.path] }
            try openssl(arguments)
            return try identity(name, key: key, certificate: certificate, chain: [])
        }

        func makeLeaf(
            _ name: String, key type: KeyType, subject: String, issuer: Identity, chain: [Identity],
            start: String = TestPKI.validFrom, end: String = TestPKI.leafValidUntil, extensions: String = "v3_leaf"
        ) throws -> Identity {
            let key = directory.appendingPathComponent("\(name).key")
            let csr = directory.appendingPathComponent("\(name).csr")
            let certificate = directory.appendingPathComponent("\(name).pem")
            try makeKey(type, at: key)
            try openssl(["req", "-new", "-config", configFile(issuer.name).path, "-utf8", "-key", key.path, "-subj", subject, "-out", csr.path])
            try openssl([
                "ca", "-batch", "-config", configFile(issuer.name).path, "-in", csr.path, "-out", certificate.path,
                "-startdate", start, "-enddate", end, "-extensions", extensions, "-notext", "-utf8", "-preserveDN",
            ])
            return try identity(name, key: key, certificate: certificate, chain: chain)
        }

        func makeSelfSigned(_ name: String, subject: String) throws -> Identity {
            let key = directory.appendingPathComponent("\(name).key")
            let certificate = directory.appendingPathComponent("\(name).pem")
            try makeKey(.ec, at: key)
            try openssl([
                "req", "-x509", "-config", configFile("root").path, "-utf8", "-key", key.path, "-subj", subject, "-days", "3650",
                "-extensions", "v3_self", "-out", certificate.path,
            ])
            return try identity(name, key: key, certificate: certificate, chain: [])
        }

        func revoke(_ leaf: Identity, by ca: Identity) throws {
            try openssl([
                "ca", "-batch", "-config", configFile(ca.name).path, "-revoke", leaf.certificateFile.path, "-crl_reason", "keyCompromise",
            ])
        }

        func makeCRL(_ ca: Identity, file: String) throws -> URL {
            let url = directory.appendingPathComponent(file)
            try openssl(["ca", "-batch", "-config", configFile(ca.name).path, "-gencrl", "-crldays", "3650", "-out", url.path])
            return url
        }

        func identity(_ name: String, key: URL, certificate: URL, chain: [Identity]) throws -> Identity {
            let serial = String(decoding: try openssl(["x509", "-in", certificate.path, "-noout", "-serial"]), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
            return Identity(
                name: name, keyPEM: try String(contentsOf: key, encoding: .utf8),
                certificatePEM: try String(contentsOf: certificate, encoding: .utf8), chainPEM: chain.map(\.certificatePEM),
                keyFile: key, certificateFile: certificate, serial: serial)
        }

        @discardableResult
        func openssl(_ arguments: [String], input: Data? = nil) throws -> Data {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl"] + arguments
            process.currentDirectoryURL = directory
            let output = directory.appendingPathComponent(".stdout-\(UUID().uuidString)")
            let errors = directory.appendingPathComponent(".stderr-\(UUID().uuidString)")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            defer {
                try? FileManager.default.removeItem(at: output)
                try? FileManager.default.removeItem(at: errors)
            }
            let outputHandle = try FileHandle(forWritingTo: output)
            let errorHandle = try FileHandle(forWritingTo: errors)
            process.standardOutput = outputHandle
            process.standardError = errorHandle
            let inputPipe = Pipe()
            process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
            try process.run()
            if let input {
                inputPipe.fileHandleForWriting.write(input)
                try inputPipe.fileHandleForWriting.close()
            }
            process.waitUntilExit()
            try outputHandle.close()
            try errorHandle.close()
            guard process.terminationStatus == 0 else {
                throw CommandFailed(
                    command: arguments, status: process.terminationStatus,
                    standardError: (try? String(contentsOf: errors, encoding: .utf8)) ?? "")
            }
            return try Data(contentsOf: output)
        }
    }
}

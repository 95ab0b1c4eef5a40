import Foundation
import Signatures
import SignaturesTesting
import Testing

/// The envelope `{"document": {...}, "signature": "<base64 DER CMS>"}`: making, parsing, verifying, refusing.
struct SignedEnvelopeTests {
    let pki: TestPKI

    init() throws {
        pki = try TestPKI.shared()
    }

    private func refusal(_ body: String) -> SignatureError? {
        caught { try SignedEnvelope.parse(Data(body.utf8)) }
    }

    @Test func makeParseVerify() throws {
        let document = Data(#"{ "z": 1.50, "a": ["ЖСН", true], "iin": "880101300123" }"#.utf8)
        let body = try SignedEnvelope.make(
            documentJSON: document, keyPEM: pki.ecLeaf.keyPEM, certificatePEM: pki.ecLeaf.certificatePEM, chainPEM: pki.ecLeaf.chainPEM)
        // The envelope is itself canonical JSON.
        #expect(try CanonicalJSON.canonicalize(body) == [UInt8](body))
        let envelope = try SignedEnvelope.parse(body)
        #expect(envelope.canonical == Array(#"{"a":["ЖСН",true],"iin":"880101300123","z":1.5}"#.utf8))
        #expect(envelope.documentJSON == Data(envelope.canonical))
        let verifier = try SignatureVerifier(anchorsPEM: [pki.root.certificatePEM])
        #expect(try verifier.verify(envelope, at: Date()).signer.iin == TestPKI.iin)
    }

    @Test func aReformattedDocumentStillVerifiesAndUrlSafeBase64IsAccepted() throws {
        let document = #"{"codes":["01046","01047"],"batch":"B-7"}"#
        let canonical = try CanonicalJSON.canonicalize(Data(document.utf8))
        let signature = try CMSSigner.sign(content: canonical, keyPEM: pki.rsaLeaf.keyPEM, certificatePEM: pki.rsaLeaf.certificatePEM,
                                           chainPEM: pki.rsaLeaf.chainPEM)
        let urlSafe = Data(signature).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let pretty = "{\n  \"signature\": \"\(urlSafe)\",\n  \"document\": {\n    \"batch\": \"B-7\",\n    \"codes\": [ \"01046\", \"01047\" ]\n  }\n}\n"
        let envelope = try SignedEnvelope.parse(Data(pretty.utf8))
        #expect(envelope.signature == signature)
        #expect(envelope.canonical == canonical)
        #expect(String(decoding: envelope.documentJSON, as: UTF8.self).hasPrefix("{\n    \"batch\""))
        let verifier = try SignatureVerifier(anchorsPEM: [pki.root.certificatePEM])
        #expect(try verifier.verify(envelope, at: Date()).signer.bin == TestPKI.bin)
    }

    @Test func aChangedDocumentIsAMismatch() throws {
        let body = try SignedEnvelope.make(
            documentJSON: Data(#"{"quantity":100}"#.utf8), keyPEM: pki.ecLeaf.keyPEM, certificatePEM: pki.ecLeaf.certificatePEM,
            chainPEM: pki.ecLeaf.chainPEM)
        let tampered = String(decoding: body, as: UTF8.self).replacingOccurrences(of: "100", with: "101")
        let envelope = try SignedEnvelope.parse(Data(tampered.utf8))
        let verifier = try SignatureVerifier(anchorsPEM: [pki.root.certificatePEM])
        #expect(caught { try verifier.verify(envelope, at: Date()) } == .contentMismatch)
    }

    @Test(arguments: [
        (#"{"signature":"AAAA"}"#, "document_not_canonical"),                                  // no document
        (#"{"document":{}}"#, "signature_garbled"),                                            // no signature
        (#"{"document":{},"signature":"AAAA","extra":1}"#, "document_not_canonical"),          // extra member
        (#"{"document":[1],"signature":"AAAA"}"#, "document_not_canonical"),                   // document not an object
        (#"{"document":"{}","signature":"AAAA"}"#, "document_not_canonical"),
        (#"{"document":{},"signature":42}"#, "signature_garbled"),                             // signature not a string
        (#"{"document":{},"signature":"not base64!"}"#, "signature_garbled"),
        (#"{"document":{},"signature":"AAAA AAAA"}"#, "signature_garbled"),
        (#"{"document":{},"signature":"A"}"#, "signature_garbled"),
        (#"{"document":{},"signature":""}"#, "signature_garbled"),
        (#"{"document":{},"document":{},"signature":"AAAA"}"#, "document_not_canonical"),
        (#"{"document":{"a":1,"a":2},"signature":"AAAA"}"#, "document_not_canonical"),         // duplicate key inside
        (#"[{"document":{},"signature":"AAAA"}]"#, "document_not_canonical"),                  // not an object
        (#"{"document":{},"signature":"AAAA"} trailing"#, "document_not_canonical"),
        ("not json", "document_not_canonical"),
        ("", "document_not_canonical"),
    ])
    func malformedEnvelopesAreRefused(body: String, code: String) {
        #expect(refusal(body)?.code == code, "\(body)")
    }

    @Test func aValidEnvelopeWithAGarbledSignatureParsesButDoesNotVerify() throws {
        let envelope = try SignedEnvelope.parse(Data(#"{"document":{"a":1},"signature":"AAAA"}"#.utf8))
        #expect(envelope.signature == [0, 0, 0])
        let verifier = try SignatureVerifier(anchorsPEM: [pki.root.certificatePEM])
        #expect(caught { try verifier.verify(envelope, at: Date()) }?.code == "signature_garbled")
    }
}

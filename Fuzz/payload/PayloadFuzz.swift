// libFuzzer target: `PayloadRules.parse` on arbitrary bytes (the text a QR decoder hands the agent).
// Built by scripts/fuzz.sh together with Sources/LineCore; see docs/fuzzing.md.
import LineCore

/// Rules with a wildcard host, a second scheme and a custom pattern, so the URL branches past the host check run.
private let customRules: PayloadRules = {
    do {
        return try PayloadRules(hosts: ["qr.example.kz", "*.kgd.gov.kz"], schemes: ["https", "http"], allowBareCode: false,
                                codePattern: #"^(?:KZ-)?(?<code>[0-9A-Z]{16,40})$"#, maxPayloadBytes: 256)
    } catch { fatalError("custom payload rules: \(error)") }
}()

/// Builds the rules once before the first input: `Regex(String)` in Swift 6.3's _StringProcessing leaks its parse
/// tree (a few hundred bytes per compiled pattern, once per `PayloadRules`), which LeakSanitizer would otherwise
/// pin on whichever input ran first.
@_cdecl("LLVMFuzzerInitialize")
public func payloadFuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    _ = PayloadRules.default.parse("7KQ2M9X4TZ8WB3N5JH6R")
    _ = customRules.parse("https://a.kgd.gov.kz/KZ-7KQ2M9X4TZ8WB3N5JH6R")
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func payloadFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    for rules in [PayloadRules.default, customRules] {
        switch rules.parse(bytes) {
        case .success(let code):
            // Whatever the rules accept is a code of the pattern, and the code alone reads back as itself.
            let text = code.rawValue
            precondition((16...40).contains(text.utf8.count), "accepted code has \(text.utf8.count) bytes")
            precondition(text.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) }, "accepted code \(text) has a byte outside 0-9A-Z")
            if rules.allowBareCode {
                guard case .success(let again) = rules.parse(text), again == code else { fatalError("code \(text) does not parse as itself") }
            }
        case .failure(let why):
            // Every refusal has a machine name and a message (both end up in the outbox and in the registrar's answer).
            precondition(!why.code.isEmpty && !why.description.isEmpty, "refusal without a reason")
        }
    }
    // The String entry point gives the same answer as the bytes one for valid UTF-8.
    if let text = String(validating: bytes, as: UTF8.self) {
        precondition(PayloadRules.default.parse(text) == PayloadRules.default.parse(bytes), "text and bytes disagree on \(text.debugDescription)")
    }
    return 0
}

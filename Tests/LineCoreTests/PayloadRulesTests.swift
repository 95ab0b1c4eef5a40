import Testing
@testable import LineCore

@Suite("QR payload parsing")
struct PayloadRulesTests {
    let rules = PayloadRules.default

    func code(_ text: String) -> StampCode? { try? rules.parse(text).get() }
    func reason(_ text: String) -> MalformedPayload? {
        if case .failure(let reason) = rules.parse(text) { return reason }
        return nil
    }
    func reason(bytes: [UInt8]) -> MalformedPayload? {
        if case .failure(let reason) = rules.parse(bytes) { return reason }
        return nil
    }

    @Test("URL forms give the last path segment as the code", arguments: [
        "https://qr.example.kz/c/7KQ2M9X4TZ8WB3N5JH6R",
        "https://qr.example.kz/7KQ2M9X4TZ8WB3N5JH6R",
        "https://QR.Example.KZ/c/7KQ2M9X4TZ8WB3N5JH6R",
        "HTTPS://qr.example.kz/a/b/c/7KQ2M9X4TZ8WB3N5JH6R",
        "https://qr.example.kz:443/c/7KQ2M9X4TZ8WB3N5JH6R",
    ])
    func urlForms(_ payload: String) {
        #expect(code(payload) == StampCode(trusted: "7KQ2M9X4TZ8WB3N5JH6R"))
    }

    @Test("bare codes of 16 to 40 characters are accepted", arguments: [16, 20, 33, 40])
    func bareCodes(_ length: Int) {
        let text = String(repeating: "A1", count: 20).prefix(length)
        #expect(code(String(text))?.rawValue == String(text))
    }

    @Test("a host that is not accepted is named")
    func wrongHost() {
        #expect(reason("https://qr.evil.kz/c/7KQ2M9X4TZ8WB3N5JH6R") == .hostNotAllowed("qr.evil.kz"))
        #expect(reason("https://qr.example.kz.evil.com/c/7KQ2M9X4TZ8WB3N5JH6R") == .hostNotAllowed("qr.example.kz.evil.com"))
    }

    @Test("wildcard hosts accept subdomains only")
    func wildcardHosts() throws {
        let rules = try PayloadRules(hosts: ["*.example.kz"])
        #expect((try? rules.parse("https://qr.example.kz/c/7KQ2M9X4TZ8WB3N5JH6R").get()) != nil)
        #expect((try? rules.parse("https://example.kz/c/7KQ2M9X4TZ8WB3N5JH6R").get()) == nil)
        #expect((try? rules.parse("https://badexample.kz/c/7KQ2M9X4TZ8WB3N5JH6R").get()) == nil)
    }

    @Test("http is refused by default")
    func wrongScheme() {
        #expect(reason("http://qr.example.kz/c/7KQ2M9X4TZ8WB3N5JH6R") == .schemeNotAllowed("http"))
        #expect(reason("ftp://qr.example.kz/c/7KQ2M9X4TZ8WB3N5JH6R") == .schemeNotAllowed("ftp"))
    }

    @Test("a wrong alphabet is a code mismatch", arguments: [
        "7kq2m9x4tz8wb3n5jh6r", "7KQ2M9X4TZ8WB3N5JH6-", "7KQ2M9X4TZ 8WB3N5JH6R", "7KQ2M9X4TZ8WB3N5JH6Ё",
    ])
    func wrongAlphabet(_ payload: String) {
        guard case .codeMismatch(_, let length, let pattern)? = reason(payload) else {
            Issue.record("expected codeMismatch for \(payload), got \(String(describing: reason(payload)))")
            return
        }
        #expect(length == payload.count)
        #expect(pattern == PayloadRules.defaultCodePattern)
    }

    @Test("too short and too long codes are mismatches that say their length")
    func lengths() {
        #expect(reason("ABCDEFGHIJKLMNO") == .codeMismatch(candidate: "ABCDEFGHIJKLMNO", length: 15, pattern: PayloadRules.defaultCodePattern))
        let long = String(repeating: "A", count: 41)
        #expect(reason(long) == .codeMismatch(candidate: long, length: 41, pattern: PayloadRules.defaultCodePattern))
        #expect(reason("https://qr.example.kz/c/ABC") == .codeMismatch(candidate: "ABC", length: 3, pattern: PayloadRules.defaultCodePattern))
    }

    @Test("empty input")
    func empty() {
        #expect(reason("") == .empty)
        #expect(reason(bytes: []) == .empty)
    }

    @Test("10 MB of input is refused by length without being scanned")
    func huge() {
        let bytes = [UInt8](repeating: UInt8(ascii: "A"), count: 10 << 20)
        let clock = ContinuousClock()
        var result: MalformedPayload?
        let elapsed = clock.measure { result = reason(bytes: bytes) }
        #expect(result == .tooLong(bytes: 10 << 20, limit: PayloadRules.defaultMaxPayloadBytes))
        #expect(elapsed < .seconds(1))
    }

    @Test("invalid UTF-8 names the first bad byte", arguments: [
        ([0x41, 0x42, 0xFF, 0x43], 2), ([0xC3], 0), ([0x41, 0xED, 0xA0, 0x80], 1), ([0xF8, 0x88, 0x80, 0x80, 0x80], 0),
    ] as [([UInt8], Int)])
    func invalidUTF8(_ bytes: [UInt8], _ offset: Int) {
        #expect(reason(bytes: bytes) == .invalidUTF8(offset: offset))
    }

    @Test("control characters are refused with their offset", arguments: [
        ("7KQ2M9X4TZ8WB3N5JH6R\n", 20, 0x0A), ("\u{0}7KQ2M9X4TZ8WB3N5JH6R", 0, 0x00),
        ("https://qr.example.kz/c/7KQ2\tM9X4TZ8WB3N5JH6R", 28, 0x09), ("7KQ2M9X4TZ8WB3N5JH6R\u{7F}", 20, 0x7F),
        ("é\u{85}", 2, 0x85),
    ] as [(String, Int, UInt32)])
    func controlCharacters(_ text: String, _ offset: Int, _ scalar: UInt32) {
        #expect(reason(text) == .controlCharacter(offset: offset, scalar: scalar))
    }

    @Test("URLs that cannot be used say why", arguments: [
        "https:///c/7KQ2M9X4TZ8WB3N5JH6R", "https://user@qr.example.kz/c/7KQ2M9X4TZ8WB3N5JH6R",
        "https://qr.example.kz/c/7KQ2M9X4TZ8WB3N5JH6R?x=1", "https://qr.example.kz/c/7KQ2M9X4TZ8WB3N5JH6R#f",
        "https://qr.example.kz", "https://qr.example.kz/c/", "https://qr.example.kz:x/c/7KQ2M9X4TZ8WB3N5JH6R",
    ])
    func badURLs(_ payload: String) {
        guard case .badURL(let why)? = reason(payload) else {
            Issue.record("expected badURL for \(payload), got \(String(describing: reason(payload)))")
            return
        }
        #expect(!why.isEmpty)
    }

    @Test("bare codes can be refused")
    func bareRefused() throws {
        let rules = try PayloadRules(allowBareCode: false)
        #expect(throws: MalformedPayload.bareCodeNotAllowed) { try rules.parse("7KQ2M9X4TZ8WB3N5JH6R").get() }
    }

    @Test("a configured pattern's named group is the code")
    func customPattern() throws {
        let rules = try PayloadRules(codePattern: "^KZ-(?<code>[0-9]{12})$")
        #expect(try rules.parse("https://qr.example.kz/KZ-012345678901").get().rawValue == "012345678901")
        #expect((try? rules.parse("KZ-0123").get()) == nil)
    }

    @Test("patterns without a code group or that do not compile are refused")
    func badPatterns() {
        #expect(throws: PayloadRules.RuleError.missingCodeGroup) { try PayloadRules(codePattern: "^[A-Z]+$") }
        #expect { try PayloadRules(codePattern: "^(?<code>[A-Z+$") } throws: { error in
            guard case .invalidPattern = error as? PayloadRules.RuleError else { return false }
            return true
        }
        #expect(throws: PayloadRules.RuleError.invalidHost("qr example")) { try PayloadRules(hosts: ["qr example"]) }
    }

    @Test("every reason has a stable code and a message", arguments: [
        MalformedPayload.empty, .tooLong(bytes: 9, limit: 8), .invalidUTF8(offset: 1), .controlCharacter(offset: 0, scalar: 10),
        .schemeNotAllowed("ftp"), .hostNotAllowed("x"), .badURL("no host"), .bareCodeNotAllowed,
        .codeMismatch(candidate: "a", length: 1, pattern: "p"),
    ])
    func reasonTexts(_ reason: MalformedPayload) {
        #expect(reason.code.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" })
        #expect(reason.description.count > 5)
    }

    @Test("random bytes never crash the parser and never yield a code with bad characters")
    func randomBytes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...80, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if case .success(let code) = rules.parse(bytes) {
                #expect(code.rawValue.allSatisfy { $0.isASCII && ($0.isNumber || $0.isUppercase) })
            }
        }
    }
}

import Testing
@testable import ConfigKit

/// A small configuration type exercising every kind of value the decoder reads.
struct Sample: Codable, ValidatableConfig {
    enum Mode: String, ConfigEnum, Codable { case fast, careful }
    struct Endpoint: Codable {
        var host: String
        var port: ConfigPort
    }
    var name: String
    var count: Int
    var ratio: Double?
    var enabled: Bool?
    var mode: Mode?
    var timeout: ConfigDuration?
    var size: ConfigByteSize?
    var endpoints: [Endpoint]
    var tags: [String: Int]?

    func validate(_ v: inout ConfigValidator) {
        v.checkRange(count, 1...10, at: "count", what: "a count")
        v.each("endpoints", endpoints) { v, endpoint in
            v.check(endpoint.host != "bad", at: "host", "host \"bad\" is refused")
        }
    }
}

@Suite("Strict YAML configuration decoding")
struct ConfigLoaderTests {
    func issues(_ yaml: String) -> [String] {
        do {
            _ = try ConfigLoader.decode(Sample.self, yaml: yaml, file: "s.yaml")
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }

    @Test("a valid file decodes with every kind of value")
    func valid() throws {
        let sample = try ConfigLoader.decode(Sample.self, yaml: """
            name: line
            count: 3
            ratio: 0.5
            enabled: true
            mode: careful
            timeout: 250ms
            size: 16MiB
            endpoints:
              - { host: a, port: 502 }
              - host: b
                port: "5020"
            tags: { x: 1, y: 2 }
            """, file: "s.yaml")
        #expect(sample.count == 3)
        #expect(sample.mode == .careful)
        #expect(sample.timeout?.duration == .milliseconds(250))
        #expect(sample.size?.bytes == 16 << 20)
        #expect(sample.endpoints.map(\.port.value) == [502, 5020])
        #expect(sample.tags == ["x": 1, "y": 2])
    }

    @Test("the error names file, line, key path and the bad value")
    func typeError() {
        #expect(issues("""
            name: line
            count: 3
            endpoints:
              - host: a
                port: 50x2
            """) == [#"s.yaml:5 endpoints[0].port: expected an integer 1-65535, got "50x2""#])
    }

    @Test("every problem is reported in one run, in file order")
    func allProblems() {
        #expect(issues("""
            name: [a]
            count: many
            ratio: 1/2
            mode: fsat
            timeout: 5
            endpoints:
              - host: a
                prot: 502
            colour: blue
            """) == [
                #"s.yaml:1 name: expected a string, got a list"#,
                #"s.yaml:2 count: expected an integer, got "many""#,
                #"s.yaml:3 ratio: expected a number, got "1/2""#,
                #"s.yaml:4 mode: expected one of fast, careful, got "fsat" (did you mean "fast"?)"#,
                #"s.yaml:5 timeout: expected a duration with a unit, such as 5ms, 2s or 10m, got "5""#,
                #"s.yaml:7 endpoints[0].port: required key is missing"#,
                #"s.yaml:8 endpoints[0].prot: unknown key "prot" (did you mean "port"?)"#,
                #"s.yaml:9 colour: unknown key "colour"; this mapping takes: count, enabled, endpoints, mode, name, ratio, size, tags, timeout"#,
            ])
    }

    @Test("validation runs only on a well-typed file and keeps key paths")
    func validation() {
        #expect(issues("""
            name: x
            count: 30
            endpoints: [{ host: bad, port: 1 }]
            """) == [#"s.yaml:2 count: expected a count 1-10, got 30"#,
                     #"s.yaml:3 endpoints[0].host: host "bad" is refused"#])
    }

    @Test("YAML syntax errors carry their line")
    func syntax() {
        let found = issues("name: x\ncount: 1\nendpoints:\n  - host: a\n   port: 1\n")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("s.yaml:5: not valid YAML:") == true)
    }

    @Test("empty, non-mapping, duplicate keys and wrong shapes are explained")
    func shapes() {
        #expect(issues("") == ["s.yaml: the file is empty"])
        #expect(issues("- a\n- b\n") == [#"s.yaml:1: expected a mapping (key: value lines) at the top level, got a list"#])
        #expect(issues("name: x\ncount: 1\ncount: 2\nendpoints: []\n") == [#"s.yaml:2: key "count" appears more than once in one mapping"#])
        #expect(issues("name: x\ncount: 1\nendpoints: none\n")
                == [#"s.yaml:3 endpoints: expected a list (lines starting with "- "), got "none""#])
        #expect(issues("name: x\ncount: 1\nendpoints:\n  - just-a-host\n")
                == [#"s.yaml:4 endpoints[0]: expected a mapping (key: value lines), got "just-a-host""#])
        #expect(issues("name:\ncount: 1\nendpoints: []\n") == [#"s.yaml:1 name: expected a string, got nothing"#])
    }

    @Test("scalars parse with units", arguments: [("5ms", 0.005), ("2s", 2), ("1.5s", 1.5), ("10m", 600), ("1h", 3600), ("500us", 0.0005)])
    func durations(_ text: String, _ seconds: Double) throws {
        let value = try #require(ConfigDuration(configScalar: text))
        #expect(abs(value.seconds - seconds) < 1e-9)
    }

    @Test("bad scalars are refused", arguments: ["5", "ms", "-1s", "1e3s", "5 parsecs", "nan s"])
    func badDurations(_ text: String) {
        #expect(ConfigDuration(configScalar: text) == nil)
    }

    @Test("sizes and ports")
    func sizesAndPorts() {
        #expect(ConfigByteSize(configScalar: "64KiB")?.bytes == 65_536)
        #expect(ConfigByteSize(configScalar: "2GB")?.bytes == 2_000_000_000)
        #expect(ConfigByteSize(configScalar: "512")?.bytes == 512)
        #expect(ConfigByteSize(configScalar: "lots") == nil)
        #expect(ConfigByteSize(configScalar: "99999999999999999999KiB") == nil)
        #expect(ConfigPort(configScalar: "0") == nil)
        #expect(ConfigPort(configScalar: "65536") == nil)
        #expect(ConfigPort(configScalar: "-1") == nil)
        #expect(ConfigPort(configScalar: "65535")?.value == 65_535)
    }

    @Test("paths print and parse in the dotted form")
    func paths() {
        let path: ConfigPath = "lines[0].plc.registers.bottleCounter.address"
        #expect(path.description == "lines[0].plc.registers.bottleCounter.address")
        #expect(path.parent.description == "lines[0].plc.registers.bottleCounter")
        #expect(ConfigPath().appending("a").appending(index: 2).description == "a[2]")
    }
}

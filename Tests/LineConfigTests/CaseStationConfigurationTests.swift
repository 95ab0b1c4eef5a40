import ConfigKit
import Foundation
import LineConfig
import Testing

/// `lines[].caseStation`: the packing station of a line, decoded from the example configuration with a station added
/// as an engineer would write it.
@Suite("Case station configuration")
struct CaseStationConfigurationTests {
    static let example = repositoryRoot.appendingPathComponent("Config/agent.example.yaml")
    /// The last line of line1's block in the example: the station goes after it.
    static let anchor = "      decisionDeadline: 100ms  # no decision this long after the trigger: the bottle is rejected (timeout)\n"

    /// A station on its own PLC, printing SSCCs; `edit` changes its text before it is inserted.
    static func station(_ edit: (String) -> String = { $0 }) -> String {
        edit("""
            caseStation:
              id: case1
              bottlesPerCase: 12
              camera:
                id: case-top
                source: { kind: genicam, deviceID: "" }
                calibration: ../Calibration/case-top.yaml
              caseCode:
                source: printer
                extensionDigit: 0
                companyPrefix: "4870001"
              printer:
                host: 192.0.2.30
                dpi: 300
              plc:
                transport: tcp
                host: 192.0.2.20
                registers:
                  bottleCounter:        { address: 0, table: input, bits: 32 }
                  lineState:            { address: 2, table: input }
                  recipe:               { address: 3, table: input }
                  plcHeartbeat:         { address: 4, table: input }
                  rejectConfirmCounter: { address: 5, table: input }
                  rejectAck:            { address: 6, table: input }
                  rejectSequence:       { address: 100, bits: 32 }
                  rejectReason:         { address: 102 }
                  rejectCommand:        { address: 103 }
                  agentHeartbeat:       { address: 104 }
                  agentStatus:          { address: 105 }
                  agentAlarm:           { address: 106 }
                  goodCounter:          { address: 107, bits: 32 }
                  rejectCounter:        { address: 109, bits: 32 }
                  lineStopRequest:      { address: 0, table: coil }
              reject:
                stationOffset: 2
                decisionDeadline: 2s
              pallet:
                casesPerPallet: 60
                extensionDigit: 1

        """)
    }

    /// The example configuration with `station` added to line1.
    func yaml(_ station: String = station()) throws -> String {
        let text = try String(contentsOf: Self.example, encoding: .utf8)
        #expect(text.contains(Self.anchor), "Config/agent.example.yaml no longer has the line this test inserts after")
        return text.replacingOccurrences(of: Self.anchor, with: Self.anchor + station)
    }

    func decode(_ yaml: String) throws(ConfigError) -> AgentConfiguration {
        try ConfigLoader.decode(AgentConfiguration.self, yaml: yaml, file: "agent.yaml", baseDirectory: Self.example.deletingLastPathComponent())
    }

    /// The problems of a configuration, as `key.path: message` (the configuration must be refused).
    func problems(_ station: String) throws -> [String] {
        let text = try yaml(station)
        do {
            _ = try decode(text)
            Issue.record("the configuration was accepted")
            return []
        } catch {
            return error.issues.map { "\($0.path): \($0.message)" }
        }
    }

    @Test("a station decodes and validates, with the defaults of what it leaves out")
    func decodes() throws {
        let configuration = try decode(try yaml())
        let station = try #require(configuration.lines.first?.caseStation)
        #expect(station.id == "case1")
        #expect(station.bottlesPerCase == 12)
        #expect(station.camera.id == "case-top")
        #expect(station.caseCode.source == .printer)
        #expect(station.caseCode.companyPrefix == "4870001")
        #expect(station.caseCode.extensionDigit == 0)
        #expect(station.caseCode.pattern == nil)
        let printer = try #require(station.printer)
        #expect(printer.host == "192.0.2.30")
        #expect(printer.port.value == 9100)
        #expect(printer.dpi == 300)
        #expect(printer.symbology == .dataMatrix)
        #expect(printer.timeout.duration == .milliseconds(500))
        #expect(station.plc.host == "192.0.2.20")
        #expect(station.reject.stationOffset == 2)
        #expect(station.reject.confirmWithin == 4, "by default two cases after the gate")
        #expect(station.reject.decisionDeadline.duration == .seconds(2))
        #expect(station.reject.stopLineOnMiss)
        #expect(station.pallet.casesPerPallet == 60 && station.pallet.extensionDigit == 1 && !station.pallet.automatic)
        // The station's PLC monitor gets the station's reject policy
        #expect(station.monitorPolicy.stationOffset == 2)
        #expect(station.monitorPolicy.confirmWithin == 4)
        #expect(station.monitorPolicy.decisionDeadline.duration == .seconds(2))
        // A line without a station has none
        #expect(try decode(try String(contentsOf: Self.example, encoding: .utf8)).lines.first?.caseStation == nil)
    }

    @Test("the plan loads the case camera's calibration with the line's cameras")
    func planLoadsTheCaseCamera() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("case-station-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let calibration = repositoryRoot.appendingPathComponent("Calibration").path
        let text = try yaml().replacingOccurrences(of: "../Calibration", with: calibration)
        let file = dir.appendingPathComponent("agent.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let plan = try AgentPlan.load(contentsOf: file)
        #expect(plan.calibrations["case-top"]?.camera == "case-top")
        #expect(plan.calibrations["line1-top"] != nil)
    }

    @Test("a pre-printed label source needs no printer, and may have a pattern and share the pallet's extension digit")
    func labelSource() throws {
        let station = Self.station {
            $0.replacingOccurrences(of: "source: printer", with: "source: label\n        pattern: \"CASE-[0-9]{6}\"")
                .replacingOccurrences(of: "      printer:\n        host: 192.0.2.30\n        dpi: 300\n", with: "")
                .replacingOccurrences(of: "    extensionDigit: 1\n", with: "    extensionDigit: 0\n")
        }
        #expect(!station.contains("printer:"), "the printer block was removed")
        let configuration = try decode(try yaml(station))
        let parsed = try #require(configuration.lines.first?.caseStation)
        #expect(parsed.caseCode.source == .label)
        #expect(parsed.caseCode.pattern == "CASE-[0-9]{6}")
        #expect(parsed.printer == nil)
        #expect(parsed.pallet.extensionDigit == parsed.caseCode.extensionDigit)
    }

    @Test("printing case codes without a printer names caseStation.printer")
    func printerMissing() throws {
        let issues = try problems(Self.station { $0.replacingOccurrences(of: "      printer:\n        host: 192.0.2.30\n        dpi: 300\n", with: "") })
        #expect(issues == ["lines[0].caseStation.printer: caseCode.source is printer: configure the label printer (host, port 9100)"])
    }

    @Test("a bad company prefix names caseCode.companyPrefix", arguments: ["\"48700\"", "\"48700012345\"", "\"487000A\""])
    func badCompanyPrefix(_ prefix: String) throws {
        let issues = try problems(Self.station { $0.replacingOccurrences(of: "\"4870001\"", with: prefix) })
        #expect(issues.count == 1, "\(issues)")
        #expect(issues.first?.hasPrefix("lines[0].caseStation.caseCode.companyPrefix: a GS1 company prefix is 7 to 10 digits") == true, "\(issues)")
    }

    @Test("other bad values name their keys")
    func otherBadValues() throws {
        #expect(try problems(Self.station { $0.replacingOccurrences(of: "bottlesPerCase: 12", with: "bottlesPerCase: 0") })
            == ["lines[0].caseStation.bottlesPerCase: expected a bottle count 1-96, got 0"])
        #expect(try problems(Self.station { $0.replacingOccurrences(of: "extensionDigit: 0", with: "extensionDigit: 10") })
            .contains("lines[0].caseStation.caseCode.extensionDigit: expected an SSCC extension digit 0-9, got 10"))
        #expect(try problems(Self.station { $0.replacingOccurrences(of: "dpi: 300", with: "dpi: 250") })
            == ["lines[0].caseStation.printer.dpi: expected 203, 300 or 600, got 250"])
        let pattern = try problems(Self.station { $0.replacingOccurrences(of: "companyPrefix: \"4870001\"", with: "companyPrefix: \"4870001\"\n        pattern: \"CASE-[\"") })
        #expect(pattern.count == 1 && pattern[0].hasPrefix("lines[0].caseStation.caseCode.pattern: not a regular expression"), "\(pattern)")
        #expect(try problems(Self.station { $0.replacingOccurrences(of: "id: case-top", with: "id: line1-top") }).contains {
            $0.hasPrefix("lines[0].caseStation.camera.id: \"line1-top\" is already a camera of this line")
        })
        #expect(try problems(Self.station { $0.replacingOccurrences(of: "stationOffset: 2", with: "stationOffset: 2\n        confirmWithin: 2") })
            == ["lines[0].caseStation.reject.confirmWithin: must be more than stationOffset (2) and at most stationOffset + 20"])
    }

    @Test("a station on the line's own PLC whose registers overlap the line's names each overlapping key")
    func overlapOnTheLinesPLC() throws {
        // The line's PLC is 192.0.2.10 port 502 unit 1: the same PLC, the same addresses
        let issues = try problems(Self.station { $0.replacingOccurrences(of: "host: 192.0.2.20", with: "host: 192.0.2.10") })
        #expect(issues.contains {
            $0 == "lines[0].caseStation.plc.registers.bottleCounter.address: the station uses the line's PLC, and input 0 overlaps the line's bottleCounter"
        }, "\(issues)")
        #expect(issues.contains { $0.hasPrefix("lines[0].caseStation.plc.registers.rejectCommand.address:") })
        #expect(issues.contains { $0.hasPrefix("lines[0].caseStation.plc.registers.lineStopRequest.address:") })
        #expect(issues.allSatisfy { $0.hasPrefix("lines[0].caseStation.plc.registers.") && $0.contains("the station uses the line's PLC") })
        // Another unit id is another PLC behind the same gateway: no overlap
        _ = try decode(try yaml(Self.station {
            $0.replacingOccurrences(of: "host: 192.0.2.20", with: "host: 192.0.2.10\n        unitID: 2")
        }))
        // The same PLC at other addresses is fine
        _ = try decode(try yaml(Self.station { text in
            var shifted = text.replacingOccurrences(of: "host: 192.0.2.20", with: "host: 192.0.2.10")
            for (from, to) in [("address: 0, table: input", "address: 300, table: input"), ("address: 2, table: input", "address: 302, table: input"),
                               ("address: 3,", "address: 303,"), ("address: 4,", "address: 304,"), ("address: 5,", "address: 305,"),
                               ("address: 6,", "address: 306,"), ("address: 100,", "address: 400,"), ("address: 102 }", "address: 402 }"),
                               ("address: 103 }", "address: 403 }"), ("address: 104 }", "address: 404 }"), ("address: 105 }", "address: 405 }"),
                               ("address: 106 }", "address: 406 }"), ("address: 107,", "address: 407,"), ("address: 109,", "address: 409,"),
                               ("address: 0, table: coil", "address: 10, table: coil")] {
                shifted = shifted.replacingOccurrences(of: from, with: to)
            }
            return shifted
        }))
    }

    @Test("pallets and printed cases sharing an extension digit (and the company prefix) would collide: named at pallet.extensionDigit")
    func sharedExtensionDigit() throws {
        let issues = try problems(Self.station { $0.replacingOccurrences(of: "    extensionDigit: 1\n", with: "    extensionDigit: 0\n") })
        #expect(issues.count == 1, "\(issues)")
        #expect(issues.first?.hasPrefix("lines[0].caseStation.pallet.extensionDigit: pallets and cases share extension digit 0") == true, "\(issues)")
    }
}

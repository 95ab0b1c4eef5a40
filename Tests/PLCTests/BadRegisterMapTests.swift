import ConfigKit
import LineConfig
import Testing

/// A register map that cannot work is refused when the configuration is loaded, naming the key and the address.
@Suite("Bad register maps")
struct BadRegisterMapTests {
    func problems(_ overrides: [String: String]) -> [String] {
        do {
            _ = try PLCTestSupport.plcConfiguration(port: 502, overrides: overrides)
            return []
        } catch let error as ConfigError {
            return error.issues.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test("Overlapping addresses name both signals")
    func overlap() {
        let issues = problems(["rejectAck": "{ address: 1, table: input }"])
        #expect(issues.contains { $0.contains("registers.rejectAck.address") && $0.contains("overlaps bottleCounter (input 0-1)") },
                "\(issues)")
    }

    @Test("Out-of-range address names the key and the range")
    func outOfRange() {
        let issues = problems(["goodCounter": "{ address: 65535, bits: 32 }"])
        #expect(issues.contains { $0.contains("registers.goodCounter.address") && $0.contains("65535") }, "\(issues)")
    }

    @Test("An output in a read-only table names the key")
    func outputInReadOnlyTable() {
        let issues = problems(["rejectCommand": "{ address: 50, table: input }"])
        #expect(issues.contains { $0.contains("registers.rejectCommand.table") }, "\(issues)")
    }
}

import Foundation
import LineCore
@testable import Outbox

let vodka = Product(dsnCode: "DSN-0001", name: "Vodka Test", type: "vodka", capacityMl: 500, strength: 40)

/// A valid code: `QZA` + 18 digits.
func code(_ number: Int, prefix: String = "QZA") -> StampCode {
    let digits = String(number)
    return StampCode(trusted: prefix + String(repeating: "0", count: max(0, 18 - digits.count)) + digits)
}

/// A decision at a fixed time (milliseconds matter: they go to the registrar).
func decision(_ sequence: UInt64, _ verdict: Verdict, line: String = "line1", product: Product? = vodka) -> BottleDecision {
    BottleDecision(lineID: line, bottleSequence: sequence,
                   decidedAt: Date(timeIntervalSince1970: 1_795_000_000 + Double(sequence) / 1000), product: product, verdict: verdict)
}

func good(_ sequence: UInt64, _ number: Int, line: String = "line1") -> BottleDecision {
    decision(sequence, .good(code(number)), line: line)
}

/// A fresh temporary directory, removed by `cleanup()`.
struct TempDir {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

func memoryStore() throws -> OutboxStore { OutboxStore(database: try AgentDatabase()) }

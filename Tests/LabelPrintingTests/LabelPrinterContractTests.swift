import LineCore
import Logging
import Testing

@testable import LabelPrinting

/// What every ``LabelPrinter`` does, run against each implementation: the in-memory one and the ZPL client with the
/// test printer on loopback.
@Suite("LabelPrinter contract", .serialized)
struct LabelPrinterContractTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case inMemory, zplOverTCP
        var testDescription: String { rawValue }
    }

    /// A printer, a way to read back the codes it printed, a way to make it fail, and a clean-up.
    struct Rig {
        let printer: any LabelPrinter
        let printedCodes: @Sendable () async -> [UnitCode]
        let breakIt: @Sendable () async throws -> Void
        let stop: @Sendable () async -> Void
    }

    func rig(_ kind: Kind) async throws -> Rig {
        switch kind {
        case .inMemory:
            let printer = InMemoryLabelPrinter()
            return Rig(printer: printer, printedCodes: { printer.printed.map(\.code) },
                       breakIt: { printer.setFailure(.paperOut(endpoint: "memory")) }, stop: {})
        case .zplOverTCP:
            let test = try await TestLabelPrinter.start()
            let printer = ZPLPrinter(configuration: .init(host: "127.0.0.1", port: test.port), logger: Logger(label: "contract"))
            return Rig(printer: printer, printedCodes: { test.jobs.compactMap(\.unitCode) },
                       breakIt: { try await test.setBehaviour(.paperOut) }, stop: { await test.stop() })
        }
    }

    @Test("Prints labels in order, then fails with a PrinterError and prints nothing more", arguments: Kind.allCases)
    func contract(kind: Kind) async throws {
        let rig = try await rig(kind)
        let codes = try (1...3).map { try SSCC.make(extensionDigit: 1, companyPrefix: "48700012", serial: $0) }
        for code in codes { try await rig.printer.print(UnitLabel(code: code, lines: ["case"])) }
        #expect(await rig.printedCodes() == codes)
        try await rig.breakIt()
        await #expect(throws: PrinterError.self) { try await rig.printer.print(UnitLabel(code: codes[0], lines: [])) }
        #expect(await rig.printedCodes() == codes)
        await rig.stop()
    }

    @Test("In memory: queued failures fail one call each, then it prints again")
    func inMemoryFailures() async throws {
        let printer = InMemoryLabelPrinter()
        let label = UnitLabel(code: UnitCode(trusted: "048700010000001230"), lines: [])
        printer.failNext(.headOpen(endpoint: "m"))
        printer.failNext(.noAnswer(endpoint: "m", after: .milliseconds(500)))
        await #expect(throws: PrinterError.headOpen(endpoint: "m")) { try await printer.print(label) }
        await #expect(throws: PrinterError.noAnswer(endpoint: "m", after: .milliseconds(500))) { try await printer.print(label) }
        try await printer.print(label)
        #expect(printer.printed == [label] && printer.attempts == 3)
    }
}

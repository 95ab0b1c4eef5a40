import LineCore
import Logging
import Testing

@testable import LabelPrinting

/// The real client over real TCP against the test printer on 127.0.0.1, in every behaviour.
@Suite("ZPL printer over TCP", .serialized)
struct ZPLPrinterTests {
    static let sscc = UnitCode(trusted: "048700010000001230")
    static let label = UnitLabel(code: sscc, lines: ["Arman LLP", "Qazaq vodka 0,5 l × 12"])
    static let logger = Logger(label: "label-printing-test")

    func client(_ printer: TestLabelPrinter, timeout: Duration = .milliseconds(500), settings: ZPL.Settings = ZPL.Settings()) -> ZPLPrinter {
        ZPLPrinter(configuration: .init(host: "127.0.0.1", port: printer.port, timeout: timeout, label: settings), logger: Self.logger)
    }

    /// Runs `body` with a fresh test printer, stopped afterwards.
    func withPrinter(_ behaviour: TestLabelPrinter.Behaviour = .ready, _ body: (TestLabelPrinter) async throws -> Void) async throws {
        let printer = try await TestLabelPrinter.start(behaviour: behaviour)
        do { try await body(printer) } catch {
            await printer.stop()
            throw error
        }
        await printer.stop()
    }

    /// The error `print` throws, or nil.
    func printError(_ client: ZPLPrinter, _ label: UnitLabel = Self.label) async -> PrinterError? {
        do {
            try await client.print(label)
            return nil
        } catch { return error }
    }

    @Test("A ready printer receives one format carrying the SSCC with AI (00); status asked before and after", arguments: LabelSymbology.allCases)
    func printsTheSSCC(symbology: LabelSymbology) async throws {
        try await withPrinter { printer in
            try await client(printer, settings: .init(symbology: symbology)).print(Self.label)
            let jobs = printer.jobs
            try #require(jobs.count == 1)
            #expect(jobs[0].gs1ElementString == "00048700010000001230")
            #expect(jobs[0].unitCode == Self.sscc)
            #expect(jobs[0].texts == ["Arman LLP", "Qazaq vodka 0,5 l × 12", "(00) 048700010000001230"])
            #expect(jobs[0].zpl + "\n" == ZPL(settings: .init(symbology: symbology)).render(Self.label))
            #expect(printer.statusRequests == 2 && printer.connectionsAccepted == 1)
        }
    }

    @Test("Labels in a row, each on its own connection; the status alone prints nothing")
    func severalLabels() async throws {
        try await withPrinter { printer in
            let zpl = client(printer)
            for serial in 1...5 {
                let code = try SSCC.make(extensionDigit: 0, companyPrefix: "4870001", serial: Int64(serial))
                try await zpl.print(UnitLabel(code: code, lines: ["case \(serial)"]))
            }
            #expect(printer.jobs.map(\.unitCode?.rawValue) == (1...5).map { try? SSCC.make(extensionDigit: 0, companyPrefix: "4870001", serial: Int64($0)).rawValue })
            #expect(try await zpl.status() == .ready)
            #expect(printer.jobs.count == 5 && printer.connectionsAccepted == 6)
        }
    }

    @Test("Switched off: unreachable, connection refused, naming the printer")
    func off() async throws {
        try await withPrinter(.off) { printer in
            let error = await printError(client(printer))
            #expect(error == .unreachable(endpoint: printer.endpoint, message: "connection refused (printer off, or nothing listens on that port)"))
            #expect(error?.description == "label printer \(printer.endpoint) unreachable: connection refused (printer off, or nothing listens on that port)")
            // Switched on again, on the same port: the next label prints.
            try await printer.setBehaviour(.ready)
            try await client(printer).print(Self.label)
            #expect(printer.jobs.count == 1)
        }
    }

    @Test("Silent: no answer within the budget, and no label given to it")
    func silent() async throws {
        try await withPrinter(.silent) { printer in
            let started = ContinuousClock.now
            let error = await printError(client(printer, timeout: .milliseconds(200)))
            let took = ContinuousClock.now - started
            #expect(error == .noAnswer(endpoint: printer.endpoint, after: .milliseconds(200)))
            #expect(error?.description.hasPrefix("label printer \(printer.endpoint) did not answer the status request (~HS) within 200 ms") == true)
            #expect(took >= .milliseconds(200) && took < .seconds(1), "took \(took)")
            #expect(printer.jobs.isEmpty)
        }
    }

    @Test("Garbage: a bad status, said at once, with what was wrong")
    func garbage() async throws {
        try await withPrinter(.garbage) { printer in
            let started = ContinuousClock.now
            let error = await printError(client(printer, timeout: .seconds(3)))
            #expect(error == .badStatus(endpoint: printer.endpoint, reason: #"expected STX at the start of status string 1: "P""#))
            #expect(error?.description == #"label printer \#(printer.endpoint) answered ~HS with garbage: expected STX at the start of status string 1: "P""#)
            #expect(ContinuousClock.now - started < .seconds(1), "not left to the timeout")
        }
    }

    @Test("Hanging up: the connection closed before the status")
    func hangsUp() async throws {
        try await withPrinter(.hangsUp) { printer in
            let error = await printError(client(printer))
            #expect(error == .connectionClosed(endpoint: printer.endpoint))
            #expect(error?.description == "label printer \(printer.endpoint) closed the connection before answering the status request (~HS)")
        }
    }

    @Test("A printer that is not ready is named by its problem and is not given the label", arguments: [
        (TestLabelPrinter.Behaviour.paperOut, "paper out (load labels, then press FEED)"),
        (.headOpen, "print head open (close the head)"),
        (.ribbonOut, "ribbon out (load a ribbon)"),
        (.paused, "paused (press PAUSE to resume)"),
        (.reporting(PrinterStatus(bufferFull: true)), "receive buffer full"),
        (.reporting(PrinterStatus(overTemperature: true)), "print head over temperature"),
    ])
    func notReady(behaviour: TestLabelPrinter.Behaviour, problem: String) async throws {
        try await withPrinter(behaviour) { printer in
            let error = await printError(client(printer))
            #expect(error?.description == "label printer \(printer.endpoint): \(problem)")
            #expect(error?.isPrinterCondition == true && error?.endpoint == printer.endpoint)
            #expect(printer.jobs.isEmpty && printer.statusRequests == 1)
        }
    }

    @Test("Paper running out on this label: the label was sent, the error says paper out")
    func paperOutOnThisLabel() async throws {
        try await withPrinter(.afterNextLabel(then: .paperOut)) { printer in
            let zpl = client(printer)
            #expect(await printError(zpl) == .paperOut(endpoint: printer.endpoint))
            #expect(printer.jobs.count == 1 && printer.statusRequests == 2)
            #expect(try await zpl.status().paperOut, "the status alone is no error")
            try await printer.setBehaviour(.ready)
            try await zpl.print(Self.label)
            #expect(printer.jobs.count == 2)
        }
    }

    @Test("A cancelled print says so, not that the printer did not answer")
    func cancelled() async throws {
        try await withPrinter(.silent) { printer in
            let zpl = client(printer, timeout: .seconds(5))
            let task = Task { await printError(zpl) }
            while printer.statusRequests == 0 { try await Task.sleep(for: .milliseconds(2)) }
            task.cancel()
            #expect(await task.value == .cancelled(endpoint: printer.endpoint))
        }
    }

    @Test("Slow: within the budget it prints, past it there is no answer")
    func slow() async throws {
        try await withPrinter(.slow(.milliseconds(60))) { printer in
            try await client(printer, timeout: .milliseconds(500)).print(Self.label)
            #expect(printer.jobs.count == 1)
            try await printer.setBehaviour(.slow(.milliseconds(400)))
            let error = await printError(client(printer, timeout: .milliseconds(150)))
            #expect(error == .noAnswer(endpoint: printer.endpoint, after: .milliseconds(150)))
        }
    }

    @Test("Behaviours switch while the printer runs")
    func switching() async throws {
        try await withPrinter { printer in
            let zpl = client(printer, timeout: .milliseconds(200))
            try await zpl.print(Self.label)
            for (behaviour, expected) in [
                (TestLabelPrinter.Behaviour.headOpen, PrinterError.headOpen(endpoint: printer.endpoint)),
                (.off, .unreachable(endpoint: printer.endpoint, message: "connection refused (printer off, or nothing listens on that port)")),
                (.silent, .noAnswer(endpoint: printer.endpoint, after: .milliseconds(200))),
                (.garbage, .badStatus(endpoint: printer.endpoint, reason: #"expected STX at the start of status string 1: "P""#)),
            ] {
                try await printer.setBehaviour(behaviour)
                #expect(await printError(zpl) == expected)
            }
            try await printer.setBehaviour(.ready)
            try await zpl.print(Self.label)
            #expect(printer.jobs.count == 2)
        }
    }

    @Test("A name that does not resolve is unreachable, naming the printer")
    func unresolvable() async {
        let zpl = ZPLPrinter(configuration: .init(host: "printer.invalid", port: 9100), logger: Self.logger)
        let error = await printError(zpl)
        guard case let .unreachable(endpoint, message)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(endpoint == "printer.invalid:9100")
        #expect(message.hasPrefix("host name not resolved") || message.hasPrefix("no connection within"), "\(message)")
    }

    @Test("Invalid settings are refused before connecting")
    func invalidSettings() async throws {
        try await withPrinter { printer in
            let error = await printError(client(printer, settings: .init(font: "nope")))
            #expect(error == .invalidSettings(#"font must be a printer path such as E:TT0003M_.FNT, not "nope""#))
            #expect(printer.connectionsAccepted == 0)
        }
    }

    @Test("A code that is not a unit code (only possible through UnitCode(trusted:)) is not sent")
    func invalidCode() async throws {
        try await withPrinter { printer in
            let error = await printError(client(printer), UnitLabel(code: UnitCode(trusted: "X^XZ~JR"), lines: []))
            #expect(error == .invalidCode("X^XZ~JR"))
            #expect(error?.description == #"unit code "X^XZ~JR" cannot be printed: it is not a valid unit code"#)
            #expect(printer.connectionsAccepted == 0)
        }
    }

    @Test("Endpoints are written host:port, an IPv6 address in brackets")
    func endpoints() {
        #expect(ZPLPrinter.Configuration(host: "10.0.0.5").endpoint == "10.0.0.5:9100")
        #expect(ZPLPrinter.Configuration(host: "::1", port: 9101).endpoint == "[::1]:9101")
        #expect(ZPLPrinter.Configuration(host: "x").timeout == .milliseconds(500))
    }
}

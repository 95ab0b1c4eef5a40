import ArgumentParser
import Dispatch
import Foundation
import Aggregation
import LineConfig
import LineSimulator

#if canImport(Glibc)
import Glibc
#endif

/// `linesim`: a simulated filling-line PLC (Modbus TCP on 127.0.0.1) serving a line's register map from the agent
/// configuration. Prints its report on exit (SIGINT, SIGTERM, or after `--bottles`).
@main
struct LineSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linesim",
        abstract: "Simulate a filling line's PLC over Modbus TCP on 127.0.0.1, using a line's register map from the agent configuration.",
        discussion: """
        The line runs at --speed bottles/hour with a reject station --station-offset bottles after the camera. Every \
        reject command is recorded; on exit (Ctrl-C, SIGTERM, or after --bottles) the report lists rejects that came \
        too late and bottles rejected without reason.
        """)

    @Option(name: .long, help: "The agent configuration file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var config: String

    @Option(name: .long, help: "The line whose register map is served.")
    var line: String

    @Option(name: .long, help: "TCP port on 127.0.0.1 (default: the line's plc.port; 0 picks a free port).")
    var port: Int?

    @Option(name: .long, help: "Line speed in bottles per hour.")
    var speed: Double = 36_000

    @Option(name: .long, help: "Bottles between the camera and the reject station (default: the line's reject.stationOffset).")
    var stationOffset: Int?

    @Option(name: .long, help: "Stop after this many bottles and print the report.")
    var bottles: Int?

    @Option(name: .long, help: "Change to the next product's recipe every N bottles.")
    var recipeEvery: Int?

    @Option(name: .long, help: "Stop the line every N bottles (for --stop-seconds).")
    var stopEvery: Int?

    @Option(name: .long, help: "How long a scripted stop lasts, in seconds.")
    var stopSeconds: Double = 2

    @Option(name: .long, help: "Fault the line every N bottles (for --fault-seconds).")
    var faultEvery: Int?

    @Option(name: .long, help: "How long a scripted fault lasts, in seconds.")
    var faultSeconds: Double = 2

    @Option(name: .long, help: "The bottle counter's first value (e.g. near 65535 or 4294967295 to see wrap-around).")
    var counterStart: UInt64 = 0

    @Flag(name: .long, help: "Also serve the line's case station PLC (lines[].caseStation.plc): one case trigger per bottlesPerCase bottles (the pack rate), case rejects recorded and confirmed at the case reject gate.")
    var caseStation = false

    @Option(name: .long, help: "TCP port of the case station's PLC (default: its plc.port; 0 picks a free port).")
    var casePort: Int?

    func validate() throws {
        if speed <= 0 || speed > 360_000 { throw ValidationError("--speed must be 1-360000 bottles/hour, got \(speed)") }
        if let port, !(0...65_535).contains(port) { throw ValidationError("--port must be 0-65535, got \(port)") }
        if let bottles, bottles < 1 { throw ValidationError("--bottles must be at least 1") }
        if let stationOffset, stationOffset < 1 { throw ValidationError("--station-offset must be at least 1") }
        if let casePort, !(0...65_535).contains(casePort) { throw ValidationError("--case-port must be 0-65535, got \(casePort)") }
        if casePort != nil, !caseStation { throw ValidationError("--case-port needs --case-station") }
    }

    func run() async throws {
        var simulation: SimulatorConfiguration
        var lineConfiguration: LineConfiguration
        do {
            (simulation, lineConfiguration) = try SimulatorConfiguration.load(agentConfiguration: URL(fileURLWithPath: config), line: line)
        } catch {
            FileHandle.standardError.write(Data("\(error)\nlinesim: cannot start\n".utf8))
            throw ExitCode.failure
        }
        if let port { simulation.port = port }
        if let stationOffset { simulation.stationOffset = stationOffset }
        simulation.bottlesPerHour = speed
        simulation.bottleLimit = bottles
        simulation.recipeChangeEvery = recipeEvery
        simulation.stopEvery = stopEvery
        simulation.stopDuration = .milliseconds(Int(stopSeconds * 1_000))
        simulation.faultEvery = faultEvery
        simulation.faultDuration = .milliseconds(Int(faultSeconds * 1_000))
        simulation.counterStart = counterStart

        let simulator = LineSimulator(configuration: simulation)
        let boundPort: Int
        do {
            boundPort = try simulator.start()
        } catch {
            FileHandle.standardError.write(Data("linesim: \(error)\n".utf8))
            throw ExitCode.failure
        }
        print("linesim: line \(line) on 127.0.0.1:\(boundPort), unit \(simulation.unitID), \(Int(speed)) bottles/hour, "
              + "station \(simulation.stationOffset) bottles downstream" + (bottles.map { ", \($0) bottles" } ?? "; Ctrl-C to stop"))
        fflush(nil)  // flushes stdout (the global itself is not concurrency-safe to name)

        var caseSimulator: LineSimulator?
        if caseStation {
            guard let station = lineConfiguration.caseStation else {
                FileHandle.standardError.write(Data("linesim: --case-station: line \(line) has no caseStation in \(config)\n".utf8))
                simulator.stop()
                throw ExitCode.failure
            }
            // The packer closes a case every bottlesPerCase bottles: case triggers at the pack rate.
            var cases = SimulatorConfiguration(registers: station.plc.registers)
            cases.unitID = station.plc.unitID
            cases.port = casePort ?? station.plc.effectivePort
            cases.stationOffset = station.reject.stationOffset
            cases.bottlesPerHour = speed / Double(station.bottlesPerCase)
            cases.bottleLimit = bottles.map { max(1, $0 / station.bottlesPerCase) }
            cases.reasonCodes = Set(CaseRejectReason.allCases.map(\.plcCode))
            let made = LineSimulator(configuration: cases)
            do {
                let port = try made.start()
                print("linesim: case station \(station.id) on 127.0.0.1:\(port), unit \(cases.unitID), \(Int(cases.bottlesPerHour)) cases/hour "
                      + "(\(station.bottlesPerCase) bottles per case), reject gate \(cases.stationOffset) cases downstream")
                fflush(nil)
            } catch {
                FileHandle.standardError.write(Data("linesim: case station: \(error)\n".utf8))
                simulator.stop()
                throw ExitCode.failure
            }
            caseSimulator = made
        }

        let reason = await Self.waitForEnd(simulator)
        let report = simulator.stop()
        print("linesim: \(reason)")
        print(report)
        var clean = report.isClean
        if let caseSimulator {
            let caseReport = caseSimulator.stop()
            print("linesim: case station (items are cases)")
            print(caseReport)
            clean = clean && caseReport.isClean
        }
        if !clean { throw ExitCode(2) }
    }

    /// Waits for SIGINT, SIGTERM or the end of the bottles.
    static func waitForEnd(_ simulator: LineSimulator) async -> String {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let (signals, continuation) = AsyncStream.makeStream(of: Int32.self)
        let sources = [SIGINT, SIGTERM].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        return await withTaskGroup(of: String.self) { group in
            group.addTask {
                for await number in signals { return number == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)" }
                return "signal stream ended"
            }
            group.addTask {
                while !Task.isCancelled, !simulator.isFinished { try? await Task.sleep(for: .milliseconds(20)) }
                return "all bottles done"
            }
            let first = await group.next() ?? ""
            continuation.finish()
            group.cancelAll()
            return first
        }
    }
}

import Foundation
import LineAgentTesting
import LineConfig
import LineSimulator
import PLC
import Testing

/// One contract for every ``PLCLink``: the in-memory PLC and the libmodbus link (against linesim) behave alike.
@Suite("PLCLink contract", .serialized)
struct PLCLinkContractTests {
    enum Implementation: String, CaseIterable, CustomTestStringConvertible {
        case memory, modbus
        var testDescription: String { rawValue }
    }

    /// A link of the given kind whose PLC shows bottle counter 41 and recipe 2, and a way to end it.
    func makeLink(_ kind: Implementation) async throws -> (any PLCLink, @Sendable () -> Void) {
        switch kind {
        case .memory:
            let link = MemoryPLCLink(registers: try PLCTestSupport.plcConfiguration(port: 1).registers)
            await link.setInputs(PLCInputs(bottleCounter: 41, lineState: 1, recipe: 2))
            return (link, {})
        case .modbus:
            var configuration = SimulatorConfiguration(registers: try PLCTestSupport.plcConfiguration(port: 1).registers)
            configuration.counterStart = 41
            configuration.recipes = [2]
            configuration.startRunning = false
            let simulator = LineSimulator(configuration: configuration)
            let port = try simulator.start()
            let link = ModbusPLCLink(configuration: try PLCTestSupport.plcConfiguration(port: port), logger: PLCTestSupport.logger)
            return (link, { simulator.stop() })
        }
    }

    @Test("Connect, read, write, disconnect", arguments: Implementation.allCases)
    func lifecycle(_ kind: Implementation) async throws {
        let (link, end) = try await makeLink(kind)
        defer { end() }
        // Given a fresh link, When it is used before connecting, Then it says so and names its endpoint.
        #expect(await !link.isConnected)
        await #expect(throws: PLCError.notConnected(endpoint: link.endpoint)) { _ = try await link.readInputs() }
        // When connected, Then the inputs are the PLC's and outputs can be written.
        try await link.connect()
        try await link.connect()  // connecting twice is harmless
        #expect(await link.isConnected)
        let inputs = try await link.readInputs()
        #expect(inputs.bottleCounter == 41)
        #expect(inputs.recipe == 2)
        try await link.write([(.agentHeartbeat, 1), (.agentStatus, Int64(AgentStatus.ready.rawValue)), (.lineStopRequest, 0)])
        try await link.write(.rejectCommand, 1)
        // When disconnected, Then requests fail again.
        await link.disconnect()
        #expect(await !link.isConnected)
        await #expect(throws: PLCError.notConnected(endpoint: link.endpoint)) { try await link.write(.agentAlarm, 1) }
    }

    @Test("A value that does not fit its register is refused before anything is sent", arguments: Implementation.allCases)
    func valueOutOfRange(_ kind: Implementation) async throws {
        let (link, end) = try await makeLink(kind)
        defer { end() }
        try await link.connect()
        await #expect(throws: PLCError.valueOutOfRange(key: "agentStatus", value: -1, range: 0...65_535)) {
            try await link.write(.agentStatus, -1)
        }
        #expect(await link.isConnected)
    }
}

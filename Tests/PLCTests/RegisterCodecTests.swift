import ConfigKit
import LineConfig
import PLC
import Testing

@Suite("Register codec")
struct RegisterCodecTests {
    @Test("32-bit values in ABCD and CDAB word order", arguments: [WordOrder.ABCD, .CDAB])
    func wordOrder(_ order: WordOrder) {
        // Given a 32-bit value, When encoded, Then the words come in the configured order and decode back.
        let words = RegisterCodec.encode(0x1234_5678, bits: 32, wordOrder: order)
        #expect(words == (order == .ABCD ? [0x1234, 0x5678] : [0x5678, 0x1234]))
        #expect(RegisterCodec.decode(words, bits: 32, wordOrder: order) == 0x1234_5678)
    }

    @Test("16-bit values use one word and truncate")
    func sixteenBits() {
        #expect(RegisterCodec.encode(0x1_2345, bits: 16, wordOrder: .ABCD) == [0x2345])
        #expect(RegisterCodec.decode([0xFFFF, 0x1], bits: 16, wordOrder: .ABCD) == 0xFFFF)
        #expect(RegisterCodec.mask(bits: 16) == 0xFFFF)
        #expect(RegisterCodec.mask(bits: 32) == 0xFFFF_FFFF)
    }

    @Test("Scaling divides on write and multiplies on read; out of range is refused")
    func scaling() {
        #expect(RegisterCodec.scaled(125, scale: 0.1) == 12.5)
        #expect(RegisterCodec.raw(for: 12.5, scale: 0.1, bits: 16) == 125)
        #expect(RegisterCodec.raw(for: 70_000, scale: 1, bits: 16) == nil)
        #expect(RegisterCodec.raw(for: -1, scale: 1, bits: 16) == nil)
    }

    @Test("Contiguous inputs of one table share one read")
    func readPlan() throws {
        let plc = try PLCTestSupport.plcConfiguration(port: 502)
        let codec = RegisterMapCodec(map: plc.registers)
        // All six inputs sit at input registers 0-6: one request.
        #expect(codec.readPlan.count == 1)
        #expect(codec.readPlan.first?.table == .input)
        #expect(codec.readPlan.first?.address == 0)
        #expect(codec.readPlan.first?.count == 7)
        #expect(codec.readPlan.first?.keys.count == 6)
    }

    @Test("Inputs with gaps or in different tables are read separately")
    func readPlanGaps() throws {
        let plc = try PLCTestSupport.plcConfiguration(port: 502, overrides: [
            "recipe": "{ address: 20, table: input }", "plcHeartbeat": "{ address: 4, table: holding }",
        ])
        let plan = RegisterMapCodec(map: plc.registers).readPlan
        #expect(plan.map(\.table) == [.input, .input, .input, .holding])
        #expect(plan.map(\.address) == [0, 5, 20, 4])
        #expect(plan.map(\.count) == [3, 2, 1, 1])
        // With a gap allowance the input blocks merge.
        let merged = RegisterMapCodec.plan(
            PLCInput.allCases.compactMap { input in RegisterMapCodec.register(plc.registers, input).map { (input.rawValue, $0) } }, maxGap: 20)
        #expect(merged.map(\.count) == [21, 1])
    }

    @Test("Decoding inputs from the words read, counters raw, values scaled")
    func decodeInputs() throws {
        let plc = try PLCTestSupport.plcConfiguration(port: 502, wordOrder: "CDAB", overrides: ["recipe": "{ address: 3, table: input, scale: 0.5 }"])
        let codec = RegisterMapCodec(map: plc.registers)
        let inputs = codec.decodeInputs([[0x5678, 0x1234, 1, 14, 7, 2, 9]])
        #expect(inputs == PLCInputs(bottleCounter: 0x1234_5678, lineState: 1, recipe: 7, plcHeartbeat: 7,
                                    rejectConfirmCounter: 2, rejectAck: 9))
    }

    @Test("Consecutive outputs share one write; the handshake goes in its own")
    func writeBlocks() throws {
        let codec = RegisterMapCodec(map: try PLCTestSupport.plcConfiguration(port: 502).registers)
        let cyclic = try codec.writeBlocks([(.agentHeartbeat, 5), (.agentStatus, 1), (.agentAlarm, 0), (.goodCounter, 0x1_0002),
                                            (.rejectCounter, 3), (.lineStopRequest, 1)])
        #expect(cyclic.count == 2)
        #expect(cyclic[0].address == 104)
        #expect(cyclic[0].words == [5, 1, 0, 1, 2, 0, 3])
        #expect(cyclic[1] == WriteBlock(table: .coil, address: 200, words: [1], keys: ["lineStopRequest"]))
        let reject = try codec.writeBlocks([(.rejectSequence, 0x1_0000_0005), (.rejectReason, 3)])
        #expect(reject.count == 1)
        #expect(reject[0].words == [0, 5, 3], "sequence truncated to 32 bits, then the reason")
    }

    @Test("A value too large for its register names the key")
    func outOfRange() throws {
        let codec = RegisterMapCodec(map: try PLCTestSupport.plcConfiguration(port: 502).registers)
        #expect(throws: PLCError.valueOutOfRange(key: "agentStatus", value: 70_000, range: 0...65_535)) {
            try codec.writeBlocks([(.agentStatus, 70_000)])
        }
    }
}

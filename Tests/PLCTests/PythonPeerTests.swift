import Foundation
import LineConfig
import LineCore
import PLC
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The link and monitor against an independent Modbus implementation: pymodbus (from `.venv`, made by
/// `scripts/setup.sh`), plus two tiny socket servers that answer garbage or nothing.
@Suite("Modbus link against pymodbus and misbehaving peers", .serialized)
struct PythonPeerTests {
    func monitor(port: Int, counterBits: Int = 32, wordOrder: String = "ABCD", unitID: Int = 1,
                 overrides: [String: String] = [:]) throws -> (ModbusPLCLink, PLCMonitor, EventRecorder) {
        let plc = try PLCTestSupport.plcConfiguration(port: port, unitID: unitID, counterBits: counterBits, wordOrder: wordOrder,
                                                      pollInterval: "5ms", overrides: overrides)
        let link = ModbusPLCLink(configuration: plc, logger: PLCTestSupport.logger)
        let monitor = PLCMonitor(link: link, options: PLCMonitor.Options(plc: plc, reject: try PLCTestSupport.rejectPolicy()),
                                 logger: PLCTestSupport.logger)
        return (link, monitor, EventRecorder())
    }

    /// A peer in `mode` and a link connected to it.
    func connectedLink(mode: String) async throws -> (PythonPeer, ModbusPLCLink) {
        let peer = try await PythonPeer(["--mode", mode])
        let (link, _, _) = try monitor(port: peer.port)
        do {
            try await link.connect()
        } catch {
            peer.stop()
            throw error
        }
        return (peer, link)
    }

    @Test("32-bit counters in both word orders: consecutive bottles, no jump alarm", arguments: ["ABCD", "CDAB"])
    func wordOrders(_ order: String) async throws {
        // Given a counter at 0x0001FFF0 that carries into its high word within the test
        let peer = try await PythonPeer(["--bits", "32", "--word-order", order, "--counter-start", "\(0x1_FFF0)", "--tick-ms", "15"])
        defer { peer.stop() }
        let (_, monitor, recorder) = try monitor(port: peer.port, wordOrder: order)
        await recorder.start(monitor)
        #expect(await recorder.wait(timeout: .seconds(10)) { $0.filter { $0.type == "bottle" }.count >= 25 })
        await recorder.stop()
        let bottles = await recorder.bottles
        expectConsecutive(bottles)
        #expect(bottles.first.map { $0 > 0x1_FFF0 && $0 < 0x2_0010 } == true, "the value read is the one the peer wrote")
        #expect(bottles.contains(0x2_0000), "the carry into the high word is seen as one bottle")
        #expect(await recorder.events("counter-jump").isEmpty)
    }

    @Test("A wrong word order is caught as a counter jump, not as bottles")
    func wrongWordOrder() async throws {
        let peer = try await PythonPeer(["--bits", "32", "--word-order", "CDAB", "--counter-start", "\(0x1_FFF0)", "--tick-ms", "15"])
        defer { peer.stop() }
        let (_, monitor, recorder) = try monitor(port: peer.port, wordOrder: "ABCD")
        await recorder.start(monitor)
        #expect(await recorder.wait(timeout: .seconds(10)) { $0.contains { $0.type == "counter-jump" } })
        await recorder.stop()
    }

    @Test("16-bit counter wrap-around: the sequence keeps counting past 65535")
    func wrapAround() async throws {
        let peer = try await PythonPeer(["--bits", "16", "--counter-start", "65520", "--tick-ms", "10"])
        defer { peer.stop() }
        let (_, monitor, recorder) = try monitor(port: peer.port, counterBits: 16)
        await recorder.start(monitor)
        #expect(await recorder.wait(timeout: .seconds(10)) { $0.contains { $0.kind == .bottle(sequence: 65_545) } })
        await recorder.stop()
        let bottles = await recorder.bottles
        expectConsecutive(bottles)
        #expect(bottles.contains(65_536))
    }

    @Test("Peer killed mid-run and restarted further on: link down/up, no bottle lost or doubled")
    func killedMidRun() async throws {
        var peer = try await PythonPeer(["--counter-start", "1000", "--tick-ms", "20"])
        let port = peer.port
        let (_, monitor, recorder) = try monitor(port: port)
        await recorder.start(monitor)
        #expect(await recorder.wait(timeout: .seconds(10)) { $0.filter { $0.type == "bottle" }.count >= 10 })
        peer.kill()
        #expect(await recorder.wait { $0.contains { $0.type == "link-down" } })
        let seen = await recorder.bottles.last ?? 1_000
        // The line kept running while the PLC was unreachable: it comes back 7 bottles further, then counts on.
        peer.stop()
        peer = try await PythonPeer(["--counter-start", "\(seen + 7)", "--tick-ms", "20"], port: port)
        defer { peer.stop() }
        #expect(await recorder.wait(timeout: .seconds(10)) { $0.filter { $0.type == "link-up" }.count == 2 })
        #expect(await recorder.wait(timeout: .seconds(10)) { $0.contains { $0.kind == .bottle(sequence: seen + 15) } })
        await recorder.stop()
        let bottles = await recorder.bottles
        expectConsecutive(bottles)
        #expect(bottles.contains(seen + 7))
        #expect(await recorder.events.map(\.type).filter { $0.hasPrefix("link") } == ["link-up", "link-down", "link-up"])
    }

    @Test("Reject handshake with an independent PLC: the echo is seen, sequence and reason are in place")
    func handshake() async throws {
        let peer = try await PythonPeer(["--counter-start", "500"])
        defer { peer.stop() }
        let (link, monitor, recorder) = try monitor(port: peer.port)
        await recorder.start(monitor)
        #expect(await recorder.wait { $0.contains { $0.type == "recipe" } })
        await monitor.reject(sequence: 0x1_0000_01F4, reason: .foreign)
        #expect(await PLCTestSupport.eventually { (try? await link.readInputs().rejectAck) == 1 })
        await recorder.stop()
        try await link.connect()
        let outputs = try await link.readOutputs()
        #expect(outputs[.rejectSequence] == 0x1F4, "sequence truncated to the register's 32 bits")
        #expect(outputs[.rejectReason] == 4)
        #expect(outputs[.rejectCommand] == 1)
        #expect(await recorder.events("reject-not-acknowledged").isEmpty)
    }

    @Test("Illegal data address from pymodbus names the key and address")
    func illegalAddress() async throws {
        let peer = try await PythonPeer([])
        defer { peer.stop() }
        let (link, _, _) = try monitor(port: peer.port, overrides: ["recipe": "{ address: 150, table: input }"])
        try await link.connect()
        await #expect {
            _ = try await link.readInputs()
        } throws: { error in
            guard let error = error as? PLCError, case .exception(let request, 2, _, "Illegal data address") = error else { return false }
            return request.keys == ["recipe"] && request.address == 150 && error.description.contains("input register 150 (recipe)")
        }
    }

    @Test("Wrong unit id: pymodbus refuses with an exception naming the unit")
    func wrongUnit() async throws {
        let peer = try await PythonPeer(["--unit", "1"])
        defer { peer.stop() }
        let (link, _, _) = try monitor(port: peer.port, unitID: 7)
        try await link.connect()
        await #expect {
            _ = try await link.readInputs()
        } throws: { error in
            guard let error = error as? PLCError, case .exception(let request, _, _, _) = error else { return false }
            return request.unitID == 7 && error.description.contains("of unit 7")
        }
    }

    @Test("A peer that answers garbage: a bad-response error, and the link closes")
    func garbage() async throws {
        let (peer, link) = try await connectedLink(mode: "garbage")
        defer { peer.stop() }
        await #expect {
            _ = try await link.readInputs()
        } throws: { error in
            guard let error = error as? PLCError else { return false }
            switch error {
            case .badResponse(let request, _, _), .timeout(let request, _, _):
                return request.address == 0 && request.keys.contains("bottleCounter")
            default: return false
            }
        }
        #expect(await !link.isConnected, "after garbage the stream is closed, so no late byte is taken for an answer")
    }

    @Test("A peer that never answers: a timeout naming the registers, after the response timeout")
    func silent() async throws {
        let (peer, link) = try await connectedLink(mode: "silent")
        defer { peer.stop() }
        let start = ContinuousClock.now
        await #expect {
            _ = try await link.readInputs()
        } throws: { error in
            guard let error = error as? PLCError, case .timeout(let request, let errno, _) = error else { return false }
            return errno == ETIMEDOUT && request.address == 0 && request.count == 7
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(90) && elapsed < .seconds(2), "responseTimeout is 100ms, took \(elapsed)")
    }
}

extension PythonPeerTests {
    @Test("A peer that stalls in the middle of an answer: a timeout after the byte timeout")
    func partialAnswer() async throws {
        let (peer, link) = try await connectedLink(mode: "partial")
        defer { peer.stop() }
        await #expect {
            _ = try await link.readInputs()
        } throws: { error in
            guard let error = error as? PLCError, case .timeout(let request, let errno, _) = error else { return false }
            return errno == ETIMEDOUT && request.keys.contains("bottleCounter")
        }
        #expect(await !link.isConnected)
    }
}

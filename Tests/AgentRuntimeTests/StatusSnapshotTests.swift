import Foundation
import Testing
@testable import AgentRuntime

@Suite struct StatusSnapshotTests {
    @Test func roundTripsThroughTheStatusJSON() throws {
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        let snapshot = AgentStatusSnapshot(
            version: "0.1.0", producer: "980515400019", startedAt: start, takenAt: start.addingTimeInterval(60), ready: false,
            notReadyReasons: ["line1: PLC link down"],
            lines: [LineStatus(id: "line1", plcLink: "down", lineState: "running", recipe: 1, lastSequence: 42, bottles: 42,
                               good: 40, rejectedByKind: ["no-read": 2], bottlesPerHour: 36_000, readRate: 0.95,
                               rejectsConfirmed: 2, rejectsMissed: 0, timeouts: 0, decisionLatencyP50Ms: 12,
                               decisionLatencyP99Ms: 30,
                               cameras: [CameraStatus(id: "top", state: "delivering", frames: 42, lastFrameAgeSeconds: 0.1,
                                                      decodeP99Ms: 9)])],
            outbox: OutboxStatus(pending: 40, unbatched: 40, openBatches: 0, deadLetters: 0, oldestPendingAgeSeconds: 1.5,
                                 delivered: 0, lastDeliveryAt: nil, writable: true),
            alarms: [StatusEvent(time: start, line: "line1", kind: "plc-link-down", message: "connection refused")],
            lastErrors: [])
        let data = try AgentStatusSnapshot.encoder().encode(snapshot)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"startedAt\" : \"2026-11-18T11:06:40Z"))
        #expect(try AgentStatusSnapshot.decoder().decode(AgentStatusSnapshot.self, from: data) == snapshot)
    }
}

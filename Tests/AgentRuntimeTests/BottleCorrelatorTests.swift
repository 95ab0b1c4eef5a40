import Foundation
import LineCore
import LineDecisions
import Testing
@testable import AgentRuntime

/// Frame ↔ trigger matching, on made-up instants (no clock, no I/O).
@Suite struct BottleCorrelatorTests {
    let t0 = ContinuousClock.now
    func at(_ ms: Int) -> ContinuousClock.Instant { t0.advanced(by: .milliseconds(ms)) }
    func code(_ text: String) -> [[UInt8]] { [Array(text.utf8)] }

    func triggered() -> BottleCorrelator {
        BottleCorrelator(mode: .triggered, tolerance: .milliseconds(10), maxFrameWait: .milliseconds(25), deadline: .milliseconds(100))
    }

    @Test func aFrameGoesToTheBottleWhoseTriggerWasObservedJustAfterItsExposure() {
        var c = triggered()
        // Given bottle 1 triggered at 0 ms (observed by the PLC poll 4 ms after the exposure at -4 ms)
        #expect(c.trigger(sequence: 1, at: at(0), time: Date(), recipe: 1, liveCameras: ["top"]).isEmpty)
        // When the frame captured at -4 ms arrives
        let done = c.frame(camera: "top", capturedAt: at(-4), payloads: code("A"), liveCameras: ["top"])
        // Then bottle 1 is complete with that frame
        #expect(done.map(\.sequence) == [1])
        #expect(done.first?.window(lineID: "l", mode: .triggered).frames == [code("A")])
    }

    @Test func aFrameThatArrivesBeforeItsTriggerWaitsForIt() {
        var c = triggered()
        #expect(c.frame(camera: "top", capturedAt: at(0), payloads: code("A"), liveCameras: ["top"]).isEmpty)
        let done = c.trigger(sequence: 7, at: at(5), time: Date(), recipe: nil, liveCameras: ["top"])
        #expect(done.map(\.sequence) == [7])
        #expect(done.first?.frames["top"] == [code("A")])
    }

    @Test func aDroppedFrameLeavesItsBottleWithoutAFrameAndTheNextFrameGoesToTheNextBottle() {
        var c = triggered()
        _ = c.trigger(sequence: 1, at: at(3), time: Date(), recipe: 1, liveCameras: ["top"])
        _ = c.trigger(sequence: 2, at: at(53), time: Date(), recipe: 1, liveCameras: ["top"])
        // The camera dropped bottle 1's frame; bottle 2's frame was exposed at 50 ms
        let done = c.frame(camera: "top", capturedAt: at(50), payloads: code("B"), liveCameras: ["top"])
        #expect(done.map(\.sequence) == [2])
        // Bottle 1 is decided at its deadline, with no frame (a no-read)
        let late = c.expired(at: at(103))
        #expect(late.map(\.sequence) == [1])
        #expect(late.first?.frameCount == 0)
    }

    @Test func aLateFrameIsNeverGivenToTheNextBottle() {
        var c = triggered()
        _ = c.trigger(sequence: 1, at: at(2), time: Date(), recipe: 1, liveCameras: ["top"])
        _ = c.trigger(sequence: 2, at: at(52), time: Date(), recipe: 1, liveCameras: ["top"])
        #expect(c.expired(at: at(102)).map(\.sequence) == [1])  // bottle 1 timed out without its frame
        // Bottle 1's frame (exposed at 0 ms) arrives only now: it must not become bottle 2's
        #expect(c.frame(camera: "top", capturedAt: at(0), payloads: code("A"), liveCameras: ["top"]).isEmpty)
        #expect(c.open.first?.frames["top"] == nil)
        _ = c.expired(at: at(140))
        #expect(c.strayFrames == 1)
    }

    @Test func withTwoCamerasABottleWaitsForBothAndMergesTheirFrames() {
        var c = triggered()
        let cameras: Set<String> = ["left", "right"]
        _ = c.trigger(sequence: 1, at: at(3), time: Date(), recipe: 1, liveCameras: cameras)
        #expect(c.frame(camera: "left", capturedAt: at(0), payloads: code("A"), liveCameras: cameras).isEmpty)
        let done = c.frame(camera: "right", capturedAt: at(1), payloads: [], liveCameras: cameras)
        #expect(done.map(\.sequence) == [1])
        #expect(done.first?.window(lineID: "l", mode: .triggered).frames == [code("A")])
    }

    @Test func continuousModeGroupsFramesBetweenTriggers() {
        var c = BottleCorrelator(mode: .continuous, tolerance: .milliseconds(2), maxFrameWait: .milliseconds(25),
                                 deadline: .milliseconds(200))
        _ = c.trigger(sequence: 1, at: at(0), time: Date(), recipe: 1, liveCameras: ["top"])
        let a = "AAAAAAAAAAAAAAAAAAAA", x = "XXXXXXXXXXXXXXXXXXXX"
        for ms in [5, 15, 25] { #expect(c.frame(camera: "top", capturedAt: at(ms), payloads: code(a), liveCameras: ["top"]).isEmpty) }
        #expect(c.frame(camera: "top", capturedAt: at(35), payloads: code(x), liveCameras: ["top"]).isEmpty)
        // Bottle 2's trigger: bottle 1 closes once a frame captured after it arrives
        #expect(c.trigger(sequence: 2, at: at(40), time: Date(), recipe: 1, liveCameras: ["top"]).isEmpty)
        let done = c.frame(camera: "top", capturedAt: at(45), payloads: code("B"), liveCameras: ["top"])
        #expect(done.map(\.sequence) == [1])
        #expect(done.first?.frameCount == 4)
        // The window holds bottle 1's four frames, not bottle 2's: two codes in it → ambiguous, most frames first
        let decider = LineDecider(lineID: "l", mode: .continuous, rules: .default, products: [:], seen: InMemoryCodeLookup(),
                                  pool: nil)
        let reading = decider.read(done.first!.window(lineID: "l", mode: .continuous).frames)
        #expect(reading == .ambiguous([StampCode(trusted: a), StampCode(trusted: x)]))
        #expect(c.open.map(\.sequence) == [2])
    }
}

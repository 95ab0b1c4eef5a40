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
        // Bottle 2 gets it; bottle 1 will not get a frame any more: it is complete without one (a no-read)
        #expect(done.map(\.sequence) == [1, 2])
        #expect(done.first?.frameCount == 0)
        #expect(done.last?.frames["top"] == [code("B")])
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

    @Test func afterTheCameraReportsLostFramesNoCodeGoesToABottleThatMayNotBeItsOwn() {
        var c = triggered()
        // Given bottles 1 and 2, both observed late by a stalled PLC poll (bottle 1 at 48 ms, bottle 2 at 55 ms)
        _ = c.trigger(sequence: 1, at: at(48), time: Date(), recipe: 1, liveCameras: ["top"])
        _ = c.trigger(sequence: 2, at: at(55), time: Date(), recipe: 1, liveCameras: ["top"])
        // When the camera, having dropped bottle 1's frame, delivers bottle 2's frame (exposed at 50 ms) and says so
        let done = c.frame(camera: "top", capturedAt: at(50), payloads: code("B"), afterDrop: true, liveCameras: ["top"])
        // Then neither bottle gets that frame: both are complete without a frame (no-reads, rejected)
        #expect(Set(done.map(\.sequence)) == [1, 2])
        #expect(done.allSatisfy { $0.frameCount == 0 })
        #expect(c.lostAfterDrop == 1)
        // Whereas without the drop report the earliest bottle would have taken it (why the report matters)
        var plain = triggered()
        _ = plain.trigger(sequence: 1, at: at(48), time: Date(), recipe: 1, liveCameras: ["top"])
        #expect(plain.frame(camera: "top", capturedAt: at(50), payloads: code("B"), liveCameras: ["top"]).map(\.sequence) == [1])
    }

    @Test func aPLCThatReportsTriggersLateNeverShiftsFramesOntoTheWrongBottles() {
        var c = triggered()
        // Given three bottles exposed at 0, 50 and 100 ms (codes A, none, C) while the PLC poll stalls: bottles 1 and
        // 2 are reported only at 90 ms, bottle 3 at 105 ms
        #expect(c.frame(camera: "top", capturedAt: at(0), payloads: code("A"), liveCameras: ["top"]).isEmpty)
        _ = c.expired(at: at(26))  // bottle 1's frame waited in vain
        #expect(c.frame(camera: "top", capturedAt: at(50), payloads: [], liveCameras: ["top"]).isEmpty)
        _ = c.expired(at: at(76))  // so did bottle 2's
        // When the triggers arrive
        let first = c.trigger(sequence: 1, at: at(90), time: Date(), recipe: 1, liveCameras: ["top"])
            + c.trigger(sequence: 2, at: at(90), time: Date(), recipe: 1, liveCameras: ["top"])
        _ = c.trigger(sequence: 3, at: at(105), time: Date(), recipe: 1, liveCameras: ["top"])
        let third = c.frame(camera: "top", capturedAt: at(100), payloads: code("C"), liveCameras: ["top"])
        // Then bottles 1 and 2 get no frame (no-reads, rejected) and bottle 3 gets its own code: no code moved
        #expect(first.map(\.sequence) == [1, 2])
        #expect(first.allSatisfy { $0.frameCount == 0 })
        #expect(third.map(\.sequence) == [3])
        #expect(third.first?.frames["top"] == [code("C")])
    }

    @Test func bottlesReportedTogetherAfterAStalledPollNeverTakeALaterBottlesFrame() {
        var c = triggered()
        // Given bottles exposed at 0, 100 and 200 ms (codes A, B, C) that the PLC poll reports only at 205 ms, all
        // three at once (a stalled poll, or a link that came back), before their frames arrive
        var done = c.trigger(sequence: 1, at: at(205), time: Date(), recipe: 1, liveCameras: ["top"])
        done += c.trigger(sequence: 2, at: at(205), time: Date(), recipe: 1, liveCameras: ["top"])
        done += c.trigger(sequence: 3, at: at(205), time: Date(), recipe: 1, liveCameras: ["top"])
        // When the frames arrive in order
        done += c.frame(camera: "top", capturedAt: at(0), payloads: code("A"), liveCameras: ["top"])
        done += c.frame(camera: "top", capturedAt: at(100), payloads: code("B"), liveCameras: ["top"])
        done += c.frame(camera: "top", capturedAt: at(200), payloads: code("C"), liveCameras: ["top"])
        done += c.expired(at: at(400))
        // Then bottles 1 and 2 get no frame (no-reads, rejected) and bottle 3 its own: bottle 1 never gets code C
        let bySequence = Dictionary(done.map { ($0.sequence, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(bySequence[1]?.frameCount == 0)
        #expect(bySequence[2]?.frameCount == 0)
        #expect(bySequence[3]?.frames["top"] == [code("C")])
    }

    @Test func aFrameThatComesAfterItsBottleWasDecidedCostsNoOtherBottleItsFrame() {
        var c = triggered()
        _ = c.trigger(sequence: 1, at: at(2), time: Date(), recipe: 1, liveCameras: ["top"])
        #expect(c.expired(at: at(103)).map(\.sequence) == [1])  // decided without a frame
        // Bottle 1's frame comes now (decode took long): it is late, not a frame waiting for a trigger
        #expect(c.frame(camera: "top", capturedAt: at(0), payloads: code("A"), liveCameras: ["top"]).isEmpty)
        _ = c.expired(at: at(140))
        // So bottle 2 (exposed at 150 ms) is matched with its own frame as usual
        _ = c.trigger(sequence: 2, at: at(153), time: Date(), recipe: 1, liveCameras: ["top"])
        let done = c.frame(camera: "top", capturedAt: at(150), payloads: code("B"), liveCameras: ["top"])
        #expect(done.map(\.sequence) == [2])
        #expect(done.first?.frames["top"] == [code("B")])
    }

    @Test func oneFrameThatWaitedInVainCostsOneBottleAndMatchingRecovers() {
        var c = triggered()
        // Given a stray frame (no bottle of its own) that waits in vain and is discarded
        #expect(c.frame(camera: "top", capturedAt: at(0), payloads: code("X"), liveCameras: ["top"]).isEmpty)
        _ = c.expired(at: at(30))
        // When the line goes on at one bottle per 50 ms, each frame arriving after its trigger was observed, with the
        // deadline checks running in between
        var outcomes: [BottleCorrelator.Bottle] = []
        for n in 1...6 {
            let exposure = n * 50
            outcomes += c.trigger(sequence: UInt64(n), at: at(exposure + 4), time: Date(), recipe: 1, liveCameras: ["top"])
            outcomes += c.frame(camera: "top", capturedAt: at(exposure), payloads: code("C\(n)"), liveCameras: ["top"])
            outcomes += c.expired(at: at(exposure + 40))
        }
        outcomes += c.expired(at: at(1_000))
        // Then the first bottle pays for the stray frame (a no-read; its own frame is absorbed, never passed on) and
        // every later bottle has its own code: one loss does not cascade
        let bySequence = Dictionary(outcomes.map { ($0.sequence, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(bySequence[1]?.frameCount == 0)
        for n in 2...6 { #expect(bySequence[UInt64(n)]?.frames["top"] == [code("C\(n)")], "bottle \(n)") }
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
        let decider = LineDecider(lineID: "l", mode: .continuous, rules: .default, products: [:])
        let reading = decider.read(done.first!.window(lineID: "l", mode: .continuous).frames)
        #expect(reading == .ambiguous([StampCode(trusted: a), StampCode(trusted: x)]))
        #expect(c.open.map(\.sequence) == [2])
    }

    @Test func eachBottleRemembersWhichCameraFramesItTook() {
        // Triggered: a frame that waited for its trigger, and one matched at once, on two cameras
        var c = triggered()
        #expect(c.frame(camera: "left", capturedAt: at(0), payloads: code("A"), sequence: 40, liveCameras: ["left", "right"]).isEmpty)
        #expect(c.trigger(sequence: 7, at: at(4), time: Date(), recipe: 1, liveCameras: ["left", "right"]).isEmpty)
        let done = c.frame(camera: "right", capturedAt: at(1), payloads: [], sequence: 90, liveCameras: ["left", "right"])
        #expect(done.map(\.sequence) == [7])
        #expect(done.first?.frameRefs == [FrameRef(camera: "left", sequence: 40), FrameRef(camera: "right", sequence: 90)])
        // A frame discarded after a drop is no frame of the bottle
        _ = c.trigger(sequence: 8, at: at(54), time: Date(), recipe: 1, liveCameras: ["left"])
        let afterDrop = c.frame(camera: "left", capturedAt: at(50), payloads: code("B"), sequence: 43, afterDrop: true, liveCameras: ["left"])
        #expect(afterDrop.map(\.sequence) == [8])
        #expect(afterDrop.first?.frameRefs == [])

        // Continuous: every frame of the window, in order
        var continuous = BottleCorrelator(mode: .continuous, tolerance: .milliseconds(2), maxFrameWait: .milliseconds(25),
                                          deadline: .milliseconds(200))
        _ = continuous.trigger(sequence: 1, at: at(0), time: Date(), recipe: 1, liveCameras: ["top"])
        for (ms, frame) in [(5, 10), (15, 11), (25, 12)] as [(Int, UInt64)] {
            _ = continuous.frame(camera: "top", capturedAt: at(ms), payloads: code("A"), sequence: frame, liveCameras: ["top"])
        }
        _ = continuous.trigger(sequence: 2, at: at(30), time: Date(), recipe: 1, liveCameras: ["top"])
        let window = continuous.frame(camera: "top", capturedAt: at(35), payloads: code("B"), sequence: 13, liveCameras: ["top"])
        #expect(window.first?.frameRefs.map(\.sequence) == [10, 11, 12])
        #expect(continuous.open.first?.frameRefs.map(\.sequence) == [13])
    }
}

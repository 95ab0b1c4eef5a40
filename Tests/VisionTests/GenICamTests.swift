import Foundation
import LineConfig
import LineCore
import Testing
@testable import Vision

/// Starts aravis's simulated GigE Vision camera on the loopback interface for the duration of a test.
final class FakeGigECamera {
    static let executable = "/usr/bin/arv-fake-gv-camera-0.8"
    let process = Process()

    init() throws {
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["-i", "lo"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 0.5)
    }

    /// The fake camera quits on SIGINT but ignores SIGTERM; SIGKILL if it does not go within two seconds.
    func stop() {
        guard process.isRunning else { return }
        process.interrupt()
        for _ in 0..<40 where process.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// The fake camera binds the GigE Vision port: these tests must not run at the same time.
@Suite("GenICam source against arv-fake-gv-camera-0.8 on loopback", .serialized)
struct GenICamTests {
    @Test("frames stream from the simulated camera with increasing frame ids, exposure and gain applied")
    func stream() throws {
        let camera = try FakeGigECamera()
        defer { camera.stop() }
        var settings = AcquisitionSettings()
        settings.exposureUs = 2_000
        settings.gainDb = 3
        let source = try GenICamFrameSource(deviceID: "127.0.0.1", acquisition: settings)
        defer { source.close() }
        let image = GrayImage()
        var last: UInt64?
        var lastInstant: ContinuousClock.Instant?
        for _ in 0..<10 {
            let info = try #require(try source.next(into: image))
            #expect(image.width == 512 && image.height == 512 && image.channels == 1)
            if let last { #expect(info.sequence > last) }
            last = info.sequence
            // Stamped when the frame arrived (Aravis' system timestamp), never after it was popped
            #expect(info.capturedInstant <= .now && ContinuousClock.now - info.capturedInstant < .seconds(2))
            if let lastInstant { #expect(info.capturedInstant >= lastInstant) }
            lastInstant = info.capturedInstant
        }
        #expect(source.name == "genicam:127.0.0.1")
    }

    @Test("a frame popped late keeps the time it arrived; no or implausible stream timestamps fall back to now")
    func captureTimeFromTheStream() {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        let instant = ContinuousClock.now
        let arrived = UInt64((now.timeIntervalSince1970 - 0.25) * 1e9)
        let (date, late) = GenICamFrameSource.captureTime(systemTimestamp: arrived, now: now, instant: instant)
        #expect(abs(now.timeIntervalSince(date) - 0.25) < 0.001)
        #expect(abs((instant - late - .milliseconds(250)).inMilliseconds) < 1)
        for implausible in [UInt64(0), UInt64((now.timeIntervalSince1970 + 5) * 1e9), UInt64((now.timeIntervalSince1970 - 60) * 1e9)] {
            let (fallbackDate, fallback) = GenICamFrameSource.captureTime(systemTimestamp: implausible, now: now, instant: instant)
            #expect(fallbackDate == now && fallback == instant)
        }
    }

    @Test("an unknown camera is refused by name")
    func unknownCamera() {
        #expect { try GenICamFrameSource(deviceID: "No-Such-Camera-42", timeout: .milliseconds(500)) } throws: { error in
            guard case .sourceUnavailable(let source, _) = error as? VisionError else { return false }
            return source == "genicam:No-Such-Camera-42"
        }
    }

    @Test("a camera that disappears mid-stream is reported as closed, not hung")
    func cameraDisappears() throws {
        let camera = try FakeGigECamera()
        let source = try GenICamFrameSource(deviceID: "127.0.0.1", timeout: .milliseconds(700))
        defer { source.close() }
        let image = GrayImage()
        #expect(try source.next(into: image) != nil)
        camera.stop()
        let clock = ContinuousClock()
        let start = clock.now
        var closed = false
        for _ in 0..<50 {
            do {
                _ = try source.next(into: image)
            } catch {
                if case .sourceClosed = error { closed = true }
                break
            }
        }
        #expect(closed)
        #expect(start.duration(to: clock.now) < .seconds(10))
    }
}

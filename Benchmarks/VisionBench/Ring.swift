import Foundation
import LineCore
import Synchronization
import Vision

/// `vision-bench --ring`: what the camera page costs the line. Per frame: the ring's bookkeeping (two uncontended
/// lock round trips, as `FrameRing` takes per frame) and the statistics recorder; per frame asked for (the console's
/// latest frame, a rejected bottle's frame): the copy out of the ring, the encoding, and the archive's two files.
enum RingBench {
    static func run(frames: Int) throws {
        let count = max(1_000, frames * 200)
        // Per frame
        var recorder = CameraStatisticsRecorder()
        let lock = Mutex(0)
        let codes = [DecodedCode(bytes: Array("https://qr.example.kz/c/7KQ2M9X4TZ8WB3N5JH6R".utf8), decoder: .zxing, corners: [],
                                 quality: ReadQuality(contrast: 0.6, modulePx: 4, stepIndex: 0))]
        let clock = ContinuousClock()
        let now = Date()
        let start = clock.now
        for index in 0..<count {
            lock.withLock { $0 &+= 1 }
            recorder.record(decodeMs: Double(index % 40), codes: codes, at: now)
            lock.withLock { $0 &+= 1 }
        }
        let perFrameNs = start.duration(to: clock.now).inMilliseconds * 1e6 / Double(count)
        print(String(format: "ring: per frame %.0f ns (ring bookkeeping and statistics; %d frames)", perFrameNs, count))
        print(String(format: "ring: at 20 frames a second per camera: %.4f %% of one core", perFrameNs * 20 / 1e9 * 100))

        // Per frame asked for
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vision-bench-ring-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (width, height) in [(640, 512), (1280, 1024)] {
            let synthesizer = FrameSynthesizer(width: width, height: height, profile: .nominal, seed: 3)
            let image = GrayImage()
            var copy = 0.0, jpeg = 0.0, png = 0.0, write = 0.0, bytes = 0
            let runs = max(10, frames)
            for index in 0..<runs {
                _ = try synthesizer.next(into: image)
                var t = clock.now
                let pixels = FramePixels(image)
                copy += t.duration(to: clock.now).inMilliseconds
                let scratch = GrayImage()
                try pixels.copy(into: scratch)
                t = clock.now
                let data = try scratch.encoded(as: .standard)
                jpeg += t.duration(to: clock.now).inMilliseconds
                bytes += data.count
                t = clock.now
                _ = try scratch.encoded(as: .png(level: 1))
                png += t.duration(to: clock.now).inMilliseconds
                t = clock.now
                let target = folder.appendingPathComponent("f\(index % 50).jpg")
                let temporary = folder.appendingPathComponent(".f.tmp")
                try data.write(to: temporary)
                _ = rename(temporary.path, target.path)
                try Data(repeating: 0x20, count: 1_500).write(to: temporary)
                _ = rename(temporary.path, folder.appendingPathComponent("f\(index % 50).json").path)
                write += t.duration(to: clock.now).inMilliseconds
            }
            let n = Double(runs)
            print(String(format: "ring: %dx%d: copy out %.2f ms, JPEG 90 %.2f ms (%d kB), PNG 1 %.2f ms, archive files %.2f ms; a kept frame %.2f ms in all",
                         width, height, copy / n, jpeg / n, bytes / runs / 1024, png / n, write / n, (copy + jpeg + write) / n))
            print(String(format: "ring: %dx%d at the archive's limit of 5 frames a second per camera: %.1f %% of one core",
                         width, height, (copy + jpeg + write) / n * 5 / 10))
        }
    }
}

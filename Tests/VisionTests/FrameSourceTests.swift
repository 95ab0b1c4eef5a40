import Foundation
import LineConfig
import Testing
@testable import Vision

@Suite("Frame sources and bad input")
struct FrameSourceTests {
    /// Writes `count` generated frames into a folder; returns their payloads in file order.
    func writeFrames(_ count: Int, to folder: URL, seed: UInt64 = 3) throws -> [[String]] {
        let synthesizer = FrameSynthesizer(profile: .nominal, seed: seed)
        let image = GrayImage()
        var truth: [[String]] = []
        for index in 0..<count {
            let spec = try synthesizer.next(into: image)
            try image.write(to: folder.appendingPathComponent(String(format: "f%03d.png", index)).path)
            truth.append(spec.payloads)
        }
        return truth
    }

    @Test("a folder source gives its images in sorted order with sequence numbers, then ends (or loops)")
    func folder() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try writeFrames(3, to: folder)
        try Data("not an image".utf8).write(to: folder.appendingPathComponent("readme.txt"))
        let source = try FolderFrameSource(folder: folder.path)
        let image = GrayImage()
        var files: [String] = []
        while let info = try source.next(into: image) {
            #expect(info.sequence == UInt64(files.count))
            #expect(info.dropped == 0)
            files.append((info.file! as NSString).lastPathComponent)
            #expect(image.width == 1280 && image.height == 1024 && image.channels == 1)
        }
        #expect(files == ["f000.png", "f001.png", "f002.png"])
        let looping = try FolderFrameSource(folder: folder.path, loop: true)
        for _ in 0..<7 { #expect(try looping.next(into: image) != nil) }
        source.close()
        #expect(throws: VisionError.sourceClosed(source: source.name, reason: "closed")) { try source.next(into: image) }
    }

    @Test("a missing or empty folder is refused by name")
    func folderErrors() throws {
        #expect(throws: VisionError.sourceUnavailable(source: "folder:/nonexistent/frames", reason: "no such folder")) {
            try FolderFrameSource(folder: "/nonexistent/frames")
        }
        let empty = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect { try FolderFrameSource(folder: empty.path) } throws: { error in
            guard case .sourceUnavailable(let source, let reason) = error as? VisionError else { return false }
            return source == "folder:\(empty.path)" && reason.contains("no images")
        }
    }

    @Test("corrupt, truncated, tiny and huge images get errors naming the file, and the folder goes on")
    func badImages() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try writeFrames(1, to: folder)
        let good = folder.appendingPathComponent("f000.png")
        let full = try Data(contentsOf: good)
        try full.prefix(full.count / 2).write(to: folder.appendingPathComponent("a-truncated.png"))
        try Data(repeating: 0x5A, count: 4096).write(to: folder.appendingPathComponent("b-garbage.png"))
        try GrayImage(width: 1, height: 1, fill: 0).write(to: folder.appendingPathComponent("c-tiny.png").path)
        // A PNG header that claims 20000×20000 pixels: refused before anything is decoded.
        var huge = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
        huge += Data([0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20, 8, 0, 0, 0, 0]) + Data(repeating: 0, count: 64)
        try huge.write(to: folder.appendingPathComponent("d-huge.png"))

        let source = try FolderFrameSource(folder: folder.path)
        let image = GrayImage()
        var outcomes: [String] = []
        while true {
            do {
                guard let info = try source.next(into: image) else { break }
                outcomes.append("ok \((info.file! as NSString).lastPathComponent)")
            } catch {
                outcomes.append("\(error)")
            }
        }
        #expect(outcomes.count == 5)
        #expect(outcomes[0].hasPrefix("\(folder.path)/a-truncated.png: cannot read the image"))
        #expect(outcomes[1].hasPrefix("\(folder.path)/b-garbage.png: cannot read the image"))
        #expect(outcomes[2] == "\(folder.path)/c-tiny.png: image of 1×1 pixels is too small to hold a stamp code (at least 21×21)")
        #expect(outcomes[3] == "\(folder.path)/d-huge.png: image of 20000×20000 pixels is larger than the limit of 8192 pixels per side")
        #expect(outcomes[4] == "ok f000.png")
    }

    @Test("a colour image is read as gray and decodes")
    func colourImage() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("colour.png").path
        try AnnotatedImage(try render(cleanSpec())).write(to: path)
        let image = GrayImage()
        try ImageFile.read(path, into: image)
        #expect(image.channels == 1)
        #expect(try ZXingDecoder().decode(image).count == 1)
    }

    @Test("a video file is read frame by frame through OpenCV, ends, and can loop")
    func videoFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("line.avi").path
        let writer = try VideoFileWriter(path: path, fps: 10, width: 1280, height: 1024)
        let payloads = ["https://qr.example.kz/c/AAAABBBBCCCCDDDD0001", "https://qr.example.kz/c/AAAABBBBCCCCDDDD0002",
                        "https://qr.example.kz/c/AAAABBBBCCCCDDDD0003"]
        for payload in payloads { try writer.write(try render(cleanSpec(payload: payload, modulePx: 5))) }
        writer.close()

        let source = try VideoFrameSource(video: path)
        let pipeline = try DecodePipeline(calibration: StandardCalibration.calibration)
        let image = GrayImage()
        var read: [String] = []
        while let info = try source.next(into: image) {
            #expect(info.sequence == UInt64(read.count))
            read.append(contentsOf: try pipeline.analyze(image).codes.map(\.text))
        }
        #expect(read == payloads)
        source.close()
        #expect(throws: VisionError.self) { try source.next(into: image) }
        let looping = try VideoFrameSource(video: path, loop: true)
        for _ in 0..<5 { #expect(try looping.next(into: image) != nil) }
    }

    @Test("a GStreamer pipeline ending in appsink delivers gray frames, then ends")
    func gstreamer() throws {
        let source = try VideoFrameSource(
            gstreamer: "videotestsrc num-buffers=5 ! video/x-raw,format=GRAY8,width=320,height=240 ! appsink")
        let image = GrayImage()
        var frames = 0
        while try source.next(into: image) != nil {
            #expect(image.width == 320 && image.height == 240 && image.channels == 1)
            frames += 1
        }
        #expect(frames == 5)
        #expect { try VideoFrameSource(gstreamer: "nosuchelement ! appsink") } throws: { error in
            guard case .sourceUnavailable(let source, _) = error as? VisionError else { return false }
            return source == "gstreamer:nosuchelement ! appsink"
        }
    }

    @Test("missing devices, files and unreachable streams are refused by name")
    func unavailableSources() {
        #expect { try VideoFrameSource(device: "/dev/video99") } throws: { error in
            guard case .sourceUnavailable(let source, _) = error as? VisionError else { return false }
            return source == "v4l2:/dev/video99"
        }
        #expect(throws: VisionError.sourceUnavailable(source: "video:/nonexistent.avi", reason: "no such file")) {
            try VideoFrameSource(video: "/nonexistent.avi")
        }
        // Nothing listens on port 1 of the loopback interface.
        #expect { try VideoFrameSource(rtsp: "rtsp://127.0.0.1:1/stream") } throws: { error in
            guard case .sourceUnavailable(let source, _) = error as? VisionError else { return false }
            return source == "rtsp:rtsp://127.0.0.1:1/stream"
        }
    }

    @Test("the synthetic source gives its ground truth with each frame and stops at its limit")
    func synthetic() throws {
        let source = SyntheticFrameSource(synthesizer: FrameSynthesizer(profile: .nominal, seed: 9), frames: 3)
        let image = GrayImage()
        var count = 0
        while try source.next(into: image) != nil {
            count += 1
            #expect(source.lastSpec != nil)
        }
        #expect(count == 3)
    }

    @Test("the same seed gives the same frames")
    func deterministic() throws {
        let a = FrameSynthesizer(profile: .hard, seed: 42), b = FrameSynthesizer(profile: .hard, seed: 42)
        let imageA = GrayImage(), imageB = GrayImage()
        for _ in 0..<3 {
            #expect(try a.next(into: imageA) == (try b.next(into: imageB)))
            #expect(imageA.pixel(x: 640, y: 512) == imageB.pixel(x: 640, y: 512))
        }
    }
}

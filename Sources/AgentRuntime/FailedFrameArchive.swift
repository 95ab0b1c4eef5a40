import Dispatch
import Foundation
import LineCore
import Metrics
import Synchronization
import Vision

/// A rejected bottle's frame to keep: which camera frame, and what was decided.
public struct FailedFrameRequest: Sendable, Hashable {
    public var lineID: String
    public var camera: String
    /// The source's frame sequence (``FrameInfo/sequence``).
    public var frameSequence: UInt64
    public var bottleSequence: UInt64
    public var decision: DecisionKind
    /// The code the decision names, if any.
    public var code: String?
    public var decidedAt: Date

    public init(lineID: String, camera: String, frameSequence: UInt64, bottleSequence: UInt64, decision: DecisionKind,
                code: String?, decidedAt: Date) {
        self.lineID = lineID
        self.camera = camera
        self.frameSequence = frameSequence
        self.bottleSequence = bottleSequence
        self.decision = decision
        self.code = code
        self.decidedAt = decidedAt
    }
}

/// A kept frame of a rejected bottle: the JSON sidecar beside its picture.
public struct FailedFrameRecord: Sendable, Hashable, Codable {
    /// The entry's name: the picture's file name (`20250314T101502123Z-b1042-f1042.jpg`).
    public var name: String
    public var mimeType: String
    public var lineID: String
    public var camera: String
    public var bottleSequence: UInt64
    public var frameSequence: UInt64
    public var decision: DecisionKind
    public var code: String?
    /// When the bottle was decided (UTC).
    public var decidedAt: Date
    /// When the frame was captured (UTC).
    public var capturedAt: Date
    /// What the chain saw in the frame.
    public var overlay: FrameOverlay

    public init(name: String, mimeType: String, lineID: String, camera: String, bottleSequence: UInt64, frameSequence: UInt64,
                decision: DecisionKind, code: String?, decidedAt: Date, capturedAt: Date, overlay: FrameOverlay) {
        self.name = name
        self.mimeType = mimeType
        self.lineID = lineID
        self.camera = camera
        self.bottleSequence = bottleSequence
        self.frameSequence = frameSequence
        self.decision = decision
        self.code = code
        self.decidedAt = decidedAt
        self.capturedAt = capturedAt
        self.overlay = overlay
    }
}

extension FailedFrameRecord {
    /// The sidecar's JSON: sorted keys, times in ISO 8601 UTC with milliseconds.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        return encoder
    }

    /// Reads what ``encoder()`` writes.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            return try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
        }
        return decoder
    }
}

/// What became of the frames the line asked to keep, per camera, since the agent started.
public struct FailedFrameCounts: Sendable, Hashable, Codable {
    /// Written to disk.
    public var saved = 0
    /// Dropped because the archive's queue was full (the line never waits for the disk).
    public var queueFull = 0
    /// Dropped by the rate limit (at most ``FailedFrameArchive/maxPerSecond`` a second per camera).
    public var rateLimited = 0
    /// No longer in the camera's ring when the archive got to them.
    public var gone = 0
    /// Not written: too little free space (the outbox comes first).
    public var lowSpace = 0
    /// Not written: a disk error (reported in the agent's errors).
    public var diskErrors = 0

    public init() {}
}

/// The frames of rejected bottles, kept on disk per camera in a bounded ring: `<outbox folder>/frames/<camera>/`,
/// each frame a picture (JPEG) and a JSON sidecar (``FailedFrameRecord``), each written to a temporary file and
/// renamed into place, the oldest deleted beyond the camera's `failedFrames`.
///
/// Off the bottle path: the line hands requests to ``submit(_:)``, which never blocks and never fails — a bounded
/// queue (full: the request is dropped and counted) behind a rate limit per camera. ``run()`` takes the queue in
/// order on the archive's own dispatch queue: fetches the frame from the camera's ring (encoded on the camera's
/// encoder queue), writes it, and reports disk errors through the ``AgentEventLog`` (at most one a minute per camera)
/// instead of failing anything. It leaves free space for the outbox: nothing is written below `minimumFreeBytes`.
public actor FailedFrameArchive {
    /// At most this many frames a second per camera are kept (a burst of rejects keeps its first frames).
    public nonisolated let maxPerSecond: Double
    /// Requests waiting at most.
    public nonisolated let queueCapacity: Int
    /// The folder holding one folder per camera.
    public nonisolated let directory: URL
    private nonisolated let executor: QueueExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// A camera the archive keeps frames of.
    private struct Camera: Sendable {
        let id: String
        let lineID: String
        let keep: Int
        let pipeline: CameraPipeline
        let metrics: [String: Metrics.Counter]
    }
    /// The submitting side's state (the line's actors call ``submit(_:)``).
    private struct Intake {
        var cameras: [String: Camera] = [:]
        var tokens: [String: (tokens: Double, at: ContinuousClock.Instant)] = [:]
        var counts: [String: FailedFrameCounts] = [:]
    }

    private nonisolated let intake = Mutex(Intake())
    private nonisolated let requests: AsyncStream<FailedFrameRequest>
    private nonisolated let requestInput: AsyncStream<FailedFrameRequest>.Continuation
    private let events: AgentEventLog
    private let agentMetrics: AgentMetrics
    private let minimumFreeBytes: Int64
    private let encoding: FrameEncoding
    /// Kept entries per camera, oldest first (loaded from disk on first use).
    private var entries: [String: [FailedFrameRecord]] = [:]
    private var loaded: Set<String> = []
    private var lastErrorReport: [String: ContinuousClock.Instant] = [:]

    /// - Parameters:
    ///   - directory: where the camera folders go (``AgentPlan/failedFramesDirectory``).
    ///   - minimumFreeBytes: no frame is written while the file system has less free space than this.
    ///   - maxPerSecond: the rate limit per camera.
    ///   - queueCapacity: requests waiting at most (beyond: dropped and counted).
    public init(directory: URL, events: AgentEventLog, metrics: AgentMetrics, minimumFreeBytes: Int64 = 128 << 20,
                maxPerSecond: Double = 5, queueCapacity: Int = 64, encoding: FrameEncoding = .standard) {
        self.directory = directory
        self.events = events
        agentMetrics = metrics
        self.minimumFreeBytes = minimumFreeBytes
        self.maxPerSecond = maxPerSecond
        self.queueCapacity = queueCapacity
        self.encoding = encoding
        executor = QueueExecutor(label: "frames.archive")
        (requests, requestInput) = AsyncStream.makeStream(of: FailedFrameRequest.self, bufferingPolicy: .bufferingOldest(queueCapacity))
    }

    /// Adds a camera: its frames are fetched from `pipeline`; at most `keep` are kept (0: none).
    public nonisolated func register(_ pipeline: CameraPipeline, line lineID: String, keep: Int) {
        let outcomes = ["saved", "queue-full", "rate-limited", "gone", "low-space", "disk-error"]
        let counters = Dictionary(uniqueKeysWithValues: outcomes.map { outcome in
            (outcome, agentMetrics.counter("qazline_failed_frames_total",
                                           [("line", lineID), ("camera", pipeline.camera), ("outcome", outcome)]))
        })
        intake.withLock {
            $0.cameras[pipeline.camera] = Camera(id: pipeline.camera, lineID: lineID, keep: max(0, keep), pipeline: pipeline,
                                                 metrics: counters)
            $0.counts[pipeline.camera] = $0.counts[pipeline.camera] ?? FailedFrameCounts()
        }
    }

    /// The camera's pipeline and line, if registered.
    public nonisolated func camera(_ id: String) -> (pipeline: CameraPipeline, lineID: String, keep: Int)? {
        intake.withLock { $0.cameras[id].map { ($0.pipeline, $0.lineID, $0.keep) } }
    }

    /// The registered cameras' ids, sorted.
    public nonisolated var cameraIDs: [String] { intake.withLock { $0.cameras.keys.sorted() } }

    /// Asks for a frame to be kept. Never blocks: over the camera's rate or with the queue full the request is
    /// dropped and counted.
    public nonisolated func submit(_ request: FailedFrameRequest) {
        let now = ContinuousClock.now
        let accepted: Camera? = intake.withLock { state in
            guard let camera = state.cameras[request.camera], camera.keep > 0 else { return nil }
            // A token bucket: maxPerSecond tokens a second, at most maxPerSecond saved up.
            var bucket = state.tokens[request.camera] ?? (maxPerSecond, now)
            bucket.tokens = min(maxPerSecond, bucket.tokens + (now - bucket.at).inSeconds * maxPerSecond)
            bucket.at = now
            guard bucket.tokens >= 1 else {
                state.tokens[request.camera] = bucket
                state.counts[request.camera]?.rateLimited += 1
                camera.metrics["rate-limited"]?.increment()
                return nil
            }
            bucket.tokens -= 1
            state.tokens[request.camera] = bucket
            return camera
        }
        guard let camera = accepted else { return }
        switch requestInput.yield(request) {
        case .enqueued: break
        case .dropped, .terminated:
            count(\.queueFull, "queue-full", camera: camera.id)
        @unknown default: break
        }
    }

    /// Takes the queue until ``finish()``: fetches, encodes and writes each frame asked for.
    public func run() async {
        for await request in requests {
            await save(request)
        }
    }

    /// Ends ``run()`` once the requests already queued are written (graceful shutdown, after the lines' last
    /// decisions).
    public nonisolated func finish() { requestInput.finish() }

    /// What became of the frames asked for, per camera.
    public nonisolated func counts(camera: String) -> FailedFrameCounts? { intake.withLock { $0.counts[camera] } }

    // MARK: Reading

    /// The kept frames of a camera, newest first.
    public func records(camera: String) -> [FailedFrameRecord] {
        load(camera)
        return (entries[camera] ?? []).reversed()
    }

    /// The picture of a kept frame; nil for a name that is not a kept frame of this camera (only names the archive
    /// listed are served: no path is ever built from what a caller sends).
    public func image(camera: String, name: String) -> (data: Data, mimeType: String)? {
        guard Self.isEntryName(name) else { return nil }
        load(camera)
        guard let record = entries[camera]?.first(where: { $0.name == name }) else { return nil }
        guard let data = FileManager.default.contents(atPath: folder(camera).appendingPathComponent(record.name).path) else { return nil }
        return (data, record.mimeType)
    }

    /// The paths of a camera's kept pictures, oldest first (for an analysis).
    public func imagePaths(camera: String) -> [String] {
        load(camera)
        return (entries[camera] ?? []).map { folder(camera).appendingPathComponent($0.name).path }
    }

    /// The folder of one camera's frames.
    public nonisolated func folder(_ camera: String) -> URL { directory.appendingPathComponent(camera, isDirectory: true) }

    /// Whether `name` has the shape of a kept frame's picture: `<UTC time>-b<bottle>-f<frame>.jpg|png`, nothing else
    /// (no separators, no dots beyond the extension's).
    public static func isEntryName(_ name: String) -> Bool {
        let utf8 = Array(name.utf8)
        guard utf8.count <= 80 else { return false }
        let allowed = utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x54 || $0 == 0x5A || $0 == 0x2D || $0 == 0x2E }
        guard allowed, name.hasSuffix(".jpg") || name.hasSuffix(".png") else { return false }
        let stem = name.dropLast(4)
        guard !stem.contains(".") else { return false }
        let parts = stem.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 19, parts[0].hasSuffix("Z"), parts[0].dropFirst(8).first == "T",
              parts[1].first == "b", parts[2].first == "f" else { return false }
        let digits = { (text: Substring) in !text.isEmpty && text.allSatisfy(\.isNumber) }
        return digits(parts[0].prefix(8)) && digits(parts[0].dropFirst(9).dropLast()) && digits(parts[1].dropFirst())
            && digits(parts[2].dropFirst())
    }

    /// The picture's file name of a request.
    static func entryName(_ request: FailedFrameRequest, fileExtension: String) -> String {
        var seconds = time_t(request.decidedAt.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = Int((request.decidedAt.timeIntervalSince1970 - Double(seconds)) * 1000) % 1000
        let stamp = String(format: "%04d%02d%02dT%02d%02d%02d%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                           Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis)
        return "\(stamp)-b\(request.bottleSequence)-f\(request.frameSequence).\(fileExtension)"
    }

    // MARK: Writing

    private func save(_ request: FailedFrameRequest) async {
        guard let camera = intake.withLock({ $0.cameras[request.camera] }) else { return }
        load(camera.id)
        guard let capture = await camera.pipeline.capture(sequences: [request.frameSequence], encoding: encoding).first else {
            count(\.gone, "gone", camera: camera.id)
            return
        }
        if let free = Self.freeBytes(directory.path), free < minimumFreeBytes {
            count(\.lowSpace, "low-space", camera: camera.id)
            return
        }
        let made = FailedFrameRecord(
            name: Self.entryName(request, fileExtension: encoding.fileExtension), mimeType: capture.mimeType,
            lineID: request.lineID, camera: camera.id, bottleSequence: request.bottleSequence,
            frameSequence: request.frameSequence, decision: request.decision, code: request.code,
            decidedAt: request.decidedAt, capturedAt: capture.capturedAt, overlay: capture.overlay)
        do {
            let folder = folder(camera.id)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            // What is listed is what the sidecar says (times to the millisecond), read back as a restart would.
            let sidecar = try FailedFrameRecord.encoder().encode(made)
            let record = try FailedFrameRecord.decoder().decode(FailedFrameRecord.self, from: sidecar)
            // The picture first, then its sidecar: an entry exists once its sidecar does.
            try Self.writeAtomically(capture.image, to: folder.appendingPathComponent(record.name))
            try Self.writeAtomically(sidecar, to: folder.appendingPathComponent(Self.sidecar(of: record.name)))
            var list = entries[camera.id] ?? []
            list.removeAll { $0.name == record.name }
            list.append(record)
            if list.count > 1, list[list.count - 2].name > record.name { list.sort { $0.name < $1.name } }  // oldest first
            entries[camera.id] = list
            count(\.saved, "saved", camera: camera.id)
        } catch {
            count(\.diskErrors, "disk-error", camera: camera.id)
            reportError(camera: camera, "could not keep frame \(request.frameSequence) of bottle \(request.bottleSequence): \(error.localizedDescription)")
        }
        prune(camera)
    }

    /// Deletes the oldest entries beyond the camera's bound (sidecar first: the entry is gone at once).
    private func prune(_ camera: Camera) {
        guard var list = entries[camera.id], list.count > camera.keep else { return }
        let folder = folder(camera.id)
        while list.count > camera.keep {
            let oldest = list.removeFirst()
            do {
                try Self.removeIfPresent(folder.appendingPathComponent(Self.sidecar(of: oldest.name)))
                try Self.removeIfPresent(folder.appendingPathComponent(oldest.name))
            } catch {
                reportError(camera: camera, "could not delete the old frame \(oldest.name): \(error.localizedDescription)")
            }
        }
        entries[camera.id] = list
    }

    /// Reads a camera's folder once: the entries whose sidecar reads, oldest first; leftovers of an interrupted
    /// write (temporary files, pictures without a sidecar) are deleted; entries beyond the bound too.
    private func load(_ cameraID: String) {
        guard !loaded.contains(cameraID) else { return }
        loaded.insert(cameraID)
        let folder = folder(cameraID)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        var records: [FailedFrameRecord] = []
        let decoder = FailedFrameRecord.decoder()
        for name in names where name.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path),
                  let record = try? decoder.decode(FailedFrameRecord.self, from: data),
                  Self.isEntryName(record.name), Self.sidecar(of: record.name) == name,
                  FileManager.default.fileExists(atPath: folder.appendingPathComponent(record.name).path) else { continue }
            records.append(record)
        }
        records.sort { $0.name < $1.name }
        let kept = Set(records.flatMap { [$0.name, Self.sidecar(of: $0.name)] })
        for name in names where !kept.contains(name) {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
        entries[cameraID] = records
        if let camera = intake.withLock({ $0.cameras[cameraID] }) { prune(camera) }
    }

    private nonisolated func count(_ field: WritableKeyPath<FailedFrameCounts, Int>, _ outcome: String, camera: String) {
        let counter = intake.withLock { state -> Metrics.Counter? in
            state.counts[camera, default: FailedFrameCounts()][keyPath: field] += 1
            return state.cameras[camera]?.metrics[outcome]
        }
        counter?.increment()
    }

    private func reportError(camera: Camera, _ message: String) {
        let now = ContinuousClock.now
        if let last = lastErrorReport[camera.id], now - last < .seconds(60) { return }
        lastErrorReport[camera.id] = now
        events.error(line: camera.lineID, kind: "failed-frames", "camera \(camera.id): \(message)")
    }

    static func sidecar(of name: String) -> String { String(name.dropLast(4)) + ".json" }

    private static func writeAtomically(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        try data.write(to: temporary)
        if rename(temporary.path, url.path) != 0 {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "rename to \(url.path): \(String(cString: strerror(code)))"])
        }
    }

    private static func removeIfPresent(_ url: URL) throws {
        if unlink(url.path) != 0, errno != ENOENT {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "delete \(url.path): \(String(cString: strerror(errno)))"])
        }
    }

    /// Free bytes for an unprivileged writer on the file system holding `path` (its nearest existing ancestor).
    private static func freeBytes(_ path: String) -> Int64? {
        var url = URL(fileURLWithPath: path)
        while !FileManager.default.fileExists(atPath: url.path), url.path != "/" { url.deleteLastPathComponent() }
        var stats = statvfs()
        guard statvfs(url.path, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }
}

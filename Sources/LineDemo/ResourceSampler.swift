import Foundation
import LineCore
import Synchronization

/// What the demo process holds at one moment: its memory, the outbox's and the registrar's database files, the
/// outbox's backlog and the bottles decided so far.
public struct ResourceSample: Codable, Sendable, Equatable {
    /// Seconds since the start sample (0 for it).
    public var seconds: Double
    /// Bottles decided so far.
    public var bottles: Int
    /// Resident memory of the whole demo process (agent, registrar, linesim and the demo's bookkeeping), KiB:
    /// `VmRSS` and its high-water mark `VmHWM` from `/proc/self/status`.
    public var rssKiB: Int
    public var peakRSSKiB: Int
    /// The outbox: main file plus write-ahead log, bytes; and the log alone.
    public var outboxBytes: Int64
    public var outboxWALBytes: Int64
    /// The registrar's SQLite database: main file plus write-ahead log, bytes; and the log alone.
    public var registrarBytes: Int64
    public var registrarWALBytes: Int64
    /// Activations in the outbox not yet accepted by the registrar.
    public var outboxPending: Int
}

/// The resource figures of a demo run: at the start (set-up done, before the first bottle), every
/// ``ResourceFigures/sampleEverySeconds`` while the line runs, and at the end (line finished, outbox drained; before the
/// trade and retail steps), with the growth per 1,000 bottles between start and end.
public struct ResourceFigures: Codable, Sendable {
    /// Growth between the start and the end sample per 1,000 bottles decided.
    public struct Growth: Codable, Sendable {
        public var rssKiB: Double
        public var outboxBytes: Double
        public var registrarBytes: Double
    }

    public var start: ResourceSample
    public var end: ResourceSample
    public var sampleEverySeconds: Double
    /// The periodic samples (one a line in the demo's progress output).
    public var samples: [ResourceSample]
    public var growthPer1000Bottles: Growth

    /// The summary's lines for people.
    public var rendered: [String] {
        let g = growthPer1000Bottles
        return [
            "  resources (whole demo process; outbox and registrar files = main + WAL):",
            "    start:  " + ResourceSampler.describe(start),
            "    end:    " + ResourceSampler.describe(end),
            "    growth per 1,000 bottles: RSS " + ResourceSampler.signedKiB(g.rssKiB) + ", outbox " + ResourceSampler.signedBytes(g.outboxBytes)
                + ", registrar " + ResourceSampler.signedBytes(g.registrarBytes) + String(format: " (over %d bottles in %.0f s)", end.bottles - start.bottles, end.seconds),
        ]
    }
}

/// Samples the demo process's resources (``ResourceSample``) at the start, every `every` while the line runs, and at
/// the end. Reads `/proc/self/status` and the database files' sizes; cheap enough to call once a second.
public final class ResourceSampler: Sendable {
    /// The outbox's and the registrar's SQLite files (their `-wal` files are beside them).
    public let outboxPath: String
    public let registrarPath: String
    /// How often ``tick(bottles:pending:)`` takes a periodic sample.
    public let every: Duration
    private struct State {
        var started: ContinuousClock.Instant?
        var lastSample: ContinuousClock.Instant?
        var start: ResourceSample?
        var samples: [ResourceSample] = []
    }
    private let state = Mutex(State())

    public init(outboxPath: String, registrarPath: String, every: Duration) {
        self.outboxPath = outboxPath
        self.registrarPath = registrarPath
        self.every = every
    }

    /// Takes the start sample; later samples count their seconds from here.
    public func start(bottles: Int, pending: Int) -> ResourceSample {
        let now = ContinuousClock.now
        let sample = read(seconds: 0, bottles: bottles, pending: pending)
        state.withLock {
            $0.started = now
            $0.lastSample = now
            $0.start = sample
        }
        return sample
    }

    /// A periodic sample when `every` has passed since the last one (nil otherwise, or before ``start(bottles:pending:)``).
    public func tick(bottles: Int, pending: Int) -> ResourceSample? {
        let now = ContinuousClock.now
        let due: ContinuousClock.Instant? = state.withLock {
            guard let started = $0.started, let last = $0.lastSample, now - last >= every else { return nil }
            $0.lastSample = now
            return started
        }
        guard let started = due else { return nil }
        let sample = read(seconds: (now - started).inSeconds, bottles: bottles, pending: pending)
        state.withLock { $0.samples.append(sample) }
        return sample
    }

    /// Takes the end sample and computes the growth; nil before ``start(bottles:pending:)``.
    public func finish(bottles: Int, pending: Int) -> ResourceFigures? {
        let (started, first, samples) = state.withLock { ($0.started, $0.start, $0.samples) }
        guard let started, let first else { return nil }
        let end = read(seconds: (ContinuousClock.now - started).inSeconds, bottles: bottles, pending: pending)
        let thousands = Double(max(1, end.bottles - first.bottles)) / 1_000
        let growth = ResourceFigures.Growth(
            rssKiB: Double(end.rssKiB - first.rssKiB) / thousands,
            outboxBytes: Double(end.outboxBytes - first.outboxBytes) / thousands,
            registrarBytes: Double(end.registrarBytes - first.registrarBytes) / thousands)
        return ResourceFigures(start: first, end: end, sampleEverySeconds: every.inSeconds, samples: samples, growthPer1000Bottles: growth)
    }

    /// Reads the figures now.
    public func read(seconds: Double, bottles: Int, pending: Int) -> ResourceSample {
        let memory = Self.memory()
        let outbox = Self.sizes(outboxPath), registrar = Self.sizes(registrarPath)
        return ResourceSample(seconds: seconds, bottles: bottles, rssKiB: memory.rss, peakRSSKiB: memory.peak,
                              outboxBytes: outbox.main + outbox.wal, outboxWALBytes: outbox.wal,
                              registrarBytes: registrar.main + registrar.wal, registrarWALBytes: registrar.wal, outboxPending: pending)
    }

    /// `VmRSS` and `VmHWM` of `/proc/self/status` in KiB (0 where the file or the line is missing).
    static func memory() -> (rss: Int, peak: Int) {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func value(_ key: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return 0 }
            // `VmRSS:\t  123456 kB`
            return Int(line.dropFirst(key.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? 0
        }
        return (value("VmRSS"), value("VmHWM"))
    }

    /// The sizes of a SQLite file and of its `-wal` file (0 for a missing file).
    static func sizes(_ path: String) -> (main: Int64, wal: Int64) {
        func size(_ path: String) -> Int64 {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
        }
        return (size(path), size(path + "-wal"))
    }

    /// One sample on one line, e.g. `bottles 1800  RSS 180.2 MiB (peak 190.0 MiB)  outbox 2.1 MiB (WAL 1.0 MiB), 0 pending  registrar 9.9 MiB (WAL 4.0 MiB)`.
    public static func describe(_ s: ResourceSample) -> String {
        String(format: "t+%.0fs  bottles %d  RSS %.1f MiB (peak %.1f MiB)", s.seconds, s.bottles, Double(s.rssKiB) / 1024, Double(s.peakRSSKiB) / 1024)
            + "  outbox \(mebibytes(s.outboxBytes)) (WAL \(mebibytes(s.outboxWALBytes))), \(s.outboxPending) pending"
            + "  registrar \(mebibytes(s.registrarBytes)) (WAL \(mebibytes(s.registrarWALBytes)))"
    }

    static func mebibytes(_ bytes: Int64) -> String { String(format: "%.2f MiB", Double(bytes) / 1_048_576) }
    static func signedKiB(_ kib: Double) -> String { String(format: "%+.1f KiB", kib) }
    static func signedBytes(_ bytes: Double) -> String { String(format: "%+.1f KiB", bytes / 1024) }
}

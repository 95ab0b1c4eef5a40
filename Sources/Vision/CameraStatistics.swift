import Foundation

/// How long a camera's frames took to analyse: counts in fixed buckets over the last frames.
public struct DecodeTimeHistogram: Sendable, Hashable, Codable {
    /// The buckets' upper bounds in milliseconds (0-2, 2-5, …, 50-100; the last bucket is everything above 100).
    public static let upperBoundsMs: [Double] = [2, 5, 10, 15, 20, 30, 50, 100]

    public struct Bucket: Sendable, Hashable, Codable {
        public var fromMs: Double
        /// nil for the last bucket (above 100 ms).
        public var toMs: Double?
        public var count: Int
    }

    public var buckets: [Bucket]
    /// Frames counted (at most the recorder's window).
    public var frames: Int
}

/// One minute of a camera's reads: a failing lamp or a dirty lens shows as a falling contrast and a rising fallback
/// share before reads fail.
public struct ReadQualityPoint: Sendable, Hashable, Codable {
    /// The minute's start (UTC).
    public var minute: Date
    /// Frames analysed in that minute.
    public var frames: Int
    /// Frames with at least one code read.
    public var framesWithCode: Int
    /// Codes read.
    public var reads: Int
    /// Mean symbol contrast of the codes read (``ReadQuality/contrast``), nil without reads.
    public var meanContrast: Double?
    /// Share of the reads made by a step after the chain's first, nil without reads.
    public var fallbackShare: Double?
}

/// A camera's decode-time histogram and read-quality trend.
public struct CameraStatistics: Sendable, Hashable, Codable {
    public var histogram: DecodeTimeHistogram
    /// Per minute, oldest first, over the last hour; minutes without frames are left out.
    public var trend: [ReadQualityPoint]
}

/// Keeps ``CameraStatistics`` in constant time and memory per frame: the histogram over a ring of the last
/// `window` frames' buckets, the trend in 60 per-minute slots.
public struct CameraStatisticsRecorder: Sendable {
    private struct Minute: Sendable {
        var index = Int.min
        var frames = 0, framesWithCode = 0, reads = 0, fallbackReads = 0, measured = 0
        var contrastSum = 0.0
    }

    /// Frames the histogram covers (1,200: a minute at 72,000 bottles an hour).
    public let window: Int
    private var ring: [UInt8]
    private var next = 0
    private var filled = 0
    private var counts: [Int]
    private var minutes: [Minute]

    public init(window: Int = 1_200) {
        self.window = max(1, window)
        ring = [UInt8](repeating: 0, count: self.window)
        counts = [Int](repeating: 0, count: DecodeTimeHistogram.upperBoundsMs.count + 1)
        minutes = [Minute](repeating: Minute(), count: 60)
    }

    /// Records one analysed frame.
    /// - Parameters:
    ///   - decodeMs: the analysis' wall time.
    ///   - codes: the codes read.
    ///   - time: when (wall clock; it picks the minute).
    public mutating func record(decodeMs: Double, codes: [DecodedCode], at time: Date) {
        let bucket = UInt8(DecodeTimeHistogram.upperBoundsMs.firstIndex { decodeMs < $0 } ?? DecodeTimeHistogram.upperBoundsMs.count)
        if filled == window { counts[Int(ring[next])] -= 1 } else { filled += 1 }
        ring[next] = bucket
        counts[Int(bucket)] += 1
        next = (next + 1) % window

        let index = Int((time.timeIntervalSince1970 / 60).rounded(.down))
        let slot = ((index % 60) + 60) % 60
        if minutes[slot].index != index { minutes[slot] = Minute(index: index) }
        minutes[slot].frames += 1
        if !codes.isEmpty { minutes[slot].framesWithCode += 1 }
        minutes[slot].reads += codes.count
        for code in codes {
            guard let quality = code.quality else { continue }
            minutes[slot].measured += 1
            minutes[slot].contrastSum += quality.contrast
            if quality.stepIndex > 0 { minutes[slot].fallbackReads += 1 }
        }
    }

    /// The histogram and the trend of the hour before `now`.
    public func statistics(now: Date = Date()) -> CameraStatistics {
        var lower = 0.0
        var buckets: [DecodeTimeHistogram.Bucket] = []
        for (index, count) in counts.enumerated() {
            let upper = index < DecodeTimeHistogram.upperBoundsMs.count ? DecodeTimeHistogram.upperBoundsMs[index] : nil
            buckets.append(.init(fromMs: lower, toMs: upper, count: count))
            lower = upper ?? lower
        }
        let current = Int((now.timeIntervalSince1970 / 60).rounded(.down))
        let trend = minutes.filter { $0.index > current - 60 && $0.index <= current && $0.frames > 0 }
            .sorted { $0.index < $1.index }
            .map { minute in
                ReadQualityPoint(minute: Date(timeIntervalSince1970: Double(minute.index) * 60), frames: minute.frames,
                                 framesWithCode: minute.framesWithCode, reads: minute.reads,
                                 meanContrast: minute.measured == 0 ? nil : minute.contrastSum / Double(minute.measured),
                                 fallbackShare: minute.measured == 0 ? nil : Double(minute.fallbackReads) / Double(minute.measured))
            }
        return CameraStatistics(histogram: DecodeTimeHistogram(buckets: buckets, frames: filled), trend: trend)
    }
}

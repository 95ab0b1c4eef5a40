/// Small measurement helpers shared by the tools and benchmarks that print figures.
extension Duration {
    /// The duration in milliseconds.
    public var inMilliseconds: Double {
        Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15
    }

    /// The duration in seconds.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// The nearest-rank percentile of values already sorted ascending: the smallest value with at least `p` of the
/// values at or below it. 0 for no values; `p` is a fraction (0.99 for p99).
public func percentile(ofSorted sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((Double(sorted.count) * p).rounded(.up))
    return sorted[min(sorted.count - 1, max(0, rank - 1))]
}

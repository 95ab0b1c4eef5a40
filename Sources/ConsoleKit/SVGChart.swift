import Foundation

/// Charts as inline SVG, drawn by the server: no script, no external asset, every text escaped. Colours come from
/// the console's style sheet through classes (`series-0` … `series-7`).
public enum SVGChart {
    /// One named series of values, one per label.
    public struct Series: Sendable {
        public var name: String
        public var values: [Double]
        public init(name: String, values: [Double]) {
            self.name = name
            self.values = values
        }
    }

    /// Stacked bars: one bar per label, one coloured part per series, with a legend and a value axis.
    public static func stackedBars(labels: [String], series: [Series], title: String, width: Int = 720, height: Int = 240,
                                   labelEvery: Int = 1) -> String {
        let left = 48.0, bottom = 28.0, top = 12.0, right = 8.0
        let plotWidth = Double(width) - left - right, plotHeight = Double(height) - top - bottom
        let totals = labels.indices.map { index in series.reduce(0) { $0 + ($1.values.indices.contains(index) ? $1.values[index] : 0) } }
        let maximum = niceCeiling(totals.max() ?? 0)
        var svg = open(width: width, height: height + 20 * ((series.count + 3) / 4), title: title)
        svg += axis(left: left, top: top, plotWidth: plotWidth, plotHeight: plotHeight, maximum: maximum)
        let slot = labels.isEmpty ? plotWidth : plotWidth / Double(labels.count)
        let barWidth = max(1, slot * 0.8)
        for (index, label) in labels.enumerated() {
            let x = left + Double(index) * slot + (slot - barWidth) / 2
            var base = top + plotHeight
            for (number, line) in series.enumerated() {
                let value = line.values.indices.contains(index) ? line.values[index] : 0
                guard value > 0, maximum > 0 else { continue }
                let h = value / maximum * plotHeight
                base -= h
                svg += "<rect class=\"series-\(number % 8)\" x=\"\(f(x))\" y=\"\(f(base))\" width=\"\(f(barWidth))\" height=\"\(f(h))\">"
                svg += "<title>\(HTML.escape(label)) · \(HTML.escape(line.name)): \(format(value))</title></rect>"
            }
            if index % max(1, labelEvery) == 0 {
                svg += "<text class=\"tick\" x=\"\(f(x + barWidth / 2))\" y=\"\(f(top + plotHeight + 16))\" text-anchor=\"middle\">\(HTML.escape(label))</text>"
            }
        }
        svg += legend(series.map(\.name), y: Double(height) + 4)
        return svg + "</svg>"
    }

    /// A histogram: bars over labelled buckets, each with its count on top.
    public static func histogram(buckets: [(label: String, count: Int)], title: String, width: Int = 480, height: Int = 200) -> String {
        let left = 40.0, bottom = 28.0, top = 16.0, right = 8.0
        let plotWidth = Double(width) - left - right, plotHeight = Double(height) - top - bottom
        let maximum = niceCeiling(Double(buckets.map(\.count).max() ?? 0))
        var svg = open(width: width, height: height, title: title)
        svg += axis(left: left, top: top, plotWidth: plotWidth, plotHeight: plotHeight, maximum: maximum)
        let slot = buckets.isEmpty ? plotWidth : plotWidth / Double(buckets.count)
        for (index, bucket) in buckets.enumerated() {
            let h = maximum > 0 ? Double(bucket.count) / maximum * plotHeight : 0
            let x = left + Double(index) * slot + slot * 0.1
            svg += "<rect class=\"series-0\" x=\"\(f(x))\" y=\"\(f(top + plotHeight - h))\" width=\"\(f(slot * 0.8))\" height=\"\(f(h))\"><title>\(HTML.escape(bucket.label)): \(bucket.count)</title></rect>"
            if bucket.count > 0 {
                svg += "<text class=\"value\" x=\"\(f(x + slot * 0.4))\" y=\"\(f(top + plotHeight - h - 3))\" text-anchor=\"middle\">\(bucket.count)</text>"
            }
            svg += "<text class=\"tick\" x=\"\(f(x + slot * 0.4))\" y=\"\(f(top + plotHeight + 16))\" text-anchor=\"middle\">\(HTML.escape(bucket.label))</text>"
        }
        return svg + "</svg>"
    }

    /// Lines over time-like labels (nil values leave gaps), on one value axis from 0 to `maximum` (or the data's).
    public static func lines(labels: [String], series: [(name: String, values: [Double?])], title: String, maximum: Double? = nil,
                             width: Int = 480, height: Int = 200, labelEvery: Int = 10) -> String {
        let left = 40.0, bottom = 28.0, top = 12.0, right = 8.0
        let plotWidth = Double(width) - left - right, plotHeight = Double(height) - top - bottom
        let top1 = maximum ?? niceCeiling(series.flatMap { $0.values.compactMap { $0 } }.max() ?? 0)
        var svg = open(width: width, height: height + 20, title: title)
        svg += axis(left: left, top: top, plotWidth: plotWidth, plotHeight: plotHeight, maximum: top1)
        let step = labels.count > 1 ? plotWidth / Double(labels.count - 1) : plotWidth
        for (number, line) in series.enumerated() {
            var path = "", pen = false
            for (index, value) in line.values.enumerated() {
                guard let value, top1 > 0 else { pen = false; continue }
                let x = left + Double(index) * step, y = top + plotHeight - min(value, top1) / top1 * plotHeight
                path += (pen ? "L" : "M") + "\(f(x)) \(f(y)) "
                pen = true
            }
            if !path.isEmpty { svg += "<path class=\"line series-\(number % 8)\" d=\"\(path)\"/>" }
        }
        for (index, label) in labels.enumerated() where index % max(1, labelEvery) == 0 {
            svg += "<text class=\"tick\" x=\"\(f(left + Double(index) * step))\" y=\"\(f(top + plotHeight + 16))\" text-anchor=\"middle\">\(HTML.escape(label))</text>"
        }
        svg += legend(series.map(\.name), y: Double(height) + 4)
        return svg + "</svg>"
    }

    // MARK: Parts

    private static func open(width: Int, height: Int, title: String) -> String {
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(HTML.escape(title))\"><title>\(HTML.escape(title))</title>"
    }

    private static func axis(left: Double, top: Double, plotWidth: Double, plotHeight: Double, maximum: Double) -> String {
        var svg = ""
        for fraction in [0.0, 0.5, 1.0] {
            let y = top + plotHeight - fraction * plotHeight
            svg += "<line class=\"grid\" x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y))\"/>"
            svg += "<text class=\"tick\" x=\"\(f(left - 4))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(format(maximum * fraction))</text>"
        }
        return svg
    }

    private static func legend(_ names: [String], y: Double) -> String {
        var svg = ""
        for (index, name) in names.enumerated() {
            let x = 48.0 + Double(index % 4) * 170, row = y + Double(index / 4) * 18
            svg += "<rect class=\"series-\(index % 8)\" x=\"\(f(x))\" y=\"\(f(row))\" width=\"12\" height=\"12\"/>"
            svg += "<text class=\"legend\" x=\"\(f(x + 16))\" y=\"\(f(row + 10))\">\(HTML.escape(name))</text>"
        }
        return svg
    }

    /// 1, 2, 5 × 10^n at or above `value` (0 stays 0).
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 0 }
        let magnitude = pow(10, floor(log10(value)))
        for step in [1.0, 2.0, 5.0, 10.0] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }
}

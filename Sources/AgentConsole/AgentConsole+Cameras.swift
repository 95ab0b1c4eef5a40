import AgentRuntime
import ConsoleKit
import Foundation
import Hummingbird
import LineConfig
import LineCore
import Outbox
import Vision

extension AgentConsole {
    /// The camera pages: the newest frame with what the chain saw (refreshed every 2 s while the page is visible, encoded
    /// only when asked), the kept frames of rejected bottles, the decode-time histogram, the read-quality trend, and the
    /// calibration tool's analysis of the recent frames (engineers).
    func registerCameras(on router: Router<BasicRequestContext>, view: AgentView) {
        let cameras = view.cameras
        router.get("cameras") { [self] request, _ in
            switch reader(request) {
            case .refused(let response): return response
            case .granted(let viewer):
                var rows: [[String: Any]] = []
                for id in cameras.cameraIDs {
                    guard let camera = await cameras.cameraView(id) else { continue }
                    rows.append(["id": id, "line": camera.lineID, "state": camera.state, "frames": ConsoleFormat.count(camera.frames),
                                 "kept": camera.failedFrames.count])
                }
                return shell.page("cameras", title: "navCameras", context: ["cameras": rows], viewer: viewer, active: "/cameras")
            }
        }
        router.get("cameras/:id") { [self] request, context in
            switch reader(request) {
            case .refused(let response): return response
            case .granted(let viewer):
                let id = context.parameters.get("id") ?? ""
                guard let camera = await cameras.cameraView(id) else {
                    return message(viewer, text: CameraPagesError.unknownCamera(id).description, status: .notFound, back: "/cameras")
                }
                return shell.page("camera", title: "navCameras", context: cameraContext(camera, viewer), viewer: viewer, active: "/cameras")
            }
        }
        router.get("cameras/:id/latest") { [self] request, context in
            switch reader(request) {
            case .refused: return ConsoleResponse.error(.unauthorized, "sign in to see the camera")
            case .granted(let viewer):
                let id = context.parameters.get("id") ?? ""
                guard let frame = await cameras.latestFrame(camera: id) else {
                    return shell.fragment("noFrame", context: [:], viewer: viewer)
                }
                // The picture inline: the overlay and the picture are of the same frame (a second request could get a
                // newer one: the line runs at up to 20 frames a second).
                let src = "data:\(frame.mimeType);base64,\(frame.image.base64EncodedString())"
                return shell.fragment("frame", context: Self.frameContext(src: src, overlay: frame.overlay, sequence: frame.sequence,
                                                                         capturedAt: frame.capturedAt), viewer: viewer)
            }
        }
        router.get("cameras/:id/latest.jpg") { [self] request, context in
            guard case .granted = reader(request) else { return ConsoleResponse.error(.unauthorized, "sign in to see the camera") }
            guard let frame = await cameras.latestFrame(camera: context.parameters.get("id") ?? "") else {
                return ConsoleResponse.error(.notFound, "the camera has delivered no frame yet")
            }
            return ConsoleResponse.bytes(frame.image, contentType: frame.mimeType, cache: "private, max-age=60")
        }
        router.get("cameras/:id/failed/:name") { [self] request, context in
            guard case .granted = reader(request) else { return ConsoleResponse.error(.unauthorized, "sign in to see the camera") }
            let id = context.parameters.get("id") ?? "", name = context.parameters.get("name") ?? ""
            guard let image = await cameras.failedFrame(camera: id, name: name) else {
                return ConsoleResponse.error(.notFound, "camera \(id) keeps no frame named \(name)")
            }
            return ConsoleResponse.bytes(image.data, contentType: image.mimeType, cache: "private, max-age=3600")
        }
        router.post("cameras/:id/analyze") { [self] request, context in
            switch await actor(request, roles: [ConsoleAccount.Role.engineer.rawValue]) {
            case .refused(let response): return response
            case .granted(let (viewer, session, _)):
                let id = context.parameters.get("id") ?? ""
                guard let camera = await cameras.cameraView(id) else {
                    return message(viewer, text: CameraPagesError.unknownCamera(id).description, status: .notFound, back: "/cameras")
                }
                var page = cameraContext(camera, viewer)
                do {
                    let report = try await cameras.analyzeRecent(camera: id)
                    page["analysis"] = Self.analysisContext(report)
                    await audit(view, user: session.user.name, "camera-analysis", target: "camera \(id)",
                                detail: "\(report.frames) frames, \(report.framesWithCode) with a code")
                } catch {
                    page["analysisError"] = "\(error)"
                }
                return shell.page("camera", title: "navCameras", context: page, viewer: viewer, active: "/cameras")
            }
        }
    }

    private func cameraContext(_ camera: CameraView, _ viewer: ConsoleShell.Viewer) -> [String: Any] {
        let id = Self.pathSafe(camera.cameraID)
        let histogram = camera.statistics.histogram.buckets.map { bucket in
            (label: bucket.toMs.map { "\(Self.ms(bucket.fromMs))–\(Self.ms($0))" } ?? ">\(Self.ms(bucket.fromMs))", count: bucket.count)
        }
        let trend = camera.statistics.trend
        let labels = trend.map { Self.clock($0.minute).prefix(5).description }
        let trendSVG = trend.isEmpty ? "" : SVGChart.lines(
            labels: labels, series: [
                (name: shell.text("readContrast", viewer), values: trend.map(\.meanContrast)),
                (name: shell.text("fallbackShare", viewer), values: trend.map(\.fallbackShare)),
                (name: shell.text("readShare", viewer), values: trend.map { $0.frames > 0 ? Double($0.framesWithCode) / Double($0.frames) : nil }),
            ], title: shell.text("qualityTrend", viewer), maximum: 1, labelEvery: max(1, trend.count / 6))
        // The newest dozen: older ones may be rotated out (at most `failedFrames` are kept) before a browser asks.
        let failed = camera.failedFrames.prefix(12).map { record -> [String: Any] in
            var entry = Self.frameContext(src: "/cameras/\(id)/failed/\(Self.pathSafe(record.name))", overlay: record.overlay,
                                          sequence: record.frameSequence, capturedAt: record.capturedAt)
            entry["bottle"] = String(record.bottleSequence)
            entry["decision"] = record.decision.rawValue
            entry["decidedAt"] = Self.clock(record.decidedAt)
            entry["code"] = record.code ?? "-"
            return entry
        }
        let counts = camera.failedFrameCounts
        return [
            "id": camera.cameraID, "path": id, "line": camera.lineID, "state": camera.state, "frames": ConsoleFormat.count(camera.frames),
            "histogramSVG": SVGChart.histogram(buckets: histogram, title: shell.text("decodeHistogram", viewer)),
            "histogramFrames": camera.statistics.histogram.frames, "trendSVG": trendSVG, "hasTrend": !trend.isEmpty,
            "failed": failed, "kept": camera.failedFramesKept,
            "counts": "saved \(counts.saved) · dropped: queue full \(counts.queueFull), rate \(counts.rateLimited), gone \(counts.gone), low space \(counts.lowSpace), disk errors \(counts.diskErrors)",
            "engineer": viewer.session?.user.roles.contains(ConsoleAccount.Role.engineer.rawValue) == true,
        ]
    }

    /// A frame with its overlay, for the `frame` template: the picture and an SVG on top in the frame's own coordinates.
    static func frameContext(src: String, overlay: FrameOverlay, sequence: UInt64, capturedAt: Date) -> [String: Any] {
        [
            "src": src, "overlaySVG": overlaySVG(overlay), "sequence": String(sequence), "capturedAt": clock(capturedAt),
            "decodeMs": String(format: "%.1f", overlay.decodeMs), "width": overlay.width, "height": overlay.height,
            "codes": overlay.codes.map { ["text": $0.text, "step": $0.step, "decoder": $0.decoder.rawValue] },
            "noCode": overlay.codes.isEmpty,
        ]
    }

    /// What the chain saw, drawn over the frame: region of interest (blue), located caps (yellow), codes read with
    /// their text and step (green), symbols found but not decoded (red, dashed). Every text escaped.
    static func overlaySVG(_ overlay: FrameOverlay) -> String {
        func f(_ value: Double) -> String { String(format: "%.1f", value) }
        func points(_ corners: [Point]) -> String { corners.map { "\(f($0.x)),\(f($0.y))" }.joined(separator: " ") }
        var svg = "<svg class=\"overlay\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(overlay.width) \(overlay.height)\" preserveAspectRatio=\"none\">"
        let roi = overlay.roi
        svg += "<rect class=\"roi\" x=\"\(roi.x)\" y=\"\(roi.y)\" width=\"\(roi.width)\" height=\"\(roi.height)\"/>"
        for cap in overlay.caps { svg += "<circle class=\"cap\" cx=\"\(f(cap.x))\" cy=\"\(f(cap.y))\" r=\"\(f(cap.radius))\"/>" }
        for code in overlay.unread where code.count >= 3 { svg += "<polygon class=\"unread\" points=\"\(points(code))\"/>" }
        for code in overlay.codes where code.corners.count >= 3 {
            svg += "<polygon class=\"code\" points=\"\(points(code.corners))\"><title>\(HTML.escape(code.text))</title></polygon>"
            let x = code.corners.map(\.x).min() ?? 0, y = code.corners.map(\.y).min() ?? 0
            svg += "<text x=\"\(f(x))\" y=\"\(f(max(20, y - 8)))\">\(HTML.escape(String(code.text.suffix(24)))) · \(HTML.escape(code.step))</text>"
        }
        return svg + "</svg>"
    }

    static func analysisContext(_ report: CalibrationReport) -> [String: Any] {
        var context: [String: Any] = [
            "frames": report.frames, "withCode": report.framesWithCode, "codes": report.codes,
            "readRate": report.frames > 0 ? String(format: "%.1f %%", 100 * Double(report.framesWithCode) / Double(report.frames)) : "-",
            "p99": report.totalTime.map { String(format: "%.1f ms", $0.p99) } ?? "-",
            "stages": report.stageTimes.sorted { $0.key < $1.key }.map { ["stage": $0.key, "p50": String(format: "%.1f", $0.value.p50),
                                                                          "p99": String(format: "%.1f", $0.value.p99)] },
            "advice": report.advice, "problems": report.problems, "source": report.source,
        ]
        if let roi = report.suggestedROI { context["roi"] = "x \(roi.x), y \(roi.y), \(roi.width)×\(roi.height)" }
        return context
    }

    /// A camera id or file name as one path segment.
    static func pathSafe(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-", "_", "."])) ?? "" }
    static func ms(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }
}

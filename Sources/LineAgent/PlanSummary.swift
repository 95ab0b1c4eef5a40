import ConfigKit
import Foundation
import LineConfig
import LineCore

/// The one-screen summary `check-config` prints for a valid plan.
enum PlanSummary {
    static func render(_ plan: AgentPlan, displayPath: String) -> String {
        let c = plan.configuration
        var out = ["OK  \(displayPath)"]
        func row(_ label: String, _ text: String) { out.append(label.padding(toLength: 10, withPad: " ", startingAt: 0) + " " + text) }
        row("producer", "\(c.producer.bin) \(c.producer.name)")
        row("payload", "hosts \(c.payload.hosts.joined(separator: ", "))\(c.payload.allowBareCode ? " or bare code" : ""); code \(c.payload.codePattern)")
        row("products", "\(c.products.count)")
        for product in c.products.sorted(by: { $0.recipe < $1.recipe }) {
            out.append("  recipe \(product.recipe) → \(product.dsnCode) \(product.name), \(product.capacityMl) ml, \(formatNumber(product.strength))% \(product.type)")
        }
        for line in c.lines {
            row("line", line.id + (line.name.map { " \"\($0)\"" } ?? ""))
            for camera in line.cameras {
                out.append("  camera \(camera.id): \(describe(camera.source)), \(camera.mode.rawValue)")
                if let calibration = plan.calibrations[camera.id] {
                    let chain = calibration.decoders.map { "\($0.name.rawValue) \($0.budget)" }.joined(separator: " → ")
                    out.append("    calibration \(camera.calibration): roi \(describe(calibration.roi)), \(formatNumber(calibration.codeSize.modulePx)) px/module × \(formatNumber(calibration.scale)), \(chain) (total \(calibration.totalBudget))")
                }
            }
            let plc = line.plc
            let link = switch plc.transport {
            case .tcp: "tcp \(plc.host ?? "?"):\(plc.effectivePort)"
            case .rtu: "rtu \(plc.device ?? "?") \(plc.effectiveBaud) \(plc.effectiveDataBits)\(plc.effectiveParity.rawValue.prefix(1).uppercased())\(plc.effectiveStopBits)"
            }
            out.append("  plc \(link) unit \(plc.unitID), poll \(plc.pollInterval), timeout \(plc.responseTimeout), \(plc.registers.signals.count) signals mapped")
            let counter = plc.registers.bottleCounter
            out.append("    bottle counter \(counter.table.rawValue) \(counter.address) (\(counter.bits)-bit \(counter.wordOrder.rawValue)), reject command holding \(plc.registers.rejectSequence.address)-\(plc.registers.rejectCommand.address)")
            let reject = line.reject
            out.append("  reject station +\(reject.stationOffset) bottles, confirm within \(reject.confirmWithin), deadline \(reject.decisionDeadline)\(reject.stopLineOnMiss ? ", line stop on a missed reject" : "")")
        }
        let outbox = plan.resolve(c.outbox.path)
        row("outbox", "\(outbox.path) (stops acknowledging below \(c.outbox.minFreeSpace.bytes >> 20) MiB free)")
        let token = plan.resolve(c.server.credentialFile)
        let tokenState = FileManager.default.fileExists(atPath: token.path) ? "present" : "not there yet"
        row("server", "\(c.server.url), token file \(token.path) (\(tokenState)), timeout \(c.server.timeout)")
        row("batching", "\(c.batching.maxItems) codes or \(c.batching.maxAge), retry \(c.batching.initialBackoff)…\(c.batching.maxBackoff)")
        row("http", "\(c.http.host):\(c.http.port.value) (/health, /ready, /metrics)")
        row("pool", c.pool.required ? "required" : "optional")
        return out.joined(separator: "\n")
    }

    private static func describe(_ source: FrameSourceConfiguration) -> String {
        switch source.kind {
        case .folder, .video, .v4l2: "\(source.kind.rawValue) \(source.path ?? "")"
        case .gstreamer: "gstreamer pipeline"
        case .rtsp: "rtsp \(SecretRedaction.redactingPasswords(source.url ?? ""))"
        case .genicam: "genicam " + ((source.deviceID ?? "").isEmpty ? "(first camera found)" : source.deviceID!)
        case .synthetic: "generated frames"
        }
    }

    private static func describe(_ roi: RegionOfInterest) -> String {
        switch roi.mode {
        case .full: "full frame"
        case .fixed: "fixed \(roi.width ?? 0)×\(roi.height ?? 0)+\(roi.x ?? 0)+\(roi.y ?? 0)"
        case .cap: "cap r\(roi.minRadius ?? 0)-\(roi.maxRadius ?? 0) +\(roi.margin)px"
        }
    }

    private static func formatNumber(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

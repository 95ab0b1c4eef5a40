import Aggregation
import Foundation
import LineConfig
import LineCore
import Logging
import PLC
import ServiceLifecycle
import Vision

/// The case camera: reads frames from its source on its own thread at a lower CPU priority (never the cooperative
/// pool, never ahead of the bottle path), reads each
/// with a ``CaseFrameReader`` (every cap in the frame, codes on caps, labels) and hands the station a ``CaseFrame``.
/// A lost source is reopened after a backoff; a bad frame is reported and skipped.
public actor CaseCamera {
    public nonisolated let camera: String
    /// A thread of its own at a lower CPU priority: a case frame has seconds, a bottle milliseconds.
    private nonisolated let executor: BackgroundThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    private let open: @Sendable () throws(VisionError) -> any FrameSource
    private let calibration: CalibrationConfiguration?
    private let rules: PayloadRules
    private var source: (any FrameSource)?
    private var reader: CaseFrameReader?
    private let image = GrayImage()
    private let reopenBackoff: Duration

    /// - Parameters:
    ///   - camera: the case camera's id.
    ///   - calibration: its calibration (nil: the built-in case calibration).
    ///   - rules: how cap payloads become codes.
    ///   - open: opens the frame source (again after it is lost).
    public init(camera: String, calibration: CalibrationConfiguration?, rules: PayloadRules, reopenBackoff: Duration = .seconds(1),
                open: @escaping @Sendable () throws(VisionError) -> any FrameSource) {
        self.camera = camera
        self.calibration = calibration
        self.rules = rules
        self.reopenBackoff = reopenBackoff
        self.open = open
        executor = BackgroundThreadExecutor(name: "case-camera.\(camera)")
    }

    /// Reads frames until the source ends or the task is cancelled.
    /// - Parameters:
    ///   - onFrame: each read frame.
    ///   - onProblem: a source or decode problem (the camera goes on).
    public func run(onFrame: @Sendable (CaseFrame) async -> Void, onProblem: @Sendable (VisionError) async -> Void) async {
        while !Task.isCancelled {
            do throws(VisionError) {
                if reader == nil { reader = try CaseFrameReader(calibration: calibration) }
                if source == nil { source = try open() }
                guard let source, let reader else { continue }
                guard let info = try source.next(into: image) else { break }
                let delivered = ContinuousClock.now
                let reading = try reader.read(image)
                var payloads: [[UInt8]?] = reading.caps.map { $0.code?.bytes }
                payloads.reserveCapacity(reading.caps.count)
                let observation = CaseObservation(payloads: payloads, rules: rules, strayCodes: reading.strayCodes.count,
                                                  labels: reading.labels.map(\.text))
                await onFrame(CaseFrame(capturedAt: info.capturedInstant, observation: observation, decodeTime: reading.decodeTime,
                                        frameSequence: info.sequence, deliveredAt: delivered))
            } catch {
                if Task.isCancelled { break }
                await onProblem(error)
                switch error {
                case .sourceUnavailable, .sourceClosed:
                    source?.close()
                    source = nil
                    try? await Task.sleep(for: reopenBackoff)
                default:
                    break
                }
            }
        }
        source?.close()
        source = nil
    }
}

/// The case camera as a service: stops (first, on graceful shutdown) by cancelling its read loop.
struct CaseCameraService: Service {
    let camera: CaseCamera
    let station: CaseStationRuntime
    let events: AgentEventLog

    func run() async throws {
        let station = station, events = events, id = camera.camera
        await cancelWhenGracefulShutdown {
            await camera.run(onFrame: { await station.handle($0) },
                             onProblem: { events.error(line: station.lineID, kind: "case-camera", "\(id): \($0)") })
        }
    }
}

/// One case station's decisions: the in-order decision loop, the station PLC's events and the deadline ticks, as
/// child tasks. On graceful shutdown (after the case camera stopped) it decides what is open and waits for it, which
/// closes the station's PLC channel.
struct CaseStationService: Service {
    let station: CaseStationRuntime
    let monitor: PLC.PLCMonitor

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await station.run() }
            group.addTask {
                for await event in monitor.events { await station.handle(event) }
            }
            group.addTask { await station.runTicks() }
            try? await gracefulShutdown()
            await station.finishInFlight()
            group.cancelAll()
        }
    }
}

import ConfigKit
import Delivery
import Foundation
import Hummingbird
import LabelPrinting
import LineConfig
import LineCore
import LineDecisions
import Logging
import NIOCore
import Outbox
import PLC
import QazClient
import ServiceLifecycle
import Synchronization
import UnixSignals
import Vision

/// The line agent, composed: per line a PLC monitor, the cameras' pipelines and the decisions; one outbox, its
/// drainer to the registrar, and the HTTP endpoint (`/health`, `/ready`, `/metrics`, `/status`). Run it with
/// ``run(signals:)`` or put ``services`` in your own `ServiceGroup`.
///
/// Shutdown order (the group's reverse order): cameras → decisions in flight → PLC links → HTTP → the drainer's one
/// time-limited flush. Whatever is unsent stays in the outbox for the next start.
public final class LineAgentRuntime: Sendable {
    /// What the composition root can be given instead of what the configuration describes (the demo, tests,
    /// benchmarks).
    public struct Overrides: Sendable {
        /// Opens a camera's frame source (default: `openFrameSource` for the camera's `source` block).
        public var frameSource: (@Sendable (_ line: LineConfiguration, _ camera: CameraConfiguration,
                                            _ calibration: CalibrationConfiguration) -> any FrameSource)?
        /// The PLC link of a line (default: Modbus as configured).
        public var plcLink: (@Sendable (LineConfiguration) -> any PLCLink)?
        /// Where activations go (default: the registrar client for `server`).
        public var sink: (any ActivationSink)?
        /// Listen on this port instead of `http.port` (0: any free port; see ``httpPort``).
        public var httpPort: Int?
        /// Called once per bottle with its final outcome.
        public var onBottle: @Sendable (BottleReport) -> Void = { _ in }
        /// The drainer's shutdown flush limit.
        public var shutdownFlushTimeout: Duration = .seconds(5)
        /// The bottle path's time (PLC polls, deadlines, decision times); a manual clock in tests.
        public var clock: any LineClock = SystemLineClock()
        /// More routes and services on the agent's HTTP endpoint (the console).
        public var http: (any AgentHTTPExtension)?
        /// The PLC link of a line's case station (default: Modbus as configured).
        public var casePLCLink: (@Sendable (LineConfiguration, CaseStationConfiguration) -> any PLCLink)?
        /// Opens a case camera's frame source (default: `openFrameSource` for its `source` block).
        public var caseFrameSource: (@Sendable (LineConfiguration, CaseStationConfiguration) -> any FrameSource)?
        /// The label printer of a case station (default: ZPL over TCP as configured).
        public var printer: (@Sendable (CaseStationConfiguration) -> any LabelPrinter)?
        /// Where aggregation events go (default: the registrar client, or `sink` when it is also an aggregation sink).
        public var aggregationSink: (any AggregationSink)?
        /// Called once per case with its outcome.
        public var onCase: @Sendable (CaseReport) -> Void = { _ in }
        public init() {}
    }

    public let plan: AgentPlan
    public let store: OutboxStore
    public let lines: [LineRuntime]
    public let monitors: [PLCMonitor]
    public let drainer: OutboxDrainer
    /// Sends aggregation events (nil: no aggregation sink, the events wait in the database).
    public let aggregationDrainer: AggregationDrainer?
    /// The lines' case stations.
    public let caseStations: [CaseStationRuntime]
    public let metrics: AgentMetrics
    public let events: AgentEventLog
    /// Every service in start order (the group stops them in reverse).
    public let services: [any Service]
    /// The outbox figures and what the drainer reported.
    public let outboxWatch: OutboxWatch
    /// What the console's camera page reads: cameras' figures, frames, kept frames of rejected bottles, analysis.
    public let cameraPages: CameraPages
    /// What the HTTP endpoint and its extensions read.
    public let view: AgentView
    private let boundPort = BoundPort()
    private let client: QazAPIClient?
    private let logger: Logger
    private let shutdownFlushTimeout: Duration

    /// Builds the agent. Opens the outbox (refusing a corrupt one), checks the pool requirement; connects nothing
    /// yet (links and cameras connect when the services run, and retry).
    public init(plan: AgentPlan, overrides: Overrides = Overrides(), logger: Logger) throws(AgentSetupError) {
        self.plan = plan
        self.logger = logger
        shutdownFlushTimeout = overrides.shutdownFlushTimeout
        let configuration = plan.configuration
        let store = try plan.openOutbox()
        self.store = store
        let rules: PayloadRules
        do { rules = try configuration.payload.rules() } catch { throw AgentSetupError("payload: \(error)") }
        let poolCount: Int
        do { poolCount = try store.poolCount() } catch { throw AgentSetupError("outbox: \(error)") }
        if configuration.pool.required, poolCount == 0 {
            throw AgentSetupError("pool.required is true but the local pool is empty: run `lineagent pool sync --config \(plan.configurationFile.path)` or `lineagent pool import FILE` first")
        }
        let metrics = AgentMetrics()
        let events = AgentEventLog()
        self.metrics = metrics
        self.events = events
        let watch = OutboxWatch(metrics: metrics, events: events)
        outboxWatch = watch

        let sink: any ActivationSink
        if let given = overrides.sink {
            sink = given
            client = nil
        } else {
            let made = try plan.makeClient(logger: logger, metrics: metrics)
            sink = made
            client = made
        }
        let drainerConfiguration = DrainerConfiguration(
            maxItems: configuration.batching.maxItems, maxAge: configuration.batching.maxAge.duration,
            initialBackoff: configuration.batching.initialBackoff.duration,
            maxBackoff: configuration.batching.maxBackoff.duration,
            shutdownFlushTimeout: overrides.shutdownFlushTimeout,
            equipmentId: "qazline-agent@\(ProcessInfo.processInfo.hostName)")
        let aggregationDrainer = (overrides.aggregationSink ?? (sink as? any AggregationSink)).map { aggregationSink in
            AggregationDrainer(store: store, sink: aggregationSink, configuration: drainerConfiguration, logger: logger,
                               onEvent: { event in
                                   switch event {
                                   case .sent(_, let dead, let refusals) where dead > 0:
                                       events.alarm(line: nil, kind: "aggregation-refused",
                                                    "the registrar refused \(dead) aggregation event(s): \(refusals.prefix(3).joined(separator: "; "))")
                                   case .storageFailed(let error):
                                       events.error(line: nil, kind: "aggregation", "the aggregation queue could not be read or written: \(error)")
                                   default: break
                                   }
                               })
        }
        self.aggregationDrainer = aggregationDrainer
        let drainer = OutboxDrainer(
            store: store, sink: sink, configuration: drainerConfiguration,
            clock: ContinuousClock(), logger: logger, onEvent: { event in
                watch.handle(event)
                if case .sent = event { aggregationDrainer?.notify() }  // activations ahead of events were answered
            })
        self.drainer = drainer

        let products = Dictionary(configuration.products.map { ($0.recipe, $0.product) }, uniquingKeysWith: { a, _ in a })
        let facts = OutboxCodeFacts(store: store)
        var lines: [LineRuntime] = []
        var monitors: [PLCMonitor] = []
        var lineServices: [any Service] = []
        var plcServices: [any Service] = []
        var cameraServices: [any Service] = []
        var caseStations: [CaseStationRuntime] = []
        var caseStationServices: [any Service] = []
        var caseCameraServices: [any Service] = []
        // Frames of rejected bottles, beside the outbox; never written into the outbox's reserve of free space.
        let frameArchive = FailedFrameArchive(directory: plan.failedFramesDirectory, events: events, metrics: metrics,
                                              minimumFreeBytes: 2 * configuration.outbox.minFreeSpace.bytes + (32 << 20))
        for line in configuration.lines {
            var lineLogger = logger
            lineLogger[metadataKey: "line.id"] = "\(line.id)"
            let link = overrides.plcLink?(line) ?? ModbusPLCLink(configuration: line.plc, logger: lineLogger)
            let options = PLCMonitor.Options(plc: line.plc, reject: line.reject)
            let monitor = PLCMonitor(link: link, options: options, logger: lineLogger, clock: overrides.clock)
            let mode: WindowMode = line.cameras.contains { $0.mode == .continuous } ? .continuous : .triggered
            let decider = LineDecider(lineID: line.id, mode: mode, rules: rules, products: products,
                                      consecutiveFailureAlarm: line.reject.consecutiveFailureAlarm,
                                      stopLineOnConsecutiveFailures: line.reject.stopLineOnConsecutiveFailures)
            let commands = PLCCommandChannel()
            let runtime = LineRuntime(configuration: line, decider: decider, commands: commands, facts: facts, store: store,
                                      metrics: metrics, events: events,
                                      options: LineRuntime.Options(pollInterval: line.plc.pollInterval.duration), logger: lineLogger,
                                      clock: overrides.clock, notifyAppended: { drainer.notifyAppended() }, onBottle: overrides.onBottle,
                                      frameArchive: frameArchive)
            lines.append(runtime)
            monitors.append(monitor)
            let jobs = configuration.console.jobsFromRecipe
                ? RecipeJobs(store: store, products: products, events: events) : nil
            lineServices.append(LineService(line: runtime, monitor: monitor, jobs: jobs))
            plcServices.append(PLCService(monitor: monitor, commands: commands, rejectFlush: options.ackTimeout * 4))
            for camera in line.cameras {
                guard let calibration = plan.calibrations[camera.id] else {
                    throw AgentSetupError("camera \(camera.id): no calibration loaded")
                }
                let open: @Sendable () throws(VisionError) -> any FrameSource
                if let custom = overrides.frameSource {
                    open = { custom(line, camera, calibration) }
                } else {
                    let source = camera.source
                    let resolve: @Sendable (String) -> URL = { plan.resolve($0) }
                    open = { () throws(VisionError) -> any FrameSource in
                        try openFrameSource(source, acquisition: calibration.acquisition, resolve: resolve)
                    }
                }
                let pipeline = CameraPipeline(camera: camera.id, calibration: calibration, open: open)
                frameArchive.register(pipeline, line: line.id, keep: camera.failedFrames)
                cameraServices.append(CameraService(pipeline: pipeline, line: runtime))
            }
            if let station = line.caseStation {
                var stationLogger = lineLogger
                stationLogger[metadataKey: "case_station.id"] = "\(station.id)"
                let stationLink = overrides.casePLCLink?(line, station) ?? ModbusPLCLink(configuration: station.plc, logger: stationLogger)
                let stationOptions = PLCMonitor.Options(plc: station.plc, reject: station.monitorPolicy)
                let stationMonitor = PLCMonitor(link: stationLink, options: stationOptions, logger: stationLogger, clock: overrides.clock)
                let stationCommands = PLCCommandChannel()
                let printer: (any LabelPrinter)? = station.caseCode.source == .printer
                    ? (overrides.printer?(station) ?? station.printer.map { Self.makePrinter($0, logger: stationLogger) }) : nil
                let stationRuntime = CaseStationRuntime(
                    line: line, station: station, payloadRules: rules, commands: stationCommands, store: store, printer: printer,
                    producerName: configuration.producer.name, metrics: metrics, events: events, logger: stationLogger, clock: overrides.clock,
                    notifyQueued: { aggregationDrainer?.notify() }, onCase: overrides.onCase)
                caseStations.append(stationRuntime)
                plcServices.append(PLCService(monitor: stationMonitor, commands: stationCommands, rejectFlush: stationOptions.ackTimeout * 4))
                caseStationServices.append(CaseStationService(station: stationRuntime, monitor: stationMonitor))
                let calibration = plan.calibrations[station.camera.id]
                let open: @Sendable () throws(VisionError) -> any FrameSource
                if let custom = overrides.caseFrameSource {
                    open = { custom(line, station) }
                } else {
                    let source = station.camera.source
                    let acquisition = calibration?.acquisition ?? AcquisitionSettings()
                    let resolve: @Sendable (String) -> URL = { plan.resolve($0) }
                    open = { () throws(VisionError) -> any FrameSource in
                        try openFrameSource(source, acquisition: acquisition, resolve: resolve)
                    }
                }
                let camera = CaseCamera(camera: station.camera.id, calibration: calibration, rules: rules, open: open)
                caseCameraServices.append(CaseCameraService(camera: camera, station: stationRuntime, events: events))
            }
        }
        self.lines = lines
        self.caseStations = caseStations
        self.monitors = monitors
        cameraPages = CameraPages(plan: plan, lines: lines, archive: frameArchive)

        let http = configuration.http
        let port = overrides.httpPort ?? http.port.value
        let view = AgentView(plan: plan, store: store, lines: lines, caseStations: caseStations, watch: watch, events: events, metrics: metrics,
                             startedAt: Date(), registrar: client, cameras: cameraPages)
        self.view = view
        let router = Router()
        // Before the application is made: it builds its responder from the router.
        view.registerRoutes(router)
        overrides.http?.register(on: router, view: view)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(http.host, port: port), serverName: "qazline-agent"),
            onServerRunning: { [boundPort] channel in boundPort.set(channel.localAddress?.port ?? port) },
            logger: logger)
        // The extension's services stop before the HTTP server (a live page's stream ends first, so the server's
        // graceful shutdown does not wait for it).
        services = [drainer] + (aggregationDrainer.map { [$0] } ?? []) + [app] + (overrides.http?.services ?? [])
            + [OutboxWatchService(state: watch, store: store, interval: .seconds(1))]
            + [FailedFrameArchiveService(archive: frameArchive)]  // stops after the lines' last decisions
            + plcServices + lineServices + caseStationServices + cameraServices + caseCameraServices
    }

    /// The label printer a case station's configuration describes: ZPL over raw TCP.
    static func makePrinter(_ configuration: PrinterConfiguration, logger: Logger) -> any LabelPrinter {
        var label = ZPL.Settings()
        label.density = ZPL.Density(rawValue: configuration.dpi) ?? .dpi203
        label.symbology = configuration.symbology == .gs1_128 ? .gs1_128 : .dataMatrix
        return ZPLPrinter(configuration: .init(host: configuration.host, port: configuration.port.value,
                                               timeout: configuration.timeout.duration, label: label), logger: logger)
    }

    /// The port the HTTP endpoint listens on, once it does.
    public var httpPort: Int? { boundPort.value }

    /// Runs every service until SIGTERM/SIGINT (or the given signals), then shuts down in order.
    public func run(signals: [UnixSignal] = [.sigterm, .sigint]) async throws {
        let group = makeServiceGroup(signals: signals)
        try await group.run()
    }

    /// The service group (for callers that trigger graceful shutdown themselves).
    /// The services in one group: graceful shutdown stops them in reverse order (cameras, lines, PLC links, outbox
    /// watch, HTTP, drainer), and escalates to cancellation after ``maximumGracefulShutdown``.
    public func makeServiceGroup(signals: [UnixSignal] = []) -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: signals, logger: logger)
        configuration.maximumGracefulShutdownDuration = maximumGracefulShutdown
        return ServiceGroup(configuration: configuration)
    }

    /// How long a graceful shutdown may take before the group cancels what is left: the outbox's flush timeout plus
    /// time for the last decisions, their writes and the PLC's last commands.
    public var maximumGracefulShutdown: Duration { shutdownFlushTimeout + .seconds(15) }

    /// Closes the registrar client (after the group returned).
    public func close() async {
        try? await client?.shutdown()
    }

    /// The status served at `/status`.
    public func snapshot() async -> AgentStatusSnapshot { await view.snapshot() }

}

/// The agent's version, as `/status` reports it.
public enum AgentRuntimeVersion {
    public static let string = "0.1.0"
}

/// The HTTP port once bound.
final class BoundPort: Sendable {
    private let port = Mutex<Int?>(nil)
    func set(_ value: Int) { port.withLock { $0 = value } }
    var value: Int? { port.withLock { $0 } }
}

/// Routes and services added to the agent's HTTP endpoint (the console): registered while the agent is composed,
/// with the ``AgentView`` they read.
public protocol AgentHTTPExtension: Sendable {
    /// Adds the extension's routes (called once, before the server starts).
    func register(on router: Router<BasicRequestContext>, view: AgentView)
    /// Services to run while the HTTP server runs; they stop before it.
    var services: [any Service] { get }
}

/// What the agent's HTTP endpoint reads: `/status`, `/ready`, `/health`, `/metrics`, and the console.
public final class AgentView: Sendable {
    public let plan: AgentPlan
    /// The agent's database (outbox, jobs, users, audit log).
    public let store: OutboxStore
    public let lines: [LineRuntime]
    /// The lines' case stations.
    public let caseStations: [CaseStationRuntime]
    public let events: AgentEventLog
    let watch: OutboxWatch
    let metrics: AgentMetrics
    public let startedAt: Date
    /// The registrar client the agent delivers with (nil when the agent was given another sink): write-offs use it.
    public let registrar: QazAPIClient?
    /// What the camera page reads (``CameraPages``: figures, frames, kept frames of rejected bottles, analysis).
    public let cameras: CameraPages

    init(plan: AgentPlan, store: OutboxStore, lines: [LineRuntime], caseStations: [CaseStationRuntime], watch: OutboxWatch,
         events: AgentEventLog, metrics: AgentMetrics, startedAt: Date, registrar: QazAPIClient?, cameras: CameraPages) {
        self.caseStations = caseStations
        self.registrar = registrar
        self.cameras = cameras
        self.plan = plan
        self.store = store
        self.lines = lines
        self.watch = watch
        self.events = events
        self.metrics = metrics
        self.startedAt = startedAt
    }

    /// The status now (what `/status` serves).
    public func snapshot() async -> AgentStatusSnapshot {
        var lineStatus: [LineStatus] = []
        var reasons: [String] = []
        for line in lines {
            lineStatus.append(await line.status())
            reasons += await line.notReadyReasons()
        }
        let writable = !reasons.contains { $0.hasSuffix("outbox cannot record decisions") }
        var stations: [CaseStationStatus] = []
        for station in caseStations { stations.append(await station.status()) }
        var aggregation: AggregationQueueStatus?
        if !caseStations.isEmpty, let depth = try? await store.aggregationDepth() {
            aggregation = AggregationQueueStatus(pending: depth.pending, waitingForActivations: depth.waitingForActivations,
                                                 delivered: depth.delivered, dead: depth.dead)
        }
        var snapshot = AgentStatusSnapshot(
            version: AgentRuntimeVersion.string, producer: plan.configuration.producer.bin.rawValue, startedAt: startedAt,
            takenAt: Date(), ready: reasons.isEmpty, notReadyReasons: reasons, lines: lineStatus,
            outbox: watch.status(writable: writable), alarms: events.alarms, lastErrors: events.errors, caseStations: stations,
            aggregation: aggregation)
        snapshot.registrar = registrar?.registrarStatus
        return snapshot
    }

    func registerRoutes(_ router: Router<BasicRequestContext>) {
        router.get("health") { _, _ in
            Self.json(#"{"status":"ok"}"#)
        }
        router.get("ready") { [self] _, _ in
            let snapshot = await snapshot()
            let body = try String(decoding: JSONEncoder().encode(["ready": snapshot.ready ? "yes" : "no",
                                                                   "reasons": snapshot.notReadyReasons.joined(separator: "; ")]),
                                  as: UTF8.self)
            return Self.json(body, status: snapshot.ready ? .ok : .serviceUnavailable)
        }
        router.get("metrics") { [self] _, _ in
            for line in lines { _ = await line.status() }  // refreshes the read-rate gauges
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
        router.get("status") { [self] _, _ in
            let data = try AgentStatusSnapshot.encoder().encode(await snapshot())
            return Self.json(String(decoding: data, as: UTF8.self))
        }
    }

    private static func json(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}

/// The outbox as the decisions' ``CodeFactsSource``: one read on the database's own queue per bottle with a code.
struct OutboxCodeFacts: CodeFactsSource {
    let store: OutboxStore

    func facts(for code: StampCode) async throws -> CodeFacts {
        let found = try await store.lookup(code)
        return CodeFacts(seen: found.seen, inPool: found.inPool, reworkable: found.reworkable)
    }
}

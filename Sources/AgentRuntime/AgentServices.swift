import Foundation
import Logging
import Outbox
import PLC
import ServiceLifecycle
import Vision

/// One camera's pipeline as a service: stops (first, on graceful shutdown) by cancelling its read loop.
struct CameraService: Service {
    let pipeline: CameraPipeline
    let line: LineRuntime

    func run() async throws {
        let line = line
        await cancelWhenGracefulShutdown {
            await pipeline.run { event in await line.handle(event) }
        }
    }
}

/// One line's decisions: feeds the PLC's events to the line and checks deadlines. On graceful shutdown (after the
/// cameras stopped) it decides every open bottle and waits for the decisions being written, then returns; the PLC
/// link stops after it, so the last rejects still reach the PLC.
struct LineService: Service {
    let line: LineRuntime
    let monitor: PLCMonitor

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in monitor.events { await line.handle(event) }
            }
            group.addTask { await line.runTicks() }
            // Returns when graceful shutdown begins for this service (or throws on cancellation).
            try? await gracefulShutdown()
            await line.finishInFlight()
            group.cancelAll()
        }
    }
}

/// One line's PLC link as a service: polls until graceful shutdown reaches it (after the line's decisions finished).
struct PLCService: Service {
    let monitor: PLCMonitor

    func run() async throws {
        await cancelWhenGracefulShutdown { await monitor.run() }
        await monitor.setStatus(.starting)
    }
}

/// Refreshes the outbox figures (`/status`, gauges) every second.
struct OutboxWatchService: Service {
    let state: OutboxWatch
    let store: OutboxStore
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await state.refresh(from: store)
                try? await Task.sleep(for: interval)
            }
        }
    }
}

import Foundation
import LineCore
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

/// One line's decisions: the bottle path (``LineRuntime/run()``), the PLC's events fed to the line, and the deadline
/// ticks, as child tasks. On graceful shutdown (after the cameras stopped) it decides every open bottle and waits for
/// every decision to be written, which closes the line's PLC channel; the PLC service, stopped after it, applies
/// what the channel still holds.
struct LineService: Service {
    let line: LineRuntime
    let monitor: PLCMonitor
    /// Follows the PLC's recipe changes with production jobs (nil: `console.jobsFromRecipe` is off).
    let jobs: RecipeJobs?

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await line.run() }
            if let jobs {
                group.addTask {
                    for await recipe in line.recipeChanges { await jobs.recipeChanged(line: line.lineID, to: recipe) }
                }
            }
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

/// One line's PLC link as a service: polls, and applies the line's commands in decision order until the line
/// closes its channel (after its last decision, on shutdown); then writes what rejects are still queued (within
/// `rejectFlush`) and stops polling.
struct PLCService: Service {
    let monitor: PLCMonitor
    let commands: PLCCommandChannel
    let rejectFlush: Duration

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await monitor.run() }
            await monitor.follow(commands)
            _ = await monitor.waitForQueuedRejects(limit: rejectFlush)
            // Returns only at its own turn of the group's shutdown: its channel closes when its line (or case station)
            // stops, earlier in the shutdown order, and a service that returns before its turn fails the whole group.
            try? await gracefulShutdown()
            group.cancelAll()
        }
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

/// A recipe change reported by the PLC ends the line's open job and starts one for the new recipe (lot
/// `R<recipe>-<Astana date and time>`, started by `plc`), both in the audit log. A failure is an error on the
/// status, never a stop of the line.
struct RecipeJobs: Sendable {
    let store: OutboxStore
    let products: [Int: Product]
    let events: AgentEventLog

    func recipeChanged(line: String, to recipe: Int, at now: Date = Date()) async {
        do {
            if let open = try await store.openJob(line: line) {
                if open.recipe == recipe { return }
                let ended = try await store.endJob(line: line, id: open.id, by: "plc", at: now)
                try await store.audit(user: "plc", action: "job-end", target: "job \(ended.id)", detail: "recipe changed to \(recipe)", at: now)
            }
            let time = AstanaTime.components(of: now)
            let lot = String(format: "R%d-%04d%02d%02d-%02d%02d", recipe, time.year, time.month, time.day, time.hour, time.minute)
            let job = try await store.startJob(NewJob(lineID: line, productCode: products[recipe]?.dsnCode, recipe: recipe, lot: lot),
                                               by: "plc", at: now)
            try await store.audit(user: "plc", action: "job-start", target: "job \(job.id)", detail: "line \(line), recipe \(recipe), lot \(lot)",
                                  at: now)
        } catch {
            events.error(line: line, kind: "job", "recipe change to \(recipe): the job could not be switched: \(error)")
        }
    }
}

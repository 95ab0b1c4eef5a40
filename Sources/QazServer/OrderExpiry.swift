import Foundation
import LineCore
import Logging
import QazAPI
import ServiceLifecycle

/// The background job that turns pending orders not signed within 3 working days into «Жойылды» (cl. 21(2)).
///
/// Expiry instants are stored with each order, so the job needs no memory of its own: at start it expires everything
/// already due (orders that expired while the server was down get their exact expiry instant, not the restart time),
/// then sleeps until the earliest pending expiry (at most `sweep`), and wakes early when an order is saved. Signing or
/// cancelling an order past its expiry is refused by the store itself, so a late job never lets one through.
public struct OrderExpiryService: Service {
    let store: any TradeStore
    let interval: Duration
    let wake: WakeSignal
    let logger: Logger
    let clock: @Sendable () -> Timestamp
    let expired: @Sendable (Int) -> Void
    /// Which of several instances on one database sweeps (``JobLease``).
    let lease: JobLease

    /// Expires what is due now; the ids expired (also what one pass of ``run()`` does first).
    public func sweep() async throws(StoreError) -> [String] {
        let ids = try await store.expireOrders(now: clock())
        if !ids.isEmpty { expired(ids.count) }
        return ids
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                // Several instances on one database: only the lease's holder sweeps; the others look every third of the
                // lease's TTL whether it lapsed (its holder was killed), so the job moves within one TTL.
                var pause = min(interval, lease.renewEvery)
                if await lease.hold() {
                    do {
                        let expired = try await sweep()
                        if !expired.isEmpty {
                            logger.info("orders expired", metadata: ["orders.expired": "\(expired.count)", "orders.ids": "\(expired.prefix(10).joined(separator: ","))"])
                        }
                        if let next = try await store.nextOrderExpiry() {
                            let wait = Duration.milliseconds(max(0, next.milliseconds - clock().milliseconds) + 5)
                            pause = min(pause, wait)
                        }
                    } catch {
                        logger.warning("order expiry sweep failed; retrying", metadata: ["error.message": "\(error)"])
                        pause = min(pause, .seconds(5))
                    }
                }
                // Sleep until the pause ends or an order is saved, whichever comes first.
                await wake.wait(upTo: pause)
            }
        }
        await lease.release()
    }
}

extension RegistrarServer {
    /// The order expiry job of this server (nil when the store keeps no trade half).
    public var orderExpiryService: OrderExpiryService? {
        guard let store = store as? any TradeStore else { return nil }
        return OrderExpiryService(store: store, interval: trade.expirySweep, wake: orderExpiryWake, logger: Logger(label: "qazserver.order-expiry"),
                                  clock: trade.clock, expired: { [metrics] in metrics.trade(.orderExpired, by: $0) },
                                  lease: lease("order-expiry"))
    }
}

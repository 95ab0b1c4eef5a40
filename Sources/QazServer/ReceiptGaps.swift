import Foundation
import LineCore
import Logging
import QazAPI
import ServiceLifecycle

/// The background job that stops waiting for a register's missing receipts: when the receipt after a gap has waited
/// ``RetailSettings/gapWait``, the gap is reported (`GET /v1/fdo/gaps`) and the waiting receipts are applied in order,
/// flagged `afterGap`. A missing receipt that arrives later still applies, flagged `filledGap`.
///
/// Waiting receipts and their arrival times are stored, so the job keeps no memory: at start it reports what is due,
/// then sleeps until the oldest waiting receipt comes due (at most `sweep`).
public struct ReceiptGapService: Service {
    let store: any RetailStore
    let settings: RetailSettings
    let logger: Logger
    /// Which of several instances on one database reports gaps (``JobLease``).
    let lease: JobLease

    /// Reports the gaps due now; the gaps reported.
    public func sweep() async throws(StoreError) -> [ReceiptGap] {
        let now = settings.clock()
        let wait = Int64(settings.gapWait.components.seconds) * 1000 + settings.gapWait.components.attoseconds / 1_000_000_000_000_000
        return try await store.reportReceiptGaps(waitedSince: Timestamp(milliseconds: now.milliseconds - wait), now: now)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                var pause = min(settings.gapSweep, lease.renewEvery)
                if await lease.hold() {
                    do {
                        for gap in try await sweep() {
                            logger.warning("receipt gap reported", metadata: [
                                "register": "\(gap.registrationNumber)", "seller": "\(gap.seller)", "gap.from": "\(gap.from)", "gap.to": "\(gap.to)",
                            ])
                        }
                        if let oldest = try await store.oldestWaitingReceipt() {
                            let wait = Int64(settings.gapWait.components.seconds) * 1000
                            let due = Duration.milliseconds(max(0, oldest.milliseconds + wait - settings.clock().milliseconds) + 5)
                            pause = min(pause, due)
                        }
                    } catch {
                        logger.warning("receipt gap sweep failed; retrying", metadata: ["error.message": "\(error)"])
                        pause = min(pause, .seconds(5))
                    }
                }
                try? await Task.sleep(for: pause)
            }
        }
        await lease.release()
    }
}

extension RegistrarServer {
    /// The receipt gap job of this server (nil when the store keeps no retail half).
    public var receiptGapService: ReceiptGapService? {
        guard let store = store as? any RetailStore else { return nil }
        return ReceiptGapService(store: store, settings: retail, logger: Logger(label: "qazserver.receipt-gaps"), lease: lease("receipt-gaps"))
    }
}

import ArgumentParser
import Foundation
import LineCore
import QazAPI
import QazServer

/// `qazserver cluster --config FILE`: which instance runs each background job, from the job leases in the database.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Show which registrar instance runs each background job (the job leases in the database).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let leases = try await options.withStore { store -> [JobLeaseRecord] in
            guard let cluster = store as? any ClusterStore else { return [] }
            return try await cluster.jobLeases()
        }
        let now = Timestamp.now
        if leases.isEmpty { print("no job leases: no server has run a background job on this database yet") }
        for lease in leases {
            let state = lease.expiresAt.milliseconds > now.milliseconds
                ? "held, renewed until \(lease.expiresAt.astana)"
                : "lapsed at \(lease.expiresAt.astana) (its holder stopped; the next instance to look takes it)"
            print("\(lease.job.padding(toLength: 20, withPad: " ", startingAt: 0))  \(lease.holder)  since \(lease.acquiredAt.astana)  \(state)")
        }
    }
}

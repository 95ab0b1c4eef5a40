import ArgumentParser
import ConfigKit
import CounterfeitAnalytics
import Foundation
import LineCore
import Logging
import Metrics
import Prometheus
import QazAPI
import QazServer
import ServiceLifecycle
import Signatures
import WorkingCalendar

/// `qazserver`: the QazLine registrar server.
@main
struct QazServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qazserver",
        abstract: "Registrar for excise stamp codes: issuance, idempotent activation ingest, look-ups and monthly reports.",
        version: "0.1.0",
        subcommands: [Serve.self, TokenCommand.self, ReportCommand.self, CheckConfig.self, ConsolePassword.self, Sign.self, CalendarCommand.self, ClusterCommand.self,
                      BackupCommand.self, RestoreCommand.self])
}

/// `qazserver check-config FILE`.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Check a server configuration; print a summary or every problem found.")

    @Argument(help: "The server configuration file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var file: String

    func run() throws {
        let url = URL(fileURLWithPath: file)
        let c: ServerConfiguration
        do {
            c = try ConfigLoader.load(ServerConfiguration.self, contentsOf: url)
        } catch {
            for issue in error.issues { FileHandle.standardError.write(Data("\(issue)\n".utf8)) }
            FileHandle.standardError.write(Data("\(error.issues.count) problem(s) found; the server would not start.\n".utf8))
            throw ExitCode.failure
        }
        // The trust store and the calendar are loaded as `serve` loads them, so their problems show here too.
        guard let trade = try? ConfigOptions.tradeSettings(c, file: url) else {
            FileHandle.standardError.write(Data("the server would not start.\n".utf8))
            throw ExitCode.failure
        }
        let storage = switch c.storage.backend {
        case .sqlite: "sqlite \(ConfigLoader.resolve(c.storage.path ?? "", relativeTo: url.deletingLastPathComponent()).path)"
        case .postgres: "postgres \(redacted(c.storage.url ?? ""))"
        }
        print("""
            OK  \(file)
            listen     \(c.tls == nil ? "http" : "https")://\(c.listen.host):\(c.listen.port.value)
            storage    \(storage)
            limits     body \(c.limits.maxBodySize.bytes >> 20) MiB, \(c.limits.maxBatchItems) items/batch, \
            \(c.limits.requestsPerSecond) req/s (burst \(c.limits.burst)) per participant
            console    \(c.console.enabled ? "on / (\(c.console.users.count) user(s), session timeout \(c.console.sessionTimeout))" : "off")
            trade      signatures \(trade.verifier.map { "\($0.summary.anchors) trust anchor(s), \($0.summary.crls) CRL(s)" } ?? "off (signed operations refused)"), \
            calendar \(c.trade.calendar ?? "embedded") \(trade.calendar.coveredYears.lowerBound)-\(trade.calendar.coveredYears.upperBound), waybills \(c.trade.requireApplications ? "need an approved application" : "need no application")
            retail     receipt gaps wait \(c.retail.gapWait), scans \(c.retail.verifyPerSecond)/s (burst \(c.retail.verifyBurst)) per client, \
            alerts over \(c.retail.analytics.maxSpeedKmh) km/h, redeemed + \(c.retail.analytics.redeemedGraceHours) h, \
            \(c.retail.analytics.frequentScans) scans in \(c.retail.analytics.frequentWindowHours) h
            cluster    instance \(c.cluster.instance ?? "host:pid:random"), job leases \(c.cluster.jobLeaseTTL), rate limits \(c.cluster.rateLimits == .shared ? "shared in the database" : "per instance")
            """)
    }

    /// The URL without its password.
    private func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}

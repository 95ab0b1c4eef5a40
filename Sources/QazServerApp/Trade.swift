import ArgumentParser
import ConfigKit
import Foundation
import LineCore
import Logging
import QazServer
import ServiceLifecycle
import Signatures
import UnixSignals
import WorkingCalendar

extension ConfigOptions {
    /// The trade half's settings from `trade:`: the signature verifier (files relative to the configuration file) and
    /// the calendar. A bad anchor, CRL or calendar file stops start-up with the file and the problem named.
    static func tradeSettings(_ configuration: ServerConfiguration, file: URL) throws -> TradeSettings {
        let base = file.deletingLastPathComponent()
        let trade = configuration.trade
        var verifier: SignatureVerifier?
        if let files = trade.signatures {
            do {
                verifier = try SignatureVerifier(
                    configuration: .init(trustAnchors: files.trustAnchors, intermediates: files.intermediates, crls: files.crls,
                                         requireCRL: files.requireCRL, clockSkewSeconds: files.clockSkewSeconds),
                    relativeTo: base)
            } catch {
                FileHandle.standardError.write(Data("\(file.path): trade.signatures: \(error)\n".utf8))
                throw ExitCode.failure
            }
        }
        var calendar = WorkingCalendar.kazakhstan
        if let path = trade.calendar {
            do { calendar = try WorkingCalendar(contentsOf: ConfigLoader.resolve(path, relativeTo: base)) } catch {
                FileHandle.standardError.write(Data("\(file.path): trade.calendar: \(error)\n".utf8))
                throw ExitCode.failure
            }
        }
        return TradeSettings(verifier: verifier, calendar: calendar, requireApplications: trade.requireApplications,
                             expirySweep: trade.expirySweep.duration)
    }
}

/// Re-reads the trust anchors and CRLs on SIGHUP; a bad new file keeps the loaded ones and is logged.
struct TrustReloadService: Service {
    let verifier: SignatureVerifier
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                do {
                    try verifier.reload()
                    let summary = verifier.summary
                    logger.notice("trust store reloaded", metadata: ["trust.anchors": "\(summary.anchors)", "trust.crls": "\(summary.crls)"])
                } catch {
                    logger.error("trust store reload failed; the loaded anchors and CRLs stay", metadata: ["error.message": "\(error)"])
                }
            }
        }
    }
}

/// `qazserver sign --key K --cert C FILE`: the signed envelope the API accepts, for tests and small producers.
struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign a JSON document (an application, order, counter-order or report) into the envelope the API accepts.",
        discussion: """
            Prints {"document": …, "signature": "<base64 DER CMS>"}: a detached CMS SignedData (SHA-256, signing time, the \
            certificate included) over the RFC 8785 canonical form of the document. POST it as the request body. \
            docs/registrar-trade.md has a worked example with curl and openssl.
            """)

    @Option(name: .long, help: "The signer's private key (PEM).", completion: .file())
    var key: String

    @Option(name: .long, help: "The signer's certificate (PEM).", completion: .file())
    var cert: String

    @Option(name: .long, help: "Intermediate certificates to include (PEM), repeatable.", completion: .file())
    var chain: [String] = []

    @Option(name: .long, help: "Write the envelope here instead of standard output.", completion: .file())
    var out: String?

    @Argument(help: "The document (JSON); - for standard input.", completion: .file(extensions: ["json"]))
    var file: String

    func run() throws {
        func read(_ path: String, _ what: String) throws -> String {
            do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
                FileHandle.standardError.write(Data("cannot read the \(what) \(path): \(error.localizedDescription)\n".utf8))
                throw ExitCode.failure
            }
        }
        let document: Data
        if file == "-" {
            document = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            document = Data(try read(file, "document").utf8)
        }
        do {
            let envelope = try SignedEnvelope.make(documentJSON: document, keyPEM: try read(key, "key"), certificatePEM: try read(cert, "certificate"),
                                                   chainPEM: try chain.map { try read($0, "chain certificate") })
            if let out {
                try envelope.write(to: URL(fileURLWithPath: out))
            } else {
                FileHandle.standardOutput.write(envelope)
                FileHandle.standardOutput.write(Data("\n".utf8))
            }
        } catch let error as SignatureError {
            FileHandle.standardError.write(Data("cannot sign \(file): \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// `qazserver calendar [FILE] [--year Y] [--deadline T --days N]`: checks a working-day calendar file and shows what it
/// makes of a year, so the registrar can review next year's file before configuring it.
struct CalendarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar",
        abstract: "Check a working-day calendar file (or the embedded one) and list a year's days off and working-day count.",
        discussion: """
            Every problem in the file is printed with its line and key, and the exit status is 1. Without --year, a line per \
            covered year with its working-day count. --days N --from T prints the deadline N working days after T (Astana \
            time), as the registrar computes decision deadlines and order expiry. docs/working-calendar.md.
            """)

    @Argument(help: "The calendar file (YAML); omitted: the embedded Kazakhstan calendar.", completion: .file(extensions: ["yaml", "yml"]))
    var file: String?

    @Option(help: "List this year's days off (weekends, holidays, moved days) and its working-day count.")
    var year: Int?

    @Option(help: "Working days to add to --from.")
    var days: Int?

    @Option(help: "The start of a deadline: a date-time with offset, e.g. 2026-03-20T15:42:00+05:00.")
    var from: String?

    func validate() throws {
        if (days == nil) != (from == nil) { throw ValidationError("--days and --from go together") }
        if let days, !(0...400).contains(days) { throw ValidationError("--days must be 0-400, got \(days)") }
    }

    func run() throws {
        let calendar: WorkingCalendar
        do {
            calendar = try file.map { try WorkingCalendar(contentsOf: URL(fileURLWithPath: $0)) } ?? .kazakhstan
        } catch {
            FileHandle.standardError.write(Data("\(file ?? "the embedded calendar"): \(error)\n".utf8))
            throw ExitCode.failure
        }
        do {
            if let year {
                print("\(year): \(try calendar.workingDayCount(year: year)) working days\(calendar.provisionalYears.contains(year) ? " (provisional)" : "")")
                var date = DateComponents(year: year, month: 1, day: 1)
                var gregorian = Calendar(identifier: .gregorian)
                gregorian.timeZone = TimeZone(secondsFromGMT: 0)!
                while date.year == year, let day = gregorian.date(from: date) {
                    let parts = gregorian.dateComponents([.year, .month, .day], from: day)
                    // Every day off but the plain weekends.
                    if let reason = try calendar.dayOffReason(year: parts.year!, month: parts.month!, day: parts.day!),
                       reason != "Saturday", reason != "Sunday" {
                        print(String(format: "  %04d-%02d-%02d  %@", parts.year!, parts.month!, parts.day!, reason))
                    }
                    let next = gregorian.date(byAdding: .day, value: 1, to: day)!
                    date = gregorian.dateComponents([.year, .month, .day], from: next)
                }
            } else if days == nil {
                print("OK  \(file ?? "embedded calendar"): \(calendar.coveredYears.lowerBound)-\(calendar.coveredYears.upperBound)")
                for year in calendar.coveredYears {
                    print("  \(year): \(try calendar.workingDayCount(year: year)) working days\(calendar.provisionalYears.contains(year) ? " (provisional: no decree yet)" : "")")
                }
            }
            if let days, let from {
                guard let start = UTCTime.parse(from) else { throw ValidationError("--from \(from): expected a date-time with offset") }
                let deadline = try calendar.adding(workingDays: days, to: start)
                print("\(days) working day(s) after \(AstanaTime.display(start)): \(AstanaTime.display(deadline)) (Astana)")
            }
        } catch let error as CalendarError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

import ArgumentParser
import CommandSupport
import ConfigKit
import Foundation
import Logging
import QazServer

/// `qazserver backup --config FILE --to PATH [--force]`: an online backup of the SQLite registrar.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a backup of the registrar's SQLite database; consistent while the server runs and writes.",
        discussion: """
            SQLite's backup API copies one committed state into a temporary file beside PATH, which is checked \
            (integrity, a registrar database, known migrations), fsynced and renamed to PATH. PostgreSQL is backed up \
            with its own tools (pg_dump -Fc, pg_basebackup): see docs/backup.md.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(name: .long, help: "The backup file to write (its directory must exist).", completion: .file())
    var to: String
    @Flag(name: .long, help: "Replace PATH if it exists.")
    var force = false

    func run() throws {
        let (logger, database) = try BackupSupport.prepare(options, action: "backup")
        do {
            let summary = try SQLiteRegistrarStore.backup(database: database, to: to, force: force)
            print("""
                backup    \(summary.path)
                from      \(database)
                \(BackupSupport.describe(summary))
                """)
            logger.info("registrar backup written", metadata: BackupSupport.metadata(summary, source: database))
        } catch {
            throw BackupSupport.fail("backup", error)
        }
    }
}

/// `qazserver restore --config FILE --from BACKUP [--check-only]`: puts a backup in place of the SQLite registrar.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace the registrar's SQLite database by a checked backup; refused while a server holds the database.",
        discussion: """
            The backup is copied beside the database and checked (integrity, a registrar database, a schema no newer \
            than this binary's). The live database is locked with SQLite's exclusive lock (a running server holds it \
            open, so the restore is refused), its WAL is folded in, it is kept as FILE.before-restore-<UTC time>, and \
            the checked copy is renamed into its place. Start the server afterwards: it migrates an older schema.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(name: .long, help: "The backup file (written by qazserver backup).", completion: .file())
    var from: String
    @Flag(name: .long, help: "Only check the backup and print what it holds; change nothing.")
    var checkOnly = false

    func run() throws {
        let (logger, database) = try BackupSupport.prepare(options, action: "restore")
        do {
            if checkOnly {
                let summary = try SQLiteRegistrarStore.check(backup: from)
                print("""
                    OK        \(summary.path)
                    \(BackupSupport.describe(summary))
                    """)
                return
            }
            let result = try SQLiteRegistrarStore.restore(database: database, from: from)
            print("""
                restored  \(database)
                from      \(URL(fileURLWithPath: from).standardizedFileURL.path)
                previous  \(result.movedAside ?? "none (there was no database)")
                \(BackupSupport.describe(result.restored))
                next      start the registrar; agents re-send what the backup lacks (answered idempotently)
                """)
            var metadata = BackupSupport.metadata(result.restored, source: from)
            metadata["restore.previous"] = "\(result.movedAside ?? "-")"
            logger.notice("registrar database restored", metadata: metadata)
        } catch {
            throw BackupSupport.fail("restore", error)
        }
    }
}

/// What `backup` and `restore` share: the configuration, logging, the SQLite path and the printed summary.
enum BackupSupport {
    /// Loads the configuration, sets up logging (stderr) and returns the SQLite database's path; refuses PostgreSQL.
    static func prepare(_ options: ConfigOptions, action: String) throws -> (Logger, String) {
        let (configuration, file) = try options.load()
        CommandLogging.bootstrap(level: options.logLevel)
        let logger = Logger(label: "qazserver")
        switch configuration.storage.backend {
        case .sqlite:
            return (logger, ConfigLoader.resolve(configuration.storage.path ?? "", relativeTo: file.deletingLastPathComponent()).path)
        case .postgres:
            var stderr = StandardError()
            print("""
                qazserver \(action): \(options.config) uses PostgreSQL (storage.backend: postgres); qazserver \(action)s SQLite only. \
                Use PostgreSQL's own tools: pg_dump -Fc (logical backup, pg_restore to restore) or pg_basebackup with WAL \
                archiving (point-in-time recovery); the procedure is in docs/backup.md.
                """, to: &stderr)
            throw ExitCode.failure
        }
    }

    static func describe(_ summary: RegistrarBackupSummary) -> String {
        """
        size      \(String(format: "%.1f", Double(summary.bytes) / 1_048_576)) MiB (\(summary.bytes) bytes)
        schema    \(summary.schemaVersion) (\(summary.migrations) of \(summary.knownMigrations) migrations known to this qazserver)
        holds     \(summary.counts)
        took      \(String(format: "%.2f", summary.seconds)) s
        """
    }

    static func metadata(_ summary: RegistrarBackupSummary, source: String) -> Logger.Metadata {
        ["backup.path": "\(summary.path)", "backup.source": "\(source)", "backup.bytes": "\(summary.bytes)",
         "backup.schema": "\(summary.schemaVersion)", "backup.waybills": "\(summary.waybills)", "backup.codes": "\(summary.codes)",
         "backup.activation_batches": "\(summary.activationBatches)", "backup.seconds": "\(String(format: "%.3f", summary.seconds))"]
    }

    /// Prints `qazserver ACTION: message` on stderr; exit 1.
    static func fail(_ action: String, _ error: any Error) -> ExitCode {
        var stderr = StandardError()
        print("qazserver \(action): \(error)", to: &stderr)
        return ExitCode.failure
    }
}

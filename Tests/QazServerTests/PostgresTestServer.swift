import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import QazServer

/// A throwaway PostgreSQL server for the tests: `initdb` in a temporary directory, `pg_ctl start` on a free loopback
/// port, one fresh database per test, stopped (and the directory removed) when the test process exits.
///
/// Debian's binaries live in `/usr/lib/postgresql/<version>/bin` (or set `QAZ_PG_BIN`). `initdb` refuses to run as
/// root, so as root the cluster directory is given to the `postgres` user and the binaries run through
/// `runuser -u postgres --`. When no binaries are found the Postgres tests fail with a message saying what to install
/// (they are never skipped silently).
actor PostgresTestServer {
    static let shared = PostgresTestServer()

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private var started: Result<Int, Failure>?
    private var directory: URL?

    /// The port of the running server, starting it on first use.
    func port() throws(Failure) -> Int {
        if let started { return try started.get() }
        let result: Result<Int, Failure>
        do { result = .success(try start()) } catch let error as Failure { result = .failure(error) } catch {
            result = .failure(Failure(description: "\(error)"))
        }
        started = result
        return try result.get()
    }

    /// A new empty database on the shared server: its URL.
    func makeDatabase() async throws -> String {
        let port = try port()
        let name = "qaz_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
        try Self.run(binary("psql"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-q", "-c",
                                      "CREATE DATABASE \(name)"], asPostgres: false)
        return "postgres://postgres@127.0.0.1:\(port)/\(name)"
    }

    static func binDirectory() -> String? {
        if let dir = ProcessInfo.processInfo.environment["QAZ_PG_BIN"] { return dir }
        for version in ["17", "16", "15", "14", "13"] {
            let dir = "/usr/lib/postgresql/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: dir + "/initdb") { return dir }
        }
        return nil
    }

    private func binary(_ name: String) throws(Failure) -> String {
        guard let dir = Self.binDirectory() else {
            throw Failure(description: """
                PostgreSQL server binaries not found (looked for /usr/lib/postgresql/*/bin/initdb; set QAZ_PG_BIN to override). \
                Install them with `apt-get install -y postgresql` (scripts/setup.sh does) — the postgres backend tests need them.
                """)
        }
        return dir + "/" + name
    }

    private func start() throws -> Int {
        let initdb = try binary("initdb"), pgctl = try binary("pg_ctl")
        let root = getuid() == 0
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("qaz-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        if root { try Self.run("/bin/chown", ["-R", "postgres:postgres", dir.path], asPostgres: false) }
        directory = dir
        let data = dir.appendingPathComponent("data").path
        try Self.run(initdb, ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"], asPostgres: root)
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = Int.random(in: 20_000...45_000)
            do {
                try Self.run(pgctl, ["-D", data, "-w", "-t", "30", "-l", dir.appendingPathComponent("server.log").path, "-o",
                                     "-p \(port) -c listen_addresses=127.0.0.1 -c unix_socket_directories=\(dir.path) -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                                     "start"], asPostgres: root, detached: true)
                Self.registerStop(pgctl: pgctl, data: data, directory: dir.path, root: root)
                return port
            } catch {
                lastError = error
            }
        }
        let log = (try? String(contentsOf: dir.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
        throw Failure(description: "PostgreSQL did not start: \(lastError.map { "\($0)" } ?? "?")\n\(log.suffix(2000))")
    }

    nonisolated(unsafe) static var stopCommand: (String, [String])?
    nonisolated(unsafe) static var stopDirectory: String?

    static func registerStop(pgctl: String, data: String, directory: String, root: Bool) {
        let args = ["-D", data, "-m", "immediate", "-w", "stop"]
        stopCommand = root ? ("/usr/sbin/runuser", ["-u", "postgres", "--", pgctl] + args) : (pgctl, args)
        stopDirectory = directory
        atexit {
            if let (tool, arguments) = PostgresTestServer.stopCommand {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: tool)
                process.arguments = arguments
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try? process.run()
                process.waitUntilExit()
            }
            if let dir = PostgresTestServer.stopDirectory { try? FileManager.default.removeItem(atPath: dir) }
        }
    }

    @discardableResult
    /// - Parameter detached: the command leaves a server running: its output goes to /dev/null, never to a pipe the
    ///   server would inherit (reading such a pipe to its end would wait for the server to exit).
    static func run(_ tool: String, _ arguments: [String], asPostgres: Bool, detached: Bool = false) throws -> String {
        let process = Process()
        if asPostgres {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", "postgres", "--", tool] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
        }
        process.currentDirectoryURL = URL(fileURLWithPath: "/tmp")
        var output = ""
        if detached {
            // posix_spawn + waitpid: Foundation's Process did not see this command exit here (its child, the server,
            // lives on), so the wait is done by hand, with output to /dev/null.
            let argv = [process.executableURL!.path] + (process.arguments ?? [])
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            var pid: pid_t = 0
            let cArgs = argv.map { strdup($0) } + [nil]
            defer { for arg in cArgs { free(arg) } }
            let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
            guard spawned == 0 else { throw Failure(description: "cannot start \(tool): errno \(spawned)") }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            let exitCode = (status >> 8) & 0xff
            guard status & 0x7f == 0, exitCode == 0 else {
                throw Failure(description: "\(tool) \(arguments.joined(separator: " ")) failed (status \(status))")
            }
            return ""
        } else {
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
        }
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(tool) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(output.suffix(1500))")
        }
        return output
    }
}

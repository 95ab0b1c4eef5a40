import AsyncHTTPClient
import Foundation
import LineCore
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

/// A child process of the chaos run (registrar, fault proxy or agent) with its output appended to a log file, that
/// can be killed with SIGKILL at any moment and started again with the same arguments.
final class Child: @unchecked Sendable {
    let name: String
    let executable: String
    let arguments: [String]
    let log: String
    private(set) var process: Process?
    private var output: FileHandle?
    /// Starts so far.
    private(set) var starts = 0
    /// Exits that nobody asked for (not SIGKILL/SIGTERM sent by the run), with their status.
    private(set) var unexpectedExits: [String] = []
    private var expectingExit = false

    init(name: String, executable: String, arguments: [String], log: String) {
        self.name = name
        self.executable = executable
        self.arguments = arguments
        self.log = log
    }

    /// Starts the process; with `stdout` its standard output is returned as a pipe instead of going to the log.
    @discardableResult
    func start(captureStdout: Bool = false) throws -> Pipe? {
        if !FileManager.default.fileExists(atPath: log) { FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        handle.write(Data("=== \(name) start \(starts + 1) at \(Date()) ===\n".utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardError = handle
        var pipe: Pipe?
        if captureStdout {
            pipe = Pipe()
            process.standardOutput = pipe
        } else {
            process.standardOutput = handle
        }
        process.standardInput = FileHandle.nullDevice
        expectingExit = false
        try process.run()
        self.process = process
        try? output?.close()  // the previous run's handle
        output = handle
        starts += 1
        return pipe
    }

    var isRunning: Bool { process?.isRunning ?? false }
    var pid: Int32 { process?.processIdentifier ?? 0 }

    /// Notes an exit nobody asked for (call from the run's loop).
    func checkAlive() -> Bool {
        guard let process else { return false }
        if process.isRunning { return true }
        if !expectingExit {
            unexpectedExits.append("\(name) exited by itself with status \(process.terminationStatus) (\(process.terminationReason == .uncaughtSignal ? "signal" : "exit"))")
            expectingExit = true
        }
        return false
    }

    /// SIGKILL: no chance to clean up.
    func kill9() {
        guard let process, process.isRunning else { return }
        expectingExit = true
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Sends a signal without waiting.
    func signal(_ value: Int32) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, value)
    }

    /// SIGTERM, then waits up to `timeout` (SIGKILL after). Returns the exit status (nil when it had to be killed).
    @discardableResult
    func terminate(timeout: Duration = .seconds(30)) async -> Int32? {
        guard let process, process.isRunning else { return process?.terminationStatus }
        expectingExit = true
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }
}

/// Small HTTP helpers over loopback.
enum Loopback {
    /// A free TCP (or UDP) port on 127.0.0.1 (bound and released; the caller binds it soon after).
    static func freePort(type: __socket_type = SOCK_STREAM) throws -> Int {
        let fd = socket(AF_INET, Int32(type.rawValue), 0)
        guard fd >= 0 else { throw ChaosError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw ChaosError("bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// GET a loopback URL; nil when nothing answers.
    static func get(_ url: String, timeout: Duration = .seconds(2)) async -> (status: Int, body: Data)? {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Int64(timeout.inMilliseconds)))
            let body = try await response.body.collect(upTo: 16 << 20)
            return (Int(response.status.code), Data(body.readableBytesView))
        } catch {
            return nil
        }
    }

    /// Waits until `url` answers 200 (or `timeout`).
    static func waitFor(_ url: String, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let answer = await get(url), answer.status == 200 { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}

/// A failure of the chaos run itself (not a finding).
struct ChaosError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

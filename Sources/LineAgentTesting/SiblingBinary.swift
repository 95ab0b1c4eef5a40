import Foundation

/// What a run of one of the package's executables printed.
public struct BinaryRun: Sendable, CustomStringConvertible {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// Whether it was still running at the time limit (and was terminated: `status` is then the signal's).
    public var timedOut: Bool = false
    public var description: String {
        "\(timedOut ? "terminated at the time limit, " : "")exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }
}

/// Runs an executable of this package built next to the test bundle (`lineagent`, `qazserver`, …) and returns its
/// exit status and output; nil when it was not built. Never blocks a cooperative thread (a registrar the test runs
/// in process shares the pool): both pipes are drained on threads of their own, so a full pipe cannot stall the
/// child either. Past `timeout` the child gets SIGTERM, and SIGKILL 5 s later.
/// - Parameters:
///   - directory: the working directory (default: the test's).
///   - stdin: a file given as its standard input.
public func runSibling(_ name: String, _ arguments: [String], directory: URL? = nil, timeout: Duration = .seconds(20),
                       stdin: URL? = nil) async throws -> BinaryRun? {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
    guard FileManager.default.isExecutableFile(atPath: binary.path) else { return nil }
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    if let stdin { process.standardInput = try FileHandle(forReadingFrom: stdin) }
    let finished = AsyncStream<Int32>.makeStream()
    process.terminationHandler = { finished.continuation.yield($0.terminationStatus) }
    try process.run()
    let stdout = PipeReader(out.fileHandleForReading)
    let stderr = PipeReader(err.fileHandleForReading)
    enum Event: Sendable { case exited(Int32), timeLimit, grace }
    var timedOut = false
    let status = await withTaskGroup(of: Event.self) { group in
        group.addTask {
            var iterator = finished.stream.makeAsyncIterator()
            return .exited(await iterator.next() ?? -1)
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return .timeLimit
        }
        var status: Int32 = -1
        while let event = await group.next() {
            switch event {
            case .exited(let code):
                status = code
                group.cancelAll()
                return status
            case .timeLimit:
                // Past the time limit (or the test was cancelled): SIGTERM, then SIGKILL after a grace period; the exit
                // status follows.
                timedOut = true
                if process.isRunning { process.terminate() }
                group.addTask {
                    try? await Task.sleep(for: .seconds(5))
                    return .grace
                }
            case .grace:
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
        }
        return status
    }
    return BinaryRun(status: status, stdout: String(decoding: await stdout.data(), as: UTF8.self),
                     stderr: String(decoding: await stderr.data(), as: UTF8.self), timedOut: timedOut)
}

/// Reads a pipe to its end on a dedicated thread.
public final class PipeReader: Sendable {
    private let done = AsyncStream<Data>.makeStream()

    public init(_ handle: FileHandle) {
        let continuation = done.continuation
        let thread = Thread { continuation.yield(handle.readDataToEndOfFile()) }
        thread.start()
    }

    /// Everything the pipe delivered, once the writer closed it.
    public func data() async -> Data {
        var iterator = done.stream.makeAsyncIterator()
        return await iterator.next() ?? Data()
    }
}

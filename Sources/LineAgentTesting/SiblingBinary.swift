import Foundation

/// What a run of one of the package's executables printed.
public struct BinaryRun: Sendable, CustomStringConvertible {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// Runs an executable of this package built next to the test bundle (`lineagent`, `qazserver`, …) and returns its
/// exit status and output; nil when it was not built. Never blocks a cooperative thread (a registrar the test runs
/// in process shares the pool): both pipes are drained on threads of their own, so a full pipe cannot stall the
/// child either. The child is terminated after `timeout`.
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
    let status = await withTaskGroup(of: Int32?.self) { group in
        group.addTask {
            var iterator = finished.stream.makeAsyncIterator()
            return await iterator.next() ?? -1
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        var status: Int32 = -1
        while let result = await group.next() {
            guard let result else {
                if process.isRunning { process.terminate() }  // past the time limit: the exit status follows
                continue
            }
            status = result
            group.cancelAll()
            break
        }
        return status
    }
    return BinaryRun(status: status, stdout: String(decoding: await stdout.data(), as: UTF8.self),
                     stderr: String(decoding: await stderr.data(), as: UTF8.self))
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

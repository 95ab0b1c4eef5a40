import Foundation

/// A real, small file system for disk-full tests: a tmpfs of `size` mounted on a fresh directory (needs root, as on
/// the development machines and CI). Unmount with ``unmount()``.
public struct SmallFileSystem: Sendable {
    /// Where it is mounted.
    public let path: String

    /// Whether this process can mount one (root, and `mount -t tmpfs` works here): tests that need a small file
    /// system are enabled on this, so the runner shows why they were skipped.
    public static let canMount: Bool = {
        guard getuid() == 0, let probe = mount(size: "1m") else { return false }
        probe.unmount()
        return true
    }()

    /// Mounts a tmpfs of `size` (e.g. `4m`, `40m`); nil when not root or the mount fails (the caller skips with a note).
    public static func mount(size: String) -> SmallFileSystem? {
        let path = NSTemporaryDirectory() + "qazline-small-fs-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil else { return nil }
        guard getuid() == 0, run(["mount", "-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path]) == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
        return SmallFileSystem(path: path)
    }

    /// Mounts a tmpfs of `size`, runs `body` with it and unmounts it afterwards, whether `body` returns or throws.
    /// - Throws: ``Unavailable`` when it cannot be mounted (enable such tests on ``canMount``).
    public static func with<T>(size: String, _ body: (SmallFileSystem) async throws -> T) async throws -> T {
        guard let small = mount(size: size) else { throw Unavailable(size: size) }
        defer { small.unmount() }
        return try await body(small)
    }

    /// A small file system could not be mounted.
    public struct Unavailable: Error, CustomStringConvertible {
        public let size: String
        public var description: String { "cannot mount a \(size) tmpfs (needs root and mount -t tmpfs)" }
    }

    /// Unmounts it and removes the mount point.
    public func unmount() {
        _ = Self.run(["umount", "-l", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Bytes free on it.
    public var freeBytes: Int {
        ((try? FileManager.default.attributesOfFileSystem(forPath: path)[.systemFreeSize]) as? Int) ?? 0
    }

    static func run(_ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

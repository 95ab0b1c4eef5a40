import Foundation

/// A real, small file system for disk-full tests: a tmpfs of `size` mounted on a fresh directory (needs root, as on
/// the development machines and CI). Unmount with ``unmount()``.
public struct SmallFileSystem: Sendable {
    /// Where it is mounted.
    public let path: String

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

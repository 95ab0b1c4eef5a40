import Foundation

/// Images in a folder, read in sorted file-name order: reproducible tests, demos and calibration runs.
public final class FolderFrameSource: FrameSource {
    /// File extensions read (case-insensitive).
    public static let extensions: Set<String> = ["png", "jpg", "jpeg", "bmp", "pgm", "tif", "tiff"]

    public let name: String
    /// The image files, sorted.
    public let files: [String]
    private let loop: Bool
    private var index = 0
    private var sequence: UInt64 = 0
    private var closed = false

    /// Lists the folder; throws if it does not exist or holds no images.
    public init(folder: String, loop: Bool = false) throws(VisionError) {
        name = "folder:\(folder)"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .sourceUnavailable(source: name, reason: "no such folder")
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        files = entries.filter { Self.extensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
            .map { (folder as NSString).appendingPathComponent($0) }
        guard !files.isEmpty else {
            throw .sourceUnavailable(source: name, reason: "the folder holds no images (\(Self.extensions.sorted().joined(separator: ", ")))")
        }
        self.loop = loop
    }

    /// Reads the next image. A file that cannot be read throws an error naming it; the next call goes on with the
    /// following file.
    public func next(into image: GrayImage) throws(VisionError) -> FrameInfo? {
        if closed { throw .sourceClosed(source: name, reason: "closed") }
        if index >= files.count {
            guard loop else { return nil }
            index = 0
        }
        let file = files[index]
        index += 1
        let now = Date()
        let instant = ContinuousClock.now
        try ImageFile.read(file, into: image)
        defer { sequence += 1 }
        return FrameInfo(sequence: sequence, capturedAt: now, capturedInstant: instant, dropped: 0, file: file)
    }

    public func close() { closed = true }
}

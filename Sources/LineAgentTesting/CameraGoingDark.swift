import Foundation
import Vision

/// A frame source double: delivers `frames` frames from another source, then nothing (the camera goes dark: `next`
/// blocks until the task is cancelled, as a real camera that stopped sending does).
public final class CameraGoingDark: FrameSource {
    private let inner: any FrameSource
    private var left: Int
    public var name: String { "dark:" + inner.name }

    public init(_ inner: any FrameSource, frames: Int) {
        self.inner = inner
        left = frames
    }

    public func next(into image: GrayImage) throws(VisionError) -> FrameInfo? {
        if left > 0 {
            left -= 1
            return try inner.next(into: image)
        }
        while !Task.isCancelled { usleep(2_000) }
        throw .sourceClosed(source: name, reason: "stopped")
    }

    public func close() { inner.close() }
}

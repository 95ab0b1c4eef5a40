/// What went wrong in the vision pipeline. Every case names the source (camera, file or device) it concerns.
public enum VisionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A frame source could not be opened (missing device, unreachable stream, empty folder).
    case sourceUnavailable(source: String, reason: String)
    /// A frame source stopped delivering (stream closed, camera gone).
    case sourceClosed(source: String, reason: String)
    /// An image file could not be read or decoded.
    case unreadableImage(source: String, reason: String)
    /// An image is larger than the pipeline accepts.
    case imageTooLarge(source: String, width: Int, height: Int, limit: Int)
    /// An image is smaller than anything that could hold a stamp code.
    case imageTooSmall(source: String, width: Int, height: Int)
    /// Pixel data did not match the declared format (size, channels, stride).
    case formatMismatch(source: String, reason: String)
    /// The calibration cannot be applied to this source's frames; `key` names the calibration key to change.
    case calibrationMismatch(key: String, reason: String)
    /// An OpenCV, ZBar, zxing or aravis call failed; `library` names it and `message` is its own text.
    case library(library: String, operation: String, message: String)

    public var description: String {
        switch self {
        case .sourceUnavailable(let source, let reason): "\(source): cannot open: \(reason)"
        case .sourceClosed(let source, let reason): "\(source): stopped delivering frames: \(reason)"
        case .unreadableImage(let source, let reason): "\(source): cannot read the image: \(reason)"
        case .imageTooLarge(let source, let width, let height, let limit):
            "\(source): image of \(width)×\(height) pixels is larger than the limit of \(limit) pixels per side"
        case .imageTooSmall(let source, let width, let height):
            "\(source): image of \(width)×\(height) pixels is too small to hold a stamp code (at least 21×21)"
        case .formatMismatch(let source, let reason): "\(source): unexpected pixel format: \(reason)"
        case .calibrationMismatch(let key, let reason): "calibration \(key): \(reason)"
        case .library(let library, let operation, let message): "\(library) \(operation) failed: \(message)"
        }
    }
}

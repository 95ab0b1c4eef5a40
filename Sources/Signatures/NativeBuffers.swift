import CCMSShim
import Foundation

/// Bytes and the label that names them in the shim's error messages (a file path, or "anchorsPEM[0]").
struct LabelledBytes: Sendable {
    var bytes: [UInt8]
    var label: String
}

/// Calls `body` with a C array of `ccms_buffer`s over copies of `items`, valid for the duration of the call.
func withNativeBuffers<R>(_ items: [LabelledBytes], _ body: (UnsafePointer<ccms_buffer>?, Int) -> R) -> R {
    var buffers: [ccms_buffer] = []
    var allocations: [UnsafeMutableRawPointer] = []
    defer { allocations.forEach { free($0) } }
    for item in items {
        let data = malloc(max(item.bytes.count, 1))!
        item.bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { data.copyMemory(from: base, byteCount: source.count) }
        }
        let label = strdup(item.label)!
        allocations.append(data)
        allocations.append(UnsafeMutableRawPointer(label))
        buffers.append(ccms_buffer(data: data.assumingMemoryBound(to: UInt8.self), length: item.bytes.count, label: label))
    }
    return buffers.withUnsafeBufferPointer { body($0.baseAddress, $0.count) }
}

/// A message the shim malloc'd, as a String, and freed.
func takeMessage(_ pointer: UnsafeMutablePointer<CChar>?, otherwise fallback: String) -> String {
    guard let pointer else { return fallback }
    defer { ccms_free(pointer) }
    return String(cString: pointer)
}

import Foundation
import QazAPI

/// The compact binary form in which a store keeps an activation batch's per-item results.
///
/// Encoding JSON inside the write transaction would hold the single writer for as long as the encoder runs, so the
/// stores keep this form (a few bytes per item, written with no allocation per item) and the HTTP layer turns it
/// back into the JSON answer outside the transaction. Layout, little-endian: version `1`, item count `u32`, then per
/// item: outcome `u8`, code length `u16` + UTF-8, flags `u8` (bit 0: time present, bit 1: reason present),
/// [time `i64` ms], [reason length `u16` + UTF-8]. Backends share it, so a stored answer reads the same everywhere.
public enum ReceiptCodec {
    static let outcomes = ActivationOutcome.allCases

    /// Encodes per-item results.
    public static func encode(_ results: [ActivationResult]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(results.count * 32 + 8)
        out.append(1)
        append32(UInt32(results.count), to: &out)
        for result in results {
            out.append(UInt8(outcomes.firstIndex(of: result.result)!))
            appendString(result.code, to: &out)
            let flags: UInt8 = (result.activatedAt != nil ? 1 : 0) | (result.reason != nil ? 2 : 0)
            out.append(flags)
            if let time = result.activatedAt {
                var value = UInt64(bitPattern: time.milliseconds).littleEndian
                withUnsafeBytes(of: &value) { out.append(contentsOf: $0) }
            }
            if let reason = result.reason { appendString(reason, to: &out) }
        }
        return out
    }

    /// Decodes per-item results; nil when the bytes are not this format.
    public static func decode(_ bytes: [UInt8]) -> [ActivationResult]? {
        var index = 0
        func byte() -> UInt8? {
            guard index < bytes.count else { return nil }
            defer { index += 1 }
            return bytes[index]
        }
        func integer(_ width: Int) -> UInt64? {
            guard index + width <= bytes.count else { return nil }
            var value: UInt64 = 0
            for shift in 0..<width { value |= UInt64(bytes[index + shift]) << (8 * UInt64(shift)) }
            index += width
            return value
        }
        func string() -> String? {
            guard let length = integer(2).map(Int.init), index + length <= bytes.count else { return nil }
            defer { index += length }
            return String(decoding: bytes[index..<index + length], as: UTF8.self)
        }
        guard byte() == 1, let count = integer(4) else { return nil }
        var results = [ActivationResult]()
        results.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let outcome = byte(), Int(outcome) < outcomes.count, let code = string(), let flags = byte() else { return nil }
            var time: Timestamp?
            if flags & 1 != 0 {
                guard let raw = integer(8) else { return nil }
                time = Timestamp(milliseconds: Int64(bitPattern: raw))
            }
            var reason: String?
            if flags & 2 != 0 {
                guard let text = string() else { return nil }
                reason = text
            }
            results.append(ActivationResult(code: code, result: outcomes[Int(outcome)], activatedAt: time, reason: reason))
        }
        return index == bytes.count ? results : nil
    }

    private static func append32(_ value: UInt32, to out: inout [UInt8]) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { out.append(contentsOf: $0) }
    }

    private static func appendString(_ text: String, to out: inout [UInt8]) {
        let utf8 = text.utf8
        // Codes and reasons are bounded far below 64 KiB by validation; clamp defensively.
        let length = min(utf8.count, Int(UInt16.max))
        var v = UInt16(length).littleEndian
        withUnsafeBytes(of: &v) { out.append(contentsOf: $0) }
        out.append(contentsOf: utf8.prefix(length))
    }
}

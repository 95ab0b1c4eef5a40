import COpenCVShim
import Foundation

/// Reads image files into gray images, refusing what cannot be a camera frame before decoding it.
public enum ImageFile {
    /// The largest side accepted (a 20000×20000 image would take 400 MB and seconds to decode).
    public static let maxSide = 8_192
    /// The smallest side that can hold a stamp code (a version-1 QR code is 21 modules).
    public static let minSide = 21

    /// Reads `path` as gray into `image`.
    public static func read(_ path: String, into image: GrayImage) throws(VisionError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableImage(source: path, reason: FileManager.default.fileExists(atPath: path) ? "\(error.localizedDescription)" : "no such file")
        }
        if data.isEmpty { throw .unreadableImage(source: path, reason: "the file is empty") }
        if let (width, height) = dimensions(of: data) {
            if width > maxSide || height > maxSide { throw .imageTooLarge(source: path, width: width, height: height, limit: maxSide) }
            if width < minSide || height < minSide { throw .imageTooSmall(source: path, width: width, height: height) }
        }
        let status = data.withUnsafeBytes { buffer in
            cvs_image_decode(image.handle, buffer.bindMemory(to: UInt8.self).baseAddress, buffer.count, 0)
        }
        if status < 0 { throw .unreadableImage(source: path, reason: String(cString: cvs_last_error())) }
        if image.width < minSide || image.height < minSide {
            throw .imageTooSmall(source: path, width: image.width, height: image.height)
        }
        if image.width > maxSide || image.height > maxSide {
            throw .imageTooLarge(source: path, width: image.width, height: image.height, limit: maxSide)
        }
    }

    /// Width and height from a PNG, JPEG or BMP header, without decoding; nil for other formats or a short header.
    static func dimensions(of data: Data) -> (Int, Int)? {
        let bytes = [UInt8](data.prefix(64 * 1024))
        func be16(_ i: Int) -> Int { Int(bytes[i]) << 8 | Int(bytes[i + 1]) }
        func be32(_ i: Int) -> Int { be16(i) << 16 | be16(i + 2) }
        func le32(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 24 }
        if bytes.count >= 24, bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return (be32(16), be32(20)) }
        if bytes.count >= 26, bytes.starts(with: [0x42, 0x4D]) { return (le32(18), abs(Int(Int32(truncatingIfNeeded: le32(22))))) }
        if bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 {
            var i = 2
            while i + 9 < bytes.count {
                guard bytes[i] == 0xFF else { return nil }
                let marker = bytes[i + 1]
                if (0xC0...0xCF).contains(marker), marker != 0xC4, marker != 0xC8, marker != 0xCC {
                    return (be16(i + 7), be16(i + 5))
                }
                i += 2 + be16(i + 2)
            }
        }
        return nil
    }
}

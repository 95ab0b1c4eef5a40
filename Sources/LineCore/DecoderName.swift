/// The QR decoders a camera's chain can use (named in calibration files, reported with every code read).
public enum DecoderName: String, Sendable, Hashable, Codable, CaseIterable {
    /// zxing-cpp: the current version built by `scripts/setup.sh` (3.x), or Debian's 1.4 when this build has none.
    case zxing
    /// Debian's zxing-cpp 1.4, explicitly.
    case zxing14
    /// ZBar 0.23 (QR only; best on a tight crop of the cap).
    case zbar
}

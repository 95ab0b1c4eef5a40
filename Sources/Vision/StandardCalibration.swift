import ConfigKit
import LineConfig

/// The decode chain used when no calibration file is given (`lineagent decode` without `--calibration`): for images
/// it was not tuned for (any code size, caps or not, several codes). Its order is what `vision-bench --policy`
/// measured as the most codes per millisecond over every evaluation set (docs/vision.md): zxing-cpp's full search on
/// the whole image (rotated, inverted, multi-scale: whatever the image, the chain reads at least what plain zxing-cpp
/// reads), then each located cap still without a code upscaled, with dotted modules joined, and with ZBar, then ZBar
/// on every symbol zxing found but could not decode.
public enum StandardCalibration {
    /// The chain as YAML (the same format as `Calibration/<camera>.yaml`).
    public static let yaml = """
        camera: standard
        roi: { mode: full, minRadius: 55, maxRadius: 170, margin: 30 }
        codeSize: { modulePx: 3.5 }
        decoders:
          - { name: zxing, region: roi, tryHarder: true, budget: 30ms }
          - { name: zxing, region: cap, scale: 1.5, budget: 6ms }
          - { name: zxing, region: cap, scale: 1.5, variant: close, budget: 4ms }
          - { name: zbar, region: cap, budget: 6ms }
          - { name: zbar, region: unread, variant: normalize, budget: 6ms }
        totalBudget: 80ms
        maxCodesPerFrame: 64
        """

    /// The decoded calibration.
    public static let calibration: CalibrationConfiguration = {
        do {
            return try ConfigLoader.decode(CalibrationConfiguration.self, yaml: yaml, file: "standard calibration")
        } catch {
            preconditionFailure("the built-in calibration does not validate: \(error)")
        }
    }()
}

import ConfigKit
import LineConfig

/// The decode chain used when no calibration file is given (`lineagent decode` without `--calibration`): the chain
/// the benchmark showed reads most within 20 ms on 1280×1024 cap frames of 2.4–4.5 px per module.
public enum StandardCalibration {
    /// The chain as YAML (the same format as `Calibration/<camera>.yaml`).
    public static let yaml = """
        camera: standard
        roi: { mode: full, minRadius: 55, maxRadius: 170, margin: 30 }
        codeSize: { modulePx: 3.5 }
        decoders:
          - { name: zxing, region: cap, scale: 1.5, budget: 6ms }
          - { name: zbar, region: cap, budget: 8ms }
          - { name: zxing, region: roi, budget: 10ms }
        totalBudget: 20ms
        maxCodesPerFrame: 4
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

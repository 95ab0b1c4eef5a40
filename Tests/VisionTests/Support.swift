import ConfigKit
import Foundation
import LineConfig
@testable import Vision

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A fresh temporary folder, removed by the caller.
func temporaryFolder(_ name: String = #function) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("qazline-vision-\(name.filter(\.isLetter))-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A clean frame: one upright cap with a sharp code, no degradation.
func cleanSpec(payload: String = "https://qr.example.kz/c/7KQ2M9X4TZ8WB3N5JH6R", x: Double = 640, y: Double = 512,
               modulePx: Double = 4, angle: Double = 0) -> FrameSpec {
    FrameSpec(width: 1280, height: 1024, background: 50,
              caps: [CapSpec(payload: payload, x: x, y: y, radius: 140, modulePx: modulePx, angle: angle, tilt: 0, tiltDirection: 0,
                             capGray: 180, dark: 20, light: 235)],
              occlusions: [], motionPx: 0, motionAngle: 0, defocusSigma: 0, glareStrength: 0, glareX: 0, glareY: 0,
              glareRadius: 0, contrast: 1, noiseSigma: 0, noiseSeed: 1)
}

/// Renders a spec into a new image.
func render(_ spec: FrameSpec) throws -> GrayImage {
    let image = GrayImage()
    try FrameSynthesizer(profile: .nominal, seed: 1).render(spec, into: image)
    return image
}

/// A calibration from YAML text.
func calibration(_ yaml: String) throws -> CalibrationConfiguration {
    try ConfigLoader.decode(CalibrationConfiguration.self, yaml: yaml, file: "test.yaml")
}

/// The shipped line1-top calibration.
func shippedCalibration() throws -> CalibrationConfiguration {
    try ConfigLoader.load(CalibrationConfiguration.self, contentsOf: repositoryRoot.appendingPathComponent("Calibration/line1-top.yaml"))
}

/// The shipped chain with budgets so large that no step is ever skipped for time: reads in tests must not depend on
/// how busy the machine is (budgets are measured by vision-bench, not by unit tests).
func unhurriedCalibration() throws -> CalibrationConfiguration { unhurried(try shippedCalibration()) }

/// A chain with budgets no machine can miss.
func unhurried(_ calibration: CalibrationConfiguration) -> CalibrationConfiguration {
    var chain = calibration
    chain.totalBudget = ConfigDuration(.seconds(10))
    for index in chain.decoders.indices { chain.decoders[index].budget = ConfigDuration(.seconds(2)) }
    return chain
}

import ConfigKit
import Foundation
import LineCore

/// The packing station at the end of a line (`lines[].caseStation`): a camera above the open case reads every cap in
/// one frame, a case code identifies the case (read from a pre-printed label, or assigned by the agent and printed), and
/// the station's PLC triggers each case and rejects bad ones — verified like bottle rejects.
///
/// The station's PLC is configured like a line's (`plc:`), with the same register map: at a case station
/// `bottleCounter` counts cases under the camera, `rejectSequence`/`rejectReason`/`rejectCommand` reject a case,
/// `rejectConfirmCounter` confirms it, and `goodCounter` counts accepted cases. It may be the line's own PLC at other
/// addresses, or the packer's PLC.
public struct CaseStationConfiguration: Codable, Sendable, ValidatableConfig {
    /// The station's id (the equipment id of its aggregation events).
    public var id: String
    /// Bottles in a full case (12, 20, 24 …).
    public var bottlesPerCase: Int
    /// The camera above the open case (its calibration tunes the cap reading; it also reads labels in view).
    public var camera: CameraConfiguration
    /// Where case codes come from.
    public var caseCode: CaseCodeConfiguration
    /// The label printer (required when `caseCode.source` is `printer`).
    public var printer: PrinterConfiguration?
    /// The station's PLC.
    public var plc: PLCConfiguration
    /// Case rejects: where the reject gate is and how long a decision may take.
    public var reject: CaseRejectPolicy
    /// Pallets built from this station's cases.
    public var pallet: PalletConfiguration

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        bottlesPerCase = try c.decode(Int.self, forKey: .bottlesPerCase)
        camera = try c.decode(CameraConfiguration.self, forKey: .camera)
        caseCode = try c.decode(CaseCodeConfiguration.self, forKey: .caseCode)
        printer = try c.decodeIfPresent(PrinterConfiguration.self, forKey: .printer)
        plc = try c.decode(PLCConfiguration.self, forKey: .plc)
        reject = try c.decodeIfPresent(CaseRejectPolicy.self, forKey: .reject) ?? CaseRejectPolicy()
        pallet = try c.decodeIfPresent(PalletConfiguration.self, forKey: .pallet) ?? PalletConfiguration()
    }

    public func validate(_ v: inout ConfigValidator) {
        v.checkIdentifier(id, at: "id")
        v.checkRange(bottlesPerCase, 1...96, at: "bottlesPerCase", what: "a bottle count")
        v.nested("camera") { v in camera.validate(&v) }
        v.validate("caseCode", caseCode)
        if caseCode.source == .printer {
            v.check(printer != nil, at: "printer", "caseCode.source is printer: configure the label printer (host, port 9100)")
        }
        if let printer { v.validate("printer", printer) }
        v.validate("plc", plc)
        v.validate("reject", reject)
        v.validate("pallet", pallet)
        if pallet.extensionDigit == caseCode.extensionDigit, caseCode.source == .printer {
            v.error(at: "pallet.extensionDigit",
                    "pallets and cases share extension digit \(pallet.extensionDigit) and company prefix: their SSCC serials would collide; use another digit")
        }
    }

    /// The line's reject policy for the station's PLC monitor.
    public var monitorPolicy: RejectPolicy {
        var policy = RejectPolicy()
        policy.stationOffset = reject.stationOffset
        policy.confirmWithin = reject.confirmWithin
        policy.stopLineOnMiss = reject.stopLineOnMiss
        policy.decisionDeadline = reject.decisionDeadline
        return policy
    }
}

/// Where case codes come from.
public enum CaseCodeSource: String, ConfigEnum, Codable {
    /// The agent assigns an SSCC and prints it on the label printer before the case moves on.
    case printer
    /// The case carries a pre-printed label, read by the case camera.
    case label
}

/// Case codes: GS1 SSCC-18 (extension digit, company prefix, serial, check digit), or a plant's own pattern.
public struct CaseCodeConfiguration: Codable, Sendable, ValidatableConfig {
    public var source: CaseCodeSource
    /// The SSCC extension digit of case codes the agent assigns (0–9).
    public var extensionDigit: Int
    /// The producer's GS1 company prefix (7–10 digits).
    public var companyPrefix: String
    /// Pre-printed labels that are not SSCCs must match this regular expression (whole code); nil accepts SSCCs only.
    public var pattern: String?

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        source = try c.decodeIfPresent(CaseCodeSource.self, forKey: .source) ?? .printer
        extensionDigit = try c.decodeIfPresent(Int.self, forKey: .extensionDigit) ?? 0
        companyPrefix = try c.decode(String.self, forKey: .companyPrefix)
        pattern = try c.decodeIfPresent(String.self, forKey: .pattern)
    }

    public func validate(_ v: inout ConfigValidator) {
        v.checkRange(extensionDigit, 0...9, at: "extensionDigit", what: "an SSCC extension digit")
        v.check((7...10).contains(companyPrefix.count) && companyPrefix.allSatisfy { $0.isASCII && $0.isNumber },
                at: "companyPrefix", "a GS1 company prefix is 7 to 10 digits, got \"\(companyPrefix.prefix(20))\"")
        if let pattern {
            do { _ = try Regex(pattern) } catch {
                v.error(at: "pattern", "not a regular expression: \(error)")
            }
        }
    }

    /// Whether a code read from a label is acceptable: an SSCC, or (when configured) a match of ``pattern``.
    public func accepts(_ code: UnitCode) -> Bool {
        if code.isSSCC { return true }
        guard let pattern, let regex = try? Regex(pattern) else { return false }
        return (try? regex.wholeMatch(in: code.rawValue)) != nil
    }
}

/// A label printer driven with ZPL over raw TCP.
public struct PrinterConfiguration: Codable, Sendable, ValidatableConfig {
    public var host: String
    /// The raw printing port (9100 on industrial label printers).
    public var port: ConfigPort
    /// How long printing one label and reading the printer's status may take.
    public var timeout: ConfigDuration
    /// How the SSCC is printed.
    public var symbology: PrinterSymbology
    /// The printer's resolution (dots per inch).
    public var dpi: Int

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        host = try c.decode(String.self, forKey: .host)
        port = try c.decodeIfPresent(ConfigPort.self, forKey: .port) ?? ConfigPort(9100)!
        timeout = try c.decodeIfPresent(ConfigDuration.self, forKey: .timeout) ?? ConfigDuration(.milliseconds(500))
        symbology = try c.decodeIfPresent(PrinterSymbology.self, forKey: .symbology) ?? .dataMatrix
        dpi = try c.decodeIfPresent(Int.self, forKey: .dpi) ?? 203
    }

    public func validate(_ v: inout ConfigValidator) {
        v.check(!host.isEmpty, at: "host", "the printer's address is needed")
        v.check(timeout.duration >= .milliseconds(50) && timeout.duration <= .seconds(10), at: "timeout", "expected 50ms to 10s")
        v.check([203, 300, 600].contains(dpi), at: "dpi", "expected 203, 300 or 600, got \(dpi)")
    }
}

/// How an SSCC is printed on a label.
public enum PrinterSymbology: String, ConfigEnum, Codable {
    /// GS1 DataMatrix.
    case dataMatrix = "datamatrix"
    /// GS1-128 (Code 128 with FNC1).
    case gs1_128 = "gs1-128"
}

/// Case rejects at the packing station.
public struct CaseRejectPolicy: Codable, Sendable, ValidatableConfig {
    /// How many cases downstream of the camera the reject gate sits.
    public var stationOffset: Int
    /// A commanded case reject must be confirmed within this many cases.
    public var confirmWithin: Int
    /// Request a stop of the packer when a case reject is missed.
    public var stopLineOnMiss: Bool
    /// A case not decided this long after its trigger is rejected (no frame, decode too slow, printer too slow).
    public var decisionDeadline: ConfigDuration

    public init() {
        stationOffset = 1
        confirmWithin = 3
        stopLineOnMiss = true
        decisionDeadline = ConfigDuration(.milliseconds(1500))
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CaseRejectPolicy()
        stationOffset = try c.decodeIfPresent(Int.self, forKey: .stationOffset) ?? d.stationOffset
        confirmWithin = try c.decodeIfPresent(Int.self, forKey: .confirmWithin) ?? max(d.confirmWithin, stationOffset + 2)
        stopLineOnMiss = try c.decodeIfPresent(Bool.self, forKey: .stopLineOnMiss) ?? d.stopLineOnMiss
        decisionDeadline = try c.decodeIfPresent(ConfigDuration.self, forKey: .decisionDeadline) ?? d.decisionDeadline
    }

    public func validate(_ v: inout ConfigValidator) {
        v.checkRange(stationOffset, 1...20, at: "stationOffset", what: "a case count")
        v.check(confirmWithin > stationOffset && confirmWithin <= stationOffset + 20, at: "confirmWithin",
                "must be more than stationOffset (\(stationOffset)) and at most stationOffset + 20")
        v.check(decisionDeadline.duration >= .milliseconds(50) && decisionDeadline.duration <= .seconds(30),
                at: "decisionDeadline", "expected 50ms to 30s")
    }
}

/// Pallets built from a station's cases.
public struct PalletConfiguration: Codable, Sendable, ValidatableConfig {
    /// Cases on a full pallet (a pallet may be closed earlier from the console or CLI).
    public var casesPerPallet: Int
    /// The SSCC extension digit of pallet codes the agent assigns (0–9; differs from the cases').
    public var extensionDigit: Int
    /// Build pallets automatically from this station's good cases, in packing order.
    public var automatic: Bool

    public init() {
        casesPerPallet = 40
        extensionDigit = 1
        automatic = false
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PalletConfiguration()
        casesPerPallet = try c.decodeIfPresent(Int.self, forKey: .casesPerPallet) ?? d.casesPerPallet
        extensionDigit = try c.decodeIfPresent(Int.self, forKey: .extensionDigit) ?? d.extensionDigit
        automatic = try c.decodeIfPresent(Bool.self, forKey: .automatic) ?? d.automatic
    }

    public func validate(_ v: inout ConfigValidator) {
        v.checkRange(casesPerPallet, 1...500, at: "casesPerPallet", what: "a case count")
        v.checkRange(extensionDigit, 0...9, at: "extensionDigit", what: "an SSCC extension digit")
    }
}

import Foundation
import LineConfig
import Vision

/// The demo's files, written into its working directory: the agent configuration (pointing at linesim and the
/// demo registrar), the camera's calibration (the same as `Calibration/demo-top.yaml`, embedded so the demo runs
/// from any directory) and the agent's token. Also used by the chaos run, whose agent runs as its own process.
public enum DemoFiles {
    /// `Calibration/demo-top.yaml`, embedded (a test checks they are the same).
    static let calibration = """
# Calibration of camera demo-top: the generated frames of the simulated line (lineagent demo).
camera: demo-top               # must match the camera id in the agent configuration

frame: { width: 640, height: 512 }    # the simulated camera's frame size (lineagent demo)

acquisition:
  trigger: software            # frames are produced on each PLC trigger

roi:                           # where to look for the code
  mode: full                   # full | fixed (x, y, width, height) | cap (only the located caps)
  minRadius: 55                # cap locator: cap radius range in pixels (used by region: cap steps)
  maxRadius: 170
  margin: 30                   # pixels added around a located cap (the code may reach past a tilted cap's edge)

rotation: 0                    # degrees
scale: 1.0                     # generated codes are large enough

codeSize:
  modulePx: 4.0                # the generator's nominal pixels per module
  sidePx: 100

preprocess: []                 # none needed for generated frames

decoders:                      # each step looks at what the steps before it did not read
  - name: zxing                # the whole frame (640×512: under a millisecond)
    region: roi
    budget: 4ms
  - name: zxing                # each located cap still without a code, upscaled (the budget includes locating)
    region: cap
    scale: 1.5
    budget: 6ms
  - name: zxing                # zxing's full search: rotations, inverted, multi-scale
    region: roi
    tryHarder: true
    budget: 6ms
  - name: zbar                 # ZBar on each cap still without a code
    region: cap
    budget: 5ms
  - name: zbar                 # ZBar on symbols zxing found but could not decode, shadows and glare evened out
    region: unread
    variant: normalize
    budget: 3ms

totalBudget: 20ms
maxCodesPerFrame: 4
expectedCodes: 1               # one bottle under the camera per trigger: stop at its code
"""

    /// The case camera's calibration: the built-in one of ``CaseFrameReader`` for camera `demo-case`.
    static var caseCalibration: String {
        "# Calibration of camera demo-case: the case station's top view (lineagent demo).\n"
            + CaseFrameReader.defaultCalibrationYAML.replacingOccurrences(of: "camera: case-station", with: "camera: demo-case")
    }

    /// The register map of the simulated PLCs: the line's and the case station's are separate simulators with the same
    /// layout (the fail-safe report included), written at `indent` spaces under `registers:`.
    static func registerMap(indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        return registerEntries.map { pad + $0 }.joined(separator: "\n")
    }

    private static let registerEntries = [
        "bottleCounter:        { address: 0, table: input, bits: 32 }",
        "lineState:            { address: 2, table: input }",
        "recipe:               { address: 3, table: input }",
        "plcHeartbeat:         { address: 4, table: input }",
        "rejectConfirmCounter: { address: 5, table: input }",
        "rejectAck:            { address: 6, table: input }",
        "failSafeTrips:        { address: 7, table: input }",
        "failSafeFirst:        { address: 8, table: input, bits: 32 }",
        "failSafeLast:         { address: 10, table: input, bits: 32 }",
        "rejectSequence:       { address: 100, bits: 32 }",
        "rejectReason:         { address: 102 }",
        "rejectCommand:        { address: 103 }",
        "agentHeartbeat:       { address: 104 }",
        "agentStatus:          { address: 105 }",
        "agentAlarm:           { address: 106 }",
        "goodCounter:          { address: 107, bits: 32 }",
        "rejectCounter:        { address: 109, bits: 32 }",
        "lineStopRequest:      { address: 0, table: coil }",
    ]

    /// The case station block of the demo line (none when `setup.caseStation` is nil).
    static func caseStation(_ station: SimulatedPlant.CaseStationSetup?) -> String {
        guard let station else { return "" }
        let printer = station.printerPort.map { "\n      printer: { host: 127.0.0.1, port: \($0), timeout: 500ms, symbology: datamatrix }" } ?? ""
        return """

            caseStation:
              id: demo-case
              bottlesPerCase: \(station.bottlesPerCase)
              camera:
                id: demo-case
                source: { kind: synthetic }
                calibration: demo-case.yaml
                mode: triggered
                frameTimeout: 5s
                failedFrames: 0
              caseCode: { source: \(station.printerPort == nil ? "label" : "printer"), extensionDigit: 0, companyPrefix: "\(LineDemo.companyPrefix)" }\(printer)
              plc:
                transport: tcp
                host: 127.0.0.1
                port: \(station.plcPort)
                unitID: 1
                pollInterval: 10ms
                responseTimeout: 50ms
                heartbeatTimeout: 1s
                registers:
        \(registerMap(indent: 10))
              reject: { stationOffset: 2, confirmWithin: 4, stopLineOnMiss: false, decisionDeadline: 1500ms }
              pallet: { casesPerPallet: \(station.casesPerPallet), extensionDigit: 1, automatic: true }
        """
    }

    static func agentConfiguration(plcPort: Int, serverPort: Int, setup: SimulatedPlant.Setup) -> String {
        """
        # Written by `lineagent demo`: the simulated line's agent.
        producer: { bin: "\(LineDemo.producerBIN)", name: "\(LineDemo.producerName)" }
        payload:
          hosts: [qr.example.kz]
          schemes: [https]
          allowBareCode: true
          codePattern: '^(?<code>[0-9A-Z]{16,40})$'
          maxPayloadBytes: 512
        products:
          - { recipe: 1, dsnCode: "KZ-VDK-DEMO-0500", name: "Demo Vodka", type: vodka, capacityMl: 500, strength: 40.0 }
        lines:
          - id: demo
            name: "Demo line"
            cameras:
              - id: demo-top
                source: { kind: synthetic }
                calibration: demo-top.yaml
                mode: triggered
                frameTimeout: 1s
                failedFrames: \(setup.failedFrames)
            plc:
              transport: tcp
              host: 127.0.0.1
              port: \(plcPort)
              unitID: 1
              pollInterval: 5ms
              responseTimeout: 50ms
              byteTimeout: 10ms
              reconnectBackoff: 100ms
              maxReconnectBackoff: 2s
              heartbeatTimeout: 1s
              maxCounterJump: 50
              registers:
        \(registerMap(indent: 8))
                lineStateValues: { stopped: 0, running: 1, fault: 2 }
            reject:
              stationOffset: \(setup.stationOffset)
              confirmWithin: \(setup.stationOffset + 2)
              stopLineOnMiss: false
              consecutiveFailureAlarm: 5
              stopLineOnConsecutiveFailures: false
              decisionDeadline: 100ms\(caseStation(setup.caseStation))
        outbox:
          path: \(setup.outboxPath)
          minFreeSpace: \(setup.minFreeSpace)
        server:
          url: http://127.0.0.1:\(serverPort)
          credentialFile: agent.token
          timeout: 10s
          requestsPerSecond: 50
        batching:
          maxItems: 200
          maxAge: 1s
          initialBackoff: 200ms
          maxBackoff: 5s
        http: { host: 127.0.0.1, port: \(setup.httpPort) }
        pool: { required: true }
        """
    }

    /// Writes the files and loads them as the agent would.
    public static func write(to directory: String, plcPort: Int, serverPort: Int, token: String,
                      setup: SimulatedPlant.Setup = SimulatedPlant.Setup()) throws -> AgentPlan {
        let url = URL(fileURLWithPath: directory)
        try Data(calibration.utf8).write(to: url.appendingPathComponent("demo-top.yaml"))
        try Data(caseCalibration.utf8).write(to: url.appendingPathComponent("demo-case.yaml"))
        guard FileManager.default.createFile(atPath: url.appendingPathComponent("agent.token").path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600]) else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.appendingPathComponent("agent.token").path]) }  // mode 0600: the agent refuses a token file others can read
        let config = url.appendingPathComponent("agent.yaml")
        try Data(agentConfiguration(plcPort: plcPort, serverPort: serverPort, setup: setup).utf8).write(to: config)
        return try AgentPlan.load(contentsOf: config)
    }
}

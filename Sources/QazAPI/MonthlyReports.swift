import Foundation
import LineCore

// The registrar's two monthly reports (order No 288 cl. 28) as they travel: `GET /v1/reports/qr-usage` (App. 10) and
// `GET /v1/reports/qr-activation` (App. 9) with `Accept: application/json`. They are computed by QazServer
// (`ReportCalculator`, which also renders them as CSV and printable HTML) and read by the agent (`lineagent report
// submit`), so they live with the rest of the contract. The definitions of each figure are in docs/reports.md.

/// App. 10, «Алкоголь өніміне (құйылған шарапты (шарап материалы) және сыра қайнату өнімдерін қоспағанда) алынған QR-кодын
/// пайдалану туралы есеп»: one participant, one reporting month.
public struct QRUsageReport: Codable, Sendable, Equatable {
    /// The report form: always `app10-qr-usage`.
    public var form: String
    /// The producer or importer (IIN/BIN).
    public var participant: TaxpayerID
    /// The name on the participant's latest waybill, when there is one.
    public var participantName: String?
    /// The reporting month (Astana calendar), `YYYY-MM`.
    public var month: ReportingMonth
    /// Column 2: balance at the start of the month.
    public var openingBalance: Int
    /// Column 3: codes received in the month.
    public var received: Int
    /// Column 4: codes used in the month (activated + writtenOff).
    public var used: Int
    /// Of `used`: activated in the month.
    public var activated: Int
    /// Of `used`: written off in the month.
    public var writtenOff: Int
    /// Column 5: balance at the end of the month.
    public var closingBalance: Int
    /// When the report was produced.
    public var generatedAt: Timestamp

    public init(form: String, participant: TaxpayerID, participantName: String?, month: ReportingMonth, openingBalance: Int,
                received: Int, used: Int, activated: Int, writtenOff: Int, closingBalance: Int, generatedAt: Timestamp) {
        self.form = form
        self.participant = participant
        self.participantName = participantName
        self.month = month
        self.openingBalance = openingBalance
        self.received = received
        self.used = used
        self.activated = activated
        self.writtenOff = writtenOff
        self.closingBalance = closingBalance
        self.generatedAt = generatedAt
    }
}

/// App. 9, «…QR-кодты белсендіру туралы мәліметтер»: received and activated codes of one participant in one month.
public struct QRActivationReport: Codable, Sendable, Equatable {
    /// The report form: always `app9-qr-activation`.
    public var form: String
    public var participant: TaxpayerID
    public var participantName: String?
    /// The month the figures cover (the form prints no period; the API always reports one month).
    public var month: ReportingMonth
    /// Column 2: codes received in the month.
    public var received: Int
    /// Column 3: codes activated ("put into operation") in the month.
    public var activated: Int
    /// Column 4: the note (written-off codes of the month, if any).
    public var note: String
    public var generatedAt: Timestamp

    public init(form: String, participant: TaxpayerID, participantName: String?, month: ReportingMonth, received: Int, activated: Int,
                note: String, generatedAt: Timestamp) {
        self.form = form
        self.participant = participant
        self.participantName = participantName
        self.month = month
        self.received = received
        self.activated = activated
        self.note = note
        self.generatedAt = generatedAt
    }
}

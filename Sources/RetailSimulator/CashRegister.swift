import Foundation
import LineCore
import QazAPI

/// Why a cash register formed no receipt, or did not come back online.
public enum CashRegisterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The registration number is not 12–20 of A–Z 0–9 (App. 13-B items 40, 73, 117: at least 12; the registrar's rule).
    case invalidRegistrationNumber(String)
    /// The factory number is not 1–40 of A–Z a–z 0–9 - _ . /.
    case invalidFactoryNumber(String)
    /// More than 72 hours in autonomous mode: the register is blocked until its receipts reach the FDO (item 29.6).
    case blocked(autonomousSince: Date)
    /// The time is earlier than the last fiscal document's (items 42, 119).
    case clockBehind(lastDocument: Date)
    /// A receipt without a bottle.
    case emptyReceipt
    /// The same marked bottle twice on one receipt.
    case repeatedCode(String)
    /// The FDO refused the message; for a sale or return nothing was formed and the number stays free.
    case refused(FDOLinkError)
    /// The link did not come back: the accumulated receipts are still in the accumulator.
    case unreachable(String)

    public var description: String {
        switch self {
        case .invalidRegistrationNumber(let number): "registration number \"\(number)\" must be 12–20 of A–Z 0–9"
        case .invalidFactoryNumber(let number): "factory number \"\(number)\" must be 1–40 of A–Z a–z 0–9 - _ . /"
        case .blocked(let since): "blocked: autonomous since \(AstanaTime.iso8601(since)), more than 72 hours"
        case .clockBehind(let last): "the time is before the last fiscal document (\(AstanaTime.iso8601(last)))"
        case .emptyReceipt: "a receipt needs at least one bottle"
        case .repeatedCode(let code): "bottle \(code) twice on one receipt"
        case .refused(let error): "\(error)"
        case .unreachable(let reason): "FDO still unreachable: \(reason)"
        }
    }
}

/// A cash register with a data transmission function and an autonomous mode (order No 626, App. 13-B section 1).
///
/// A value: ``form(_:_:at:)`` is the pure part (numbering, the clock rule, autonomous signs and the accumulator); ``sale(_:at:via:)``,
/// ``saleReturn(_:at:via:)`` and ``reconnect(at:via:)`` talk to the FDO through an ``FDOLink``. Online, a receipt gets the
/// FDO's fiscal sign; when the link is lost (or the FDO does not answer) the register goes autonomous, signs receipts
/// itself and keeps them until ``reconnect(at:via:)`` has sent them all, in order; after 72 hours autonomous it blocks.
public struct CashRegister: Sendable, Equatable {
    /// Whether the register reaches its FDO.
    public enum Mode: Sendable, Equatable {
        case online
        /// Autonomous since the link was lost; stays so until the accumulated receipts are sent (item 8).
        case autonomous(since: Date)
    }

    /// The longest a register may work autonomously (cl. 81; item 29.6).
    public static let autonomyLimit: Duration = .seconds(72 * 3600)

    /// The registration number in the tax body (РНМ).
    public let registrationNumber: String
    /// The factory number (ЗНМ).
    public let factoryNumber: String
    /// The seller's BIN.
    public let seller: TaxpayerID
    /// The number the next receipt gets.
    public private(set) var nextNumber: Int
    public private(set) var mode: Mode = .online
    /// Receipts formed autonomously and not yet answered by the FDO, in number order.
    public private(set) var accumulator: [FiscalReceipt] = []
    /// Autonomous signs formed over the register's life (the counter that makes them unique).
    public private(set) var autonomousSignsFormed = 0
    /// The time of the last fiscal document.
    public private(set) var lastDocumentAt: Date?

    /// - Throws: ``CashRegisterError/invalidRegistrationNumber(_:)``, ``CashRegisterError/invalidFactoryNumber(_:)``.
    public init(registrationNumber: String, factoryNumber: String, seller: TaxpayerID, nextNumber: Int = 1) throws(CashRegisterError) {
        guard Self.isRegistrationNumber(registrationNumber) else { throw .invalidRegistrationNumber(registrationNumber) }
        guard (1...40).contains(factoryNumber.utf8.count),
              factoryNumber.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || "-_./".utf8.contains($0) })
        else { throw .invalidFactoryNumber(factoryNumber) }
        self.registrationNumber = registrationNumber
        self.factoryNumber = factoryNumber
        self.seller = seller
        self.nextNumber = max(nextNumber, 1)
    }

    /// Whether `text` is a registration number: 12–20 of A–Z 0–9.
    public static func isRegistrationNumber(_ text: String) -> Bool {
        (12...20).contains(text.utf8.count) && text.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) }
    }

    /// Whether the register is autonomous.
    public var isAutonomous: Bool { if case .autonomous = mode { true } else { false } }

    /// Whether the register refuses receipts at `time`: more than 72 hours autonomous.
    public func isBlocked(at time: Date) -> Bool {
        guard case .autonomous(let since) = mode else { return false }
        return time.timeIntervalSince(since) > Self.autonomyLimit.seconds
    }

    /// How long the register has been autonomous at `time` (zero online).
    public func autonomousDuration(at time: Date) -> Duration {
        guard case .autonomous(let since) = mode else { return .zero }
        return .milliseconds(Int64((time.timeIntervalSince(since) * 1000).rounded()))
    }

    /// The link to the FDO is lost at `time` (item 29.1): the register goes autonomous; nothing if it already is.
    public mutating func linkLost(at time: Date) {
        if case .online = mode { mode = .autonomous(since: time) }
    }

    /// Forms the next receipt. Online it is unsigned (the FDO signs it); autonomous it carries an autonomous sign, is
    /// marked `autonomous` and goes into the accumulator.
    /// - Parameters:
    ///   - operation: a sale or a return.
    ///   - bottles: the marked bottles scanned, one unit each.
    ///   - time: the receipt's time (Astana time on the receipt).
    public mutating func form(_ operation: ReceiptOperation, _ bottles: [ScannedBottle], at time: Date) throws(CashRegisterError) -> FiscalReceipt {
        guard !bottles.isEmpty else { throw .emptyReceipt }
        var seen = Set<String>()
        for bottle in bottles where !seen.insert(bottle.item.code).inserted { throw .repeatedCode(bottle.item.code) }
        if case .autonomous(let since) = mode, isBlocked(at: time) { throw .blocked(autonomousSince: since) }
        if let last = lastDocumentAt, time < last { throw .clockBehind(lastDocument: last) }
        var receipt = FiscalReceipt(
            registrationNumber: registrationNumber, factoryNumber: factoryNumber, seller: seller, number: nextNumber,
            dateTime: String(AstanaTime.iso8601(time).dropLast(6)), operation: operation, lines: ReceiptLine.lines(for: bottles))
        if isAutonomous {
            autonomousSignsFormed += 1
            receipt.autonomous = true
            receipt.autonomousSign = FiscalSigns.autonomousSign(for: receipt, counter: autonomousSignsFormed)
            accumulator.append(receipt)
        }
        nextNumber += 1
        lastDocumentAt = time
        return receipt
    }

    /// Sells `bottles` at `time`: online, through the FDO (the answer's fiscal sign goes on the receipt); autonomous, or
    /// when the FDO does not answer (item 29: the register then goes autonomous), with an autonomous sign.
    /// - Throws: ``CashRegisterError/blocked(autonomousSince:)`` after 72 hours autonomous; ``CashRegisterError/refused(_:)``
    ///   when the FDO refused the receipt (its number stays free); the ``form(_:_:at:)`` errors.
    public mutating func sale(_ bottles: [ScannedBottle], at time: Date, via link: any FDOLink) async throws(CashRegisterError) -> FiscalReceipt {
        try await issue(.sale, bottles, at: time, via: link)
    }

    /// Takes `bottles` back at `time` (a return of a sale), as ``sale(_:at:via:)`` does.
    public mutating func saleReturn(_ bottles: [ScannedBottle], at time: Date, via link: any FDOLink) async throws(CashRegisterError) -> FiscalReceipt {
        try await issue(.saleReturn, bottles, at: time, via: link)
    }

    private mutating func issue(_ operation: ReceiptOperation, _ bottles: [ScannedBottle], at time: Date,
                                via link: any FDOLink) async throws(CashRegisterError) -> FiscalReceipt {
        var draft = self
        var receipt = try draft.form(operation, bottles, at: time)
        if draft.isAutonomous {
            self = draft
            return receipt
        }
        do {
            receipt.fiscalSign = try await link.send(receipt).fiscalSign
            self = draft
            return receipt
        } catch .unreachable {
            // The same receipt, same number, formed again autonomously. Had the FDO got it after all, the upload
            // finds the same sale under that number and answers it as a duplicate.
            linkLost(at: time)
            return try form(operation, bottles, at: time)
        } catch {
            throw .refused(error)
        }
    }

    /// What the register sends when its link returns, or nil when its accumulator is empty.
    public func pendingUpload(at time: Date) -> AutonomousUpload? {
        guard !accumulator.isEmpty else { return nil }
        return AutonomousUpload(registrationNumber: registrationNumber, autonomousSeconds: Int(autonomousDuration(at: time).seconds),
                                receipts: accumulator)
    }

    /// The link is back at `time`: sends the accumulated receipts, in order, and goes online once each is answered.
    /// - Returns: how long the register was autonomous (zero when it was online).
    /// - Throws: ``CashRegisterError/unreachable(_:)`` or ``CashRegisterError/refused(_:)``: the register stays autonomous and
    ///   keeps its receipts.
    @discardableResult
    public mutating func reconnect(at time: Date, via link: any FDOLink) async throws(CashRegisterError) -> Duration {
        guard isAutonomous else { return .zero }
        let duration = autonomousDuration(at: time)
        if let upload = pendingUpload(at: time) {
            let answer: AutonomousUploadAnswer
            do {
                answer = try await link.sendAutonomous(upload)
            } catch .unreachable(let reason) {
                throw .unreachable(reason)
            } catch {
                throw .refused(error)
            }
            acknowledge(answer)
        }
        guard accumulator.isEmpty else { throw .unreachable("\(accumulator.count) receipts not answered") }
        mode = .online
        return duration
    }

    /// Removes the receipts the FDO answered from the accumulator.
    public mutating func acknowledge(_ answer: AutonomousUploadAnswer) {
        let answered = Set(answer.receipts.filter { $0.registrationNumber == registrationNumber }.map(\.number))
        accumulator.removeAll { answered.contains($0.number) }
    }
}

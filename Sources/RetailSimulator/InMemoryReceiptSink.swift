import Foundation
import LineCore
import QazAPI

/// A ``ReceiptSink`` in memory that applies the registrar's rules in a simple way, for unit tests: idempotent per
/// (registration number, number), a different body under a stored number is rejected `idempotency_conflict`; each
/// register's receipts are applied in number order from the first one seen, a later one `waiting` until its predecessors
/// arrive; a sale redeems a code its seller holds, a return restores a code the seller's sale redeemed. Failures can be
/// scripted (``failNext(_:)``), and every batch and application is recorded.
public actor InMemoryReceiptSink: ReceiptSink {
    /// Where a code stands in this double.
    public enum CodeState: Sendable, Equatable {
        /// Activated, held by the participant, not sold.
        case inCirculation(holder: TaxpayerID)
        /// Sold at retail by the seller.
        case redeemed(by: TaxpayerID)
    }

    private struct Key: Hashable { var register: String, number: Int }
    private struct Sequence {
        var lastApplied: Int
        var held: [Int: FiscalReceipt] = [:]
    }

    private var holders: [String: TaxpayerID]
    private var redeemed: [String: TaxpayerID] = [:]
    private var sequences: [String: Sequence] = [:]
    private var stored: [Key: (receipt: FiscalReceipt, answer: ReceiptAnswer)] = [:]
    private var script: [ReceiptSinkError] = []
    /// Every batch answered, as it arrived.
    public private(set) var batches: [[FiscalReceipt]] = []
    /// Every ``submit(_:)`` call, answered or failed.
    public private(set) var attempts = 0
    /// Per register, receipt numbers in the order they were applied.
    public private(set) var applied: [String: [Int]] = [:]

    /// - Parameter holdings: activated codes in circulation and who holds each (the sellers' stock).
    public init(holdings: [String: TaxpayerID] = [:]) { holders = holdings }

    /// The next `errors.count` calls of ``submit(_:)`` fail with these, in order, without touching anything.
    public func failNext(_ errors: [ReceiptSinkError]) { script += errors }

    /// Where `code` stands; nil for a code this double does not know.
    public func state(of code: String) -> CodeState? {
        if let seller = redeemed[code] { return .redeemed(by: seller) }
        return holders[code].map { .inCirculation(holder: $0) }
    }

    /// The codes redeemed now.
    public var redeemedCodes: Set<String> { Set(redeemed.keys) }

    /// Every receipt received (each once), by register, in number order.
    public var receipts: [String: [FiscalReceipt]] {
        Dictionary(grouping: stored.values.map(\.receipt), by: \.registrationNumber).mapValues { $0.sorted { $0.number < $1.number } }
    }

    public func submit(_ batch: ReceiptBatch) async throws(ReceiptSinkError) -> ReceiptBatchAnswer {
        attempts += 1
        if !script.isEmpty { throw script.removeFirst() }
        guard batch.receipts.count <= RetailLimits.maxReceiptsPerBatch else {
            throw .refused(status: 413, ErrorBody(code: .batchTooLarge, message: "more than \(RetailLimits.maxReceiptsPerBatch) receipts"))
        }
        batches.append(batch.receipts)
        var immediate: [ReceiptAnswer?] = []
        for receipt in batch.receipts { immediate.append(receive(receipt)) }
        // Each answer as it stands after the whole batch (a waiting receipt whose predecessor came later in it is applied).
        return ReceiptBatchAnswer(receipts: zip(batch.receipts, immediate).map { receipt, answer in
            answer ?? stored[Key(register: receipt.registrationNumber, number: receipt.number)]!.answer
        })
    }

    public func answer(registrationNumber: String, number: Int) async throws(ReceiptSinkError) -> ReceiptAnswer {
        guard let entry = stored[Key(register: registrationNumber, number: number)] else {
            throw .refused(status: 404, ErrorBody(code: .notFound, message: "no receipt \(number) of register \(registrationNumber)"))
        }
        return entry.answer
    }

    /// Stores and applies one receipt; returns an answer that is not stored (a conflict, an invalid receipt), or nil.
    private func receive(_ receipt: FiscalReceipt) -> ReceiptAnswer? {
        let key = Key(register: receipt.registrationNumber, number: receipt.number)
        if let entry = stored[key] {
            if entry.receipt == receipt { return nil }
            return rejection(receipt, ErrorBody(code: .idempotencyConflict, message: "receipt \(receipt.number) was received with another body"))
        }
        guard (12...20).contains(receipt.registrationNumber.count), receipt.number >= 1, receipt.sign != nil else {
            return rejection(receipt, ErrorBody(code: .invalidField, message: "registration number, number or sign"))
        }
        var sequence = sequences[key.register] ?? Sequence(lastApplied: receipt.number - 1)  // the first one seen starts it
        guard receipt.number > sequence.lastApplied else {
            return rejection(receipt, ErrorBody(code: .invalidField, message: "receipt \(receipt.number) precedes the register's sequence"))
        }
        stored[key] = (receipt, ReceiptAnswer(registrationNumber: key.register, number: key.number, state: .waiting,
                                              waitingFor: sequence.lastApplied + 1))
        sequence.held[receipt.number] = receipt
        while let next = sequence.held.removeValue(forKey: sequence.lastApplied + 1) {
            apply(next)
            sequence.lastApplied += 1
        }
        for number in sequence.held.keys { stored[Key(register: key.register, number: number)]!.answer.waitingFor = sequence.lastApplied + 1 }
        sequences[key.register] = sequence
        return nil
    }

    private func rejection(_ receipt: FiscalReceipt, _ error: ErrorBody) -> ReceiptAnswer {
        ReceiptAnswer(registrationNumber: receipt.registrationNumber, number: receipt.number, state: .rejected, error: error)
    }

    private func apply(_ receipt: FiscalReceipt) {
        var seen = Set<String>()
        let lines = receipt.lines.enumerated().map { index, line in
            guard line.quantity == line.markingCodes.count else {
                return ReceiptLineAnswer(index: index, error: "quantity is not the number of marking codes",
                                         codes: line.markingCodes.map { CodeOutcome(markingCode: $0, code: MarkingCodes.code(in: $0), outcome: .lineInvalid) })
            }
            return ReceiptLineAnswer(index: index, codes: line.markingCodes.map { marking in
                guard let code = MarkingCodes.code(in: marking) else { return CodeOutcome(markingCode: marking, code: nil, outcome: .malformed) }
                guard seen.insert(code).inserted else { return CodeOutcome(markingCode: marking, code: code, outcome: .repeated) }
                return CodeOutcome(markingCode: marking, code: code, outcome: outcome(of: code, in: receipt))
            })
        }
        let key = Key(register: receipt.registrationNumber, number: receipt.number)
        stored[key]!.answer = ReceiptAnswer(registrationNumber: key.register, number: key.number, state: .applied,
                                            flags: receipt.autonomous ? [.autonomous] : [], lines: lines, receivedAt: .now, appliedAt: .now)
        applied[key.register, default: []].append(key.number)
    }

    private func outcome(of code: String, in receipt: FiscalReceipt) -> RedemptionOutcome {
        switch receipt.operation {
        case .sale:
            if redeemed[code] != nil { return .alreadyRedeemed }
            guard let holder = holders[code] else { return .unknown }
            guard holder == receipt.seller else { return .notSellers }
            redeemed[code] = receipt.seller
            return .redeemed
        case .saleReturn:
            guard redeemed[code] == receipt.seller else { return .notSold }
            redeemed[code] = nil
            return .restored
        }
    }
}

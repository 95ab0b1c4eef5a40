import Foundation
import LineCore
import Logging
import QazAPI

/// A register's link to the FDO down for a while of simulated time.
public struct Outage: Sendable, Equatable {
    /// The register's index in the simulation.
    public var register: Int
    /// From the schedule's start.
    public var start: Duration
    public var length: Duration
    public init(register: Int, start: Duration, length: Duration) {
        self.register = register
        self.start = start
        self.length = length
    }
}

/// What happens at the tills, in simulated time.
public struct TillSchedule: Sendable {
    /// The simulated start (Astana time on receipts); nil: `length` before the run, so the receipts reach the registrar
    /// as recent ones (a schedule longer than 72 hours then gets its early receipts flagged `beyondAutonomy`).
    public var start: Date?
    public var length: Duration
    /// Customers per hour at each register (Poisson arrivals).
    public var visitsPerHour: Double
    /// Bottles per sale, uniformly.
    public var bottlesPerSale: ClosedRange<Int>
    /// The share of visits that bring a bottle back (when the register sold one).
    public var returnShare: Double
    /// The share of bottles whose marking code is the stamp's whole link (the rest: the bare code).
    public var linkShare: Double
    public var outages: [Outage]
    /// Registers still autonomous at the end come back online then and send their receipts.
    public var reconnectAtEnd: Bool
    public var seed: UInt64

    public init(start: Date? = nil, length: Duration = .seconds(8 * 3600), visitsPerHour: Double = 20, bottlesPerSale: ClosedRange<Int> = 1...3,
                returnShare: Double = 0.03, linkShare: Double = 0.5, outages: [Outage] = [], reconnectAtEnd: Bool = true, seed: UInt64 = 1) {
        self.start = start
        self.length = length
        self.visitsPerHour = visitsPerHour
        self.bottlesPerSale = bottlesPerSale
        self.returnShare = returnShare
        self.linkShare = linkShare
        self.outages = outages
        self.reconnectAtEnd = reconnectAtEnd
        self.seed = seed
    }
}

/// Why a simulation cannot start.
public enum TillError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No register.
    case noRegisters
    /// A register sells for another BIN than the shop's.
    case registerOfAnotherSeller(String)
    /// Two registers share a registration number.
    case duplicateRegister(String)
    /// A schedule value out of range; names the field.
    case invalidSchedule(String)

    public var description: String {
        switch self {
        case .noRegisters: "a simulation needs a register"
        case .registerOfAnotherSeller(let number): "register \(number) sells for another BIN than the shop's"
        case .duplicateRegister(let number): "register \(number) twice"
        case .invalidSchedule(let field): "schedule: \(field)"
        }
    }
}

/// What a simulation did, and what the registrar answered.
public struct TillSummary: Sendable {
    /// Receipts formed, sales and returns.
    public var receipts = 0
    public var saleReceipts = 0
    public var returnReceipts = 0
    public var lines = 0
    /// Bottles on sale receipts and on return receipts.
    public var codesSold = 0
    public var codesReturned = 0
    /// Receipts formed in autonomous mode.
    public var autonomousReceipts = 0
    /// Customers a blocked register (over 72 hours autonomous) turned away.
    public var blockedVisits = 0
    /// Sales not made: the shelf was empty.
    public var emptyShelf = 0
    /// Receipts the FDO refused, and reconnections that failed.
    public var refused = 0
    public var failedReconnects = 0
    /// The longest a register worked autonomously (from losing the link to its receipts answered), simulated time.
    public var maxOffline: Duration = .zero
    /// Registers still autonomous at the end, with receipts unsent.
    public var stillAutonomous = 0
    /// The relay's counts once it settled (or gave up waiting); nil without a relay.
    public var relay: RelaySnapshot?
    /// Whether the relay forwarded everything and nothing was left waiting.
    public var settled = false
    /// The codes that should be redeemed at the end: sold minus returned.
    public var expectedRedeemed: Set<String> = []

    /// Codes redeemed and restored per the registrar's answers.
    public var codesRedeemed: Int { relay?.outcomes[.redeemed] ?? 0 }
    public var codesRestored: Int { relay?.outcomes[.restored] ?? 0 }
}

/// Drives a shop's registers through a schedule of simulated time as fast as the machine allows: customers arrive,
/// bottles are drawn from the stock and sold (now and then one comes back, through the register that sold it), links drop
/// and return, and every receipt goes through an ``FDOLink`` to the relay. Nothing sleeps: receipt times come from the
/// simulated clock. Once every register's receipts have reached the registrar, the codes it holds redeemed are the
/// summary's ``TillSummary/expectedRedeemed``.
public struct TillSimulation: Sendable {
    public let schedule: TillSchedule
    /// The shop and the registers as they are (after ``run(via:relay:settleTimeout:)``: at the end).
    public private(set) var shop: Shop
    public private(set) var registers: [CashRegister]
    private let logger: Logger

    /// - Throws: ``TillError``.
    public init(shop: Shop, registers: [CashRegister], schedule: TillSchedule, logger: Logger) throws(TillError) {
        guard !registers.isEmpty else { throw .noRegisters }
        var numbers = Set<String>()
        for register in registers {
            guard register.seller == shop.seller else { throw .registerOfAnotherSeller(register.registrationNumber) }
            guard numbers.insert(register.registrationNumber).inserted else { throw .duplicateRegister(register.registrationNumber) }
        }
        guard schedule.length > .zero else { throw .invalidSchedule("length must be > 0") }
        guard schedule.visitsPerHour >= 0, schedule.visitsPerHour.isFinite else { throw .invalidSchedule("visitsPerHour must be ≥ 0") }
        guard schedule.bottlesPerSale.lowerBound >= 1 else { throw .invalidSchedule("bottlesPerSale must start at 1 or more") }
        guard (0...1).contains(schedule.returnShare) else { throw .invalidSchedule("returnShare must be within 0…1") }
        guard (0...1).contains(schedule.linkShare) else { throw .invalidSchedule("linkShare must be within 0…1") }
        for (index, outage) in schedule.outages.enumerated() {
            guard registers.indices.contains(outage.register) else { throw .invalidSchedule("outages[\(index)].register: no register \(outage.register)") }
            guard outage.start >= .zero, outage.length > .zero else { throw .invalidSchedule("outages[\(index)]: start ≥ 0 and length > 0") }
        }
        self.shop = shop
        self.registers = registers
        self.schedule = schedule
        self.logger = logger
    }

    private enum Event: Comparable {
        case linkLost(Int)
        case linkBack(Int)
        case visit(Int)
        var rank: Int {
            switch self {
            case .linkBack: 0
            case .linkLost: 1
            case .visit: 2
            }
        }
        var register: Int {
            switch self {
            case .linkLost(let r), .linkBack(let r), .visit(let r): r
            }
        }
        static func < (a: Event, b: Event) -> Bool { (a.rank, a.register) < (b.rank, b.register) }
    }

    /// Runs the schedule; then, with a relay, waits (at most `settleTimeout` of real time) until it has forwarded
    /// everything and the registrar has applied everything, and reads its counts.
    /// - Parameters:
    ///   - link: how registers reach the FDO (an ``HTTPFDOLink`` to the relay, or the relay itself).
    ///   - relay: the relay whose counts the summary reports.
    ///   - settleTimeout: the longest wait for the relay to settle.
    public mutating func run(via link: any FDOLink, relay: FDORelay? = nil, settleTimeout: Duration = .seconds(60)) async -> TillSummary {
        var generator = SplitMix64(seed: schedule.seed)
        let start = schedule.start ?? Date().addingTimeInterval(-schedule.length.seconds)
        let hours = schedule.length.seconds / 3600
        var events: [(offset: Double, event: Event)] = []
        for register in registers.indices where schedule.visitsPerHour > 0 {
            var hour = 0.0
            while true {
                hour += -log(1 - Double.random(in: 0..<1, using: &generator)) / schedule.visitsPerHour
                guard hour < hours else { break }
                events.append((hour * 3600, .visit(register)))
            }
        }
        for outage in schedule.outages {
            events.append((outage.start.seconds, .linkLost(outage.register)))
            let end = (outage.start + outage.length).seconds
            if end < schedule.length.seconds { events.append((end, .linkBack(outage.register))) }
        }
        events.sort { ($0.offset, $0.event) < ($1.offset, $1.event) }

        var summary = TillSummary()
        var linkDown = Array(repeating: false, count: registers.count)
        for (offset, event) in events {
            let time = start.addingTimeInterval(offset)
            switch event {
            case .linkLost(let r):
                linkDown[r] = true
                registers[r].linkLost(at: time)
            case .linkBack(let r):
                linkDown[r] = false
                await bringOnline(r, at: time, link: link, summary: &summary)
            case .visit(let r):
                // A register that went autonomous because the FDO did not answer tries again at its next customer.
                if !linkDown[r], registers[r].isAutonomous { await bringOnline(r, at: time, link: link, summary: &summary) }
                guard !registers[r].isBlocked(at: time) else {
                    summary.blockedVisits += 1
                    continue
                }
                if Double.random(in: 0..<1, using: &generator) < schedule.returnShare,
                   let sale = shop.returnCandidate(register: r, using: &generator) {
                    await bringBack(sale, register: r, at: time, link: link, generator: &generator, summary: &summary)
                } else {
                    await sell(register: r, at: time, link: link, generator: &generator, summary: &summary)
                }
            }
        }

        let end = start.addingTimeInterval(schedule.length.seconds)
        for r in registers.indices where registers[r].isAutonomous {
            if schedule.reconnectAtEnd { await bringOnline(r, at: end, link: link, summary: &summary) }
            if registers[r].isAutonomous {
                summary.stillAutonomous += 1
                summary.maxOffline = max(summary.maxOffline, registers[r].autonomousDuration(at: end))
            }
        }
        summary.expectedRedeemed = shop.expectedRedeemed
        if let relay {
            summary.settled = await relay.waitUntilSettled(timeout: settleTimeout)
            summary.relay = relay.snapshot()
        }
        logger.info("Till simulation finished", metadata: [
            "till.receipts": "\(summary.receipts)", "till.autonomous": "\(summary.autonomousReceipts)",
            "till.codes_sold": "\(summary.codesSold)", "till.codes_returned": "\(summary.codesReturned)",
            "till.max_offline": "\(summary.maxOffline)", "till.settled": "\(summary.settled)"])
        return summary
    }

    private mutating func sell(register r: Int, at time: Date, link: any FDOLink, generator: inout SplitMix64,
                               summary: inout TillSummary) async {
        let wanted = Int.random(in: schedule.bottlesPerSale, using: &generator)
        let items: [StockItem]
        do throws(ShopError) {
            items = try shop.take(min(wanted, shop.stock.count), using: &generator)
        } catch {
            return
        }
        guard !items.isEmpty else {
            summary.emptyShelf += 1
            return
        }
        let bottles = items.map { ScannedBottle($0, as: Double.random(in: 0..<1, using: &generator) < schedule.linkShare ? .link : .bare) }
        do throws(CashRegisterError) {
            let receipt = try await registers[r].sale(bottles, at: time, via: link)
            try? shop.recordSale(items, register: r)
            Self.tally(receipt, into: &summary)
        } catch {
            try? shop.putBack(items)
            note(error, register: r, summary: &summary)
        }
    }

    private mutating func bringBack(_ sale: Shop.Sale, register r: Int, at time: Date, link: any FDOLink, generator: inout SplitMix64,
                                    summary: inout TillSummary) async {
        let bottle = ScannedBottle(sale.item, as: Double.random(in: 0..<1, using: &generator) < schedule.linkShare ? .link : .bare)
        do throws(CashRegisterError) {
            let receipt = try await registers[r].saleReturn([bottle], at: time, via: link)
            _ = try? shop.takeBack(sale.item.code, shelve: !receipt.autonomous)
            Self.tally(receipt, into: &summary)
        } catch {
            note(error, register: r, summary: &summary)
        }
    }

    private mutating func bringOnline(_ r: Int, at time: Date, link: any FDOLink, summary: inout TillSummary) async {
        do throws(CashRegisterError) {
            let offline = try await registers[r].reconnect(at: time, via: link)
            summary.maxOffline = max(summary.maxOffline, offline)
            shop.shelveReturns(register: r)
        } catch {
            summary.failedReconnects += 1
            logger.debug("Register still autonomous", metadata: ["till.register": "\(registers[r].registrationNumber)", "till.reason": "\(error)"])
        }
    }

    private func note(_ error: CashRegisterError, register r: Int, summary: inout TillSummary) {
        if case .blocked = error { summary.blockedVisits += 1 } else { summary.refused += 1 }
        logger.debug("No receipt", metadata: ["till.register": "\(registers[r].registrationNumber)", "till.reason": "\(error)"])
    }

    private static func tally(_ receipt: FiscalReceipt, into summary: inout TillSummary) {
        let codes = receipt.lines.reduce(0) { $0 + $1.markingCodes.count }
        summary.receipts += 1
        summary.lines += receipt.lines.count
        if receipt.autonomous { summary.autonomousReceipts += 1 }
        switch receipt.operation {
        case .sale:
            summary.saleReceipts += 1
            summary.codesSold += codes
        case .saleReturn:
            summary.returnReceipts += 1
            summary.codesReturned += codes
        }
    }
}

extension CashRegister {
    /// A plausible register of `seller`: registration number `6200` + `index` (12 digits), factory number `ZNM` + `index`.
    public static func sample(_ index: Int, seller: TaxpayerID) -> CashRegister {
        // 12 characters always: the numbers are valid by construction.
        try! CashRegister(registrationNumber: "6200" + String(abs(index) % 100_000_000).leftPadded(8),
                          factoryNumber: "ZNM" + String(abs(index)).leftPadded(6), seller: seller)
    }
}

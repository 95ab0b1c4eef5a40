import LineCore
import QazAPI

/// Why a shop could not do what was asked.
public enum ShopError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The same stamp code twice in the stock given.
    case duplicateStock(String)
    /// Fewer bottles on the shelf than asked for.
    case outOfStock(wanted: Int, left: Int)
    /// A return of a bottle the shop has not sold (or took back already).
    case notSold(String)
    /// A bottle put back that is already on the shelf or sold.
    case notTaken(String)

    public var description: String {
        switch self {
        case .duplicateStock(let code): "code \(code) twice in the stock"
        case .outOfStock(let wanted, let left): "\(wanted) bottles wanted, \(left) left"
        case .notSold(let code): "bottle \(code) was not sold here"
        case .notTaken(let code): "bottle \(code) was not taken from the shelf"
        }
    }
}

/// A shop: its BIN, the marked bottles it received under counter-orders (its stock) and the bottles it sold. A bottle is
/// on the shelf, taken (on its way through a till), sold, or returned and set aside — never two of these at once, so it
/// is never sold twice; only a sold bottle can come back.
///
/// A bottle returned at a register working autonomously is set aside until that register's receipts reach the FDO
/// (``shelveReturns(register:)``): sold again at another register meanwhile, its new sale could reach the registrar before
/// the return and be answered `alreadyRedeemed` — the registrar keeps each register's order, not an order across registers.
public struct Shop: Sendable {
    /// A sold bottle: what it is and which register sold it (a return goes through the same register, so the registrar
    /// applies the sale before the return: it keeps each register's receipts in order).
    public struct Sale: Sendable, Equatable {
        public var item: StockItem
        public var register: Int
    }

    public let seller: TaxpayerID
    /// The bottles on the shelf.
    public private(set) var stock: [StockItem]
    /// The bottles sold and not returned, by code.
    public private(set) var sold: [String: Sale] = [:]
    /// Bottles returned at an autonomous register, by register, until its receipts reach the FDO.
    public private(set) var setAside: [Int: [StockItem]] = [:]
    private var taken: Set<String> = []
    private var soldBy: [Int: [String]] = [:]

    /// - Throws: ``ShopError/duplicateStock(_:)``.
    public init(seller: TaxpayerID, stock: [StockItem]) throws(ShopError) {
        var seen = Set<String>()
        for item in stock where !seen.insert(item.code).inserted { throw .duplicateStock(item.code) }
        self.seller = seller
        self.stock = stock
    }

    /// The codes that should be redeemed at the registrar now: sold minus returned.
    public var expectedRedeemed: Set<String> { Set(sold.keys) }

    /// Takes `count` bottles off the shelf at random (put them back with ``putBack(_:)`` if the sale does not happen).
    /// - Throws: ``ShopError/outOfStock(wanted:left:)`` without taking any.
    public mutating func take(_ count: Int, using generator: inout some RandomNumberGenerator) throws(ShopError) -> [StockItem] {
        guard count <= stock.count else { throw .outOfStock(wanted: count, left: stock.count) }
        var items: [StockItem] = []
        for _ in 0..<count {
            let index = Int.random(in: stock.indices, using: &generator)
            stock.swapAt(index, stock.count - 1)
            let item = stock.removeLast()
            taken.insert(item.code)
            items.append(item)
        }
        return items
    }

    /// Puts back bottles taken for a sale that did not happen.
    /// - Throws: ``ShopError/notTaken(_:)`` for a bottle that was not taken (nothing is put back).
    public mutating func putBack(_ items: [StockItem]) throws(ShopError) {
        for item in items where !taken.contains(item.code) { throw .notTaken(item.code) }
        for item in items { taken.remove(item.code) }
        stock += items
    }

    /// Records the sale of taken bottles by register `register`.
    /// - Throws: ``ShopError/notTaken(_:)`` for a bottle that was not taken (nothing is recorded).
    public mutating func recordSale(_ items: [StockItem], register: Int) throws(ShopError) {
        for item in items where !taken.contains(item.code) { throw .notTaken(item.code) }
        for item in items {
            taken.remove(item.code)
            sold[item.code] = Sale(item: item, register: register)
            soldBy[register, default: []].append(item.code)
        }
    }

    /// A bottle register `register` sold, picked at random, to bring back; nil if it sold none.
    public func returnCandidate(register: Int, using generator: inout some RandomNumberGenerator) -> Sale? {
        guard let codes = soldBy[register], !codes.isEmpty else { return nil }
        return sold[codes[Int.random(in: codes.indices, using: &generator)]]
    }

    /// Takes a sold bottle back (after its return receipt): onto the shelf, or set aside while the return receipt waits
    /// in an autonomous register's accumulator.
    /// - Parameters:
    ///   - code: the bottle's stamp code.
    ///   - shelve: false when the return receipt was formed autonomously.
    /// - Throws: ``ShopError/notSold(_:)``.
    @discardableResult
    public mutating func takeBack(_ code: String, shelve: Bool = true) throws(ShopError) -> StockItem {
        guard let sale = sold.removeValue(forKey: code) else { throw .notSold(code) }
        if let index = soldBy[sale.register]?.firstIndex(of: code) { soldBy[sale.register]?.remove(at: index) }
        if shelve { stock.append(sale.item) } else { setAside[sale.register, default: []].append(sale.item) }
        return sale.item
    }

    /// Register `register`'s receipts reached the FDO: the bottles returned there go back on the shelf.
    public mutating func shelveReturns(register: Int) {
        stock += setAside.removeValue(forKey: register) ?? []
    }
}

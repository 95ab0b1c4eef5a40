import QazAPI
@testable import RetailSimulator
import Testing

@Suite("Shop: a bottle is on the shelf, taken or sold; only sold ones come back")
struct ShopTests {
    @Test("the same code twice in stock is refused")
    func duplicateStock() {
        #expect(throws: ShopError.duplicateStock("QZRS0000000000000001")) {
            try Shop(seller: shopBIN, stock: [StockItem(code: "QZRS0000000000000001", product: .sample(0)),
                                              StockItem(code: "QZRS0000000000000001", product: .sample(1))])
        }
    }

    @Test("taking until the shelf is empty never gives a bottle twice")
    func neverTwice() throws {
        var shop = try makeShop(stampCodes(100))
        var generator = SplitMix64(seed: 7)
        var taken: [String] = []
        while !shop.stock.isEmpty {
            let items = try shop.take(min(3, shop.stock.count), using: &generator)
            try shop.recordSale(items, register: 0)
            taken += items.map(\.code)
        }
        #expect(taken.count == 100 && Set(taken).count == 100)
        #expect(throws: ShopError.outOfStock(wanted: 1, left: 0)) { try shop.take(1, using: &generator) }
        #expect(shop.expectedRedeemed == Set(stampCodes(100)))
    }

    @Test("a sale that did not happen puts its bottles back; only taken bottles can be put back or sold")
    func putBack() throws {
        var shop = try makeShop(stampCodes(5))
        var generator = SplitMix64(seed: 1)
        let items = try shop.take(2, using: &generator)
        #expect(shop.stock.count == 3)
        try shop.putBack(items)
        #expect(shop.stock.count == 5 && shop.sold.isEmpty)
        #expect(throws: ShopError.notTaken(items[0].code)) { try shop.putBack([items[0]]) }
        #expect(throws: ShopError.notTaken(items[0].code)) { try shop.recordSale([items[0]], register: 0) }
    }

    @Test("returns: only of a bottle sold, through the register that sold it; it goes back on the shelf and may sell again")
    func returns() throws {
        var shop = try makeShop(stampCodes(4))
        var generator = SplitMix64(seed: 3)
        #expect(shop.returnCandidate(register: 0, using: &generator) == nil)
        #expect(throws: ShopError.notSold(stampCodes(4)[0])) { try shop.takeBack(stampCodes(4)[0]) }
        let items = try shop.take(2, using: &generator)
        try shop.recordSale(items, register: 1)
        #expect(shop.returnCandidate(register: 0, using: &generator) == nil)
        let sale = try #require(shop.returnCandidate(register: 1, using: &generator))
        #expect(items.contains(sale.item) && sale.register == 1)
        try shop.takeBack(sale.item.code)
        #expect(throws: ShopError.notSold(sale.item.code)) { try shop.takeBack(sale.item.code) }
        #expect(shop.expectedRedeemed == Set(items.map(\.code)).subtracting([sale.item.code]) && shop.stock.count == 3)
        #expect(shop.returnCandidate(register: 1, using: &generator)?.item.code != sale.item.code)
    }

    @Test("a bottle returned at an autonomous register is set aside until that register's receipts reach the FDO")
    func setAside() throws {
        var shop = try makeShop(stampCodes(3))
        var generator = SplitMix64(seed: 5)
        let items = try shop.take(2, using: &generator)
        try shop.recordSale([items[0]], register: 0)
        try shop.recordSale([items[1]], register: 1)
        try shop.takeBack(items[0].code, shelve: false)
        try shop.takeBack(items[1].code)
        #expect(shop.stock.count == 2 && shop.setAside == [0: [items[0]]] && shop.expectedRedeemed.isEmpty)
        shop.shelveReturns(register: 1)
        #expect(shop.stock.count == 2)
        shop.shelveReturns(register: 0)
        #expect(shop.stock.count == 3 && shop.setAside.isEmpty)
    }
}

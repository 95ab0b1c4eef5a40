import QazAPI

/// A product as the National Catalogue of Goods lists it (order No 626 cl. 56(7), (8)).
public struct CatalogueProduct: Hashable, Sendable, Codable {
    /// The goods' 13-digit code in the National Catalogue (EAN-13 shaped: the last digit is the check digit).
    public var catalogueCode: String
    /// The name as printed on the receipt.
    public var name: String

    public init(catalogueCode: String, name: String) {
        self.catalogueCode = catalogueCode
        self.name = name
    }

    /// A plausible catalogue product: `487` (Kazakhstan's GS1 prefix), nine digits from `index`, the EAN-13 check digit.
    public static func sample(_ index: Int, name: String? = nil) -> CatalogueProduct {
        let body = "487" + String(abs(index) % 1_000_000_000).leftPadded(9)
        let digits = body.utf8.map { Int($0) - 48 }
        let sum = digits.enumerated().reduce(0) { $0 + $1.element * ($1.offset % 2 == 0 ? 1 : 3) }
        return CatalogueProduct(catalogueCode: body + String((10 - sum % 10) % 10), name: name ?? "Vodka \(index) 0.5 l")
    }
}

/// One marked bottle on a shop's shelf: its stamp code and its product.
public struct StockItem: Hashable, Sendable, Codable {
    /// The stamp code (the registrar's code, as issued).
    public var code: String
    public var product: CatalogueProduct
    public init(code: String, product: CatalogueProduct) {
        self.code = code
        self.product = product
    }
}

/// How the till's scanner passed a stamp's QR on: the whole link, or the code alone (both are marking codes).
public enum MarkingForm: String, Sendable, Codable, CaseIterable {
    case link
    case bare
}

/// A bottle as scanned at the till.
public struct ScannedBottle: Hashable, Sendable {
    public var item: StockItem
    public var form: MarkingForm
    public init(_ item: StockItem, as form: MarkingForm = .link) {
        self.item = item
        self.form = form
    }

    /// The marking code as it goes on the receipt.
    public var markingCode: String {
        form == .link ? RetailSimulator.qrLinkPrefix + item.code : item.code
    }
}

public enum MarkingCodes {
    /// The stamp code a marking code carries: the bare code (16–40 of 0-9 A-Z) or the last segment of the stamp's link;
    /// nil when it is neither.
    public static func code(in markingCode: String) -> String? {
        var text = Substring(markingCode)
        if text.hasPrefix("https://") || text.hasPrefix("http://") {
            guard let slash = text.lastIndex(of: "/") else { return nil }
            text = text[text.index(after: slash)...]
        }
        guard (16...40).contains(text.utf8.count),
              text.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) }) else { return nil }
        return String(text)
    }
}

extension ReceiptLine {
    /// Receipt lines for scanned bottles: one line per product, in the order products were first scanned; a line's
    /// quantity is its number of marking codes (a marked bottle is one unit).
    public static func lines(for bottles: [ScannedBottle]) -> [ReceiptLine] {
        var order: [CatalogueProduct] = []
        var codes: [CatalogueProduct: [String]] = [:]
        for bottle in bottles {
            if codes[bottle.item.product] == nil { order.append(bottle.item.product) }
            codes[bottle.item.product, default: []].append(bottle.markingCode)
        }
        return order.map { product in
            let marking = codes[product] ?? []
            return ReceiptLine(catalogueCode: product.catalogueCode, name: product.name, quantity: marking.count, markingCodes: marking)
        }
    }
}

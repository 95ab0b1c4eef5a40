import QazAPI
@testable import RetailSimulator
import Testing

@Suite("Digests, catalogue codes, marking codes")
struct DigestsTests {
    @Test("SHA-256 matches the FIPS 180-4 examples")
    func sha256() {
        #expect(Digests.hex(Digests.sha256("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digests.hex(Digests.sha256("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digests.hex(Digests.sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(Digests.hex(Digests.sha256(Array(repeating: UInt8(ascii: "a"), count: 1_000)))
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test("catalogue codes are 13 digits with an EAN-13 check digit")
    func catalogueCodes() {
        for index in [0, 1, 7, 123_456_789] {
            let code = CatalogueProduct.sample(index).catalogueCode
            #expect(code.count == 13 && code.hasPrefix("487") && code.allSatisfy(\.isNumber))
            let digits = code.utf8.map { Int($0) - 48 }
            #expect(digits.enumerated().reduce(0) { $0 + $1.element * ($1.offset % 2 == 0 ? 1 : 3) } % 10 == 0)
        }
        #expect(CatalogueProduct.sample(1) != CatalogueProduct.sample(2))
    }

    @Test("a marking code is the stamp's link or the bare code")
    func markingCodes() {
        let code = "QZRS0000000000000042"
        #expect(MarkingCodes.code(in: RetailSimulator.qrLinkPrefix + code) == code)
        #expect(MarkingCodes.code(in: code) == code)
        #expect(MarkingCodes.code(in: "qzrs0000000000000042") == nil)
        #expect(MarkingCodes.code(in: "SHORT") == nil)
        #expect(ScannedBottle(StockItem(code: code, product: .sample(0)), as: .link).markingCode == "https://qr.example.kz/c/" + code)
        #expect(ScannedBottle(StockItem(code: code, product: .sample(0)), as: .bare).markingCode == code)
    }

    @Test("receipt lines: one per product, quantity = codes, in scanning order")
    func lines() {
        let a = CatalogueProduct.sample(1), b = CatalogueProduct.sample(2)
        let lines = ReceiptLine.lines(for: [
            ScannedBottle(StockItem(code: "QZRS0000000000000001", product: a), as: .link),
            ScannedBottle(StockItem(code: "QZRS0000000000000002", product: b), as: .bare),
            ScannedBottle(StockItem(code: "QZRS0000000000000003", product: a), as: .bare),
        ])
        #expect(lines.map(\.catalogueCode) == [a.catalogueCode, b.catalogueCode])
        #expect(lines.map(\.quantity) == [2, 1])
        #expect(lines[0].markingCodes == ["https://qr.example.kz/c/QZRS0000000000000001", "QZRS0000000000000003"])
    }

    @Test("the FDO's sign is 10 hex digits of SHA-256 of the receipt's facts; signs ignore the signs themselves")
    func signs() {
        var receipt = FiscalReceipt(registrationNumber: "620000000001", factoryNumber: "ZNM000001", seller: shopBIN, number: 1,
                                    dateTime: "2026-11-20T10:00:00", lines: [ReceiptLine(catalogueCode: "4870000000007", quantity: 0, markingCodes: [])])
        let sign = FiscalSigns.fiscalSign(for: receipt)
        #expect(sign.count == 10 && sign.allSatisfy(\.isHexDigit))
        #expect(sign == String(Digests.hex(Digests.sha256(FiscalSigns.canonicalFacts(of: receipt).utf8)).prefix(10)))
        receipt.fiscalSign = sign
        #expect(FiscalSigns.fiscalSign(for: receipt) == sign)
        receipt.number = 2
        #expect(FiscalSigns.fiscalSign(for: receipt) != sign)
        let autonomous = FiscalSigns.autonomousSign(for: receipt, counter: 42)
        #expect(autonomous.hasPrefix("A00000042") && autonomous.count == 17)
    }
}

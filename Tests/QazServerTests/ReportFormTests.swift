import Foundation
import LineCore
import QazAPI
@testable import QazServer
import Testing

/// The text of order No 288 (seed Doc 000) as the forms' source: the test reads the seed file and extracts the lines
/// by their neighbours, so the expected Kazakh text lives only in the seed. `QAZ_SEED_DOC000` names the file; by default
/// it is `../shared/seeds/000_f5b57689aff61089.txt` beside the package.
struct Order288Text {
    /// The seed with PDF-extraction line breaks undone: lines trimmed, blank lines dropped, joined and every run of
    /// white space made one space.
    let flat: String

    static let url: URL = {
        if let path = ProcessInfo.processInfo.environment["QAZ_SEED_DOC000"] { return URL(fileURLWithPath: path) }
        return ContractDocumentTests.root.deletingLastPathComponent().appendingPathComponent("shared/seeds/000_f5b57689aff61089.txt")
    }()
    static var isPresent: Bool { FileManager.default.fileExists(atPath: url.path) }

    init() throws {
        let text = try String(contentsOf: Self.url, encoding: .utf8)
        flat = Self.normalized(text)
    }

    /// Runs of white space (line breaks included) as one space, trimmed.
    static func normalized(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// The text between `start` and `end` (neither included), from `from` on.
    func between(_ start: String, _ end: String, in text: Substring? = nil) throws -> Substring {
        let text = text ?? flat[...]
        let from = try #require(text.range(of: start), "seed: no \(start.debugDescription)")
        let to = try #require(text[from.upperBound...].range(of: end), "seed: no \(end.debugDescription) after \(start.debugDescription)")
        return text[from.upperBound..<to.lowerBound]
    }

    /// The Rules' own title: what the order's approval stamp («№ 288 бұйрығымен бекітілген») heads, before chapter 1.
    func rulesTitle() throws -> String { String(try between("бұйрығымен бекітілген ", " 1-тарау.")) }

    /// Appendix `n` of the Rules: from its header («…қағидалары мен мерзіміне N-қосымша нысан», which starts at the
    /// last «QazTrack» before «N-қосымша нысан») to the end of its abbreviation notes.
    func appendix(_ n: Int) throws -> (header: String, body: Substring) {
        let marker = "\(n)-қосымша нысан"
        let at = try #require(flat.range(of: marker + " "), "seed: no \(marker)")
        let start = try #require(flat[..<at.lowerBound].range(of: "«QazTrack»", options: .backwards))
        let notesEnd = "ЭЦҚ – электрондық цифрлық қолтаңба."
        let end = try #require(flat[at.upperBound...].range(of: notesEnd))
        return (String(flat[start.lowerBound..<at.upperBound]).trimmingCharacters(in: .whitespaces), flat[at.upperBound..<end.upperBound])
    }

    /// `text` up to the first `end` (not included).
    static func upTo(_ end: String, in text: Substring) throws -> String {
        let to = try #require(text.range(of: end), "seed: no \(end.debugDescription)")
        return String(text[..<to.lowerBound])
    }

    /// The text ending with the first `end` (included) and starting at the last `start` before it.
    static func last(_ start: String, through end: String, in text: Substring) throws -> Substring {
        let to = try #require(text.range(of: end), "seed: no \(end.debugDescription)")
        let from = try #require(text[..<to.lowerBound].range(of: start, options: .backwards), "seed: no \(start.debugDescription) before \(end.debugDescription)")
        return text[from.lowerBound..<to.upperBound]
    }

    /// The sentences of `text` from the first one starting with `start`: `count` of them, each with its full stop.
    static func sentences(_ text: Substring, from start: String, count: Int) throws -> [String] {
        let at = try #require(text.range(of: start), "seed: no \(start.debugDescription)")
        var rest = text[at.lowerBound...]
        var found = [String]()
        while found.count < count, let stop = rest.range(of: ". ") ?? (rest.hasSuffix(".") ? rest.index(before: rest.endIndex)..<rest.endIndex : nil) {
            found.append(String(rest[..<rest.index(after: stop.lowerBound)]))
            rest = rest[stop.upperBound...]
        }
        return found
    }
}

/// The rendered page as text: tags as spaces, the few entities the pages use decoded, white space runs as one space.
func pageText(_ html: String) -> String {
    let text = html.replacing(try! Regex("<[^>]*>"), with: " ").replacingOccurrences(of: "&nbsp;", with: " ")
        .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    return Order288Text.normalized(text)
}

@Suite("The printable App. 9 and App. 10 forms carry order No 288's text character for character (read from the seed)",
       .enabled(if: Order288Text.isPresent, "the seed text of order No 288 is not at \(Order288Text.url.path) (set QAZ_SEED_DOC000)"))
struct ReportFormTests {
    static let month = ReportingMonth("2026-11")!
    static let time = Timestamp(text: "2026-12-01T09:00:00+05:00")!
    static let counters = [MonthlyCounters(participant: producerA, month: ReportingMonth("2026-10")!, received: 10, activated: 2, writtenOff: 0),
                           MonthlyCounters(participant: producerA, month: month, received: 5, activated: 4, writtenOff: 1)]

    static func app9() -> String {
        pageText(ReportCalculator.activation(participant: producerA, name: "Qazaq Spirits LLP", month: month, counters: counters, generatedAt: time).html)
    }

    static func app10() -> String {
        pageText(ReportCalculator.usage(participant: producerA, name: "Qazaq Spirits LLP", month: month, counters: counters, generatedAt: time).html)
    }

    @Test("both forms: the appendix header («…қағидалары мен мерзіміне N-қосымша нысан»), the Rules' own title, the signature block and the notes as printed")
    func common() throws {
        let seed = try Order288Text()
        let rules = try seed.rulesTitle()
        #expect(rules.hasPrefix("«QazTrack»") && rules.hasSuffix("мерзімі"), "extracted: \(rules)")
        for (n, page) in [(9, Self.app9()), (10, Self.app10())] {
            let (header, body) = try seed.appendix(n)
            #expect(page.contains(header), "App. \(n): no appendix header \(header)")
            // The Rules named by their own title (not only inside the header's dative «…мерзіміне»)
            #expect(page.contains(rules + " "), "App. \(n): the Rules' title \(rules) is not printed")
            // The signature block: the three sentences from «Қол қойылды», as the blank form prints them
            let signature = try Order288Text.sentences(body, from: "Қол қойылды", count: 3)
            #expect(signature.count == 3)
            for line in signature { #expect(page.contains(line), "App. \(n): no signature line \(line)") }
            // The abbreviation notes
            let notes = try seed.between("уақыты. ", "ЭЦҚ – электрондық цифрлық қолтаңба.", in: body) + "ЭЦҚ – электрондық цифрлық қолтаңба."
            let heading = try #require(notes.range(of: "жазылуы:"))
            #expect(page.contains(String(notes[..<heading.upperBound])), "App. \(n): no notes heading")
            for item in notes[heading.upperBound...].split(separator: ";") {
                let line = item.trimmingCharacters(in: .whitespaces)
                #expect(page.contains(line), "App. \(n): no note \(line)")
            }
        }
    }

    @Test("App. 9: its title, the identity caption and «…ұсынады.» line, the columns and «…таныстым.» as printed")
    func app9() throws {
        let seed = try Order288Text()
        let (_, body) = try seed.appendix(9)
        let page = Self.app9()
        // The title runs up to the two blank lines (underscores) of the identity block
        let title = try Order288Text.upTo(" _", in: body)
        #expect(title.hasSuffix("туралы мәліметтер"), "extracted: \(title)")
        #expect(page.contains(title), "no title \(title)")
        // «…мәліметтерді ұсынады.», and the caption between the blank lines and it
        let submits = try Order288Text.last("«QazTrack»", through: "ұсынады.", in: body)
        #expect(page.contains(String(submits)), "no line \(submits)")
        let beforeSubmits = body[..<submits.startIndex]
        let blank = try #require(beforeSubmits.range(of: "_ ", options: .backwards))
        let caption = beforeSubmits[blank.upperBound...].trimmingCharacters(in: .whitespaces)
        #expect(caption.hasPrefix("ЖСН/БСН") && page.contains(caption), "no identity caption \(caption)")
        // «…қағидалары мен мерзімімен таныстым.» after the table
        let readRules = String(try Order288Text.last("«QazTrack»", through: "таныстым.", in: body))
        #expect(readRules.count > 100 && page.contains(readRules), "no acknowledgement \(readRules)")
        // The participant fills the identity lines; the form prints no period (only the helper text names the month)
        let html = ReportCalculator.activation(participant: producerA, name: "Qazaq Spirits LLP", month: Self.month, counters: Self.counters,
                                               generatedAt: Self.time).html
        #expect(htmlFigures(html)["participant"] == producerA.rawValue && html.contains("</span>, Qazaq Spirits LLP</p>"))
        #expect(!page.contains("есептік кезең"))
    }

    @Test("App. 10: its title and the period line filled as printed («есептік кезең 2026 жылғы қараша айы»); no acknowledgement")
    func app10() throws {
        let seed = try Order288Text()
        let (_, body) = try seed.appendix(10)
        let page = Self.app10()
        let title = try Order288Text.upTo(" есептік кезең", in: body)
        #expect(title.hasSuffix("туралы есеп"), "extracted: \(title)")
        #expect(page.contains(title), "no title \(title)")
        let period = "есептік кезең" + (try seed.between("есептік кезең", " ЖСН", in: body))
        #expect(period.contains("20__") && period.contains("____"), "extracted: \(period)")
        let filled = period.replacingOccurrences(of: "20__", with: "2026").replacingOccurrences(of: "____", with: "қараша")
        #expect(page.contains(filled), "no period line \(filled)")
        #expect(!body.contains("таныстым") && !page.contains("таныстым"), "App. 10 has no acknowledgement of the Rules")
    }
}

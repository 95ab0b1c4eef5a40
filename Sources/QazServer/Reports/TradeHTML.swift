import Foundation
import LineCore
import QazAPI

/// Printable extracts (cl. 25(2)–(5)): A4 pages with every value escaped, times in Astana time, no scripts.
enum TradeHTML {
    private static let style = """
        body{font-family:sans-serif;font-size:11pt;margin:16mm;color:#111}h1{font-size:15pt;margin:0 0 4mm}
        h2{font-size:12pt;margin:6mm 0 2mm}table{border-collapse:collapse;width:100%}th,td{border:1px solid #555;padding:1.5mm 2mm;text-align:left;vertical-align:top}
        th{background:#eee}td.t{white-space:nowrap}td.d{overflow-wrap:anywhere}td.r{font-size:9pt;overflow-wrap:anywhere;max-width:32mm}.muted{color:#555;font-size:9pt}
        .status{font-weight:bold}@page{size:A4;margin:12mm}
        """

    private static func page(_ title: String, _ body: String) -> String {
        """
        <!doctype html>
        <html lang="kk"><head><meta charset="utf-8"><title>\(e(title))</title><style>\(style)</style></head>
        <body>
        \(body)
        </body></html>

        """
    }

    static func e(_ text: String) -> String { ReportHTML.escape(text) }

    /// The signer as people name it: the certificate's CN (the whole subject when it has none).
    static func signer(_ subject: String) -> String {
        for part in subject.split(separator: ",") where part.hasPrefix("CN=") { return String(part.dropFirst(3)) }
        return subject
    }

    private static func operations(_ items: [OperationRecord]) -> String {
        guard !items.isEmpty else { return "<p class=\"muted\">Операциялар жоқ / No operations.</p>" }
        var rows = ""
        for op in items {
            // The account, and who performed it when that is someone else (the factory, a buyer, the registrar).
            let by = op.actor == op.participant ? "" : "<br><span class=\"muted\">by \(e(op.actor.rawValue))</span>"
            let document = op.document.map {
                "<br><span class=\"muted\">\(e($0.kind)) SHA-256 \(e(String($0.digest.prefix(12))))…, \(e(signer($0.signer)))</span>"
            } ?? ""
            rows += "<tr><td class=\"t\">\(e(AstanaTime.display(op.at.date)))</td><td>\(e(op.kind.rawValue))\(op.count.map { " × \($0)" } ?? "")</td>"
                + "<td class=\"t\">\(e(op.participant.rawValue))\(by)</td><td class=\"r\">\(e(op.reference ?? ""))</td>"
                + "<td class=\"d\">\(e(op.detail ?? ""))\(document)</td></tr>\n"
        }
        return """
            <table><tr><th>Уақыты (Астана) / Time</th><th>Операция / Operation</th><th>Есептік жазба / Account</th>
            <th>Құжат / Reference</th><th>Толығырақ / Detail</th></tr>
            \(rows)</table>
            """
    }

    /// QR коды бойынша үзінді-көшірме (cl. 25(3)) with the list of operations on the code (cl. 25(5)).
    static func codeExtract(_ x: CodeExtract) -> String {
        let c = x.code
        var holdings = ""
        for h in x.holdings {
            holdings += "<tr><td>\(e(h.participant.rawValue))</td><td class=\"status\">\(e(h.status.kazakh)) (\(e(h.status.rawValue)))</td>"
                + "<td class=\"t\">\(e(AstanaTime.display(h.since.date)))</td><td>\(e(h.order ?? ""))</td></tr>\n"
        }
        let status: String = switch c.status {
        case .issued: "Берілген (issued)"
        case .activated: "Белсендірілген (activated)"
        case .writtenOff: "Есептен шығарылған (written off)"
        case .redeemed: "Өтелген (redeemed)"
        }
        return page("QR коды бойынша үзінді-көшірме \(c.code)", """
            <h1>QR коды бойынша үзінді-көшірме / Extract on a QR code</h1>
            <table>
            <tr><th>QR коды</th><td>\(e(c.code))</td></tr>
            <tr><th>Марка / Stamp</th><td>\(e(c.series.rawValue)) \(e(String(describing: c.number)))</td></tr>
            <tr><th>Мәртебесі / Status</th><td class="status">\(e(status))</td></tr>
            <tr><th>Өнім / Product</th><td>\(e(c.productName))\(c.productCode.map { " (ДСН \(e($0)))" } ?? "")</td></tr>
            <tr><th>Берілді / Issued to</th><td>\(e(c.owner.rawValue)), жүкқұжат \(e(c.waybillNumber)), \(e(c.issuedOn.description))</td></tr>
            <tr><th>Белсендірілді / Activated</th><td>\(c.activatedAt.map { e(AstanaTime.display($0.date)) } ?? "—")</td></tr>
            <tr><th>Иесі қазір / Held by</th><td>\(e(x.holder.rawValue))</td></tr>
            <tr><th>Қол қоюдағы бұйрық / Pending order</th><td>\(e(x.pendingOrder ?? "—"))</td></tr>
            <tr><th>Жәшік / Case, паллет / Pallet</th><td>\(e(c.case?.rawValue ?? "—")) / \(e(c.pallet?.rawValue ?? "—"))</td></tr>
            </table>
            <h2>Мәртебелер / Statuses by participant</h2>
            <table><tr><th>Қатысушы</th><th>Мәртебесі</th><th>Бастап / Since</th><th>Бұйрық / Order</th></tr>
            \(holdings.isEmpty ? "<tr><td colspan=\"4\" class=\"muted\">—</td></tr>" : holdings)</table>
            <h2>QR коды бойынша тіркелген операциялар тізімі / Operations on the code</h2>
            \(operations(x.operations))
            <p class="muted">QazLine registrar, \(e(AstanaTime.display(x.generatedAt.date))) (Astana).</p>
            """)
    }

    /// Есептік жазба бойынша жалпы үзінді-көшірме (cl. 25(2)).
    static func accountExtract(_ x: AccountExtract) -> String {
        let a = x.account
        func counts(_ table: [String: Int]) -> String {
            table.isEmpty ? "—" : table.sorted { $0.key < $1.key }.map { "\(e($0.key)): \($0.value)" }.joined(separator: ", ")
        }
        let blocked = a.blocked.map { "Бұғатталған / BLOCKED since \(e(AstanaTime.display($0.at.date))) by \(e($0.by.rawValue)): \(e($0.reason))" }
            ?? "Белсенді / active"
        return page("Есептік жазба бойынша жалпы үзінді-көшірме \(a.participant.rawValue)", """
            <h1>Есептік жазба бойынша жалпы үзінді-көшірме / General extract on the account record</h1>
            <table>
            <tr><th>ЖСН/БСН</th><td>\(e(a.participant.rawValue))</td></tr>
            <tr><th>Атауы / Name</th><td>\(e(a.name))</td></tr>
            <tr><th>Түрі / Kind</th><td>\(e(a.kind.rawValue))</td></tr>
            <tr><th>Есептік жазба / Account</th><td class="status">\(blocked)</td></tr>
            </table>
            <h2>QR кодтар / Codes</h2>
            <table>
            <tr><th>Берілген (issued, not activated)</th><td>\(x.codes.issued)</td></tr>
            <tr><th>Өндірілген (produced, held)</th><td>\(x.codes.produced)</td></tr>
            <tr><th>Белсенді (active, received)</th><td>\(x.codes.active)</td></tr>
            <tr><th>Берілген (transferred)</th><td>\(x.codes.transferred)</td></tr>
            <tr><th>Есептен шығарылған (written off)</th><td>\(x.codes.writtenOff)</td></tr>
            <tr><th>Қол қоюдағы бұйрықтарда (in pending orders)</th><td>\(x.codes.inPendingOrders)</td></tr>
            </table>
            <h2>Бұйрықтар / Orders</h2>
            <table><tr><th>Сатушы ретінде / As seller</th><td>\(counts(x.ordersAsSeller))</td></tr>
            <tr><th>Сатып алушы ретінде / As buyer</th><td>\(counts(x.ordersAsBuyer))</td></tr>
            <tr><th>Өтініштер / Applications</th><td>\(counts(x.applications))</td></tr></table>
            <h2>Соңғы операция / Last operation</h2>
            \(operations(x.lastOperation.map { [$0] } ?? []))
            <p class="muted">QazLine registrar, \(e(AstanaTime.display(x.generatedAt.date))) (Astana).</p>
            """)
    }
}

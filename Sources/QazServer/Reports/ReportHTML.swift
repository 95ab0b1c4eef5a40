import Foundation
import LineCore
import QazAPI

/// Printable HTML pages laid out like the appendix forms (seed digest A.6): Kazakh headings as printed in the forms,
/// Russian under them (our translation), the participant's identity block, the period, the table with numbered
/// columns, and the signature block left empty for the EDS (the report is signed when it is submitted).
enum ReportHTML {
    static let kazakhMonths = ["қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек",
                               "қазан", "қараша", "желтоқсан"]
    static let russianMonths = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
                                "октябрь", "ноябрь", "декабрь"]

    static func usage(_ r: QRUsageReport) -> String {
        let table = """
            <table class="form">
              <thead>
                <tr>
                  <th>ЖСН/БСН, ТАӘ (бар болса)/ өндірушінің / импорттаушының атауы<span class="ru">ИИН/БИН, ФИО (при наличии) / наименование производителя / импортёра</span></th>
                  <th>Есепті кезеңнің басындағы қалдық<span class="ru">Остаток на начало отчётного периода</span></th>
                  <th>Алынған QR-код<span class="ru">Получено QR-кодов</span></th>
                  <th>Пайдаланылған QR-код<span class="ru">Использовано QR-кодов</span></th>
                  <th>Есепті кезеңнің соңындағы қалдық<span class="ru">Остаток на конец отчётного периода</span></th>
                </tr>
                <tr class="numbers"><td>1</td><td>2</td><td>3</td><td>4</td><td>5</td></tr>
              </thead>
              <tbody>
                <tr>
                  <td class="who">\(escape(r.participant.rawValue))<br>\(escape(r.participantName ?? ""))</td>
                  <td class="n" data-field="openingBalance">\(r.openingBalance)</td>
                  <td class="n" data-field="received">\(r.received)</td>
                  <td class="n" data-field="used">\(r.used)</td>
                  <td class="n" data-field="closingBalance">\(r.closingBalance)</td>
                </tr>
              </tbody>
            </table>
            <p class="detail">Пайдаланылған QR-кодтың ішінде: белсендірілген <span data-field="activated">\(r.activated)</span>, \
            есептен шығарылған <span data-field="writtenOff">\(r.writtenOff)</span>
            <span class="ru">В том числе использовано: активировано \(r.activated), списано \(r.writtenOff)</span></p>
            """
        return page(
            title: "Алкоголь өнімдеріне алынған QR-кодтарды пайдалану туралы есеп",
            titleRU: "Отчёт об использовании QR-кодов, полученных на алкогольную продукцию",
            appendix: "10", participant: r.participant, name: r.participantName, month: r.month, submits: nil,
            table: table, readRules: false, generatedAt: r.generatedAt)
    }

    static func activation(_ r: QRActivationReport) -> String {
        let table = """
            <table class="form">
              <thead>
                <tr>
                  <th>ЖСН/БСН, ТАӘ (бар болса)/ өндірушінің / импорттаушының атауы<span class="ru">ИИН/БИН, ФИО (при наличии) / наименование производителя / импортёра</span></th>
                  <th>QR-коды алынды<span class="ru">QR-коды получены</span></th>
                  <th>QR-коды іске қосылды<span class="ru">QR-коды активированы</span></th>
                  <th>Ескертпе<span class="ru">Примечание</span></th>
                </tr>
                <tr class="numbers"><td>1</td><td>2</td><td>3</td><td>4</td></tr>
              </thead>
              <tbody>
                <tr>
                  <td class="who">\(escape(r.participant.rawValue))<br>\(escape(r.participantName ?? ""))</td>
                  <td class="n" data-field="received">\(r.received)</td>
                  <td class="n" data-field="activated">\(r.activated)</td>
                  <td data-field="note">\(escape(r.note))</td>
                </tr>
              </tbody>
            </table>
            """
        return page(
            title: "QazTrack-та алкоголь өнімдеріне алынған QR-кодты белсендіру туралы мәліметтер",
            titleRU: "Сведения об активации QR-кодов, полученных в QazTrack на алкогольную продукцию",
            appendix: "9", participant: r.participant, name: r.participantName, month: r.month,
            submits: ("QR-кодты белсендіру туралы мәліметтерді ұсынады", "представляет сведения об активации QR-кодов"),
            table: table, readRules: true, generatedAt: r.generatedAt)
    }

    static func page(title: String, titleRU: String, appendix: String, participant: TaxpayerID, name: String?, month: ReportingMonth,
                     submits: (String, String)?, table: String, readRules: Bool, generatedAt: Timestamp) -> String {
        let kk = kazakhMonths[month.month - 1], ru = russianMonths[month.month - 1]
        let submitsLine = submits.map { "<p class=\"submits\">\($0.0)<span class=\"ru\">\($0.1)</span></p>" } ?? ""
        let rules = readRules ? "<p class=\"rules\">Қағидалармен таныстым.<span class=\"ru\">С Правилами ознакомлен(а).</span></p>" : ""
        return """
            <!DOCTYPE html>
            <html lang="kk">
            <head>
            <meta charset="utf-8">
            <title>\(appendix == "10" ? "App. 10" : "App. 9") \(participant.rawValue) \(month)</title>
            <style>
              @page { size: A4 portrait; margin: 18mm 15mm; }
              body { font-family: "DejaVu Serif", "Times New Roman", serif; font-size: 11pt; color: #000; max-width: 180mm; margin: 0 auto; padding-top: 6mm; }
              .appendix { text-align: right; font-size: 9.5pt; line-height: 1.3; }
              h1 { font-size: 13pt; text-align: center; margin: 8mm 0 1mm; }
              .ru { display: block; font-size: 9pt; color: #333; font-weight: normal; font-style: italic; }
              h1 .ru { font-size: 11pt; }
              .identity { margin: 6mm 0 3mm; border-collapse: collapse; width: 100%; }
              .identity td { padding: 1.5mm 2mm; vertical-align: bottom; }
              .identity td.label { width: 45%; font-size: 10pt; }
              .identity td.value { border-bottom: 1px solid #000; font-weight: bold; }
              .period { text-align: center; margin: 4mm 0; }
              .period b { border-bottom: 1px solid #000; padding: 0 3mm; }
              table.form { border-collapse: collapse; width: 100%; margin-top: 3mm; }
              table.form th, table.form td { border: 1px solid #000; padding: 2mm; vertical-align: top; }
              table.form th { font-size: 9.5pt; font-weight: bold; text-align: center; }
              table.form tr.numbers td { text-align: center; font-size: 9pt; padding: 0.5mm; }
              table.form td.n { text-align: right; font-size: 12pt; font-variant-numeric: tabular-nums; vertical-align: middle; }
              table.form td.who { font-size: 10pt; }
              .detail { font-size: 9.5pt; margin-top: 2mm; }
              .signature { margin-top: 12mm; border: 1px dashed #555; padding: 4mm; }
              .signature p { margin: 2mm 0 4mm; }
              .signature .blank { display: inline-block; min-width: 70mm; border-bottom: 1px solid #000; }
              .notes { margin-top: 8mm; font-size: 8.5pt; color: #222; }
              .generated { margin-top: 4mm; font-size: 8pt; color: #555; }
              @media print { .generated { display: none; } }
            </style>
            </head>
            <body>
            <div class="appendix">Алкоголь өнімдерін таңбалау және қадағалау қағидаларына<br>\(appendix)-қосымша
            <span class="ru">Приложение \(appendix) к Правилам маркировки и прослеживаемости алкогольной продукции</span></div>
            <h1>\(title)<span class="ru">\(titleRU)</span></h1>
            <table class="identity">
              <tr><td class="label">ЖСН/БСН <span class="ru">ИИН/БИН</span></td><td class="value" data-field="participant">\(escape(participant.rawValue))</td></tr>
              <tr><td class="label">ТАӘ (бар болса) немесе өндірушінің / импорттаушының атауы <span class="ru">ФИО (при наличии) или наименование производителя / импортёра</span></td><td class="value">\(escape(name ?? ""))</td></tr>
              <tr><td class="label">Заңды мекенжайы <span class="ru">Юридический адрес</span></td><td class="value">&nbsp;</td></tr>
            </table>
            \(submitsLine)
            <p class="period">есептік кезең <b>\(month.year)</b> жылғы <b>\(kk)</b> айы
            <span class="ru">отчётный период: <b>\(ru) \(month.year)</b> г. (\(month))</span></p>
            \(table)
            \(rules)
            <div class="signature">
              <p>Қол қойылды және 20___ жылғы «___» ____________ __:__ сағатта жіберілді
              <span class="ru">Подписано и отправлено «___» ____________ 20___ г. в __:__</span></p>
              <p>ЭЦҚ-дан алынған деректер <span class="blank">&nbsp;</span>
              <span class="ru">Данные, полученные из ЭЦП</span></p>
              <p>ЭЦҚ-ға қол қойылған күні мен уақыты <span class="blank">&nbsp;</span>
              <span class="ru">Дата и время подписания ЭЦП</span></p>
            </div>
            <div class="notes">
              Аббревиатуралардың толық жазылуы / Расшифровка аббревиатур:<br>
              БСН – бизнес-сәйкестендіру нөмірі (БИН – бизнес-идентификационный номер);<br>
              ЖСН – жеке сәйкестендіру нөмірі (ИИН – индивидуальный идентификационный номер);<br>
              ТАӘ – тегі, аты, әкесінің аты (ФИО – фамилия, имя, отчество);<br>
              ЭЦҚ – электрондық цифрлық қолтаңба (ЭЦП – электронная цифровая подпись).
            </div>
            <p class="generated">QazLine registrar, \(generatedAt.astana) (Astana). Figures from the monthly counters kept at ingest.</p>
            </body>
            </html>

            """
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}

import Foundation
import LineCore
import QazAPI

/// The Kazakh text of App. 9 and App. 10 as order No 288 prints it (seed Doc 000), character for character: the
/// lines PDF extraction broke are joined with one space, and the seed's own wording is kept where it differs from
/// elsewhere in the order (the forms print «өндірушының» in App. 9's identity caption, «шарап материалы» in the form
/// titles, and the long «Электрондық цифрлық қолтаңбадан (бұдан әрі – ЭЦҚ) алынған деректер.» in the signature
/// block, where App. 3 prints «ЭЦҚ-дан алынған деректер.»). `ReportTests` extracts each from the seed file itself and
/// finds it in the rendered pages.
enum FormText {
    /// The Rules' own title, as printed under the order's approval stamp.
    static let rules = "«QazTrack» ақпараттық сервисін пайдалана отырып, алкоголь өнімін (құйылған шарапты (шарап материалын) "
        + "және сыра қайнату өнімін қоспағанда) таңбалау мен қадағалау бойынша пилоттық жобаны іске асыру қағидалары мен мерзімі"
    /// The appendix header before «N-қосымша»: the Rules' title in the dative (the same on every appendix).
    static let appendixOf = "«QazTrack» ақпараттық сервисін пайдалана отырып, алкоголь өнімін (құйылған шарапты (шарап материалын) "
        + "және сыра қайнату өнімін қоспағанда) таңбалау мен қадағалау бойынша пилоттық жобаны іске асыру қағидалары мен мерзіміне"
    /// The word under «N-қосымша» (lower case, as printed).
    static let form = "нысан"

    /// App. 9's title.
    static let app9Title = "«QazTrack» ақпараттық сервисінде алынған алкоголь өніміне (құйылған шарапты (шарап материалы) "
        + "және сыра қайнату өнімін қоспағанда) QR-кодты белсендіру туралы мәліметтер"
    /// App. 9's caption under the two lines of the participant's identity.
    static let app9Identity = "ЖСН/БСН, ТАӘ (бар болса) / өндірушының/импорттаушының атауы, заңды мекенжайы"
    /// App. 9's line after the identity.
    static let app9Submits = "«QazTrack» ақпараттық сервисінде алынған алкоголь өніміне (құйылған шарапты (шарап материалы) "
        + "және сыра қайнату өнімін қоспағанда) QR-кодты белсендіру туралы мәліметтерді ұсынады."
    /// App. 9's acknowledgement of the Rules (App. 10 has none).
    static let app9ReadRules = "«QazTrack» ақпараттық сервисін пайдалана отырып, алкоголь өнімін (құйылған шарапты (шарап материалын) "
        + "және сыра қайнату өнімін қоспағанда) таңбалау мен қадағалау бойынша пилоттық жобаны іске асыру қағидалары мен мерзімімен таныстым."

    /// App. 10's title.
    static let app10Title = "Алкоголь өніміне (құйылған шарапты (шарап материалы) және сыра қайнату өнімдерін қоспағанда) "
        + "алынған QR-кодын пайдалану туралы есеп"
    /// App. 10's period line, blank; ``app10Period(_:)`` fills it.
    static let app10Period = "есептік кезең 20__ жылғы ____ айы"

    /// The signature block of both forms: signed and sent on …, data from the EDS, the EDS signing date and time.
    static let signedAndSent = "Қол қойылды және 20__ жылғы «___» _______ __:__ сағатта жіберілді."
    static let edsData = "Электрондық цифрлық қолтаңбадан (бұдан әрі – ЭЦҚ) алынған деректер."
    static let edsTime = "ЭЦҚ-ға қол қойылған күні мен уақыты."

    /// The abbreviation notes at the end of both forms.
    static let notesHeading = "Ескертпе: аббревиатуралардың толық жазылуы:"
    static let notes = ["БСН – бизнес-сәйкестендіру нөмірі;", "ЖСН – жеке сәйкестендіру нөмірі;", "ТАӘ – тегі, аты, әкесінің аты;",
                        "ЭЦҚ – электрондық цифрлық қолтаңба."]

    static let kazakhMonths = ["қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек",
                               "қазан", "қараша", "желтоқсан"]

    /// The period line filled: «есептік кезең 2026 жылғы қараша айы».
    static func app10Period(_ month: ReportingMonth) -> String {
        app10Period.replacingOccurrences(of: "20__", with: String(month.year))
            .replacingOccurrences(of: "____", with: kazakhMonths[month.month - 1])
    }
}

/// Printable HTML pages laid out like the appendix forms (seed digest A.6): the form's Kazakh text as printed
/// (``FormText``), Russian under it (our translation), the table with numbered columns, and the signature block left
/// as the blank form prints it (the registrar does not sign the report; it is signed when it is submitted).
enum ReportHTML {
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
                  <td class="who"><span data-field="participant">\(escape(r.participant.rawValue))</span><br>\(escape(r.participantName ?? ""))</td>
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
        // App. 10 prints no identity block (the participant is column 1) and no acknowledgement of the Rules.
        let period = """
            <p class="period">\(FormText.app10Period(r.month))
            <span class="ru">отчётный период: \(russianMonths[r.month.month - 1]) \(r.month.year) г. (\(r.month))</span></p>
            """
        return page(
            appendix: 10, title: FormText.app10Title,
            titleRU: "Отчёт об использовании QR-кодов, полученных на алкогольную продукцию (за исключением разливного вина (виноматериала) и продукции пивоварения)",
            participant: r.participant, month: r.month, beforeTable: period, table: table, readRules: false, generatedAt: r.generatedAt)
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
        // App. 9 prints the participant on two lines with the caption under them (the legal address is left blank: the
        // registrar does not hold it), then «…мәліметтерді ұсынады.»; it prints no period, so the month the figures
        // cover is said in the helper text only.
        let identity = """
            <div class="identity">
              <p class="line"><span data-field="participant">\(escape(r.participant.rawValue))</span>, \(escape(r.participantName ?? ""))</p>
              <p class="line">&nbsp;</p>
              <p class="caption">\(FormText.app9Identity)<span class="ru">ИИН/БИН, ФИО (при наличии) / наименование производителя / импортёра, юридический адрес</span></p>
            </div>
            <p class="submits">\(FormText.app9Submits)<span class="ru">представляет сведения об активации QR-кодов на алкогольную продукцию, полученных в информационном сервисе «QazTrack».</span></p>
            <p class="helper">Сведения за \(russianMonths[r.month.month - 1]) \(r.month.year) г. (\(r.month)); форма периода не указывает. / Figures for \(r.month); the form prints no period.</p>
            """
        return page(
            appendix: 9, title: FormText.app9Title,
            titleRU: "Сведения об активации QR-кодов на алкогольную продукцию (за исключением разливного вина (виноматериала) и продукции пивоварения), полученных в информационном сервисе «QazTrack»",
            participant: r.participant, month: r.month, beforeTable: identity, table: table, readRules: true, generatedAt: r.generatedAt)
    }

    static func page(appendix: Int, title: String, titleRU: String, participant: TaxpayerID, month: ReportingMonth, beforeTable: String,
                     table: String, readRules: Bool, generatedAt: Timestamp) -> String {
        let rules = readRules
            ? "<p class=\"rules\">\(FormText.app9ReadRules)<span class=\"ru\">С Правилами и сроками реализации пилотного проекта ознакомлен(а).</span></p>"
            : ""
        let notesRU = ["БИН – бизнес-идентификационный номер", "ИИН – индивидуальный идентификационный номер", "ФИО – фамилия, имя, отчество",
                       "ЭЦП – электронная цифровая подпись"]
        let notes = zip(FormText.notes, notesRU).map { "\($0.0) <span class=\"ru inline\">(\($0.1))</span>" }.joined(separator: "<br>\n  ")
        return """
            <!DOCTYPE html>
            <html lang="kk">
            <head>
            <meta charset="utf-8">
            <title>App. \(appendix) \(participant.rawValue) \(month)</title>
            <style>
              @page { size: A4 portrait; margin: 18mm 15mm; }
              body { font-family: "DejaVu Serif", "Times New Roman", serif; font-size: 11pt; color: #000; max-width: 180mm; margin: 0 auto; padding-top: 6mm; }
              .appendix { margin-left: 55%; font-size: 9.5pt; line-height: 1.3; }
              h1 { font-size: 13pt; text-align: center; margin: 8mm 0 1mm; }
              .ru { display: block; font-size: 9pt; color: #333; font-weight: normal; font-style: italic; }
              .ru.inline { display: inline; }
              h1 .ru { font-size: 11pt; }
              .identity { margin: 6mm 0 3mm; }
              .identity .line { border-bottom: 1px solid #000; margin: 0 0 2mm; padding: 1mm 2mm; font-weight: bold; min-height: 5mm; }
              .identity .caption { font-size: 9pt; text-align: center; margin: 0; }
              .helper { font-size: 9pt; color: #333; font-style: italic; }
              .period { text-align: center; margin: 4mm 0; }
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
              .source { margin-top: 6mm; font-size: 8pt; color: #333; }
              .generated { margin-top: 4mm; font-size: 8pt; color: #555; }
              @media print { .generated, .helper { display: none; } }
            </style>
            </head>
            <body>
            <div class="appendix">\(FormText.appendixOf)<br>\(appendix)-қосымша<br>\(FormText.form)
            <span class="ru">Приложение \(appendix) к Правилам и срокам реализации пилотного проекта по маркировке и прослеживаемости алкогольной продукции (за исключением разливного вина (виноматериала) и продукции пивоварения) с использованием информационного сервиса «QazTrack»; форма</span></div>
            <h1>\(title)<span class="ru">\(titleRU)</span></h1>
            \(beforeTable)
            \(table)
            \(rules)
            <div class="signature">
              <p>\(FormText.signedAndSent)
              <span class="ru">Подписано и отправлено «___» _______ 20__ г. в __:__</span></p>
              <p>\(FormText.edsData) <span class="blank">&nbsp;</span>
              <span class="ru">Данные, полученные из электронной цифровой подписи (ЭЦП)</span></p>
              <p>\(FormText.edsTime) <span class="blank">&nbsp;</span>
              <span class="ru">Дата и время подписания ЭЦП</span></p>
            </div>
            <div class="notes">
              \(FormText.notesHeading)<br>
              \(notes)
            </div>
            <p class="source">\(FormText.rules)<span class="ru">Правила и сроки реализации пилотного проекта (приказ Министра финансов Республики Казахстан № 288 от 13 мая 2024 года), приложение \(appendix)</span></p>
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

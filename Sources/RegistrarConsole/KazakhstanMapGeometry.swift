/// Kazakhstan as the counterfeits map draws it: the outline and the regions' centres with which
/// `CounterfeitAnalytics.KazakhstanRegions` places scans, so that each point sits where that module counts its scans.
///
/// A copy, for now: `KazakhstanRegions.outline` and `KazakhstanRegions.centres` are internal to CounterfeitAnalytics.
/// `CounterfeitMapTests` compares this copy with them vertex by vertex (through `@testable import`), so the two cannot
/// drift apart unnoticed. Once CounterfeitAnalytics exposes them read-only, `outline` and `centres` below become one-line
/// forwards and the literals go.
enum KazakhstanMapGeometry {
    /// The border as (latitude, longitude): the 86 vertices of `KazakhstanRegions.outline`, in its order.
    static let outline: [(latitude: Double, longitude: Double)] = [
        (47.08, 48.69), (47.74, 48.06), (47.72, 47.32), (48.39, 46.47), (49.15, 47.04), (49.36, 46.75),
        (50.45, 47.55), (49.87, 48.58), (50.61, 48.70), (51.69, 50.77), (51.72, 52.33), (50.62, 55.72),
        (51.04, 56.78), (51.06, 58.36), (50.55, 59.64), (50.84, 59.93), (50.80, 61.34), (51.27, 61.59),
        (51.96, 59.97), (52.45, 60.93), (52.72, 60.74), (52.98, 61.70), (53.66, 60.98), (54.01, 61.44),
        (54.35, 65.18), (55.39, 69.07), (55.17, 70.87), (54.13, 71.18), (54.38, 72.22), (54.04, 73.51),
        (53.49, 73.43), (53.55, 74.38), (54.49, 76.89), (54.18, 76.53), (53.40, 77.80), (50.86, 80.04),
        (51.39, 80.57), (50.81, 81.95), (51.07, 83.38), (49.69, 85.54), (49.83, 86.83), (49.21, 87.36),
        (48.55, 86.60), (48.46, 85.77), (47.45, 85.72), (47.00, 85.16), (47.33, 83.18), (45.54, 82.46),
        (44.92, 79.97), (43.18, 80.87), (42.92, 80.18), (42.35, 80.26), (42.86, 79.14), (42.88, 75.64),
        (43.30, 74.21), (43.09, 73.65), (42.50, 73.49), (42.85, 71.84), (42.08, 70.39), (41.38, 69.07),
        (40.67, 68.63), (40.66, 68.26), (41.14, 67.99), (41.17, 66.71), (41.99, 66.51), (41.99, 66.02),
        (43.00, 66.10), (43.73, 64.90), (43.50, 62.01), (44.41, 61.06), (45.59, 58.50), (45.00, 55.93),
        (41.31, 55.97), (41.26, 55.46), (42.32, 54.08), (42.12, 52.94),
        (41.78, 52.30), (42.45, 52.45), (42.78, 52.30), (43.00, 51.20), (44.00, 50.70), (44.25, 50.10),
        (44.70, 50.05), (45.40, 51.10), (46.30, 50.00), (46.45, 48.55),
    ]

    /// The 20 regions of `KazakhstanRegions.names` (same names, same order) and the points they are told by.
    static let centres: [(name: String, latitude: Double, longitude: Double)] = [
        ("Abai Region", 50.411, 80.227), ("Akmola Region", 53.283, 69.383), ("Aktobe Region", 50.283, 57.167),
        ("Almaty Region", 43.867, 77.067), ("Atyrau Region", 47.117, 51.883), ("East Kazakhstan Region", 49.948, 82.628),
        ("Jambyl Region", 42.900, 71.367), ("Jetisu Region", 45.017, 78.367), ("Karaganda Region", 49.807, 73.089),
        ("Kostanay Region", 53.217, 63.617), ("Kyzylorda Region", 44.853, 65.509), ("Mangystau Region", 43.650, 51.150),
        ("North Kazakhstan Region", 54.867, 69.150), ("Pavlodar Region", 52.300, 76.950), ("Turkistan Region", 43.300, 68.267),
        ("Ulytau Region", 47.783, 67.767), ("West Kazakhstan Region", 51.233, 51.367), ("Astana (city)", 51.169, 71.449),
        ("Almaty (city)", 43.238, 76.889), ("Shymkent (city)", 42.317, 69.600),
    ]

    /// Where a city's label goes beside its point.
    enum Placement { case right, left, below, above }

    /// The big cities the map names: the regions' centres, less Konaev (next to Almaty). Names as their people write
    /// them in each language.
    struct City {
        var latitude: Double
        var longitude: Double
        var en: String
        var ru: String
        var kk: String
        var placement: Placement
        var capital = false
    }

    static let cities: [City] = [
        City(latitude: 51.169, longitude: 71.449, en: "Astana", ru: "Астана", kk: "Астана", placement: .right, capital: true),
        City(latitude: 43.238, longitude: 76.889, en: "Almaty", ru: "Алматы", kk: "Алматы", placement: .below),
        City(latitude: 42.317, longitude: 69.600, en: "Shymkent", ru: "Шымкент", kk: "Шымкент", placement: .below),
        City(latitude: 49.807, longitude: 73.089, en: "Karaganda", ru: "Караганда", kk: "Қарағанды", placement: .right),
        City(latitude: 50.283, longitude: 57.167, en: "Aktobe", ru: "Актобе", kk: "Ақтөбе", placement: .right),
        City(latitude: 42.900, longitude: 71.367, en: "Taraz", ru: "Тараз", kk: "Тараз", placement: .right),
        City(latitude: 52.300, longitude: 76.950, en: "Pavlodar", ru: "Павлодар", kk: "Павлодар", placement: .right),
        City(latitude: 49.948, longitude: 82.628, en: "Oskemen", ru: "Усть-Каменогорск", kk: "Өскемен", placement: .below),
        City(latitude: 50.411, longitude: 80.227, en: "Semey", ru: "Семей", kk: "Семей", placement: .left),
        City(latitude: 47.117, longitude: 51.883, en: "Atyrau", ru: "Атырау", kk: "Атырау", placement: .right),
        City(latitude: 53.217, longitude: 63.617, en: "Kostanay", ru: "Костанай", kk: "Қостанай", placement: .right),
        City(latitude: 44.853, longitude: 65.509, en: "Kyzylorda", ru: "Кызылорда", kk: "Қызылорда", placement: .right),
        City(latitude: 51.233, longitude: 51.367, en: "Oral", ru: "Уральск", kk: "Орал", placement: .right),
        City(latitude: 54.867, longitude: 69.150, en: "Petropavl", ru: "Петропавловск", kk: "Петропавл", placement: .left),
        City(latitude: 43.650, longitude: 51.150, en: "Aktau", ru: "Актау", kk: "Ақтау", placement: .right),
        City(latitude: 43.300, longitude: 68.267, en: "Turkistan", ru: "Туркестан", kk: "Түркістан", placement: .left),
        City(latitude: 53.283, longitude: 69.383, en: "Kokshetau", ru: "Кокшетау", kk: "Көкшетау", placement: .right),
        City(latitude: 45.017, longitude: 78.367, en: "Taldykorgan", ru: "Талдыкорган", kk: "Талдықорған", placement: .right),
        City(latitude: 47.783, longitude: 67.767, en: "Jezkazgan", ru: "Жезказган", kk: "Жезқазған", placement: .right),
    ]
}

import CounterfeitAnalytics

/// Kazakhstan as the counterfeits map draws it: the outline and the regions' centres with which
/// `CounterfeitAnalytics.KazakhstanRegions` places scans (the same data), so each point sits where that module counts its
/// scans; and the big cities' labels.
enum KazakhstanMapGeometry {
    /// The border as (latitude, longitude), in order.
    static let outline = KazakhstanRegions.outlineVertices

    /// The 20 regions of `KazakhstanRegions.names` (same names, same order) and the points they are told by.
    static let centres = KazakhstanRegions.centreLocations

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

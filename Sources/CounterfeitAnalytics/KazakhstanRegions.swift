import QazAPI

/// The region of Kazakhstan a scan was made in, for the scan report by region.
///
/// An approximation on purpose, good enough for counting scans by region and for alert messages, never for a legal
/// finding: a point outside a coarse outline of the country is `abroad`; inside, it belongs to the region whose
/// administrative centre is nearest. Real oblast borders are not lines halfway between centres, so points far from
/// any centre (the steppe between Karaganda and Jezkazgan, the edges of large oblasts) can be given a neighbour.
/// One refinement: the three cities of republican significance claim only their own surroundings
/// (``cityRadiusKm``); beyond that, a point near Astana, Almaty or Shymkent belongs to the oblast around the city
/// (Akmola, Almaty and Turkistan Regions), not to the city itself.
public enum KazakhstanRegions {
    /// The region of a point outside Kazakhstan.
    public static let abroad = "abroad"
    /// The region of an invalid location (see ``LocationCheck``), as of a scan without one.
    public static let unknown = "unknown"

    /// How far from its centre a city of republican significance reaches, km. Astana, Almaty and Shymkent cover
    /// 700–1 200 km² each: a circle of 20 km covers them roughly.
    public static let cityRadiusKm = 20.0

    /// A region and the point it is told by.
    struct Centre: Sendable {
        let name: String
        let latitude: Double
        let longitude: Double
        /// For a city of republican significance: the oblast that surrounds it.
        let surroundingOblast: String?

        var location: ScanLocation { ScanLocation(latitude: latitude, longitude: longitude) }
    }

    /// The 17 oblasts as of 2022 (by their administrative centres) and the three cities of republican significance.
    static let centres: [Centre] = [
        Centre(name: "Abai Region", latitude: 50.411, longitude: 80.227, surroundingOblast: nil),  // Semey
        Centre(name: "Akmola Region", latitude: 53.283, longitude: 69.383, surroundingOblast: nil),  // Kokshetau
        Centre(name: "Aktobe Region", latitude: 50.283, longitude: 57.167, surroundingOblast: nil),  // Aktobe
        Centre(name: "Almaty Region", latitude: 43.867, longitude: 77.067, surroundingOblast: nil),  // Konaev (since 2022)
        Centre(name: "Atyrau Region", latitude: 47.117, longitude: 51.883, surroundingOblast: nil),  // Atyrau
        Centre(name: "East Kazakhstan Region", latitude: 49.948, longitude: 82.628, surroundingOblast: nil),  // Oskemen
        Centre(name: "Jambyl Region", latitude: 42.900, longitude: 71.367, surroundingOblast: nil),  // Taraz
        Centre(name: "Jetisu Region", latitude: 45.017, longitude: 78.367, surroundingOblast: nil),  // Taldykorgan
        Centre(name: "Karaganda Region", latitude: 49.807, longitude: 73.089, surroundingOblast: nil),  // Karaganda
        Centre(name: "Kostanay Region", latitude: 53.217, longitude: 63.617, surroundingOblast: nil),  // Kostanay
        Centre(name: "Kyzylorda Region", latitude: 44.853, longitude: 65.509, surroundingOblast: nil),  // Kyzylorda
        Centre(name: "Mangystau Region", latitude: 43.650, longitude: 51.150, surroundingOblast: nil),  // Aktau
        Centre(name: "North Kazakhstan Region", latitude: 54.867, longitude: 69.150, surroundingOblast: nil),  // Petropavl
        Centre(name: "Pavlodar Region", latitude: 52.300, longitude: 76.950, surroundingOblast: nil),  // Pavlodar
        Centre(name: "Turkistan Region", latitude: 43.300, longitude: 68.267, surroundingOblast: nil),  // Turkistan
        Centre(name: "Ulytau Region", latitude: 47.783, longitude: 67.767, surroundingOblast: nil),  // Jezkazgan
        Centre(name: "West Kazakhstan Region", latitude: 51.233, longitude: 51.367, surroundingOblast: nil),  // Oral
        Centre(name: "Astana (city)", latitude: 51.169, longitude: 71.449, surroundingOblast: "Akmola Region"),
        Centre(name: "Almaty (city)", latitude: 43.238, longitude: 76.889, surroundingOblast: "Almaty Region"),
        Centre(name: "Shymkent (city)", latitude: 42.317, longitude: 69.600, surroundingOblast: "Turkistan Region"),
    ]

    /// The 20 region names ``region(of:)`` answers inside Kazakhstan: the oblasts alphabetically, then the three cities.
    public static let names: [String] = centres.map(\.name)

    /// The region of a location: one of ``names``, ``abroad`` outside Kazakhstan, ``unknown`` for an invalid location.
    public static func region(of location: ScanLocation) -> String {
        guard LocationCheck.problem(location) == nil else { return unknown }
        guard contains(location) else { return abroad }
        var best: (name: String, km: Double)?
        for centre in centres {
            let km = Geo.distanceKm(location, centre.location)
            let name = km > cityRadiusKm ? centre.surroundingOblast ?? centre.name : centre.name
            if best.map({ km < $0.km }) ?? true { best = (name, km) }
        }
        return best?.name ?? abroad
    }

    /// Whether the point lies inside the outline (ray casting on latitude/longitude; Kazakhstan is far from the
    /// antimeridian and the poles, so a plane is good enough).
    static func contains(_ location: ScanLocation) -> Bool {
        let y = location.latitude, x = location.longitude
        var inside = false
        var j = outline.count - 1
        for i in outline.indices {
            let (yi, xi) = outline[i], (yj, xj) = outline[j]
            if (yi > y) != (yj > y), x < (xj - xi) * (y - yi) / (yj - yi) + xi { inside.toggle() }
            j = i
        }
        return inside
    }

    /// Kazakhstan's border as (latitude, longitude), 86 vertices: Natural Earth's 1:110m admin-0 outline (public
    /// domain), simplified by Douglas–Peucker to within 20 km of it, rounded to 0.01°. Natural Earth at that scale is
    /// itself some 10–15 km off in places, so points within ~30 km of the border may fall on the wrong side (Kordai
    /// on the Chu river does; Tashkent, 15 km beyond the border, does not: its corner is kept). The Caspian coast is
    /// drawn 10–30 km offshore and straight across the Mangyshlak Gulf and the shallow north-eastern corner of the sea,
    /// so coastal towns (Aktau, Fort-Shevchenko) and near-shore platforms count as Kazakhstan; nobody else's land is
    /// there.
    static let outline: [(Double, Double)] = [
        (47.08, 48.69), (47.74, 48.06), (47.72, 47.32), (48.39, 46.47), (49.15, 47.04), (49.36, 46.75),  // Russia, west
        (50.45, 47.55), (49.87, 48.58), (50.61, 48.70), (51.69, 50.77), (51.72, 52.33), (50.62, 55.72),
        (51.04, 56.78), (51.06, 58.36), (50.55, 59.64), (50.84, 59.93), (50.80, 61.34), (51.27, 61.59),  // Orsk bend
        (51.96, 59.97), (52.45, 60.93), (52.72, 60.74), (52.98, 61.70), (53.66, 60.98), (54.01, 61.44),
        (54.35, 65.18), (55.39, 69.07), (55.17, 70.87), (54.13, 71.18), (54.38, 72.22), (54.04, 73.51),  // north
        (53.49, 73.43), (53.55, 74.38), (54.49, 76.89), (54.18, 76.53), (53.40, 77.80), (50.86, 80.04),
        (51.39, 80.57), (50.81, 81.95), (51.07, 83.38), (49.69, 85.54), (49.83, 86.83), (49.21, 87.36),  // Altai
        (48.55, 86.60), (48.46, 85.77), (47.45, 85.72), (47.00, 85.16), (47.33, 83.18), (45.54, 82.46),  // China
        (44.92, 79.97), (43.18, 80.87), (42.92, 80.18), (42.35, 80.26), (42.86, 79.14), (42.88, 75.64),  // Kyrgyzstan
        (43.30, 74.21), (43.09, 73.65), (42.50, 73.49), (42.85, 71.84), (42.08, 70.39), (41.38, 69.07),  // Tashkent
        (40.67, 68.63), (40.66, 68.26), (41.14, 67.99), (41.17, 66.71), (41.99, 66.51), (41.99, 66.02),  // Uzbekistan
        (43.00, 66.10), (43.73, 64.90), (43.50, 62.01), (44.41, 61.06), (45.59, 58.50), (45.00, 55.93),  // Aral Sea
        (41.31, 55.97), (41.26, 55.46), (42.32, 54.08), (42.12, 52.94),  // Ustyurt, Turkmenistan
        (41.78, 52.30), (42.45, 52.45), (42.78, 52.30), (43.00, 51.20), (44.00, 50.70), (44.25, 50.10),  // Caspian, offshore
        (44.70, 50.05), (45.40, 51.10), (46.30, 50.00), (46.45, 48.55),
    ]
}

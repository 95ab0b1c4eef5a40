import QazAPI
import Testing
@testable import CounterfeitAnalytics

struct KazakhstanRegionsTests {
    @Test func twentyRegions() {
        #expect(KazakhstanRegions.names.count == 20)
        #expect(Set(KazakhstanRegions.names).count == 20)
        for name in ["Abai Region", "Jetisu Region", "Ulytau Region", "Astana (city)", "Almaty (city)", "Almaty Region", "Shymkent (city)"] {
            #expect(KazakhstanRegions.names.contains(name))
        }
    }

    @Test(arguments: [
        (51.1282, 71.4304, "Astana (city)"),  // Baiterek
        (43.2567, 76.9286, "Almaty (city)"),
        (42.3417, 69.5901, "Shymkent (city)"),
        (43.6500, 51.1700, "Mangystau Region"),  // Aktau, on the coast
        (44.5100, 50.2600, "Mangystau Region"),  // Fort-Shevchenko, on the Tupkaragan peninsula
        (49.9500, 82.6100, "East Kazakhstan Region"),  // Oskemen
        (50.4100, 80.2300, "Abai Region"),  // Semey
        (45.0170, 78.3700, "Jetisu Region"),  // Taldykorgan
        (47.7800, 67.7700, "Ulytau Region"),  // Jezkazgan
        (43.8670, 77.0670, "Almaty Region"),  // Konaev
        (43.3000, 77.2400, "Almaty Region"),  // Talgar: 28 km from Almaty, beyond the city
        (51.4500, 71.4500, "Akmola Region"),  // 30 km north of Astana
        (41.4500, 69.1700, "Turkistan Region"),  // Saryagash: nearer Shymkent than Turkistan, but not the city
        (40.7700, 68.3300, "Turkistan Region"),  // Jetisai, in the southern tip
        (54.8700, 69.1500, "North Kazakhstan Region"),  // Petropavl, 55 km from Russia
        (51.2300, 51.3700, "West Kazakhstan Region"),  // Oral
        (47.1100, 51.8800, "Atyrau Region"),
        (49.8067, 73.0853, "Karaganda Region"),
        (45.6200, 63.3100, "Kyzylorda Region"),  // Baikonur
    ])
    func regionOfAPlace(_ latitude: Double, _ longitude: Double, _ region: String) {
        #expect(KazakhstanRegions.region(of: ScanLocation(latitude: latitude, longitude: longitude)) == region)
    }

    @Test(arguments: [
        (55.7558, 37.6173),  // Moscow
        (41.2995, 69.2401),  // Tashkent, 15 km beyond the border
        (42.8746, 74.5698),  // Bishkek, 25 km beyond the border
        (43.8256, 87.6168),  // Urumqi
        (54.9885, 73.3242),  // Omsk
        (51.7727, 55.0988),  // Orenburg
        (46.3479, 48.0336),  // Astrakhan
        (42.4600, 59.6000),  // Nukus
        (40.0000, 52.9700),  // Turkmenbashi
        (-33.87, 151.21),  // Sydney
    ])
    func abroad(_ latitude: Double, _ longitude: Double) {
        #expect(KazakhstanRegions.region(of: ScanLocation(latitude: latitude, longitude: longitude)) == "abroad")
    }

    @Test func everyCentreIsInsideAndItsOwnRegion() {
        for centre in KazakhstanRegions.centres {
            #expect(KazakhstanRegions.region(of: centre.location) == centre.name)
        }
    }

    @Test func anInvalidLocationIsUnknown() {
        #expect(KazakhstanRegions.region(of: ScanLocation(latitude: .nan, longitude: 71)) == "unknown")
        #expect(KazakhstanRegions.region(of: ScanLocation(latitude: 51, longitude: 200)) == "unknown")
    }

    @Test func theOutlineIsCoarse() {
        #expect((30...90).contains(KazakhstanRegions.outline.count))
    }
}

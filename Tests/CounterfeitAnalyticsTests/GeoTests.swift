import QazAPI
import Testing
@testable import CounterfeitAnalytics

struct GeoTests {
    @Test func oneDegreeOfLatitude() {
        let km = Geo.distanceKm(ScanLocation(latitude: 10, longitude: 20), ScanLocation(latitude: 11, longitude: 20))
        #expect(abs(km - 111.195) < 0.001)
    }

    @Test func astanaToAlmaty() {
        let km = Geo.distanceKm(Place.astana, Place.almaty)
        #expect(abs(km - 968.2) < 0.1)
        #expect(Geo.distanceKm(Place.almaty, Place.astana) == km)
    }

    @Test func samePointAndAntipodes() {
        #expect(Geo.distanceKm(Place.almaty, Place.almaty) == 0)
        let km = Geo.distanceKm(ScanLocation(latitude: 0, longitude: 0), ScanLocation(latitude: 0, longitude: 180))
        #expect(abs(km - Geo.earthRadiusKm * .pi) < 0.001)
    }

    @Test func netDistanceSubtractsBothAccuracies() {
        var a = Place.almaty, b = Place.konaev
        let km = Geo.distanceKm(a, b)
        #expect(Geo.netDistanceKm(a, b) == km)
        a.accuracy = 5_000
        b.accuracy = 3_000
        #expect(abs(Geo.netDistanceKm(a, b) - (km - 8)) < 1e-9)
        b.accuracy = 100_000
        #expect(Geo.netDistanceKm(a, b) == 0)
    }
}

struct LocationCheckTests {
    @Test(arguments: [
        ScanLocation(latitude: 0, longitude: 0),
        ScanLocation(latitude: 90, longitude: 180, accuracy: 0),
        ScanLocation(latitude: -90, longitude: -180, accuracy: 100_000),
    ])
    func validLocations(_ location: ScanLocation) {
        #expect(LocationCheck.problem(location) == nil)
    }

    @Test(arguments: [
        (ScanLocation(latitude: .nan, longitude: 0), "location.latitude", "nan"),
        (ScanLocation(latitude: 90.5, longitude: 0), "location.latitude", "90.5"),
        (ScanLocation(latitude: -91, longitude: 0), "location.latitude", "-91.0"),
        (ScanLocation(latitude: 0, longitude: .infinity), "location.longitude", "inf"),
        (ScanLocation(latitude: 0, longitude: -180.01), "location.longitude", "-180.01"),
        (ScanLocation(latitude: 0, longitude: 0, accuracy: -1), "location.accuracy", "-1.0"),
        (ScanLocation(latitude: 0, longitude: 0, accuracy: 100_001), "location.accuracy", "100001.0"),
        (ScanLocation(latitude: 0, longitude: 0, accuracy: .nan), "location.accuracy", "nan"),
    ])
    func invalidLocations(_ location: ScanLocation, field: String, value: String) throws {
        let problem = try #require(LocationCheck.problem(location))
        #expect(problem.field == field)
        #expect(problem.message.hasSuffix("got \(value)"))
        let range = field == "location.latitude" ? "-90 to 90" : field == "location.longitude" ? "-180 to 180" : "0 to 100000"
        #expect(problem.message.contains(range))
    }
}

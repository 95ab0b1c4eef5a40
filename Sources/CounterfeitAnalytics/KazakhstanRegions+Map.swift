extension KazakhstanRegions {
    /// The outline ``region(of:)`` tests points against, in order, as (latitude, longitude): read-only, for maps.
    public static var outlineVertices: [(latitude: Double, longitude: Double)] { outline.map { (latitude: $0.0, longitude: $0.1) } }

    /// Each region of ``names``, in that order, with the point it is told by: read-only, for maps.
    public static var centreLocations: [(name: String, latitude: Double, longitude: Double)] {
        centres.map { (name: $0.name, latitude: $0.latitude, longitude: $0.longitude) }
    }
}

/// Aggregation at the packing station.
public enum Aggregation {}

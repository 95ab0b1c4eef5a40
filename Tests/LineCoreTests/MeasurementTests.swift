import Testing
@testable import LineCore

@Suite("Measurement helpers")
struct MeasurementTests {
    @Test("nearest-rank percentiles")
    func percentiles() {
        let values = (1...100).map(Double.init)
        #expect(percentile(ofSorted: values, 0.5) == 50)
        #expect(percentile(ofSorted: values, 0.99) == 99)
        #expect(percentile(ofSorted: values, 1) == 100)
        #expect(percentile(ofSorted: values, 0) == 1)
        #expect(percentile(ofSorted: [7], 0.99) == 7)
        #expect(percentile(ofSorted: [], 0.5) == 0)
    }

    @Test("durations in milliseconds and seconds")
    func durations() {
        #expect(Duration.milliseconds(1_500).inMilliseconds == 1_500)
        #expect(Duration.milliseconds(1_500).inSeconds == 1.5)
        #expect(Duration.microseconds(250).inMilliseconds == 0.25)
    }
}

import Testing
@testable import Aggregation

import Testing
@testable import LabelPrinting

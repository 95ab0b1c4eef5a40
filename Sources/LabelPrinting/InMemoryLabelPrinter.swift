import Synchronization

/// A label printer in memory, for tests of the case station and other callers: records every label it is given and
/// fails when told to.
public final class InMemoryLabelPrinter: LabelPrinter {
    private struct State {
        var printed: [UnitLabel] = []
        var failures: [PrinterError] = []
        var failure: PrinterError?
        var attempts = 0
    }

    private let state = Mutex(State())

    /// Creates a printer that prints everything.
    public init() {}

    /// Records the label, or throws the next queued failure (``failNext(_:)``) or the standing one
    /// (``setFailure(_:)``) without recording it.
    public func print(_ label: UnitLabel) async throws(PrinterError) {
        let failure = state.withLock { state -> PrinterError? in
            state.attempts += 1
            if !state.failures.isEmpty { return state.failures.removeFirst() }
            if let failure = state.failure { return failure }
            state.printed.append(label)
            return nil
        }
        if let failure { throw failure }
    }

    /// The labels printed so far, oldest first.
    public var printed: [UnitLabel] { state.withLock { $0.printed } }

    /// How many times ``print(_:)`` was called, failed calls included.
    public var attempts: Int { state.withLock { $0.attempts } }

    /// Makes the next call fail with `error` (calls queue up: each one fails the next call once).
    public func failNext(_ error: PrinterError) {
        state.withLock { $0.failures.append(error) }
    }

    /// Makes every call fail with `error` until it is set to nil.
    public func setFailure(_ error: PrinterError?) {
        state.withLock { $0.failure = error }
    }
}

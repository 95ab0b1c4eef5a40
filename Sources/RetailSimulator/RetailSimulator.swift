import QazAPI

/// The till end of the simulated chain: shops selling marked bottles through cash registers (``CashRegister``, ``Shop``),
/// a fiscal data operator in front of the registrar (``FDORelay``, forwarding through a ``ReceiptSink``), and a driver
/// that runs hours of simulated trade in seconds (``TillSimulation``).
public enum RetailSimulator {
    /// The stamp's QR link prefix: the marking code a scanner reads is this followed by the code, or the bare code.
    public static let qrLinkPrefix = "https://qr.example.kz/c/"
}

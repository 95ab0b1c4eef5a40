import Foundation
import Glibc
import Testing
@testable import SystemdNotify

@Suite("sd_notify messages over a real unix datagram socket")
struct SystemdNotifierTests {
    @Test("messages arrive as one datagram of KEY=value lines, at a socket path and at an abstract name",
          arguments: [false, true])
    func oneDatagram(abstract: Bool) throws {
        // Given a listening socket
        let listener = try NotifyListener(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.address])
        #expect(notifier.isEnabled)
        // When two messages are sent together, then a second one
        try notifier.send(.ready, .status("listening on 127.0.0.1:8080\nmigrated"))
        try notifier.send(.watchdog)
        // Then they arrive in order, the status on one line
        #expect(listener.receive() == "READY=1\nSTATUS=listening on 127.0.0.1:8080 migrated")
        #expect(listener.receive() == "WATCHDOG=1")
        try notifier.send(.stopping, .mainPID(42))
        #expect(listener.receive() == "STOPPING=1\nMAINPID=42")
    }

    @Test("without NOTIFY_SOCKET (or with it empty) nothing is sent and nothing fails")
    func notUnderSystemd() throws {
        for environment in [[:], ["NOTIFY_SOCKET": ""]] {
            let notifier = SystemdNotifier(environment: environment)
            #expect(!notifier.isEnabled)
            try notifier.send(.ready, .watchdog, .stopping)
        }
    }

    @Test("a relative or vsock address, an over-long path and a socket nobody listens on are errors that say so")
    func badAddresses() throws {
        #expect(throws: SystemdNotifyError.unsupportedAddress("run/notify")) { try SystemdNotifier(address: "run/notify").send(.ready) }
        #expect(throws: SystemdNotifyError.unsupportedAddress("vsock:2:1234")) { try SystemdNotifier(address: "vsock:2:1234").send(.ready) }
        let long = "/tmp/" + String(repeating: "x", count: 200)
        #expect(throws: SystemdNotifyError.addressTooLong(long)) { try SystemdNotifier(address: long).send(.ready) }
        let gone = "/tmp/qazline-no-such-socket-\(UUID().uuidString.prefix(8))"
        do {
            try SystemdNotifier(address: gone).send(.ready)
            Issue.record("sending to \(gone) should fail")
        } catch {
            guard case .systemCall(_, let code, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(code == ENOENT)
            #expect(error.description.contains(gone))
        }
    }

    @Test("WATCHDOG_USEC and WATCHDOG_PID: the timeout in microseconds, half of it between pings, only for this process")
    func watchdogSettings() {
        let pid = getpid()
        let settings = WatchdogSettings.from(environment: ["WATCHDOG_USEC": "30000000"], pid: pid)
        #expect(settings == WatchdogSettings(timeout: .seconds(30)))
        #expect(settings?.pingInterval == .seconds(15))
        #expect(WatchdogSettings.from(environment: ["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "\(pid)"], pid: pid)?.timeout == .seconds(2))
        #expect(WatchdogSettings.from(environment: ["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "\(pid + 1)"], pid: pid) == nil)
        #expect(WatchdogSettings.from(environment: ["WATCHDOG_USEC": "0"], pid: pid) == nil)
        #expect(WatchdogSettings.from(environment: ["WATCHDOG_USEC": "30s"], pid: pid) == nil)
        #expect(WatchdogSettings.from(environment: [:], pid: pid) == nil)
    }
}

import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs an actor's jobs on one dedicated thread whose CPU priority is lowered (`nice`): work that has a deadline of
/// seconds (reading a case frame) must never delay work with a deadline of milliseconds (a bottle's decision and its
/// commit) on a machine with few cores. A thread of its own, because an unprivileged process cannot raise a thread's
/// priority again, so a shared pool thread must never be lowered.
final class BackgroundThreadExecutor: SerialExecutor, @unchecked Sendable {
    private let jobs = Mutex<[UnownedJob]>([])
    private let condition = NSCondition()
    private var thread: Thread?

    /// - Parameters:
    ///   - name: the thread's name.
    ///   - nice: how much lower its priority is (0–19; 10 by default).
    init(name: String, nice: Int32 = 10) {
        let thread = Thread { [unowned self] in
            #if canImport(Glibc)
            // On Linux the nice value belongs to the thread: 0 names the calling thread, not the whole process.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice)
            #endif
            self.loop()
        }
        thread.name = name
        self.thread = thread
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.withLock { $0.append(job) }
        condition.signal()
        condition.unlock()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    private func loop() {
        let executor = asUnownedSerialExecutor()
        while true {
            condition.lock()
            var next = jobs.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            while next == nil {
                condition.wait()
                next = jobs.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            }
            condition.unlock()
            next!.runSynchronously(on: executor)
        }
    }
}

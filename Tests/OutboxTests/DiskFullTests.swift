import Foundation
import LineAgentTesting
import LineCore
@testable import Outbox
import Testing

/// A full disk, for real: a 4 MiB tmpfs mounted by the test (needs root, as on the development machines and CI;
/// the runner reports the suite skipped otherwise), filled with a ballast file, unmounted afterwards.
@Suite(.serialized, .enabled(if: SmallFileSystem.canMount, "needs root to mount a small tmpfs (mount -t tmpfs)"))
struct DiskFullTests {
    @Test func aFullDiskIsATypedErrorNamingTheFileAndNothingCommittedIsLost() async throws {
        try await SmallFileSystem.with(size: "4m") { small in
            let mountPoint = small.path
            let path = mountPoint + "/outbox.sqlite"
            let ballast = mountPoint + "/ballast"

            // Given an outbox on a small file system that is then almost filled
            var committed = 0
            do {
                let store = OutboxStore(database: try AgentDatabase(path: path))
                _ = try await store.append(contentsOf: (0..<100).map { good(UInt64($0), $0) })
                committed = 100
                let free = Int(try #require(store.database.freeBytes()))
                try Data(repeating: 1, count: max(0, free - 256 * 1024)).write(to: URL(fileURLWithPath: ballast))

                // When bottles keep coming until the disk is full
                var failure: OutboxError?
                var sequence = 100
                while failure == nil && sequence < 200_000 {
                    do throws(OutboxError) {
                        _ = try await store.append(contentsOf: (sequence..<sequence + 200).map { good(UInt64($0), $0) })
                        committed += 200
                        sequence += 200
                    } catch {
                        failure = error
                    }
                }
                // Then the append fails with a typed error naming the file
                guard case .diskFull(let errorPath, _) = failure else { Issue.record("expected diskFull, got \(String(describing: failure))"); return }
                #expect(errorPath == path)
                #expect("\(failure!)".contains(path))

                // And when space returns, appends work again
                try FileManager.default.removeItem(atPath: ballast)
                _ = try await store.append(good(UInt64(sequence + 1_000_000), 999_999_999))
                committed += 1
            }
            // And after a restart every committed decision is there, none of the failed ones
            let reopened = OutboxStore(database: try AgentDatabase(path: path))
            #expect(try await reopened.decisionCounts()[.good] == committed)
            #expect(try await reopened.depth().pending == committed)
        }
    }
}

import Foundation
import Synchronization

/// The last frames of one camera and what the chain saw in them, shared between the camera's pipeline (the one
/// writer, on the camera's queue) and readers on any thread (the console, the archive of rejected bottles' frames),
/// so that a reader never waits for the camera — whose queue may sit in a blocking read for as long as the line
/// stands still.
///
/// The writer reads each frame straight into the next image of the ring (no copy); readers copy a frame's pixels
/// out, under the ring's lock, only from a slot that holds an analysed frame. A slot's pixels are written only
/// after the writer marked the slot empty under the same lock, so a reader never sees a frame being written.
/// `@unchecked Sendable` because `GrayImage` is not `Sendable`: that protocol is what makes sharing the images safe.
final class FrameRing: @unchecked Sendable {
    private struct Slot: Sendable {
        var result: CameraFrameResult?
        /// The frame encoded, once asked for.
        var encoded: (encoding: FrameEncoding, data: Data)?
    }
    private struct State: Sendable {
        var slots: [Slot]
        /// The slot of the newest analysed frame (-1: none yet).
        var newest = -1
        /// The slot being filled and what it held before (restored when no frame came).
        var filling: (slot: Int, kept: Slot)?
        var recorder = CameraStatisticsRecorder()
        var encodedFrames = 0
    }

    private let images: [GrayImage]
    private let state: Mutex<State>

    init(size: Int) {
        images = (0..<max(2, size)).map { _ in GrayImage() }
        state = Mutex(State(slots: Array(repeating: Slot(), count: max(2, size))))
    }

    var count: Int { images.count }

    // MARK: The writer (the camera's pipeline)

    /// Takes the slot after the newest frame for the next read (its frame is dropped) and returns its image.
    func beginFill() -> GrayImage {
        let slot = state.withLock { state in
            let slot = (state.newest + 1) % state.slots.count
            state.filling = (slot, state.slots[slot])
            state.slots[slot] = Slot()
            return slot
        }
        return images[slot]
    }

    /// The frame read into the slot being filled was analysed: it becomes the newest.
    func commit(_ result: CameraFrameResult, decodeMs: Double, at time: Date) {
        state.withLock { state in
            guard let (slot, _) = state.filling else { return }
            state.slots[slot] = Slot(result: result)
            state.newest = slot
            state.filling = nil
            state.recorder.record(decodeMs: decodeMs, codes: result.codes, at: time)
        }
    }

    /// No frame was analysed into the slot being filled. `untouched`: no frame came (the source ended, closed or
    /// timed out), so the slot keeps the frame it held; otherwise (a bad frame) the slot stays empty.
    func abandon(untouched: Bool) {
        state.withLock { state in
            guard let (slot, kept) = state.filling else { return }
            if untouched { state.slots[slot] = kept }
            state.filling = nil
        }
    }

    // MARK: Readers (any thread)

    /// The sequence of the newest analysed frame.
    var newestSequence: UInt64? {
        state.withLock { $0.newest >= 0 ? $0.slots[$0.newest].result?.info.sequence : nil }
    }

    /// The newest frame with this sequence still in the ring: its result, and its encoding as asked if it was made
    /// before, else its pixels copied out.
    func frame(sequence: UInt64, encoding: FrameEncoding) -> (result: CameraFrameResult, encoded: Data?, pixels: FramePixels?)? {
        state.withLock { state in
            guard state.newest >= 0 else { return nil }
            // Newest first: after a reopened source counts from the start again, the newest frame with the sequence is meant.
            for offset in 0..<state.slots.count {
                let slot = (state.newest - offset + state.slots.count) % state.slots.count
                guard let result = state.slots[slot].result, result.info.sequence == sequence else { continue }
                if let encoded = state.slots[slot].encoded, encoded.encoding == encoding { return (result, encoded.data, nil) }
                return (result, nil, FramePixels(images[slot]))
            }
            return nil
        }
    }

    /// Keeps an encoding with its frame, if the frame is still in the ring.
    func keep(_ data: Data, encoding: FrameEncoding, for info: FrameInfo) {
        state.withLock { state in
            state.encodedFrames += 1
            if let slot = state.slots.firstIndex(where: { $0.result?.info == info }) { state.slots[slot].encoded = (encoding, data) }
        }
    }

    /// Every frame in the ring, oldest first, its pixels copied out.
    func frames() -> [(info: FrameInfo, pixels: FramePixels, result: CameraFrameResult)] {
        state.withLock { state in
            guard state.newest >= 0 else { return [] }
            return (1...state.slots.count).compactMap { offset in
                let slot = (state.newest + offset) % state.slots.count
                guard let result = state.slots[slot].result else { return nil }
                return (result.info, FramePixels(images[slot]), result)
            }
        }
    }

    /// The sequences of the frames in the ring, oldest first.
    func sequences() -> [UInt64] {
        state.withLock { state in
            guard state.newest >= 0 else { return [] }
            return (1...state.slots.count).compactMap { state.slots[(state.newest + $0) % state.slots.count].result?.info.sequence }
        }
    }

    func statistics(now: Date) -> CameraStatistics { state.withLock { $0.recorder.statistics(now: now) } }

    var encodedFrames: Int { state.withLock { $0.encodedFrames } }
}

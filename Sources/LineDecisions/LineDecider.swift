import Foundation
import LineCore

/// How frames are matched to one bottle.
public enum WindowMode: String, Sendable, Hashable {
    /// One frame per trigger.
    case triggered
    /// Several frames per bottle between triggers; the symbol seen in most frames wins.
    case continuous
}

/// Everything the cameras saw of one bottle: the raw payloads decoded in each frame of its window.
public struct BottleWindow: Sendable, Hashable {
    /// The line's id.
    public var lineID: String
    /// The bottle's sequence number (from the PLC trigger counter).
    public var sequence: UInt64
    /// The recipe the PLC reported for this bottle (nil: not known yet).
    public var recipe: Int?
    /// Per frame, the payload bytes of every symbol decoded in it.
    public var frames: [[[UInt8]]]

    public init(lineID: String, sequence: UInt64, recipe: Int?, frames: [[[UInt8]]]) {
        self.lineID = lineID
        self.sequence = sequence
        self.recipe = recipe
        self.frames = frames
    }
}

/// What storage knows of a code, looked up before the bottle is decided (the decider itself does no I/O).
public struct CodeFacts: Sendable, Hashable {
    /// The code was on a bottle that passed before (the outbox's seen set, across restarts).
    public var seen: Bool
    /// Whether the local pool of codes issued to this producer holds it; nil when no pool is loaded (then nothing is
    /// judged `foreign` locally).
    public var inPool: Bool?
    /// The code was seen, its bottle was then physically rejected (or its case dissolved), and it may pass once more
    /// as `reworked`.
    public var reworkable: Bool

    public init(seen: Bool, inPool: Bool?, reworkable: Bool = false) {
        self.seen = seen
        self.inPool = inPool
        self.reworkable = reworkable
    }
}

/// Where the facts about a code come from: the outbox's seen set and local pool, read off the caller's thread (the
/// outbox reads on its own queue, never on the cooperative pool), or an in-memory double in tests. A failed read
/// throws: the caller decides fail-safe and reports it, never treats it as "not seen".
public protocol CodeFactsSource: Sendable {
    func facts(for code: StampCode) async throws -> CodeFacts
}

/// Something a line's operator must know about now.
public enum LineAlarm: Sendable, Hashable {
    /// Two or more different symbols in one bottle's window (two caps in view, or a stray label).
    case ambiguousRead(sequence: UInt64, codes: [StampCode])
    /// `count` non-good bottles in a row; `requestLineStop` when the policy asks to stop the line.
    case consecutiveFailures(count: Int, lastKinds: [DecisionKind], requestLineStop: Bool)
}

/// One bottle's outcome: its decision and any alarms it raised.
public struct DecisionOutcome: Sendable, Hashable {
    public var decision: BottleDecision
    public var alarms: [LineAlarm]
}

/// The per-bottle rules of one line, as a value with no I/O: codes from the bottle's window → one ``Verdict``,
/// plus counting of consecutive failures. The composition root feeds it windows (from the cameras and the PLC's
/// triggers) and stores the decisions in the outbox before acknowledging them.
///
/// Order of the rules: the window's symbols (no read, malformed, ambiguous) → the product (recipe mapped?) →
/// reworked (seen, then physically rejected: passes once more) → duplicate (the seen set, and codes this decider passed and not yet in the seen set) → foreign (only when a
/// pool is loaded) → good. The seen set and the pool are storage: the caller looks up the ``CodeFacts`` of the
/// window's code (``code(in:)``) and hands them to ``decide(_:facts:at:)``.
public struct LineDecider: Sendable {
    public let lineID: String
    public let mode: WindowMode
    public let rules: PayloadRules
    /// Products by PLC recipe number.
    public let products: [Int: Product]
    /// This many non-good bottles in a row raise an alarm.
    public let consecutiveFailureAlarm: Int
    /// Whether that alarm requests a line stop.
    public let stopLineOnConsecutiveFailures: Bool

    /// Codes passed recently by this decider (in case the seen set lags behind: the outbox commits in groups).
    private var recentGood: Set<StampCode> = []
    private var recentOrder: [StampCode] = []
    private let recentCapacity = 4096
    /// Codes passed as reworked by this decider (the store's allowance may not be marked used yet).
    private var recentReworked: Set<StampCode> = []
    /// Non-good bottles in a row, and their kinds (up to the alarm threshold).
    public private(set) var consecutiveFailures = 0
    private var failureKinds: [DecisionKind] = []

    public init(lineID: String, mode: WindowMode, rules: PayloadRules = .default, products: [Int: Product],
                consecutiveFailureAlarm: Int = 5, stopLineOnConsecutiveFailures: Bool = false) {
        self.lineID = lineID
        self.mode = mode
        self.rules = rules
        self.products = products
        self.consecutiveFailureAlarm = max(1, consecutiveFailureAlarm)
        self.stopLineOnConsecutiveFailures = stopLineOnConsecutiveFailures
    }

    /// What the window's symbols say, before product, duplicate and pool checks.
    public enum Reading: Sendable, Hashable {
        case none
        case code(StampCode)
        case malformed(MalformedPayload)
        case ambiguous([StampCode])
    }

    /// Reads the symbols of a window. Each frame counts a symbol once. Two or more different valid codes →
    /// ambiguous. One valid code wins over malformed readings unless those were seen in more frames. In
    /// triggered mode only the first frame is used.
    public func read(_ frames: [[[UInt8]]]) -> Reading {
        let used = mode == .triggered ? Array(frames.prefix(1)) : frames
        var codeFrames: [StampCode: Int] = [:]
        var codeOrder: [StampCode] = []
        var malformedFrames: [MalformedPayload: Int] = [:]
        var malformedOrder: [MalformedPayload] = []
        for frame in used {
            var codesInFrame = Set<StampCode>()
            var malformedInFrame = Set<MalformedPayload>()
            for payload in frame {
                switch rules.parse(payload) {
                case .success(let code):
                    if codesInFrame.insert(code).inserted {
                        if codeFrames[code] == nil { codeOrder.append(code) }
                        codeFrames[code, default: 0] += 1
                    }
                case .failure(let why):
                    if malformedInFrame.insert(why).inserted {
                        if malformedFrames[why] == nil { malformedOrder.append(why) }
                        malformedFrames[why, default: 0] += 1
                    }
                }
            }
        }
        if codeOrder.count >= 2 {
            // Most frames first; ties in order of first sighting.
            let ranked = codeOrder.enumerated().sorted { a, b in
                let (ca, cb) = (codeFrames[a.element]!, codeFrames[b.element]!)
                return ca != cb ? ca > cb : a.offset < b.offset
            }.map(\.element)
            return .ambiguous(ranked)
        }
        let topMalformed = malformedOrder.max { malformedFrames[$0]! < malformedFrames[$1]! }
        if let code = codeOrder.first {
            let malformedCount = malformedFrames.values.reduce(0, +)
            if malformedCount > codeFrames[code]!, let topMalformed { return .malformed(topMalformed) }
            return .code(code)
        }
        if let topMalformed { return .malformed(topMalformed) }
        return .none
    }

    /// The code whose ``CodeFacts`` the decision needs: the window's one valid code, if it has one.
    public func code(in window: BottleWindow) -> StampCode? {
        if case .code(let code) = read(window.frames) { code } else { nil }
    }

    /// Decides one bottle and updates the failure count.
    /// - Parameter facts: what storage knows of ``code(in:)`` (nil when the window has no single valid code).
    public mutating func decide(_ window: BottleWindow, facts: CodeFacts?, at time: Date) -> DecisionOutcome {
        let product = window.recipe.flatMap { products[$0] }
        var alarms: [LineAlarm] = []
        let verdict: Verdict
        switch read(window.frames) {
        case .none: verdict = .noRead
        case .malformed(let why): verdict = .malformed(why)
        case .ambiguous(let codes):
            verdict = .ambiguous(codes)
            alarms.append(.ambiguousRead(sequence: window.sequence, codes: codes))
        case .code(let code):
            if product == nil {
                verdict = .unknownProduct(recipe: window.recipe ?? -1)
            } else if facts?.reworkable == true, !recentReworked.contains(code) {
                // Seen before, physically rejected since: passes once more, not activated again.
                verdict = .reworked(code)
                recentReworked.insert(code)
                if recentReworked.count > recentCapacity { recentReworked.removeAll(keepingCapacity: true) }
            } else if recentGood.contains(code) || facts?.seen == true {
                verdict = .duplicate(code)
            } else if facts?.inPool == false {
                verdict = .foreign(code)
            } else {
                verdict = .good(code)
                remember(code)
            }
        }
        let decision = BottleDecision(lineID: lineID, bottleSequence: window.sequence, decidedAt: time, product: product,
                                      verdict: verdict)
        alarms += count(verdict.kind)
        return DecisionOutcome(decision: decision, alarms: alarms)
    }

    /// A bottle whose window did not close before its deadline: rejected as `timeout`, counted as a failure.
    public mutating func timeout(lineID: String? = nil, sequence: UInt64, recipe: Int?, at time: Date) -> DecisionOutcome {
        let decision = BottleDecision(lineID: lineID ?? self.lineID, bottleSequence: sequence, decidedAt: time,
                                      product: recipe.flatMap { products[$0] }, verdict: .timeout)
        return DecisionOutcome(decision: decision, alarms: count(.timeout))
    }

    /// Tells the decider that the outbox stored a decision differently (a `good` it downgraded to `duplicate`):
    /// the failure count follows what the bottle actually got.
    public mutating func correct(from original: DecisionKind, to stored: DecisionKind) -> [LineAlarm] {
        guard original == .good, stored != .good else { return [] }
        return count(stored)
    }

    private mutating func count(_ kind: DecisionKind) -> [LineAlarm] {
        if kind.passes {
            consecutiveFailures = 0
            failureKinds.removeAll(keepingCapacity: true)
            return []
        }
        consecutiveFailures += 1
        failureKinds.append(kind)
        if failureKinds.count > consecutiveFailureAlarm { failureKinds.removeFirst(failureKinds.count - consecutiveFailureAlarm) }
        // Raised when the threshold is reached, then again at every further multiple (not for every bottle).
        guard consecutiveFailures % consecutiveFailureAlarm == 0 else { return [] }
        return [.consecutiveFailures(count: consecutiveFailures, lastKinds: failureKinds,
                                     requestLineStop: stopLineOnConsecutiveFailures)]
    }

    private mutating func remember(_ code: StampCode) {
        recentGood.insert(code)
        recentOrder.append(code)
        if recentOrder.count > recentCapacity {
            let drop = recentOrder.count - recentCapacity
            for old in recentOrder.prefix(drop) { recentGood.remove(old) }
            recentOrder.removeFirst(drop)
        }
    }
}

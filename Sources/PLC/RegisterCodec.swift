import LineConfig

/// The signals the agent reads from the PLC every poll.
public enum PLCInput: String, CaseIterable, Sendable, Hashable {
    case bottleCounter, lineState, recipe, plcHeartbeat, rejectConfirmCounter, rejectAck
    /// Optional (read only when the register map has them): the PLC's fail-safe report.
    case failSafeTrips, failSafeFirst, failSafeLast

    /// Counters wrap around at their width and are never scaled; the others are values.
    public var isCounter: Bool { self != .lineState && self != .recipe }
}

/// The signals the agent writes to the PLC.
public enum PLCOutput: String, CaseIterable, Sendable, Hashable {
    case rejectSequence, rejectReason, rejectCommand, agentHeartbeat, agentStatus, agentAlarm, goodCounter, rejectCounter,
         lineStopRequest

    /// Counters wrap around at their width and are never scaled; the others are values.
    public var isCounter: Bool {
        switch self {
        case .rejectSequence, .rejectCommand, .agentHeartbeat, .goodCounter, .rejectCounter: true
        case .rejectReason, .agentStatus, .agentAlarm, .lineStopRequest: false
        }
    }
}

/// The values of the input signals from one poll. Counters are raw register values (already masked to their
/// width); `lineState` and `recipe` are scaled and rounded.
public struct PLCInputs: Sendable, Hashable {
    /// Bottles past the photo-eye under the camera (wraps at the register's width).
    public var bottleCounter: UInt32
    /// The line state number (see `lineStateValues`).
    public var lineState: Int
    /// The recipe being filled.
    public var recipe: Int
    /// Changes while the PLC program runs.
    public var plcHeartbeat: UInt32
    /// Bottles the reject station pushed off.
    public var rejectConfirmCounter: UInt32
    /// The PLC's echo of the last `rejectCommand` it took.
    public var rejectAck: UInt32
    /// The fail-safe report (0 when the map has none): trips so far, first and last item of the latest trip.
    public var failSafeTrips: UInt32 = 0, failSafeFirst: UInt32 = 0, failSafeLast: UInt32 = 0

    /// Creates a set of input values.
    public init(bottleCounter: UInt32 = 0, lineState: Int = 0, recipe: Int = 0, plcHeartbeat: UInt32 = 0,
                rejectConfirmCounter: UInt32 = 0, rejectAck: UInt32 = 0) {
        self.bottleCounter = bottleCounter
        self.lineState = lineState
        self.recipe = recipe
        self.plcHeartbeat = plcHeartbeat
        self.rejectConfirmCounter = rejectConfirmCounter
        self.rejectAck = rejectAck
    }

    /// The raw value of one input (lineState and recipe as their bit pattern).
    public subscript(input: PLCInput) -> Int64 {
        get {
            switch input {
            case .bottleCounter: Int64(bottleCounter)
            case .lineState: Int64(lineState)
            case .recipe: Int64(recipe)
            case .plcHeartbeat: Int64(plcHeartbeat)
            case .rejectConfirmCounter: Int64(rejectConfirmCounter)
            case .rejectAck: Int64(rejectAck)
            case .failSafeTrips: Int64(failSafeTrips)
            case .failSafeFirst: Int64(failSafeFirst)
            case .failSafeLast: Int64(failSafeLast)
            }
        }
        set {
            switch input {
            case .bottleCounter: bottleCounter = UInt32(truncatingIfNeeded: newValue)
            case .lineState: lineState = Int(newValue)
            case .recipe: recipe = Int(newValue)
            case .plcHeartbeat: plcHeartbeat = UInt32(truncatingIfNeeded: newValue)
            case .rejectConfirmCounter: rejectConfirmCounter = UInt32(truncatingIfNeeded: newValue)
            case .rejectAck: rejectAck = UInt32(truncatingIfNeeded: newValue)
            case .failSafeTrips: failSafeTrips = UInt32(truncatingIfNeeded: newValue)
            case .failSafeFirst: failSafeFirst = UInt32(truncatingIfNeeded: newValue)
            case .failSafeLast: failSafeLast = UInt32(truncatingIfNeeded: newValue)
            }
        }
    }
}

/// Encoding of single values into 16-bit words and back: 16/32 bits, ABCD/CDAB word order, scaling.
public enum RegisterCodec {
    /// The largest raw value a register of `bits` holds.
    public static func mask(bits: Int) -> UInt32 { bits >= 32 ? .max : (UInt32(1) << UInt32(bits)) - 1 }

    /// Decodes the raw (unsigned) value from `words` (one word for 16 bits, two for 32).
    public static func decode(_ words: some Collection<UInt16>, bits: Int, wordOrder: WordOrder) -> UInt32 {
        var iterator = words.makeIterator()
        let first = UInt32(iterator.next() ?? 0)
        guard bits == 32 else { return first }
        let second = UInt32(iterator.next() ?? 0)
        return wordOrder == .ABCD ? first << 16 | second : second << 16 | first
    }

    /// Encodes a raw value into one or two words in the register's word order (truncated to `bits`).
    public static func encode(_ raw: UInt32, bits: Int, wordOrder: WordOrder) -> [UInt16] {
        guard bits == 32 else { return [UInt16(truncatingIfNeeded: raw)] }
        let high = UInt16(truncatingIfNeeded: raw >> 16), low = UInt16(truncatingIfNeeded: raw)
        return wordOrder == .ABCD ? [high, low] : [low, high]
    }

    /// A raw value in engineering units (`raw × scale`).
    public static func scaled(_ raw: UInt32, scale: Double) -> Double { Double(raw) * scale }

    /// The raw value to write for an engineering value (`value ÷ scale`, rounded), or nil when it does not fit.
    public static func raw(for value: Double, scale: Double, bits: Int) -> UInt32? {
        let raw = (value / scale).rounded()
        guard raw.isFinite, raw >= 0, raw <= Double(mask(bits: bits)) else { return nil }
        return UInt32(raw)
    }
}

/// One Modbus read covering one or more input signals.
public struct ReadBlock: Sendable, Hashable {
    /// The table read.
    public var table: RegisterTable
    /// First address.
    public var address: Int
    /// Registers (or bits) read.
    public var count: Int
    /// The signals in the block and their offsets from `address`.
    public var members: [Member]

    /// A signal inside a block.
    public struct Member: Sendable, Hashable {
        /// The register map key.
        public var key: String
        /// Its register.
        public var register: RegisterConfiguration
        /// Its offset from the block's first address.
        public var offset: Int
    }

    /// The register map keys in the block.
    public var keys: [String] { members.map(\.key) }
}

/// One Modbus write covering one or more consecutive output signals.
public struct WriteBlock: Sendable, Hashable {
    /// The table written (holding or coil).
    public var table: RegisterTable
    /// First address.
    public var address: Int
    /// Words to write (for coils, 0 or 1 per coil).
    public var words: [UInt16]
    /// The register map keys written.
    public var keys: [String]

    /// Creates a write block.
    public init(table: RegisterTable, address: Int, words: [UInt16], keys: [String]) {
        self.table = table
        self.address = address
        self.words = words
        self.keys = keys
    }
}

/// Plans reads and writes for a register map: which signals go together into one request.
public struct RegisterMapCodec: Sendable {
    /// The register map.
    public let map: RegisterMap
    /// The reads done every poll: inputs of one table at contiguous addresses share one read.
    public let readPlan: [ReadBlock]

    /// Largest reads libmodbus allows (MODBUS_MAX_READ_REGISTERS, MODBUS_MAX_READ_BITS).
    static let maxReadRegisters = 125, maxReadBits = 2_000, maxWriteRegisters = 123

    /// Plans the reads for `map`.
    /// - Parameters:
    ///   - map: the validated register map.
    ///   - maxGap: unused addresses a read may span to join two signals (0: only truly contiguous signals; a gap can
    ///     hit addresses the PLC does not have, which it answers with an illegal-address exception).
    public init(map: RegisterMap, maxGap: Int = 0) {
        self.map = map
        let inputs = PLCInput.allCases.compactMap { input in Self.register(map, input).map { (key: input.rawValue, register: $0) } }
        readPlan = Self.plan(inputs, maxGap: maxGap)
    }

    /// The register of an input signal (nil: an optional signal the map does not have).
    public static func register(_ map: RegisterMap, _ input: PLCInput) -> RegisterConfiguration? {
        switch input {
        case .bottleCounter: map.bottleCounter
        case .lineState: map.lineState
        case .recipe: map.recipe
        case .plcHeartbeat: map.plcHeartbeat
        case .rejectConfirmCounter: map.rejectConfirmCounter
        case .rejectAck: map.rejectAck
        case .failSafeTrips: map.failSafeTrips
        case .failSafeFirst: map.failSafeFirst
        case .failSafeLast: map.failSafeLast
        }
    }

    /// The register of an output signal.
    public static func register(_ map: RegisterMap, _ output: PLCOutput) -> RegisterConfiguration {
        switch output {
        case .rejectSequence: map.rejectSequence
        case .rejectReason: map.rejectReason
        case .rejectCommand: map.rejectCommand
        case .agentHeartbeat: map.agentHeartbeat
        case .agentStatus: map.agentStatus
        case .agentAlarm: map.agentAlarm
        case .goodCounter: map.goodCounter
        case .rejectCounter: map.rejectCounter
        case .lineStopRequest: map.lineStopRequest
        }
    }

    /// Groups signals of one table whose addresses follow each other (up to `maxGap` apart) into single reads.
    public static func plan(_ signals: [(key: String, register: RegisterConfiguration)], maxGap: Int = 0) -> [ReadBlock] {
        var blocks: [ReadBlock] = []
        let tables: [RegisterTable] = [.input, .holding, .discrete, .coil]
        for table in tables {
            let members = signals.filter { $0.register.table == table }.sorted { $0.register.address < $1.register.address }
            let limit = table.isBit ? maxReadBits : maxReadRegisters
            var current: ReadBlock?
            for signal in members {
                let r = signal.register
                if var block = current, r.address <= block.address + block.count + maxGap,
                   r.addresses.upperBound - block.address + 1 <= limit {
                    block.members.append(.init(key: signal.key, register: r, offset: r.address - block.address))
                    block.count = max(block.count, r.addresses.upperBound - block.address + 1)
                    current = block
                } else {
                    if let block = current { blocks.append(block) }
                    current = ReadBlock(table: table, address: r.address, count: r.width,
                                        members: [.init(key: signal.key, register: r, offset: 0)])
                }
            }
            if let block = current { blocks.append(block) }
        }
        return blocks
    }

    /// Decodes the inputs from the words read for each block of `readPlan` (bits as 0/1 words), in plan order.
    public func decodeInputs(_ blockWords: [[UInt16]]) -> PLCInputs {
        var inputs = PLCInputs()
        for (block, words) in zip(readPlan, blockWords) {
            for member in block.members {
                guard let input = PLCInput(rawValue: member.key) else { continue }
                let r = member.register
                let raw = RegisterCodec.decode(words[member.offset..<(member.offset + r.width)], bits: r.table.isBit ? 16 : r.bits,
                                               wordOrder: r.wordOrder)
                if input.isCounter {
                    inputs[input] = Int64(raw & RegisterCodec.mask(bits: r.bits))
                } else {
                    inputs[input] = Int64(RegisterCodec.scaled(raw, scale: r.scale).rounded())
                }
            }
        }
        return inputs
    }

    /// The raw register value for an output value: counters are truncated to their width, other values divided by
    /// their scale and checked.
    public func raw(_ output: PLCOutput, _ value: Int64) throws(PLCError) -> UInt32 {
        let r = Self.register(map, output)
        if r.table.isBit { return value != 0 ? 1 : 0 }
        if output.isCounter { return UInt32(truncatingIfNeeded: value) & RegisterCodec.mask(bits: r.bits) }
        guard let raw = RegisterCodec.raw(for: Double(value), scale: r.scale, bits: r.bits) else {
            let maxValue = Int64((Double(RegisterCodec.mask(bits: r.bits)) * r.scale).rounded(.down))
            throw .valueOutOfRange(key: output.rawValue, value: value, range: 0...maxValue)
        }
        return raw
    }

    /// Plans the writes of `values` in the order given: consecutive values at consecutive addresses of one table
    /// share one request (so sequence + reason go in one write, and the handshake after them in another call).
    public func writeBlocks(_ values: [(PLCOutput, Int64)]) throws(PLCError) -> [WriteBlock] {
        var blocks: [WriteBlock] = []
        for (output, value) in values {
            let r = Self.register(map, output)
            let raw = try raw(output, value)
            let words = r.table.isBit ? [UInt16(raw)] : RegisterCodec.encode(raw, bits: r.bits, wordOrder: r.wordOrder)
            if var last = blocks.last, last.table == r.table, last.address + last.words.count == r.address,
               last.words.count + words.count <= Self.maxWriteRegisters {
                last.words += words
                last.keys.append(output.rawValue)
                blocks[blocks.count - 1] = last
            } else {
                blocks.append(WriteBlock(table: r.table, address: r.address, words: words, keys: [output.rawValue]))
            }
        }
        return blocks
    }
}

/// Command flags with Redis's names (COMMAND INFO prints them).
public struct CommandFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let write = CommandFlags(rawValue: 1 << 0)
    public static let readonly = CommandFlags(rawValue: 1 << 1)
    public static let denyoom = CommandFlags(rawValue: 1 << 2)
    public static let admin = CommandFlags(rawValue: 1 << 3)
    public static let pubsub = CommandFlags(rawValue: 1 << 4)
    public static let noscript = CommandFlags(rawValue: 1 << 5)
    public static let blocking = CommandFlags(rawValue: 1 << 6)
    public static let loading = CommandFlags(rawValue: 1 << 7)
    public static let stale = CommandFlags(rawValue: 1 << 8)
    public static let skipMonitor = CommandFlags(rawValue: 1 << 9)
    public static let skipSlowlog = CommandFlags(rawValue: 1 << 10)
    public static let fast = CommandFlags(rawValue: 1 << 11)
    public static let noAuth = CommandFlags(rawValue: 1 << 12)
    public static let mayReplicate = CommandFlags(rawValue: 1 << 13)
    public static let noMandatoryKeys = CommandFlags(rawValue: 1 << 14)
    public static let noMulti = CommandFlags(rawValue: 1 << 15)
    public static let allowBusy = CommandFlags(rawValue: 1 << 16)
    public static let asking = CommandFlags(rawValue: 1 << 17)
    public static let noAsyncLoading = CommandFlags(rawValue: 1 << 18)
    /// Derived: keys are found by a custom finder.
    public static let movableKeys = CommandFlags(rawValue: 1 << 19)
    /// Refused unless a configuration option allows it (DEBUG and `enable-debug-command`).
    /// Not listed by COMMAND INFO, as in Redis.
    public static let protected = CommandFlags(rawValue: 1 << 20)

    static let names: [(CommandFlags, String)] = [
        (.write, "write"), (.readonly, "readonly"), (.denyoom, "denyoom"), (.admin, "admin"), (.pubsub, "pubsub"),
        (.noscript, "noscript"), (.blocking, "blocking"), (.loading, "loading"), (.stale, "stale"),
        (.skipMonitor, "skip_monitor"), (.skipSlowlog, "skip_slowlog"), (.asking, "asking"), (.fast, "fast"),
        (.noAuth, "no_auth"), (.mayReplicate, "may_replicate"), (.noMandatoryKeys, "no_mandatory_keys"),
        (.noAsyncLoading, "no_async_loading"), (.noMulti, "no_multi"), (.movableKeys, "movablekeys"), (.allowBusy, "allow_busy"),
    ]

    /// Redis's spelling of each set flag, in Redis's order.
    public var names: [String] { Self.names.filter { contains($0.0) }.map { $0.1 } }
}

/// Redis's command groups (COMMAND DOCS), which also give the ACL category.
public enum CommandGroup: String, Sendable {
    case generic, string, list, set, hash, pubsub, transactions, connection, server, scripting
    case sortedSet = "sorted-set"
    case hyperloglog, cluster, geo, stream, bitmap

    var aclCategory: String? {
        switch self {
        case .generic: return "keyspace"
        case .string: return "string"
        case .list: return "list"
        case .set: return "set"
        case .hash: return "hash"
        case .sortedSet: return "sortedset"
        case .pubsub: return "pubsub"
        case .transactions: return "transaction"
        case .connection: return "connection"
        case .scripting: return "scripting"
        case .hyperloglog: return "hyperloglog"
        case .geo: return "geo"
        case .stream: return "stream"
        case .bitmap: return "bitmap"
        case .server, .cluster: return nil
        }
    }
}

/// Where a command's keys are, which decides which shards it locks.
public enum KeySpec: Sendable {
    /// No keys and no keyspace access (PING, CONFIG...).
    case none
    /// Keys at `first...last` every `step` (last < 0 counts from the end), Redis's legacy triple.
    case range(first: Int, last: Int, step: Int)
    /// Touches the whole keyspace (KEYS, FLUSHALL, SCAN...): every shard is locked.
    case all
}

/// Keys found in one invocation.
public enum KeyLocations {
    /// Argument indices holding keys.
    case positions([Int])
    /// The command may touch any key: lock everything.
    case everything
}

/// One Redis 7 key specification: where a command's keys start, how many
/// follow, and what the command does with them (COMMAND INFO, COMMAND
/// GETKEYSANDFLAGS).
public struct CommandKeySpec: Sendable {
    /// How the first key is located.
    public enum BeginSearch: Sendable {
        /// A fixed argument index.
        case index(Int)
        /// The argument after `keyword`, searched from `startFrom` (negative: from the end, backwards).
        case keyword(String, startFrom: Int)
        case unknown
    }

    /// How the remaining keys are found from the first one.
    public enum FindKeys: Sendable {
        /// Keys up to `lastKey` (relative to the first; negative counts from the
        /// end), every `step`; `limit` > 1 takes only 1/limit of the remaining arguments.
        case range(lastKey: Int, step: Int, limit: Int)
        /// The argument at `numKeysIndex` (relative) holds the key count; keys
        /// start at `firstKey` (relative) every `step`.
        case keynum(numKeysIndex: Int, firstKey: Int, step: Int)
        case unknown
    }

    /// Redis's flag names, in Redis's order: RO, RW, OW, RM, access, update,
    /// insert, delete, not_key, incomplete, variable_flags.
    public let flags: [String]
    public let beginSearch: BeginSearch
    public let findKeys: FindKeys
    public let notes: String?
    /// For `variable_flags` specs: the flags a given command line really
    /// has (COMMAND GETKEYSANDFLAGS), from the whole command line.
    public let actualFlags: (@Sendable ([[UInt8]]) -> [String])?

    public init(flags: [String], _ beginSearch: BeginSearch, _ findKeys: FindKeys, notes: String? = nil,
                actualFlags: (@Sendable ([[UInt8]]) -> [String])? = nil) {
        self.flags = flags
        self.beginSearch = beginSearch
        self.findKeys = findKeys
        self.notes = notes
        self.actualFlags = actualFlags
    }

    /// The key at argument `index` alone.
    public static func one(_ index: Int, _ flags: [String]) -> CommandKeySpec {
        CommandKeySpec(flags: flags, .index(index), .range(lastKey: 0, step: 1, limit: 0))
    }

    /// Keys from argument `index` to the last, every `step` arguments.
    public static func rest(_ index: Int, _ flags: [String], step: Int = 1) -> CommandKeySpec {
        CommandKeySpec(flags: flags, .index(index), .range(lastKey: -1, step: step, limit: 0))
    }

    /// Argument indices of the keys this spec finds in `args` (the whole command line).
    public func keyPositions(_ args: [[UInt8]]) -> [Int]? {
        let argc = args.count
        var first: Int
        switch beginSearch {
        case .index(let i):
            first = i
        case .keyword(let word, let startFrom):
            let lower = Array(word.lowercased().utf8)
            let matches: (Int) -> Bool = { i in
                args[i].count == lower.count && zip(args[i], lower).allSatisfy { ($0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0) == $1 }
            }
            var found: Int?
            if startFrom >= 0 {
                var i = startFrom
                while i < argc { if matches(i) { found = i; break }; i += 1 }
            } else {
                var i = argc + startFrom
                while i > 0 { if matches(i) { found = i; break }; i -= 1 }
            }
            guard let k = found else { return [] }
            first = k + 1
        case .unknown:
            return nil
        }
        guard first < argc else { return [] }
        var last: Int
        var step: Int
        switch findKeys {
        case .range(let lastKey, let keyStep, let limit):
            if lastKey >= 0 {
                last = first + lastKey
            } else if limit == 0 {
                last = argc + lastKey
            } else {
                last = first + (argc - first) / limit + lastKey
            }
            step = keyStep
        case .keynum(let numKeysIndex, let firstKey, let keyStep):
            let idx = first + numKeysIndex
            guard idx < argc, let n = args[idx].withBytes({ Numbers.parseInt64($0) }), n >= 0 else { return nil }
            first += firstKey
            // More keys announced than arguments left is a syntax error, as Redis reports it.
            guard n <= Int64(argc) else { return nil }
            last = first + Int(n) - 1
            guard last < argc else { return nil }
            step = keyStep
        case .unknown:
            return nil
        }
        guard step > 0 else { return [] }
        var out: [Int] = []
        var i = first
        while i <= last {
            if i < argc { out.append(i) }
            i += step
        }
        return out
    }
}

public typealias CommandHandler = (Client) -> Void
public typealias KeyFinder = (Client) -> KeyLocations

/// One row of the command table. Arity, COMMAND output, shard locking and
/// script key checks all derive from it.
public final class CommandSpec: @unchecked Sendable {
    /// Lowercase name; subcommands use only their own part (`get` of `config`).
    public let name: String
    /// `name` as bytes, for allocation-free lookups.
    let nameBytes: [UInt8]
    /// Positive: exact argument count including the name; negative: at least `-arity`.
    public let arity: Int
    public let flags: CommandFlags
    public let keys: KeySpec
    /// Finder for commands whose keys move (EVAL, ZUNIONSTORE...); legacy triple stays in `keys`.
    public let keyFinder: KeyFinder?
    public let group: CommandGroup
    public let since: String
    public let complexity: String
    public let summary: String
    public let handler: CommandHandler?
    public private(set) var subcommands: [CommandSpec] = []
    /// `config|get` for subcommands, else the name.
    public private(set) var fullName: String
    public private(set) weak var parent: CommandSpec?
    /// Dense index for statistics arrays (assigned by the table).
    public internal(set) var id = 0
    /// Deprecated commands name their replacement (COMMAND DOCS).
    public let replacedBy: String?
    public let deprecatedSince: String?
    /// Explicit key specifications; nil derives one from `keys` (see `effectiveKeySpecs`).
    public let explicitKeySpecs: [CommandKeySpec]?
    /// Command tips (`nondeterministic_output`, `request_policy:all_shards`...).
    public let tips: [String]
    /// ACL categories beyond those implied by flags and group (`dangerous`, `keyspace`...), without `@`;
    /// `-name` removes one the group implies.
    public let extraACLCategories: [String]

    public init(_ name: String, arity: Int, flags: CommandFlags = [], keys: KeySpec = .none, keyFinder: KeyFinder? = nil,
                group: CommandGroup, since: String, complexity: String = "O(1)", summary: String,
                replacedBy: String? = nil, deprecatedSince: String? = nil,
                keySpecs: [CommandKeySpec]? = nil, tips: [String] = [], acl: [String] = [],
                subcommands: [CommandSpec] = [], handler: CommandHandler?) {
        self.name = name
        self.nameBytes = Array(name.utf8)
        self.arity = arity
        self.flags = keyFinder == nil ? flags : flags.union(.movableKeys)
        self.keys = keys
        self.keyFinder = keyFinder
        self.group = group
        self.since = since
        self.complexity = complexity
        self.summary = summary
        self.handler = handler
        self.fullName = name
        self.replacedBy = replacedBy
        self.deprecatedSince = deprecatedSince
        self.explicitKeySpecs = keySpecs
        self.tips = tips
        self.extraACLCategories = acl
        self.subcommands = subcommands
        for s in subcommands {
            s.parent = self
            s.fullName = "\(name)|\(s.name)"
        }
    }

    /// True when the argument count fits the arity.
    @inline(__always)
    public func arityMatches(_ argc: Int) -> Bool {
        arity > 0 ? argc == arity : argc >= -arity
    }

    /// Legacy (first, last, step) as COMMAND prints them.
    public var keyTriple: (Int, Int, Int) {
        if case .range(let f, let l, let s) = keys { return (f, l, s) }
        return (0, 0, 0)
    }

    /// Key argument indices for this invocation.
    public func keyPositions(_ c: Client) -> KeyLocations {
        if let keyFinder { return keyFinder(c) }
        switch keys {
        case .none: return .positions([])
        case .all: return .everything
        case .range(let first, let last, let step):
            let argc = c.argc
            let end = last < 0 ? argc + last : min(last, argc - 1)
            guard first < argc, first <= end else { return .positions([]) }
            return .positions(Array(stride(from: first, through: end, by: step)))
        }
    }

    /// Redis's ACL category table order, which COMMAND INFO follows.
    static let aclCategoryOrder = ["keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
                                   "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
                                   "dangerous", "connection", "transaction", "scripting"]

    /// ACL categories (with `@`): the explicit ones, the group's, and those
    /// implied by flags as Redis derives them, in Redis's table order.
    public var aclCategories: [String] {
        var cats = Set(extraACLCategories)
        // A container (CONFIG, CLIENT...) has only what its flags imply; its subcommands carry the group.
        if subcommands.isEmpty, let g = group.aclCategory { cats.insert(g) }
        if flags.contains(.write) { cats.insert("write") }
        if flags.contains(.readonly) && !cats.contains("scripting") { cats.insert("read") }
        if flags.contains(.admin) { cats.insert("admin"); cats.insert("dangerous") }
        if flags.contains(.pubsub) { cats.insert("pubsub") }
        if flags.contains(.fast) { cats.insert("fast") }
        if flags.contains(.blocking) { cats.insert("blocking") }
        if !cats.contains("fast") { cats.insert("slow") }
        // `-name` drops a category the group would imply (SORT is generic yet not @keyspace).
        for a in extraACLCategories where a.hasPrefix("-") { cats.remove(String(a.dropFirst())) }
        return Self.aclCategoryOrder.filter { cats.contains($0) }.map { "@" + $0 }
    }

    /// The key specifications COMMAND INFO reports: the explicit ones, else
    /// one derived from the legacy range (read-only commands read their keys,
    /// others update them).
    public var effectiveKeySpecs: [CommandKeySpec] {
        if let explicitKeySpecs { return explicitKeySpecs }
        guard case .range(let first, let last, let step) = keys, first > 0 else { return [] }
        let flagNames = flags.contains(.readonly) ? ["RO", "access"] : flags.contains(.write) ? ["RW", "update"] : ["RO"]
        return [CommandKeySpec(flags: flagNames, .index(first), .range(lastKey: last < 0 ? last : last - first, step: step, limit: 0))]
    }

    /// Keys of the command line `args` (name included) with their key-spec
    /// flags, as COMMAND GETKEYSANDFLAGS reports them; nil when they cannot
    /// be determined (an unknown spec or a bad key count).
    public func keysWithFlags(_ args: [[UInt8]], finder: ((CommandSpec, [[UInt8]]) -> [Int]?)? = nil) -> [(Int, [String])]? {
        let specs = effectiveKeySpecs
        let resolvable = !specs.isEmpty && specs.allSatisfy {
            if case .unknown = $0.beginSearch { return false }
            if case .unknown = $0.findKeys { return false }
            return true
        }
        if resolvable && (keyFinder == nil || explicitKeySpecs != nil) {
            var out: [(Int, [String])] = []
            for spec in specs {
                guard let positions = spec.keyPositions(args) else { return nil }
                let flags = spec.actualFlags?(args) ?? spec.flags
                for p in positions { out.append((p, flags)) }
            }
            return out
        }
        guard let positions = finder?(self, args) else { return nil }
        // Keys a resolvable spec finds take its flags; the others those of the
        // last spec that cannot be resolved (SORT: its STORE destination).
        func isResolvable(_ spec: CommandKeySpec) -> Bool {
            if case .unknown = spec.beginSearch { return false }
            if case .unknown = spec.findKeys { return false }
            return true
        }
        var known: [Int: [String]] = [:]
        for spec in specs where isResolvable(spec) {
            for p in spec.keyPositions(args) ?? [] where known[p] == nil { known[p] = spec.actualFlags?(args) ?? spec.flags }
        }
        let fallback = specs.last { !isResolvable($0) }?.flags ?? specs.first?.flags
            ?? (flags.contains(.readonly) ? ["RO", "access"] : ["RW", "update"])
        return positions.map { ($0, known[$0] ?? fallback) }
    }

    /// Finds a subcommand by (case-insensitive) name.
    public func subcommand(_ name: Bytes) -> CommandSpec? {
        subcommands.first { s in
            s.nameBytes.count == name.count && zip(s.nameBytes, name).allSatisfy { a, b in a == (b >= 65 && b <= 90 ? b | 0x20 : b) }
        }
    }
}

/// All commands, looked up by name without allocating.
public final class CommandTable: @unchecked Sendable {
    public private(set) var commands: [CommandSpec] = []
    /// Every spec including subcommands, indexed by `id`.
    public private(set) var allSpecs: [CommandSpec] = []
    private var slots: [Int32] = []
    private var mask = 0

    public init(_ families: [[CommandSpec]]) {
        for f in families { for c in f { add(c) } }
        rebuildIndex()
    }

    private func add(_ c: CommandSpec) {
        precondition(!commands.contains { $0.name == c.name }, "duplicate command \(c.name)")
        commands.append(c)
        c.id = allSpecs.count
        allSpecs.append(c)
        for s in c.subcommands {
            s.id = allSpecs.count
            allSpecs.append(s)
        }
    }

    @inline(__always)
    static func hashLower(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0..<n {
            var b = p[i]
            if b >= 65 && b <= 90 { b |= 0x20 }
            h = (h ^ UInt64(b)) &* 0x100_0000_01b3
        }
        return Int(truncatingIfNeeded: h)
    }

    private func rebuildIndex() {
        var size = 64
        while size < commands.count * 4 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (i, c) in commands.enumerated() {
            let h = c.nameBytes.withUnsafeBufferPointer { Self.hashLower($0.baseAddress!, $0.count) }
            var idx = h & mask
            while slots[idx] >= 0 { idx = (idx + 1) & mask }
            slots[idx] = Int32(i)
        }
    }

    /// The command named by `name` (any case), or nil.
    @inline(__always)
    public func lookup(_ name: Bytes) -> CommandSpec? {
        guard name.count > 0 && name.count < 64 else { return nil }
        var idx = Self.hashLower(name.baseAddress!, name.count) & mask
        while true {
            let s = slots[idx]
            if s < 0 { return nil }
            let c = commands[Int(s)]
            if c.nameBytes.count == name.count {
                var same = true
                for i in 0..<name.count {
                    var b = name[i]
                    if b >= 65 && b <= 90 { b |= 0x20 }
                    if b != c.nameBytes[i] { same = false; break }
                }
                if same { return c }
            }
            idx = (idx + 1) & mask
        }
    }

    public func lookup(_ name: String) -> CommandSpec? {
        var n = name
        return n.withUTF8 { lookup($0) }
    }

    /// The command `name` names, where `container|sub` names a subcommand
    /// (COMMAND INFO, ACL rules, LATENCY HISTOGRAM); any case.
    public func lookup(fullName name: String) -> CommandSpec? {
        let parts = name.split(separator: "|", omittingEmptySubsequences: false)
        guard let top = lookup(String(parts[0])) else { return nil }
        if parts.count == 1 { return top }
        guard parts.count == 2 else { return nil }
        return Array(parts[1].utf8).withBytes { top.subcommand($0) }
    }
}

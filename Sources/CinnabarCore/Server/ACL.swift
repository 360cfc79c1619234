import CSystem
import Glibc
import Synchronization

/// Why ACL refused something (Redis's ACL_DENIED_* values: they also rank
/// which selector's refusal is reported).
public enum ACLDenial: Int, Sendable {
    case command = 1, key = 2, auth = 3, channel = 4

    var logName: String {
        switch self {
        case .command: return "command"
        case .key: return "key"
        case .auth: return "auth"
        case .channel: return "channel"
        }
    }

    /// The text scripts report (Redis's getAclErrorMessage).
    public var scriptMessage: String {
        switch self {
        case .command: return "can't run this command or subcommand"
        case .key: return "can't access at least one of the keys mentioned in the command arguments"
        case .channel: return "can't publish to the channel mentioned in the command"
        case .auth: return "lacking the permissions for the command"
        }
    }
}

/// Where a refused command came from (ACL LOG `context`).
public enum ACLLogContext: String, Sendable {
    case toplevel, lua, multi
}

/// One key pattern of a selector: `~pat` (read and write), `%R~pat`, `%W~pat`.
struct ACLKeyPattern {
    static let read: UInt8 = 1
    static let write: UInt8 = 2
    var pattern: [UInt8]
    var flags: UInt8

    var text: String {
        let prefix = flags == Self.read | Self.write ? "~" : flags == Self.read ? "%R~" : "%W~"
        return prefix + String(decoding: pattern, as: UTF8.self)
    }
}

/// A set of permissions: the root one of a user, or one of its `(...)` selectors.
struct ACLSelector {
    var allKeys = false
    var allChannels = false
    /// Set only by `+@all`/`allcommands`, cleared by any removal: the user may run commands added later.
    var allCommands = false
    /// One bit per command id (`CommandSpec.id`), plus a last one for "future commands".
    var bits: [UInt64]
    /// `+cmd|arg` allowances of an otherwise denied command, by command id.
    var firstArgs: [Int: [String]] = [:]
    var keys: [ACLKeyPattern] = []
    var channels: [[UInt8]] = []

    init(words: Int, allChannels: Bool) {
        bits = [UInt64](repeating: 0, count: words)
        self.allChannels = allChannels
    }

    @inline(__always) func bit(_ id: Int) -> Bool { bits[id >> 6] & (1 << UInt64(id & 63)) != 0 }

    mutating func setBit(_ id: Int, _ on: Bool) {
        if on {
            bits[id >> 6] |= 1 << UInt64(id & 63)
        } else {
            bits[id >> 6] &= ~(1 << UInt64(id & 63))
            allCommands = false
        }
    }

    /// Allows every command, key and channel: checks can be skipped.
    var allowsEverything: Bool { allCommands && allKeys && allChannels && firstArgs.isEmpty }
}

/// The rules of a user, copied, edited and swapped as a whole by ACL SETUSER.
struct ACLUserState {
    var enabled = false
    var nopass = false
    /// nil: neither `sanitize-payload` nor `skip-sanitize-payload` given.
    var skipSanitize: Bool?
    /// SHA-256 hex digests.
    var passwords: [String] = []
    /// The root selector first, then `(...)` selectors in the order added.
    var selectors: [ACLSelector]
}

/// A user. Its rules are read and written only under the registry's lock;
/// connections hold a strong reference in `Client.user`.
public final class ACLUser: @unchecked Sendable {
    /// The user name (any bytes but spaces and NUL).
    public let name: String
    var state: ACLUserState {
        didSet { unrestricted.store(state.selectors.first?.allowsEverything ?? false, ordering: .releasing) }
    }
    /// True while the user may run every command on every key and channel: its
    /// connections skip permission checks without taking the registry's lock.
    let unrestricted = Atomic<Bool>(false)

    init(name: String, state: ACLUserState) {
        self.name = name
        self.state = state
        unrestricted.store(state.selectors.first?.allowsEverything ?? false, ordering: .releasing)
    }
}

/// A refused rule of ACL SETUSER (Redis's errno-based messages).
enum ACLRuleError: Error {
    case unknownName, syntax, keyAfterAll, channelAfterAll, noSuchPassword, badHash, duplicateUser, firstArgOfSubcommand

    var message: String {
        switch self {
        case .unknownName: return "Unknown command or category name in ACL"
        case .syntax: return "Syntax error"
        case .keyAfterAll:
            return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
        case .channelAfterAll:
            return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
        case .noSuchPassword: return "The password you are trying to remove from the user does not exist"
        case .badHash: return "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
        case .duplicateUser: return "Duplicate user found. A user can only be defined once in config files"
        case .firstArgOfSubcommand: return "Allowing first-arg of a subcommand is not supported"
        }
    }
}

/// One ACL LOG entry; similar refusals within a minute are counted in one.
struct ACLLogEntry {
    var count: Int
    let reason: ACLDenial
    let context: ACLLogContext
    let object: [UInt8]
    let username: String
    var millis: Int64
    var clientInfo: String
}

/// Users, their rules, permission checks and the ACL log of one server.
/// Everything mutable is guarded by `lock`; the hot path reads only the
/// `restricted` atomic, false while every user may run everything.
public final class ACL: @unchecked Sendable {
    /// Redis's category table, in its order (ACL CAT, rule descriptions).
    static let categories = CommandSpec.aclCategoryOrder

    let lock = Lock()
    let table: CommandTable
    let config: ConfigStore
    /// Bit index meaning "commands added in the future" (set only by +@all).
    let futureBit: Int
    let words: Int
    /// Category bits of each command id, one bit per entry of `categories`.
    let categoryMasks: [UInt32]
    var users: [String: ACLUser] = [:]
    /// The `default` user: new connections run as it; it is never deleted (ACL LOAD edits it in place).
    public let defaultUser: ACLUser
    /// The unlisted user of internal clients that must never be refused (AOF
    /// replay), like Redis's clients without a user.
    public let internalUser: ACLUser
    var log: [ACLLogEntry] = []

    /// True when some user lacks a permission: commands must be checked.
    public let restricted = Atomic<Bool>(false)
    /// True when the default user needs a password (or is off): new and reset connections start unauthenticated.
    public let defaultRequiresAuth = Atomic<Bool>(false)
    /// Set when the users in the configuration (`user` lines, aclfile) could not be loaded: start-up stops.
    public private(set) var startupError: String?

    init(table: CommandTable, config: ConfigStore) {
        self.table = table
        self.config = config
        futureBit = table.allSpecs.count
        words = futureBit / 64 + 1
        var masks = [UInt32](repeating: 0, count: table.allSpecs.count)
        for spec in table.allSpecs {
            var m: UInt32 = 0
            for cat in spec.aclCategories {
                if let i = Self.categories.firstIndex(of: String(cat.dropFirst())) { m |= 1 << UInt32(i) }
            }
            masks[spec.id] = m
        }
        categoryMasks = masks
        defaultUser = ACLUser(name: "default", state: ACLUserState(selectors: []))
        internalUser = ACLUser(name: "", state: ACLUserState(selectors: []))
        defaultUser.state = makeDefaultState()
        internalUser.state = makeDefaultState()
        users["default"] = defaultUser
        let cfg = config.snapshot
        if !cfg.requirepass.isEmpty { setDefaultPassword(cfg.requirepass) }
        refreshSummary()
        startupError = loadAtStartup(cfg)
    }

    // MARK: rules

    func newSelector() -> ACLSelector {
        ACLSelector(words: words, allChannels: config.snapshot.extras["acl-pubsub-default"] == "allchannels")
    }

    func newState() -> ACLUserState {
        ACLUserState(selectors: [newSelector()])
    }

    func makeDefaultState() -> ACLUserState {
        var s = newState()
        for op in ["+@all", "~*", "&*", "on", "nopass"] { try? apply(op, to: &s) }
        return s
    }

    /// `requirepass` sets the default user's only password, or makes it nopass when empty.
    public func setDefaultPassword(_ password: String) {
        lock.withLock {
            try? apply("resetpass", to: &defaultUser.state)
            try? apply(password.isEmpty ? "nopass" : ">" + password, to: &defaultUser.state)
        }
        refreshSummary()
    }

    /// Recomputes the atomics the hot path reads.
    func refreshSummary() {
        let (anyRestricted, needsAuth) = lock.withLock { () -> (Bool, Bool) in
            let r = users.values.contains { u in !(u.state.selectors.first?.allowsEverything ?? false) }
            let d = defaultUser.state
            return (r, !d.nopass || !d.enabled)
        }
        restricted.store(anyRestricted, ordering: .releasing)
        defaultRequiresAuth.store(needsAuth, ordering: .releasing)
    }

    func changePerm(_ s: inout ACLSelector, _ cmd: CommandSpec, _ allow: Bool) {
        s.setBit(cmd.id, allow)
        s.firstArgs[cmd.id] = nil
        for sub in cmd.subcommands { s.setBit(sub.id, allow) }
    }

    func setCategory(_ s: inout ACLSelector, _ cat: Int, _ allow: Bool) {
        let flag: UInt32 = 1 << UInt32(cat)
        for cmd in table.commands {
            if categoryMasks[cmd.id] & flag != 0 { changePerm(&s, cmd, allow) }
            for sub in cmd.subcommands where categoryMasks[sub.id] & flag != 0 { changePerm(&s, sub, allow) }
        }
    }

    func categoryIndex(_ name: Substring) -> Int? {
        let lower = name.lowercased()
        return Self.categories.firstIndex(of: lower)
    }

    static func hasSpaces(_ s: some Collection<UInt8>) -> Bool {
        s.contains { $0 == 0 || $0 == 32 || ($0 >= 9 && $0 <= 13) }
    }

    /// Applies one selector rule (keys, channels, commands).
    func applySelector(_ op: String, to s: inout ACLSelector) throws(ACLRuleError) {
        let lower = op.lowercased()
        let u = Array(op.utf8)
        if lower == "allkeys" || op == "~*" {
            s.allKeys = true
            s.keys.removeAll()
        } else if lower == "resetkeys" {
            s.allKeys = false
            s.keys.removeAll()
        } else if lower == "allchannels" || op == "&*" {
            s.allChannels = true
            s.channels.removeAll()
        } else if lower == "resetchannels" {
            s.allChannels = false
            s.channels.removeAll()
        } else if lower == "allcommands" || lower == "+@all" {
            for i in 0..<s.bits.count { s.bits[i] = ~0 }
            s.allCommands = true
            s.firstArgs.removeAll()
        } else if lower == "nocommands" || lower == "-@all" {
            for i in 0..<s.bits.count { s.bits[i] = 0 }
            s.allCommands = false
            s.firstArgs.removeAll()
        } else if u.first == UInt8(ascii: "~") || u.first == UInt8(ascii: "%") {
            if s.allKeys { throw .keyAfterAll }
            var flags: UInt8 = 0
            var offset = 1
            if u[0] == UInt8(ascii: "%") {
                while offset < u.count {
                    let ch = u[offset] & ~0x20
                    if ch == UInt8(ascii: "R") && flags & ACLKeyPattern.read == 0 {
                        flags |= ACLKeyPattern.read
                    } else if ch == UInt8(ascii: "W") && flags & ACLKeyPattern.write == 0 {
                        flags |= ACLKeyPattern.write
                    } else if u[offset] == UInt8(ascii: "~") {
                        offset += 1
                        break
                    } else {
                        throw .syntax
                    }
                    offset += 1
                }
                // The installed 7.0.15 refuses a `%` rule granting nothing (`%~key`).
                if flags == 0 { throw .syntax }
            } else {
                flags = ACLKeyPattern.read | ACLKeyPattern.write
            }
            let pattern = Array(u[min(offset, u.count)...])
            if Self.hasSpaces(pattern) { throw .syntax }
            if let i = s.keys.firstIndex(where: { $0.pattern == pattern }) {
                s.keys[i].flags |= flags
            } else {
                s.keys.append(ACLKeyPattern(pattern: pattern, flags: flags))
            }
            s.allKeys = false
        } else if u.first == UInt8(ascii: "&") {
            if s.allChannels { throw .channelAfterAll }
            let pattern = Array(u[1...])
            if Self.hasSpaces(pattern) { throw .syntax }
            if !s.channels.contains(pattern) { s.channels.append(pattern) }
            s.allChannels = false
        } else if u.first == UInt8(ascii: "+") && (u.count < 2 || u[1] != UInt8(ascii: "@")) {
            let name = String(op.dropFirst())
            guard let bar = name.lastIndex(of: "|") else {
                guard let cmd = table.lookup(fullName: name) else { throw .unknownName }
                changePerm(&s, cmd, true)
                return
            }
            let base = String(name[..<bar])
            let sub = String(name[name.index(after: bar)...])
            guard let cmd = table.lookup(fullName: base) else { throw .unknownName }
            if cmd.parent != nil { throw .firstArgOfSubcommand }
            if sub.isEmpty { throw .syntax }
            if !cmd.subcommands.isEmpty {
                guard let subcmd = table.lookup(fullName: name) else { throw .unknownName }
                changePerm(&s, subcmd, true)
            } else {
                var list = s.firstArgs[cmd.id] ?? []
                if !list.contains(where: { $0.lowercased() == sub.lowercased() }) { list.append(sub) }
                s.firstArgs[cmd.id] = list
            }
        } else if u.first == UInt8(ascii: "-") && (u.count < 2 || u[1] != UInt8(ascii: "@")) {
            guard let cmd = table.lookup(fullName: String(op.dropFirst())) else { throw .unknownName }
            changePerm(&s, cmd, false)
        } else if (u.first == UInt8(ascii: "+") || u.first == UInt8(ascii: "-")) && u.count > 1 && u[1] == UInt8(ascii: "@") {
            guard let cat = categoryIndex(op.dropFirst(2)) else { throw .unknownName }
            setCategory(&s, cat, u[0] == UInt8(ascii: "+"))
        } else {
            throw .syntax
        }
    }

    static func isValidHash(_ s: Substring) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// Applies one SETUSER rule to `state`.
    func apply(_ op: String, to state: inout ACLUserState) throws(ACLRuleError) {
        if op.isEmpty { return }
        let lower = op.lowercased()
        let first = op.utf8.first!
        switch lower {
        case "on": state.enabled = true
        case "off": state.enabled = false
        case "skip-sanitize-payload": state.skipSanitize = true
        case "sanitize-payload": state.skipSanitize = false
        case "nopass":
            state.nopass = true
            state.passwords.removeAll()
        case "resetpass":
            state.nopass = false
            state.passwords.removeAll()
        case "clearselectors":
            state.selectors.removeSubrange(1...)
        case "reset":
            try apply("resetpass", to: &state)
            try applySelector("resetkeys", to: &state.selectors[0])
            try applySelector("resetchannels", to: &state.selectors[0])
            if config.snapshot.extras["acl-pubsub-default"] == "allchannels" {
                try applySelector("allchannels", to: &state.selectors[0])
            }
            state.enabled = false
            state.skipSanitize = false
            state.selectors.removeSubrange(1...)
            try applySelector("-@all", to: &state.selectors[0])
        default:
            if first == UInt8(ascii: ">") || first == UInt8(ascii: "#") {
                let hash: String
                if first == UInt8(ascii: ">") {
                    hash = SHA256.hex(op.utf8.dropFirst())
                } else {
                    guard Self.isValidHash(op.dropFirst()) else { throw .badHash }
                    hash = String(op.dropFirst())
                }
                if !state.passwords.contains(hash) { state.passwords.append(hash) }
                state.nopass = false
            } else if first == UInt8(ascii: "<") || first == UInt8(ascii: "!") {
                let hash: String
                if first == UInt8(ascii: "<") {
                    hash = SHA256.hex(op.utf8.dropFirst())
                } else {
                    guard Self.isValidHash(op.dropFirst()) else { throw .badHash }
                    hash = String(op.dropFirst())
                }
                guard let i = state.passwords.firstIndex(of: hash) else { throw .noSuchPassword }
                state.passwords.remove(at: i)
            } else if first == UInt8(ascii: "(") && op.utf8.last == UInt8(ascii: ")") {
                var sel = newSelector()
                let inner = String(op.dropFirst().dropLast())
                for word in RequestParser.splitArgs(inner) ?? [] {
                    try applySelector(String(decoding: word, as: UTF8.self), to: &sel)
                }
                state.selectors.append(sel)
            } else {
                try applySelector(op, to: &state.selectors[0])
            }
        }
    }

    enum MergedRules {
        case success([String])
        case failure(Int)
    }

    /// Joins `(` ... `)` arguments into one selector rule; on an unclosed
    /// parenthesis returns the index of its opening argument.
    static func mergeSelectorArguments(_ args: [String]) -> MergedRules {
        var out: [String] = []
        var open = -1
        var current = ""
        for (j, op) in args.enumerated() {
            if open < 0 && op.hasPrefix("(") && !op.hasSuffix(")") {
                current = op
                open = j
                continue
            }
            if open >= 0 {
                current += " " + op
                if op.hasSuffix(")") {
                    open = -1
                    out.append(current)
                }
                continue
            }
            out.append(op)
        }
        return open >= 0 ? .failure(open) : .success(out)
    }

    /// ACL SETUSER: creates or edits `name` with `rules`; nil on success, else Redis's error text.
    func setUser(_ name: String, rules: [String], current: Client? = nil) -> String? {
        let merged: [String]
        switch Self.mergeSelectorArguments(rules) {
        case .success(let m): merged = m
        case .failure(let i): return "ERR Unmatched parenthesis in acl selector starting at '\(rules[i])'."
        }
        var pubsubVictims: (ACLUser, [ACLSelector])?
        let error: String? = lock.withLock {
            let existing = users[name]
            var state = existing?.state ?? newState()
            for op in merged {
                do throws(ACLRuleError) {
                    try apply(op, to: &state)
                } catch {
                    return "ERR Error in ACL SETUSER modifier '\(op)': \(error.message)"
                }
            }
            if let existing {
                if channelsShrank(from: existing.state.selectors, to: state.selectors) { pubsubVictims = (existing, state.selectors) }
                existing.state = state
            } else {
                users[name] = ACLUser(name: name, state: state)
            }
            return nil
        }
        if error == nil { refreshSummary() }
        if let (user, selectors) = pubsubVictims { disconnectSubscribers(of: user, allowed: selectors, current: current) }
        return error
    }

    /// True when some channel the old rules allowed is not in the new ones (Redis then
    /// disconnects subscribers whose subscriptions the new rules refuse).
    func channelsShrank(from old: [ACLSelector], to new: [ACLSelector]) -> Bool {
        if new.contains(where: { $0.allChannels }) { return false }
        let upcoming = new.flatMap { $0.channels }
        for s in old {
            if s.allChannels { return true }
            for ch in s.channels where !upcoming.contains(ch) { return true }
        }
        return false
    }

    /// ACL DELUSER: removes the users named (never `default`); returns how many existed.
    func deleteUsers(_ names: [String], current: Client) -> Int {
        let removed: [ACLUser] = lock.withLock {
            names.compactMap { users.removeValue(forKey: $0) }
        }
        refreshSummary()
        for u in removed { disconnectClients(of: u, current: current) }
        return removed.count
    }

    /// Closes every connection authenticated as `user`; the current one after its reply.
    func disconnectClients(of user: ACLUser, current: Client?) {
        guard let server = current?.server else { return }
        var victims: [Client] = []
        server.forEachClient { other in
            if other.user === user { victims.append(other) }
        }
        for v in victims {
            if v === current {
                v.flags.insert(.closeAfterReply)
            } else {
                v.context.loop.execute { [weak v] in v?.close() }
            }
        }
    }

    /// Closes the subscribers of `user` holding a subscription `allowed` refuses
    /// (each checked on its own loop, which owns its subscriptions).
    func disconnectSubscribers(of user: ACLUser, allowed: [ACLSelector], current: Client?) {
        guard let server = current?.server else { return }
        let channels = allowed.flatMap { $0.channels }
        var candidates: [Client] = []
        server.forEachClient { other in
            if other.user === user && other.flags.contains(.pubsub) { candidates.append(other) }
        }
        for v in candidates {
            let check = { [weak v] in
                guard let v, let sub = v.subscriber else { return }
                let refused = sub.patterns.order.contains { p in p.withUnsafeBufferPointer { !Self.channelAllowed(channels, $0, isPattern: true) } }
                    || sub.channels.order.contains { ch in ch.withUnsafeBufferPointer { !Self.channelAllowed(channels, $0, isPattern: false) } }
                    || sub.shardChannels.order.contains { ch in ch.withUnsafeBufferPointer { !Self.channelAllowed(channels, $0, isPattern: false) } }
                if refused {
                    if v === current { v.flags.insert(.closeAfterReply) } else { v.close() }
                }
            }
            if v === current { check() } else { v.context.loop.execute(check) }
        }
    }

    /// Whether `channel` (a pattern when `isPattern`, compared literally) is allowed by `channels`.
    static func channelAllowed(_ channels: [[UInt8]], _ channel: Bytes, isPattern: Bool) -> Bool {
        for p in channels {
            if isPattern {
                if p.elementsEqual(channel) { return true }
            } else if p.withUnsafeBufferPointer({ Glob.matches($0, channel) }) {
                return true
            }
        }
        return false
    }

    // MARK: authentication

    /// The user `name` when `password` opens it (nopass users take any password).
    func authenticate(_ name: String, password: Bytes) -> ACLUser? {
        lock.withLock {
            guard let u = users[name], u.state.enabled else { return nil }
            if u.state.nopass { return u }
            let hash = SHA256.hex(password)
            return u.state.passwords.contains(hash) ? u : nil
        }
    }

    /// The user called `name`, if it exists.
    public func user(named name: String) -> ACLUser? {
        lock.withLock { users[name] }
    }

    var defaultIsNopass: Bool { lock.withLock { defaultUser.state.nopass } }

    // MARK: checks

    /// Key argument positions of `cmd` in `args` with read/write needs, key specs marked `not_key` left out.
    func keyNeeds(_ cmd: CommandSpec, _ args: [[UInt8]], finder: (CommandSpec) -> [Int]?) -> [(Int, UInt8)] {
        let keys = withoutActuallyEscaping(finder) { f in cmd.keysWithFlags(args, finder: { spec, _ in f(spec) }) }
        guard let keys else { return [] }
        var out: [(Int, UInt8)] = []
        for (pos, flags) in keys where !flags.contains("not_key") {
            var need: UInt8 = 0
            if flags.contains("access") { need |= ACLKeyPattern.read }
            if flags.contains("insert") || flags.contains("delete") || flags.contains("update") { need |= ACLKeyPattern.write }
            out.append((pos, need))
        }
        return out
    }

    /// Channel arguments of the pub/sub commands ACL checks: (position, is pattern).
    static func channelArguments(_ cmd: CommandSpec, argc: Int) -> [(Int, Bool)] {
        guard cmd.parent == nil else { return [] }
        switch cmd.name {
        case "subscribe", "ssubscribe": return (1..<max(argc, 1)).map { ($0, false) }
        case "psubscribe": return (1..<max(argc, 1)).map { ($0, true) }
        case "publish", "spublish": return argc > 1 ? [(1, false)] : []
        default: return []
        }
    }

    static func selectorCheck(_ s: ACLSelector, _ cmd: CommandSpec, _ args: [[UInt8]], keys: () -> [(Int, UInt8)]) -> (ACLDenial, Int)? {
        if !s.allCommands && !cmd.flags.contains(.noAuth) && !s.bit(cmd.id) {
            guard args.count >= 2, let allowed = s.firstArgs[cmd.id] else { return (.command, 0) }
            let idx = cmd.parent != nil ? 2 : 1
            guard idx < args.count else { return (.command, 0) }
            let arg = String(decoding: args[idx], as: UTF8.self).lowercased()
            if !allowed.contains(where: { $0.lowercased() == arg }) { return (.command, 0) }
        }
        if !s.allKeys {
            for (pos, need) in keys() {
                var ok = false
                for p in s.keys where p.flags & need == need {
                    if p.pattern.withUnsafeBufferPointer({ pat in args[pos].withUnsafeBufferPointer { Glob.matches(pat, $0) } }) {
                        ok = true
                        break
                    }
                }
                if !ok { return (.key, pos) }
            }
        }
        if !s.allChannels {
            for (pos, isPattern) in channelArguments(cmd, argc: args.count) {
                let ok = args[pos].withUnsafeBufferPointer { channelAllowed(s.channels, $0, isPattern: isPattern) }
                if !ok { return (.channel, pos) }
            }
        }
        return nil
    }

    /// Checks `cmd` with arguments `args` (name included) against `user`'s selectors: nil when
    /// some selector allows it, else the most relevant refusal and the argument it concerns.
    public func check(_ user: ACLUser, _ cmd: CommandSpec, _ args: [[UInt8]], finder: (CommandSpec) -> [Int]?) -> (ACLDenial, Int)? {
        let selectors = lock.withLock { user.state.selectors }
        if selectors.first?.allowsEverything ?? false { return nil }
        var cached: [(Int, UInt8)]?
        let keys = { () -> [(Int, UInt8)] in
            if let cached { return cached }
            let k = self.keyNeeds(cmd, args, finder: finder)
            cached = k
            return k
        }
        var relevant = ACLDenial.command
        var lastIndex = 0
        for s in selectors {
            guard let (denial, pos) = Self.selectorCheck(s, cmd, args, keys: keys) else { return nil }
            if denial.rawValue > relevant.rawValue || (denial == relevant && pos > lastIndex) {
                relevant = denial
                lastIndex = pos
            }
        }
        return (relevant, lastIndex)
    }

    /// Checks the command `c` is about to run as `user` (its own by default).
    public func check(_ c: Client, _ cmd: CommandSpec, as user: ACLUser? = nil) -> (ACLDenial, Int)? {
        let u = user ?? c.user
        if u.unrestricted.load(ordering: .relaxed) { return nil }
        let args = (0..<c.argc).map { Array(c.arg($0)) }
        return check(u, cmd, args) { spec in Self.keyArguments(spec, c) }
    }

    /// True when some selector of `c`'s user allows the running command and
    /// may read any key (SORT's BY and GET patterns need that).
    public func hasUnrestrictedReadAccess(_ c: Client) -> Bool {
        guard restricted.load(ordering: .relaxed), let cmd = c.currentCommand, !c.user.unrestricted.load(ordering: .relaxed) else {
            return true
        }
        let selectors = lock.withLock { c.user.state.selectors }
        let args = (0..<c.argc).map { Array(c.arg($0)) }
        let keys = { self.keyNeeds(cmd, args) { spec in Self.keyArguments(spec, c) } }
        for s in selectors where Self.selectorCheck(s, cmd, args, keys: keys) == nil {
            if s.allKeys || s.keys.contains(where: { $0.pattern == [42] && $0.flags & ACLKeyPattern.read != 0 }) { return true }
        }
        return false
    }

    /// Key argument indices of `spec` in `c`'s command for permission checks.
    public static func keyArguments(_ spec: CommandSpec, _ c: Client) -> [Int]? {
        switch spec.keyPositions(c) {
        case .positions(let p): return p
        case .everything:
            // SORT locks every shard for its BY/GET patterns; its keys are still the source and STORE destination.
            if spec.name == "sort" || spec.name == "sort_ro" { return SortCommands.declaredKeys(c, readonly: spec.name == "sort_ro") }
            return nil
        }
    }

    /// The error a refused command gets.
    static func error(_ denial: ACLDenial, _ cmd: CommandSpec) -> CommandError {
        switch denial {
        case .command: return .noPermCommand(command: cmd.fullName)
        case .key: return .noPermKey
        case .channel: return .noPermChannel
        case .auth: return .custom("ERR no permission")
        }
    }

    // MARK: log

    /// Records a refusal in ACL LOG. `c` is the client whose command was refused (for
    /// scripts, `infoFrom` is the script's caller); `object` defaults per reason.
    public func logDenial(_ c: Client, _ denial: ACLDenial, _ context: ACLLogContext, position: Int, cmd: CommandSpec?,
                          username: String? = nil, infoFrom: Client? = nil) {
        let object: [UInt8]
        switch denial {
        case .command: object = Array((cmd?.fullName ?? "").utf8)
        case .key, .channel: object = position < c.argc ? Array(c.arg(position)) : []
        case .auth: object = Array(c.arg(0))
        }
        let now = Sys.unixMillis()
        let info = ConnectionCommands.clientInfoLine(infoFrom ?? c, now: now)
        let maxLen = Int(config.snapshot.extras["acllog-max-len"] ?? "128") ?? 128
        let entry = ACLLogEntry(count: 1, reason: denial, context: context, object: object,
                                username: username ?? c.user.name, millis: now, clientInfo: info)
        lock.withLock {
            for i in 0..<min(10, log.count) {
                let e = log[i]
                if e.reason == entry.reason && e.context == entry.context && abs(e.millis - now) <= 60000
                    && e.object == entry.object && e.username == entry.username {
                    var m = log.remove(at: i)
                    m.count += 1
                    m.millis = now
                    m.clientInfo = info
                    log.insert(m, at: 0)
                    return
                }
            }
            log.insert(entry, at: 0)
            if log.count > maxLen { log.removeSubrange(maxLen...) }
        }
    }

    // MARK: descriptions

    func countCategory(_ bits: ACLSelector, _ cat: Int) -> (on: Int, off: Int) {
        let flag: UInt32 = 1 << UInt32(cat)
        var on = 0, off = 0
        for id in 0..<categoryMasks.count where categoryMasks[id] & flag != 0 {
            if bits.bit(id) { on += 1 } else { off += 1 }
        }
        return (on, off)
    }

    /// The command rules that rebuild `s`'s command permissions, as Redis
    /// prints them: `+@all` or `-@all`, best-fitting categories, then single commands.
    func describeCommands(_ s: ACLSelector) -> String {
        var rules: [String] = []
        var fake = ACLSelector(words: words, allChannels: false)
        let additive = !s.bit(futureBit)
        if additive {
            rules.append("-@all")
        } else {
            rules.append("+@all")
            for i in 0..<fake.bits.count { fake.bits[i] = ~0 }
        }
        var temp = s
        var applied = [Bool](repeating: false, count: Self.categories.count)
        while true {
            var best = -1
            var minDiff = Int.max, maxSame = 0
            for j in 0..<Self.categories.count where !applied[j] {
                let (on, off) = countCategory(temp, j)
                let diff = additive ? off : on
                let same = additive ? on : off
                if same > diff && (diff < minDiff || (diff == minDiff && same > maxSame)) {
                    best = j
                    minDiff = diff
                    maxSame = same
                }
            }
            if best < 0 { break }
            setCategory(&fake, best, additive)
            setCategory(&temp, best, !additive)
            rules.append((additive ? "+@" : "-@") + Self.categories[best])
            applied[best] = true
        }
        func single(_ cmd: CommandSpec) {
            let userBit = s.bit(cmd.id)
            if userBit != fake.bit(cmd.id) {
                rules.append((userBit ? "+" : "-") + cmd.fullName)
                changePerm(&fake, cmd, userBit)
            }
            for sub in cmd.subcommands { single(sub) }
            if !userBit, let args = s.firstArgs[cmd.id] {
                for a in args { rules.append("+\(cmd.fullName)|\(a)") }
            }
        }
        for cmd in table.commands { single(cmd) }
        return rules.joined(separator: " ")
    }

    func describeKeys(_ s: ACLSelector) -> String {
        s.allKeys ? "~*" : s.keys.map { $0.text }.joined(separator: " ")
    }

    func describeChannels(_ s: ACLSelector) -> String {
        s.allChannels ? "&*" : s.channels.map { "&" + String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }

    func describeSelector(_ s: ACLSelector) -> String {
        var parts: [String] = []
        if s.allKeys { parts.append("~*") } else { parts += s.keys.map { $0.text } }
        if s.allChannels {
            parts.append("&*")
        } else {
            parts.append("resetchannels")
            parts += s.channels.map { "&" + String(decoding: $0, as: UTF8.self) }
        }
        parts.append(describeCommands(s))
        return parts.joined(separator: " ")
    }

    static func flagNames(_ st: ACLUserState) -> [String] {
        var f = [st.enabled ? "on" : "off"]
        if st.nopass { f.append("nopass") }
        if let skip = st.skipSanitize { f.append(skip ? "skip-sanitize-payload" : "sanitize-payload") }
        return f
    }

    /// A user's rules as ACL LIST and the ACL file print them (without `user <name>`).
    func describe(_ st: ACLUserState) -> String {
        var parts = Self.flagNames(st)
        parts += st.passwords.map { "#" + $0 }
        var text = parts.joined(separator: " ") + " " + describeSelector(st.selectors[0])
        for s in st.selectors.dropFirst() { text += " (" + describeSelector(s) + ")" }
        return text
    }

    /// `user <name> <rules>` lines of every user, by name (ACL LIST, ACL SAVE).
    func listLines() -> [String] {
        let all = lock.withLock { users.values.map { ($0.name, $0.state) } }
        return all.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
            .map { "user \($0.0) " + describe($0.1) }
    }

    // MARK: files

    enum ParsedFile {
        case success([String: ACLUserState])
        case failure(String)
    }

    /// Parses ACL file text into users; on errors returns Redis's message and changes nothing.
    func parseFile(_ text: String, filename: String) -> ParsedFile {
        var errors = ""
        var parsed: [String: ACLUserState] = [:]
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, raw) in lines.enumerated() {
            let lineNo = i + 1
            let line = String(raw).trimmingCharacters(in: "\t\r \n")
            if line.isEmpty { continue }
            let argv = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            if argv[0] != "user" || argv.count < 2 {
                errors += "\(filename):\(lineNo) should start with user keyword followed by the username. "
                continue
            }
            if Self.hasSpaces(argv[1].utf8) {
                errors += "'\(filename):\(lineNo): username '\(argv[1])' contains invalid characters. "
                continue
            }
            if parsed[argv[1]] != nil {
                errors += "WARNING: Duplicate user '\(argv[1])' found on line \(lineNo). "
                continue
            }
            var state = newState()
            let merged: [String]
            switch Self.mergeSelectorArguments(Array(argv.dropFirst(2))) {
            case .success(let m): merged = m
            case .failure:
                errors += "\(filename):\(lineNo): Unmatched parenthesis in selector definition."
                merged = []
            }
            var syntaxError = false
            for op in merged {
                let op = op.trimmingCharacters(in: "\t\n\r")
                do throws(ACLRuleError) {
                    try apply(op, to: &state)
                } catch {
                    if error == .unknownName {
                        errors += "\(filename):\(lineNo): Error in applying operation '\(op)': \(error.message). "
                    } else if !syntaxError {
                        errors += "\(filename):\(lineNo): \(error.message). "
                        syntaxError = true
                    }
                }
            }
            if !errors.isEmpty { continue }
            parsed[argv[1]] = state
        }
        if !errors.isEmpty {
            return .failure(errors + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
        }
        return .success(parsed)
    }

    /// ACL LOAD: replaces every user with the file's (the default user keeps its identity);
    /// clients of the replaced users are disconnected, as Redis does.
    func load(from filename: String, current: Client?) -> String? {
        guard let text = ConfigParser.readFile(filename) else {
            return "Error loading ACLs, opening file '\(filename)': \(String(cString: strerror(errno)))"
        }
        let parsed: [String: ACLUserState]
        switch parseFile(text, filename: filename) {
        case .success(let p): parsed = p
        case .failure(let e): return e
        }
        let old: [ACLUser] = lock.withLock {
            let old = users.values.filter { $0 !== defaultUser }
            users = ["default": defaultUser]
            defaultUser.state = parsed["default"] ?? makeDefaultState()
            for (name, st) in parsed where name != "default" { users[name] = ACLUser(name: name, state: st) }
            return Array(old)
        }
        refreshSummary()
        for u in old { disconnectClients(of: u, current: current) }
        return nil
    }

    /// ACL SAVE: writes every user to `filename` through a temporary file.
    func save(to filename: String) -> Bool {
        var text = ""
        for line in listLines() { text += line + "\n" }
        let tmp = "\(filename).tmp-\(getpid())-\(Sys.unixMillis())"
        let fd = open(tmp, O_WRONLY | O_CREAT, 0o644)
        if fd < 0 { return false }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        Glibc.close(fd)
        if written != bytes.count || rename(tmp, filename) != 0 {
            unlink(tmp)
            return false
        }
        return true
    }

    /// Users from `user` configuration lines, then the aclfile; an error stops start-up.
    func loadAtStartup(_ cfg: ServerConfig) -> String? {
        let aclfile = cfg.extras["aclfile"] ?? ""
        if !aclfile.isEmpty && !cfg.userDirectives.isEmpty {
            return "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both."
        }
        for rules in cfg.userDirectives {
            guard rules.count >= 1 else { continue }
            let name = rules[0]
            if Self.hasSpaces(name.utf8) { return "Spaces not allowed in ACL usernames" }
            let merged: [String]
            switch Self.mergeSelectorArguments(Array(rules.dropFirst())) {
            case .success(let m): merged = m
            case .failure: return "Unmatched parenthesis in selector definition for the user named '\(name)'"
            }
            let failure: String? = lock.withLock {
                var state = name == "default" ? defaultUser.state : newState()
                if name == "default" { try? apply("reset", to: &state) }
                for op in merged {
                    do throws(ACLRuleError) {
                        try apply(op, to: &state)
                    } catch {
                        return "Error loading ACL rule '\(op)' for the user named '\(name)': \(error.message)"
                    }
                }
                if let u = users[name] { u.state = state } else { users[name] = ACLUser(name: name, state: state) }
                return nil
            }
            if let failure { return failure }
        }
        refreshSummary()
        if !aclfile.isEmpty, let e = load(from: aclfile, current: nil) {
            return "Aborting Redis startup because of ACL errors: \(e)"
        }
        return nil
    }
}

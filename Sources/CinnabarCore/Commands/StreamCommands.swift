import CSystem
import Glibc

/// Commands that a stream command asks to log instead of itself (Redis's
/// alsoPropagate), gathered while it runs.
final class StreamPropagation {
    var commands: [[[UInt8]]] = []

    func add(_ args: [[UInt8]]) { commands.append(args) }

    /// `XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID LASTID last`,
    /// the idempotent form that recreates a pending entry as it now is.
    func claim(key: [UInt8], group: StreamGroup, id: [UInt8], entry: PendingEntry) {
        add([Array("XCLAIM".utf8), key, group.name, entry.owner.name, [48], id,
             Array("TIME".utf8), Numbers.int64Bytes(entry.deliveryTime),
             Array("RETRYCOUNT".utf8), Numbers.int64Bytes(Int64(bitPattern: entry.deliveryCount)),
             Array("FORCE".utf8), Array("JUSTID".utf8), Array("LASTID".utf8), group.lastID.bytes])
    }

    /// `XGROUP SETID key group last ENTRIESREAD n`.
    func setID(key: [UInt8], group: StreamGroup) {
        add([Array("XGROUP".utf8), Array("SETID".utf8), key, group.name, group.lastID.bytes,
             Array("ENTRIESREAD".utf8), Numbers.int64Bytes(group.entriesRead)])
    }

    /// `XGROUP CREATECONSUMER key group consumer`.
    func createConsumer(key: [UInt8], group: StreamGroup, consumer: [UInt8]) {
        add([Array("XGROUP".utf8), Array("CREATECONSUMER".utf8), key, group.name, consumer])
    }
}

/// Stream commands (Redis's `stream` group).
public enum StreamCommands {
    /// The family's command table rows (registering the stream RDB loaders on first use).
    public static var all: [CommandSpec] {
        StreamValue.rdbRegistration
        let one = KeySpec.range(first: 1, last: 1, step: 1)
        let second = KeySpec.range(first: 2, last: 2, step: 1)
        func spec(_ flags: [String], at index: Int = 1, notes: String? = nil) -> [CommandKeySpec] {
            [CommandKeySpec(flags: flags, .index(index), .range(lastKey: 0, step: 1, limit: 0), notes: notes)]
        }
        func streamsSpec(from: Int) -> [CommandKeySpec] {
            [CommandKeySpec(flags: ["RO", "access"], .keyword("STREAMS", startFrom: from), .range(lastKey: -1, step: 1, limit: 2))]
        }
        let nondeterministic = ["nondeterministic_output"]
        return [
            CommandSpec("xadd", arity: -5, flags: [.write, .denyoom, .fast], keys: one, group: .stream, since: "5.0.0",
                        complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
                        summary: "Appends a new entry to a stream",
                        keySpecs: spec(["RW", "update"], notes: "UPDATE instead of INSERT because of the optional trimming feature"),
                        tips: nondeterministic, handler: xadd),
            CommandSpec("xrange", arity: -4, flags: [.readonly], keys: one, group: .stream, since: "5.0.0",
                        complexity: "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
                        summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval",
                        keySpecs: spec(["RO", "access"]), handler: xrange),
            CommandSpec("xrevrange", arity: -4, flags: [.readonly], keys: one, group: .stream, since: "5.0.0",
                        complexity: "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
                        summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
                        keySpecs: spec(["RO", "access"]), handler: xrevrange),
            CommandSpec("xlen", arity: 2, flags: [.readonly, .fast], keys: one, group: .stream, since: "5.0.0",
                        summary: "Return the number of entries in a stream", keySpecs: spec(["RO"]), handler: xlen),
            CommandSpec("xdel", arity: -3, flags: [.write, .fast], keys: one, group: .stream, since: "5.0.0",
                        complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.",
                        summary: "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
                        keySpecs: spec(["RW", "delete"]), handler: xdel),
            CommandSpec("xtrim", arity: -4, flags: [.write], keys: one, group: .stream, since: "5.0.0",
                        complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
                        summary: "Trims the stream to (approximately if '~' is passed) a certain size",
                        keySpecs: spec(["RW", "delete"]), tips: nondeterministic, handler: xtrim),
            CommandSpec("xread", arity: -4, flags: [.readonly, .blocking], keys: .range(first: 0, last: 0, step: 0),
                        keyFinder: readKeys, group: .stream, since: "5.0.0",
                        complexity: "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
                        summary: "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
                        keySpecs: streamsSpec(from: 1), handler: xread),
            CommandSpec("xreadgroup", arity: -7, flags: [.write, .blocking], keys: .range(first: 0, last: 0, step: 0),
                        keyFinder: readKeys, group: .stream, since: "5.0.0",
                        complexity: "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
                        summary: "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
                        keySpecs: streamsSpec(from: 4), handler: xreadgroup),
            CommandSpec("xgroup", arity: -2, group: .stream, since: "5.0.0", complexity: "Depends on subcommand.",
                        summary: "A container for consumer groups commands",
                        subcommands: [
                            CommandSpec("delconsumer", arity: 5, flags: [.write], keys: second, group: .stream, since: "5.0.0",
                                        summary: "Delete a consumer from a consumer group.",
                                        keySpecs: spec(["RW", "delete"], at: 2), handler: xgroup),
                            CommandSpec("createconsumer", arity: 5, flags: [.write, .denyoom], keys: second, group: .stream, since: "6.2.0",
                                        summary: "Create a consumer in a consumer group.",
                                        keySpecs: spec(["RW", "insert"], at: 2), handler: xgroup),
                            CommandSpec("destroy", arity: 4, flags: [.write], keys: second, group: .stream, since: "5.0.0",
                                        complexity: "O(N) where N is the number of entries in the group's pending entries list (PEL).",
                                        summary: "Destroy a consumer group.", keySpecs: spec(["RW", "delete"], at: 2), handler: xgroup),
                            CommandSpec("create", arity: -5, flags: [.write, .denyoom], keys: second, group: .stream, since: "5.0.0",
                                        summary: "Create a consumer group.", keySpecs: spec(["RW", "insert"], at: 2), handler: xgroup),
                            CommandSpec("setid", arity: -5, flags: [.write], keys: second, group: .stream, since: "5.0.0",
                                        summary: "Set a consumer group to an arbitrary last delivered ID value.",
                                        keySpecs: spec(["RW", "update"], at: 2), handler: xgroup),
                            CommandSpec("help", arity: 2, flags: [.loading, .stale], group: .stream, since: "5.0.0",
                                        summary: "Show helpful text about the different subcommands", handler: xgroupHelp),
                        ], handler: nil),
            CommandSpec("xack", arity: -4, flags: [.write, .fast], keys: one, group: .stream, since: "5.0.0",
                        complexity: "O(1) for each message ID processed.",
                        summary: "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
                        keySpecs: spec(["RW", "update"]), handler: xack),
            CommandSpec("xpending", arity: -3, flags: [.readonly], keys: one, group: .stream, since: "5.0.0",
                        complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
                        summary: "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
                        keySpecs: spec(["RO", "access"]), tips: nondeterministic, handler: xpending),
            CommandSpec("xclaim", arity: -6, flags: [.write, .fast], keys: one, group: .stream, since: "5.0.0",
                        complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.",
                        summary: "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
                        keySpecs: spec(["RW", "update"]), tips: nondeterministic, handler: xclaim),
            CommandSpec("xautoclaim", arity: -6, flags: [.write, .fast], keys: one, group: .stream, since: "6.2.0",
                        complexity: "O(1) if COUNT is small.",
                        summary: "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
                        keySpecs: spec(["RW", "delete"]), tips: nondeterministic, handler: xautoclaim),
            CommandSpec("xinfo", arity: -2, group: .stream, since: "5.0.0", complexity: "Depends on subcommand.",
                        summary: "A container for stream introspection commands",
                        subcommands: [
                            CommandSpec("groups", arity: 3, flags: [.readonly], keys: second, group: .stream, since: "5.0.0",
                                        summary: "List the consumer groups of a stream", keySpecs: spec(["RO", "access"], at: 2), handler: xinfoGroups),
                            CommandSpec("consumers", arity: 4, flags: [.readonly], keys: second, group: .stream, since: "5.0.0",
                                        summary: "List the consumers in a consumer group", keySpecs: spec(["RO", "access"], at: 2),
                                        tips: nondeterministic, handler: xinfoConsumers),
                            CommandSpec("stream", arity: -3, flags: [.readonly], keys: second, group: .stream, since: "5.0.0",
                                        summary: "Get information about a stream", keySpecs: spec(["RO", "access"], at: 2), handler: xinfoStream),
                            CommandSpec("help", arity: 2, flags: [.loading, .stale], group: .stream, since: "5.0.0",
                                        summary: "Show helpful text about the different subcommands", handler: xinfoHelp),
                        ], handler: nil),
            CommandSpec("xsetid", arity: -3, flags: [.write, .denyoom, .fast], keys: one, group: .stream, since: "5.0.0",
                        summary: "An internal command for replicating stream values", keySpecs: spec(["RW", "update"]), handler: xsetid),
        ]
    }

    // MARK: IDs

    /// An ID argument as parsed, with whether its sequence was given (`<ms>-*` leaves it to XADD).
    struct ParsedID {
        var id: StreamID
        var seqGiven: Bool
    }

    @inline(__always)
    private static func isSpace(_ b: UInt8) -> Bool { b == 32 || (b >= 9 && b <= 13) }

    /// Redis's string2ull: a strict 64-bit integer (not negative), or else
    /// what C's strtoull accepts over the whole text (leading spaces, a sign,
    /// leading zeros; a minus wraps around).
    static func parseUnsigned(_ b: Bytes) -> UInt64? {
        if let v = Numbers.parseInt64(b) { return v < 0 ? nil : UInt64(v) }
        let n = b.count
        var i = 0
        while i < n && isSpace(b[i]) { i += 1 }
        var negative = false
        if i < n && (b[i] == 43 || b[i] == 45) {
            negative = b[i] == 45
            i += 1
        }
        let digits = i
        var v: UInt64 = 0
        while i < n && b[i] >= 48 && b[i] <= 57 {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(b[i] - 48))
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        guard i > digits, i == n else { return nil }
        return negative ? 0 &- v : v
    }

    /// Parses `<ms>-<seq>`, `<ms>` (the sequence then `missingSeq`), `-` and
    /// `+` (refused when `strict`), and `<ms>-*` when `allowSeqStar`.
    static func parseID(_ raw: Bytes, missingSeq: UInt64 = 0, strict: Bool, allowSeqStar: Bool = false) -> ParsedID? {
        if raw.count > 127 { return nil }
        // The text ends at a NUL byte, as Redis reads it as a C string.
        var n = raw.count
        if let z = raw.firstIndex(of: 0) { n = z }
        let b = Bytes(rebasing: raw[0..<n])
        if n == 1 && (b[0] == 45 || b[0] == 43) {
            if strict { return nil }
            return ParsedID(id: b[0] == 45 ? .zero : .max, seqGiven: true)
        }
        guard let dash = b.firstIndex(of: 45) else {
            guard let ms = parseUnsigned(b) else { return nil }
            return ParsedID(id: StreamID(ms: ms, seq: missingSeq), seqGiven: true)
        }
        guard let ms = parseUnsigned(Bytes(rebasing: b[0..<dash])) else { return nil }
        let seqPart = Bytes(rebasing: b[(dash + 1)..<n])
        if allowSeqStar && seqPart.count == 1 && seqPart[0] == 42 {
            return ParsedID(id: StreamID(ms: ms, seq: 0), seqGiven: false)
        }
        guard let seq = parseUnsigned(seqPart) else { return nil }
        return ParsedID(id: StreamID(ms: ms, seq: seq), seqGiven: true)
    }

    /// A strict ID argument (no `-`/`+`), nil after replying with the error.
    static func strictID(_ c: Client, _ i: Int) -> StreamID? {
        guard let p = parseID(c.arg(i), strict: true) else {
            c.fail(.streamInvalidID)
            return nil
        }
        return p.id
    }

    /// A range bound: `-`, `+`, an ID, or `(`ID for an exclusive bound, moved
    /// one step inwards. Nil after replying with the error.
    static func intervalID(_ c: Client, _ i: Int, start: Bool) -> StreamID? {
        let raw = c.arg(i)
        let exclusive = raw.count > 1 && raw[0] == 40
        let text = exclusive ? Bytes(rebasing: raw[1...]) : raw
        guard let p = parseID(text, missingSeq: start ? 0 : UInt64.max, strict: exclusive) else {
            c.fail(.streamInvalidID)
            return nil
        }
        if !exclusive { return p.id }
        if start {
            guard let s = p.id.successor else {
                c.fail(.streamInvalidStart)
                return nil
            }
            return s
        }
        guard let e = p.id.predecessor else {
            c.fail(.streamInvalidEnd)
            return nil
        }
        return e
    }

    /// A long long argument with Redis's generic error, nil after replying.
    @inline(__always)
    static func integer(_ c: Client, _ i: Int, _ error: CommandError = .notInteger) -> Int64? {
        guard let v = Numbers.parseInt64(c.arg(i)) else {
            c.fail(error)
            return nil
        }
        return v
    }

    /// The stream at `key` for writing: nil with nothing replied when
    /// absent, `.failure` after WRONGTYPE.
    enum Lookup {
        case missing
        case found(StreamValue)
        case failure
    }

    @inline(__always)
    static func lookup(_ c: Client, _ i: Int, read: Bool) -> Lookup {
        let e = read ? c.readKey(i) : c.db.lookup(c.key(i))
        guard let e else { return .missing }
        guard e.type == .stream else {
            c.fail(.wrongType)
            return .failure
        }
        return .found(e.object(as: StreamValue.self))
    }

    // MARK: XADD XTRIM

    /// What XADD and XTRIM were asked to do.
    struct AddTrimArguments {
        var id = StreamID.zero
        var idGiven = false
        var seqGiven = true
        var noMkStream = false
        var trim = StreamValue.Trim()
        /// The argument holding the MAXLEN count or MINID (rewritten for propagation).
        var trimArgument = 0
        var hasStrategy: Bool {
            if case .none = trim.strategy { return false }
            return true
        }
    }

    /// Parses XADD's or XTRIM's options; returns them and the ID's position
    /// (XADD), nil after replying with the error.
    static func parseAddTrim(_ c: Client, xadd: Bool) -> (AddTrimArguments, Int)? {
        var a = AddTrimArguments()
        var i = 2
        var limitGiven = false
        while i < c.argc {
            let more = c.argc - 1 - i
            let opt = c.arg(i)
            if xadd && opt.count == 1 && opt[0] == 42 {
                break
            } else if (opt.equalsIgnoringCase("MAXLEN") || opt.equalsIgnoringCase("MINID")) && more > 0 {
                let maxlen = opt.count == 6
                if a.hasStrategy {
                    c.fail(.streamMaxlenAndMinid)
                    return nil
                }
                a.trim.approximate = false
                let next = c.arg(i + 1)
                if more >= 2 && next.count == 1 && next[0] == 126 {
                    a.trim.approximate = true
                    i += 1
                } else if more >= 2 && next.count == 1 && next[0] == 61 {
                    i += 1
                }
                if maxlen {
                    guard let n = integer(c, i + 1) else { return nil }
                    if n < 0 {
                        c.fail(.streamMaxlenNegative)
                        return nil
                    }
                    a.trim.strategy = .maxlen(UInt64(n))
                } else {
                    guard let id = strictID(c, i + 1) else { return nil }
                    a.trim.strategy = .minid(id)
                }
                i += 1
                a.trimArgument = i
            } else if opt.equalsIgnoringCase("LIMIT") && more > 0 {
                guard let n = integer(c, i + 1) else { return nil }
                if n < 0 {
                    c.fail(.streamLimitNegative)
                    return nil
                }
                a.trim.limit = n
                limitGiven = true
                i += 1
            } else if xadd && opt.equalsIgnoringCase("NOMKSTREAM") {
                a.noMkStream = true
            } else if xadd {
                guard let p = parseID(opt, strict: true, allowSeqStar: true) else {
                    c.fail(.streamInvalidID)
                    return nil
                }
                a.id = p.id
                a.seqGiven = p.seqGiven
                a.idGiven = true
                break
            } else {
                c.fail(.syntax)
                return nil
            }
            i += 1
        }
        if a.trim.limit != 0 && !a.hasStrategy {
            c.fail(.streamLimitWithoutStrategy)
            return nil
        }
        if !xadd && !a.hasStrategy {
            c.fail(.streamXtrimWithoutStrategy)
            return nil
        }
        if StringCommands.mustObey(c) {
            // Replayed commands carry exact trimming arguments already.
            a.trim.limit = 0
        } else if limitGiven {
            if !a.trim.approximate {
                c.fail(.streamLimitWithoutApprox)
                return nil
            }
        } else if a.trim.approximate {
            var limit = 100 * Int64(c.context.config.streamNodeMaxEntries)
            if limit <= 0 { limit = 10000 }
            if limit > 1_000_000 { limit = 1_000_000 }
            a.trim.limit = limit
        } else {
            a.trim.limit = 0
        }
        return (a, i)
    }

    /// After approximate trimming, the command is logged with `=` and the
    /// length (or first ID) reached, so replaying it trims the same.
    static func exactTrimArguments(_ s: StreamValue, _ a: AddTrimArguments, into args: inout [[UInt8]]) {
        args[a.trimArgument - 1] = [61]
        if case .maxlen = a.trim.strategy {
            args[a.trimArgument] = Numbers.int64Bytes(Int64(bitPattern: s.length))
        } else {
            args[a.trimArgument] = s.edgeID(first: true, skipTombstones: false).bytes
        }
    }

    static func xadd(_ c: Client) {
        guard let (a, idPos) = parseAddTrim(c, xadd: true) else { return }
        let fieldPos = idPos + 1
        if c.argc - fieldPos < 2 || (c.argc - fieldPos) % 2 == 1 {
            c.fail(.wrongArity(command: "xadd"))
            return
        }
        if a.idGiven && a.seqGiven && a.id.isZero {
            c.fail(.streamXaddIDZero)
            return
        }
        let key = c.key(1)
        let db = c.db
        let s: StreamValue
        if let e = db.lookup(key) {
            guard e.type == .stream else {
                c.fail(.wrongType)
                return
            }
            s = e.object(as: StreamValue.self)
        } else {
            if a.noMkStream {
                c.reply.nullBulk()
                return
            }
            s = StreamValue()
            db.setObject(key, s)
            c.notify(.newKey, "new", key.bytes)
        }
        if s.lastID == .max {
            c.fail(.streamIDExhausted)
            return
        }
        var id: StreamID
        if !a.idGiven {
            guard let next = s.nextAutoID(now: UInt64(Sys.unixMillis())) else {
                c.fail(.streamXaddIDNotGreater)
                return
            }
            id = next
        } else if !a.seqGiven && s.lastID.ms == a.id.ms {
            // Redis reports this overflow with its "too large" message.
            guard s.lastID.seq != UInt64.max else {
                c.fail(.streamElementsTooLarge)
                return
            }
            id = StreamID(ms: a.id.ms, seq: s.lastID.seq + 1)
        } else {
            id = a.id
        }
        let cfg = c.context.config
        do {
            try s.append(id: id, pairs: (c.argc - fieldPos) / 2, maxBytes: cfg.streamNodeMaxBytes,
                         maxEntries: cfg.streamNodeMaxEntries) { c.arg(fieldPos + $0) }
        } catch {
            c.fail(error == .notGreater ? .streamXaddIDNotGreater : .streamElementsTooLarge)
            return
        }
        c.reply.bulk(id: id)
        c.touched(key)
        c.notify(.stream, "xadd", key.bytes)
        var rewritten: [[UInt8]]?
        if a.hasStrategy {
            if s.trim(a.trim) > 0 { c.notify(.stream, "xtrim", key.bytes) }
            if a.trim.approximate {
                var args = c.arguments
                exactTrimArguments(s, a, into: &args)
                rewritten = args
            }
        }
        if !a.idGiven || !a.seqGiven {
            var args = rewritten ?? c.arguments
            args[idPos] = id.bytes
            rewritten = args
        }
        if let rewritten { c.propagateAs = [rewritten] }
        // Clients blocked on the key may now have something to read.
        db.keyCreated(key, .stream)
    }

    static func xtrim(_ c: Client) {
        guard let (a, _) = parseAddTrim(c, xadd: false) else { return }
        let s: StreamValue
        switch lookup(c, 1, read: false) {
        case .failure: return
        case .missing:
            c.reply.integer(0)
            return
        case .found(let v): s = v
        }
        let deleted = s.trim(a.trim)
        if deleted > 0 {
            let key = c.key(1)
            c.notify(.stream, "xtrim", key.bytes)
            if a.trim.approximate {
                var args = c.arguments
                exactTrimArguments(s, a, into: &args)
                c.propagateAs = [args]
            }
            c.touched(key, changes: Int(deleted))
        }
        c.reply.integer(deleted)
    }

    // MARK: XRANGE XREVRANGE XLEN XDEL

    static func xrange(_ c: Client) { range(c, reverse: false) }
    static func xrevrange(_ c: Client) { range(c, reverse: true) }

    static func range(_ c: Client, reverse: Bool) {
        guard let start = intervalID(c, reverse ? 3 : 2, start: true),
              let end = intervalID(c, reverse ? 2 : 3, start: false) else { return }
        var count: Int64 = -1
        var j = 4
        while j < c.argc {
            if c.arg(j).equalsIgnoringCase("COUNT") && c.argc - j - 1 >= 1 {
                guard let n = integer(c, j + 1) else { return }
                count = max(n, 0)
                j += 1
            } else {
                c.fail(.syntax)
                return
            }
            j += 1
        }
        switch lookup(c, 1, read: true) {
        case .failure: return
        case .missing: c.reply.arrayHeader(0)
        case .found(let s):
            if count == 0 {
                c.reply.nullArray()
            } else {
                _ = replyRange(c.reply, s, start: start, end: end, count: count < 0 ? 0 : Int(count), reverse: reverse, read: nil)
            }
        }
    }

    static func xlen(_ c: Client) {
        switch lookup(c, 1, read: true) {
        case .failure: return
        case .missing: c.reply.integer(0)
        case .found(let s): c.reply.integer(Int64(bitPattern: s.length))
        }
    }

    static func xdel(_ c: Client) {
        let s: StreamValue
        switch lookup(c, 1, read: false) {
        case .failure: return
        case .missing:
            c.reply.integer(0)
            return
        case .found(let v): s = v
        }
        var ids: [StreamID] = []
        ids.reserveCapacity(c.argc - 2)
        for j in 2..<c.argc {
            guard let id = strictID(c, j) else { return }
            ids.append(id)
        }
        var deleted = 0
        var firstGone = false
        for id in ids where s.delete(id) {
            if id == s.firstID { firstGone = true }
            s.recordDeleted(id)
            deleted += 1
        }
        if deleted > 0 {
            if s.length == 0 || firstGone { s.refreshFirstID() }
            let key = c.key(1)
            c.touched(key, changes: deleted)
            c.notify(.stream, "xdel", key.bytes)
        }
        c.reply.integer(deleted)
    }

    // MARK: range replies

    /// A group read in progress: whose group and consumer, and where its
    /// effects are logged.
    struct GroupRead {
        let group: StreamGroup
        let consumer: StreamConsumer
        let noack: Bool
        let key: [UInt8]
        let now: Int64
        let propagation: StreamPropagation
    }

    /// Replies with the entries from `start` to `end` (at most `count`, 0 =
    /// all) as an array; for a group read, also advances the group, records
    /// pending entries and logs them (Redis's streamReplyWithRange).
    static func replyRange(_ r: ReplyBuffer, _ s: StreamValue, start: StreamID, end: StreamID, count: Int,
                           reverse: Bool, read: GroupRead?) -> Int {
        let mark = r.beginDeferred()
        var n = 0
        var advanced = false
        var it = StreamValue.Iterator(s, start: start, end: end, reverse: reverse)
        while let e = it.next() {
            if let g = read {
                let group = g.group
                if e.id > group.lastID {
                    if group.entriesRead != -1 && !s.rangeHasTombstones(e.id, nil) {
                        group.entriesRead += 1
                    } else if s.entriesAdded != 0 {
                        group.entriesRead = s.estimateReadCounter(e.id)
                    }
                    group.lastID = e.id
                    if g.noack { advanced = true }
                }
            }
            s.replyEntry(e, r)
            if let g = read, !g.noack {
                g.group.deliver(e.id, to: g.consumer, now: g.now)
                if let p = g.group.pending[e.id] {
                    g.propagation.claim(key: g.key, group: g.group, id: e.id.bytes, entry: p)
                }
            }
            n += 1
            if count > 0 && n == count { break }
        }
        if advanced, let g = read { g.propagation.setID(key: g.key, group: g.group) }
        r.endDeferredArray(at: mark, count: n)
        return n
    }

    /// Replies with the consumer's own pending entries from `start` (at most
    /// `count`, 0 = all), counting a new delivery of each that still exists;
    /// deleted ones come with a null body.
    static func replyHistory(_ r: ReplyBuffer, _ s: StreamValue, group: StreamGroup, consumer: StreamConsumer,
                             start: StreamID, count: Int, now: Int64) {
        let mark = r.beginDeferred()
        var n = 0
        var pos = consumer.pending.position(atOrAfter: start)
        while let p = pos, count == 0 || n < count {
            let id = consumer.pending.id(at: p)
            if let e = s.entry(id) {
                s.replyEntry(e, r)
                group.pending.update(id) { pe in
                    pe.deliveryTime = now
                    pe.deliveryCount &+= 1
                }
            } else {
                r.arrayHeader(2)
                r.bulk(id: id)
                r.nullArray()
            }
            n += 1
            pos = consumer.pending.position(after: p)
        }
        r.endDeferredArray(at: mark, count: n)
    }

    // MARK: XREAD XREADGROUP

    /// Where the STREAMS keyword's keys start and how many there are, found
    /// by walking the options exactly as the command parses them.
    static func streamsLayout(_ c: Client) -> (first: Int, count: Int)? {
        var i = 1
        while i < c.argc {
            let more = c.argc - i - 1
            let o = c.arg(i)
            if o.equalsIgnoringCase("BLOCK") && more > 0 {
                i += 1
            } else if o.equalsIgnoringCase("COUNT") && more > 0 {
                i += 1
            } else if o.equalsIgnoringCase("STREAMS") && more > 0 {
                let n = c.argc - i - 1
                return n % 2 == 0 ? (i + 1, n / 2) : nil
            } else if o.equalsIgnoringCase("GROUP") && more >= 2 {
                i += 2
            } else if o.equalsIgnoringCase("NOACK") {
            } else {
                return nil
            }
            i += 1
        }
        return nil
    }

    static func readKeys(_ c: Client) -> KeyLocations {
        guard let (first, n) = streamsLayout(c) else { return .positions([]) }
        return .positions(Array(first..<(first + n)))
    }

    static func xread(_ c: Client) { read(c, group: false) }
    static func xreadgroup(_ c: Client) { read(c, group: true) }

    /// XREAD and XREADGROUP.
    static func read(_ c: Client, group isGroupRead: Bool) {
        var timeout: Int64 = -1
        var count: Int64 = 0
        var streamsArg = 0
        var streamCount = 0
        var noack = false
        var groupArg = 0
        var i = 1
        while i < c.argc {
            let more = c.argc - i - 1
            let o = c.arg(i)
            if o.equalsIgnoringCase("BLOCK") && more > 0 {
                if c.flags.contains(.script) {
                    c.fail(.streamBlockInScript(command: c.argString(0)))
                    return
                }
                i += 1
                guard let t = integer(c, i, .timeoutNotInteger) else { return }
                if t < 0 {
                    c.fail(.negativeTimeout)
                    return
                }
                timeout = t
            } else if o.equalsIgnoringCase("COUNT") && more > 0 {
                i += 1
                guard let n = integer(c, i) else { return }
                count = max(n, 0)
            } else if o.equalsIgnoringCase("STREAMS") && more > 0 {
                streamsArg = i + 1
                streamCount = c.argc - streamsArg
                if streamCount % 2 != 0 {
                    c.fail(.streamXreadUnbalanced)
                    return
                }
                streamCount /= 2
                break
            } else if o.equalsIgnoringCase("GROUP") && more >= 2 {
                if !isGroupRead {
                    c.fail(.streamGroupInXread)
                    return
                }
                groupArg = i + 1
                i += 2
            } else if o.equalsIgnoringCase("NOACK") {
                if !isGroupRead {
                    c.fail(.streamNoackInXread)
                    return
                }
                noack = true
            } else {
                c.fail(.syntax)
                return
            }
            i += 1
        }
        if streamsArg == 0 {
            c.fail(.syntax)
            return
        }
        if isGroupRead && groupArg == 0 {
            c.fail(.streamMissingGroup)
            return
        }
        let groupName = groupArg > 0 ? c.arg(groupArg) : Bytes(start: nil, count: 0)
        let propagation = StreamPropagation()
        defer { c.propagateAs = propagation.commands }
        var ids: [StreamID] = []
        var groups: [StreamGroup] = []
        ids.reserveCapacity(streamCount)
        for k in 0..<streamCount {
            let keyArg = streamsArg + k
            let idArg = keyArg + streamCount
            let e = c.readKey(keyArg)
            if let e, e.type != .stream {
                c.fail(.wrongType)
                return
            }
            let s = e?.object(as: StreamValue.self)
            if groupArg > 0 {
                guard let s, let g = s.group(groupName) else {
                    c.fail(.streamNoGroupForRead(key: c.argCString(keyArg), group: String(decoding: groupName.prefix { $0 != 0 }, as: UTF8.self)))
                    return
                }
                groups.append(g)
            }
            let raw = c.arg(idArg)
            if raw.count == 1 && raw[0] == 36 {
                if isGroupRead {
                    c.fail(.streamDollarInXreadgroup)
                    return
                }
                ids.append(s?.lastID ?? .zero)
            } else if raw.count == 1 && raw[0] == 62 {
                if !isGroupRead {
                    c.fail(.streamGreaterOutsideGroup)
                    return
                }
                ids.append(.max)
            } else {
                guard let id = strictID(c, idArg) else { return }
                ids.append(id)
            }
        }
        // Serve at once what can be served.
        let now = Sys.unixMillis()
        var served = 0
        var mark = 0
        for k in 0..<streamCount {
            let keyArg = streamsArg + k
            guard let e = c.readKey(keyArg) else { continue }
            let s = e.object(as: StreamValue.self)
            var gt = ids[k]
            var serve = false
            var history = false
            if groupArg > 0 {
                if gt != .max {
                    serve = true
                    history = true
                } else if s.length > 0 {
                    let last = groups[k].lastID
                    if s.lastLiveID > last {
                        serve = true
                        gt = last
                    }
                }
            } else if s.length > 0 && s.lastLiveID > gt {
                serve = true
            }
            guard serve else { continue }
            served += 1
            if served == 1 { mark = c.reply.beginDeferred() }
            if c.resp == .resp2 { c.reply.arrayHeader(2) }
            c.reply.bulk(c.arg(keyArg))
            let start = gt.successor ?? .zero
            if groupArg > 0 {
                let g = groups[k]
                let consumer = findOrCreateConsumer(c, g, c.arg(groupArg + 1), key: c.key(keyArg), now: now,
                                                    noack: noack, propagation: propagation)
                if history {
                    replyHistory(c.reply, s, group: g, consumer: consumer, start: start, count: Int(count), now: now)
                } else {
                    let gr = GroupRead(group: g, consumer: consumer, noack: noack, key: Array(c.arg(keyArg)), now: now,
                                       propagation: propagation)
                    _ = replyRange(c.reply, s, start: start, end: .max, count: Int(count), reverse: false, read: gr)
                }
                c.markDirty()
            } else {
                _ = replyRange(c.reply, s, start: start, end: .max, count: Int(count), reverse: false, read: nil)
            }
        }
        if served > 0 {
            if c.resp == .resp2 {
                c.reply.endDeferredArray(at: mark, count: served)
            } else {
                c.reply.endDeferredMap(at: mark, pairs: served)
            }
            return
        }
        guard timeout >= 0 else {
            c.reply.nullArray()
            return
        }
        guard c.mayBlock else {
            c.reply.nullArray()
            return
        }
        block(c, streamsArg: streamsArg, streamCount: streamCount, ids: ids, timeout: timeout,
              count: count > 0 ? Int(count) : 1000, group: groupArg > 0 ? Array(groupName) : nil,
              consumer: groupArg > 0 ? Array(c.arg(groupArg + 1)) : nil, noack: noack)
    }

    /// The consumer `name` of `g`, its seen-time refreshed, or created (with
    /// its event, a change, and under NOACK an XGROUP CREATECONSUMER to log).
    static func findOrCreateConsumer(_ w: KeyspaceWriter, _ g: StreamGroup, _ name: Bytes, key: Key, now: Int64,
                                     noack: Bool, propagation: StreamPropagation) -> StreamConsumer {
        if let existing = g.consumer(name) {
            existing.seenTime = now
            return existing
        }
        let created = g.createConsumer(name, seenTime: now)!
        consumerCreated(w, key)
        if noack { propagation.createConsumer(key: Array(key.bytes), group: g, consumer: created.name) }
        return created
    }

    /// Bookkeeping of a consumer created implicitly: a change and an event.
    static func consumerCreated(_ w: KeyspaceWriter, _ key: Key) {
        if let c = w as? Client { c.markDirty() } else if let b = w as? BlockedServe { b.server.markDirty(1) }
        w.notify(.stream, "xgroup-createconsumer", key.bytes)
    }

    /// Blocks an XREAD/XREADGROUP: served when a key gets entries past the
    /// ID given for it (past the group's last delivered ID for groups), or,
    /// for groups, when the key or group goes away.
    static func block(_ c: Client, streamsArg: Int, streamCount: Int, ids: [StreamID], timeout: Int64, count: Int,
                      group: [UInt8]?, consumer: [UInt8]?, noack: Bool) {
        // A key named twice keeps the ID given first, as in Redis.
        var wanted: [[UInt8]: StreamID] = [:]
        for k in 0..<streamCount where wanted[Array(c.arg(streamsArg + k))] == nil {
            wanted[Array(c.arg(streamsArg + k))] = ids[k]
        }
        let isReady: (Entry?) -> Bool = { e in
            guard let e, e.type == .stream else { return group != nil }
            let s = e.object(as: StreamValue.self)
            if let group {
                guard let g = group.withBytes({ s.group($0) }) else { return true }
                return s.lastID > g.lastID
            }
            guard let gt = wanted[Array(e.key)] else { return false }
            return s.lastID > gt
        }
        let serve: (BlockedServe, Key) -> Void = { w, key in
            let e = w.db.peek(key)
            let keyBytes = Array(key.bytes)
            let propagation = StreamPropagation()
            defer { for cmd in propagation.commands { w.propagate(cmd) } }
            guard let e, e.type == .stream else {
                w.fail(.streamKeyDeleted)
                return
            }
            let s = e.object(as: StreamValue.self)
            var read: GroupRead?
            var gt: StreamID
            let now = Sys.unixMillis()
            if let group {
                guard let g = group.withBytes({ s.group($0) }) else {
                    w.fail(.streamGroupDestroyed)
                    return
                }
                gt = g.lastID
                let who = consumer!.withBytes { findOrCreateConsumer(w, g, $0, key: key, now: now, noack: noack, propagation: propagation) }
                read = GroupRead(group: g, consumer: who, noack: noack, key: keyBytes, now: now, propagation: propagation)
            } else {
                gt = wanted[keyBytes] ?? .zero
            }
            if w.reply.resp == .resp2 {
                w.reply.arrayHeader(1)
                w.reply.arrayHeader(2)
            } else {
                w.reply.mapHeader(1)
            }
            w.reply.bulk(key.bytes)
            _ = replyRange(w.reply, s, start: gt.successor ?? .zero, end: .max, count: count, reverse: false, read: read)
        }
        c.server.block(c, keys: Array(streamsArg..<(streamsArg + streamCount)), timeoutMillis: timeout,
                       operation: BlockedOperation(valueType: .stream, isReady: isReady, serve: serve))
    }

    // MARK: XGROUP

    static func xgroupHelp(_ c: Client) {
        ServerCommands.replyHelp(c, [
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ])
    }

    /// XGROUP CREATE, SETID, DESTROY, CREATECONSUMER and DELCONSUMER, which
    /// share their checks: options, the key, then the group.
    static func xgroup(_ c: Client) {
        let sub = c.arg(1)
        let create = sub.equalsIgnoringCase("CREATE")
        let setid = sub.equalsIgnoringCase("SETID")
        var mkstream = false
        var entriesRead: Int64 = -1
        var i = 5
        while i < c.argc {
            if create && c.arg(i).equalsIgnoringCase("MKSTREAM") {
                mkstream = true
                i += 1
            } else if (create || setid) && c.arg(i).equalsIgnoringCase("ENTRIESREAD") && i + 1 < c.argc {
                guard let n = integer(c, i + 1) else { return }
                if n < 0 && n != -1 {
                    c.fail(.streamEntriesReadRange)
                    return
                }
                entriesRead = n
                i += 2
            } else {
                c.fail(.subcommandSyntax(subcommand: c.argCString(1), command: c.argString(0)))
                return
            }
        }
        let key = c.key(2)
        let db = c.db
        var stream: StreamValue?
        if let e = db.lookup(key) {
            guard e.type == .stream else {
                c.fail(.wrongType)
                return
            }
            stream = e.object(as: StreamValue.self)
        }
        let groupName = c.arg(3)
        var group: StreamGroup?
        if !mkstream {
            guard let s = stream else {
                c.fail(.streamXgroupNeedsKey)
                return
            }
            group = s.group(groupName)
            if group == nil && (setid || sub.equalsIgnoringCase("CREATECONSUMER") || sub.equalsIgnoringCase("DELCONSUMER")) {
                c.fail(.streamNoSuchGroup(group: String(decoding: groupName.prefix { $0 != 0 }, as: UTF8.self), key: c.argCString(2)))
                return
            }
        }
        if create && c.argc >= 5 && c.argc <= 8 {
            var id: StreamID
            let raw = c.arg(4)
            if raw.count == 1 && raw[0] == 36 {
                id = stream?.lastID ?? .zero
            } else {
                guard let p = strictID(c, 4) else { return }
                id = p
            }
            let s: StreamValue
            if let stream {
                s = stream
            } else {
                s = StreamValue()
                db.setObject(key, s)
                c.notify(.newKey, "new", key.bytes)
                c.touched(key, changes: 0)
            }
            guard s.createGroup(groupName, lastID: id, entriesRead: entriesRead) != nil else {
                c.fail(.streamBusyGroup)
                return
            }
            c.reply.ok()
            c.markDirty()
            c.notify(.stream, "xgroup-create", key.bytes)
        } else if setid && (c.argc == 5 || c.argc == 7) {
            let g = group!
            var id: StreamID
            let raw = c.arg(4)
            if raw.count == 1 && raw[0] == 36 {
                id = stream!.lastID
            } else {
                guard let p = parseID(raw, strict: false) else {
                    c.fail(.streamInvalidID)
                    return
                }
                id = p.id
            }
            g.lastID = id
            g.entriesRead = entriesRead
            c.reply.ok()
            c.markDirty()
            c.notify(.stream, "xgroup-setid", key.bytes)
        } else if sub.equalsIgnoringCase("DESTROY") && c.argc == 4 {
            if group != nil, stream!.destroyGroup(groupName) {
                c.reply.integer(1)
                c.markDirty()
                c.notify(.stream, "xgroup-destroy", key.bytes)
                // Clients blocked in XREADGROUP on it learn the group is gone.
                db.keyCreated(key, .stream)
            } else {
                c.reply.integer(0)
            }
        } else if sub.equalsIgnoringCase("CREATECONSUMER") && c.argc == 5 {
            if group!.createConsumer(c.arg(4), seenTime: Sys.unixMillis()) != nil {
                c.markDirty()
                c.notify(.stream, "xgroup-createconsumer", key.bytes)
                c.reply.integer(1)
            } else {
                c.reply.integer(0)
            }
        } else if sub.equalsIgnoringCase("DELCONSUMER") && c.argc == 5 {
            var pending = 0
            if let consumer = group!.consumer(c.arg(4)) {
                pending = group!.deleteConsumer(consumer)
                c.markDirty()
                c.notify(.stream, "xgroup-delconsumer", key.bytes)
            }
            c.reply.integer(pending)
        } else {
            c.fail(.subcommandSyntax(subcommand: c.argCString(1), command: c.argString(0)))
        }
    }

    // MARK: XSETID

    static func xsetid(_ c: Client) {
        guard let id = strictID(c, 2) else { return }
        var entriesAdded: Int64 = -1
        var maxDeleted = StreamID.zero
        var i = 3
        while i < c.argc {
            let more = c.argc - 1 - i
            let o = c.arg(i)
            if o.equalsIgnoringCase("ENTRIESADDED") && more > 0 {
                guard let n = integer(c, i + 1) else { return }
                if n < 0 {
                    c.fail(.streamEntriesAddedNegative)
                    return
                }
                entriesAdded = n
                i += 2
            } else if o.equalsIgnoringCase("MAXDELETEDID") && more > 0 {
                guard let m = strictID(c, i + 1) else { return }
                if id < m {
                    c.fail(.streamXsetidBelowMaxDeleted)
                    return
                }
                maxDeleted = m
                i += 2
            } else {
                c.fail(.syntax)
                return
            }
        }
        let s: StreamValue
        switch lookup(c, 1, read: false) {
        case .failure: return
        case .missing:
            c.fail(.noSuchKey)
            return
        case .found(let v): s = v
        }
        if s.length > 0 {
            if id < s.lastLiveID {
                c.fail(.streamXsetidBelowTop)
                return
            }
            if entriesAdded != -1 && s.length > UInt64(entriesAdded) {
                c.fail(.streamXsetidBelowLength)
                return
            }
        }
        s.setID(id, entriesAdded: entriesAdded == -1 ? nil : UInt64(entriesAdded), maxDeleted: maxDeleted.isZero ? nil : maxDeleted)
        c.reply.ok()
        c.markDirty()
        c.notify(.stream, "xsetid", c.key(1).bytes)
    }

    // MARK: XACK XPENDING

    /// The group named by argument 2 of the stream at argument 1, looked up
    /// for reading; `.missing` covers an absent key or group.
    enum GroupLookup {
        case missing
        case found(StreamValue, StreamGroup)
        case failure
    }

    static func readGroup(_ c: Client) -> GroupLookup {
        switch lookup(c, 1, read: true) {
        case .failure: return .failure
        case .missing: return .missing
        case .found(let s):
            guard let g = s.group(c.arg(2)) else { return .missing }
            return .found(s, g)
        }
    }

    static func xack(_ c: Client) {
        let g: StreamGroup
        switch readGroup(c) {
        case .failure: return
        case .missing:
            c.reply.integer(0)
            return
        case .found(_, let group): g = group
        }
        var ids: [StreamID] = []
        ids.reserveCapacity(c.argc - 3)
        for j in 3..<c.argc {
            guard let id = strictID(c, j) else { return }
            ids.append(id)
        }
        var acked = 0
        for id in ids where g.acknowledge(id) { acked += 1 }
        if acked > 0 { c.markDirty(acked) }
        c.reply.integer(acked)
    }

    static func xpending(_ c: Client) {
        let summary = c.argc == 3
        if c.argc != 3 && (c.argc < 6 || c.argc > 9) {
            c.fail(.syntax)
            return
        }
        var start = StreamID.zero, end = StreamID.max
        var count: Int64 = 0
        var minIdle: Int64 = 0
        var consumerArg = 0
        if c.argc >= 6 {
            var first = 3
            if c.arg(3).equalsIgnoringCase("IDLE") {
                guard let v = integer(c, 4) else { return }
                minIdle = v
                if c.argc < 8 {
                    c.fail(.syntax)
                    return
                }
                first += 2
            }
            guard let n = integer(c, first + 2) else { return }
            count = max(n, 0)
            guard let s = intervalID(c, first, start: true), let e = intervalID(c, first + 1, start: false) else { return }
            start = s
            end = e
            if first + 3 < c.argc { consumerArg = first + 3 }
        }
        let g: StreamGroup
        switch readGroup(c) {
        case .failure: return
        case .missing:
            c.fail(.streamNoKeyOrGroup(key: c.argCString(1), group: c.argCString(2)))
            return
        case .found(_, let group): g = group
        }
        let r = c.reply
        if summary {
            r.arrayHeader(4)
            r.integer(g.pending.count)
            guard let first = g.pending.firstID, let last = g.pending.lastID else {
                r.nullBulk()
                r.nullBulk()
                r.nullArray()
                return
            }
            r.bulk(id: first)
            r.bulk(id: last)
            let mark = r.beginDeferred()
            var n = 0
            for consumer in g.consumers where consumer.pending.count > 0 {
                r.arrayHeader(2)
                r.bulk(consumer.name)
                r.bulk(int: Int64(consumer.pending.count))
                n += 1
            }
            r.endDeferredArray(at: mark, count: n)
            return
        }
        var only: StreamConsumer?
        if consumerArg > 0 {
            guard let found = g.consumer(c.arg(consumerArg)) else {
                r.arrayHeader(0)
                return
            }
            only = found
        }
        let now = Sys.unixMillis()
        let mark = r.beginDeferred()
        var n = 0
        // Walk the chosen list (the consumer's own, or the group's).
        func emit(_ id: StreamID) -> Bool {
            guard id <= end, count > 0 else { return false }
            guard let pe = g.pending[id] else { return true }
            if minIdle != 0 && now - pe.deliveryTime < minIdle { return true }
            n += 1
            count -= 1
            r.arrayHeader(4)
            r.bulk(id: id)
            r.bulk(pe.owner.name)
            r.integer(max(now - pe.deliveryTime, 0))
            r.integer(Int64(bitPattern: pe.deliveryCount))
            return true
        }
        if let only {
            var pos = only.pending.position(atOrAfter: start)
            while let p = pos, emit(only.pending.id(at: p)) { pos = only.pending.position(after: p) }
        } else {
            var pos = g.pending.position(atOrAfter: start)
            while let p = pos, emit(g.pending.id(at: p)) { pos = g.pending.position(after: p) }
        }
        r.endDeferredArray(at: mark, count: n)
    }

    // MARK: XCLAIM XAUTOCLAIM

    static func xclaim(_ c: Client) {
        let s: StreamValue, g: StreamGroup
        switch readGroup(c) {
        case .failure: return
        case .missing:
            c.fail(.streamNoKeyOrGroup(key: c.argCString(1), group: c.argCString(2)))
            return
        case .found(let v, let group):
            s = v
            g = group
        }
        guard var minIdle = integer(c, 4, .streamInvalidArgument(what: "min-idle-time", command: "XCLAIM")) else { return }
        if minIdle < 0 { minIdle = 0 }
        var ids: [StreamID] = []
        var j = 5
        while j < c.argc, let p = parseID(c.arg(j), strict: true) {
            ids.append(p.id)
            j += 1
        }
        let now = Sys.unixMillis()
        var force = false, justID = false
        var deliveryTime: Int64 = -1
        var retryCount: Int64 = -1
        var lastID = StreamID.zero
        while j < c.argc {
            let more = c.argc - 1 - j
            let o = c.arg(j)
            if o.equalsIgnoringCase("FORCE") {
                force = true
            } else if o.equalsIgnoringCase("JUSTID") {
                justID = true
            } else if o.equalsIgnoringCase("IDLE") && more > 0 {
                j += 1
                guard let v = integer(c, j, .streamInvalidArgument(what: "IDLE option", command: "XCLAIM")) else { return }
                deliveryTime = now &- v
            } else if o.equalsIgnoringCase("TIME") && more > 0 {
                j += 1
                guard let v = integer(c, j, .streamInvalidArgument(what: "TIME option", command: "XCLAIM")) else { return }
                deliveryTime = v
            } else if o.equalsIgnoringCase("RETRYCOUNT") && more > 0 {
                j += 1
                guard let v = integer(c, j, .streamInvalidArgument(what: "RETRYCOUNT option", command: "XCLAIM")) else { return }
                retryCount = v
            } else if o.equalsIgnoringCase("LASTID") && more > 0 {
                j += 1
                guard let id = strictID(c, j) else { return }
                lastID = id
            } else {
                c.fail(.streamUnknownClaimOption(c.argCString(j)))
                return
            }
            j += 1
        }
        let propagation = StreamPropagation()
        defer { c.propagateAs = propagation.commands }
        let key = c.key(1)
        let keyBytes = Array(key.bytes)
        var propagateLastID = false
        if lastID > g.lastID {
            g.lastID = lastID
            propagateLastID = true
        }
        if deliveryTime != -1 {
            if deliveryTime < 0 || deliveryTime > now { deliveryTime = now }
        } else {
            deliveryTime = now
        }
        var consumer: StreamConsumer?
        let r = c.reply
        let mark = r.beginDeferred()
        var n = 0
        for (k, id) in ids.enumerated() {
            let idArg = Array(c.arg(5 + k))
            guard let e = s.entry(id) else {
                if let pe = g.pending[id] {
                    propagation.claim(key: keyBytes, group: g, id: idArg, entry: pe)
                    propagateLastID = false
                    c.markDirty()
                    _ = g.acknowledge(id)
                }
                continue
            }
            var existing = g.pending[id]
            if existing == nil && !force { continue }
            if let pe = existing, minIdle > 0, now - pe.deliveryTime < minIdle { continue }
            if consumer == nil {
                consumer = findOrCreateConsumer(c, g, c.arg(3), key: key, now: now, noack: false, propagation: propagation)
            }
            let who = consumer!
            if existing == nil {
                // FORCE: a new pending entry, delivered once so far.
                g.deliver(id, to: who, now: now)
                existing = g.pending[id]
            } else if existing!.owner !== who {
                existing!.owner.pending.remove(id)
                who.pending.insert(id, ())
            }
            g.pending.update(id) { pe in
                pe.consumer = Unmanaged.passUnretained(who)
                pe.deliveryTime = deliveryTime
                if retryCount >= 0 {
                    pe.deliveryCount = UInt64(bitPattern: retryCount)
                } else if !justID {
                    pe.deliveryCount &+= 1
                }
            }
            if justID { r.bulk(id: id) } else { s.replyEntry(e, r) }
            n += 1
            propagation.claim(key: keyBytes, group: g, id: idArg, entry: g.pending[id]!)
            propagateLastID = false
            c.markDirty()
        }
        if propagateLastID {
            propagation.setID(key: keyBytes, group: g)
            c.markDirty()
        }
        r.endDeferredArray(at: mark, count: n)
    }

    static func xautoclaim(_ c: Client) {
        guard var minIdle = integer(c, 4, .streamInvalidArgument(what: "min-idle-time", command: "XAUTOCLAIM")) else { return }
        if minIdle < 0 { minIdle = 0 }
        guard let start = intervalID(c, 5, start: true) else { return }
        var count: Int64 = 100
        var justID = false
        var j = 6
        while j < c.argc {
            let more = c.argc - 1 - j
            let o = c.arg(j)
            if o.equalsIgnoringCase("COUNT") && more > 0 {
                // Redis bounds COUNT so that its scratch arrays cannot overflow.
                let limit = Int64.max / 16
                guard let v = Numbers.parseInt64(c.arg(j + 1)), v >= 1, v <= limit else {
                    c.fail(.streamAutoclaimCount)
                    return
                }
                count = v
                j += 1
            } else if o.equalsIgnoringCase("JUSTID") {
                justID = true
            } else {
                c.fail(.syntax)
                return
            }
            j += 1
        }
        let s: StreamValue, g: StreamGroup
        switch readGroup(c) {
        case .failure: return
        case .missing:
            c.fail(.streamNoKeyOrGroup(key: c.argCString(1), group: c.argCString(2)))
            return
        case .found(let v, let group):
            s = v
            g = group
        }
        // Redis allocates room for COUNT deleted IDs up front and fails when it cannot.
        if count > 1 << 43 {
            c.fail(.streamAutoclaimCountMemory)
            return
        }
        let propagation = StreamPropagation()
        defer { c.propagateAs = propagation.commands }
        let key = c.key(1)
        let keyBytes = Array(key.bytes)
        let now = Sys.unixMillis()
        var attempts = count * 10
        var consumer: StreamConsumer?
        var deletedIDs: [StreamID] = []
        let r = c.reply
        r.arrayHeader(3)
        let cursorMark = r.beginDeferred()
        let mark = r.beginDeferred()
        var n = 0
        var examined: StreamID?
        var exhausted = false
        func nextPending() -> StreamID? {
            if let examined {
                guard let after = examined.successor, let p = g.pending.position(atOrAfter: after) else { return nil }
                return g.pending.id(at: p)
            }
            guard let p = g.pending.position(atOrAfter: start) else { return nil }
            return g.pending.id(at: p)
        }
        while attempts > 0 && count > 0 {
            attempts -= 1
            guard let id = nextPending() else {
                exhausted = true
                break
            }
            examined = id
            let pe = g.pending[id]!
            guard let e = s.entry(id) else {
                propagation.claim(key: keyBytes, group: g, id: id.bytes, entry: pe)
                c.markDirty()
                _ = g.acknowledge(id)
                deletedIDs.append(id)
                count -= 1
                continue
            }
            if minIdle > 0 && now - pe.deliveryTime < minIdle { continue }
            if consumer == nil {
                consumer = findOrCreateConsumer(c, g, c.arg(3), key: key, now: now, noack: false, propagation: propagation)
            }
            let who = consumer!
            if pe.owner !== who {
                pe.owner.pending.remove(id)
                who.pending.insert(id, ())
            }
            g.pending.update(id) { p in
                p.consumer = Unmanaged.passUnretained(who)
                p.deliveryTime = now
                if !justID { p.deliveryCount &+= 1 }
            }
            if justID { r.bulk(id: id) } else { s.replyEntry(e, r) }
            n += 1
            count -= 1
            propagation.claim(key: keyBytes, group: g, id: id.bytes, entry: g.pending[id]!)
            c.markDirty()
        }
        r.endDeferredArray(at: mark, count: n)
        let cursor = exhausted ? StreamID.zero : (nextPending() ?? .zero)
        // The cursor goes before the claimed entries.
        let tail = Array(r.bytes(from: cursorMark))
        r.truncate(to: cursorMark)
        r.bulk(id: cursor)
        r.appendRaw(tail)
        r.arrayHeader(deletedIDs.count)
        for id in deletedIDs { r.bulk(id: id) }
    }

    // MARK: XINFO

    static func xinfoHelp(_ c: Client) {
        ServerCommands.replyHelp(c, [
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ])
    }

    /// The stream at argument 2 for XINFO, nil after replying "no such key" or WRONGTYPE.
    static func infoStream(_ c: Client) -> StreamValue? {
        switch lookup(c, 2, read: true) {
        case .failure: return nil
        case .missing:
            c.fail(.noSuchKey)
            return nil
        case .found(let s): return s
        }
    }

    static func replyLag(_ r: ReplyBuffer, _ s: StreamValue, _ g: StreamGroup) {
        if let lag = s.lag(g) { r.integer(lag) } else { r.nullBulk() }
    }

    static func replyEntriesRead(_ r: ReplyBuffer, _ g: StreamGroup) {
        if g.entriesRead != -1 { r.integer(g.entriesRead) } else { r.nullBulk() }
    }

    static func xinfoConsumers(_ c: Client) {
        guard let s = infoStream(c) else { return }
        guard let g = s.group(c.arg(3)) else {
            c.fail(.streamNoSuchGroup(group: c.argCString(3), key: c.argCString(2)))
            return
        }
        let r = c.reply
        let now = Sys.unixMillis()
        r.arrayHeader(g.consumerCount)
        for consumer in g.consumers {
            r.mapHeader(3)
            r.bulk("name")
            r.bulk(consumer.name)
            r.bulk("pending")
            r.integer(consumer.pending.count)
            r.bulk("idle")
            r.integer(max(now - consumer.seenTime, 0))
        }
    }

    static func xinfoGroups(_ c: Client) {
        guard let s = infoStream(c) else { return }
        let r = c.reply
        r.arrayHeader(s.groupCount)
        for g in s.allGroups {
            r.mapHeader(6)
            r.bulk("name")
            r.bulk(g.name)
            r.bulk("consumers")
            r.integer(g.consumerCount)
            r.bulk("pending")
            r.integer(g.pending.count)
            r.bulk("last-delivered-id")
            r.bulk(id: g.lastID)
            r.bulk("entries-read")
            replyEntriesRead(r, g)
            r.bulk("lag")
            replyLag(r, s, g)
        }
    }

    static func xinfoStream(_ c: Client) {
        guard let s = infoStream(c) else { return }
        var full = false
        var count: Int64 = 10
        let options = c.argc - 3
        if options > 0 {
            guard options == 1 || options == 3, c.arg(3).equalsIgnoringCase("FULL") else {
                c.fail(.subcommandSyntax(subcommand: c.argCString(1), command: c.argString(0)))
                return
            }
            if options == 3 {
                guard c.arg(4).equalsIgnoringCase("COUNT") else {
                    c.fail(.subcommandSyntax(subcommand: c.argCString(1), command: c.argString(0)))
                    return
                }
                guard let n = integer(c, 5) else { return }
                count = n < 0 ? 10 : n
            }
            full = true
        }
        let r = c.reply
        r.mapHeader(full ? 9 : 10)
        r.bulk("length")
        r.integer(Int64(bitPattern: s.length))
        r.bulk("radix-tree-keys")
        r.integer(s.treeKeyCount)
        r.bulk("radix-tree-nodes")
        r.integer(s.treeNodeCount)
        r.bulk("last-generated-id")
        r.bulk(id: s.lastID)
        r.bulk("max-deleted-entry-id")
        r.bulk(id: s.maxDeletedID)
        r.bulk("entries-added")
        r.integer(Int64(bitPattern: s.entriesAdded))
        r.bulk("recorded-first-entry-id")
        r.bulk(id: s.firstID)
        if !full {
            r.bulk("groups")
            r.integer(s.groupCount)
            r.bulk("first-entry")
            var first = StreamValue.Iterator(s)
            if let e = first.next() { s.replyEntry(e, r) } else { r.nullBulk() }
            r.bulk("last-entry")
            var last = StreamValue.Iterator(s, reverse: true)
            if let e = last.next() { s.replyEntry(e, r) } else { r.nullBulk() }
            return
        }
        let limit = Int(count)
        r.bulk("entries")
        _ = replyRange(r, s, start: .zero, end: .max, count: limit, reverse: false, read: nil)
        r.bulk("groups")
        r.arrayHeader(s.groupCount)
        for g in s.allGroups {
            r.mapHeader(7)
            r.bulk("name")
            r.bulk(g.name)
            r.bulk("last-delivered-id")
            r.bulk(id: g.lastID)
            r.bulk("entries-read")
            replyEntriesRead(r, g)
            r.bulk("lag")
            replyLag(r, s, g)
            r.bulk("pel-count")
            r.integer(g.pending.count)
            r.bulk("pending")
            var n = 0
            let mark = r.beginDeferred()
            g.pending.forEach { id, pe in
                if limit != 0 && n >= limit { return false }
                r.arrayHeader(4)
                r.bulk(id: id)
                r.bulk(pe.owner.name)
                r.integer(pe.deliveryTime)
                r.integer(Int64(bitPattern: pe.deliveryCount))
                n += 1
                return true
            }
            r.endDeferredArray(at: mark, count: n)
            r.bulk("consumers")
            r.arrayHeader(g.consumerCount)
            for consumer in g.consumers {
                r.mapHeader(4)
                r.bulk("name")
                r.bulk(consumer.name)
                r.bulk("seen-time")
                r.integer(consumer.seenTime)
                r.bulk("pel-count")
                r.integer(consumer.pending.count)
                r.bulk("pending")
                var m = 0
                let cmark = r.beginDeferred()
                consumer.pending.forEach { id, _ in
                    if limit != 0 && m >= limit { return false }
                    let pe = g.pending[id]!
                    r.arrayHeader(3)
                    r.bulk(id: id)
                    r.integer(pe.deliveryTime)
                    r.integer(Int64(bitPattern: pe.deliveryCount))
                    m += 1
                    return true
                }
                r.endDeferredArray(at: cmark, count: m)
            }
        }
    }
}

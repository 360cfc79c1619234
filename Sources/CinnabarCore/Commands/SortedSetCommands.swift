import CSystem
import Glibc

extension Numbers {
    /// Writes `%.17g` of `d` into `out` (at least 32 bytes) and returns the
    /// length; infinities are `inf` / `-inf`, as Redis 7.0 replies with scores.
    @inline(__always)
    public static func formatDouble17g(_ d: Double, into out: UnsafeMutablePointer<UInt8>) -> Int {
        if d.isInfinite {
            if d > 0 {
                out[0] = 105; out[1] = 110; out[2] = 102
                return 3
            }
            out[0] = 45; out[1] = 105; out[2] = 110; out[3] = 102
            return 4
        }
        // Integral values below 1e15 print as plain digits under %.17g; -0 keeps its sign.
        if d == d.rounded(.towardZero) && d.magnitude < 1e15 && !(d == 0 && d.sign == .minus) {
            return formatInt64(Int64(d), into: out)
        }
        return Int(out.withMemoryRebound(to: CChar.self, capacity: 32) { csystem_format_double17g($0, 32, d) })
    }
}

extension Numbers {
    /// Redis's d2string, the text a listpack holds for a score (ZSCAN of a
    /// compact set): integral values within half the 64-bit range as plain
    /// digits, `0` / `-0`, `inf` / `-inf`, otherwise `%.17g`. `out` holds 32 bytes.
    static func formatListpackScore(_ d: Double, into out: UnsafeMutablePointer<UInt8>) -> Int {
        if d == 0 {
            if d.sign == .minus {
                out[0] = 45; out[1] = 48
                return 2
            }
            out[0] = 48
            return 1
        }
        if d.isFinite && d >= -4.611686018427387904e18 && d <= 4.611686018427387904e18 && d == d.rounded(.towardZero) {
            return formatInt64(Int64(d), into: out)
        }
        return formatDouble17g(d, into: out)
    }
}

extension ReplyBuffer {
    /// A score as Redis 7.0 replies with it: `%.17g` text as a bulk string in
    /// RESP2, a double in RESP3.
    @inline(__always)
    func score(_ d: Double) {
        ensure(64)
        if resp == .resp2 {
            var tmp: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &tmp) { raw in
                let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let n = Numbers.formatDouble17g(d, into: p)
                bulk(Bytes(start: p, count: n))
            }
        } else {
            appendByte(44)
            count += Numbers.formatDouble17g(d, into: base + count)
            appendCRLF()
        }
    }

    /// A score as a bulk string whatever the protocol (ZSCAN): the listpack's
    /// text for compact sets, `%.17g` otherwise, as Redis returns them.
    func scoreText(_ d: Double, compact: Bool) {
        var tmp: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &tmp) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let n = compact ? Numbers.formatListpackScore(d, into: p) : Numbers.formatDouble17g(d, into: p)
            bulk(Bytes(start: p, count: n))
        }
    }
}

/// Sorted-set commands (Redis's `sorted-set` group).
public enum SortedSetCommands {
    /// The family's command table rows (registering the RDB loaders on first use).
    public static var all: [CommandSpec] {
        ZSetValue.rdbRegistration
        let one = KeySpec.range(first: 1, last: 1, step: 1)
        func spec(_ flags: [String], _ index: Int = 1) -> CommandKeySpec {
            CommandKeySpec(flags: flags, .index(index), .range(lastKey: 0, step: 1, limit: 0))
        }
        func numkeysSpec(_ flags: [String], _ index: Int) -> CommandKeySpec {
            CommandKeySpec(flags: flags, .index(index), .keynum(numKeysIndex: 0, firstKey: 1, step: 1))
        }
        let rangeComplexity = "O(log(N)+M): N members in the set, M returned."
        let byLimitComplexity = "O(log(N)+M): N members in the set, M returned (O(log(N)) for a constant LIMIT count)."
        let removeRangeComplexity = "O(log(N)+M): N members in the set, M removed."
        let popComplexity = "O(log(N)*M): N members in the set, M popped."
        let mpopComplexity = "O(K) + O(M*log(N)): K keys given, N members in the set, M popped."
        let unionComplexity = "O(N)+O(M*log(M)): N the total size of the inputs, M the size of the result."
        let interComplexity = "O(N*K)+O(M*log(M)) worst case: N the smallest input, K inputs, M the size of the result."
        let diffComplexity = "O(L + (N-K)log(N)) worst case: L elements in all sets, N the size of the first, K of the result."
        return [
            CommandSpec("zadd", arity: -4, flags: [.write, .denyoom, .fast], keys: one, group: .sortedSet, since: "1.2.0",
                        complexity: "O(log(N)) per member added or updated, N being the set's size.",
                        summary: "Adds members with scores to a sorted set, or updates their scores; creates the key if needed.",
                        handler: zadd),
            CommandSpec("zincrby", arity: 4, flags: [.write, .denyoom, .fast], keys: one, group: .sortedSet, since: "1.2.0",
                        complexity: "O(log(N)), N being the set's size.",
                        summary: "Adds an increment to a member's score, adding the member when absent.",
                        keySpecs: [spec(["RW", "access", "update"])], handler: zincrby),
            CommandSpec("zrem", arity: -3, flags: [.write, .fast], keys: one, group: .sortedSet, since: "1.2.0",
                        complexity: "O(M*log(N)): N members in the set, M removed.",
                        summary: "Removes members from a sorted set; deletes the key when it becomes empty.",
                        keySpecs: [spec(["RW", "delete"])], handler: zrem),
            CommandSpec("zcard", arity: 2, flags: [.readonly, .fast], keys: one, group: .sortedSet, since: "1.2.0",
                        summary: "Returns the number of members of a sorted set.", keySpecs: [spec(["RO"])], handler: zcard),
            CommandSpec("zscore", arity: 3, flags: [.readonly, .fast], keys: one, group: .sortedSet, since: "1.2.0",
                        summary: "Returns the score of a member of a sorted set.", handler: zscore),
            CommandSpec("zmscore", arity: -3, flags: [.readonly, .fast], keys: one, group: .sortedSet, since: "6.2.0",
                        complexity: "O(N), N members requested.",
                        summary: "Returns the scores of several members of a sorted set.", handler: zmscore),
            CommandSpec("zrank", arity: 3, flags: [.readonly, .fast], keys: one, group: .sortedSet, since: "2.0.0",
                        complexity: "O(log(N))", summary: "Returns a member's rank, lowest score first.", handler: zrank),
            CommandSpec("zrevrank", arity: 3, flags: [.readonly, .fast], keys: one, group: .sortedSet, since: "2.0.0",
                        complexity: "O(log(N))", summary: "Returns a member's rank, highest score first.", handler: zrevrank),
            CommandSpec("zrange", arity: -4, flags: [.readonly], keys: one, group: .sortedSet, since: "1.2.0",
                        complexity: rangeComplexity,
                        summary: "Returns members of a sorted set by rank, score or lexicographic range.", handler: zrange),
            CommandSpec("zrangestore", arity: -5, flags: [.write, .denyoom], keys: .range(first: 1, last: 2, step: 1),
                        group: .sortedSet, since: "6.2.0", complexity: "O(log(N)+M): N members in the source, M stored.",
                        summary: "Stores a range of a sorted set's members in another key.",
                        keySpecs: [spec(["OW", "update"]), spec(["RO", "access"], 2)], handler: zrangestore),
            CommandSpec("zrevrange", arity: -4, flags: [.readonly], keys: one, group: .sortedSet, since: "1.2.0",
                        complexity: rangeComplexity, summary: "Returns members of a sorted set by rank, highest score first.",
                        replacedBy: "`ZRANGE` with the `REV` argument", deprecatedSince: "6.2.0", handler: zrevrange),
            CommandSpec("zrangebyscore", arity: -4, flags: [.readonly], keys: one, group: .sortedSet, since: "1.0.5",
                        complexity: byLimitComplexity, summary: "Returns members of a sorted set within a score range.",
                        replacedBy: "`ZRANGE` with the `BYSCORE` argument", deprecatedSince: "6.2.0", handler: zrangebyscore),
            CommandSpec("zrevrangebyscore", arity: -4, flags: [.readonly], keys: one, group: .sortedSet, since: "2.2.0",
                        complexity: byLimitComplexity,
                        summary: "Returns members of a sorted set within a score range, highest score first.",
                        replacedBy: "`ZRANGE` with the `REV` and `BYSCORE` arguments", deprecatedSince: "6.2.0",
                        handler: zrevrangebyscore),
            CommandSpec("zrangebylex", arity: -4, flags: [.readonly], keys: one, group: .sortedSet, since: "2.8.9",
                        complexity: byLimitComplexity, summary: "Returns members of a sorted set within a lexicographic range.",
                        replacedBy: "`ZRANGE` with the `BYLEX` argument", deprecatedSince: "6.2.0", handler: zrangebylex),
            CommandSpec("zrevrangebylex", arity: -4, flags: [.readonly], keys: one, group: .sortedSet, since: "2.8.9",
                        complexity: byLimitComplexity,
                        summary: "Returns members of a sorted set within a lexicographic range, in reverse order.",
                        replacedBy: "`ZRANGE` with the `REV` and `BYLEX` arguments", deprecatedSince: "6.2.0",
                        handler: zrevrangebylex),
            CommandSpec("zcount", arity: 4, flags: [.readonly, .fast], keys: one, group: .sortedSet, since: "2.0.0",
                        complexity: "O(log(N)), N being the set's size.",
                        summary: "Counts the members of a sorted set within a score range.", handler: zcount),
            CommandSpec("zlexcount", arity: 4, flags: [.readonly, .fast], keys: one, group: .sortedSet, since: "2.8.9",
                        complexity: "O(log(N)), N being the set's size.",
                        summary: "Counts the members of a sorted set within a lexicographic range.", handler: zlexcount),
            CommandSpec("zremrangebyrank", arity: 4, flags: [.write], keys: one, group: .sortedSet, since: "2.0.0",
                        complexity: removeRangeComplexity, summary: "Removes the members of a sorted set within a range of ranks.",
                        keySpecs: [spec(["RW", "delete"])], handler: zremrangebyrank),
            CommandSpec("zremrangebyscore", arity: 4, flags: [.write], keys: one, group: .sortedSet, since: "1.2.0",
                        complexity: removeRangeComplexity, summary: "Removes the members of a sorted set within a score range.",
                        keySpecs: [spec(["RW", "delete"])], handler: zremrangebyscore),
            CommandSpec("zremrangebylex", arity: 4, flags: [.write], keys: one, group: .sortedSet, since: "2.8.9",
                        complexity: removeRangeComplexity,
                        summary: "Removes the members of a sorted set within a lexicographic range.",
                        keySpecs: [spec(["RW", "delete"])], handler: zremrangebylex),
            CommandSpec("zpopmin", arity: -2, flags: [.write, .fast], keys: one, group: .sortedSet, since: "5.0.0",
                        complexity: popComplexity, summary: "Removes and returns the members with the lowest scores.",
                        keySpecs: [spec(["RW", "access", "delete"])], handler: zpopmin),
            CommandSpec("zpopmax", arity: -2, flags: [.write, .fast], keys: one, group: .sortedSet, since: "5.0.0",
                        complexity: popComplexity, summary: "Removes and returns the members with the highest scores.",
                        keySpecs: [spec(["RW", "access", "delete"])], handler: zpopmax),
            CommandSpec("zmpop", arity: -4, flags: [.write], keys: .none, keyFinder: numkeysFinder(count: 1),
                        group: .sortedSet, since: "7.0.0", complexity: mpopComplexity,
                        summary: "Pops members with the lowest or highest scores from the first non-empty sorted set.",
                        keySpecs: [numkeysSpec(["RW", "access", "delete"], 1)], handler: zmpop),
            CommandSpec("bzpopmin", arity: -3, flags: [.write, .noscript, .blocking, .fast],
                        keys: .range(first: 1, last: -2, step: 1), group: .sortedSet, since: "5.0.0",
                        complexity: "O(log(N)), N being the set's size.",
                        summary: "Pops the member with the lowest score from the first non-empty sorted set, blocking until one is.",
                        keySpecs: [CommandKeySpec(flags: ["RW", "access", "delete"], .index(1), .range(lastKey: -2, step: 1, limit: 0))],
                        handler: bzpopmin),
            CommandSpec("bzpopmax", arity: -3, flags: [.write, .noscript, .blocking, .fast],
                        keys: .range(first: 1, last: -2, step: 1), group: .sortedSet, since: "5.0.0",
                        complexity: "O(log(N)), N being the set's size.",
                        summary: "Pops the member with the highest score from the first non-empty sorted set, blocking until one is.",
                        keySpecs: [CommandKeySpec(flags: ["RW", "access", "delete"], .index(1), .range(lastKey: -2, step: 1, limit: 0))],
                        handler: bzpopmax),
            CommandSpec("bzmpop", arity: -5, flags: [.write, .blocking], keys: .none, keyFinder: numkeysFinder(count: 2),
                        group: .sortedSet, since: "7.0.0", complexity: mpopComplexity,
                        summary: "Pops members from the first non-empty sorted set, blocking until one is.",
                        keySpecs: [numkeysSpec(["RW", "access", "delete"], 2)], handler: bzmpop),
            CommandSpec("zrandmember", arity: -2, flags: [.readonly], keys: one, group: .sortedSet, since: "6.2.0",
                        complexity: "O(N), N members returned.", summary: "Returns random members of a sorted set.",
                        tips: ["nondeterministic_output"], handler: zrandmember),
            CommandSpec("zunion", arity: -3, flags: [.readonly], keys: .none, keyFinder: numkeysFinder(count: 1),
                        group: .sortedSet, since: "6.2.0", complexity: unionComplexity,
                        summary: "Returns the union of sorted sets.", keySpecs: [numkeysSpec(["RO", "access"], 1)], handler: zunion),
            CommandSpec("zinter", arity: -3, flags: [.readonly], keys: .none, keyFinder: numkeysFinder(count: 1),
                        group: .sortedSet, since: "6.2.0", complexity: interComplexity,
                        summary: "Returns the intersection of sorted sets.", keySpecs: [numkeysSpec(["RO", "access"], 1)],
                        handler: zinter),
            CommandSpec("zdiff", arity: -3, flags: [.readonly], keys: .none, keyFinder: numkeysFinder(count: 1),
                        group: .sortedSet, since: "6.2.0", complexity: diffComplexity,
                        summary: "Returns the members of the first sorted set missing from the others.",
                        keySpecs: [numkeysSpec(["RO", "access"], 1)], handler: zdiff),
            CommandSpec("zunionstore", arity: -4, flags: [.write, .denyoom], keys: one, keyFinder: numkeysFinder(count: 2, destination: 1),
                        group: .sortedSet, since: "2.0.0", complexity: unionComplexity,
                        summary: "Stores the union of sorted sets in a key.",
                        keySpecs: [spec(["OW", "update"]), numkeysSpec(["RO", "access"], 2)], handler: zunionstore),
            CommandSpec("zinterstore", arity: -4, flags: [.write, .denyoom], keys: one, keyFinder: numkeysFinder(count: 2, destination: 1),
                        group: .sortedSet, since: "2.0.0", complexity: interComplexity,
                        summary: "Stores the intersection of sorted sets in a key.",
                        keySpecs: [spec(["OW", "update"]), numkeysSpec(["RO", "access"], 2)], handler: zinterstore),
            CommandSpec("zdiffstore", arity: -4, flags: [.write, .denyoom], keys: one, keyFinder: numkeysFinder(count: 2, destination: 1),
                        group: .sortedSet, since: "6.2.0", complexity: diffComplexity,
                        summary: "Stores the members of the first sorted set missing from the others in a key.",
                        keySpecs: [spec(["OW", "update"]), numkeysSpec(["RO", "access"], 2)], handler: zdiffstore),
            CommandSpec("zintercard", arity: -3, flags: [.readonly], keys: .none, keyFinder: numkeysFinder(count: 1),
                        group: .sortedSet, since: "7.0.0",
                        complexity: "O(N*K) worst case: N the smallest input, K inputs.",
                        summary: "Counts the members common to sorted sets.", keySpecs: [numkeysSpec(["RO", "access"], 1)],
                        handler: zintercard),
            CommandSpec("zscan", arity: -3, flags: [.readonly], keys: one, group: .sortedSet, since: "2.8.0",
                        complexity: "O(1) per call, O(N) for a whole iteration.",
                        summary: "Iterates over the members and scores of a sorted set.",
                        tips: ["nondeterministic_output"], handler: zscan),
        ]
    }

    /// Keys given as `numkeys key...` with the count at argument `count`,
    /// plus an optional destination; no keys when the count is invalid (the
    /// command then fails before touching any).
    static func numkeysFinder(count: Int, destination: Int? = nil) -> KeyFinder {
        return { c in
            guard c.argc > count, let n = Numbers.parseInt64(c.arg(count)), n >= 1, n <= Int64(c.argc - count - 1) else {
                return .positions([])
            }
            var positions: [Int] = []
            positions.reserveCapacity(Int(n) + 1)
            if let destination { positions.append(destination) }
            for i in 0..<Int(n) { positions.append(count + 1 + i) }
            return .positions(positions)
        }
    }

    // MARK: shared helpers

    /// The sorted set at argument `i` for reading (counts hits and misses);
    /// nil with nothing sent when absent, nil after replying WRONGTYPE for another type.
    @inline(__always)
    static func readZSet(_ c: Client, _ i: Int, wrongType: inout Bool) -> ZSetValue? {
        guard let e = c.readKey(i) else { return nil }
        guard e.type == .zset else {
            c.fail(.wrongType)
            wrongType = true
            return nil
        }
        return e.object(as: ZSetValue.self)
    }

    /// The sorted set under `key` for writing (no hit/miss statistics).
    @inline(__always)
    static func writeZSet(_ c: Client, _ key: Key, wrongType: inout Bool) -> ZSetValue? {
        guard let e = c.db.lookup(key) else { return nil }
        guard e.type == .zset else {
            c.fail(.wrongType)
            wrongType = true
            return nil
        }
        return e.object(as: ZSetValue.self)
    }

    /// Redis's getLongFromObjectOrReply: a 64-bit integer or `notInteger`.
    @inline(__always)
    static func longArg(_ c: Client, _ i: Int) -> Int? {
        guard let v = Numbers.parseInt64(c.arg(i)) else {
            c.fail(.notInteger)
            return nil
        }
        return Int(v)
    }

    /// Redis's getRangeLongFromObjectOrReply with a message for every failure.
    static func boundedArg(_ c: Client, _ i: Int, min: Int, _ error: CommandError) -> Int? {
        guard let v = Numbers.parseInt64(c.arg(i)), v >= min else {
            c.fail(error)
            return nil
        }
        return Int(v)
    }

    /// Stores a freshly built set under `dst` as Redis's setKey does (any old
    /// value and expiry replaced, `new` emitted for a new key), and counts it.
    static func storeResult(_ c: Client, _ dst: Key, _ z: ZSetValue) {
        let db = c.db
        let existed = db.lookup(dst) != nil
        db.setObject(dst, z)
        if !existed { c.notify(.newKey, "new", dst.bytes) }
        c.touched(dst)
    }

    /// The empty-result side of the store commands: deletes `dst` if present.
    static func deleteResult(_ c: Client, _ dst: Key) {
        if c.db.delete(dst) {
            c.touched(dst)
            c.notify(.generic, "del", dst.bytes)
        }
    }

    /// Creates a new sorted set under `key` for ZADD-like commands.
    static func create(_ c: Client, _ key: Key, firstMember: Int) -> ZSetValue {
        let ctx = c.context!
        let compact = ctx.config.zsetMaxListpackEntries != 0 && c.arg(firstMember).count <= ctx.config.zsetMaxListpackValue
        let z = ZSetValue(compact: compact)
        c.db.setObject(key, z)
        c.notify(.newKey, "new", key.bytes)
        return z
    }

    // MARK: ZADD / ZINCRBY

    static func zadd(_ c: Client) { zaddGeneric(c, incr: false) }
    static func zincrby(_ c: Client) { zaddGeneric(c, incr: true) }

    static func zaddGeneric(_ c: Client, incr incrCommand: Bool) {
        var flags: ZSetValue.AddFlags = incrCommand ? [.incr] : []
        var ch = false
        var idx = 2
        while idx < c.argc {
            let o = c.arg(idx)
            if o.equalsIgnoringCase("nx") {
                flags.insert(.nx)
            } else if o.equalsIgnoringCase("xx") {
                flags.insert(.xx)
            } else if o.equalsIgnoringCase("ch") {
                ch = true
            } else if o.equalsIgnoringCase("incr") {
                flags.insert(.incr)
            } else if o.equalsIgnoringCase("gt") {
                flags.insert(.gt)
            } else if o.equalsIgnoringCase("lt") {
                flags.insert(.lt)
            } else {
                break
            }
            idx += 1
        }
        let pairArgs = c.argc - idx
        if pairArgs % 2 != 0 || pairArgs == 0 {
            c.fail(.syntax)
            return
        }
        let pairs = pairArgs / 2
        let nx = flags.contains(.nx), xx = flags.contains(.xx), gt = flags.contains(.gt), lt = flags.contains(.lt)
        let incr = flags.contains(.incr)
        if nx && xx {
            c.fail(.zaddXXAndNX)
            return
        }
        if (gt && nx) || (lt && nx) || (gt && lt) {
            c.fail(.zaddGTLTAndNX)
            return
        }
        if incr && pairs > 1 {
            c.fail(.zaddIncrSinglePair)
            return
        }
        // Every score is checked before anything changes: the command applies fully or not at all.
        for j in 0..<pairs where Numbers.parseDouble(c.arg(idx + 2 * j)) == nil {
            c.fail(.notFloat)
            return
        }
        let key = c.key(1)
        var wrong = false
        var z = writeZSet(c, key, wrongType: &wrong)
        if wrong { return }
        if z == nil {
            if xx {
                if incr { c.reply.nullBulk() } else { c.reply.integer(0) }
                return
            }
            z = create(c, key, firstMember: idx + 1)
        }
        let zset = z!
        let ctx = c.context!
        let maxEntries = ctx.config.zsetMaxListpackEntries, maxValue = ctx.config.zsetMaxListpackValue
        var added = 0, updated = 0, processed = 0
        var lastScore = 0.0
        var failed = false
        for j in 0..<pairs {
            let score = Numbers.parseDouble(c.arg(idx + 2 * j))!
            let (outcome, newScore) = zset.add(c.arg(idx + 2 * j + 1), score: score, flags: flags,
                                               maxEntries: maxEntries, maxValue: maxValue)
            switch outcome {
            case .added: added += 1; processed += 1
            case .updated: updated += 1; processed += 1
            case .unchanged: processed += 1
            case .skipped: break
            case .notANumber:
                c.fail(.scoreIsNaN)
                failed = true
            }
            if failed { break }
            lastScore = newScore
        }
        if !failed {
            if incr {
                if processed > 0 { c.reply.score(lastScore) } else { c.reply.nullBulk() }
            } else {
                c.reply.integer(ch ? added + updated : added)
            }
        }
        if added + updated > 0 {
            c.touched(key, changes: added + updated)
            c.notify(.zset, incr ? "zincr" : "zadd", key.bytes)
        }
    }

    // MARK: ZREM / ZREMRANGEBY*

    static func zrem(_ c: Client) {
        let key = c.key(1)
        var wrong = false
        guard let z = writeZSet(c, key, wrongType: &wrong) else {
            if !wrong { c.reply.integer(0) }
            return
        }
        var deleted = 0
        var keyRemoved = false
        for j in 2..<c.argc {
            if z.remove(c.arg(j)) { deleted += 1 }
            if z.count == 0 {
                c.db.delete(key)
                keyRemoved = true
                break
            }
        }
        if deleted > 0 {
            c.notify(.zset, "zrem", key.bytes)
            if keyRemoved { c.notify(.generic, "del", key.bytes) }
            c.touched(key, changes: deleted)
        }
        c.reply.integer(deleted)
    }

    enum RangeKind { case rank, score, lex }

    static func zremrangebyrank(_ c: Client) { zremrange(c, .rank) }
    static func zremrangebyscore(_ c: Client) { zremrange(c, .score) }
    static func zremrangebylex(_ c: Client) { zremrange(c, .lex) }

    static func zremrange(_ c: Client, _ kind: RangeKind) {
        var start = 0, end = 0
        var scoreRange = ZScoreRange(min: 0, max: 0)
        var lexRange: ZLexRange?
        let event: String
        switch kind {
        case .rank:
            event = "zremrangebyrank"
            guard let s = longArg(c, 2), let e = longArg(c, 3) else { return }
            start = s
            end = e
        case .score:
            event = "zremrangebyscore"
            guard let r = ZScoreRange.parse(c.arg(2), c.arg(3)) else {
                c.fail(.minMaxNotFloat)
                return
            }
            scoreRange = r
        case .lex:
            event = "zremrangebylex"
            guard let r = ZLexRange.parse(c.arg(2), c.arg(3)) else {
                c.fail(.minMaxNotString)
                return
            }
            lexRange = r
        }
        let key = c.key(1)
        var wrong = false
        guard let z = writeZSet(c, key, wrongType: &wrong) else {
            if !wrong { c.reply.integer(0) }
            return
        }
        var first = 0, last = -1
        switch kind {
        case .rank:
            let llen = z.count
            if start < 0 { start = llen + start }
            if end < 0 { end = llen + end }
            if start < 0 { start = 0 }
            if start > end || start >= llen {
                c.reply.integer(0)
                return
            }
            if end >= llen { end = llen - 1 }
            first = start
            last = end
        case .score:
            if let (_, r1) = z.firstInRange(scoreRange), let (_, r2) = z.lastInRange(scoreRange) {
                first = r1
                last = r2
            }
        case .lex:
            if let (_, r1) = z.firstInLexRange(lexRange!), let (_, r2) = z.lastInLexRange(lexRange!) {
                first = r1
                last = r2
            }
        }
        let deleted = z.removeRange(ranks: first, last)
        var keyRemoved = false
        if z.count == 0 {
            c.db.delete(key)
            keyRemoved = true
        }
        if deleted > 0 {
            c.touched(key, changes: deleted)
            c.notify(.zset, event, key.bytes)
            if keyRemoved { c.notify(.generic, "del", key.bytes) }
        }
        c.reply.integer(deleted)
    }

    // MARK: ZRANGE family

    /// Where a range goes: to the client, or into a new set (ZRANGESTORE).
    struct RangeOutput {
        // The client outlives the command; no reference counting in the emission loop.
        unowned(unsafe) let c: Client
        unowned(unsafe) let reply: ReplyBuffer
        let withScores: Bool
        /// RESP3 pairs: each member and score in an array of two.
        let pairs: Bool
        let store: Bool
        var target: ZSetValue?
        var emitted = 0
        var mark = -1
        let maxEntries: Int
        let maxValue: Int

        init(_ c: Client, withScores: Bool, store: Bool) {
            self.c = c
            reply = c.reply
            self.withScores = withScores
            pairs = withScores && c.resp == .resp3
            self.store = store
            let ctx = c.context!
            maxEntries = ctx.config.zsetMaxListpackEntries
            maxValue = ctx.config.zsetMaxListpackValue
        }

        /// Starts the output; `known` is the exact length when known up front.
        mutating func begin(_ known: Int?) {
            if store {
                target = ZSetValue(compact: (known ?? -1) <= maxEntries)
                return
            }
            if let known, known > 0 {
                c.reply.arrayHeader(withScores && c.resp == .resp2 ? known * 2 : known)
            } else {
                mark = c.reply.beginDeferred()
            }
        }

        @inline(__always)
        mutating func emit(_ m: Bytes, _ s: Double) {
            emitted += 1
            if let target {
                _ = target.add(m, score: s, maxEntries: maxEntries, maxValue: maxValue)
                return
            }
            if pairs { reply.arrayHeader(2) }
            reply.bulk(m)
            if withScores { reply.score(s) }
        }

        mutating func finish(destination: Key?) {
            if store {
                let dst = destination!
                if emitted > 0 {
                    SortedSetCommands.storeResult(c, dst, target!)
                    c.reply.integer(emitted)
                    c.notify(.zset, "zrangestore", dst.bytes)
                } else {
                    c.reply.integer(0)
                    SortedSetCommands.deleteResult(c, dst)
                }
                return
            }
            if mark >= 0 { c.reply.endDeferredArray(at: mark, count: withScores && c.resp == .resp2 ? emitted * 2 : emitted) }
        }
    }

    static func zrange(_ c: Client) { zrangeGeneric(c, source: 1, store: false, kind: nil, reverse: nil) }
    static func zrangestore(_ c: Client) { zrangeGeneric(c, source: 2, store: true, kind: nil, reverse: nil) }
    static func zrevrange(_ c: Client) { zrangeGeneric(c, source: 1, store: false, kind: .rank, reverse: true) }
    static func zrangebyscore(_ c: Client) { zrangeGeneric(c, source: 1, store: false, kind: .score, reverse: false) }
    static func zrevrangebyscore(_ c: Client) { zrangeGeneric(c, source: 1, store: false, kind: .score, reverse: true) }
    static func zrangebylex(_ c: Client) { zrangeGeneric(c, source: 1, store: false, kind: .lex, reverse: false) }
    static func zrevrangebylex(_ c: Client) { zrangeGeneric(c, source: 1, store: false, kind: .lex, reverse: true) }

    /// ZRANGE and its variants: `<src> <min> <max> [BYSCORE|BYLEX] [REV]
    /// [WITHSCORES] [LIMIT offset count]`, with the kind and direction fixed
    /// for the older commands (nil: chosen by options).
    static func zrangeGeneric(_ c: Client, source: Int, store: Bool, kind fixedKind: RangeKind?, reverse fixedReverse: Bool?) {
        var kind = fixedKind
        var reverse = fixedReverse
        var withScores = false
        var offset = 0
        var limit = -1
        var j = source + 3
        while j < c.argc {
            let a = c.arg(j)
            let left = c.argc - j - 1
            if !store && a.equalsIgnoringCase("withscores") {
                withScores = true
            } else if a.equalsIgnoringCase("limit") && left >= 2 {
                guard let o = longArg(c, j + 1), let l = longArg(c, j + 2) else { return }
                offset = o
                limit = l
                j += 2
            } else if fixedReverse == nil && reverse == nil && a.equalsIgnoringCase("rev") {
                reverse = true
            } else if fixedKind == nil && kind == nil && a.equalsIgnoringCase("bylex") {
                kind = .lex
            } else if fixedKind == nil && kind == nil && a.equalsIgnoringCase("byscore") {
                kind = .score
            } else {
                c.fail(.syntax)
                return
            }
            j += 1
        }
        let rangeKind = kind ?? .rank
        let rev = reverse ?? false
        if limit != -1 && rangeKind == .rank {
            c.fail(.zrangeLimitNeedsByscoreOrBylex)
            return
        }
        if withScores && rangeKind == .lex {
            c.fail(.zrangeWithscoresWithBylex)
            return
        }
        var minIndex = source + 1, maxIndex = source + 2
        if rev && rangeKind != .rank { swap(&minIndex, &maxIndex) }
        var start = 0, end = 0
        var scoreRange = ZScoreRange(min: 0, max: 0)
        var lexRange: ZLexRange?
        switch rangeKind {
        case .rank:
            guard let s = longArg(c, minIndex), let e = longArg(c, maxIndex) else { return }
            start = s
            end = e
        case .score:
            guard let r = ZScoreRange.parse(c.arg(minIndex), c.arg(maxIndex)) else {
                c.fail(.minMaxNotFloat)
                return
            }
            scoreRange = r
        case .lex:
            guard let r = ZLexRange.parse(c.arg(minIndex), c.arg(maxIndex)) else {
                c.fail(.minMaxNotString)
                return
            }
            lexRange = r
        }
        var out = RangeOutput(c, withScores: withScores || store, store: store)
        let destination: Key? = store ? c.key(1) : nil
        guard let e = c.readKey(source) else {
            if store {
                out.begin(nil)
                out.finish(destination: destination)
            } else {
                c.reply.arrayHeader(0)
            }
            return
        }
        guard e.type == .zset else {
            c.fail(.wrongType)
            return
        }
        let z = e.object(as: ZSetValue.self)
        switch rangeKind {
        case .rank:
            let llen = z.count
            if start < 0 { start = llen + start }
            if end < 0 { end = llen + end }
            if start < 0 { start = 0 }
            if start > end || start >= llen {
                out.begin(0)
                out.finish(destination: destination)
                return
            }
            if end >= llen { end = llen - 1 }
            let n = end - start + 1
            out.begin(n)
            var cur = z.cursor(rank: rev ? llen - 1 - start : start)
            for _ in 0..<n {
                out.emit(z.member(cur), z.score(cur))
                cur = rev ? z.previous(cur) : z.next(cur)
            }
            out.finish(destination: destination)
        case .score:
            out.begin(nil)
            if offset > 0 && offset >= z.count {
                out.finish(destination: destination)
                return
            }
            if let cur = startCursor(z, rev ? z.lastInRange(scoreRange) : z.firstInRange(scoreRange), offset: offset, reverse: rev) {
                var c0 = cur
                var left = limit
                while c0 != ZSetValue.end && left != 0 {
                    let s = z.score(c0)
                    if rev ? !scoreRange.aboveMin(s) : !scoreRange.belowMax(s) { break }
                    out.emit(z.member(c0), s)
                    left -= 1
                    c0 = rev ? z.previous(c0) : z.next(c0)
                }
            }
            out.finish(destination: destination)
        case .lex:
            out.begin(nil)
            let r = lexRange!
            if let cur = startCursor(z, rev ? z.lastInLexRange(r) : z.firstInLexRange(r), offset: offset, reverse: rev) {
                var c0 = cur
                var left = limit
                while c0 != ZSetValue.end && left != 0 {
                    let m = z.member(c0)
                    if rev ? !r.aboveMin(m) : !r.belowMax(m) { break }
                    out.emit(m, z.score(c0))
                    left -= 1
                    c0 = rev ? z.previous(c0) : z.next(c0)
                }
            }
            out.finish(destination: destination)
        }
    }

    /// The first position to emit: `offset` places past the range's first
    /// element (nil when none; a negative offset skips everything, as in Redis).
    static func startCursor(_ z: ZSetValue, _ first: (ZSetValue.Cursor, Int)?, offset: Int, reverse: Bool) -> ZSetValue.Cursor? {
        guard let (cur, rank) = first else { return nil }
        if offset == 0 { return cur }
        if offset < 0 || offset >= z.count { return nil }
        let target = reverse ? rank - offset : rank + offset
        if target < 0 || target >= z.count { return nil }
        return offset < 32 ? z.advance(cur, by: offset, reverse: reverse) : z.cursor(rank: target)
    }

    // MARK: counts and lookups

    static func zcount(_ c: Client) {
        guard let r = ZScoreRange.parse(c.arg(2), c.arg(3)) else {
            c.fail(.minMaxNotFloat)
            return
        }
        var wrong = false
        guard let z = readZSet(c, 1, wrongType: &wrong) else {
            if !wrong { c.reply.integer(0) }
            return
        }
        if let (_, r1) = z.firstInRange(r), let (_, r2) = z.lastInRange(r) {
            c.reply.integer(r2 - r1 + 1)
        } else {
            c.reply.integer(0)
        }
    }

    static func zlexcount(_ c: Client) {
        guard let r = ZLexRange.parse(c.arg(2), c.arg(3)) else {
            c.fail(.minMaxNotString)
            return
        }
        var wrong = false
        guard let z = readZSet(c, 1, wrongType: &wrong) else {
            if !wrong { c.reply.integer(0) }
            return
        }
        if let (_, r1) = z.firstInLexRange(r), let (_, r2) = z.lastInLexRange(r) {
            c.reply.integer(r2 - r1 + 1)
        } else {
            c.reply.integer(0)
        }
    }

    static func zcard(_ c: Client) {
        var wrong = false
        guard let z = readZSet(c, 1, wrongType: &wrong) else {
            if !wrong { c.reply.integer(0) }
            return
        }
        c.reply.integer(z.count)
    }

    static func zscore(_ c: Client) {
        var wrong = false
        guard let z = readZSet(c, 1, wrongType: &wrong) else {
            if !wrong { c.reply.nullBulk() }
            return
        }
        if let s = z.score(of: c.arg(2)) { c.reply.score(s) } else { c.reply.nullBulk() }
    }

    static func zmscore(_ c: Client) {
        var wrong = false
        let z = readZSet(c, 1, wrongType: &wrong)
        if wrong { return }
        c.reply.arrayHeader(c.argc - 2)
        for j in 2..<c.argc {
            if let z, let s = z.score(of: c.arg(j)) { c.reply.score(s) } else { c.reply.nullBulk() }
        }
    }

    static func zrank(_ c: Client) { zrankGeneric(c, reverse: false) }
    static func zrevrank(_ c: Client) { zrankGeneric(c, reverse: true) }

    static func zrankGeneric(_ c: Client, reverse: Bool) {
        var wrong = false
        guard let z = readZSet(c, 1, wrongType: &wrong) else {
            if !wrong { c.reply.nullBulk() }
            return
        }
        if let r = z.rank(of: c.arg(2), reverse: reverse) { c.reply.integer(r) } else { c.reply.nullBulk() }
    }

    // MARK: pops

    /// Pops up to `count` members (-1: one, plain reply) from the low or high
    /// end of `z` under `key`, replying in the shape the caller asks for:
    /// flat or nested pairs, with or without the key name first. Emits the
    /// pop event, deletes the emptied key, counts one change per member.
    /// Returns how many members were popped.
    @discardableResult
    static func popAndReply<W: KeyspaceWriter>(_ c: W, _ key: Key, _ z: ZSetValue, max: Bool, count: Int, emitKey: Bool, nested: Bool) -> Int {
        if count == 0 {
            c.reply.arrayHeader(0)
            return 0
        }
        let wanted = count == -1 ? 1 : count
        let llen = z.count
        let n = Swift.min(wanted, llen)
        switch (nested, emitKey) {
        case (false, false): c.reply.arrayHeader(n * 2)
        case (true, false): c.reply.arrayHeader(n)
        case (false, true):
            c.reply.arrayHeader(n * 2 + 1)
            c.reply.bulk(key.bytes)
        case (true, true):
            c.reply.arrayHeader(2)
            c.reply.bulk(key.bytes)
            c.reply.arrayHeader(n)
        }
        var cur = max ? z.last : z.first
        for _ in 0..<n {
            if nested { c.reply.arrayHeader(2) }
            c.reply.bulk(z.member(cur))
            c.reply.score(z.score(cur))
            cur = max ? z.previous(cur) : z.next(cur)
        }
        if max { z.removeRange(ranks: llen - n, llen - 1) } else { z.removeRange(ranks: 0, n - 1) }
        c.notify(.zset, max ? "zpopmax" : "zpopmin", key.bytes)
        c.touched(key, changes: n)
        if z.count == 0 {
            c.db.delete(key)
            c.notify(.generic, "del", key.bytes)
        }
        return n
    }

    static func zpopmin(_ c: Client) { zpopCommand(c, max: false) }
    static func zpopmax(_ c: Client) { zpopCommand(c, max: true) }

    static func zpopCommand(_ c: Client, max: Bool) {
        if c.argc > 3 {
            c.fail(.syntax)
            return
        }
        var count = -1
        if c.argc == 3 {
            guard let n = boundedArg(c, 2, min: 0, .mustBePositive) else { return }
            count = n
        }
        let key = c.key(1)
        var wrong = false
        guard let z = writeZSet(c, key, wrongType: &wrong) else {
            if !wrong { c.reply.arrayHeader(0) }
            return
        }
        popAndReply(c, key, z, max: max, count: count, emitKey: false, nested: c.resp == .resp3 && count != -1)
    }

    /// Parsed `numkeys key... MIN|MAX [COUNT n]` of ZMPOP and BZMPOP.
    struct MPopArguments {
        var firstKey: Int
        var keyCount: Int
        var max: Bool
        var count: Int
    }

    static func parseMPop(_ c: Client, numkeysIndex: Int) -> MPopArguments? {
        guard let numkeys = boundedArg(c, numkeysIndex, min: 1, .numkeysNotPositive) else { return nil }
        guard numkeys < c.argc - numkeysIndex - 1 else {
            c.fail(.syntax)
            return nil
        }
        let whereIndex = numkeysIndex + numkeys + 1
        let w = c.arg(whereIndex)
        let max: Bool
        if w.equalsIgnoringCase("MIN") {
            max = false
        } else if w.equalsIgnoringCase("MAX") {
            max = true
        } else {
            c.fail(.syntax)
            return nil
        }
        var count = -1
        var j = whereIndex + 1
        while j < c.argc {
            if count == -1 && c.arg(j).equalsIgnoringCase("COUNT") && j < c.argc - 1 {
                j += 1
                guard let n = boundedArg(c, j, min: 1, .countNotPositive) else { return nil }
                count = n
            } else {
                c.fail(.syntax)
                return nil
            }
            j += 1
        }
        return MPopArguments(firstKey: numkeysIndex + 1, keyCount: numkeys, max: max, count: count == -1 ? 1 : count)
    }

    static func popCommandName(_ max: Bool) -> [UInt8] { Array((max ? "ZPOPMAX" : "ZPOPMIN").utf8) }

    static func zmpop(_ c: Client) {
        guard let a = parseMPop(c, numkeysIndex: 1) else { return }
        for i in a.firstKey..<(a.firstKey + a.keyCount) {
            let key = c.key(i)
            var wrong = false
            guard let z = writeZSet(c, key, wrongType: &wrong) else {
                if wrong { return }
                continue
            }
            let llen = z.count
            popAndReply(c, key, z, max: a.max, count: a.count, emitKey: true, nested: true)
            c.propagateAs = [[popCommandName(a.max), Array(key.bytes), Numbers.int64Bytes(Int64(Swift.min(a.count, llen)))]]
            return
        }
        c.reply.nullArray()
    }

    // MARK: blocking pops

    /// The blocking timeout at argument `i` in ms (0: forever), nil after replying an error.
    static func parseTimeout(_ c: Client, _ i: Int) -> Int64? {
        do {
            return try c.blockingTimeout(i)
        } catch {
            c.fail(error)
            return nil
        }
    }

    static func bzpopmin(_ c: Client) { bzpopCommand(c, max: false) }
    static func bzpopmax(_ c: Client) { bzpopCommand(c, max: true) }

    static func bzpopCommand(_ c: Client, max: Bool) {
        guard let timeout = parseTimeout(c, c.argc - 1) else { return }
        blockingPop(c, firstKey: 1, keyCount: c.argc - 2, max: max, count: -1, nested: false, timeout: timeout)
    }

    static func bzmpop(_ c: Client) {
        guard let a = parseMPop(c, numkeysIndex: 2) else { return }
        guard let timeout = parseTimeout(c, 1) else { return }
        blockingPop(c, firstKey: a.firstKey, keyCount: a.keyCount, max: a.max, count: a.count, nested: true, timeout: timeout)
    }

    /// Serves a blocking pop at once from the first non-empty key, or (when
    /// the client may block) waits for one of the keys to receive a sorted
    /// set; clients that cannot block (MULTI, scripts) get a null reply as if
    /// the wait had timed out.
    static func blockingPop(_ c: Client, firstKey: Int, keyCount: Int, max: Bool, count: Int, nested: Bool, timeout: Int64) {
        for i in firstKey..<(firstKey + keyCount) {
            let key = c.key(i)
            var wrong = false
            guard let z = writeZSet(c, key, wrongType: &wrong) else {
                if wrong { return }
                continue
            }
            if z.count == 0 { continue }
            let llen = z.count
            popAndReply(c, key, z, max: max, count: count, emitKey: true, nested: nested)
            var rewritten = [popCommandName(max), Array(key.bytes)]
            if count != -1 { rewritten.append(Numbers.int64Bytes(Int64(Swift.min(count, llen)))) }
            c.propagateAs = [rewritten]
            return
        }
        guard c.mayBlock else {
            c.reply.nullArray()
            return
        }
        let name = popCommandName(max)
        c.server.block(c, keys: Array(firstKey..<(firstKey + keyCount)), timeoutMillis: timeout,
                       operation: BlockedOperation(valueType: .zset) { w, key in
            // Served like the non-blocking pop, with its events and change count.
            guard let e = w.db.lookup(key), e.type == .zset else { return }
            let z = e.object(as: ZSetValue.self)
            let llen = z.count
            popAndReply(w, key, z, max: max, count: count, emitKey: true, nested: nested)
            var command = [name, Array(key.bytes)]
            if count != -1 { command.append(Numbers.int64Bytes(Int64(Swift.min(count, llen)))) }
            w.propagate(command)
        })
    }

    // MARK: ZRANDMEMBER

    static func zrandmember(_ c: Client) {
        if c.argc >= 3 {
            guard let l = Numbers.parseInt64(c.arg(2)) else {
                c.fail(.notInteger)
                return
            }
            if l == Int64.min {
                c.fail(.valueOutOfBounds(min: -Int64.max, max: Int64.max))
                return
            }
            var withScores = false
            if c.argc > 4 || (c.argc == 4 && !c.arg(3).equalsIgnoringCase("withscores")) {
                c.fail(.syntax)
                return
            } else if c.argc == 4 {
                withScores = true
                if l < -Int64.max / 2 || l > Int64.max / 2 {
                    c.fail(.valueOutOfRange)
                    return
                }
            }
            zrandmemberWithCount(c, Int(l), withScores: withScores)
            return
        }
        var wrong = false
        guard let z = readZSet(c, 1, wrongType: &wrong) else {
            if !wrong { c.reply.nullBulk() }
            return
        }
        c.reply.bulk(z.member(z.randomCursor()))
    }

    static func zrandmemberWithCount(_ c: Client, _ l: Int, withScores: Bool) {
        var wrong = false
        guard let z = readZSet(c, 1, wrongType: &wrong) else {
            if !wrong { c.reply.arrayHeader(0) }
            return
        }
        let size = z.count
        let unique = l >= 0
        let count = l >= 0 ? l : -l
        if count == 0 {
            c.reply.arrayHeader(0)
            return
        }
        let resp2Pairs = withScores && c.resp == .resp2
        @inline(__always) func emit(_ cur: ZSetValue.Cursor) {
            if withScores && c.resp == .resp3 { c.reply.arrayHeader(2) }
            c.reply.bulk(z.member(cur))
            if withScores { c.reply.score(z.score(cur)) }
        }
        // Repeats allowed (negative count), or a single member: independent picks.
        if !unique || count == 1 {
            c.reply.arrayHeader(resp2Pairs ? count * 2 : count)
            if let positions = z.compactPositions() {
                for _ in 0..<count { emit(positions[FastRandom.below(positions.count)]) }
            } else {
                for _ in 0..<count {
                    emit(z.randomCursor())
                    if c.flags.contains(.closeASAP) { break }
                }
            }
            return
        }
        let n = Swift.min(count, size)
        c.reply.arrayHeader(resp2Pairs ? n * 2 : n)
        // Asking for the whole set or more: everything, from the highest rank
        // down (the order Redis's set-operation iterator walks a sorted set).
        if count >= size {
            var cur = z.last
            while cur != ZSetValue.end {
                emit(cur)
                cur = z.previous(cur)
            }
            return
        }
        // Most of the set: drop random members from a full list of positions.
        if count * 3 > size {
            var all: [ZSetValue.Cursor] = []
            all.reserveCapacity(size)
            var cur = z.first
            while cur != ZSetValue.end {
                all.append(cur)
                cur = z.next(cur)
            }
            while all.count > count {
                let i = FastRandom.below(all.count)
                all.swapAt(i, all.count - 1)
                all.removeLast()
            }
            for p in all { emit(p) }
            return
        }
        // A small part of a large set: random ranks until enough distinct ones.
        if let positions = z.compactPositions() {
            // Selection sampling: each position kept with the right probability, in order.
            var needed = count
            for (i, p) in positions.enumerated() where needed > 0 {
                if FastRandom.below(positions.count - i) < needed {
                    emit(p)
                    needed -= 1
                }
            }
            return
        }
        var seen = Set<Int>(minimumCapacity: count)
        while seen.count < count {
            let r = FastRandom.below(size)
            if seen.insert(r).inserted { emit(z.cursor(rank: r)) }
        }
    }

    // MARK: ZSCAN

    static func zscan(_ c: Client) {
        guard var cursor = KeyCommands.parseCursor(c.arg(2)) else {
            c.fail(.invalidCursor)
            return
        }
        var wrong = false
        guard let z = readZSet(c, 1, wrongType: &wrong) else {
            if !wrong {
                c.reply.arrayHeader(2)
                c.reply.bulk("0")
                c.reply.arrayHeader(0)
            }
            return
        }
        var count = 10
        var pattern: Int?
        var i = 3
        while i < c.argc {
            let remaining = c.argc - i
            let opt = c.arg(i)
            if opt.equalsIgnoringCase("count") && remaining >= 2 {
                guard let n = longArg(c, i + 1) else { return }
                guard n >= 1 else {
                    c.fail(.syntax)
                    return
                }
                count = n
            } else if opt.equalsIgnoringCase("match") && remaining >= 2 {
                pattern = Glob.isMatchAll(c.arg(i + 1)) ? nil : i + 1
            } else {
                c.fail(.syntax)
                return
            }
            i += 2
        }
        var found: [(Bytes, Double)] = []
        if z.isCompact {
            cursor = z.scan(cursor: cursor) { m, s in found.append((m, s)) }
        } else {
            // Redis counts a member and its score as two and allows ten steps per counted item.
            var iterations = count.multipliedReportingOverflow(by: 20).overflow ? Int.max : count * 20
            repeat {
                cursor = z.scan(cursor: cursor) { m, s in found.append((m, s)) }
                iterations -= 1
            } while cursor != 0 && iterations >= 0 && found.count < count
        }
        c.reply.arrayHeader(2)
        c.reply.bulk(String(cursor))
        let mark = c.reply.beginDeferred()
        var n = 0
        for (m, s) in found {
            if let pattern, !Glob.matches(c.arg(pattern), m) { continue }
            c.reply.bulk(m)
            c.reply.scoreText(s, compact: z.isCompact)
            n += 2
        }
        c.reply.endDeferredArray(at: mark, count: n)
    }

    // MARK: set algebra

    enum SetOperation { case union, inter, diff }
    enum Aggregate { case sum, min, max }

    /// One input of ZUNION and friends: a sorted set, a plain set (scores 1), or nothing.
    struct Operand {
        var zset: ZSetValue?
        var set: SetValue?
        var weight = 1.0

        var count: Int { zset?.count ?? set?.count ?? 0 }

        /// The member's score in this input, nil when absent.
        @inline(__always) func find(_ m: Bytes) -> Double? {
            if let zset { return zset.score(of: m) }
            if let set { return set.contains(m) ? 1.0 : nil }
            return nil
        }

        func forEach(_ body: (Bytes, Double) -> Void) {
            if let zset {
                zset.forEach(body)
            } else if let set {
                set.forEach { body($0, 1.0) }
            }
        }

        func isSameObject(_ o: Operand) -> Bool {
            if let a = zset, let b = o.zset { return a === b }
            if let a = set, let b = o.set { return a === b }
            return false
        }
    }

    @inline(__always)
    static func aggregate(_ target: Double, _ value: Double, _ how: Aggregate) -> Double {
        switch how {
        case .sum:
            let t = target + value
            // inf + -inf is taken as 0, as Redis does.
            return t.isNaN ? 0 : t
        case .min: return value < target ? value : target
        case .max: return value > target ? value : target
        }
    }

    static func zunion(_ c: Client) { setOperation(c, .union, destination: nil, numkeysIndex: 1) }
    static func zinter(_ c: Client) { setOperation(c, .inter, destination: nil, numkeysIndex: 1) }
    static func zdiff(_ c: Client) { setOperation(c, .diff, destination: nil, numkeysIndex: 1) }
    static func zintercard(_ c: Client) { setOperation(c, .inter, destination: nil, numkeysIndex: 1, cardinalityOnly: true) }
    static func zunionstore(_ c: Client) { setOperation(c, .union, destination: 1, numkeysIndex: 2) }
    static func zinterstore(_ c: Client) { setOperation(c, .inter, destination: 1, numkeysIndex: 2) }
    static func zdiffstore(_ c: Client) { setOperation(c, .diff, destination: 1, numkeysIndex: 2) }

    static func setOperation(_ c: Client, _ op: SetOperation, destination: Int?, numkeysIndex: Int, cardinalityOnly: Bool = false) {
        guard let setnum = longArg(c, numkeysIndex) else { return }
        if setnum < 1 {
            c.fail(.needsInputKey(command: c.currentCommand?.fullName ?? c.argString(0).lowercased()))
            return
        }
        if setnum > c.argc - (numkeysIndex + 1) {
            c.fail(.syntax)
            return
        }
        var src: [Operand] = []
        src.reserveCapacity(setnum)
        var j = numkeysIndex + 1
        for _ in 0..<setnum {
            var operand = Operand()
            if let e = c.readKey(j) {
                switch e.type {
                case .zset: operand.zset = e.object(as: ZSetValue.self)
                case .set: operand.set = e.object(as: SetValue.self)
                default:
                    c.fail(.wrongType)
                    return
                }
            }
            src.append(operand)
            j += 1
        }
        var how = Aggregate.sum
        var withScores = false
        var limit = 0
        var remaining = c.argc - j
        while remaining > 0 {
            let a = c.arg(j)
            if op != .diff && !cardinalityOnly && remaining >= setnum + 1 && a.equalsIgnoringCase("weights") {
                j += 1
                remaining -= 1
                for i in 0..<setnum {
                    guard let w = Numbers.parseDouble(c.arg(j)) else {
                        c.fail(.weightNotFloat)
                        return
                    }
                    src[i].weight = w
                    j += 1
                    remaining -= 1
                }
            } else if op != .diff && !cardinalityOnly && remaining >= 2 && a.equalsIgnoringCase("aggregate") {
                let v = c.arg(j + 1)
                if v.equalsIgnoringCase("sum") {
                    how = .sum
                } else if v.equalsIgnoringCase("min") {
                    how = .min
                } else if v.equalsIgnoringCase("max") {
                    how = .max
                } else {
                    c.fail(.syntax)
                    return
                }
                j += 2
                remaining -= 2
            } else if remaining >= 1 && destination == nil && !cardinalityOnly && a.equalsIgnoringCase("withscores") {
                withScores = true
                j += 1
                remaining -= 1
            } else if cardinalityOnly && remaining >= 2 && a.equalsIgnoringCase("limit") {
                guard let n = boundedArg(c, j + 1, min: 0, .limitNegative) else { return }
                limit = n
                j += 2
                remaining -= 2
            } else {
                c.fail(.syntax)
                return
            }
        }
        if op != .diff {
            // Smallest inputs first (stable), as Redis orders them.
            src = src.enumerated().sorted { a, b in
                a.element.count != b.element.count ? a.element.count < b.element.count : a.offset < b.offset
            }.map { $0.element }
        }
        let result = ZSetValue(compact: false)
        var cardinality = 0
        switch op {
        case .inter:
            if src[0].count > 0 {
                let first = src[0]
                first.forEach { m, s in
                    if limit > 0 && cardinality >= limit { return }
                    var score = first.weight * s
                    if score.isNaN { score = 0 }
                    for k in 1..<src.count {
                        guard let v = src[k].find(m) else { return }
                        score = aggregate(score, v * src[k].weight, how)
                    }
                    if cardinalityOnly {
                        cardinality += 1
                    } else {
                        result.insertAbsent(m, score)
                    }
                }
            }
        case .union:
            for operand in src where operand.count > 0 {
                operand.forEach { m, s in
                    var score = operand.weight * s
                    if score.isNaN { score = 0 }
                    result.accumulate(m, score) { aggregate($0, $1, how) }
                }
            }
        case .diff:
            let first = src[0]
            if first.count > 0 && !src.dropFirst().contains(where: { $0.isSameObject(first) }) {
                first.forEach { m, s in
                    for k in 1..<src.count where src[k].count > 0 && src[k].find(m) != nil { return }
                    result.insertAbsent(m, s)
                }
            }
        }
        if let destination {
            let dst = c.key(destination)
            if result.count > 0 {
                let ctx = c.context!
                result.convertToCompactIfFits(maxEntries: ctx.config.zsetMaxListpackEntries, maxValue: ctx.config.zsetMaxListpackValue)
                storeResult(c, dst, result)
                c.reply.integer(result.count)
                let event = op == .union ? "zunionstore" : op == .inter ? "zinterstore" : "zdiffstore"
                c.notify(.zset, event, dst.bytes)
            } else {
                c.reply.integer(0)
                deleteResult(c, dst)
            }
            return
        }
        if cardinalityOnly {
            c.reply.integer(cardinality)
            return
        }
        c.reply.arrayHeader(withScores && c.resp == .resp2 ? result.count * 2 : result.count)
        let reply = c.reply
        let pairs = withScores && c.resp == .resp3
        result.forEach { m, s in
            if pairs { reply.arrayHeader(2) }
            reply.bulk(m)
            if withScores { reply.score(s) }
        }
    }
}

/// Set commands (Redis's `set` group).
public enum SetCommands {
    /// The family's command table rows (registering the type's RDB loaders on first use).
    public static var all: [CommandSpec] {
        SetValue.rdbRegistration
        let one = KeySpec.range(first: 1, last: 1, step: 1)
        let every = KeySpec.range(first: 1, last: -1, step: 1)
        let store = KeySpec.range(first: 1, last: -1, step: 1)
        func spec(_ flags: [String]) -> [CommandKeySpec] {
            [CommandKeySpec(flags: flags, .index(1), .range(lastKey: 0, step: 1, limit: 0))]
        }
        let readAll = [CommandKeySpec(flags: ["RO", "access"], .index(1), .range(lastKey: -1, step: 1, limit: 0))]
        func storeSpecs(_ dst: [String]) -> [CommandKeySpec] {
            [CommandKeySpec(flags: dst, .index(1), .range(lastKey: 0, step: 1, limit: 0)),
             CommandKeySpec(flags: ["RO", "access"], .index(2), .range(lastKey: -1, step: 1, limit: 0))]
        }
        let interComplexity = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."
        let totalComplexity = "O(N) where N is the total number of elements in all given sets."
        return [
            CommandSpec("sadd", arity: -3, flags: [.write, .denyoom, .fast], keys: one, group: .set, since: "1.0.0",
                        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
                        summary: "Add one or more members to a set", keySpecs: spec(["RW", "insert"]), handler: sadd),
            CommandSpec("srem", arity: -3, flags: [.write, .fast], keys: one, group: .set, since: "1.0.0",
                        complexity: "O(N) where N is the number of members to be removed.",
                        summary: "Remove one or more members from a set", keySpecs: spec(["RW", "delete"]), handler: srem),
            CommandSpec("smembers", arity: 2, flags: [.readonly], keys: one, group: .set, since: "1.0.0",
                        complexity: "O(N) where N is the set cardinality.",
                        summary: "Get all the members in a set", keySpecs: spec(["RO", "access"]),
                        tips: ["nondeterministic_output_order"], handler: smembers),
            CommandSpec("sismember", arity: 3, flags: [.readonly, .fast], keys: one, group: .set, since: "1.0.0",
                        summary: "Determine if a given value is a member of a set", keySpecs: spec(["RO"]), handler: sismember),
            CommandSpec("smismember", arity: -3, flags: [.readonly, .fast], keys: one, group: .set, since: "6.2.0",
                        complexity: "O(N) where N is the number of elements being checked for membership",
                        summary: "Returns the membership associated with the given elements for a set",
                        keySpecs: spec(["RO", "access"]), handler: smismember),
            CommandSpec("scard", arity: 2, flags: [.readonly, .fast], keys: one, group: .set, since: "1.0.0",
                        summary: "Get the number of members in a set", keySpecs: spec(["RO"]), handler: scard),
            CommandSpec("spop", arity: -2, flags: [.write, .fast], keys: one, group: .set, since: "1.0.0",
                        complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
                        summary: "Remove and return one or multiple random members from a set",
                        keySpecs: spec(["RW", "access", "delete"]), tips: ["nondeterministic_output"], handler: spop),
            CommandSpec("srandmember", arity: -2, flags: [.readonly], keys: one, group: .set, since: "1.0.0",
                        complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
                        summary: "Get one or multiple random members from a set", keySpecs: spec(["RO", "access"]),
                        tips: ["nondeterministic_output"], handler: srandmember),
            CommandSpec("smove", arity: 4, flags: [.write, .fast], keys: .range(first: 1, last: 2, step: 1), group: .set,
                        since: "1.0.0", summary: "Move a member from one set to another",
                        keySpecs: [CommandKeySpec(flags: ["RW", "access", "delete"], .index(1), .range(lastKey: 0, step: 1, limit: 0)),
                                   CommandKeySpec(flags: ["RW", "insert"], .index(2), .range(lastKey: 0, step: 1, limit: 0))],
                        handler: smove),
            CommandSpec("sinter", arity: -2, flags: [.readonly], keys: every, group: .set, since: "1.0.0",
                        complexity: interComplexity, summary: "Intersect multiple sets", keySpecs: readAll,
                        tips: ["nondeterministic_output_order"], handler: sinter),
            CommandSpec("sintercard", arity: -3, flags: [.readonly], keys: .none, keyFinder: sintercardKeys, group: .set,
                        since: "7.0.0", complexity: interComplexity,
                        summary: "Intersect multiple sets and return the cardinality of the result",
                        keySpecs: [CommandKeySpec(flags: ["RO", "access"], .index(1), .keynum(numKeysIndex: 0, firstKey: 1, step: 1))],
                        handler: sintercard),
            CommandSpec("sinterstore", arity: -3, flags: [.write, .denyoom], keys: store, group: .set, since: "1.0.0",
                        complexity: interComplexity, summary: "Intersect multiple sets and store the resulting set in a key",
                        keySpecs: storeSpecs(["RW", "update"]), handler: sinterstore),
            CommandSpec("sunion", arity: -2, flags: [.readonly], keys: every, group: .set, since: "1.0.0",
                        complexity: totalComplexity, summary: "Add multiple sets", keySpecs: readAll,
                        tips: ["nondeterministic_output_order"], handler: sunion),
            CommandSpec("sunionstore", arity: -3, flags: [.write, .denyoom], keys: store, group: .set, since: "1.0.0",
                        complexity: totalComplexity, summary: "Add multiple sets and store the resulting set in a key",
                        keySpecs: storeSpecs(["OW", "update"]), handler: sunionstore),
            CommandSpec("sdiff", arity: -2, flags: [.readonly], keys: every, group: .set, since: "1.0.0",
                        complexity: totalComplexity, summary: "Subtract multiple sets", keySpecs: readAll,
                        tips: ["nondeterministic_output_order"], handler: sdiff),
            CommandSpec("sdiffstore", arity: -3, flags: [.write, .denyoom], keys: store, group: .set, since: "1.0.0",
                        complexity: totalComplexity, summary: "Subtract multiple sets and store the resulting set in a key",
                        keySpecs: storeSpecs(["OW", "update"]), handler: sdiffstore),
            CommandSpec("sscan", arity: -3, flags: [.readonly], keys: one, group: .set, since: "2.8.0",
                        complexity: HashCommands.scanComplexity, summary: "Incrementally iterate Set elements",
                        keySpecs: spec(["RO", "access"]), tips: ["nondeterministic_output"], handler: sscan),
        ]
    }

    /// SINTERCARD's keys: `numkeys` names follow argument 1. An invalid count
    /// names none (the command then fails before touching any key).
    static func sintercardKeys(_ c: Client) -> KeyLocations {
        guard c.argc > 1, let n = Numbers.parseInt64(c.arg(1)), n >= 1, n <= Int64(c.argc - 2) else {
            return .positions([])
        }
        return .positions(Array(2..<(2 + Int(n))))
    }

    // MARK: helpers

    enum Lookup {
        case missing
        case found(SetValue)
        case failure
    }

    /// The set at argument `i` for reading (hit/miss counted); `.failure`
    /// after replying WRONGTYPE.
    @inline(__always)
    static func read(_ c: Client, _ i: Int = 1) -> Lookup {
        guard let e = c.readKey(i) else { return .missing }
        guard e.type == .set else {
            c.fail(.wrongType)
            return .failure
        }
        return .found(e.object(as: SetValue.self))
    }

    /// The set at `key` for writing, nil when missing; `.failure` after WRONGTYPE.
    @inline(__always)
    static func write(_ c: Client, _ key: Key) -> Lookup {
        guard let e = c.db.lookup(key) else { return .missing }
        guard e.type == .set else {
            c.fail(.wrongType)
            return .failure
        }
        return .found(e.object(as: SetValue.self))
    }

    @inline(__always)
    static func replyMember(_ c: Client, _ s: SetValue, _ position: Int) {
        if let v = s.intMember(at: position) {
            c.reply.bulk(int: v)
        } else {
            c.reply.bulk(s.table!.key(at: position))
        }
    }

    /// Links a new set under `key` (absent) and emits `new`.
    static func create(_ c: Client, _ key: Key, firstMember: Bytes) -> SetValue {
        let s = SetValue(firstMember: firstMember)
        c.db.setObject(key, s)
        c.notify(.newKey, "new", key.bytes)
        return s
    }

    /// Deletes an emptied set and emits `del`.
    static func dropEmpty(_ c: Client, _ key: Key) {
        c.db.delete(key)
        c.notify(.generic, "del", key.bytes)
    }

    // MARK: SADD SREM SMOVE

    static func sadd(_ c: Client) {
        let key = c.key(1)
        let s: SetValue
        switch write(c, key) {
        case .failure: return
        case .found(let found): s = found
        case .missing: s = create(c, key, firstMember: c.arg(2))
        }
        let maxIntset = c.context.config.setMaxIntsetEntries
        var added = 0
        for j in 2..<c.argc where s.add(c.arg(j), maxIntsetEntries: maxIntset) { added += 1 }
        if added > 0 { c.modified(key, .set, "sadd", changes: added) }
        c.reply.integer(added)
    }

    static func srem(_ c: Client) {
        let key = c.key(1)
        let s: SetValue
        switch write(c, key) {
        case .failure: return
        case .missing:
            c.reply.integer(0)
            return
        case .found(let found): s = found
        }
        var deleted = 0
        var keyRemoved = false
        for j in 2..<c.argc where s.remove(c.arg(j)) {
            deleted += 1
            if s.count == 0 {
                c.db.delete(key)
                keyRemoved = true
                break
            }
        }
        if deleted > 0 {
            c.modified(key, .set, "srem", changes: deleted)
            if keyRemoved { c.notify(.generic, "del", key.bytes) }
        }
        c.reply.integer(deleted)
    }

    static func smove(_ c: Client) {
        let srcKey = c.key(1), dstKey = c.key(2)
        let member = c.arg(3)
        let db = c.db
        // Both keys are looked up (expiring either) before anything is
        // decided; values are taken out of entries at once, as the second
        // lookup may change the shard.
        var srcType: ValueType?, dstType: ValueType?
        var src: SetValue?, dst: SetValue?
        if let e = db.lookup(srcKey) {
            srcType = e.type
            if e.type == .set { src = e.object(as: SetValue.self) }
        }
        if let e = db.lookup(dstKey) {
            dstType = e.type
            if e.type == .set { dst = e.object(as: SetValue.self) }
        }
        guard srcType != nil else {
            // A missing source answers 0 whatever the destination holds.
            c.reply.integer(0)
            return
        }
        guard let src, dstType == nil || dst != nil else {
            c.fail(.wrongType)
            return
        }
        if src === dst {
            c.reply.integer(src.contains(member) ? 1 : 0)
            return
        }
        guard src.remove(member) else {
            c.reply.integer(0)
            return
        }
        c.notify(.set, "srem", srcKey.bytes)
        if src.count == 0 { dropEmpty(c, srcKey) }
        if dst == nil { dst = create(c, dstKey, firstMember: member) }
        c.touched(srcKey)
        if dst!.add(member, maxIntsetEntries: c.context.config.setMaxIntsetEntries) {
            c.modified(dstKey, .set, "sadd")
        }
        c.reply.integer(1)
    }

    // MARK: membership

    static func sismember(_ c: Client) {
        switch read(c) {
        case .missing: c.reply.integer(0)
        case .failure: return
        case .found(let s): c.reply.integer(s.contains(c.arg(2)) ? 1 : 0)
        }
    }

    static func smismember(_ c: Client) {
        var set: SetValue?
        switch read(c) {
        case .missing: set = nil
        case .failure: return
        case .found(let s): set = s
        }
        c.reply.arrayHeader(c.argc - 2)
        for j in 2..<c.argc { c.reply.integer(set?.contains(c.arg(j)) == true ? 1 : 0) }
    }

    static func scard(_ c: Client) {
        switch read(c) {
        case .missing: c.reply.integer(0)
        case .failure: return
        case .found(let s): c.reply.integer(s.count)
        }
    }

    static func smembers(_ c: Client) {
        switch read(c) {
        case .missing: c.reply.setHeader(0)
        case .failure: return
        case .found(let s):
            c.reply.setHeader(s.count)
            for i in 0..<s.count { replyMember(c, s, i) }
        }
    }

    // MARK: SPOP SRANDMEMBER

    /// When more than this many times the popped count would remain, SPOP
    /// removes random members one by one; otherwise it keeps random members
    /// in a new set and returns the rest (Redis's SPOP_MOVE_STRATEGY_MUL).
    static let popMoveStrategyFactor = 5
    /// See `HashCommands.subtractStrategyFactor` (SRANDMEMBER_SUB_STRATEGY_MUL).
    static let subtractStrategyFactor = 3

    static func spop(_ c: Client) {
        if c.argc == 3 {
            spopCount(c)
            return
        } else if c.argc > 3 {
            c.fail(.syntax)
            return
        }
        let key = c.key(1)
        let s: SetValue
        switch write(c, key) {
        case .failure: return
        case .missing:
            c.reply.nullBulk()
            return
        case .found(let found): s = found
        }
        let pos = s.randomPosition()
        let member = s.withMember(at: pos) { Array($0) }
        s.remove(at: pos)
        c.notify(.set, "spop", key.bytes)
        c.propagateAs = [[Array("SREM".utf8), Array(c.arg(1)), member]]
        c.reply.bulk(member)
        if s.count == 0 { dropEmpty(c, key) }
        c.touched(key)
    }

    static func spopCount(_ c: Client) {
        let l: Int64
        do {
            l = try AggregateSupport.rangeLong(c, 2, min: 0, max: Int64.max, message: .mustBePositive)
        } catch {
            c.fail(error)
            return
        }
        let key = c.key(1)
        let set: SetValue
        switch write(c, key) {
        case .failure: return
        case .missing:
            c.reply.setHeader(0)
            return
        case .found(let found): set = found
        }
        if l == 0 {
            c.reply.setHeader(0)
            return
        }
        let size = set.count
        c.notify(.set, "spop", key.bytes)
        if l >= Int64(size) {
            // Everything goes: reply with the whole set (read back as SUNION
            // of the key would, counting a keyspace hit) and delete the key.
            c.context.stats.keyspaceHits += 1
            let copy = SetValue()
            let maxIntset = c.context.config.setMaxIntsetEntries
            set.forEach { copy.add($0, maxIntsetEntries: maxIntset) }
            c.reply.setHeader(copy.count)
            for i in 0..<copy.count { replyMember(c, copy, i) }
            AggregateSupport.deleteKey(c, key)
            c.notify(.generic, "del", key.bytes)
            c.propagateAs = [[Array("DEL".utf8), Array(c.arg(1))]]
            c.touched(key, changes: size)
            return
        }
        let count = Int(l)
        var remaining = size - count
        let srem = Array("SREM".utf8), keyBytes = Array(c.arg(1))
        var propagate: [[[UInt8]]] = []
        propagate.reserveCapacity(count)
        c.reply.setHeader(count)
        if remaining * popMoveStrategyFactor > count {
            // Few of many: remove random members one by one.
            for _ in 0..<count {
                let pos = set.randomPosition()
                let member = set.withMember(at: pos) { Array($0) }
                set.remove(at: pos)
                c.reply.bulk(member)
                propagate.append([srem, keyBytes, member])
            }
        } else {
            // Most of it: move the few survivors to a new set, return the rest.
            let maxIntset = c.context.config.setMaxIntsetEntries
            var kept: SetValue?
            while remaining > 0 {
                let pos = set.randomPosition()
                set.withMember(at: pos) { m in
                    if kept == nil { kept = SetValue(firstMember: m) }
                    kept!.add(m, maxIntsetEntries: maxIntset)
                }
                set.remove(at: pos)
                remaining -= 1
            }
            for i in 0..<set.count {
                set.withMember(at: i) { m in
                    c.reply.bulk(m)
                    propagate.append([srem, keyBytes, Array(m)])
                }
            }
            c.db.setObject(key, kept!, keepTTL: true)
        }
        c.propagateAs = propagate
        c.touched(key, changes: count)
    }

    static func srandmember(_ c: Client) {
        if c.argc == 3 {
            srandmemberCount(c)
            return
        } else if c.argc > 3 {
            c.fail(.syntax)
            return
        }
        switch read(c) {
        case .missing: c.reply.nullBulk()
        case .failure: return
        case .found(let s): replyMember(c, s, s.randomPosition())
        }
    }

    static func srandmemberCount(_ c: Client) {
        let l: Int64
        do {
            l = try AggregateSupport.rangeLong(c, 2, min: -Int64.max, max: Int64.max)
        } catch {
            c.fail(error)
            return
        }
        let s: SetValue
        switch read(c) {
        case .missing:
            c.reply.arrayHeader(0)
            return
        case .failure:
            return
        case .found(let found):
            s = found
        }
        let size = s.count
        let unique = l >= 0
        let count = Int(l.magnitude)
        if count == 0 {
            c.reply.arrayHeader(0)
            return
        }
        // Repeats allowed: independent uniform picks, in pick order.
        if !unique || count == 1 {
            c.reply.arrayHeader(count)
            for _ in 0..<count {
                replyMember(c, s, s.randomPosition())
                if c.flags.contains(.closeASAP) { break }
            }
            return
        }
        if count >= size {
            c.reply.arrayHeader(size)
            for i in 0..<size { replyMember(c, s, i) }
            return
        }
        c.reply.arrayHeader(count)
        if count * subtractStrategyFactor > size {
            // Close to the whole set: drop random positions until `count` remain.
            var kept = Array(0..<size)
            while kept.count > count {
                let r = FastRandom.below(kept.count)
                kept.swapAt(r, kept.count - 1)
                kept.removeLast()
            }
            for i in kept { replyMember(c, s, i) }
        } else {
            // Few of many: random positions, skipping repeats.
            var chosen = Set<Int>(minimumCapacity: count)
            while chosen.count < count {
                let i = s.randomPosition()
                if chosen.insert(i).inserted { replyMember(c, s, i) }
            }
        }
    }

    // MARK: SINTER family

    /// The sets named by arguments `first..<end`, nil entries for missing
    /// keys; nil after replying WRONGTYPE (every key is checked).
    static func gather(_ c: Client, _ first: Int, _ end: Int) -> [SetValue?]? {
        var sets: [SetValue?] = []
        sets.reserveCapacity(end - first)
        for j in first..<end {
            switch read(c, j) {
            case .missing: sets.append(nil)
            case .failure: return nil
            case .found(let s): sets.append(s)
            }
        }
        return sets
    }

    /// Stores a computed result under `dst` (Redis's setKey: the old value
    /// and its TTL go), or deletes `dst` when the result is empty.
    static func storeResult(_ c: Client, _ dst: Key, _ result: SetValue, event: String) {
        if result.count > 0 {
            let existed = c.db.lookup(dst) != nil
            c.db.setObject(dst, result)
            if !existed { c.notify(.newKey, "new", dst.bytes) }
            c.reply.integer(result.count)
            c.modified(dst, .set, event)
        } else {
            c.reply.integer(0)
            if AggregateSupport.deleteKey(c, dst) {
                c.modified(dst, .generic, "del")
            }
        }
    }

    /// SINTER, SINTERSTORE (`dst`), SINTERCARD (`cardinalityOnly`, stopping
    /// at a nonzero `limit`), over the sets at arguments `first..<end`.
    static func interGeneric(_ c: Client, _ first: Int, _ end: Int, dst: Key?,
                             cardinalityOnly: Bool = false, limit: Int = 0) {
        guard let found = gather(c, first, end) else { return }
        if found.contains(where: { $0 == nil }) {
            if let dst {
                if AggregateSupport.deleteKey(c, dst) { c.modified(dst, .generic, "del") }
                c.reply.integer(0)
            } else if cardinalityOnly {
                c.reply.integer(0)
            } else {
                c.reply.setHeader(0)
            }
            return
        }
        // Smallest first: every candidate comes from it.
        let sets = found.map { $0! }.sorted { $0.count < $1.count }
        let smallest = sets[0]
        let maxIntset = c.context.config.setMaxIntsetEntries
        let result: SetValue? = dst != nil ? SetValue() : nil
        var mark = 0
        if dst == nil && !cardinalityOnly { mark = c.reply.beginDeferred() }
        var cardinality = 0
        for i in 0..<smallest.count {
            var inAll = true
            if let v = smallest.intMember(at: i) {
                for other in sets.dropFirst() where other !== smallest && !other.contains(int: v) {
                    inAll = false
                    break
                }
            } else {
                let m = smallest.table!.key(at: i)
                for other in sets.dropFirst() where other !== smallest && !other.contains(m) {
                    inAll = false
                    break
                }
            }
            if !inAll { continue }
            if cardinalityOnly {
                cardinality += 1
                if limit > 0 && cardinality >= limit { break }
            } else if let result {
                smallest.withMember(at: i) { result.add($0, maxIntsetEntries: maxIntset) }
            } else {
                replyMember(c, smallest, i)
                cardinality += 1
            }
        }
        if cardinalityOnly {
            c.reply.integer(cardinality)
        } else if let dst, let result {
            storeResult(c, dst, result, event: "sinterstore")
        } else {
            c.reply.endDeferredSet(at: mark, count: cardinality)
        }
    }

    static func sinter(_ c: Client) {
        interGeneric(c, 1, c.argc, dst: nil)
    }

    static func sinterstore(_ c: Client) {
        interGeneric(c, 2, c.argc, dst: c.key(1))
    }

    static func sintercard(_ c: Client) {
        let numkeys: Int64
        do {
            numkeys = try AggregateSupport.rangeLong(c, 1, min: 1, max: Int64.max, message: .numkeysNotPositive)
        } catch {
            c.fail(error)
            return
        }
        if numkeys > Int64(c.argc - 2) {
            c.fail(.numkeysTooMany)
            return
        }
        var limit: Int64 = 0
        var j = 2 + Int(numkeys)
        while j < c.argc {
            let more = c.argc - 1 - j
            if c.arg(j).equalsIgnoringCase("LIMIT") && more > 0 {
                j += 1
                do {
                    limit = try AggregateSupport.rangeLong(c, j, min: 0, max: Int64.max, message: .limitNegative)
                } catch {
                    c.fail(error)
                    return
                }
            } else {
                c.fail(.syntax)
                return
            }
            j += 1
        }
        interGeneric(c, 2, 2 + Int(numkeys), dst: nil, cardinalityOnly: true, limit: Int(limit))
    }

    // MARK: SUNION SDIFF

    enum SetOperation { case union, difference }

    /// SUNION, SDIFF and their STORE forms over the sets at `first..<end`.
    static func unionDiffGeneric(_ c: Client, _ first: Int, _ end: Int, dst: Key?, _ op: SetOperation) {
        guard let sets = gather(c, first, end) else { return }
        let sameSet = sets.count > 1 && sets[0] != nil && sets.dropFirst().contains { $0 === sets[0] }
        let maxIntset = c.context.config.setMaxIntsetEntries
        let result = SetValue()
        switch op {
        case .union:
            for s in sets {
                s?.forEach { result.add($0, maxIntsetEntries: maxIntset) }
            }
        case .difference:
            guard let head = sets[0], !sameSet else { break }
            // Checking each member of the first set against the others costs
            // about |first| x sets; copying then removing costs the total
            // size. The first wins ties, being cheaper per step.
            var checkEach = 0, removeAll = 0
            for s in sets { if let s { checkEach += head.count; removeAll += s.count } }
            if checkEach / 2 <= removeAll {
                // Larger sets first: a member is more likely rejected early.
                let others = sets.dropFirst().compactMap { $0 }.sorted { $0.count > $1.count }
                head.forEach { m in
                    for o in others where o.contains(m) { return }
                    result.add(m, maxIntsetEntries: maxIntset)
                }
            } else {
                head.forEach { result.add($0, maxIntsetEntries: maxIntset) }
                for s in sets.dropFirst() {
                    guard let s else { continue }
                    s.forEach { result.remove($0) }
                    if result.count == 0 { break }
                }
            }
        }
        if let dst {
            storeResult(c, dst, result, event: op == .union ? "sunionstore" : "sdiffstore")
        } else {
            c.reply.setHeader(result.count)
            for i in 0..<result.count { replyMember(c, result, i) }
        }
    }

    static func sunion(_ c: Client) { unionDiffGeneric(c, 1, c.argc, dst: nil, .union) }
    static func sunionstore(_ c: Client) { unionDiffGeneric(c, 2, c.argc, dst: c.key(1), .union) }
    static func sdiff(_ c: Client) { unionDiffGeneric(c, 1, c.argc, dst: nil, .difference) }
    static func sdiffstore(_ c: Client) { unionDiffGeneric(c, 2, c.argc, dst: c.key(1), .difference) }

    // MARK: SSCAN

    static func sscan(_ c: Client) {
        guard var cursor = KeyCommands.parseCursor(c.arg(2)) else {
            c.fail(.invalidCursor)
            return
        }
        let s: SetValue
        switch read(c) {
        case .missing:
            AggregateSupport.replyEmptyScan(c)
            return
        case .failure:
            return
        case .found(let found):
            s = found
        }
        let options: AggregateSupport.ScanOptions
        do {
            options = try AggregateSupport.ScanOptions.parse(c)
        } catch {
            c.fail(error)
            return
        }
        var n = 0
        if let table = s.table {
            var positions: [Int] = []
            cursor = AggregateSupport.scanSteps(table, cursor: cursor, wanted: options.count, perElement: 1) {
                positions.append($0)
            }
            c.reply.arrayHeader(2)
            c.reply.bulk(String(cursor))
            let mark = c.reply.beginDeferred()
            for pos in positions {
                let m = table.key(at: pos)
                guard options.accepts(c, m) else { continue }
                c.reply.bulk(m)
                n += 1
            }
            c.reply.endDeferredArray(at: mark, count: n)
            return
        }
        // An intset is returned whole, ending the scan.
        c.reply.arrayHeader(2)
        c.reply.bulk("0" as StaticString)
        let mark = c.reply.beginDeferred()
        s.forEach { m in
            guard options.accepts(c, m) else { return }
            c.reply.bulk(m)
            n += 1
        }
        c.reply.endDeferredArray(at: mark, count: n)
    }
}

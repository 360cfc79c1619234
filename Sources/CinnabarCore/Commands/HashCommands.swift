/// Hash commands (Redis's `hash` group).
public enum HashCommands {
    static let scanComplexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.."

    /// The family's command table rows (registering the type's RDB loaders on first use).
    public static var all: [CommandSpec] {
        HashValue.rdbRegistration
        let one = KeySpec.range(first: 1, last: 1, step: 1)
        func spec(_ flags: [String]) -> [CommandKeySpec] {
            [CommandKeySpec(flags: flags, .index(1), .range(lastKey: 0, step: 1, limit: 0))]
        }
        return [
            CommandSpec("hset", arity: -4, flags: [.write, .denyoom, .fast], keys: one, group: .hash, since: "2.0.0",
                        complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
                        summary: "Set the string value of a hash field", keySpecs: spec(["RW", "update"]), handler: hset),
            CommandSpec("hsetnx", arity: 4, flags: [.write, .denyoom, .fast], keys: one, group: .hash, since: "2.0.0",
                        summary: "Set the value of a hash field, only if the field does not exist",
                        keySpecs: spec(["RW", "insert"]), handler: hsetnx),
            CommandSpec("hmset", arity: -4, flags: [.write, .denyoom, .fast], keys: one, group: .hash, since: "2.0.0",
                        complexity: "O(N) where N is the number of fields being set.",
                        summary: "Set multiple hash fields to multiple values",
                        replacedBy: "`HSET` with multiple field-value pairs", deprecatedSince: "4.0.0",
                        keySpecs: spec(["RW", "update"]), handler: hmset),
            CommandSpec("hget", arity: 3, flags: [.readonly, .fast], keys: one, group: .hash, since: "2.0.0",
                        summary: "Get the value of a hash field", keySpecs: spec(["RO", "access"]), handler: hget),
            CommandSpec("hmget", arity: -3, flags: [.readonly, .fast], keys: one, group: .hash, since: "2.0.0",
                        complexity: "O(N) where N is the number of fields being requested.",
                        summary: "Get the values of all the given hash fields", keySpecs: spec(["RO", "access"]), handler: hmget),
            CommandSpec("hgetall", arity: 2, flags: [.readonly], keys: one, group: .hash, since: "2.0.0",
                        complexity: "O(N) where N is the size of the hash.",
                        summary: "Get all the fields and values in a hash", keySpecs: spec(["RO", "access"]),
                        tips: ["nondeterministic_output_order"], handler: hgetall),
            CommandSpec("hkeys", arity: 2, flags: [.readonly], keys: one, group: .hash, since: "2.0.0",
                        complexity: "O(N) where N is the size of the hash.",
                        summary: "Get all the fields in a hash", keySpecs: spec(["RO", "access"]),
                        tips: ["nondeterministic_output_order"], handler: hkeys),
            CommandSpec("hvals", arity: 2, flags: [.readonly], keys: one, group: .hash, since: "2.0.0",
                        complexity: "O(N) where N is the size of the hash.",
                        summary: "Get all the values in a hash", keySpecs: spec(["RO", "access"]),
                        tips: ["nondeterministic_output_order"], handler: hvals),
            CommandSpec("hdel", arity: -3, flags: [.write, .fast], keys: one, group: .hash, since: "2.0.0",
                        complexity: "O(N) where N is the number of fields to be removed.",
                        summary: "Delete one or more hash fields", keySpecs: spec(["RW", "delete"]), handler: hdel),
            CommandSpec("hlen", arity: 2, flags: [.readonly, .fast], keys: one, group: .hash, since: "2.0.0",
                        summary: "Get the number of fields in a hash", keySpecs: spec(["RO"]), handler: hlen),
            CommandSpec("hexists", arity: 3, flags: [.readonly, .fast], keys: one, group: .hash, since: "2.0.0",
                        summary: "Determine if a hash field exists", keySpecs: spec(["RO"]), handler: hexists),
            CommandSpec("hstrlen", arity: 3, flags: [.readonly, .fast], keys: one, group: .hash, since: "3.2.0",
                        summary: "Get the length of the value of a hash field", keySpecs: spec(["RO"]), handler: hstrlen),
            CommandSpec("hincrby", arity: 4, flags: [.write, .denyoom, .fast], keys: one, group: .hash, since: "2.0.0",
                        summary: "Increment the integer value of a hash field by the given number",
                        keySpecs: spec(["RW", "access", "update"]), handler: hincrby),
            CommandSpec("hincrbyfloat", arity: 4, flags: [.write, .denyoom, .fast], keys: one, group: .hash, since: "2.6.0",
                        summary: "Increment the float value of a hash field by the given amount",
                        keySpecs: spec(["RW", "access", "update"]), handler: hincrbyfloat),
            CommandSpec("hrandfield", arity: -2, flags: [.readonly], keys: one, group: .hash, since: "6.2.0",
                        complexity: "O(N) where N is the number of fields returned",
                        summary: "Get one or multiple random fields from a hash", keySpecs: spec(["RO", "access"]),
                        tips: ["nondeterministic_output"], handler: hrandfield),
            CommandSpec("hscan", arity: -3, flags: [.readonly], keys: one, group: .hash, since: "2.8.0",
                        complexity: scanComplexity,
                        summary: "Incrementally iterate hash fields and associated values", keySpecs: spec(["RO", "access"]),
                        tips: ["nondeterministic_output"], handler: hscan),
        ]
    }

    // MARK: helpers

    /// The hash at argument 1 for reading (hit/miss counted), nil when
    /// missing; `.failure` after replying WRONGTYPE.
    enum Lookup {
        case missing
        case found(HashValue)
        case failure
    }

    @inline(__always)
    static func read(_ c: Client) -> Lookup {
        guard let e = c.readKey(1) else { return .missing }
        guard e.type == .hash else {
            c.fail(.wrongType)
            return .failure
        }
        return .found(e.object(as: HashValue.self))
    }

    /// Redis's hashTypeLookupWriteOrCreate: the hash at argument 1, created
    /// (emitting `new`) when absent; nil after replying WRONGTYPE.
    @inline(__always)
    static func writable(_ c: Client, _ key: Key) -> HashValue? {
        let db = c.db
        if let e = db.lookup(key) {
            guard e.type == .hash else {
                c.fail(.wrongType)
                return nil
            }
            return e.object(as: HashValue.self)
        }
        let h = HashValue()
        db.setObject(key, h)
        c.notify(.newKey, "new", key.bytes)
        return h
    }

    /// Redis's hashTypeTryConversion over arguments `first...last`.
    @inline(__always)
    static func prepare(_ c: Client, _ h: HashValue, _ first: Int, _ last: Int) {
        guard h.isPacked else { return }
        var longest = 0
        var total = 0
        for i in first...last {
            let n = c.arg(i).count
            if n > longest { longest = n }
            total += n
        }
        h.prepareForWrite(longest: longest, totalBytes: total, maxValue: c.context.config.hashMaxListpackValue)
    }

    @inline(__always)
    static func store(_ c: Client, _ h: HashValue, _ field: Bytes, _ value: Bytes) -> Bool {
        let ctx = c.context!
        return h.set(field, value, maxEntries: ctx.config.hashMaxListpackEntries, maxValue: ctx.config.hashMaxListpackValue)
    }

    // MARK: writes

    static func hset(_ c: Client) { setPairs(c, command: "hset", replyCreated: true) }
    static func hmset(_ c: Client) { setPairs(c, command: "hmset", replyCreated: false) }

    /// HSET (replying with the count of new fields) and HMSET (replying OK).
    static func setPairs(_ c: Client, command: String, replyCreated: Bool) {
        if c.argc % 2 == 1 {
            c.fail(.wrongArity(command: command))
            return
        }
        let key = c.key(1)
        guard let h = writable(c, key) else { return }
        prepare(c, h, 2, c.argc - 1)
        var created = 0
        var i = 2
        while i < c.argc {
            if store(c, h, c.arg(i), c.arg(i + 1)) { created += 1 }
            i += 2
        }
        if replyCreated {
            c.reply.integer(created)
        } else {
            c.reply.ok()
        }
        c.modified(key, .hash, "hset", changes: (c.argc - 2) / 2)
    }

    static func hsetnx(_ c: Client) {
        let key = c.key(1)
        guard let h = writable(c, key) else { return }
        if h.contains(c.arg(2)) {
            c.reply.integer(0)
            return
        }
        prepare(c, h, 2, 3)
        _ = store(c, h, c.arg(2), c.arg(3))
        c.reply.integer(1)
        c.modified(key, .hash, "hset")
    }

    static func hdel(_ c: Client) {
        let key = c.key(1)
        guard let e = c.db.lookup(key) else {
            c.reply.integer(0)
            return
        }
        guard e.type == .hash else {
            c.fail(.wrongType)
            return
        }
        let h = e.object(as: HashValue.self)
        var deleted = 0
        var keyRemoved = false
        for j in 2..<c.argc where h.remove(c.arg(j)) {
            deleted += 1
            if h.count == 0 {
                c.db.delete(key)
                keyRemoved = true
                break
            }
        }
        if deleted > 0 {
            c.modified(key, .hash, "hdel", changes: deleted)
            if keyRemoved { c.notify(.generic, "del", key.bytes) }
        }
        c.reply.integer(deleted)
    }

    static func hincrby(_ c: Client) {
        guard let incr = Numbers.parseInt64(c.arg(3)) else {
            c.fail(.notInteger)
            return
        }
        let key = c.key(1)
        guard let h = writable(c, key) else { return }
        var value: Int64 = 0
        if let current = h.get(c.arg(2)) {
            guard let v = Numbers.parseInt64(current) else {
                c.fail(.hashValueNotInteger)
                return
            }
            value = v
        }
        let (sum, overflow) = value.addingReportingOverflow(incr)
        if overflow {
            c.fail(.overflow)
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let n = Numbers.formatInt64(sum, into: p)
            _ = store(c, h, c.arg(2), Bytes(start: p, count: n))
        }
        c.reply.integer(sum)
        c.modified(key, .hash, "hincrby")
    }

    static func hincrbyfloat(_ c: Client) {
        guard let incr = Numbers.parseLongDouble(c.arg(3)) else {
            c.fail(.notFloat)
            return
        }
        if incr.isNaN || incr.isInfinite {
            c.fail(.valueNaNOrInfinity)
            return
        }
        let key = c.key(1)
        guard let h = writable(c, key) else { return }
        var value: Float80 = 0
        if let current = h.get(c.arg(2)) {
            guard let v = Numbers.parseLongDouble(current) else {
                c.fail(.hashValueNotFloat)
                return
            }
            value = v
        }
        value += incr
        guard let text = Numbers.formatLongDoubleHuman(value) else {
            c.fail(.incrementNaNOrInfinity)
            return
        }
        text.withBytes { t in
            _ = store(c, h, c.arg(2), t)
            c.reply.bulk(t)
        }
        c.modified(key, .hash, "hincrbyfloat")
        // Replicas and the AOF get the resulting value, not a float operation to redo.
        c.propagateAs = [[Array("HSET".utf8), Array(c.arg(1)), Array(c.arg(2)), text]]
    }

    // MARK: reads

    static func hget(_ c: Client) {
        switch read(c) {
        case .missing: c.reply.nullBulk()
        case .failure: return
        case .found(let h):
            if let v = h.get(c.arg(2)) { c.reply.bulk(v) } else { c.reply.nullBulk() }
        }
    }

    static func hmget(_ c: Client) {
        var hash: HashValue?
        switch read(c) {
        case .missing: hash = nil
        case .failure: return
        case .found(let h): hash = h
        }
        c.reply.arrayHeader(c.argc - 2)
        for i in 2..<c.argc {
            if let v = hash?.get(c.arg(i)) { c.reply.bulk(v) } else { c.reply.nullBulk() }
        }
    }

    static func hlen(_ c: Client) {
        switch read(c) {
        case .missing: c.reply.integer(0)
        case .failure: return
        case .found(let h): c.reply.integer(h.count)
        }
    }

    static func hexists(_ c: Client) {
        switch read(c) {
        case .missing: c.reply.integer(0)
        case .failure: return
        case .found(let h): c.reply.integer(h.contains(c.arg(2)) ? 1 : 0)
        }
    }

    static func hstrlen(_ c: Client) {
        switch read(c) {
        case .missing: c.reply.integer(0)
        case .failure: return
        case .found(let h): c.reply.integer(h.get(c.arg(2))?.count ?? 0)
        }
    }

    /// HGETALL (a map), HKEYS and HVALS (arrays).
    static func getAll(_ c: Client, fields: Bool, values: Bool) {
        let both = fields && values
        switch read(c) {
        case .missing:
            if both { c.reply.mapHeader(0) } else { c.reply.arrayHeader(0) }
        case .failure:
            return
        case .found(let h):
            if both { c.reply.mapHeader(h.count) } else { c.reply.arrayHeader(h.count) }
            h.forEach { f, v in
                if fields { c.reply.bulk(f) }
                if values { c.reply.bulk(v) }
            }
        }
    }

    static func hgetall(_ c: Client) { getAll(c, fields: true, values: true) }
    static func hkeys(_ c: Client) { getAll(c, fields: true, values: false) }
    static func hvals(_ c: Client) { getAll(c, fields: false, values: true) }

    // MARK: HRANDFIELD

    /// Above this many requested fields, a count no larger than a third of
    /// the hash is served by random picks; otherwise by discarding random
    /// fields from a full copy (Redis's HRANDFIELD_SUB_STRATEGY_MUL).
    static let subtractStrategyFactor = 3

    static func hrandfield(_ c: Client) {
        if c.argc == 2 {
            switch read(c) {
            case .missing: c.reply.nullBulk()
            case .failure: return
            case .found(let h): c.reply.bulk(h.randomPair().field)
            }
            return
        }
        let l: Int64
        do {
            l = try AggregateSupport.rangeLong(c, 2, min: -Int64.max, max: Int64.max)
        } catch {
            c.fail(error)
            return
        }
        var withValues = false
        if c.argc > 4 || (c.argc == 4 && !c.arg(3).equalsIgnoringCase("WITHVALUES")) {
            c.fail(.syntax)
            return
        } else if c.argc == 4 {
            withValues = true
            if l < -Int64.max / 2 || l > Int64.max / 2 {
                c.fail(.valueOutOfRange)
                return
            }
        }
        let h: HashValue
        switch read(c) {
        case .missing:
            c.reply.arrayHeader(0)
            return
        case .failure:
            return
        case .found(let found):
            h = found
        }
        let size = h.count
        let unique = l >= 0
        let count = Int(l.magnitude)
        if count == 0 {
            c.reply.arrayHeader(0)
            return
        }
        let resp3Pairs = withValues && c.resp != .resp2

        func emit(_ f: Bytes, _ v: Bytes) {
            if resp3Pairs { c.reply.arrayHeader(2) }
            c.reply.bulk(f)
            if withValues { c.reply.bulk(v) }
        }
        func header(_ n: Int) {
            c.reply.arrayHeader(withValues && c.resp == .resp2 ? n * 2 : n)
        }

        // Repeats allowed: independent uniform picks, in pick order.
        if !unique || count == 1 {
            header(count)
            let positions = h.positions()
            for _ in 0..<count {
                let p = positions.pair(FastRandom.below(size))
                emit(p.field, p.value)
                if c.flags.contains(.closeASAP) { break }
            }
            return
        }
        // Asking for at least everything: the whole hash.
        if count >= size {
            header(size)
            h.forEach(emit)
            return
        }
        header(count)
        let positions = h.positions()
        if count * subtractStrategyFactor > size {
            // Close to the whole hash: drop random positions until `count` remain.
            var kept = Array(0..<size)
            while kept.count > count {
                let r = FastRandom.below(kept.count)
                kept.swapAt(r, kept.count - 1)
                kept.removeLast()
            }
            for i in kept {
                let p = positions.pair(i)
                emit(p.field, p.value)
            }
        } else if h.isPacked {
            // Selection sampling: each position is taken with probability
            // (still needed / still available), so the picks keep packed order.
            var needed = count
            for i in 0..<size where needed > 0 {
                if FastRandom.below(size - i) < needed {
                    let p = positions.pair(i)
                    emit(p.field, p.value)
                    needed -= 1
                }
            }
        } else {
            // Few of many: random positions, skipping repeats.
            var chosen = Set<Int>(minimumCapacity: count)
            while chosen.count < count {
                let i = FastRandom.below(size)
                if chosen.insert(i).inserted {
                    let p = positions.pair(i)
                    emit(p.field, p.value)
                }
            }
        }
    }

    // MARK: HSCAN

    static func hscan(_ c: Client) {
        guard var cursor = KeyCommands.parseCursor(c.arg(2)) else {
            c.fail(.invalidCursor)
            return
        }
        let h: HashValue
        switch read(c) {
        case .missing:
            AggregateSupport.replyEmptyScan(c)
            return
        case .failure:
            return
        case .found(let found):
            h = found
        }
        let options: AggregateSupport.ScanOptions
        do {
            options = try AggregateSupport.ScanOptions.parse(c)
        } catch {
            c.fail(error)
            return
        }
        var n = 0
        if let table = h.table {
            var positions: [Int] = []
            let (pairs, overflow) = options.count.multipliedReportingOverflow(by: 2)
            cursor = AggregateSupport.scanSteps(table, cursor: cursor, wanted: overflow ? Int64.max : pairs,
                                                perElement: 2) { positions.append($0) }
            c.reply.arrayHeader(2)
            c.reply.bulk(String(cursor))
            let mark = c.reply.beginDeferred()
            for pos in positions {
                let f = table.key(at: pos)
                guard options.accepts(c, f) else { continue }
                c.reply.bulk(f)
                c.reply.bulk(table.value(at: pos))
                n += 2
            }
            c.reply.endDeferredArray(at: mark, count: n)
            return
        }
        // A packed hash is returned whole, ending the scan.
        c.reply.arrayHeader(2)
        c.reply.bulk("0" as StaticString)
        let mark = c.reply.beginDeferred()
        h.forEach { f, v in
            guard options.accepts(c, f) else { return }
            c.reply.bulk(f)
            c.reply.bulk(v)
            n += 2
        }
        c.reply.endDeferredArray(at: mark, count: n)
    }
}

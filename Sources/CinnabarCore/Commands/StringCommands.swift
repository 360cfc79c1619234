import Glibc

/// String commands (Redis's `string` group).
public enum StringCommands {
    static let appendComplexity = "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation."
    static let rangeComplexity = "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings."
    static let setrangeComplexity = "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument."

    public static var all: [CommandSpec] {
        let one = KeySpec.range(first: 1, last: 1, step: 1)
        return [
            CommandSpec("get", arity: 2, flags: [.readonly, .fast], keys: one,
                        group: .string, since: "1.0.0", summary: "Returns the string value of a key.", handler: get),
            CommandSpec("set", arity: -3, flags: [.write, .denyoom], keys: one,
                        group: .string, since: "1.0.0",
                        summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
                        keySpecs: [CommandKeySpec(flags: ["RW", "access", "update", "variable_flags"], .index(1),
                                                  .range(lastKey: 0, step: 1, limit: 0),
                                                  notes: "RW and ACCESS due to the optional `GET` argument",
                                                  actualFlags: { setKeyFlags($0) })],
                        handler: set),
            CommandSpec("setnx", arity: 3, flags: [.write, .denyoom, .fast], keys: one,
                        group: .string, since: "1.0.0", summary: "Sets a key's string value only when the key is absent.",
                        keySpecs: [.one(1, ["OW", "insert"])], handler: setnx),
            CommandSpec("setex", arity: 4, flags: [.write, .denyoom], keys: one,
                        group: .string, since: "2.0.0", summary: "Sets a key's string value with a time to live in seconds.",
                        keySpecs: [.one(1, ["OW", "update"])], handler: setex),
            CommandSpec("psetex", arity: 4, flags: [.write, .denyoom], keys: one,
                        group: .string, since: "2.6.0",
                        summary: "Sets a key's string value with a time to live in milliseconds.", keySpecs: [.one(1, ["OW", "update"])], handler: psetex),
            CommandSpec("mget", arity: -2, flags: [.readonly, .fast], keys: .range(first: 1, last: -1, step: 1),
                        group: .string, since: "1.0.0", complexity: "O(N) where N is the number of keys to retrieve.",
                        summary: "Returns the string values of several keys, nil for missing or non-string ones.",
                        tips: ["request_policy:multi_shard"], handler: mget),
            CommandSpec("mset", arity: -3, flags: [.write, .denyoom], keys: .range(first: 1, last: -1, step: 2),
                        group: .string, since: "1.0.1", complexity: "O(N) where N is the number of keys to set.",
                        summary: "Sets the string values of several keys at once.", keySpecs: [.rest(1, ["OW", "update"], step: 2)], tips: ["request_policy:multi_shard", "response_policy:all_succeeded"], handler: mset),
            CommandSpec("msetnx", arity: -3, flags: [.write, .denyoom], keys: .range(first: 1, last: -1, step: 2),
                        group: .string, since: "1.0.1", complexity: "O(N) where N is the number of keys to set.",
                        summary: "Sets several keys at once, but only when none of them exists.", keySpecs: [.rest(1, ["OW", "insert"], step: 2)], tips: ["request_policy:multi_shard", "response_policy:agg_min"], handler: msetnx),
            CommandSpec("getset", arity: 3, flags: [.write, .denyoom, .fast], keys: one,
                        group: .string, since: "1.0.0", summary: "Replaces a key's string value and returns the previous one.",
                        replacedBy: "`SET` with the `!GET` argument", deprecatedSince: "6.2.0", keySpecs: [.one(1, ["RW", "access", "update"])], handler: getset),
            CommandSpec("getdel", arity: 2, flags: [.write, .fast], keys: one,
                        group: .string, since: "6.2.0", summary: "Returns a key's string value and deletes the key.",
                        keySpecs: [.one(1, ["RW", "access", "delete"])], handler: getdel),
            CommandSpec("getex", arity: -2, flags: [.write, .fast], keys: one,
                        group: .string, since: "6.2.0",
                        summary: "Returns a key's string value, optionally changing or removing its expiry.", keySpecs: [CommandKeySpec(flags: ["RW", "access", "update"], .index(1), .range(lastKey: 0, step: 1, limit: 0),
                                                   notes: "RW and UPDATE because it changes the TTL")], handler: getex),
            CommandSpec("append", arity: 3, flags: [.write, .denyoom, .fast], keys: one,
                        group: .string, since: "2.0.0", complexity: appendComplexity,
                        summary: "Appends bytes to a key's string value, creating the key when absent.", keySpecs: [.one(1, ["RW", "insert"])], handler: append),
            CommandSpec("strlen", arity: 2, flags: [.readonly, .fast], keys: one,
                        group: .string, since: "2.2.0", summary: "Returns the length in bytes of a key's string value.",
                        keySpecs: [.one(1, ["RO"])], handler: strlen),
            CommandSpec("incr", arity: 2, flags: [.write, .denyoom, .fast], keys: one,
                        group: .string, since: "1.0.0", summary: "Adds one to the integer stored at a key.", keySpecs: [.one(1, ["RW", "access", "update"])], handler: incr),
            CommandSpec("decr", arity: 2, flags: [.write, .denyoom, .fast], keys: one,
                        group: .string, since: "1.0.0", summary: "Subtracts one from the integer stored at a key.",
                        keySpecs: [.one(1, ["RW", "access", "update"])], handler: decr),
            CommandSpec("incrby", arity: 3, flags: [.write, .denyoom, .fast], keys: one,
                        group: .string, since: "1.0.0", summary: "Adds an integer to the integer stored at a key.",
                        keySpecs: [.one(1, ["RW", "access", "update"])], handler: incrby),
            CommandSpec("decrby", arity: 3, flags: [.write, .denyoom, .fast], keys: one,
                        group: .string, since: "1.0.0", summary: "Subtracts an integer from the integer stored at a key.",
                        keySpecs: [.one(1, ["RW", "access", "update"])], handler: decrby),
            CommandSpec("incrbyfloat", arity: 3, flags: [.write, .denyoom, .fast], keys: one,
                        group: .string, since: "2.6.0", summary: "Adds a floating point number to the number stored at a key.",
                        keySpecs: [.one(1, ["RW", "access", "update"])], handler: incrbyfloat),
            CommandSpec("getrange", arity: 4, flags: [.readonly], keys: one,
                        group: .string, since: "2.4.0", complexity: rangeComplexity,
                        summary: "Returns the bytes of a key's string value between two offsets.", handler: getrange),
            CommandSpec("substr", arity: 4, flags: [.readonly], keys: one,
                        group: .string, since: "1.0.0", complexity: rangeComplexity,
                        summary: "Returns the bytes of a key's string value between two offsets.",
                        replacedBy: "`GETRANGE`", deprecatedSince: "2.0.0", handler: getrange),
            CommandSpec("setrange", arity: 4, flags: [.write, .denyoom], keys: one,
                        group: .string, since: "2.2.0", complexity: setrangeComplexity,
                        summary: "Overwrites part of a key's string value from an offset, zero-padding as needed.",
                        handler: setrange),
            CommandSpec("lcs", arity: -3, flags: [.readonly], keys: .range(first: 1, last: 2, step: 1),
                        group: .string, since: "7.0.0",
                        complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
                        summary: "Finds the longest common subsequence of two keys' string values.", handler: lcs),
        ]
    }

    // MARK: shared helpers

    /// True for clients whose writes must be applied whatever the size limits
    /// (the AOF loader), as Redis's mustObeyClient.
    @inline(__always)
    static func mustObey(_ c: Client) -> Bool { c.flags.contains(.discardReplies) }

    /// Redis's checkStringLength: false (after replying) when `size + extra`
    /// exceeds proto-max-bulk-len or overflows.
    static func checkLength(_ c: Client, _ size: Int, _ extra: Int) -> Bool {
        if mustObey(c) { return true }
        let (total, overflow) = size.addingReportingOverflow(extra)
        if overflow || total > c.context.config.protoMaxBulkLen {
            c.fail(.stringTooLong)
            return false
        }
        return true
    }

    /// Links a new string of `length` zero bytes under `key` (absent), encoded
    /// `raw` as Redis's freshly built strings are, and emits `new`.
    static func createZeroed(_ c: Client, _ db: Database, _ key: Key, length: Int) -> Entry {
        let e = Entry.allocate(key: key.bytes, type: .string, payload: length)
        if length > 0 { memset(e.raw + Entry.headerSize + key.bytes.count, 0, length) }
        e.flags = Entry.flagRawString
        let linked = db.insert(e, as: key)
        c.notify(.newKey, "new", key.bytes)
        return linked
    }

    /// Makes a live string at least `length` bytes long (zero-padded) and marks
    /// it modified in place; returns the possibly moved entry.
    @inline(__always)
    static func unshare(_ db: Database, _ e: Entry, _ key: Key, atLeast length: Int) -> Entry {
        if length > e.valueLength { return db.resizeString(e, key, to: length) }
        e.flags |= Entry.flagRawString
        return e
    }

    /// Stores `value` under `key`, replacing any value and expiry (Redis's
    /// setKey without flags), emitting `new` when the key was absent.
    @discardableResult
    static func store(_ c: Client, _ db: Database, _ key: Key, _ value: Bytes, existed: Bool,
                      expireAt: Int64 = 0, keepTTL: Bool = false) -> Entry {
        let e = db.setString(key, value, expireAt: expireAt, keepTTL: keepTTL)
        if !existed { c.notify(.newKey, "new", key.bytes) }
        return e
    }

    // MARK: GET / SET family

    static func get(_ c: Client) {
        _ = replyValue(c)
    }

    /// Redis's getGenericCommand: replies with the value of argument 1 (or
    /// nil). False when the key holds another type (error sent).
    static func replyValue(_ c: Client) -> Bool {
        guard let e = c.readKey(1) else {
            c.reply.nullBulk()
            return true
        }
        guard e.type == .string else {
            c.fail(.wrongType)
            return false
        }
        c.reply.bulk(e.string)
        return true
    }

    /// Options shared by SET and GETEX, parsed as Redis's parseExtendedStringArguments.
    struct ExtendedOptions {
        var nx = false, xx = false, get = false, keepTTL = false, persist = false
        enum Unit { case seconds, milliseconds }
        var expireArg = -1
        var unit = Unit.seconds
        var absolute = false

        var hasExpire: Bool { expireArg >= 0 }

        /// Parses options starting at `from`; `forSet` enables NX/XX/GET/KEEPTTL, else PERSIST.
        static func parse(_ c: Client, from: Int, forSet: Bool) throws(CommandError) -> ExtendedOptions {
            var o = ExtendedOptions()
            var j = from
            while j < c.argc {
                let a = c.arg(j)
                let hasNext = j < c.argc - 1
                if forSet && a.equalsIgnoringCase("NX") && !o.xx {
                    o.nx = true
                } else if forSet && a.equalsIgnoringCase("XX") && !o.nx {
                    o.xx = true
                } else if forSet && a.equalsIgnoringCase("GET") {
                    o.get = true
                } else if forSet && a.equalsIgnoringCase("KEEPTTL") && !o.persist && !o.hasExpire {
                    o.keepTTL = true
                } else if !forSet && a.equalsIgnoringCase("PERSIST") && !o.hasExpire && !o.keepTTL {
                    o.persist = true
                } else if hasNext && !o.keepTTL && !o.persist, let (unit, absolute) = expireOption(a),
                          !o.hasExpire || (o.unit == unit && o.absolute == absolute) {
                    // Repeating the same expiry option is allowed (the last one wins); mixing kinds is not.
                    o.unit = unit
                    o.absolute = absolute
                    o.expireArg = j + 1
                    j += 1
                } else {
                    throw .syntax
                }
                j += 1
            }
            return o
        }

        static func expireOption(_ a: Bytes) -> (Unit, Bool)? {
            if a.equalsIgnoringCase("EX") { return (.seconds, false) }
            if a.equalsIgnoringCase("PX") { return (.milliseconds, false) }
            if a.equalsIgnoringCase("EXAT") { return (.seconds, true) }
            if a.equalsIgnoringCase("PXAT") { return (.milliseconds, true) }
            return nil
        }

        /// The absolute expiry in Unix ms, with Redis's validation.
        func expireAt(_ c: Client, command: String) throws(CommandError) -> Int64 {
            try StringCommands.expireAt(c, arg: expireArg, unit: unit, absolute: absolute, command: command)
        }
    }

    /// Redis's getExpireMillisecondsOrReply for argument `arg`.
    static func expireAt(_ c: Client, arg: Int, unit: ExtendedOptions.Unit, absolute: Bool,
                         command: String) throws(CommandError) -> Int64 {
        var ms = try c.intArg(arg)
        if ms <= 0 || (unit == .seconds && ms > Int64.max / 1000) { throw .invalidExpireTime(command: command) }
        if unit == .seconds { ms *= 1000 }
        if !absolute {
            let (sum, overflow) = ms.addingReportingOverflow(c.now)
            if overflow { throw .invalidExpireTime(command: command) }
            ms = sum
        }
        if ms <= 0 { throw .invalidExpireTime(command: command) }
        return ms
    }

    /// Redis's setGenericCommand: the part of SET/SETNX/SETEX/PSETEX after
    /// option parsing, storing argument `valueArg` under argument 1.
    /// `expireAt` is 0 for none. Returns false when NX/XX prevented the write
    /// (nothing replied).
    static func setGeneric(_ c: Client, valueArg: Int = 2, nx: Bool = false, xx: Bool = false, keepTTL: Bool = false,
                           expireAt: Int64) -> Bool {
        let key = c.key(1)
        let db = c.db
        let found = db.lookup(key) != nil
        if (nx && found) || (xx && !found) { return false }
        let value = c.arg(valueArg)
        store(c, db, key, value, existed: found, expireAt: expireAt, keepTTL: keepTTL)
        c.modified(key, .string, "set")
        if expireAt != 0 {
            c.notify(.generic, "expire", key.bytes)
            // A relative expiry would drift on replay: log the absolute time.
            c.propagateAs = [[Array("SET".utf8), Array(c.arg(1)), Array(value), Array("PXAT".utf8),
                              Numbers.int64Bytes(expireAt)]]
        }
        return true
    }


    /// SET overwrites its key unless GET (after the value) also reads it.
    static func setKeyFlags(_ args: [[UInt8]]) -> [String] {
        for a in args.dropFirst(3) where a.count == 3 && a[0] | 0x20 == 0x67 && a[1] | 0x20 == 0x65 && a[2] | 0x20 == 0x74 {
            return ["RW", "access", "update"]
        }
        return ["OW", "update"]
    }

    static func set(_ c: Client) {
        let o: ExtendedOptions
        let expireAt: Int64
        do {
            o = try ExtendedOptions.parse(c, from: 3, forSet: true)
            expireAt = o.hasExpire ? try o.expireAt(c, command: "set") : 0
        } catch {
            c.fail(error)
            return
        }
        if o.get && !replyValue(c) { return }
        let done = setGeneric(c, nx: o.nx, xx: o.xx, keepTTL: o.keepTTL, expireAt: expireAt)
        if o.get {
            if done && expireAt == 0 {
                // Replicas must not see GET (it would reply to nobody).
                var args: [[UInt8]] = []
                for i in 0..<c.argc where !(i >= 3 && c.arg(i).equalsIgnoringCase("GET")) { args.append(Array(c.arg(i))) }
                c.propagateAs = [args]
            }
        } else if done {
            c.reply.ok()
        } else {
            c.reply.nullBulk()
        }
    }

    static func setnx(_ c: Client) {
        c.reply.integer(setGeneric(c, nx: true, expireAt: 0) ? 1 : 0)
    }

    /// SETEX and PSETEX: `SETEX key ttl value`.
    static func setexGeneric(_ c: Client, unit: ExtendedOptions.Unit) {
        let at: Int64
        do {
            at = try expireAt(c, arg: 2, unit: unit, absolute: false, command: c.currentCommand?.name ?? "setex")
        } catch {
            c.fail(error)
            return
        }
        _ = setGeneric(c, valueArg: 3, expireAt: at)
        c.reply.ok()
    }

    static func setex(_ c: Client) { setexGeneric(c, unit: .seconds) }
    static func psetex(_ c: Client) { setexGeneric(c, unit: .milliseconds) }

    static func mget(_ c: Client) {
        c.reply.arrayHeader(c.argc - 1)
        for j in 1..<c.argc {
            if let e = c.readKey(j), e.type == .string {
                c.reply.bulk(e.string)
            } else {
                c.reply.nullBulk()
            }
        }
    }

    static func msetGeneric(_ c: Client, nx: Bool) {
        if c.argc % 2 == 0 {
            c.fail(.wrongArity(command: c.currentCommand?.fullName ?? "mset"))
            return
        }
        let db = c.db
        if nx {
            for j in stride(from: 1, to: c.argc, by: 2) where db.lookup(c.key(j)) != nil {
                c.reply.integer(0)
                return
            }
        }
        for j in stride(from: 1, to: c.argc, by: 2) {
            let key = c.key(j)
            store(c, db, key, c.arg(j + 1), existed: db.lookup(key) != nil)
            c.modified(key, .string, "set")
        }
        if nx { c.reply.integer(1) } else { c.reply.ok() }
    }

    static func mset(_ c: Client) { msetGeneric(c, nx: false) }
    static func msetnx(_ c: Client) { msetGeneric(c, nx: true) }

    static func getset(_ c: Client) {
        let key = c.key(1)
        let existed = c.db.peek(key) != nil
        guard replyValue(c) else { return }
        store(c, c.db, key, c.arg(2), existed: existed)
        c.modified(key, .string, "set")
        c.propagateAs = [[Array("SET".utf8), Array(c.arg(1)), Array(c.arg(2))]]
    }

    static func getdel(_ c: Client) {
        guard replyValue(c) else { return }
        let key = c.key(1)
        if c.db.delete(key) {
            c.propagateAs = [[Array("DEL".utf8), Array(c.arg(1))]]
            c.modified(key, .generic, "del")
        }
    }

    static func getex(_ c: Client) {
        let o: ExtendedOptions
        do {
            o = try ExtendedOptions.parse(c, from: 2, forSet: false)
        } catch {
            c.fail(error)
            return
        }
        guard let e = c.readKey(1) else {
            c.reply.nullBulk()
            return
        }
        guard e.type == .string else {
            c.fail(.wrongType)
            return
        }
        var at: Int64 = 0
        if o.hasExpire {
            do {
                at = try o.expireAt(c, command: "getex")
            } catch {
                c.fail(error)
                return
            }
        }
        c.reply.bulk(e.string)
        let key = c.key(1)
        let db = c.db
        if o.hasExpire && o.absolute && at <= Sys.unixMillis() {
            // An absolute time already past deletes the key outright.
            db.delete(key)
            c.propagateAs = [[Array("DEL".utf8), Array(c.arg(1))]]
            c.modified(key, .generic, "del")
        } else if o.hasExpire {
            db.setExpire(e, key, at: at)
            c.propagateAs = [[Array("PEXPIREAT".utf8), Array(c.arg(1)), Numbers.int64Bytes(at)]]
            c.modified(key, .generic, "expire")
        } else if o.persist && e.expireAt != 0 {
            db.setExpire(e, key, at: 0)
            c.propagateAs = [[Array("PERSIST".utf8), Array(c.arg(1))]]
            c.modified(key, .generic, "persist")
        }
    }

    // MARK: in-place edits

    static func append(_ c: Client) {
        let key = c.key(1)
        let db = c.db
        let value = c.arg(2)
        let total: Int
        if let found = db.lookup(key) {
            guard found.type == .string else {
                c.fail(.wrongType)
                return
            }
            let old = found.valueLength
            guard checkLength(c, old, value.count) else { return }
            let e = unshare(db, found, key, atLeast: old + value.count)
            if value.count > 0 {
                (e.raw + Entry.headerSize + e.keyLength + old).copyMemory(from: value.baseAddress!, byteCount: value.count)
            }
            total = e.valueLength
        } else {
            store(c, db, key, value, existed: false)
            total = value.count
        }
        c.modified(key, .string, "append")
        c.reply.integer(total)
    }

    static func strlen(_ c: Client) {
        guard let e = c.readKey(1) else {
            c.reply.integer(0)
            return
        }
        guard e.type == .string else {
            c.fail(.wrongType)
            return
        }
        c.reply.integer(e.valueLength)
    }

    static func setrange(_ c: Client) {
        let offset: Int64
        do { offset = try c.intArg(2) } catch {
            c.fail(error)
            return
        }
        if offset < 0 {
            c.fail(.offsetOutOfRange)
            return
        }
        let key = c.key(1)
        let db = c.db
        let value = c.arg(3)
        let off = Int(offset)
        var e: Entry
        if let found = db.lookup(key) {
            guard found.type == .string else {
                c.fail(.wrongType)
                return
            }
            if value.count == 0 {
                c.reply.integer(found.valueLength)
                return
            }
            guard checkLength(c, off, value.count) else { return }
            e = unshare(db, found, key, atLeast: off + value.count)
        } else {
            if value.count == 0 {
                c.reply.integer(0)
                return
            }
            guard checkLength(c, off, value.count) else { return }
            e = createZeroed(c, db, key, length: off + value.count)
        }
        (e.raw + Entry.headerSize + e.keyLength + off).copyMemory(from: value.baseAddress!, byteCount: value.count)
        c.modified(key, .string, "setrange")
        c.reply.integer(e.valueLength)
    }

    static func getrange(_ c: Client) {
        let start0: Int64, end0: Int64
        do {
            start0 = try c.intArg(2)
            end0 = try c.intArg(3)
        } catch {
            c.fail(error)
            return
        }
        guard let e = c.readKey(1) else {
            c.reply.bulk(Bytes(start: nil, count: 0))
            return
        }
        guard e.type == .string else {
            c.fail(.wrongType)
            return
        }
        let s = e.string
        let n = Int64(s.count)
        var start = start0, end = end0
        if start < 0 && end < 0 && start > end {
            c.reply.bulk(Bytes(start: nil, count: 0))
            return
        }
        if start < 0 { start = n + start }
        if end < 0 { end = n + end }
        if start < 0 { start = 0 }
        if end < 0 { end = 0 }
        if end >= n { end = n - 1 }
        if start > end || n == 0 {
            c.reply.bulk(Bytes(start: nil, count: 0))
        } else {
            c.reply.bulk(Bytes(rebasing: s[Int(start)...Int(end)]))
        }
    }

    // MARK: counters

    /// Redis's incrDecrCommand: adds `delta` to the integer at argument 1.
    static func incrDecr(_ c: Client, _ delta: Int64) {
        let key = c.key(1)
        let db = c.db
        let found = db.lookup(key)
        var current: Int64 = 0
        if let e = found {
            guard e.type == .string else {
                c.fail(.wrongType)
                return
            }
            guard let v = Numbers.parseInt64(e.string) else {
                c.fail(.notInteger)
                return
            }
            current = v
        }
        if (delta < 0 && current < 0 && delta < Int64.min - current) ||
            (delta > 0 && current > 0 && delta > Int64.max - current) {
            c.fail(.overflow)
            return
        }
        let value = current + delta
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &tmp) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let n = Numbers.formatInt64(value, into: p)
            if let e = found, e.stringCapacity >= n {
                // Rewrite the digits where they are: counters stay put in memory.
                (e.raw + Entry.headerSize + e.keyLength).copyMemory(from: p, byteCount: n)
                e.valueLength = n
                e.flags = 0
            } else {
                store(c, db, key, Bytes(start: p, count: n), existed: found != nil, keepTTL: true)
            }
        }
        c.modified(key, .string, "incrby")
        c.reply.integer(value)
    }

    static func incr(_ c: Client) { incrDecr(c, 1) }
    static func decr(_ c: Client) { incrDecr(c, -1) }

    static func incrby(_ c: Client) {
        do { incrDecr(c, try c.intArg(2)) } catch { c.fail(error) }
    }

    static func decrby(_ c: Client) {
        let delta: Int64
        do { delta = try c.intArg(2) } catch {
            c.fail(error)
            return
        }
        if delta == Int64.min {
            c.fail(.decrementOverflow)
            return
        }
        incrDecr(c, -delta)
    }

    static func incrbyfloat(_ c: Client) {
        let key = c.key(1)
        let db = c.db
        let found = db.lookup(key)
        var current: Float80 = 0
        if let e = found {
            guard e.type == .string else {
                c.fail(.wrongType)
                return
            }
            guard let v = Numbers.parseLongDouble(e.string) else {
                c.fail(.notFloat)
                return
            }
            current = v
        }
        guard let incr = Numbers.parseLongDouble(c.arg(2)) else {
            c.fail(.notFloat)
            return
        }
        let value = current + incr
        guard let text = Numbers.formatLongDoubleHuman(value) else {
            c.fail(.incrementNaNOrInfinity)
            return
        }
        text.withBytes { t in
            let e = store(c, db, key, t, existed: found != nil, keepTTL: true)
            e.flags |= Entry.flagNotInteger
            c.reply.bulk(t)
        }
        c.modified(key, .string, "incrbyfloat")
        // Replicas and the AOF get the exact result, not a float operation to redo.
        c.propagateAs = [[Array("SET".utf8), Array(c.arg(1)), text, Array("KEEPTTL".utf8)]]
    }

    // MARK: LCS

    static func lcs(_ c: Client) {
        let ea = c.readKey(1)
        let eb = c.readKey(2)
        if (ea != nil && ea!.type != .string) || (eb != nil && eb!.type != .string) {
            c.fail(.lcsWrongType)
            return
        }
        var getLen = false, getIdx = false, withMatchLen = false
        var minMatchLen: Int64 = 0
        var j = 3
        while j < c.argc {
            let opt = c.arg(j)
            let more = c.argc - 1 - j
            if opt.equalsIgnoringCase("IDX") {
                getIdx = true
            } else if opt.equalsIgnoringCase("LEN") {
                getLen = true
            } else if opt.equalsIgnoringCase("WITHMATCHLEN") {
                withMatchLen = true
            } else if opt.equalsIgnoringCase("MINMATCHLEN") && more > 0 {
                do { minMatchLen = try c.intArg(j + 1) } catch {
                    c.fail(error)
                    return
                }
                if minMatchLen < 0 { minMatchLen = 0 }
                j += 1
            } else {
                c.fail(.syntax)
                return
            }
            j += 1
        }
        if getLen && getIdx {
            c.fail(.lcsLenWithIdx)
            return
        }
        let a = ea?.string ?? Bytes(start: nil, count: 0)
        let b = eb?.string ?? Bytes(start: nil, count: 0)
        if a.count >= Int(UInt32.max) - 1 || b.count >= Int(UInt32.max) - 1 {
            c.fail(.lcsTooLong)
            return
        }
        let alen = a.count, blen = b.count
        let (cells, o1) = UInt64(alen + 1).multipliedReportingOverflow(by: UInt64(blen + 1))
        let (bytes, o2) = cells.multipliedReportingOverflow(by: 4)
        if !o1 && !o2 && bytes > UInt64(c.context.config.protoMaxBulkLen) {
            c.fail(.lcsTableTooLarge)
            return
        }
        guard !o1, !o2, bytes < UInt64(Int.max), let raw = malloc(Int(bytes)) else {
            c.fail(.lcsAllocationFailed)
            return
        }
        defer { free(raw) }
        let table = raw.assumingMemoryBound(to: UInt32.self)
        let w = blen + 1
        // table[i*w + j] = length of the LCS of a[0..<i] and b[0..<j].
        for jj in 0...blen { table[jj] = 0 }
        if alen > 0 {
            for i in 1...alen {
                let row = table + i * w, prev = table + (i - 1) * w
                row[0] = 0
                let ai = a[i - 1]
                if blen > 0 {
                    for jj in 1...blen {
                        if ai == b[jj - 1] {
                            row[jj] = prev[jj - 1] + 1
                        } else {
                            let up = prev[jj], left = row[jj - 1]
                            row[jj] = up > left ? up : left
                        }
                    }
                }
            }
        }
        let total = Int(table[alen * w + blen])
        if getLen {
            c.reply.integer(total)
            return
        }
        // Walk back from the end, collecting the subsequence and, for IDX, the
        // matching ranges from last to first.
        var result = [UInt8](repeating: 0, count: total)
        var ranges: [(Int, Int, Int, Int)] = []
        var idx = total
        var i = alen, jb = blen
        var aStart = alen, aEnd = 0, bStart = 0, bEnd = 0
        while i > 0 && jb > 0 {
            var emit = false
            if a[i - 1] == b[jb - 1] {
                result[idx - 1] = a[i - 1]
                if aStart == alen {
                    aStart = i - 1; aEnd = i - 1
                    bStart = jb - 1; bEnd = jb - 1
                } else if aStart == i && bStart == jb {
                    aStart -= 1
                    bStart -= 1
                } else {
                    emit = true
                }
                if aStart == 0 || bStart == 0 { emit = true }
                idx -= 1; i -= 1; jb -= 1
            } else {
                if table[(i - 1) * w + jb] > table[i * w + jb - 1] { i -= 1 } else { jb -= 1 }
                if aStart != alen { emit = true }
            }
            if emit {
                let matchLen = aEnd - aStart + 1
                if getIdx && (minMatchLen == 0 || Int64(matchLen) >= minMatchLen) {
                    ranges.append((aStart, aEnd, bStart, bEnd))
                }
                aStart = alen
            }
        }
        if !getIdx {
            c.reply.bulk(result)
            return
        }
        c.reply.mapHeader(2)
        c.reply.bulk("matches")
        c.reply.arrayHeader(ranges.count)
        for (aFrom, aTo, bFrom, bTo) in ranges {
            c.reply.arrayHeader(withMatchLen ? 3 : 2)
            c.reply.arrayHeader(2)
            c.reply.integer(aFrom)
            c.reply.integer(aTo)
            c.reply.arrayHeader(2)
            c.reply.integer(bFrom)
            c.reply.integer(bTo)
            if withMatchLen { c.reply.integer(aTo - aFrom + 1) }
        }
        c.reply.bulk("len")
        c.reply.integer(total)
    }
}

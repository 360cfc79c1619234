/// Generic keyspace commands (Redis's "generic" group, plus the database-wide
/// DBSIZE, FLUSHDB, FLUSHALL and SWAPDB of the "server" group).
public enum KeyCommands {
    public static var all: [CommandSpec] {
        let oneKey = KeySpec.range(first: 1, last: 1, step: 1)
        let everyKey = KeySpec.range(first: 1, last: -1, step: 1)
        let twoKeys = KeySpec.range(first: 1, last: 2, step: 1)
        let objectKey = KeySpec.range(first: 2, last: 2, step: 1)
        // OBJECT subcommands only look at the key (no access-time update), so plain RO.
        let objectKeySpec = [CommandKeySpec.one(2, ["RO"])]
        return [
            CommandSpec("del", arity: -2, flags: [.write], keys: everyKey, group: .generic, since: "1.0.0",
                        complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
                        summary: "Delete a key", keySpecs: [.rest(1, ["RM", "delete"])], tips: ["request_policy:multi_shard", "response_policy:agg_sum"], handler: del),
            CommandSpec("unlink", arity: -2, flags: [.write, .fast], keys: everyKey, group: .generic, since: "4.0.0",
                        complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
                        summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
                        keySpecs: [.rest(1, ["RM", "delete"])], tips: ["request_policy:multi_shard", "response_policy:agg_sum"], handler: unlink),
            CommandSpec("exists", arity: -2, flags: [.readonly, .fast], keys: everyKey, group: .generic, since: "1.0.0",
                        complexity: "O(N) where N is the number of keys to check.",
                        summary: "Determine if a key exists", keySpecs: [.rest(1, ["RO"])], tips: ["request_policy:multi_shard", "response_policy:agg_sum"], handler: exists),
            CommandSpec("type", arity: 2, flags: [.readonly, .fast], keys: oneKey, group: .generic, since: "1.0.0",
                        summary: "Determine the type stored at key", keySpecs: [.one(1, ["RO"])], handler: type),
            CommandSpec("keys", arity: 2, flags: [.readonly], keys: .all, group: .generic, since: "1.0.0",
                        complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
                        summary: "Find all keys matching the given pattern", tips: ["request_policy:all_shards", "nondeterministic_output_order"], acl: ["dangerous"], handler: keys),
            CommandSpec("scan", arity: -2, flags: [.readonly], keys: .all, group: .generic, since: "2.8.0",
                        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
                        summary: "Incrementally iterate the keys space", tips: ["nondeterministic_output", "request_policy:special"], handler: scan),
            CommandSpec("randomkey", arity: 1, flags: [.readonly], keys: .all, group: .generic, since: "1.0.0",
                        summary: "Return a random key from the keyspace", tips: ["request_policy:all_shards", "nondeterministic_output"], handler: randomkey),
            CommandSpec("rename", arity: 3, flags: [.write], keys: twoKeys, group: .generic, since: "1.0.0",
                        summary: "Rename a key", keySpecs: [.one(1, ["RW", "access", "delete"]), .one(2, ["OW", "update"])], handler: rename),
            CommandSpec("renamenx", arity: 3, flags: [.write, .fast], keys: twoKeys, group: .generic, since: "1.0.0",
                        summary: "Rename a key, only if the new key does not exist", keySpecs: [.one(1, ["RW", "access", "delete"]), .one(2, ["OW", "insert"])], handler: renamenx),
            CommandSpec("copy", arity: -3, flags: [.write, .denyoom], keys: twoKeys, group: .generic, since: "6.2.0",
                        complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
                        summary: "Copy a key", keySpecs: [.one(1, ["RO", "access"]), .one(2, ["OW", "update"])], handler: copy),
            CommandSpec("move", arity: 3, flags: [.write, .fast], keys: oneKey, group: .generic, since: "1.0.0",
                        summary: "Move a key to another database", keySpecs: [.one(1, ["RW", "access", "update"])], handler: move),
            CommandSpec("swapdb", arity: 3, flags: [.write, .fast], keys: .all, group: .server, since: "4.0.0",
                        complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.",
                        summary: "Swaps two Redis databases", acl: ["keyspace", "dangerous"], handler: swapdb),
            CommandSpec("touch", arity: -2, flags: [.readonly, .fast], keys: everyKey, group: .generic, since: "3.2.1",
                        complexity: "O(N) where N is the number of keys that will be touched.",
                        summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.",
                        keySpecs: [.rest(1, ["RO"])], tips: ["request_policy:multi_shard", "response_policy:agg_sum"], handler: touch),
            CommandSpec("expire", arity: -3, flags: [.write, .fast], keys: oneKey, group: .generic, since: "1.0.0",
                        summary: "Set a key's time to live in seconds", handler: expire),
            CommandSpec("pexpire", arity: -3, flags: [.write, .fast], keys: oneKey, group: .generic, since: "2.6.0",
                        summary: "Set a key's time to live in milliseconds", handler: pexpire),
            CommandSpec("expireat", arity: -3, flags: [.write, .fast], keys: oneKey, group: .generic, since: "1.2.0",
                        summary: "Set the expiration for a key as a UNIX timestamp", handler: expireat),
            CommandSpec("pexpireat", arity: -3, flags: [.write, .fast], keys: oneKey, group: .generic, since: "2.6.0",
                        summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds", handler: pexpireat),
            CommandSpec("ttl", arity: 2, flags: [.readonly, .fast], keys: oneKey, group: .generic, since: "1.0.0",
                        summary: "Get the time to live for a key in seconds", tips: ["nondeterministic_output"], handler: ttl),
            CommandSpec("pttl", arity: 2, flags: [.readonly, .fast], keys: oneKey, group: .generic, since: "2.6.0",
                        summary: "Get the time to live for a key in milliseconds", tips: ["nondeterministic_output"], handler: pttl),
            CommandSpec("expiretime", arity: 2, flags: [.readonly, .fast], keys: oneKey, group: .generic, since: "7.0.0",
                        summary: "Get the expiration Unix timestamp for a key", handler: expiretime),
            CommandSpec("pexpiretime", arity: 2, flags: [.readonly, .fast], keys: oneKey, group: .generic, since: "7.0.0",
                        summary: "Get the expiration Unix timestamp for a key in milliseconds", handler: pexpiretime),
            CommandSpec("persist", arity: 2, flags: [.write, .fast], keys: oneKey, group: .generic, since: "2.2.0",
                        summary: "Remove the expiration from a key", handler: persist),
            CommandSpec("dbsize", arity: 1, flags: [.readonly, .fast], keys: .all, group: .server, since: "1.0.0",
                        summary: "Return the number of keys in the selected database", tips: ["request_policy:all_shards", "response_policy:agg_sum"], acl: ["keyspace"], handler: dbsize),
            CommandSpec("flushdb", arity: -1, flags: [.write], keys: .all, group: .server, since: "1.0.0",
                        complexity: "O(N) where N is the number of keys in the selected database",
                        summary: "Remove all keys from the current database", tips: ["request_policy:all_shards", "response_policy:all_succeeded"], acl: ["keyspace", "dangerous"], handler: flushdb),
            CommandSpec("flushall", arity: -1, flags: [.write], keys: .all, group: .server, since: "1.0.0",
                        complexity: "O(N) where N is the total number of keys in all databases",
                        summary: "Remove all keys from all databases", tips: ["request_policy:all_shards", "response_policy:all_succeeded"], acl: ["keyspace", "dangerous"], handler: flushall),
            CommandSpec("object", arity: -2, group: .generic, since: "2.2.3", complexity: "Depends on subcommand.",
                        summary: "A container for object introspection commands", subcommands: [
                            CommandSpec("encoding", arity: 3, flags: [.readonly], keys: objectKey, group: .generic, since: "2.2.3",
                                        summary: "Inspect the internal encoding of a Redis object",
                                        keySpecs: objectKeySpec, tips: ["nondeterministic_output"], handler: objectEncoding),
                            CommandSpec("freq", arity: 3, flags: [.readonly], keys: objectKey, group: .generic, since: "4.0.0",
                                        summary: "Get the logarithmic access frequency counter of a Redis object",
                                        keySpecs: objectKeySpec, tips: ["nondeterministic_output"], handler: objectFreq),
                            CommandSpec("help", arity: 2, flags: [.loading, .stale], group: .generic, since: "6.2.0",
                                        summary: "Show helpful text about the different subcommands", handler: objectHelp),
                            CommandSpec("idletime", arity: 3, flags: [.readonly], keys: objectKey, group: .generic, since: "2.2.3",
                                        summary: "Get the time since a Redis object was last accessed",
                                        keySpecs: objectKeySpec, tips: ["nondeterministic_output"], handler: objectIdletime),
                            CommandSpec("refcount", arity: 3, flags: [.readonly], keys: objectKey, group: .generic, since: "2.2.3",
                                        summary: "Get the number of references to the value of the key",
                                        keySpecs: objectKeySpec, tips: ["nondeterministic_output"], handler: objectRefcount),
                        ], handler: nil),
        ]
    }

    // MARK: helpers

    /// A lookup for reading, as Redis's lookupKeyRead: counts a keyspace hit
    /// or miss and emits `keymiss` on a miss. `touch: false` leaves the access
    /// time alone (EXISTS, TYPE, TTL, OBJECT).
    static func readLookup(_ c: Client, _ key: Key, touch: Bool = true, notifyMiss: Bool = true) -> Entry? {
        let db = c.db
        let e = touch ? db.lookup(key) : db.peek(key)
        if e == nil {
            c.context.stats.keyspaceMisses += 1
            if notifyMiss { c.notify(.keyMiss, "keymiss", key.bytes) }
        } else {
            c.context.stats.keyspaceHits += 1
        }
        return e
    }

    /// Keyspace notification for a key of database `db` (which may not be the selected one).
    static func notify(_ c: Client, _ cls: NotifyFlags, _ event: String, _ key: Bytes, db: Int) {
        let enabled = c.context.config.notifyKeyspaceEvents
        if enabled == 0 { return }
        c.server.emitKeyspaceEvent(cls, event, key: key, db: db, enabled: NotifyFlags(rawValue: enabled))
    }

    /// Redis's signalModifiedKey for a key of database `db`, without counting a change.
    static func signal(_ c: Client, _ key: Key, db: Int) {
        if c.server.watchedKeys.load(ordering: .relaxed) > 0 {
            c.server.invalidateWatchers(db: db, key: key)
        }
        if c.server.tracking.work.load(ordering: .relaxed) > 0 { c.server.tracking.keyModified(key, by: c) }
    }

    /// Parses a database index as Redis's getIntFromObjectOrReply: an integer
    /// that fits 32 bits, then within the configured databases.
    static func databaseIndex(_ c: Client, _ i: Int) throws(CommandError) -> Int {
        guard let v = Numbers.parseInt64(c.arg(i)) else { throw .notInteger }
        guard v >= Int64(Int32.min) && v <= Int64(Int32.max) else { throw .intOutOfRange }
        guard v >= 0 && v < Int64(c.server.keyspace.databaseCount) else { throw .dbIndexOutOfRange }
        return Int(v)
    }

    /// A lazyfree-* setting (stored verbatim, default "no").
    static func lazyfree(_ c: Client, _ name: String) -> Bool {
        c.context.config.extras[name] == "yes"
    }

    // MARK: DEL UNLINK EXISTS TYPE TOUCH

    static func del(_ c: Client) {
        remove(c, lazy: lazyfree(c, "lazyfree-lazy-user-del"))
    }

    static func unlink(_ c: Client) {
        remove(c, lazy: true)
    }

    static func remove(_ c: Client, lazy: Bool) {
        let db = c.db
        var n = 0
        for i in 1..<c.argc {
            let k = c.key(i)
            let deleted: Bool
            if lazy {
                if let e = db.detach(k) {
                    LazyFree.shared.release(e)
                    deleted = true
                } else {
                    deleted = false
                }
            } else {
                deleted = db.delete(k)
            }
            if deleted {
                c.modified(k, .generic, "del")
                n += 1
            }
        }
        c.reply.integer(n)
    }

    static func exists(_ c: Client) {
        var n = 0
        for i in 1..<c.argc where readLookup(c, c.key(i), touch: false) != nil { n += 1 }
        c.reply.integer(n)
    }

    static func type(_ c: Client) {
        guard let e = readLookup(c, c.key(1), touch: false) else {
            c.reply.status("none")
            return
        }
        c.reply.status(e.type.name)
    }

    static func touch(_ c: Client) {
        var n = 0
        for i in 1..<c.argc where readLookup(c, c.key(i)) != nil { n += 1 }
        c.reply.integer(n)
    }

    // MARK: KEYS SCAN RANDOMKEY DBSIZE

    static func keys(_ c: Client) {
        let pattern = c.arg(1)
        let everything = Glob.isMatchAll(pattern)
        let mark = c.reply.beginDeferred()
        var n = 0
        c.db.forEachEntry { e in
            if everything || Glob.matches(pattern, e.key) {
                c.reply.bulk(e.key)
                n += 1
            }
            return true
        }
        c.reply.endDeferredArray(at: mark, count: n)
    }

    /// Parses a SCAN cursor as Redis does with strtoul: decimal with an optional
    /// sign (a negative value wraps), no leading space, the empty string is 0,
    /// overflow is an error. The text ends at the first NUL byte, as in C.
    static func parseCursor(_ b: Bytes) -> UInt64? {
        var n = b.count
        if let nul = b.firstIndex(of: 0) { n = nul }
        if n == 0 { return 0 }
        switch b[0] {
        case 32, 9, 10, 11, 12, 13: return nil
        default: break
        }
        var i = 0
        var negative = false
        if b[0] == 43 || b[0] == 45 {
            negative = b[0] == 45
            i = 1
        }
        guard i < n else { return nil }
        var v: UInt64 = 0
        while i < n {
            let d = b[i]
            guard d >= 48 && d <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d - 48))
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        return negative ? 0 &- v : v
    }

    /// Key names gathered during a SCAN step, in one buffer.
    struct KeyBatch {
        var bytes: [UInt8] = []
        var ends: [Int] = []

        var count: Int { ends.count }

        mutating func append(_ k: Bytes) {
            bytes.append(contentsOf: k)
            ends.append(bytes.count)
        }

        func withKey<R>(_ i: Int, _ body: (Bytes) -> R) -> R {
            let start = i == 0 ? 0 : ends[i - 1]
            return bytes.withUnsafeBufferPointer { all in
                body(Bytes(rebasing: all[start..<ends[i]]))
            }
        }
    }

    static func scan(_ c: Client) {
        guard var cursor = parseCursor(c.arg(1)) else {
            c.fail(.invalidCursor)
            return
        }
        var count: Int64 = 10
        var pattern: Int?
        var typeName: Int?
        var i = 2
        while i < c.argc {
            let remaining = c.argc - i
            let opt = c.arg(i)
            if opt.equalsIgnoringCase("COUNT") && remaining >= 2 {
                guard let n = Numbers.parseInt64(c.arg(i + 1)) else {
                    c.fail(.notInteger)
                    return
                }
                guard n >= 1 else {
                    c.fail(.syntax)
                    return
                }
                count = n
            } else if opt.equalsIgnoringCase("MATCH") && remaining >= 2 {
                pattern = Glob.isMatchAll(c.arg(i + 1)) ? nil : i + 1
            } else if opt.equalsIgnoringCase("TYPE") && remaining >= 2 {
                typeName = i + 1
            } else {
                c.fail(.syntax)
                return
            }
            i += 2
        }

        // Gather as Redis does: bucket by bucket until COUNT names were seen or
        // ten times COUNT steps were taken; filtering comes afterwards, so a
        // reply may hold fewer than COUNT names (or none) before the end.
        let db = c.db
        var batch = KeyBatch()
        var stepsLeft = count.multipliedReportingOverflow(by: 10).overflow ? Int64.max : count * 10
        repeat {
            cursor = db.scan(cursor: cursor) { e in batch.append(e.key) }
            stepsLeft -= 1
        } while cursor != 0 && stepsLeft >= 0 && Int64(batch.count) < count

        c.reply.arrayHeader(2)
        c.reply.bulk(String(cursor))
        let mark = c.reply.beginDeferred()
        var n = 0
        for j in 0..<batch.count {
            let keep = batch.withKey(j) { name -> Bool in
                if let pattern, !Glob.matches(c.arg(pattern), name) { return false }
                let key = Key(name)
                if let typeName {
                    let e = readLookup(c, key, touch: false)
                    guard c.arg(typeName).equalsIgnoringCase(e?.type.name ?? "none") else { return false }
                }
                guard db.peek(key) != nil else { return false }
                c.reply.bulk(name)
                return true
            }
            if keep { n += 1 }
        }
        c.reply.endDeferredArray(at: mark, count: n)
    }

    static func randomkey(_ c: Client) {
        guard let k = c.db.randomKey() else {
            c.reply.nullBulk()
            return
        }
        c.reply.bulk(k)
    }

    static func dbsize(_ c: Client) {
        c.reply.integer(c.db.count)
    }

    // MARK: RENAME RENAMENX MOVE COPY

    static func rename(_ c: Client) { rename(c, nx: false) }
    static func renamenx(_ c: Client) { rename(c, nx: true) }

    static func rename(_ c: Client, nx: Bool) {
        let src = c.key(1), dst = c.key(2)
        let db = c.db
        guard db.lookup(src) != nil else {
            c.fail(.noSuchKey)
            return
        }
        if src.bytes.equals(dst.bytes) {
            if nx { c.reply.integer(0) } else { c.reply.ok() }
            return
        }
        if db.lookup(dst) != nil {
            if nx {
                c.reply.integer(0)
                return
            }
            db.delete(dst)
        }
        // The entry keeps its value, expiry and access history under the new name.
        guard let moved = db.detach(src) else { preconditionFailure("source vanished under its shard lock") }
        db.insert(moved, as: dst)
        c.notify(.newKey, "new", dst.bytes)
        c.touched(src, changes: 0)
        c.touched(dst)
        c.notify(.generic, "rename_from", src.bytes)
        c.notify(.generic, "rename_to", dst.bytes)
        if nx { c.reply.integer(1) } else { c.reply.ok() }
    }

    static func move(_ c: Client) {
        let target: Int
        do {
            target = try databaseIndex(c, 2)
        } catch {
            c.fail(error)
            return
        }
        guard target != c.dbIndex else {
            c.fail(.sameObject)
            return
        }
        // The same key bytes live in the same shard in every database, so the
        // command's single shard lock covers the target database too.
        let key = c.key(1)
        let src = c.db
        let dst = c.server.keyspace.database(target, now: c.now, observer: c.server)
        guard src.lookup(key) != nil, dst.lookup(key) == nil, let moved = src.detach(key) else {
            c.reply.integer(0)
            return
        }
        dst.insert(moved, as: key)
        notify(c, .newKey, "new", key.bytes, db: target)
        signal(c, key, db: c.dbIndex)
        signal(c, key, db: target)
        c.notify(.generic, "move_from", key.bytes)
        notify(c, .generic, "move_to", key.bytes, db: target)
        c.markDirty()
        c.reply.integer(1)
    }

    static func copy(_ c: Client) {
        var target = c.dbIndex
        var replace = false
        var j = 3
        while j < c.argc {
            let opt = c.arg(j)
            if opt.equalsIgnoringCase("REPLACE") {
                replace = true
            } else if opt.equalsIgnoringCase("DB") && j + 1 < c.argc {
                do {
                    target = try databaseIndex(c, j + 1)
                } catch {
                    c.fail(error)
                    return
                }
                j += 1
            } else {
                c.fail(.syntax)
                return
            }
            j += 1
        }
        let src = c.key(1), dst = c.key(2)
        if target == c.dbIndex && src.bytes.equals(dst.bytes) {
            c.fail(.sameObject)
            return
        }
        guard readLookup(c, src) != nil else {
            c.reply.integer(0)
            return
        }
        let dstDB = c.server.keyspace.database(target, now: c.now, observer: c.server)
        let occupied = dstDB.lookup(dst) != nil
        if occupied && !replace {
            c.reply.integer(0)
            return
        }
        // Looking the destination up may only have removed an expired key, so
        // the source entry is still linked; copy it before changing anything.
        guard let original = c.db.peek(src) else { preconditionFailure("source vanished under its shard lock") }
        let copy: Entry
        if original.type == .string {
            copy = Entry.makeString(key: dst.bytes, value: original.string)
            copy.flags = original.flags | Entry.flagUnsharedInt
        } else {
            copy = Entry.makeObject(key: dst.bytes, object: original.object.duplicate())
        }
        copy.expireAt = original.expireAt
        if occupied { dstDB.delete(dst) }
        dstDB.insert(copy, as: dst)
        notify(c, .newKey, "new", dst.bytes, db: target)
        signal(c, dst, db: target)
        notify(c, .generic, "copy_to", dst.bytes, db: target)
        c.markDirty()
        c.reply.integer(1)
    }

    // MARK: SWAPDB FLUSHDB FLUSHALL

    static func swapdb(_ c: Client) {
        let count = Int64(c.server.keyspace.databaseCount)
        guard let a = Numbers.parseInt64(c.arg(1)), a >= Int64(Int32.min) && a <= Int64(Int32.max) else {
            c.fail(.invalidFirstDBIndex)
            return
        }
        guard let b = Numbers.parseInt64(c.arg(2)), b >= Int64(Int32.min) && b <= Int64(Int32.max) else {
            c.fail(.invalidSecondDBIndex)
            return
        }
        guard a >= 0 && a < count && b >= 0 && b < count else {
            c.fail(.dbIndexOutOfRange)
            return
        }
        if a != b {
            c.server.keyspace.swapDatabases(Int(a), Int(b))
            for hook in c.server.swapDatabaseHooks { hook(Int(a), Int(b)) }
        }
        c.markDirty()
        c.reply.ok()
    }

    /// Parses the optional ASYNC|SYNC argument of FLUSHDB/FLUSHALL: whether to
    /// free in the background (nil after replying with a syntax error).
    static func flushMode(_ c: Client) -> Bool? {
        if c.argc == 1 { return lazyfree(c, "lazyfree-lazy-user-flush") }
        if c.argc == 2 {
            if c.arg(1).equalsIgnoringCase("ASYNC") { return true }
            if c.arg(1).equalsIgnoringCase("SYNC") { return false }
        }
        c.fail(.syntax)
        return nil
    }

    /// Empties database `index` (every shard locked), freeing in the background when `async`.
    static func empty(_ c: Client, _ index: Int, async: Bool) {
        if async {
            LazyFree.shared.release(c.server.keyspace.shards.map { $0.dbs[index].takeAll() })
        } else {
            c.server.keyspace.database(index, now: c.now, observer: c.server).flush()
        }
    }

    static func flushdb(_ c: Client) {
        guard let async = flushMode(c) else { return }
        let removed = c.db.count
        for hook in c.server.beforeFlushHooks { hook(c.dbIndex) }
        empty(c, c.dbIndex, async: async)
        // At least one change, so an empty FLUSHDB is still propagated.
        c.markDirty(max(1, removed))
        for hook in c.server.flushHooks { hook(c.dbIndex) }
        c.reply.ok()
    }

    static func flushall(_ c: Client) {
        guard let async = flushMode(c) else { return }
        let keyspace = c.server.keyspace
        var removed = 0
        for i in 0..<keyspace.databaseCount { removed += keyspace.count(db: i) }
        for hook in c.server.beforeFlushHooks { hook(-1) }
        for i in 0..<keyspace.databaseCount { empty(c, i, async: async) }
        c.markDirty(max(1, removed))
        for hook in c.server.flushHooks { hook(-1) }
        c.reply.ok()
    }

    // MARK: EXPIRE PEXPIRE EXPIREAT PEXPIREAT

    static func expire(_ c: Client) { setExpiry(c, relative: true, seconds: true, name: "expire") }
    static func pexpire(_ c: Client) { setExpiry(c, relative: true, seconds: false, name: "pexpire") }
    static func expireat(_ c: Client) { setExpiry(c, relative: false, seconds: true, name: "expireat") }
    static func pexpireat(_ c: Client) { setExpiry(c, relative: false, seconds: false, name: "pexpireat") }

    /// The EXPIRE family. Options are checked before the time, the time before
    /// the key; a time already past deletes the key (propagated as DEL), any
    /// other is stored and propagated as an absolute PEXPIREAT.
    static func setExpiry(_ c: Client, relative: Bool, seconds: Bool, name: String) {
        var nx = false, xx = false, gt = false, lt = false
        for j in 3..<c.argc {
            let opt = c.arg(j)
            if opt.equalsIgnoringCase("NX") {
                nx = true
            } else if opt.equalsIgnoringCase("XX") {
                xx = true
            } else if opt.equalsIgnoringCase("GT") {
                gt = true
            } else if opt.equalsIgnoringCase("LT") {
                lt = true
            } else {
                c.fail(.unsupportedOption(c.argCString(j)))
                return
            }
        }
        if nx && (xx || gt || lt) {
            c.fail(.expireNXConflict)
            return
        }
        if gt && lt {
            c.fail(.expireGTLTConflict)
            return
        }
        guard var when = Numbers.parseInt64(c.arg(2)) else {
            c.fail(.notInteger)
            return
        }
        if seconds {
            guard when <= Int64.max / 1000 && when >= Int64.min / 1000 else {
                c.fail(.invalidExpireTime(command: name))
                return
            }
            when *= 1000
        }
        // Redis measures relative times, and what counts as already past,
        // against the wall clock rather than the command's cached time.
        let base = relative ? Sys.unixMillis() : 0
        guard when <= Int64.max - base else {
            c.fail(.invalidExpireTime(command: name))
            return
        }
        when += base

        let key = c.key(1)
        let db = c.db
        guard let e = db.lookup(key) else {
            c.reply.integer(0)
            return
        }
        if nx || xx || gt || lt {
            let current: Int64 = e.expireAt == 0 ? -1 : e.expireAt
            if (nx && current != -1) || (xx && current == -1) || (gt && (current == -1 || when <= current))
                || (lt && current != -1 && when >= current) {
                c.reply.integer(0)
                return
            }
        }
        if when <= Sys.unixMillis() {
            let lazy = lazyfree(c, "lazyfree-lazy-expire")
            if lazy, let gone = db.detach(key) { LazyFree.shared.release(gone) } else { db.delete(key) }
            c.propagateAs = [[Array((lazy ? "UNLINK" : "DEL").utf8), Array(key.bytes)]]
            c.modified(key, .generic, "del")
            c.reply.integer(1)
            return
        }
        db.setExpire(e, key, at: when)
        if name != "pexpireat" {
            var args = c.arguments
            args[0] = Array("PEXPIREAT".utf8)
            args[2] = Numbers.int64Bytes(when)
            c.propagateAs = [args]
        }
        c.modified(key, .generic, "expire")
        c.reply.integer(1)
    }

    // MARK: TTL PTTL EXPIRETIME PEXPIRETIME PERSIST

    static func ttl(_ c: Client) { reportExpiry(c, milliseconds: false, absolute: false) }
    static func pttl(_ c: Client) { reportExpiry(c, milliseconds: true, absolute: false) }
    static func expiretime(_ c: Client) { reportExpiry(c, milliseconds: false, absolute: true) }
    static func pexpiretime(_ c: Client) { reportExpiry(c, milliseconds: true, absolute: true) }

    /// -2 for a missing key, -1 for a persistent one, else the remaining time
    /// (never negative) or the absolute expiry; seconds are rounded to nearest.
    static func reportExpiry(_ c: Client, milliseconds: Bool, absolute: Bool) {
        guard let e = readLookup(c, c.key(1), touch: false) else {
            c.reply.integer(-2)
            return
        }
        guard e.expireAt != 0 else {
            c.reply.integer(-1)
            return
        }
        let value = max(0, absolute ? e.expireAt : e.expireAt - Sys.unixMillis())
        c.reply.integer(milliseconds ? value : value / 1000 + (value % 1000 >= 500 ? 1 : 0))
    }

    static func persist(_ c: Client) {
        let key = c.key(1)
        let db = c.db
        guard let e = db.lookup(key), e.expireAt != 0 else {
            c.reply.integer(0)
            return
        }
        db.setExpire(e, key, at: 0)
        c.modified(key, .generic, "persist")
        c.reply.integer(1)
    }

    // MARK: OBJECT

    /// OBJECT's lookups touch nothing and emit no `keymiss`, but count hits and misses.
    static func objectLookup(_ c: Client) -> Entry? {
        guard let e = readLookup(c, c.key(2), touch: false, notifyMiss: false) else {
            c.reply.nullBulk()
            return nil
        }
        return e
    }

    static func objectEncoding(_ c: Client) {
        guard let e = objectLookup(c) else { return }
        c.reply.bulk(e.encodingName)
    }

    static func objectFreq(_ c: Client) {
        guard let e = objectLookup(c) else { return }
        guard c.context.config.maxmemoryPolicy.hasSuffix("lfu") else {
            c.fail(.lfuNotSelected)
            return
        }
        c.reply.integer(Int(c.server.keyspace.access.frequency(e)))
    }

    static func objectIdletime(_ c: Client) {
        guard let e = objectLookup(c) else { return }
        guard !c.context.config.maxmemoryPolicy.hasSuffix("lfu") else {
            c.fail(.lfuSelected)
            return
        }
        c.reply.integer(max(0, Int(Clock.seconds) - Int(e.accessClock)))
    }

    /// Redis keeps integers 0...9999 as shared objects (reported with refcount
    /// INT_MAX) unless maxmemory is set with an LRU or LFU policy; every other
    /// value has a single reference.
    static func objectRefcount(_ c: Client) {
        guard let e = objectLookup(c) else { return }
        var shared = false
        if e.type == .string && e.flags & (Entry.flagRawString | Entry.flagUnsharedInt) == 0 && e.valueLength <= 4,
           let v = Numbers.parseInt64(e.string), v >= 0 && v < 10000 {
            let cfg = c.context.config
            shared = cfg.maxmemory == 0 || !(cfg.maxmemoryPolicy.hasSuffix("lru") || cfg.maxmemoryPolicy.hasSuffix("lfu"))
        }
        c.reply.integer(shared ? Int(Int32.max) : 1)
    }

    static let objectHelpLines: [StaticString] = [
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ]

    static func objectHelp(_ c: Client) {
        c.reply.arrayHeader(objectHelpLines.count)
        for line in objectHelpLines { c.reply.status(line) }
    }
}

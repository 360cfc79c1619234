/// SAVE, BGSAVE, LASTSAVE, DUMP and RESTORE.
public enum PersistenceCommands {
    public static var all: [CommandSpec] {
        [
            CommandSpec("save", arity: 1, flags: [.admin, .noscript, .noAsyncLoading, .noMulti], group: .server, since: "1.0.0",
                        complexity: "O(N) where N is the total number of keys in all databases",
                        summary: "Synchronously saves the database(s) to disk.", handler: save),
            CommandSpec("bgsave", arity: -1, flags: [.admin, .noscript, .noAsyncLoading], group: .server, since: "1.0.0",
                        complexity: "O(1)", summary: "Asynchronously saves the database(s) to disk.", handler: bgsave),
            CommandSpec("bgrewriteaof", arity: 1, flags: [.admin, .noscript, .noAsyncLoading], group: .server, since: "1.0.0",
                        summary: "Asynchronously rewrites the append-only file to disk.", handler: bgrewriteaof),
            CommandSpec("lastsave", arity: 1, flags: [.loading, .stale, .fast], group: .server, since: "1.0.0",
                        summary: "Returns the Unix timestamp of the last successful save to disk.", tips: ["nondeterministic_output"], acl: ["admin", "dangerous"], handler: lastsave),
            CommandSpec("dump", arity: 2, flags: [.readonly], keys: .range(first: 1, last: 1, step: 1), group: .generic, since: "2.6.0",
                        complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
                        summary: "Returns a serialized representation of the value stored at a key.", tips: ["nondeterministic_output"], handler: dump),
            CommandSpec("restore", arity: -4, flags: [.write, .denyoom], keys: .range(first: 1, last: 1, step: 1), group: .generic,
                        since: "2.6.0",
                        complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
                        summary: "Creates a key from the serialized representation of a value.", keySpecs: [.one(1, ["OW", "update"])], acl: ["dangerous"], handler: restore),
        ]
    }

    static func save(_ c: Client) {
        guard let p = c.server.persistence else { c.fail(.custom("ERR persistence is not available")); return }
        if let err = p.saveNow() { c.fail(.custom(err)) } else { c.reply.ok() }
    }

    static func bgsave(_ c: Client) {
        guard let p = c.server.persistence else { c.fail(.custom("ERR persistence is not available")); return }
        var schedule = false
        if c.argc > 1 {
            if c.argc == 2 && c.arg(1).equalsIgnoringCase("SCHEDULE") {
                schedule = true
            } else {
                c.fail(.syntax)
                return
            }
        }
        if p.childRunning {
            if schedule {
                p.schedule()
                c.reply.status("Background saving scheduled")
            } else {
                c.fail(.custom(p.childIsSnapshotRunning ? "ERR Background save already in progress"
                    : "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."))
            }
            return
        }
        if let err = p.startBackgroundSave() { c.fail(.custom(err)) } else { c.reply.status("Background saving started") }
    }

    static func bgrewriteaof(_ c: Client) {
        guard let p = c.server.persistence, let aof = p.aof else { c.fail(.custom("ERR persistence is not available")); return }
        if aof.rewriteBusy.inProgress {
            c.fail(.custom("ERR Background append only file rewriting already in progress"))
            return
        }
        let scheduled = p.childRunning
        if let err = aof.startRewrite() {
            c.fail(.custom(err))
            return
        }
        c.reply.status(scheduled ? "Background append only file rewriting scheduled" : "Background append only file rewriting started")
    }

    static func lastsave(_ c: Client) {
        c.reply.integer((c.server.persistence?.lastSave ?? c.server.startTimeMs) / 1000)
    }

    static func dump(_ c: Client) {
        guard let e = c.readKey(1) else {
            c.reply.nullBulk()
            return
        }
        c.reply.bulk(RDBValues.dumpPayload(e, compress: c.context.config.rdbcompression))
    }

    static func restore(_ c: Client) {
        var replace = false, absolute = false
        var idle: Int64 = -1, freq: Int64 = -1
        var j = 4
        while j < c.argc {
            let a = c.arg(j)
            let more = c.argc - 1 - j
            if a.equalsIgnoringCase("REPLACE") {
                replace = true
            } else if a.equalsIgnoringCase("ABSTTL") {
                absolute = true
            } else if a.equalsIgnoringCase("IDLETIME") && more >= 1 && freq == -1 {
                guard let v = Numbers.parseInt64(c.arg(j + 1)) else { c.fail(.notInteger); return }
                if v < 0 { c.fail(.custom("ERR Invalid IDLETIME value, must be >= 0")); return }
                idle = v
                j += 1
            } else if a.equalsIgnoringCase("FREQ") && more >= 1 && idle == -1 {
                guard let v = Numbers.parseInt64(c.arg(j + 1)) else { c.fail(.notInteger); return }
                if v < 0 || v > 255 { c.fail(.custom("ERR Invalid FREQ value, must be >= 0 and <= 255")); return }
                freq = v
                j += 1
            } else {
                c.fail(.syntax)
                return
            }
            j += 1
        }
        let key = c.key(1)
        let db = c.db
        if !replace && db.lookup(key) != nil {
            c.fail(.custom("BUSYKEY Target key name already exists."))
            return
        }
        guard var ttl = Numbers.parseInt64(c.arg(2)) else {
            c.fail(.notInteger)
            return
        }
        if ttl < 0 {
            c.fail(.custom("ERR Invalid TTL value, must be >= 0"))
            return
        }
        guard let body = RDBValues.verifyPayload(c.arg(3)) else {
            c.fail(.custom("ERR DUMP payload version or checksum are wrong"))
            return
        }
        let value: RDBValue
        do {
            value = try RDBValues.readPayload(body, limits: c.context.config)
        } catch {
            c.fail(.custom("ERR Bad data format"))
            return
        }
        let deleted = replace && db.delete(key)
        if ttl != 0 && !absolute { ttl += c.now }
        if ttl != 0 && ttl <= c.now {
            if deleted {
                c.propagateAs = [[Array("DEL".utf8), Array(c.arg(1))]]
                c.modified(key, .generic, "del")
            }
            c.reply.ok()
            return
        }
        let entry: Entry
        switch value {
        case .string(let s): entry = s.withBytes { db.setString(key, $0, expireAt: ttl) }
        case .object(let o): entry = db.setObject(key, o, expireAt: ttl)
        }
        if idle >= 0 { entry.accessClock = Clock.seconds &- UInt32(truncatingIfNeeded: idle) }
        if freq >= 0 { entry.lfuCounter = UInt8(freq) }
        if ttl != 0 && !absolute {
            var args = c.arguments
            args[2] = Numbers.int64Bytes(ttl)
            args.append(Array("ABSTTL".utf8))
            c.propagateAs = [args]
        }
        c.modified(key, .generic, "restore")
        c.reply.ok()
    }
}

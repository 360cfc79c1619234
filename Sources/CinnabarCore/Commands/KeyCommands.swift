/// Generic keyspace commands (Redis's "generic" group).
public enum KeyCommands {
    public static var all: [CommandSpec] {
        [
            CommandSpec("del", arity: -2, flags: [.write], keys: .range(first: 1, last: -1, step: 1),
                        group: .generic, since: "1.0.0", complexity: "O(N) where N is the number of keys that will be removed.",
                        summary: "Deletes one or more keys.", handler: del),
            CommandSpec("exists", arity: -2, flags: [.readonly, .fast], keys: .range(first: 1, last: -1, step: 1),
                        group: .generic, since: "1.0.0", complexity: "O(N) where N is the number of keys to check.",
                        summary: "Determines whether one or more keys exist.", handler: exists),
            CommandSpec("dbsize", arity: 1, flags: [.readonly, .fast], keys: .all, group: .server, since: "1.0.0",
                        summary: "Returns the number of keys in the database.", handler: dbsize),
            CommandSpec("flushdb", arity: -1, flags: [.write], keys: .all, group: .server, since: "1.0.0",
                        complexity: "O(N) where N is the total number of keys in all databases",
                        summary: "Removes all keys from the current database.", handler: flushdb),
            CommandSpec("flushall", arity: -1, flags: [.write], keys: .all, group: .server, since: "1.0.0",
                        complexity: "O(N) where N is the total number of keys in all databases",
                        summary: "Removes all keys from all databases.", handler: flushall),
        ]
    }

    static func del(_ c: Client) {
        let db = c.db
        var n = 0
        for i in 1..<c.argc {
            let k = c.key(i)
            if db.delete(k) {
                c.modified(k, .generic, "del")
                n += 1
            }
        }
        c.reply.integer(n)
    }

    static func exists(_ c: Client) {
        let db = c.db
        var n = 0
        for i in 1..<c.argc where db.exists(c.key(i)) { n += 1 }
        c.reply.integer(n)
    }

    static func dbsize(_ c: Client) {
        c.reply.integer(c.db.count)
    }

    /// Parses the optional ASYNC|SYNC argument of FLUSHDB/FLUSHALL.
    static func flushMode(_ c: Client) -> Bool {
        if c.argc == 1 { return true }
        if c.argc == 2 && (c.arg(1).equalsIgnoringCase("ASYNC") || c.arg(1).equalsIgnoringCase("SYNC")) { return true }
        c.fail(.syntax)
        return false
    }

    static func flushdb(_ c: Client) {
        guard flushMode(c) else { return }
        let removed = c.db.count
        c.db.flush()
        c.server.markDirty(max(1, removed))
        c.server.flushHooks.forEach { $0(c.dbIndex) }
        c.reply.ok()
    }

    static func flushall(_ c: Client) {
        guard flushMode(c) else { return }
        var removed = 0
        for i in 0..<c.server.keyspace.databaseCount {
            let db = c.server.keyspace.database(i, now: c.now, observer: c.server)
            removed += db.count
            db.flush()
        }
        c.server.markDirty(max(1, removed))
        c.server.flushHooks.forEach { $0(-1) }
        c.reply.ok()
    }
}

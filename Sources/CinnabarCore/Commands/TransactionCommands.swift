/// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH. The dispatcher
/// queues commands while `.multi` is set and marks `.dirtyExec` when one is
/// refused; WATCH bookkeeping lives in `WatchRegistry`.
public enum TransactionCommands {
    public static var all: [CommandSpec] {
        let control: CommandFlags = [.noscript, .loading, .stale, .fast, .allowBusy]
        return [
            CommandSpec("multi", arity: 1, flags: control, group: .transactions, since: "1.2.0",
                        summary: "Mark the start of a transaction block", handler: multi),
            // EXEC holds every shard, so the transaction runs as one step for every other client.
            CommandSpec("exec", arity: 1, flags: [.noscript, .loading, .stale, .skipSlowlog], keys: .all,
                        group: .transactions, since: "1.2.0", complexity: "Depends on commands in the transaction",
                        summary: "Execute all commands issued after MULTI", handler: exec),
            CommandSpec("discard", arity: 1, flags: control, group: .transactions, since: "2.0.0",
                        complexity: "O(N), when N is the number of queued commands",
                        summary: "Discard all commands issued after MULTI", handler: discard),
            CommandSpec("watch", arity: -2, flags: control, keys: .range(first: 1, last: -1, step: 1),
                        group: .transactions, since: "2.2.0", complexity: "O(1) for every key.",
                        summary: "Watch the given keys to determine execution of the MULTI/EXEC block", handler: watch),
            CommandSpec("unwatch", arity: 1, flags: control, group: .transactions, since: "2.2.0",
                        summary: "Forget about all watched keys", handler: unwatch),
        ]
    }

    static func multi(_ c: Client) {
        if c.flags.contains(.multi) {
            c.fail(.multiNested)
            return
        }
        c.flags.insert(.multi)
        c.reply.ok()
    }

    static func discard(_ c: Client) {
        guard c.flags.contains(.multi) else {
            c.fail(.discardWithoutMulti)
            return
        }
        discardTransaction(c)
        c.reply.ok()
    }

    /// Leaves MULTI: drops the queue, the transaction's error marks and every WATCH.
    static func discardTransaction(_ c: Client) {
        if !c.multiQueue.isEmpty { c.multiQueue.removeAll() }
        c.multiBytes = 0
        c.queuedFlags = []
        c.queuedMissingFlags = []
        c.flags.remove([.multi, .dirtyCAS, .dirtyExec])
        c.server.watches.unwatchAll(c)
        c.watchedKeyChanged.store(false, ordering: .relaxed)
    }

    /// EXEC refused before running (wrong arity, busy script, OOM...): the
    /// transaction is discarded and the reason reported under EXECABORT.
    /// MONITOR still sees the EXEC that closed the MULTI it was shown.
    static func abort(_ c: Client, because error: CommandError) {
        discardTransaction(c)
        // Redis quotes its own wording of the refusal: generic errors without their ERR code.
        var reason = Substring(error.text)
        if reason.hasPrefix("ERR ") { reason = reason.dropFirst(4) }
        c.replyError("EXECABORT Transaction discarded because of: " + reason)
        let server = c.server
        if server.monitors.isActive { server.monitors.feed(c, db: c.dbIndex) }
    }

    static func exec(_ c: Client) {
        guard c.flags.contains(.multi) else {
            c.fail(.execWithoutMulti)
            return
        }
        let server = c.server
        // A watched key that expired since WATCH (still stored) counts as changed.
        if !c.watches.isEmpty && !c.watchedKeyChanged.load(ordering: .relaxed)
            && server.watches.watchedKeyExpired(c, now: c.now) {
            c.watchedKeyChanged.store(true, ordering: .relaxed)
        }
        if c.flags.contains(.dirtyExec) {
            c.fail(.execAbort)
            discardTransaction(c)
            return
        }
        if c.watchedKeyChanged.load(ordering: .relaxed) {
            c.reply.nullArray()
            discardTransaction(c)
            return
        }
        server.watches.unwatchAll(c)
        let queue = c.multiQueue
        // EXEC's own arguments come back after the queue ran, for MONITOR and the statistics.
        let own = OwnedCommand(copying: c)
        let held = c.holdsAllShards
        c.holdsAllShards = true
        c.reply.arrayHeader(queue.count)
        for queued in queue {
            c.load(queued)
            guard let spec = resolve(server, queued) else { preconditionFailure("queued commands are resolved when queued") }
            // Permissions may have changed since the command was queued.
            if server.acl.restricted.load(ordering: .relaxed), let (denial, position) = server.acl.check(c, spec) {
                server.acl.logDenial(c, denial, .multi, position: position, cmd: spec)
                c.fail(.noPermChangedInMulti(reason: denial))
                continue
            }
            server.call(c, spec)
        }
        c.holdsAllShards = held
        c.load(own)
        c.clearRedactions()
        // Errors of queued commands are theirs, not EXEC's.
        c.commandFailed = false
        discardTransaction(c)
    }

    /// The command (or subcommand) a queued line names; queuing already checked it exists.
    private static func resolve(_ server: Server, _ queued: OwnedCommand) -> CommandSpec? {
        guard let cmd = server.commands.lookup(queued.arg(0)) else { return nil }
        if !cmd.subcommands.isEmpty && queued.count >= 2 { return cmd.subcommand(queued.arg(1)) }
        return cmd
    }

    static func watch(_ c: Client) {
        if c.flags.contains(.multi) {
            c.fail(.watchInMulti)
            return
        }
        // Already doomed: watching more changes nothing.
        if c.watchedKeyChanged.load(ordering: .relaxed) {
            c.reply.ok()
            return
        }
        let db = c.db
        for i in 1..<c.argc {
            let key = c.key(i)
            let expired = db.dict(for: key.hash).find(key.bytes, hash: key.hash)?.isExpired(at: c.now) ?? false
            c.server.watches.watch(c, db: c.dbIndex, key: key, expired: expired)
        }
        c.reply.ok()
    }

    static func unwatch(_ c: Client) {
        c.server.watches.unwatchAll(c)
        c.watchedKeyChanged.store(false, ordering: .relaxed)
        c.flags.remove(.dirtyCAS)
        c.reply.ok()
    }
}

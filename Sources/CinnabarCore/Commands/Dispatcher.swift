import CSystem
import Glibc

/// Commands that run even inside MULTI instead of being queued.
private let transactionControl: Set<String> = ["exec", "discard", "multi", "watch", "quit", "reset"]

/// Commands a RESP2 client in subscribed mode may still send.
private let subscribedModeAllowed: Set<String> = ["subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "ping", "quit", "reset"]

extension Server {
    /// Resolves the command named by `c`'s arguments and applies the checks
    /// Redis makes before running anything (existence, arity, authentication,
    /// transaction and subscription context), then queues or runs it.
    public func processCommand(_ c: Client) {
        guard c.argc > 0 else { return }
        let mark = c.reply.count
        if !c.pushedSpans.isEmpty { c.pushedSpans.removeAll() }
        let ctx = c.context!
        let outer = ctx.currentClient
        ctx.currentClient = c
        dispatch(c)
        ctx.currentClient = outer
        // Invalidations held back while the command ran, CLIENT CACHING's one-command scope.
        if !c.flags.isDisjoint(with: [.trackingPending, .trackingCaching]) { tracking.afterCommand(c) }
        // CLIENT REPLY OFF/SKIP: whatever this command wrote is dropped, except pub/sub pushes.
        let replyFlags: ClientFlags = [.replyOff, .replySkip, .replySkipNext]
        if !c.flags.isDisjoint(with: replyFlags) {
            if !c.flags.isDisjoint(with: [.replyOff, .replySkip]) && c.reply.count >= mark { c.discardReply(from: mark) }
            c.flags.remove(.replySkip)
            if c.flags.contains(.replySkipNext) {
                c.flags.remove(.replySkipNext)
                c.flags.insert(.replySkip)
            }
        }
    }

    private func dispatch(_ c: Client) {
        c.commandFailed = false
        guard var cmd = commands.lookup(c.arg(0)) else {
            c.lastCommandID = -1
            let args = (1..<c.argc).map { Array(c.arg($0)) }
            reject(c, nil, .unknownCommand(name: Array(c.arg(0)), args: args))
            return
        }
        if !cmd.subcommands.isEmpty && c.argc >= 2 {
            guard let sub = cmd.subcommand(c.arg(1)) else {
                c.lastCommandID = -1
                reject(c, nil, .unknownSubcommand(name: Array(c.arg(1)), command: cmd.name))
                return
            }
            cmd = sub
        }
        c.lastCommandID = cmd.id
        // A shard kept from the previous command is only reused by a plain
        // single-key command that takes no other lock on the way (eviction,
        // tracking): anything else starts from no lock held.
        if c.context.stickyShard >= 0 && !Self.mayReuseStickyShard(cmd, c, self) { c.context.releaseStickyShard() }
        guard cmd.arityMatches(c.argc), cmd.handler != nil else {
            reject(c, cmd, .wrongArity(command: cmd.fullName))
            return
        }
        if cmd.flags.contains(.protected) && !protectedCommandAllowed(c) {
            reject(c, cmd, .protectedCommand(command: cmd.name.uppercased(), option: "enable-\(cmd.name)-command"))
            return
        }
        if c.needsAuth && !cmd.flags.contains(.noAuth) {
            reject(c, cmd, .noAuth)
            return
        }
        let inMulti = c.flags.contains(.multi)
        if inMulti && cmd.flags.contains(.noMulti) {
            reject(c, cmd, .commandNotAllowedInMulti)
            return
        }
        // One relaxed load while every user may run everything (the usual case).
        if acl.restricted.load(ordering: .relaxed), let (denial, position) = acl.check(c, cmd) {
            acl.logDenial(c, denial, inMulti ? .multi : .toplevel, position: position, cmd: cmd)
            reject(c, cmd, ACL.error(denial, cmd))
            return
        }
        if c.flags.contains(.pubsub) && c.resp == .resp2 && !subscribedModeAllowed.contains(cmd.parent?.name ?? cmd.name) {
            reject(c, cmd, .pubsubContext(command: cmd.fullName))
            return
        }
        if keyspace.exclusiveSince.load(ordering: .relaxed) != 0 && !cmd.flags.contains(.allowBusy) {
            let kind = keyspace.busyKind(now: Sys.unixMillis())
            if kind != 0 {
                reject(c, cmd, kind == 2 ? .busyFunction : .busyScript)
                return
            }
        }
        if c.context.config.maxmemory > 0 || admissionAlerts.load(ordering: .relaxed) != 0 {
            for check in admissionChecks {
                if let error = check(c, cmd) {
                    reject(c, cmd, error)
                    return
                }
            }
        }
        if tracking.clients.load(ordering: .relaxed) > 0 { tracking.enforceLimit(current: c, context: c.context) }
        if mustPostpone(c, cmd) {
            postpone(c)
            return
        }
        if inMulti && !transactionControl.contains(cmd.name) {
            // A transaction already doomed keeps nothing, as Redis.
            if !c.flags.contains(.dirtyExec) && !c.watchedKeyChanged.load(ordering: .relaxed) {
                let queued = OwnedCommand(copying: c)
                c.multiQueue.append(queued)
                // Counted as Redis does: argument bytes plus a pointer per argument.
                c.multiBytes += queued.byteCount + 8 * queued.count
                c.queuedFlags.formUnion(cmd.flags)
                c.queuedMissingFlags.formUnion(CommandFlags(rawValue: ~cmd.flags.rawValue))
            }
            c.reply.status("QUEUED")
            return
        }
        call(c, cmd)
    }

    /// True when `cmd` may run on the shard `c`'s loop kept from the previous
    /// command (`LoopContext.stickyShard`), whatever its key's shard: `call`
    /// swaps shards itself when the key lives elsewhere.
    @inline(__always)
    static func mayReuseStickyShard(_ cmd: CommandSpec, _ c: Client, _ server: Server) -> Bool {
        guard cmd.keyFinder == nil, case .range(let first, let last, _) = cmd.keys, first == last else { return false }
        return c.context.config.maxmemory == 0 && server.admissionAlerts.load(ordering: .relaxed) == 0
            && server.tracking.clients.load(ordering: .relaxed) == 0 && !server.monitors.isActive
    }

    /// `enable-debug-command`: `yes` allows everyone, `local` only loopback
    /// connections, `no` nobody.
    private func protectedCommandAllowed(_ c: Client) -> Bool {
        switch c.context.config.enableDebugCommand {
        case "yes": return true
        case "local": return !c.flags.contains(.fake) && Self.isLoopbackAddress(c.peerAddress)
        default: return false
        }
    }

    /// True for `127.x.x.x:port` and `[::1]:port` peers.
    static func isLoopbackAddress(_ addr: String) -> Bool {
        addr.hasPrefix("127.") || addr.hasPrefix("[::1]:")
    }

    /// Replies with a pre-execution error; inside MULTI it also dooms the
    /// transaction, and a refused EXEC discards it with EXECABORT (even
    /// outside MULTI, as Redis words it).
    func reject(_ c: Client, _ cmd: CommandSpec?, _ error: CommandError) {
        if c.flags.contains(.multi) { c.flags.insert(.dirtyExec) }
        if let cmd { c.context.stats.rejected[cmd.id] += 1 }
        if let cmd, cmd.name == "exec" {
            TransactionCommands.abort(c, because: error)
            return
        }
        switch error {
        case .unknownCommand, .unknownSubcommand: c.replyError(bytes: error.messageBytes)
        default: c.fail(error)
        }
    }

    /// Runs `cmd` with `c`'s arguments: locks the shards of its keys (unless
    /// the caller already holds every shard), executes, unlocks, then updates
    /// statistics, the slow log and MONITOR, and runs after-command hooks.
    public func call(_ c: Client, _ cmd: CommandSpec) {
        let ctx = c.context!
        var single = -1
        var lockedAll = false
        var many: [Int] = []
        // Only the single-key path below may reuse a shard kept from the previous command.
        if ctx.stickyShard >= 0 && (c.holdsAllShards || c.scriptLocks != nil || cmd.keyFinder != nil) {
            ctx.releaseStickyShard()
        }
        if !c.holdsAllShards, let sl = c.scriptLocks {
            // A command of a script holding only some shards; when a shard it
            // needs is busy the script stops and is repeated (ScriptLockSet).
            guard sl.admit(c, cmd) else { return }
        } else if !c.holdsAllShards {
            var ok = true
            if cmd.keyFinder == nil, case .range(let first, let last, _) = cmd.keys, first == last {
                // The common single-key case: no arrays.
                if first < c.argc {
                    single = keyspace.shardIndex(c.key(first).hash)
                    if ctx.stickyShard == single {
                        ctx.stickyShard = -1
                    } else {
                        ctx.releaseStickyShard()
                        ok = keyspace.lock(single)
                    }
                } else {
                    ctx.releaseStickyShard()
                }
            } else if cmd.keyFinder == nil, case .none = cmd.keys {
                ctx.releaseStickyShard()
                ok = true
            } else {
                ctx.releaseStickyShard()
                switch cmd.keyPositions(c) {
                case .everything:
                    ok = keyspace.lockAll()
                    lockedAll = true
                case .positions(let positions):
                    if positions.count == 1 {
                        single = keyspace.shardIndex(c.key(positions[0]).hash)
                        ok = keyspace.lock(single)
                    } else if positions.count > 1 {
                        many = Array(Set(positions.map { keyspace.shardIndex(c.key($0).hash) })).sorted()
                        ok = many.withUnsafeBufferPointer { keyspace.lock(sorted: $0) }
                    }
                }
            }
            if !ok {
                c.fail(keyspace.busyKind(now: Sys.unixMillis()) == 2 ? .busyFunction : .busyScript)
                ctx.stats.rejected[cmd.id] += 1
                return
            }
        }
        let start = Sys.monotonicNanos()
        // Commands nested in EXEC or a script share the outer command's clock, as in Redis.
        if !c.flags.contains(.script) && !c.holdsAllShards { c.now = ctx.unixMillis(atMonotonic: start) }
        c.clearRedactions()
        let prevDirty = c.changes
        ctx.callDepth += 1
        defer { ctx.callDepth -= 1 }
        c.currentCommand = cmd
        c.commandFailed = false
        c.propagateAs = nil
        cmd.handler!(c)
        // Keys read for a tracking client are remembered while their shards are still held.
        if cmd.flags.contains(.readonly) && tracking.clients.load(ordering: .relaxed) > 0 { tracking.remember(c, cmd) }
        let blockedNow = c.flags.contains(.blocked)
        // Hooks see commands that changed data, and top-level commands whose
        // nested commands (EXEC, scripts) left effects to log.
        if c.changes != prevDirty || (ctx.callDepth == 1 && !ctx.nestedPropagation.isEmpty) {
            appendOnlyFileRef?._withUnsafeGuaranteedRef { $0.propagate(c, changesBefore: prevDirty) }
            if !afterExecuteHooks.isEmpty {
                for hook in afterExecuteHooks { hook(c, cmd, prevDirty) }
            }
        }
        // Clients blocked on keys this command readied are served while its
        // locks are held; after EXEC or a script, not after each nested command.
        var readyLeft = false
        if let deferred = c.deferredLocks, ctx.callDepth == 1 {
            c.deferredLocks = nil
            if keyspace.waiters.anyReady {
                readyLeft = serveReadyKeys(c, single: -1, all: deferred.holdsAll, many: deferred.holdsAll ? [] : deferred.heldList)
            }
            deferred.release()
        } else if keyspace.waiters.anyReady && ctx.callDepth == 1 && !c.holdsAllShards {
            readyLeft = serveReadyKeys(c, single: single, all: lockedAll, many: many)
        }
        if single >= 0 {
            // Kept for the client's next command when it is already buffered
            // (see LoopContext.stickyShard); nothing below may take a shard lock then.
            if !readyLeft && ctx.callDepth == 1 && c.processing && !blockedNow && c.hasBufferedInput
                && !c.flags.contains(.fake) && !monitors.isActive {
                ctx.stickyShard = single
            } else {
                keyspace.unlock(single)
            }
        }
        if lockedAll { keyspace.unlockAll() }
        if !many.isEmpty { many.withUnsafeBufferPointer { keyspace.unlock(sorted: $0) } }
        if readyLeft { serveRemainingReadyKeys(c) }
        let nanos = Sys.monotonicNanos() - start
        let micros = Int(nanos / 1000)
        c.currentCommand = nil
        let stats = ctx.stats
        stats.commandsProcessed += 1
        stats.calls[cmd.id] += 1
        stats.micros[cmd.id] += micros
        // A blocked command's latency, failure and slow log entry are recorded when it completes.
        if !blockedNow {
            if ctx.config.latencyTracking { stats.recordLatency(cmd.id, nanos: nanos) }
            if c.commandFailed { stats.failed[cmd.id] += 1 }
            let threshold = ctx.config.slowlogLogSlowerThan
            if threshold >= 0 && micros >= threshold && !cmd.flags.contains(.skipSlowlog) {
                slowlog.record(c, micros: micros, maxLength: ctx.config.slowlogMaxLen)
            }
            latencyMonitor.addIfNeeded(cmd.flags.contains(.fast) ? "fast-command" : "command", millis: Int64(micros / 1000),
                                       threshold: ctx.config.latencyMonitorThreshold)
        }
        c.lastCommandID = cmd.id
        if monitors.isActive && !cmd.flags.contains(.skipMonitor) && !cmd.flags.contains(.admin) {
            monitors.feed(c, db: c.dbIndex)
        }
        for hook in afterCallHooks { hook(c, cmd) }
    }

    /// Runs a command line given as strings on `c` (tests, internal callers).
    public func execute(_ c: Client, _ args: [[UInt8]]) {
        c.load(OwnedCommand(args))
        processCommand(c)
    }
}

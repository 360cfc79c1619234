import CSystem
import Glibc
import Synchronization

/// Where list and sorted-set operations write when they may run either for
/// the client executing a command or on behalf of a blocked client being
/// served: the database, the reply, and the write bookkeeping.
public protocol KeyspaceWriter: AnyObject {
    /// The database operated on, at the operation's clock.
    var db: Database { get }
    /// Its index (keyspace events, WATCH).
    var dbIndex: Int { get }
    /// Where the reply goes, in the protocol of the client it is for.
    var reply: ReplyBuffer { get }
    /// The configuration the operation obeys (list and sorted-set limits, notifications).
    var activeConfig: ServerConfig { get }
    /// Replies with an error (counted in errorstats for the client it is for).
    func fail(_ e: CommandError)
    /// Redis's signalModifiedKey plus `changes` towards save points.
    func touched(_ key: Key, changes: Int)
    /// Emits a keyspace event when `notify-keyspace-events` enables its class.
    func notify(_ cls: NotifyFlags, _ event: String, _ key: Bytes)
}

extension Client: KeyspaceWriter {
    public var activeConfig: ServerConfig { context.config }
}

/// What a blocked client does once a key it waits on holds a value of
/// `valueType`: a family's own pop (and push), run by whichever thread made
/// the key ready, with the keys' shards locked.
public struct BlockedOperation {
    /// The type a watched key must hold to serve this operation; waiters for
    /// other types stay queued (as Redis skips them).
    public let valueType: ValueType
    /// A second key the operation writes in the same database (BLMOVE's
    /// destination); its shard is locked along with the source key's.
    public let destination: [UInt8]?
    /// For waits that depend on more than the key's type (streams: new
    /// entries past an ID, or a key or group that went away): decides from
    /// the key's live entry, nil when absent, whether to serve now; `serve`
    /// then runs whatever the key holds. When nil, a waiter is served once
    /// the key holds `valueType`.
    public let isReady: ((Entry?) -> Bool)?
    /// Performs the operation from `key` (which holds a live value of
    /// `valueType` unless `isReady` decided): replies through the context,
    /// emits events, and records the equivalent non-blocking command with `propagate`.
    public let serve: (BlockedServe, Key) -> Void
    /// The reply when the wait times out (or CLIENT UNBLOCK ends it as a
    /// timeout); nil gives a null array, as key waits answer.
    public let timeoutReply: ((ReplyBuffer) -> Void)?

    public init(valueType: ValueType, destination: [UInt8]? = nil, isReady: ((Entry?) -> Bool)? = nil,
                timeoutReply: ((ReplyBuffer) -> Void)? = nil, serve: @escaping (BlockedServe, Key) -> Void) {
        self.valueType = valueType
        self.destination = destination
        self.isReady = isReady
        self.timeoutReply = timeoutReply
        self.serve = serve
    }
}

/// The context a blocked client is served in: its database at the serving
/// moment, a reply buffer in its protocol, and write bookkeeping done as the
/// serving thread sees the configuration.
public final class BlockedServe: KeyspaceWriter {
    public let server: Server
    public let dbIndex: Int
    public let db: Database
    public let reply: ReplyBuffer
    public let activeConfig: ServerConfig
    /// The error code of an error reply (errorstats of the blocked client).
    public private(set) var errorCode: String?
    /// Commands that reproduce the served operation, in order.
    public private(set) var propagated: [[[UInt8]]] = []
    /// The blocked client being served (Redis makes it the current client meanwhile).
    let receiver: Client

    init(server: Server, receiver: Client, dbIndex: Int, db: Database, resp: RESPVersion, config: ServerConfig) {
        self.server = server
        self.receiver = receiver
        self.dbIndex = dbIndex
        self.db = db
        reply = ReplyBuffer(capacity: 256)
        reply.resp = resp
        activeConfig = config
    }

    public func fail(_ e: CommandError) {
        reply.error(e.text)
        errorCode = String(e.code)
    }

    public func touched(_ key: Key, changes: Int) {
        server.markDirty(changes)
        if server.watchedKeys.load(ordering: .relaxed) > 0 { server.invalidateWatchers(db: dbIndex, key: key) }
        if server.tracking.work.load(ordering: .relaxed) > 0 { server.tracking.keyModified(key, servedTo: receiver) }
    }

    public func notify(_ cls: NotifyFlags, _ event: String, _ key: Bytes) {
        let enabled = activeConfig.notifyKeyspaceEvents
        if enabled == 0 { return }
        server.emitKeyspaceEvent(cls, event, key: key, db: dbIndex, enabled: NotifyFlags(rawValue: enabled))
    }

    /// Records a command (name first) that reproduces what was done, for the
    /// AOF and replicas (Redis's alsoPropagate).
    public func propagate(_ command: [[UInt8]]) {
        propagated.append(command)
    }
}

/// One blocked client: the keys it waits on, what to do, and a state that
/// exactly one of serving, timing out, CLIENT UNBLOCK or disconnection claims.
public final class BlockedWaiter: @unchecked Sendable {
    enum State: Int {
        case waiting = 0, served, timedOut, cancelled
    }

    let client: Client
    let db: Int
    /// Distinct keys, in argument order.
    let keys: [WaitKey]
    let operation: BlockedOperation
    let destinationHash: UInt64?
    let command: CommandSpec
    /// The blocking command line, for the slow log when it completes.
    let arguments: OwnedCommand
    let resp: RESPVersion
    /// CLIENT REPLY OFF/SKIP was in force when it blocked: the reply is dropped.
    let dropReply: Bool
    private let state = Atomic<Int>(State.waiting.rawValue)
    /// Timeout timer on the client's loop; touched only there.
    var timer: UInt64?

    init(client: Client, keys: [WaitKey], operation: BlockedOperation, command: CommandSpec, dropReply: Bool) {
        self.client = client
        db = client.dbIndex
        self.keys = keys
        self.operation = operation
        destinationHash = operation.destination.map { d in d.withBytes { KeyHash.hash($0) } }
        self.command = command
        arguments = OwnedCommand(copying: client)
        resp = client.resp
        self.dropReply = dropReply
    }

    /// Moves from waiting to `s`; false when someone else got there first.
    func claim(_ s: State) -> Bool {
        state.compareExchange(expected: State.waiting.rawValue, desired: s.rawValue, ordering: .acquiringAndReleasing).exchanged
    }

    var isWaiting: Bool { state.load(ordering: .acquiring) == State.waiting.rawValue }
}

/// How a blocked client stopped waiting.
enum BlockedOutcome {
    /// Served: the reply produced for it, the error code if that reply is an
    /// error, and how long serving took.
    case served(ReplyBuffer, errorCode: String?, nanos: Int64)
    case timedOut
    /// CLIENT UNBLOCK, with ERROR or TIMEOUT.
    case unblocked(error: Bool)
}

extension KeyWaiters {
    /// Remembers `w` under its client's id (CLIENT UNBLOCK, disconnection).
    func track(_ w: BlockedWaiter) {
        byClientLock.withLock { byClient[w.client.id] = w }
        blockedClients.wrappingAdd(1, ordering: .relaxed)
    }

    /// Forgets `w` (once: later calls do nothing).
    func untrack(_ w: BlockedWaiter) {
        let removed = byClientLock.withLock { () -> Bool in
            guard byClient[w.client.id] === w else { return false }
            byClient.removeValue(forKey: w.client.id)
            return true
        }
        if removed { blockedClients.wrappingAdd(-1, ordering: .relaxed) }
    }

    /// The waiter of client `id`, if it is blocked on keys.
    func waiter(ofClient id: Int64) -> BlockedWaiter? {
        byClientLock.withLock { byClient[id] }
    }
}

extension Client {
    /// False where Redis denies blocking (MULTI/EXEC, scripts, the AOF
    /// loader): blocking commands then behave as if their timeout expired.
    public var mayBlock: Bool {
        context != nil && context.callDepth <= 1 && !holdsAllShards && flags.isDisjoint(with: [.multi, .script, .discardReplies])
    }

    /// Argument `i` as a blocking timeout in seconds (decimals allowed),
    /// returned in milliseconds rounded up, 0 meaning forever; Redis's errors
    /// for text that is not a number and for negative values.
    public func blockingTimeout(_ i: Int) throws(CommandError) -> Int64 {
        guard let seconds = Numbers.parseLongDouble(arg(i)) else { throw .timeoutNotFloat }
        let millis = (seconds * 1000).rounded(.up)
        // Redis converts with a C cast: values beyond 64 bits come out negative.
        guard millis >= -0x1p63 && millis < 0x1p63 else { throw .negativeTimeout }
        let ms = Int64(millis)
        if ms < 0 { throw .negativeTimeout }
        // A deadline past the end of time never fires, as in Redis.
        if ms > Int64.max - Sys.unixMillis() { return 0 }
        return ms
    }
}

extension Server {
    // MARK: blocking

    /// Blocks `c` on the keys at argument indices `keys` until one of them
    /// can serve `operation`, `timeoutMillis` passes (0 = never), CLIENT
    /// UNBLOCK or disconnection. Called by a blocking command's handler, on
    /// the client's loop, with the keys' shards locked; the client stops
    /// processing commands until then.
    public func block(_ c: Client, keys: [Int], timeoutMillis: Int64, operation: BlockedOperation) {
        var distinct: [WaitKey] = []
        for i in keys {
            let wk = WaitKey(db: c.dbIndex, key: c.key(i))
            if !distinct.contains(wk) { distinct.append(wk) }
        }
        let dropReply = !c.flags.isDisjoint(with: [.replyOff, .replySkip])
        let w = BlockedWaiter(client: c, keys: distinct, operation: operation, command: c.currentCommand!, dropReply: dropReply)
        let waiters = keyspace.waiters
        for wk in distinct { waiters.enqueue(w, on: wk, shard: keyspace.shardIndex(wk.hash)) }
        waiters.track(w)
        c.flags.insert(.blocked)
        if timeoutMillis > 0 {
            w.timer = c.context.loop.schedule(afterMillis: timeoutMillis) { [weak self, weak w] in
                guard let self, let w else { return }
                w.timer = nil
                if w.claim(.timedOut) { self.finishBlocked(w, .timedOut) }
            }
        }
    }

    /// CLIENT UNBLOCK: ends client `id`'s wait as a timeout or with an
    /// -UNBLOCKED error. False when it is not blocked on keys.
    public func unblockClient(id: Int64, error: Bool) -> Bool {
        guard let w = keyspace.waiters.waiter(ofClient: id), w.claim(error ? .cancelled : .timedOut) else { return false }
        w.client.context.loop.execute { [self] in finishBlocked(w, .unblocked(error: error)) }
        return true
    }

    /// Installs the hooks blocking relies on (called once by `init`).
    func installBlockingHooks() {
        clientCloseHooks.append { [unowned(unsafe) self] c in
            guard c.flags.contains(.blocked), let w = keyspace.waiters.waiter(ofClient: c.id), w.client === c else { return }
            // When the claim fails a serve or an unblock is on its way, and cleans up.
            guard w.claim(.cancelled) else { return }
            if let t = w.timer {
                c.context.loop.cancelTimer(t)
                w.timer = nil
            }
            keyspace.waiters.untrack(w)
            releaseQueues(w, w.keys)
        }
        swapDatabaseHooks.append { [unowned(unsafe) self] a, b in signalSwappedKeys(a, b) }
        beforeFlushHooks.append { [unowned(unsafe) self] db in signalFlushedStreams(db) }
    }

    /// FLUSHDB/FLUSHALL: waited-on keys holding streams become ready, so
    /// clients blocked in XREADGROUP learn their key is gone (Redis does the
    /// same). Every shard is locked and the keys are still there.
    private func signalFlushedStreams(_ db: Int) {
        let waiters = keyspace.waiters
        guard waiters.anyWaiting else { return }
        for (i, q) in waiters.shards.enumerated() {
            for wk in Array(q.waiting.keys) where db < 0 || wk.db == db {
                wk.withKey { k in
                    if let e = keyspace.shards[i].dbs[wk.db].find(k.bytes, hash: k.hash), e.type == .stream {
                        waiters.signal(shard: i, db: wk.db, key: k)
                    }
                }
            }
        }
    }

    /// SWAPDB: keys that now exist under waited-on names of either database
    /// become ready, expired or not (serving looks them up again), and so do
    /// names that held a stream before and no longer do. Every shard is locked.
    private func signalSwappedKeys(_ a: Int, _ b: Int) {
        let waiters = keyspace.waiters
        guard waiters.anyWaiting else { return }
        for (i, q) in waiters.shards.enumerated() {
            for wk in Array(q.waiting.keys) where wk.db == a || wk.db == b {
                let dict = keyspace.shards[i].dbs[wk.db]
                // What the name held before the swap is now in the other database.
                let before = keyspace.shards[i].dbs[wk.db == a ? b : a]
                wk.withKey { k in
                    let now = dict.find(k.bytes, hash: k.hash)
                    let wasStream = before.find(k.bytes, hash: k.hash)?.type == .stream
                    if (now != nil && now!.type != .string) || (wasStream && now?.type != .stream) {
                        waiters.signal(shard: i, db: wk.db, key: k)
                    }
                }
            }
        }
    }

    /// Takes `w` out of the queues of `keys`, shard by shard, from the
    /// client's loop with no other lock held. Shards a busy script holds are
    /// retried shortly (leftover entries are skipped by servers meanwhile).
    func releaseQueues(_ w: BlockedWaiter, _ keys: [WaitKey]) {
        var pending: [WaitKey] = []
        for wk in keys {
            let i = keyspace.shardIndex(wk.hash)
            if keyspace.lock(i) {
                keyspace.waiters.dequeue(w, from: wk, shard: i)
                keyspace.unlock(i)
            } else {
                pending.append(wk)
            }
        }
        if !pending.isEmpty, let loop = w.client.context?.loop {
            loop.schedule(afterMillis: 5) { [weak self] in self?.releaseQueues(w, pending) }
        }
    }

    private func timedOutReply(_ w: BlockedWaiter, _ c: Client) {
        if let reply = w.operation.timeoutReply { reply(c.reply) } else { c.reply.nullArray() }
    }

    /// Completes a wait on the client's loop: drops its queue entries,
    /// delivers the reply, updates statistics as Redis does on unblocking,
    /// and resumes processing the client's pipelined commands.
    func finishBlocked(_ w: BlockedWaiter, _ outcome: BlockedOutcome) {
        let c = w.client
        if let t = w.timer {
            c.context.loop.cancelTimer(t)
            w.timer = nil
        }
        keyspace.waiters.untrack(w)
        releaseQueues(w, w.keys)
        guard !c.closed else { return }
        let ctx = c.context!
        let stats = ctx.stats
        let id = w.command.id
        var duration: Int64 = 0
        var measured = false
        switch outcome {
        case .served(let buffer, let code, let nanos):
            if !w.dropReply { c.reply.appendRaw(buffer.bytes(from: 0)) }
            if let code {
                stats.countError(Substring(code))
                stats.failed[id] += 1
            }
            duration = nanos
            measured = true
        case .timedOut:
            if !w.dropReply { timedOutReply(w, c) }
        case .unblocked(let error):
            if error {
                let text = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
                if !w.dropReply { c.reply.error(text) }
                stats.countError("UNBLOCKED")
            } else if !w.dropReply {
                timedOutReply(w, c)
            }
            // Redis counts any CLIENT UNBLOCK as a failed call.
            stats.failed[id] += 1
            measured = true
        }
        if measured {
            stats.micros[id] += Int(duration / 1000)
            if ctx.config.latencyTracking { stats.recordLatency(id, nanos: duration) }
            let threshold = ctx.config.slowlogLogSlowerThan
            if threshold >= 0 && Int(duration / 1000) >= threshold && !w.command.flags.contains(.skipSlowlog) {
                c.load(w.arguments)
                slowlog.record(c, micros: Int(duration / 1000), maxLength: ctx.config.slowlogMaxLen)
            }
        }
        // Invalidations caused by serving it follow its reply, as in Redis.
        if c.tracking != nil { tracking.flushDeferred(c) }
        c.flags.remove(.blocked)
        c.scheduleWrite()
        c.processInput()
    }

    // MARK: serving ready keys

    /// Serves clients waiting on keys that became ready during the command
    /// `c` just ran, in the shards it still holds (`single`, `all`, `many`
    /// as the dispatcher locked them). Shards a BLMOVE destination needs are
    /// taken when lock order allows. Returns true when ready keys may remain
    /// for `serveRemainingReadyKeys` after the command's locks are released.
    func serveReadyKeys(_ c: Client, single: Int, all: Bool, many: [Int]) -> Bool {
        var held = [Bool](repeating: all, count: keyspace.shards.count)
        if !all {
            if single >= 0 { held[single] = true }
            for i in many { held[i] = true }
        }
        var taken: [Int] = []
        let stuck = drainReady(held: &held, taken: &taken, config: c.context.config)
        for i in taken.reversed() { keyspace.unlock(i) }
        return stuck != nil || (!all && keyspace.waiters.anyReady)
    }

    /// Serves ready keys left over once no lock is held (a BLMOVE destination
    /// whose shard could not be taken in order, keys readied by nested
    /// commands): locks the shards involved in ascending order and drains.
    func serveRemainingReadyKeys(_ c: Client) {
        serveRemainingReadyKeys(config: c.context.config)
    }

    /// As `serveRemainingReadyKeys(_:)`, outside any command: keys readied by
    /// active expiry (a stream whose group readers must be told it is gone).
    func serveRemainingReadyKeys(config: ServerConfig) {
        let waiters = keyspace.waiters
        let n = keyspace.shards.count
        var want: [Int] = []
        var rounds = 0
        while rounds < 4 * n {
            rounds += 1
            if want.isEmpty {
                guard let i = (0..<n).first(where: { waiters.shards[$0].readyCount.load(ordering: .relaxed) > 0 }) else { return }
                want = [i]
            }
            want.sort()
            guard want.withUnsafeBufferPointer({ keyspace.lock(sorted: $0) }) else { return }
            var held = [Bool](repeating: false, count: n)
            for i in want { held[i] = true }
            var taken: [Int] = []
            let stuck = drainReady(held: &held, taken: &taken, config: config)
            for i in taken.reversed() { keyspace.unlock(i) }
            want.withUnsafeBufferPointer { keyspace.unlock(sorted: $0) }
            if let d = stuck { want.append(d) } else { want = [] }
        }
    }

    /// Serves the ready keys of the `held` shards, oldest signal first, until
    /// none is left (chains included: a BLMOVE that creates its destination
    /// readies it). Returns the shard a waiter needs that could not be locked.
    private func drainReady(held: inout [Bool], taken: inout [Int], config: ServerConfig) -> Int? {
        let waiters = keyspace.waiters
        let now = Sys.unixMillis()
        var highest = held.lastIndex(of: true) ?? -1
        while true {
            var best = -1
            var bestSeq = Int.max
            for i in 0..<held.count where held[i] {
                if let r = waiters.shards[i].ready.first, r.seq < bestSeq {
                    best = i
                    bestSeq = r.seq
                }
            }
            if best < 0 { return nil }
            let r = waiters.popReady(shard: best)!
            guard let need = serveKey(r.key, shard: best, held: held, now: now, config: config) else { continue }
            waiters.restoreReady(r, shard: best)
            // Waiting for a higher shard than all held keeps the global lock order.
            let locked = need > highest ? keyspace.lock(need) : keyspace.shards[need].lock.tryLock()
            guard locked else { return need }
            held[need] = true
            taken.append(need)
            highest = max(highest, need)
        }
    }

    /// Serves the waiters of one ready key in the order they blocked, while
    /// the key holds a value. Returns a shard a waiter needs that is not held
    /// (the key stays ready), nil when done.
    private func serveKey(_ key: WaitKey, shard: Int, held: [Bool], now: Int64, config: ServerConfig) -> Int? {
        let waiters = keyspace.waiters
        let queues = waiters.shards[shard]
        let db = keyspace.database(key.db, now: now, observer: self)
        return key.withKey { k -> Int? in
            var idx = 0
            while let queue = queues.waiting[key], idx < queue.count {
                let e = db.peek(k)
                let w = queue[idx]
                if !w.isWaiting {
                    waiters.dequeue(w, from: key, shard: shard)
                    continue
                }
                if let ready = w.operation.isReady {
                    if !ready(e) {
                        idx += 1
                        continue
                    }
                } else if e == nil || w.operation.valueType != e!.type {
                    idx += 1
                    continue
                }
                if let dh = w.destinationHash {
                    let d = keyspace.shardIndex(dh)
                    if !held[d] { return d }
                }
                let claimed = w.claim(.served)
                waiters.dequeue(w, from: key, shard: shard)
                if claimed { serve(w, key: k, db: db, config: config) }
            }
            return nil
        }
    }

    /// Runs `w`'s operation from `key` and hands the reply to its loop.
    private func serve(_ w: BlockedWaiter, key: Key, db: Database, config: ServerConfig) {
        let start = Sys.monotonicNanos()
        let ctx = BlockedServe(server: self, receiver: w.client, dbIndex: w.db, db: db, resp: w.resp, config: config)
        w.operation.serve(ctx, key)
        for command in ctx.propagated { propagate(db: w.db, command) }
        let nanos = Sys.monotonicNanos() - start
        let reply = ctx.reply
        let code = ctx.errorCode
        w.client.context.loop.execute { [self] in finishBlocked(w, .served(reply, errorCode: code, nanos: nanos)) }
    }
}

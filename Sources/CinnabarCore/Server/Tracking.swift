import CSystem
import Glibc
import Synchronization

/// One invalidation on its way to a tracking client.
enum Invalidation {
    /// One key changed: sent as an array holding its name.
    case key([UInt8])
    /// FLUSHDB/FLUSHALL: a null, in the tracking client's protocol, meaning every key.
    case all
    /// Keys changed under a broadcast prefix: a ready-made RESP array of names.
    case encoded([UInt8])
}

/// A client's tracking settings and its undelivered invalidations.
///
/// `on`, `bcast`, `noloop`, `redirect` and `prefixes` change only on the
/// client's own loop, always under `Tracking`'s lock, which other threads
/// hold to read them (the owner reads them freely). `inbox` and `deferred`
/// are shared under that lock.
final class TrackingState {
    let client: Client
    let context: LoopContext
    var on = false
    var bcast = false
    var noloop = false
    /// Id of the client invalidations go to, 0 for this one. Kept when
    /// tracking goes off, as Redis keeps it.
    var redirect: Int64 = 0
    /// Broadcast prefixes, sorted bytewise.
    var prefixes: [[UInt8]] = []
    /// Invalidations queued by other threads, drained on the client's loop.
    var inbox: [Invalidation] = []
    var drainQueued = false
    /// Invalidations caused while this client's own command ran, sent once it has replied.
    var deferred: [Invalidation] = []

    init(client: Client, context: LoopContext) {
        self.client = client
        self.context = context
    }
}

/// The tracked keys of one keyspace shard: for each key name (whatever the
/// database, as Redis keeps one table), the ids of the clients that read it.
/// Guarded by the keyspace shard's lock, which every reader and writer of
/// those keys already holds. Slots are dense so a random key is O(1).
final class TrackedKeyTable {
    private var slotOf: [[UInt8]: Int] = [:]
    private var names: [[UInt8]] = []
    private var readers: [Set<Int64>] = []

    var count: Int { names.count }

    /// Records that client `id` read `key`: whether the key and the pair are new.
    func add(_ key: Bytes, _ id: Int64) -> (newKey: Bool, newItem: Bool) {
        let name = Array(key)
        if let i = slotOf[name] { return (false, readers[i].insert(id).inserted) }
        slotOf[name] = names.count
        names.append(name)
        readers.append([id])
        return (true, true)
    }

    /// Forgets `key`, returning its name and readers if it was tracked.
    func remove(_ key: Bytes) -> ([UInt8], Set<Int64>)? {
        guard let i = slotOf[Array(key)] else { return nil }
        return take(i)
    }

    /// Forgets a key chosen at random (the table must not be empty).
    func removeRandom() -> ([UInt8], Set<Int64>) {
        take(Int.random(in: 0..<names.count))
    }

    /// Forgets everything: the numbers of keys and of (key, client) pairs dropped.
    func removeAll() -> (keys: Int, items: Int) {
        let result = (names.count, readers.reduce(0) { $0 + $1.count })
        slotOf.removeAll()
        names.removeAll()
        readers.removeAll()
        return result
    }

    private func take(_ i: Int) -> ([UInt8], Set<Int64>) {
        let name = names[i], ids = readers[i]
        slotOf.removeValue(forKey: name)
        let last = names.count - 1
        if i != last {
            names[i] = names[last]
            readers[i] = readers[last]
            slotOf[names[i]] = i
        }
        names.removeLast()
        readers.removeLast()
        return (name, ids)
    }
}

/// One broadcast prefix: its subscribers and the keys under it changed since
/// the last flush, each with the id of the client that changed it last (0
/// for expiry and eviction), so NOLOOP subscribers can leave out their own.
final class BroadcastPrefix {
    var subscribers: [TrackingState] = []
    var changed: [[UInt8]: Int64] = [:]
}

/// Server-assisted client-side caching (CLIENT TRACKING), as Redis 7.0 does it.
///
/// Reads: after a read-only command of a tracking client, its keys are
/// recorded in the per-shard `TrackedKeyTable` while the command still holds
/// their shards, so a write can never slip between the read and the record.
/// Writes: a modified key is taken out of its table and each reader still
/// tracking gets an invalidation; keys under broadcast prefixes are gathered
/// and sent in one array per prefix before any loop writes its replies.
///
/// Delivery: an invalidation for a client of the calling thread's loop is
/// written at once, except for the client whose command is running, which
/// gets it after its reply (as Redis holds back `tracking_pending_keys`).
/// Clients of other loops get it through an inbox drained by a task on their
/// loop, in order. Redirection and RESP2/RESP3 framing are resolved on the
/// tracking client's loop, then the message goes to the redirection target's.
///
/// Lock order: keyspace shards, then this module's lock; under it only a
/// loop's task queue is taken. Client lookups (redirection) happen after it
/// is released.
public final class Tracking: @unchecked Sendable {
    /// Clients with tracking on (INFO `tracking_clients`). While zero, reads
    /// and the command path never enter this module.
    public let clients = Atomic<Int>(0)
    /// Tracked keys plus broadcast prefixes. While zero, writes never enter this module.
    public let work = Atomic<Int>(0)
    /// INFO `tracking_total_keys`, `tracking_total_items`, `tracking_total_prefixes`.
    public let totalKeys = Atomic<Int>(0)
    public let totalItems = Atomic<Int>(0)
    public let prefixCount = Atomic<Int>(0)

    private let lock = Lock()
    /// Clients with tracking on, by id.
    private var states: [Int64: TrackingState] = [:]
    private var prefixTable: [[UInt8]: BroadcastPrefix] = [:]
    private let broadcastPending = Atomic<Bool>(false)
    private let tables: [TrackedKeyTable]
    /// Consecutive limit enforcements that ended still over the limit (each tries harder).
    private let limitRounds = Atomic<Int>(0)
    private unowned(unsafe) var server: Server! = nil

    /// Script commands whose own keys are not recorded: their reads are, when
    /// the script runs a read-only command.
    private static let readOnlyScripts: Set<String> = ["eval_ro", "evalsha_ro", "fcall_ro"]

    init(shardCount: Int) {
        tables = (0..<shardCount).map { _ in TrackedKeyTable() }
    }

    /// Hooks the module into the server's flush, close, reset, reply and cron paths.
    func install(_ server: Server) {
        self.server = server
        server.beforeFlushHooks.append { [unowned(unsafe) self] _ in self.flushed() }
        server.clientCloseHooks.append { [unowned(unsafe) self] c in
            guard c.tracking != nil else { return }
            self.disable(c)
            c.tracking = nil
        }
        server.clientResetHooks.append { [unowned(unsafe) self] c in self.disable(c) }
        server.beforeReplyHooks.append { [unowned(unsafe) self] ctx in
            if self.broadcastPending.load(ordering: .relaxed) { self.flushBroadcasts(ctx) }
        }
        // Like Redis's serverCron, one loop trims the table even when no command arrives.
        server.cronHooks.append { [unowned(unsafe) self] ctx in
            if ctx.loop.index == 0 && self.clients.load(ordering: .relaxed) > 0 { self.enforceLimit(current: nil, context: ctx) }
        }
    }

    // MARK: settings (on the client's loop)

    private func state(for c: Client) -> TrackingState {
        if let st = c.tracking { return st }
        let st = TrackingState(client: c, context: c.context)
        c.context.clientsLock.withLock { c.tracking = st }
        return st
    }

    /// CLIENT TRACKING ON with options already validated. Turning it on again
    /// replaces the redirection and modes; broadcast prefixes accumulate.
    func enable(_ c: Client, redirect: Int64, bcast: Bool, optin: Bool, optout: Bool, noloop: Bool, prefixes: [[UInt8]]) {
        let st = state(for: c)
        lock.withLock {
            if !st.on {
                st.on = true
                states[c.id] = st
                clients.wrappingAdd(1, ordering: .relaxed)
            }
            st.redirect = redirect
            st.noloop = noloop
            st.bcast = bcast
            if bcast {
                if prefixes.isEmpty { subscribe(st, []) }
                for p in prefixes { subscribe(st, p) }
            }
        }
        c.flags.remove([.trackingBrokenRedirect, .trackingBcast, .trackingOptin, .trackingOptout, .trackingNoloop])
        c.flags.insert(.tracking)
        if bcast { c.flags.insert(.trackingBcast) }
        if optin { c.flags.insert(.trackingOptin) }
        if optout { c.flags.insert(.trackingOptout) }
        if noloop { c.flags.insert(.trackingNoloop) }
    }

    /// Adds `st` to `prefix`'s subscribers (lock held).
    private func subscribe(_ st: TrackingState, _ prefix: [UInt8]) {
        let bp: BroadcastPrefix
        if let existing = prefixTable[prefix] {
            bp = existing
        } else {
            bp = BroadcastPrefix()
            prefixTable[prefix] = bp
            prefixCount.wrappingAdd(1, ordering: .relaxed)
            work.wrappingAdd(1, ordering: .relaxed)
        }
        guard !bp.subscribers.contains(where: { $0 === st }) else { return }
        bp.subscribers.append(st)
        let at = st.prefixes.firstIndex { Self.precedes(prefix, $0) } ?? st.prefixes.count
        st.prefixes.insert(prefix, at: at)
    }

    /// CLIENT TRACKING OFF, RESET, disconnection. The client's keys stay in
    /// the table until written (skipped then), as in Redis.
    func disable(_ c: Client) {
        if let st = c.tracking {
            lock.withLock {
                for p in st.prefixes {
                    guard let bp = prefixTable[p] else { continue }
                    bp.subscribers.removeAll { $0 === st }
                    if bp.subscribers.isEmpty {
                        prefixTable.removeValue(forKey: p)
                        prefixCount.wrappingAdd(-1, ordering: .relaxed)
                        work.wrappingAdd(-1, ordering: .relaxed)
                    }
                }
                st.prefixes.removeAll()
                st.bcast = false
                st.noloop = false
                if st.on {
                    st.on = false
                    states.removeValue(forKey: c.id)
                    clients.wrappingAdd(-1, ordering: .relaxed)
                }
            }
        }
        c.flags.remove([.tracking, .trackingBrokenRedirect, .trackingBcast, .trackingOptin, .trackingOptout,
                        .trackingCaching, .trackingNoloop])
    }

    /// The broadcast prefixes of `c` (sorted), for the collision check and TRACKINGINFO.
    func prefixes(of c: Client) -> [[UInt8]] { c.tracking?.prefixes ?? [] }

    /// The redirection `c` reports: -1 when not tracking. For CLIENT LIST
    /// (other loops' clients are read under their loop's client lock).
    static func redirectShown(_ c: Client) -> Int64 {
        c.flags.contains(.tracking) ? (c.tracking?.redirect ?? 0) : -1
    }

    /// A connected client by id (what REDIRECT names), whatever its loop.
    func liveClient(_ id: Int64) -> Client? {
        for ctx in server.contexts {
            if let c = ctx.clientsLock.withLock({ ctx.clients[id] }) { return c }
        }
        return nil
    }

    // MARK: reads

    /// After read-only command `cmd` ran for `c` (its shards still held):
    /// records its keys for the client that tracks them. A command run by a
    /// script records the keys the script declared, for the script's caller.
    func remember(_ c: Client, _ cmd: CommandSpec) {
        let caller: Client
        if c.flags.contains(.script) {
            guard let top = c.context?.currentClient else { return }
            caller = top
        } else {
            caller = c
        }
        let f = caller.flags
        guard f.contains(.tracking), !f.contains(.trackingBcast) else { return }
        let caching = f.contains(.trackingCaching)
        if (f.contains(.trackingOptin) && !caching) || (f.contains(.trackingOptout) && caching) { return }
        if Self.readOnlyScripts.contains(cmd.name) { return }
        guard let command = caller.currentCommand, !command.flags.contains(.pubsub) else { return }
        // The keys Redis reports for the command (COMMAND GETKEYS): for a
        // script's caller its declared keys, which the shards it locked
        // hold; otherwise the keys the dispatcher locked.
        var positions: [Int] = []
        if caller !== c {
            positions = command.keysWithFlags(caller.arguments)?.map { $0.0 } ?? []
        } else {
            switch command.keyPositions(caller) {
            case .positions(let p): positions = p
            case .everything: positions = command.keysWithFlags(caller.arguments)?.map { $0.0 } ?? []
            }
        }
        let keyspace = server.keyspace
        for p in positions where p < caller.argc {
            let k = caller.key(p)
            let added = tables[keyspace.shardIndex(k.hash)].add(k.bytes, caller.id)
            if added.newKey {
                totalKeys.wrappingAdd(1, ordering: .relaxed)
                work.wrappingAdd(1, ordering: .relaxed)
            }
            if added.newItem { totalItems.wrappingAdd(1, ordering: .relaxed) }
        }
    }

    // MARK: writes (any thread, the key's shard held)

    /// `c`'s command modified `key`.
    func keyModified(_ key: Key, by c: Client) {
        let ctx = c.context
        invalidate(key, writer: c.id, current: ctx?.currentClient, deferCurrent: (ctx?.callDepth ?? 0) > 0, context: ctx)
    }

    /// Expiry or eviction removed `key`: no client changed it.
    func keyRemoved(_ key: Key) {
        let ctx = server.currentContext
        invalidate(key, writer: 0, current: ctx?.currentClient, deferCurrent: (ctx?.callDepth ?? 0) > 0, context: ctx)
    }

    /// Serving blocked client `receiver` modified `key`: as in Redis, the
    /// receiver counts as the current client and hears of it after its reply.
    func keyModified(_ key: Key, servedTo receiver: Client) {
        invalidate(key, writer: receiver.id, current: receiver, deferCurrent: true, context: server.currentContext)
    }

    private func invalidate(_ key: Key, writer: Int64, current: Client?, deferCurrent: Bool, context: LoopContext?) {
        let table = tables[server.keyspace.shardIndex(key.hash)]
        var tracked: ([UInt8], Set<Int64>)?
        if table.count > 0, let found = table.remove(key.bytes) {
            tracked = found
            totalKeys.wrappingAdd(-1, ordering: .relaxed)
            work.wrappingAdd(-1, ordering: .relaxed)
            totalItems.wrappingAdd(-found.1.count, ordering: .relaxed)
        }
        let toPrefixes = prefixCount.load(ordering: .relaxed) > 0
        if tracked == nil && !toPrefixes { return }
        var now: [(TrackingState, Invalidation)] = []
        lock.withLock {
            if toPrefixes {
                var name: [UInt8]?
                for (prefix, bp) in prefixTable where Self.hasPrefix(key.bytes, prefix) {
                    if name == nil { name = Array(key.bytes) }
                    bp.changed[name!] = writer
                    broadcastPending.store(true, ordering: .relaxed)
                }
            }
            if let tracked {
                notifyReaders(tracked.1, tracked.0, current: current, deferCurrent: deferCurrent, context: context, into: &now)
            }
        }
        for (st, inv) in now { send(st, inv) }
    }

    /// Queues `name`'s invalidation for each reader still tracking in the
    /// default mode (lock held). NOLOOP readers skip changes made while they are current.
    private func notifyReaders(_ ids: Set<Int64>, _ name: [UInt8], current: Client?, deferCurrent: Bool,
                               context: LoopContext?, into now: inout [(TrackingState, Invalidation)]) {
        for id in ids {
            guard let st = states[id], !st.bcast else { continue }
            if st.noloop && st.client === current { continue }
            route(st, .key(name), current: current, deferCurrent: deferCurrent, context: context, into: &now)
        }
    }

    /// Decides how `inv` reaches `st` (lock held): after the command when
    /// `st` is the client being served, now when it lives on the calling
    /// loop (collected in `now`, sent once the lock is released), else
    /// through its inbox.
    private func route(_ st: TrackingState, _ inv: Invalidation, current: Client?, deferCurrent: Bool,
                       context: LoopContext?, into now: inout [(TrackingState, Invalidation)]) {
        if deferCurrent && st.client === current {
            st.deferred.append(inv)
            if st.context === context { st.client.flags.insert(.trackingPending) }
            return
        }
        if st.context === context {
            now.append((st, inv))
            return
        }
        st.inbox.append(inv)
        if !st.drainQueued {
            st.drainQueued = true
            st.context.loop.execute { [unowned(unsafe) self] in self.drain(st) }
        }
    }

    /// FLUSHDB/FLUSHALL (every shard locked): the whole table goes, and every
    /// tracking client, broadcasting or not, hears that all keys are invalid.
    private func flushed() {
        var keys = 0, items = 0
        for t in tables where t.count > 0 {
            let dropped = t.removeAll()
            keys += dropped.keys
            items += dropped.items
        }
        totalKeys.wrappingAdd(-keys, ordering: .relaxed)
        work.wrappingAdd(-keys, ordering: .relaxed)
        totalItems.wrappingAdd(-items, ordering: .relaxed)
        guard clients.load(ordering: .relaxed) > 0 else { return }
        let ctx = server.currentContext
        let current = ctx?.currentClient
        var now: [(TrackingState, Invalidation)] = []
        lock.withLock {
            for st in states.values.sorted(by: { $0.client.id < $1.client.id }) {
                route(st, .all, current: current, deferCurrent: true, context: ctx, into: &now)
            }
        }
        for (st, inv) in now { send(st, inv) }
    }

    // MARK: broadcasting

    /// Sends each prefix's changed keys to its subscribers (before `ctx`
    /// writes replies, so a writer's reply never precedes the invalidations
    /// its command caused).
    private func flushBroadcasts(_ ctx: LoopContext) {
        var now: [(TrackingState, Invalidation)] = []
        lock.withLock {
            guard broadcastPending.exchange(false, ordering: .relaxed) else { return }
            for prefix in prefixTable.keys.sorted(by: Self.precedes) {
                let bp = prefixTable[prefix]!
                if bp.changed.isEmpty { continue }
                let keys = bp.changed.keys.sorted(by: Self.precedes)
                let all = Self.encodeArray(keys)
                for st in bp.subscribers {
                    if st.noloop {
                        let id = st.client.id
                        let others = keys.filter { bp.changed[$0] != id }
                        if others.isEmpty { continue }
                        let payload = others.count == keys.count ? all : Self.encodeArray(others)
                        route(st, .encoded(payload), current: nil, deferCurrent: false, context: ctx, into: &now)
                    } else {
                        route(st, .encoded(all), current: nil, deferCurrent: false, context: ctx, into: &now)
                    }
                }
                bp.changed.removeAll()
            }
        }
        for (st, inv) in now { send(st, inv) }
    }

    // MARK: table limit

    /// tracking-table-max-keys: while the table holds more keys, forgets
    /// random ones, telling their readers as if they had changed. Each call
    /// that ends still over the limit makes the next try 100 keys harder.
    /// Runs with no shard held (before a command, or from cron).
    func enforceLimit(current: Client?, context: LoopContext) {
        let max = context.config.trackingTableMaxKeys
        if max == 0 { return }
        if totalKeys.load(ordering: .relaxed) <= max {
            limitRounds.store(0, ordering: .relaxed)
            return
        }
        let keyspace = server.keyspace
        let n = tables.count
        var effort = 100 * (limitRounds.load(ordering: .relaxed) + 1)
        while effort > 0 {
            effort -= 1
            let start = Int.random(in: 0..<n)
            var evicted = false
            for step in 0..<n {
                let i = (start + step) & (n - 1)
                guard keyspace.lock(i) else { break }
                if tables[i].count > 0 {
                    let (name, ids) = tables[i].removeRandom()
                    totalKeys.wrappingAdd(-1, ordering: .relaxed)
                    work.wrappingAdd(-1, ordering: .relaxed)
                    totalItems.wrappingAdd(-ids.count, ordering: .relaxed)
                    var now: [(TrackingState, Invalidation)] = []
                    lock.withLock {
                        notifyReaders(ids, name, current: current, deferCurrent: false, context: context, into: &now)
                    }
                    for (st, inv) in now { send(st, inv) }
                    evicted = true
                }
                keyspace.unlock(i)
                if evicted { break }
            }
            if !evicted { break }
            if totalKeys.load(ordering: .relaxed) <= max {
                limitRounds.store(0, ordering: .relaxed)
                return
            }
        }
        limitRounds.wrappingAdd(1, ordering: .relaxed)
    }

    // MARK: delivery (on the tracking client's loop)

    private func drain(_ st: TrackingState) {
        let items: [Invalidation] = lock.withLock {
            let taken = st.inbox
            st.inbox.removeAll()
            st.drainQueued = false
            return taken
        }
        for inv in items { send(st, inv) }
    }

    /// After `c`'s command (or its unblocking reply): sends what it held
    /// back, and ends the scope of CLIENT CACHING unless inside MULTI or
    /// the command was a CLIENT subcommand.
    func afterCommand(_ c: Client) {
        if c.flags.contains(.trackingPending) { flushDeferred(c) }
        if c.flags.contains(.trackingCaching) && !c.flags.contains(.multi) {
            let id = c.lastCommandID
            let spec = id >= 0 ? server.commands.allSpecs[id] : nil
            if spec == nil || (spec!.name != "client" && spec!.parent?.name != "client") { c.flags.remove(.trackingCaching) }
        }
    }

    /// Sends the invalidations held back while `c`'s command ran.
    func flushDeferred(_ c: Client) {
        c.flags.remove(.trackingPending)
        guard let st = c.tracking else { return }
        let items: [Invalidation] = lock.withLock {
            let taken = st.deferred
            st.deferred.removeAll()
            return taken
        }
        for inv in items { send(st, inv) }
    }

    /// Delivers one invalidation of tracking client `st`: to itself in RESP3,
    /// or to its redirection target (RESP3 push, or a `__redis__:invalidate`
    /// message when that client speaks RESP2 and is subscribed). A target
    /// that is gone marks the redirection broken and, in RESP3, tells the
    /// tracking client so.
    private func send(_ st: TrackingState, _ inv: Invalidation) {
        let c = st.client
        if c.closed { return }
        if let ctx = c.context, ctx.currentClient === c && ctx.callDepth > 0 {
            // Its command is still replying (a task run from inside it): after the reply.
            lock.withLock { st.deferred.append(inv) }
            c.flags.insert(.trackingPending)
            return
        }
        let redirect = st.redirect
        if redirect != 0 {
            guard let target = liveClient(redirect) else {
                c.flags.insert(.trackingBrokenRedirect)
                if c.resp == .resp3 && !c.flags.contains(.closeASAP) {
                    c.writePush { r in
                        r.appendRaw(">2\r\n$21\r\ntracking-redir-broken\r\n")
                        r.integer(redirect)
                    }
                    Self.wrote(c)
                }
                return
            }
            let payload = Self.encode(inv, nullIn: c.resp)
            if target.context.loop.inLoopThread && !Self.isBusy(target) {
                Self.deliverRedirected(target, payload)
            } else {
                target.context.loop.execute { Self.deliverRedirected(target, payload) }
            }
            return
        }
        guard c.resp == .resp3, !c.flags.contains(.closeASAP) else { return }
        c.writePush { r in
            r.appendRaw(">2\r\n$10\r\ninvalidate\r\n")
            switch inv {
            case .key(let name):
                r.arrayHeader(1)
                r.bulk(name)
            case .all:
                r.appendRaw("_\r\n")
            case .encoded(let bytes):
                r.appendRaw(bytes)
            }
        }
        Self.wrote(c)
    }

    /// True while `c`'s own command is running on this thread: a message
    /// for it waits for a loop task rather than landing inside the reply.
    private static func isBusy(_ c: Client) -> Bool {
        guard let ctx = c.context else { return false }
        return ctx.currentClient === c && ctx.callDepth > 0
    }

    /// Writes a redirected invalidation to `target` (on its loop).
    private static func deliverRedirected(_ target: Client, _ payload: [UInt8]) {
        if target.closed || target.flags.contains(.closeASAP) { return }
        if target.resp == .resp3 {
            target.writePush { r in
                r.appendRaw(">2\r\n$10\r\ninvalidate\r\n")
                r.appendRaw(payload)
            }
        } else if target.flags.contains(.pubsub) {
            target.writePush { r in
                r.appendRaw("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n")
                r.appendRaw(payload)
            }
        } else {
            // RESP2 without a subscription has no way to carry it, as in Redis.
            return
        }
        wrote(target)
    }

    private static func wrote(_ c: Client) {
        c.scheduleWrite()
        if c.reply.pending > Client.staticReplyBlock { c.checkOutputLimit() }
    }

    // MARK: encoding

    /// The value part of an invalidation; a flush's null follows the
    /// tracking client's protocol even when redirected (Redis does the same).
    private static func encode(_ inv: Invalidation, nullIn resp: RESPVersion) -> [UInt8] {
        switch inv {
        case .key(let name): return encodeArray([name])
        case .all: return resp == .resp3 ? Array("_\r\n".utf8) : Array("$-1\r\n".utf8)
        case .encoded(let bytes): return bytes
        }
    }

    /// A RESP array of bulk strings.
    static func encodeArray(_ names: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 + names.reduce(0) { $0 + $1.count + 16 })
        out.append(UInt8(ascii: "*"))
        out += Array(String(names.count).utf8)
        out += [13, 10]
        for n in names {
            out.append(UInt8(ascii: "$"))
            out += Array(String(n.count).utf8)
            out += [13, 10]
            out += n
            out += [13, 10]
        }
        return out
    }

    /// Bytewise order (Redis's radix trees iterate keys and prefixes this way).
    static func precedes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.lexicographicallyPrecedes(b)
    }

    static func hasPrefix(_ key: Bytes, _ prefix: [UInt8]) -> Bool {
        guard prefix.count <= key.count else { return false }
        for i in 0..<prefix.count where key[i] != prefix[i] { return false }
        return true
    }
}

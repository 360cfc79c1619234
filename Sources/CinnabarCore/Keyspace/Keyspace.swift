import CSystem
import Glibc
import Synchronization

/// A key argument with its hash computed once (for shard routing and lookup).
public struct Key {
    public let bytes: Bytes
    public let hash: UInt64

    @inline(__always)
    public init(_ bytes: Bytes, hash: UInt64) {
        self.bytes = bytes
        self.hash = hash
    }

    @inline(__always)
    public init(_ bytes: Bytes) {
        self.bytes = bytes
        self.hash = KeyHash.hash(bytes)
    }
}

/// Told about keys that disappear by expiry, so the server can count them,
/// notify subscribers and log deletions for persistence.
public protocol KeyspaceObserver: AnyObject {
    func keyExpired(db: Int, key: Bytes)
}

/// One slice of the keyspace: every database's keys whose hash routes here,
/// guarded by one lock.
public final class Shard {
    public let index: Int
    let lock = Lock()
    /// One dictionary per database.
    public internal(set) var dbs: [Dict]

    init(index: Int, databases: Int) {
        self.index = index
        dbs = (0..<databases).map { _ in Dict() }
    }
}

/// The whole keyspace: `databases` logical databases split across a power of
/// two of shards by key hash.
///
/// Concurrency contract: a command locks the shards of the keys it names (in
/// ascending index order, so no two commands can deadlock) before touching
/// them, and releases them after replying; commands that may touch anything
/// (scripts, EXEC, KEYS, FLUSHALL...) lock every shard. No client ever sees
/// a command half-applied.
public final class Keyspace: @unchecked Sendable {
    public let shards: [Shard]
    private let shift: UInt64
    public let databaseCount: Int

    /// Set (1 = script, 2 = function) once a script holding every shard is
    /// known to be past busy-reply-threshold.
    public let busy = Atomic<Int>(0)
    /// Unix ms when the running script started (0 = none), its kind, and the
    /// threshold in force: together they let any thread tell, without asking
    /// the script's thread, that the keyspace is busy.
    public let exclusiveSince = Atomic<Int64>(0)
    public let exclusiveKind = Atomic<Int>(0)
    public let busyThresholdMs = Atomic<Int64>(5000)

    /// 0 when commands may proceed, else the kind (1 script, 2 function) of
    /// the script that has run past busy-reply-threshold: lock attempts then
    /// fail and clients get -BUSY instead of waiting.
    @inline(__always)
    public func busyKind(now: Int64) -> Int {
        let b = busy.load(ordering: .acquiring)
        if b != 0 { return b }
        let since = exclusiveSince.load(ordering: .acquiring)
        if since == 0 { return 0 }
        let t = busyThresholdMs.load(ordering: .relaxed)
        if t > 0 && now - since >= t { return exclusiveKind.load(ordering: .relaxed) }
        return 0
    }

    /// How lookups record accesses (LRU clock or LFU counter), from maxmemory-policy.
    public let access = AccessPolicy()

    /// Clients blocked on keys, by shard (guarded by the shard locks).
    public let waiters: KeyWaiters

    /// Every (shard, database) dictionary and every shard mutex in flat
    /// tables, so the per-command path reaches them without reference
    /// counting. The shards keep the objects alive; `swapDatabases` keeps
    /// the dictionary table in step.
    private struct DictSlot { var dict: Unmanaged<Dict> }
    private let dictSlots: UnsafeMutablePointer<DictSlot>
    private let mutexes: UnsafeMutablePointer<UnsafeMutablePointer<pthread_mutex_t>>
    /// Each shard's mutex by index, for callers that unlock without reaching
    /// through this object (no reference counting on the shared keyspace).
    var shardMutexes: UnsafeMutablePointer<UnsafeMutablePointer<pthread_mutex_t>> { mutexes }

    public init(shardCount: Int, databases: Int) {
        precondition(shardCount > 0 && shardCount & (shardCount - 1) == 0, "shard count must be a power of two")
        shards = (0..<shardCount).map { Shard(index: $0, databases: databases) }
        shift = UInt64(64 - shardCount.trailingZeroBitCount)
        databaseCount = databases
        waiters = KeyWaiters(shardCount: shardCount)
        accessRef = .passUnretained(access)
        dictSlots = .allocate(capacity: shardCount * databases)
        mutexes = .allocate(capacity: shardCount)
        for s in shards {
            mutexes[s.index] = s.lock.mutex
            for d in 0..<databases { (dictSlots + s.index * databases + d).initialize(to: DictSlot(dict: .passUnretained(s.dbs[d]))) }
        }
    }

    deinit {
        dictSlots.deallocate()
        mutexes.deallocate()
    }

    /// Database `db`'s dictionary in shard `shard` (caller holds the shard's lock).
    @inline(__always)
    public func dict(shard: Int, db: Int) -> Dict {
        dictSlots[shard &* databaseCount &+ db].dict.takeUnretainedValue()
    }

    /// Runs `body` on database `db`'s dictionary in shard `shard` without
    /// reference counting (the per-command lookup path).
    @inline(__always)
    public func withDict<R>(shard: Int, db: Int, _ body: (Dict) throws -> R) rethrows -> R {
        try dictSlots[shard &* databaseCount &+ db].dict._withUnsafeGuaranteedRef(body)
    }

    private let accessRef: Unmanaged<AccessPolicy>

    /// Records an access to `e` under the keyspace's policy (no reference counting).
    @inline(__always)
    public func touch(_ e: Entry) {
        accessRef._withUnsafeGuaranteedRef { $0.touch(e) }
    }

    /// The shard that owns keys with `hash` (high bits; buckets use the low ones).
    @inline(__always)
    public func shardIndex(_ hash: UInt64) -> Int {
        shards.count == 1 ? 0 : Int(truncatingIfNeeded: hash >> shift)
    }

    // MARK: locking

    /// Locks shard `i`; false when a busy script holds the keyspace (reply -BUSY).
    @inline(__always)
    public func lock(_ i: Int) -> Bool {
        if pthread_mutex_trylock(mutexes[i]) == 0 { return true }
        return lockSlow(i)
    }

    private func lockSlow(_ i: Int) -> Bool {
        // Holders keep a shard for microseconds: spin briefly before sleeping,
        // which costs two context switches.
        for _ in 0..<100 {
            for _ in 0..<20 { csystem_cpu_relax() }
            if pthread_mutex_trylock(mutexes[i]) == 0 { return true }
        }
        while true {
            if busyKind(now: Sys.unixMillis()) != 0 { return false }
            if shards[i].lock.lock(timeoutNanos: 1_000_000) { return true }
        }
    }

    /// Takes shard `i` only if it is free.
    @inline(__always)
    public func tryLock(_ i: Int) -> Bool {
        pthread_mutex_trylock(mutexes[i]) == 0
    }

    @inline(__always)
    public func unlock(_ i: Int) {
        pthread_mutex_unlock(mutexes[i])
    }

    /// Locks the given shard indices (sorted ascending, no duplicates); false
    /// (nothing held) when the keyspace is busy.
    public func lock(sorted indices: UnsafeBufferPointer<Int>) -> Bool {
        for (n, i) in indices.enumerated() {
            if !lock(i) {
                for j in indices[0..<n].reversed() { unlock(j) }
                return false
            }
        }
        return true
    }

    public func unlock(sorted indices: UnsafeBufferPointer<Int>) {
        for i in indices.reversed() { unlock(i) }
    }

    /// Locks every shard; false (nothing held) when the keyspace is busy.
    public func lockAll() -> Bool {
        for i in 0..<shards.count {
            if !lock(i) {
                for j in (0..<i).reversed() { unlock(j) }
                return false
            }
        }
        return true
    }

    public func unlockAll() {
        for i in (0..<shards.count).reversed() { unlock(i) }
    }

    /// Runs `body` with every shard locked, waiting out busy scripts (for
    /// internal work such as snapshots and cron, never for client commands).
    public func withAllLocked<T>(_ body: () throws -> T) rethrows -> T {
        for s in shards { s.lock.lock() }
        defer { for s in shards.reversed() { s.lock.unlock() } }
        return try body()
    }

    /// Runs `body` with one shard locked, waiting as long as needed (internal work only).
    public func withShardLocked<T>(_ i: Int, _ body: (Shard) throws -> T) rethrows -> T {
        shards[i].lock.lock()
        defer { shards[i].lock.unlock() }
        return try body(shards[i])
    }

    /// A view of database `index` at time `now` (Unix ms) for one command.
    @inline(__always)
    public func database(_ index: Int, now: Int64, observer: KeyspaceObserver?) -> Database {
        Database(keyspace: self, index: index, now: now, observer: observer)
    }

    /// Keys in database `index` (caller holds every shard, or accepts a racy count).
    public func count(db index: Int) -> Int {
        shards.reduce(0) { $0 + $1.dbs[index].count }
    }

    /// Keys with an expiry in database `index`.
    public func volatileCount(db index: Int) -> Int {
        shards.reduce(0) { $0 + $1.dbs[index].volatile.count }
    }

    /// Swaps two databases in every shard (caller holds every shard).
    public func swapDatabases(_ a: Int, _ b: Int) {
        for s in shards {
            s.dbs.swapAt(a, b)
            dictSlots[s.index * databaseCount + a].dict = .passUnretained(s.dbs[a])
            dictSlots[s.index * databaseCount + b].dict = .passUnretained(s.dbs[b])
        }
    }

    /// Removes expired keys from shard `i` the way Redis's active expire cycle
    /// does: database by database, sample a round of volatile keys (20, plus 5
    /// per `active-expire-effort` step above 1), delete the expired ones, and
    /// sample again while more than 10% (minus one point per effort step) of a
    /// round was stale, until `budgetNanos` is spent. Returns keys removed.
    @discardableResult
    public func activeExpire(shard i: Int, now: Int64, budgetNanos: Int64, effort: Int = 1,
                             observer: KeyspaceObserver?) -> Int {
        guard lock(i) else { return 0 }
        defer { unlock(i) }
        let extra = min(max(effort, 1), 10) - 1
        let perRound = 20 + 5 * extra
        let acceptableStale = 10 - extra
        let shard = shards[i]
        let start = Sys.monotonicNanos()
        var removed = 0
        databases: for db in 0..<databaseCount {
            let dict = shard.dbs[db]
            while dict.volatile.count > 0 {
                var expired = 0
                let samples = min(perRound, dict.volatile.count)
                for _ in 0..<samples {
                    guard let raw = dict.volatile.random() else { break }
                    let e = Entry(raw)
                    if e.isExpired(at: now) {
                        let key = Array(e.key)
                        key.withBytes { k in
                            let hash = KeyHash.hash(k)
                            if let gone = dict.remove(k, hash: hash) {
                                if gone.type == .stream && waiters.anyWaiting { waiters.signal(shard: i, db: db, key: Key(k, hash: hash)) }
                                gone.free()
                            }
                            observer?.keyExpired(db: db, key: k)
                        }
                        expired += 1
                    }
                }
                removed += expired
                if Sys.monotonicNanos() - start > budgetNanos { break databases }
                if expired * 100 / samples <= acceptableStale { break }
            }
        }
        return removed
    }
}

/// One database as seen by one command: key operations with lazy expiry at
/// the command's clock. Every method requires the key's shard to be locked.
public struct Database {
    /// A transient view: the keyspace and observer (the server) outlive it,
    /// so it holds them without reference counting.
    public let keyspace: Keyspace
    public let index: Int
    /// The command's clock in Unix ms (a script's start time inside scripts).
    public let now: Int64
    let observer: KeyspaceObserver?

    @inline(__always)
    public func dict(for hash: UInt64) -> Dict {
        keyspace.dict(shard: keyspace.shardIndex(hash), db: index)
    }

    // MARK: lookup

    /// The live entry for `key`; an expired one is deleted on the way.
    @inline(__always)
    public func lookup(_ key: Key) -> Entry? {
        let ks = keyspace
        let found = ks.withDict(shard: ks.shardIndex(key.hash), db: index) { d -> Entry? in
            guard let e = d.find(key.bytes, hash: key.hash) else { return nil }
            if e.isExpired(at: now) {
                expireNow(d, key)
                return nil
            }
            return e
        }
        if let e = found { ks.touch(e) }
        return found
    }

    /// Like `lookup` but leaves the access clock alone (OBJECT, TYPE with no-touch, TTL).
    public func peek(_ key: Key) -> Entry? {
        keyspace.withDict(shard: keyspace.shardIndex(key.hash), db: index) { d -> Entry? in
            guard let e = d.find(key.bytes, hash: key.hash) else { return nil }
            if e.isExpired(at: now) {
                expireNow(d, key)
                return nil
            }
            return e
        }
    }

    private func expireNow(_ d: Dict, _ key: Key) {
        if let gone = d.remove(key.bytes, hash: key.hash) {
            keyRemoved(key, gone.type)
            gone.free()
        }
        observer?.keyExpired(db: index, key: key.bytes)
    }

    @inline(__always)
    public func exists(_ key: Key) -> Bool { peek(key) != nil }

    // MARK: writes

    /// Stores a string value. The expiry becomes `expireAt` (0 = none) unless
    /// `keepTTL`, in which case an existing key keeps its own.
    @discardableResult
    public func setString(_ key: Key, _ value: Bytes, expireAt: Int64 = 0, keepTTL: Bool = false) -> Entry {
        let d = dict(for: key.hash)
        if let old = d.find(key.bytes, hash: key.hash) {
            let ttl = keepTTL && !old.isExpired(at: now) ? old.expireAt : expireAt
            if old.type == .string {
                let cap = old.stringCapacity
                if value.count <= cap && cap - value.count <= max(64, value.count) {
                    let dst = old.mutableString
                    if value.count > 0 { UnsafeMutableRawPointer(dst.baseAddress!).copyMemory(from: value.baseAddress!, byteCount: value.count) }
                    old.valueLength = value.count
                    old.flags = 0
                    let prev = old.expireAt
                    old.expireAt = ttl
                    d.expiryChanged(old, previous: prev)
                    old.accessClock = Clock.seconds
                    return old
                }
            }
            let e = Entry.makeString(key: key.bytes, value: value)
            e.expireAt = ttl
            d.replace(old, with: e, hash: key.hash)
            keyRemoved(key, old.type)
            old.free()
            return e
        }
        let e = Entry.makeString(key: key.bytes, value: value)
        e.expireAt = expireAt
        d.insert(e, hash: key.hash)
        return e
    }

    /// Stores an aggregate value, replacing whatever `key` held (and its expiry
    /// unless `keepTTL`).
    @discardableResult
    public func setObject(_ key: Key, _ object: StoredObject, expireAt: Int64 = 0, keepTTL: Bool = false) -> Entry {
        let d = dict(for: key.hash)
        let e = Entry.makeObject(key: key.bytes, object: object)
        if let old = d.find(key.bytes, hash: key.hash) {
            // Replacing a key that had expired creates it, as far as waiters are concerned.
            let revived = old.isExpired(at: now)
            e.expireAt = keepTTL ? old.expireAt : expireAt
            d.replace(old, with: e, hash: key.hash)
            keyRemoved(key, old.type)
            old.free()
            if revived { keyCreated(key, object.valueType) }
        } else {
            e.expireAt = expireAt
            d.insert(e, hash: key.hash)
            keyCreated(key, object.valueType)
        }
        return e
    }

    /// Deletes `key`; true when it existed (and had not expired).
    @discardableResult
    public func delete(_ key: Key) -> Bool {
        let d = dict(for: key.hash)
        guard let e = d.remove(key.bytes, hash: key.hash) else { return false }
        keyRemoved(key, e.type)
        let live = !e.isExpired(at: now)
        e.free()
        if !live { observer?.keyExpired(db: index, key: key.bytes) }
        return live
    }

    /// Unlinks `key`'s live entry without freeing it (RENAME, MOVE); the caller
    /// must relink it with `insert(_:)` or free it.
    public func detach(_ key: Key) -> Entry? {
        guard let e = lookup(key) else { return nil }
        keyRemoved(key, e.type)
        return dict(for: key.hash).remove(key.bytes, hash: key.hash)
    }

    /// Links a detached entry under `key` (which must be absent). Entries are
    /// re-created when the key bytes differ from the entry's own.
    @discardableResult
    public func insert(_ entry: Entry, as key: Key) -> Entry {
        var e = entry
        if !entry.key.equals(key.bytes) {
            e = entry.type == .string ? Entry.makeString(key: key.bytes, value: entry.string)
                : Entry.makeObject(key: key.bytes, object: entry.takeObject())
            e.expireAt = entry.expireAt
            e.flags = entry.flags
            e.accessClock = entry.accessClock
            e.lfuCounter = entry.lfuCounter
            entry.free()
        }
        dict(for: key.hash).insert(e, hash: key.hash)
        keyCreated(key, e.type)
        return e
    }

    /// Sets or clears (`at == 0`) the expiry of a live entry.
    public func setExpire(_ entry: Entry, _ key: Key, at: Int64) {
        let prev = entry.expireAt
        entry.expireAt = at
        dict(for: key.hash).expiryChanged(entry, previous: prev)
    }

    /// Grows or shrinks a string entry's value to `length` bytes, moving the
    /// entry if it must grow; new bytes are zero. Returns the (possibly new) entry.
    public func resizeString(_ entry: Entry, _ key: Key, to length: Int) -> Entry {
        let old = entry.valueLength
        var e = entry
        if length > entry.stringCapacity {
            let grow = length < 1 << 20 ? length * 2 : length + (1 << 20)
            e = dict(for: key.hash).reallocate(entry, key: key.bytes, hash: key.hash, size: 32 + entry.keyLength + grow)
        }
        e.valueLength = length
        if length > old {
            memset(e.raw + 32 + e.keyLength + old, 0, length - old)
        }
        e.flags |= Entry.flagRawString
        return e
    }

    // MARK: whole database (caller holds every shard)

    public var count: Int { keyspace.count(db: index) }

    /// Frees every key.
    public func flush() {
        for s in keyspace.shards { s.dbs[index].clear() }
    }

    /// A random live key's bytes, nil when empty. Expired keys met on the way
    /// are deleted (as lazy expiry would), so the search always ends.
    public func randomKey() -> [UInt8]? {
        while true {
            let total = count
            if total == 0 { return nil }
            // Pick a shard weighted by its size, then a key in it.
            var r = FastRandom.below(total)
            var chosen = keyspace.shards[0].dbs[index]
            for s in keyspace.shards {
                let n = s.dbs[index].count
                if r < n { chosen = s.dbs[index]; break }
                r -= n
            }
            guard let e = chosen.randomEntry() else { continue }
            if e.isExpired(at: now) {
                let k = Array(e.key)
                k.withBytes { _ = lookup(Key($0)) }
                continue
            }
            return Array(e.key)
        }
    }

    /// Calls `body` with every live key; `body` must not modify the database.
    public func forEachEntry(_ body: (Entry) -> Bool) {
        for s in keyspace.shards {
            var stop = false
            s.dbs[index].forEach { e in
                if e.isExpired(at: now) { return true }
                if !body(e) { stop = true; return false }
                return true
            }
            if stop { return }
        }
    }

    /// Bits of a SCAN cursor that name the shard.
    var shardBits: Int { keyspace.shards.count.trailingZeroBitCount }

    /// One SCAN step across shards. The low bits of the cursor pick the shard,
    /// the rest is that shard's reverse-binary bucket cursor. Shards holding no
    /// key of this database are skipped without costing a step (an empty
    /// database completes at once). Returns the next cursor (0 when done).
    /// Callers hold every shard.
    public func scan(cursor: UInt64, _ body: (Entry) -> Void) -> UInt64 {
        let bits = UInt64(shardBits)
        let shards = keyspace.shards
        var shard = Int(cursor & ((1 << bits) - 1))
        var inner = cursor >> bits
        while shard < shards.count && shards[shard].dbs[index].count == 0 {
            shard += 1
            inner = 0
        }
        if shard >= shards.count { return 0 }
        inner = shards[shard].dbs[index].scan(cursor: inner, body)
        if inner == 0 {
            shard += 1
            while shard < shards.count && shards[shard].dbs[index].count == 0 { shard += 1 }
            if shard >= shards.count { return 0 }
        }
        return (inner << bits) | UInt64(shard)
    }
}

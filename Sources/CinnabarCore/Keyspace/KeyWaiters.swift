import CSystem
import Glibc
import Synchronization

/// A key in one database that blocked clients wait on, with its bytes owned.
struct WaitKey: Hashable {
    let db: Int
    let bytes: [UInt8]
    let hash: UInt64

    init(db: Int, key: Key) {
        self.db = db
        bytes = Array(key.bytes)
        hash = key.hash
    }

    static func == (a: WaitKey, b: WaitKey) -> Bool {
        a.hash == b.hash && a.db == b.db && a.bytes == b.bytes
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
        hasher.combine(db)
    }

    /// Runs `body` with the key borrowed as a `Key`.
    func withKey<R>(_ body: (Key) -> R) -> R {
        bytes.withBytes { body(Key($0, hash: hash)) }
    }
}

/// Which clients wait on which keys, shard by shard, and which of those keys
/// just gained a value that may serve them ("ready" keys, Redis's
/// signalKeyAsReady). The state of shard `i` is guarded by the keyspace lock
/// of shard `i`; the counters are atomics so writers can skip all of this
/// when nobody waits.
public final class KeyWaiters: @unchecked Sendable {
    /// One ready key, numbered in signal order across shards so a serving pass
    /// takes keys in the order they became ready, as Redis's ready list does.
    struct Ready {
        let key: WaitKey
        let seq: Int
    }

    /// The queues of one shard.
    final class Queues {
        /// Waiters per key, first blocked first.
        var waiting: [WaitKey: [BlockedWaiter]] = [:]
        var ready: [Ready] = []
        var readySet: Set<WaitKey> = []
        /// `ready.count`, readable without the shard lock (a hint for serving passes).
        let readyCount = Atomic<Int>(0)

        func popReady() -> Ready? {
            guard !ready.isEmpty else { return nil }
            let r = ready.removeFirst()
            readySet.remove(r.key)
            readyCount.wrappingAdd(-1, ordering: .relaxed)
            return r
        }

        func pushReadyFront(_ r: Ready) {
            ready.insert(r, at: 0)
            readySet.insert(r.key)
            readyCount.wrappingAdd(1, ordering: .relaxed)
        }

        /// Removes `w` from `key`'s queue if it is there; true when removed.
        @discardableResult
        func remove(_ w: BlockedWaiter, from key: WaitKey) -> Bool {
            guard let q = waiting[key], let i = q.firstIndex(where: { $0 === w }) else { return false }
            if q.count == 1 {
                waiting.removeValue(forKey: key)
            } else {
                waiting[key]!.remove(at: i)
            }
            return true
        }
    }

    let shards: [Queues]
    /// Queue entries in every shard; zero keeps key creation off this path.
    let registered = Atomic<Int>(0)
    /// Ready keys not yet looked at, in every shard.
    let readyTotal = Atomic<Int>(0)
    private let sequence = Atomic<Int>(0)
    /// Clients blocked on keys (INFO blocked_clients).
    public let blockedClients = Atomic<Int>(0)
    /// Blocked clients by id (CLIENT UNBLOCK, disconnection), under `byClientLock`.
    var byClient: [Int64: BlockedWaiter] = [:]
    let byClientLock = Lock()

    init(shardCount: Int) {
        shards = (0..<shardCount).map { _ in Queues() }
    }

    /// True when some client waits on some key.
    @inline(__always) public var anyWaiting: Bool { registered.load(ordering: .relaxed) > 0 }

    /// True when some ready key has not been served yet.
    @inline(__always) public var anyReady: Bool { readyTotal.load(ordering: .relaxed) > 0 }

    /// Marks `key` of database `db` (shard `shard`, locked by the caller) ready
    /// when clients wait on it and it is not already marked.
    func signal(shard: Int, db: Int, key: Key) {
        let q = shards[shard]
        if q.waiting.isEmpty { return }
        let wk = WaitKey(db: db, key: key)
        guard q.waiting[wk] != nil, q.readySet.insert(wk).inserted else { return }
        q.ready.append(Ready(key: wk, seq: sequence.wrappingAdd(1, ordering: .relaxed).oldValue))
        q.readyCount.wrappingAdd(1, ordering: .relaxed)
        readyTotal.wrappingAdd(1, ordering: .relaxed)
    }

    /// Adds `w` at the end of `key`'s queue (shard `shard`, locked by the caller).
    func enqueue(_ w: BlockedWaiter, on key: WaitKey, shard: Int) {
        shards[shard].waiting[key, default: []].append(w)
        registered.wrappingAdd(1, ordering: .relaxed)
    }

    /// Takes `w` out of `key`'s queue (shard locked by the caller).
    func dequeue(_ w: BlockedWaiter, from key: WaitKey, shard: Int) {
        if shards[shard].remove(w, from: key) { registered.wrappingAdd(-1, ordering: .relaxed) }
    }

    /// Takes the next ready key of shard `shard` (locked by the caller).
    func popReady(shard: Int) -> Ready? {
        guard let r = shards[shard].popReady() else { return nil }
        readyTotal.wrappingAdd(-1, ordering: .relaxed)
        return r
    }

    /// Puts back a ready key that could not be served yet, ahead of the others.
    func restoreReady(_ r: Ready, shard: Int) {
        shards[shard].pushReadyFront(r)
        readyTotal.wrappingAdd(1, ordering: .relaxed)
    }
}

extension Database {
    /// Redis signals a key as ready when it is added to the database holding a
    /// type clients can block on; creations elsewhere need no work unless
    /// someone waits.
    @inline(__always)
    func keyCreated(_ key: Key, _ type: ValueType) {
        guard type != .string, keyspace.waiters.anyWaiting else { return }
        keyspace.waiters.signal(shard: keyspace.shardIndex(key.hash), db: index, key: key)
    }

    /// A stream leaving the database (deleted, overwritten, renamed away,
    /// expired) readies its key, as Redis does, so clients blocked in
    /// XREADGROUP on it are told; other types need nothing.
    @inline(__always)
    func keyRemoved(_ key: Key, _ type: ValueType) {
        guard type == .stream, keyspace.waiters.anyWaiting else { return }
        keyspace.waiters.signal(shard: keyspace.shardIndex(key.hash), db: index, key: key)
    }
}

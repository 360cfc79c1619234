import CSystem
import Glibc
import Synchronization

/// One client's WATCH on one key of one database.
final class WatchedKey {
    let client: Client
    let db: Int
    let key: [UInt8]
    let hash: UInt64
    let shard: Int
    /// The key existed but had already expired when WATCH ran: its later
    /// removal by expiry is no change. Guarded by the shard's watch lock (and
    /// only changed while the key's keyspace shard is locked too).
    var expired: Bool

    init(client: Client, db: Int, key: [UInt8], hash: UInt64, shard: Int, expired: Bool) {
        self.client = client
        self.db = db
        self.key = key
        self.hash = hash
        self.shard = shard
        self.expired = expired
    }

    @inline(__always)
    func matches(db: Int, _ key: Key) -> Bool {
        self.db == db && hash == key.hash && self.key.withBytes { key.bytes.equals($0) }
    }

    /// The key's entry in `dict`, expired or not (caller holds its shard).
    @inline(__always)
    func entry(in dict: Dict) -> Entry? {
        key.withBytes { dict.find($0, hash: hash) }
    }
}

/// WATCH bookkeeping: for every keyspace shard, the watchers of its keys by
/// key hash. Each shard's table has its own small lock, taken while the
/// keyspace shard is already held (invalidation from writes, expiry, FLUSH,
/// SWAPDB) or alone (UNWATCH, EXEC, DISCARD, disconnect); no other lock is
/// ever acquired while holding it, so it cannot deadlock, and unwatching
/// never waits for a busy script that holds the keyspace.
///
/// A watcher is marked through `Client.watchedKeyChanged`; EXEC reads it
/// while holding every keyspace shard, so no write can slip in between.
final class WatchRegistry: @unchecked Sendable {
    final class Table {
        let lock = Lock()
        var byHash: [UInt64: [WatchedKey]] = [:]
    }

    private let tables: [Table]
    private unowned(unsafe) let server: Server

    init(server: Server) {
        self.server = server
        tables = (0..<server.keyspace.shards.count).map { _ in Table() }
    }

    /// Installs the hooks that keep WATCH consistent with the keyspace.
    func install() {
        server.watchInvalidator = { [unowned(unsafe) self] db, key in self.touch(db: db, key: key) }
        server.beforeFlushHooks.append { [unowned(unsafe) self] db in self.flushed(db: db) }
        server.swapDatabaseHooks.append { [unowned(unsafe) self] a, b in self.swapped(a, b) }
        server.clientResetHooks.append { c in TransactionCommands.discardTransaction(c) }
        server.clientCloseHooks.append { [unowned(unsafe) self] c in
            self.unwatchAll(c)
            c.multiQueue.removeAll()
        }
    }

    /// Starts watching `key` of database `db` for `c` (its shard is locked by
    /// the caller). `expired` tells whether the key exists but already expired.
    func watch(_ c: Client, db: Int, key: Key, expired: Bool) {
        if c.watches.contains(where: { $0.matches(db: db, key) }) { return }
        let shard = server.keyspace.shardIndex(key.hash)
        let w = WatchedKey(client: c, db: db, key: Array(key.bytes), hash: key.hash, shard: shard, expired: expired)
        let t = tables[shard]
        t.lock.withLock { t.byHash[key.hash, default: []].append(w) }
        c.watches.append(w)
        server.watchedKeys.wrappingAdd(1, ordering: .relaxed)
    }

    /// Forgets every key `c` watches. Call on `c`'s loop.
    func unwatchAll(_ c: Client) {
        if c.watches.isEmpty { return }
        let list = c.watches
        c.watches.removeAll()
        for w in list {
            let t = tables[w.shard]
            t.lock.withLock {
                guard var bucket = t.byHash[w.hash] else { return }
                bucket.removeAll { $0 === w }
                if bucket.isEmpty { t.byHash.removeValue(forKey: w.hash) } else { t.byHash[w.hash] = bucket }
            }
        }
        server.watchedKeys.wrappingAdd(-list.count, ordering: .relaxed)
    }

    /// True when a key `c` watches (and that was alive when watched) has
    /// expired since, though not yet removed. Caller holds every shard.
    func watchedKeyExpired(_ c: Client, now: Int64) -> Bool {
        for w in c.watches where !w.expired {
            if let e = w.entry(in: server.keyspace.shards[w.shard].dbs[w.db]), e.isExpired(at: now) {
                return true
            }
        }
        return false
    }

    /// A write, deletion or expiry of `key` in `db` (its shard locked by the
    /// caller): every watcher's next EXEC fails. A watcher that saw the key
    /// already expired is spared when the key is now gone (its deletion is
    /// no logical change); as in Redis, meeting such a watcher while the key
    /// is still present ends the pass.
    func touch(db: Int, key: Key) {
        let shard = server.keyspace.shardIndex(key.hash)
        let t = tables[shard]
        t.lock.lock()
        defer { t.lock.unlock() }
        guard let bucket = t.byHash[key.hash] else { return }
        for w in bucket where w.matches(db: db, key) {
            if w.expired {
                if server.keyspace.shards[shard].dbs[db].find(key.bytes, hash: key.hash) == nil {
                    w.expired = false
                    continue
                }
                break
            }
            w.client.watchedKeyChanged.store(true, ordering: .relaxed)
        }
    }

    /// FLUSHDB (`db`) or FLUSHALL (-1), every shard locked, keys still present:
    /// watchers of keys that exist are marked; a key that had already expired
    /// when watched just loses that mark.
    private func flushed(db: Int) {
        for (shard, t) in tables.enumerated() {
            t.lock.withLock {
                for bucket in t.byHash.values {
                    for w in bucket where db < 0 || w.db == db {
                        guard w.entry(in: server.keyspace.shards[shard].dbs[w.db]) != nil else { continue }
                        if w.expired {
                            w.expired = false
                        } else {
                            w.client.watchedKeyChanged.store(true, ordering: .relaxed)
                        }
                    }
                }
            }
        }
    }

    /// SWAPDB `a` `b`, right after the swap (every shard locked). A watcher
    /// of a key in `a` sees the key it watched (now in `b`) replaced by the
    /// one now in `a`; it is marked when either exists, except where both
    /// sides amount to "no live key".
    private func swapped(_ a: Int, _ b: Int) {
        let now = Sys.unixMillis()
        for (shard, t) in tables.enumerated() {
            let dbs = server.keyspace.shards[shard].dbs
            t.lock.withLock {
                for bucket in t.byHash.values {
                    for w in bucket where w.db == a || w.db == b {
                        let before = w.entry(in: dbs[w.db == a ? b : a])
                        let after = w.entry(in: dbs[w.db])
                        guard before != nil || after != nil else { continue }
                        let afterExpired = after.map { $0.isExpired(at: now) } ?? false
                        if w.expired {
                            if after == nil {
                                w.expired = false
                                continue
                            }
                            if afterExpired { continue }
                        } else if before == nil && afterExpired {
                            w.expired = true
                            continue
                        }
                        w.client.watchedKeyChanged.store(true, ordering: .relaxed)
                    }
                }
            }
        }
    }
}

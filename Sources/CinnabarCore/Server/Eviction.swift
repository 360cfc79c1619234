import CSystem
import Glibc
import Synchronization

/// `maxmemory`: before a command runs, when the allocator holds more than the
/// limit, keys are evicted by `maxmemory-policy` (sampling `maxmemory-samples`
/// keys at a time as Redis does); commands that may grow memory are refused
/// with -OOM when nothing more can be evicted (always under `noeviction`).
public final class Evictor: @unchecked Sendable {
    unowned(unsafe) let server: Server
    /// Keys evicted since start-up (INFO stats `evicted_keys`).
    public let evictedKeys = Atomic<Int>(0)
    private let cursor = Atomic<Int>(0)

    init(server: Server) {
        self.server = server
    }

    /// Allocator bytes in use (exact and cheap: see `ProcessStats.allocatedBytes`).
    @inline(__always)
    public func usedMemory() -> Int { ProcessStats.allocatedBytes() }

    /// The admission check: evicts as needed and returns -OOM for commands
    /// that may use more memory when the limit still cannot be met.
    func check(_ c: Client, _ cmd: CommandSpec) -> CommandError? {
        let cfg = c.context.config
        guard cfg.maxmemory > 0 else { return nil }
        if usedMemory() <= cfg.maxmemory { return nil }
        if cfg.maxmemoryPolicy != "noeviction" { evict(cfg) }
        let growing = cmd.flags.contains(.denyoom) || (cmd.name == "exec" && c.queuedFlags.contains(.denyoom))
        if growing && usedMemory() > cfg.maxmemory { return .outOfMemory }
        return nil
    }

    /// Evicts under `cfg`'s policy if memory is over its limit (CONFIG SET
    /// maxmemory). The caller holds no shard.
    func evictNow(_ cfg: ServerConfig) {
        guard cfg.maxmemory > 0, usedMemory() > cfg.maxmemory else { return }
        server.log.log(.warning, "WARNING: the new maxmemory value set via CONFIG SET (\(cfg.maxmemory)) is smaller than the current memory usage (\(usedMemory())). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.")
        if cfg.maxmemoryPolicy != "noeviction" { evict(cfg) }
    }

    /// Evicts keys until under the limit or out of candidates.
    func evict(_ cfg: ServerConfig) {
        let volatileOnly = cfg.maxmemoryPolicy.hasPrefix("volatile")
        let samples = max(1, Int(cfg.extras["maxmemory-samples"] ?? "") ?? 5)
        var misses = 0
        let shards = server.keyspace.shards.count
        while usedMemory() > cfg.maxmemory && misses < shards * 2 {
            let i = cursor.wrappingAdd(1, ordering: .relaxed).oldValue % shards
            if evictOne(shard: i, policy: cfg.maxmemoryPolicy, volatileOnly: volatileOnly, samples: samples) {
                misses = 0
            } else {
                misses += 1
            }
        }
    }

    /// Samples keys of one shard and evicts the best candidate by `policy`.
    private func evictOne(shard i: Int, policy: String, volatileOnly: Bool, samples: Int) -> Bool {
        let ks = server.keyspace
        guard ks.lock(i) else { return false }
        defer { ks.unlock(i) }
        let shard = ks.shards[i]
        let now = Sys.unixMillis()
        var best: (db: Int, key: [UInt8], score: Double)?
        for db in 0..<ks.databaseCount {
            let dict = shard.dbs[db]
            if volatileOnly ? dict.volatile.count == 0 : dict.count == 0 { continue }
            for _ in 0..<samples {
                let entry: Entry?
                if volatileOnly {
                    entry = dict.volatile.random().map { Entry($0) }
                } else {
                    entry = dict.randomEntry()
                }
                guard let e = entry else { break }
                // Higher score = better to evict.
                let score: Double
                switch policy {
                case "allkeys-lru", "volatile-lru": score = Double(Clock.seconds &- e.accessClock)
                case "allkeys-lfu", "volatile-lfu": score = 255 - Double(ks.access.frequency(e))
                case "volatile-ttl": score = e.expireAt == 0 ? -.infinity : -Double(e.expireAt)
                default: score = Double(FastRandom.next() >> 11)
                }
                if best == nil || score > best!.score { best = (db, Array(e.key), score) }
            }
        }
        guard let victim = best else { return false }
        victim.key.withBytes { kb in
            let key = Key(kb)
            let d = ks.database(victim.db, now: now, observer: nil)
            if d.delete(key) {
                server.propagate(db: victim.db, [Array("DEL".utf8), victim.key])
                server.keyEvicted(db: victim.db, key: key)
                evictedKeys.wrappingAdd(1, ordering: .relaxed)
            }
        }
        return true
    }
}

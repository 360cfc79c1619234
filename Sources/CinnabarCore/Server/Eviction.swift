import CSystem
import Glibc
import Synchronization

/// `maxmemory`: before a command runs, when the allocator holds more than the
/// limit, keys are evicted by `maxmemory-policy` (sampling `maxmemory-samples`
/// keys at a time as Redis does); commands that may grow memory are refused
/// with -OOM when nothing more can be evicted (always under `noeviction`).
public final class Evictor: @unchecked Sendable {
    unowned(unsafe) let server: Server
    private let sampledUsed = Atomic<Int>(0)
    private let sampledAt = Atomic<Int64>(0)
    /// Keys evicted since start-up (INFO stats `evicted_keys`).
    public let evictedKeys = Atomic<Int>(0)
    private let cursor = Atomic<Int>(0)
    /// A command that may grow memory was admitted after the last sample.
    private let grew = Atomic<Bool>(false)

    init(server: Server) {
        self.server = server
    }

    /// Allocator bytes in use, measured at most once per millisecond
    /// (`fresh` measures now).
    public func usedMemory(fresh: Bool = false) -> Int {
        let now = Sys.monotonicNanos() / 1_000_000
        if !fresh && sampledAt.load(ordering: .relaxed) == now { return sampledUsed.load(ordering: .relaxed) }
        let used = ProcessStats.allocatedBytes()
        sampledUsed.store(used, ordering: .relaxed)
        sampledAt.store(now, ordering: .relaxed)
        return used
    }

    /// The admission check: evicts as needed and returns -OOM for commands
    /// that may use more memory when the limit still cannot be met.
    func check(_ c: Client, _ cmd: CommandSpec) -> CommandError? {
        let cfg = c.context.config
        guard cfg.maxmemory > 0 else { return nil }
        let growing = cmd.flags.contains(.denyoom) || (cmd.name == "exec" && c.queuedFlags.contains(.denyoom))
        // The sample is reused only while no command that may grow memory
        // ran since: one SETBIT can allocate megabytes within the millisecond.
        let stale = grew.exchange(growing, ordering: .relaxed)
        if usedMemory(fresh: stale) <= cfg.maxmemory { return nil }
        if cfg.maxmemoryPolicy != "noeviction" { evict(cfg) }
        if growing && usedMemory(fresh: true) > cfg.maxmemory { return .outOfMemory }
        return nil
    }

    /// Evicts under `cfg`'s policy if memory is over its limit (CONFIG SET
    /// maxmemory). The caller holds no shard.
    func evictNow(_ cfg: ServerConfig) {
        guard cfg.maxmemory > 0, usedMemory(fresh: true) > cfg.maxmemory else { return }
        server.log.log(.warning, "WARNING: the new maxmemory value set via CONFIG SET (\(cfg.maxmemory)) is smaller than the current memory usage (\(usedMemory())). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.")
        if cfg.maxmemoryPolicy != "noeviction" { evict(cfg) }
    }

    /// Evicts keys until under the limit or out of candidates.
    func evict(_ cfg: ServerConfig) {
        let volatileOnly = cfg.maxmemoryPolicy.hasPrefix("volatile")
        let samples = max(1, Int(cfg.extras["maxmemory-samples"] ?? "") ?? 5)
        var misses = 0
        let shards = server.keyspace.shards.count
        while usedMemory(fresh: true) > cfg.maxmemory && misses < shards * 2 {
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

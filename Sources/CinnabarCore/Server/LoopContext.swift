import CSystem
import Glibc

/// Counters kept by one loop thread. Only the owner writes them; INFO reads
/// them from other threads without locks (plain aligned words: a reader may
/// see a slightly stale value, never a torn one).
public final class LoopStats {
    public var commandsProcessed = 0
    public var connectionsReceived = 0
    public var rejectedConnections = 0
    public var netInputBytes = 0
    public var netOutputBytes = 0
    public var keyspaceHits = 0
    public var keyspaceMisses = 0
    public var totalErrorReplies = 0
    public var unexpectedErrorReplies = 0
    /// Socket reads and write passes that moved bytes (INFO total_reads/writes_processed).
    public var readsProcessed = 0
    public var writesProcessed = 0
    /// Per command id: calls, microseconds, rejected calls, failed calls.
    public let calls: UnsafeMutablePointer<Int>
    public let micros: UnsafeMutablePointer<Int>
    public let rejected: UnsafeMutablePointer<Int>
    public let failed: UnsafeMutablePointer<Int>
    let commandCount: Int
    /// Error replies by code (`ERR`, `WRONGTYPE`...); guarded by `errorLock`.
    var errorCounts: [String: Int] = [:]

    /// A copy of the error counts, safe from any thread.
    public var errorCountsSnapshot: [String: Int] { errorLock.withLock { errorCounts } }
    let errorLock = Lock()

    init(commandCount: Int) {
        self.commandCount = commandCount
        calls = .allocate(capacity: commandCount)
        micros = .allocate(capacity: commandCount)
        rejected = .allocate(capacity: commandCount)
        failed = .allocate(capacity: commandCount)
        latencies = .allocate(capacity: commandCount)
        latencies.initialize(repeating: nil, count: commandCount)
        resetCommandStats()
    }

    deinit {
        calls.deallocate(); micros.deallocate(); rejected.deallocate(); failed.deallocate()
        latencies.deinitialize(count: commandCount)
        latencies.deallocate()
    }

    func resetCommandStats() {
        calls.initialize(repeating: 0, count: commandCount)
        micros.initialize(repeating: 0, count: commandCount)
        rejected.initialize(repeating: 0, count: commandCount)
        failed.initialize(repeating: 0, count: commandCount)
    }

    /// CONFIG RESETSTAT.
    public func reset() {
        commandsProcessed = 0
        connectionsReceived = 0
        rejectedConnections = 0
        netInputBytes = 0
        netOutputBytes = 0
        keyspaceHits = 0
        keyspaceMisses = 0
        totalErrorReplies = 0
        unexpectedErrorReplies = 0
        readsProcessed = 0
        writesProcessed = 0
        for i in 0..<commandCount { latencies[i]?.reset() }
        resetCommandStats()
        errorLock.withLock { errorCounts = [:] }
    }

    /// Latency histograms by command id, created on first use and kept (reset
    /// in place) so readers on other threads never see one freed.
    private let latencies: UnsafeMutablePointer<LatencyHistogram?>

    /// Records one execution of command `id` taking `nanos`.
    @inline(__always)
    func recordLatency(_ id: Int, nanos: Int64) {
        if let h = (latencies + id).withMemoryRebound(to: Unmanaged<LatencyHistogram>?.self, capacity: 1, { $0.pointee }) {
            h._withUnsafeGuaranteedRef { $0.record(nanos: nanos) }
        } else {
            let h = LatencyHistogram()
            h.record(nanos: nanos)
            latencies[id] = h
        }
    }

    /// Command `id`'s histogram, if it ran since the last reset. Read by INFO
    /// from other threads: counts may be slightly stale.
    func latency(_ id: Int) -> LatencyHistogram? {
        id < commandCount ? latencies[id] : nil
    }

    func countError(_ code: Substring) {
        totalErrorReplies += 1
        errorLock.withLock { errorCounts[String(code), default: 0] += 1 }
    }
}

/// Everything one event-loop thread owns: its clients, their pending writes,
/// its configuration snapshot and its counters.
public final class LoopContext {
    public let loop: EventLoop
    public unowned(unsafe) let server: Server
    /// This thread's copy of the configuration, refreshed once per iteration.
    public private(set) var config: ServerConfig
    private var configGeneration: Int
    public let stats: LoopStats
    /// Clients owned by this loop; membership and client names change under `clientsLock`.
    var clients: [Int64: Client] = [:]
    let clientsLock = Lock()
    /// Clients with replies to flush before the loop sleeps.
    var pendingWrites: [Client] = []
    /// Clients to close at the end of the iteration.
    var pendingCloses: [Client] = []
    /// Nesting of `Server.call` on this thread: 1 for a client's command, more
    /// for commands run by EXEC or a script on its behalf.
    public var callDepth = 0
    /// The client whose command this loop is processing (Redis's
    /// current_client), nil between commands.
    public internal(set) unowned(unsafe) var currentClient: Client?
    /// A keyspace shard this thread still holds after a single-key command
    /// because the same client's next pipelined command is already buffered
    /// (-1: none). A pipeline hammering one key then takes the shard once, not
    /// once per command, and keeps its data in this core's cache. It is only
    /// ever held while that client's input is being processed: the next
    /// command either reuses it (same shard) or releases it before anything
    /// else can take a lock (`Server.call`, `Server.dispatch`), and
    /// `Client.processInput` releases it before doing anything but parsing.
    public var stickyShard = -1

    /// Releases `stickyShard` if held.
    @inline(__always)
    public func releaseStickyShard() {
        if stickyShard >= 0 {
            pthread_mutex_unlock(shardMutexes[stickyShard])
            stickyShard = -1
        }
    }
    private let shardMutexes: UnsafeMutablePointer<UnsafeMutablePointer<pthread_mutex_t>>

    /// Writes made by nested commands, waiting for their top-level command to
    /// finish so they are logged together (db, command arguments).
    public var nestedPropagation: [(Int, [[UInt8]])] = []

    init(loop: EventLoop, server: Server) {
        self.loop = loop
        self.server = server
        config = server.config.snapshot
        configGeneration = server.config.generation
        stats = LoopStats(commandCount: server.commands.allSpecs.count)
        shardMutexes = server.keyspace.shardMutexes
        server.keyspace.access.apply(config)
    }

    // Wall clock derived from the monotonic clock, re-based at most once a
    // millisecond: commands then cost one clock read instead of two.
    private var clockBaseMonotonic: Int64 = Int64.min / 2
    private var clockBaseUnixNanos: Int64 = 0

    /// Unix milliseconds at monotonic time `monotonic` (a recent reading of
    /// `Sys.monotonicNanos()` on this thread).
    @inline(__always)
    public func unixMillis(atMonotonic monotonic: Int64) -> Int64 {
        if monotonic &- clockBaseMonotonic >= 1_000_000 || monotonic < clockBaseMonotonic {
            clockBaseUnixNanos = Sys.unixNanos()
            clockBaseMonotonic = Sys.monotonicNanos()
        }
        return (clockBaseUnixNanos &+ (monotonic &- clockBaseMonotonic)) / 1_000_000
    }

    /// Picks up configuration changes made by CONFIG SET on any thread.
    @inline(__always)
    func refreshConfig() {
        let g = server.config.generation
        if g != configGeneration {
            config = server.config.snapshot
            configGeneration = g
            server.keyspace.access.apply(config)
        }
    }

    /// Forces a refresh (after this thread changed the configuration).
    public func reloadConfig() {
        config = server.config.snapshot
        configGeneration = server.config.generation
        server.keyspace.access.apply(config)
    }

    func add(_ c: Client) {
        clientsLock.withLock { clients[c.id] = c }
    }

    func remove(_ c: Client) {
        clientsLock.withLock { _ = clients.removeValue(forKey: c.id) }
    }

    /// Writes every pending reply (called before sleeping). `sparing` is a
    /// client that must stay open (a script's caller while its loop is polled
    /// from inside the script). A client whose output drained completely
    /// resumes reading and may queue new output here; that is written too
    /// before the loop sleeps, or it would wait for the next wake-up (up to a
    /// timer period).
    public func flushPendingWrites(sparing: Client? = nil) {
        // Replies of commands run while flushing (a client resumed after its
        // output drained) also go out only after the hooks (AOF writes) ran.
        repeat {
            for hook in server.beforeReplyHooks { hook(self) }
            if pendingWrites.isEmpty { break }
            let list = pendingWrites
            pendingWrites.removeAll(keepingCapacity: true)
            for c in list {
                c.pendingWrite = false
                c.flush()
            }
        } while !pendingWrites.isEmpty
        if !pendingCloses.isEmpty {
            let list = pendingCloses
            pendingCloses.removeAll()
            for c in list {
                if c === sparing { pendingCloses.append(c) } else { c.close() }
            }
        }
    }
}

import CSystem
import Glibc
import Synchronization

/// Version facts reported by INFO, HELLO and the logs.
public enum ServerInfo {
    /// The Redis version whose behaviour Cinnabar reproduces (clients check it).
    public static let redisVersion = "7.0.15"
    public static let version = "0.1.0"
    public static let versionNum = 0x07000f
}

/// Hooks that modules built on the core (scripting, persistence) install.
public protocol ServerExtension: AnyObject {
    /// `field:value` lines for the INFO section named `section` (lowercase:
    /// `server`, `memory`, `persistence`, `stats`, `modules`...). A line whose
    /// field the core already prints replaces the core's value in place (the
    /// persistence module reports `rdb_last_save_time` this way); other
    /// lines are appended to the section.
    func infoLines(section: String) -> [String]
    /// Called once when the server stops.
    func shutdown()
    /// CONFIG RESETSTAT: clear the module's own counters.
    func resetStats()
}

extension ServerExtension {
    public func resetStats() {}
}

/// The server: configuration, keyspace, command table, event loops and the
/// state shared between them.
/// Conditions under which commands may be refused before they run.
public struct AdmissionAlert: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// The data set is loading (-LOADING).
    public static let loading = AdmissionAlert(rawValue: 1)
    /// The last background save failed (-MISCONF with stop-writes-on-bgsave-error).
    public static let bgsaveFailed = AdmissionAlert(rawValue: 2)
    /// Writing the append-only file failed (-MISCONF).
    public static let aofWriteError = AdmissionAlert(rawValue: 4)
    /// A check that applies whatever the state (raised by whoever installs one).
    public static let always = AdmissionAlert(rawValue: 8)
}

public final class Server: KeyspaceObserver, @unchecked Sendable {
    public let config: ConfigStore
    public let keyspace: Keyspace
    public let commands: CommandTable
    public let log: Logger
    public private(set) var contexts: [LoopContext] = []
    private var listeners: [Int32] = []
    private var acceptors: [Acceptor] = []
    /// Guards `listeners`, `port` and `boundAddresses` against concurrent CONFIG SET.
    private let listenerLock = Lock()
    private var listening = false
    private lazy var boundAddresses: [String] = config.snapshot.bind
    /// TCP port actually bound (differs from the configuration when it asked for 0).
    public private(set) var port = 0
    public let startTimeMs = Sys.unixMillis()
    public let runID: String
    let nextClientID = Atomic<Int64>(1)
    public let connectedClients = Atomic<Int>(0)
    /// Changes since the last successful save.
    public let dirty = Atomic<Int>(0)
    public let expiredKeys = Atomic<Int>(0)
    let roundRobin = Atomic<Int>(0)
    private var threads: [pthread_t] = []
    private let stopping = Atomic<Bool>(false)
    /// Loop-thread clock in Unix ms, refreshed every iteration.
    public var cachedMillis: Int64 { cachedTime.load(ordering: .relaxed) }
    private let cachedTime = Atomic<Int64>(Sys.unixMillis())
    public let slowlog = SlowLog()
    /// LATENCY's event samples (latency-monitor-threshold).
    public let latencyMonitor = LatencyMonitor()
    public let monitors = MonitorFeed()
    /// Sampled rates and memory peaks for INFO.
    public let metrics = ServerMetrics()
    /// CLIENT PAUSE state.
    public let clientPause = ClientPause()
    /// Installed by modules (scripting, persistence).
    public var extensions: [ServerExtension] = []
    /// CONFIG SET side effects installed by modules, by directive name (the
    /// persistence module starts or stops the AOF on `appendonly`). Called
    /// with the candidate configuration when the value changed; a returned
    /// error text rolls the whole CONFIG SET back (the applier is then called
    /// again with the previous configuration).
    public var configAppliers: [String: (Server, ServerConfig) -> String?] = [:]
    /// DEBUG subcommands installed by modules, by lowercase name (`reload`,
    /// `loadaof`, `digest`...). A handler gets the whole DEBUG command line
    /// and checks its own arguments; it runs holding every shard.
    public var debugSubcommands: [String: CommandHandler] = [:]
    /// Bytes a value takes in an RDB file (DEBUG OBJECT `serializedlength`),
    /// installed by the persistence module.
    public var serializedLength: ((Entry) -> Int)?
    /// Called by SHUTDOWN and signals before exiting; returns false to refuse (a failed save).
    public var shutdownHandler: ((_ save: Bool?) -> Bool)?
    /// Where the process stops: true once every loop has returned.
    public private(set) var finished = false
    private let finishedCondition = Condition()
    /// Channel and pattern subscriptions, message delivery, keyspace notifications.
    public private(set) var pubsub: PubSub!
    /// WATCHed keys of every client.
    private(set) var watches: WatchRegistry!
    /// Client-side caching: tracked keys, broadcast prefixes, invalidation delivery.
    public let tracking: Tracking
    /// Users, permissions and the ACL log.
    public let acl: ACL
    /// DEBUG PAUSE-CRON: periodic work is skipped while set.
    public let cronPaused = Atomic<Bool>(false)

    public init(config: ServerConfig, configFile: String? = nil, families: [[CommandSpec]]) {
        self.config = ConfigStore(config, file: configFile)
        keyspace = Keyspace(shardCount: config.shards, databases: config.databases)
        tracking = Tracking(shardCount: config.shards)
        commands = CommandTable(families)
        acl = ACL(table: commands, config: self.config)
        log = Logger(path: config.logfile, level: LogLevel(name: config.loglevel) ?? .notice)
        var id = [UInt8](repeating: 0, count: 20)
        _ = id.withUnsafeMutableBytes { getrandom($0.baseAddress, 20, 0) }
        let hex = Array("0123456789abcdef".utf8)
        runID = String(decoding: id.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] }, as: UTF8.self)
        watches = WatchRegistry(server: self)
        watches.install()
        pubsub = PubSub(server: self)
        pubsub.install()
        tracking.install(self)
        admissionChecks.append { [unowned(unsafe) self] c, cmd in self.evictor.check(c, cmd) }
        cronHooks.append { ctx in Client.checkOutputLimits(ctx) }
        installBlockingHooks()
    }

    // MARK: lifecycle

    /// Builds the event loops and binds the listening sockets (loops not yet running).
    public func start() throws(SystemError) {
        try prepare()
        try listen()
    }

    /// Builds the event loops and their contexts without opening sockets
    /// (in-process tests drive commands through fake clients).
    public func prepare() throws(SystemError) {
        guard contexts.isEmpty else { return }
        let cfg = config.snapshot
        let loopCount = max(1, cfg.ioThreads)
        for i in 0..<loopCount {
            let loop = try EventLoop(index: i)
            let ctx = LoopContext(loop: loop, server: self)
            contexts.append(ctx)
            loop.onWake.append { [unowned self, unowned ctx] in
                self.cachedTime.store(Sys.unixMillis(), ordering: .relaxed)
                ctx.refreshConfig()
            }
            loop.beforeSleep.append { [unowned ctx] in ctx.flushPendingWrites() }
            scheduleCron(ctx, hz: cfg.hz)
        }
        metrics.markStartup()
    }

    /// Runs `cron` `hz` times a second, re-reading `hz` each time so CONFIG SET hz takes effect.
    private func scheduleCron(_ ctx: LoopContext, hz: Int) {
        let period = Int64(max(1, 1000 / max(1, hz)))
        ctx.loop.schedule(afterMillis: period) { [unowned self, unowned ctx] in
            self.cron(ctx)
            self.scheduleCron(ctx, hz: ctx.config.hz)
        }
    }

    /// Binds every `bind` address (a leading `-` marks one that may be unavailable).
    public func listen() throws(SystemError) {
        let cfg = config.snapshot
        let loopCount = contexts.count
        let (fds, actual) = try openListeners(addresses: cfg.bind, port: port == 0 ? cfg.port : port, backlog: cfg.tcpBacklog)
        listenerLock.withLock {
            port = actual
            listeners = fds
            listening = true
        }
        for fd in fds {
            let a = Acceptor(fd: fd, server: self)
            acceptors.append(a)
            try contexts[0].loop.register(fd, a)
        }
        log.log(.notice, "Cinnabar \(ServerInfo.version) (Redis \(ServerInfo.redisVersion) compatible) starting, pid=\(getpid()), port=\(port), \(loopCount) event loop(s), \(keyspace.shards.count) shard(s)")
    }

    /// Opens a listening socket per address; all or nothing. Port 0 picks a free port.
    private func openListeners(addresses: [String], port wanted: Int, backlog: Int) throws(SystemError) -> ([Int32], Int) {
        var fds: [Int32] = []
        var actual = wanted
        var lastError = SystemError("bind", EADDRNOTAVAIL)
        for addr in addresses {
            let optional = addr.hasPrefix("-")
            let host = optional ? String(addr.dropFirst()) : addr
            do {
                let fd = try Sys.listen(host: host, port: actual, backlog: Int32(backlog))
                if actual == 0 { actual = Sys.localPort(fd) }
                fds.append(fd)
            } catch {
                lastError = error
                if optional && (error.code == EAFNOSUPPORT || error.code == EADDRNOTAVAIL || error.code == EPROTONOSUPPORT) { continue }
                log.log(.warning, "Warning: Could not create server TCP listening socket \(host):\(wanted): \(error)")
                for fd in fds { Sys.close(fd) }
                throw error
            }
        }
        guard !fds.isEmpty else { throw lastError }
        return (fds, actual)
    }

    /// CONFIG SET port/bind: listens on `addresses` at `port` instead of the
    /// current sockets. A new port is bound before the old sockets close; new
    /// addresses on the same port replace the old ones, which are restored if
    /// binding fails. Returns nil on success or a description of the failure.
    /// Without listening sockets (in-process tests) only the setting changes.
    public func rebind(addresses: [String], port newPort: Int) -> String? {
        listenerLock.withLock { () -> String? in
            guard listening else { return nil }
            if addresses == boundAddresses && newPort == port { return nil }
            let backlog = config.snapshot.tcpBacklog
            let old = listeners
            var opened: ([Int32], Int)
            if newPort != port {
                do { opened = try openListeners(addresses: addresses, port: newPort, backlog: backlog) } catch { return "\(error)" }
                for fd in old { Sys.close(fd) }
            } else {
                for fd in old { Sys.close(fd) }
                do {
                    opened = try openListeners(addresses: addresses, port: newPort, backlog: backlog)
                } catch {
                    let failure = "\(error)"
                    if let restored = try? openListeners(addresses: boundAddresses, port: port, backlog: backlog) {
                        install(restored.0)
                    }
                    return failure
                }
            }
            boundAddresses = addresses
            port = opened.1
            install(opened.0)
            return nil
        }
    }

    /// Replaces the accepting sockets; registration happens on loop 0, which owns them.
    private func install(_ fds: [Int32]) {
        listeners = fds
        contexts[0].loop.execute { [unowned(unsafe) self] in
            self.acceptors = fds.map { Acceptor(fd: $0, server: self) }
            for a in self.acceptors { try? self.contexts[0].loop.register(a.fd, a) }
        }
    }

    /// Event-loop threads get deep stacks: script replies and replies of
    /// nested values are converted recursively.
    static let loopStackSize = 512 << 20

    /// Runs every loop on its own thread and blocks until shutdown.
    public func run() {
        runInBackground()
        log.log(.notice, "Ready to accept connections tcp")
        waitUntilStopped()
    }

    /// Runs every loop on its own thread and returns at once (tests, embedding).
    public func runInBackground() {
        for ctx in contexts {
            threads.append(Threads.spawn(name: "cinnabar-io-\(ctx.loop.index)", stackSize: Self.loopStackSize) { ctx.loop.run() })
        }
        Threads.spawn(name: "cinnabar-join") { [self] in
            for t in threads { Threads.join(t) }
            finishStop()
        }
    }

    private func finishStop() {
        listenerLock.withLock {
            for fd in listeners { Sys.close(fd) }
            listeners.removeAll()
        }
        for ext in extensions { ext.shutdown() }
        finishedCondition.lock.withLock {
            finished = true
            finishedCondition.broadcast()
        }
    }

    /// Blocks until the server has stopped.
    public func waitUntilStopped() {
        finishedCondition.lock.withLock {
            while !finished { finishedCondition.wait() }
        }
    }

    /// Run first when the server stops (a busy script is killed so its loop can exit).
    public var stopHooks: [() -> Void] = []

    /// Stops every loop after the current iteration. Thread-safe.
    public func stop() {
        if stopping.exchange(true, ordering: .acquiringAndReleasing) { return }
        for hook in stopHooks { hook() }
        for ctx in contexts {
            ctx.loop.execute { [unowned ctx] in
                ctx.flushPendingWrites()
                for c in Array(ctx.clients.values) { c.flush(); c.close() }
            }
            ctx.loop.stop()
        }
    }

    public var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// SHUTDOWN and signals: saves when asked (`save == true`) or when save
    /// points are configured (`save == nil`), then stops. Returns false when
    /// saving failed and the server keeps running, unless `force` stops it anyway.
    @discardableResult
    public func shutdown(save: Bool?, force: Bool = false) -> Bool {
        log.log(.warning, "User requested shutdown...")
        if let handler = shutdownHandler, !handler(save) {
            if !force {
                log.log(.warning, "Errors trying to shut down the server. Check the logs for more information.")
                return false
            }
            log.log(.warning, "Error trying to save the DB, exiting anyway because of the FORCE flag.")
        }
        log.log(.warning, "Cinnabar is now ready to exit, bye bye...")
        stop()
        return true
    }

    /// Stops on SIGTERM or SIGINT (blocked in every thread and read from a signalfd on loop 0).
    public func installSignalHandlers() {
        signal(SIGPIPE, SIG_IGN)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let sfd = signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
        guard sfd >= 0, !contexts.isEmpty else { return }
        let handler = SignalHandler(fd: sfd, server: self)
        signalHandler = handler
        try? contexts[0].loop.register(sfd, handler)
    }

    private var signalHandler: SignalHandler?

    // MARK: clients

    /// Takes a freshly accepted socket: enforces maxclients and protected
    /// mode, then hands it to a loop chosen round-robin.
    func accepted(_ fd: Int32) {
        let cfg = contexts[0].config
        contexts[0].stats.connectionsReceived += 1
        if connectedClients.load(ordering: .relaxed) >= cfg.maxclients {
            rejectConnection(fd, CommandError.maxClients.text)
            return
        }
        if cfg.protectedMode && acl.defaultIsNopass && !Self.isLoopbackPeer(fd) {
            rejectConnection(fd, CommandError.protectedMode.text)
            return
        }
        try? Sys.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        if cfg.tcpKeepalive > 0 {
            try? Sys.setOption(fd, SOL_SOCKET, SO_KEEPALIVE, 1)
            try? Sys.setOption(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, Int32(cfg.tcpKeepalive))
        }
        connectedClients.wrappingAdd(1, ordering: .relaxed)
        let i = roundRobin.wrappingAdd(1, ordering: .relaxed).oldValue % contexts.count
        let ctx = contexts[i]
        let id = nextClientID.wrappingAdd(1, ordering: .relaxed).oldValue
        ctx.loop.executeNestedSafe { [unowned self, unowned ctx] in
            let c = Client(id: id, server: self, context: ctx, fd: fd, fake: false)
            ctx.add(c)
            do {
                try ctx.loop.register(fd, c)
            } catch {
                c.close()
            }
        }
    }

    private func rejectConnection(_ fd: Int32, _ text: String) {
        contexts[0].stats.rejectedConnections += 1
        let msg = Array("-\(text)\r\n".utf8)
        msg.withUnsafeBytes { _ = try? Sys.write(fd, $0.baseAddress!, $0.count) }
        Sys.close(fd)
    }

    static func isLoopbackPeer(_ fd: Int32) -> Bool {
        let ip = Sys.address(fd, remote: true).ip
        return ip.hasPrefix("127.") || ip == "::1"
    }

    /// A socket-less client for scripts, tests and internal callers, bound to `context`.
    public func makeFakeClient(context: LoopContext?) -> Client {
        Client(id: nextClientID.wrappingAdd(1, ordering: .relaxed).oldValue, server: self, context: context, fd: -1, fake: true)
    }

    /// The loop context of the calling thread, if it is a loop thread.
    public var currentContext: LoopContext? {
        contexts.first { $0.loop.inLoopThread }
    }

    /// Releases server-side state of a closing client.
    func clientClosed(_ c: Client) {
        if c.fd >= 0 { connectedClients.wrappingAdd(-1, ordering: .relaxed) }
        if c.flags.contains(.monitor) { monitors.remove(c) }
        for hook in clientCloseHooks { hook(c) }
    }

    /// Run when any client closes (pub/sub, blocking and WATCH cleanup register here).
    public var clientCloseHooks: [(Client) -> Void] = []

    /// Every connected client in connection order (Redis's CLIENT LIST
    /// order), visited while every loop's client lock is held (taken in loop
    /// order), so none leaves or renames itself meanwhile.
    public func forEachClient(_ body: (Client) -> Void) {
        for ctx in contexts { ctx.clientsLock.lock() }
        defer { for ctx in contexts.reversed() { ctx.clientsLock.unlock() } }
        var all: [Client] = []
        for ctx in contexts { all.append(contentsOf: ctx.clients.values) }
        all.sort { $0.id < $1.id }
        for c in all { body(c) }
    }

    /// Sets a client's name under its loop's client lock (CLIENT LIST reads it from other threads).
    public func setName(_ c: Client, _ name: String) {
        if let ctx = c.context {
            ctx.clientsLock.withLock { c.name = name }
        } else {
            c.name = name
        }
    }

    // MARK: keyspace events

    /// A key was removed because its expiry passed: emits `expired`, signals
    /// WATCH as Redis's deletion of an expired key does, then runs the hooks.
    public func keyExpired(db: Int, key: Bytes) {
        expiredKeys.wrappingAdd(1, ordering: .relaxed)
        let events = currentContext?.config.notifyKeyspaceEvents ?? config.snapshot.notifyKeyspaceEvents
        if events != 0 {
            emitKeyspaceEvent(.expired, "expired", key: key, db: db, enabled: NotifyFlags(rawValue: events))
        }
        if watchedKeys.load(ordering: .relaxed) > 0 { invalidateWatchers(db: db, key: Key(key)) }
        if tracking.work.load(ordering: .relaxed) > 0 { tracking.keyRemoved(Key(key)) }
        for hook in expiryHooks { hook(db, key) }
    }

    /// Run for every key removed by expiry (notifications, AOF propagation).
    public var expiryHooks: [(Int, Bytes) -> Void] = []

    /// Counts a change towards save points.
    @inline(__always)
    public func markDirty(_ n: Int = 1) {
        dirty.wrappingAdd(n, ordering: .relaxed)
    }

    // MARK: cron

    /// Periodic work of one loop: expire keys and rehash in the shards this
    /// loop looks after, drop idle clients.
    private func cron(_ ctx: LoopContext) {
        Clock.refresh()
        if cronPaused.load(ordering: .relaxed) { return }
        let loops = contexts.count
        let now = Sys.unixMillis()
        // Keys do not expire in the background while clients are paused.
        if ctx.config.activeExpireEnabled && !clientPause.isPaused(now: now) {
            // Like Redis: 25% of each cron period (2 points more per effort
            // step), shared by the shards this loop looks after.
            let effort = Int(ctx.config.extras["active-expire-effort"] ?? "") ?? 1
            let percent = 25 + 2 * (min(max(effort, 1), 10) - 1)
            let budget = Int64(percent * 10_000_000 / max(1, ctx.config.hz)) / Int64(max(1, keyspace.shards.count / loops))
            for i in stride(from: ctx.loop.index, to: keyspace.shards.count, by: loops) {
                keyspace.activeExpire(shard: i, now: now, budgetNanos: budget, effort: effort, observer: self)
            }
            if keyspace.waiters.anyReady { serveRemainingReadyKeys(config: ctx.config) }
        }
        for i in stride(from: ctx.loop.index, to: keyspace.shards.count, by: loops) {
            if keyspace.lock(i) {
                for d in keyspace.shards[i].dbs {
                    d.shrinkIfNeeded()
                    d.rehash(buckets: 100)
                }
                keyspace.unlock(i)
            }
        }
        // Give back query buffers of idle clients and shrink oversized ones.
        for c in ctx.clients.values where !c.parserInProgress {
            c.resizeQueryBuffer(now: now)
        }
        let timeout = ctx.config.timeout
        if timeout > 0 {
            let idle = ctx.clients.values.filter {
                !$0.flags.contains(.blocked) && !$0.flags.contains(.pubsub) && !$0.flags.contains(.monitor)
                    && now - $0.lastInteraction > Int64(timeout) * 1000
            }
            for c in idle { c.close() }
        }
        if ctx.loop.index == 0 {
            var commands = 0, netIn = 0, netOut = 0
            for c in contexts {
                commands += c.stats.commandsProcessed
                netIn += c.stats.netInputBytes
                netOut += c.stats.netOutputBytes
            }
            metrics.sample(commands: commands, netInput: netIn, netOutput: netOut, now: now)
        }
        for hook in cronHooks { hook(ctx) }
    }

    /// Extra periodic work (save points, AOF fsync, blocked-client timeouts).
    public var cronHooks: [(LoopContext) -> Void] = []

    /// Delivers a keyspace notification (channel, message); installed by pub/sub.
    public var keyspaceEventSink: (([UInt8], [UInt8]) -> Void)?
    /// Number of WATCHed keys server-wide; zero keeps writes off the invalidation path.
    public let watchedKeys = Atomic<Int>(0)
    /// Marks watchers of a key dirty; installed by the transactions module.
    public var watchInvalidator: ((Int, Key) -> Void)?
    /// Run after FLUSHDB (database index) or FLUSHALL (-1): persistence.
    public var flushHooks: [(Int) -> Void] = []
    /// Run by FLUSHDB (database index) and FLUSHALL (-1) while the keys are
    /// still there and every shard is locked: WATCH invalidation of the keys
    /// that exist, tracking invalidation.
    public var beforeFlushHooks: [(Int) -> Void] = []
    /// Run by SWAPDB right after databases `a` and `b` exchanged contents, with
    /// every shard locked: WATCH invalidation of keys live in either database,
    /// serving clients blocked on keys that now exist.
    public var swapDatabaseHooks: [(_ a: Int, _ b: Int) -> Void] = []
    /// Run by RESET and HELLO-less connection resets (discard MULTI, unsubscribe...).
    public var clientResetHooks: [(Client) -> Void] = []

    /// Last checks before a command runs (loading, OOM, MISCONF); the first
    /// error found is replied. They run only while `maxmemory` is set or an
    /// admission alert is raised, so a check that depends on any other state
    /// must raise an alert while that state lasts.
    public var admissionChecks: [(Client, CommandSpec) -> CommandError?] = []

    /// States that make `admissionChecks` worth running (bits of `AdmissionAlert`).
    public let admissionAlerts = Atomic<Int>(0)

    /// Raises or clears one admission alert.
    public func setAdmissionAlert(_ alert: AdmissionAlert, _ on: Bool) {
        if on {
            admissionAlerts.bitwiseOr(alert.rawValue, ordering: .releasing)
        } else {
            admissionAlerts.bitwiseAnd(~alert.rawValue, ordering: .releasing)
        }
    }
    /// Logs a write to the append-only file when one is active (installed by
    /// persistence). Callers hold the shard lock of the key written.
    public var propagator: ((Int, [[UInt8]]) -> Void)?

    /// Logs `args` as a write in database `db` (served blocked pops, internal writes).
    public func propagate(db: Int, _ args: [[UInt8]]) {
        propagator?(db, args)
    }

    /// Run before a loop sends replies (the append-only file reaches the disk first).
    public var beforeReplyHooks: [(LoopContext) -> Void] = []
    /// maxmemory enforcement and eviction.
    public private(set) lazy var evictor = Evictor(server: self)
    /// Snapshots and loading (installed by the assembly).
    public var persistence: Persistence?
    /// Run after a handler, while its shards are still locked, with the
    /// client's `changes` from before it ran (propagation to the AOF): only
    /// for commands that changed data, and for top-level commands whose nested
    /// commands left effects in `LoopContext.nestedPropagation`.
    public var afterExecuteHooks: [(Client, CommandSpec, Int) -> Void] = []
    /// The append-only file's own after-execute step, called before
    /// `afterExecuteHooks` without reference counting: iterating closures
    /// would touch their shared reference counts from every loop on every write.
    var appendOnlyFileRef: Unmanaged<AppendOnlyFile>?
    /// Run after a command completed and released its shards.
    public var afterCallHooks: [(Client, CommandSpec) -> Void] = []
}

/// Accepts connections on a listening socket (registered on loop 0).
final class Acceptor: EventHandler {
    let fd: Int32
    unowned(unsafe) let server: Server

    init(fd: Int32, server: Server) {
        self.fd = fd
        self.server = server
    }

    func handleEvents(_ events: UInt32) {
        for _ in 0..<1000 {
            guard let c = try? Sys.accept(fd) else { return }
            server.accepted(c)
        }
    }
}

/// Turns SIGTERM/SIGINT into a graceful shutdown.
final class SignalHandler: EventHandler {
    let fd: Int32
    unowned(unsafe) let server: Server

    init(fd: Int32, server: Server) {
        self.fd = fd
        self.server = server
    }

    func handleEvents(_ events: UInt32) {
        var info = signalfd_siginfo()
        let n = read(fd, &info, MemoryLayout<signalfd_siginfo>.size)
        guard n == MemoryLayout<signalfd_siginfo>.size else { return }
        let isInt = info.ssi_signo == UInt32(SIGINT)
        server.log.log(.warning, "Received \(isInt ? "SIGINT" : "SIGTERM") scheduling shutdown...")
        // shutdown-on-sigint / shutdown-on-sigterm choose saving and forcing.
        let cfg = server.config.snapshot
        let words = isInt ? cfg.shutdownOnSigint : cfg.shutdownOnSigterm
        let save: Bool? = words.contains("save") ? true : words.contains("nosave") ? false : nil
        if !server.shutdown(save: save, force: words.contains("force")) {
            server.log.log(.warning, "Shutdown failed; the server keeps running.")
        }
    }
}

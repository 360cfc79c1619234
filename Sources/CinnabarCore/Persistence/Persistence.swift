import CSystem
import Glibc
import Synchronization

/// How FUNCTION RESTORE (and snapshot loading) treat existing libraries.
public enum LibraryRestorePolicy {
    case flush, append, replace
}

/// The function registry as persistence sees it (implemented by scripting).
public protocol FunctionPersistence: AnyObject {
    /// Every library's code (shebang included), for snapshots and FUNCTION DUMP.
    func libraryCodes() -> [[UInt8]]
    /// Installs libraries from a snapshot or payload; Redis's error text on failure.
    func restoreLibraries(_ codes: [[UInt8]], policy: LibraryRestorePolicy) -> String?
}

/// RDB snapshots for a server: SAVE, BGSAVE (a forked child writes a
/// point-in-time copy while the server keeps serving), save points, saving
/// on shutdown, and loading at start-up while clients get -LOADING.
public final class Persistence: ServerExtension, @unchecked Sendable {
    public unowned(unsafe) let server: Server
    /// Installed by the scripting module so snapshots carry the function
    /// libraries. The engine lives as long as the server; not weak, because a
    /// weak reference would slow down every retain of the engine.
    public unowned(unsafe) var functions: FunctionPersistence?
    /// The append-only file (installed by the assembly).
    public var aof: AppendOnlyFile?

    private let lock = Lock()
    /// Unix ms of the last successful save (or of start-up).
    public private(set) var lastSave: Int64
    private var lastBgsaveOK = true {
        didSet { server.setAdmissionAlert(.bgsaveFailed, !lastBgsaveOK) }
    }
    private var lastBgsaveTry: Int64 = 0
    private var lastBgsaveSeconds = -1
    private var saves = 0
    private var child: pid_t = 0
    private var childStart: Int64 = 0
    private var dirtyAtChildStart = 0
    private var scheduled = false
    /// True while a snapshot or log is being loaded; commands without the `loading` flag get -LOADING.
    public let loading = Atomic<Bool>(false)
    private var loadedKeys = 0
    private var loadedExpired = 0
    /// Extra child processes persistence may own (AOF rewrites register here).
    public var childReaped: [(pid_t, Int32) -> Bool] = []

    public init(server: Server) {
        self.server = server
        lastSave = Sys.unixMillis()
        _ = CRC64.table  // initialise lazily-built tables before any fork
        server.extensions.append(self)
        server.shutdownHandler = { [unowned(unsafe) self] save in self.shutdownSave(save) }
        server.cronHooks.append { [unowned(unsafe) self] ctx in if ctx.loop.index == 0 { self.cron() } }
        server.admissionChecks.append { [unowned(unsafe) self] c, cmd in self.admission(c, cmd) }
    }

    public var rdbPath: String {
        let cfg = server.config.snapshot
        return cfg.dir + "/" + cfg.dbfilename
    }

    private func admission(_ c: Client, _ cmd: CommandSpec) -> CommandError? {
        // EXEC is judged by what it would run, as Redis does.
        let exec = cmd.name == "exec"
        let flags = exec ? cmd.flags.union(c.queuedFlags) : cmd.flags
        let lacking = exec ? c.queuedMissingFlags : []
        // The append-only file's own replay client runs while loading.
        if loading.load(ordering: .acquiring) && (!flags.contains(.loading) || lacking.contains(.loading))
            && !c.flags.contains(.discardReplies) { return .loading }
        if (flags.contains(.write) || flags.contains(.denyoom)) && writesRefused(c.context.config) { return .misconf }
        return nil
    }

    /// stop-writes-on-bgsave-error: refuse writes after a failed background save.
    func writesRefused(_ cfg: ServerConfig) -> Bool {
        cfg.stopWritesOnBgsaveError && !cfg.save.isEmpty && !lock.withLock { lastBgsaveOK }
    }

    // MARK: saving

    /// Writes a snapshot to `path` atomically: temp file, fsync, rename, fsync of the directory.
    /// Every shard must be quiescent while this runs (locked, or a forked child).
    func writeSnapshot(to path: String, functions codes: [[UInt8]], compress: Bool, checksum: Bool, aofBase: Bool = false) throws(SystemError) {
        let tmp = path + ".tmp-\(getpid())"
        let fd = try Sys.open(tmp, O_WRONLY | O_CREAT | O_TRUNC)
        do throws(SystemError) {
            let w = RDBWriter(fd: fd, compress: compress)
            try RDBSnapshot.write(w, keyspace: server.keyspace, functions: codes, now: Sys.unixMillis(),
                                  usedMemory: ProcessStats.allocatedBytes(), aofBase: aofBase)
            try Sys.fsync(fd)
            Sys.close(fd)
        } catch {
            Sys.close(fd)
            Sys.unlink(tmp)
            throw error
        }
        try Sys.rename(tmp, path)
        try? Sys.fsyncDirectory(String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]))
    }

    /// SAVE: a synchronous snapshot, with every shard locked. Returns an error text on failure.
    public func saveNow() -> String? {
        if lock.withLock({ child != 0 && childIsSnapshot }) { return "ERR Background save already in progress" }
        let cfg = server.config.snapshot
        let codes = functions?.libraryCodes() ?? []
        let dirtyBefore = server.dirty.load(ordering: .relaxed)
        let result: SystemError? = server.keyspace.withAllLocked {
            do throws(SystemError) {
                try writeSnapshot(to: rdbPath, functions: codes, compress: cfg.rdbcompression, checksum: cfg.rdbchecksum)
                return nil
            } catch {
                return error
            }
        }
        if let result {
            server.log.log(.warning, "Failed saving the DB: \(result)")
            return "ERR \(result)"
        }
        server.dirty.wrappingAdd(-dirtyBefore, ordering: .relaxed)
        lock.withLock {
            lastSave = Sys.unixMillis()
            lastBgsaveOK = true
            saves += 1
        }
        server.log.log(.notice, "DB saved on disk")
        return nil
    }

    private var childIsSnapshot = false

    /// True while a background save or rewrite child runs.
    public var childRunning: Bool { lock.withLock { child != 0 } }
    /// True while a BGSAVE child runs.
    public var childIsSnapshotRunning: Bool { lock.withLock { child != 0 && childIsSnapshot } }

    /// BGSAVE: forks a child that writes the snapshot while the server keeps serving.
    public func startBackgroundSave() -> String? {
        let cfg = server.config.snapshot
        let codes = functions?.libraryCodes() ?? []
        let path = rdbPath
        return lock.withLock { () -> String? in
            if child != 0 { return childIsSnapshot ? "ERR Background save already in progress" : "ERR Another child process is active (AOF?): can't BGSAVE right now." }
            let dirtyNow = server.dirty.load(ordering: .relaxed)
            // Fork with every shard locked: the child's copy is a point-in-time image.
            let pid: pid_t = timedFork { server.keyspace.withAllLocked { fork() } }
            if pid < 0 {
                lastBgsaveOK = false
                return "ERR Can't BGSAVE: fork: \(String(cString: strerror(errno)))"
            }
            if pid == 0 {
                // Child: only this thread exists; write and leave without running any parent state.
                do throws(SystemError) {
                    try writeSnapshot(to: path, functions: codes, compress: cfg.rdbcompression, checksum: cfg.rdbchecksum)
                    _exit(0)
                } catch {
                    _exit(1)
                }
            }
            child = pid
            childIsSnapshot = true
            childStart = Sys.unixMillis()
            dirtyAtChildStart = dirtyNow
            lastBgsaveTry = childStart
            server.log.log(.notice, "Background saving started by pid \(pid)")
            return nil
        }
    }

    /// Runs `work` in a forked child with the keyspace frozen (AOF rewrites).
    /// `beforeFork` runs with every shard locked just before forking (false
    /// cancels); `onExit(success)` runs in the parent when the child is reaped.
    public func forkChild(beforeFork: @escaping () -> Bool, work: @escaping () -> Bool, onExit: @escaping (Bool) -> Void) -> String? {
        lock.withLock { () -> String? in
            if child != 0 { return "ERR Background child already active" }
            let pid: pid_t = timedFork { server.keyspace.withAllLocked { beforeFork() ? fork() : -2 } }
            if pid == -2 { return nil }
            if pid < 0 { return "ERR Can't fork: \(String(cString: strerror(errno)))" }
            if pid == 0 { _exit(work() ? 0 : 1) }
            child = pid
            childIsSnapshot = false
            childStart = Sys.unixMillis()
            otherChildExit = onExit
            return nil
        }
    }

    private var otherChildExit: ((Bool) -> Void)?

    /// Microseconds the last fork took in the parent (INFO latest_fork_usec).
    public let latestForkMicros = Atomic<Int>(0)
    /// Forks since start-up (INFO total_forks).
    public let totalForks = Atomic<Int>(0)

    /// Runs `body` (which forks) and, in the parent, records how long it
    /// took: INFO's fork fields and the LATENCY "fork" event.
    private func timedFork(_ body: () -> pid_t) -> pid_t {
        let start = Sys.monotonicNanos()
        let pid = body()
        guard pid > 0 else { return pid }
        let micros = Int((Sys.monotonicNanos() - start) / 1000)
        latestForkMicros.store(micros, ordering: .relaxed)
        totalForks.wrappingAdd(1, ordering: .relaxed)
        server.latencyMonitor.addIfNeeded("fork", millis: Int64(micros / 1000), threshold: server.config.snapshot.latencyMonitorThreshold)
        return pid
    }

    /// BGSAVE SCHEDULE: run one as soon as the running child ends.
    public func schedule() { lock.withLock { scheduled = true } }

    /// Reaps a finished child and updates the save state (called from cron).
    private func reap() {
        let (pid, snapshot) = lock.withLock { (child, childIsSnapshot) }
        guard pid != 0 else { return }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        guard r == pid else { return }
        let ok = (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0
        let elapsed = Int((Sys.unixMillis() - childStart) / 1000)
        if snapshot {
            lock.withLock {
                child = 0
                lastBgsaveOK = ok
                lastBgsaveSeconds = elapsed
                if ok {
                    lastSave = childStart
                    saves += 1
                }
            }
            if ok {
                server.dirty.wrappingAdd(-dirtyAtChildStart, ordering: .relaxed)
                server.log.log(.notice, "Background saving terminated with success")
            } else {
                server.log.log(.warning, "Background saving error")
            }
        } else {
            let done = lock.withLock { () -> ((Bool) -> Void)? in
                child = 0
                let d = otherChildExit
                otherChildExit = nil
                return d
            }
            done?(ok)
        }
    }

    private func cron() {
        reap()
        let cfg = server.config.snapshot
        let now = Sys.unixMillis()
        let (busy, runScheduled, last, lastOK, lastTry) = lock.withLock { (child != 0, scheduled, lastSave, lastBgsaveOK, lastBgsaveTry) }
        if busy { return }
        if runScheduled {
            lock.withLock { scheduled = false }
            _ = startBackgroundSave()
            return
        }
        if loading.load(ordering: .acquiring) { return }
        let dirty = server.dirty.load(ordering: .relaxed)
        for point in cfg.save where dirty >= point.changes && now - last > Int64(point.seconds) * 1000 {
            // After a failed save, retry no sooner than Redis does (5 seconds).
            if !lastOK && now - lastTry < 5000 { break }
            server.log.log(.notice, "\(point.changes) changes in \(point.seconds) seconds. Saving...")
            _ = startBackgroundSave()
            break
        }
    }

    /// SHUTDOWN: save when asked, or when save points exist and `save` is nil.
    private func shutdownSave(_ save: Bool?) -> Bool {
        let cfg = server.config.snapshot
        let pid = lock.withLock { child }
        if pid != 0 {
            kill(pid, SIGUSR1)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            lock.withLock { child = 0 }
        }
        for hook in shutdownHooks { if !hook() { return false } }
        let wantSave = save ?? !cfg.save.isEmpty
        guard wantSave else { return true }
        server.log.log(.notice, "Saving the final RDB snapshot before exiting.")
        if let err = saveNow() {
            server.log.log(.warning, "Error trying to save the DB, can't exit: \(err)")
            return false
        }
        return true
    }

    /// Run at shutdown before the final snapshot (flushing the append-only file).
    public var shutdownHooks: [() -> Bool] = []

    // MARK: loading

    /// Loads the snapshot at `path` if it exists. Returns nil when there is no
    /// file, or throws with a message that must stop start-up.
    @discardableResult
    public func loadSnapshot(_ path: String) throws(RDBError) -> RDBSnapshot.LoadResult? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw RDBError("Fatal error loading the DB: \(String(cString: strerror(errno))). Exiting.")
        }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        let size = Int(st.st_size)
        if size == 0 { throw RDBError("Short read or OOM loading DB. Unrecoverable error, aborting now.") }
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw RDBError("Fatal error loading the DB: cannot map \(path). Exiting.")
        }
        defer { munmap(map, size) }
        var codes: [[UInt8]] = []
        let start = Sys.monotonicNanos()
        let result: RDBSnapshot.LoadResult
        do {
            result = try RDBSnapshot.load(Bytes(start: map.assumingMemoryBound(to: UInt8.self), count: size),
                                          keyspace: server.keyspace, now: Sys.unixMillis(), limits: server.config.snapshot) { codes.append($0) }
        } catch {
            throw RDBError("Error loading \(path): \(error.message)")
        }
        if let f = functions, !codes.isEmpty, let err = f.restoreLibraries(codes, policy: .replace) {
            throw RDBError("Error loading function libraries from \(path): \(err)")
        }
        loadedKeys = result.keys
        loadedExpired = result.expiredSkipped
        let ms = (Sys.monotonicNanos() - start) / 1_000_000
        server.log.log(.notice, "DB loaded from disk: \(Double(ms) / 1000) seconds (\(result.keys) keys, \(result.expiredSkipped) expired skipped, \(result.functions) libraries)")
        return result
    }

    /// Loads the data set at start-up on a background thread while clients get
    /// -LOADING; `load` does the work and returns an error that stops the server.
    public func loadInBackground(_ load: @escaping () -> RDBError?) {
        if loading.load(ordering: .acquiring) { return }
        loading.store(true, ordering: .releasing)
        server.setAdmissionAlert(.loading, true)
        Threads.spawn(name: "cinnabar-load", stackSize: 64 << 20) { [self] in
            if let error = load() {
                self.server.log.log(.warning, error.message)
                fputs("\(error.message)\n", stderr)
                exit(1)
            }
            self.lock.withLock { self.lastSave = Sys.unixMillis() }
            self.server.dirty.store(0, ordering: .relaxed)
            self.loading.store(false, ordering: .releasing)
            self.server.setAdmissionAlert(.loading, false)
        }
    }

    public func shutdown() {}

    // MARK: INFO

    public func infoLines(section: String) -> [String] {
        guard section == "persistence" else { return [] }
        let now = Sys.unixMillis()
        return lock.withLock {
            [
                "loading:\(loading.load(ordering: .relaxed) ? 1 : 0)",
                "rdb_changes_since_last_save:\(server.dirty.load(ordering: .relaxed))",
                "rdb_bgsave_in_progress:\(child != 0 && childIsSnapshot ? 1 : 0)",
                "rdb_last_save_time:\(lastSave / 1000)",
                "rdb_last_bgsave_status:\(lastBgsaveOK ? "ok" : "err")",
                "rdb_last_bgsave_time_sec:\(lastBgsaveSeconds)",
                "rdb_current_bgsave_time_sec:\(child != 0 && childIsSnapshot ? Int((now - childStart) / 1000) : -1)",
                "rdb_saves:\(saves)",
                "rdb_last_load_keys_expired:\(loadedExpired)",
                "rdb_last_load_keys_loaded:\(loadedKeys)",
            ]
        }
    }
}

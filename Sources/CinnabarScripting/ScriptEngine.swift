import CinnabarCore
import CinnabarLua
import Glibc
import Synchronization

/// A script body held by the cache (EVAL / SCRIPT LOAD), with its shebang flags.
struct CachedScript {
    let body: [UInt8]
    let shebangLength: Int
    let flags: ScriptFlags
}

/// Scripting for a server: the script cache shared by every Lua state, one
/// runner (Lua state + script client) per event-loop thread, and the
/// bookkeeping that makes long scripts visible (-BUSY) and killable.
///
/// Atomicity: a script first runs holding only the shards of its declared
/// keys, taking others as it needs them if they are free; when one is busy
/// its writes are undone and it runs again holding every shard (see
/// `ScriptLockSet`). Either way no other command touches what it can see
/// until it returns, and scripts on different shards run in parallel, each
/// loop thread on its own Lua states.
public final class ScriptEngine: ServerExtension, FunctionPersistence, @unchecked Sendable {
    /// The server owns the engine (no reference counting on this hot path).
    public unowned(unsafe) let server: Server
    /// The JIT compiles scripts only when running code can still be interrupted.
    let jitEnabled: Bool

    private let cacheLock = Lock()
    private var scripts: [ShaKey: CachedScript] = [:]
    private var scriptBytes = 0
    private let generation = Atomic<Int>(0)
    private var runners: [ScriptRunner?]
    private let runnersLock = Lock()
    /// Loaded function libraries.
    public let functions = FunctionRegistry()

    /// A script running on some loop thread.
    private struct Run {
        unowned(unsafe) let runner: ScriptRunner
        let thread: pthread_t
        let kind: ScriptKind
        let start: Int64
        var interruptSent = false
        var name: String { runner.scriptName }
    }
    // Runs in progress, one slot per runner (set and cleared by their
    // threads; read by others under `stateLock`).
    private let stateLock = Lock()
    private var slots: [Run?]
    private var runs: [Run] { slots.compactMap { $0 } }
    private var watchdogStarted = false
    /// Commands a script holding only some shards runs only once it holds them all.
    let allShardCommands: Set<Int>
    private let stopping = Atomic<Bool>(false)

    public init(server: Server) {
        self.server = server
        jitEnabled = cinnabar_luajit_checkhook() != 0
        runners = Array(repeating: nil, count: max(1, server.config.snapshot.ioThreads) + 1)
        slots = Array(repeating: nil, count: runners.count)
        allShardCommands = Set(["move", "copy", "info"].compactMap { server.commands.lookup($0)?.id })
        cinnabar_install_interrupts(ScriptEngine.hook)
        server.admissionChecks.append { [unowned(unsafe) self] c, cmd in self.admit(c, cmd) }
    }

    /// Redis's admission rule for scripts that declare flags: unless they are
    /// `no-writes` or `allow-oom`, they count as commands that may grow memory
    /// and are refused while memory is over maxmemory (after the server's own
    /// eviction attempt, which runs first). Scripts without a shebang are
    /// checked command by command inside instead.
    func admit(_ c: Client, _ cmd: CommandSpec) -> CommandError? {
        let maxmemory = c.context.config.maxmemory
        guard maxmemory > 0, cmd.group == .scripting, c.argc >= 2 else { return nil }
        let flags: ScriptFlags
        switch cmd.name {
        case "eval", "eval_ro":
            let key = SHA1.hex(UnsafeRawBufferPointer(c.arg(1))).withBytes { ShaKey(hex: $0)! }
            if let s = cached(key) {
                flags = s.flags
            } else if case .success(let (f, _)) = ScriptEngine.shebang(c.arg(1)) {
                flags = f
            } else {
                return nil
            }
        case "evalsha", "evalsha_ro":
            guard let key = ShaKey(hex: c.arg(1)), let s = cached(key) else { return nil }
            flags = s.flags
        case "fcall", "fcall_ro":
            guard let (_, fn) = functions.function(c.arg(1)) else { return nil }
            flags = fn.flags
        default:
            return nil
        }
        if flags.contains(.evalCompat) || flags.contains(.allowOOM) || flags.contains(.noWrites) { return nil }
        return server.evictor.usedMemory() > maxmemory ? .outOfMemory : nil
    }

    private static let hook: cinnabar_hook_fn = { L in
        LuaVM.of(L).context.onHook(L!)
    }

    // MARK: facts for INFO

    /// Which LuaJIT this server links and whether compiled code runs.
    public var buildDescription: String { String(cString: cinnabar_luajit_build()) }
    public var modeDescription: String {
        jitEnabled ? "jit (compiled code interruptible by SCRIPT KILL)" : "interpreter (JIT off: this LuaJIT cannot interrupt compiled code)"
    }

    public func infoLines(section: String) -> [String] {
        switch section {
        case "server":
            return ["lua_engine:luajit", "luajit_build:\(buildDescription)", "luajit_mode:\(jitEnabled ? "jit" : "interpreter")"]
        case "memory":
            let (luaMemory, functionsVM) = runnersLock.withLock {
                runners.reduce((0, 0)) { ($0.0 + ($1?.evalMemory ?? 0), $0.1 + ($1?.functionMemory ?? 0)) }
            }
            let (count, bytes) = cacheLock.withLock { (scripts.count, scriptBytes) }
            let functionsBytes = functions.memoryEstimate
            return [
                "used_memory_lua:\(luaMemory)",
                "used_memory_vm_eval:\(luaMemory)",
                "used_memory_lua_human:\(humanBytes(luaMemory))",
                "used_memory_scripts_eval:\(bytes)",
                "number_of_cached_scripts:\(count)",
                "number_of_functions:\(functions.functionCount)",
                "number_of_libraries:\(functions.libraryCount)",
                "used_memory_vm_functions:\(functionsVM)",
                "used_memory_vm_total:\(luaMemory + functionsVM)",
                "used_memory_vm_total_human:\(humanBytes(luaMemory + functionsVM))",
                "used_memory_functions:\(functionsBytes)",
                "used_memory_scripts:\(bytes + functionsBytes)",
                "used_memory_scripts_human:\(humanBytes(bytes + functionsBytes))",
            ]
        default:
            return []
        }
    }

    public func libraryCodes() -> [[UInt8]] {
        functions.all.map { $0.code }
    }

    public func restoreLibraries(_ codes: [[UInt8]], policy: LibraryRestorePolicy) -> String? {
        restoreLibraries(codes, policy: policy, runner: auxiliaryRunner)
    }

    public func shutdown() {
        stopping.store(true, ordering: .releasing)
    }

    // MARK: runners

    /// The runner for the loop running `c` (created on first use).
    func runner(for c: Client) -> ScriptRunner {
        let idx = min(c.context.loop.index, runners.count - 1)
        if let r = runners[idx] { return r }
        let r = ScriptRunner(engine: self, context: c.context, slot: idx)
        runnersLock.withLock { runners[idx] = r }
        startWatchdog()
        return r
    }

    // MARK: the script cache

    var cacheGeneration: Int { generation.load(ordering: .acquiring) }

    func cached(_ key: ShaKey) -> CachedScript? {
        cacheLock.withLock { scripts[key] }
    }

    func store(_ key: ShaKey, _ script: CachedScript) {
        cacheLock.withLock {
            if scripts[key] == nil {
                scripts[key] = script
                scriptBytes += script.body.count + 40
            }
        }
    }

    func exists(_ key: ShaKey) -> Bool {
        cacheLock.withLock { scripts[key] != nil }
    }

    /// SCRIPT FLUSH: forgets every script and closes the EVAL states, as
    /// Redis resets its Lua VM: `runner`'s at once, every other loop's by a
    /// task on that loop (a state is only touched by its own thread, and a
    /// task never runs in the middle of a script there).
    func flush(runner: ScriptRunner) {
        cacheLock.withLock {
            scripts.removeAll()
            scriptBytes = 0
        }
        generation.wrappingAdd(1, ordering: .releasing)
        runner.syncWithCache()
        let others = runnersLock.withLock { runners.compactMap { $0 }.filter { $0 !== runner } }
        for r in others {
            r.client.context?.loop.execute { r.syncWithCache() }
        }
    }

    /// Runs `body` holding the lock that guards runners' states against INFO and SCRIPT FLUSH.
    func withRunnersLocked(_ body: () -> Void) {
        runnersLock.withLock(body)
    }

    /// Parses a `#!lua flags=a,b` first line. Returns the flags and the
    /// length to skip (up to, not including, the newline), or Redis's error.
    static func shebang(_ body: Bytes) -> Result<(ScriptFlags, Int), CommandError> {
        guard body.count >= 2, body[0] == 35, body[1] == 33 else { return .success((.evalCompat, 0)) }
        guard let nl = body.firstIndex(of: 10) else { return .failure(.custom("ERR Invalid script shebang")) }
        let line = Bytes(rebasing: body[0..<nl])
        var storage: [UInt8] = [], offs: [Int] = [], lens: [Int] = []
        guard RequestParser.splitArgs(line, into: &storage, offsets: &offs, lengths: &lens), !offs.isEmpty else {
            return .failure(.custom("ERR Invalid engine in script shebang"))
        }
        let parts = zip(offs, lens).map { String(decoding: storage[$0..<($0 + $1)], as: UTF8.self) }
        guard parts[0] == "#!lua" else { return .failure(.custom("ERR Unexpected engine in script shebang: \(parts[0])")) }
        var flags: ScriptFlags = []
        for p in parts.dropFirst() {
            guard p.hasPrefix("flags=") else { return .failure(.custom("ERR Unknown lua shebang option: \(p)")) }
            let list = p.dropFirst(6)
            if list.isEmpty { continue }
            for f in list.split(separator: ",", omittingEmptySubsequences: false) {
                guard let (_, flag) = ScriptFlags.names.first(where: { $0.0 == f }) else {
                    return .failure(.custom("ERR Unexpected flag in script shebang: \(f)"))
                }
                flags.insert(flag)
            }
        }
        return .success((flags, nl))
    }

    // MARK: the run in progress

    /// Marks a run as started (called on the running thread).
    func begin(_ r: ScriptRunner, kind: ScriptKind) {
        let now = Sys.unixMillis()
        let ks = server.keyspace
        ks.busyThresholdMs.store(Int64(r.caller?.context.config.busyReplyThreshold ?? 5000), ordering: .relaxed)
        r.wrote.store(false, ordering: .relaxed)
        r.kill.store(false, ordering: .relaxed)
        stateLock.withLock {
            slots[r.slot] = Run(runner: r, thread: pthread_self(), kind: kind, start: now)
            publishOldest()
        }
    }

    /// Marks `r`'s run as finished.
    func end(_ r: ScriptRunner) {
        stateLock.withLock {
            slots[r.slot] = nil
            publishOldest()
        }
        r.kill.store(false, ordering: .relaxed)
    }

    /// Tells every thread (through the keyspace) when the oldest run started
    /// and what it is, or that none runs. Called under `stateLock`.
    private func publishOldest() {
        let ks = server.keyspace
        var found: Run?
        for case let run? in slots where found == nil || run.start < found!.start { found = run }
        guard let oldest = found else {
            ks.exclusiveSince.store(0, ordering: .releasing)
            ks.busy.store(0, ordering: .releasing)
            return
        }
        ks.exclusiveKind.store(oldest.kind.rawValue, ordering: .relaxed)
        ks.exclusiveSince.store(oldest.start, ordering: .releasing)
        // Busy only while a run past the threshold remains.
        let threshold = ks.busyThresholdMs.load(ordering: .relaxed)
        if threshold <= 0 || Sys.unixMillis() - oldest.start < threshold {
            ks.busy.store(0, ordering: .releasing)
        }
    }

    /// True once the oldest run has passed busy-reply-threshold.
    var isBusy: Bool { server.keyspace.busyKind(now: Sys.unixMillis()) != 0 }

    private static let unkillable = CommandError.custom("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")

    /// SCRIPT KILL / FUNCTION KILL: stops the runs of `kind` that are past
    /// busy-reply-threshold and have not written. Judged as Redis judges its
    /// one script by the oldest busy run. Returns nil on success or the error.
    func requestKill(_ kind: ScriptKind) -> CommandError? {
        stateLock.lock()
        defer { stateLock.unlock() }
        let now = Sys.unixMillis()
        guard server.keyspace.busyKind(now: now) != 0 else {
            return .custom("NOTBUSY No scripts in execution right now.")
        }
        let threshold = server.keyspace.busyThresholdMs.load(ordering: .relaxed)
        let busyRuns = runs.filter { now - $0.start >= threshold }.sorted { $0.start < $1.start }
        guard let first = busyRuns.first else { return .custom("NOTBUSY No scripts in execution right now.") }
        if first.runner.wrote.load(ordering: .relaxed) { return Self.unkillable }
        if first.kind != kind { return first.kind == .function ? .busyFunction : .busyScript }
        for run in busyRuns where run.kind == kind && !run.runner.wrote.load(ordering: .relaxed) {
            run.runner.kill.store(true, ordering: .releasing)
            _ = cinnabar_interrupt_thread(run.thread)
        }
        return nil
    }

    /// Stops whatever runs, writes or not (SHUTDOWN NOSAVE while busy).
    public func forceKill() {
        stateLock.withLock {
            for run in runs {
                run.runner.kill.store(true, ordering: .releasing)
                _ = cinnabar_interrupt_thread(run.thread)
            }
        }
    }

    /// Loads (or with `replace`, replaces) the library in `code`, compiling it in
    /// `runner`'s functions state. The caller holds every shard, so no FCALL
    /// sees a half-installed library. Returns the library name.
    func loadLibrary(_ code: Bytes, replace: Bool, runner: ScriptRunner) -> Result<String, CommandError> {
        let meta: (engine: String, name: String, bodyOffset: Int)
        switch FunctionRegistry.metadata(code) {
        case .failure(let e): return .failure(e)
        case .success(let m): meta = m
        }
        guard FunctionRegistry.validName(meta.name) else {
            return .failure(.custom("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"))
        }
        guard meta.engine.lowercased() == "lua" else { return .failure(.custom("ERR Engine '\(meta.engine)' not found")) }
        let existing = functions.library(meta.name)
        if existing != nil && !replace { return .failure(.custom("ERR Library '\(meta.name)' already exists")) }
        let regs: [Registration]
        switch runner.compileLibrary(Bytes(rebasing: code[(code.startIndex + meta.bodyOffset)...])) {
        case .failure(let e): return .failure(e)
        case .success(let r): regs = r
        }
        let release = { for r in regs { luaL_unref(runner.functionVM.L, cinnabar_registryindex(), r.ref) } }
        if regs.isEmpty { return .failure(.custom("ERR No functions registered")) }
        for r in regs {
            if let owner = functions.functionOwner(r.name), owner != meta.name {
                release()
                return .failure(.custom("ERR Function \(r.name) already exists"))
            }
        }
        let lib = FunctionLibrary(name: meta.name, code: Array(code), bodyOffset: meta.bodyOffset,
                                  functions: regs.map { FunctionInfo(name: $0.name, description: $0.description, flags: $0.flags) })
        if let err = functions.install([lib], replace: true) {
            release()
            return .failure(.custom("ERR " + err))
        }
        runner.adopt(lib, regs)
        return .success(meta.name)
    }

    /// Compiles and installs libraries given as code (FUNCTION RESTORE, snapshots).
    /// All or nothing; returns Redis's error text on failure.
    func restoreLibraries(_ codes: [[UInt8]], policy: LibraryRestorePolicy, runner: ScriptRunner) -> String? {
        var libs: [FunctionLibrary] = []
        var regsByLib: [(FunctionLibrary, [Registration])] = []
        func releaseAll() {
            for (_, regs) in regsByLib { for r in regs { luaL_unref(runner.functionVM.L, cinnabar_registryindex(), r.ref) } }
        }
        for code in codes {
            let parsed: (FunctionLibrary, [Registration])
            switch code.withBytes({ compileForRestore($0, runner: runner) }) {
            case .failure(let e):
                releaseAll()
                return e.text
            case .success(let p): parsed = p
            }
            if libs.contains(where: { $0.name == parsed.0.name }) {
                regsByLib.append(parsed)
                releaseAll()
                return "ERR Library '\(parsed.0.name)' already exists"
            }
            libs.append(parsed.0)
            regsByLib.append(parsed)
        }
        if policy == .flush {
            functions.replaceAll(libs)
        } else if let err = functions.install(libs, replace: policy == .replace) {
            releaseAll()
            return "ERR " + err
        }
        for (lib, regs) in regsByLib { runner.adopt(lib, regs) }
        runner.pruneLibraries(functions)
        return nil
    }

    private func compileForRestore(_ code: Bytes, runner: ScriptRunner) -> Result<(FunctionLibrary, [Registration]), CommandError> {
        let meta: (engine: String, name: String, bodyOffset: Int)
        switch FunctionRegistry.metadata(code) {
        case .failure(let e): return .failure(e)
        case .success(let m): meta = m
        }
        guard FunctionRegistry.validName(meta.name) else {
            return .failure(.custom("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"))
        }
        guard meta.engine.lowercased() == "lua" else { return .failure(.custom("ERR Engine '\(meta.engine)' not found")) }
        switch runner.compileLibrary(Bytes(rebasing: code[(code.startIndex + meta.bodyOffset)...])) {
        case .failure(let e): return .failure(e)
        case .success(let regs):
            if regs.isEmpty { return .failure(.custom("ERR No functions registered")) }
            let lib = FunctionLibrary(name: meta.name, code: Array(code), bodyOffset: meta.bodyOffset,
                                      functions: regs.map { FunctionInfo(name: $0.name, description: $0.description, flags: $0.flags) })
            return .success((lib, regs))
        }
    }

    /// A runner for work outside the event loops (loading at start-up).
    lazy var auxiliaryRunner: ScriptRunner = {
        let r = ScriptRunner(engine: self, context: server.contexts.first, slot: runners.count - 1)
        runnersLock.withLock { runners[runners.count - 1] = r }
        return r
    }()

    /// Arguments of the command that started the running script (FUNCTION STATS).
    var runningCaller: [[UInt8]]? {
        stateLock.withLock { runs.min(by: { $0.start < $1.start }).flatMap { $0.runner.caller?.arguments } }
    }

    /// Name and elapsed time of the oldest running script (FUNCTION STATS).
    func runningInfo() -> (name: String, kind: ScriptKind, elapsedMs: Int64)? {
        stateLock.withLock {
            guard let cur = runs.min(by: { $0.start < $1.start }) else { return nil }
            return (cur.name, cur.kind, Sys.unixMillis() - cur.start)
        }
    }

    /// While busy, serves the other clients of the script's own loop (they get
    /// -BUSY unless they send SCRIPT KILL, FUNCTION KILL or SHUTDOWN NOSAVE).
    func pollWhileBusy(_ r: ScriptRunner) {
        guard let caller = r.caller, let ctx = caller.context else { return }
        server.keyspace.busy.store(r.kind.rawValue, ordering: .releasing)
        ctx.loop.pollNested { $0 !== caller }
        ctx.flushPendingWrites(sparing: caller)
    }

    /// A thread that notices scripts running past busy-reply-threshold and
    /// interrupts them so their own loop keeps answering (-BUSY) meanwhile.
    private func startWatchdog() {
        let start = runnersLock.withLock { () -> Bool in
            if watchdogStarted { return false }
            watchdogStarted = true
            return true
        }
        guard start else { return }
        // A strong reference until shutdown: a weak one would give the engine
        // a side table and slow down every retain of it on the command path.
        Threads.spawn(name: "cinnabar-lua-wd") { [self] in
            while true {
                usleep(20_000)
                // Checked after the sleep: the server may be gone once stopping is set.
                if self.stopping.load(ordering: .acquiring) { return }
                self.watchdogTick()
            }
        }
    }

    private func watchdogTick() {
        let now = Sys.unixMillis()
        stateLock.withLock {
            let threshold = server.keyspace.busyThresholdMs.load(ordering: .relaxed)
            guard threshold > 0 else { return }
            for i in slots.indices {
                guard let cur = slots[i], !cur.interruptSent, now - cur.start >= threshold else { continue }
                slots[i]!.interruptSent = true
                server.keyspace.busy.store(cur.kind.rawValue, ordering: .releasing)
                server.log.log(.warning, "Slow script detected: still in execution after \(now - cur.start) milliseconds. You can try killing the script using the \(cur.kind.killCommand) command. Script name is: \(cur.name).")
                _ = cinnabar_interrupt_thread(cur.thread)
            }
        }
    }
}

func humanBytes(_ n: Int) -> String {
    let d = Double(n)
    if d < 1024 { return "\(n)B" }
    let units = ["K", "M", "G", "T", "P"]
    var v = d / 1024
    var i = 0
    while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
    return String(format2: v) + units[i]
}

extension String {
    /// Two decimals, as Redis's human-readable sizes.
    init(format2 v: Double) {
        let scaled = (v * 100).rounded()
        let whole = Int(scaled) / 100
        let frac = Int(scaled) % 100
        self = "\(whole).\(frac < 10 ? "0" : "")\(frac)"
    }
}

import CinnabarCore
import CinnabarLua
import Glibc
import Synchronization

/// A SHA-1 as 20 raw bytes: a cheap dictionary key for the script cache.
struct ShaKey: Hashable {
    let a: UInt64, b: UInt64, c: UInt32

    /// Parses 40 hex digits (any case); nil when malformed.
    init?(hex: Bytes) {
        guard hex.count == 40 else { return nil }
        // Straight into three words: EVALSHA parses one of these per call.
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        for i in 0..<40 {
            guard let n = Self.nibble(hex[i]) else { return nil }
            switch i {
            case 0..<16: words.0 = words.0 << 4 | UInt64(n)
            case 16..<32: words.1 = words.1 << 4 | UInt64(n)
            default: words.2 = words.2 << 4 | UInt64(n)
            }
        }
        a = words.0; b = words.1; c = UInt32(words.2)
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }

    /// The lowercase hex form.
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        func add(_ v: UInt64, _ n: Int) {
            for i in stride(from: n - 1, through: 0, by: -1) { out.append(digits[Int((v >> (UInt64(i) * 4)) & 0xf)]) }
        }
        add(a, 16); add(b, 16); add(UInt64(c), 8)
        return String(decoding: out, as: UTF8.self)
    }
}

/// Flags a script declares in its `#!lua flags=...` shebang (or a function in
/// its registration), as Redis 7.0 defines them.
struct ScriptFlags: OptionSet {
    let rawValue: Int
    static let noWrites = ScriptFlags(rawValue: 1 << 0)
    static let allowOOM = ScriptFlags(rawValue: 1 << 1)
    static let allowStale = ScriptFlags(rawValue: 1 << 2)
    static let noCluster = ScriptFlags(rawValue: 1 << 3)
    static let allowCrossSlot = ScriptFlags(rawValue: 1 << 4)
    /// No shebang: an old-style script with Redis's compatibility rules.
    static let evalCompat = ScriptFlags(rawValue: 1 << 5)

    static let names: [(String, ScriptFlags)] = [
        ("no-writes", .noWrites), ("allow-oom", .allowOOM), ("allow-stale", .allowStale),
        ("no-cluster", .noCluster), ("allow-cross-slot-keys", .allowCrossSlot),
    ]

    var names: [String] { Self.names.filter { contains($0.1) }.map { $0.0 } }
}

/// What kind of script is running (selects KILL command names and messages).
enum ScriptKind: Int {
    case eval = 1
    case function = 2

    var killCommand: String { self == .eval ? "SCRIPT KILL" : "FUNCTION KILL" }
}

/// Runs scripts on one event-loop thread: owns that thread's Lua states and
/// the socket-less client that executes `redis.call`.
final class ScriptRunner {
    /// FCALL's function lookups on this runner's loop.
    let functionLookups = FunctionLookupCache()
    /// The engine owns its runners (no reference counting on this hot path).
    unowned(unsafe) let engine: ScriptEngine
    /// The EVAL state, created on first use and dropped by SCRIPT FLUSH (as
    /// Redis resets its Lua VM), so idle loops hold no Lua memory.
    private var evalVM: LuaVM?
    let client: Client
    /// Cache generation the compiled functions belong to.
    var generation = -1
    /// Compiled scripts: registry reference of the function and its flags.
    var compiled: [ShaKey: (ref: Int32, flags: ScriptFlags, name: String)] = [:]

    /// The functions state (created on first FUNCTION LOAD or FCALL here).
    var functionVM: LuaVM {
        if let f = functionState { return f }
        let f = makeFunctionVM()
        engine.withRunnersLocked { functionState = f }
        return f
    }
    private var functionState: LuaVM?

    /// Bytes held by the functions state (0 when it does not exist). Read under the engine's runners lock.
    var functionMemory: Int { functionState?.memoryUsed ?? 0 }
    /// Libraries compiled in `functionVM`: the exact library object and its function references.
    var compiledLibraries: [String: (library: FunctionLibrary, refs: [String: Int32])] = [:]
    /// Set while a library's top-level code runs (FUNCTION LOAD).
    var loading: LoadContext?
    /// The state running now (EVAL's or the functions one), set by runEval and fcall.
    var activeVM: LuaVM!

    // State of the run in progress.
    var caller: Client?
    var scriptName = ""
    var kind = ScriptKind.eval
    var readOnly = false
    var flags: ScriptFlags = []
    var scriptResp = RESPVersion.resp2
    /// redis.set_repl flags (REPL_AOF | REPL_REPLICA) for commands the script runs.
    var replicationFlags = 3
    var calls = 0
    /// Memory was over maxmemory when the run started (Redis's pre-command OOM state).
    var outOfMemoryAtStart = false
    /// The run has executed a write command (SCRIPT KILL then refuses).
    let wrote = Atomic<Bool>(false)
    /// SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE asked this run to stop.
    let kill = Atomic<Bool>(false)
    /// The run met a busy shard and is being abandoned, to be repeated holding every shard.
    var abandoning = false
    /// math.random's generator (this thread's scripts only).
    var random = LCG48()
    /// The shards the running script holds when it does not hold them all.
    let lockSet: ScriptLockSet
    /// Scripts (by name) that recently had to be repeated holding every shard:
    /// their next calls take every shard from the start.
    private var serialPenalty: [String: Int] = [:]

    // Argument scratch for redis.call (reused).
    private var argPtrs = UnsafeMutablePointer<UnsafePointer<UInt8>>.allocate(capacity: 64)
    private var argLens = UnsafeMutablePointer<Int>.allocate(capacity: 64)
    private var argCapacity = 64

    /// This runner's place in the engine's table of runs.
    let slot: Int

    init(engine: ScriptEngine, context: LoopContext?, slot: Int) {
        self.engine = engine
        self.slot = slot
        client = engine.server.makeFakeClient(context: context)
        client.flags.insert(.script)
        lockSet = ScriptLockSet(keyspace: engine.server.keyspace, allShardCommands: engine.allShardCommands)
    }

    /// The EVAL state (created when first needed, on the runner's thread).
    var vm: LuaVM {
        if let v = evalVM { return v }
        let v = LuaVM(memoryLimit: engine.server.config.snapshot.luaMemoryLimit)
        v.context = self
        v.setUp(redisTable: { vm in RedisLuaAPI.install(vm, functionsMode: false) },
                extraLibraries: LuaLibraries.all, jitOn: engine.jitEnabled,
                bootstrap: Sandbox.bootstrap(libraries: ["string", "table", "math", "bit", "cjson", "struct", "cmsgpack", "coroutine", "redis"]))
        engine.withRunnersLocked { evalVM = v }
        generation = engine.cacheGeneration
        return v
    }

    /// Bytes held by the EVAL state (0 when it does not exist). Read under the engine's runners lock.
    var evalMemory: Int { evalVM?.memoryUsed ?? 0 }

    /// Closes the EVAL state; the next script builds a fresh one. Called on
    /// the runner's own thread, between scripts, holding the runners lock.
    func dropEvalVM() {
        evalVM = nil
        activeVM = nil
        compiled.removeAll()
    }

    deinit {
        argPtrs.deallocate()
        argLens.deallocate()
    }

    // MARK: the script cache

    /// After SCRIPT FLUSH (a new cache generation), closes the EVAL state so
    /// the next script starts from a fresh one, as Redis resets its Lua VM.
    func syncWithCache() {
        let g = engine.cacheGeneration
        guard g != generation else { return }
        if evalVM != nil { engine.withRunnersLocked { dropEvalVM() } }
        compiled.removeAll()
        generation = g
    }

    /// Compiles `body` (minus its shebang line, keeping the newline so line
    /// numbers stay right) into a sandboxed function. Returns the reference
    /// or Redis's compile error text.
    func compile(_ key: ShaKey, body: Bytes, shebangLength: Int, flags: ScriptFlags) -> Result<Int32, CommandError> {
        let L = vm.L
        let code = Bytes(rebasing: body[shebangLength...])
        let rc = luaL_loadbuffer(L, UnsafeRawPointer(code.baseAddress ?? UnsafePointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self),
                                 code.count, "@user_script")
        if rc != 0 {
            let msg = vm.string(at: -1) ?? "unknown error"
            lua_settop(L, -2)
            return .failure(.custom("ERR Error compiling script (new function): \(msg)"))
        }
        vm.pushRef(vm.sandboxRef)
        lua_setfenv(L, -2)
        let ref = luaL_ref(L, cinnabar_registryindex())
        compiled[key] = (ref, flags, key.hex)
        return .success(ref)
    }

    // MARK: running

    /// Runs the function referenced by `ref` for `caller` with KEYS/ARGV taken
    /// from the caller's arguments starting at `firstKey` (EVAL mode) and
    /// writes the reply to the caller. The caller holds every shard.
    func runEval(_ caller: Client, ref: Int32, name: String, flags: ScriptFlags, readOnly: Bool, firstKey: Int, numkeys: Int) {
        let vm = self.vm
        activeVM = vm
        let L = vm.L
        execute(caller, name: name, kind: .eval, flags: flags, readOnly: readOnly, keys: firstKey..<(firstKey + numkeys)) {
            lua_settop(L, 0)
            vm.pushRef(vm.errorHandlerRef)
            vm.pushRef(ref)
            vm.pushRef(vm.globalsRef)
            self.pushArray(caller, from: firstKey, count: numkeys)
            lua_setfield(L, -2, "KEYS")
            self.pushArray(caller, from: firstKey + numkeys, count: caller.argc - firstKey - numkeys)
            lua_setfield(L, -2, "ARGV")
            lua_settop(L, -2)
            return 0
        }
    }

    /// Pushes caller arguments `from..<from+count` as a Lua array.
    func pushArray(_ c: Client, from: Int, count: Int) {
        let vm: LuaVM = activeVM
        let L = vm.L
        lua_createtable(L, Int32(count), 0)
        for i in 0..<count {
            vm.push(c.arg(from + i))
            lua_rawseti(L, -2, Int32(i + 1))
        }
    }

    /// Whether a run of `name` for `caller` may start holding only its
    /// declared keys' shards (see `ScriptLockSet`) rather than every shard.
    private func mayHoldSomeShards(_ caller: Client, _ name: String) -> Bool {
        let server = engine.server
        // Keyspace events and MONITOR lines cannot be taken back if the run is repeated.
        if server.keyspace.shards.count == 1 || server.monitors.isActive || caller.context.config.notifyKeyspaceEvents != 0 {
            return false
        }
        if !serialPenalty.isEmpty, let p = serialPenalty[name] {
            serialPenalty[name] = p > 1 ? p - 1 : nil
            return false
        }
        return true
    }

    /// Runs the function `prepare` pushes (error handler, function, then the
    /// returned number of arguments) with the locks the run needs, and
    /// replies to `caller`. Unless the caller already holds every shard
    /// (EXEC), the run first holds only the shards of its declared keys
    /// (`keys`, argument indices); when it needs one that is busy, its writes
    /// are undone and it is repeated holding every shard. The locks are
    /// released by `Server.call` once the script's effects are logged.
    func execute(_ caller: Client, name: String, kind: ScriptKind, flags: ScriptFlags, readOnly: Bool,
                 keys: Range<Int>, prepare: () -> Int32) {
        let vm: LuaVM = activeVM
        let L = vm.L
        self.caller = caller
        scriptName = name
        self.kind = kind
        self.flags = flags
        self.readOnly = readOnly
        scriptResp = .resp2
        replicationFlags = 3
        let maxmemory = caller.context.config.maxmemory
        outOfMemoryAtStart = maxmemory > 0 && engine.server.evictor.usedMemory() > maxmemory
        client.reply.resp = .resp2
        client.dbIndex = caller.dbIndex
        client.context = caller.context
        client.now = caller.now
        client.authenticated = true
        vm.allocator.refused = false
        vm.allocator.limit = caller.context.config.luaMemoryLimit

        let ctx: LoopContext = caller.context
        var everyShard = caller.holdsAllShards || !mayHoldSomeShards(caller, name)
        var rc: Int32 = 0
        while true {
            var set: ScriptLockSet?
            if !caller.holdsAllShards {
                let s = lockSet
                let ks = engine.server.keyspace
                let ok = everyShard ? s.takeAllWaiting() : s.takeDeclared(caller, keys: keys)
                if !ok {
                    lua_settop(L, 0)
                    caller.fail(ks.busyKind(now: Sys.unixMillis()) == 2 ? .busyFunction : .busyScript)
                    if let cmd = caller.currentCommand { ctx.stats.rejected[cmd.id] += 1 }
                    self.caller = nil
                    return
                }
                caller.deferredLocks = s
                set = s
            }
            client.holdsAllShards = caller.holdsAllShards || set?.holdsAll == true
            client.scriptLocks = client.holdsAllShards ? nil : set
            let propagationMark = ctx.nestedPropagation.count
            let changesMark = client.changes
            abandoning = false
            let nargs = prepare()
            engine.begin(self, kind: kind)
            cinnabar_set_running(L)
            rc = cinnabar_pcall(L, nargs, 1, -(nargs + 2))
            cinnabar_set_running(nil)
            cinnabar_clear_hook(L)
            engine.end(self)
            client.scriptLocks = nil
            guard let s = set, s.conflict else { break }
            // A shard it needed was busy: nobody has seen what the run did, so
            // undo it and run again holding every shard.
            s.undo()
            let extra = ctx.nestedPropagation.count - propagationMark
            if extra > 0 { ctx.nestedPropagation.removeLast(extra) }
            let undone = client.changes &- changesMark
            if undone != 0 {
                client.changes = changesMark
                engine.server.markDirty(-undone)
            }
            caller.deferredLocks = nil
            s.release()
            lua_settop(L, 0)
            if serialPenalty.count >= 1024 { serialPenalty.removeAll() }
            serialPenalty[name] = 64
            everyShard = true
        }
        abandoning = false

        let out = caller.reply
        if rc == 0 {
            let errorsBefore = caller.context.stats.totalErrorReplies
            LuaReply.write(vm, out, scriptResp: scriptResp, caller: caller)
            // Errors nested in the reply make the call count as failed (once).
            if !caller.commandFailed && caller.context.stats.totalErrorReplies > errorsBefore, let cmd = caller.currentCommand {
                caller.context.stats.failed[cmd.id] += 1
            }
        } else if vm.allocator.refused {
            // Lua's own allocation failures and the libraries' checks before
            // building large results both end here, whatever the error value.
            caller.replyError("ERR Error running script \(name), not enough memory (lua-memory-limit of \(vm.allocator.limit) bytes reached)")
            lua_settop(L, -2)
        } else if lua_type(L, -1) == LUA_TTABLE {
            let msg = LuaReply.errorMessage(vm, scriptName: name)
            caller.replyError(bytes: msg, updateStats: !LuaReply.ignoresErrorStats(vm))
            lua_settop(L, -2)
        } else {
            let text = vm.string(at: -1) ?? "execution failure"
            caller.replyError("ERR Error running script \(name), \(String(text.prefix(100)))")
            lua_settop(L, -2)
        }
        lua_settop(L, 0)
        if vm.allocator.refused {
            lua_gc(L, LUA_GCCOLLECT, 0)
        } else {
            calls += 1
            if calls % 50 == 0 { lua_gc(L, LUA_GCSTEP, 50) }
        }
        self.caller = nil
    }

    // MARK: redis.call

    /// redis.call / redis.pcall: runs a command through the command table as
    /// a client would, with the rules Redis applies to scripts. Returns the
    /// number of results, or -1 with an error table pushed (raised by C).
    func call(_ L: LuaState, raise: Bool) -> Int32 {
        let vm = LuaVM.of(L)
        guard let caller else {
            vm.pushErrorTable("ERR redis.call/pcall can only be called inside a script invocation")
            return -1
        }
        let argc = Int(lua_gettop(L))
        if argc == 0 {
            vm.pushErrorTable("ERR Please specify at least one argument for this redis lib call")
            return raise ? -1 : 1
        }
        if argc > argCapacity {
            argPtrs.deallocate(); argLens.deallocate()
            argCapacity = max(argc, argCapacity * 2)
            argPtrs = .allocate(capacity: argCapacity)
            argLens = .allocate(capacity: argCapacity)
        }
        for i in 1...argc {
            let idx = Int32(i)
            let t = lua_type(L, idx)
            if t == LUA_TNUMBER {
                // Numbers are sent as %.17g text, which keeps full precision.
                let text = Numbers.formatDouble17g(lua_tonumber(L, idx))
                text.withBytes { vm.push($0) }
                lua_replace(L, idx)
            } else if t != LUA_TSTRING {
                lua_settop(L, 0)
                vm.pushErrorTable("ERR Lua redis lib command arguments must be strings or integers")
                return raise ? -1 : 1
            }
            var len = 0
            let p = cinnabar_tolstring(L, idx, &len)!
            argPtrs[i - 1] = UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self)
            argLens[i - 1] = len
        }
        client.load(pointers: argPtrs, lengths: argLens, count: argc)
        client.context = caller.context
        if let error = check(client) {
            lua_settop(L, 0)
            client.reply.reset()
            // Redis replies this refusal to the script's client, which counts it once.
            caller.countErrorReply(error.text)
            vm.pushErrorTable(error.text)
            lua_pushboolean(L, 1)
            lua_setfield(L, -2, "ignore_error_stats_update")
            return raise ? -1 : 1
        }
        let cmd = pendingCommand!
        if cmd.flags.contains(.write) { wrote.store(true, ordering: .relaxed) }
        client.reply.resp = scriptResp
        engine.server.call(client, cmd)
        if let locks = client.scriptLocks, locks.conflict {
            // A shard this command needs is busy: abandon the run (even under
            // pcall: the hook raises again at every instruction until it ends).
            abandoning = true
            cinnabar_set_periodic_hook(L, 1)
            lua_settop(L, 0)
            client.reply.reset()
            vm.pushErrorTable(Self.abandonMessage)
            return -1
        }
        lua_settop(L, 0)
        let reply = client.reply.bytes(from: 0)
        var pos = 0
        let isError = reply.count > 0 && reply[0] == 45
        LuaReply.push(vm, reply, &pos)
        client.reply.reset()
        return raise && isError ? -1 : 1
    }

    private var pendingCommand: CommandSpec?

    /// Raised inside a run being abandoned (never seen by clients: the run is repeated).
    static let abandonMessage = "ERR script run abandoned to be repeated holding every shard"


    /// Redis's script-call checks; sets `pendingCommand` when the call may run.
    /// Refusals of a known command count as its rejected calls, as in Redis.
    private func check(_ c: Client) -> CommandError? {
        let server = engine.server
        guard var cmd = server.commands.lookup(c.arg(0)) else {
            return .custom("ERR Unknown Redis command called from script")
        }
        if !cmd.subcommands.isEmpty && c.argc >= 2 {
            guard let sub = cmd.subcommand(c.arg(1)) else { return .custom("ERR Unknown Redis command called from script") }
            cmd = sub
        }
        func refuse(_ e: CommandError) -> CommandError {
            c.context.stats.rejected[cmd.id] += 1
            return e
        }
        guard cmd.arityMatches(c.argc), cmd.handler != nil else {
            return refuse(.custom("ERR Wrong number of args calling Redis command from script"))
        }
        if cmd.flags.contains(.noscript) {
            return refuse(.custom("ERR This Redis command is not allowed from script"))
        }
        // Commands of a script run with the permissions of the client that called it.
        if server.acl.restricted.load(ordering: .relaxed), let caller, c.user !== caller.user {
            c.setUser(caller.user, authenticated: true)
        }
        if server.acl.restricted.load(ordering: .relaxed), let caller,
           let (denial, position) = server.acl.check(c, cmd, as: caller.user) {
            server.acl.logDenial(c, denial, .lua, position: position, cmd: cmd, username: caller.user.name, infoFrom: caller)
            return refuse(.custom("ERR The user executing the script \(denial.scriptMessage)"))
        }
        if readOnly && (cmd.flags.contains(.write) || cmd.flags.contains(.mayReplicate)) {
            return refuse(.readonlyScript)
        }
        // Over maxmemory when the script started: commands that may grow memory
        // are refused until the script has written (it cannot stop half way then).
        if outOfMemoryAtStart && cmd.flags.contains(.denyoom) && !wrote.load(ordering: .relaxed)
            && !(flags.contains(.allowOOM) && !flags.contains(.evalCompat)) {
            return refuse(.outOfMemory)
        }
        pendingCommand = cmd
        return nil
    }

    // MARK: interrupts

    /// The hook LuaJIT runs after an interrupt: raise the kill error, or while
    /// the script is past busy-reply-threshold serve this loop's other clients
    /// (they get -BUSY; SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE work).
    func onHook(_ L: LuaState) -> Int32 {
        let vm = LuaVM.of(L)
        if let load = loading {
            if Sys.unixMillis() > load.deadline {
                cinnabar_set_periodic_hook(L, 1)
                vm.pushErrorTable("ERR FUNCTION LOAD timeout")
                return 1
            }
            return 0
        }
        if abandoning {
            cinnabar_set_periodic_hook(L, 1)
            vm.pushErrorTable(Self.abandonMessage)
            return 1
        }
        if kill.load(ordering: .acquiring) {
            cinnabar_set_periodic_hook(L, 1)
            vm.pushErrorTable("ERR Script killed by user with SCRIPT KILL...")
            return 1
        }
        if engine.isBusy {
            cinnabar_set_periodic_hook(L, 100_000)
            engine.pollWhileBusy(self)
            if kill.load(ordering: .acquiring) {
                cinnabar_set_periodic_hook(L, 1)
                vm.pushErrorTable("ERR Script killed by user with SCRIPT KILL...")
                return 1
            }
            return 0
        }
        // Not busy (an interrupt that raced the end of an earlier script): run hook-free again.
        cinnabar_clear_hook(L)
        return 0
    }
}

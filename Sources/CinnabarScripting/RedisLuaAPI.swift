import CinnabarCore
import CinnabarLua
import Glibc

/// The `redis` table scripts see: redis.call, redis.pcall and the helpers
/// Redis 7.0 provides, implemented as Swift functions behind the C trampoline.
enum RedisLuaAPI {
    /// Fills the table on top of the stack. In functions mode the table is
    /// the run-time API of FCALL (registration lives elsewhere).
    static func install(_ vm: LuaVM, functionsMode: Bool) {
        vm.setFunction("call", call)
        vm.setFunction("pcall", pcall)
        vm.setFunction("log", log)
        vm.setNumber("LOG_DEBUG", 0)
        vm.setNumber("LOG_VERBOSE", 1)
        vm.setNumber("LOG_NOTICE", 2)
        vm.setNumber("LOG_WARNING", 3)
        vm.setFunction("setresp", setresp)
        vm.setFunction("sha1hex", sha1hex)
        vm.setFunction("error_reply", errorReply)
        vm.setFunction("status_reply", statusReply)
        vm.setFunction("set_repl", setRepl)
        vm.setNumber("REPL_NONE", 0)
        vm.setNumber("REPL_AOF", 1)
        vm.setNumber("REPL_SLAVE", 2)
        vm.setNumber("REPL_REPLICA", 2)
        vm.setNumber("REPL_ALL", 3)
        vm.setFunction("acl_check_cmd", aclCheckCmd)
        vm.setNumber("REDIS_VERSION_NUM", Double(ServerInfo.versionNum))
        vm.setString("REDIS_VERSION", ServerInfo.redisVersion)
        if !functionsMode {
            vm.setFunction("replicate_commands", replicateCommands)
            vm.setFunction("breakpoint", breakpoint)
            vm.setFunction("debug", debug)
        }
        cinnabar_getglobal(vm.L, "math")
        vm.setFunction("random", mathRandom)
        vm.setFunction("randomseed", mathRandomseed)
        lua_settop(vm.L, -2)
    }

    /// The `redis` table a library sees while FUNCTION LOAD runs its top-level code.
    static func installLoadAPI(_ vm: LuaVM) {
        vm.setFunction("register_function", registerFunction)
        vm.setFunction("log", log)
        vm.setNumber("LOG_DEBUG", 0)
        vm.setNumber("LOG_VERBOSE", 1)
        vm.setNumber("LOG_NOTICE", 2)
        vm.setNumber("LOG_WARNING", 3)
        vm.setNumber("REDIS_VERSION_NUM", Double(ServerInfo.versionNum))
        vm.setString("REDIS_VERSION", ServerInfo.redisVersion)
    }

    static let registerFunction: cinnabar_swift_fn = { L in LuaVM.of(L).context.registerFunction(L!) }

    static let call: cinnabar_swift_fn = { L in LuaVM.of(L).context.call(L!, raise: true) }
    static let pcall: cinnabar_swift_fn = { L in LuaVM.of(L).context.call(L!, raise: false) }

    static let log: cinnabar_swift_fn = { L in
        let vm = LuaVM.of(L)
        let argc = lua_gettop(L)
        if argc < 2 {
            vm.pushErrorTable("ERR redis.log() requires two arguments or more.")
            return -1
        }
        if lua_isnumber(L, 1) == 0 {
            vm.pushErrorTable("ERR First argument must be a number (log level).")
            return -1
        }
        let level = Int(lua_tonumber(L, 1))
        guard let lv = LogLevel(rawValue: level), level <= LogLevel.warning.rawValue else {
            vm.pushErrorTable("ERR Invalid debug level.")
            return -1
        }
        var parts: [String] = []
        for i in 2...argc {
            if let s = vm.string(at: i) { parts.append(s) }
        }
        vm.context.engine.server.log.log(lv, parts.joined(separator: " "))
        return 0
    }

    static let setresp: cinnabar_swift_fn = { L in
        let vm = LuaVM.of(L)
        guard vm.context.caller != nil else {
            vm.pushErrorTable("ERR redis.setresp can only be called inside a script invocation")
            return -1
        }
        if lua_gettop(L) != 1 {
            vm.pushErrorTable("ERR redis.setresp() requires one argument.")
            return -1
        }
        let v = Int(lua_tonumber(L, 1))
        guard v == 2 || v == 3 else {
            vm.pushErrorTable("ERR RESP version must be 2 or 3.")
            return -1
        }
        vm.context.scriptResp = v == 3 ? .resp3 : .resp2
        return 0
    }

    static let sha1hex: cinnabar_swift_fn = { L in
        let vm = LuaVM.of(L)
        if lua_gettop(L) != 1 {
            vm.pushErrorTable("ERR wrong number of arguments")
            return -1
        }
        let data = vm.bytes(at: 1) ?? Bytes(start: nil, count: 0)
        let digest = SHA1.hex(UnsafeRawBufferPointer(data))
        digest.withBytes { vm.push($0) }
        return 1
    }

    static let errorReply: cinnabar_swift_fn = { L in
        let vm = LuaVM.of(L)
        guard lua_gettop(L) == 1, lua_type(L, -1) == LUA_TSTRING, let text = vm.bytes(at: 1) else {
            vm.pushErrorTable("ERR wrong number or type of arguments")
            return 1
        }
        var body = Array(text)
        if body.first == 45 { body.removeFirst() }
        lua_settop(L, 0)
        lua_createtable(L, 0, 1)
        var msg = body
        while let l = msg.last, l == 13 || l == 10 { msg.removeLast() }
        if let space = msg.firstIndex(of: 32) {
            _ = space
        } else {
            msg = Array("ERR ".utf8) + msg
        }
        msg.withBytes { vm.push($0) }
        lua_setfield(L, -2, "err")
        return 1
    }

    static let statusReply: cinnabar_swift_fn = { L in
        let vm = LuaVM.of(L)
        guard lua_gettop(L) == 1, lua_type(L, -1) == LUA_TSTRING else {
            vm.pushErrorTable("ERR wrong number or type of arguments")
            return 1
        }
        lua_createtable(L, 0, 1)
        lua_pushvalue(L, 1)
        lua_setfield(L, -2, "ok")
        return 1
    }

    static let setRepl: cinnabar_swift_fn = { L in
        let vm = LuaVM.of(L)
        guard vm.context.caller != nil else {
            vm.pushErrorTable("ERR redis.set_repl can only be called inside a script invocation")
            return -1
        }
        if lua_gettop(L) != 1 {
            vm.pushErrorTable("ERR redis.set_repl() requires two arguments.")
            return -1
        }
        let flags = Int(lua_tonumber(L, 1))
        if flags & ~3 != 0 {
            vm.pushErrorTable("ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
            return -1
        }
        vm.context.replicationFlags = flags
        return 0
    }

    static let aclCheckCmd: cinnabar_swift_fn = { L in
        let vm = LuaVM.of(L)
        guard vm.context.caller != nil else {
            vm.pushErrorTable("ERR redis.acl_check_cmd can only be called inside a script invocation")
            return -1
        }
        if lua_gettop(L) == 0 {
            vm.pushErrorTable("ERR Please specify at least one argument for this redis lib call")
            return -1
        }
        let server = vm.context.engine.server
        var args: [[UInt8]] = []
        for i in 1...lua_gettop(L) {
            guard let b = vm.bytes(at: i) else {
                vm.pushErrorTable("ERR Lua redis lib command arguments must be strings or integers")
                return -1
            }
            args.append(Array(b))
        }
        var found = args[0].withUnsafeBufferPointer { server.commands.lookup($0) }
        if let base = found, !base.subcommands.isEmpty, args.count >= 2 {
            found = args[1].withUnsafeBufferPointer { base.subcommand($0) }
        }
        guard let cmd = found, let caller = vm.context.caller else {
            vm.pushErrorTable("ERR Invalid command passed to redis.acl_check_cmd()")
            return -1
        }
        let probe = server.makeFakeClient(context: caller.context)
        probe.load(OwnedCommand(args))
        let denied = server.acl.check(caller.user, cmd, args) { spec in ACL.keyArguments(spec, probe) }
        lua_pushboolean(L, denied == nil ? 1 : 0)
        return 1
    }

    static let replicateCommands: cinnabar_swift_fn = { L in
        lua_pushboolean(L, 1)
        return 1
    }

    static let breakpoint: cinnabar_swift_fn = { L in
        lua_pushboolean(L, 0)
        return 1
    }

    static let debug: cinnabar_swift_fn = { _ in 0 }

    /// Redis's math.random: its own generator, reseeded before every run.
    static let mathRandom: cinnabar_swift_fn = { L in
        let vm = LuaVM.of(L)
        let r = Double(vm.context.random.next() % LCG48.max) / Double(LCG48.max)
        switch lua_gettop(L) {
        case 0:
            lua_pushnumber(L, r)
        case 1:
            guard let u = LuaArgs.integer(L, 1).map({ Int32(truncatingIfNeeded: $0) }) else { return -1 }
            if u < 1 { return LuaArgs.argError(L, 1, "interval is empty") }
            lua_pushnumber(L, (r * Double(u)).rounded(.down) + 1)
        case 2:
            guard let l = LuaArgs.integer(L, 1).map({ Int32(truncatingIfNeeded: $0) }),
                  let u = LuaArgs.integer(L, 2).map({ Int32(truncatingIfNeeded: $0) }) else { return -1 }
            if l > u { return LuaArgs.argError(L, 2, "interval is empty") }
            lua_pushnumber(L, (r * (Double(u) - Double(l) + 1)).rounded(.down) + Double(l))
        default:
            return LuaArgs.error(L, "wrong number of arguments")
        }
        return 1
    }

    static let mathRandomseed: cinnabar_swift_fn = { L in
        let vm = LuaVM.of(L)
        guard let seed = LuaArgs.integer(L, 1) else { return -1 }
        vm.context.random.seed(Int32(truncatingIfNeeded: seed))
        return 0
    }
}

/// A 48-bit linear congruential generator with the drand48 constants, so
/// math.random gives the same sequence for the same seed on every platform.
struct LCG48 {
    static let max: UInt64 = 1 << 31
    private var x: UInt64 = 0x1234ABCD330E

    mutating func seed(_ s: Int32) {
        x = (UInt64(UInt32(bitPattern: s)) << 16) | 0x330E
    }

    mutating func next() -> UInt64 {
        x = (0x5DEECE66D &* x &+ 0xB) & 0xFFFF_FFFF_FFFF
        return x >> 17
    }
}

import CinnabarCore
import CinnabarLua
import Glibc

/// A function registered while a library loads.
struct Registration {
    let name: String
    let ref: Int32
    let description: String?
    let flags: ScriptFlags
}

/// State of a library being loaded in this runner's functions state.
final class LoadContext {
    let deadline: Int64
    var registrations: [Registration] = []
    init(deadline: Int64) { self.deadline = deadline }
}

/// FUNCTION LOAD time limit, as Redis's LOAD_TIMEOUT_MS.
let functionLoadTimeoutMs: Int64 = 500

extension ScriptRunner {
    /// Creates this runner's functions state (separate from EVAL's, as in Redis).
    func makeFunctionVM() -> LuaVM {
        let f = LuaVM(memoryLimit: engine.server.config.snapshot.luaMemoryLimit)
        f.context = self
        f.setUp(redisTable: { vm in RedisLuaAPI.install(vm, functionsMode: true) },
                extraLibraries: LuaLibraries.all, jitOn: engine.jitEnabled,
                bootstrap: Sandbox.bootstrap(libraries: ["string", "table", "math", "bit", "cjson", "struct", "cmsgpack", "coroutine", "redis"],
                                             functionsMode: true),
                loadTable: { vm in RedisLuaAPI.installLoadAPI(vm) })
        return f
    }

    /// Runs a library's top-level code in load mode, collecting registered
    /// functions. `body` starts at the line feed ending the shebang.
    func compileLibrary(_ body: Bytes) -> Result<[Registration], CommandError> {
        let vm = functionVM
        let L = vm.L
        lua_settop(L, 0)
        setView(loading: true)
        defer { setView(loading: false) }
        let rc = luaL_loadbuffer(L, UnsafeRawPointer(body.baseAddress ?? UnsafePointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self),
                                 body.count, "@user_function")
        if rc != 0 {
            let msg = vm.string(at: -1) ?? "unknown error"
            lua_settop(L, 0)
            return .failure(.custom("ERR Error compiling function: \(msg)"))
        }
        vm.pushRef(vm.sandboxRef)
        lua_setfenv(L, -2)
        let load = LoadContext(deadline: Sys.unixMillis() + functionLoadTimeoutMs)
        loading = load
        vm.allocator.refused = false
        cinnabar_set_periodic_hook(L, 100_000)
        let status = cinnabar_pcall(L, 0, 0, 0)
        cinnabar_clear_hook(L)
        loading = nil
        if status != 0 {
            var msg: String
            if lua_type(L, -1) == LUA_TTABLE {
                lua_getfield(L, -1, "err")
                msg = vm.string(at: -1) ?? "ERR unknown error"
                lua_settop(L, -2)
            } else {
                msg = "ERR " + (vm.string(at: -1) ?? "unknown error")
            }
            lua_settop(L, 0)
            for r in load.registrations { luaL_unref(L, cinnabar_registryindex(), r.ref) }
            return .failure(.custom("ERR Error registering functions: \(msg)"))
        }
        lua_settop(L, 0)
        return .success(load.registrations)
    }

    private func setView(loading: Bool) {
        let L = functionVM.L
        functionVM.pushRef(functionVM.switchRef)
        lua_pushboolean(L, loading ? 1 : 0)
        lua_call(L, 1, 0)
    }

    /// Function references of `lib` in this runner's state, compiling it when
    /// this state has not seen this exact library object yet.
    func references(for lib: FunctionLibrary) -> Result<[String: Int32], CommandError> {
        if let c = compiledLibraries[lib.name], c.library === lib { return .success(c.refs) }
        let result = lib.code.withBytes { compileLibrary(Bytes(rebasing: $0[lib.bodyOffset...])) }
        switch result {
        case .failure(let e):
            return .failure(e)
        case .success(let regs):
            adopt(lib, regs)
            return .success(compiledLibraries[lib.name]!.refs)
        }
    }

    /// Records the compiled functions of `lib`, releasing an older version's.
    func adopt(_ lib: FunctionLibrary, _ regs: [Registration]) {
        if let old = compiledLibraries[lib.name] {
            for (_, ref) in old.refs { luaL_unref(functionVM.L, cinnabar_registryindex(), ref) }
        }
        var refs: [String: Int32] = [:]
        for r in regs { refs[r.name] = r.ref }
        compiledLibraries[lib.name] = (lib, refs)
    }

    /// Drops compiled libraries the registry no longer has.
    func pruneLibraries(_ registry: FunctionRegistry) {
        for (name, c) in compiledLibraries where registry.library(name) !== c.library {
            for (_, ref) in c.refs { luaL_unref(functionVM.L, cinnabar_registryindex(), ref) }
            compiledLibraries[name] = nil
        }
    }

    /// FCALL: runs `fn` of `lib` with keys and args from the caller's arguments (numkeys at index 2).
    func fcall(_ caller: Client, lib: FunctionLibrary, fn: FunctionInfo, numkeys: Int, readOnly: Bool) {
        let refs: [String: Int32]
        switch references(for: lib) {
        case .failure(let e):
            caller.fail(e)
            return
        case .success(let r):
            refs = r
        }
        guard let ref = refs[fn.name] else {
            caller.fail(.custom("ERR Function not found"))
            return
        }
        let vm = functionVM
        let L = vm.L
        activeVM = vm
        execute(caller, name: fn.name, kind: .function, flags: fn.flags, readOnly: readOnly, keys: 3..<(3 + numkeys)) {
            lua_settop(L, 0)
            vm.pushRef(vm.errorHandlerRef)
            vm.pushRef(ref)
            self.pushArray(caller, from: 3, count: numkeys)
            self.pushArray(caller, from: 3 + numkeys, count: caller.argc - 3 - numkeys)
            return 2
        }
        activeVM = nil
    }

    /// redis.register_function, during FUNCTION LOAD only.
    func registerFunction(_ L: LuaState) -> Int32 {
        let vm = functionVM
        guard let load = loading else {
            vm.pushErrorTable("ERR redis.register_function can only be called on FUNCTION LOAD command")
            return -1
        }
        let argc = lua_gettop(L)
        guard argc == 1 || argc == 2 else {
            vm.pushErrorTable("ERR wrong number of arguments to redis.register_function")
            return -1
        }
        var name: String?
        var description: String?
        var ref: Int32 = LUA_NOREF
        var flags: ScriptFlags = []
        func fail(_ msg: String) -> Int32 {
            if ref != LUA_NOREF { luaL_unref(L, cinnabar_registryindex(), ref) }
            vm.pushErrorTable("ERR " + msg)
            return -1
        }
        if argc == 2 {
            guard lua_isstring(L, 1) != 0, let n = vm.string(at: 1) else { return fail("first argument to redis.register_function must be a string") }
            guard lua_type(L, 2) == LUA_TFUNCTION else { return fail("second argument to redis.register_function must be a function") }
            name = n
            lua_pushvalue(L, 2)
            ref = luaL_ref(L, cinnabar_registryindex())
        } else {
            guard lua_type(L, 1) == LUA_TTABLE else {
                return fail("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
            }
            lua_pushnil(L)
            while lua_next(L, 1) != 0 {
                guard lua_type(L, -2) == LUA_TSTRING || lua_type(L, -2) == LUA_TNUMBER, let key = vm.string(at: -2)?.lowercased() else {
                    return fail("named argument key given to redis.register_function is not a string")
                }
                switch key {
                case "function_name":
                    guard lua_isstring(L, -1) != 0, let v = vm.string(at: -1) else {
                        return fail("function_name argument given to redis.register_function must be a string")
                    }
                    name = v
                case "description":
                    guard lua_isstring(L, -1) != 0, let v = vm.string(at: -1) else {
                        return fail("description argument given to redis.register_function must be a string")
                    }
                    description = v
                case "callback":
                    guard lua_type(L, -1) == LUA_TFUNCTION else {
                        return fail("callback argument given to redis.register_function must be a function")
                    }
                    if ref != LUA_NOREF { luaL_unref(L, cinnabar_registryindex(), ref) }
                    lua_pushvalue(L, -1)
                    ref = luaL_ref(L, cinnabar_registryindex())
                case "flags":
                    guard lua_type(L, -1) == LUA_TTABLE else {
                        return fail("flags argument to redis.register_function must be a table representing function flags")
                    }
                    var i: Int32 = 1
                    while true {
                        lua_rawgeti(L, -1, i)
                        if lua_type(L, -1) == LUA_TNIL { lua_settop(L, -2); break }
                        guard lua_isstring(L, -1) != 0, let f = vm.string(at: -1)?.lowercased(),
                              let (_, flag) = ScriptFlags.names.first(where: { $0.0 == f }) else {
                            return fail("unknown flag given")
                        }
                        flags.insert(flag)
                        lua_settop(L, -2)
                        i += 1
                    }
                default:
                    return fail("unknown argument given to redis.register_function")
                }
                lua_settop(L, -2)
            }
            guard name != nil else { return fail("redis.register_function must get a function name argument") }
            guard ref != LUA_NOREF else { return fail("redis.register_function must get a callback argument") }
        }
        let fname = name!
        // Redis 7.0 reports invalid function names with the library-name message.
        guard FunctionRegistry.validName(fname) else {
            return fail("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
        }
        guard !load.registrations.contains(where: { $0.name == fname }) else { return fail("Function already exists in the library") }
        load.registrations.append(Registration(name: fname, ref: ref, description: description, flags: flags))
        return 0
    }
}

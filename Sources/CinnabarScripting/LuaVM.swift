import CinnabarCore
import CinnabarLua
import Glibc

typealias LuaState = OpaquePointer

/// Bytes allocated by one Lua state and its cap (`lua-memory-limit`).
final class LuaAllocator {
    var used = 0
    var limit: Int
    /// Set when an allocation was refused, so the caller can report the cap.
    var refused = false
    /// The VM using this allocator (unretained: the VM owns the allocator).
    var vmRef: Unmanaged<LuaVM>?

    init(limit: Int) { self.limit = limit }
}

/// The allocator LuaJIT calls; refusing growth past the cap makes Lua raise
/// "not enough memory" inside the script, which fails only that script.
private let luaAllocate: lua_Alloc = { ud, ptr, osize, nsize in
    Unmanaged<LuaAllocator>.fromOpaque(ud!)._withUnsafeGuaranteedRef { a in
        if nsize == 0 {
            if ptr != nil {
                a.used -= osize
                free(ptr)
            }
            return nil
        }
        let old = ptr == nil ? 0 : osize
        if nsize > old && a.used + (nsize - old) > a.limit {
            a.refused = true
            return nil
        }
        guard let p = realloc(ptr, nsize) else { return nil }
        a.used += nsize - old
        return p
    }
}

/// One LuaJIT state with Redis's sandbox. All `lua_*` calls of the server
/// live in this module; this type wraps the state's lifetime and the small
/// helpers the rest of the module uses.
final class LuaVM {
    let L: LuaState
    let allocator: LuaAllocator
    private let allocatorBox: Unmanaged<LuaAllocator>
    /// Registry references to tables the runtime needs quickly.
    private(set) var globalsRef: Int32 = 0
    private(set) var scriptsRef: Int32 = 0
    private(set) var errorHandlerRef: Int32 = 0
    /// The read-only globals proxy scripts see as their environment.
    private(set) var sandboxRef: Int32 = 0
    /// Functions states only: switches the sandbox between the FUNCTION LOAD view and the run-time view.
    private(set) var switchRef: Int32 = 0
    /// The owner (set by the engine) for callbacks from Lua.
    unowned(unsafe) var context: ScriptRunner!

    init(memoryLimit: Int) {
        allocator = LuaAllocator(limit: memoryLimit)
        allocatorBox = Unmanaged.passRetained(allocator)
        L = lua_newstate(luaAllocate, allocatorBox.toOpaque())!
    }

    deinit {
        lua_close(L)
        allocatorBox.release()
    }

    /// The VM owning `L` (found through the allocator's user data, no lookup).
    @inline(__always)
    static func of(_ L: LuaState?) -> LuaVM {
        var ud: UnsafeMutableRawPointer?
        _ = lua_getallocf(L, &ud)
        let alloc = Unmanaged<LuaAllocator>.fromOpaque(ud!).takeUnretainedValue()
        return alloc.vm!
    }

    /// Memory in use by the state, in bytes.
    var memoryUsed: Int { allocator.used }

    // MARK: setup

    /// Opens the libraries Redis exposes (plus LuaJIT's `jit` just long
    /// enough to switch the compiler on), installs `api` functions, and runs
    /// the sandbox bootstrap. `jitOn` false keeps the compiler off (when the
    /// LuaJIT build cannot interrupt compiled code).
    func setUp(redisTable: (LuaVM) -> Void, extraLibraries: [(String, cinnabar_swift_fn)], jitOn: Bool, bootstrap: String,
               loadTable: ((LuaVM) -> Void)? = nil) {
        allocator.vm = self
        lua_atpanic(L) { L in
            var len = 0
            let msg = cinnabar_tolstring(L, -1, &len).map { String(cString: $0) } ?? "?"
            fatalError("unprotected Lua error: \(msg)")
        }
        let opens: [(String, lua_CFunction)] = [
            ("", luaopen_base), ("table", luaopen_table), ("string", luaopen_string), ("math", luaopen_math),
            ("debug", luaopen_debug), ("bit", luaopen_bit), ("jit", luaopen_jit), ("cjson", luaopen_cjson),
        ]
        for (name, fn) in opens {
            lua_pushcclosure(L, fn, 0)
            lua_pushstring(L, name)
            lua_call(L, 1, 1)
            // Openers that only return their table (lua-cjson) get their global here.
            if !name.isEmpty && lua_type(L, -1) == LUA_TTABLE {
                cinnabar_setglobal(L, name)
            } else {
                lua_settop(L, -2)
            }
        }
        if !jitOn {
            luaJIT_setmode(L, 0, Int32(LUAJIT_MODE_ENGINE) | Int32(LUAJIT_MODE_OFF))
        }
        // Swift-implemented libraries (struct, cmsgpack...) register themselves as globals.
        for (name, open) in extraLibraries {
            cinnabar_push_swift_function(L, open)
            lua_pushstring(L, name)
            lua_call(L, 1, 0)
        }
        cinnabar_newtable(L)
        redisTable(self)
        cinnabar_setglobal(L, "redis")

        lua_pushvalue(L, cinnabar_globalsindex())
        globalsRef = luaL_ref(L, cinnabar_registryindex())
        cinnabar_newtable(L)
        scriptsRef = luaL_ref(L, cinnabar_registryindex())

        if let loadTable {
            cinnabar_newtable(L)
            loadTable(self)
            cinnabar_setglobal(L, "__loadredis")
        }
        // The bootstrap returns (sandbox globals, error handler[, view switch]).
        guard luaL_loadbuffer(L, bootstrap, bootstrap.utf8.count, "=sandbox") == 0,
              cinnabar_pcall(L, 0, loadTable == nil ? 2 : 3, 0) == 0 else {
            let msg = string(at: -1) ?? "?"
            fatalError("Lua sandbox bootstrap failed: \(msg)")
        }
        if loadTable != nil { switchRef = luaL_ref(L, cinnabar_registryindex()) }
        errorHandlerRef = luaL_ref(L, cinnabar_registryindex())
        sandboxRef = luaL_ref(L, cinnabar_registryindex())
        lua_gc(L, LUA_GCCOLLECT, 0)
    }

    // MARK: helpers

    @inline(__always)
    func string(at i: Int32) -> String? {
        var len = 0
        guard let p = cinnabar_tolstring(L, i, &len) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
    }

    @inline(__always)
    func bytes(at i: Int32) -> Bytes? {
        var len = 0
        guard let p = cinnabar_tolstring(L, i, &len) else { return nil }
        return Bytes(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: len)
    }

    @inline(__always)
    func push(_ b: Bytes) {
        lua_pushlstring(L, UnsafeRawPointer(b.baseAddress ?? UnsafePointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self), b.count)
    }

    func push(_ s: String) {
        var t = s
        t.withUTF8 { push($0) }
    }

    /// Pushes `{err = message}` (Redis's error table).
    func pushErrorTable(_ message: String) {
        lua_createtable(L, 0, 1)
        push(message)
        lua_setfield(L, -2, "err")
    }

    /// Pushes the registry value referenced by `ref`.
    @inline(__always)
    func pushRef(_ ref: Int32) {
        lua_rawgeti(L, cinnabar_registryindex(), ref)
    }

    /// Registers a Swift function as field `name` of the table on top of the stack.
    func setFunction(_ name: String, _ fn: cinnabar_swift_fn) {
        cinnabar_push_swift_function(L, fn)
        lua_setfield(L, -2, name)
    }

    func setNumber(_ name: String, _ v: Double) {
        lua_pushnumber(L, v)
        lua_setfield(L, -2, name)
    }

    func setString(_ name: String, _ v: String) {
        push(v)
        lua_setfield(L, -2, name)
    }
}

/// Associates an allocator with its VM without a dictionary lookup.
extension LuaAllocator {
    var vm: LuaVM? {
        get { vmRef?.takeUnretainedValue() }
        set { vmRef = newValue.map { Unmanaged.passUnretained($0) } }
    }
}

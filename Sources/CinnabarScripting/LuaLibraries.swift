import CinnabarCore
import CinnabarLua

/// Libraries implemented in Swift and opened in every script state, as
/// (global name, opener). Each opener receives its name and sets the global.
enum LuaLibraries {
    static var all: [(String, cinnabar_swift_fn)] {
        [("struct", LuaStruct.open), ("cmsgpack", LuaMsgpack.open)]
    }

    /// Creates a table holding `functions`, stores it as the global named by
    /// the opener's first argument, and returns it on the stack.
    static func register(_ L: LuaState?, _ functions: [(String, cinnabar_swift_fn)]) {
        lua_createtable(L, 0, Int32(functions.count))
        for (name, fn) in functions {
            cinnabar_push_swift_function(L, fn)
            lua_setfield(L, -2, name)
        }
        lua_pushvalue(L, -1)
        lua_setfield(L, cinnabar_globalsindex(), lua_tolstring(L, 1, nil))
    }
}

/// What Swift library functions need from Lua's auxiliary library, without
/// raising: each check pushes the error value the C library would have
/// raised and reports failure, so the caller returns -1 (the trampoline raises).
enum LuaArgs {
    /// Pushes `msg` positioned at the calling Lua line; returns -1.
    static func error(_ L: LuaState?, _ msg: String) -> Int32 {
        var m = msg
        m.withUTF8 { u in u.withMemoryRebound(to: CChar.self) { cinnabar_push_error(L, $0.baseAddress, $0.count) } }
        return -1
    }

    /// Pushes "bad argument #narg to 'f' (msg)"; returns -1.
    static func argError(_ L: LuaState?, _ narg: Int32, _ msg: [UInt8]) -> Int32 {
        msg.withUnsafeBufferPointer { u in u.withMemoryRebound(to: CChar.self) { cinnabar_push_argerror(L, narg, $0.baseAddress, $0.count) } }
        return -1
    }

    static func argError(_ L: LuaState?, _ narg: Int32, _ msg: String) -> Int32 {
        argError(L, narg, Array(msg.utf8))
    }

    /// The number at `i` (numeric strings convert), or nil after pushing
    /// "number expected, got <type>".
    static func number(_ L: LuaState?, _ i: Int32) -> Double? {
        let d = lua_tonumber(L, i)
        if d == 0 && lua_isnumber(L, i) == 0 {
            cinnabar_push_typeerror(L, i, "number")
            return nil
        }
        return d
    }

    /// The integer at `i` as Lua 5.1 converts it (truncation), or nil after
    /// pushing the type error.
    static func integer(_ L: LuaState?, _ i: Int32) -> Int64? {
        number(L, i).map(cLong)
    }

    /// `def` when argument `i` is absent or nil, else as `integer`.
    static func optionalInteger(_ L: LuaState?, _ i: Int32, _ def: Int64) -> Int64? {
        cinnabar_isnoneornil(L, i) != 0 ? def : integer(L, i)
    }

    /// The string at `i` (numbers convert in place), or nil after pushing
    /// "string expected, got <type>". Valid while the value stays on the stack.
    static func string(_ L: LuaState?, _ i: Int32) -> Bytes? {
        var len = 0
        guard let p = cinnabar_tolstring(L, i, &len) else {
            cinnabar_push_typeerror(L, i, "string")
            return nil
        }
        return Bytes(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: len)
    }

    /// Pushes a built result as the function's one return value, or fails
    /// with Lua's "not enough memory" when it would pass lua-memory-limit:
    /// checked here so the allocation never fails inside Lua, whose error
    /// would unwind past this Swift frame without releasing `bytes`.
    static func returnString(_ L: LuaState?, _ bytes: [UInt8]) -> Int32 {
        let allocator = LuaVM.of(L).allocator
        if allocator.used + bytes.count + 256 > allocator.limit {
            allocator.refused = true
            lua_pushstring(L, "not enough memory")
            return -1
        }
        push(L, bytes)
        return 1
    }

    /// Pushes `bytes` as a Lua string.
    static func push(_ L: LuaState?, _ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { u in
            lua_pushlstring(L, UnsafeRawPointer(u.baseAddress ?? UnsafePointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self), u.count)
        }
    }

    /// C's `(long)d` on x86-64 (cvttsd2si): truncation, and INT64_MIN for NaN
    /// or values out of range, which is what the C libraries Redis bundles get.
    static func cLong(_ d: Double) -> Int64 {
        if d.isNaN || d >= 9.223372036854775807e18 || d < -9.223372036854775807e18 { return Int64.min }
        return Int64(d)
    }

    /// C's `(unsigned long)d` as x86-64 compilers emit it: values below 2^63
    /// (and NaN) go through the signed conversion, larger ones are offset by 2^63.
    static func cULong(_ d: Double) -> UInt64 {
        if !(d >= 9.223372036854775807e18) { return UInt64(bitPattern: cLong(d)) }
        return UInt64(bitPattern: cLong(d - 9.223372036854775807e18)) ^ (1 << 63)
    }
}

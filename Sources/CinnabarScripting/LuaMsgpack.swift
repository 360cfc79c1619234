import CinnabarCore
import CinnabarLua

/// The `cmsgpack` library Redis bundles (lua-cmsgpack 0.4.0 on Lua 5.1):
///
/// - `cmsgpack.pack(v1, v2, ...)`: the MessagePack encodings of every
///   argument, concatenated. Strings use fixstr/str8/str16/str32, booleans
///   and nil their codes, numbers the smallest integer encoding when they
///   hold a 64-bit integer exactly and otherwise float32 when that is exact,
///   else float64. Tables whose keys are exactly 1..n become arrays, others
///   maps (in the table's iteration order). Nesting stops at 16 levels: a
///   table found deeper is packed as nil (so self-references terminate).
///   Functions and other values pack as nil.
/// - `cmsgpack.unpack(s)`: every value in `s`, as multiple results.
/// - `cmsgpack.unpack_one(s [, offset])` and `cmsgpack.unpack_limit(s, limit
///   [, offset])`: the offset to continue from (-1 once `s` is consumed),
///   then at most one / `limit` values starting at byte `offset` (0-based).
///   A limit and offset both 0 decode everything and return no offset.
///
/// Truncated input fails with "Missing bytes in input.", unknown type bytes
/// (bin, ext, 0xc1) with "Bad data format in input.", as Redis does; decoded
/// unsigned 64-bit values above 2^63-1 wrap to negative numbers as on Redis.
enum LuaMsgpack {
    static let open: cinnabar_swift_fn = { L in
        LuaLibraries.register(L, [("pack", pack), ("unpack", unpack), ("unpack_one", unpackOne), ("unpack_limit", unpackLimit)])
        // Scripts may check which implementation's behaviour they get.
        lua_pushstring(L, "cmsgpack")
        lua_setfield(L, -2, "_NAME")
        lua_pushstring(L, "lua-cmsgpack 0.4.0")
        lua_setfield(L, -2, "_VERSION")
        return 1
    }

    /// Tables nested deeper than this pack as nil.
    static let maxNesting = 16

    // MARK: pack

    static let pack: cinnabar_swift_fn = { L in
        let nargs = lua_gettop(L)
        if nargs == 0 { return LuaArgs.argError(L, 0, "MessagePack pack needs input.") }
        if lua_checkstack(L, nargs) == 0 { return LuaArgs.argError(L, 0, "Too many arguments for MessagePack pack.") }
        var out: [UInt8] = []
        for i in 1...nargs {
            if lua_checkstack(L, 1) == 0 { return LuaArgs.error(L, "stack overflow (in function mp_check)") }
            lua_pushvalue(L, i)
            if let e = encode(L, &out, level: 0) { return LuaArgs.error(L, e) }
        }
        return LuaArgs.returnString(L, out)
    }

    /// Encodes the value on top of the stack and pops it. Returns an error
    /// message when the Lua stack cannot grow.
    static func encode(_ L: LuaState?, _ out: inout [UInt8], level: Int) -> String? {
        var t = lua_type(L, -1)
        if t == LUA_TTABLE && level == maxNesting { t = LUA_TNIL }
        switch t {
        case LUA_TSTRING:
            var len = 0
            let p = cinnabar_tolstring(L, -1, &len)!
            writeStringHeader(&out, len)
            out.append(contentsOf: UnsafeRawBufferPointer(start: p, count: len))
        case LUA_TBOOLEAN:
            out.append(lua_toboolean(L, -1) != 0 ? 0xc3 : 0xc2)
        case LUA_TNUMBER:
            let n = lua_tonumber(L, -1)
            if !n.isInfinite && Double(LuaArgs.cLong(n)) == n {
                writeInteger(&out, LuaArgs.cLong(n))
            } else {
                writeDouble(&out, n)
            }
        case LUA_TTABLE:
            guard let array = isArray(L) else { return "stack overflow (in function table_is_an_array)" }
            if array {
                let len = Int(lua_objlen(L, -1))
                writeHeader(&out, len, fix: 0x90, b16: 0xdc, b32: 0xdd)
                if lua_checkstack(L, 1) == 0 { return "stack overflow (in function mp_encode_lua_table_as_array)" }
                for j in 0..<len {
                    lua_rawgeti(L, -1, Int32(j + 1))
                    if let e = encode(L, &out, level: level + 1) { return e }
                }
            } else {
                if lua_checkstack(L, 3) == 0 { return "stack overflow (in function mp_encode_lua_table_as_map)" }
                var count = 0
                lua_pushnil(L)
                while lua_next(L, -2) != 0 {
                    lua_settop(L, -2)
                    count += 1
                }
                writeHeader(&out, count, fix: 0x80, b16: 0xde, b32: 0xdf)
                lua_pushnil(L)
                while lua_next(L, -2) != 0 {
                    lua_pushvalue(L, -2)
                    if let e = encode(L, &out, level: level + 1) { return e }
                    if let e = encode(L, &out, level: level + 1) { return e }
                }
            }
        default:
            out.append(0xc0)
        }
        lua_settop(L, -2)
        return nil
    }

    /// Whether the table on top has exactly the keys 1...n (an empty table
    /// counts as an array); nil when the stack cannot grow.
    private static func isArray(_ L: LuaState?) -> Bool? {
        let top = lua_gettop(L)
        if lua_checkstack(L, 2) == 0 { return nil }
        var count: Int32 = 0, maxKey: Int32 = 0
        lua_pushnil(L)
        while lua_next(L, -2) != 0 {
            lua_settop(L, -2)
            let n = lua_tonumber(L, -1)
            // Keys must be positive numbers that a C int holds exactly.
            guard lua_type(L, -1) == LUA_TNUMBER, n > 0, n < 2147483648.0, Double(Int32(n)) == n else {
                lua_settop(L, top)
                return false
            }
            maxKey = max(maxKey, Int32(n))
            count += 1
        }
        lua_settop(L, top)
        return maxKey == count
    }

    static func writeStringHeader(_ out: inout [UInt8], _ len: Int) {
        if len < 32 {
            out.append(0xa0 | UInt8(len))
        } else if len <= 0xff {
            out.append(0xd9)
            out.append(UInt8(len))
        } else if len <= 0xffff {
            out.append(0xda)
            appendBE(&out, UInt64(len), 2)
        } else {
            out.append(0xdb)
            appendBE(&out, UInt64(truncatingIfNeeded: len), 4)
        }
    }

    static func writeHeader(_ out: inout [UInt8], _ n: Int, fix: UInt8, b16: UInt8, b32: UInt8) {
        if n <= 15 {
            out.append(fix | UInt8(n))
        } else if n <= 0xffff {
            out.append(b16)
            appendBE(&out, UInt64(n), 2)
        } else {
            out.append(b32)
            appendBE(&out, UInt64(truncatingIfNeeded: n), 4)
        }
    }

    @inline(__always)
    static func appendBE(_ out: inout [UInt8], _ v: UInt64, _ n: Int) {
        for k in stride(from: n - 1, through: 0, by: -1) {
            out.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * k)))
        }
    }

    static func writeInteger(_ out: inout [UInt8], _ n: Int64) {
        let u = UInt64(bitPattern: n)
        if n >= 0 {
            if n <= 127 {
                out.append(UInt8(n))
            } else if n <= 0xff {
                out.append(0xcc); appendBE(&out, u, 1)
            } else if n <= 0xffff {
                out.append(0xcd); appendBE(&out, u, 2)
            } else if n <= 0xffff_ffff {
                out.append(0xce); appendBE(&out, u, 4)
            } else {
                out.append(0xcf); appendBE(&out, u, 8)
            }
        } else {
            if n >= -32 {
                out.append(UInt8(truncatingIfNeeded: n))
            } else if n >= -128 {
                out.append(0xd0); appendBE(&out, u, 1)
            } else if n >= -32768 {
                out.append(0xd1); appendBE(&out, u, 2)
            } else if n >= -2_147_483_648 {
                out.append(0xd2); appendBE(&out, u, 4)
            } else {
                out.append(0xd3); appendBE(&out, u, 8)
            }
        }
    }

    static func writeDouble(_ out: inout [UInt8], _ d: Double) {
        let f = Float(d)
        if Double(f) == d {
            out.append(0xca)
            appendBE(&out, UInt64(f.bitPattern), 4)
        } else {
            out.append(0xcb)
            appendBE(&out, d.bitPattern, 8)
        }
    }

    // MARK: unpack

    static let unpack: cinnabar_swift_fn = { L in unpackFull(L, limit: 0, offset: 0) }

    static let unpackOne: cinnabar_swift_fn = { L in
        guard let offset = LuaArgs.optionalInteger(L, 2, 0) else { return -1 }
        lua_settop(L, 1)
        return unpackFull(L, limit: 1, offset: offset)
    }

    static let unpackLimit: cinnabar_swift_fn = { L in
        guard let limit = LuaArgs.integer(L, 2) else { return -1 }
        guard let offset = LuaArgs.optionalInteger(L, 3, 0) else { return -1 }
        lua_settop(L, 1)
        return unpackFull(L, limit: limit, offset: offset)
    }

    /// Why decoding stopped early.
    enum DecodeError: Error {
        case missingBytes
        case badFormat
        /// A Lua error with this message (stack limits, nil or NaN map keys).
        case lua(String)
        /// The same, raised without a position (as the Lua core raises it).
        case luaCore(String)
    }

    /// A read position in the input.
    struct Cursor {
        let base: UnsafePointer<UInt8>
        var pos: Int
        let end: Int

        var left: Int { end - pos }

        @inline(__always)
        func need(_ n: Int) throws(DecodeError) {
            if left < n { throw .missingBytes }
        }

        @inline(__always)
        func byte(_ k: Int) -> UInt64 { UInt64(base[pos + k]) }

        /// Big-endian unsigned of `n` bytes starting `k` bytes past the position.
        func be(_ k: Int, _ n: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<n { v = v << 8 | byte(k + i) }
            return v
        }
    }

    static func unpackFull(_ L: LuaState?, limit: Int64, offset: Int64) -> Int32 {
        guard let s = LuaArgs.string(L, 1) else { return -1 }
        let len = s.count
        let decodeAll = limit == 0 && offset == 0
        if offset < 0 || limit < 0 {
            // Redis's message prints the input length where it says limit.
            return LuaArgs.error(L, "Invalid request to unpack with offset of \(Int32(truncatingIfNeeded: offset)) and limit of \(Int32(truncatingIfNeeded: len)).")
        } else if offset > Int64(len) {
            return LuaArgs.error(L, "Start offset \(Int32(truncatingIfNeeded: offset)) greater than input length \(Int32(truncatingIfNeeded: len)).")
        }
        let max = decodeAll ? Int64(Int32.max) : limit
        var c = Cursor(base: s.baseAddress ?? UnsafePointer(bitPattern: 1)!, pos: Int(offset), end: len)
        var count: Int32 = 0
        while c.left > 0 && Int64(count) < max {
            do {
                try decode(L, &c)
            } catch {
                switch error {
                case .missingBytes: return LuaArgs.error(L, "Missing bytes in input.")
                case .badFormat: return LuaArgs.error(L, "Bad data format in input.")
                case .lua(let m): return LuaArgs.error(L, m)
                case .luaCore(let m):
                    lua_pushstring(L, m)
                    return -1
                }
            }
            count += 1
        }
        if !decodeAll {
            if lua_checkstack(L, 1) == 0 { return LuaArgs.error(L, "stack overflow (in function mp_unpack_full)") }
            lua_pushnumber(L, c.left == 0 ? -1 : Double(c.pos))
            lua_insert(L, 2)
            count += 1
        }
        return count
    }

    /// Decodes one value at the cursor and pushes it.
    static func decode(_ L: LuaState?, _ c: inout Cursor) throws(DecodeError) {
        try c.need(1)
        if lua_checkstack(L, 1) == 0 {
            throw .lua("stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)")
        }
        let t = c.base[c.pos]
        switch t {
        case 0xcc:
            try c.need(2); lua_pushnumber(L, Double(c.byte(1))); c.pos += 2
        case 0xd0:
            try c.need(2); lua_pushnumber(L, Double(Int8(truncatingIfNeeded: c.byte(1)))); c.pos += 2
        case 0xcd:
            try c.need(3); lua_pushnumber(L, Double(c.be(1, 2))); c.pos += 3
        case 0xd1:
            try c.need(3); lua_pushnumber(L, Double(Int16(truncatingIfNeeded: c.be(1, 2)))); c.pos += 3
        case 0xce:
            try c.need(5); lua_pushnumber(L, Double(c.be(1, 4))); c.pos += 5
        case 0xd2:
            try c.need(5); lua_pushnumber(L, Double(Int32(truncatingIfNeeded: c.be(1, 4)))); c.pos += 5
        case 0xcf, 0xd3:
            // Both land in a signed 64-bit integer first, as on Redis.
            try c.need(9); lua_pushnumber(L, Double(Int64(bitPattern: c.be(1, 8)))); c.pos += 9
        case 0xc0:
            lua_pushnil(L); c.pos += 1
        case 0xc3:
            lua_pushboolean(L, 1); c.pos += 1
        case 0xc2:
            lua_pushboolean(L, 0); c.pos += 1
        case 0xca:
            try c.need(5)
            lua_pushnumber(L, Double(Float(bitPattern: UInt32(c.be(1, 4)))))
            c.pos += 5
        case 0xcb:
            try c.need(9)
            lua_pushnumber(L, Double(bitPattern: c.be(1, 8)))
            c.pos += 9
        case 0xd9:
            try c.need(2)
            try pushString(L, &c, header: 2, length: Int(c.byte(1)))
        case 0xda:
            try c.need(3)
            try pushString(L, &c, header: 3, length: Int(c.be(1, 2)))
        case 0xdb:
            try c.need(5)
            try pushString(L, &c, header: 5, length: Int(c.be(1, 4)))
        case 0xdc:
            try c.need(3)
            let n = Int(c.be(1, 2)); c.pos += 3
            try decodeArray(L, &c, n)
        case 0xdd:
            try c.need(5)
            let n = Int(c.be(1, 4)); c.pos += 5
            try decodeArray(L, &c, n)
        case 0xde:
            try c.need(3)
            let n = Int(c.be(1, 2)); c.pos += 3
            try decodeMap(L, &c, n)
        case 0xdf:
            try c.need(5)
            let n = Int(c.be(1, 4)); c.pos += 5
            try decodeMap(L, &c, n)
        default:
            if t & 0x80 == 0 {
                lua_pushnumber(L, Double(t)); c.pos += 1
            } else if t & 0xe0 == 0xe0 {
                lua_pushnumber(L, Double(Int8(bitPattern: t))); c.pos += 1
            } else if t & 0xe0 == 0xa0 {
                try pushString(L, &c, header: 1, length: Int(t & 0x1f))
            } else if t & 0xf0 == 0x90 {
                c.pos += 1
                try decodeArray(L, &c, Int(t & 0x0f))
            } else if t & 0xf0 == 0x80 {
                c.pos += 1
                try decodeMap(L, &c, Int(t & 0x0f))
            } else {
                throw .badFormat
            }
        }
    }

    @inline(__always)
    static func pushString(_ L: LuaState?, _ c: inout Cursor, header: Int, length: Int) throws(DecodeError) {
        try c.need(header + length)
        lua_pushlstring(L, UnsafeRawPointer(c.base + c.pos + header).assumingMemoryBound(to: CChar.self), length)
        c.pos += header + length
    }

    static func decodeArray(_ L: LuaState?, _ c: inout Cursor, _ n: Int) throws(DecodeError) {
        lua_createtable(L, 0, 0)
        if lua_checkstack(L, 1) == 0 { throw .lua("stack overflow (in function mp_decode_to_lua_array)") }
        // The index sits on the stack while the element decodes, as in the C
        // library, so deep nesting reaches the stack limit at the same depth.
        for i in 0..<n {
            lua_pushnumber(L, Double(i + 1))
            try decode(L, &c)
            lua_settable(L, -3)
        }
    }

    static func decodeMap(_ L: LuaState?, _ c: inout Cursor, _ n: Int) throws(DecodeError) {
        lua_createtable(L, 0, 0)
        for _ in 0..<n {
            try decode(L, &c)
            try decode(L, &c)
            // lua_settable would raise for these keys; report what it would say.
            let kt = lua_type(L, -2)
            if kt == LUA_TNIL { throw .luaCore("table index is nil") }
            if kt == LUA_TNUMBER && lua_tonumber(L, -2).isNaN { throw .luaCore("table index is NaN") }
            lua_settable(L, -3)
        }
    }
}

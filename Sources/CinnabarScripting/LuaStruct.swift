import CinnabarCore
import CinnabarLua

/// The `struct` library Redis bundles (Roberto Ierusalimschy's struct for
/// Lua 5.1, as patched by Redis): `struct.pack(fmt, ...)`,
/// `struct.unpack(fmt, data [, pos])` and `struct.size(fmt)`.
///
/// Format options: `<` little and `>` big endian (native is little), `!n`
/// maximum alignment (a power of two, default 8), `x` a zero byte, `b/B`
/// `h/H` `l/L` `T` `i/In` (n ≤ 32 bytes) signed/unsigned integers of 1, 2, 8,
/// 8 and n (default 4) bytes, `f` float, `d` double, `cn` n characters (`c0`:
/// the whole string when packing, the previous unpacked number as length when
/// unpacking), `s` a zero-terminated string, spaces ignored. The format ends
/// at its first NUL byte.
///
/// Behaviour follows Redis 7.0's build on x86-64 exactly, including its
/// security fixes (sizes that overflow an int, unpacking never reads past the
/// data: "data string too short") and the C conversions of out-of-range numbers.
enum LuaStruct {
    static let open: cinnabar_swift_fn = { L in
        LuaLibraries.register(L, [("pack", pack), ("unpack", unpack), ("size", size)])
        return 1
    }

    /// Maximum size of an integral option (`i32`).
    static let maxIntSize = 32
    /// Default for `!`: the strictest alignment of a C type here (double).
    static let maxAlign = 8

    /// Parse state shared by the three functions.
    struct Format {
        let bytes: Bytes
        var i = 0
        var little = true
        var align = 1

        init(_ b: Bytes) {
            // The C library sees a C string: the format ends at a NUL byte.
            let end = b.firstIndex(of: 0) ?? b.count
            bytes = Bytes(rebasing: b[0..<end])
        }

        var atEnd: Bool { i >= bytes.count }

        mutating func next() -> UInt8 {
            i += 1
            return bytes[i - 1]
        }

        static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

        /// A decimal count following an option, or `def` when none; nil when it exceeds an int.
        mutating func number(default def: Int) -> Int? {
            guard i < bytes.count, Format.isDigit(bytes[i]) else { return def }
            var a = 0
            while i < bytes.count, Format.isDigit(bytes[i]) {
                let d = Int(bytes[i] - 48)
                if a > Int(Int32.max) / 10 || a * 10 > Int(Int32.max) - d { return nil }
                a = a * 10 + d
                i += 1
            }
            return a
        }

        /// The size of option `opt` (reading its count), or an error message.
        mutating func size(of opt: UInt8) -> Result<Int, StructError> {
            switch opt {
            case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "x"): return .success(1)
            case UInt8(ascii: "h"), UInt8(ascii: "H"): return .success(2)
            case UInt8(ascii: "l"), UInt8(ascii: "L"), UInt8(ascii: "T"), UInt8(ascii: "d"): return .success(8)
            case UInt8(ascii: "f"): return .success(4)
            case UInt8(ascii: "c"):
                guard let n = number(default: 1) else { return .failure(.plain("integral size overflow")) }
                return .success(n)
            case UInt8(ascii: "i"), UInt8(ascii: "I"):
                guard let n = number(default: 4) else { return .failure(.plain("integral size overflow")) }
                if n > LuaStruct.maxIntSize {
                    return .failure(.plain("integral size \(n) is larger than limit of \(LuaStruct.maxIntSize)"))
                }
                return .success(n)
            default:
                return .success(0)
            }
        }

        /// Padding before an item of `size` bytes at offset `len` (wrapping, as size_t).
        func padding(at len: UInt64, opt: UInt8, size: Int) -> UInt64 {
            if size == 0 || opt == UInt8(ascii: "c") { return 0 }
            let s = UInt64(min(size, align))
            return (s &- (len & (s &- 1))) & (s &- 1)
        }

        /// Handles an option that is not a data item: spaces, endianness and alignment.
        mutating func control(_ opt: UInt8) -> StructError? {
            switch opt {
            case UInt8(ascii: " "): return nil
            case UInt8(ascii: ">"): little = false
            case UInt8(ascii: "<"): little = true
            case UInt8(ascii: "!"):
                guard let a = number(default: LuaStruct.maxAlign) else { return .plain("integral size overflow") }
                guard a > 0 && a & (a - 1) == 0 else { return .plain("alignment \(a) is not a power of 2") }
                align = a
            default:
                return .argument(1, Array("invalid format option '".utf8) + [opt] + [39])
            }
            return nil
        }
    }

    enum StructError: Error {
        /// luaL_error: positioned message.
        case plain(String)
        /// luaL_argerror on argument n.
        case argument(Int32, [UInt8])

        func push(_ L: LuaState?) -> Int32 {
            switch self {
            case .plain(let m): return LuaArgs.error(L, m)
            case .argument(let n, let m): return LuaArgs.argError(L, n, m)
            }
        }
    }

    // MARK: pack

    static let pack: cinnabar_swift_fn = { L in
        guard let fmtBytes = LuaArgs.string(L, 1) else { return -1 }
        var f = Format(fmtBytes)
        // The C library marks the end of the arguments with a nil, so the first
        // missing argument reads as nil and later ones as absent.
        lua_pushnil(L)
        var arg: Int32 = 2
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var total: UInt64 = 0
        while !f.atEnd {
            let opt = f.next()
            var size: Int
            switch f.size(of: opt) {
            case .failure(let e): return e.push(L)
            case .success(let s): size = s
            }
            let pad = f.padding(at: total, opt: opt, size: size)
            total &+= pad
            if pad > 0 { out.append(contentsOf: repeatElement(0, count: Int(pad))) }
            switch opt {
            case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "h"), UInt8(ascii: "H"), UInt8(ascii: "l"),
                 UInt8(ascii: "L"), UInt8(ascii: "T"), UInt8(ascii: "i"), UInt8(ascii: "I"):
                guard let n = LuaArgs.number(L, arg) else { return -1 }
                arg += 1
                var v = n < 0 ? UInt64(bitPattern: LuaArgs.cLong(n)) : LuaArgs.cULong(n)
                var item = [UInt8](repeating: 0, count: size)
                for k in 0..<size {
                    item[f.little ? k : size - 1 - k] = UInt8(truncatingIfNeeded: v)
                    v >>= 8
                }
                out.append(contentsOf: item)
            case UInt8(ascii: "x"):
                out.append(0)
            case UInt8(ascii: "f"):
                guard let n = LuaArgs.number(L, arg) else { return -1 }
                arg += 1
                appendBits(&out, UInt64(Float(n).bitPattern), 4, little: f.little)
            case UInt8(ascii: "d"):
                guard let n = LuaArgs.number(L, arg) else { return -1 }
                arg += 1
                appendBits(&out, n.bitPattern, 8, little: f.little)
            case UInt8(ascii: "c"), UInt8(ascii: "s"):
                guard let s = LuaArgs.string(L, arg) else { return -1 }
                arg += 1
                if size == 0 { size = s.count }
                // The C library checks after advancing, so it names the next argument.
                if s.count < size { return LuaArgs.argError(L, arg, "string too short") }
                out.append(contentsOf: s[0..<size])
                if opt == UInt8(ascii: "s") {
                    out.append(0)
                    size += 1
                }
            default:
                if let e = f.control(opt) { return e.push(L) }
            }
            total &+= UInt64(size)
        }
        return LuaArgs.returnString(L, out)
    }

    static func appendBits(_ out: inout [UInt8], _ bits: UInt64, _ n: Int, little: Bool) {
        for k in 0..<n {
            let shift = little ? k : n - 1 - k
            out.append(UInt8(truncatingIfNeeded: bits >> UInt64(8 * shift)))
        }
    }

    /// Reads `n` bytes at `p` as an integer of the given endianness, keeping
    /// the low 64 bits; sign extension uses the x86 shift of the C code (the
    /// shift count taken modulo 64), which matters for sizes 0 and above 8.
    static func readInteger(_ p: UnsafePointer<UInt8>, _ n: Int, little: Bool, signed: Bool) -> Double {
        var v: UInt64 = 0
        for k in 0..<n {
            v = v << 8 | UInt64(p[little ? n - 1 - k : k])
        }
        if !signed { return Double(v) }
        let mask = UInt64.max << UInt64((n * 8 - 1) & 63)
        if v & mask != 0 { v |= mask }
        return Double(Int64(bitPattern: v))
    }

    // MARK: unpack

    static let unpack: cinnabar_swift_fn = { L in
        guard let fmtBytes = LuaArgs.string(L, 1) else { return -1 }
        guard let data = LuaArgs.string(L, 2) else { return -1 }
        guard let start = LuaArgs.optionalInteger(L, 3, 1) else { return -1 }
        // The position is a size_t in C: only 0 is refused here; negative
        // offsets wrap around and fail the bounds check below.
        var pos = UInt64(bitPattern: start)
        if pos == 0 { return LuaArgs.argError(L, 3, "offset must be 1 or greater") }
        pos -= 1
        let ld = UInt64(data.count)
        let base = data.baseAddress ?? UnsafePointer(bitPattern: 1)!
        var f = Format(fmtBytes)
        var n: Int32 = 0
        while !f.atEnd {
            let opt = f.next()
            var size: UInt64
            switch f.size(of: opt) {
            case .failure(let e): return e.push(L)
            case .success(let s): size = UInt64(s)
            }
            pos &+= f.padding(at: pos, opt: opt, size: Int(size))
            guard size <= ld && pos <= ld - size else { return LuaArgs.argError(L, 2, "data string too short") }
            if lua_checkstack(L, 2) == 0 { return LuaArgs.error(L, "stack overflow (too many results)") }
            let p = base + Int(pos)
            switch opt {
            case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "h"), UInt8(ascii: "H"), UInt8(ascii: "l"),
                 UInt8(ascii: "L"), UInt8(ascii: "T"), UInt8(ascii: "i"), UInt8(ascii: "I"):
                let signed = opt >= UInt8(ascii: "a")
                lua_pushnumber(L, readInteger(p, Int(size), little: f.little, signed: signed))
                n += 1
            case UInt8(ascii: "x"):
                break
            case UInt8(ascii: "f"):
                let bits = UInt32(truncatingIfNeeded: readBits(p, 4, little: f.little))
                lua_pushnumber(L, Double(Float(bitPattern: bits)))
                n += 1
            case UInt8(ascii: "d"):
                lua_pushnumber(L, Double(bitPattern: readBits(p, 8, little: f.little)))
                n += 1
            case UInt8(ascii: "c"):
                if size == 0 {
                    if n == 0 || lua_isnumber(L, -1) == 0 { return LuaArgs.error(L, "format 'c0' needs a previous size") }
                    size = LuaArgs.cULong(lua_tonumber(L, -1))
                    lua_settop(L, -2)
                    n -= 1
                    guard size <= ld && pos <= ld - size else { return LuaArgs.argError(L, 2, "data string too short") }
                }
                lua_pushlstring(L, UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self), Int(size))
                n += 1
            case UInt8(ascii: "s"):
                let rest = UnsafeBufferPointer(start: p, count: Int(ld - pos))
                guard let z = rest.firstIndex(of: 0) else { return LuaArgs.error(L, "unfinished string in data") }
                size = UInt64(z + 1)
                lua_pushlstring(L, UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self), z)
                n += 1
            default:
                if let e = f.control(opt) { return e.push(L) }
            }
            pos &+= size
        }
        lua_pushnumber(L, Double(Int64(bitPattern: pos &+ 1)))
        return n + 1
    }

    static func readBits(_ p: UnsafePointer<UInt8>, _ n: Int, little: Bool) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<n {
            v = v << 8 | UInt64(p[little ? n - 1 - k : k])
        }
        return v
    }

    // MARK: size

    static let size: cinnabar_swift_fn = { L in
        guard let fmtBytes = LuaArgs.string(L, 1) else { return -1 }
        var f = Format(fmtBytes)
        var pos: UInt64 = 0
        while !f.atEnd {
            let opt = f.next()
            let size: Int
            switch f.size(of: opt) {
            case .failure(let e): return e.push(L)
            case .success(let s): size = s
            }
            pos &+= f.padding(at: pos, opt: opt, size: size)
            if opt == UInt8(ascii: "s") {
                return LuaArgs.argError(L, 1, "option 's' has no fixed size")
            } else if opt == UInt8(ascii: "c") && size == 0 {
                return LuaArgs.argError(L, 1, "option 'c0' has no fixed size")
            }
            // Letters and digits without a size of their own count as nothing here.
            let alnum = (opt >= 48 && opt <= 57) || (opt | 0x20 >= 97 && opt | 0x20 <= 122)
            if !alnum, let e = f.control(opt) { return e.push(L) }
            pos &+= UInt64(size)
        }
        lua_pushnumber(L, Double(Int64(bitPattern: pos)))
        return 1
    }
}

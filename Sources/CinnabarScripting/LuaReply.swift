import CinnabarCore
import CinnabarLua
import Glibc

/// Redis's Lua C-stack limit (LUAI_MAXCSTACK), which bounds reply nesting.
let luaMaxCStack: Int32 = 8000

/// Conversions between RESP replies and Lua values, with Redis 7.0's rules.
enum LuaReply {
    // MARK: RESP → Lua

    /// Pushes the Lua form of the RESP value at `pos` in `r` and advances
    /// `pos`. Integers become numbers, bulk strings strings, null bulk and
    /// null array `false`, status `{ok=...}`, errors `{err=...}`, arrays
    /// tables; RESP3 maps `{map={...}}`, sets `{set={...}}`, doubles
    /// `{double=n}`, big numbers `{big_number=s}`, verbatim strings
    /// `{verbatim_string={format=..., string=...}}`, nulls nil, booleans
    /// booleans; attributes are skipped.
    static func push(_ vm: LuaVM, _ r: Bytes, _ pos: inout Int) {
        let L = vm.L
        _ = lua_checkstack(L, 4)
        let type = r[pos]
        let lineStart = pos + 1
        var lineEnd = lineStart
        while r[lineEnd] != 13 { lineEnd += 1 }
        let line = Bytes(rebasing: r[lineStart..<lineEnd])
        pos = lineEnd + 2
        switch type {
        case 58:  // ':'
            lua_pushnumber(L, Double(Numbers.parseInt64(line) ?? 0))
        case 36:  // '$'
            let n = Int(Numbers.parseInt64(line) ?? -1)
            if n < 0 {
                lua_pushboolean(L, 0)
            } else {
                vm.push(Bytes(rebasing: r[pos..<(pos + n)]))
                pos += n + 2
            }
        case 43:  // '+'
            lua_createtable(L, 0, 1)
            vm.push(line)
            lua_setfield(L, -2, "ok")
        case 45:  // '-'
            pushError(vm, line)
        case 42, 62:  // '*', '>'
            let n = Int(Numbers.parseInt64(line) ?? -1)
            if n < 0 {
                lua_pushboolean(L, 0)
                return
            }
            lua_createtable(L, Int32(n), 0)
            for i in 0..<n {
                push(vm, r, &pos)
                lua_rawseti(L, -2, Int32(i + 1))
            }
        case 37:  // '%'
            let n = Int(Numbers.parseInt64(line) ?? 0)
            lua_createtable(L, 0, 1)
            lua_createtable(L, 0, Int32(n))
            for _ in 0..<n {
                push(vm, r, &pos)
                push(vm, r, &pos)
                lua_settable(L, -3)
            }
            lua_setfield(L, -2, "map")
        case 126:  // '~'
            let n = Int(Numbers.parseInt64(line) ?? 0)
            lua_createtable(L, 0, 1)
            lua_createtable(L, 0, Int32(n))
            for _ in 0..<n {
                push(vm, r, &pos)
                lua_pushboolean(L, 1)
                lua_settable(L, -3)
            }
            lua_setfield(L, -2, "set")
        case 95:  // '_'
            lua_pushnil(L)
        case 35:  // '#'
            lua_pushboolean(L, line.count > 0 && line[0] == 116 ? 1 : 0)
        case 44:  // ','
            lua_createtable(L, 0, 1)
            lua_pushnumber(L, parseDouble(line))
            lua_setfield(L, -2, "double")
        case 40:  // '('
            lua_createtable(L, 0, 1)
            vm.push(line)
            lua_setfield(L, -2, "big_number")
        case 61:  // '='
            let n = Int(Numbers.parseInt64(line) ?? 0)
            let body = Bytes(rebasing: r[pos..<(pos + n)])
            pos += n + 2
            lua_createtable(L, 0, 1)
            lua_createtable(L, 0, 2)
            vm.push(Bytes(rebasing: body[(body.startIndex + 4)...]))
            lua_setfield(L, -2, "string")
            vm.push(Bytes(rebasing: body[body.startIndex..<(body.startIndex + 3)]))
            lua_setfield(L, -2, "format")
            lua_setfield(L, -2, "verbatim_string")
        case 124:  // '|' attribute: skip its pairs, then push the real value
            let n = Int(Numbers.parseInt64(line) ?? 0)
            for _ in 0..<(2 * n) {
                push(vm, r, &pos)
                lua_settop(L, -2)
            }
            push(vm, r, &pos)
        default:
            lua_pushnil(L)
        }
    }

    static func parseDouble(_ b: Bytes) -> Double {
        if b.equalsIgnoringCase("inf") { return .infinity }
        if b.equalsIgnoringCase("-inf") { return -.infinity }
        return Numbers.parseDouble(b) ?? .nan
    }

    /// Pushes Redis's error table for a `-CODE message` reply line (without the
    /// dash): `{err = "CODE message"}`, a code of ERR added when missing.
    static func pushError(_ vm: LuaVM, _ text: Bytes) {
        let L = vm.L
        lua_createtable(L, 0, 2)
        var msg = Array(text)
        while let last = msg.last, last == 13 || last == 10 { msg.removeLast() }
        if !msg.contains(32) { msg = Array("ERR ".utf8) + msg }
        msg.withBytes { vm.push($0) }
        lua_setfield(L, -2, "err")
        lua_pushboolean(L, 1)
        lua_setfield(L, -2, "ignore_error_stats_update")
    }

    // MARK: Lua → RESP

    /// Writes the value on top of the stack to `out` and pops it. `scriptResp`
    /// is the protocol the script selected with redis.setresp (it decides how
    /// booleans convert). Error tables count in `caller`'s error statistics
    /// unless they carry `ignore_error_stats_update` (a command's error,
    /// counted when it failed); a top-level one marks the call failed.
    static func write(_ vm: LuaVM, _ out: ReplyBuffer, scriptResp: RESPVersion, caller: Client? = nil, nested: Bool = false) {
        let L = vm.L
        // Redis's Lua refuses to grow the C stack past LUAI_MAXCSTACK (8000
        // slots), which bounds nesting (self-referencing tables included).
        guard lua_gettop(L) + 4 <= luaMaxCStack, lua_checkstack(L, 4) != 0 else {
            out.error("ERR reached lua stack limit")
            lua_settop(L, -2)
            return
        }
        switch lua_type(L, -1) {
        case LUA_TSTRING:
            out.bulk(vm.bytes(at: -1)!)
        case LUA_TBOOLEAN:
            let b = lua_toboolean(L, -1) != 0
            if scriptResp == .resp2 {
                if b { out.integer(1) } else { out.nullBulk() }
            } else {
                out.bool(b)
            }
        case LUA_TNUMBER:
            out.integer(truncate(lua_tonumber(L, -1)))
        case LUA_TTABLE:
            writeTable(vm, out, scriptResp: scriptResp, caller: caller, nested: nested)
            return
        default:
            out.nullBulk()
        }
        lua_settop(L, -2)
    }

    /// C's `(long long)` cast of a double as x86-64 performs it (out of range → INT64_MIN).
    static func truncate(_ d: Double) -> Int64 {
        if d.isNaN || d >= 9.223372036854775807e18 || d < -9.223372036854775807e18 { return Int64.min }
        return Int64(d)
    }

    /// Field `name` of the table at the top, pushed (raw access).
    @inline(__always)
    private static func rawField(_ L: LuaState, _ name: StaticString) -> Int32 {
        lua_pushlstring(L, UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self), name.utf8CodeUnitCount)
        lua_rawget(L, -2)
        return lua_type(L, -1)
    }

    private static func writeTable(_ vm: LuaVM, _ out: ReplyBuffer, scriptResp: RESPVersion, caller: Client?, nested: Bool) {
        let L = vm.L
        if rawField(L, "err") == LUA_TSTRING {
            lua_settop(L, -2)
            // The text goes out as written, so `{err='-X'}` replies "--X" as on Redis.
            let msg = errorMessage(vm)
            let counted = !ignoresErrorStats(vm)
            if let caller, !nested {
                caller.replyError(bytes: msg, updateStats: counted)
            } else {
                writeError(out, msg)
                if counted {
                    caller?.countErrorReply(String(decoding: msg.prefix(32), as: UTF8.self))
                } else if let caller, let cmd = caller.currentCommand {
                    // As Redis: an already-counted error in the reply still marks the call failed, once per error.
                    caller.context.stats.failed[cmd.id] += 1
                }
            }
            lua_settop(L, -2)
            return
        }
        lua_settop(L, -2)
        if rawField(L, "ok") == LUA_TSTRING {
            var s = Array(vm.bytes(at: -1)!)
            for i in s.indices where s[i] == 13 || s[i] == 10 { s[i] = 32 }
            out.status(String(decoding: s, as: UTF8.self))
            lua_settop(L, -3)
            return
        }
        lua_settop(L, -2)
        if rawField(L, "double") == LUA_TNUMBER {
            out.double(lua_tonumber(L, -1))
            lua_settop(L, -3)
            return
        }
        lua_settop(L, -2)
        if rawField(L, "big_number") == LUA_TSTRING {
            var s = Array(vm.bytes(at: -1)!)
            for i in s.indices where s[i] == 13 || s[i] == 10 { s[i] = 32 }
            s.withBytes { out.bigNumber($0) }
            lua_settop(L, -3)
            return
        }
        lua_settop(L, -2)
        if rawField(L, "verbatim_string") == LUA_TTABLE {
            if rawField(L, "format") == LUA_TSTRING {
                let format = vm.string(at: -1) ?? "txt"
                lua_pushstring(L, "string")
                lua_rawget(L, -3)
                if lua_type(L, -1) == LUA_TSTRING {
                    let text = vm.string(at: -1) ?? ""
                    writeVerbatim(out, text, format: format)
                    lua_settop(L, -5)
                    return
                }
                lua_settop(L, -2)
            }
            lua_settop(L, -2)
        }
        lua_settop(L, -2)
        if rawField(L, "map") == LUA_TTABLE {
            let mark = out.beginDeferred()
            var n = 0
            lua_pushnil(L)
            while lua_next(L, -2) != 0 {
                lua_pushvalue(L, -2)
                write(vm, out, scriptResp: scriptResp, caller: caller, nested: true)
                write(vm, out, scriptResp: scriptResp, caller: caller, nested: true)
                n += 1
            }
            out.endDeferredMap(at: mark, pairs: n)
            lua_settop(L, -3)
            return
        }
        lua_settop(L, -2)
        if rawField(L, "set") == LUA_TTABLE {
            let mark = out.beginDeferred()
            var n = 0
            lua_pushnil(L)
            while lua_next(L, -2) != 0 {
                lua_settop(L, -2)
                lua_pushvalue(L, -1)
                write(vm, out, scriptResp: scriptResp, caller: caller, nested: true)
                n += 1
            }
            out.endDeferredSet(at: mark, count: n)
            lua_settop(L, -3)
            return
        }
        lua_settop(L, -2)
        // An array: elements 1, 2, ... up to the first nil.
        let mark = out.beginDeferred()
        var n = 0
        while true {
            lua_rawgeti(L, -1, Int32(n + 1))
            if lua_type(L, -1) == LUA_TNIL {
                lua_settop(L, -2)
                break
            }
            write(vm, out, scriptResp: scriptResp, caller: caller, nested: true)
            n += 1
        }
        out.endDeferredArray(at: mark, count: n)
        lua_settop(L, -2)
    }

    /// `-message\r\n` with the bytes as given (newlines become spaces, as Redis does).
    static func writeError(_ out: ReplyBuffer, _ msg: [UInt8]) {
        var b = msg
        for i in b.indices where b[i] == 13 || b[i] == 10 { b[i] = 32 }
        out.appendRaw("-")
        out.appendRaw(b)
        out.appendRaw("\r\n")
    }

    static func writeVerbatim(_ out: ReplyBuffer, _ text: String, format: String) {
        if out.resp == .resp2 {
            out.bulk(text)
        } else {
            let f = String(format.prefix(3))
            var t = text
            t.withUTF8 { u in
                out.appendRaw(Array("=\(u.count + 4)\r\n\(f):".utf8))
                out.appendRaw(u)
            }
            out.appendRaw("\r\n")
        }
    }

    /// Whether the error table on top of the stack was already counted (a
    /// command's error reply, which carries `ignore_error_stats_update`).
    static func ignoresErrorStats(_ vm: LuaVM) -> Bool {
        let L = vm.L
        lua_getfield(L, -1, "ignore_error_stats_update")
        let ignore = lua_toboolean(L, -1) != 0
        lua_settop(L, -2)
        return ignore
    }

    /// The message of the error table on top of the stack: its `err` field,
    /// with " script: <name>, on <source>:<line>." when those are known. Bytes,
    /// not text: messages may quote binary data and go out unchanged.
    static func errorMessage(_ vm: LuaVM, scriptName: String? = nil) -> [UInt8] {
        let L = vm.L
        lua_getfield(L, -1, "err")
        var msg = vm.bytes(at: -1).map { Array($0) } ?? Array("ERR unknown error".utf8)
        lua_settop(L, -2)
        if let name = scriptName {
            lua_getfield(L, -1, "source")
            let source = vm.bytes(at: -1).map { Array($0) }
            lua_settop(L, -2)
            lua_getfield(L, -1, "line")
            let line = vm.bytes(at: -1).map { Array($0) }
            lua_settop(L, -2)
            if let source, let line {
                msg += Array(" script: \(name), on ".utf8) + source + [58] + line + [46]
            }
        }
        return msg
    }
}

import CSystem
import Glibc

/// DEBUG: testing and diagnostic subcommands. Refused unless
/// `enable-debug-command` allows it (checked by the dispatcher). The command
/// holds every shard, so SLEEP stalls all keyspace work as in Redis.
enum DebugCommand {
    static func run(_ c: Client) {
        let sub = c.arg(1)
        if let ext = c.server.debugSubcommands[sub.lowercasedString] {
            ext(c)
            return
        }
        if sub.equalsIgnoringCase("help") && c.argc == 2 { help(c) }
        else if sub.equalsIgnoringCase("sleep") && c.argc == 3 { sleep(c) }
        else if sub.equalsIgnoringCase("set-active-expire") && c.argc == 3 { setActiveExpire(c) }
        else if sub.equalsIgnoringCase("pause-cron") && c.argc == 3 {
            // atoi semantics, as Redis: anything but a leading non-zero number resumes.
            c.server.cronPaused.store(c.argString(2).withCString { atoi($0) } != 0, ordering: .relaxed)
            c.reply.ok()
        }
        else if sub.equalsIgnoringCase("object") && c.argc == 3 { object(c) }
        else if sub.equalsIgnoringCase("protocol") && c.argc == 3 { proto(c) }
        else if sub.equalsIgnoringCase("populate") && c.argc >= 3 && c.argc <= 5 { populate(c) }
        else if sub.equalsIgnoringCase("log") && c.argc == 3 {
            c.server.log.log(.warning, "DEBUG LOG: \(c.argString(2))")
            c.reply.ok()
        } else if sub.equalsIgnoringCase("error") && c.argc == 3 {
            c.fail(.custom(c.argString(2)))
        } else if sub.equalsIgnoringCase("config-rewrite-force-all") && c.argc == 2 {
            configRewriteForceAll(c)
        } else if sub.equalsIgnoringCase("segfault") && c.argc == 2 {
            c.server.log.log(.warning, "DEBUG SEGFAULT requested: crashing on purpose")
            raise(SIGSEGV)
        } else if sub.equalsIgnoringCase("panic") && c.argc == 2 {
            c.server.log.log(.warning, "DEBUG PANIC called at Unix time \(Sys.unixMillis() / 1000)")
            abort()
        } else {
            c.fail(.subcommandSyntax(subcommand: c.argCString(1), command: "debug"))
        }
    }

    static func help(_ c: Client) {
        ServerCommands.replyHelp(c, [
            "CONFIG-REWRITE-FORCE-ALL",
            "    Rewrite the configuration file with every directive, defaults included.",
            "ERROR <string>",
            "    Reply with <string> as an error (for testing client error handling).",
            "LOG <message>",
            "    Write <message> to the server log.",
            "OBJECT <key>",
            "    Describe the value stored at <key>: encoding, serialized length, access clock.",
            "PANIC",
            "    Abort the server process.",
            "PAUSE-CRON <0|1>",
            "    Stop (1) or resume (0) the periodic background work.",
            "POPULATE <count> [<prefix>] [<size>]",
            "    Create <count> string keys named <prefix>:<n> (default prefix 'key') holding 'value:<n>',",
            "    padded or cut to <size> bytes when given. Existing keys are left alone.",
            "PROTOCOL <type>",
            "    Reply with a sample of a protocol type: string, integer, double, bignum, null, array,",
            "    set, map, attrib, push, verbatim, true, false.",
            "SEGFAULT",
            "    Crash the server with a segmentation fault.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Turn the background expiry of keys off (0) or on (1).",
            "SLEEP <seconds>",
            "    Stall the keyspace for <seconds> (decimals allowed).",
        ])
    }

    /// `strtod`-style: a leading number, else zero.
    static func sleep(_ c: Client) {
        let seconds = c.argString(2).withCString { strtod($0, nil) }
        let micros = Int64(seconds * 1_000_000)
        if micros > 0 {
            var ts = timespec(tv_sec: Int(micros / 1_000_000), tv_nsec: Int(micros % 1_000_000) * 1000)
            var left = timespec()
            while nanosleep(&ts, &left) != 0 && errno == EINTR { ts = left }
        }
        c.reply.ok()
    }

    static func setActiveExpire(_ c: Client) {
        let on = c.argString(2).withCString { atoi($0) } != 0
        c.server.config.update { $0.activeExpireEnabled = on }
        c.context.reloadConfig()
        c.reply.ok()
    }

    static func object(_ c: Client) {
        guard let e = c.db.peek(c.key(2)) else {
            c.fail(.noSuchKey)
            return
        }
        let encoding = e.encodingName
        var refcount = 1
        // Redis shares the objects of small integers.
        if encoding == "int", let v = Numbers.parseInt64(e.string), v >= 0, v < 10000 { refcount = Int(Int32.max) }
        let lru = Int(e.accessClock) & 0xFF_FFFF
        let idle = max(0, Int(Clock.seconds) - Int(e.accessClock))
        let length = c.server.serializedLength?(e) ?? serializedLength(e)
        let address = String(UInt(bitPattern: e.raw), radix: 16)
        c.reply.status("Value at:0x\(address) refcount:\(refcount) encoding:\(encoding) serializedlength:\(length) lru:\(lru) lru_seconds_idle:\(idle)")
    }

    /// Bytes of a string value in an RDB file, without compression: integers
    /// that fit 32 bits take a tag and 1, 2 or 4 bytes; other strings a
    /// length prefix and their bytes. Aggregates are measured by the
    /// persistence module (`Server.serializedLength`); without one they report 0.
    static func serializedLength(_ e: Entry) -> Int {
        guard e.type == .string else { return 0 }
        let s = e.string
        if s.count <= 11, let v = Numbers.parseInt64(s), String(v).utf8.count == s.count {
            if v >= -(1 << 7) && v < (1 << 7) { return 2 }
            if v >= -(1 << 15) && v < (1 << 15) { return 3 }
            if v >= -(1 << 31) && v < (1 << 31) { return 5 }
        }
        let n = s.count
        let prefix = n < 64 ? 1 : n < 16384 ? 2 : n <= Int(UInt32.max) ? 5 : 9
        return prefix + n
    }

    static func proto(_ c: Client) {
        let t = c.arg(2)
        let r = c.reply
        if t.equalsIgnoringCase("string") { r.bulk("Hello World") }
        else if t.equalsIgnoringCase("integer") { r.integer(12345) }
        else if t.equalsIgnoringCase("double") { r.double(3.141) }
        else if t.equalsIgnoringCase("bignum") { Array("1234567999999999999999999999999999999".utf8).withBytes { r.bigNumber($0) } }
        else if t.equalsIgnoringCase("null") { r.nullBulk() }
        else if t.equalsIgnoringCase("array") {
            r.arrayHeader(3)
            for j in 0..<3 { r.integer(j) }
        } else if t.equalsIgnoringCase("set") {
            r.setHeader(3)
            for j in 0..<3 { r.integer(j) }
        } else if t.equalsIgnoringCase("map") {
            r.mapHeader(3)
            for j in 0..<3 { r.integer(j); r.bool(j == 1) }
        } else if t.equalsIgnoringCase("attrib") {
            if c.resp == .resp3 {
                r.attributeHeader(1)
                r.bulk("key-popularity")
                r.arrayHeader(2)
                r.bulk("key:123")
                r.integer(90)
            }
            r.bulk("Some real reply following the attribute")
        } else if t.equalsIgnoringCase("push") {
            guard c.resp == .resp3 else {
                c.fail(.custom("ERR RESP2 is not supported by this command"))
                return
            }
            r.pushHeader(2)
            r.bulk("server-cpu-usage")
            r.integer(42)
            r.bulk("Some real reply following the push reply")
        } else if t.equalsIgnoringCase("true") { r.bool(true) }
        else if t.equalsIgnoringCase("false") { r.bool(false) }
        else if t.equalsIgnoringCase("verbatim") { r.verbatim("This is a verbatim\nstring") }
        else {
            c.fail(.custom("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"))
        }
    }

    static func populate(_ c: Client) {
        guard let count = Numbers.parseInt64(c.arg(2)), count >= 0 else {
            c.fail(.custom("ERR value is out of range, must be positive"))
            return
        }
        var size: Int64 = 0
        if c.argc == 5 {
            guard let s = Numbers.parseInt64(c.arg(4)), s >= 0 else {
                c.fail(.custom("ERR value is out of range, must be positive"))
                return
            }
            size = s
        }
        let prefix = c.argc >= 4 ? Array(c.arg(3)) : Array("key".utf8)
        let db = c.db
        for j in 0..<count {
            let name = prefix + Array(":\(j)".utf8)
            var value = Array("value:\(j)".utf8)
            if size > 0 {
                if value.count > Int(size) { value.removeLast(value.count - Int(size)) }
                else { value += [UInt8](repeating: 0, count: Int(size) - value.count) }
            }
            name.withBytes { nb in
                let key = Key(nb)
                if db.lookup(key) != nil { return }
                value.withBytes { vb in _ = db.setString(key, vb) }
                // Like Redis, populated keys invalidate WATCH but are not counted as changes.
                if c.server.watchedKeys.load(ordering: .relaxed) > 0 { c.server.invalidateWatchers(db: c.dbIndex, key: key) }
                if c.server.tracking.work.load(ordering: .relaxed) > 0 { c.server.tracking.keyModified(key, by: c) }
            }
        }
        c.reply.ok()
    }

    static func configRewriteForceAll(_ c: Client) {
        guard let file = c.server.config.configFile else {
            c.fail(.custom("ERR CONFIG-REWRITE-FORCE-ALL failed: \(String(cString: strerror(ENOENT)))"))
            return
        }
        if let e = ConfigWriter.rewrite(path: file, config: c.server.config.snapshot, forceAll: true, userLines: c.server.acl.listLines()) {
            c.fail(.custom("ERR CONFIG-REWRITE-FORCE-ALL failed: \(e)"))
        } else {
            c.reply.ok()
        }
    }
}

/// String commands.
public enum StringCommands {
    public static var all: [CommandSpec] {
        [
            CommandSpec("get", arity: 2, flags: [.readonly, .fast], keys: .range(first: 1, last: 1, step: 1),
                        group: .string, since: "1.0.0", summary: "Returns the string value of a key.", handler: get),
            CommandSpec("set", arity: -3, flags: [.write, .denyoom], keys: .range(first: 1, last: 1, step: 1),
                        group: .string, since: "1.0.0",
                        summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
                        handler: set),
        ]
    }

    static func get(_ c: Client) {
        guard let e = c.readKey(1) else {
            c.reply.nullBulk()
            return
        }
        guard e.type == .string else {
            c.fail(.wrongType)
            return
        }
        c.reply.bulk(e.string)
    }

    /// Options shared by SET and GETEX, parsed as Redis's parseExtendedStringArguments.
    struct ExtendedOptions {
        var nx = false, xx = false, get = false, keepTTL = false, persist = false
        enum Unit { case seconds, milliseconds }
        var expireArg = -1
        var unit = Unit.seconds
        var absolute = false

        var hasExpire: Bool { expireArg >= 0 }

        /// Parses options starting at `from`; `forSet` enables NX/XX/GET/KEEPTTL, else PERSIST.
        static func parse(_ c: Client, from: Int, forSet: Bool) throws(CommandError) -> ExtendedOptions {
            var o = ExtendedOptions()
            var j = from
            while j < c.argc {
                let a = c.arg(j)
                let hasNext = j < c.argc - 1
                if forSet && a.equalsIgnoringCase("NX") && !o.xx {
                    o.nx = true
                } else if forSet && a.equalsIgnoringCase("XX") && !o.nx {
                    o.xx = true
                } else if forSet && a.equalsIgnoringCase("GET") {
                    o.get = true
                } else if forSet && a.equalsIgnoringCase("KEEPTTL") && !o.persist && !o.hasExpire {
                    o.keepTTL = true
                } else if !forSet && a.equalsIgnoringCase("PERSIST") && !o.hasExpire && !o.keepTTL {
                    o.persist = true
                } else if hasNext && !o.keepTTL && !o.persist && !o.hasExpire,
                          let (unit, absolute) = expireOption(a) {
                    o.unit = unit
                    o.absolute = absolute
                    o.expireArg = j + 1
                    j += 1
                } else {
                    throw .syntax
                }
                j += 1
            }
            return o
        }

        static func expireOption(_ a: Bytes) -> (Unit, Bool)? {
            if a.equalsIgnoringCase("EX") { return (.seconds, false) }
            if a.equalsIgnoringCase("PX") { return (.milliseconds, false) }
            if a.equalsIgnoringCase("EXAT") { return (.seconds, true) }
            if a.equalsIgnoringCase("PXAT") { return (.milliseconds, true) }
            return nil
        }

        /// The absolute expiry in Unix ms, with Redis's validation.
        func expireAt(_ c: Client, command: String) throws(CommandError) -> Int64 {
            var ms = try c.intArg(expireArg)
            if ms <= 0 || (unit == .seconds && ms > Int64.max / 1000) { throw .invalidExpireTime(command: command) }
            if unit == .seconds { ms *= 1000 }
            if !absolute {
                let (sum, overflow) = ms.addingReportingOverflow(c.now)
                if overflow { throw .invalidExpireTime(command: command) }
                ms = sum
            }
            if ms <= 0 { throw .invalidExpireTime(command: command) }
            return ms
        }
    }

    static func set(_ c: Client) {
        let o: ExtendedOptions
        let expireAt: Int64
        do {
            o = try ExtendedOptions.parse(c, from: 3, forSet: true)
            expireAt = o.hasExpire ? try o.expireAt(c, command: "set") : 0
        } catch {
            c.fail(error)
            return
        }
        let key = c.key(1)
        let db = c.db
        let existing = db.lookup(key)
        if o.get {
            if let e = existing {
                guard e.type == .string else {
                    c.fail(.wrongType)
                    return
                }
                c.reply.bulk(e.string)
            } else {
                c.reply.nullBulk()
            }
        }
        let found = existing != nil
        if (o.nx && found) || (o.xx && !found) {
            if !o.get { c.reply.nullBulk() }
            return
        }
        db.setString(key, c.arg(2), expireAt: expireAt, keepTTL: o.keepTTL)
        c.modified(key, .string, "set")
        if o.hasExpire {
            c.notify(.generic, "expire", key.bytes)
            c.propagateAs = [[Array("SET".utf8), Array(c.arg(1)), Array(c.arg(2)), Array("PXAT".utf8), Numbers.int64Bytes(expireAt)]]
        } else if o.get {
            var args: [[UInt8]] = []
            for i in 0..<c.argc where !(i >= 3 && c.arg(i).equalsIgnoringCase("GET")) { args.append(Array(c.arg(i))) }
            c.propagateAs = [args]
        }
        if !o.get { c.reply.ok() }
    }
}

/// Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET.
public enum ConnectionCommands {
    public static var all: [CommandSpec] {
        [
            CommandSpec("ping", arity: -1, flags: [.fast], group: .connection, since: "1.0.0",
                        summary: "Returns the server's liveliness response.", handler: ping),
            CommandSpec("echo", arity: 2, flags: [.fast], group: .connection, since: "1.0.0",
                        summary: "Returns the given string.", handler: echo),
            CommandSpec("quit", arity: -1, flags: [.allowBusy, .noAuth, .noscript, .loading, .stale, .fast],
                        group: .connection, since: "1.0.0", summary: "Closes the connection.", handler: quit),
            CommandSpec("select", arity: 2, flags: [.loading, .stale, .fast], group: .connection, since: "1.0.0",
                        summary: "Changes the selected database.", handler: select),
            CommandSpec("hello", arity: -1, flags: [.noscript, .loading, .stale, .fast, .noAuth, .allowBusy],
                        group: .connection, since: "6.0.0", complexity: "O(1)",
                        summary: "Handshakes with the server: protocol version, authentication, client name.", handler: hello),
            CommandSpec("auth", arity: -2, flags: [.noscript, .loading, .stale, .fast, .noAuth, .allowBusy],
                        group: .connection, since: "1.0.0", complexity: "O(N) where N is the number of passwords defined for the user",
                        summary: "Authenticates the connection.", handler: auth),
            CommandSpec("reset", arity: 1, flags: [.noscript, .loading, .stale, .fast, .noAuth, .allowBusy],
                        group: .connection, since: "6.2.0", summary: "Resets the connection.", handler: reset),
        ]
    }

    static func ping(_ c: Client) {
        if c.argc > 2 {
            c.fail(.wrongArity(command: "ping"))
            return
        }
        if c.flags.contains(.pubsub) && c.resp == .resp2 {
            c.reply.arrayHeader(2)
            c.reply.bulk("pong")
            if c.argc == 2 { c.reply.bulk(c.arg(1)) } else { c.reply.bulk("") }
            return
        }
        if c.argc == 2 { c.reply.bulk(c.arg(1)) } else { c.reply.status("PONG") }
    }

    static func echo(_ c: Client) {
        c.reply.bulk(c.arg(1))
    }

    static func quit(_ c: Client) {
        c.reply.ok()
        c.flags.insert(.closeAfterReply)
    }

    static func select(_ c: Client) {
        guard let idx = Numbers.parseInt64(c.arg(1)), idx >= Int64(Int32.min), idx <= Int64(Int32.max) else {
            c.fail(.custom("ERR value is not an integer or out of range"))
            return
        }
        guard idx >= 0 && Int(idx) < c.server.keyspace.databaseCount else {
            c.fail(.dbIndexOutOfRange)
            return
        }
        c.dbIndex = Int(idx)
        c.reply.ok()
    }

    /// Checks a password for `user` against requirepass (the only user is `default`).
    static func authenticate(_ c: Client, user: String, password: Bytes) -> Bool {
        let required = c.context.config.requirepass
        guard user == "default" else { return false }
        if required.isEmpty { return true }
        return password.string == required
    }

    static func hello(_ c: Client) {
        var version: Int64 = 0
        var next = 1
        if c.argc >= 2 {
            guard let v = Numbers.parseInt64(c.arg(1)) else {
                c.fail(.custom("ERR Protocol version is not an integer or out of range"))
                return
            }
            version = v
            next = 2
            if version < 2 || version > 3 {
                c.fail(.unsupportedProtocol)
                return
            }
        }
        var newName: String?
        var j = next
        while j < c.argc {
            let more = c.argc - 1 - j
            let opt = c.arg(j)
            if opt.equalsIgnoringCase("AUTH") && more >= 2 {
                if !authenticate(c, user: c.argString(j + 1), password: c.arg(j + 2)) {
                    c.fail(.wrongPass)
                    return
                }
                c.authenticated = true
                j += 3
            } else if opt.equalsIgnoringCase("SETNAME") && more >= 1 {
                guard let name = ClientNames.validate(c.arg(j + 1)) else {
                    c.fail(.custom("ERR Client names cannot contain spaces, newlines or special characters."))
                    return
                }
                newName = name
                j += 2
            } else {
                c.fail(.custom("ERR Syntax error in HELLO option '\(opt.string)'"))
                return
            }
        }
        if c.needsAuth {
            c.fail(.custom("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"))
            return
        }
        if let newName { c.server.setName(c, newName) }
        if version != 0 { c.reply.resp = version == 3 ? .resp3 : .resp2 }
        c.reply.mapHeader(7)
        c.reply.bulk("server"); c.reply.bulk("redis")
        c.reply.bulk("version"); c.reply.bulk(ServerInfo.redisVersion)
        c.reply.bulk("proto"); c.reply.integer(c.resp.rawValue)
        c.reply.bulk("id"); c.reply.integer(c.id)
        c.reply.bulk("mode"); c.reply.bulk("standalone")
        c.reply.bulk("role"); c.reply.bulk("master")
        c.reply.bulk("modules"); c.reply.arrayHeader(0)
    }

    static func auth(_ c: Client) {
        if c.argc > 3 {
            c.fail(.syntax)
            return
        }
        if c.argc == 2 && c.context.config.requirepass.isEmpty {
            c.fail(.authWithoutPassword)
            return
        }
        let ok = c.argc == 2 ? authenticate(c, user: "default", password: c.arg(1))
            : authenticate(c, user: c.argString(1), password: c.arg(2))
        if ok {
            c.authenticated = true
            c.reply.ok()
        } else {
            c.fail(.wrongPass)
        }
    }

    static func reset(_ c: Client) {
        for hook in c.server.clientResetHooks { hook(c) }
        if c.flags.contains(.monitor) {
            c.server.monitors.remove(c)
            c.flags.remove(.monitor)
        }
        c.dbIndex = 0
        c.reply.resp = .resp2
        c.authenticated = c.context.config.requirepass.isEmpty
        c.server.setName(c, "")
        c.flags.remove([.multi, .dirtyCAS, .dirtyExec, .pubsub, .noEvict, .noTouch])
        c.multiQueue.removeAll()
        c.multiBytes = 0
        c.reply.status("RESET")
    }
}

/// Rules for CLIENT SETNAME / HELLO SETNAME names.
public enum ClientNames {
    /// The name as a string when valid: printable ASCII without spaces; empty clears.
    public static func validate(_ b: Bytes) -> String? {
        for ch in b where ch < 33 || ch > 126 { return nil }
        return b.string
    }
}

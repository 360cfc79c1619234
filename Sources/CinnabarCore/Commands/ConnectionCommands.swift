import CSystem
import Glibc

/// Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET, CLIENT.
public enum ConnectionCommands {
    public static var all: [CommandSpec] {
        let clientFlags: CommandFlags = [.noscript, .loading, .stale]
        let clientAdmin: CommandFlags = [.admin, .noscript, .loading, .stale]
        return [
            CommandSpec("ping", arity: -1, flags: [.fast], group: .connection, since: "1.0.0",
                        summary: "Returns the server's liveliness response.",
                        tips: ["request_policy:all_shards", "response_policy:all_succeeded"], handler: ping),
            CommandSpec("echo", arity: 2, flags: [.loading, .stale, .fast], group: .connection, since: "1.0.0",
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
            CommandSpec("client", arity: -2, group: .connection, since: "2.4.0", complexity: "Depends on subcommand.",
                        summary: "Groups the client connection subcommands.", subcommands: [
                CommandSpec("id", arity: 2, flags: clientFlags, group: .connection, since: "5.0.0",
                            summary: "Returns the unique id of the connection.", handler: clientID),
                CommandSpec("info", arity: 2, flags: clientFlags, group: .connection, since: "6.2.0",
                            summary: "Describes the connection, in CLIENT LIST's format.",
                            tips: ["nondeterministic_output"], handler: clientInfo),
                CommandSpec("list", arity: -2, flags: clientAdmin, group: .connection, since: "2.4.0",
                            complexity: "O(N) where N is the number of client connections",
                            summary: "Describes the connections, one line each.",
                            tips: ["nondeterministic_output"], handler: clientList),
                CommandSpec("setname", arity: 3, flags: clientFlags, group: .connection, since: "2.6.9",
                            summary: "Names the connection.", handler: clientSetName),
                CommandSpec("getname", arity: 2, flags: clientFlags, group: .connection, since: "2.6.9",
                            summary: "Returns the connection's name.", handler: clientGetName),
                CommandSpec("kill", arity: -3, flags: clientAdmin, group: .connection, since: "2.4.0",
                            complexity: "O(N) where N is the number of client connections",
                            summary: "Closes connections chosen by address or by filters.", handler: clientKill),
                CommandSpec("reply", arity: 3, flags: clientFlags, group: .connection, since: "3.2.0",
                            summary: "Turns the connection's replies on, off, or off for the next command.", handler: clientReply),
                CommandSpec("no-evict", arity: 3, flags: clientAdmin, group: .connection, since: "7.0.0",
                            summary: "Exempts the connection from client eviction, or not.", handler: clientNoEvict),
                CommandSpec("pause", arity: -3, flags: clientAdmin, group: .connection, since: "2.9.50",
                            summary: "Holds back the commands of every client, or only writes, for a while.", handler: clientPause),
                CommandSpec("unpause", arity: 2, flags: clientAdmin, group: .connection, since: "6.2.0",
                            complexity: "O(N) Where N is the number of paused clients",
                            summary: "Ends a client pause and runs the held commands.", handler: clientUnpause),
                CommandSpec("unblock", arity: -3, flags: clientAdmin, group: .connection, since: "5.0.0",
                            complexity: "O(log N) where N is the number of client connections",
                            summary: "Ends the wait of a client blocked on keys, as a timeout or with an error.",
                            handler: clientUnblock),
                CommandSpec("tracking", arity: -3, flags: clientFlags, group: .connection, since: "6.0.0",
                            complexity: "O(1). Some options may introduce additional complexity.",
                            summary: "Turns server-assisted client-side caching on or off for the connection.",
                            handler: TrackingCommands.tracking),
                CommandSpec("caching", arity: 3, flags: clientFlags, group: .connection, since: "6.0.0",
                            summary: "Tells whether the next command's keys are tracked (OPTIN/OPTOUT modes).",
                            handler: TrackingCommands.caching),
                CommandSpec("getredir", arity: 2, flags: clientFlags, group: .connection, since: "6.0.0",
                            summary: "Returns the id of the client invalidations are redirected to.",
                            handler: TrackingCommands.getRedirect),
                CommandSpec("trackinginfo", arity: 2, flags: clientFlags, group: .connection, since: "6.2.0",
                            summary: "Describes the connection's client-side caching settings.",
                            handler: TrackingCommands.trackingInfo),
                CommandSpec("help", arity: 2, flags: [.loading, .stale], group: .connection, since: "5.0.0",
                            summary: "Describes the CLIENT subcommands.", handler: clientHelp),
            ], handler: nil),
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
        guard let idx = Numbers.parseInt64(c.arg(1)) else {
            c.fail(.notInteger)
            return
        }
        guard idx >= Int64(Int32.min), idx <= Int64(Int32.max) else {
            c.fail(.custom("ERR value is out of range, value must between -2147483648 and 2147483647"))
            return
        }
        guard idx >= 0 && Int(idx) < c.server.keyspace.databaseCount else {
            c.fail(.dbIndexOutOfRange)
            return
        }
        c.dbIndex = Int(idx)
        c.reply.ok()
    }

    /// Authenticates `c` as `user` when `password` opens it; a failure is recorded in ACL LOG.
    static func authenticate(_ c: Client, user: String, password: Bytes) -> Bool {
        let acl = c.server.acl
        if let u = acl.authenticate(user, password: password) {
            c.setUser(u, authenticated: true)
            return true
        }
        acl.logDenial(c, .auth, c.flags.contains(.multi) ? .multi : .toplevel, position: 0, cmd: nil, username: user)
        return false
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
        // Options take effect in order, as in Redis: a name set before a failing AUTH stays set.
        var j = next
        while j < c.argc {
            let more = c.argc - 1 - j
            let opt = c.arg(j)
            if opt.equalsIgnoringCase("AUTH") && more >= 2 {
                c.redactArgument(j + 1)
                c.redactArgument(j + 2)
                if !authenticate(c, user: c.argString(j + 1), password: c.arg(j + 2)) {
                    c.fail(.wrongPass)
                    return
                }
                j += 3
            } else if opt.equalsIgnoringCase("SETNAME") && more >= 1 {
                guard let name = ClientNames.validate(c.arg(j + 1)) else {
                    c.fail(.invalidClientName)
                    return
                }
                c.server.setName(c, name)
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
        c.redactArgument(1)
        if c.argc == 2 && c.server.acl.defaultIsNopass {
            c.fail(.authWithoutPassword)
            return
        }
        if c.argc == 3 { c.redactArgument(2) }
        let ok = c.argc == 2 ? authenticate(c, user: "default", password: c.arg(1))
            : authenticate(c, user: c.argString(1), password: c.arg(2))
        if ok {
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
        c.setUser(c.server.acl.defaultUser, authenticated: !c.server.acl.defaultRequiresAuth.load(ordering: .relaxed))
        c.server.setName(c, "")
        c.flags.remove([.multi, .dirtyCAS, .dirtyExec, .pubsub, .noEvict, .noTouch, .replyOff, .replySkipNext])
        c.multiQueue.removeAll()
        c.multiBytes = 0
        c.reply.status("RESET")
    }

    // MARK: CLIENT

    static func clientID(_ c: Client) {
        c.reply.integer(c.id)
    }

    static func clientInfo(_ c: Client) {
        c.reply.verbatim(clientInfoLine(c, now: Sys.unixMillis()) + "\n")
    }

    /// Redis's client types, as CLIENT LIST TYPE and CLIENT KILL TYPE name them.
    enum ClientType {
        case normal, replica, pubsub, master

        init?(_ name: Bytes) {
            if name.equalsIgnoringCase("normal") { self = .normal }
            else if name.equalsIgnoringCase("slave") || name.equalsIgnoringCase("replica") { self = .replica }
            else if name.equalsIgnoringCase("pubsub") { self = .pubsub }
            else if name.equalsIgnoringCase("master") { self = .master }
            else { return nil }
        }

        /// Cinnabar has no replication links: clients are pub/sub or normal (monitors included).
        init(of c: Client) {
            self = c.flags.contains(.pubsub) ? .pubsub : .normal
        }
    }

    static func clientList(_ c: Client) {
        let now = Sys.unixMillis()
        var out = ""
        if c.argc == 4 && c.arg(2).equalsIgnoringCase("type") {
            guard let type = ClientType(c.arg(3)) else {
                c.fail(.custom("ERR Unknown client type '\(c.argString(3))'"))
                return
            }
            c.server.forEachClient { other in
                if ClientType(of: other) == type { out += clientInfoLine(other, now: now) + "\n" }
            }
        } else if c.argc > 3 && c.arg(2).equalsIgnoringCase("id") {
            var ids: [Int64] = []
            for i in 3..<c.argc {
                guard let id = Numbers.parseInt64(c.arg(i)) else {
                    c.fail(.custom("ERR Invalid client ID"))
                    return
                }
                ids.append(id)
            }
            for id in ids {
                c.server.forEachClient { other in
                    if other.id == id { out += clientInfoLine(other, now: now) + "\n" }
                }
            }
        } else if c.argc != 2 {
            c.fail(.syntax)
            return
        } else {
            c.server.forEachClient { other in out += clientInfoLine(other, now: now) + "\n" }
        }
        c.reply.verbatim(out)
    }

    /// One CLIENT LIST line, with Redis 7.0's fields in Redis's order.
    /// Called for clients of other loops under their loop's client lock:
    /// counters may be a moment stale, never torn.
    public static func clientInfoLine(_ c: Client, now: Int64) -> String {
        var flags = ""
        if c.flags.contains(.monitor) { flags += "O" }
        if c.flags.contains(.pubsub) { flags += "P" }
        if c.flags.contains(.multi) { flags += "x" }
        if c.flags.contains(.blocked) || c.flags.contains(.postponed) { flags += "b" }
        if c.flags.contains(.tracking) { flags += "t" }
        if c.flags.contains(.trackingBrokenRedirect) { flags += "R" }
        if c.flags.contains(.trackingBcast) { flags += "B" }
        if c.flags.contains(.dirtyCAS) || c.watchedKeyChanged.load(ordering: .relaxed) { flags += "d" }
        if c.flags.contains(.closeAfterReply) { flags += "c" }
        if c.flags.contains(.closeASAP) { flags += "A" }
        if c.flags.contains(.noEvict) { flags += "e" }
        if flags.isEmpty { flags = "N" }
        let cmd = c.lastCommandID >= 0 ? c.server.commands.allSpecs[c.lastCommandID].fullName : "NULL"
        let age = (now - c.createdAt) / 1000
        let idle = max(0, (now - c.lastInteraction) / 1000)
        var s = "id=\(c.id) addr=\(c.peerAddress) laddr=\(c.localAddress) fd=\(c.fd) name=\(c.name)"
        s += " age=\(age) idle=\(idle) flags=\(flags) db=\(c.dbIndex)"
        s += " sub=\(c.channelSubscriptions) psub=\(c.patternSubscriptions) ssub=\(c.shardChannelSubscriptions)"
        s += " multi=\(c.flags.contains(.multi) ? c.queuedCommandCount : -1)"
        s += " qbuf=\(c.queryBufferLength) qbuf-free=\(c.queryBufferFree) argv-mem=\(c.argvMemory) multi-mem=\(c.multiBytes)"
        s += " rbs=\(c.reply.allocatedSize) rbp=\(c.reply.allocatedSize) obl=\(c.reply.pending) oll=0 omem=\(c.outputBufferMemory)"
        s += " tot-mem=\(c.memoryUsage) events=\(c.eventMask) cmd=\(cmd) user=\(c.user.name) redir=\(Tracking.redirectShown(c)) resp=\(c.resp.rawValue)"
        return s
    }

    static func clientSetName(_ c: Client) {
        guard let name = ClientNames.validate(c.arg(2)) else {
            c.fail(.invalidClientName)
            return
        }
        c.server.setName(c, name)
        c.reply.ok()
    }

    static func clientGetName(_ c: Client) {
        if c.name.isEmpty { c.reply.nullBulk() } else { c.reply.bulk(c.name) }
    }

    /// CLIENT KILL addr (old form: kills even the caller, replies OK or an
    /// error) or CLIENT KILL <filter> <value> ... (replies the number killed).
    /// Clients of other loops are closed by their own loop; the caller, if
    /// it matches, closes once its reply is written.
    static func clientKill(_ c: Client) {
        var addr: String?
        var laddr: String?
        var userFilter: ACLUser?
        var type: ClientType?
        var id: Int64 = 0
        var skipMe = true
        if c.argc == 3 {
            addr = c.argString(2)
            skipMe = false
        } else {
            var i = 2
            while i < c.argc {
                guard i + 1 < c.argc else {
                    c.fail(.syntax)
                    return
                }
                let opt = c.arg(i), value = c.arg(i + 1)
                if opt.equalsIgnoringCase("id") {
                    guard let v = Numbers.parseInt64(value), v >= 1 else {
                        c.fail(.custom("ERR client-id should be greater than 0"))
                        return
                    }
                    id = v
                } else if opt.equalsIgnoringCase("type") {
                    guard let t = ClientType(value) else {
                        c.fail(.custom("ERR Unknown client type '\(value.string)'"))
                        return
                    }
                    type = t
                } else if opt.equalsIgnoringCase("addr") {
                    addr = value.string
                } else if opt.equalsIgnoringCase("laddr") {
                    laddr = value.string
                } else if opt.equalsIgnoringCase("user") {
                    guard let u = c.server.acl.user(named: value.string) else {
                        c.fail(.custom("ERR No such user '\(value.string)'"))
                        return
                    }
                    userFilter = u
                } else if opt.equalsIgnoringCase("skipme") {
                    if value.equalsIgnoringCase("yes") { skipMe = true }
                    else if value.equalsIgnoringCase("no") { skipMe = false }
                    else { c.fail(.syntax); return }
                } else {
                    c.fail(.syntax)
                    return
                }
                i += 2
            }
        }
        var victims: [Client] = []
        var killSelf = false
        c.server.forEachClient { other in
            if let addr, other.peerAddress != addr { return }
            if let laddr, other.localAddress != laddr { return }
            if let type, ClientType(of: other) != type { return }
            if let userFilter, other.user !== userFilter { return }
            if id != 0 && other.id != id { return }
            if other === c {
                if skipMe { return }
                killSelf = true
            } else {
                victims.append(other)
            }
        }
        let killed = victims.count + (killSelf ? 1 : 0)
        for v in victims {
            v.context.loop.execute { [weak v] in v?.close() }
        }
        if c.argc == 3 {
            if killed == 0 { c.fail(.custom("ERR No such client")) } else { c.reply.ok() }
        } else {
            c.reply.integer(killed)
        }
        if killSelf { c.flags.insert(.closeAfterReply) }
    }

    static func clientReply(_ c: Client) {
        let mode = c.arg(2)
        if mode.equalsIgnoringCase("on") {
            c.flags.remove([.replySkip, .replyOff])
            c.reply.ok()
        } else if mode.equalsIgnoringCase("off") {
            c.flags.insert(.replyOff)
        } else if mode.equalsIgnoringCase("skip") {
            if !c.flags.contains(.replyOff) { c.flags.insert(.replySkipNext) }
        } else {
            c.fail(.syntax)
        }
    }

    static func clientNoEvict(_ c: Client) {
        let mode = c.arg(2)
        if mode.equalsIgnoringCase("on") {
            c.flags.insert(.noEvict)
            c.reply.ok()
        } else if mode.equalsIgnoringCase("off") {
            c.flags.remove(.noEvict)
            c.reply.ok()
        } else {
            c.fail(.syntax)
        }
    }

    static func clientPause(_ c: Client) {
        guard c.argc <= 4 else {
            c.fail(.subcommandSyntax(subcommand: c.argCString(1), command: "client"))
            return
        }
        var mode = ClientPause.Mode.all
        if c.argc == 4 {
            if c.arg(3).equalsIgnoringCase("write") { mode = .write }
            else if c.arg(3).equalsIgnoringCase("all") { mode = .all }
            else {
                c.fail(.custom("ERR CLIENT PAUSE mode must be WRITE or ALL"))
                return
            }
        }
        guard let millis = Numbers.parseInt64(c.arg(2)) else {
            c.fail(.custom("ERR timeout is not an integer or out of range"))
            return
        }
        guard millis >= 0 else {
            c.fail(.custom("ERR timeout is negative"))
            return
        }
        c.server.pauseClients(mode: mode, millis: millis)
        c.reply.ok()
    }

    static func clientUnpause(_ c: Client) {
        c.server.unpauseClients()
        c.reply.ok()
    }

    /// CLIENT UNBLOCK <id> [TIMEOUT|ERROR]: 1 when the client was blocked on keys.
    static func clientUnblock(_ c: Client) {
        guard c.argc <= 4 else {
            c.fail(.subcommandSyntax(subcommand: c.argCString(1), command: "client"))
            return
        }
        var error = false
        if c.argc == 4 {
            if c.arg(3).equalsIgnoringCase("TIMEOUT") {
                error = false
            } else if c.arg(3).equalsIgnoringCase("ERROR") {
                error = true
            } else {
                c.fail(.unblockReason)
                return
            }
        }
        guard let id = Numbers.parseInt64(c.arg(2)) else {
            c.fail(.notInteger)
            return
        }
        c.reply.integer(c.server.unblockClient(id: id, error: error) ? 1 : 0)
    }

    static func clientHelp(_ c: Client) {
        ServerCommands.replyHelp(c, [
            "CACHING (YES|NO)",
            "    In OPTIN (YES) or OPTOUT (NO) tracking mode, track or skip the keys of the next command.",
            "GETNAME",
            "    Return the name of this connection.",
            "GETREDIR",
            "    Return the id of the client that receives this connection's invalidations",
            "    (0: none, -1: tracking is off).",
            "ID",
            "    Return the id of this connection.",
            "INFO",
            "    Describe this connection, in the format of CLIENT LIST.",
            "KILL <ip:port>",
            "    Close the connection from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Close every connection matching all the filters:",
            "    * ID <client-id>",
            "    * ADDR <ip:port>        connections from this address",
            "    * LADDR <ip:port>       connections to this local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "    * USER <username>",
            "    * SKIPME (YES|NO)       whether to spare this connection (default: yes)",
            "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <client-id> [<client-id> ...]]",
            "    Describe the connections, one line each.",
            "NO-EVICT (ON|OFF)",
            "    Exempt this connection from client eviction, or not.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Hold back the commands of every client (ALL) or only writes (WRITE) for <timeout> milliseconds.",
            "UNPAUSE",
            "    End a pause and run the commands it held back.",
            "REPLY (ON|OFF|SKIP)",
            "    Send replies to this connection, stop sending them, or skip the next one.",
            "SETNAME <name>",
            "    Name this connection.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]] [OPTIN] [OPTOUT] [NOLOOP]",
            "    Turn server-assisted client-side caching on or off: keys this connection reads (or,",
            "    with BCAST, any key under a prefix) are invalidated when they change.",
            "TRACKINGINFO",
            "    Describe this connection's tracking settings.",
            "UNBLOCK <client-id> [TIMEOUT|ERROR]",
            "    End the wait of a client blocked on keys, as if it timed out (default) or with an error.",
        ])
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

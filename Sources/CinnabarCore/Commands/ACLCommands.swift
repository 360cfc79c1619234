import CSystem
import Glibc

/// ACL: users and permissions (rules and checks live in Server/ACL.swift).
public enum ACLCommands {
    public static var all: [CommandSpec] {
        let admin: CommandFlags = [.admin, .noscript, .loading, .stale]
        let plain: CommandFlags = [.noscript, .loading, .stale]
        return [
            CommandSpec("acl", arity: -2, group: .server, since: "6.0.0", complexity: "Depends on subcommand.",
                        summary: "A container for Access List Control commands.", subcommands: [
                CommandSpec("cat", arity: -2, flags: plain, group: .server, since: "6.0.0",
                            complexity: "O(1) since the categories and commands are a fixed set.",
                            summary: "Lists the ACL categories, or the commands inside a category.", handler: cat),
                CommandSpec("deluser", arity: -3, flags: admin, group: .server, since: "6.0.0",
                            complexity: "O(1) amortized time considering the typical user.",
                            summary: "Deletes ACL users, and terminates their connections.", handler: delUser),
                CommandSpec("dryrun", arity: -4, flags: admin, group: .server, since: "7.0.0", complexity: "O(1).",
                            summary: "Simulates the execution of a command by a user, without executing the command.",
                            handler: dryRun),
                CommandSpec("genpass", arity: -2, flags: plain, group: .server, since: "6.0.0",
                            summary: "Generates a pseudorandom, secure password that can be used to identify ACL users.",
                            handler: genPass),
                CommandSpec("getuser", arity: 3, flags: admin, group: .server, since: "6.0.0",
                            complexity: "O(N). Where N is the number of password, command and pattern rules that the user has.",
                            summary: "Lists the ACL rules of a user.", handler: getUser),
                CommandSpec("help", arity: 2, flags: [.loading, .stale], group: .server, since: "6.0.0",
                            summary: "Returns helpful text about the different subcommands.", handler: help),
                CommandSpec("list", arity: 2, flags: admin, group: .server, since: "6.0.0",
                            complexity: "O(N). Where N is the number of configured users.",
                            summary: "Dumps the effective rules in ACL file format.", handler: list),
                CommandSpec("load", arity: 2, flags: admin, group: .server, since: "6.0.0",
                            complexity: "O(N). Where N is the number of configured users.",
                            summary: "Reloads the rules from the configured ACL file.", handler: load),
                CommandSpec("log", arity: -2, flags: admin, group: .server, since: "6.0.0",
                            complexity: "O(N) with N being the number of entries shown.",
                            summary: "Lists recent security events generated due to commands rejected by ACL rules.",
                            handler: log),
                CommandSpec("save", arity: 2, flags: admin, group: .server, since: "6.0.0",
                            complexity: "O(N). Where N is the number of configured users.",
                            summary: "Saves the effective ACL rules in the configured ACL file.", handler: save),
                CommandSpec("setuser", arity: -3, flags: admin, group: .server, since: "6.0.0",
                            complexity: "O(N). Where N is the number of rules provided.",
                            summary: "Creates and modifies an ACL user and its rules.", handler: setUser),
                CommandSpec("users", arity: 2, flags: admin, group: .server, since: "6.0.0",
                            complexity: "O(N). Where N is the number of configured users.",
                            summary: "Lists all ACL users.", handler: users),
                CommandSpec("whoami", arity: 2, flags: plain, group: .server, since: "6.0.0",
                            summary: "Returns the authenticated username of the current connection.", handler: whoami),
            ], handler: nil),
        ]
    }

    static func setUser(_ c: Client) {
        for j in 2..<c.argc { c.redactArgument(j) }
        let name = c.argString(2)
        if ACL.hasSpaces(c.arg(2)) {
            c.fail(.custom("ERR Usernames can't contain spaces or null characters"))
            return
        }
        let rules = (3..<c.argc).map { c.argString($0) }
        if let error = c.server.acl.setUser(name, rules: rules, current: c) {
            c.fail(.custom(error))
        } else {
            c.reply.ok()
        }
    }

    static func delUser(_ c: Client) {
        let names = (2..<c.argc).map { c.argString($0) }
        if names.contains("default") {
            c.fail(.custom("ERR The 'default' user cannot be removed"))
            return
        }
        c.reply.integer(c.server.acl.deleteUsers(names, current: c))
    }

    static func getUser(_ c: Client) {
        let acl = c.server.acl
        guard let u = acl.user(named: c.argString(2)) else {
            c.reply.nullBulk()
            return
        }
        let st = acl.lock.withLock { u.state }
        c.reply.mapHeader(6)
        c.reply.bulk("flags")
        let flags = ACL.flagNames(st)
        c.reply.setHeader(flags.count)
        for f in flags { c.reply.bulk(f) }
        c.reply.bulk("passwords")
        c.reply.arrayHeader(st.passwords.count)
        for p in st.passwords { c.reply.bulk(p) }
        describeSelector(c, acl, st.selectors[0])
        c.reply.bulk("selectors")
        c.reply.arrayHeader(st.selectors.count - 1)
        for s in st.selectors.dropFirst() {
            c.reply.mapHeader(3)
            describeSelector(c, acl, s)
        }
    }

    private static func describeSelector(_ c: Client, _ acl: ACL, _ s: ACLSelector) {
        c.reply.bulk("commands")
        c.reply.bulk(acl.describeCommands(s))
        c.reply.bulk("keys")
        c.reply.bulk(acl.describeKeys(s))
        c.reply.bulk("channels")
        c.reply.bulk(acl.describeChannels(s))
    }

    static func list(_ c: Client) {
        let lines = c.server.acl.listLines()
        c.reply.arrayHeader(lines.count)
        for l in lines { c.reply.bulk(l) }
    }

    static func users(_ c: Client) {
        let acl = c.server.acl
        let names = acl.lock.withLock { Array(acl.users.keys) }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        c.reply.arrayHeader(names.count)
        for n in names { c.reply.bulk(n) }
    }

    static func whoami(_ c: Client) {
        c.reply.bulk(c.user.name)
    }

    private static func aclFile(_ c: Client) -> String? {
        let file = c.context.config.extras["aclfile"] ?? ""
        if file.isEmpty {
            c.fail(.custom("ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."))
            return nil
        }
        return file
    }

    static func load(_ c: Client) {
        guard let file = aclFile(c) else { return }
        if let error = c.server.acl.load(from: file, current: c) {
            c.fail(.custom("ERR " + error))
        } else {
            c.reply.ok()
        }
    }

    static func save(_ c: Client) {
        guard let file = aclFile(c) else { return }
        if c.server.acl.save(to: file) {
            c.reply.ok()
        } else {
            c.fail(.custom("ERR There was an error trying to save the ACLs. Please check the server logs for more information"))
        }
    }

    static func cat(_ c: Client) {
        let acl = c.server.acl
        if c.argc == 2 {
            c.reply.arrayHeader(ACL.categories.count)
            for name in ACL.categories { c.reply.bulk(name) }
            return
        }
        if c.argc != 3 {
            c.fail(.subcommandSyntax(subcommand: c.argCString(1), command: "acl"))
            return
        }
        guard let idx = acl.categoryIndex(Substring(c.argString(2))) else {
            c.fail(.custom("ERR Unknown category '\(CommandError.clip(c.argString(2)))'"))
            return
        }
        let flag: UInt32 = 1 << UInt32(idx)
        var names: [String] = []
        for cmd in acl.table.commands {
            if acl.categoryMasks[cmd.id] & flag != 0 { names.append(cmd.fullName) }
            for sub in cmd.subcommands where acl.categoryMasks[sub.id] & flag != 0 { names.append(sub.fullName) }
        }
        c.reply.arrayHeader(names.count)
        for n in names { c.reply.bulk(n) }
    }

    static func genPass(_ c: Client) {
        if c.argc > 3 {
            c.fail(.subcommandSyntax(subcommand: c.argCString(1), command: "acl"))
            return
        }
        var bits = 256
        if c.argc == 3 {
            guard let v = Numbers.parseInt64(c.arg(2)) else {
                c.fail(.notInteger)
                return
            }
            guard v > 0 && v <= 4096 else {
                c.fail(.custom("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"))
                return
            }
            bits = Int(v)
        }
        let chars = (bits + 3) / 4
        var raw = [UInt8](repeating: 0, count: chars)
        _ = raw.withUnsafeMutableBytes { getrandom($0.baseAddress, $0.count, 0) }
        let hex = Array("0123456789abcdef".utf8)
        c.reply.bulk(raw.map { hex[Int($0 & 15)] })
    }

    static func log(_ c: Client) {
        if c.argc > 3 {
            c.fail(.subcommandSyntax(subcommand: c.argCString(1), command: "acl"))
            return
        }
        let acl = c.server.acl
        var count = 10
        if c.argc == 3 {
            if c.arg(2).equalsIgnoringCase("reset") {
                acl.lock.withLock { acl.log.removeAll() }
                c.reply.ok()
                return
            }
            guard let v = Numbers.parseInt64(c.arg(2)) else {
                c.fail(.notInteger)
                return
            }
            count = v < 0 ? 0 : Int(clamping: v)
        }
        let entries = acl.lock.withLock { Array(acl.log.prefix(count)) }
        let now = Sys.unixMillis()
        c.reply.arrayHeader(entries.count)
        for e in entries {
            c.reply.mapHeader(7)
            c.reply.bulk("count"); c.reply.integer(e.count)
            c.reply.bulk("reason"); c.reply.bulk(e.reason.logName)
            c.reply.bulk("context"); c.reply.bulk(e.context.rawValue)
            c.reply.bulk("object"); c.reply.bulk(e.object)
            c.reply.bulk("username"); c.reply.bulk(e.username)
            c.reply.bulk("age-seconds"); c.reply.double(Double(now - e.millis) / 1000)
            c.reply.bulk("client-info"); c.reply.bulk(e.clientInfo)
        }
    }

    static func dryRun(_ c: Client) {
        let acl = c.server.acl
        guard let u = acl.user(named: c.argString(2)) else {
            c.fail(.custom("ERR User '\(c.argString(2))' not found"))
            return
        }
        let args = (3..<c.argc).map { Array(c.arg($0)) }
        guard var cmd = c.server.commands.lookup(c.arg(3)) else {
            c.fail(.custom("ERR Command '\(c.argString(3))' not found"))
            return
        }
        if !cmd.subcommands.isEmpty && args.count >= 2 {
            guard let sub = cmd.subcommand(c.arg(4)) else {
                c.fail(.custom("ERR Command '\(c.argString(3))' not found"))
                return
            }
            cmd = sub
        }
        guard cmd.arityMatches(args.count) else {
            c.fail(.custom("ERR wrong number of arguments for '\(cmd.fullName)' command"))
            return
        }
        let probe = c.server.makeFakeClient(context: c.context)
        probe.load(OwnedCommand(args))
        let result = acl.check(u, cmd, args) { spec in ACL.keyArguments(spec, probe) }
        guard let (denial, pos) = result else {
            c.reply.ok()
            return
        }
        switch denial {
        case .command: c.reply.bulk("This user has no permissions to run the '\(cmd.fullName)' command")
        case .key: c.reply.bulk("This user has no permissions to access the '\(String(decoding: args[pos], as: UTF8.self))' key")
        default: c.reply.bulk("This user has no permissions to access the '\(String(decoding: args[pos], as: UTF8.self))' channel")
        }
    }

    static func help(_ c: Client) {
        ServerCommands.replyHelp(c, [
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ])
    }
}

import CSystem
import Glibc

/// Server and introspection commands: INFO, TIME, CONFIG, SLOWLOG, MONITOR,
/// DEBUG, SHUTDOWN, COMMAND, MEMORY, ROLE.
public enum ServerCommands {
    public static var all: [CommandSpec] {
        let adminFlags: CommandFlags = [.admin, .noscript, .loading, .stale]
        return [
            CommandSpec("info", arity: -1, flags: [.loading, .stale], group: .server, since: "1.0.0",
                        complexity: "O(1)", summary: "Reports server information and statistics, by section.",
                        tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
                        acl: ["dangerous"], handler: info),
            CommandSpec("time", arity: 1, flags: [.loading, .stale, .fast], group: .server, since: "2.6.0",
                        summary: "Returns the server's clock as seconds and microseconds.",
                        tips: ["nondeterministic_output"], handler: time),
            CommandSpec("config", arity: -2, group: .server, since: "2.0.0", complexity: "Depends on subcommand.",
                        summary: "Groups the configuration subcommands.", subcommands: [
                CommandSpec("get", arity: -3, flags: adminFlags, group: .server, since: "2.0.0",
                            complexity: "O(N) when N is the number of configuration parameters provided",
                            summary: "Reads configuration parameters matching names or patterns.", handler: configGet),
                CommandSpec("set", arity: -4, flags: adminFlags, group: .server, since: "2.0.0",
                            complexity: "O(N) when N is the number of configuration parameters provided",
                            summary: "Changes configuration parameters, all or none.",
                            tips: ["request_policy:all_nodes", "response_policy:all_succeeded"], handler: configSet),
                CommandSpec("resetstat", arity: 2, flags: adminFlags, group: .server, since: "2.0.0",
                            summary: "Zeroes the statistics INFO reports.", handler: configResetStat),
                CommandSpec("rewrite", arity: 2, flags: adminFlags, group: .server, since: "2.8.0",
                            summary: "Writes the running configuration back to the configuration file.", handler: configRewrite),
                CommandSpec("help", arity: 2, flags: [.loading, .stale], group: .server, since: "5.0.0",
                            summary: "Describes the CONFIG subcommands.", handler: configHelp),
            ], handler: nil),
            CommandSpec("slowlog", arity: -2, group: .server, since: "2.2.12", complexity: "Depends on subcommand.",
                        summary: "Groups the slow log subcommands.", subcommands: [
                CommandSpec("get", arity: -2, flags: [.admin, .loading, .stale], group: .server, since: "2.2.12",
                            complexity: "O(N) where N is the number of entries returned",
                            summary: "Returns the most recent slow log entries.",
                            tips: ["request_policy:all_nodes", "nondeterministic_output"], handler: slowlogGet),
                CommandSpec("len", arity: 2, flags: [.admin, .loading, .stale], group: .server, since: "2.2.12",
                            summary: "Returns the number of slow log entries.",
                            tips: ["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"], handler: slowlogLen),
                CommandSpec("reset", arity: 2, flags: [.admin, .loading, .stale], group: .server, since: "2.2.12",
                            complexity: "O(N) where N is the number of entries in the slowlog",
                            summary: "Empties the slow log.",
                            tips: ["request_policy:all_nodes", "response_policy:all_succeeded"], handler: slowlogReset),
                CommandSpec("help", arity: 2, flags: [.loading, .stale], group: .server, since: "6.2.0",
                            summary: "Describes the SLOWLOG subcommands.", handler: slowlogHelp),
            ], handler: nil),
            CommandSpec("monitor", arity: 1, flags: adminFlags, group: .server, since: "1.0.0",
                        summary: "Streams every command the server executes.", handler: monitor),
            CommandSpec("debug", arity: -2, flags: adminFlags.union(.protected), keys: .all, group: .server, since: "1.0.0",
                        complexity: "Depends on subcommand.", summary: "Runs testing and diagnostic subcommands.",
                        handler: DebugCommand.run),
            CommandSpec("shutdown", arity: -1, flags: adminFlags.union([.noMulti, .allowBusy]), group: .server, since: "1.0.0",
                        complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
                        summary: "Optionally saves the dataset, then stops the server.", handler: shutdown),
            CommandSpec("command", arity: -1, flags: [.loading, .stale], group: .server, since: "2.8.13",
                        complexity: "O(N) where N is the total number of Redis commands",
                        summary: "Describes every command.", tips: ["nondeterministic_output_order"], acl: ["connection"],
                        subcommands: [
                CommandSpec("count", arity: 2, flags: [.loading, .stale], group: .server, since: "2.8.13",
                            summary: "Returns the number of commands.", acl: ["connection"], handler: commandCount),
                CommandSpec("info", arity: -2, flags: [.loading, .stale], group: .server, since: "2.8.13",
                            complexity: "O(N) where N is the number of commands to look up",
                            summary: "Describes the named commands, or all of them.",
                            tips: ["nondeterministic_output_order"], acl: ["connection"], handler: commandInfo),
                CommandSpec("docs", arity: -2, flags: [.loading, .stale], group: .server, since: "7.0.0",
                            complexity: "O(N) where N is the number of commands to look up",
                            summary: "Returns documentation for the named commands, or all of them.",
                            tips: ["nondeterministic_output_order"], acl: ["connection"], handler: commandDocs),
                CommandSpec("getkeys", arity: -4, flags: [.loading, .stale], group: .server, since: "2.8.13",
                            complexity: "O(N) where N is the number of arguments to the command",
                            summary: "Extracts the key names from a full command line.", acl: ["connection"], handler: commandGetKeys),
                CommandSpec("getkeysandflags", arity: -4, flags: [.loading, .stale], group: .server, since: "7.0.0",
                            complexity: "O(N) where N is the number of arguments to the command",
                            summary: "Extracts the key names and their access flags from a full command line.",
                            acl: ["connection"], handler: commandGetKeysAndFlags),
                CommandSpec("list", arity: -2, flags: [.loading, .stale], group: .server, since: "7.0.0",
                            complexity: "O(N) where N is the total number of Redis commands",
                            summary: "Lists command names, optionally filtered.",
                            tips: ["nondeterministic_output_order"], acl: ["connection"], handler: commandList),
                CommandSpec("help", arity: 2, flags: [.loading, .stale], group: .server, since: "5.0.0",
                            summary: "Describes the COMMAND subcommands.", acl: ["connection"], handler: commandHelp),
            ], handler: commandAll),
            CommandSpec("memory", arity: -2, group: .server, since: "4.0.0", complexity: "Depends on subcommand.",
                        summary: "Groups the memory introspection subcommands.", subcommands: [
                CommandSpec("usage", arity: -3, flags: [.readonly], keys: .range(first: 2, last: 2, step: 1), group: .server,
                            since: "4.0.0", complexity: "O(N) where N is the number of samples.",
                            summary: "Estimates the bytes a key and its value use.",
                            keySpecs: [CommandKeySpec(flags: ["RO"], .index(2), .range(lastKey: 0, step: 1, limit: 0))],
                            handler: memoryUsage),
                CommandSpec("stats", arity: 2, group: .server, since: "4.0.0",
                            summary: "Reports the server's memory use, broken down.",
                            tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
                            handler: memoryStats),
                CommandSpec("doctor", arity: 2, group: .server, since: "4.0.0",
                            summary: "Reports memory problems in plain language.",
                            tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
                            handler: memoryDoctor),
                CommandSpec("malloc-stats", arity: 2, group: .server, since: "4.0.0",
                            complexity: "Depends on how much memory is allocated, could be slow",
                            summary: "Returns the allocator's own statistics report.",
                            tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
                            handler: memoryMallocStats),
                CommandSpec("purge", arity: 2, group: .server, since: "4.0.0",
                            complexity: "Depends on how much memory is allocated, could be slow",
                            summary: "Asks the allocator to return free memory to the system.",
                            tips: ["request_policy:all_shards", "response_policy:all_succeeded"], handler: memoryPurge),
                CommandSpec("help", arity: 2, flags: [.loading, .stale], group: .server, since: "4.0.0",
                            summary: "Describes the MEMORY subcommands.", handler: memoryHelp),
            ], handler: nil),
            CommandSpec("role", arity: 1, flags: [.noscript, .loading, .stale, .fast], group: .server, since: "2.8.12",
                        summary: "Reports the replication role of the server.", acl: ["admin", "dangerous"], handler: role),
        ]
    }

    // MARK: help

    /// Redis's HELP layout: a header naming the command, the entries, then HELP itself.
    static func replyHelp(_ c: Client, _ lines: [String]) {
        c.reply.arrayHeader(lines.count + 3)
        c.reply.status("\(c.argString(0).uppercased()) <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        for l in lines { c.reply.status(l) }
        c.reply.status("HELP")
        c.reply.status("    Prints this help.")
    }

    // MARK: INFO, TIME, ROLE

    static func info(_ c: Client) {
        let sections = (1..<c.argc).map { c.argString($0) }
        c.reply.verbatim(c.server.infoReport(sections, holdsAllShards: c.holdsAllShards))
    }

    static func time(_ c: Client) {
        let us = Sys.unixMicros()
        c.reply.arrayHeader(2)
        c.reply.bulk(int: us / 1_000_000)
        c.reply.bulk(int: us % 1_000_000)
    }

    static func role(_ c: Client) {
        c.reply.arrayHeader(3)
        c.reply.bulk("master")
        c.reply.integer(0)
        c.reply.arrayHeader(0)
    }

    // MARK: CONFIG

    static func configGet(_ c: Client) {
        var matches: [(String, ConfigParameter)] = []
        var seen = Set<String>()
        for i in 2..<c.argc {
            let pattern = c.argString(i)
            if !pattern.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) {
                if seen.contains(pattern) { continue }
                if let p = ConfigTable.lookup(pattern) {
                    matches.append((pattern, p))
                    seen.insert(pattern)
                }
                continue
            }
            for (name, p) in ConfigTable.visibleNames where !seen.contains(name) {
                if Glob.matches(pattern, name, nocase: true) {
                    matches.append((name, p))
                    seen.insert(name)
                }
            }
        }
        let cfg = c.server.config.snapshot
        c.reply.mapHeader(matches.count)
        for (name, p) in matches {
            c.reply.bulk(name)
            c.reply.bulk(p.get(cfg))
        }
    }

    /// CONFIG SET name value [name value ...]: every value is validated and
    /// stored together or not at all; changes that need more than the
    /// configuration snapshot (sockets, log level) are applied afterwards
    /// and rolled back if one fails.
    static func configSet(_ c: Client) {
        guard c.argc % 2 == 0 else {
            c.fail(.syntax)
            return
        }
        var params: [ConfigParameter] = []
        var values: [String] = []
        var unknown: String?
        var refusal: (name: String, reason: String)?
        let allowProtected = protectedConfigAllowed(c)
        var i = 2
        while i < c.argc {
            let name = c.argString(i)
            defer { i += 2 }
            guard let p = ConfigTable.lookup(name) else {
                if unknown == nil && refusal == nil { unknown = name }
                continue
            }
            // Sensitive values are hidden from MONITOR and SLOWLOG even when the command fails.
            if p.sensitive { c.redactArgument(i + 1) }
            if unknown != nil || refusal != nil { continue }
            if !p.mutable || (p.flags.contains(.protected) && !allowProtected) {
                refusal = (name, p.mutable ? "can't set protected config" : "can't set immutable config")
                continue
            }
            if params.contains(where: { $0.name == p.name }) {
                refusal = (name, "duplicate parameter")
                continue
            }
            params.append(p)
            values.append(c.argString(i + 1))
        }
        if let unknown {
            c.fail(.custom("ERR Unknown option or number of arguments for CONFIG SET - '\(unknown)'"))
            return
        }
        if let refusal {
            c.fail(.custom("ERR CONFIG SET failed (possibly related to argument '\(refusal.name)') - \(refusal.reason)"))
            return
        }
        let store = c.server.config
        let old = store.snapshot
        var next = old
        for (p, v) in zip(params, values) {
            if let e = p.set(&next, [v]) {
                c.fail(.custom("ERR CONFIG SET failed (possibly related to argument '\(p.name)') - \(e)"))
                return
            }
        }
        // Apply side effects of values that actually changed; undo them all on the first failure.
        var applied: [(Server, ServerConfig) -> String?] = []
        for p in params where p.get(old) != p.get(next) {
            let appliers = [p.apply, c.server.configAppliers[p.name]].compactMap { $0 }
            for apply in appliers {
                if let e = apply(c.server, next) {
                    c.server.log.log(.warning, "Failed applying new configuration. Possibly related to new \(p.name) setting. Restoring previous settings.")
                    for undo in applied.reversed() { _ = undo(c.server, old) }
                    c.fail(.custom("ERR CONFIG SET failed (possibly related to argument '\(p.name)') - \(e)"))
                    return
                }
                applied.append(apply)
            }
        }
        store.update { $0 = next }
        c.context.reloadConfig()
        // As Redis, a lower maxmemory evicts at once (not only before the next
        // command), unless this runs where shards are held (EXEC, scripts).
        if next.maxmemory > 0 && next.maxmemory != old.maxmemory && !c.holdsAllShards && c.scriptLocks == nil {
            c.server.evictor.evictNow(next)
        }
        c.reply.ok()
    }

    /// `enable-protected-configs`: `yes`, `local` (loopback clients) or `no`.
    static func protectedConfigAllowed(_ c: Client) -> Bool {
        switch c.context.config.extras["enable-protected-configs"] ?? "no" {
        case "yes": return true
        case "local": return !c.flags.contains(.fake) && Server.isLoopbackAddress(c.peerAddress)
        default: return false
        }
    }

    static func configResetStat(_ c: Client) {
        c.server.resetStatistics()
        c.reply.ok()
    }

    static func configRewrite(_ c: Client) {
        guard let file = c.server.config.configFile else {
            c.fail(.custom("ERR The server is running without a config file"))
            return
        }
        if let e = ConfigWriter.rewrite(path: file, config: c.server.config.snapshot, forceAll: false, userLines: c.server.acl.listLines()) {
            c.server.log.log(.warning, "CONFIG REWRITE failed: \(e)")
            c.fail(.custom("ERR Rewriting config file: \(e)"))
        } else {
            c.server.log.log(.warning, "CONFIG REWRITE executed with success.")
            c.reply.ok()
        }
    }

    static func configHelp(_ c: Client) {
        replyHelp(c, [
            "GET <pattern> [<pattern> ...]",
            "    Return the parameters whose names match the glob-style patterns, with their values.",
            "SET <directive> <value> [<directive> <value> ...]",
            "    Change one or more parameters; either every change applies or none does.",
            "RESETSTAT",
            "    Zero the statistics reported by INFO.",
            "REWRITE",
            "    Write the running configuration back to the configuration file.",
        ])
    }

    // MARK: SLOWLOG

    static func slowlogGet(_ c: Client) {
        guard c.argc <= 3 else {
            c.fail(.subcommandSyntax(subcommand: c.argCString(1), command: "slowlog"))
            return
        }
        var count = 10
        if c.argc == 3 {
            guard let n = Numbers.parseInt64(c.arg(2)), n >= -1 else {
                c.fail(.custom("ERR count should be greater than or equal to -1"))
                return
            }
            count = n == -1 ? Int.max : Int(n)
        }
        let entries = c.server.slowlog.get(count)
        c.reply.arrayHeader(entries.count)
        for e in entries {
            c.reply.arrayHeader(6)
            c.reply.integer(e.id)
            c.reply.integer(e.timestamp)
            c.reply.integer(e.micros)
            c.reply.bulkArray(e.args)
            c.reply.bulk(e.peer)
            c.reply.bulk(e.name)
        }
    }

    static func slowlogLen(_ c: Client) {
        c.reply.integer(c.server.slowlog.length)
    }

    static func slowlogReset(_ c: Client) {
        c.server.slowlog.reset()
        c.reply.ok()
    }

    static func slowlogHelp(_ c: Client) {
        replyHelp(c, [
            "GET [<count>]",
            "    Return the <count> most recent entries (default 10; -1 returns all). Each entry holds:",
            "    id, Unix time, duration in microseconds, arguments, client address and client name.",
            "LEN",
            "    Return the number of entries.",
            "RESET",
            "    Remove every entry.",
        ])
    }

    // MARK: MONITOR

    static func monitor(_ c: Client) {
        if c.flags.contains(.multi) || c.flags.contains(.script) {
            c.fail(.custom("ERR MONITOR isn't allowed for DENY BLOCKING client"))
            return
        }
        // A second MONITOR on a monitoring connection is ignored without a reply, as in Redis.
        if c.flags.contains(.monitor) { return }
        c.flags.insert(.monitor)
        c.server.monitors.add(c)
        c.reply.ok()
    }

    // MARK: SHUTDOWN

    /// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. NOW is accepted and has
    /// nothing to skip: Cinnabar has no replicas to wait for.
    static func shutdown(_ c: Client) {
        var save: Bool?
        var force = false, abort = false, nosave = false, other = false
        for i in 1..<c.argc {
            let a = c.arg(i)
            if a.equalsIgnoringCase("nosave") { nosave = true; other = true }
            else if a.equalsIgnoringCase("save") { save = true; other = true }
            else if a.equalsIgnoringCase("now") { other = true }
            else if a.equalsIgnoringCase("force") { force = true; other = true }
            else if a.equalsIgnoringCase("abort") { abort = true }
            else { c.fail(.syntax); return }
        }
        if (abort && other) || (nosave && save == true) {
            c.fail(.syntax)
            return
        }
        if abort {
            // Shutdowns never wait for replicas here, so none is ever pending.
            c.fail(.custom("ERR No shutdown in progress."))
            return
        }
        if nosave { save = false }
        if !c.server.shutdown(save: save, force: force) {
            c.fail(.custom("ERR Errors trying to SHUTDOWN. Check logs."))
        }
        // On success the server closes every connection, this one included, without a reply.
    }

    // MARK: COMMAND

    static func commandAll(_ c: Client) {
        let cmds = c.server.commands.commands
        c.reply.arrayHeader(cmds.count)
        for cmd in cmds { replyCommandInfo(c, cmd) }
    }

    static func commandCount(_ c: Client) {
        c.reply.integer(c.server.commands.commands.count)
    }

    static func commandInfo(_ c: Client) {
        if c.argc == 2 {
            commandAll(c)
            return
        }
        c.reply.arrayHeader(c.argc - 2)
        for i in 2..<c.argc {
            if let cmd = c.server.commands.lookup(fullName: c.argString(i)) { replyCommandInfo(c, cmd) } else { c.reply.nullBulk() }
        }
    }

    /// Redis 7's ten-element command description.
    static func replyCommandInfo(_ c: Client, _ cmd: CommandSpec) {
        let r = c.reply
        r.arrayHeader(10)
        r.bulk(cmd.fullName)
        r.integer(cmd.arity)
        let flags = cmd.flags.names.filter { $0 != "may_replicate" }
        r.setHeader(flags.count)
        for f in flags { r.status(f) }
        let (first, last, step) = cmd.keyTriple
        r.integer(first)
        r.integer(last)
        r.integer(step)
        let cats = cmd.aclCategories
        r.setHeader(cats.count)
        for cat in cats { r.status(cat) }
        r.setHeader(cmd.tips.count)
        for t in cmd.tips { r.bulk(t) }
        let specs = cmd.effectiveKeySpecs
        r.setHeader(specs.count)
        for spec in specs { replyKeySpec(c, spec) }
        if cmd.subcommands.isEmpty {
            r.setHeader(0)
        } else {
            r.arrayHeader(cmd.subcommands.count)
            for s in cmd.subcommands { replyCommandInfo(c, s) }
        }
    }

    static func replyKeySpec(_ c: Client, _ spec: CommandKeySpec) {
        let r = c.reply
        r.mapHeader(spec.notes == nil ? 3 : 4)
        if let notes = spec.notes {
            r.bulk("notes")
            r.bulk(notes)
        }
        r.bulk("flags")
        r.setHeader(spec.flags.count)
        for f in spec.flags { r.status(f) }
        r.bulk("begin_search")
        r.mapHeader(2)
        r.bulk("type")
        switch spec.beginSearch {
        case .index(let i):
            r.bulk("index")
            r.bulk("spec")
            r.mapHeader(1)
            r.bulk("index")
            r.integer(i)
        case .keyword(let word, let startFrom):
            r.bulk("keyword")
            r.bulk("spec")
            r.mapHeader(2)
            r.bulk("keyword")
            r.bulk(word)
            r.bulk("startfrom")
            r.integer(startFrom)
        case .unknown:
            r.bulk("unknown")
            r.bulk("spec")
            r.mapHeader(0)
        }
        r.bulk("find_keys")
        r.mapHeader(2)
        r.bulk("type")
        switch spec.findKeys {
        case .range(let lastKey, let step, let limit):
            r.bulk("range")
            r.bulk("spec")
            r.mapHeader(3)
            r.bulk("lastkey"); r.integer(lastKey)
            r.bulk("keystep"); r.integer(step)
            r.bulk("limit"); r.integer(limit)
        case .keynum(let numKeysIndex, let firstKey, let step):
            r.bulk("keynum")
            r.bulk("spec")
            r.mapHeader(3)
            r.bulk("keynumidx"); r.integer(numKeysIndex)
            r.bulk("firstkey"); r.integer(firstKey)
            r.bulk("keystep"); r.integer(step)
        case .unknown:
            r.bulk("unknown")
            r.bulk("spec")
            r.mapHeader(0)
        }
    }

    static func commandDocs(_ c: Client) {
        if c.argc == 2 {
            let cmds = c.server.commands.commands
            c.reply.mapHeader(cmds.count)
            for cmd in cmds {
                c.reply.bulk(cmd.fullName)
                replyCommandDocs(c, cmd)
            }
            return
        }
        let found = (2..<c.argc).compactMap { c.server.commands.lookup(fullName: c.argString($0)) }
        c.reply.mapHeader(found.count)
        for cmd in found {
            c.reply.bulk(cmd.fullName)
            replyCommandDocs(c, cmd)
        }
    }

    static func replyCommandDocs(_ c: Client, _ cmd: CommandSpec) {
        let r = c.reply
        let deprecated = cmd.deprecatedSince != nil
        var n = 4
        if deprecated { n += 2 }  // doc_flags and deprecated_since
        if cmd.replacedBy != nil { n += 1 }
        if !cmd.subcommands.isEmpty { n += 1 }
        r.mapHeader(n)
        r.bulk("summary"); r.bulk(cmd.summary)
        r.bulk("since"); r.bulk(cmd.since)
        r.bulk("group"); r.bulk(cmd.group.rawValue)
        r.bulk("complexity"); r.bulk(cmd.complexity)
        if deprecated {
            r.bulk("doc_flags")
            r.setHeader(1)
            r.status("deprecated")
        }
        if let since = cmd.deprecatedSince { r.bulk("deprecated_since"); r.bulk(since) }
        if let by = cmd.replacedBy { r.bulk("replaced_by"); r.bulk(by) }
        if !cmd.subcommands.isEmpty {
            r.bulk("subcommands")
            r.mapHeader(cmd.subcommands.count)
            for s in cmd.subcommands {
                r.bulk(s.fullName)
                replyCommandDocs(c, s)
            }
        }
    }

    static func commandList(_ c: Client) {
        enum Filter { case none, module, aclcat(String), pattern(String) }
        var filter = Filter.none
        var i = 2
        while i < c.argc {
            guard c.arg(i).equalsIgnoringCase("filterby"), c.argc - 1 - i == 2 else {
                c.fail(.syntax)
                return
            }
            let kind = c.arg(i + 1)
            if kind.equalsIgnoringCase("module") { filter = .module }
            else if kind.equalsIgnoringCase("aclcat") { filter = .aclcat("@" + c.argString(i + 2).lowercased()) }
            else if kind.equalsIgnoringCase("pattern") { filter = .pattern(c.argString(i + 2)) }
            else { c.fail(.syntax); return }
            i += 3
        }
        var names: [String] = []
        for cmd in c.server.commands.allSpecs {
            switch filter {
            case .none: names.append(cmd.fullName)
            case .module: break  // Cinnabar loads no modules.
            case .aclcat(let cat): if cmd.aclCategories.contains(cat) { names.append(cmd.fullName) }
            case .pattern(let p): if Glob.matches(p, cmd.fullName, nocase: true) { names.append(cmd.fullName) }
            }
        }
        c.reply.bulkArray(names)
    }

    static func commandGetKeys(_ c: Client) { getKeys(c, withFlags: false) }
    static func commandGetKeysAndFlags(_ c: Client) { getKeys(c, withFlags: true) }

    static func getKeys(_ c: Client, withFlags: Bool) {
        let args = (2..<c.argc).map { Array(c.arg($0)) }
        guard var cmd = c.server.commands.lookup(c.arg(2)) else {
            c.fail(.custom("ERR Invalid command specified"))
            return
        }
        if !cmd.subcommands.isEmpty && args.count >= 2 {
            guard let sub = cmd.subcommand(c.arg(3)) else {
                c.fail(.custom("ERR Invalid command specified"))
                return
            }
            cmd = sub
        }
        guard cmd.keyFinder != nil || !cmd.effectiveKeySpecs.isEmpty else {
            c.fail(.custom("ERR The command has no key arguments"))
            return
        }
        guard cmd.arityMatches(args.count) else {
            c.fail(.custom("ERR Invalid number of arguments specified for command"))
            return
        }
        let server = c.server
        let keys = cmd.keysWithFlags(args) { spec, args in
            let probe = server.makeFakeClient(context: c.context)
            probe.load(OwnedCommand(args))
            return ACL.keyArguments(spec, probe)
        }
        guard let keys, !keys.isEmpty else {
            if cmd.flags.contains(.noMandatoryKeys) {
                c.reply.arrayHeader(0)
            } else {
                c.fail(.custom("ERR Invalid arguments specified for command"))
            }
            return
        }
        c.reply.arrayHeader(keys.count)
        for (pos, flags) in keys {
            if withFlags {
                c.reply.arrayHeader(2)
                c.reply.bulk(args[pos])
                c.reply.setHeader(flags.count)
                for f in flags { c.reply.status(f) }
            } else {
                c.reply.bulk(args[pos])
            }
        }
    }

    static func commandHelp(_ c: Client) {
        replyHelp(c, [
            "(no subcommand)",
            "    Describe every command.",
            "COUNT",
            "    Return the number of commands.",
            "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
            "    Return the names of all commands and subcommands, optionally filtered.",
            "INFO [<command-name> ...]",
            "    Describe the named commands, or every command when none is named.",
            "DOCS [<command-name> ...]",
            "    Return documentation for the named commands, or for every command when none is named.",
            "GETKEYS <full-command>",
            "    Return the key names in a full command line.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the key names in a full command line with the access flags of each.",
        ])
    }

    // MARK: MEMORY

    static func memoryUsage(_ c: Client) {
        var i = 3
        while i < c.argc {
            if c.arg(i).equalsIgnoringCase("samples") && i + 1 < c.argc {
                guard let n = Numbers.parseInt64(c.arg(i + 1)) else {
                    c.fail(.notInteger)
                    return
                }
                guard n >= 0 else {
                    c.fail(.syntax)
                    return
                }
                i += 2
            } else {
                c.fail(.syntax)
                return
            }
        }
        guard let e = c.db.peek(c.key(2)) else {
            c.reply.nullBulk()
            return
        }
        // The entry (key, value and header in one block) plus its hash-table slot.
        c.reply.integer(e.memoryUsage + MemoryLayout<UnsafeRawPointer>.size)
    }

    static func memoryStats(_ c: Client) {
        let server = c.server
        let m = server.memoryOverview()
        var dbs: [(Int, Int, Int)] = []
        var totalKeys = 0
        for db in 0..<server.keyspace.databaseCount {
            let keys = server.keyspace.count(db: db)
            guard keys > 0 else { continue }
            totalKeys += keys
            var main = 0, expires = 0
            for shard in server.keyspace.shards {
                let d = shard.dbs[db]
                main += (d.t0.size + d.t1.size) * MemoryLayout<UnsafeRawPointer>.size
                expires += d.volatile.capacity * MemoryLayout<UnsafeRawPointer>.size
            }
            dbs.append((db, main, expires))
        }
        let r = c.reply
        r.mapHeader(27 + dbs.count)
        func pair(_ k: String, _ v: Int) { r.bulk(k); r.integer(v) }
        func pair(_ k: String, _ v: Double) { r.bulk(k); r.double(v) }
        pair("peak.allocated", m.peak)
        pair("total.allocated", m.used)
        pair("startup.allocated", m.startup)
        pair("replication.backlog", 0)
        pair("clients.slaves", 0)
        pair("clients.normal", m.clients)
        pair("cluster.links", 0)
        pair("aof.buffer", 0)
        pair("lua.caches", 0)
        pair("functions.caches", 0)
        for (db, main, expires) in dbs {
            r.bulk("db.\(db)")
            r.mapHeader(3)
            pair("overhead.hashtable.main", main)
            pair("overhead.hashtable.expires", expires)
            pair("overhead.hashtable.slot-to-keys", 0)
        }
        pair("overhead.total", m.overhead)
        pair("keys.count", totalKeys)
        pair("keys.bytes-per-key", totalKeys > 0 ? max(0, m.used - m.startup) / totalKeys : 0)
        pair("dataset.bytes", m.dataset)
        pair("dataset.percentage", Double(Float(m.datasetPercent)))
        pair("peak.percentage", Double(Float(m.peakPercent)))
        pair("allocator.allocated", m.used)
        pair("allocator.active", m.active)
        pair("allocator.resident", m.rss)
        pair("allocator-fragmentation.ratio", Double(Float(m.used > 0 ? Double(m.active) / Double(m.used) : 0)))
        pair("allocator-fragmentation.bytes", m.active - m.used)
        pair("allocator-rss.ratio", Double(Float(m.active > 0 ? Double(m.rss) / Double(m.active) : 0)))
        pair("allocator-rss.bytes", m.rss - m.active)
        pair("rss-overhead.ratio", 1.0)
        pair("rss-overhead.bytes", 0)
        pair("fragmentation", Double(Float(m.used > 0 ? Double(m.rss) / Double(m.used) : 0)))
        pair("fragmentation.bytes", m.rss - m.used)
    }

    static func memoryDoctor(_ c: Client) {
        let m = c.server.memoryOverview()
        var findings: [String] = []
        if m.used < 5 * 1024 * 1024 {
            c.reply.verbatim("This instance holds too little data (under 5 MB) for a meaningful memory analysis. Load some data and ask again.\n")
            return
        }
        if Double(m.peak) > Double(m.used) * 1.5 {
            findings.append(" * Peak memory: at some point memory use peaked at \(bytesToHuman(m.peak)), over 150% of the current \(bytesToHuman(m.used)). Fragmentation figures may be misleading after a large release of memory.")
        }
        let frag = Double(m.rss) / Double(max(1, m.used))
        if frag > 1.4 && m.rss - m.used > 10 * 1024 * 1024 {
            findings.append(" * High fragmentation: the process holds \(fixed2(frag)) times the memory it has allocated (\(bytesToHuman(m.rss)) resident). MEMORY PURGE asks the allocator to return free pages.")
        }
        if m.clients > 200 * 1024 * 1024 {
            findings.append(" * Client buffers: connections use \(bytesToHuman(m.clients)). Clients that read slowly or pipeline heavily may need client-output-buffer-limit.")
        }
        if findings.isEmpty {
            c.reply.verbatim("No memory problems detected.\n")
        } else {
            c.reply.verbatim("Memory report:\n\n" + findings.joined(separator: "\n\n") + "\n")
        }
    }

    static func memoryMallocStats(_ c: Client) {
        var buf: UnsafeMutablePointer<CChar>?
        var size = 0
        guard let f = open_memstream(&buf, &size) else {
            c.reply.bulk("Stats not supported for the current allocator")
            return
        }
        malloc_info(0, f)
        fclose(f)
        defer { free(buf) }
        guard let buf else {
            c.reply.bulk("Stats not supported for the current allocator")
            return
        }
        c.reply.verbatim(String(cString: buf))
    }

    static func memoryPurge(_ c: Client) {
        malloc_trim(0)
        c.reply.ok()
    }

    static func memoryHelp(_ c: Client) {
        replyHelp(c, [
            "DOCTOR",
            "    Report memory problems, if any.",
            "MALLOC-STATS",
            "    Return the allocator's statistics report.",
            "PURGE",
            "    Ask the allocator to return free memory to the system.",
            "STATS",
            "    Return a breakdown of the server's memory use.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return the bytes used by <key> and its value.",
        ])
    }
}

extension Server {
    /// CONFIG RESETSTAT: every counter INFO reports goes back to zero.
    public func resetStatistics() {
        for ctx in contexts { ctx.stats.reset() }
        expiredKeys.store(0, ordering: .relaxed)
        metrics.reset()
        LazyFree.shared.freedObjects.store(0, ordering: .relaxed)
        for ext in extensions { ext.resetStats() }
    }
}

import CinnabarCore

/// FUNCTION (LOAD, DELETE, FLUSH, LIST, STATS, KILL, DUMP, RESTORE, HELP), FCALL and FCALL_RO.
public enum FunctionCommands {
    public static func all(_ box: EngineBox) -> [CommandSpec] {
        let fcallFlags: CommandFlags = [.noscript, .skipMonitor, .mayReplicate, .noMandatoryKeys, .stale]
        let fcallRoFlags: CommandFlags = [.noscript, .skipMonitor, .noMandatoryKeys, .stale, .readonly]
        return [
            CommandSpec("fcall", arity: -3, flags: fcallFlags, keys: .range(first: 0, last: 0, step: 0),
                        keyFinder: ScriptingCommands.locksTakenByScript, group: .scripting, since: "7.0.0",
                        complexity: "Depends on the function that is executed.",
                        summary: "Invokes a function.", keySpecs: ScriptingCommands.numkeysSpec(readOnly: false, withNotes: true), handler: { c in box.run { fcall(c, $0, readOnly: false) } }),
            CommandSpec("fcall_ro", arity: -3, flags: fcallRoFlags, keys: .range(first: 0, last: 0, step: 0),
                        keyFinder: ScriptingCommands.locksTakenByScript, group: .scripting, since: "7.0.0",
                        complexity: "Depends on the function that is executed.",
                        summary: "Invokes a read-only function.", keySpecs: ScriptingCommands.numkeysSpec(readOnly: true, withNotes: true), handler: { c in box.run { fcall(c, $0, readOnly: true) } }),
            CommandSpec("function", arity: -2, group: .scripting, since: "7.0.0", complexity: "Depends on subcommand.",
                        summary: "A container for function commands.", subcommands: [
                CommandSpec("load", arity: -3, flags: [.noscript, .write, .denyoom], keys: .all, group: .scripting, since: "7.0.0",
                            complexity: "O(1) (considering compilation time is redundant)",
                            summary: "Creates a library.", tips: ["request_policy:all_shards", "response_policy:all_succeeded"], handler: { load($0, box.engine) }),
                CommandSpec("delete", arity: 3, flags: [.noscript, .write], keys: .all, group: .scripting, since: "7.0.0",
                            summary: "Deletes a library and its functions.", tips: ["request_policy:all_shards", "response_policy:all_succeeded"], handler: { delete($0, box.engine) }),
                CommandSpec("flush", arity: -2, flags: [.noscript, .write], keys: .all, group: .scripting, since: "7.0.0",
                            complexity: "O(N) where N is the number of functions deleted",
                            summary: "Deletes all libraries and functions.", tips: ["request_policy:all_shards", "response_policy:all_succeeded"], handler: { flush($0, box.engine) }),
                CommandSpec("list", arity: -2, flags: [.noscript], group: .scripting, since: "7.0.0",
                            complexity: "O(N) where N is the number of functions",
                            summary: "Returns information about all libraries.", tips: ["nondeterministic_output_order"], handler: { list($0, box.engine) }),
                CommandSpec("stats", arity: 2, flags: [.noscript, .allowBusy], group: .scripting, since: "7.0.0",
                            summary: "Returns information about a function during execution.",
                            tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"], handler: { stats($0, box.engine) }),
                CommandSpec("kill", arity: 2, flags: [.noscript, .allowBusy], group: .scripting, since: "7.0.0",
                            summary: "Terminates a function during execution.",
                            tips: ["request_policy:all_shards", "response_policy:one_succeeded"], handler: { kill($0, box.engine) }),
                CommandSpec("help", arity: 2, flags: [.loading, .stale], group: .scripting, since: "7.0.0",
                            summary: "Returns helpful text about the different subcommands.", handler: help),
                CommandSpec("dump", arity: 2, flags: [.noscript], group: .scripting, since: "7.0.0",
                            complexity: "O(N) where N is the number of functions",
                            summary: "Dumps all libraries into a serialized binary payload.", handler: { dump($0, box.engine) }),
                CommandSpec("restore", arity: -3, flags: [.noscript, .write, .denyoom], keys: .all, group: .scripting, since: "7.0.0",
                            complexity: "O(N) where N is the number of functions on the payload",
                            summary: "Restores all libraries from a payload.", tips: ["request_policy:all_shards", "response_policy:all_succeeded"], handler: { restore($0, box.engine) }),
            ], handler: nil),
        ]
    }

    static func fcall(_ c: Client, _ engine: ScriptEngine, readOnly: Bool) {
        let server = c.server
        if server.monitors.isActive { server.monitors.feed(c, db: c.dbIndex) }
        let runner = engine.runner(for: c)
        guard let (lib, fn) = runner.functionLookups.find(c.arg(1), in: engine.functions) else {
            c.fail(.custom("ERR Function not found"))
            return
        }
        guard let numkeys = Numbers.parseInt64(c.arg(2)) else {
            c.fail(.custom("ERR Bad number of keys provided"))
            return
        }
        if numkeys > Int64(c.argc - 3) {
            c.fail(.custom("ERR Number of keys can't be greater than number of args"))
            return
        }
        if numkeys < 0 {
            c.fail(.custom("ERR Number of keys can't be negative"))
            return
        }
        if readOnly && !fn.flags.contains(.noWrites) {
            c.fail(.custom("ERR Can not execute a script with write flag using *_ro command."))
            return
        }
        runner.fcall(c, lib: lib, fn: fn, numkeys: Int(numkeys), readOnly: readOnly || fn.flags.contains(.noWrites))
    }

    static func load(_ c: Client, _ engine: ScriptEngine) {
        var replace = false
        var i = 2
        while i < c.argc - 1 {
            if c.arg(i).equalsIgnoringCase("REPLACE") {
                replace = true
                i += 1
                continue
            }
            c.fail(.custom("ERR Unknown option given: \(c.argString(i))"))
            return
        }
        guard i < c.argc else {
            c.fail(.custom("ERR Function code is missing"))
            return
        }
        switch engine.loadLibrary(c.arg(i), replace: replace, runner: engine.runner(for: c)) {
        case .failure(let e):
            c.fail(e)
        case .success(let name):
            c.markDirty()
            c.reply.bulk(name)
        }
    }

    static func delete(_ c: Client, _ engine: ScriptEngine) {
        guard engine.functions.delete(c.argString(2)) else {
            c.fail(.custom("ERR Library not found"))
            return
        }
        c.markDirty()
        c.reply.ok()
    }

    static func flush(_ c: Client, _ engine: ScriptEngine) {
        if c.argc > 3 {
            c.fail(.subcommandSyntax(subcommand: c.argCString(1), command: "function"))
            return
        }
        if c.argc == 3 && !(c.arg(2).equalsIgnoringCase("SYNC") || c.arg(2).equalsIgnoringCase("ASYNC")) {
            c.fail(.custom("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"))
            return
        }
        engine.functions.flush()
        c.markDirty()
        c.reply.ok()
    }

    static func list(_ c: Client, _ engine: ScriptEngine) {
        var withCode = false
        var pattern: [UInt8]?
        var i = 2
        while i < c.argc {
            let a = c.arg(i)
            if !withCode && a.equalsIgnoringCase("WITHCODE") {
                withCode = true
            } else if pattern == nil && a.equalsIgnoringCase("LIBRARYNAME") {
                if i >= c.argc - 1 {
                    c.fail(.custom("ERR library name argument was not given"))
                    return
                }
                i += 1
                pattern = Array(c.arg(i))
            } else {
                c.fail(.custom("ERR Unknown argument \(a.string)"))
                return
            }
            i += 1
        }
        var libs = engine.functions.all
        if let pattern {
            libs = libs.filter { lib in pattern.withBytes { p in Array(lib.name.utf8).withBytes { Glob.matches(p, $0, nocase: true) } } }
        }
        let r = c.reply
        r.arrayHeader(libs.count)
        for lib in libs {
            r.mapHeader(withCode ? 4 : 3)
            r.bulk("library_name"); r.bulk(lib.name)
            r.bulk("engine"); r.bulk("LUA")
            r.bulk("functions")
            r.arrayHeader(lib.functions.count)
            for f in lib.functions {
                r.mapHeader(3)
                r.bulk("name"); r.bulk(f.name)
                r.bulk("description")
                if let d = f.description { r.bulk(d) } else { r.nullBulk() }
                r.bulk("flags")
                let names = f.flagNames
                r.setHeader(names.count)
                for n in names { r.status(n) }
            }
            if withCode {
                r.bulk("library_code"); r.bulk(lib.code)
            }
        }
    }

    static func stats(_ c: Client, _ engine: ScriptEngine) {
        let running = engine.runningInfo()
        if let running, running.kind == .eval {
            c.fail(.busyScript)
            return
        }
        let r = c.reply
        r.mapHeader(2)
        r.bulk("running_script")
        if let running, let caller = engine.runningCaller {
            r.mapHeader(3)
            r.bulk("name"); r.bulk(running.name)
            r.bulk("command")
            r.bulkArray(caller)
            r.bulk("duration_ms"); r.integer(running.elapsedMs)
        } else {
            r.nullBulk()
        }
        r.bulk("engines")
        r.mapHeader(1)
        r.bulk("LUA")
        r.mapHeader(2)
        r.bulk("libraries_count"); r.integer(engine.functions.libraryCount)
        r.bulk("functions_count"); r.integer(engine.functions.functionCount)
    }

    static func kill(_ c: Client, _ engine: ScriptEngine) {
        if let e = engine.requestKill(.function) { c.fail(e) } else { c.reply.ok() }
    }

    static func help(_ c: Client) {
        let lines = [
            "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
            "HELP",
            "    Prints this help.",
        ]
        c.reply.arrayHeader(lines.count)
        for l in lines { c.reply.status(l) }
    }
}

extension FunctionCommands {
    /// FUNCTION DUMP: every library as RDB function records, then RDB version and CRC-64.
    static func dump(_ c: Client, _ engine: ScriptEngine) {
        let w = RDBWriter(compress: c.context.config.rdbcompression)
        for lib in engine.functions.all {
            w.byte(RDB.Opcode.function2)
            w.string(lib.code)
        }
        w.byte(UInt8(RDB.version & 0xff))
        w.byte(UInt8(RDB.version >> 8))
        w.littleEndian64(w.crc)
        c.reply.bulk(w.bytes)
    }

    /// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE].
    static func restore(_ c: Client, _ engine: ScriptEngine) {
        if c.argc > 4 {
            c.fail(.custom("ERR unknown subcommand or wrong number of arguments for 'restore'. Try FUNCTION HELP."))
            return
        }
        var policy = LibraryRestorePolicy.append
        if c.argc == 4 {
            let p = c.arg(3)
            if p.equalsIgnoringCase("APPEND") { policy = .append }
            else if p.equalsIgnoringCase("REPLACE") { policy = .replace }
            else if p.equalsIgnoringCase("FLUSH") { policy = .flush }
            else {
                c.fail(.custom("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."))
                return
            }
        }
        guard let body = RDBValues.verifyPayload(c.arg(2)) else {
            c.fail(.custom("ERR DUMP payload version or checksum are wrong"))
            return
        }
        var r = RDBReader(body)
        var codes: [[UInt8]] = []
        while r.remaining > 0 {
            guard let type = try? r.byte() else {
                c.fail(.custom("ERR can not read data type"))
                return
            }
            guard type == RDB.Opcode.function2 else {
                c.fail(.custom("ERR given type is not a function"))
                return
            }
            guard let code = try? r.string() else {
                c.fail(.custom("ERR failed loading the given functions payload"))
                return
            }
            codes.append(code)
        }
        if let err = engine.restoreLibraries(codes, policy: policy, runner: engine.runner(for: c)) {
            c.fail(.custom(err))
            return
        }
        c.markDirty()
        c.reply.ok()
    }
}

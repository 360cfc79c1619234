import CinnabarCore

/// Holds the engine for command handlers, which are built before the engine exists.
public final class EngineBox: @unchecked Sendable {
    public var engine: ScriptEngine! {
        didSet { ref = engine.map { Unmanaged.passUnretained($0) } }
    }
    private var ref: Unmanaged<ScriptEngine>?
    public init() {}

    /// Calls `body` with the engine without reference counting (EVAL and
    /// FCALL run this per call; the server keeps the engine alive).
    @inline(__always)
    func run(_ body: (ScriptEngine) -> Void) {
        ref!._withUnsafeGuaranteedRef(body)
    }
}

/// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT.
public enum ScriptingCommands {
    /// Locking for EVAL-style commands: none by the dispatcher. The script
    /// takes the shards it needs itself (`ScriptRunner.execute`) and leaves
    /// them to `Server.call` to release after its effects are logged.
    static let locksTakenByScript: KeyFinder = { _ in .positions([]) }

    /// Key specs of EVAL-style commands: `numkeys` at index 2, then the keys
    /// (what COMMAND INFO and COMMAND GETKEYS report; locking still takes every shard).
    static func numkeysSpec(readOnly: Bool, withNotes: Bool) -> [CommandKeySpec] {
        // Redis 7.0 reports these notes without a trailing "flags" word.
        let notes = readOnly ? "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"
                             : "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"
        return [CommandKeySpec(flags: readOnly ? ["RO", "access"] : ["RW", "access", "update"], .index(2),
                               .keynum(numKeysIndex: 0, firstKey: 1, step: 1), notes: withNotes ? notes : nil)]
    }

    public static func all(_ box: EngineBox) -> [CommandSpec] {
        let evalFlags: CommandFlags = [.noscript, .skipMonitor, .mayReplicate, .noMandatoryKeys, .stale]
        let roFlags: CommandFlags = [.noscript, .skipMonitor, .noMandatoryKeys, .stale, .readonly]
        return [
            CommandSpec("eval", arity: -3, flags: evalFlags, keys: .range(first: 0, last: 0, step: 0), keyFinder: locksTakenByScript,
                        group: .scripting, since: "2.6.0", complexity: "Depends on the script that is executed.",
                        summary: "Executes a server-side Lua script.", keySpecs: numkeysSpec(readOnly: false, withNotes: true), handler: { c in box.run { eval(c, $0, sha: false, readOnly: false) } }),
            CommandSpec("evalsha", arity: -3, flags: evalFlags, keys: .range(first: 0, last: 0, step: 0), keyFinder: locksTakenByScript,
                        group: .scripting, since: "2.6.0", complexity: "Depends on the script that is executed.",
                        summary: "Executes a server-side Lua script by SHA1 digest.", keySpecs: numkeysSpec(readOnly: false, withNotes: false), handler: { c in box.run { eval(c, $0, sha: true, readOnly: false) } }),
            CommandSpec("eval_ro", arity: -3, flags: roFlags, keys: .range(first: 0, last: 0, step: 0), keyFinder: locksTakenByScript,
                        group: .scripting, since: "7.0.0", complexity: "Depends on the script that is executed.",
                        summary: "Executes a read-only server-side Lua script.", keySpecs: numkeysSpec(readOnly: true, withNotes: true), handler: { c in box.run { eval(c, $0, sha: false, readOnly: true) } }),
            CommandSpec("evalsha_ro", arity: -3, flags: roFlags, keys: .range(first: 0, last: 0, step: 0), keyFinder: locksTakenByScript,
                        group: .scripting, since: "7.0.0", complexity: "Depends on the script that is executed.",
                        summary: "Executes a read-only server-side Lua script by SHA1 digest.", keySpecs: numkeysSpec(readOnly: true, withNotes: false), handler: { c in box.run { eval(c, $0, sha: true, readOnly: true) } }),
            CommandSpec("script", arity: -2, group: .scripting, since: "2.6.0", complexity: "Depends on subcommand.",
                        summary: "A container for Lua scripts management commands.", subcommands: [
                // LOAD compiles in this loop's state and FLUSH closes every loop's
                // state: both hold every shard, so no script runs meanwhile.
                CommandSpec("load", arity: 3, flags: [.noscript, .stale], keys: .all, group: .scripting, since: "2.6.0",
                            complexity: "O(N) with N being the length in bytes of the script body.",
                            summary: "Loads a server-side Lua script to the script cache.",
                            tips: ["request_policy:all_nodes", "response_policy:all_succeeded"], handler: { load($0, box.engine) }),
                CommandSpec("exists", arity: -3, flags: [.noscript], group: .scripting, since: "2.6.0",
                            complexity: "O(N) with N being the number of scripts to check.",
                            summary: "Determines whether server-side Lua scripts exist in the script cache.",
                            tips: ["request_policy:all_shards", "response_policy:agg_logical_and"], handler: { exists($0, box.engine) }),
                CommandSpec("flush", arity: -2, flags: [.noscript, .mayReplicate], keys: .all, group: .scripting, since: "2.6.0",
                            complexity: "O(N) with N being the number of scripts in cache",
                            summary: "Removes all server-side Lua scripts from the script cache.",
                            tips: ["request_policy:all_nodes", "response_policy:all_succeeded"], handler: { flush($0, box.engine) }),
                CommandSpec("kill", arity: 2, flags: [.noscript, .allowBusy], group: .scripting, since: "2.6.0",
                            summary: "Terminates a server-side Lua script during execution.",
                            tips: ["request_policy:all_shards", "response_policy:one_succeeded"], handler: { kill($0, box.engine) }),
                CommandSpec("help", arity: 2, flags: [.loading, .stale], group: .scripting, since: "5.0.0",
                            summary: "Returns helpful text about the different subcommands.", handler: help),
            ], handler: nil),
        ]
    }

    static func eval(_ c: Client, _ engine: ScriptEngine, sha: Bool, readOnly: Bool) {
        let server = c.server
        if server.monitors.isActive { server.monitors.feed(c, db: c.dbIndex) }
        guard let numkeys = Numbers.parseInt64(c.arg(2)) else {
            c.fail(.notInteger)
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
        let runner = engine.runner(for: c)
        runner.syncWithCache()
        let key: ShaKey
        let name: String
        if sha {
            guard let k = ShaKey(hex: c.arg(1)) else {
                c.fail(.noScript)
                return
            }
            key = k
            // The hex name is built once per compiled script (kept with it).
            name = runner.compiled[k]?.name ?? k.hex
        } else {
            let hex = SHA1.hex(UnsafeRawBufferPointer(c.arg(1)))
            key = hex.withBytes { ShaKey(hex: $0)! }
            name = String(decoding: hex, as: UTF8.self)
        }
        var entry = runner.compiled[key]
        if entry == nil {
            let script: CachedScript
            if let cached = engine.cached(key) {
                script = cached
            } else if sha {
                c.fail(.noScript)
                return
            } else {
                switch ScriptEngine.shebang(c.arg(1)) {
                case .failure(let e):
                    c.fail(e)
                    return
                case .success(let (flags, skip)):
                    script = CachedScript(body: Array(c.arg(1)), shebangLength: skip, flags: flags)
                }
            }
            let compiled = script.body.withBytes { runner.compile(key, body: $0, shebangLength: script.shebangLength, flags: script.flags) }
            switch compiled {
            case .failure(let e):
                c.fail(e)
                return
            case .success(let ref):
                engine.store(key, script)
                entry = (ref, script.flags, name)
            }
        }
        let (ref, flags, _) = entry!
        if !flags.contains(.evalCompat) && !flags.contains(.noWrites) && readOnly {
            c.fail(.custom("ERR Can not execute a script with write flag using *_ro command."))
            return
        }
        runner.runEval(c, ref: ref, name: name, flags: flags, readOnly: readOnly || flags.contains(.noWrites), firstKey: 3, numkeys: Int(numkeys))
    }

    static func load(_ c: Client, _ engine: ScriptEngine) {
        let hex = SHA1.hex(UnsafeRawBufferPointer(c.arg(2)))
        let key = hex.withBytes { ShaKey(hex: $0)! }
        if engine.cached(key) == nil {
            let runner = engine.runner(for: c)
            runner.syncWithCache()
            switch ScriptEngine.shebang(c.arg(2)) {
            case .failure(let e):
                c.fail(e)
                return
            case .success(let (flags, skip)):
                if case .failure(let e) = runner.compile(key, body: c.arg(2), shebangLength: skip, flags: flags) {
                    c.fail(e)
                    return
                }
                engine.store(key, CachedScript(body: Array(c.arg(2)), shebangLength: skip, flags: flags))
            }
        }
        c.reply.bulk(hex)
    }

    static func exists(_ c: Client, _ engine: ScriptEngine) {
        c.reply.arrayHeader(c.argc - 2)
        for i in 2..<c.argc {
            let found = ShaKey(hex: c.arg(i)).map { engine.exists($0) } ?? false
            c.reply.integer(found ? 1 : 0)
        }
    }

    static func flush(_ c: Client, _ engine: ScriptEngine) {
        if c.argc == 3 && !(c.arg(2).equalsIgnoringCase("SYNC") || c.arg(2).equalsIgnoringCase("ASYNC")) || c.argc > 3 {
            c.fail(.custom("ERR SCRIPT FLUSH only support SYNC|ASYNC option"))
            return
        }
        engine.flush(runner: engine.runner(for: c))
        c.reply.ok()
    }

    static func kill(_ c: Client, _ engine: ScriptEngine) {
        if let e = engine.requestKill(.eval) { c.fail(e) } else { c.reply.ok() }
    }

    static func help(_ c: Client) {
        let lines = [
            "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
            "HELP",
            "    Prints this help.",
        ]
        c.reply.arrayHeader(lines.count)
        for l in lines { c.reply.status(l) }
    }
}

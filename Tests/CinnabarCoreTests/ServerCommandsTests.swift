import CinnabarCore
import Foundation
import XCTest

final class ServerCommandsTests: XCTestCase {
    /// The text of a bulk (RESP2 verbatim) reply.
    private func bulkText(_ reply: String) -> String {
        // Byte-wise: "\r\n" is a single Character in Swift strings.
        let bytes = Array(reply.utf8)
        guard bytes.first == UInt8(ascii: "$"), let nl = bytes.firstIndex(of: 10) else { return "" }
        return String(decoding: bytes[(nl + 1)..<(bytes.count - 2)], as: UTF8.self)
    }

    /// `field:value` pairs of an INFO reply.
    private func infoFields(_ reply: String) -> [String: String] {
        var d: [String: String] = [:]
        for line in bulkText(reply).components(separatedBy: "\r\n") where !line.hasPrefix("#") && !line.isEmpty {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { d[String(parts[0])] = String(parts[1]) }
        }
        return d
    }

    // MARK: INFO

    func testInfoDefaultSections() {
        let h = Harness()
        let text = bulkText(h.run("INFO"))
        let headers = text.components(separatedBy: "\r\n").filter { $0.hasPrefix("# ") }
        XCTAssertEqual(headers, ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication",
                                 "# CPU", "# Modules", "# Errorstats", "# Cluster", "# Keyspace"])
        XCTAssertTrue(text.hasPrefix("# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\n"))
        XCTAssertTrue(text.contains("\r\n\r\n# Clients\r\nconnected_clients:"))
        XCTAssertTrue(text.hasSuffix("# Keyspace\r\n"))
        let f = infoFields(h.run("INFO"))
        XCTAssertEqual(f["redis_mode"], "standalone")
        XCTAssertEqual(f["arch_bits"], "64")
        XCTAssertEqual(f["process_id"], String(getpid()))
        XCTAssertEqual(f["run_id"]?.count, 40)
        XCTAssertEqual(f["hz"], "10")
        XCTAssertEqual(f["maxmemory_policy"], "noeviction")
        XCTAssertEqual(f["maxmemory_human"], "0B")
        XCTAssertEqual(f["role"], "master")
        XCTAssertEqual(f["cluster_enabled"], "0")
        XCTAssertEqual(f["mem_allocator"], "libc")
        XCTAssertNotNil(f["cinnabar_version"])
        XCTAssertGreaterThan(Int(f["used_memory"] ?? "0") ?? 0, 0)
        XCTAssertGreaterThan(Int(f["used_memory_rss"] ?? "0") ?? 0, 0)
        XCTAssertNotNil(f["used_cpu_user"])
        XCTAssertNil(f["rejected_calls"])
    }

    /// used_memory follows allocations and frees at once (it is read before
    /// every command when maxmemory is set), from any thread. Other tests'
    /// threads may allocate meanwhile, hence blocks far larger than the slack.
    func testUsedMemoryFollowsAllocationsExactly() {
        let mb = 1 << 20, slack = 8 * mb
        let base = ProcessStats.allocatedBytes()
        let block = malloc(64 * mb)!
        XCTAssertGreaterThan(ProcessStats.allocatedBytes() - base, 64 * mb - slack)
        let grown = realloc(block, 128 * mb)!
        XCTAssertGreaterThan(ProcessStats.allocatedBytes() - base, 128 * mb - slack)
        // Freed on another thread: counted there, the total still drops.
        let address = Int(bitPattern: grown)
        let done = DispatchSemaphore(value: 0)
        Thread {
            free(UnsafeMutableRawPointer(bitPattern: address))
            done.signal()
        }.start()
        done.wait()
        XCTAssertLessThan(ProcessStats.allocatedBytes() - base, slack)
        let h = Harness()
        let before = h.server.evictor.usedMemory()
        h.run("SETRANGE", "big", String(64 * mb), "x")
        XCTAssertGreaterThan(h.server.evictor.usedMemory() - before, 64 * mb - slack)
        h.run("DEL", "big")
        XCTAssertLessThan(h.server.evictor.usedMemory() - before, slack)
    }

    func testInfoSectionSelection() {
        let h = Harness()
        h.run("SET", "k", "v")
        XCTAssertEqual(h.run("INFO", "nosuchsection"), R.bulk(""))
        let cpu = bulkText(h.run("INFO", "cpu"))
        XCTAssertTrue(cpu.hasPrefix("# CPU\r\nused_cpu_sys:"))
        XCTAssertFalse(cpu.contains("used_memory"))
        let stats = bulkText(h.run("INFO", "commandSTATS"))
        XCTAssertTrue(stats.hasPrefix("# Commandstats\r\n"))
        XCTAssertTrue(stats.contains("rejected_calls"))
        for arg in ["all", "everything"] {
            let all = bulkText(h.run("INFO", arg))
            XCTAssertTrue(all.contains("# Commandstats"))
            XCTAssertTrue(all.contains("# Latencystats"))
        }
        let mixed = bulkText(h.run("INFO", "cpu", "all"))
        XCTAssertEqual(mixed.components(separatedBy: "used_cpu_user_children").count, 2)
        let withDefault = bulkText(h.run("INFO", "cpu", "default"))
        XCTAssertTrue(withDefault.contains("master_repl_offset"))
        XCTAssertFalse(withDefault.contains("rejected_calls"))
        XCTAssertEqual(h.run("INFO", "keyspace"), R.bulk("# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n"))
        XCTAssertEqual(h.run("INFO", "cluster", "cluster"), R.bulk("# Cluster\r\ncluster_enabled:0\r\n"))
    }

    func testInfoKeyspaceCountsExpires() {
        let h = Harness()
        h.run("SET", "a", "1")
        h.run("SET", "b", "2", "EX", "100")
        h.run("SELECT", "3")
        h.run("SET", "c", "3")
        let text = bulkText(h.run("INFO", "keyspace"))
        XCTAssertTrue(text.hasPrefix("# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl="))
        XCTAssertTrue(text.hasSuffix("\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n"))
        let avg = text.components(separatedBy: "avg_ttl=")[1].prefix { $0.isNumber }
        XCTAssertGreaterThan(Int(avg) ?? 0, 90_000)
        XCTAssertLessThanOrEqual(Int(avg) ?? 0, 100_000)
    }

    func testCommandAndErrorStats() {
        let h = Harness()
        h.run("SET", "k", "v")
        h.run("SET", "k", "v", "NX", "XX")
        h.run("GET")
        h.run("NOSUCHCOMMAND")
        let stats = bulkText(h.run("INFO", "commandstats"))
        XCTAssertTrue(stats.contains("\r\ncmdstat_set:calls=2,usec="), stats)
        XCTAssertTrue(stats.contains(",rejected_calls=0,failed_calls=1\r\n"), stats)
        XCTAssertTrue(stats.contains("\r\ncmdstat_get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n"), stats)
        XCTAssertEqual(h.run("INFO", "errorstats"), R.bulk("# Errorstats\r\nerrorstat_ERR:count=3\r\n"))
        XCTAssertEqual(infoFields(h.run("INFO", "stats"))["total_error_replies"], "3")
        XCTAssertEqual(h.run("CONFIG", "RESETSTAT"), R.ok)
        XCTAssertEqual(h.run("INFO", "errorstats"), R.bulk("# Errorstats\r\n"))
        let after = bulkText(h.run("INFO", "commandstats"))
        XCTAssertFalse(after.contains("cmdstat_set"))
        XCTAssertTrue(after.contains("cmdstat_config|resetstat:calls=1,"), after)
        XCTAssertEqual(infoFields(h.run("INFO", "stats"))["total_error_replies"], "0")
    }

    func testInfoLatencyStats() {
        let h = Harness()
        h.run("SET", "k", "v")
        let text = bulkText(h.run("INFO", "latencystats"))
        XCTAssertTrue(text.contains("latency_percentiles_usec_set:p50="), text)
        XCTAssertTrue(text.contains(",p99=") && text.contains(",p99.9="))
        h.run("CONFIG", "SET", "latency-tracking-info-percentiles", "0 50 100")
        XCTAssertTrue(bulkText(h.run("INFO", "latencystats")).contains("latency_percentiles_usec_set:p0="))
        h.run("CONFIG", "SET", "latency-tracking", "no")
        XCTAssertEqual(h.run("INFO", "latencystats"), R.bulk("# Latencystats\r\n"))
    }

    func testLatencyHistogramPercentiles() {
        let hist = LatencyHistogram()
        for v in 1...100 { hist.record(nanos: Int64(v) * 10_000) }
        let p50 = hist.value(atPercentile: 50)
        XCTAssertGreaterThanOrEqual(p50, 500_000)
        XCTAssertLessThan(p50, 510_000)
        XCTAssertGreaterThanOrEqual(hist.value(atPercentile: 100), 1_000_000)
        hist.record(nanos: 1)
        XCTAssertEqual(hist.value(atPercentile: 0), LatencyHistogram.upperBound(LatencyHistogram.bucket(1_000)))
    }

    func testHumanSizes() {
        XCTAssertEqual(bytesToHuman(0), "0B")
        XCTAssertEqual(bytesToHuman(1023), "1023B")
        XCTAssertEqual(bytesToHuman(916_328), "894.85K")
        XCTAssertEqual(bytesToHuman(12_242_944), "11.68M")
        XCTAssertEqual(bytesToHuman(25_276_510_208), "23.54G")
    }

    func testTimeAndRole() {
        let h = Harness()
        let reply = h.run("TIME")
        let parts = reply.components(separatedBy: "\r\n")
        XCTAssertEqual(parts[0], "*2")
        let seconds = Int(parts[2]) ?? 0
        XCTAssertLessThanOrEqual(abs(seconds - Int(Date().timeIntervalSince1970)), 2)
        XCTAssertLessThan(Int(parts[4]) ?? -1, 1_000_000)
        XCTAssertEqual(h.run("TIME", "x"), R.err("ERR wrong number of arguments for 'time' command"))
        XCTAssertEqual(h.run("ROLE"), "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n")
    }

    // MARK: CONFIG

    func testConfigGet() {
        let h = Harness()
        XCTAssertEqual(h.run("CONFIG", "GET", "maxmemory"), R.bulks(["maxmemory", "0"]))
        XCTAssertEqual(h.run("CONFIG", "GET", "MAXMEMORY"), R.bulks(["MAXMEMORY", "0"]))
        XCTAssertEqual(h.run("CONFIG", "GET", "nosuch"), "*0\r\n")
        XCTAssertEqual(h.run("CONFIG", "GET", "maxmemory", "maxmemory"), R.bulks(["maxmemory", "0"]))
        XCTAssertEqual(h.run("CONFIG", "GET", "key-load-delay"), R.bulks(["key-load-delay", "0"]))
        XCTAssertEqual(h.run("CONFIG", "GET", "*load-delay"), "*0\r\n")
        XCTAssertEqual(h.run("CONFIG", "GET", "save"), R.bulks(["save", ""]))
        XCTAssertEqual(h.run("CONFIG", "GET", "hash-max-ziplist-entries"), R.bulks(["hash-max-ziplist-entries", "512"]))
        XCTAssertEqual(h.run("CONFIG", "GET", "client-output-buffer-limit"),
                       R.bulks(["client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"]))
        let many = h.run("CONFIG", "GET", "maxmemory", "maxmemory*", "bind", "*of")
        for name in ["maxmemory", "maxmemory-policy", "maxmemory-samples", "maxmemory-clients", "bind", "replicaof", "slaveof"] {
            XCTAssertTrue(many.contains("$\(name.utf8.count)\r\n\(name)\r\n"), name)
        }
        XCTAssertEqual(many.components(separatedBy: "\r\nmaxmemory\r\n").count, 2)
        XCTAssertEqual(h.run("CONFIG", "GET"), R.err("ERR wrong number of arguments for 'config|get' command"))
        h.client.reply.resp = .resp3
        XCTAssertEqual(h.run("CONFIG", "GET", "timeout"), "%1\r\n$7\r\ntimeout\r\n$1\r\n0\r\n")
    }

    func testConfigSetErrors() {
        let h = Harness()
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory"), R.err("ERR wrong number of arguments for 'config|set' command"))
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory", "1", "port"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("CONFIG", "SET", "daemonize", "yes"),
                       R.err("ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"))
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory", "1", "MAXMEMORY", "2"),
                       R.err("ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter"))
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory", "1", "foo", "2"),
                       R.err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'"))
        XCTAssertEqual(h.run("CONFIG", "SET", "dir", "/tmp"),
                       R.err("ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"))
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory-policy", "xx"),
                       R.err("ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"))
        XCTAssertEqual(h.run("CONFIG", "SET", "appendonly", "maybe"),
                       R.err("ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'"))
        XCTAssertEqual(h.run("CONFIG", "SET", "hz", "-1"),
                       R.err("ERR CONFIG SET failed (possibly related to argument 'hz') - argument must be between 0 and 2147483647 inclusive"))
        XCTAssertEqual(h.run("CONFIG", "SET", "hz", "x"),
                       R.err("ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"))
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory", "-1"),
                       R.err("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"))
        XCTAssertEqual(h.run("CONFIG", "SET", "save", "1 2 3"),
                       R.err("ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"))
        XCTAssertEqual(h.run("CONFIG", "SET", "lua-time-limit", "x"),
                       R.err("ERR CONFIG SET failed (possibly related to argument 'busy-reply-threshold') - argument couldn't be parsed into an integer"))
        XCTAssertEqual(h.run("CONFIG", "FOO"), R.err("ERR unknown subcommand 'FOO'. Try CONFIG HELP."))
        XCTAssertEqual(h.run("CONFIG"), R.err("ERR wrong number of arguments for 'config' command"))
    }

    func testConfigSetIsAtomic() {
        let h = Harness()
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory", "10000002"), R.ok)
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory", "10000001", "maxmemory-clients", "200%", "client-query-buffer-limit", "invalid"),
                       R.err("ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100"))
        XCTAssertEqual(h.run("CONFIG", "GET", "maxmemory"), R.bulks(["maxmemory", "10000002"]))
        XCTAssertEqual(h.run("CONFIG", "GET", "maxmemory-clients"), R.bulks(["maxmemory-clients", "0"]))
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory", "1mb", "save", "3000 5", "maxmemory-clients", "10%"), R.ok)
        XCTAssertEqual(h.run("CONFIG", "GET", "maxmemory"), R.bulks(["maxmemory", "1048576"]))
        XCTAssertEqual(h.run("CONFIG", "GET", "save"), R.bulks(["save", "3000 5"]))
        XCTAssertEqual(h.run("CONFIG", "GET", "maxmemory-clients"), R.bulks(["maxmemory-clients", "10%"]))
        XCTAssertEqual(h.server.config.snapshot.maxmemory, 1_048_576)
        XCTAssertEqual(h.server.contexts[0].config.maxmemory, 1_048_576)
    }

    func testConfigSetValueForms() {
        let h = Harness()
        XCTAssertEqual(h.run("CONFIG", "SET", "hz", "1000"), R.ok)
        XCTAssertEqual(h.run("CONFIG", "GET", "hz"), R.bulks(["hz", "500"]))
        XCTAssertEqual(h.run("CONFIG", "SET", "hz", "0"), R.ok)
        XCTAssertEqual(h.run("CONFIG", "GET", "hz"), R.bulks(["hz", "1"]))
        XCTAssertEqual(h.run("CONFIG", "SET", "oom-score-adj", "relative"), R.ok)
        XCTAssertEqual(h.run("CONFIG", "GET", "oom-score-adj"), R.bulks(["oom-score-adj", "yes"]))
        XCTAssertEqual(h.run("CONFIG", "SET", "loglevel", "WARNING"), R.ok)
        XCTAssertEqual(h.run("CONFIG", "GET", "loglevel"), R.bulks(["loglevel", "warning"]))
        XCTAssertEqual(h.server.log.level, .warning)
        XCTAssertEqual(h.run("CONFIG", "SET", "shutdown-on-sigterm", "nosave now"), R.ok)
        XCTAssertEqual(h.run("CONFIG", "GET", "shutdown-on-sigterm"), R.bulks(["shutdown-on-sigterm", "nosave now"]))
        XCTAssertEqual(h.run("CONFIG", "SET", "shutdown-on-sigint", "save nosave"),
                       R.err("ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - shutdown options SAVE and NOSAVE can't be used simultaneously"))
        XCTAssertEqual(h.run("CONFIG", "SET", "notify-keyspace-events", "KEA"), R.ok)
        XCTAssertEqual(h.run("CONFIG", "GET", "notify-keyspace-events"), R.bulks(["notify-keyspace-events", "AKE"]))
        XCTAssertEqual(h.run("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 512kb 30"), R.ok)
        XCTAssertEqual(h.run("CONFIG", "GET", "client-output-buffer-limit"),
                       R.bulks(["client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 30"]))
        XCTAssertEqual(h.run("CONFIG", "SET", "activedefrag", "yes"),
                       R.err("ERR CONFIG SET failed (possibly related to argument 'activedefrag') - Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"))
        XCTAssertEqual(h.run("CONFIG", "SET", "proc-title-template", "{title}} {{x"), R.ok)
        XCTAssertEqual(h.run("CONFIG", "SET", "proc-title-template", "{title}"),
                       R.err("ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables"))
        XCTAssertEqual(h.run("CONFIG", "SET", "proc-title-template", "{nosuch}"),
                       R.err("ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables"))
        XCTAssertEqual(h.run("CONFIG", "SET", "latency-tracking-info-percentiles", "50 101"),
                       R.err("ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"))
        XCTAssertEqual(h.run("CONFIG", "SET", "replicaof", "127.0.0.1 6379"),
                       R.err("ERR CONFIG SET failed (possibly related to argument 'replicaof') - can't set immutable config"))
    }

    /// Every value CONFIG GET reports is accepted back by CONFIG SET (Redis's "CONFIG sanity").
    func testConfigSetAcceptsItsOwnValues() {
        let h = Harness()
        let cfg = h.server.config.snapshot
        var pairs: [String] = []
        for (name, p) in ConfigTable.visibleNames where p.mutable && !p.flags.contains(.protected) {
            pairs += [name, p.get(cfg)]
            XCTAssertEqual(h.run(["CONFIG", "SET", name, p.get(cfg)].map { Array($0.utf8) }), R.ok, name)
        }
        let after = h.server.config.snapshot
        for p in ConfigTable.parameters { XCTAssertEqual(p.get(after), p.get(cfg), p.name) }
    }

    func testConfigRewrite() throws {
        let h = Harness()
        XCTAssertEqual(h.run("CONFIG", "REWRITE"), R.err("ERR The server is running without a config file"))

        let dir = NSTemporaryDirectory() + "cinnabar-rewrite-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/redis.conf"
        let original = """
        # Cinnabar test configuration
        port 6390

        # memory
        maxmemory 100mb
        hash-max-ziplist-entries 20
        save 900 1
        save 300 10
        timeout 0

        """
        try original.write(toFile: path, atomically: true, encoding: .utf8)
        var cfg = ServerConfig()
        try ConfigParser.apply(text: original, file: path, to: &cfg)
        let server = Server(config: cfg, configFile: path, families: CoreCommands.families)
        try server.prepare()
        let c = server.makeFakeClient(context: server.contexts[0])
        func run(_ args: String...) -> String {
            let before = c.reply.count
            server.execute(c, args.map { Array($0.utf8) })
            defer { c.reply.reset() }
            return String(decoding: c.reply.bytes(from: before), as: UTF8.self)
        }
        XCTAssertEqual(run("CONFIG", "SET", "maxmemory", "2gb", "save", "60 5", "hash-max-listpack-entries", "100",
                           "slowlog-max-len", "99", "timeout", "0", "masterauth", "se cret"), R.ok)
        XCTAssertEqual(run("CONFIG", "REWRITE"), R.ok)
        let rewritten = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(rewritten, """
        # Cinnabar test configuration
        port 6390

        # memory
        maxmemory 2gb
        hash-max-listpack-entries 100
        save 60 5

        timeout 0
        # Generated by CONFIG REWRITE
        masterauth "se cret"
        dir \(quotedRepr(bytes: Array(cfg.dir.utf8)))
        slowlog-max-len 99
        user default on nopass ~* &* +@all

        """)
        var reread = ServerConfig()
        try ConfigParser.apply(text: rewritten, file: path, to: &reread)
        XCTAssertEqual(reread.maxmemory, 2 << 30)
        XCTAssertEqual(reread.hashMaxListpackEntries, 100)
        XCTAssertEqual(reread.save.map { [$0.seconds, $0.changes] }, [[60, 5]])

        // A second rewrite keeps the file stable.
        XCTAssertEqual(run("CONFIG", "REWRITE"), R.ok)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), rewritten)
    }

    // MARK: SLOWLOG

    func testSlowlog() {
        let h = Harness(["slowlog-log-slower-than": "0"])
        h.run("SLOWLOG", "RESET")
        h.run("CLIENT", "SETNAME", "tester")
        h.run("SET", "k", String(repeating: "A", count: 129))
        let entries = h.run("SLOWLOG", "GET", "1")
        XCTAssertTrue(entries.hasPrefix("*1\r\n*6\r\n:2\r\n:"), entries)
        XCTAssertTrue(entries.hasSuffix("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$146\r\n\(String(repeating: "A", count: 128))... (1 more bytes)\r\n$0\r\n\r\n$6\r\ntester\r\n"), entries)
        XCTAssertEqual(h.run("SLOWLOG", "GET", "0"), "*0\r\n")
        XCTAssertTrue(h.run("SLOWLOG", "GET", "-1").hasPrefix("*5\r\n"))
        XCTAssertTrue(h.run("SLOWLOG", "GET").hasPrefix("*6\r\n"))
        XCTAssertEqual(h.run("SLOWLOG", "LEN"), R.int(7))
        XCTAssertEqual(h.run("SLOWLOG", "GET", "-2"), R.err("ERR count should be greater than or equal to -1"))
        XCTAssertEqual(h.run("SLOWLOG", "GET", "x"), R.err("ERR count should be greater than or equal to -1"))
        XCTAssertEqual(h.run("SLOWLOG", "GET", "1", "2"),
                       R.err("ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP."))
        XCTAssertEqual(h.run("SLOWLOG", "FOO"), R.err("ERR unknown subcommand 'FOO'. Try SLOWLOG HELP."))
        XCTAssertEqual(h.run("SLOWLOG", "RESET"), R.ok)
        XCTAssertEqual(h.run("SLOWLOG", "LEN"), R.int(1))

        h.run("CONFIG", "SET", "slowlog-max-len", "3")
        for _ in 0..<10 { h.run("PING") }
        XCTAssertEqual(h.run("SLOWLOG", "LEN"), R.int(3))
    }

    func testSlowlogTrimsArgumentsAndRedactsSecrets() {
        let h = Harness(["slowlog-log-slower-than": "0"])
        h.run((["DEL", "set"] + (3...33).map { String($0) }).map { Array($0.utf8) })
        let sadd = h.run("SLOWLOG", "GET", "1")
        XCTAssertTrue(sadd.contains("*32\r\n$3\r\nDEL\r\n$3\r\nset\r\n$1\r\n3\r\n"), sadd)
        XCTAssertTrue(sadd.contains("$2\r\n31\r\n$22\r\n... (2 more arguments)\r\n"), sadd)
        h.run("SLOWLOG", "RESET")
        h.run("CONFIG", "SET", "masterauth", "")
        h.run("AUTH", "not-real")
        h.run("AUTH", "user", "secret")
        h.run("HELLO", "2", "AUTH", "default", "secret")
        let log = h.run("SLOWLOG", "GET", "-1")
        XCTAssertTrue(log.contains("*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$10\r\nmasterauth\r\n$10\r\n(redacted)\r\n"), log)
        XCTAssertTrue(log.contains("*2\r\n$4\r\nAUTH\r\n$10\r\n(redacted)\r\n"), log)
        XCTAssertTrue(log.contains("*3\r\n$4\r\nAUTH\r\n$10\r\n(redacted)\r\n$10\r\n(redacted)\r\n"), log)
        XCTAssertTrue(log.contains("*5\r\n$5\r\nHELLO\r\n$1\r\n2\r\n$4\r\nAUTH\r\n$10\r\n(redacted)\r\n$10\r\n(redacted)\r\n"), log)
        XCTAssertFalse(log.contains("secret"))
    }

    // MARK: COMMAND

    func testCommandInfo() {
        let h = Harness()
        XCTAssertEqual(h.run("COMMAND", "INFO", "config|get"),
                       "*1\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n")
        XCTAssertEqual(h.run("COMMAND", "INFO", "memory|usage"),
                       "*1\r\n*10\r\n$12\r\nmemory|usage\r\n:-3\r\n*1\r\n+readonly\r\n:2\r\n:2\r\n:1\r\n*2\r\n+@read\r\n+@slow\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*1\r\n+RO\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n")
        XCTAssertEqual(h.run("COMMAND", "INFO", "get|key", "config|get|key", "nosuch"), "*3\r\n$-1\r\n$-1\r\n$-1\r\n")
        let ping = h.run("COMMAND", "INFO", "PING")
        XCTAssertTrue(ping.hasPrefix("*1\r\n*10\r\n$4\r\nping\r\n:-1\r\n*1\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n+@connection\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n"), ping)
        let client = h.run("COMMAND", "INFO", "client")
        XCTAssertTrue(client.hasPrefix("*1\r\n*10\r\n$6\r\nclient\r\n:-2\r\n*0\r\n:0\r\n:0\r\n:0\r\n*1\r\n+@slow\r\n*0\r\n*0\r\n*"), client)
        XCTAssertTrue(client.contains("$11\r\nclient|list\r\n:-2\r\n"))
        h.client.reply.resp = .resp3
        XCTAssertEqual(h.run("COMMAND", "INFO", "time"),
                       "*1\r\n*10\r\n$4\r\ntime\r\n:1\r\n~3\r\n+loading\r\n+stale\r\n+fast\r\n:0\r\n:0\r\n:0\r\n~1\r\n+@fast\r\n~1\r\n$23\r\nnondeterministic_output\r\n~0\r\n~0\r\n")
        let count = Int(h.run("COMMAND", "COUNT").dropFirst().dropLast(1)) ?? 0
        XCTAssertEqual(count, h.server.commands.commands.count)
        XCTAssertTrue(h.run("COMMAND").hasPrefix("*\(count)\r\n*10\r\n"))
        XCTAssertTrue(h.run("COMMAND", "INFO").hasPrefix("*\(count)\r\n*10\r\n"))
    }

    /// Tips, notes, key-spec flags and ACL categories that differed from Redis 7.0.15 (found by differential testing).
    func testCommandInfoMetadataMatchesRedis() {
        let h = Harness()
        let expected: [(String, String)] = [
            ("config|resetstat", "*1\r\n*10\r\n$16\r\nconfig|resetstat\r\n:2\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n"),
            ("getex", "*1\r\n*10\r\n$5\r\ngetex\r\n:-2\r\n*2\r\n+write\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@write\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*8\r\n$5\r\nnotes\r\n$40\r\nRW and UPDATE because it changes the TTL\r\n$5\r\nflags\r\n*3\r\n+RW\r\n+access\r\n+update\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"),
            ("object|encoding", "*1\r\n*10\r\n$15\r\nobject|encoding\r\n:3\r\n*1\r\n+readonly\r\n:2\r\n:2\r\n:1\r\n*3\r\n+@keyspace\r\n+@read\r\n+@slow\r\n*1\r\n$23\r\nnondeterministic_output\r\n*1\r\n*6\r\n$5\r\nflags\r\n*1\r\n+RO\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"),
            ("pubsub|help", "*1\r\n*10\r\n$11\r\npubsub|help\r\n:2\r\n*2\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*1\r\n+@slow\r\n*0\r\n*0\r\n*0\r\n"),
            ("wait", "*1\r\n*10\r\n$4\r\nwait\r\n:3\r\n*1\r\n+noscript\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@connection\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n$23\r\nresponse_policy:agg_min\r\n*0\r\n*0\r\n"),
            ("script|exists", "*1\r\n*10\r\n$13\r\nscript|exists\r\n:-3\r\n*1\r\n+noscript\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@scripting\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n$31\r\nresponse_policy:agg_logical_and\r\n*0\r\n*0\r\n"),
            ("script|load", "*1\r\n*10\r\n$11\r\nscript|load\r\n:3\r\n*2\r\n+noscript\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@scripting\r\n*2\r\n$24\r\nrequest_policy:all_nodes\r\n$29\r\nresponse_policy:all_succeeded\r\n*0\r\n*0\r\n"),
            ("function|stats", "*1\r\n*10\r\n$14\r\nfunction|stats\r\n:2\r\n*2\r\n+noscript\r\n+allow_busy\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@scripting\r\n*3\r\n$23\r\nnondeterministic_output\r\n$25\r\nrequest_policy:all_shards\r\n$23\r\nresponse_policy:special\r\n*0\r\n*0\r\n"),
            ("function|list", "*1\r\n*10\r\n$13\r\nfunction|list\r\n:-2\r\n*1\r\n+noscript\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@scripting\r\n*1\r\n$29\r\nnondeterministic_output_order\r\n*0\r\n*0\r\n"),
            ("function|kill", "*1\r\n*10\r\n$13\r\nfunction|kill\r\n:2\r\n*2\r\n+noscript\r\n+allow_busy\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@scripting\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n$29\r\nresponse_policy:one_succeeded\r\n*0\r\n*0\r\n"),
            ("eval_ro", "*1\r\n*10\r\n$7\r\neval_ro\r\n:-3\r\n*6\r\n+readonly\r\n+noscript\r\n+stale\r\n+skip_monitor\r\n+no_mandatory_keys\r\n+movablekeys\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@scripting\r\n*0\r\n*1\r\n*8\r\n$5\r\nnotes\r\n$78\r\nWe cannot tell how the keys will be used so we assume the worst, RO and ACCESS\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$6\r\nkeynum\r\n$4\r\nspec\r\n*6\r\n$9\r\nkeynumidx\r\n:0\r\n$8\r\nfirstkey\r\n:1\r\n$7\r\nkeystep\r\n:1\r\n*0\r\n"),
        ]
        for (name, reply) in expected {
            XCTAssertEqual(h.run("COMMAND", "INFO", name), reply, name)
        }
    }

    func testCommandDocsAndList() {
        let h = Harness()
        XCTAssertEqual(h.run("COMMAND", "DOCS", "echo", "nosuch"),
                       "*2\r\n$4\r\necho\r\n*8\r\n$7\r\nsummary\r\n$25\r\nReturns the given string.\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n")
        let docs = h.run("COMMAND", "DOCS", "slowlog")
        XCTAssertTrue(docs.contains("$11\r\nsubcommands\r\n*8\r\n$11\r\nslowlog|get\r\n*8\r\n$7\r\nsummary\r\n"), docs)
        XCTAssertTrue(h.run("COMMAND", "DOCS").hasPrefix("*\(h.server.commands.commands.count * 2)\r\n"))
        let list = h.run("COMMAND", "LIST")
        XCTAssertTrue(list.contains("$11\r\nclient|list\r\n") && list.contains("$3\r\nset\r\n"))
        XCTAssertEqual(h.run("COMMAND", "LIST", "FILTERBY", "PATTERN", "set"), R.bulks(["set"]))
        let configs = h.run("COMMAND", "LIST", "FILTERBY", "pattern", "config|*re*")
        XCTAssertEqual(configs, R.bulks(["config|resetstat", "config|rewrite"]))
        XCTAssertTrue(h.run("COMMAND", "LIST", "FILTERBY", "PATTERN", "cl*help").contains("client|help"))
        XCTAssertEqual(h.run("COMMAND", "LIST", "FILTERBY", "ACLCAT", "non_existing"), "*0\r\n")
        XCTAssertEqual(h.run("COMMAND", "LIST", "FILTERBY", "MODULE", "x"), "*0\r\n")
        XCTAssertTrue(h.run("COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection").contains("$4\r\nping\r\n"))
        XCTAssertEqual(h.run("COMMAND", "LIST", "bad"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("COMMAND", "LIST", "FILTERBY", "bad", "x"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("COMMAND", "LIST", "FILTERBY", "pattern"), R.err("ERR syntax error"))
        let help = h.run("COMMAND", "HELP")
        XCTAssertTrue(help.hasPrefix("*17\r\n+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"), help)
        XCTAssertTrue(help.hasSuffix("+HELP\r\n+    Prints this help.\r\n"))
    }

    func testCommandGetKeys() {
        let h = Harness()
        XCTAssertEqual(h.run("COMMAND", "GETKEYS", "get", "key"), R.bulks(["key"]))
        XCTAssertEqual(h.run("COMMAND", "GETKEYS", "memory", "usage", "key"), R.bulks(["key"]))
        XCTAssertEqual(h.run("COMMAND", "GETKEYS", "del", "a", "b"), R.bulks(["a", "b"]))
        XCTAssertEqual(h.run("COMMAND", "GETKEYSANDFLAGS", "memory", "usage", "k"), "*1\r\n*2\r\n$1\r\nk\r\n*1\r\n+RO\r\n")
        XCTAssertEqual(h.run("COMMAND", "GETKEYS", "get"), R.err("ERR wrong number of arguments for 'command|getkeys' command"))
        XCTAssertEqual(h.run("COMMAND", "GETKEYS", "ping", "x"), R.err("ERR The command has no key arguments"))
        XCTAssertEqual(h.run("COMMAND", "GETKEYS", "nosuch", "x"), R.err("ERR Invalid command specified"))
        XCTAssertEqual(h.run("COMMAND", "GETKEYS", "memory", "foo", "k"), R.err("ERR Invalid command specified"))
        XCTAssertEqual(h.run("COMMAND", "GETKEYS", "get", "a", "b"), R.err("ERR Invalid number of arguments specified for command"))
    }

    /// SET and BITFIELD have variable key flags: what a given call does to
    /// its key, as Redis 7.0.15 answers (replies recorded from it).
    func testCommandGetKeysAndFlagsOfVariableFlagCommands() {
        let h = Harness()
        let ow = "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+OW\r\n+update\r\n"
        let rw = "*1\r\n*2\r\n$1\r\nk\r\n*3\r\n+RW\r\n+access\r\n+update\r\n"
        let ro = "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n"
        XCTAssertEqual(h.run("COMMAND", "GETKEYSANDFLAGS", "set", "k", "v"), ow)
        XCTAssertEqual(h.run("COMMAND", "GETKEYSANDFLAGS", "set", "k", "v", "EX", "10", "get"), rw)
        XCTAssertEqual(h.run("COMMAND", "GETKEYSANDFLAGS", "set", "k", "get"), ow, "GET in the value position is the value")
        XCTAssertEqual(h.run("COMMAND", "GETKEYSANDFLAGS", "bitfield", "k", "get", "u8", "0", "overflow", "sat"), ro)
        XCTAssertEqual(h.run("COMMAND", "GETKEYSANDFLAGS", "bitfield", "k"), ro)
        XCTAssertEqual(h.run("COMMAND", "GETKEYSANDFLAGS", "bitfield", "k", "get", "u8", "0", "incrby", "u8", "0", "1"), rw)
        XCTAssertEqual(h.run("COMMAND", "GETKEYSANDFLAGS", "bitfield", "k", "get", "u8"), rw, "malformed: may write")
        // Fixed per-key flags (replies recorded from Redis 7.0.15).
        func pairs(_ p: [(String, [String])]) -> String {
            "*\(p.count)\r\n" + p.map { k, f in "*2\r\n$\(k.utf8.count)\r\n\(k)\r\n*\(f.count)\r\n" + f.map { "+\($0)\r\n" }.joined() }.joined()
        }
        XCTAssertEqual(h.run("COMMAND", "GETKEYSANDFLAGS", "mset", "k1", "v1", "k2", "v2"), pairs([("k1", ["OW", "update"]), ("k2", ["OW", "update"])]))
        XCTAssertEqual(h.run("COMMAND", "GETKEYSANDFLAGS", "del", "a", "b"), pairs([("a", ["RM", "delete"]), ("b", ["RM", "delete"])]))
        XCTAssertEqual(h.run("COMMAND", "GETKEYSANDFLAGS", "rename", "a", "b"), pairs([("a", ["RW", "access", "delete"]), ("b", ["OW", "update"])]))
        XCTAssertEqual(h.run("COMMAND", "GETKEYSANDFLAGS", "bitop", "and", "d", "s1"), pairs([("d", ["OW", "update"]), ("s1", ["RO", "access"])]))
        let info = h.run("COMMAND", "INFO", "set")
        XCTAssertTrue(info.contains("+RW\r\n+access\r\n+update\r\n+variable_flags\r\n"), info)
    }

    /// Key extraction from Redis 7 key specs, as COMMAND GETKEYSANDFLAGS uses it.
    func testKeySpecExtraction() {
        func args(_ s: String...) -> [[UInt8]] { s.map { Array($0.utf8) } }
        let move = CommandSpec("xmove", arity: 5, flags: [.write], keys: .range(first: 1, last: 2, step: 1), group: .list,
                               since: "1.0.0", summary: "test", keySpecs: [
                                   CommandKeySpec(flags: ["RW", "access", "delete"], .index(1), .range(lastKey: 0, step: 1, limit: 0)),
                                   CommandKeySpec(flags: ["RW", "insert"], .index(2), .range(lastKey: 0, step: 1, limit: 0)),
                               ], handler: { _ in })
        let keys = move.keysWithFlags(args("xmove", "k1", "k2", "left", "right"))
        XCTAssertEqual(keys?.map { $0.0 }, [1, 2])
        XCTAssertEqual(keys?.map { $0.1 }, [["RW", "access", "delete"], ["RW", "insert"]])

        let sort = CommandSpec("xsort", arity: -2, flags: [.write], keys: .range(first: 1, last: 1, step: 1), group: .generic,
                               since: "1.0.0", summary: "test", keySpecs: [
                                   CommandKeySpec(flags: ["RO", "access"], .index(1), .range(lastKey: 0, step: 1, limit: 0)),
                                   CommandKeySpec(flags: ["OW", "update"], .keyword("STORE", startFrom: 1), .range(lastKey: 0, step: 1, limit: 0)),
                               ], handler: { _ in })
        XCTAssertEqual(sort.keysWithFlags(args("xsort", "k1", "store", "k2"))?.map { $0.0 }, [1, 3])
        XCTAssertEqual(sort.keysWithFlags(args("xsort", "k1"))?.map { $0.0 }, [1])

        let mset = CommandSpec("xmset", arity: -3, flags: [.write], keys: .range(first: 1, last: -1, step: 2), group: .string,
                               since: "1.0.0", summary: "test", handler: { _ in })
        XCTAssertEqual(mset.keysWithFlags(args("xmset", "a", "1", "b", "2"))?.map { $0.0 }, [1, 3])

        let keynum = CommandSpec("xunion", arity: -4, flags: [.write], keys: .range(first: 1, last: 1, step: 1), group: .sortedSet,
                                 since: "1.0.0", summary: "test", keySpecs: [
                                     CommandKeySpec(flags: ["OW", "update"], .index(1), .range(lastKey: 0, step: 1, limit: 0)),
                                     CommandKeySpec(flags: ["RO", "access"], .index(2), .keynum(numKeysIndex: 0, firstKey: 1, step: 1)),
                                 ], handler: { _ in })
        XCTAssertEqual(keynum.keysWithFlags(args("xunion", "dst", "2", "a", "b", "WEIGHTS", "1", "2"))?.map { $0.0 }, [1, 3, 4])
        XCTAssertNil(keynum.keysWithFlags(args("xunion", "dst", "x", "a")))
    }

    // MARK: MEMORY

    func testMemory() {
        let h = Harness()
        XCTAssertEqual(h.run("MEMORY", "USAGE", "nokey"), R.null)
        h.run("SET", "k", "value")
        let usage = Int(h.run("MEMORY", "USAGE", "k").dropFirst().dropLast(1)) ?? 0
        XCTAssertGreaterThan(usage, 32)
        XCTAssertEqual(h.run("MEMORY", "USAGE", "k", "SAMPLES", "0"), R.int(usage))
        XCTAssertEqual(h.run("MEMORY", "USAGE", "k", "SAMPLES"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("MEMORY", "USAGE", "k", "SAMPLES", "-1"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("MEMORY", "USAGE", "k", "SAMPLES", "x"), R.err("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("MEMORY", "USAGE"), R.err("ERR wrong number of arguments for 'memory|usage' command"))
        let stats = h.run("MEMORY", "STATS")
        XCTAssertTrue(stats.hasPrefix("*56\r\n$14\r\npeak.allocated\r\n:"), stats)
        XCTAssertTrue(stats.contains("$4\r\ndb.0\r\n*6\r\n$23\r\noverhead.hashtable.main\r\n:"))
        XCTAssertTrue(stats.contains("$10\r\nkeys.count\r\n:1\r\n"))
        XCTAssertTrue(h.run("MEMORY", "DOCTOR").hasPrefix("$"))
        XCTAssertEqual(h.run("MEMORY", "PURGE"), R.ok)
        XCTAssertTrue(h.run("MEMORY", "MALLOC-STATS").contains("malloc"))
        XCTAssertTrue(h.run("MEMORY", "HELP").hasPrefix("*13\r\n+MEMORY <subcommand>"))
    }

    // MARK: DEBUG

    func testDebugRefusedByDefault() {
        let h = Harness()
        XCTAssertEqual(h.run("DEBUG", "HELP"), R.err("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."))
        XCTAssertEqual(h.run("DEBUG"), R.err("ERR wrong number of arguments for 'debug' command"))
        XCTAssertTrue(bulkText(h.run("INFO", "commandstats")).contains("cmdstat_debug:calls=0,usec=0,usec_per_call=0.00,rejected_calls=2,failed_calls=0"))
    }

    func testDebugProtocol() {
        let h = Harness(["enable-debug-command": "yes"])
        let resp2: [(String, String)] = [
            ("string", "$11\r\nHello World\r\n"), ("integer", ":12345\r\n"), ("double", "$5\r\n3.141\r\n"),
            ("bignum", "$37\r\n1234567999999999999999999999999999999\r\n"), ("null", "$-1\r\n"),
            ("array", "*3\r\n:0\r\n:1\r\n:2\r\n"), ("set", "*3\r\n:0\r\n:1\r\n:2\r\n"),
            ("map", "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n"),
            ("attrib", "$39\r\nSome real reply following the attribute\r\n"),
            ("push", "-ERR RESP2 is not supported by this command\r\n"),
            ("verbatim", "$25\r\nThis is a verbatim\nstring\r\n"), ("true", ":1\r\n"), ("false", ":0\r\n"),
            ("xx", "-ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false\r\n"),
        ]
        for (t, expected) in resp2 { XCTAssertEqual(h.run("DEBUG", "PROTOCOL", t), expected, t) }
        h.client.reply.resp = .resp3
        XCTAssertEqual(h.run("DEBUG", "PROTOCOL", "double"), ",3.141\r\n")
        XCTAssertEqual(h.run("DEBUG", "PROTOCOL", "push"),
                       ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n")
        XCTAssertEqual(h.run("DEBUG", "PROTOCOL", "attrib"),
                       "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n")
        XCTAssertEqual(h.run("DEBUG", "PROTOCOL", "null"), "_\r\n")
        XCTAssertEqual(h.run("DEBUG", "PROTOCOL", "map"), "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n")
        XCTAssertEqual(h.run("DEBUG", "PROTOCOL", "verbatim"), "=29\r\ntxt:This is a verbatim\nstring\r\n")
        XCTAssertEqual(h.run("DEBUG", "PROTOCOL", "bignum"), "(1234567999999999999999999999999999999\r\n")
    }

    func testDebugSubcommands() {
        let h = Harness(["enable-debug-command": "yes"])
        h.run("SET", "foo", "bar")
        h.run("SET", "n", "12")
        let object = h.run("DEBUG", "OBJECT", "foo")
        XCTAssertNotNil(object.range(of: #"^\+Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:4 lru:\d+ lru_seconds_idle:\d+\r\n$"#, options: .regularExpression), object)
        XCTAssertTrue(h.run("DEBUG", "OBJECT", "n").contains(" refcount:2147483647 encoding:int serializedlength:2 "))
        XCTAssertEqual(h.run("DEBUG", "OBJECT", "nokey"), R.err("ERR no such key"))
        XCTAssertEqual(h.run("DEBUG", "POPULATE", "5"), R.ok)
        XCTAssertEqual(h.run("GET", "key:3"), R.bulk("value:3"))
        XCTAssertEqual(h.run("DEBUG", "POPULATE", "2", "p", "10"), R.ok)
        XCTAssertEqual(h.run("GET", "p:1"), "$10\r\nvalue:1\0\0\0\r\n")
        XCTAssertEqual(h.run("DEBUG", "POPULATE", "-1"), R.err("ERR value is out of range, must be positive"))
        XCTAssertEqual(h.run("DBSIZE"), R.int(9))
        XCTAssertEqual(h.run("DEBUG", "SLEEP", "0"), R.ok)
        XCTAssertEqual(h.run("DEBUG", "SET-ACTIVE-EXPIRE", "0"), R.ok)
        XCTAssertFalse(h.server.config.snapshot.activeExpireEnabled)
        XCTAssertEqual(h.run("DEBUG", "SET-ACTIVE-EXPIRE", "1"), R.ok)
        XCTAssertTrue(h.server.config.snapshot.activeExpireEnabled)
        XCTAssertEqual(h.run("DEBUG", "ERROR", "MYERR custom"), R.err("MYERR custom"))
        XCTAssertEqual(h.run("DEBUG", "ERROR", "NOSPACE"), R.err("NOSPACE"))
        XCTAssertEqual(h.run("DEBUG", "ERROR", "AVERYLONGERRORCODEWITHOUTASPACEINSIDE x"), R.err("AVERYLONGERRORCODEWITHOUTASPACEINSIDE x"))
        XCTAssertEqual(h.run("INFO", "errorstats"), R.bulk("# Errorstats\r\nerrorstat_ERR:count=4\r\nerrorstat_MYERR:count=1\r\n"))
        h.server.debugSubcommands["digest"] = { c in c.reply.status("custom digest") }
        XCTAssertEqual(h.run("DEBUG", "DIGEST"), R.status("custom digest"))
        XCTAssertEqual(h.run("DEBUG", "LOG", "hello"), R.ok)
        XCTAssertEqual(h.run("DEBUG", "xyz"), R.err("ERR unknown subcommand or wrong number of arguments for 'xyz'. Try DEBUG HELP."))
        XCTAssertEqual(h.run("DEBUG", "SET-ACTIVE-EXPIRE"),
                       R.err("ERR unknown subcommand or wrong number of arguments for 'SET-ACTIVE-EXPIRE'. Try DEBUG HELP."))
        XCTAssertTrue(h.run("DEBUG", "HELP").hasPrefix("*27\r\n+DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"))
    }

    // MARK: SHUTDOWN, MONITOR

    func testShutdownArguments() {
        let h = Harness()
        XCTAssertEqual(h.run("SHUTDOWN", "FOO"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("SHUTDOWN", "SAVE", "NOSAVE"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("SHUTDOWN", "ABORT", "NOW"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("SHUTDOWN", "ABORT"), R.err("ERR No shutdown in progress."))
        h.server.shutdownHandler = { _ in false }
        XCTAssertEqual(h.run("SHUTDOWN", "SAVE"), R.err("ERR Errors trying to SHUTDOWN. Check logs."))
        XCTAssertFalse(h.server.isStopping)
        var asked: Bool??
        h.server.shutdownHandler = { save in asked = save; return false }
        XCTAssertEqual(h.run("SHUTDOWN", "NOSAVE", "FORCE"), "")
        XCTAssertEqual(asked, .some(false))
        XCTAssertTrue(h.server.isStopping)
    }

    func testMonitorRegistration() {
        let h = Harness()
        XCTAssertEqual(h.run("MONITOR"), R.ok)
        XCTAssertTrue(h.client.flags.contains(.monitor))
        XCTAssertTrue(h.server.monitors.isActive)
        XCTAssertEqual(h.run("MONITOR"), "")
        XCTAssertEqual(h.run("RESET"), R.status("RESET"))
        XCTAssertFalse(h.server.monitors.isActive)
    }
}

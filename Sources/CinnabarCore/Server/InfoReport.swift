import CSystem
import Glibc

/// The INFO report: Redis 7.0's sections, field names and formats (monitoring
/// exporters parse them), aggregated over every event loop, with lines from
/// server extensions merged in.
extension Server {
    /// Sections in report order with their header titles.
    static let infoSections: [(name: String, title: String)] = [
        ("server", "Server"), ("clients", "Clients"), ("memory", "Memory"), ("persistence", "Persistence"),
        ("stats", "Stats"), ("replication", "Replication"), ("cpu", "CPU"), ("modules", "Modules"),
        ("commandstats", "Commandstats"), ("errorstats", "Errorstats"), ("latencystats", "Latencystats"),
        ("cluster", "Cluster"), ("keyspace", "Keyspace"),
    ]

    /// What plain INFO (and `default`) prints.
    static let defaultInfoSections: Set<String> = [
        "server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace",
    ]

    /// The INFO text for the requested section arguments (`all`, `everything`,
    /// `default` or section names, any case); no arguments means `default`.
    /// `holdsAllShards` tells whether the caller already holds every shard
    /// lock (INFO inside EXEC or a script), so sampling must not lock again.
    public func infoReport(_ arguments: [String], holdsAllShards: Bool = false) -> String {
        var wanted = Set<String>()
        var all = false
        if arguments.isEmpty { wanted = Self.defaultInfoSections }
        for a in arguments {
            switch a.lowercased() {
            case "default": wanted.formUnion(Self.defaultInfoSections)
            case "all", "everything": all = true
            case "module_list": wanted.insert("modules")
            case let s: wanted.insert(s)
            }
        }
        var out = ""
        var first = true
        for (name, title) in Self.infoSections where all || wanted.contains(name) {
            if !first { out += "\r\n" }
            first = false
            out += "# \(title)\r\n"
            var fields = infoFields(name, holdsAllShards: holdsAllShards)
            for ext in extensions {
                for line in ext.infoLines(section: name) {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    let key = String(line[..<colon])
                    let value = String(line[line.index(after: colon)...])
                    if let i = fields.firstIndex(where: { $0.0 == key }) { fields[i].1 = value } else { fields.append((key, value)) }
                }
            }
            for (k, v) in fields { out += "\(k):\(v)\r\n" }
        }
        return out
    }

    private func infoFields(_ section: String, holdsAllShards: Bool) -> [(String, String)] {
        let cfg = config.snapshot
        switch section {
        case "server": return serverFields(cfg)
        case "clients": return clientFields(cfg)
        case "memory": return memoryFields(cfg)
        case "persistence": return persistenceFields(cfg)
        case "stats": return statsFields()
        case "replication": return replicationFields(cfg)
        case "cpu":
            let me = ProcessStats.cpuTimes(RUSAGE_SELF.rawValue)
            let children = ProcessStats.cpuTimes(RUSAGE_CHILDREN.rawValue)
            let thread = ProcessStats.cpuTimes(1) // RUSAGE_THREAD: the loop thread answering
            return [("used_cpu_sys", me.system), ("used_cpu_user", me.user),
                    ("used_cpu_sys_children", children.system), ("used_cpu_user_children", children.user),
                    ("used_cpu_sys_main_thread", thread.system), ("used_cpu_user_main_thread", thread.user)]
        case "commandstats": return commandStatFields()
        case "errorstats": return errorStatFields()
        case "latencystats": return cfg.latencyTracking ? latencyStatFields(cfg.latencyPercentiles) : []
        case "cluster": return [("cluster_enabled", "0")]
        case "keyspace": return keyspaceFields(holdsAllShards: holdsAllShards)
        default: return []
        }
    }

    /// Redis's `redis_build_id` is a hash of the build; Cinnabar's is one of its version.
    private static let buildID: String = {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in "cinnabar-\(ServerInfo.version)".utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(String(h, radix: 16).prefix(15))
    }()

    private func serverFields(_ cfg: ServerConfig) -> [(String, String)] {
        let nowUs = Sys.unixMicros()
        let uptime = (nowUs / 1000 - startTimeMs) / 1000
        return [
            ("redis_version", ServerInfo.redisVersion), ("redis_git_sha1", "00000000"), ("redis_git_dirty", "0"),
            ("redis_build_id", Self.buildID), ("redis_mode", "standalone"), ("os", ProcessStats.osDescription),
            ("arch_bits", String(MemoryLayout<Int>.size * 8)), ("monotonic_clock", "POSIX clock_gettime"),
            ("multiplexing_api", "epoll"), ("atomicvar_api", "swift-synchronization"), ("gcc_version", "0.0.0"),
            ("process_id", String(getpid())), ("process_supervised", "no"), ("run_id", runID), ("tcp_port", String(port)),
            ("server_time_usec", String(nowUs)), ("uptime_in_seconds", String(uptime)), ("uptime_in_days", String(uptime / 86400)),
            ("hz", String(cfg.hz)), ("configured_hz", String(cfg.hz)), ("lru_clock", String((nowUs / 1_000_000) & 0xFF_FFFF)),
            ("executable", ProcessStats.executablePath), ("config_file", config.configFile ?? ""),
            ("io_threads_active", contexts.count > 1 ? "1" : "0"),
            ("cinnabar_version", ServerInfo.version), ("cinnabar_event_loops", String(contexts.count)),
            ("cinnabar_keyspace_shards", String(keyspace.shards.count)),
        ]
    }

    private func clientFields(_ cfg: ServerConfig) -> [(String, String)] {
        // Clients waiting on keys are counted where they block (fake clients too); paused ones here.
        var blocked = keyspace.waiters.blockedClients.load(ordering: .relaxed), maxIn = 0, maxOut = 0
        forEachClient { c in
            if c.flags.contains(.postponed) { blocked += 1 }
            maxIn = max(maxIn, c.queryBufferLength)
            maxOut = max(maxOut, c.reply.pending)
        }
        return [
            ("connected_clients", String(connectedClients.load(ordering: .relaxed))), ("cluster_connections", "0"),
            ("maxclients", String(cfg.maxclients)), ("client_recent_max_input_buffer", String(maxIn)),
            ("client_recent_max_output_buffer", String(maxOut)), ("blocked_clients", String(blocked)),
            ("tracking_clients", String(tracking.clients.load(ordering: .relaxed))), ("clients_in_timeout_table", "0"),
        ]
    }

    /// Memory figures shared by INFO memory and MEMORY STATS.
    struct MemoryOverview {
        var used = 0, peak = 0, startup = 0, rss = 0, clients = 0, hashtables = 0, active = 0
        var overhead: Int { startup + clients + hashtables }
        var dataset: Int { max(0, used - overhead) }
        var datasetPercent: Double { used > startup ? Double(dataset) * 100 / Double(used - startup) : 0 }
        var peakPercent: Double { peak > 0 ? Double(used) * 100 / Double(peak) : 0 }
    }

    func memoryOverview() -> MemoryOverview {
        var m = MemoryOverview()
        m.used = ProcessStats.allocatedBytes()
        m.peak = metrics.notePeak(m.used)
        m.startup = metrics.startupAllocated
        m.rss = ProcessStats.residentBytes()
        m.active = ProcessStats.allocatorActiveBytes()
        forEachClient { m.clients += $0.memoryUsage }
        for shard in keyspace.shards { for d in shard.dbs { m.hashtables += d.overheadBytes } }
        return m
    }

    private func memoryFields(_ cfg: ServerConfig) -> [(String, String)] {
        let m = memoryOverview()
        let system = ProcessStats.totalSystemMemory()
        let frag = m.used > 0 ? Double(m.rss) / Double(m.used) : 0
        return [
            ("used_memory", String(m.used)), ("used_memory_human", bytesToHuman(m.used)),
            ("used_memory_rss", String(m.rss)), ("used_memory_rss_human", bytesToHuman(m.rss)),
            ("used_memory_peak", String(m.peak)), ("used_memory_peak_human", bytesToHuman(m.peak)),
            ("used_memory_peak_perc", fixed2(m.peakPercent) + "%"),
            ("used_memory_overhead", String(m.overhead)), ("used_memory_startup", String(m.startup)),
            ("used_memory_dataset", String(m.dataset)), ("used_memory_dataset_perc", fixed2(m.datasetPercent) + "%"),
            ("allocator_allocated", String(m.used)), ("allocator_active", String(m.active)), ("allocator_resident", String(m.rss)),
            ("total_system_memory", String(system)), ("total_system_memory_human", bytesToHuman(system)),
            ("used_memory_lua", "0"), ("used_memory_vm_eval", "0"), ("used_memory_lua_human", "0B"),
            ("used_memory_scripts_eval", "0"), ("number_of_cached_scripts", "0"), ("number_of_functions", "0"),
            ("number_of_libraries", "0"), ("used_memory_vm_functions", "0"), ("used_memory_vm_total", "0"),
            ("used_memory_vm_total_human", "0B"), ("used_memory_functions", "0"), ("used_memory_scripts", "0"),
            ("used_memory_scripts_human", "0B"),
            ("maxmemory", String(cfg.maxmemory)), ("maxmemory_human", bytesToHuman(cfg.maxmemory)),
            ("maxmemory_policy", cfg.maxmemoryPolicy),
            ("allocator_frag_ratio", fixed2(m.used > 0 ? Double(m.active) / Double(m.used) : 0)),
            ("allocator_frag_bytes", String(m.active - m.used)),
            ("allocator_rss_ratio", fixed2(m.active > 0 ? Double(m.rss) / Double(m.active) : 0)),
            ("allocator_rss_bytes", String(m.rss - m.active)),
            ("rss_overhead_ratio", "1.00"), ("rss_overhead_bytes", "0"),
            ("mem_fragmentation_ratio", fixed2(frag)), ("mem_fragmentation_bytes", String(m.rss - m.used)),
            ("mem_not_counted_for_evict", "0"), ("mem_replication_backlog", "0"), ("mem_total_replication_buffers", "0"),
            ("mem_clients_slaves", "0"), ("mem_clients_normal", String(m.clients)), ("mem_cluster_links", "0"),
            ("mem_aof_buffer", "0"), ("mem_allocator", "libc"), ("active_defrag_running", "0"),
            ("lazyfree_pending_objects", String(LazyFree.shared.pendingObjects.load(ordering: .relaxed))),
            ("lazyfreed_objects", String(LazyFree.shared.freedObjects.load(ordering: .relaxed))),
        ]
    }

    private func persistenceFields(_ cfg: ServerConfig) -> [(String, String)] {
        [
            ("loading", "0"), ("async_loading", "0"), ("current_cow_peak", "0"), ("current_cow_size", "0"),
            ("current_cow_size_age", "0"), ("current_fork_perc", "0.00"), ("current_save_keys_processed", "0"),
            ("current_save_keys_total", "0"), ("rdb_changes_since_last_save", String(dirty.load(ordering: .relaxed))),
            ("rdb_bgsave_in_progress", "0"), ("rdb_last_save_time", String(startTimeMs / 1000)),
            ("rdb_last_bgsave_status", "ok"), ("rdb_last_bgsave_time_sec", "-1"), ("rdb_current_bgsave_time_sec", "-1"),
            ("rdb_saves", "0"), ("rdb_last_cow_size", "0"), ("rdb_last_load_keys_expired", "0"),
            ("rdb_last_load_keys_loaded", "0"), ("aof_enabled", cfg.appendonly ? "1" : "0"),
            ("aof_rewrite_in_progress", "0"), ("aof_rewrite_scheduled", "0"), ("aof_last_rewrite_time_sec", "-1"),
            ("aof_current_rewrite_time_sec", "-1"), ("aof_last_bgrewrite_status", "ok"), ("aof_rewrites", "0"),
            ("aof_rewrites_consecutive_failures", "0"), ("aof_last_write_status", "ok"), ("aof_last_cow_size", "0"),
            ("module_fork_in_progress", "0"), ("module_fork_last_cow_size", "0"),
        ]
    }

    /// Counters summed over every loop.
    struct StatTotals {
        var commands = 0, connections = 0, rejected = 0, netIn = 0, netOut = 0, hits = 0, misses = 0
        var errors = 0, unexpectedErrors = 0, reads = 0, writes = 0
    }

    func statTotals() -> StatTotals {
        var t = StatTotals()
        for ctx in contexts {
            let s = ctx.stats
            t.commands += s.commandsProcessed
            t.connections += s.connectionsReceived
            t.rejected += s.rejectedConnections
            t.netIn += s.netInputBytes
            t.netOut += s.netOutputBytes
            t.hits += s.keyspaceHits
            t.misses += s.keyspaceMisses
            t.errors += s.totalErrorReplies
            t.unexpectedErrors += s.unexpectedErrorReplies
            t.reads += s.readsProcessed
            t.writes += s.writesProcessed
        }
        return t
    }

    private func statsFields() -> [(String, String)] {
        let t = statTotals()
        return [
            ("total_connections_received", String(t.connections)), ("total_commands_processed", String(t.commands)),
            ("instantaneous_ops_per_sec", String(metrics.opsPerSecond)), ("total_net_input_bytes", String(t.netIn)),
            ("total_net_output_bytes", String(t.netOut)), ("total_net_repl_input_bytes", "0"),
            ("total_net_repl_output_bytes", "0"), ("instantaneous_input_kbps", fixed2(metrics.inputKbps)),
            ("instantaneous_output_kbps", fixed2(metrics.outputKbps)), ("instantaneous_input_repl_kbps", "0.00"),
            ("instantaneous_output_repl_kbps", "0.00"), ("rejected_connections", String(t.rejected)),
            ("sync_full", "0"), ("sync_partial_ok", "0"), ("sync_partial_err", "0"),
            ("expired_keys", String(expiredKeys.load(ordering: .relaxed))), ("expired_stale_perc", "0.00"),
            ("expired_time_cap_reached_count", "0"), ("expire_cycle_cpu_milliseconds", "0"), ("evicted_keys", String(evictor.evictedKeys.load(ordering: .relaxed))),
            ("evicted_clients", "0"), ("total_eviction_exceeded_time", "0"), ("current_eviction_exceeded_time", "0"),
            ("keyspace_hits", String(t.hits)), ("keyspace_misses", String(t.misses)),
            ("pubsub_channels", String(pubsub.channelCount)), ("pubsub_patterns", String(pubsub.patternCount)),
            ("pubsubshard_channels", String(pubsub.shardChannelCount)), ("latest_fork_usec", String(persistence?.latestForkMicros.load(ordering: .relaxed) ?? 0)),
            ("total_forks", String(persistence?.totalForks.load(ordering: .relaxed) ?? 0)),
            ("migrate_cached_sockets", "0"), ("slave_expires_tracked_keys", "0"), ("active_defrag_hits", "0"),
            ("active_defrag_misses", "0"), ("active_defrag_key_hits", "0"), ("active_defrag_key_misses", "0"),
            ("total_active_defrag_time", "0"), ("current_active_defrag_time", "0"), ("tracking_total_keys", String(tracking.totalKeys.load(ordering: .relaxed))),
            ("tracking_total_items", String(tracking.totalItems.load(ordering: .relaxed))),
            ("tracking_total_prefixes", String(tracking.prefixCount.load(ordering: .relaxed))),
            ("unexpected_error_replies", String(t.unexpectedErrors)), ("total_error_replies", String(t.errors)),
            ("dump_payload_sanitizations", "0"), ("total_reads_processed", String(t.reads)),
            ("total_writes_processed", String(t.writes)), ("io_threaded_reads_processed", "0"),
            ("io_threaded_writes_processed", "0"), ("reply_buffer_shrinks", "0"), ("reply_buffer_expands", "0"),
        ]
    }

    private func replicationFields(_ cfg: ServerConfig) -> [(String, String)] {
        var f: [(String, String)] = [("role", "master"), ("connected_slaves", "0")]
        if (Int(cfg.extras["min-replicas-to-write"] ?? "0") ?? 0) > 0 && (Int(cfg.extras["min-replicas-max-lag"] ?? "10") ?? 0) > 0 {
            f.append(("min_slaves_good_slaves", "0"))
        }
        f += [
            ("master_failover_state", "no-failover"), ("master_replid", metrics.replicationID),
            ("master_replid2", String(repeating: "0", count: 40)), ("master_repl_offset", "0"), ("second_repl_offset", "-1"),
            ("repl_backlog_active", "0"), ("repl_backlog_size", cfg.extras["repl-backlog-size"] ?? "1048576"),
            ("repl_backlog_first_byte_offset", "0"), ("repl_backlog_histlen", "0"),
        ]
        return f
    }

    /// INFO replaces these characters in names so lines stay parseable.
    static func infoSafe(_ s: String) -> String {
        String(s.map { $0 == ":" || $0 == "#" || $0 == "\n" || $0 == "\r" ? "_" : $0 })
    }

    /// Per-command totals over every loop: (calls, usec, rejected, failed), by command id.
    func commandTotals() -> [(calls: Int, micros: Int, rejected: Int, failed: Int)] {
        let n = commands.allSpecs.count
        var totals = [(calls: Int, micros: Int, rejected: Int, failed: Int)](repeating: (0, 0, 0, 0), count: n)
        for ctx in contexts {
            let s = ctx.stats
            for i in 0..<n {
                totals[i].calls += s.calls[i]
                totals[i].micros += s.micros[i]
                totals[i].rejected += s.rejected[i]
                totals[i].failed += s.failed[i]
            }
        }
        return totals
    }

    private func commandStatFields() -> [(String, String)] {
        let totals = commandTotals()
        var f: [(String, String)] = []
        for spec in commands.allSpecs {
            let t = totals[spec.id]
            guard t.calls > 0 || t.failed > 0 || t.rejected > 0 else { continue }
            let perCall = t.calls == 0 ? 0 : Double(Float(t.micros) / Float(t.calls))
            f.append(("cmdstat_" + Self.infoSafe(spec.fullName),
                      "calls=\(t.calls),usec=\(t.micros),usec_per_call=\(fixed2(perCall)),rejected_calls=\(t.rejected),failed_calls=\(t.failed)"))
        }
        return f
    }

    private func errorStatFields() -> [(String, String)] {
        var merged: [String: Int] = [:]
        for ctx in contexts {
            for (code, n) in ctx.stats.errorCountsSnapshot { merged[code, default: 0] += n }
        }
        return merged.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.map {
            ("errorstat_" + Self.infoSafe($0), "count=\(merged[$0]!)")
        }
    }

    /// `spec`'s call latencies summed over every loop (latency-tracking).
    func latencyHistogram(of spec: CommandSpec) -> LatencyHistogram {
        let merged = LatencyHistogram()
        for ctx in contexts { merged.merge(ctx.stats.latency(spec.id)) }
        return merged
    }

    private func latencyStatFields(_ percentiles: [Double]) -> [(String, String)] {
        var f: [(String, String)] = []
        for spec in commands.allSpecs {
            let merged = latencyHistogram(of: spec)
            guard merged.count > 0 else { continue }
            let parts = percentiles.map { p in "p\(ConfigParser.formatPercentile(p))=\(fixed3(Double(merged.value(atPercentile: p)) / 1000))" }
            f.append(("latency_percentiles_usec_" + Self.infoSafe(spec.fullName), parts.joined(separator: ",")))
        }
        return f
    }

    private func keyspaceFields(holdsAllShards: Bool) -> [(String, String)] {
        var f: [(String, String)] = []
        let now = Sys.unixMillis()
        for db in 0..<keyspace.databaseCount {
            let keys = keyspace.count(db: db)
            let expires = keyspace.volatileCount(db: db)
            guard keys > 0 || expires > 0 else { continue }
            let avg = expires > 0 ? averageTTL(db: db, now: now, holdsAllShards: holdsAllShards) : 0
            f.append(("db\(db)", "keys=\(keys),expires=\(expires),avg_ttl=\(avg)"))
        }
        return f
    }

    /// Estimated mean remaining TTL (ms) of keys with an expiry in `db`, from
    /// a random sample of each shard's volatile keys (Redis also reports an estimate).
    private func averageTTL(db: Int, now: Int64, holdsAllShards: Bool) -> Int64 {
        var sum: Int64 = 0
        var n: Int64 = 0
        for (i, shard) in keyspace.shards.enumerated() {
            let dict = shard.dbs[db]
            if dict.volatile.count == 0 { continue }
            if !holdsAllShards && !keyspace.lock(i) { continue }
            for _ in 0..<min(16, dict.volatile.count) {
                guard let raw = dict.volatile.random() else { break }
                let ttl = Entry(raw).expireAt - now
                if ttl > 0 { sum += ttl; n += 1 }
            }
            if !holdsAllShards { keyspace.unlock(i) }
        }
        return n == 0 ? 0 : sum / n
    }
}

/// `%.3f` without Foundation.
func fixed3(_ d: Double) -> String {
    let scaled = (abs(d) * 1000).rounded()
    let whole = Int64(scaled / 1000)
    var frac = String(Int64(scaled) % 1000)
    while frac.count < 3 { frac = "0" + frac }
    return (d < 0 && scaled != 0 ? "-" : "") + "\(whole).\(frac)"
}

import Glibc

/// LATENCY: the event monitor's samples (latency-monitor-threshold) and the
/// per-command latency histograms (latency-tracking).
public enum LatencyCommands {
    public static var all: [CommandSpec] {
        let flags: CommandFlags = [.admin, .noscript, .loading, .stale]
        let tips = ["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"]
        return [
            CommandSpec("latency", arity: -2, group: .server, since: "2.8.13", complexity: "Depends on subcommand.",
                        summary: "Groups the latency diagnostics subcommands.", subcommands: [
                CommandSpec("doctor", arity: 2, flags: flags, group: .server, since: "2.8.13",
                            summary: "Reports on the sampled latency events in plain words.",
                            tips: tips, acl: ["dangerous"], handler: doctor),
                CommandSpec("graph", arity: 3, flags: flags, group: .server, since: "2.8.13",
                            summary: "Draws an event's latency samples as text.", tips: tips, acl: ["dangerous"], handler: graph),
                CommandSpec("history", arity: 3, flags: flags, group: .server, since: "2.8.13",
                            summary: "Returns an event's latency samples with their times.", tips: tips, acl: ["dangerous"], handler: history),
                CommandSpec("histogram", arity: -2, flags: flags, group: .server, since: "7.0.0",
                            complexity: "O(N) where N is the number of commands with latency information being retrieved.",
                            summary: "Returns the cumulative distribution of commands' latencies.", tips: tips, acl: ["dangerous"],
                            handler: histogram),
                CommandSpec("latest", arity: 2, flags: flags, group: .server, since: "2.8.13",
                            summary: "Returns the latest sample of every latency event.", tips: tips, acl: ["dangerous"], handler: latest),
                CommandSpec("reset", arity: -2, flags: flags, group: .server, since: "2.8.13",
                            summary: "Forgets the samples of some or all latency events.",
                            tips: ["request_policy:all_nodes", "response_policy:all_succeeded"], acl: ["dangerous"], handler: reset),
                CommandSpec("help", arity: 2, flags: [.loading, .stale], group: .server, since: "2.8.13",
                            summary: "Describes the LATENCY subcommands.", handler: help),
            ], handler: nil),
        ]
    }

    static func latest(_ c: Client) {
        let events = c.server.latencyMonitor.latest()
        c.reply.arrayHeader(events.count)
        for e in events {
            c.reply.arrayHeader(4)
            c.reply.bulk(e.event)
            c.reply.integer(e.last.time)
            c.reply.integer(e.last.latency)
            c.reply.integer(e.max)
        }
    }

    static func history(_ c: Client) {
        let samples = c.server.latencyMonitor.history(c.argString(2))
        c.reply.arrayHeader(samples.count)
        for s in samples {
            c.reply.arrayHeader(2)
            c.reply.integer(s.time)
            c.reply.integer(s.latency)
        }
    }

    static func reset(_ c: Client) {
        let events = c.argc > 2 ? (2..<c.argc).map { c.argString($0) } : nil
        c.reply.integer(c.server.latencyMonitor.reset(events))
    }

    /// Rows of the bar chart LATENCY GRAPH draws.
    static let graphRows = 4
    /// Columns (most recent samples) it shows.
    static let graphColumns = 80

    /// A bar chart of the event's most recent samples, scaled between the
    /// lowest and highest shown, each column labelled below by its age.
    static func graph(_ c: Client) {
        let event = c.argString(2)
        guard let series = c.server.latencyMonitor.series(event), !series.samples.isEmpty else {
            c.fail(.custom("ERR No samples available for event '\(event)'"))
            return
        }
        let shown = Array(series.samples.suffix(graphColumns))
        let high = shown.map(\.latency).max()!, low = shown.map(\.latency).min()!
        var text = "\(event) - high \(high) ms, low \(low) ms (all time high \(series.max) ms)\n"
        text += String(repeating: "-", count: graphColumns) + "\n"
        for row in stride(from: graphRows, through: 1, by: -1) {
            var line = ""
            for s in shown {
                // Each column's height in rows, at least one for the lowest sample.
                let height = high == low ? graphRows : 1 + Int((s.latency - low) * Int64(graphRows - 1) / (high - low))
                line += height >= row ? "#" : " "
            }
            text += line + "\n"
        }
        // Ages under the columns, written vertically: "15s", "2m", "1h"...
        let now = Sys.unixMillis() / 1000
        let labels = shown.map { age(now - $0.time) }
        let depth = labels.map(\.count).max() ?? 0
        for i in 0..<depth {
            text += String(labels.map { i < $0.count ? $0[$0.index($0.startIndex, offsetBy: i)] : " " }) + "\n"
        }
        c.reply.verbatim(text)
    }

    /// A short age: seconds up to a minute, then minutes, hours, days.
    static func age(_ seconds: Int64) -> String {
        let s = max(0, seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86400 { return "\(s / 3600)h" }
        return "\(s / 86400)d"
    }

    /// What the samples say, event by event, with the usual remedies.
    static func doctor(_ c: Client) {
        let threshold = c.context.config.latencyMonitorThreshold
        let events = c.server.latencyMonitor.latest()
        var text = ""
        if events.isEmpty {
            if threshold == 0 {
                text = "The latency monitor is off (latency-monitor-threshold is 0), so nothing was sampled. "
                    + "Turn it on with CONFIG SET latency-monitor-threshold <milliseconds>.\n"
            } else {
                text = "Nothing took \(threshold) milliseconds or more (latency-monitor-threshold) since the samples were last reset.\n"
            }
            c.reply.verbatim(text)
            return
        }
        text = "Latency events of at least \(threshold) ms (latency-monitor-threshold):\n\n"
        let now = Sys.unixMillis() / 1000
        for (n, e) in events.enumerated() {
            let samples = c.server.latencyMonitor.history(e.event)
            let mean = samples.isEmpty ? 0 : samples.map(\.latency).reduce(0, +) / Int64(samples.count)
            text += "\(n + 1). \(e.event): \(samples.count) seconds with samples, the latest \(age(now - e.last.time)) ago "
                + "(\(e.last.latency) ms); \(mean) ms on average, \(e.max) ms at worst.\n"
            switch e.event {
            case "command", "fast-command":
                text += "   Slow commands block everything else on their event loop: SLOWLOG GET shows which; "
                    + "prefer bounded commands (SCAN over KEYS, ranges with LIMIT) and move big deletions to UNLINK.\n"
            case "fork":
                text += "   Snapshots and AOF rewrites fork the server, which takes longer as memory grows: "
                    + "fewer save points or disabling transparent huge pages helps.\n"
            default:
                break
            }
        }
        c.reply.verbatim(text)
    }

    /// Cumulative counts of each command's calls by latency, at powers of
    /// two from 1,024 ns, printed in microseconds as HdrHistogram's log
    /// iteration prints them (1, 2, 4, 8, 16, 33, 66, ...), levels where the
    /// count did not grow left out.
    static func histogram(_ c: Client) {
        let server = c.server
        var specs: [CommandSpec] = []
        if c.argc == 2 {
            for cmd in server.commands.commands {
                specs.append(cmd)
                specs += cmd.subcommands
            }
        } else {
            for i in 2..<c.argc {
                guard let spec = server.commands.lookup(fullName: c.argString(i)) else { continue }
                if !specs.contains(where: { $0 === spec }) { specs.append(spec) }
            }
        }
        var filled: [(CommandSpec, LatencyHistogram)] = []
        for spec in specs {
            let merged = server.latencyHistogram(of: spec)
            if merged.count > 0 { filled.append((spec, merged)) }
        }
        c.reply.mapHeader(filled.count)
        for (spec, h) in filled {
            c.reply.bulk(spec.fullName)
            c.reply.mapHeader(2)
            c.reply.bulk("calls")
            c.reply.integer(h.count)
            c.reply.bulk("histogram_usec")
            let levels = cumulativeLevels(h)
            c.reply.mapHeader(levels.count)
            for (micros, count) in levels {
                c.reply.integer(micros)
                c.reply.integer(count)
            }
        }
    }

    /// (microseconds, calls at or below) per power-of-two level.
    static func cumulativeLevels(_ h: LatencyHistogram) -> [(Int64, Int)] {
        var out: [(Int64, Int)] = []
        var previous = 0
        var k: Int64 = 0
        while previous < h.count && k < 40 {
            let level = Int64(1024) << k
            let count = h.count(below: level + 1)
            if count > previous {
                // The top of the level's equivalent range at 2 significant digits, in µs.
                out.append(((level + (level >> 7) - 1) / 1000, count))
                previous = count
            }
            k += 1
        }
        return out
    }

    static func help(_ c: Client) {
        ServerCommands.replyHelp(c, [
            "DOCTOR",
            "    Explain the sampled latency events in plain words.",
            "GRAPH <event>",
            "    Draw the <event>'s recent samples as a text bar chart.",
            "HISTORY <event>",
            "    List the <event>'s samples: Unix time and milliseconds.",
            "LATEST",
            "    For every event: its name, the time and milliseconds of its latest sample, and its worst.",
            "RESET [<event> ...]",
            "    Forget the samples of the given events (of all events without arguments).",
            "HISTOGRAM [COMMAND ...]",
            "    The cumulative distribution of the given commands' latencies (all commands without arguments).",
        ])
    }
}

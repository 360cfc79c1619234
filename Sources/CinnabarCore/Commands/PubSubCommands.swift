/// Pub/sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, the
/// shard-channel variants and PUBSUB introspection. State and delivery live
/// in `PubSub` (Server/PubSub.swift).
public enum PubSubCommands {
    public static var all: [CommandSpec] {
        let subscribing: CommandFlags = [.pubsub, .noscript, .loading, .stale]
        let introspection: CommandFlags = [.pubsub, .loading, .stale]
        let shardChannels = [CommandKeySpec(flags: ["not_key"], .index(1), .range(lastKey: -1, step: 1, limit: 0))]
        return [
            CommandSpec("subscribe", arity: -2, flags: subscribing, group: .pubsub, since: "2.0.0",
                        complexity: "O(N) where N is the number of channels to subscribe to.",
                        summary: "Listen for messages published to the given channels", handler: subscribe),
            CommandSpec("unsubscribe", arity: -1, flags: subscribing, group: .pubsub, since: "2.0.0",
                        complexity: "O(N) where N is the number of clients already subscribed to a channel.",
                        summary: "Stop listening for messages posted to the given channels", handler: unsubscribe),
            CommandSpec("psubscribe", arity: -2, flags: subscribing, group: .pubsub, since: "2.0.0",
                        complexity: "O(N) where N is the number of patterns the client is already subscribed to.",
                        summary: "Listen for messages published to channels matching the given patterns", handler: psubscribe),
            CommandSpec("punsubscribe", arity: -1, flags: subscribing, group: .pubsub, since: "2.0.0",
                        complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
                        summary: "Stop listening for messages posted to channels matching the given patterns", handler: punsubscribe),
            CommandSpec("publish", arity: 3, flags: [.pubsub, .loading, .stale, .fast, .mayReplicate], group: .pubsub,
                        since: "2.0.0",
                        complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
                        summary: "Post a message to a channel", handler: publish),
            CommandSpec("pubsub", arity: -2, group: .pubsub, since: "2.8.0", complexity: "Depends on subcommand.",
                        summary: "A container for Pub/Sub commands", subcommands: [
                CommandSpec("channels", arity: -2, flags: introspection, group: .pubsub, since: "2.8.0",
                            complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
                            summary: "List active channels", handler: pubsubChannels),
                CommandSpec("numsub", arity: -2, flags: introspection, group: .pubsub, since: "2.8.0",
                            complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
                            summary: "Get the count of subscribers for channels", handler: pubsubNumsub),
                CommandSpec("numpat", arity: 2, flags: introspection, group: .pubsub, since: "2.8.0",
                            summary: "Get the count of unique patterns pattern subscriptions", handler: pubsubNumpat),
                CommandSpec("shardchannels", arity: -2, flags: introspection, group: .pubsub, since: "7.0.0",
                            complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
                            summary: "List active shard channels", handler: pubsubShardChannels),
                CommandSpec("shardnumsub", arity: -2, flags: introspection, group: .pubsub, since: "7.0.0",
                            complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
                            summary: "Get the count of subscribers for shard channels", handler: pubsubShardNumsub),
                CommandSpec("help", arity: 2, flags: [.loading, .stale], group: .pubsub, since: "6.2.0",
                            summary: "Show helpful text about the different subcommands", acl: ["-pubsub"], handler: pubsubHelp),
            ], handler: nil),
            CommandSpec("ssubscribe", arity: -2, flags: subscribing, keys: .range(first: 1, last: -1, step: 1),
                        group: .pubsub, since: "7.0.0",
                        complexity: "O(N) where N is the number of shard channels to subscribe to.",
                        summary: "Listen for messages published to the given shard channels", keySpecs: shardChannels,
                        handler: ssubscribe),
            CommandSpec("sunsubscribe", arity: -1, flags: subscribing, keys: .range(first: 1, last: -1, step: 1),
                        group: .pubsub, since: "7.0.0",
                        complexity: "O(N) where N is the number of clients already subscribed to a shard channel.",
                        summary: "Stop listening for messages posted to the given shard channels", keySpecs: shardChannels,
                        handler: sunsubscribe),
            CommandSpec("spublish", arity: 3, flags: [.pubsub, .loading, .stale, .fast, .mayReplicate],
                        keys: .range(first: 1, last: 1, step: 1), group: .pubsub, since: "7.0.0",
                        complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
                        summary: "Post a message to a shard channel",
                        keySpecs: [CommandKeySpec(flags: ["not_key"], .index(1), .range(lastKey: 0, step: 1, limit: 0))],
                        handler: spublish),
        ]
    }

    // MARK: subscriptions

    /// Scripts cannot wait for pushes; EXEC may hold SUBSCRIBE and PSUBSCRIBE
    /// (Redis keeps that for compatibility) but not SSUBSCRIBE.
    private static func subscribeDenied(_ c: Client, allowInExec: Bool) -> Bool {
        if c.flags.contains(.script) { return true }
        return !allowInExec && c.flags.contains(.multi)
    }

    /// Leaves subscribed mode once nothing is subscribed.
    private static func updateMode(_ c: Client) {
        if c.channelSubscriptions + c.patternSubscriptions + c.shardChannelSubscriptions == 0 {
            c.flags.remove(.pubsub)
        }
    }

    static func subscribe(_ c: Client) {
        if subscribeDenied(c, allowInExec: true) {
            c.fail(.subscribeDenied(command: "SUBSCRIBE"))
            return
        }
        for i in 1..<c.argc { c.server.pubsub.subscribe(c, c.arg(i), sharded: false) }
        c.flags.insert(.pubsub)
    }

    static func ssubscribe(_ c: Client) {
        if subscribeDenied(c, allowInExec: false) {
            c.fail(.subscribeDenied(command: "SSUBSCRIBE"))
            return
        }
        for i in 1..<c.argc { c.server.pubsub.subscribe(c, c.arg(i), sharded: true) }
        c.flags.insert(.pubsub)
    }

    static func psubscribe(_ c: Client) {
        if subscribeDenied(c, allowInExec: true) {
            c.fail(.subscribeDenied(command: "PSUBSCRIBE"))
            return
        }
        for i in 1..<c.argc { c.server.pubsub.psubscribe(c, c.arg(i)) }
        c.flags.insert(.pubsub)
    }

    private static func unsubscribe(_ c: Client, kind: SubscriptionKind) {
        let pubsub = c.server.pubsub!
        if c.argc == 1 {
            pubsub.unsubscribeAll(c, kind: kind, notify: true)
        } else {
            for i in 1..<c.argc { pubsub.unsubscribe(c, Array(c.arg(i)), kind: kind, notify: true) }
        }
        updateMode(c)
    }

    static func unsubscribe(_ c: Client) { unsubscribe(c, kind: .channel) }
    static func sunsubscribe(_ c: Client) { unsubscribe(c, kind: .shardChannel) }
    static func punsubscribe(_ c: Client) { unsubscribe(c, kind: .pattern) }

    // MARK: publishing

    static func publish(_ c: Client) {
        c.reply.integer(c.server.pubsub.publish(channel: c.arg(1), message: c.arg(2), sharded: false, from: c.context))
    }

    static func spublish(_ c: Client) {
        c.reply.integer(c.server.pubsub.publish(channel: c.arg(1), message: c.arg(2), sharded: true, from: c.context))
    }

    // MARK: PUBSUB

    /// CHANNELS and SHARDCHANNELS take at most a pattern.
    private static func listChannels(_ c: Client, sharded: Bool) {
        guard c.argc <= 3 else {
            c.fail(.subcommandSyntax(subcommand: c.argCString(1), command: "pubsub"))
            return
        }
        let names = c.server.pubsub.channelNames(matching: c.argc == 3 ? c.arg(2) : nil, sharded: sharded)
        c.reply.bulkArray(names)
    }

    private static func countSubscribers(_ c: Client, sharded: Bool) {
        c.reply.arrayHeader((c.argc - 2) * 2)
        for i in 2..<max(2, c.argc) {
            c.reply.bulk(c.arg(i))
            c.reply.integer(c.server.pubsub.subscriberCount(c.arg(i), sharded: sharded))
        }
    }

    static func pubsubChannels(_ c: Client) { listChannels(c, sharded: false) }
    static func pubsubShardChannels(_ c: Client) { listChannels(c, sharded: true) }
    static func pubsubNumsub(_ c: Client) { countSubscribers(c, sharded: false) }
    static func pubsubShardNumsub(_ c: Client) { countSubscribers(c, sharded: true) }

    static func pubsubNumpat(_ c: Client) {
        c.reply.integer(c.server.pubsub.patternCount)
    }

    static func pubsubHelp(_ c: Client) {
        ServerCommands.replyHelp(c, [
            "CHANNELS [<pattern>]",
            "    Return the channels that have subscribers, those matching <pattern> if given.",
            "NUMPAT",
            "    Return the number of distinct patterns subscribed to.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers of each channel (pattern subscriptions",
            "    not included).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the shard channels that have subscribers, those matching <pattern> if given.",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers of each shard channel.",
        ])
    }
}

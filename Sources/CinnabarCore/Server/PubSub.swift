import CSystem
import Glibc
import Synchronization

/// Channel names in subscription order, with set membership.
struct OrderedNames {
    private(set) var order: [[UInt8]] = []
    private var members: Set<[UInt8]> = []

    var count: Int { order.count }
    var isEmpty: Bool { order.isEmpty }

    func contains(_ name: [UInt8]) -> Bool { members.contains(name) }

    /// Adds `name`; false when already present.
    mutating func insert(_ name: [UInt8]) -> Bool {
        guard members.insert(name).inserted else { return false }
        order.append(name)
        return true
    }

    /// Removes `name`; false when absent.
    mutating func remove(_ name: [UInt8]) -> Bool {
        guard members.remove(name) != nil else { return false }
        order.removeAll { $0 == name }
        return true
    }
}

/// One PUBLISH, shared by all of its deliveries.
final class PublishedMessage {
    /// `message` or `smessage`.
    let kind: StaticString
    let channel: [UInt8]
    let payload: [UInt8]

    init(kind: StaticString, channel: [UInt8], payload: [UInt8]) {
        self.kind = kind
        self.channel = channel
        self.payload = payload
    }
}

/// A client's pub/sub state. Its subscription sets are changed by the
/// client's own loop, always under the registry lock (publishers read the
/// registry's maps, never these); `inbox` is filled by publishers on any
/// thread under the registry lock and emptied by the client's loop.
final class Subscriber {
    let client: Client
    let context: LoopContext
    var channels = OrderedNames()
    var patterns = OrderedNames()
    var shardChannels = OrderedNames()
    /// Deliveries not yet written to the client's reply buffer, in publish order.
    var inbox: [(PublishedMessage, [UInt8]?)] = []
    /// A drain task is queued on the client's loop.
    var drainQueued = false
    /// Collected for an immediate drain by the publish in progress on the client's own loop.
    var drainLocal = false

    init(client: Client, context: LoopContext) {
        self.client = client
        self.context = context
    }

    /// SUBSCRIBE/PSUBSCRIBE count: channels plus patterns.
    var count: Int { channels.count + patterns.count }
    var total: Int { channels.count + patterns.count + shardChannels.count }
}

/// The server-wide pub/sub registry: channel, pattern and shard-channel
/// subscribers behind one lock.
///
/// Ordering: every delivery of one publish is queued while the lock is held,
/// into each subscriber's FIFO inbox, so all subscribers see messages of a
/// channel in the same order whatever loop published them. A subscriber on
/// the publisher's own loop gets its inbox written at once (before the
/// publisher's reply, as in Redis); others are drained by a task on their loop.
///
/// Lock order: keyspace shards, then this lock (keyspace events publish while
/// a command holds its shards); nothing else is acquired while holding it but
/// a loop's task queue.
public final class PubSub: @unchecked Sendable {
    private let lock = Lock()
    private var channels: [[UInt8]: [Subscriber]] = [:]
    /// Patterns in subscription order, and their subscribers.
    private var patternOrder: [[UInt8]] = []
    private var patterns: [[UInt8]: [Subscriber]] = [:]
    private var shardChannels: [[UInt8]: [Subscriber]] = [:]
    /// Channels plus patterns, and shard channels: lets publishers with no
    /// audience (keyspace events, mostly) return without locking.
    private let globalCount = Atomic<Int>(0)
    private let shardCount = Atomic<Int>(0)
    private unowned(unsafe) let server: Server

    init(server: Server) {
        self.server = server
    }

    /// Routes keyspace notifications here and releases a closing or reset
    /// client's subscriptions.
    func install() {
        server.keyspaceEventSink = { [unowned(unsafe) self] channel, message in
            _ = self.publish(channel: channel, message: message, sharded: false, from: self.server.currentContext)
        }
        server.clientCloseHooks.append { [unowned(unsafe) self] c in
            self.unsubscribeAll(c, notify: false)
        }
        server.clientResetHooks.append { [unowned(unsafe) self] c in
            self.unsubscribeAll(c, notify: false)
        }
    }

    // MARK: statistics

    /// Channels with at least one subscriber (INFO `pubsub_channels`).
    public var channelCount: Int { lock.withLock { channels.count } }
    /// Distinct patterns subscribed (INFO `pubsub_patterns`, PUBSUB NUMPAT).
    public var patternCount: Int { lock.withLock { patterns.count } }
    /// Shard channels with at least one subscriber (INFO `pubsubshard_channels`).
    public var shardChannelCount: Int { lock.withLock { shardChannels.count } }

    /// Channels (or shard channels) matching `pattern` (all when nil).
    func channelNames(matching pattern: Bytes?, sharded: Bool) -> [[UInt8]] {
        lock.withLock {
            let map = sharded ? shardChannels : channels
            guard let pattern else { return Array(map.keys) }
            return map.keys.filter { name in name.withBytes { Glob.matches(pattern, $0) } }
        }
    }

    /// Subscribers of a channel (or shard channel), patterns excluded.
    func subscriberCount(_ channel: Bytes, sharded: Bool) -> Int {
        let name = Array(channel)
        return lock.withLock { (sharded ? shardChannels : channels)[name]?.count ?? 0 }
    }

    // MARK: subscribing (on the client's loop)

    private func subscriber(_ c: Client) -> Subscriber {
        if let s = c.subscriber { return s }
        let s = Subscriber(client: c, context: c.context)
        c.subscriber = s
        return s
    }

    private func updateCounts(_ c: Client, _ s: Subscriber) {
        c.channelSubscriptions = s.channels.count
        c.patternSubscriptions = s.patterns.count
        c.shardChannelSubscriptions = s.shardChannels.count
    }

    /// SUBSCRIBE or SSUBSCRIBE one channel, replying with the confirmation.
    func subscribe(_ c: Client, _ channel: Bytes, sharded: Bool) {
        let s = subscriber(c)
        let name = Array(channel)
        lock.withLock {
            if sharded {
                if s.shardChannels.insert(name) {
                    shardChannels[name, default: []].append(s)
                    if shardChannels[name]!.count == 1 { shardCount.wrappingAdd(1, ordering: .relaxed) }
                }
            } else if s.channels.insert(name) {
                channels[name, default: []].append(s)
                if channels[name]!.count == 1 { globalCount.wrappingAdd(1, ordering: .relaxed) }
            }
        }
        updateCounts(c, s)
        c.writePush { r in
            r.pushHeader(3)
            r.bulk(sharded ? "ssubscribe" : "subscribe")
            r.bulk(channel)
            r.integer(sharded ? s.shardChannels.count : s.count)
        }
    }

    /// PSUBSCRIBE one pattern, replying with the confirmation.
    func psubscribe(_ c: Client, _ pattern: Bytes) {
        let s = subscriber(c)
        let name = Array(pattern)
        lock.withLock {
            if s.patterns.insert(name) {
                if patterns[name] == nil {
                    patterns[name] = [s]
                    patternOrder.append(name)
                    globalCount.wrappingAdd(1, ordering: .relaxed)
                } else {
                    patterns[name]!.append(s)
                }
            }
        }
        updateCounts(c, s)
        c.writePush { r in
            r.pushHeader(3)
            r.bulk("psubscribe")
            r.bulk(pattern)
            r.integer(s.count)
        }
    }

    /// Removes `s` from `name`'s subscribers in `map` (lock held); true when the name is gone.
    private func detach(_ s: Subscriber, _ name: [UInt8], from map: inout [[UInt8]: [Subscriber]]) -> Bool {
        guard var list = map[name] else { return false }
        list.removeAll { $0 === s }
        if list.isEmpty {
            map.removeValue(forKey: name)
            return true
        }
        map[name] = list
        return false
    }

    /// UNSUBSCRIBE, SUNSUBSCRIBE or PUNSUBSCRIBE one name; true when it was
    /// subscribed. With `notify`, replies with the confirmation.
    @discardableResult
    func unsubscribe(_ c: Client, _ name: [UInt8], kind: SubscriptionKind, notify: Bool) -> Bool {
        let s = c.subscriber
        var removed = false
        if let s {
            lock.withLock {
                switch kind {
                case .channel:
                    removed = s.channels.remove(name)
                    if removed && detach(s, name, from: &channels) { globalCount.wrappingAdd(-1, ordering: .relaxed) }
                case .shardChannel:
                    removed = s.shardChannels.remove(name)
                    if removed && detach(s, name, from: &shardChannels) { shardCount.wrappingAdd(-1, ordering: .relaxed) }
                case .pattern:
                    removed = s.patterns.remove(name)
                    if removed && detach(s, name, from: &patterns) {
                        patternOrder.removeAll { $0 == name }
                        globalCount.wrappingAdd(-1, ordering: .relaxed)
                    }
                }
            }
            updateCounts(c, s)
        }
        if notify { replyUnsubscribed(c, name, kind: kind) }
        return removed
    }

    /// The confirmation of an unsubscription (`name` nil: there was nothing to leave).
    func replyUnsubscribed(_ c: Client, _ name: [UInt8]?, kind: SubscriptionKind) {
        let s = c.subscriber
        c.writePush { r in
            r.pushHeader(3)
            switch kind {
            case .channel: r.bulk("unsubscribe")
            case .shardChannel: r.bulk("sunsubscribe")
            case .pattern: r.bulk("punsubscribe")
            }
            if let name { r.bulk(name) } else { r.nullBulk() }
            r.integer(kind == .shardChannel ? (s?.shardChannels.count ?? 0) : (s?.count ?? 0))
        }
    }

    /// Leaves every subscription of `kind`; with `notify`, one confirmation
    /// each, or a single one with a null name when there were none.
    func unsubscribeAll(_ c: Client, kind: SubscriptionKind, notify: Bool) {
        var names: [[UInt8]] = []
        if let s = c.subscriber {
            switch kind {
            case .channel: names = s.channels.order
            case .shardChannel: names = s.shardChannels.order
            case .pattern: names = s.patterns.order
            }
        }
        for name in names { unsubscribe(c, name, kind: kind, notify: notify) }
        if notify && names.isEmpty { replyUnsubscribed(c, nil, kind: kind) }
    }

    /// Leaves everything without replying (RESET, disconnection).
    func unsubscribeAll(_ c: Client, notify: Bool) {
        guard let s = c.subscriber else { return }
        if s.total > 0 {
            unsubscribeAll(c, kind: .channel, notify: notify)
            unsubscribeAll(c, kind: .shardChannel, notify: notify)
            unsubscribeAll(c, kind: .pattern, notify: notify)
        }
        if c.closed {
            lock.withLock { s.inbox.removeAll() }
            c.subscriber = nil
        }
    }

    // MARK: publishing (any thread)

    /// Delivers `message` to the subscribers of `channel` (and, unless
    /// `sharded`, of every matching pattern); returns the number of
    /// deliveries. `context` is the calling thread's loop, whose subscribers
    /// are written to at once.
    public func publish(channel: Bytes, message: Bytes, sharded: Bool, from context: LoopContext?) -> Int {
        if !hasAudience(sharded: sharded) { return 0 }
        let msg = PublishedMessage(kind: sharded ? "smessage" : "message", channel: Array(channel), payload: Array(message))
        return publish(msg, sharded: sharded, from: context)
    }

    /// `publish` for owned bytes (keyspace notifications).
    public func publish(channel: [UInt8], message: [UInt8], sharded: Bool, from context: LoopContext?) -> Int {
        if !hasAudience(sharded: sharded) { return 0 }
        let msg = PublishedMessage(kind: sharded ? "smessage" : "message", channel: channel, payload: message)
        return publish(msg, sharded: sharded, from: context)
    }

    @inline(__always)
    private func hasAudience(sharded: Bool) -> Bool {
        sharded ? shardCount.load(ordering: .relaxed) > 0 : globalCount.load(ordering: .relaxed) > 0
    }

    private func publish(_ msg: PublishedMessage, sharded: Bool, from context: LoopContext?) -> Int {
        var receivers = 0
        var local: [Subscriber] = []
        lock.withLock {
            if let list = (sharded ? shardChannels : channels)[msg.channel] {
                for s in list { enqueue(s, msg, nil, context, &local) }
                receivers += list.count
            }
            if sharded || patternOrder.isEmpty { return }
            msg.channel.withBytes { channel in
                for pattern in patternOrder {
                    let matched = pattern.withBytes { Glob.matches($0, channel) }
                    guard matched, let list = patterns[pattern] else { continue }
                    for s in list { enqueue(s, msg, pattern, context, &local) }
                    receivers += list.count
                }
            }
        }
        for s in local { drain(s) }
        return receivers
    }

    /// Queues one delivery (lock held): local subscribers are collected for an
    /// immediate drain, others get a drain task on their loop unless one is queued.
    private func enqueue(_ s: Subscriber, _ msg: PublishedMessage, _ pattern: [UInt8]?, _ context: LoopContext?,
                         _ local: inout [Subscriber]) {
        s.inbox.append((msg, pattern))
        if s.context === context {
            if !s.drainLocal {
                s.drainLocal = true
                local.append(s)
            }
        } else if !s.drainQueued {
            s.drainQueued = true
            s.context.loop.execute { [unowned(unsafe) self] in self.drain(s) }
        }
    }

    /// Writes `s`'s pending deliveries into its client's reply buffer. Runs on the client's loop.
    private func drain(_ s: Subscriber) {
        let items: [(PublishedMessage, [UInt8]?)] = lock.withLock {
            let taken = s.inbox
            s.inbox.removeAll()
            s.drainQueued = false
            s.drainLocal = false
            return taken
        }
        let c = s.client
        // Nothing more is added for a client already over its output limit.
        if items.isEmpty || c.closed || c.flags.contains(.closeASAP) { return }
        for (msg, pattern) in items {
            c.writePush { r in
                if let pattern {
                    r.pushHeader(4)
                    r.bulk("pmessage")
                    r.bulk(pattern)
                } else {
                    r.pushHeader(3)
                    r.bulk(msg.kind)
                }
                r.bulk(msg.channel)
                r.bulk(msg.payload)
            }
            // Checked per message, as Redis does on every reply: a subscriber
            // over its limit is dropped without taking the rest of the batch.
            if c.reply.pending > Client.staticReplyBlock {
                c.checkOutputLimit()
                if c.flags.contains(.closeASAP) { break }
            }
        }
        c.scheduleWrite()
    }
}

/// Which kind of subscription a name is.
enum SubscriptionKind {
    case channel, pattern, shardChannel
}

extension Client {
    /// Writes an out-of-band message (pub/sub confirmation or delivery): in
    /// RESP3 a push; delivered even while this client's replies are off.
    @inline(__always)
    func writePush(_ body: (ReplyBuffer) -> Void) {
        let start = reply.count
        body(reply)
        if !flags.isDisjoint(with: [.replyOff, .replySkip]) { pushedSpans.append(start..<reply.count) }
    }

    /// Drops the reply written since `mark` (CLIENT REPLY OFF/SKIP), keeping
    /// the pushes written meanwhile.
    func discardReply(from mark: Int) {
        if pushedSpans.isEmpty {
            reply.truncate(to: mark)
            return
        }
        var kept: [UInt8] = []
        let written = reply.bytes(from: mark)
        for span in pushedSpans where span.lowerBound >= mark && span.upperBound <= reply.count {
            kept.append(contentsOf: written[(span.lowerBound - mark)..<(span.upperBound - mark)])
        }
        pushedSpans.removeAll()
        reply.truncate(to: mark)
        reply.appendRaw(kept)
    }
}

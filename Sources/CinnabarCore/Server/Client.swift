import CSystem
import Glibc
import Synchronization

/// Connection state flags (several print in CLIENT LIST).
public struct ClientFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let closeAfterReply = ClientFlags(rawValue: 1 << 0)
    public static let multi = ClientFlags(rawValue: 1 << 1)
    public static let dirtyCAS = ClientFlags(rawValue: 1 << 2)
    public static let dirtyExec = ClientFlags(rawValue: 1 << 3)
    public static let pubsub = ClientFlags(rawValue: 1 << 4)
    public static let monitor = ClientFlags(rawValue: 1 << 5)
    public static let blocked = ClientFlags(rawValue: 1 << 6)
    public static let noEvict = ClientFlags(rawValue: 1 << 7)
    public static let noTouch = ClientFlags(rawValue: 1 << 8)
    /// A client with no socket that runs commands for scripts or internal work.
    public static let fake = ClientFlags(rawValue: 1 << 9)
    /// Executing a script: key lookups use the script's clock.
    public static let script = ClientFlags(rawValue: 1 << 10)
    public static let closeASAP = ClientFlags(rawValue: 1 << 11)
    /// Replies are discarded (AOF loading).
    public static let discardReplies = ClientFlags(rawValue: 1 << 12)
    /// CLIENT REPLY OFF: every reply is dropped until CLIENT REPLY ON.
    public static let replyOff = ClientFlags(rawValue: 1 << 13)
    /// CLIENT REPLY SKIP was just run: the next command's reply is dropped.
    public static let replySkipNext = ClientFlags(rawValue: 1 << 14)
    /// The reply of the command being run is dropped (set from `replySkipNext`).
    public static let replySkip = ClientFlags(rawValue: 1 << 15)
    /// Held by CLIENT PAUSE: the command in `postponedCommand` runs when the pause ends.
    public static let postponed = ClientFlags(rawValue: 1 << 16)
    /// CLIENT TRACKING ON (CLIENT LIST flag `t`); the bits below refine it (see Tracking.swift).
    public static let tracking = ClientFlags(rawValue: 1 << 17)
    /// The redirection client is gone (flag `R`).
    public static let trackingBrokenRedirect = ClientFlags(rawValue: 1 << 18)
    /// Broadcasting mode (flag `B`).
    public static let trackingBcast = ClientFlags(rawValue: 1 << 19)
    public static let trackingOptin = ClientFlags(rawValue: 1 << 20)
    public static let trackingOptout = ClientFlags(rawValue: 1 << 21)
    /// CLIENT CACHING YES/NO given for the next command (or transaction).
    public static let trackingCaching = ClientFlags(rawValue: 1 << 22)
    public static let trackingNoloop = ClientFlags(rawValue: 1 << 23)
    /// Invalidations for this client wait until its command has replied.
    public static let trackingPending = ClientFlags(rawValue: 1 << 24)
}

/// A command's arguments copied out of a connection's buffers (queued in
/// MULTI, built by tests or internal callers).
public final class OwnedCommand {
    let storage: UnsafeMutablePointer<UInt8>
    public let lengths: [Int]
    let offsets: [Int]

    public init(_ args: [[UInt8]]) {
        let total = args.reduce(0) { $0 + $1.count }
        let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: max(total, 1))
        var offs: [Int] = []
        var pos = 0
        for a in args {
            offs.append(pos)
            a.withUnsafeBufferPointer { if $0.count > 0 { (buf + pos).update(from: $0.baseAddress!, count: $0.count) } }
            pos += a.count
        }
        storage = buf
        offsets = offs
        lengths = args.map { $0.count }
    }

    public convenience init(_ args: [String]) {
        self.init(args.map { Array($0.utf8) })
    }

    /// Copies the arguments of the command `c` is executing.
    public convenience init(copying c: Client) {
        self.init((0..<c.argc).map { Array(c.arg($0)) })
    }

    deinit { storage.deallocate() }

    public var count: Int { lengths.count }

    public func arg(_ i: Int) -> Bytes { Bytes(start: storage + offsets[i], count: lengths[i]) }

    /// Total bytes of argument data.
    public var byteCount: Int { lengths.reduce(0, +) }
}

/// A client session: protocol state, the current command's arguments, its
/// reply buffer, and (for network clients) the socket. Owned by one loop
/// thread; other threads reach it only through `context.loop.execute`.
public final class Client: EventHandler {
    public let id: Int64
    /// The server outlives its clients; unowned(unsafe) keeps reference
    /// counting off every command's path.
    public let server: Server
    /// The loop currently running this client (fixed for network clients).
    /// Loop contexts live as long as the server (held by `Server.contexts`).
    public var context: LoopContext!
    public let fd: Int32
    public let peerAddress: String
    public let localAddress: String

    let query = QueryBuffer()
    var parser = RequestParser()
    /// Replies written by commands, drained to the socket before the loop sleeps.
    public let reply = ReplyBuffer()

    // Arguments of the command being executed.
    public private(set) var argc = 0
    private var argCapacity = 16
    private var argPtrs: UnsafeMutablePointer<UnsafePointer<UInt8>>
    private var argLens: UnsafeMutablePointer<Int>
    private var argHashes: UnsafeMutablePointer<UInt64>
    private var argHashed: UnsafeMutablePointer<Bool>
    private var inlineArgs: UnsafeMutablePointer<UInt8>
    private var inlineCapacity = 256
    /// Keeps owned arguments alive while they are loaded.
    private var ownedArgs: OwnedCommand?

    /// Selected database.
    public var dbIndex = 0
    /// CLIENT SETNAME; changed only under the owning loop's `clientsLock`.
    public internal(set) var name = ""
    public var authenticated: Bool
    /// The ACL user this connection runs as; changed only under the owning loop's `clientsLock`
    /// (CLIENT LIST and ACL DELUSER read it from other threads).
    public internal(set) var user: ACLUser
    public var flags: ClientFlags = []
    public let createdAt: Int64
    public var lastInteraction: Int64
    /// Id of the last command run (CLIENT LIST `cmd=`), -1 before any.
    public var lastCommandID = -1
    /// The command being executed.
    /// (Command specs live as long as the server: no reference counting.)
    public internal(set) unowned(unsafe) var currentCommand: CommandSpec?
    /// Unix ms clock of the command being executed (a script's start time inside scripts).
    public var now: Int64 = 0
    /// Set when the current command replied with an error.
    public internal(set) var commandFailed = false
    /// Set while EXEC or a script holds every shard, so nested commands skip locking.
    public var holdsAllShards = false
    /// For the client that runs a script's commands while the script holds
    /// only some shards: how its commands take theirs (see `ScriptLockSet`).
    public var scriptLocks: ScriptLockSet?
    /// Shards a command took for longer than its handler (a script's), which
    /// `Server.call` releases after logging the command and serving waiters.
    public var deferredLocks: ScriptLockSet?

    /// Set by handlers whose effect must be logged differently from how they
    /// were called (SET EX becomes SET PXAT, SPOP becomes SREM...); nil logs
    /// the command as called when it changed data.
    public var propagateAs: [[[UInt8]]]?

    /// Argument indices of the current command that MONITOR and SLOWLOG show
    /// as `(redacted)` (passwords of AUTH, HELLO AUTH, CONFIG SET requirepass...).
    public private(set) var redactedArguments: [Int] = []

    /// Pub/sub subscription counts (CLIENT LIST `sub`, `psub`, `ssub`),
    /// maintained by the pub/sub module.
    public var channelSubscriptions = 0
    public var patternSubscriptions = 0
    public var shardChannelSubscriptions = 0

    /// Changes this client's commands made to the data set (see `markDirty`).
    public var changes = 0
    /// Set for clients whose writes must not be logged (AOF replay; scripts after redis.set_repl(REPL_NONE)).
    public var suppressPropagation = false

    /// Commands queued by MULTI.
    public var multiQueue: [OwnedCommand] = [] {
        didSet { queuedCommandCount = multiQueue.count }
    }
    /// `multiQueue.count` as a plain word, for CLIENT LIST on other threads
    /// (reading the array itself there could race with its reallocation).
    public private(set) var queuedCommandCount = 0
    /// Bytes of queued commands (CLIENT LIST multi-mem).
    public var multiBytes = 0
    /// Flags of the queued commands: `queuedFlags` has those any of them
    /// has, `queuedMissingFlags` those at least one lacks. Checks made before
    /// EXEC runs judge it by them (a queued write makes EXEC a write).
    public var queuedFlags: CommandFlags = []
    public var queuedMissingFlags: CommandFlags = []

    /// Keys this client WATCHes (owned by its loop; see `WatchRegistry`).
    var watches: [WatchedKey] = []
    /// Set, from any thread, when a WATCHed key changed: the next EXEC fails
    /// (Redis's CLIENT_DIRTY_CAS, CLIENT LIST flag `d`). An atomic rather
    /// than a bit of `flags`, which only the owning loop may write.
    public let watchedKeyChanged = Atomic<Bool>(false)
    /// Pub/sub state, created by the first subscription (owned by its loop).
    var subscriber: Subscriber?
    /// Client-side caching state, created by the first CLIENT TRACKING ON
    /// (set under the loop's client lock: CLIENT LIST reads it elsewhere).
    var tracking: TrackingState?
    /// Byte ranges of the reply buffer written as out-of-band pushes while
    /// the current command's reply is suppressed (CLIENT REPLY OFF/SKIP):
    /// they are delivered anyway, as Redis does for pub/sub messages.
    var pushedSpans: [Range<Int>] = []
    /// Unix seconds when the output buffer first went over its class's soft
    /// limit, 0 while under it.
    var softLimitSince: Int64 = 0

    /// Where the batch of commands being processed started in the query buffer.
    private var batchStart = 0
    /// The command CLIENT PAUSE held back (see `ClientFlags.postponed`).
    var postponedCommand: OwnedCommand?

    var pendingWrite = false
    public private(set) var closed = false
    private var wantsWritable = false
    private var readPaused = false
    private(set) var processing = false

    /// Replies above this many unsent bytes pause reading further commands
    /// until the client drains them: a client that never reads cannot make the
    /// server buffer without bound.
    static let outputBackpressure = 1 << 20

    init(id: Int64, server: Server, context: LoopContext?, fd: Int32, fake: Bool) {
        self.id = id
        self.server = server
        self.context = context
        self.fd = fd
        argPtrs = .allocate(capacity: argCapacity)
        argLens = .allocate(capacity: argCapacity)
        argHashes = .allocate(capacity: argCapacity)
        argHashed = .allocate(capacity: argCapacity)
        inlineArgs = .allocate(capacity: inlineCapacity)
        let now = Sys.unixMillis()
        createdAt = now
        lastInteraction = now
        authenticated = !server.acl.defaultRequiresAuth.load(ordering: .relaxed)
        user = server.acl.defaultUser
        if fake {
            flags.insert(.fake)
            authenticated = true
            peerAddress = ""
            localAddress = ""
        } else {
            let p = Sys.address(fd, remote: true)
            let l = Sys.address(fd, remote: false)
            peerAddress = p.ip.contains(":") ? "[\(p.ip)]:\(p.port)" : "\(p.ip):\(p.port)"
            localAddress = l.ip.contains(":") ? "[\(l.ip)]:\(l.port)" : "\(l.ip):\(l.port)"
        }
    }

    deinit {
        argPtrs.deallocate()
        argLens.deallocate()
        argHashes.deallocate()
        argHashed.deallocate()
        inlineArgs.deallocate()
    }

    // MARK: arguments

    @inline(__always)
    public func arg(_ i: Int) -> Bytes {
        Bytes(start: argPtrs[i], count: argLens[i])
    }

    /// Argument `i` as a Swift string (messages, configuration; not hot paths).
    public func argString(_ i: Int) -> String { arg(i).string }

    /// Argument `i` up to its first NUL byte, as Redis quotes an argument
    /// with `%s` in error messages (it reads the argument as a C string).
    public func argCString(_ i: Int) -> String {
        let a = arg(i)
        return String(decoding: a.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Argument `i` as a key, hashing it once per command.
    @inline(__always)
    public func key(_ i: Int) -> Key {
        if !argHashed[i] {
            argHashes[i] = KeyHash.hash(arg(i))
            argHashed[i] = true
        }
        return Key(arg(i), hash: argHashes[i])
    }

    /// Argument `i` parsed as a 64-bit integer.
    @inline(__always)
    public func intArg(_ i: Int) throws(CommandError) -> Int64 {
        guard let v = Numbers.parseInt64(arg(i)) else { throw .notInteger }
        return v
    }

    /// Argument `i` parsed as a double.
    public func doubleArg(_ i: Int) throws(CommandError) -> Double {
        guard let v = Numbers.parseDouble(arg(i)) else { throw .notFloat }
        return v
    }

    /// All arguments copied (MONITOR, SLOWLOG, MULTI queue).
    public var arguments: [[UInt8]] { (0..<argc).map { Array(arg($0)) } }

    /// Hides argument `i` of the current command from MONITOR and SLOWLOG.
    public func redactArgument(_ i: Int) {
        if !redactedArguments.contains(i) { redactedArguments.append(i) }
    }

    /// Forgets redactions (each command starts with none).
    @inline(__always)
    func clearRedactions() {
        if !redactedArguments.isEmpty { redactedArguments.removeAll(keepingCapacity: true) }
    }

    private static let redactedText: StaticString = "(redacted)"

    /// Argument `i` as MONITOR and SLOWLOG show it: `(redacted)` when hidden.
    public func loggedArgument(_ i: Int) -> Bytes {
        if !redactedArguments.isEmpty && redactedArguments.contains(i) {
            return Bytes(start: Self.redactedText.utf8Start, count: Self.redactedText.utf8CodeUnitCount)
        }
        return arg(i)
    }

    /// Gives back argument arrays grown by a command with very many arguments.
    func shrinkArguments() {
        guard argCapacity > 1024 else { return }
        argPtrs.deallocate(); argLens.deallocate(); argHashes.deallocate(); argHashed.deallocate()
        argCapacity = 16
        argPtrs = .allocate(capacity: argCapacity)
        argLens = .allocate(capacity: argCapacity)
        argHashes = .allocate(capacity: argCapacity)
        argHashed = .allocate(capacity: argCapacity)
        argc = 0
        ownedArgs = nil
    }

    private func ensureArgCapacity(_ n: Int) {
        if n <= argCapacity { return }
        var cap = argCapacity
        while cap < n { cap *= 2 }
        argPtrs.deallocate(); argLens.deallocate(); argHashes.deallocate(); argHashed.deallocate()
        argPtrs = .allocate(capacity: cap)
        argLens = .allocate(capacity: cap)
        argHashes = .allocate(capacity: cap)
        argHashed = .allocate(capacity: cap)
        argCapacity = cap
    }

    private func loadArgsFromParser() {
        let n = parser.argc
        ensureArgCapacity(n)
        ownedArgs = nil
        if parser.isInline {
            let src = parser.inlineStorage
            if src.count > inlineCapacity {
                inlineArgs.deallocate()
                inlineCapacity = src.count * 2
                inlineArgs = .allocate(capacity: inlineCapacity)
            }
            src.withUnsafeBufferPointer { if $0.count > 0 { inlineArgs.update(from: $0.baseAddress!, count: $0.count) } }
            for i in 0..<n {
                argPtrs[i] = UnsafePointer(inlineArgs + parser.offsets[i])
                argLens[i] = parser.lengths[i]
                argHashed[i] = false
            }
        } else {
            let base = UnsafePointer(query.base)
            parser.offsets.withUnsafeBufferPointer { offs in
                parser.lengths.withUnsafeBufferPointer { lens in
                    for i in 0..<n {
                        argPtrs[i] = base + offs[i]
                        argLens[i] = lens[i]
                        argHashed[i] = false
                    }
                }
            }
        }
        argc = n
    }

    /// Points the arguments at `cmd` (kept alive until the next load).
    public func load(_ cmd: OwnedCommand) {
        let n = cmd.count
        ensureArgCapacity(n)
        for i in 0..<n {
            argPtrs[i] = UnsafePointer(cmd.storage + cmd.offsets[i])
            argLens[i] = cmd.lengths[i]
            argHashed[i] = false
        }
        argc = n
        ownedArgs = cmd
    }

    /// Points the arguments at caller-owned memory valid for the duration of the command.
    public func load(pointers: UnsafePointer<UnsafePointer<UInt8>>, lengths: UnsafePointer<Int>, count n: Int) {
        ensureArgCapacity(n)
        for i in 0..<n {
            argPtrs[i] = pointers[i]
            argLens[i] = lengths[i]
            argHashed[i] = false
        }
        argc = n
        ownedArgs = nil
    }

    /// Replaces argument `i` in place (commands that rewrite themselves for propagation).
    public func replaceArgument(_ i: Int, with bytes: [UInt8]) {
        var args = arguments
        args[i] = bytes
        load(OwnedCommand(args))
    }

    // MARK: replies

    /// Replies with an error and counts it.
    public func fail(_ e: CommandError) {
        replyError(e.text)
    }

    /// Replies with an error text (`ERR ...`) and counts it in the error
    /// statistics unless `updateStats` is false (an error already counted
    /// where it happened, such as a command failing inside a script).
    public func replyError(_ text: String, updateStats: Bool = true) {
        reply.error(text)
        commandFailed = true
        if updateStats { countErrorReply(text) }
    }

    /// As `replyError`, for a message that may hold any bytes (scripts'
    /// errors quote their data unchanged); trailing CR/LF are dropped and inner ones become spaces.
    public func replyError(bytes: [UInt8], updateStats: Bool = true) {
        var b = bytes
        while let last = b.last, last == 13 || last == 10 { b.removeLast() }
        for i in b.indices where b[i] == 13 || b[i] == 10 { b[i] = 32 }
        reply.appendRaw("-")
        reply.appendRaw(b)
        reply.appendRaw("\r\n")
        commandFailed = true
        if updateStats { countErrorReply(String(decoding: b.prefix(32), as: UTF8.self)) }
    }

    /// Counts an error reply in the error statistics (INFO errorstats) without
    /// writing anything: for errors nested inside a reply written directly.
    public func countErrorReply(_ text: String) {
        // Like Redis, the code is the first word if a space comes within 31 bytes, else ERR.
        let head = text.utf8.prefix(31)
        if let space = head.firstIndex(of: 32) {
            context?.stats.countError(Substring(text.utf8[..<space]))
        } else {
            context?.stats.countError("ERR")
        }
    }

    /// The selected database at the command's clock.
    @inline(__always)
    public var db: Database {
        server.keyspace.database(dbIndex, now: now, observer: server)
    }

    /// Looks a key up for reading, counting keyspace hits and misses and
    /// emitting `keymiss` on a miss (Redis's lookupKeyRead).
    @inline(__always)
    public func readKey(_ i: Int) -> Entry? {
        let k = key(i)
        let e = db.lookup(k)
        if e == nil {
            context.stats.keyspaceMisses += 1
            notify(.keyMiss, "keymiss", k.bytes)
        } else {
            context.stats.keyspaceHits += 1
        }
        return e
    }

    /// The protocol version this client speaks.
    public var resp: RESPVersion { reply.resp }

    /// True while a password is configured and this client has not authenticated.
    var needsAuth: Bool { !authenticated && server.acl.defaultRequiresAuth.load(ordering: .relaxed) }

    /// Switches the connection to `user` (AUTH, HELLO AUTH, RESET).
    public func setUser(_ user: ACLUser, authenticated: Bool) {
        if let ctx = context {
            ctx.clientsLock.withLock { self.user = user }
        } else {
            self.user = user
        }
        self.authenticated = authenticated
    }

    // MARK: socket I/O

    public func handleEvents(_ events: UInt32) {
        if closed { return }
        if events & EPOLLOUT.rawValue != 0 {
            flush()
            if closed { return }
        }
        if events & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
            readFromSocket()
        }
    }

    private func readFromSocket() {
        var want = 16 * 1024
        let hint = parser.pendingBulkHint(query)
        if hint > want { want = hint }
        parser.shifted(by: query.reserve(want, keepingFrom: parser.retainedStart))
        let (p, room) = query.writable
        let n: Int
        do {
            guard let r = try Sys.read(fd, p, room) else { return }
            n = r
        } catch {
            close()
            return
        }
        if n == 0 {
            close()
            return
        }
        query.commit(n)
        context.stats.readsProcessed += 1
        context.stats.netInputBytes += n
        lastInteraction = context.server.cachedMillis
        if query.available > context.config.clientQueryBufferLimit {
            server.log.log(.warning, "Closing client that reached max query buffer length: id=\(id) addr=\(peerAddress) (qbuf initial bytes: \(Array(Bytes(start: query.base + query.start, count: min(64, query.available))).debugDescriptionBytes))")
            close()
            return
        }
        processInput()
    }

    /// True when bytes of a further command are already buffered.
    @inline(__always)
    var hasBufferedInput: Bool { query.available > 0 }

    /// Parses and runs every complete command buffered, unless blocked,
    /// closing, or holding too much unsent output.
    public func processInput() {
        if processing { return }
        processing = true
        defer { processing = false }
        batchStart = query.start
        while !closed && !flags.contains(.closeAfterReply) && !flags.contains(.blocked) && !flags.contains(.postponed)
                && !flags.contains(.closeASAP) {
            if reply.pending > Self.outputBackpressure {
                pauseReading()
                break
            }
            let outcome = parser.parse(query, maxBulk: context.config.protoMaxBulkLen, unauthenticated: needsAuth)
            if outcome == .incomplete { break }
            if case .protocolError(let message) = outcome {
                server.log.log(.verbose, "\(message.dropFirst(4)) from client: id=\(id) addr=\(peerAddress)")
                replyError(message)
                flags.insert(.closeAfterReply)
                query.start = query.end
                parser.reset()
                break
            }
            loadArgsFromParser()
            server.processCommand(self)
            parser.reset()
            if !flags.contains(.blocked) { shrinkArguments() }
            // Output past the first block may break client-output-buffer-limit.
            if reply.pending > Self.staticReplyBlock {
                context.releaseStickyShard()
                checkOutputLimit()
            }
        }
        // A shard kept for the next pipelined command is never held past the batch.
        context.releaseStickyShard()
        if !parser.inProgress || query.start > 64 * 1024 {
            parser.shifted(by: query.compact(keepingFrom: parser.retainedStart))
        }
        if reply.pending > 0 || flags.contains(.closeAfterReply) { scheduleWrite() }
    }


    /// Queues this client's output for the pre-sleep flush.
    @inline(__always)
    public func scheduleWrite() {
        if pendingWrite || flags.contains(.fake) { return }
        pendingWrite = true
        context.pendingWrites.append(self)
    }

    /// Writes as much pending output as the socket takes.
    func flush() {
        // A client over its output limit is dropped without being sent more, as in Redis.
        guard !closed, !flags.contains(.fake), !flags.contains(.closeASAP) else { return }
        if reply.pending > 0 { context.stats.writesProcessed += 1 }
        while reply.pending > 0 {
            let pb = reply.pendingBytes
            let written: Int?
            do {
                written = try Sys.write(fd, pb.baseAddress!, pb.count)
            } catch {
                close()
                return
            }
            guard let n = written else {
                // Amortised: the bytes moved never exceed the bytes already sent.
                if reply.sent >= reply.pending { reply.discardSent() }
                setWritable(true)
                checkOutputLimit()
                return
            }
            reply.sent += n
            context.stats.netOutputBytes += n
        }
        reply.reset()
        setWritable(false)
        if flags.contains(.closeAfterReply) {
            close()
            return
        }
        if readPaused {
            readPaused = false
            updateInterest()
            processInput()
        }
    }

    private func setWritable(_ on: Bool) {
        if wantsWritable == on { return }
        wantsWritable = on
        updateInterest()
    }

    private func pauseReading() {
        if readPaused { return }
        readPaused = true
        updateInterest()
    }

    private func updateInterest() {
        guard fd >= 0, !closed else { return }
        context.loop.modify(fd, read: !readPaused, write: wantsWritable)
    }

    /// Reply bytes counted as output-buffer memory (CLIENT LIST `omem`,
    /// client-output-buffer-limit): none while unsent output fits the 16 KB
    /// block every connection has, all of it beyond. Redis keeps that block
    /// out of its count but fills it only while nothing else is queued, so
    /// its figure lies between ours minus 16 KB and ours.
    public var outputBufferMemory: Int {
        let pending = reply.pending
        return pending > Self.staticReplyBlock ? pending : 0
    }

    /// Size of the reply block `outputBufferMemory` does not count alone.
    static let staticReplyBlock = 16 * 1024

    /// Disconnects clients over their class's client-output-buffer-limit
    /// (pub/sub subscribers that do not read): at once past the hard limit,
    /// or once past the soft limit for longer than its seconds. Called when
    /// output is added or cannot be written, and from cron so a client over
    /// the soft limit is closed even when no more output arrives.
    func checkOutputLimit() {
        if closed || flags.contains(.fake) || flags.contains(.closeASAP) { return }
        let cls = flags.contains(.pubsub) ? "pubsub" : "normal"
        guard let limit = context.config.outputLimits[cls], limit.hard > 0 || limit.soft > 0 else {
            softLimitSince = 0
            return
        }
        let used = outputBufferMemory
        let hard = limit.hard > 0 && used >= limit.hard
        var soft = limit.soft > 0 && used >= limit.soft
        if soft {
            let now = server.cachedMillis / 1000
            if softLimitSince == 0 {
                softLimitSince = now
                soft = false
            } else if now - softLimitSince <= Int64(limit.seconds) {
                soft = false
            }
        } else {
            softLimitSince = 0
        }
        if hard || soft {
            server.log.log(.warning, "Client id=\(id) addr=\(peerAddress) scheduled to be closed ASAP for overcoming of output buffer limits.")
            closeSoon()
        }
    }

    /// Cron on `ctx`'s loop: re-checks its clients holding output beyond the
    /// first block, so one over its soft limit is closed once the time has
    /// passed even when no more output arrives.
    static func checkOutputLimits(_ ctx: LoopContext) {
        for c in ctx.clients.values where c.softLimitSince != 0 || c.reply.pending > staticReplyBlock {
            c.checkOutputLimit()
        }
    }

    /// Closes after the current command finishes (safe from inside handlers).
    public func closeSoon() {
        if closed || flags.contains(.closeASAP) { return }
        flags.insert(.closeASAP)
        context.pendingCloses.append(self)
    }

    /// Closes the connection now and releases server-side state. Call on the client's loop.
    public func close() {
        if closed { return }
        closed = true
        if fd >= 0 {
            // Leave the client list and release server-side state before the
            // peer can see the connection close (it may look at CLIENT LIST next).
            context.remove(self)
            server.clientClosed(self)
            context.loop.unregister(fd)
            Sys.close(fd)
        } else {
            server.clientClosed(self)
        }
    }

    /// True while a request is partly parsed (its arguments live in the query buffer).
    var parserInProgress: Bool { parser.inProgress }

    /// Cron: frees or shrinks the query buffer of an idle client.
    func resizeQueryBuffer(now: Int64) {
        query.resizeIfIdle(idleSeconds: (now - lastInteraction) / 1000)
    }

    /// Bytes held by the query buffer (CLIENT LIST qbuf): while commands run,
    /// the whole batch read from the socket, as Redis trims it only afterwards.
    public var queryBufferLength: Int { processing ? query.end - batchStart : query.available }
    public var queryBufferFree: Int { query.allocatedSize - query.end }
    /// Argument bytes of the command being parsed or executed.
    public var argvMemory: Int { parser.argvBytes }
    public var eventMask: String { closed ? "" : (readPaused ? "" : "r") + (wantsWritable ? "w" : "") }

    /// Approximate memory held by this client.
    public var memoryUsage: Int {
        query.allocatedSize + reply.allocatedSize + multiBytes + 1024
    }
}

extension Array where Element == UInt8 {
    /// Printable rendering for log lines.
    var debugDescriptionBytes: String {
        var s = ""
        for b in self {
            if b >= 32 && b < 127 { s.unicodeScalars.append(Unicode.Scalar(b)) } else { s += String(format2hex: b) }
        }
        return s
    }
}

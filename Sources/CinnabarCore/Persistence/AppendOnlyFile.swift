import CSystem
import Glibc
import Synchronization

/// Redis 7.0's multi-part AOF manifest: one base file (an RDB image) and the
/// incremental command files written since, in order.
struct AOFManifest {
    struct File {
        var name: String
        var seq: Int
        var type: Character  // b base, h history, i incremental
    }

    var base: File?
    var incrs: [File] = []
    var history: [File] = []

    var text: String {
        var s = ""
        for f in ([base].compactMap { $0 } + history + incrs) {
            s += "file \(f.name) seq \(f.seq) type \(f.type)\n"
        }
        return s
    }

    static func parse(_ text: String) throws(RDBError) -> AOFManifest {
        var m = AOFManifest()
        for raw in text.split(separator: "\n") {
            let line = String(raw).trimmingCharacters(in: " \r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let words = RequestParser.splitArgs(line)?.map({ String(decoding: $0, as: UTF8.self) }),
                  words.count >= 6, words.count % 2 == 0 else {
                throw RDBError("Invalid AOF manifest file format")
            }
            var fields: [String: String] = [:]
            var i = 0
            while i < words.count { fields[words[i]] = words[i + 1]; i += 2 }
            guard let name = fields["file"], let seqText = fields["seq"], let seq = Int(seqText), let type = fields["type"]?.first,
                  !name.contains("/") else {
                throw RDBError("Invalid AOF manifest file format")
            }
            let f = File(name: name, seq: seq, type: type)
            switch type {
            case "b":
                guard m.base == nil else { throw RDBError("Found duplicate base file information") }
                m.base = f
            case "h": m.history.append(f)
            case "i": m.incrs.append(f)
            default: throw RDBError("Unknown AOF file type")
            }
        }
        return m
    }
}

/// The append-only file: every write is logged as the command (or its
/// deterministic rewrite) in RESP, with SELECT when the database changes.
///
/// Ordering: commands append while holding their keys' shards, so each key's
/// history is logged in the order it happened. Durability: before a loop
/// sends replies it writes the log, and with `appendfsync always` also
/// fsyncs it, so no acknowledged write is missing after a crash; one fsync
/// covers every client waiting at that moment (group commit). Scripts and
/// transactions log their effects wrapped in MULTI/EXEC so replay applies
/// them whole.
public final class AppendOnlyFile: ServerExtension, @unchecked Sendable {
    public unowned(unsafe) let server: Server
    unowned(unsafe) let persistence: Persistence

    private let bufferLock = Lock()
    private var buffer: [UInt8] = []
    private var spare: [UInt8] = []
    private var streamDB = -1
    private var appendedTotal = 0

    private let fileLock = Lock()
    private var fd: Int32 = -1
    private var writtenTotal = 0
    private var syncedTotal = 0
    private var manifest = AOFManifest()
    private var currentSize = 0
    private var baseSize = 0

    /// True while writes are being logged.
    public let enabled = Atomic<Bool>(false)
    private var lastWriteError: String? {
        didSet { server.setAdmissionAlert(.aofWriteError, lastWriteError != nil) }
    }
    private var rewriteInProgress = false
    private var rewriteScheduled = false
    private var rewriteStart: Int64 = 0
    private var lastRewriteOK = true
    private var lastRewriteSeconds = -1
    private var rewrites = 0
    /// The once-a-second fsync thread's state, shared with it (see `init`).
    private final class FsyncControl: @unchecked Sendable {
        let cond = Condition()
        var stop = false
        var busy = false
    }
    private let fsyncControl = FsyncControl()

    public init(server: Server, persistence: Persistence) {
        self.server = server
        self.persistence = persistence
        server.extensions.append(self)
        // Per-command hooks reach self without retaining it: the fsync thread's
        // weak reference gives this object a side table, which makes every
        // retain take the slow path.
        let me = Unmanaged.passUnretained(self)
        server.appendOnlyFileRef = me
        server.expiryHooks.append { [unowned(unsafe) self] db, key in
            if self.enabled.load(ordering: .relaxed) { self.append(db: db, [Array("DEL".utf8), Array(key)]) }
        }
        server.propagator = { [unowned(unsafe) self] db, args in
            if self.enabled.load(ordering: .relaxed) { self.append(db: db, args) }
        }
        server.beforeReplyHooks.append { ctx in me._withUnsafeGuaranteedRef { $0.beforeReplies(ctx) } }
        server.cronHooks.append { [unowned(unsafe) self] ctx in if ctx.loop.index == 0 { self.cron(ctx) } }
        server.admissionChecks.append { [unowned(unsafe) self] _, cmd in
            guard cmd.flags.contains(.write) || cmd.flags.contains(.denyoom),
                  let err = self.fileLock.withLock({ self.lastWriteError }) else { return nil }
            return .custom("MISCONF Errors writing to the AOF file: \(err)")
        }
        server.configAppliers["appendonly"] = { [unowned(unsafe) self] _, cfg in
            cfg.appendonly ? self.turnOn() : self.turnOff()
        }
        persistence.shutdownHooks.append { [unowned(unsafe) self] in
            self.flush(sync: true)
            return true
        }
        // The thread holds this object only while it flushes, never while it
        // sleeps, and `shutdown` waits for a flush in progress: once the
        // server has stopped, the thread touches nothing of it again.
        let control = fsyncControl
        Threads.spawn(name: "cinnabar-aof-fsync") { [weak self] in
            while true {
                let go = control.cond.lock.withLock { () -> Bool in
                    if !control.stop { control.cond.wait(timeoutNanos: 1_000_000_000) }
                    if control.stop { return false }
                    control.busy = true
                    return true
                }
                if !go { return }
                if let s = self, s.enabled.load(ordering: .relaxed) && s.server.config.snapshot.appendfsync == "everysec" {
                    s.flush(sync: true)
                }
                control.cond.lock.withLock {
                    control.busy = false
                    control.cond.broadcast()
                }
                if self == nil { return }
            }
        }
    }

    private var directory: String {
        let cfg = server.config.snapshot
        return cfg.dir + "/" + cfg.appenddirname
    }

    private var manifestPath: String {
        directory + "/" + server.config.snapshot.appendfilename + ".manifest"
    }

    // MARK: logging writes

    /// Logs the command `c` just ran when it changed data, or, for a
    /// top-level command, the effects its nested commands (EXEC, scripts) made.
    func propagate(_ c: Client, changesBefore: Int) {
        guard enabled.load(ordering: .relaxed) else { return }
        let ctx = c.context!
        let changed = c.changes != changesBefore
        let commands = changed && !c.suppressPropagation ? (c.propagateAs ?? [c.arguments]) : []
        c.propagateAs = nil
        if ctx.callDepth > 1 {
            for cmd in commands { ctx.nestedPropagation.append((c.dbIndex, cmd)) }
            return
        }
        if !ctx.nestedPropagation.isEmpty {
            let batch = ctx.nestedPropagation
            ctx.nestedPropagation.removeAll()
            appendBatch(batch)
            return
        }
        if commands.isEmpty { return }
        if commands.count == 1 {
            append(db: c.dbIndex, commands[0])
        } else {
            appendBatch(commands.map { (c.dbIndex, $0) })
        }
    }

    /// Appends several commands as one unit (MULTI ... EXEC when more than one).
    private func appendBatch(_ batch: [(Int, [[UInt8]])]) {
        bufferLock.lock()
        defer { bufferLock.unlock() }
        if batch.count == 1 {
            encode(db: batch[0].0, batch[0].1)
            return
        }
        selectIfNeeded(batch[0].0)
        encode(db: streamDB, [Array("MULTI".utf8)])
        for (db, args) in batch { encode(db: db, args) }
        encode(db: streamDB, [Array("EXEC".utf8)])
    }

    /// Logs one command for database `db`. Callers hold the key's shard lock.
    public func append(db: Int, _ args: [[UInt8]]) {
        bufferLock.lock()
        encode(db: db, args)
        bufferLock.unlock()
    }

    private func selectIfNeeded(_ db: Int) {
        if db != streamDB {
            rawEncode([Array("SELECT".utf8), Numbers.int64Bytes(Int64(db))])
            streamDB = db
        }
    }

    private func encode(db: Int, _ args: [[UInt8]]) {
        selectIfNeeded(db)
        rawEncode(args)
    }

    private func rawEncode(_ args: [[UInt8]]) {
        let before = buffer.count
        buffer.append(42)
        buffer.append(contentsOf: Numbers.int64Bytes(Int64(args.count)))
        buffer.append(13); buffer.append(10)
        for a in args {
            buffer.append(36)
            buffer.append(contentsOf: Numbers.int64Bytes(Int64(a.count)))
            buffer.append(13); buffer.append(10)
            buffer.append(contentsOf: a)
            buffer.append(13); buffer.append(10)
        }
        appendedTotal += buffer.count - before
    }

    // MARK: writing and syncing

    private func beforeReplies(_ ctx: LoopContext) {
        guard enabled.load(ordering: .relaxed) else { return }
        let always = ctx.config.appendfsync == "always"
        let pending = bufferLock.withLock { appendedTotal } > fileLock.withLock { always ? syncedTotal : writtenTotal }
        if pending { flush(sync: always) }
    }

    /// Writes the buffered log to the file and, with `sync`, fsyncs it.
    public func flush(sync: Bool) {
        fileLock.lock()
        defer { fileLock.unlock() }
        guard fd >= 0 else { return }
        bufferLock.lock()
        swap(&buffer, &spare)
        let end = appendedTotal
        bufferLock.unlock()
        if !spare.isEmpty {
            var failure: SystemError?
            spare.withUnsafeBytes { p in
                do throws(SystemError) { try Sys.writeAll(fd, p) } catch { failure = error }
            }
            if let failure {
                if lastWriteError == nil {
                    server.log.log(.warning, "Error writing to the AOF file: \(failure)")
                }
                lastWriteError = String(cString: strerror(failure.code))
                // Keep the data for the next attempt.
                bufferLock.withLock { buffer.insert(contentsOf: spare, at: 0) }
                spare.removeAll(keepingCapacity: true)
                return
            }
            currentSize += spare.count
            spare.removeAll(keepingCapacity: true)
            lastWriteError = nil
        }
        writtenTotal = end
        if sync && syncedTotal < writtenTotal {
            Glibc.fsync(fd)
            syncedTotal = writtenTotal
        }
    }

    // MARK: files

    private func ensureDirectory() throws(SystemError) {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw SystemError("mkdir \(directory)", errno)
        }
    }

    private func writeManifest(_ m: AOFManifest) throws(SystemError) {
        let tmp = manifestPath + ".tmp"
        let fd = try Sys.open(tmp, O_WRONLY | O_CREAT | O_TRUNC)
        do throws(SystemError) {
            let bytes = Array(m.text.utf8)
            var failure: SystemError?
            bytes.withUnsafeBytes { p in
                do throws(SystemError) { try Sys.writeAll(fd, p) } catch { failure = error }
            }
            if let failure { throw failure }
            try Sys.fsync(fd)
        } catch {
            Sys.close(fd)
            throw error
        }
        Sys.close(fd)
        try Sys.rename(tmp, manifestPath)
        try? Sys.fsyncDirectory(directory)
    }

    private func baseName(_ seq: Int) -> String { server.config.snapshot.appendfilename + ".\(seq).base.rdb" }
    private func incrName(_ seq: Int) -> String { server.config.snapshot.appendfilename + ".\(seq).incr.aof" }

    /// Opens (creating) the last incremental file for appending; caller holds `fileLock`.
    private func openForAppend(_ name: String) throws(SystemError) {
        let newFD = try Sys.open(directory + "/" + name, O_WRONLY | O_APPEND | O_CREAT)
        if fd >= 0 { Sys.close(fd) }
        fd = newFD
        var st = stat()
        fstat(newFD, &st)
        currentSize = Int(st.st_size)
    }

    // MARK: start-up

    /// Whether AOF files exist to load.
    public var exists: Bool { access(manifestPath, F_OK) == 0 }

    /// Loads the base and incremental files, then opens the log for appending.
    /// With no files yet, creates a base from the (empty) data set.
    public func loadAndOpen() throws(RDBError) {
        if !exists {
            try createInitialFiles()
            return
        }
        guard let text = ConfigParser.readFile(manifestPath) else { throw RDBError("Can't open the AOF manifest \(manifestPath)") }
        let m = try AOFManifest.parse(text)
        manifest = m
        let start = Sys.monotonicNanos()
        var commands = 0
        if let base = m.base {
            let path = directory + "/" + base.name
            let isRDB = (try? fileStartsWithRDB(path)) ?? false
            if isRDB {
                let r = try persistence.loadSnapshot(path)
                if r == nil { throw RDBError("The AOF base file \(base.name) does not exist") }
            } else {
                commands += try replay(path, last: m.incrs.isEmpty)
            }
            baseSize = fileSize(path)
        }
        for (i, f) in m.incrs.enumerated() {
            commands += try replay(directory + "/" + f.name, last: i == m.incrs.count - 1)
        }
        let ms = (Sys.monotonicNanos() - start) / 1_000_000
        server.log.log(.notice, "DB loaded from append only file: \(Double(ms) / 1000) seconds (\(commands) commands)")
        do throws(SystemError) {
            try fileLock.withLockTyped { () throws(SystemError) in
                if let last = m.incrs.last {
                    try openForAppend(last.name)
                } else {
                    let seq = (m.base?.seq ?? 0) + 1
                    manifest.incrs = [AOFManifest.File(name: incrName(seq), seq: seq, type: "i")]
                    try openForAppend(incrName(seq))
                    try writeManifest(manifest)
                }
            }
        } catch {
            throw RDBError("Can't open the append-only file: \(error)")
        }
        enabled.store(true, ordering: .releasing)
    }

    private func createInitialFiles() throws(RDBError) {
        do throws(SystemError) {
            try ensureDirectory()
            let base = AOFManifest.File(name: baseName(1), seq: 1, type: "b")
            let incr = AOFManifest.File(name: incrName(1), seq: 1, type: "i")
            try persistence.writeSnapshot(to: directory + "/" + base.name, functions: persistence.functions?.libraryCodes() ?? [],
                                          compress: server.config.snapshot.rdbcompression, checksum: true, aofBase: true)
            manifest = AOFManifest(base: base, incrs: [incr])
            try fileLock.withLockTyped { () throws(SystemError) in
                try openForAppend(incr.name)
                try writeManifest(manifest)
            }
            baseSize = fileSize(directory + "/" + base.name)
            server.log.log(.notice, "Creating AOF base file \(base.name) on server start")
        } catch {
            throw RDBError("Can't create the append-only files in \(directory): \(error)")
        }
        enabled.store(true, ordering: .releasing)
    }

    private func fileStartsWithRDB(_ path: String) throws(SystemError) -> Bool {
        let fd = try Sys.open(path, O_RDONLY)
        defer { Sys.close(fd) }
        var head = [UInt8](repeating: 0, count: 5)
        let n = head.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 5) }
        return n == 5 && head == Array("REDIS".utf8)
    }

    private func fileSize(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }

    /// Replays the commands of one AOF file. A truncated tail (or an
    /// unterminated MULTI) in the `last` file is cut off when
    /// aof-load-truncated allows it; anything else malformed is fatal.
    private func replay(_ path: String, last: Bool) throws(RDBError) -> Int {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw RDBError("Fatal error: can't open the append log file \(path) for reading: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        let size = Int(st.st_size)
        if size == 0 { return 0 }
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw RDBError("Can't map the append only file \(path)")
        }
        defer { munmap(map, size) }
        let q = QueryBuffer(capacity: 64)
        let data = UnsafeRawBufferPointer(start: map, count: size)
        // Replay runs on the loading thread while the loops answer -LOADING: a
        // private context keeps its per-command state (current client, call
        // depth, a held shard) apart from loop 0's, which its own thread uses.
        guard let loadingLoop = try? EventLoop(index: 0) else {
            throw RDBError("Can't create the context to replay the append only file \(path)")
        }
        let client = server.makeFakeClient(context: LoopContext(loop: loadingLoop, server: server))
        client.setUser(server.acl.internalUser, authenticated: true)
        client.suppressPropagation = true
        client.flags.insert(.discardReplies)
        var parser = RequestParser()
        var pos = 0
        var commands = 0
        var lastGood = 0
        var multiStart = -1
        // Feed the file through the same parser clients use, a chunk at a time.
        while pos < size || q.available > 0 {
            if pos < size {
                let n = min(1 << 20, size - pos)
                parser.shifted(by: q.reserve(n, keepingFrom: parser.retainedStart))
                let (dst, _) = q.writable
                dst.update(from: data.baseAddress!.advanced(by: pos).assumingMemoryBound(to: UInt8.self), count: n)
                q.commit(n)
                pos += n
            }
            var progressed = false
            while true {
                let consumedBefore = pos - q.available
                let outcome = parser.parse(q, maxBulk: Int.max, unauthenticated: false)
                if outcome == .incomplete { break }
                if case .protocolError(let m) = outcome {
                    throw RDBError("Bad file format reading the append only file \(path): \(m) at offset \(consumedBefore)")
                }
                progressed = true
                let args = (0..<parser.argc).map { i -> [UInt8] in
                    let off = parser.offsets[i], len = parser.lengths[i]
                    return parser.isInline ? Array(parser.inlineStorage[off..<(off + len)]) : Array(UnsafeBufferPointer(start: q.base + off, count: len))
                }
                parser.reset()
                if args.isEmpty { continue }
                let name = String(decoding: args[0], as: UTF8.self).lowercased()
                if name == "multi" { multiStart = consumedBefore }
                server.execute(client, args)
                if client.reply.count > 0, client.reply.bytes(from: 0).first == 45 {
                    let text = String(decoding: client.reply.bytes(from: 0), as: UTF8.self)
                    if name != "exec" && !text.hasPrefix("-EXECABORT") {
                        server.log.log(.warning, "Error replaying \(name) from the AOF: \(text.trimmingCharacters(in: "\r\n"))")
                    }
                }
                client.reply.reset()
                commands += 1
                if name == "exec" { multiStart = -1 }
                if multiStart < 0 { lastGood = pos - q.available }
            }
            if !progressed && pos >= size { break }
        }
        let clean = parser.inProgress == false && q.available == 0 && multiStart < 0
        if !clean {
            guard last else { throw RDBError("Unexpected end of file reading the append only file \(path)") }
            guard server.config.snapshot.aofLoadTruncated else {
                throw RDBError("Unexpected end of file reading the append only file \(path). You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.")
            }
            if multiStart >= 0 {
                server.log.log(.warning, "Revert incomplete MULTI/EXEC transaction in AOF file \(path)")
                client.flags.remove([.multi, .dirtyExec, .dirtyCAS])
                client.multiQueue.removeAll()
            }
            server.log.log(.warning, "!!! Warning: short read while loading the AOF file \(path)!!! AOF loaded anyway because aof-load-truncated is enabled; truncating it at offset \(lastGood)")
            if ftruncate(fd, off_t(lastGood)) != 0 {
                throw RDBError("Error truncating the AOF file \(path): \(String(cString: strerror(errno)))")
            }
        }
        return commands
    }

    // MARK: turning on and off, rewriting

    private func turnOn() -> String? {
        if enabled.load(ordering: .acquiring) { return nil }
        if let err = startRewrite(initial: true) { return err }
        return nil
    }

    private func turnOff() -> String? {
        guard enabled.load(ordering: .acquiring) else { return nil }
        flush(sync: true)
        enabled.store(false, ordering: .releasing)
        fileLock.withLock {
            if fd >= 0 { Sys.close(fd); fd = -1 }
        }
        return nil
    }

    /// BGREWRITEAOF: a forked child writes a new base (an RDB image of the
    /// data at fork time) while new writes go to a fresh incremental file
    /// opened at the same instant; the manifest switches when the child succeeds.
    public func startRewrite(initial: Bool = false) -> String? {
        if fileLock.withLock({ rewriteInProgress }) {
            return "ERR Background append only file rewriting already in progress"
        }
        if persistence.childRunning {
            fileLock.withLock { rewriteScheduled = true }
            return nil
        }
        do throws(SystemError) { try ensureDirectory() } catch { return "ERR \(error)" }
        let cfg = server.config.snapshot
        let codes = persistence.functions?.libraryCodes() ?? []
        var newBase = AOFManifest.File(name: "", seq: 0, type: "b")
        var keptIncrFrom = 0
        var failure: String?
        let err = persistence.forkChild(beforeFork: { [self] in
            // Every shard is locked: no write can land between the switch and the fork.
            flush(sync: true)
            fileLock.withLock {
                let seq = (manifest.incrs.last?.seq ?? manifest.base?.seq ?? 0) + 1
                let incr = AOFManifest.File(name: incrName(seq), seq: seq, type: "i")
                do throws(SystemError) {
                    try openForAppend(incr.name)
                    var m = manifest
                    m.incrs.append(incr)
                    try writeManifest(m)
                    manifest = m
                } catch {
                    failure = "ERR \(error)"
                    return
                }
                keptIncrFrom = manifest.incrs.count - 1
                newBase = AOFManifest.File(name: baseName((manifest.base?.seq ?? 0) + 1), seq: (manifest.base?.seq ?? 0) + 1, type: "b")
                bufferLock.withLock { streamDB = -1 }
                rewriteInProgress = true
                rewriteStart = Sys.unixMillis()
            }
            if initial { enabled.store(true, ordering: .releasing) }
            return failure == nil
        }, work: { [self] in
            do throws(SystemError) {
                try persistence.writeSnapshot(to: directory + "/" + newBase.name, functions: codes,
                                              compress: cfg.rdbcompression, checksum: true, aofBase: true)
                return true
            } catch {
                return false
            }
        }, onExit: { [self] ok in finishRewrite(ok, newBase: newBase, keptIncrFrom: keptIncrFrom) })
        if let failure { return failure }
        if let err { return err }
        return nil
    }

    private func finishRewrite(_ ok: Bool, newBase: AOFManifest.File, keptIncrFrom: Int) {
        let elapsed = Int((Sys.unixMillis() - rewriteStart) / 1000)
        var removed: [String] = []
        fileLock.withLock {
            rewriteInProgress = false
            lastRewriteSeconds = elapsed
            lastRewriteOK = ok
            guard ok else { return }
            var m = manifest
            if let old = m.base { removed.append(old.name) }
            removed.append(contentsOf: m.incrs[..<min(keptIncrFrom, m.incrs.count)].map { $0.name })
            m.base = newBase
            m.incrs = Array(m.incrs[min(keptIncrFrom, m.incrs.count)...])
            m.history = []
            do throws(SystemError) {
                try writeManifest(m)
                manifest = m
                rewrites += 1
            } catch {
                lastRewriteOK = false
                removed = []
            }
        }
        if ok {
            for name in removed { Sys.unlink(directory + "/" + name) }
            baseSize = fileSize(directory + "/" + newBase.name)
            server.log.log(.notice, "Background AOF rewrite finished successfully")
        } else {
            Sys.unlink(directory + "/" + newBase.name)
            server.log.log(.warning, "Background AOF rewrite terminated with error")
        }
    }

    private func cron(_ ctx: LoopContext) {
        guard !persistence.childRunning else { return }
        let (scheduled, inProgress) = fileLock.withLock { (rewriteScheduled, rewriteInProgress) }
        if scheduled && !inProgress {
            fileLock.withLock { rewriteScheduled = false }
            _ = startRewrite(initial: !enabled.load(ordering: .relaxed) && ctx.config.appendonly)
            return
        }
        // auto-aof-rewrite-percentage / auto-aof-rewrite-min-size
        let cfg = ctx.config
        guard enabled.load(ordering: .relaxed), !inProgress, cfg.autoAOFRewritePercentage > 0 else { return }
        let size = fileLock.withLock { currentSize } + baseSize
        let base = max(baseSize, 1)
        if size > cfg.autoAOFRewriteMinSize && (size - base) * 100 / base >= cfg.autoAOFRewritePercentage {
            server.log.log(.notice, "Starting automatic rewriting of AOF on \((size - base) * 100 / base)% growth")
            _ = startRewrite()
        }
    }

    /// True while a BGREWRITEAOF child runs or one is scheduled.
    public var rewriteBusy: (inProgress: Bool, scheduled: Bool) {
        fileLock.withLock { (rewriteInProgress, rewriteScheduled) }
    }

    public func shutdown() {
        fsyncControl.cond.lock.withLock {
            fsyncControl.stop = true
            fsyncControl.cond.broadcast()
            while fsyncControl.busy { fsyncControl.cond.wait() }
        }
        flush(sync: true)
    }

    deinit {
        fsyncControl.cond.lock.withLock {
            fsyncControl.stop = true
            fsyncControl.cond.broadcast()
        }
    }

    public func infoLines(section: String) -> [String] {
        guard section == "persistence" else { return [] }
        let on = enabled.load(ordering: .relaxed)
        let now = Sys.unixMillis()
        return fileLock.withLock {
            var lines = [
                "aof_enabled:\(on ? 1 : 0)",
                "aof_rewrite_in_progress:\(rewriteInProgress ? 1 : 0)",
                "aof_rewrite_scheduled:\(rewriteScheduled ? 1 : 0)",
                "aof_last_rewrite_time_sec:\(lastRewriteSeconds)",
                "aof_current_rewrite_time_sec:\(rewriteInProgress ? Int((now - rewriteStart) / 1000) : -1)",
                "aof_last_bgrewrite_status:\(lastRewriteOK ? "ok" : "err")",
                "aof_rewrites:\(rewrites)",
                "aof_last_write_status:\(lastWriteError == nil ? "ok" : "err")",
            ]
            if on {
                lines += [
                    "aof_current_size:\(currentSize + baseSize)",
                    "aof_base_size:\(baseSize)",
                    "aof_pending_rewrite:\(rewriteScheduled ? 1 : 0)",
                    "aof_buffer_length:\(bufferLock.withLock { buffer.count })",
                    "aof_pending_bio_fsync:0",
                    "aof_delayed_fsync:0",
                ]
            }
            return lines
        }
    }
}

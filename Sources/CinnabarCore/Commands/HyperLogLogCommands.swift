import Glibc

/// HyperLogLog commands (Redis's `hyperloglog` group). Values are strings in
/// Redis's exact HLL format (see `HLL`), so they interchange with Redis.
public enum HyperLogLogCommands {
    public static var all: [CommandSpec] {
        func spec(_ flags: [String], _ index: Int, last: Int = 0, notes: String? = nil) -> CommandKeySpec {
            CommandKeySpec(flags: flags, .index(index), .range(lastKey: last, step: 1, limit: 0), notes: notes)
        }
        return [
            CommandSpec("pfadd", arity: -2, flags: [.write, .denyoom, .fast], keys: .range(first: 1, last: 1, step: 1),
                        group: .hyperloglog, since: "2.8.9", complexity: "O(1) per element.",
                        summary: "Counts elements into a HyperLogLog, creating the key when absent.",
                        keySpecs: [spec(["RW", "insert"], 1)], handler: pfadd),
            CommandSpec("pfcount", arity: -2, flags: [.readonly, .mayReplicate], keys: .range(first: 1, last: -1, step: 1),
                        group: .hyperloglog, since: "2.8.9",
                        complexity: "O(1) with a small constant for one key; O(N) with a larger constant for N keys.",
                        summary: "Estimates the number of distinct elements counted by one HyperLogLog or the union of several.",
                        keySpecs: [spec(["RW", "access"], 1, last: -1,
                                        notes: "RW because it may change the internal representation of the key, and propagate to replicas")],
                        handler: pfcount),
            CommandSpec("pfmerge", arity: -2, flags: [.write, .denyoom], keys: .range(first: 1, last: -1, step: 1),
                        group: .hyperloglog, since: "2.8.9", complexity: "O(N) for N HyperLogLogs, with a large constant.",
                        summary: "Stores the union of HyperLogLogs (the destination included) in the destination.",
                        keySpecs: [spec(["RW", "access", "insert"], 1), spec(["RO", "access"], 2, last: -1)], handler: pfmerge),
            CommandSpec("pfdebug", arity: 3, flags: [.write, .denyoom, .admin], keys: .range(first: 2, last: 2, step: 1),
                        group: .hyperloglog, since: "2.8.9", complexity: "N/A",
                        summary: "Inspects or converts a HyperLogLog's internal encoding (debugging).",
                        keySpecs: [spec(["RW", "access"], 2)], handler: pfdebug),
            CommandSpec("pfselftest", arity: 1, flags: [.admin], group: .hyperloglog, since: "2.8.9", complexity: "N/A",
                        summary: "Runs the HyperLogLog implementation's self test.", handler: pfselftest),
        ]
    }

    // MARK: helpers

    /// Redis's isHLLObjectOrReply: false after replying when `e` is not a
    /// string or does not look like an HLL.
    static func checkHLL(_ c: Client, _ e: Entry) -> Bool {
        guard e.type == .string else {
            c.fail(.wrongType)
            return false
        }
        guard HLL.isValid(e.string) else {
            c.fail(.hllNotHLL)
            return false
        }
        return true
    }

    /// Writes a rewritten HLL over `key` (keeping its expiry and access
    /// frequency), emitting `new` when the key did not exist.
    static func store(_ c: Client, _ key: Key, _ buf: HLLBuffer, previous: Entry?) {
        let lfu = previous?.lfuCounter
        let e = c.db.setString(key, buf.bytes, keepTTL: true)
        // Redis edits HLLs as raw strings (OBJECT ENCODING reports `raw`).
        e.flags = Entry.flagRawString
        if let lfu { e.lfuCounter = lfu } else { c.notify(.newKey, "new", key.bytes) }
    }

    // MARK: PFADD

    static func pfadd(_ c: Client) {
        let key = c.key(1)
        let found = c.db.lookup(key)
        var updated = 0
        if let e = found {
            guard checkHLL(c, e) else { return }
            e.flags |= Entry.flagRawString
            if e.string[4] == HLL.encodingDense {
                // Dense values never change size: raise registers where they are.
                let p = e.mutableString.baseAddress!
                let regs = p + HLL.headerSize
                for j in 2..<c.argc {
                    let (index, count) = HLL.pattern(c.arg(j))
                    if HLL.denseRaise(regs, index, count) { updated += 1 }
                }
                if updated > 0 {
                    HLL.invalidateCache(p)
                    c.modified(key, .string, "pfadd", changes: updated)
                }
                c.reply.integer(updated > 0 ? 1 : 0)
                return
            }
        } else {
            updated = 1
        }
        var buf = found.map { HLLBuffer(copying: $0.string) } ?? HLLBuffer.emptySparse()
        defer { buf.release() }
        let maxSparse = c.context.config.hllSparseMaxBytes
        var corrupted = false
        for j in 2..<c.argc {
            let a = c.arg(j)
            let r = buf.add(a.baseAddress, a.count, sparseMaxBytes: maxSparse)
            if r < 0 {
                corrupted = true
                break
            }
            updated += r
        }
        if corrupted {
            // Registers raised before the damage was found stay raised, as in Redis.
            if updated > 0 { store(c, key, buf, previous: found) }
            c.fail(.hllCorrupted)
            return
        }
        if updated > 0 {
            HLL.invalidateCache(buf.base)
            store(c, key, buf, previous: found)
            c.modified(key, .string, "pfadd", changes: updated)
        }
        c.reply.integer(updated > 0 ? 1 : 0)
    }

    // MARK: PFCOUNT

    static func pfcount(_ c: Client) {
        if c.argc > 2 {
            pfcountUnion(c)
            return
        }
        guard let e = c.readKey(1) else {
            c.reply.integer(0)
            return
        }
        guard checkHLL(c, e) else { return }
        e.flags |= Entry.flagRawString
        let s = e.mutableString
        let p = s.baseAddress!
        if let cached = HLL.cachedCount(UnsafePointer(p)) {
            c.reply.integer(Int64(bitPattern: cached))
            return
        }
        guard let card = HLL.count(UnsafePointer(p), s.count) else {
            c.fail(.hllCorrupted)
            return
        }
        // Caching the estimate changes the value: replicas and the AOF get this PFCOUNT.
        HLL.storeCachedCount(p, card)
        c.touched(c.key(1))
        c.reply.integer(Int64(bitPattern: card))
    }

    /// PFCOUNT of several keys: the estimate of their union (missing keys count as empty).
    static func pfcountUnion(_ c: Client) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: HLL.registers) { buf in
            let regs = buf.baseAddress!
            regs.initialize(repeating: 0, count: HLL.registers)
            for j in 1..<c.argc {
                guard let e = c.readKey(j) else { continue }
                guard checkHLL(c, e) else { return }
                guard HLL.merge(into: regs, e.string) else {
                    c.fail(.hllCorrupted)
                    return
                }
            }
            c.reply.integer(Int64(bitPattern: HLL.count(rawRegisters: UnsafePointer(regs))))
        }
    }

    // MARK: PFMERGE

    static func pfmerge(_ c: Client) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: HLL.registers) { buf in
            let regs = buf.baseAddress!
            regs.initialize(repeating: 0, count: HLL.registers)
            var useDense = false
            // The destination is one of the inputs.
            for j in 1..<c.argc {
                guard let e = c.readKey(j) else { continue }
                guard checkHLL(c, e) else { return }
                if e.string[4] == HLL.encodingDense { useDense = true }
                guard HLL.merge(into: regs, e.string) else {
                    c.fail(.hllCorrupted)
                    return
                }
            }
            let key = c.key(1)
            let found = c.db.lookup(key)
            var target = found.map { HLLBuffer(copying: $0.string) } ?? HLLBuffer.emptySparse()
            defer { target.release() }
            // A dense input makes the result dense at once rather than by growth.
            if useDense && !target.toDense() {
                c.fail(.hllCorrupted)
                return
            }
            let maxSparse = c.context.config.hllSparseMaxBytes
            for j in 0..<HLL.registers where regs[j] != 0 {
                _ = target.set(j, regs[j], sparseMaxBytes: maxSparse)
            }
            HLL.invalidateCache(target.base)
            store(c, key, target, previous: found)
            c.modified(key, .string, "pfadd")
            c.reply.ok()
        }
    }

    // MARK: PFDEBUG

    static func pfdebug(_ c: Client) {
        let key = c.key(2)
        guard let e = c.db.lookup(key) else {
            c.fail(.custom("ERR The specified key does not exist"))
            return
        }
        guard checkHLL(c, e) else { return }
        e.flags |= Entry.flagRawString
        let sub = c.arg(1)
        let value = e.string
        let sparse = value[4] == HLL.encodingSparse
        if sub.equalsIgnoringCase("getreg") {
            var buf = HLLBuffer(copying: value)
            defer { buf.release() }
            if sparse {
                guard buf.toDense() else {
                    c.fail(.hllCorrupted)
                    return
                }
                store(c, key, buf, previous: e)
                c.markDirty()
            }
            c.reply.arrayHeader(HLL.registers)
            for r in 0..<HLL.registers { c.reply.integer(Int(HLL.denseGet(buf.registers, r))) }
        } else if sub.equalsIgnoringCase("decode") {
            guard sparse else {
                c.fail(.custom("ERR HLL encoding is not sparse"))
                return
            }
            c.reply.bulk(decodeSparse(value))
        } else if sub.equalsIgnoringCase("encoding") {
            c.reply.status(sparse ? "sparse" : "dense")
        } else if sub.equalsIgnoringCase("todense") {
            guard sparse else {
                c.reply.integer(0)
                return
            }
            var buf = HLLBuffer(copying: value)
            defer { buf.release() }
            guard buf.toDense() else {
                c.fail(.hllCorrupted)
                return
            }
            store(c, key, buf, previous: e)
            c.markDirty()
            c.reply.integer(1)
        } else {
            c.fail(.custom("ERR Unknown PFDEBUG subcommand '\(c.argString(1))'"))
        }
    }

    /// The opcodes of a sparse value as `z:<run>`, `Z:<run>` and `v:<value>,<run>` words.
    static func decodeSparse(_ value: Bytes) -> [UInt8] {
        var out: [UInt8] = []
        var i = HLL.headerSize
        let n = value.count
        func word(_ s: String) {
            if !out.isEmpty { out.append(32) }
            out.append(contentsOf: s.utf8)
        }
        while i < n {
            let b = value[i]
            if HLL.isZero(b) {
                word("z:\(HLL.zeroLength(b))")
                i += 1
            } else if HLL.isXZero(b) {
                word("Z:\(HLL.xzeroLength(b, i + 1 < n ? value[i + 1] : 0))")
                i += 2
            } else {
                word("v:\(HLL.valValue(b)),\(HLL.valLength(b))")
                i += 1
            }
        }
        return out
    }

    // MARK: PFSELFTEST

    /// Checks the dense register packing on random values, then the estimate
    /// of dense and sparse HLLs fed the same ten million elements: sparse
    /// while small, identical estimates, and an error within six standard errors.
    static func pfselftest(_ c: Client) {
        var rng = SelfTestRandom(seed: UInt64.random(in: 1...UInt64.max))
        let dense = calloc(HLL.denseSize + 1, 1)!.assumingMemoryBound(to: UInt8.self)
        defer { free(dense) }
        let regs = dense + HLL.headerSize
        let expected = UnsafeMutablePointer<UInt8>.allocate(capacity: HLL.registers)
        defer { expected.deallocate() }
        for _ in 0..<1000 {
            for i in 0..<HLL.registers {
                let r = UInt8(truncatingIfNeeded: rng.next() & 63)
                expected[i] = r
                HLL.denseSet(regs, i, r)
            }
            for i in 0..<HLL.registers {
                let v = HLL.denseGet(regs, i)
                if v != expected[i] {
                    c.fail(.custom("ERR TESTFAILED Register \(i) should be \(expected[i]) but is \(v)"))
                    return
                }
            }
        }
        memset(regs, 0, HLL.denseBytes)
        var sparse = HLLBuffer.emptySparse()
        defer { sparse.release() }
        let maxSparse = c.context.config.hllSparseMaxBytes
        let relativeError = 1.04 / Double(HLL.registers).squareRoot()
        var checkpoint = 1
        let seed = rng.next()
        for j in 1...10_000_000 {
            var element = (UInt64(j) ^ seed).littleEndian
            let (index, count) = withUnsafeBytes(of: &element) { HLL.pattern($0.baseAddress, 8) }
            _ = HLL.denseRaise(regs, index, count)
            _ = sparse.set(index, count, sparseMaxBytes: maxSparse)
            if j != checkpoint { continue }
            if j < maxSparse / 2 && sparse.isDense {
                c.fail(.custom("ERR TESTFAILED sparse encoding not used"))
                return
            }
            let denseCard = HLL.count(UnsafePointer(dense), HLL.denseSize) ?? 0
            if denseCard != HLL.count(UnsafePointer(sparse.base), sparse.count) {
                c.fail(.custom("ERR TESTFAILED dense/sparse disagree"))
                return
            }
            let absError = abs(checkpoint - Int(denseCard))
            // Ten elements may collide often enough to be off by one.
            let maxError = j == 10 ? 1 : Int((relativeError * 6 * Double(checkpoint)).rounded(.up))
            if absError > maxError {
                c.fail(.custom("ERR TESTFAILED Too big error. card:\(checkpoint) abserr:\(absError)"))
                return
            }
            checkpoint *= 10
        }
        c.reply.ok()
    }

    /// xorshift64*: cheap random register values for the self test.
    struct SelfTestRandom {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 0x2545_f491_4f6c_dd1d
        }
    }
}

import Glibc

/// Bit-level commands on string values (Redis's `bitmap` group).
///
/// Bits are numbered from the most significant bit of the first byte, as in
/// Redis: bit 0 is `0x80` of byte 0.
public enum BitmapCommands {
    public static var all: [CommandSpec] {
        let one = KeySpec.range(first: 1, last: 1, step: 1)
        return [
            CommandSpec("setbit", arity: 4, flags: [.write, .denyoom], keys: one,
                        group: .bitmap, since: "2.2.0",
                        summary: "Sets or clears one bit of a string, growing it as needed; returns the old bit.",
                        keySpecs: [.one(1, ["RW", "access", "update"])], handler: setbit),
            CommandSpec("getbit", arity: 3, flags: [.readonly, .fast], keys: one,
                        group: .bitmap, since: "2.2.0", summary: "Returns one bit of a string (0 past its end).",
                        handler: getbit),
            CommandSpec("bitcount", arity: -2, flags: [.readonly], keys: one,
                        group: .bitmap, since: "2.6.0", complexity: "O(N)",
                        summary: "Counts the set bits of a string, optionally within a byte or bit range.",
                        handler: bitcount),
            CommandSpec("bitpos", arity: -3, flags: [.readonly], keys: one,
                        group: .bitmap, since: "2.8.7", complexity: "O(N)",
                        summary: "Finds the first set or clear bit of a string, optionally within a range.",
                        handler: bitpos),
            CommandSpec("bitop", arity: -4, flags: [.write, .denyoom], keys: .range(first: 2, last: -1, step: 1),
                        group: .bitmap, since: "2.6.0", complexity: "O(N)",
                        summary: "Combines strings bitwise (AND, OR, XOR, NOT) into a destination key.",
                        keySpecs: [.one(2, ["OW", "update"]), .rest(3, ["RO", "access"])], handler: bitop),
            CommandSpec("bitfield", arity: -2, flags: [.write, .denyoom], keys: one,
                        group: .bitmap, since: "3.2.0", complexity: "O(1) for each subcommand specified",
                        summary: "Reads, writes and increments integers of arbitrary width packed in a string.",
                        keySpecs: [CommandKeySpec(flags: ["RW", "access", "update", "variable_flags"], .index(1),
                                                  .range(lastKey: 0, step: 1, limit: 0),
                                                  notes: "This command allows both access and modification of the key",
                                                  actualFlags: { bitfieldKeyFlags($0) })],
                        handler: bitfield),
            CommandSpec("bitfield_ro", arity: -2, flags: [.readonly, .fast], keys: one,
                        group: .bitmap, since: "6.0.0", complexity: "O(1) for each subcommand specified",
                        summary: "Reads integers of arbitrary width packed in a string.",
                        handler: bitfieldReadOnly),
        ]
    }

    // MARK: helpers

    /// Parses a bit offset (Redis's getBitOffsetFromArgument). With
    /// `multiplier > 0` a `#n` form means `n * multiplier` (BITFIELD).
    static func bitOffset(_ c: Client, _ i: Int, multiplier: Int = 0) throws(CommandError) -> UInt64 {
        var a = c.arg(i)
        let scaled = multiplier > 0 && a.count > 0 && a[0] == 35
        if scaled { a = Bytes(rebasing: a.dropFirst()) }
        guard var v = Numbers.parseInt64(a) else { throw .bitOffset }
        if scaled { v = v &* Int64(multiplier) }
        if v < 0 || (!StringCommands.mustObey(c) && (v >> 3) >= Int64(c.context.config.protoMaxBulkLen)) {
            throw .bitOffset
        }
        return UInt64(v)
    }

    /// Set bits in `n` bytes at `p`.
    static func popcount(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var count = 0
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 32 <= n {
            count += raw.loadUnaligned(fromByteOffset: i, as: UInt64.self).nonzeroBitCount
                + raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self).nonzeroBitCount
                + raw.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self).nonzeroBitCount
                + raw.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self).nonzeroBitCount
            i += 32
        }
        while i + 8 <= n {
            count += raw.loadUnaligned(fromByteOffset: i, as: UInt64.self).nonzeroBitCount
            i += 8
        }
        while i < n {
            count += p[i].nonzeroBitCount
            i += 1
        }
        return count
    }

    /// Position of the first bit equal to `bit` in `n` bytes at `p`. When there
    /// is none: -1 looking for a 1, `n * 8` looking for a 0 (the bytes past
    /// the end count as zeros).
    static func firstBit(_ p: UnsafePointer<UInt8>, _ n: Int, _ bit: Bool) -> Int64 {
        let skipByte: UInt8 = bit ? 0 : 0xFF
        let skipWord: UInt64 = bit ? 0 : ~0
        let raw = UnsafeRawPointer(p)
        var i = 0
        while i + 8 <= n && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) == skipWord { i += 8 }
        while i < n && p[i] == skipByte { i += 1 }
        if i == n { return bit ? -1 : Int64(n) * 8 }
        let b = bit ? p[i] : ~p[i]
        return Int64(i) * 8 + Int64(b.leadingZeroBitCount)
    }

    /// Reads a big-endian unsigned field of `bits` bits starting at bit `offset`.
    static func getUnsigned(_ p: UnsafePointer<UInt8>, _ offset: UInt64, _ bits: Int) -> UInt64 {
        var v: UInt64 = 0
        var off = offset
        for _ in 0..<bits {
            let byte = p[Int(off >> 3)]
            v = (v << 1) | UInt64((byte >> (7 - UInt8(off & 7))) & 1)
            off += 1
        }
        return v
    }

    static func getSigned(_ p: UnsafePointer<UInt8>, _ offset: UInt64, _ bits: Int) -> Int64 {
        var v = Int64(bitPattern: getUnsigned(p, offset, bits))
        if bits < 64 && v & (Int64(1) << (bits - 1)) != 0 { v |= Int64(-1) << bits }
        return v
    }

    /// Writes the low `bits` bits of `value` big-endian from bit `offset`.
    static func setUnsigned(_ p: UnsafeMutablePointer<UInt8>, _ offset: UInt64, _ bits: Int, _ value: UInt64) {
        var off = offset
        for j in 0..<bits {
            let bitval = UInt8((value >> UInt64(bits - 1 - j)) & 1)
            let shift = 7 - UInt8(off & 7)
            let idx = Int(off >> 3)
            p[idx] = (p[idx] & ~(1 << shift)) | (bitval << shift)
            off += 1
        }
    }

    // MARK: SETBIT / GETBIT

    static func setbit(_ c: Client) {
        let offset: UInt64
        let on: Int64
        do throws(CommandError) {
            offset = try bitOffset(c, 2)
            guard let v = Numbers.parseInt64(c.arg(3)) else { throw CommandError.bitValue }
            on = v
        } catch {
            c.fail(error)
            return
        }
        if on & ~1 != 0 {
            c.fail(.bitValue)
            return
        }
        let key = c.key(1)
        let db = c.db
        let byte = Int(offset >> 3)
        var e: Entry
        var grew: Bool
        if let found = db.lookup(key) {
            guard found.type == .string else {
                c.fail(.wrongType)
                return
            }
            let before = found.valueLength
            e = StringCommands.unshare(db, found, key, atLeast: byte + 1)
            grew = e.valueLength != before
        } else {
            e = StringCommands.createZeroed(c, db, key, length: byte + 1)
            grew = true
        }
        let p = e.mutableString.baseAddress!
        let shift = 7 - UInt8(offset & 7)
        let old = (p[byte] >> shift) & 1
        if grew || Int64(old) != on {
            p[byte] = (p[byte] & ~(1 << shift)) | (UInt8(on) << shift)
            c.modified(key, .string, "setbit")
        }
        c.reply.integer(Int(old))
    }

    static func getbit(_ c: Client) {
        let offset: UInt64
        do { offset = try bitOffset(c, 2) } catch {
            c.fail(error)
            return
        }
        guard let e = c.readKey(1) else {
            c.reply.integer(0)
            return
        }
        guard e.type == .string else {
            c.fail(.wrongType)
            return
        }
        let s = e.string
        let byte = offset >> 3
        var bit = 0
        if byte < UInt64(s.count) { bit = Int((s[Int(byte)] >> (7 - UInt8(offset & 7))) & 1) }
        c.reply.integer(bit)
    }

    // MARK: BITCOUNT / BITPOS

    /// Parses BIT|BYTE at argument `i`: true for BIT.
    static func unitIsBit(_ c: Client, _ i: Int) throws(CommandError) -> Bool {
        let a = c.arg(i)
        if a.equalsIgnoringCase("BIT") { return true }
        if a.equalsIgnoringCase("BYTE") { return false }
        throw .syntax
    }

    /// Clamps a byte or bit range to a string of `byteLength` bytes the way
    /// BITCOUNT and BITPOS do, converting bit ranges to bytes plus masks of
    /// the edge bits that fall outside. Returns (start, end, firstMask, lastMask).
    static func clampRange(_ start0: Int64, _ end0: Int64, byteLength: Int, isBit: Bool) -> (Int64, Int64, UInt8, UInt8) {
        var total = Int64(byteLength)
        if isBit { total <<= 3 }
        var start = start0, end = end0
        if start < 0 { start = total + start }
        if end < 0 { end = total + end }
        if start < 0 { start = 0 }
        if end < 0 { end = 0 }
        if end >= total { end = total - 1 }
        var firstMask: UInt8 = 0, lastMask: UInt8 = 0
        if isBit && start <= end {
            firstMask = ~UInt8(truncatingIfNeeded: (1 << (8 - (start & 7))) - 1)
            lastMask = UInt8(truncatingIfNeeded: (1 << (7 - (end & 7))) - 1)
            start >>= 3
            end >>= 3
        }
        return (start, end, firstMask, lastMask)
    }

    static func bitcount(_ c: Client) {
        guard let e = c.readKey(1) else {
            c.reply.integer(0)
            return
        }
        guard e.type == .string else {
            c.fail(.wrongType)
            return
        }
        let s = e.string
        var start: Int64 = 0, end = Int64(s.count) - 1
        var firstMask: UInt8 = 0, lastMask: UInt8 = 0
        if c.argc == 4 || c.argc == 5 {
            do {
                let a = try c.intArg(2), b = try c.intArg(3)
                if a < 0 && b < 0 && a > b {
                    c.reply.integer(0)
                    return
                }
                let isBit = c.argc == 5 ? try unitIsBit(c, 4) : false
                (start, end, firstMask, lastMask) = clampRange(a, b, byteLength: s.count, isBit: isBit)
            } catch {
                c.fail(error)
                return
            }
        } else if c.argc != 2 {
            c.fail(.syntax)
            return
        }
        if start > end {
            c.reply.integer(0)
            return
        }
        let p = s.baseAddress!
        var count = popcount(p + Int(start), Int(end - start + 1))
        // Bits of the edge bytes outside a bit range were counted: take them out.
        count -= (p[Int(start)] & firstMask).nonzeroBitCount + (p[Int(end)] & lastMask).nonzeroBitCount
        c.reply.integer(count)
    }

    static func bitpos(_ c: Client) {
        let bitArg: Int64
        do { bitArg = try c.intArg(2) } catch {
            c.fail(error)
            return
        }
        if bitArg != 0 && bitArg != 1 {
            c.fail(.bitArgument)
            return
        }
        let bit = bitArg == 1
        guard let e = c.readKey(1) else {
            // A missing key is an endless run of zeros.
            c.reply.integer(bit ? -1 : 0)
            return
        }
        guard e.type == .string else {
            c.fail(.wrongType)
            return
        }
        let s = e.string
        var start: Int64 = 0, end = Int64(s.count) - 1
        var firstMask: UInt8 = 0, lastMask: UInt8 = 0
        var endGiven = false
        if c.argc >= 4 && c.argc <= 6 {
            do {
                let a = try c.intArg(3)
                let isBit = c.argc == 6 ? try unitIsBit(c, 5) : false
                var b = Int64(s.count) - 1
                if c.argc >= 5 {
                    b = try c.intArg(4)
                    endGiven = true
                }
                (start, end, firstMask, lastMask) = clampRange(a, b, byteLength: s.count, isBit: isBit)
            } catch {
                c.fail(error)
                return
            }
        } else if c.argc != 3 {
            c.fail(.syntax)
            return
        }
        if start > end {
            c.reply.integer(-1)
            return
        }
        let p = s.baseAddress!
        var bytes = end - start + 1
        var pos: Int64
        search: do {
            if firstMask != 0 {
                // Force the bits before the range to the value not searched for.
                var b = bit ? p[Int(start)] & ~firstMask : p[Int(start)] | firstMask
                if lastMask != 0 && bytes == 1 { b = bit ? b & ~lastMask : b | lastMask }
                pos = withUnsafePointer(to: b) { firstBit($0, 1, bit) }
                if bytes == 1 || (pos != -1 && pos != 8) { break search }
                start += 1
                bytes -= 1
            }
            let middle = bytes - (lastMask != 0 ? 1 : 0)
            if middle > 0 {
                pos = firstBit(p + Int(start), Int(middle), bit)
                if bytes == middle || (pos != -1 && pos != middle << 3) { break search }
                start += middle
                bytes -= middle
            }
            let b = bit ? p[Int(end)] & ~lastMask : p[Int(end)] | lastMask
            pos = withUnsafePointer(to: b) { firstBit($0, 1, bit) }
        }
        // With an explicit end, running off the range looking for a 0 is a miss,
        // not a hit on the implicit zero padding.
        if endGiven && !bit && pos == bytes << 3 {
            c.reply.integer(-1)
            return
        }
        if pos != -1 { pos += start << 3 }
        c.reply.integer(pos)
    }

    // MARK: BITOP

    enum BitOp { case and, or, xor, not }

    static func bitop(_ c: Client) {
        let name = c.arg(1)
        let op: BitOp
        if name.equalsIgnoringCase("AND") { op = .and }
        else if name.equalsIgnoringCase("OR") { op = .or }
        else if name.equalsIgnoringCase("XOR") { op = .xor }
        else if name.equalsIgnoringCase("NOT") { op = .not }
        else {
            c.fail(.syntax)
            return
        }
        if op == .not && c.argc != 4 {
            c.fail(.bitopNotArity)
            return
        }
        var sources: [Bytes] = []
        sources.reserveCapacity(c.argc - 3)
        var maxLength = 0
        for j in 3..<c.argc {
            guard let e = c.readKey(j) else {
                sources.append(Bytes(start: nil, count: 0))
                continue
            }
            guard e.type == .string else {
                c.fail(.wrongType)
                return
            }
            sources.append(e.string)
            maxLength = max(maxLength, e.valueLength)
        }
        let dest = c.key(2)
        let db = c.db
        if maxLength == 0 {
            if db.delete(dest) { c.modified(dest, .generic, "del") }
            c.reply.integer(0)
            return
        }
        // Build the result in a fresh entry first: the destination may be a source.
        let result = Entry.allocate(key: dest.bytes, type: .string, payload: maxLength)
        result.flags = Entry.flagRawString
        let out = UnsafeMutableRawPointer(result.mutableString.baseAddress!)
        let first = sources[0]
        if first.count > 0 { out.copyMemory(from: first.baseAddress!, byteCount: first.count) }
        if first.count < maxLength { memset(out + first.count, 0, maxLength - first.count) }
        if op == .not {
            combine(out, nil, maxLength) { a, _ in ~a }
        }
        for src in sources.dropFirst() {
            let n = src.count
            let sp = src.baseAddress.map { UnsafeRawPointer($0) }
            switch op {
            case .and:
                if n > 0 { combine(out, sp, n) { $0 & $1 } }
                if n < maxLength { memset(out + n, 0, maxLength - n) }
            case .or:
                if n > 0 { combine(out, sp, n) { $0 | $1 } }
            case .xor:
                if n > 0 { combine(out, sp, n) { $0 ^ $1 } }
            case .not:
                break
            }
        }
        let existed: Bool
        if let old = db.detach(dest) {
            old.free()
            existed = true
        } else {
            existed = false
        }
        db.insert(result, as: dest)
        if !existed { c.notify(.newKey, "new", dest.bytes) }
        c.modified(dest, .string, "set")
        c.reply.integer(maxLength)
    }

    /// `out[i] = f(out[i], src[i])` for `n` bytes, a word at a time.
    @inline(__always)
    static func combine(_ out: UnsafeMutableRawPointer, _ src: UnsafeRawPointer?, _ n: Int,
                        _ f: (UInt64, UInt64) -> UInt64) {
        var i = 0
        while i + 8 <= n {
            let a = out.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let b = src?.loadUnaligned(fromByteOffset: i, as: UInt64.self) ?? 0
            out.storeBytes(of: f(a, b), toByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < n {
            let a = UInt64(out.load(fromByteOffset: i, as: UInt8.self))
            let b = UInt64(src?.load(fromByteOffset: i, as: UInt8.self) ?? 0)
            out.storeBytes(of: UInt8(truncatingIfNeeded: f(a, b)), toByteOffset: i, as: UInt8.self)
            i += 1
        }
    }

    // MARK: BITFIELD

    enum Overflow { case wrap, sat, fail }

    struct FieldOp {
        enum Kind { case get, set, incrby }
        var kind: Kind
        var offset: UInt64
        var value: Int64
        var bits: Int
        var signed: Bool
        var overflow: Overflow
    }

    /// Parses `i<bits>` (1...64) or `u<bits>` (1...63).
    static func fieldType(_ a: Bytes) throws(CommandError) -> (signed: Bool, bits: Int) {
        guard a.count > 0, a[0] == 105 || a[0] == 117 else { throw .bitfieldType }
        let signed = a[0] == 105
        // The width ends at the first NUL, as in a C string.
        var n = 1
        while n < a.count && a[n] != 0 { n += 1 }
        guard let bits = Numbers.parseInt64(Bytes(rebasing: a[1..<n])), bits >= 1, bits <= (signed ? 64 : 63) else {
            throw .bitfieldType
        }
        return (signed, Int(bits))
    }

    static func bitfield(_ c: Client) { bitfieldGeneric(c, readOnlyCommand: false) }

    /// BITFIELD only reads its key when every operation is a well-formed GET
    /// (OVERFLOW aside); anything else, malformed included, may write.
    static func bitfieldKeyFlags(_ args: [[UInt8]]) -> [String] {
        func lower(_ a: [UInt8]) -> String { String(decoding: a, as: UTF8.self).lowercased() }
        var i = 2
        while i < args.count {
            let remaining = args.count - i - 1
            switch lower(args[i]) {
            case "get" where remaining >= 2: i += 3
            case "overflow" where remaining >= 1: i += 2
            default: return ["RW", "access", "update"]
            }
        }
        return ["RO", "access"]
    }
    static func bitfieldReadOnly(_ c: Client) { bitfieldGeneric(c, readOnlyCommand: true) }

    static func bitfieldGeneric(_ c: Client, readOnlyCommand: Bool) {
        var ops: [FieldOp] = []
        var overflow = Overflow.wrap
        var writes = false
        var highestBit: UInt64 = 0
        var j = 2
        do throws(CommandError) {
            while j < c.argc {
                let remaining = c.argc - j - 1
                let sub = c.arg(j)
                let kind: FieldOp.Kind
                if sub.equalsIgnoringCase("GET") && remaining >= 2 {
                    kind = .get
                } else if sub.equalsIgnoringCase("SET") && remaining >= 3 {
                    kind = .set
                } else if sub.equalsIgnoringCase("INCRBY") && remaining >= 3 {
                    kind = .incrby
                } else if sub.equalsIgnoringCase("OVERFLOW") && remaining >= 1 {
                    let t = c.arg(j + 1)
                    if t.equalsIgnoringCase("WRAP") { overflow = .wrap }
                    else if t.equalsIgnoringCase("SAT") { overflow = .sat }
                    else if t.equalsIgnoringCase("FAIL") { overflow = .fail }
                    else { throw CommandError.bitfieldOverflowType }
                    j += 2
                    continue
                } else {
                    throw CommandError.syntax
                }
                let (signed, bits) = try fieldType(c.arg(j + 1))
                let offset = try bitOffset(c, j + 2, multiplier: bits)
                var value: Int64 = 0
                if kind != .get {
                    writes = true
                    highestBit = max(highestBit, offset + UInt64(bits) - 1)
                    value = try c.intArg(j + 3)
                }
                ops.append(FieldOp(kind: kind, offset: offset, value: value, bits: bits, signed: signed, overflow: overflow))
                j += kind == .get ? 3 : 4
            }
        } catch {
            c.fail(error)
            return
        }
        let key = c.key(1)
        let db = c.db
        var entry: Entry?
        var grew = false
        if !writes {
            entry = c.readKey(1)
            if let e = entry, e.type != .string {
                c.fail(.wrongType)
                return
            }
        } else {
            if readOnlyCommand {
                c.fail(.bitfieldReadOnly)
                return
            }
            let length = Int(highestBit >> 3) + 1
            if let found = db.lookup(key) {
                guard found.type == .string else {
                    c.fail(.wrongType)
                    return
                }
                let before = found.valueLength
                entry = StringCommands.unshare(db, found, key, atLeast: length)
                grew = entry!.valueLength != before
            } else {
                entry = StringCommands.createZeroed(c, db, key, length: length)
                grew = true
            }
        }
        c.reply.arrayHeader(ops.count)
        var changes = 0
        for op in ops {
            if op.kind == .get {
                // Read through a zero-padded copy so fields may run past the end.
                var window: (UInt64, UInt64) = (0, 0)
                let byte = op.offset >> 3
                withUnsafeMutableBytes(of: &window) { w in
                    let buf = w.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    if let e = entry {
                        let s = e.string
                        var i = 0
                        while i < 9 && byte + UInt64(i) < UInt64(s.count) {
                            buf[i] = s[Int(byte) + i]
                            i += 1
                        }
                    }
                    let rel = op.offset - byte * 8
                    if op.signed {
                        c.reply.integer(getSigned(buf, rel, op.bits))
                    } else {
                        c.reply.integer(Int64(bitPattern: getUnsigned(buf, rel, op.bits)))
                    }
                }
                continue
            }
            let p = entry!.mutableString.baseAddress!
            if op.signed {
                let old = getSigned(p, op.offset, op.bits)
                var new: Int64
                let result: Int64
                let (over, limit): (Int, Int64)
                if op.kind == .incrby {
                    (over, limit) = signedOverflow(old, op.value, op.bits, op.overflow)
                    new = over != 0 ? limit : old &+ op.value
                    result = new
                } else {
                    new = op.value
                    (over, limit) = signedOverflow(new, 0, op.bits, op.overflow)
                    if over != 0 { new = limit }
                    result = old
                }
                if over != 0 && op.overflow == .fail {
                    c.reply.nullBulk()
                } else {
                    c.reply.integer(result)
                    setUnsigned(p, op.offset, op.bits, UInt64(bitPattern: new))
                    if grew || old != new { changes += 1 }
                }
            } else {
                let old = getUnsigned(p, op.offset, op.bits)
                var new: UInt64
                let result: UInt64
                let (over, limit): (Int, UInt64)
                if op.kind == .incrby {
                    new = old &+ UInt64(bitPattern: op.value)
                    (over, limit) = unsignedOverflow(old, op.value, op.bits, op.overflow)
                    if over != 0 { new = limit }
                    result = new
                } else {
                    new = UInt64(bitPattern: op.value)
                    (over, limit) = unsignedOverflow(new, 0, op.bits, op.overflow)
                    if over != 0 { new = limit }
                    result = old
                }
                if over != 0 && op.overflow == .fail {
                    c.reply.nullBulk()
                } else {
                    c.reply.integer(Int64(bitPattern: result))
                    setUnsigned(p, op.offset, op.bits, new)
                    if grew || old != new { changes += 1 }
                }
            }
        }
        if changes > 0 { c.modified(key, .string, "setbit", changes: changes) }
    }

    /// Whether `value + incr` leaves the unsigned `bits`-wide range: 1 above,
    /// -1 below, 0 inside; with the value to store instead under WRAP or SAT.
    static func unsignedOverflow(_ value: UInt64, _ incr: Int64, _ bits: Int, _ mode: Overflow) -> (Int, UInt64) {
        let max: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
        let maxIncr = Int64(bitPattern: max &- value)
        let minIncr = Int64(bitPattern: 0 &- value)
        let wrapped = (value &+ UInt64(bitPattern: incr)) & max
        if value > max || (incr > 0 && incr > maxIncr) {
            return (1, mode == .wrap ? wrapped : max)
        }
        if incr < 0 && incr < minIncr {
            return (-1, mode == .wrap ? wrapped : 0)
        }
        return (0, 0)
    }

    /// The signed counterpart of `unsignedOverflow`.
    static func signedOverflow(_ value: Int64, _ incr: Int64, _ bits: Int, _ mode: Overflow) -> (Int, Int64) {
        let max: Int64 = bits == 64 ? .max : (Int64(1) << (bits - 1)) - 1
        let min = -max - 1
        let maxIncr = Int64(bitPattern: UInt64(bitPattern: max) &- UInt64(bitPattern: value))
        let minIncr = min &- value
        var sum = UInt64(bitPattern: value) &+ UInt64(bitPattern: incr)
        if bits < 64 {
            // Sign-extend from the field's top bit.
            let mask = UInt64.max << UInt64(bits)
            if sum & (UInt64(1) << UInt64(bits - 1)) != 0 { sum |= mask } else { sum &= ~mask }
        }
        let wrapped = Int64(bitPattern: sum)
        if value > max || (bits != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr) {
            return (1, mode == .wrap ? wrapped : max)
        }
        if value < min || (bits != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr) {
            return (-1, mode == .wrap ? wrapped : min)
        }
        return (0, 0)
    }
}

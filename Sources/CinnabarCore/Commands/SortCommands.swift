import CSystem
import Glibc

/// SORT and SORT_RO.
public enum SortCommands {
    /// The family's command table rows.
    public static var all: [CommandSpec] {
        let complexity = "O(N+M*log(M)): N elements in the list or set, M returned; O(N) when nothing is sorted."
        let sourceSpec = CommandKeySpec(flags: ["RO", "access"], .index(1), .range(lastKey: 0, step: 1, limit: 0))
        let patternSpec = CommandKeySpec(
            flags: ["RO", "access"], .unknown, .unknown,
            notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort")
        let storeSpec = CommandKeySpec(
            flags: ["OW", "update"], .unknown, .unknown,
            notes: "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array")
        return [
            CommandSpec("sort", arity: -2, flags: [.write, .denyoom], keys: .range(first: 1, last: 1, step: 1),
                        keyFinder: { keyLocations($0, readonly: false) }, group: .generic, since: "1.0.0",
                        complexity: complexity,
                        summary: "Sorts the elements of a list, set or sorted set, optionally storing the result.",
                        keySpecs: [sourceSpec, patternSpec, storeSpec], acl: ["set", "sortedset", "list", "dangerous", "-keyspace"],
                        handler: { sort($0, readonly: false) }),
            CommandSpec("sort_ro", arity: -2, flags: [.readonly], keys: .range(first: 1, last: 1, step: 1),
                        keyFinder: { keyLocations($0, readonly: true) }, group: .generic, since: "7.0.0",
                        complexity: complexity, summary: "Sorts the elements of a list, set or sorted set (read-only variant).",
                        keySpecs: [sourceSpec, patternSpec], acl: ["set", "sortedset", "list", "dangerous", "-keyspace"],
                        handler: { sort($0, readonly: true) }),
        ]
    }

    /// The bytes of `b` before its first NUL: Redis reads patterns as C strings.
    @inline(__always)
    static func cString(_ b: Bytes) -> Bytes {
        if let nul = b.firstIndex(of: 0) { return Bytes(rebasing: b[..<nul]) }
        return b
    }

    /// True when a BY or GET pattern reads other keys (it holds a `*`; `#` does not).
    static func patternReadsKeys(_ p: Bytes) -> Bool {
        let s = cString(p)
        if s.count == 1 && s[0] == 35 { return false }
        return s.contains(42)
    }

    /// The source key and the last STORE key (found as Redis's sortGetKeys
    /// does); everything when a BY or GET pattern may read any key.
    static func keyLocations(_ c: Client, readonly: Bool) -> KeyLocations {
        keyLocations(c, readonly: readonly, patterns: true)
    }

    /// The source and STORE keys only, BY/GET patterns aside (what ACL checks).
    static func declaredKeys(_ c: Client, readonly: Bool) -> [Int] {
        if case .positions(let p) = keyLocations(c, readonly: readonly, patterns: false) { return p }
        return [1]
    }

    private static func keyLocations(_ c: Client, readonly: Bool, patterns: Bool) -> KeyLocations {
        var positions = [1]
        var store = -1
        var i = 2
        while i < c.argc {
            let a = c.arg(i)
            if a.equalsIgnoringCase("by") || a.equalsIgnoringCase("get") {
                if patterns && i + 1 < c.argc && patternReadsKeys(c.arg(i + 1)) { return .everything }
                i += 1
            } else if a.equalsIgnoringCase("limit") {
                i += 2
            } else if !readonly && a.equalsIgnoringCase("store") && i + 1 < c.argc {
                store = i + 1
            }
            i += 1
        }
        if store >= 0 { positions.append(store) }
        return .positions(positions)
    }

    /// Looks a key up for SORT's patterns as Redis's lookupKeyRead does
    /// (hit/miss statistics, `keymiss`, lazy expiry).
    static func readLookup(_ c: Client, _ key: Bytes) -> Entry? {
        KeyCommands.readLookup(c, Key(key))
    }

    /// Redis's lookupKeyByPattern: `#` is the element itself; otherwise the
    /// first `*` is replaced by the element, and a `->field` suffix reads a
    /// hash field. Calls `body` with the value, or nil (no `*`, missing key,
    /// wrong type, missing field).
    static func withPatternValue<R>(_ c: Client, _ pattern: Bytes, _ element: Bytes, _ body: (Bytes?) -> R) -> R {
        let p = cString(pattern)
        if p.count == 1 && p[0] == 35 { return body(element) }
        guard let star = p.firstIndex(of: 42) else { return body(nil) }
        var fieldStart = -1
        var k = star + 1
        while k + 1 < p.count {
            if p[k] == 45 && p[k + 1] == 62 {
                if k + 2 < p.count { fieldStart = k + 2 }
                break
            }
            k += 1
        }
        var name: [UInt8] = []
        name.reserveCapacity(pattern.count + element.count)
        name.append(contentsOf: pattern[0..<star])
        name.append(contentsOf: element)
        let postfixEnd = fieldStart >= 0 ? fieldStart - 2 : pattern.count
        if star + 1 < postfixEnd { name.append(contentsOf: pattern[(star + 1)..<postfixEnd]) }
        return name.withBytes { keyBytes -> R in
            guard let e = readLookup(c, keyBytes) else { return body(nil) }
            if fieldStart >= 0 {
                guard e.type == .hash else { return body(nil) }
                return body(e.object(as: HashValue.self).get(Bytes(rebasing: pattern[fieldStart...])))
            }
            guard e.type == .string else { return body(nil) }
            return body(e.string)
        }
    }

    /// Redis's SORT numeric weight: `strtod` over the whole value (leading
    /// blanks, hex, `inf` allowed); nil for trailing text, overflow, underflow or NaN.
    static func parseWeight(_ b: Bytes) -> Double? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: b.count + 1) { buf in
            for i in 0..<b.count { buf[i] = CChar(bitPattern: b[i]) }
            buf[b.count] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            let v = strtod(buf.baseAddress!, &end)
            guard let end, end.pointee == 0, errno != ERANGE, !v.isNaN else { return nil }
            return v
        }
    }

    /// Orders as C's strcmp (what strcoll does in the C and C.UTF-8 locales): up to the first NUL.
    static func collate(_ a: Bytes, _ b: Bytes) -> Int {
        let x = cString(a), y = cString(b)
        return compareMembers(rawBase(x), x.count, rawBase(y), y.count)
    }

    /// Elements to sort, copied into one buffer.
    struct Elements {
        var bytes: [UInt8] = []
        var ends: [Int] = []

        var count: Int { ends.count }

        mutating func append(_ b: Bytes) {
            bytes.append(contentsOf: b)
            ends.append(bytes.count)
        }

        func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : ends[i - 1])..<ends[i] }
    }

    static func sort(_ c: Client, readonly: Bool) {
        var desc = false
        var alpha = false
        var limitStart = 0
        var limitCount = -1
        var storeIndex = -1
        var byIndex = -1
        var dontSort = false
        var gets: [Int] = []
        var j = 2
        while j < c.argc {
            let a = c.arg(j)
            let left = c.argc - j - 1
            if a.equalsIgnoringCase("asc") {
                desc = false
            } else if a.equalsIgnoringCase("desc") {
                desc = true
            } else if a.equalsIgnoringCase("alpha") {
                alpha = true
            } else if a.equalsIgnoringCase("limit") && left >= 2 {
                guard let s = SortedSetCommands.longArg(c, j + 1), let n = SortedSetCommands.longArg(c, j + 2) else { return }
                limitStart = s
                limitCount = n
                j += 2
            } else if !readonly && a.equalsIgnoringCase("store") && left >= 1 {
                storeIndex = j + 1
                j += 1
            } else if a.equalsIgnoringCase("by") && left >= 1 {
                byIndex = j + 1
                // A pattern without `*` names no key: nothing to sort by.
                if !cString(c.arg(j + 1)).contains(42) {
                    dontSort = true
                } else if !c.server.acl.hasUnrestrictedReadAccess(c) {
                    c.fail(.custom("ERR BY option of SORT denied due to insufficient ACL permissions."))
                    return
                }
                j += 1
            } else if a.equalsIgnoringCase("get") && left >= 1 {
                if !c.server.acl.hasUnrestrictedReadAccess(c) {
                    c.fail(.custom("ERR GET option of SORT denied due to insufficient ACL permissions."))
                    return
                }
                gets.append(j + 1)
                j += 1
            } else {
                c.fail(.syntax)
                return
            }
            j += 1
        }

        var source: StoredObject?
        var sourceType = ValueType.list
        if let e = c.readKey(1) {
            switch e.type {
            case .list, .set, .zset:
                source = e.object
                sourceType = e.type
            default:
                c.fail(.wrongType)
                return
            }
        }
        // Unordered sets are sorted when the result must be deterministic (STORE, scripts).
        if dontSort && sourceType == .set && (storeIndex >= 0 || c.flags.contains(.script)) {
            dontSort = false
            alpha = true
            byIndex = -1
        }
        // Redis turns a listpack sorted set into a skip list for SORT, even SORT_RO.
        (source as? ZSetValue)?.convertToSkiplist()

        let total = source?.elementCount ?? 0
        var vectorLength = total
        var start = min(max(limitStart, 0), vectorLength)
        limitCount = min(max(limitCount, -1), vectorLength)
        var end = limitCount < 0 ? vectorLength - 1 : start + limitCount - 1
        if start >= vectorLength {
            start = vectorLength - 1
            end = vectorLength - 2
        }
        if end >= vectorLength { end = vectorLength - 1 }
        if (sourceType == .zset || sourceType == .list) && dontSort && (start != 0 || end != vectorLength - 1) {
            vectorLength = end - start + 1
        }

        var elements = Elements()
        elements.ends.reserveCapacity(max(vectorLength, 0))
        if let list = source as? ListValue {
            if dontSort {
                if end >= start && vectorLength > 0 {
                    list.forEach(from: desc ? total - start - 1 : start, count: vectorLength, reverse: desc) { elements.append($0) }
                    end -= start
                    start = 0
                }
            } else {
                list.forEach(from: 0, count: total) { elements.append($0) }
            }
        } else if let z = source as? ZSetValue {
            if dontSort {
                if vectorLength > 0 {
                    var cur = z.cursor(rank: desc ? total - 1 - start : start)
                    for _ in 0..<vectorLength {
                        elements.append(z.member(cur))
                        cur = desc ? z.previous(cur) : z.next(cur)
                    }
                }
                end -= start
                start = 0
            } else {
                z.forEach { m, _ in elements.append(m) }
            }
        } else if let s = source as? SetValue {
            s.forEach { elements.append($0) }
        }

        var conversionError = false
        var order = Array(0..<elements.count)
        elements.bytes.withBytes { all in
            @inline(__always) func element(_ i: Int) -> Bytes { Bytes(rebasing: all[elements.range(i)]) }
            if !dontSort {
                let sortBy = byIndex >= 0 ? c.arg(byIndex) : nil
                var scores = [Double](repeating: 0, count: elements.count)
                var keys: [[UInt8]?] = alpha && sortBy != nil ? Array(repeating: nil, count: elements.count) : []
                for i in 0..<elements.count {
                    let weigh = { (value: Bytes?) in
                        guard let value else { return }
                        if alpha {
                            if sortBy != nil { keys[i] = Array(value) }
                        } else if let w = parseWeight(value) {
                            scores[i] = w
                        } else {
                            conversionError = true
                        }
                    }
                    if let sortBy {
                        withPatternValue(c, sortBy, element(i), weigh)
                    } else {
                        weigh(element(i))
                    }
                }
                let binary = storeIndex >= 0
                func compare(_ a: Int, _ b: Int) -> Int {
                    var r: Int
                    if !alpha {
                        if scores[a] > scores[b] {
                            r = 1
                        } else if scores[a] < scores[b] {
                            r = -1
                        } else {
                            let x = element(a), y = element(b)
                            r = compareMembers(rawBase(x), x.count, rawBase(y), y.count)
                        }
                    } else if sortBy != nil {
                        switch (keys[a], keys[b]) {
                        case (nil, nil): r = 0
                        case (nil, _): r = -1
                        case (_, nil): r = 1
                        case (let x?, let y?):
                            r = x.withBytes { xb in y.withBytes { yb in
                                binary ? compareMembers(rawBase(xb), xb.count, rawBase(yb), yb.count) : collate(xb, yb)
                            } }
                        }
                    } else {
                        let x = element(a), y = element(b)
                        r = binary ? compareMembers(rawBase(x), x.count, rawBase(y), y.count) : collate(x, y)
                    }
                    return desc ? -r : r
                }
                // Equal elements keep their order, as Redis's merge-based qsort does.
                order.sort { a, b in
                    let r = compare(a, b)
                    return r != 0 ? r < 0 : a < b
                }
            }

            let span = end - start + 1
            let outputLength = gets.isEmpty ? max(span, 0) : gets.count * max(span, 0)
            if conversionError {
                c.fail(.sortScoreNotDouble)
                return
            }
            if storeIndex < 0 {
                c.reply.arrayHeader(outputLength)
                for k in stride(from: start, through: end, by: 1) {
                    let el = element(order[k])
                    if gets.isEmpty { c.reply.bulk(el) }
                    for g in gets {
                        withPatternValue(c, c.arg(g), el) { v in
                            if let v { c.reply.bulk(v) } else { c.reply.nullBulk() }
                        }
                    }
                }
                return
            }
            let result = ListValue(fill: c.context.config.listMaxListpackSize)
            let empty: [UInt8] = []
            for k in stride(from: start, through: end, by: 1) {
                let el = element(order[k])
                if gets.isEmpty {
                    result.pushBack(el)
                } else {
                    for g in gets {
                        withPatternValue(c, c.arg(g), el) { v in
                            if let v { result.pushBack(v) } else { empty.withBytes { result.pushBack($0) } }
                        }
                    }
                }
            }
            let dst = c.key(storeIndex)
            if outputLength > 0 {
                let db = c.db
                let existed = db.lookup(dst) != nil
                db.setObject(dst, result)
                if !existed { c.notify(.newKey, "new", dst.bytes) }
                c.touched(dst, changes: outputLength)
                c.notify(.list, "sortstore", dst.bytes)
            } else if c.db.delete(dst) {
                c.touched(dst)
                c.notify(.generic, "del", dst.bytes)
            }
            c.reply.integer(outputLength)
        }
    }
}

/// List commands (Redis's `list` group), blocking pops included.
public enum ListCommands {
    static let pushComplexity = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."
    static let mpopComplexity = "O(N+M) where N is the number of provided keys and M is the number of elements returned."

    public static var all: [CommandSpec] {
        ListValue.rdbRegistration
        let one = KeySpec.range(first: 1, last: 1, step: 1)
        let two = KeySpec.range(first: 1, last: 2, step: 1)
        func spec(_ flags: [String], _ begin: Int = 1, last: Int = 0) -> CommandKeySpec {
            CommandKeySpec(flags: flags, .index(begin), .range(lastKey: last, step: 1, limit: 0))
        }
        let insert = [spec(["RW", "insert"])]
        let popSpec = [spec(["RW", "access", "delete"])]
        let moveSpecs = [spec(["RW", "access", "delete"]), spec(["RW", "insert"], 2)]
        let popFlags = ["RW", "access", "delete"]
        return [
            CommandSpec("lpush", arity: -3, flags: [.write, .denyoom, .fast], keys: one, group: .list, since: "1.0.0",
                        complexity: pushComplexity, summary: "Adds elements at the head of a list, creating it if needed.",
                        keySpecs: insert, handler: lpush),
            CommandSpec("rpush", arity: -3, flags: [.write, .denyoom, .fast], keys: one, group: .list, since: "1.0.0",
                        complexity: pushComplexity, summary: "Adds elements at the tail of a list, creating it if needed.",
                        keySpecs: insert, handler: rpush),
            CommandSpec("lpushx", arity: -3, flags: [.write, .denyoom, .fast], keys: one, group: .list, since: "2.2.0",
                        complexity: pushComplexity, summary: "Adds elements at the head of a list that already exists.",
                        keySpecs: insert, handler: lpushx),
            CommandSpec("rpushx", arity: -3, flags: [.write, .denyoom, .fast], keys: one, group: .list, since: "2.2.0",
                        complexity: pushComplexity, summary: "Adds elements at the tail of a list that already exists.",
                        keySpecs: insert, handler: rpushx),
            CommandSpec("lpop", arity: -2, flags: [.write, .fast], keys: one, group: .list, since: "1.0.0",
                        complexity: "O(N) where N is the number of elements returned",
                        summary: "Removes and returns elements from the head of a list.", keySpecs: popSpec, handler: lpop),
            CommandSpec("rpop", arity: -2, flags: [.write, .fast], keys: one, group: .list, since: "1.0.0",
                        complexity: "O(N) where N is the number of elements returned",
                        summary: "Removes and returns elements from the tail of a list.", keySpecs: popSpec, handler: rpop),
            CommandSpec("llen", arity: 2, flags: [.readonly, .fast], keys: one, group: .list, since: "1.0.0",
                        summary: "Returns the number of elements of a list.", keySpecs: [spec(["RO"])], handler: llen),
            CommandSpec("lrange", arity: 4, flags: [.readonly], keys: one, group: .list, since: "1.0.0",
                        complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
                        summary: "Returns the elements of a list between two indexes.", keySpecs: [spec(["RO", "access"])],
                        handler: lrange),
            CommandSpec("lindex", arity: 3, flags: [.readonly], keys: one, group: .list, since: "1.0.0",
                        complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
                        summary: "Returns the element of a list at an index.", keySpecs: [spec(["RO", "access"])], handler: lindex),
            CommandSpec("lset", arity: 4, flags: [.write, .denyoom], keys: one, group: .list, since: "1.0.0",
                        complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
                        summary: "Replaces the element of a list at an index.", keySpecs: [spec(["RW", "update"])], handler: lset),
            CommandSpec("linsert", arity: 5, flags: [.write, .denyoom], keys: one, group: .list, since: "2.2.0",
                        complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
                        summary: "Inserts an element before or after the first occurrence of another one.", keySpecs: insert,
                        handler: linsert),
            CommandSpec("lrem", arity: 4, flags: [.write], keys: one, group: .list, since: "1.0.0",
                        complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
                        summary: "Removes occurrences of an element from a list.", keySpecs: [spec(["RW", "delete"])], handler: lrem),
            CommandSpec("ltrim", arity: 4, flags: [.write], keys: one, group: .list, since: "1.0.0",
                        complexity: "O(N) where N is the number of elements to be removed by the operation.",
                        summary: "Keeps only the elements of a list between two indexes.", keySpecs: [spec(["RW", "delete"])],
                        handler: ltrim),
            CommandSpec("lpos", arity: -3, flags: [.readonly], keys: one, group: .list, since: "6.0.6",
                        complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
                        summary: "Returns the indexes of elements of a list equal to a value.", keySpecs: [spec(["RO", "access"])],
                        handler: lpos),
            CommandSpec("lmove", arity: 5, flags: [.write, .denyoom], keys: two, group: .list, since: "6.2.0",
                        summary: "Moves an element from one end of a list to one end of another list.", keySpecs: moveSpecs,
                        handler: lmove),
            CommandSpec("rpoplpush", arity: 3, flags: [.write, .denyoom], keys: two, group: .list, since: "1.2.0",
                        summary: "Moves the last element of a list to the head of another list.",
                        replacedBy: "`LMOVE` with the `RIGHT` and `LEFT` arguments", deprecatedSince: "6.2.0",
                        keySpecs: moveSpecs, handler: rpoplpush),
            CommandSpec("lmpop", arity: -4, flags: [.write], keyFinder: mpopKeys(numkeysAt: 1), group: .list, since: "7.0.0",
                        complexity: mpopComplexity, summary: "Removes and returns elements from the first non-empty list of several.",
                        keySpecs: [CommandKeySpec(flags: popFlags, .index(1), .keynum(numKeysIndex: 0, firstKey: 1, step: 1))],
                        handler: lmpop),
            CommandSpec("blpop", arity: -3, flags: [.write, .noscript, .blocking], keys: .range(first: 1, last: -2, step: 1),
                        group: .list, since: "2.0.0", complexity: "O(N) where N is the number of provided keys.",
                        summary: "Removes and returns the first element of the first non-empty list, or waits for one.",
                        keySpecs: [spec(popFlags, last: -2)], handler: blpop),
            CommandSpec("brpop", arity: -3, flags: [.write, .noscript, .blocking], keys: .range(first: 1, last: -2, step: 1),
                        group: .list, since: "2.0.0", complexity: "O(N) where N is the number of provided keys.",
                        summary: "Removes and returns the last element of the first non-empty list, or waits for one.",
                        keySpecs: [spec(popFlags, last: -2)], handler: brpop),
            CommandSpec("blmove", arity: 6, flags: [.write, .denyoom, .noscript, .blocking], keys: two, group: .list,
                        since: "6.2.0", summary: "Moves an element from one list to another, waiting for the source to have one.",
                        keySpecs: moveSpecs, handler: blmove),
            CommandSpec("brpoplpush", arity: 4, flags: [.write, .denyoom, .noscript, .blocking], keys: two, group: .list,
                        since: "2.2.0", summary: "Moves the last element of a list to the head of another, waiting for one.",
                        replacedBy: "`BLMOVE` with the `RIGHT` and `LEFT` arguments", deprecatedSince: "6.2.0",
                        keySpecs: moveSpecs, handler: brpoplpush),
            CommandSpec("blmpop", arity: -5, flags: [.write, .blocking], keyFinder: mpopKeys(numkeysAt: 2), group: .list,
                        since: "7.0.0", complexity: mpopComplexity,
                        summary: "Removes and returns elements from the first non-empty list of several, or waits for one.",
                        keySpecs: [CommandKeySpec(flags: popFlags, .index(2), .keynum(numKeysIndex: 0, firstKey: 1, step: 1))],
                        handler: blmpop),
        ]
    }

    /// Keys of LMPOP/BLMPOP: the `numkeys` arguments after index `at`, as far
    /// as they go (a bad count locks nothing; the handler rejects it).
    static func mpopKeys(numkeysAt at: Int) -> KeyFinder {
        { c in
            guard at < c.argc, let n = Numbers.parseInt64(c.arg(at)), n > 0 else { return .positions([]) }
            let first = at + 1
            let last = first + Int(min(n, Int64(c.argc - first))) - 1
            return last >= first ? .positions(Array(first...last)) : .positions([])
        }
    }

    static let lpopName: [UInt8] = Array("LPOP".utf8)
    static let rpopName: [UInt8] = Array("RPOP".utf8)
    /// How Redis spells the ends when it logs a served BLMOVE.
    static let leftWord: [UInt8] = Array("left".utf8)
    static let rightWord: [UInt8] = Array("right".utf8)

    // MARK: shared pieces

    /// The list at `key`, looked up for writing; nil with nothing sent when
    /// the key is absent, nil after a WRONGTYPE reply when it holds another type.
    @inline(__always)
    static func writableList<W: KeyspaceWriter>(_ w: W, _ key: Key, failed: inout Bool) -> ListValue? {
        guard let e = w.db.lookup(key) else { return nil }
        guard e.type == .list else {
            w.fail(.wrongType)
            failed = true
            return nil
        }
        return e.object(as: ListValue.self)
    }

    /// A new empty list stored under `key` (absent), announced with `new`.
    static func createList<W: KeyspaceWriter>(_ w: W, _ key: Key) -> ListValue {
        let list = ListValue(fill: w.activeConfig.listMaxListpackSize)
        w.db.setObject(key, list)
        w.notify(.newKey, "new", key.bytes)
        return list
    }

    /// Bookkeeping after popping `n` elements from one end (Redis's
    /// listElementsRemoved): the pop event, deletion of an emptied list, the
    /// modification signal and `n` changes.
    static func elementsRemoved<W: KeyspaceWriter>(_ w: W, _ key: Key, _ list: ListValue, front: Bool, _ n: Int) {
        w.notify(.list, front ? "lpop" : "rpop", key.bytes)
        if list.count == 0 {
            w.db.delete(key)
            w.notify(.generic, "del", key.bytes)
        }
        w.touched(key, changes: n)
    }

    /// Deletes an emptied list, announcing `del`.
    static func deleteIfEmpty<W: KeyspaceWriter>(_ w: W, _ key: Key, _ list: ListValue) {
        if list.count == 0 {
            w.db.delete(key)
            w.notify(.generic, "del", key.bytes)
        }
    }

    /// Replies with `n` elements taken from one end, in popping order.
    static func replyEnd(_ reply: ReplyBuffer, _ list: ListValue, front: Bool, _ n: Int) {
        reply.arrayHeader(n)
        list.forEach(from: front ? 0 : list.count - 1, count: n, reverse: !front) { reply.bulk($0) }
    }

    /// Pops up to `count` elements from one end and replies `[key, [elements]]`
    /// (LMPOP and BLMPOP); returns how many were popped.
    @discardableResult
    static func popWithKey<W: KeyspaceWriter>(_ w: W, _ key: Key, _ list: ListValue, front: Bool, count: Int64) -> Int {
        let n = Int(min(count, Int64(list.count)))
        w.reply.arrayHeader(2)
        w.reply.bulk(key.bytes)
        replyEnd(w.reply, list, front: front, n)
        list.remove(n, front: front)
        elementsRemoved(w, key, list, front: front, n)
        return n
    }

    /// Parses LEFT/RIGHT; true for LEFT.
    static func side(_ c: Client, _ i: Int) throws(CommandError) -> Bool {
        let a = c.arg(i)
        if a.equalsIgnoringCase("LEFT") { return true }
        if a.equalsIgnoringCase("RIGHT") { return false }
        throw .syntax
    }

    /// Moves one element from `source` (non-empty) to `destination`, which
    /// holds `target` or nothing (a new list is created), replying with the
    /// element. `served` leaves out what Redis does only for a command run by
    /// the client itself: the source's modification signal and the change count.
    static func moveElement<W: KeyspaceWriter>(_ w: W, _ src: Key, _ source: ListValue, _ dst: Key, _ target: ListValue?,
                                               fromFront: Bool, toFront: Bool, served: Bool) {
        if let target, target === source {
            let v = source.popCopy(front: fromFront)
            w.touched(dst, changes: 0)
            v.withBytes { b in
                source.push(b, front: toFront)
                w.notify(.list, toFront ? "lpush" : "rpush", dst.bytes)
                w.reply.bulk(b)
            }
        } else {
            let list = target ?? createList(w, dst)
            w.touched(dst, changes: 0)
            source.pop(front: fromFront) { b in
                list.push(b, front: toFront)
                w.notify(.list, toFront ? "lpush" : "rpush", dst.bytes)
                w.reply.bulk(b)
            }
        }
        w.notify(.list, fromFront ? "lpop" : "rpop", src.bytes)
        deleteIfEmpty(w, src, source)
        if !served { w.touched(src, changes: 1) }
    }

    // MARK: push

    static func lpush(_ c: Client) { push(c, front: true, onlyExisting: false) }
    static func rpush(_ c: Client) { push(c, front: false, onlyExisting: false) }
    static func lpushx(_ c: Client) { push(c, front: true, onlyExisting: true) }
    static func rpushx(_ c: Client) { push(c, front: false, onlyExisting: true) }

    static func push(_ c: Client, front: Bool, onlyExisting: Bool) {
        let key = c.key(1)
        let db = c.db
        let list: ListValue
        if let e = db.lookup(key) {
            guard e.type == .list else {
                c.fail(.wrongType)
                return
            }
            list = e.object(as: ListValue.self)
        } else {
            if onlyExisting {
                c.reply.integer(0)
                return
            }
            list = createList(c, key)
        }
        for i in 2..<c.argc { list.push(c.arg(i), front: front) }
        c.reply.integer(list.count)
        c.modified(key, .list, front ? "lpush" : "rpush", changes: c.argc - 2)
    }

    // MARK: pop

    static func lpop(_ c: Client) { pop(c, front: true) }
    static func rpop(_ c: Client) { pop(c, front: false) }

    static func pop(_ c: Client, front: Bool) {
        if c.argc > 3 {
            c.fail(.wrongArity(command: front ? "lpop" : "rpop"))
            return
        }
        var count: Int64 = -1
        if c.argc == 3 {
            guard let n = Numbers.parseInt64(c.arg(2)), n >= 0 else {
                c.fail(.mustBePositive)
                return
            }
            count = n
        }
        let key = c.key(1)
        var failed = false
        guard let list = writableList(c, key, failed: &failed) else {
            if !failed {
                if count >= 0 { c.reply.nullArray() } else { c.reply.nullBulk() }
            }
            return
        }
        if count == 0 {
            c.reply.arrayHeader(0)
            return
        }
        if count < 0 {
            list.pop(front: front) { c.reply.bulk($0) }
            elementsRemoved(c, key, list, front: front, 1)
        } else {
            let n = Int(min(count, Int64(list.count)))
            replyEnd(c.reply, list, front: front, n)
            list.remove(n, front: front)
            elementsRemoved(c, key, list, front: front, n)
        }
    }

    // MARK: reads

    /// The list at argument `i` for a read (counting hits and misses); nil
    /// when absent (nothing sent) or of another type (WRONGTYPE sent).
    static func readableList(_ c: Client, _ i: Int, failed: inout Bool) -> ListValue? {
        guard let e = c.readKey(i) else { return nil }
        guard e.type == .list else {
            c.fail(.wrongType)
            failed = true
            return nil
        }
        return e.object(as: ListValue.self)
    }

    static func llen(_ c: Client) {
        var failed = false
        guard let list = readableList(c, 1, failed: &failed) else {
            if !failed { c.reply.integer(0) }
            return
        }
        c.reply.integer(list.count)
    }

    static func lindex(_ c: Client) {
        var failed = false
        guard let list = readableList(c, 1, failed: &failed) else {
            if !failed { c.reply.nullBulk() }
            return
        }
        guard let index = Numbers.parseInt64(c.arg(2)) else {
            c.fail(.notInteger)
            return
        }
        if let v = list.element(at: Int(index)) { c.reply.bulk(v) } else { c.reply.nullBulk() }
    }

    /// Replies with the elements between `start` and `end` (inclusive,
    /// negative from the tail), as Redis's addListRangeReply.
    static func replyRange(_ reply: ReplyBuffer, _ list: ListValue, _ start: Int64, _ end: Int64) {
        let llen = Int64(list.count)
        var s = start, e = end
        if s < 0 { s = llen &+ s }
        if e < 0 { e = llen &+ e }
        if s < 0 { s = 0 }
        if s > e || s >= llen {
            reply.arrayHeader(0)
            return
        }
        if e >= llen { e = llen - 1 }
        let n = Int(e - s + 1)
        reply.arrayHeader(n)
        list.forEach(from: Int(s), count: n) { reply.bulk($0) }
    }

    static func lrange(_ c: Client) {
        guard let start = Numbers.parseInt64(c.arg(2)), let end = Numbers.parseInt64(c.arg(3)) else {
            c.fail(.notInteger)
            return
        }
        var failed = false
        guard let list = readableList(c, 1, failed: &failed) else {
            if !failed { c.reply.arrayHeader(0) }
            return
        }
        replyRange(c.reply, list, start, end)
    }

    static func lpos(_ c: Client) {
        var rank: Int64 = 1
        var count: Int64 = -1
        var maxlen: Int64 = 0
        var j = 3
        while j < c.argc {
            let opt = c.arg(j)
            let more = j + 1 < c.argc
            if opt.equalsIgnoringCase("RANK") && more {
                j += 1
                guard let r = Numbers.parseInt64(c.arg(j)) else {
                    c.fail(.notInteger)
                    return
                }
                if r == 0 {
                    c.fail(.lposRankZero)
                    return
                }
                rank = r
            } else if opt.equalsIgnoringCase("COUNT") && more {
                j += 1
                guard let n = Numbers.parseInt64(c.arg(j)), n >= 0 else {
                    c.fail(.lposCountNegative)
                    return
                }
                count = n
            } else if opt.equalsIgnoringCase("MAXLEN") && more {
                j += 1
                guard let n = Numbers.parseInt64(c.arg(j)), n >= 0 else {
                    c.fail(.lposMaxlenNegative)
                    return
                }
                maxlen = n
            } else {
                c.fail(.syntax)
                return
            }
            j += 1
        }
        let fromTail = rank < 0
        // Redis negates with C arithmetic: the most negative rank stays negative,
        // so every match qualifies and COUNT never ends the search.
        let wanted = rank < 0 ? 0 &- rank : rank
        var failed = false
        guard let list = readableList(c, 1, failed: &failed) else {
            if !failed {
                if count != -1 { c.reply.arrayHeader(0) } else { c.reply.nullBulk() }
            }
            return
        }
        let element = c.arg(2)
        var scanned: Int64 = 0
        var matches: Int64 = 0
        var found: Int?
        let mark = c.reply.beginDeferred()
        var emitted = 0
        list.scan(reverse: fromTail) { v, index in
            if maxlen != 0 && scanned >= maxlen { return false }
            scanned += 1
            guard v.equals(element) else { return true }
            matches += 1
            if matches < wanted { return true }
            if count == -1 {
                found = index
                return false
            }
            c.reply.integer(index)
            emitted += 1
            return count == 0 || matches &- wanted &+ 1 < count
        }
        if count != -1 {
            c.reply.endDeferredArray(at: mark, count: emitted)
        } else if let found {
            c.reply.integer(found)
        } else {
            c.reply.nullBulk()
        }
    }

    // MARK: edits

    static func lset(_ c: Client) {
        let key = c.key(1)
        var failed = false
        guard let list = writableList(c, key, failed: &failed) else {
            if !failed { c.fail(.noSuchKey) }
            return
        }
        guard let index = Numbers.parseInt64(c.arg(2)) else {
            c.fail(.notInteger)
            return
        }
        let i = index < 0 ? Int64(list.count) &+ index : index
        guard i >= 0 && i < Int64(list.count) else {
            c.fail(.indexOutOfRange)
            return
        }
        list.replace(at: list.position(of: Int(i)), with: c.arg(3))
        c.reply.ok()
        c.modified(key, .list, "lset")
    }

    static func linsert(_ c: Client) {
        let after: Bool
        if c.arg(2).equalsIgnoringCase("AFTER") {
            after = true
        } else if c.arg(2).equalsIgnoringCase("BEFORE") {
            after = false
        } else {
            c.fail(.syntax)
            return
        }
        let key = c.key(1)
        var failed = false
        guard let list = writableList(c, key, failed: &failed) else {
            if !failed { c.reply.integer(0) }
            return
        }
        let pivot = c.arg(3)
        var p: ListValue.Position? = list.count > 0 ? list.position(of: 0) : nil
        while let at = p {
            if list.element(at: at).equals(pivot) {
                list.insert(c.arg(4), at: at, after: after)
                c.modified(key, .list, "linsert")
                c.reply.integer(list.count)
                return
            }
            p = list.after(at)
        }
        c.reply.integer(-1)
    }

    static func lrem(_ c: Client) {
        guard let toRemove = Numbers.parseInt64(c.arg(2)) else {
            c.fail(.notInteger)
            return
        }
        let key = c.key(1)
        var failed = false
        guard let list = writableList(c, key, failed: &failed) else {
            if !failed { c.reply.integer(0) }
            return
        }
        // Redis negates in C: the most negative count stays negative and never limits.
        let limit = toRemove == Int64.min ? 0 : Int(min(abs(toRemove), Int64(Int.max)))
        let removed = list.removeAll(equalTo: c.arg(3), limit: limit, fromTail: toRemove < 0)
        if removed > 0 { c.modified(key, .list, "lrem", changes: removed) }
        deleteIfEmpty(c, key, list)
        c.reply.integer(removed)
    }

    static func ltrim(_ c: Client) {
        guard let start = Numbers.parseInt64(c.arg(2)), let end = Numbers.parseInt64(c.arg(3)) else {
            c.fail(.notInteger)
            return
        }
        let key = c.key(1)
        var failed = false
        guard let list = writableList(c, key, failed: &failed) else {
            if !failed { c.reply.ok() }
            return
        }
        let llen = Int64(list.count)
        var s = start, e = end
        if s < 0 { s = llen &+ s }
        if e < 0 { e = llen &+ e }
        if s < 0 { s = 0 }
        let left: Int64, right: Int64
        if s > e || s >= llen {
            left = llen
            right = 0
        } else {
            if e >= llen { e = llen - 1 }
            left = s
            right = llen - e - 1
        }
        list.remove(Int(left), front: true)
        list.remove(Int(right), front: false)
        c.notify(.list, "ltrim", key.bytes)
        deleteIfEmpty(c, key, list)
        c.touched(key, changes: Int(left + right))
        c.reply.ok()
    }

    // MARK: move

    static func lmove(_ c: Client) {
        do {
            let from = try side(c, 3)
            let to = try side(c, 4)
            move(c, fromFront: from, toFront: to)
        } catch {
            c.fail(error)
        }
    }

    static func rpoplpush(_ c: Client) {
        move(c, fromFront: false, toFront: true)
    }

    /// LMOVE's body (Redis's lmoveGenericCommand); the blocking forms
    /// propagate as LMOVE or RPOPLPUSH.
    static func move(_ c: Client, fromFront: Bool, toFront: Bool, blocking: Bool = false) {
        let src = c.key(1), dst = c.key(2)
        var failed = false
        guard let source = writableList(c, src, failed: &failed) else {
            if !failed { c.reply.nullBulk() }
            return
        }
        if source.count == 0 {
            c.reply.nullBulk()
            return
        }
        let target = writableList(c, dst, failed: &failed)
        if failed { return }
        moveElement(c, src, source, dst, target, fromFront: fromFront, toFront: toFront, served: false)
        if blocking {
            if c.argc == 6 {
                c.propagateAs = [[Array("LMOVE".utf8), Array(src.bytes), Array(dst.bytes), Array(c.arg(3)), Array(c.arg(4))]]
            } else {
                c.propagateAs = [[Array("RPOPLPUSH".utf8), Array(src.bytes), Array(dst.bytes)]]
            }
        }
    }

    // MARK: multi-key pops

    static func lmpop(_ c: Client) { mpop(c, numkeysAt: 1, blocking: false) }
    static func blmpop(_ c: Client) { mpop(c, numkeysAt: 2, blocking: true) }

    /// LMPOP and BLMPOP: `numkeys key... LEFT|RIGHT [COUNT n]`, replying
    /// `[key, [elements]]` from the first non-empty list.
    static func mpop(_ c: Client, numkeysAt at: Int, blocking: Bool) {
        guard let numkeys = Numbers.parseInt64(c.arg(at)), numkeys > 0 else {
            c.fail(.numkeysNotPositive)
            return
        }
        guard numkeys < Int64(c.argc - at - 1) else {
            c.fail(.syntax)
            return
        }
        let whereIndex = at + Int(numkeys) + 1
        let front: Bool
        do { front = try side(c, whereIndex) } catch {
            c.fail(error)
            return
        }
        var count: Int64 = -1
        var j = whereIndex + 1
        while j < c.argc {
            if count == -1 && c.arg(j).equalsIgnoringCase("COUNT") && j + 1 < c.argc {
                j += 1
                guard let n = Numbers.parseInt64(c.arg(j)), n > 0 else {
                    c.fail(.countNotPositive)
                    return
                }
                count = n
            } else {
                c.fail(.syntax)
                return
            }
            j += 1
        }
        if count == -1 { count = 1 }
        var timeout: Int64 = 0
        if blocking {
            do { timeout = try c.blockingTimeout(1) } catch {
                c.fail(error)
                return
            }
        }
        let keys = Array((at + 1)..<whereIndex)
        for i in keys {
            let key = c.key(i)
            var failed = false
            guard let list = writableList(c, key, failed: &failed) else {
                if failed { return }
                continue
            }
            if list.count == 0 { continue }
            let n = popWithKey(c, key, list, front: front, count: count)
            c.propagateAs = [[front ? lpopName : rpopName, Array(key.bytes), Numbers.int64Bytes(Int64(n))]]
            return
        }
        guard blocking && c.mayBlock else {
            c.reply.nullArray()
            return
        }
        c.server.block(c, keys: keys, timeoutMillis: timeout, operation: BlockedOperation(valueType: .list) { w, key in
            let list = w.db.lookup(key)!.object(as: ListValue.self)
            let n = min(count, Int64(list.count))
            w.propagate([front ? lpopName : rpopName, Array(key.bytes), Numbers.int64Bytes(n)])
            popWithKey(w, key, list, front: front, count: count)
        })
    }

    // MARK: blocking

    static func blpop(_ c: Client) { bpop(c, front: true) }
    static func brpop(_ c: Client) { bpop(c, front: false) }

    /// BLPOP and BRPOP: `key... timeout`, replying `[key, element]`.
    static func bpop(_ c: Client, front: Bool) {
        let timeout: Int64
        do { timeout = try c.blockingTimeout(c.argc - 1) } catch {
            c.fail(error)
            return
        }
        let keys = Array(1..<(c.argc - 1))
        for i in keys {
            let key = c.key(i)
            var failed = false
            guard let list = writableList(c, key, failed: &failed) else {
                if failed { return }
                continue
            }
            if list.count == 0 { continue }
            c.reply.arrayHeader(2)
            c.reply.bulk(key.bytes)
            list.pop(front: front) { c.reply.bulk($0) }
            elementsRemoved(c, key, list, front: front, 1)
            c.propagateAs = [[front ? lpopName : rpopName, Array(key.bytes)]]
            return
        }
        guard c.mayBlock else {
            c.reply.nullArray()
            return
        }
        c.server.block(c, keys: keys, timeoutMillis: timeout, operation: BlockedOperation(valueType: .list) { w, key in
            // Served pops change no counter and signal nothing: the push that readied the key did.
            w.propagate([front ? lpopName : rpopName, Array(key.bytes)])
            let list = w.db.lookup(key)!.object(as: ListValue.self)
            w.reply.arrayHeader(2)
            w.reply.bulk(key.bytes)
            list.pop(front: front) { w.reply.bulk($0) }
            w.notify(.list, front ? "lpop" : "rpop", key.bytes)
            deleteIfEmpty(w, key, list)
        })
    }

    static func blmove(_ c: Client) {
        do {
            let from = try side(c, 3)
            let to = try side(c, 4)
            let timeout = try c.blockingTimeout(5)
            bmove(c, fromFront: from, toFront: to, timeout: timeout)
        } catch {
            c.fail(error)
        }
    }

    static func brpoplpush(_ c: Client) {
        do {
            let timeout = try c.blockingTimeout(3)
            bmove(c, fromFront: false, toFront: true, timeout: timeout)
        } catch {
            c.fail(error)
        }
    }

    /// BLMOVE and BRPOPLPUSH: LMOVE at once when the source has elements,
    /// else wait for it.
    static func bmove(_ c: Client, fromFront: Bool, toFront: Bool, timeout: Int64) {
        let src = c.key(1)
        var failed = false
        if writableList(c, src, failed: &failed) != nil {
            move(c, fromFront: fromFront, toFront: toFront, blocking: true)
            return
        }
        if failed { return }
        guard c.mayBlock else {
            c.reply.nullBulk()
            return
        }
        let isLMove = c.argc == 6
        let dstBytes = Array(c.arg(2))
        c.server.block(c, keys: [1], timeoutMillis: timeout,
                       operation: BlockedOperation(valueType: .list, destination: dstBytes) { w, key in
            dstBytes.withBytes { d in
                let dst = Key(d)
                var wrong = false
                let target = writableList(w, dst, failed: &wrong)
                // A destination of another type fails the waiter and leaves the source alone.
                if wrong { return }
                let source = w.db.lookup(key)!.object(as: ListValue.self)
                moveElement(w, key, source, dst, target, fromFront: fromFront, toFront: toFront, served: true)
                if isLMove {
                    w.propagate([Array("LMOVE".utf8), Array(key.bytes), dstBytes, fromFront ? leftWord : rightWord,
                                 toFront ? leftWord : rightWord])
                } else {
                    w.propagate([Array("RPOPLPUSH".utf8), Array(key.bytes), dstBytes])
                }
            }
        })
    }
}

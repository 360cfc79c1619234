/// Argument parsing and reply pieces shared by the aggregate-type families
/// (hashes, sets, and the element scans HSCAN/SSCAN/ZSCAN).
public enum AggregateSupport {
    /// Redis's getRangeLongFromObjectOrReply: argument `i` as an integer in
    /// `min...max`. With a `message`, every failure reports it; without, a
    /// non-integer is `.notInteger` and an out-of-range value names the range.
    public static func rangeLong(_ c: Client, _ i: Int, min: Int64, max: Int64,
                                 message: CommandError? = nil) throws(CommandError) -> Int64 {
        guard let v = Numbers.parseInt64(c.arg(i)) else { throw message ?? .notInteger }
        guard v >= min && v <= max else { throw message ?? .valueOutOfBounds(min: min, max: max) }
        return v
    }

    /// The options of an element scan (HSCAN, SSCAN, ZSCAN): COUNT and MATCH,
    /// parsed from argument 3 on as Redis's scanGenericCommand does for a key's value.
    public struct ScanOptions {
        /// Elements (or pairs) wanted per call, at least 1.
        public var count: Int64 = 10
        /// Argument index of a pattern other than `*`, if any.
        public var pattern: Int?

        public static func parse(_ c: Client, from start: Int = 3) throws(CommandError) -> ScanOptions {
            var o = ScanOptions()
            var i = start
            while i < c.argc {
                let remaining = c.argc - i
                let opt = c.arg(i)
                if opt.equalsIgnoringCase("COUNT") && remaining >= 2 {
                    guard let n = Numbers.parseInt64(c.arg(i + 1)) else { throw .notInteger }
                    guard n >= 1 else { throw .syntax }
                    o.count = n
                } else if opt.equalsIgnoringCase("MATCH") && remaining >= 2 {
                    let p = c.arg(i + 1)
                    o.pattern = (p.count == 1 && p[0] == 42) ? nil : i + 1
                } else {
                    throw .syntax
                }
                i += 2
            }
            return o
        }

        /// True when `element` passes the MATCH filter.
        @inline(__always)
        public func accepts(_ c: Client, _ element: Bytes) -> Bool {
            guard let pattern else { return true }
            return Glob.matches(c.arg(pattern), element)
        }
    }

    /// Steps a table scan as Redis does: bucket by bucket until `wanted`
    /// strings were gathered (`perElement` strings per element) or ten times
    /// `wanted` further steps were taken. Returns the next cursor.
    public static func scanSteps(_ table: ElementTable, cursor start: UInt64, wanted: Int64, perElement: Int,
                                 _ body: (Int) -> Void) -> UInt64 {
        let (tenfold, overflow) = wanted.multipliedReportingOverflow(by: 10)
        var iterations = overflow ? Int64.max : tenfold
        var gathered: Int64 = 0
        var cursor = start
        while true {
            cursor = table.scan(cursor: cursor) { pos in
                gathered += Int64(perElement)
                body(pos)
            }
            if cursor == 0 || iterations == 0 { break }
            iterations -= 1
            if gathered >= wanted { break }
        }
        return cursor
    }

    /// The reply to a scan of a missing key: cursor 0 and no elements.
    public static func replyEmptyScan(_ c: Client) {
        c.reply.arrayHeader(2)
        c.reply.bulk("0" as StaticString)
        c.reply.arrayHeader(0)
    }

    /// Deletes `key` as Redis's dbDelete does (in the background when
    /// `lazyfree-lazy-server-del` is on and the value is large); true when it existed.
    @discardableResult
    public static func deleteKey(_ c: Client, _ key: Key) -> Bool {
        let db = c.db
        guard c.context.config.extras["lazyfree-lazy-server-del"] == "yes" else { return db.delete(key) }
        guard let e = db.detach(key) else { return false }
        LazyFree.shared.release(e)
        return true
    }
}

import Glibc

/// Geo commands (Redis's `geo` group): positions are sorted-set members
/// scored with a 52-bit geohash (see `GeoHash`); store variants write sorted sets.
public enum GeoCommands {
    public static var all: [CommandSpec] {
        let one = KeySpec.range(first: 1, last: 1, step: 1)
        func spec(_ flags: [String], _ index: Int = 1) -> CommandKeySpec {
            CommandKeySpec(flags: flags, .index(index), .range(lastKey: 0, step: 1, limit: 0))
        }
        func storeSpecs(from: Int) -> [CommandKeySpec] {
            [spec(["RO", "access"]),
             CommandKeySpec(flags: ["OW", "update"], .keyword("STORE", startFrom: from), .range(lastKey: 0, step: 1, limit: 0)),
             CommandKeySpec(flags: ["OW", "update"], .keyword("STOREDIST", startFrom: from), .range(lastKey: 0, step: 1, limit: 0))]
        }
        let searchComplexity = "O(N+log(M)): N elements in the grid-aligned area around the shape, M items inside the shape."
        return [
            CommandSpec("geoadd", arity: -5, flags: [.write, .denyoom], keys: one, group: .geo, since: "3.2.0",
                        complexity: "O(log(N)) per item added, N being the sorted set's size.",
                        summary: "Adds or updates members of a geospatial index (a sorted set), creating it when absent.",
                        keySpecs: [spec(["RW", "update"])], handler: geoadd),
            CommandSpec("geodist", arity: -4, flags: [.readonly], keys: one, group: .geo, since: "3.2.0",
                        complexity: "O(log(N))", summary: "Returns the distance between two members of a geospatial index.",
                        keySpecs: [spec(["RO", "access"])], handler: geodist),
            CommandSpec("geohash", arity: -2, flags: [.readonly], keys: one, group: .geo, since: "3.2.0",
                        complexity: "O(log(N)) per member requested.",
                        summary: "Returns the standard geohash strings of members of a geospatial index.",
                        keySpecs: [spec(["RO", "access"])], handler: geohash),
            CommandSpec("geopos", arity: -2, flags: [.readonly], keys: one, group: .geo, since: "3.2.0",
                        complexity: "O(log(N)) per member requested.",
                        summary: "Returns the longitude and latitude of members of a geospatial index.",
                        keySpecs: [spec(["RO", "access"])], handler: geopos),
            CommandSpec("georadius", arity: -6, flags: [.write, .denyoom], keys: one, keyFinder: storeKeyFinder,
                        group: .geo, since: "3.2.0", complexity: searchComplexity,
                        summary: "Finds members of a geospatial index within a radius of a position, optionally storing them.",
                        replacedBy: "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument", deprecatedSince: "6.2.0",
                        keySpecs: storeSpecs(from: 6), handler: georadius),
            CommandSpec("georadiusbymember", arity: -5, flags: [.write, .denyoom], keys: one, keyFinder: storeKeyFinder,
                        group: .geo, since: "3.2.0", complexity: searchComplexity,
                        summary: "Finds members of a geospatial index within a radius of one of its members, optionally storing them.",
                        replacedBy: "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments",
                        deprecatedSince: "6.2.0", keySpecs: storeSpecs(from: 5), handler: georadiusbymember),
            CommandSpec("georadius_ro", arity: -6, flags: [.readonly], keys: one, group: .geo, since: "3.2.10",
                        complexity: searchComplexity,
                        summary: "Finds members of a geospatial index within a radius of a position.",
                        replacedBy: "`GEOSEARCH` with the `BYRADIUS` argument", deprecatedSince: "6.2.0",
                        keySpecs: [spec(["RO", "access"])], handler: georadiusRO),
            CommandSpec("georadiusbymember_ro", arity: -5, flags: [.readonly], keys: one, group: .geo, since: "3.2.10",
                        complexity: searchComplexity,
                        summary: "Finds members of a geospatial index within a radius of one of its members.",
                        replacedBy: "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments", deprecatedSince: "6.2.0",
                        keySpecs: [spec(["RO", "access"])], handler: georadiusbymemberRO),
            CommandSpec("geosearch", arity: -7, flags: [.readonly], keys: one, group: .geo, since: "6.2.0",
                        complexity: "O(N+log(M)): N elements in the grid-aligned area around the shape, M items inside the shape.",
                        summary: "Finds members of a geospatial index within a circle or box around a position or member.",
                        keySpecs: [spec(["RO", "access"])], handler: geosearch),
            CommandSpec("geosearchstore", arity: -8, flags: [.write, .denyoom], keys: .range(first: 1, last: 2, step: 1),
                        group: .geo, since: "6.2.0",
                        complexity: "O(N+log(M)): N elements in the grid-aligned area around the shape, M items inside the shape.",
                        summary: "Stores the members of a geospatial index within a circle or box in a sorted set.",
                        keySpecs: [spec(["OW", "update"]), spec(["RO", "access"], 2)], handler: geosearchstore),
        ]
    }

    /// GEORADIUS / GEORADIUSBYMEMBER keys: the source, and the last key given
    /// to STORE or STOREDIST (found as Redis does, scanning from argument 5).
    static let storeKeyFinder: KeyFinder = { c in
        var stored = -1
        var i = 5
        while i < c.argc {
            let a = c.arg(i)
            if (a.equalsIgnoringCase("store") || a.equalsIgnoringCase("storedist")) && i + 1 < c.argc {
                stored = i + 1
                i += 1
            }
            i += 1
        }
        return .positions(stored < 0 ? [1] : [1, stored])
    }

    // MARK: argument helpers

    /// A longitude/latitude pair at arguments `i`, `i+1`; nil after replying.
    static func lonLat(_ c: Client, _ i: Int) -> (Double, Double)? {
        guard let lon = Numbers.parseDouble(c.arg(i)), let lat = Numbers.parseDouble(c.arg(i + 1)) else {
            c.fail(.notFloat)
            return nil
        }
        if lon < GeoHash.lonMin || lon > GeoHash.lonMax || lat < GeoHash.latMin || lat > GeoHash.latMax {
            c.fail(.invalidLonLat(lon: String(decoding: Numbers.cFormat("%f", lon), as: UTF8.self),
                                  lat: String(decoding: Numbers.cFormat("%f", lat), as: UTF8.self)))
            return nil
        }
        return (lon, lat)
    }

    /// Meters per unit for M, KM, FT or MI; nil after replying.
    static func unit(_ c: Client, _ i: Int) -> Double? {
        let u = c.arg(i)
        if u.equalsIgnoringCase("m") { return 1 }
        if u.equalsIgnoringCase("km") { return 1000 }
        if u.equalsIgnoringCase("ft") { return 0.3048 }
        if u.equalsIgnoringCase("mi") { return 1609.34 }
        c.fail(.geoUnsupportedUnit)
        return nil
    }

    /// `<radius> <unit>` at argument `i` into `shape`; false after replying.
    static func radius(_ c: Client, _ i: Int, into shape: inout GeoHash.Shape) -> Bool {
        guard let r = Numbers.parseDouble(c.arg(i)) else {
            c.fail(.geoNeedNumeric("radius"))
            return false
        }
        if r < 0 {
            c.fail(.geoRadiusNegative)
            return false
        }
        guard let conversion = unit(c, i + 1) else { return false }
        shape.isBox = false
        shape.radius = r
        shape.conversion = conversion
        return true
    }

    /// `<width> <height> <unit>` at argument `i` into `shape`; false after replying.
    static func box(_ c: Client, _ i: Int, into shape: inout GeoHash.Shape) -> Bool {
        guard let w = Numbers.parseDouble(c.arg(i)) else {
            c.fail(.geoNeedNumeric("width"))
            return false
        }
        guard let h = Numbers.parseDouble(c.arg(i + 1)) else {
            c.fail(.geoNeedNumeric("height"))
            return false
        }
        if h < 0 || w < 0 {
            c.fail(.geoBoxNegative)
            return false
        }
        guard let conversion = unit(c, i + 2) else { return false }
        shape.isBox = true
        shape.width = w
        shape.height = h
        shape.conversion = conversion
        return true
    }

    /// The sorted set at argument `i` for reading: nil when absent; false
    /// (after replying) when the key holds another type.
    static func source(_ c: Client, _ i: Int) -> (ok: Bool, zset: ZSetValue?) {
        guard let e = c.readKey(i) else { return (true, nil) }
        guard e.type == .zset else {
            c.fail(.wrongType)
            return (false, nil)
        }
        return (true, e.object(as: ZSetValue.self))
    }

    // MARK: reply formatting

    /// Redis's distances: fixed point with four decimals, rounded half to even.
    static func distanceText(_ d: Double) -> [UInt8] {
        if d == 0 { return Array("0.0000".utf8) }
        let scaled = llrint(d * 10000)
        var digits = Array(String(scaled.magnitude).utf8)
        if digits.count < 5 { digits = [UInt8](repeating: 48, count: 5 - digits.count) + digits }
        var out: [UInt8] = scaled < 0 ? [45] : []
        out.append(contentsOf: digits[..<(digits.count - 4)])
        out.append(46)
        out.append(contentsOf: digits[(digits.count - 4)...])
        return out
    }

    /// A coordinate as Redis prints it: `%.17Lf` with trailing zeros trimmed,
    /// a bulk string in RESP2 and a double in RESP3.
    static func coordinate(_ c: Client, _ v: Double) {
        let text = Numbers.formatLongDoubleHuman(Float80(v)) ?? []
        if c.resp == .resp2 {
            c.reply.bulk(text)
        } else {
            c.reply.appendRaw(",")
            c.reply.appendRaw(text)
            c.reply.appendRaw("\r\n")
        }
    }

    // MARK: GEOADD

    static func geoadd(_ c: Client) {
        var nx = false, xx = false, ch = false
        var first = 2
        while first < c.argc {
            let o = c.arg(first)
            if o.equalsIgnoringCase("nx") {
                nx = true
            } else if o.equalsIgnoringCase("xx") {
                xx = true
            } else if o.equalsIgnoringCase("ch") {
                ch = true
            } else {
                break
            }
            first += 1
        }
        let elements = (c.argc - first) / 3
        // No triples at all fails the same way, in ZADD's argument check.
        if (c.argc - first) % 3 != 0 || (xx && nx) || elements == 0 {
            c.fail(.syntax)
            return
        }
        var scores = [UInt64](repeating: 0, count: elements)
        for i in 0..<elements {
            guard let (lon, lat) = lonLat(c, first + 3 * i), let s = GeoHash.score(lon: lon, lat: lat) else { return }
            scores[i] = s
        }
        let key = c.key(1)
        var wrong = false
        var z = SortedSetCommands.writeZSet(c, key, wrongType: &wrong)
        if wrong { return }
        if z == nil {
            if xx {
                c.reply.integer(0)
                return
            }
            z = SortedSetCommands.create(c, key, firstMember: first + 2)
        }
        let zset = z!
        let ctx = c.context!
        var flags: ZSetValue.AddFlags = []
        if nx { flags.insert(.nx) }
        if xx { flags.insert(.xx) }
        var added = 0, updated = 0
        for i in 0..<elements {
            let (outcome, _) = zset.add(c.arg(first + 3 * i + 2), score: Double(scores[i]), flags: flags,
                                        maxEntries: ctx.config.zsetMaxListpackEntries,
                                        maxValue: ctx.config.zsetMaxListpackValue)
            switch outcome {
            case .added: added += 1
            case .updated: updated += 1
            default: break
            }
        }
        c.reply.integer(ch ? added + updated : added)
        if added + updated > 0 {
            c.touched(key, changes: added + updated)
            c.notify(.zset, "zadd", key.bytes)
            // Replicas and the AOF get the ZADD this amounts to, as Redis sends.
            var zadd: [[UInt8]] = [Array("zadd".utf8)]
            for i in 1..<first { zadd.append(Array(c.arg(i))) }
            for i in 0..<elements {
                zadd.append(Numbers.int64Bytes(Int64(scores[i])))
                zadd.append(Array(c.arg(first + 3 * i + 2)))
            }
            c.propagateAs = [zadd]
        }
    }

    // MARK: GEOPOS / GEOHASH / GEODIST

    static func geopos(_ c: Client) {
        let (ok, z) = source(c, 1)
        guard ok else { return }
        c.reply.arrayHeader(c.argc - 2)
        for j in 2..<c.argc {
            guard let z, let score = z.score(of: c.arg(j)) else {
                c.reply.nullArray()
                continue
            }
            let (lon, lat) = GeoHash.position(score: score)
            c.reply.arrayHeader(2)
            coordinate(c, lon)
            coordinate(c, lat)
        }
    }

    static func geohash(_ c: Client) {
        let (ok, z) = source(c, 1)
        guard ok else { return }
        c.reply.arrayHeader(c.argc - 2)
        for j in 2..<c.argc {
            guard let z, let score = z.score(of: c.arg(j)) else {
                c.reply.nullBulk()
                continue
            }
            // Stored cells use latitudes ±85.05; the standard geohash spans ±90, so re-encode.
            let (lon, lat) = GeoHash.position(score: score)
            c.reply.bulk(GeoHash.standardHash(lon: lon, lat: lat))
        }
    }

    static func geodist(_ c: Client) {
        var toMeters = 1.0
        if c.argc == 5 {
            guard let u = unit(c, 4) else { return }
            toMeters = u
        } else if c.argc > 5 {
            c.fail(.syntax)
            return
        }
        let (ok, z) = source(c, 1)
        guard ok else { return }
        guard let z, let s1 = z.score(of: c.arg(2)), let s2 = z.score(of: c.arg(3)) else {
            c.reply.nullBulk()
            return
        }
        let a = GeoHash.position(score: s1), b = GeoHash.position(score: s2)
        c.reply.bulk(distanceText(GeoHash.distance(a.lon, a.lat, b.lon, b.lat) / toMeters))
    }

    // MARK: searches

    struct SearchKind: OptionSet {
        let rawValue: UInt8
        /// Around a longitude/latitude given as arguments 2 and 3.
        static let coords = SearchKind(rawValue: 1)
        /// Around the member given as argument 2.
        static let member = SearchKind(rawValue: 2)
        /// STORE and STOREDIST refused (the _RO variants).
        static let noStore = SearchKind(rawValue: 4)
        /// GEOSEARCH syntax (FROM... and BY... options).
        static let search = SearchKind(rawValue: 8)
        /// GEOSEARCHSTORE: the destination is argument 1.
        static let searchStore = SearchKind(rawValue: 16)
    }

    static func georadius(_ c: Client) { search(c, source: 1, kind: .coords) }
    static func georadiusbymember(_ c: Client) { search(c, source: 1, kind: .member) }
    static func georadiusRO(_ c: Client) { search(c, source: 1, kind: [.coords, .noStore]) }
    static func georadiusbymemberRO(_ c: Client) { search(c, source: 1, kind: [.member, .noStore]) }
    static func geosearch(_ c: Client) { search(c, source: 1, kind: .search) }
    static func geosearchstore(_ c: Client) { search(c, source: 2, kind: [.search, .searchStore]) }

    /// A point found by a search: its position, distance (meters) from the
    /// center, score, and where it is in the source set.
    struct Found {
        var lon: Double
        var lat: Double
        var dist: Double
        var score: Double
        var cursor: ZSetValue.Cursor
    }

    /// The members of `z` scored in [min, max) that lie inside `shape`,
    /// stopping once `limit` (0: none) points have been found in all.
    static func collect(_ z: ZSetValue, _ min: UInt64, _ max: UInt64, _ shape: GeoHash.Shape,
                        _ found: inout [Found], limit: Int) {
        let range = ZScoreRange(min: Double(min), max: Double(max), minExclusive: false, maxExclusive: true)
        guard let (start, _) = z.firstInRange(range) else { return }
        var cur = start
        while cur != ZSetValue.end {
            let score = z.score(cur)
            if !range.belowMax(score) { break }
            let (lon, lat) = GeoHash.position(score: score)
            if let d = shape.contains(lon: lon, lat: lat) {
                found.append(Found(lon: lon, lat: lat, dist: d, score: score, cursor: cur))
            }
            if limit > 0 && found.count >= limit { break }
            cur = z.next(cur)
        }
    }

    /// Redis's georadiusGeneric: every search command, parsed as Redis parses them.
    static func search(_ c: Client, source srcIndex: Int, kind: SearchKind) {
        let (ok, zobj) = source(c, srcIndex)
        guard ok else { return }
        var shape = GeoHash.Shape()
        var base: Int
        var store: Int?
        if kind.contains(.coords) {
            base = 6
            guard let (lon, lat) = lonLat(c, 2) else { return }
            shape.lon = lon
            shape.lat = lat
            guard radius(c, 4, into: &shape) else { return }
        } else if kind.contains(.member) {
            base = 5
            // Without a source the reply is empty whatever the member: parse the options only.
            if let z = zobj {
                guard let score = z.score(of: c.arg(2)) else {
                    c.fail(.geoMemberUndecodable)
                    return
                }
                (shape.lon, shape.lat) = GeoHash.position(score: score)
                guard radius(c, 3, into: &shape) else { return }
            }
        } else {
            base = 2
            if kind.contains(.searchStore) {
                base = 3
                store = 1
            }
        }

        var withDist = false, withHash = false, withCoord = false
        var fromMember = false, fromLonLat = false, byRadius = false, byBox = false
        enum Sort { case none, asc, desc }
        var sort = Sort.none
        var any = false
        var storeDist = false
        var count: Int64 = 0
        let isSearch = kind.contains(.search)
        let storeAllowed = !kind.contains(.noStore) && !isSearch
        var i = base
        while i < c.argc {
            let a = c.arg(i)
            if a.equalsIgnoringCase("withdist") {
                withDist = true
            } else if a.equalsIgnoringCase("withhash") {
                withHash = true
            } else if a.equalsIgnoringCase("withcoord") {
                withCoord = true
            } else if a.equalsIgnoringCase("any") {
                any = true
            } else if a.equalsIgnoringCase("asc") {
                sort = .asc
            } else if a.equalsIgnoringCase("desc") {
                sort = .desc
            } else if a.equalsIgnoringCase("count") && i + 1 < c.argc {
                guard let n = Numbers.parseInt64(c.arg(i + 1)) else {
                    c.fail(.notInteger)
                    return
                }
                if n <= 0 {
                    c.fail(.geoCountNotPositive)
                    return
                }
                count = n
                i += 1
            } else if a.equalsIgnoringCase("store") && i + 1 < c.argc && storeAllowed {
                store = i + 1
                storeDist = false
                i += 1
            } else if a.equalsIgnoringCase("storedist") && i + 1 < c.argc && storeAllowed {
                store = i + 1
                storeDist = true
                i += 1
            } else if a.equalsIgnoringCase("storedist") && kind.contains(.searchStore) {
                storeDist = true
            } else if a.equalsIgnoringCase("frommember") && i + 1 < c.argc && isSearch && !fromLonLat {
                if let z = zobj {
                    guard let score = z.score(of: c.arg(i + 1)) else {
                        c.fail(.geoMemberUndecodable)
                        return
                    }
                    (shape.lon, shape.lat) = GeoHash.position(score: score)
                }
                fromMember = true
                i += 1
            } else if a.equalsIgnoringCase("fromlonlat") && i + 2 < c.argc && isSearch && !fromMember {
                guard let (lon, lat) = lonLat(c, i + 1) else { return }
                shape.lon = lon
                shape.lat = lat
                fromLonLat = true
                i += 2
            } else if a.equalsIgnoringCase("byradius") && i + 2 < c.argc && isSearch && !byBox {
                guard radius(c, i + 1, into: &shape) else { return }
                byRadius = true
                i += 2
            } else if a.equalsIgnoringCase("bybox") && i + 3 < c.argc && isSearch && !byRadius {
                guard box(c, i + 1, into: &shape) else { return }
                byBox = true
                i += 3
            } else {
                c.fail(.syntax)
                return
            }
            i += 1
        }

        if store != nil && (withDist || withHash || withCoord) {
            c.fail(.geoStoreIncompatible(what: kind.contains(.searchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS"))
            return
        }
        if isSearch && !(fromMember || fromLonLat) {
            c.fail(.geoNeedsFrom(command: c.argString(0)))
            return
        }
        if isSearch && !(byRadius || byBox) {
            c.fail(.geoNeedsBy(command: c.argString(0)))
            return
        }
        if any && count == 0 {
            c.fail(.geoAnyWithoutCount)
            return
        }
        guard let z = zobj else {
            if let s = store {
                deleteDestination(c, c.key(s))
                c.reply.integer(0)
            } else {
                c.reply.arrayHeader(0)
            }
            return
        }
        // Without ANY, COUNT means the nearest ones.
        if count != 0 && sort == .none && !any { sort = .asc }

        let (center, n) = GeoHash.searchCells(shape)
        let cells = [center, n.north, n.south, n.east, n.west, n.northEast, n.northWest, n.southEast, n.southWest]
        var found: [Found] = []
        let limit = any ? Int(count) : 0
        var lastProcessed = 0
        for (k, cell) in cells.enumerated() {
            if cell.isZero { continue }
            // Huge radii can make neighbours coincide: skip a repeat of the last cell searched.
            if lastProcessed != 0 && cell == cells[lastProcessed] { continue }
            if limit > 0 && found.count >= limit { break }
            var hi = cell
            hi.bits += 1
            collect(z, GeoHash.align52(cell), GeoHash.align52(hi), shape, &found, limit: limit)
            lastProcessed = k
        }

        if found.isEmpty && store == nil {
            c.reply.arrayHeader(0)
            return
        }
        let returned = count == 0 || Int64(found.count) < count ? found.count : Int(count)
        if sort != .none {
            // Ties keep the order they were found in.
            let desc = sort == .desc
            let order = found.indices.sorted { a, b in
                let da = found[a].dist, db = found[b].dist
                if da != db { return desc ? da > db : da < db }
                return a < b
            }
            found = order.map { found[$0] }
        }
        let conversion = shape.conversion

        guard let s = store else {
            let options = (withDist ? 1 : 0) + (withCoord ? 1 : 0) + (withHash ? 1 : 0)
            c.reply.arrayHeader(returned)
            for p in found.prefix(returned) {
                if options > 0 { c.reply.arrayHeader(options + 1) }
                c.reply.bulk(z.member(p.cursor))
                if withDist { c.reply.bulk(distanceText(p.dist / conversion)) }
                if withHash { c.reply.integer(Int64(p.score)) }
                if withCoord {
                    c.reply.arrayHeader(2)
                    coordinate(c, p.lon)
                    coordinate(c, p.lat)
                }
            }
            return
        }

        let dst = c.key(s)
        if returned > 0 {
            let result = ZSetValue(compact: false)
            for p in found.prefix(returned) {
                result.insertAbsent(z.member(p.cursor), storeDist ? p.dist / conversion : p.score)
            }
            let cfg = c.context.config
            result.convertToCompactIfFits(maxEntries: cfg.zsetMaxListpackEntries, maxValue: cfg.zsetMaxListpackValue)
            // The source may be the destination: every member was copied before it is replaced.
            let db = c.db
            let existed = db.lookup(dst) != nil
            db.setObject(dst, result)
            if !existed { c.notify(.newKey, "new", dst.bytes) }
            c.touched(dst, changes: returned)
            c.notify(.zset, isSearch ? "geosearchstore" : "georadiusstore", dst.bytes)
        } else {
            deleteDestination(c, dst)
        }
        c.reply.integer(returned)
    }

    /// An empty result deletes the destination of a store search.
    static func deleteDestination(_ c: Client, _ dst: Key) {
        if c.db.delete(dst) {
            c.touched(dst)
            c.notify(.generic, "del", dst.bytes)
        }
    }
}

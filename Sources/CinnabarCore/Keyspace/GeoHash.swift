import Glibc

/// Redis's geohash scheme for GEO commands: a position is a sorted-set
/// score holding 26 bits of latitude and 26 of longitude interleaved
/// (latitude in the even bits), over the Web-Mercator-safe latitude range
/// ±85.05112878. Searches cover the query shape with the geohash box around
/// its center and that box's eight neighbours at a precision chosen from the
/// radius, scan each box's score range, and keep the points inside the shape.
/// Every step mirrors Redis's arithmetic so results and printed values match.
enum GeoHash {
    static let latMin = -85.05112878
    static let latMax = 85.05112878
    static let lonMin = -180.0
    static let lonMax = 180.0
    /// Bits per coordinate of a stored position.
    static let stepMax = 26
    static let earthRadius = 6372797.560856
    static let mercatorMax = 20037726.37

    /// Interleaved cells of `step` bits per coordinate; zero (bits and step)
    /// marks a neighbour excluded from a search.
    struct Cell: Equatable {
        var bits: UInt64
        var step: Int
        var isZero: Bool { bits == 0 && step == 0 }
        static let zero = Cell(bits: 0, step: 0)
    }

    /// A cell's extent in degrees.
    struct Area {
        var lonMin = 0.0, lonMax = 0.0, latMin = 0.0, latMax = 0.0
    }

    /// The eight cells around one, in Redis's search order after the center.
    struct Neighbors {
        var north, south, east, west, northEast, northWest, southEast, southWest: Cell
    }

    // MARK: bits

    /// Spreads `x` over the even bits and `y` over the odd bits.
    static func interleave(_ x: UInt32, _ y: UInt32) -> UInt64 {
        func spread(_ v: UInt32) -> UInt64 {
            var w = UInt64(v)
            w = (w | (w << 16)) & 0x0000_FFFF_0000_FFFF
            w = (w | (w << 8)) & 0x00FF_00FF_00FF_00FF
            w = (w | (w << 4)) & 0x0F0F_0F0F_0F0F_0F0F
            w = (w | (w << 2)) & 0x3333_3333_3333_3333
            w = (w | (w << 1)) & 0x5555_5555_5555_5555
            return w
        }
        return spread(x) | (spread(y) << 1)
    }

    /// The inverse: even bits in the low word, odd bits in the high word.
    static func deinterleave(_ v: UInt64) -> UInt64 {
        func gather(_ w0: UInt64) -> UInt64 {
            var w = w0 & 0x5555_5555_5555_5555
            w = (w | (w >> 1)) & 0x3333_3333_3333_3333
            w = (w | (w >> 2)) & 0x0F0F_0F0F_0F0F_0F0F
            w = (w | (w >> 4)) & 0x00FF_00FF_00FF_00FF
            w = (w | (w >> 8)) & 0x0000_FFFF_0000_FFFF
            w = (w | (w >> 16)) & 0x0000_0000_FFFF_FFFF
            return w
        }
        return gather(v) | (gather(v >> 1) << 32)
    }

    /// C's conversion of a double to `uint64_t` as x86-64 performs it, so
    /// scores no GEOADD wrote (negative, huge, infinite) decode as in Redis.
    static func cUInt64(_ d: Double) -> UInt64 {
        let two63 = 9223372036854775808.0
        if d < two63 {
            if d >= -two63 { return UInt64(bitPattern: Int64(d)) }
            return 1 << 63
        }
        let t = d - two63
        let i: Int64 = t < two63 ? Int64(t) : Int64.min
        return UInt64(bitPattern: i) ^ (1 << 63)
    }

    // MARK: encoding

    /// The cell of `step` bits holding a position, within the given ranges;
    /// nil outside them or outside the indexable area.
    static func encode(lon: Double, lat: Double, step: Int,
                       lonRange: (Double, Double) = (lonMin, lonMax),
                       latRange: (Double, Double) = (latMin, latMax)) -> Cell? {
        if step > 32 || step == 0 { return nil }
        if lon > lonMax || lon < lonMin || lat > latMax || lat < latMin { return nil }
        if lat < latRange.0 || lat > latRange.1 || lon < lonRange.0 || lon > lonRange.1 { return nil }
        var latOffset = (lat - latRange.0) / (latRange.1 - latRange.0)
        var lonOffset = (lon - lonRange.0) / (lonRange.1 - lonRange.0)
        let scale = Double(UInt64(1) << UInt64(step))
        latOffset *= scale
        lonOffset *= scale
        return Cell(bits: interleave(UInt32(latOffset), UInt32(lonOffset)), step: step)
    }

    /// A cell's bits moved to the top of a 52-bit score.
    @inline(__always)
    static func align52(_ cell: Cell) -> UInt64 { cell.bits << UInt64(52 - cell.step * 2) }

    /// The score GEOADD stores for a position (which must be valid).
    static func score(lon: Double, lat: Double) -> UInt64? {
        guard let cell = encode(lon: lon, lat: lat, step: stepMax) else { return nil }
        return align52(cell)
    }

    /// The extent of `cell`; nil for the zero cell.
    static func decode(_ cell: Cell, lonRange: (Double, Double) = (lonMin, lonMax),
                       latRange: (Double, Double) = (latMin, latMax)) -> Area? {
        if cell.isZero { return nil }
        let sep = deinterleave(cell.bits)
        let latScale = latRange.1 - latRange.0
        let lonScale = lonRange.1 - lonRange.0
        let ilat = UInt32(truncatingIfNeeded: sep)
        let ilon = UInt32(truncatingIfNeeded: sep >> 32)
        let div = Double(UInt64(1) << UInt64(cell.step))
        var a = Area()
        a.latMin = latRange.0 + (Double(ilat) * 1.0 / div) * latScale
        a.latMax = latRange.0 + (Double(ilat &+ 1) * 1.0 / div) * latScale
        a.lonMin = lonRange.0 + (Double(ilon) * 1.0 / div) * lonScale
        a.lonMax = lonRange.0 + (Double(ilon &+ 1) * 1.0 / div) * lonScale
        return a
    }

    /// The center of an area, clamped to the indexable range.
    static func center(_ a: Area) -> (lon: Double, lat: Double) {
        var lon = (a.lonMin + a.lonMax) / 2
        if lon > lonMax { lon = lonMax }
        if lon < lonMin { lon = lonMin }
        var lat = (a.latMin + a.latMax) / 2
        if lat > latMax { lat = latMax }
        if lat < latMin { lat = latMin }
        return (lon, lat)
    }

    /// The position a sorted-set score stands for (any score decodes).
    static func position(score: Double) -> (lon: Double, lat: Double) {
        center(decode(Cell(bits: cUInt64(score), step: stepMax))!)
    }

    /// The standard 11-character geohash of a position (latitude range ±90).
    static func standardHash(lon: Double, lat: Double) -> [UInt8] {
        let alphabet = Array("0123456789bcdefghjkmnpqrstuvwxyz".utf8)
        let bits = encode(lon: lon, lat: lat, step: stepMax, latRange: (-90, 90))?.bits ?? 0
        var out = [UInt8](repeating: 0, count: 11)
        for i in 0..<11 {
            // 52 bits make ten characters; the eleventh is always zero.
            let idx = i == 10 ? 0 : Int((bits >> UInt64(52 - (i + 1) * 5)) & 0x1f)
            out[i] = alphabet[idx]
        }
        return out
    }

    // MARK: neighbours

    private static func moveLon(_ c: inout Cell, _ d: Int) {
        if d == 0 { return }
        var x = c.bits & 0xaaaa_aaaa_aaaa_aaaa
        let y = c.bits & 0x5555_5555_5555_5555
        let zz: UInt64 = 0x5555_5555_5555_5555 >> UInt64(64 - c.step * 2)
        if d > 0 {
            x = x &+ (zz &+ 1)
        } else {
            x |= zz
            x = x &- (zz &+ 1)
        }
        x &= 0xaaaa_aaaa_aaaa_aaaa >> UInt64(64 - c.step * 2)
        c.bits = x | y
    }

    private static func moveLat(_ c: inout Cell, _ d: Int) {
        if d == 0 { return }
        let x = c.bits & 0xaaaa_aaaa_aaaa_aaaa
        var y = c.bits & 0x5555_5555_5555_5555
        let zz: UInt64 = 0xaaaa_aaaa_aaaa_aaaa >> UInt64(64 - c.step * 2)
        if d > 0 {
            y = y &+ (zz &+ 1)
        } else {
            y |= zz
            y = y &- (zz &+ 1)
        }
        y &= 0x5555_5555_5555_5555 >> UInt64(64 - c.step * 2)
        c.bits = x | y
    }

    static func neighbors(_ c: Cell) -> Neighbors {
        func moved(_ dlon: Int, _ dlat: Int) -> Cell {
            var n = c
            moveLon(&n, dlon)
            moveLat(&n, dlat)
            return n
        }
        return Neighbors(north: moved(0, 1), south: moved(0, -1), east: moved(1, 0), west: moved(-1, 0),
                         northEast: moved(1, 1), northWest: moved(-1, 1), southEast: moved(1, -1), southWest: moved(-1, -1))
    }

    // MARK: distances

    @inline(__always) static func degToRad(_ a: Double) -> Double { a * (Double.pi / 180.0) }
    @inline(__always) static func radToDeg(_ a: Double) -> Double { a / (Double.pi / 180.0) }

    /// Meters along a meridian between two latitudes.
    static func latDistance(_ lat1: Double, _ lat2: Double) -> Double {
        earthRadius * fabs(degToRad(lat2) - degToRad(lat1))
    }

    /// Great-circle (haversine) distance in meters.
    static func distance(_ lon1: Double, _ lat1: Double, _ lon2: Double, _ lat2: Double) -> Double {
        let lon1r = degToRad(lon1), lon2r = degToRad(lon2)
        let v = sin((lon2r - lon1r) / 2)
        if v == 0.0 { return latDistance(lat1, lat2) }
        let lat1r = degToRad(lat1), lat2r = degToRad(lat2)
        let u = sin((lat2r - lat1r) / 2)
        let a = u * u + cos(lat1r) * cos(lat2r) * v * v
        return 2.0 * earthRadius * asin(a.squareRoot())
    }

    // MARK: search areas

    /// What a search covers: a circle (`radius`) or an axis-aligned box
    /// (`width` × `height`) around (`lon`, `lat`), in units of `conversion` meters.
    struct Shape {
        var isBox = false
        var lon = 0.0, lat = 0.0
        var conversion = 1.0
        var radius = 0.0
        var width = 0.0, height = 0.0

        /// The distance in meters from the center when (`lon`, `lat`) is inside.
        func contains(lon x: Double, lat y: Double) -> Double? {
            if !isBox {
                let d = GeoHash.distance(lon, lat, x, y)
                return d > radius * conversion ? nil : d
            }
            let w = width * conversion, h = height * conversion
            // The latitude test is cheaper, so it goes first.
            if GeoHash.latDistance(y, lat) > h / 2 { return nil }
            if GeoHash.distance(x, y, lon, y) > w / 2 { return nil }
            return GeoHash.distance(lon, lat, x, y)
        }
    }

    /// Precision (bits per coordinate) whose cells are about the size of a
    /// search of `meters`, coarser near the poles.
    static func stepsFor(meters: Double, lat: Double) -> Int {
        if meters == 0 { return 26 }
        var range = meters
        var step = 1
        while range < mercatorMax {
            range *= 2
            step += 1
        }
        step -= 2
        if lat > 66 || lat < -66 {
            step -= 1
            if lat > 80 || lat < -80 { step -= 1 }
        }
        return min(max(step, 1), 26)
    }

    /// The shape's bounding box: (min lon, min lat, max lon, max lat).
    static func boundingBox(_ s: Shape) -> (Double, Double, Double, Double) {
        let height = s.conversion * (s.isBox ? s.height / 2 : s.radius)
        let width = s.conversion * (s.isBox ? s.width / 2 : s.radius)
        let latDelta = radToDeg(height / earthRadius)
        let lonDeltaTop = radToDeg(width / earthRadius / cos(degToRad(s.lat + latDelta)))
        let lonDeltaBottom = radToDeg(width / earthRadius / cos(degToRad(s.lat - latDelta)))
        // The wider edge is the one nearer the equator.
        let south = s.lat < 0
        let minLon = south ? s.lon - lonDeltaBottom : s.lon - lonDeltaTop
        let maxLon = south ? s.lon + lonDeltaBottom : s.lon + lonDeltaTop
        return (minLon, s.lat - latDelta, maxLon, s.lat + latDelta)
    }

    /// The center cell and neighbours covering a search (zeroed neighbours
    /// lie wholly outside the bounding box).
    static func searchCells(_ s: Shape) -> (center: Cell, neighbors: Neighbors) {
        let (minLon, minLat, maxLon, maxLat) = boundingBox(s)
        var meters = s.isBox ? ((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2)).squareRoot() : s.radius
        meters *= s.conversion
        var steps = stepsFor(meters: meters, lat: s.lat)
        var cell = encode(lon: s.lon, lat: s.lat, step: steps) ?? Cell(bits: 0, step: steps)
        var n = neighbors(cell)
        var area = decode(cell) ?? Area()

        // Near a cell edge the estimated precision can leave part of the
        // shape outside the nine cells: one step coarser then.
        let north = decode(n.north) ?? Area(), south = decode(n.south) ?? Area()
        let east = decode(n.east) ?? Area(), west = decode(n.west) ?? Area()
        let tooFine = north.latMax < maxLat || south.latMin > minLat || east.lonMax < maxLon || west.lonMin > minLon
        if steps > 1 && tooFine {
            steps -= 1
            cell = encode(lon: s.lon, lat: s.lat, step: steps) ?? Cell(bits: 0, step: steps)
            n = neighbors(cell)
            area = decode(cell) ?? Area()
        }
        if steps >= 2 {
            if area.latMin < minLat {
                n.south = .zero; n.southWest = .zero; n.southEast = .zero
            }
            if area.latMax > maxLat {
                n.north = .zero; n.northEast = .zero; n.northWest = .zero
            }
            if area.lonMin < minLon {
                n.west = .zero; n.southWest = .zero; n.northWest = .zero
            }
            if area.lonMax > maxLon {
                n.east = .zero; n.southEast = .zero; n.northEast = .zero
            }
        }
        return (cell, n)
    }
}

import CSystem
import Glibc

/// A value read from an RDB stream.
public enum RDBValue {
    case string([UInt8])
    case object(StoredObject)
}

/// Registry of readers for aggregate RDB types, filled by the data-type
/// modules (each reads the encodings Redis 7.0 writes for its type).
public enum RDBValues {
    public typealias Loader = (UInt8, inout RDBReader) throws(RDBError) -> StoredObject
    nonisolated(unsafe) static var loaders: [UInt8: Loader] = [:]

    /// Registers `loader` for every type code in `codes`. Call before any load.
    public static func register(_ codes: [UInt8], _ loader: @escaping Loader) {
        for c in codes { loaders[c] = loader }
    }

    /// Writes the type byte, then (for snapshots) the key, then the value of `entry`.
    public static func write(_ entry: Entry, _ w: RDBWriter, withKey: Bool = false) {
        if entry.type == .string {
            w.byte(RDB.TypeCode.string)
            if withKey { w.string(entry.key) }
            w.string(entry.string)
        } else {
            let o = entry.object
            w.byte(o.rdbType)
            if withKey { w.string(entry.key) }
            o.rdbWrite(w)
        }
    }

    /// Reads a value of RDB type `type`.
    public static func read(_ type: UInt8, _ r: inout RDBReader) throws(RDBError) -> RDBValue {
        if type == RDB.TypeCode.string { return .string(try r.string()) }
        guard let loader = loaders[type] else { throw RDBError("Unknown RDB value type \(type)") }
        return .object(try loader(type, &r))
    }

    // MARK: DUMP payloads

    /// A DUMP payload: type, value, RDB version (2 bytes LE), CRC-64 (8 bytes LE).
    public static func dumpPayload(_ entry: Entry, compress: Bool) -> [UInt8] {
        let w = RDBWriter(compress: compress)
        write(entry, w)
        w.byte(UInt8(RDB.version & 0xff))
        w.byte(UInt8(RDB.version >> 8))
        w.littleEndian64(w.crc)
        return w.bytes
    }

    /// Checks a payload's trailer (version and checksum, as Redis's verifyDumpPayload);
    /// returns the body without it.
    public static func verifyPayload(_ p: Bytes) -> Bytes? {
        guard p.count >= 10 else { return nil }
        let version = UInt16(p[p.count - 10]) | UInt16(p[p.count - 9]) << 8
        guard version <= RDB.version else { return nil }
        var crc: UInt64 = 0
        for i in 0..<8 { crc |= UInt64(p[p.count - 8 + i]) << (8 * UInt64(i)) }
        // A zero checksum means the producer disabled checksums (rdbchecksum no).
        if crc != 0 {
            let computed = CRC64.update(0, UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p)[0..<(p.count - 8)]))
            guard computed == crc else { return nil }
        }
        return Bytes(rebasing: p[0..<(p.count - 10)])
    }

    /// Reads a DUMP payload body (already verified) into a value.
    public static func readPayload(_ body: Bytes, limits: ServerConfig? = nil) throws(RDBError) -> RDBValue {
        var r = RDBReader(body)
        if let limits { r.limits = limits }
        let type = try r.byte()
        return try read(type, &r)
    }
}

/// Whole-dataset snapshots in RDB version 10.
public enum RDBSnapshot {
    /// Writes the dataset. Every shard must be quiescent: locked by the
    /// caller, or the caller is a forked child that owns a frozen copy.
    public static func write(_ w: RDBWriter, keyspace: Keyspace, functions: [[UInt8]], now: Int64,
                             usedMemory: Int, aofBase: Bool) throws(SystemError) {
        w.raw(Array("REDIS0010".utf8))
        aux(w, "redis-ver", ServerInfo.redisVersion)
        aux(w, "redis-bits", "64")
        aux(w, "ctime", String(now / 1000))
        aux(w, "used-mem", String(usedMemory))
        aux(w, "aof-base", aofBase ? "1" : "0")
        aux(w, "cinnabar-ver", ServerInfo.version)
        for code in functions {
            w.byte(RDB.Opcode.function2)
            w.string(code)
        }
        for db in 0..<keyspace.databaseCount {
            let size = keyspace.count(db: db)
            if size == 0 { continue }
            w.byte(RDB.Opcode.selectDB)
            w.length(db)
            w.byte(RDB.Opcode.resizeDB)
            w.length(size)
            w.length(keyspace.volatileCount(db: db))
            var failure: SystemError?
            for shard in keyspace.shards {
                shard.dbs[db].forEach { e in
                    if e.expireAt != 0 {
                        if e.expireAt <= now { return true }
                        w.byte(RDB.Opcode.expireTimeMs)
                        w.littleEndian64(UInt64(bitPattern: e.expireAt))
                    }
                    RDBValues.write(e, w, withKey: true)
                    do throws(SystemError) { try w.flushIfLarge() } catch { failure = error; return false }
                    return true
                }
                if let failure { throw failure }
            }
        }
        w.byte(RDB.Opcode.eof)
        w.littleEndian64(w.crc)
        try w.flush()
    }

    private static func aux(_ w: RDBWriter, _ key: String, _ value: String) {
        w.byte(RDB.Opcode.aux)
        w.string(key)
        w.string(value)
    }

    /// What a load found.
    public struct LoadResult {
        public var keys = 0
        public var expiredSkipped = 0
        public var functions = 0
        public var aux: [String: String] = [:]
    }

    /// Loads an RDB image into `keyspace` (keys go in under their shard's lock,
    /// one at a time, so the server may keep serving meanwhile). `library`
    /// receives each function library's code. Keys already expired at `now`
    /// are skipped; aggregates take the encodings `limits` (the `*-max-*`
    /// settings) call for. Throws on any malformed, truncated or mis-checksummed input.
    public static func load(_ image: Bytes, keyspace: Keyspace, now: Int64, limits: ServerConfig? = nil,
                            library: ([UInt8]) throws(RDBError) -> Void) throws(RDBError) -> LoadResult {
        var r = RDBReader(image)
        if let limits { r.limits = limits }
        let magic = try r.bytes(9)
        guard magic.count == 9, Array(magic[0..<5]) == Array("REDIS".utf8),
              let version = Int(String(decoding: magic[5..<9], as: UTF8.self)) else {
            throw RDBError("Wrong signature trying to load DB from file")
        }
        guard version >= 1 && version <= Int(RDB.version) else {
            throw RDBError("Can't handle RDB format version \(version)")
        }
        var result = LoadResult()
        var db = 0
        var expireAt: Int64 = 0
        while true {
            let type = try r.byte()
            switch type {
            case RDB.Opcode.expireTimeMs:
                expireAt = Int64(bitPattern: try r.littleEndian64())
                continue
            case RDB.Opcode.expireTime:
                expireAt = Int64(Int32(bitPattern: try r.littleEndian32())) * 1000
                continue
            case RDB.Opcode.idle:
                _ = try r.length()
                continue
            case RDB.Opcode.freq:
                _ = try r.byte()
                continue
            case RDB.Opcode.eof:
                if version >= 5 {
                    let expected = try r.littleEndian64()
                    if expected != 0 {
                        let actual = CRC64.update(0, UnsafeRawBufferPointer(start: image.baseAddress, count: r.position - 8))
                        guard actual == expected else { throw RDBError("Wrong RDB checksum expected: (\(hex(expected))) got: (\(hex(actual))). Aborting now.") }
                    }
                }
                return result
            case RDB.Opcode.selectDB:
                db = try r.length()
                guard db < keyspace.databaseCount else {
                    throw RDBError("FATAL: Data file was created with a Redis server configured to handle more than \(keyspace.databaseCount) databases. Exiting")
                }
                continue
            case RDB.Opcode.resizeDB:
                _ = try r.length()
                _ = try r.length()
                continue
            case RDB.Opcode.aux:
                let k = String(decoding: try r.string(), as: UTF8.self)
                let v = String(decoding: try r.string(), as: UTF8.self)
                result.aux[k] = v
                continue
            case RDB.Opcode.moduleAux:
                throw RDBError("the RDB holds module data; Cinnabar loads no modules")
            case RDB.Opcode.function2:
                try library(try r.string())
                result.functions += 1
                continue
            case RDB.Opcode.function:
                throw RDBError("the RDB holds functions in the pre-release 7.0 format, which Cinnabar does not read")
            default:
                break
            }
            let keyBytes = try r.string()
            let value = try RDBValues.read(type, &r)
            let ttl = expireAt
            expireAt = 0
            if ttl != 0 && ttl <= now {
                result.expiredSkipped += 1
                continue
            }
            keyBytes.withBytes { kb in
                let key = Key(kb)
                let shard = keyspace.shardIndex(key.hash)
                keyspace.withShardLocked(shard) { _ in
                    let d = keyspace.database(db, now: now, observer: nil)
                    switch value {
                    case .string(let s): _ = s.withBytes { d.setString(key, $0, expireAt: ttl) }
                    case .object(let o): d.setObject(key, o, expireAt: ttl)
                    }
                }
            }
            result.keys += 1
        }
    }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 16 - s.count)) + s
    }
}

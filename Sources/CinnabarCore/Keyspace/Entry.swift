import CSystem
import Glibc

/// The type of a stored value, as `TYPE` names it.
public enum ValueType: UInt8, Sendable {
    case string = 0
    case list = 1
    case set = 2
    case zset = 3
    case hash = 4
    case stream = 5

    public var name: StaticString {
        switch self {
        case .string: return "string"
        case .list: return "list"
        case .set: return "set"
        case .zset: return "zset"
        case .hash: return "hash"
        case .stream: return "stream"
        }
    }
}

/// Base class of aggregate values (list, hash, set, sorted set) held by an
/// entry. A class rather than a protocol so entries can hold it through an
/// unmanaged pointer and hand it back without a dynamic cast.
open class StoredObject {
    public init() {}
    /// The value's type.
    open var valueType: ValueType { fatalError("abstract") }
    /// An independent deep copy (COPY).
    open func duplicate() -> StoredObject { fatalError("abstract") }
    /// Redis's name for the current encoding (OBJECT ENCODING).
    open var encodingName: String { "raw" }
    /// Approximate heap bytes used (MEMORY USAGE).
    open var memoryUsage: Int { 0 }
    /// Elements held.
    open var elementCount: Int { 0 }
    /// The RDB type code this value is saved under (Redis 7.0 can load it).
    open var rdbType: UInt8 { fatalError("abstract") }
    /// Writes the value (not the type byte) in RDB form.
    open func rdbWrite(_ w: RDBWriter) { fatalError("abstract") }
}

/// One key and its value in a single allocation:
///
///     0  next entry in the hash chain (8)
///     8  expiry, Unix ms; 0 = none     (8)
///     16 key length                    (4)
///     20 string value length           (4)
///     24 type (1) flags (1) LFU counter (1) unused (1)
///     28 access clock, seconds         (4)
///     32 key bytes, then either the string bytes or, 8-aligned, a retained object pointer
///
/// Valid only while its shard's lock is held and its dictionary is not mutated.
public struct Entry: Equatable {
    public let raw: UnsafeMutableRawPointer

    @inline(__always) init(_ raw: UnsafeMutableRawPointer) { self.raw = raw }

    static let headerSize = 32

    /// Flag: the string was modified in place (APPEND, SETRANGE, SETBIT), so Redis would report `raw`.
    public static let flagRawString: UInt8 = 1
    /// Flag: the string was built as text, not from an integer (INCRBYFLOAT), so
    /// Redis reports `embstr`/`raw` even when it reads as an integer.
    public static let flagNotInteger: UInt8 = 2
    /// Flag: an integer string that Redis would hold as a private object rather
    /// than one of its shared small integers (COPY duplicates), so OBJECT
    /// REFCOUNT reports 1. Cleared with the other flags when the value is rewritten.
    public static let flagUnsharedInt: UInt8 = 4

    /// The LFU counter of a new key (Redis's LFU_INIT_VAL), so fresh keys are
    /// not evicted before they had a chance to be accessed.
    public static let lfuInitialCounter: UInt8 = 5

    @inline(__always) var next: UnsafeMutableRawPointer? {
        get { raw.load(as: UnsafeMutableRawPointer?.self) }
        nonmutating set { raw.storeBytes(of: newValue, as: UnsafeMutableRawPointer?.self) }
    }

    /// Absolute expiry in Unix milliseconds, 0 when the key is persistent.
    @inline(__always) public var expireAt: Int64 {
        get { raw.load(fromByteOffset: 8, as: Int64.self) }
        nonmutating set { raw.storeBytes(of: newValue, toByteOffset: 8, as: Int64.self) }
    }

    @inline(__always) public var keyLength: Int { Int(raw.load(fromByteOffset: 16, as: UInt32.self)) }

    @inline(__always) var valueLength: Int {
        get { Int(raw.load(fromByteOffset: 20, as: UInt32.self)) }
        nonmutating set { raw.storeBytes(of: UInt32(newValue), toByteOffset: 20, as: UInt32.self) }
    }

    @inline(__always) public var type: ValueType {
        ValueType(rawValue: raw.load(fromByteOffset: 24, as: UInt8.self))!
    }

    @inline(__always) public var flags: UInt8 {
        get { raw.load(fromByteOffset: 25, as: UInt8.self) }
        nonmutating set { raw.storeBytes(of: newValue, toByteOffset: 25, as: UInt8.self) }
    }

    /// Logarithmic access frequency (OBJECT FREQ under an LFU policy), 0...255.
    @inline(__always) public var lfuCounter: UInt8 {
        get { raw.load(fromByteOffset: 26, as: UInt8.self) }
        nonmutating set { raw.storeBytes(of: newValue, toByteOffset: 26, as: UInt8.self) }
    }

    /// True when the key has an expiry that `now` (Unix ms) has passed. As in
    /// Redis, a key is still alive during the very millisecond it expires at.
    @inline(__always) public func isExpired(at now: Int64) -> Bool {
        let t = expireAt
        return t != 0 && t < now
    }

    /// Seconds clock of the last access (OBJECT IDLETIME).
    @inline(__always) public var accessClock: UInt32 {
        get { raw.load(fromByteOffset: 28, as: UInt32.self) }
        nonmutating set { raw.storeBytes(of: newValue, toByteOffset: 28, as: UInt32.self) }
    }

    @inline(__always) public var key: Bytes {
        Bytes(start: (raw + 32).assumingMemoryBound(to: UInt8.self), count: keyLength)
    }

    /// The string value (type must be `.string`).
    @inline(__always) public var string: Bytes {
        Bytes(start: (raw + 32 + keyLength).assumingMemoryBound(to: UInt8.self), count: valueLength)
    }

    /// Mutable view of the string bytes (type must be `.string`).
    @inline(__always) var mutableString: UnsafeMutableBufferPointer<UInt8> {
        UnsafeMutableBufferPointer(start: (raw + 32 + keyLength).assumingMemoryBound(to: UInt8.self), count: valueLength)
    }

    @inline(__always) static func objectOffset(keyLength: Int) -> Int { (32 + keyLength + 7) & ~7 }

    /// The aggregate value (type must not be `.string`).
    @inline(__always) public var object: StoredObject {
        let p = raw.load(fromByteOffset: Self.objectOffset(keyLength: keyLength), as: UnsafeMutableRawPointer.self)
        return Unmanaged<StoredObject>.fromOpaque(p).takeUnretainedValue()
    }

    /// The aggregate value cast to its concrete class without a dynamic check.
    @inline(__always) public func object<T: AnyObject>(as: T.Type) -> T {
        let p = raw.load(fromByteOffset: Self.objectOffset(keyLength: keyLength), as: UnsafeMutableRawPointer.self)
        return Unmanaged<T>.fromOpaque(p).takeUnretainedValue()
    }

    /// Bytes the string may grow to in place.
    var stringCapacity: Int { malloc_usable_size(raw) - 32 - keyLength }

    // MARK: allocation

    static func allocate(key: Bytes, type: ValueType, payload: Int) -> Entry {
        let size = type == .string ? 32 + key.count + payload : objectOffset(keyLength: key.count) + 8
        let raw = malloc(max(size, 40))!
        raw.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self)
        raw.storeBytes(of: Int64(0), toByteOffset: 8, as: Int64.self)
        raw.storeBytes(of: UInt32(key.count), toByteOffset: 16, as: UInt32.self)
        raw.storeBytes(of: UInt32(type == .string ? payload : 0), toByteOffset: 20, as: UInt32.self)
        raw.storeBytes(of: type.rawValue, toByteOffset: 24, as: UInt8.self)
        raw.storeBytes(of: UInt8(0), toByteOffset: 25, as: UInt8.self)
        raw.storeBytes(of: lfuInitialCounter, toByteOffset: 26, as: UInt8.self)
        raw.storeBytes(of: UInt8(0), toByteOffset: 27, as: UInt8.self)
        raw.storeBytes(of: Clock.seconds, toByteOffset: 28, as: UInt32.self)
        if key.count > 0 { (raw + 32).copyMemory(from: key.baseAddress!, byteCount: key.count) }
        return Entry(raw)
    }

    /// A new string entry holding a copy of `value`.
    static func makeString(key: Bytes, value: Bytes) -> Entry {
        let e = allocate(key: key, type: .string, payload: value.count)
        if value.count > 0 { (e.raw + 32 + key.count).copyMemory(from: value.baseAddress!, byteCount: value.count) }
        return e
    }

    /// A new entry owning (retaining) `object`.
    static func makeObject(key: Bytes, object: StoredObject) -> Entry {
        let e = allocate(key: key, type: object.valueType, payload: 0)
        let p = Unmanaged.passRetained(object).toOpaque()
        e.raw.storeBytes(of: p, toByteOffset: objectOffset(keyLength: key.count), as: UnsafeMutableRawPointer.self)
        return e
    }

    /// Frees the allocation, releasing an aggregate value.
    func free() {
        if type != .string {
            let p = raw.load(fromByteOffset: Self.objectOffset(keyLength: keyLength), as: UnsafeMutableRawPointer.self)
            Unmanaged<StoredObject>.fromOpaque(p).release()
        }
        Glibc.free(raw)
    }

    /// Detaches and returns the aggregate value (retained by the caller), leaving
    /// the entry to be freed without releasing it.
    func takeObject() -> StoredObject {
        let off = Self.objectOffset(keyLength: keyLength)
        let p = raw.load(fromByteOffset: off, as: UnsafeMutableRawPointer.self)
        let obj = Unmanaged<StoredObject>.fromOpaque(p).takeRetainedValue()
        raw.storeBytes(of: UInt8(ValueType.string.rawValue), toByteOffset: 24, as: UInt8.self)
        valueLength = 0
        return obj
    }

    /// Redis's OBJECT ENCODING name for this value.
    public var encodingName: String {
        guard type == .string else { return object.encodingName }
        let s = string
        let f = flags
        if f & Self.flagRawString != 0 { return "raw" }
        if f & Self.flagNotInteger == 0, s.count <= 20, Numbers.parseInt64(s) != nil { return "int" }
        return s.count <= 44 ? "embstr" : "raw"
    }

    /// Approximate heap bytes of this entry (MEMORY USAGE).
    public var memoryUsage: Int {
        let own = malloc_usable_size(raw)
        return type == .string ? own : own + object.memoryUsage
    }
}

/// A coarse seconds clock for access times, refreshed by the event loops.
public enum Clock {
    nonisolated(unsafe) public static var seconds: UInt32 = UInt32(truncatingIfNeeded: Sys.unixMillis() / 1000)

    public static func refresh() {
        seconds = UInt32(truncatingIfNeeded: Sys.unixMillis() / 1000)
    }
}

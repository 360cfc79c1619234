import CinnabarCore
import Synchronization

/// One function of a library, as registered by `redis.register_function`.
public struct FunctionInfo {
    public let name: String
    public let description: String?
    let flags: ScriptFlags

    public var flagNames: [String] { flags.names }
}

/// A loaded library: its source (shebang included, as FUNCTION LIST WITHCODE
/// and FUNCTION DUMP show it) and its functions in registration order.
/// Immutable: replacing a library creates a new object, which is how every
/// Lua state notices it must recompile.
public final class FunctionLibrary {
    public let name: String
    /// The whole payload given to FUNCTION LOAD.
    public let code: [UInt8]
    /// Offset of the line feed ending the shebang: the engine compiles from
    /// there so line numbers match the payload.
    let bodyOffset: Int
    public let functions: [FunctionInfo]

    init(name: String, code: [UInt8], bodyOffset: Int, functions: [FunctionInfo]) {
        self.name = name
        self.code = code
        self.bodyOffset = bodyOffset
        self.functions = functions
    }
}

/// The server's libraries. Changed only by commands that hold every shard
/// (FUNCTION LOAD/DELETE/FLUSH/RESTORE), so a call made while holding the
/// keyspace sees one consistent version; the lock guards readers that do not.
public final class FunctionRegistry: @unchecked Sendable {
    private let lock = Lock()
    private var libraries: [String: FunctionLibrary] = [:]
    /// Functions by case-folded name: FCALL and collisions ignore case, as Redis's function dictionary does.
    private var functions: [String: (FunctionLibrary, FunctionInfo)] = [:]

    static func fold(_ name: String) -> String { name.lowercased() }

    /// Bumped by every change, after it is visible: lookups cached per loop
    /// (`FunctionLookupCache`) are valid while it stays the same.
    let generation = Atomic<Int>(0)

    public init() {}

    /// Libraries sorted by name.
    public var all: [FunctionLibrary] {
        lock.withLock { libraries.values.sorted { $0.name < $1.name } }
    }

    public var libraryCount: Int { lock.withLock { libraries.count } }
    /// Bytes held for libraries: their code, names and descriptions (INFO used_memory_functions).
    public var memoryEstimate: Int {
        lock.withLock {
            libraries.values.reduce(0) { total, lib in
                total + lib.code.count + lib.name.utf8.count
                    + lib.functions.reduce(0) { $0 + $1.name.utf8.count + ($1.description?.utf8.count ?? 0) + 64 }
            }
        }
    }
    public var functionCount: Int { lock.withLock { functions.count } }

    public func library(_ name: String) -> FunctionLibrary? {
        lock.withLock { libraries[name] }
    }

    /// The library and entry of function `name`.
    func function(_ name: Bytes) -> (FunctionLibrary, FunctionInfo)? {
        let key = Self.fold(name.string)
        return lock.withLock { functions[key] }
    }

    /// Adds libraries, replacing same-named ones when `replace`; all or nothing.
    /// Returns Redis's error text on a collision.
    func install(_ libs: [FunctionLibrary], replace: Bool) -> String? {
        lock.withLock {
            var nextLibs = libraries
            for lib in libs {
                if nextLibs[lib.name] != nil {
                    if !replace { return "Library \(lib.name) already exists" }
                    nextLibs[lib.name] = nil
                }
            }
            var nextFns: [String: (FunctionLibrary, FunctionInfo)] = [:]
            for l in nextLibs.values { for f in l.functions { nextFns[Self.fold(f.name)] = (l, f) } }
            for lib in libs {
                for f in lib.functions where nextFns[Self.fold(f.name)] != nil {
                    return "Function \(f.name) already exists"
                }
                for f in lib.functions { nextFns[Self.fold(f.name)] = (lib, f) }
                nextLibs[lib.name] = lib
            }
            libraries = nextLibs
            functions = nextFns
            generation.wrappingAdd(1, ordering: .releasing)
            return nil
        }
    }

    /// Function names used by libraries other than `except` (collision checks at load).
    func functionOwner(_ name: String) -> String? {
        lock.withLock { functions[Self.fold(name)]?.0.name }
    }

    @discardableResult
    public func delete(_ name: String) -> Bool {
        lock.withLock {
            guard let lib = libraries.removeValue(forKey: name) else { return false }
            for f in lib.functions { functions[Self.fold(f.name)] = nil }
            generation.wrappingAdd(1, ordering: .releasing)
            return true
        }
    }

    public func flush() {
        lock.withLock {
            libraries.removeAll()
            functions.removeAll()
            generation.wrappingAdd(1, ordering: .releasing)
        }
    }

    /// Replaces everything (FUNCTION RESTORE FLUSH, loading a snapshot).
    func replaceAll(_ libs: [FunctionLibrary]) {
        lock.withLock {
            libraries.removeAll()
            functions.removeAll()
            for l in libs {
                libraries[l.name] = l
                for f in l.functions { functions[Self.fold(f.name)] = (l, f) }
            }
            generation.wrappingAdd(1, ordering: .releasing)
        }
    }

    /// Redis's rule for library and function names: letters, digits, underscores; not empty.
    static func validName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }

    /// Parses the `#!lua name=<lib>` first line. Returns (engine, name, body offset) or Redis's error.
    static func metadata(_ code: Bytes) -> Result<(engine: String, name: String, bodyOffset: Int), CommandError> {
        guard code.count >= 2, code[0] == 35, code[1] == 33 else { return .failure(.custom("ERR Missing library metadata")) }
        guard let nl = code.firstIndex(of: 10) else { return .failure(.custom("ERR Invalid library metadata")) }
        var storage: [UInt8] = [], offs: [Int] = [], lens: [Int] = []
        guard RequestParser.splitArgs(Bytes(rebasing: code[0..<nl]), into: &storage, offsets: &offs, lengths: &lens), !offs.isEmpty else {
            return .failure(.custom("ERR Invalid library metadata"))
        }
        let parts = zip(offs, lens).map { String(decoding: storage[$0..<($0 + $1)], as: UTF8.self) }
        let engine = String(parts[0].dropFirst(2))
        var name: String?
        for p in parts.dropFirst() {
            if p.lowercased().hasPrefix("name=") {
                if name != nil { return .failure(.custom("ERR Invalid metadata value, name argument was given multiple times")) }
                name = String(p.dropFirst(5))
                continue
            }
            return .failure(.custom("ERR Invalid metadata value given: \(p)"))
        }
        guard let name else { return .failure(.custom("ERR Library name was not given")) }
        return .success((engine, name, nl))
    }
}

/// One event loop's memo of recent FCALL name lookups, so a call finds its
/// function without a String, a hash or the registry's shared lock. Owned
/// by one loop's runner; emptied whenever the registry's generation moves.
final class FunctionLookupCache {
    private var generation = -1
    private var entries: [(name: [UInt8], library: FunctionLibrary, function: FunctionInfo)] = []
    static let capacity = 16

    func find(_ name: Bytes, in registry: FunctionRegistry) -> (FunctionLibrary, FunctionInfo)? {
        let current = registry.generation.load(ordering: .acquiring)
        if current != generation {
            entries.removeAll(keepingCapacity: true)
            generation = current
        }
        for e in entries where Self.equalIgnoringCase(e.name, name) { return (e.library, e.function) }
        guard let found = registry.function(name) else { return nil }
        if entries.count >= Self.capacity { entries.removeFirst() }
        entries.append((Array(name), found.0, found.1))
        return found
    }

    /// ASCII case-insensitive equality, as Redis compares function names.
    @inline(__always)
    static func equalIgnoringCase(_ a: [UInt8], _ b: Bytes) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count {
            let x = a[i], y = b[i]
            if x == y { continue }
            // Only letters may differ, and only by case.
            let lower = x | 0x20
            guard lower == y | 0x20, lower >= 0x61, lower <= 0x7a else { return false }
        }
        return true
    }
}

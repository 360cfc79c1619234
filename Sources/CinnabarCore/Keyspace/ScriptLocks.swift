import CSystem
import Glibc

/// The shards held by a script that runs with only the locks it needs, so
/// scripts on different shards run in parallel on different loop threads.
///
/// The protocol keeps every run atomic and the lock order deadlock-free:
/// - A run starts holding the shards of its declared keys, taken in ascending
///   order and waited for like any multi-key command's.
/// - A command the script runs that needs a shard not held takes it only if
///   it is free (try-lock) and keeps it until the run ends (two-phase
///   locking: the run is equivalent to running alone at its end). A run never
///   waits while holding shards, so it cannot close a cycle of waiters.
/// - Before a command with effects, the current value of every key it names
///   is saved. A large value, a command that may touch anything, or one whose
///   effects leave the keyspace (PUBLISH, other databases) makes the run take
///   every shard instead; from then on it behaves as a serial script.
/// - When a shard it needs is busy, the run stops (`conflict`), its writes are
///   undone from the saved values, and the caller repeats it holding every
///   shard. Nobody saw the undone writes: they were behind the run's locks.
public final class ScriptLockSet {
    /// The keyspace outlives every run (no reference counting).
    public unowned(unsafe) let keyspace: Keyspace
    private var held: [Bool]
    /// Held shard indices, in the order taken.
    public private(set) var heldList: [Int] = []
    /// Every shard is held: nothing can conflict any more.
    public private(set) var holdsAll = false
    /// A needed shard was busy: the run must be undone and repeated holding every shard.
    public private(set) var conflict = false
    /// Ids of commands that must hold every shard when a partial run runs
    /// them: they reach another database (MOVE, COPY ... DB) or lock shards
    /// themselves (INFO).
    private let allShardCommands: Set<Int>

    private struct Saved {
        let db: Int
        let key: [UInt8]
        let hash: UInt64
        /// A private copy of the entry as it was, nil when the key was absent.
        let entry: Entry?
    }
    private var saved: [Saved] = []

    /// Values larger than these are not copied: the run takes every shard instead.
    static let maxSavedStringBytes = 64 * 1024
    static let maxSavedElements = 512

    public init(keyspace: Keyspace, allShardCommands: Set<Int>) {
        self.keyspace = keyspace
        held = Array(repeating: false, count: keyspace.shards.count)
        self.allShardCommands = allShardCommands
    }

    deinit { discardSaved() }

    // MARK: starting a run

    /// Takes the shards of the keys `c`'s arguments hold at `keys`, in
    /// ascending order and waiting as commands do. False (nothing held) when a
    /// busy script makes the keyspace refuse locks.
    public func takeDeclared(_ c: Client, keys: Range<Int>) -> Bool {
        precondition(heldList.isEmpty && !holdsAll, "a lock set is reused only after release")
        conflict = false
        for i in keys {
            let s = keyspace.shardIndex(c.key(i).hash)
            if !held[s] {
                held[s] = true
                heldList.append(s)
            }
        }
        if heldList.count > 1 { heldList.sort() }
        let ok = heldList.withUnsafeBufferPointer { keyspace.lock(sorted: $0) }
        guard ok else {
            for s in heldList { held[s] = false }
            heldList.removeAll(keepingCapacity: true)
            return false
        }
        if heldList.count == held.count { holdsAll = true }
        return true
    }

    /// Takes every shard, waiting as commands do; false when the keyspace is busy.
    public func takeAllWaiting() -> Bool {
        precondition(heldList.isEmpty && !holdsAll, "a lock set is reused only after release")
        conflict = false
        guard keyspace.lockAll() else { return false }
        for i in 0..<held.count { held[i] = true }
        heldList = Array(0..<held.count)
        holdsAll = true
        return true
    }

    // MARK: during the run

    /// Prepares `cmd` (with `c`'s arguments) to run inside the script: takes
    /// the shards it needs if they are free and saves what it may change.
    /// False when the run must stop (`conflict` is then set). Once every
    /// shard is held, `c.holdsAllShards` is set and this is no longer asked.
    public func admit(_ c: Client, _ cmd: CommandSpec) -> Bool {
        if conflict { return false }
        if holdsAll { return true }
        let effects = cmd.flags.contains(.write) || cmd.flags.contains(.mayReplicate)
        // The common single-key read: no arrays.
        if !effects && cmd.keyFinder == nil, case .range(let first, let last, _) = cmd.keys, first == last, first < c.argc,
           !allShardCommands.contains(cmd.id) {
            let s = keyspace.shardIndex(c.key(first).hash)
            if held[s] { return true }
            guard keyspace.tryLock(s) else {
                conflict = true
                return false
            }
            held[s] = true
            heldList.append(s)
            return true
        }
        let positions: [Int]
        switch cmd.keyPositions(c) {
        case .everything:
            return takeRest(c)
        case .positions(let p):
            positions = p
        }
        // Deliveries to subscribers cannot be undone; keyless effects may be anywhere.
        if cmd.flags.contains(.pubsub) || (effects && positions.isEmpty) || allShardCommands.contains(cmd.id) {
            return takeRest(c)
        }
        for p in positions {
            let s = keyspace.shardIndex(c.key(p).hash)
            if !held[s] {
                guard keyspace.tryLock(s) else {
                    conflict = true
                    return false
                }
                held[s] = true
                heldList.append(s)
            }
        }
        if effects {
            for p in positions where !save(db: c.dbIndex, key: c.key(p)) {
                return takeRest(c)
            }
        }
        return true
    }

    /// Takes every shard not yet held if all are free; otherwise marks a conflict.
    private func takeRest(_ c: Client) -> Bool {
        for s in 0..<held.count where !held[s] {
            guard keyspace.tryLock(s) else {
                conflict = true
                return false
            }
            held[s] = true
            heldList.append(s)
        }
        holdsAll = true
        c.holdsAllShards = true
        discardSaved()
        return true
    }

    /// Saves `key`'s current entry in `db` unless already saved. False when the
    /// value is too large to copy.
    private func save(db: Int, key: Key) -> Bool {
        for s in saved where s.db == db && s.hash == key.hash {
            if s.key.withBytes({ key.bytes.equals($0) }) { return true }
        }
        let dict = keyspace.dict(shard: keyspace.shardIndex(key.hash), db: db)
        var copy: Entry?
        if let e = dict.find(key.bytes, hash: key.hash) {
            let c: Entry
            if e.type == .string {
                guard e.string.count <= Self.maxSavedStringBytes else { return false }
                c = Entry.makeString(key: e.key, value: e.string)
            } else {
                let object = e.object
                guard object.elementCount <= Self.maxSavedElements else { return false }
                c = Entry.makeObject(key: e.key, object: object.duplicate())
            }
            c.expireAt = e.expireAt
            c.flags = e.flags
            c.lfuCounter = e.lfuCounter
            c.accessClock = e.accessClock
            copy = c
        }
        saved.append(Saved(db: db, key: Array(key.bytes), hash: key.hash, entry: copy))
        return true
    }

    // MARK: ending a run

    /// Puts every saved key back as it was before the run (after a conflict).
    public func undo() {
        for s in saved.reversed() {
            let dict = keyspace.dict(shard: keyspace.shardIndex(s.hash), db: s.db)
            s.key.withBytes { k in
                if let current = dict.remove(k, hash: s.hash) { current.free() }
            }
            if let e = s.entry { dict.insert(e, hash: s.hash) }
        }
        saved.removeAll(keepingCapacity: true)
    }

    /// Releases every held shard and forgets the run (saved copies included).
    public func release() {
        discardSaved()
        if holdsAll {
            keyspace.unlockAll()
        } else {
            for s in heldList.reversed() { keyspace.unlock(s) }
        }
        for s in heldList { held[s] = false }
        heldList.removeAll(keepingCapacity: true)
        holdsAll = false
    }

    private func discardSaved() {
        for s in saved { s.entry?.free() }
        saved.removeAll(keepingCapacity: true)
    }
}

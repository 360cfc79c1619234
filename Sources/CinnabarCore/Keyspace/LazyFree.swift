import CSystem
import Glibc
import Synchronization

/// Frees detached keyspace data on a background thread (FLUSHDB/FLUSHALL
/// ASYNC, UNLINK of large values), so the command that holds the shard locks
/// replies without paying for the deallocation.
///
/// Contract: whatever is handed over must be unreachable from the keyspace
/// (taken out of its dictionary); the worker owns it from then on.
public final class LazyFree: @unchecked Sendable {
    public static let shared = LazyFree()

    /// Values above this many elements are worth freeing in the background
    /// (Redis's LAZYFREE_THRESHOLD).
    public static let threshold = 64

    private let condition = Condition()
    private var dicts: [Dict] = []
    private var entries: [Entry] = []
    private var running = false

    /// Objects queued and not yet freed (INFO lazyfree_pending_objects).
    public let pendingObjects = Atomic<Int>(0)
    /// Objects freed by the worker so far (INFO lazyfreed_objects).
    public let freedObjects = Atomic<Int>(0)

    init() {}

    /// True when `entry` holds enough elements to be freed in the background.
    public static func worthDeferring(_ entry: Entry) -> Bool {
        entry.type != .string && entry.object.elementCount > threshold
    }

    /// Takes ownership of dictionaries emptied out of the keyspace (`Dict.takeAll`).
    public func release(_ taken: [Dict]) {
        let n = taken.reduce(0) { $0 + $1.count }
        if n == 0 { return }
        pendingObjects.wrappingAdd(n, ordering: .relaxed)
        enqueue { dicts.append(contentsOf: taken) }
    }

    /// Frees `entry` (already unlinked from its dictionary): large aggregates
    /// in the background, everything else at once.
    public func release(_ entry: Entry) {
        guard Self.worthDeferring(entry) else {
            entry.free()
            return
        }
        pendingObjects.wrappingAdd(1, ordering: .relaxed)
        enqueue { entries.append(entry) }
    }

    private func enqueue(_ add: () -> Void) {
        condition.lock.withLock {
            add()
            if !running {
                running = true
                let tid = Threads.spawn(name: "cinnabar-lazyfree") { [self] in work() }
                pthread_detach(tid)
            }
            condition.signal()
        }
    }

    private func work() {
        while true {
            condition.lock.lock()
            while dicts.isEmpty && entries.isEmpty { condition.wait() }
            let ds = dicts, es = entries
            dicts.removeAll()
            entries.removeAll()
            condition.lock.unlock()
            for d in ds {
                let n = d.count
                d.clear()
                pendingObjects.wrappingAdd(-n, ordering: .relaxed)
                freedObjects.wrappingAdd(n, ordering: .relaxed)
            }
            for e in es {
                e.free()
                pendingObjects.wrappingAdd(-1, ordering: .relaxed)
                freedObjects.wrappingAdd(1, ordering: .relaxed)
            }
        }
    }
}

import Synchronization

/// Write bookkeeping shared by every command: save-point counting, WATCH
/// invalidation and keyspace notifications.
extension Client {
    /// Records a modification of `key` (Redis's signalModifiedKey plus a
    /// change for save points) and emits keyspace event `event` of class `cls`.
    @inline(__always)
    public func modified(_ key: Key, _ cls: NotifyFlags, _ event: String, changes: Int = 1) {
        touched(key, changes: changes)
        notify(cls, event, key.bytes)
    }

    /// Counts `n` changes to the data set made by this client's command:
    /// towards save points, and so the command is logged to the append-only file.
    @inline(__always)
    public func markDirty(_ n: Int = 1) {
        changes &+= n
        server.markDirty(n)
    }

    /// Signals that `key` changed without emitting an event.
    @inline(__always)
    public func touched(_ key: Key, changes: Int = 1) {
        markDirty(changes)
        if server.watchedKeys.load(ordering: .relaxed) > 0 {
            server.invalidateWatchers(db: dbIndex, key: key)
        }
        if server.tracking.work.load(ordering: .relaxed) > 0 { server.tracking.keyModified(key, by: self) }
    }

    /// Emits a keyspace notification for `key` in the selected database when
    /// `notify-keyspace-events` enables class `cls`.
    @inline(__always)
    public func notify(_ cls: NotifyFlags, _ event: String, _ key: Bytes) {
        let enabled = context.config.notifyKeyspaceEvents
        if enabled == 0 { return }
        server.emitKeyspaceEvent(cls, event, key: key, db: dbIndex, enabled: NotifyFlags(rawValue: enabled))
    }
}

extension Server {
    /// Publishes `__keyspace@<db>__:<key>` and/or `__keyevent@<db>__:<event>` messages.
    public func emitKeyspaceEvent(_ cls: NotifyFlags, _ event: String, key: Bytes, db: Int, enabled: NotifyFlags) {
        guard enabled.contains(cls) || (cls == .keyMiss && enabled.contains(.keyMiss)), let sink = keyspaceEventSink else { return }
        if enabled.contains(.keyspace) {
            let channel = Array("__keyspace@\(db)__:".utf8) + Array(key)
            sink(channel, Array(event.utf8))
        }
        if enabled.contains(.keyevent) {
            let channel = Array("__keyevent@\(db)__:\(event)".utf8)
            sink(channel, Array(key))
        }
    }

    /// Memory eviction removed `key` from database `db` (its shard locked by
    /// the caller): signals WATCH, then emits `evicted`, in Redis's order.
    public func keyEvicted(db: Int, key: Key) {
        if watchedKeys.load(ordering: .relaxed) > 0 { invalidateWatchers(db: db, key: key) }
        if tracking.work.load(ordering: .relaxed) > 0 { tracking.keyRemoved(key) }
        let events = currentContext?.config.notifyKeyspaceEvents ?? config.snapshot.notifyKeyspaceEvents
        if events != 0 {
            emitKeyspaceEvent(.evicted, "evicted", key: key.bytes, db: db, enabled: NotifyFlags(rawValue: events))
        }
    }

    /// Invalidates WATCH on `key` (installed by the transactions module).
    func invalidateWatchers(db: Int, key: Key) {
        watchInvalidator?(db, key)
    }
}

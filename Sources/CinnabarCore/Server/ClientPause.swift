import CSystem
import Glibc
import Synchronization

/// CLIENT PAUSE state: until `end`, commands of every client (`all`) or only
/// those that may change data (`write`) are held back, then run in order.
/// Active expiry waits too, so paused writes see the dataset they expect.
public final class ClientPause: @unchecked Sendable {
    /// What a pause holds back: nothing, commands that may change data, or everything.
    public enum Mode: Int { case off = 0, write = 1, all = 2 }

    private let lock = Lock()
    private var mode = Mode.off
    private var end: Int64 = 0
    /// Nonzero while a pause may be in force; the dispatcher's only cost otherwise.
    private let engaged = Atomic<Bool>(false)

    /// The pause in force at `now` (Unix ms), `off` once it expired.
    @inline(__always)
    public func current(now: Int64) -> Mode {
        guard engaged.load(ordering: .acquiring) else { return .off }
        return lock.withLock { now < end ? mode : .off }
    }

    /// True while a pause is in force.
    public func isPaused(now: Int64) -> Bool { current(now: now) != .off }

    /// Extends the pause: the stronger mode and the later end win, as when
    /// Redis combines pauses.
    func pause(_ m: Mode, until deadline: Int64) {
        lock.withLock {
            if mode == .off || end <= Sys.unixMillis() {
                mode = m
                end = deadline
            } else {
                mode = Mode(rawValue: max(mode.rawValue, m.rawValue))!
                end = max(end, deadline)
            }
            engaged.store(true, ordering: .releasing)
        }
    }

    func clear() {
        lock.withLock {
            mode = .off
            end = 0
            engaged.store(false, ordering: .releasing)
        }
    }
}

extension Server {
    /// CLIENT PAUSE: holds back commands for `millis` milliseconds; each loop
    /// resumes its held clients when the pause runs out.
    public func pauseClients(mode: ClientPause.Mode, millis: Int64) {
        clientPause.pause(mode, until: Sys.unixMillis() + millis)
        for ctx in contexts {
            ctx.loop.execute { [unowned self, unowned ctx] in
                ctx.loop.schedule(afterMillis: millis + 1) { [unowned self, unowned ctx] in
                    self.resumePostponed(ctx)
                }
            }
        }
    }

    /// CLIENT UNPAUSE: ends any pause and runs the held commands.
    public func unpauseClients() {
        clientPause.clear()
        for ctx in contexts {
            ctx.loop.execute { [unowned self, unowned ctx] in self.resumePostponed(ctx) }
        }
    }

    /// True when `cmd` from `c` must wait for the current pause to end: every
    /// command under `all`; under `write`, commands that write or may
    /// replicate (EXEC when its queue holds one).
    @inline(__always)
    func mustPostpone(_ c: Client, _ cmd: CommandSpec) -> Bool {
        switch clientPause.current(now: cachedMillis) {
        case .off: return false
        case .all: return true
        case .write:
            if cmd.flags.contains(.write) || cmd.flags.contains(.mayReplicate) { return true }
            guard cmd.name == "exec" else { return false }
            return c.multiQueue.contains { queued in
                guard var spec = commands.lookup(queued.arg(0)) else { return false }
                if !spec.subcommands.isEmpty && queued.count >= 2, let sub = spec.subcommand(queued.arg(1)) { spec = sub }
                return spec.flags.contains(.write) || spec.flags.contains(.mayReplicate)
            }
        }
    }

    /// Holds `c`'s current command until the pause ends.
    func postpone(_ c: Client) {
        c.postponedCommand = OwnedCommand(copying: c)
        c.flags.insert(.postponed)
    }

    /// Runs the held commands of `ctx`'s clients once no pause is in force,
    /// then lets each client continue with its buffered input.
    func resumePostponed(_ ctx: LoopContext) {
        guard !clientPause.isPaused(now: Sys.unixMillis()) else { return }
        let held = ctx.clientsLock.withLock { ctx.clients.values.filter { $0.flags.contains(.postponed) } }
        for c in held.sorted(by: { $0.id < $1.id }) where !c.closed {
            c.flags.remove(.postponed)
            guard let cmd = c.postponedCommand else { continue }
            c.postponedCommand = nil
            c.load(cmd)
            processCommand(c)
            if !c.flags.contains(.postponed) { c.processInput() }
            c.scheduleWrite()
        }
    }
}

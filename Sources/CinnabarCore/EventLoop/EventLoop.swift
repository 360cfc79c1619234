import CSystem
import Glibc
import Synchronization

/// Something registered with an event loop for readiness notifications.
public protocol EventHandler: AnyObject {
    /// Called on the loop's thread with the epoll event mask.
    func handleEvents(_ events: UInt32)
}

/// One thread's epoll loop: file-descriptor readiness, timers, a cross-thread
/// task queue woken through an eventfd, and hooks run before each sleep.
///
/// Contract: everything except `execute(_:)` and `stop()` is called on the
/// loop's own thread.
public final class EventLoop: @unchecked Sendable {
    public let index: Int
    private let epfd: Int32
    private let wakeFD: Int32
    private var handlers: [EventHandler?] = []
    private let events: UnsafeMutablePointer<epoll_event>
    /// A second buffer for polls nested inside a handler (the outer dispatch is still reading `events`).
    private let nestedEvents: UnsafeMutablePointer<epoll_event>
    private let maxEvents: Int32 = 512

    private let taskLock = Lock()
    private var tasks: [() -> Void] = []
    private var runningTasks: [() -> Void] = []
    /// Tasks that may also run inside a nested poll (they take no keyspace locks).
    private var nestedSafeTasks: [() -> Void] = []
    private let wakeArmed = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)

    private var timers = TimerHeap()
    private var nextTimerID: UInt64 = 1

    /// Run at the start of each iteration, after waking (refresh cached clocks and configuration).
    public var onWake: [() -> Void] = []
    /// Run before each sleep (flush pending client writes, append-only file).
    public var beforeSleep: [() -> Void] = []

    /// The pthread running `run()`, once started.
    public private(set) var thread: pthread_t?

    public init(index: Int) throws(SystemError) {
        self.index = index
        epfd = try Sys.epollCreate()
        wakeFD = try Sys.eventFD()
        events = .allocate(capacity: Int(maxEvents))
        nestedEvents = .allocate(capacity: Int(maxEvents))
        try Sys.epollControl(epfd, EPOLL_CTL_ADD, wakeFD, events: EPOLLIN.rawValue)
    }

    deinit {
        Sys.close(epfd)
        Sys.close(wakeFD)
        events.deallocate()
        nestedEvents.deallocate()
    }

    /// True when called on this loop's thread.
    public var inLoopThread: Bool {
        guard let thread else { return false }
        return pthread_equal(thread, pthread_self()) != 0
    }

    // MARK: descriptors

    public func register(_ fd: Int32, _ handler: EventHandler, read: Bool = true, write: Bool = false) throws(SystemError) {
        if Int(fd) >= handlers.count {
            handlers.append(contentsOf: repeatElement(nil, count: Int(fd) + 64 - handlers.count))
        }
        handlers[Int(fd)] = handler
        try Sys.epollControl(epfd, EPOLL_CTL_ADD, fd, events: Self.mask(read: read, write: write))
    }

    public func modify(_ fd: Int32, read: Bool, write: Bool) {
        try? Sys.epollControl(epfd, EPOLL_CTL_MOD, fd, events: Self.mask(read: read, write: write))
    }

    public func unregister(_ fd: Int32) {
        try? Sys.epollControl(epfd, EPOLL_CTL_DEL, fd, events: 0)
        if Int(fd) < handlers.count { handlers[Int(fd)] = nil }
    }

    private static func mask(read: Bool, write: Bool) -> UInt32 {
        (read ? EPOLLIN.rawValue : 0) | (write ? EPOLLOUT.rawValue : 0)
    }

    // MARK: tasks

    /// Queues `task` to run on this loop's thread and wakes it. Thread-safe.
    public func execute(_ task: @escaping () -> Void) {
        taskLock.lock()
        tasks.append(task)
        taskLock.unlock()
        if !wakeArmed.exchange(true, ordering: .acquiringAndReleasing) {
            Sys.eventSignal(wakeFD)
        }
    }

    /// Queues a task that takes no keyspace locks, so it may also run while
    /// the loop is polled from inside a long script (accepting connections,
    /// appending replies). Thread-safe.
    public func executeNestedSafe(_ task: @escaping () -> Void) {
        taskLock.lock()
        nestedSafeTasks.append(task)
        taskLock.unlock()
        if !wakeArmed.exchange(true, ordering: .acquiringAndReleasing) {
            Sys.eventSignal(wakeFD)
        }
    }

    /// Runs every queued task; returns whether any ran.
    @discardableResult
    public func runPendingTasks() -> Bool {
        let ran = runNestedSafeTasks()
        taskLock.lock()
        if tasks.isEmpty {
            taskLock.unlock()
            return ran
        }
        swap(&tasks, &runningTasks)
        taskLock.unlock()
        for task in runningTasks { task() }
        runningTasks.removeAll(keepingCapacity: true)
        return true
    }

    @discardableResult
    private func runNestedSafeTasks() -> Bool {
        taskLock.lock()
        if nestedSafeTasks.isEmpty {
            taskLock.unlock()
            return false
        }
        let list = nestedSafeTasks
        nestedSafeTasks.removeAll()
        taskLock.unlock()
        for task in list { task() }
        return true
    }

    private var hasPendingTasks: Bool {
        taskLock.lock()
        defer { taskLock.unlock() }
        return !tasks.isEmpty || !nestedSafeTasks.isEmpty
    }

    // MARK: timers

    /// Runs `action` after `millis`, then every `millis` when `repeating`.
    @discardableResult
    public func schedule(afterMillis millis: Int64, repeating: Bool = false, _ action: @escaping () -> Void) -> UInt64 {
        let id = nextTimerID
        nextTimerID += 1
        timers.push(.init(deadline: Sys.monotonicNanos() + millis * 1_000_000, id: id,
                          interval: repeating ? millis * 1_000_000 : 0, action: action))
        return id
    }

    public func cancelTimer(_ id: UInt64) {
        timers.cancel(id)
    }

    private func fireTimers() {
        let now = Sys.monotonicNanos()
        while let top = timers.peek, top.deadline <= now {
            var timer = timers.pop()!
            if timer.interval > 0 {
                let action = timer.action
                timer.deadline = now + timer.interval
                timers.push(timer)
                action()
            } else {
                timer.action()
            }
        }
    }

    private func timeoutMillis() -> Int32 {
        guard let top = timers.peek else { return 1000 }
        let delta = top.deadline - Sys.monotonicNanos()
        if delta <= 0 { return 0 }
        return Int32(min(1000, (delta + 999_999) / 1_000_000))
    }

    // MARK: running

    /// Runs until `stop()`; call on the thread that should own the loop.
    public func run() {
        thread = pthread_self()
        while !stopRequested.load(ordering: .acquiring) {
            runOnce(timeoutMillis: nil)
        }
    }

    /// One iteration: sleep hooks, wait (at most `timeoutMillis`, or until the
    /// next timer), dispatch events, tasks and timers. Re-entrant calls from a
    /// handler (a busy script polling its peers) use `dispatch` only.
    public func runOnce(timeoutMillis: Int32?) {
        for hook in beforeSleep { hook() }
        var timeout = timeoutMillis ?? self.timeoutMillis()
        if hasPendingTasks { timeout = 0 }
        let n = (try? Sys.epollWait(epfd, events, maxEvents, timeoutMs: timeout)) ?? 0
        for hook in onWake { hook() }
        // Tasks queued by other loops before these events arrived run first:
        // a delivery another loop made (an invalidation, a message) then
        // precedes the reply to a request the peer sent after seeing it.
        runPendingTasks()
        dispatch(count: n)
        runPendingTasks()
        fireTimers()
    }

    /// Polls without blocking and dispatches ready events only to handlers
    /// accepted by `filter` (others stay ready for later). Used while a
    /// long-running script holds the keyspace.
    public func pollNested(filter: (EventHandler) -> Bool) {
        runNestedSafeTasks()
        let n = (try? Sys.epollWait(epfd, nestedEvents, maxEvents, timeoutMs: 0)) ?? 0
        for hook in onWake { hook() }
        for i in 0..<n {
            let ev = nestedEvents[i]
            var evCopy = ev
            let fd = csystem_epoll_data_fd(&evCopy)
            if fd == wakeFD { continue }
            if Int(fd) < handlers.count, let h = handlers[Int(fd)], filter(h) {
                h.handleEvents(ev.events)
            }
        }
    }

    private func dispatch(count n: Int) {
        for i in 0..<n {
            let ev = events[i]
            var evCopy = ev
            let fd = csystem_epoll_data_fd(&evCopy)
            if fd == wakeFD {
                wakeArmed.store(false, ordering: .releasing)
                Sys.eventDrain(wakeFD)
                continue
            }
            if Int(fd) < handlers.count, let h = handlers[Int(fd)] {
                h.handleEvents(ev.events)
            }
        }
    }

    /// Asks the loop to return from `run()`. Thread-safe.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        Sys.eventSignal(wakeFD)
    }
}

/// A binary min-heap of timers ordered by deadline.
struct TimerHeap {
    struct Timer {
        var deadline: Int64
        let id: UInt64
        let interval: Int64
        let action: () -> Void
    }

    private var items: [Timer] = []
    private var cancelled: Set<UInt64> = []

    var peek: Timer? {
        mutating get {
            while let first = items.first, cancelled.contains(first.id) {
                cancelled.remove(first.id)
                _ = popRaw()
            }
            return items.first
        }
    }

    mutating func cancel(_ id: UInt64) {
        if items.contains(where: { $0.id == id }) { cancelled.insert(id) }
    }

    mutating func push(_ t: Timer) {
        items.append(t)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[p].deadline <= items[i].deadline { break }
            items.swapAt(p, i)
            i = p
        }
    }

    mutating func pop() -> Timer? {
        _ = peek
        return popRaw()
    }

    private mutating func popRaw() -> Timer? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && items[l].deadline < items[m].deadline { m = l }
            if r < items.count && items[r].deadline < items[m].deadline { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return top
    }
}

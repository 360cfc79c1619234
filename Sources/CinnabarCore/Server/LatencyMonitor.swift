

/// The LATENCY event monitor: for each event class ("command",
/// "fast-command", "fork"...) the last 160 seconds in which something took
/// at least `latency-monitor-threshold` milliseconds (one sample per second,
/// the worst of that second) and the worst ever seen. Any thread may add.
public final class LatencyMonitor: @unchecked Sendable {
    /// Seconds of history kept per event, as Redis keeps.
    static let historyLength = 160

    public struct Sample: Equatable, Sendable {
        /// Unix time in seconds.
        public var time: Int64
        /// Milliseconds.
        public var latency: Int64
    }

    private final class Series {
        var samples = [Sample](repeating: Sample(time: 0, latency: 0), count: LatencyMonitor.historyLength)
        var next = 0
        var max: Int64 = 0

        var last: Sample { samples[(next + LatencyMonitor.historyLength - 1) % LatencyMonitor.historyLength] }

        /// Samples oldest first, unused slots left out.
        var chronological: [Sample] {
            (0..<LatencyMonitor.historyLength).map { samples[(next + $0) % LatencyMonitor.historyLength] }.filter { $0.time != 0 }
        }
    }

    private let lock = Lock()
    private var series: [String: Series] = [:]
    /// Event names in the order they first occurred (LATENCY LATEST).
    private var order: [String] = []

    /// Records `millis` for `event` when `threshold` (ms) is on and reached.
    @inline(__always)
    public func addIfNeeded(_ event: String, millis: Int64, threshold: Int) {
        if threshold > 0 && millis >= Int64(threshold) { add(event, millis: millis, now: Sys.unixMillis() / 1000) }
    }

    /// Records a sample at Unix time `now` (seconds).
    public func add(_ event: String, millis: Int64, now: Int64) {
        lock.withLock {
            let s: Series
            if let existing = series[event] {
                s = existing
            } else {
                s = Series()
                series[event] = s
                order.append(event)
            }
            if millis > s.max { s.max = millis }
            let prev = (s.next + Self.historyLength - 1) % Self.historyLength
            if s.samples[prev].time == now {
                if millis > s.samples[prev].latency { s.samples[prev].latency = millis }
                return
            }
            s.samples[s.next] = Sample(time: now, latency: millis)
            s.next = (s.next + 1) % Self.historyLength
        }
    }

    /// Per event: name, latest sample and all-time worst (LATENCY LATEST).
    public func latest() -> [(event: String, last: Sample, max: Int64)] {
        lock.withLock { order.compactMap { e in series[e].map { (e, $0.last, $0.max) } } }
    }

    /// `event`'s samples, oldest first (empty when unknown).
    public func history(_ event: String) -> [Sample] {
        lock.withLock { series[event]?.chronological ?? [] }
    }

    /// `event`'s samples and all-time worst; nil when it has none.
    public func series(_ event: String) -> (samples: [Sample], max: Int64)? {
        lock.withLock { series[event].map { ($0.chronological, $0.max) } }
    }

    /// Forgets the given events (all when nil); returns how many existed.
    @discardableResult
    public func reset(_ events: [String]?) -> Int {
        lock.withLock {
            guard let events else {
                let n = series.count
                series.removeAll()
                order.removeAll()
                return n
            }
            var n = 0
            for e in events where series.removeValue(forKey: e) != nil {
                order.removeAll { $0 == e }
                n += 1
            }
            return n
        }
    }
}

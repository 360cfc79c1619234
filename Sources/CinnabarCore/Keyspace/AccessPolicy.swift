import Synchronization

/// How key lookups record accesses, following `maxmemory-policy`: the access
/// clock alone (LRU policies, OBJECT IDLETIME), or additionally Redis's
/// logarithmic frequency counter (LFU policies, OBJECT FREQ).
///
/// Under LFU the entry's access clock doubles as the counter's last-decay
/// time, so the counter decays by one per `lfu-decay-time` minutes without
/// access and grows with probability 1 / ((counter - 5) * `lfu-log-factor` + 1).
public final class AccessPolicy: @unchecked Sendable {
    private let lfuEnabled = Atomic<Bool>(false)
    private let logFactor = Atomic<Int>(10)
    private let decayMinutes = Atomic<Int>(1)

    public init() {}

    /// True while an LFU policy is configured.
    public var lfu: Bool { lfuEnabled.load(ordering: .relaxed) }

    /// Picks up the policy and LFU tuning from a configuration snapshot.
    public func apply(_ config: ServerConfig) {
        lfuEnabled.store(config.maxmemoryPolicy.hasSuffix("lfu"), ordering: .relaxed)
        logFactor.store(Int(config.extras["lfu-log-factor"] ?? "") ?? 10, ordering: .relaxed)
        decayMinutes.store(Int(config.extras["lfu-decay-time"] ?? "") ?? 1, ordering: .relaxed)
    }

    /// Records an access to `e` (a lookup that is not a "no touch" one).
    @inline(__always)
    public func touch(_ e: Entry) {
        if lfuEnabled.load(ordering: .relaxed) { bumpFrequency(e) }
        e.accessClock = Clock.seconds
    }

    private func bumpFrequency(_ e: Entry) {
        var counter = Int(frequency(e))
        if counter < 255 {
            let base = max(0, counter - Int(Entry.lfuInitialCounter))
            let p = 1.0 / Double(base * logFactor.load(ordering: .relaxed) + 1)
            let r = Double(FastRandom.next() >> 11) / Double(1 << 53)
            if r < p { counter += 1 }
        }
        e.lfuCounter = UInt8(counter)
    }

    /// `e`'s frequency counter after the decay owed since its last access
    /// (what OBJECT FREQ reports); does not modify the entry.
    public func frequency(_ e: Entry) -> UInt8 {
        let counter = Int(e.lfuCounter)
        let decay = decayMinutes.load(ordering: .relaxed)
        guard decay > 0 else { return UInt8(counter) }
        let minutes = max(0, Int(Clock.seconds / 60) - Int(e.accessClock / 60))
        let periods = minutes / decay
        return UInt8(periods >= counter ? 0 : counter - periods)
    }
}

import CSystem
import Glibc
import Synchronization

/// Process-wide measurements for INFO and MEMORY: allocator, resident set,
/// system memory and CPU time. Every function reads the kernel or the
/// allocator afresh.
public enum ProcessStats {
    /// Bytes of heap blocks handed out and not yet freed (usable sizes, as
    /// counted by CSystem's malloc wrappers): a few loads, cheap enough for
    /// every command.
    public static func allocatedBytes() -> Int {
        Int(csystem_allocated_bytes())
    }

    /// Bytes the allocator holds from the system, free chunks included.
    public static func allocatorActiveBytes() -> Int {
        let m = mallinfo2()
        return Int(m.arena + m.hblkhd)
    }

    /// Resident set size from `/proc/self/statm` (0 when unreadable).
    public static func residentBytes() -> Int {
        guard let f = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(f) }
        var buf = [CChar](repeating: 0, count: 128)
        guard fgets(&buf, 128, f) != nil else { return 0 }
        let parts = String(cString: buf).split(separator: " ")
        guard parts.count >= 2, let pages = Int(parts[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Physical memory of the machine.
    public static func totalSystemMemory() -> Int {
        Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// CPU time as `seconds.micros` text for `who` (RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD).
    public static func cpuTimes(_ who: Int32) -> (system: String, user: String) {
        var ru = rusage()
        getrusage(__rusage_who_t(who), &ru)
        return (timeval(ru.ru_stime), timeval(ru.ru_utime))
    }

    private static func timeval(_ t: Glibc.timeval) -> String {
        var micros = String(t.tv_usec)
        while micros.count < 6 { micros = "0" + micros }
        return "\(t.tv_sec).\(micros)"
    }

    /// `uname` as INFO's `os` field: system, release, machine.
    public static let osDescription: String = {
        var u = utsname()
        uname(&u)
        func field<T>(_ v: inout T) -> String {
            withUnsafeBytes(of: &v) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return "\(field(&u.sysname)) \(field(&u.release)) \(field(&u.machine))"
    }()

    /// Absolute path of the running executable.
    public static let executablePath: String = {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, 4095)
        return n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }()
}

/// Redis's human-readable byte counts (`894.85K`, `1.00M`).
public func bytesToHuman(_ n: Int) -> String {
    let units: [(Double, String)] = [(1024, "K"), (1024 * 1024, "M"), (1024 * 1024 * 1024, "G"),
                                     (1024.0 * 1024 * 1024 * 1024, "T"), (1024.0 * 1024 * 1024 * 1024 * 1024, "P")]
    if n < 1024 { return "\(n)B" }
    for (i, (size, suffix)) in units.enumerated() {
        let next = i + 1 < units.count ? units[i + 1].0 : 1024.0 * 1024 * 1024 * 1024 * 1024 * 1024
        if Double(n) < next { return fixed2(Double(n) / size) + suffix }
    }
    return "\(n)B"
}

/// `%.2f` without Foundation.
public func fixed2(_ d: Double) -> String {
    guard d.isFinite else { return d.isNaN ? "nan" : (d < 0 ? "-inf" : "inf") }
    let scaled = (abs(d) * 100).rounded()
    let whole = Int64(scaled / 100)
    let frac = Int64(scaled) % 100
    return (d < 0 && scaled != 0 ? "-" : "") + "\(whole)." + (frac < 10 ? "0\(frac)" : "\(frac)")
}

/// Rates sampled by loop 0's cron, averaged over the last 16 samples as Redis
/// does: commands per second and network kilobytes per second.
public final class ServerMetrics: @unchecked Sendable {
    private static let sampleCount = 16
    private struct Series {
        var samples = [Double](repeating: 0, count: ServerMetrics.sampleCount)
        var index = 0
        var lastValue = 0
        var lastTime: Int64 = 0

        mutating func add(value: Int, now: Int64) {
            let elapsed = now - lastTime
            if lastTime > 0 && elapsed > 0 {
                samples[index] = Double(max(0, value - lastValue)) * 1000 / Double(elapsed)
                index = (index + 1) % ServerMetrics.sampleCount
            }
            lastValue = value
            lastTime = now
        }

        var average: Double { samples.reduce(0, +) / Double(ServerMetrics.sampleCount) }
    }

    private let lock = Lock()
    private var ops = Series()
    private var netIn = Series()
    private var netOut = Series()
    private var lastSampleTime: Int64 = 0
    private let peak = Atomic<Int>(0)
    /// Allocated bytes once the server was ready (INFO used_memory_startup).
    public private(set) var startupAllocated = 0
    /// Replication id reported by INFO and ROLE (Cinnabar has no replicas; it identifies this run's history).
    public let replicationID: String

    init() {
        var id = [UInt8](repeating: 0, count: 20)
        _ = id.withUnsafeMutableBytes { getrandom($0.baseAddress, 20, 0) }
        let hex = Array("0123456789abcdef".utf8)
        replicationID = String(decoding: id.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] }, as: UTF8.self)
    }

    /// Records the allocator's footprint after start-up.
    func markStartup() {
        startupAllocated = ProcessStats.allocatedBytes()
        notePeak(startupAllocated)
    }

    /// Raises the recorded peak to `allocated` if higher; returns the peak.
    @discardableResult
    public func notePeak(_ allocated: Int) -> Int {
        var current = peak.load(ordering: .relaxed)
        while allocated > current {
            let (exchanged, original) = peak.compareExchange(expected: current, desired: allocated, ordering: .relaxed)
            if exchanged { return allocated }
            current = original
        }
        return current
    }

    /// Takes one sample of the totals (called every 100 ms or so).
    func sample(commands: Int, netInput: Int, netOutput: Int, now: Int64) {
        lock.withLock {
            if now - lastSampleTime < 90 { return }
            lastSampleTime = now
            ops.add(value: commands, now: now)
            netIn.add(value: netInput, now: now)
            netOut.add(value: netOutput, now: now)
        }
        notePeak(ProcessStats.allocatedBytes())
    }

    /// Commands per second over the last samples (INFO instantaneous_ops_per_sec).
    public var opsPerSecond: Int { lock.withLock { Int(ops.average) } }
    /// Network input and output rates in KiB/s over the last samples.
    public var inputKbps: Double { lock.withLock { netIn.average / 1024 } }
    public var outputKbps: Double { lock.withLock { netOut.average / 1024 } }

    /// CONFIG RESETSTAT.
    func reset() {
        lock.withLock {
            ops = Series()
            netIn = Series()
            netOut = Series()
            lastSampleTime = 0
        }
    }
}

/// Command latencies for INFO latencystats: a log-linear histogram (64
/// linear steps per power of two, about 1.5% precision) of nanoseconds
/// clamped to 1 µs ... 1 s, as Redis records them.
public final class LatencyHistogram {
    static let minValue: Int64 = 1_000
    static let maxValue: Int64 = 1_000_000_000
    static let subBits = 6
    static let lowExponent = 9  // 2^9 = 512 ns, below minValue
    static let highExponent = 30  // 2^30 > maxValue
    static let bucketCount = (highExponent - lowExponent + 1) << subBits

    // Fixed storage, never reallocated: INFO reads it from other threads while the owner records.
    private let buckets: UnsafeMutablePointer<Int>
    public private(set) var count = 0

    public init() {
        buckets = .allocate(capacity: Self.bucketCount)
        buckets.initialize(repeating: 0, count: Self.bucketCount)
    }

    deinit { buckets.deallocate() }

    /// Forgets every sample (CONFIG RESETSTAT).
    public func reset() {
        count = 0
        buckets.update(repeating: 0, count: Self.bucketCount)
    }

    /// The bucket a value falls in.
    @inline(__always)
    public static func bucket(_ nanos: Int64) -> Int {
        let v = UInt64(min(max(nanos, minValue), maxValue))
        let exponent = 63 - v.leadingZeroBitCount
        let sub = Int((v >> UInt64(exponent - subBits)) & ((1 << UInt64(subBits)) - 1))
        return ((exponent - lowExponent) << subBits) | sub
    }

    /// The largest value that falls in bucket `b`.
    public static func upperBound(_ b: Int) -> Int64 {
        let exponent = (b >> subBits) + lowExponent
        let sub = Int64(b & ((1 << subBits) - 1))
        let base = Int64(1) << Int64(exponent)
        let step = Int64(1) << Int64(exponent - subBits)
        return min(base + (sub + 1) * step - 1, maxValue)
    }

    /// Adds one sample; values outside 1 µs ... 1 s count at the nearest bound.
    @inline(__always)
    public func record(nanos: Int64) {
        buckets[Self.bucket(nanos)] += 1
        count += 1
    }

    /// Adds every sample of `other` (INFO sums the loops' histograms).
    public func merge(_ other: LatencyHistogram?) {
        guard let other, other.count > 0 else { return }
        for i in 0..<Self.bucketCount { buckets[i] += other.buckets[i] }
        count += other.count
    }

    /// Samples below `nanos` (whole buckets: those ending below it).
    public func count(below nanos: Int64) -> Int {
        var n = 0
        for i in 0..<Self.bucketCount where buckets[i] > 0 {
            if Self.upperBound(i) >= nanos { break }
            n += buckets[i]
        }
        return n
    }

    /// The value (ns) at percentile `p` (0...100): the top of the bucket holding that rank.
    public func value(atPercentile p: Double) -> Int64 {
        guard count > 0 else { return 0 }
        let target = max(1, Int((min(100, max(0, p)) / 100 * Double(count)).rounded()))
        var seen = 0
        for i in 0..<Self.bucketCount where buckets[i] > 0 {
            seen += buckets[i]
            if seen >= target { return Self.upperBound(i) }
        }
        return Self.maxValue
    }
}

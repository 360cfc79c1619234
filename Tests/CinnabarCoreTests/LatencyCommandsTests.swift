@testable import CinnabarCore
import XCTest

/// LATENCY: event samples (replies shaped as Redis 7.0.15's) and histograms.
final class LatencyCommandsTests: XCTestCase {
    private func sample(_ time: Int, _ ms: Int) -> String { R.array([R.int(time), R.int(ms)]) }

    func testSamplesKeepTheWorstOfEachSecondAndTheLast160Seconds() {
        let h = Harness()
        let m = h.server.latencyMonitor
        XCTAssertEqual(h.run("LATENCY", "LATEST"), "*0\r\n")
        XCTAssertEqual(h.run("LATENCY", "HISTORY", "command"), "*0\r\n")
        m.add("command", millis: 200, now: 1000)
        m.add("command", millis: 250, now: 1000)
        m.add("command", millis: 120, now: 1000)
        m.add("command", millis: 150, now: 1001)
        m.add("fork", millis: 30, now: 1002)
        XCTAssertEqual(h.run("LATENCY", "HISTORY", "command"), R.array([sample(1000, 250), sample(1001, 150)]))
        XCTAssertEqual(h.run("LATENCY", "LATEST"), R.array([
            R.array([R.bulk("command"), R.int(1001), R.int(150), R.int(250)]),
            R.array([R.bulk("fork"), R.int(1002), R.int(30), R.int(30)]),
        ]))
        for t in 0..<200 { m.add("fork", millis: Int64(t + 1), now: Int64(2000 + t)) }
        let history = h.run("LATENCY", "HISTORY", "fork")
        XCTAssertTrue(history.hasPrefix("*160\r\n" + sample(2040, 41)), history)
        XCTAssertTrue(history.hasSuffix(sample(2199, 200)))
        XCTAssertEqual(h.run("LATENCY", "RESET", "fork", "nosuch"), R.int(1))
        XCTAssertEqual(h.run("LATENCY", "HISTORY", "fork"), "*0\r\n")
        XCTAssertEqual(h.run("LATENCY", "RESET"), R.int(1))
        XCTAssertEqual(h.run("LATENCY", "LATEST"), "*0\r\n")
        XCTAssertEqual(h.run("LATENCY", "RESET"), R.int(0))
    }

    func testCommandsOverTheThresholdAreSampled() {
        let h = Harness(["enable-debug-command": "yes"])
        h.run("DEBUG", "SLEEP", "0.03")
        XCTAssertEqual(h.run("LATENCY", "LATEST"), "*0\r\n", "the monitor is off by default")
        h.run("CONFIG", "SET", "latency-monitor-threshold", "20")
        h.run("DEBUG", "SLEEP", "0.03")
        h.run("GET", "k")
        let latest = h.run("LATENCY", "LATEST")
        XCTAssertTrue(latest.hasPrefix("*1\r\n*4\r\n$7\r\ncommand\r\n"), latest)
        let history = h.run("LATENCY", "HISTORY", "command")
        XCTAssertTrue(history.hasPrefix("*1\r\n*2\r\n"), history)
    }

    func testGraphAndDoctor() {
        let h = Harness()
        XCTAssertEqual(h.run("LATENCY", "GRAPH", "command"), R.err("ERR No samples available for event 'command'"))
        let now = Sys.unixMillis() / 1000
        h.server.latencyMonitor.add("command", millis: 300, now: now - 1)
        h.server.latencyMonitor.add("command", millis: 150, now: now)
        let graph = h.run("LATENCY", "GRAPH", "command")
        XCTAssertTrue(graph.contains("command - high 300 ms, low 150 ms (all time high 300 ms)\n" + String(repeating: "-", count: 80) + "\n"
                                     + "# \n# \n# \n##\n"), graph)
        let doctor = h.run("LATENCY", "DOCTOR")
        XCTAssertTrue(doctor.contains("1. command: 2 seconds with samples"), doctor)
        XCTAssertTrue(doctor.contains("300 ms at worst"), doctor)
        h.run("LATENCY", "RESET")
        XCTAssertTrue(h.run("LATENCY", "DOCTOR").contains("The latency monitor is off"))
        XCTAssertEqual(h.run("LATENCY", "FOO"), R.err("ERR unknown subcommand 'FOO'. Try LATENCY HELP."))
        XCTAssertTrue(h.run("LATENCY", "HELP").hasPrefix("*15\r\n+LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"))
    }

    /// Levels as Redis prints them: 1, 2, 4, 8, 16, 33, 66 µs..., cumulative,
    /// only where the count grew; unknown commands left out.
    func testHistogramLevels() {
        let hist = LatencyHistogram()
        for nanos: Int64 in [500, 900, 1_500, 3_000, 3_500, 40_000] { hist.record(nanos: nanos) }
        let levels = LatencyCommands.cumulativeLevels(hist)
        XCTAssertEqual(levels.map(\.0), [1, 2, 4, 66])
        XCTAssertEqual(levels.map(\.1), [2, 3, 5, 6])
        let h = Harness()
        h.run("SET", "k", "v")
        h.run("SET", "k", "v")
        let reply = h.run("LATENCY", "HISTOGRAM", "set", "nosuch", "config|get", "get")
        XCTAssertTrue(reply.hasPrefix("*2\r\n$3\r\nset\r\n*4\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n*"), reply)
        XCTAssertFalse(reply.contains("$3\r\nget\r\n"), "no calls, no entry")
        h.run("CONFIG", "GET", "port")
        XCTAssertTrue(h.run("LATENCY", "HISTOGRAM", "config|get").hasPrefix("*2\r\n$10\r\nconfig|get\r\n"))
    }
}

import CinnabarCore
import Foundation
import XCTest

final class TransactionCommandsTests: XCTestCase {
    private let queued = R.status("QUEUED")

    /// The client's CLIENT LIST `flags=`, `multi=` and `multi-mem=` fields
    /// (read directly: inside MULTI, CLIENT INFO would be queued).
    private func state(_ h: Harness, _ c: Client? = nil) -> String {
        let line = ConnectionCommands.clientInfoLine(c ?? h.client, now: 0)
        return line.split(separator: " ").filter { $0.hasPrefix("flags=") || $0.hasPrefix("multi=") || $0.hasPrefix("multi-mem=") }
            .joined(separator: " ")
    }

    func testMultiExecBasics() {
        let h = Harness()
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("SET", "a", "1"), queued)
        XCTAssertEqual(h.run("INCR", "a"), queued)
        XCTAssertEqual(h.run("GET", "a"), queued)
        XCTAssertEqual(state(h), "flags=x multi=3 multi-mem=70")
        XCTAssertEqual(h.run("EXEC"), "*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n")
        XCTAssertEqual(state(h), "flags=N multi=-1 multi-mem=0")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("EXEC"), "*0\r\n")
    }

    func testRuntimeErrorsDoNotAbort() {
        let h = Harness()
        h.run("SET", "s", "text")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("INCR", "s"), queued)
        XCTAssertEqual(h.run("SET", "t", "1"), queued)
        XCTAssertEqual(h.run("EXEC"), "*2\r\n-ERR value is not an integer or out of range\r\n+OK\r\n")
        XCTAssertEqual(h.run("GET", "t"), R.bulk("1"))
    }

    func testControlErrors() {
        let h = Harness()
        XCTAssertEqual(h.run("EXEC"), R.err("ERR EXEC without MULTI"))
        XCTAssertEqual(h.run("DISCARD"), R.err("ERR DISCARD without MULTI"))
        XCTAssertEqual(h.run("MULTI"), R.ok)
        // Neither error dooms the transaction.
        XCTAssertEqual(h.run("MULTI"), R.err("ERR MULTI calls can not be nested"))
        XCTAssertEqual(h.run("WATCH", "x"), R.err("ERR WATCH inside MULTI is not allowed"))
        XCTAssertEqual(h.run("PING"), queued)
        XCTAssertEqual(h.run("EXEC"), "*1\r\n+PONG\r\n")
        XCTAssertEqual(h.run("MULTI", "x"), R.err("ERR wrong number of arguments for 'multi' command"))
        XCTAssertEqual(h.run("UNWATCH"), R.ok)
    }

    func testQueueErrorsAbortExec() {
        let h = Harness()
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("SET", "a", "1"), queued)
        XCTAssertEqual(h.run("SET"), R.err("ERR wrong number of arguments for 'set' command"))
        XCTAssertEqual(h.run("NOSUCH"), R.err("ERR unknown command 'NOSUCH', with args beginning with: "))
        // Commands after an error are acknowledged but not kept.
        XCTAssertEqual(h.run("SET", "b", "1"), queued)
        XCTAssertEqual(state(h), "flags=x multi=1 multi-mem=29")
        XCTAssertEqual(h.run("EXEC"), R.err("EXECABORT Transaction discarded because of previous errors."))
        XCTAssertEqual(h.run("EXISTS", "a", "b"), R.int(0))
        XCTAssertEqual(h.run("PING"), R.status("PONG"))
    }

    func testNoMultiCommandsAreRefused() {
        let h = Harness()
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("SHUTDOWN"), R.err("ERR Command not allowed inside a transaction"))
        XCTAssertEqual(h.run("EXEC"), R.err("EXECABORT Transaction discarded because of previous errors."))
    }

    func testRefusedExecAbortsWithReason() {
        let h = Harness()
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("SET", "a", "1"), queued)
        XCTAssertEqual(h.run("EXEC", "x"), R.err("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command"))
        XCTAssertEqual(state(h), "flags=N multi=-1 multi-mem=0")
        XCTAssertEqual(h.run("GET", "a"), R.null)
        // Redis words a refused EXEC this way even outside MULTI.
        XCTAssertEqual(h.run("EXEC", "x"), R.err("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command"))
    }

    /// Checks made before EXEC runs see the flags of what it queued.
    func testAdmissionOfExecJudgesQueuedCommands() {
        let h = Harness()
        h.server.admissionChecks.append { c, cmd in
            cmd.name == "exec" && c.queuedFlags.contains(.denyoom) ? .outOfMemory : nil
        }
        h.server.setAdmissionAlert(.always, true)
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("GET", "x"), queued)
        XCTAssertEqual(h.run("PING"), queued)
        XCTAssertEqual(h.run("EXEC"), "*2\r\n$-1\r\n+PONG\r\n")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("SET", "x", "1"), queued)
        XCTAssertEqual(h.run("GET", "x"), queued)
        XCTAssertTrue(h.client.queuedMissingFlags.contains(.write))
        XCTAssertEqual(h.run("EXEC"), R.err("EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'."))
        XCTAssertEqual(h.client.queuedFlags, [])
        XCTAssertEqual(h.run("GET", "x"), R.null)
    }

    func testDiscard() {
        let h = Harness()
        h.run("SET", "k", "v")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("DEL", "k"), queued)
        XCTAssertEqual(h.run("DISCARD"), R.ok)
        XCTAssertEqual(h.run("GET", "k"), R.bulk("v"))
        XCTAssertEqual(h.run("EXEC"), R.err("ERR EXEC without MULTI"))
    }

    func testExecCommandsSeeSelect() {
        let h = Harness()
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("SELECT", "2"), queued)
        XCTAssertEqual(h.run("SET", "k", "v"), queued)
        XCTAssertEqual(h.run("EXEC"), "*2\r\n+OK\r\n+OK\r\n")
        XCTAssertEqual(h.client.dbIndex, 2)
        XCTAssertEqual(h.run("GET", "k"), R.bulk("v"))
    }

    func testWatchTouchedByAnotherClient() {
        let h = Harness()
        let other = h.newClient()
        h.run("SET", "x", "30")
        XCTAssertEqual(h.run("WATCH", "a", "x", "k"), R.ok)
        h.run("SET", "x", "40", on: other)
        XCTAssertEqual(state(h), "flags=d multi=-1 multi-mem=0")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("PING"), queued)
        XCTAssertEqual(state(h), "flags=xd multi=0 multi-mem=0")
        XCTAssertEqual(h.run("EXEC"), R.nullArray)
        // EXEC unwatched everything.
        h.run("SET", "x", "50", on: other)
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("PING"), queued)
        XCTAssertEqual(h.run("EXEC"), "*1\r\n+PONG\r\n")
    }

    func testWatchedKeyUntouchedOrUnwatched() {
        let h = Harness()
        h.run("SET", "x", "1")
        XCTAssertEqual(h.run("WATCH", "x", "y"), R.ok)
        h.run("SET", "z", "1")
        h.run("GET", "x")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("INCR", "x"), queued)
        XCTAssertEqual(h.run("EXEC"), "*1\r\n:2\r\n")
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        h.run("SET", "x", "5")
        XCTAssertEqual(h.run("UNWATCH"), R.ok)
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("GET", "x"), queued)
        XCTAssertEqual(h.run("EXEC"), "*1\r\n$1\r\n5\r\n")
        XCTAssertEqual(h.server.watchedKeys.load(ordering: .relaxed), 0)
    }

    func testWatchRemembersTheDatabase() {
        let h = Harness()
        let other = h.newClient()
        h.run("SELECT", "5")
        h.run("SET", "x", "30")
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        h.run("SELECT", "1", on: other)
        h.run("SET", "x", "10", on: other)
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("PING"), queued)
        XCTAssertEqual(h.run("EXEC"), "*1\r\n+PONG\r\n")
        // MOVE touches the key in both databases.
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        XCTAssertEqual(h.run("DEL", "x", on: other), R.int(1))
        XCTAssertEqual(h.run("MOVE", "x", "1"), R.int(1))
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("EXEC"), R.nullArray)
    }

    func testDiscardAndResetClearWatchState() {
        let h = Harness()
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        h.run("SET", "x", "10")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("DISCARD"), R.ok)
        h.run("SET", "x", "10")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("INCR", "x"), queued)
        XCTAssertEqual(h.run("EXEC"), "*1\r\n:11\r\n")

        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("INCR", "x"), queued)
        XCTAssertEqual(h.run("RESET"), R.status("RESET"))
        XCTAssertEqual(state(h), "flags=N multi=-1 multi-mem=0")
        XCTAssertEqual(h.server.watchedKeys.load(ordering: .relaxed), 0)
        XCTAssertEqual(h.run("GET", "x"), R.bulk("11"))
    }

    func testFlushTouchesOnlyExistingKeys() {
        let h = Harness()
        h.run("SET", "x", "30")
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        h.run("FLUSHALL")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("EXEC"), R.nullArray)

        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        h.run("FLUSHALL")
        h.run("FLUSHDB")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("EXEC"), "*0\r\n")

        h.run("SET", "x", "30")
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        h.run("FLUSHDB")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("EXEC"), R.nullArray)

        // Keys of another database are not this watcher's.
        let other = h.newClient()
        h.run("SELECT", "3", on: other)
        h.run("SET", "x", "1", on: other)
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        h.run("FLUSHDB", on: other)
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("EXEC"), "*0\r\n")
    }

    func testSwapdbTouchesKeysThatExistOnEitherSide() {
        let h = Harness()
        h.run("SET", "x", "30")
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        h.run("SWAPDB", "0", "1")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("EXEC"), R.nullArray)

        h.run("FLUSHALL")
        h.run("SELECT", "1")
        h.run("SET", "x", "30")
        h.run("SELECT", "0")
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        h.run("SWAPDB", "0", "1")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("EXEC"), R.nullArray)

        h.run("FLUSHALL")
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        h.run("SWAPDB", "0", "1")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("EXEC"), "*0\r\n")
    }

    /// Puts `key` in the current database, already expired (no lookup removes it first).
    private func setExpired(_ h: Harness, _ key: String, db: Int = 0) {
        h.run("SET", key, "foo", "PX", "1")
        usleep(3000)
    }

    func testStaleWatchedKeys() {
        let h = Harness(["enable-debug-command": "yes"])
        h.run("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        // Watched while already expired: its removal is no change.
        setExpired(h, "x")
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("PING"), queued)
        XCTAssertEqual(h.run("EXEC"), "*1\r\n+PONG\r\n")

        setExpired(h, "x")
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        XCTAssertEqual(h.run("EXISTS", "x"), R.int(0))
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("EXEC"), "*0\r\n")

        setExpired(h, "x")
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        h.run("FLUSHDB")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("EXEC"), "*0\r\n")

        // Alive when watched, expired by EXEC (still stored): the EXEC fails.
        h.run("SET", "key", "1", "PX", "20")
        XCTAssertEqual(h.run("WATCH", "key"), R.ok)
        usleep(30_000)
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("INCR", "key"), queued)
        XCTAssertEqual(h.run("EXEC"), R.nullArray)
    }

    func testSwapdbAndStaleKeys() {
        let h = Harness(["enable-debug-command": "yes"])
        h.run("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        // Expired key replaced with no key.
        h.run("SELECT", "1")
        setExpired(h, "x")
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        h.run("SWAPDB", "0", "1")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("EXEC"), "*0\r\n")
        // No key replaced with an expired key.
        h.run("FLUSHALL")
        h.run("SELECT", "0")
        setExpired(h, "x")
        h.run("SELECT", "1")
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        h.run("SWAPDB", "0", "1")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("EXEC"), "*0\r\n")
        // Expired key replaced with another expired key.
        h.run("FLUSHALL")
        setExpired(h, "x")
        h.run("SELECT", "0")
        setExpired(h, "x")
        h.run("SELECT", "1")
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        h.run("SWAPDB", "0", "1")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("EXEC"), "*0\r\n")
    }

    func testExpireTouchesWatchers() {
        let h = Harness()
        h.run("SET", "x", "foo")
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        h.run("EXPIRE", "x", "10")
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("EXEC"), R.nullArray)
        // Removal by expiry (here through a lookup) touches a key alive when watched.
        h.run("SET", "y", "foo", "PX", "20")
        XCTAssertEqual(h.run("WATCH", "y"), R.ok)
        usleep(30_000)
        XCTAssertEqual(h.run("GET", "y", on: h.newClient()), R.null)
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("EXEC"), R.nullArray)
    }

    func testEvictionTouchesWatchers() {
        let h = Harness()
        h.run("SET", "x", "1")
        XCTAssertEqual(h.run("WATCH", "x"), R.ok)
        Array("x".utf8).withUnsafeBufferPointer { h.server.keyEvicted(db: 0, key: Key($0)) }
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("EXEC"), R.nullArray)
    }

    func testStatistics() {
        let h = Harness()
        h.run("CONFIG", "RESETSTAT")
        h.run("MULTI")
        h.run("SET", "a", "b")
        h.run("AUTH", "a")
        XCTAssertTrue(h.run("EXEC").hasPrefix("*2\r\n+OK\r\n-ERR AUTH"))
        XCTAssertEqual(h.run("EXEC"), R.err("ERR EXEC without MULTI"))
        let stats = h.run("INFO", "commandstats")
        XCTAssertTrue(stats.contains("cmdstat_exec:calls=2,"), stats)
        XCTAssertTrue(stats.range(of: #"cmdstat_exec:calls=2,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=1"#,
                                  options: .regularExpression) != nil, stats)
        XCTAssertTrue(stats.range(of: #"cmdstat_auth:calls=1,.*failed_calls=1"#, options: .regularExpression) != nil, stats)
        XCTAssertTrue(stats.range(of: #"cmdstat_set:calls=1,.*failed_calls=0"#, options: .regularExpression) != nil, stats)
        XCTAssertTrue(h.run("INFO", "errorstats").contains("errorstat_ERR:count=2"))
    }

    func testTimeIsFrozenDuringExec() {
        let h = Harness(["enable-debug-command": "yes"])
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("SET", "k", "v", "PX", "1"), queued)
        XCTAssertEqual(h.run("DEBUG", "SLEEP", "0.01"), queued)
        XCTAssertEqual(h.run("GET", "k"), queued)
        XCTAssertEqual(h.run("EXEC"), "*3\r\n+OK\r\n+OK\r\n$1\r\nv\r\n")
    }

    func testCommandInfo() {
        let h = Harness()
        let info = h.run("COMMAND", "INFO", "exec", "watch")
        // Bytes as Redis 7.0.15 sends them.
        XCTAssertEqual(info, "*2\r\n*10\r\n$4\r\nexec\r\n:1\r\n*4\r\n+noscript\r\n+loading\r\n+stale\r\n+skip_slowlog\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@transaction\r\n*0\r\n*0\r\n*0\r\n"
                       + "*10\r\n$5\r\nwatch\r\n:-2\r\n*5\r\n+noscript\r\n+loading\r\n+stale\r\n+fast\r\n+allow_busy\r\n:1\r\n:-1\r\n:1\r\n*2\r\n+@fast\r\n+@transaction\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*1\r\n+RO\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n")
    }
}

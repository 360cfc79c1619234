import CSystem
import Glibc

/// A failed system call: the operation's name and the `errno` it left.
public struct SystemError: Error, CustomStringConvertible, Equatable {
    public let operation: String
    public let code: Int32

    public init(_ operation: String, _ code: Int32) {
        self.operation = operation
        self.code = code
    }

    public var description: String { "\(operation): \(String(cString: strerror(code)))" }
}

/// The one place that talks to the kernel. Every wrapper retries `EINTR`,
/// reports `EAGAIN`/`EWOULDBLOCK` as `nil` ("would block") and everything
/// else as a thrown `SystemError` carrying `errno`.
public enum Sys {
    @inline(__always)
    static func nonBlocking(_ op: String, _ call: () -> Int) throws(SystemError) -> Int? {
        while true {
            let r = call()
            if r >= 0 { return r }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return nil }
            throw SystemError(op, e)
        }
    }

    @inline(__always)
    static func checked(_ op: String, _ call: () -> Int32) throws(SystemError) -> Int32 {
        while true {
            let r = call()
            if r >= 0 { return r }
            let e = errno
            if e == EINTR { continue }
            throw SystemError(op, e)
        }
    }

    // MARK: byte streams

    /// Reads into `buffer`; `nil` when nothing is available, 0 at end of stream.
    @inline(__always)
    public static func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) throws(SystemError) -> Int? {
        try nonBlocking("read") { Glibc.read(fd, buffer, count) }
    }

    /// Writes from `buffer`; `nil` when the socket cannot take more now.
    @inline(__always)
    public static func write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) throws(SystemError) -> Int? {
        try nonBlocking("write") { Glibc.write(fd, buffer, count) }
    }

    /// Writes everything to a blocking descriptor (files, pipes), retrying short writes.
    public static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(SystemError) {
        var done = 0
        while done < buffer.count {
            guard let n = try nonBlocking("write", { Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done) }) else {
                throw SystemError("write", EAGAIN)
            }
            done += n
        }
    }

    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    // MARK: sockets

    public static func setNonBlocking(_ fd: Int32) throws(SystemError) {
        let flags = try checked("fcntl") { fcntl(fd, F_GETFL) }
        _ = try checked("fcntl") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    public static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(SystemError) {
        var v = value
        _ = try checked("setsockopt") { setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) }
    }

    /// Accepts one pending connection as a non-blocking, close-on-exec socket;
    /// `nil` when none is pending.
    public static func accept(_ fd: Int32) throws(SystemError) -> Int32? {
        guard let r = try nonBlocking("accept", { Int(csystem_accept4(fd)) }) else { return nil }
        return Int32(r)
    }

    /// Opens a listening TCP socket on `host:port` (IPv4 or IPv6 literal, `*` or `::*` for any).
    public static func listen(host: String, port: Int, backlog: Int32) throws(SystemError) -> Int32 {
        let isV6 = host.contains(":")
        let family = isV6 ? AF_INET6 : AF_INET
        let fd = try checked("socket") {
            socket(family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        }
        do throws(SystemError) {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if isV6 { try setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
            if isV6 {
                var addr = sockaddr_in6()
                addr.sin6_family = sa_family_t(AF_INET6)
                addr.sin6_port = in_port_t(UInt16(port).bigEndian)
                let literal = host == "::*" ? "::" : host
                guard inet_pton(AF_INET6, literal, &addr.sin6_addr) == 1 else { throw SystemError("bind \(host)", EINVAL) }
                _ = try checked("bind") {
                    withUnsafePointer(to: &addr) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
                    }
                }
            } else {
                var addr = sockaddr_in()
                addr.sin_family = sa_family_t(AF_INET)
                addr.sin_port = in_port_t(UInt16(port).bigEndian)
                let literal = host == "*" ? "0.0.0.0" : host
                guard inet_pton(AF_INET, literal, &addr.sin_addr) == 1 else { throw SystemError("bind \(host)", EINVAL) }
                _ = try checked("bind") {
                    withUnsafePointer(to: &addr) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                    }
                }
            }
            _ = try checked("listen") { Glibc.listen(fd, backlog) }
        } catch {
            Glibc.close(fd)
            throw error
        }
        return fd
    }

    /// The port a socket is bound to (used after binding port 0).
    public static func localPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard ok == 0 else { return 0 }
        return endpoint(storage).port
    }

    /// Peer (`remote == true`) or local address of a connected socket.
    public static func address(_ fd: Int32, remote: Bool) -> (ip: String, port: Int) {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                remote ? getpeername(fd, $0, &len) : getsockname(fd, $0, &len)
            }
        }
        guard ok == 0 else { return ("?", 0) }
        return endpoint(storage)
    }

    static func endpoint(_ storage: sockaddr_storage) -> (ip: String, port: Int) {
        var s = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        if Int32(s.ss_family) == AF_INET {
            return withUnsafePointer(to: &s) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var a = sin.pointee.sin_addr
                    inet_ntop(AF_INET, &a, &text, socklen_t(text.count))
                    return (String(cString: text), Int(UInt16(bigEndian: sin.pointee.sin_port)))
                }
            }
        } else if Int32(s.ss_family) == AF_INET6 {
            return withUnsafePointer(to: &s) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin in
                    var a = sin.pointee.sin6_addr
                    inet_ntop(AF_INET6, &a, &text, socklen_t(text.count))
                    var ip = String(cString: text)
                    if ip.hasPrefix("::ffff:") && ip.contains(".") { ip.removeFirst(7) }
                    return (ip, Int(UInt16(bigEndian: sin.pointee.sin6_port)))
                }
            }
        }
        return ("?", 0)
    }

    // MARK: epoll and eventfd

    public static func epollCreate() throws(SystemError) -> Int32 {
        try checked("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
    }

    public static func epollControl(_ epfd: Int32, _ op: Int32, _ fd: Int32, events: UInt32) throws(SystemError) {
        var ev = epoll_event()
        ev.events = events
        csystem_epoll_set_fd(&ev, fd)
        _ = try checked("epoll_ctl") { epoll_ctl(epfd, op, fd, &ev) }
    }

    /// Waits for events; returns how many were stored (0 on timeout or signal).
    public static func epollWait(_ epfd: Int32, _ events: UnsafeMutablePointer<epoll_event>, _ max: Int32, timeoutMs: Int32) throws(SystemError) -> Int {
        let r = epoll_wait(epfd, events, max, timeoutMs)
        if r >= 0 { return Int(r) }
        if errno == EINTR { return 0 }
        throw SystemError("epoll_wait", errno)
    }

    public static func eventFD() throws(SystemError) -> Int32 {
        try checked("eventfd") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
    }

    /// Adds one to an eventfd counter, waking whoever polls it. Never blocks.
    public static func eventSignal(_ fd: Int32) {
        var one: UInt64 = 1
        _ = try? nonBlocking("write") { Glibc.write(fd, &one, 8) }
    }

    /// Resets an eventfd counter.
    public static func eventDrain(_ fd: Int32) {
        var value: UInt64 = 0
        _ = try? nonBlocking("read") { Glibc.read(fd, &value, 8) }
    }

    // MARK: files

    public static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) throws(SystemError) -> Int32 {
        try checked("open \(path)") { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    public static func fsync(_ fd: Int32) throws(SystemError) {
        _ = try checked("fsync") { Glibc.fsync(fd) }
    }

    public static func rename(_ from: String, _ to: String) throws(SystemError) {
        _ = try checked("rename \(from) to \(to)") { Glibc.rename(from, to) }
    }

    /// Flushes a directory entry change (a rename) to disk.
    public static func fsyncDirectory(_ path: String) throws(SystemError) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { Glibc.close(fd) }
        try fsync(fd)
    }

    public static func unlink(_ path: String) {
        _ = Glibc.unlink(path)
    }

    // MARK: clocks

    /// Wall-clock milliseconds since the Unix epoch (the unit of key expiry).
    @inline(__always)
    public static func unixMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Wall-clock nanoseconds since the Unix epoch.
    @inline(__always)
    public static func unixNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Wall-clock microseconds since the Unix epoch.
    @inline(__always)
    public static func unixMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    /// Monotonic nanoseconds, for durations.
    @inline(__always)
    public static func monotonicNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

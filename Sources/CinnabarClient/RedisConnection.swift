import Glibc

/// An error reply from the server (`-ERR ...`), thrown by `call`.
public struct RESPError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Transport failures.
public enum ConnectionError: Error, Equatable {
    case connectFailed(Int32)
    case closed
    case timeout
    case io(Int32)
    case malformed(String)
}

/// A blocking RESP2/RESP3 connection: send commands, read typed replies,
/// pipeline, or read exact reply bytes for byte-for-byte comparisons.
public final class RedisConnection {
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var position = 0

    /// Connects to `host:port` (IPv4 literal); `timeout` bounds each read in seconds.
    public init(host: String = "127.0.0.1", port: Int, timeout: Double = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ConnectionError.connectFailed(errno) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard r == 0 else {
            let e = errno
            Glibc.close(fd)
            throw ConnectionError.connectFailed(e)
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        setTimeout(timeout)
    }

    deinit { close() }

    /// Changes the read timeout (seconds).
    public func setTimeout(_ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    public func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    public var isOpen: Bool { fd >= 0 }

    /// RESP multibulk encoding of a command.
    public static func encode(_ args: [[UInt8]]) -> [UInt8] {
        var out = Array("*\(args.count)\r\n".utf8)
        for a in args {
            out += Array("$\(a.count)\r\n".utf8)
            out += a
            out += [13, 10]
        }
        return out
    }

    /// Writes raw bytes (malformed input, inline commands).
    public func write(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ConnectionError.io(errno)
            }
            done += n
        }
    }

    public func write(_ text: String) throws { try write(Array(text.utf8)) }

    /// Sends one command without reading the reply.
    public func send(_ args: [[UInt8]]) throws { try write(Self.encode(args)) }
    public func send(_ args: [String]) throws { try send(args.map { Array($0.utf8) }) }

    private func fill() throws {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 65536, 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                return
            }
            if n == 0 { throw ConnectionError.closed }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw ConnectionError.timeout }
            throw ConnectionError.io(errno)
        }
    }

    /// Reads the next reply as a value; error replies come back as `.error`.
    public func read() throws -> RESPValue {
        while true {
            do {
                if let (v, next) = try RESPDecoder.decode(buffer, from: position) {
                    position = next
                    return v
                }
            } catch {
                throw ConnectionError.malformed("\(error)")
            }
            try fill()
        }
    }

    /// Reads the exact bytes of the next reply.
    public func readRaw() throws -> [UInt8] {
        while true {
            do {
                if let (_, next) = try RESPDecoder.decode(buffer, from: position) {
                    let raw = Array(buffer[position..<next])
                    position = next
                    return raw
                }
            } catch {
                throw ConnectionError.malformed("\(error)")
            }
            try fill()
        }
    }

    /// Reads one CRLF-terminated line (MONITOR output, inline replies).
    public func readLine() throws -> String {
        while true {
            if let e = RESPDecoder.lineEnd(buffer, position) {
                let s = String(decoding: buffer[position..<e], as: UTF8.self)
                position = e + 2
                return s
            }
            try fill()
        }
    }

    /// Sends a command and returns its reply; an error reply is thrown as `RESPError`.
    @discardableResult
    public func call(_ args: [[UInt8]]) throws -> RESPValue {
        try send(args)
        let v = try read()
        if case .error(let m) = v { throw RESPError(m) }
        return v
    }

    @discardableResult
    public func call(_ args: String...) throws -> RESPValue { try call(args.map { Array($0.utf8) }) }

    @discardableResult
    public func call(_ args: [String]) throws -> RESPValue { try call(args.map { Array($0.utf8) }) }

    /// Sends a command and returns the exact reply bytes.
    public func rawCall(_ args: [String]) throws -> [UInt8] {
        try send(args)
        return try readRaw()
    }

    /// Sends a command and returns the exact reply as text (for readable assertions).
    public func rawText(_ args: String...) throws -> String {
        String(decoding: try rawCall(args), as: UTF8.self)
    }

    /// Sends all commands in one write and reads every reply in order; error
    /// replies stay in place as `.error` values.
    public func pipeline(_ commands: [[String]]) throws -> [RESPValue] {
        var out: [UInt8] = []
        for c in commands { out += Self.encode(c.map { Array($0.utf8) }) }
        try write(out)
        return try commands.map { _ in try read() }
    }
}

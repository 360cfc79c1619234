#!/usr/bin/env python3
"""Runs BGSAVE on a server and reports how long it took and the longest time a
client waited for a PING reply meanwhile (what a snapshot costs the clients).

usage: bgsave-probe.py PORT  -> prints "<bgsave ms> <max ping ms> <pings>"
"""
import socket
import sys
import time


def command(sock, *args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)
    data = b""
    while not data.endswith(b"\r\n") or (data.startswith(b"$") and data.count(b"\r\n") < 2):
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("connection closed")
        data += chunk
    return data


def main():
    port = int(sys.argv[1])
    ctl = socket.create_connection(("127.0.0.1", port))
    probe = socket.create_connection(("127.0.0.1", port))
    probe.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    start = time.monotonic()
    reply = command(ctl, "BGSAVE")
    if not reply.startswith(b"+"):
        raise SystemExit("BGSAVE failed: %r" % reply)
    worst, pings = 0.0, 0
    while True:
        t = time.monotonic()
        command(probe, "PING")
        worst = max(worst, time.monotonic() - t)
        pings += 1
        if pings % 20 == 0:
            info = command(ctl, "INFO", "persistence")
            if b"rdb_bgsave_in_progress:0" in info:
                break
    elapsed = time.monotonic() - start
    print("%.0f %.2f %d" % (elapsed * 1000, worst * 1000, pings))


main()

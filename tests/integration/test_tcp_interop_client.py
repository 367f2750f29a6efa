#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Linux-kernel TCP peer for test_tcp_interop.sh: drives msw-tcp-echo from inside the test's
network namespace and prints one line "OK detail" or "FAIL detail" per command."""
import hashlib
import os
import random
import selectors
import socket
import struct
import sys
import threading
import time


def bulk(host, port, nbytes):
    """Sends nbytes (random) while reading the echo; compares sha256 of both directions."""
    s = socket.create_connection((host, port), timeout=60)
    block = os.urandom(1 << 20)
    h_tx, h_rx = hashlib.sha256(), hashlib.sha256()
    err = []

    def sender():
        try:
            left = nbytes
            while left > 0:
                chunk = block[: min(left, len(block))]
                s.sendall(chunk)
                h_tx.update(chunk)
                left -= len(chunk)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append(e)

    t0 = time.time()
    th = threading.Thread(target=sender)
    th.start()
    got = 0
    try:
        while True:
            b = s.recv(1 << 16)
            if not b:
                break
            h_rx.update(b)
            got += len(b)
    except OSError as e:
        err.append(e)
    th.join()
    s.close()
    dt = time.time() - t0
    ok = not err and got == nbytes and h_tx.digest() == h_rx.digest()
    return ok, "%d of %d bytes echoed, sha256 %s, %.1f s, %.1f MB/s each way %s" % (
        got, nbytes, "equal" if h_tx.digest() == h_rx.digest() else "DIFFERENT", dt,
        nbytes / dt / 1e6, err[0] if err else "")


def concurrent(host, port, n, size=1000):
    """n connections open at the same time, each echoing size bytes."""
    sel = selectors.DefaultSelector()
    socks = []
    for i in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((host, port))
        socks.append(s)
        sel.register(s, selectors.EVENT_WRITE, [i, b"", False])
    payload = [os.urandom(size) for _ in range(n)]
    done = 0
    deadline = time.time() + 60
    while done < n and time.time() < deadline:
        for key, ev in sel.select(timeout=1):
            s, st = key.fileobj, key.data
            if ev & selectors.EVENT_WRITE and not st[2]:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    return False, "connection %d failed" % st[0]
                s.sendall(payload[st[0]])
                st[2] = True
                sel.modify(s, selectors.EVENT_READ, st)
            elif ev & selectors.EVENT_READ:
                b = s.recv(65536)
                st[1] += b
                if len(st[1]) >= size or not b:
                    sel.unregister(s)
                    done += 1 if st[1] == payload[st[0]] else 0
                    if st[1] != payload[st[0]]:
                        return False, "connection %d: echo differs" % st[0]
    for s in socks:
        s.close()
    return done == n, "%d of %d concurrent connections echoed" % (done, n)


def parallel(host, port, n, size):
    """n connections at the same time, each sending size random bytes while reading the echo;
    every connection's echo must have the sha256 of what it sent."""
    sel = selectors.DefaultSelector()
    conns = []
    t0 = time.time()
    for i in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((host, port))
        c = {"i": i, "s": s, "data": os.urandom(size), "off": 0, "got": 0,
             "rx": hashlib.sha256(), "connected": False, "done": False}
        conns.append(c)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    done = 0
    deadline = time.time() + 120
    while done < n and time.time() < deadline:
        for key, ev in sel.select(timeout=1):
            c = key.data
            s = c["s"]
            if not c["connected"]:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    return False, "connection %d failed" % c["i"]
                c["connected"] = True
            if ev & selectors.EVENT_WRITE and c["off"] < size:
                try:
                    c["off"] += s.send(c["data"][c["off"]:c["off"] + 65536])
                except BlockingIOError:
                    pass
                if c["off"] == size:
                    s.shutdown(socket.SHUT_WR)
                    sel.modify(s, selectors.EVENT_READ, c)
            if ev & selectors.EVENT_READ:
                try:
                    b = s.recv(1 << 16)
                except BlockingIOError:
                    continue
                c["rx"].update(b)
                c["got"] += len(b)
                if not b:
                    sel.unregister(s)
                    s.close()
                    done += 1
                    if c["got"] != size or c["rx"].digest() != hashlib.sha256(c["data"]).digest():
                        return False, "connection %d: %d of %d bytes, sha256 %s" % (
                            c["i"], c["got"], size,
                            "equal" if c["rx"].digest() == hashlib.sha256(c["data"]).digest()
                            else "DIFFERENT")
    for c in conns:
        if c["s"].fileno() >= 0:
            c["s"].close()
    dt = time.time() - t0
    return done == n, "%d of %d parallel connections echoed %d bytes each, sha256 equal, " \
        "%.1f s, %.1f MB/s each way" % (done, n, size, dt, n * size / dt / 1e6)


def loop(host, port, n):
    """n connections opened, used and closed one after the other."""
    ok = 0
    t0 = time.time()
    for i in range(n):
        try:
            s = socket.create_connection((host, port), timeout=10)
            msg = struct.pack("!I", i) * 8
            s.sendall(msg)
            got = b""
            while len(got) < len(msg):
                b = s.recv(64)
                if not b:
                    break
                got += b
            s.close()
            ok += got == msg
        except OSError:
            pass
    dt = time.time() - t0
    return ok == n, "%d of %d sequential connections, %.0f conn/s" % (ok, n, n / dt)


def rst(host, port):
    """Sends, then resets the connection mid-transfer (SO_LINGER 0)."""
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(os.urandom(200000))
    time.sleep(0.05)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return True, "reset sent"


def zerowin(host, port, nbytes):
    """Fills the echo until it must stop (our receive window closes), reads only later."""
    s = socket.create_connection((host, port), timeout=30)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    data = os.urandom(nbytes)
    sent = 0
    s.setblocking(False)
    t_end = time.time() + 3
    while time.time() < t_end and sent < nbytes:
        try:
            sent += s.send(data[sent:sent + 65536])
        except BlockingIOError:
            time.sleep(0.01)
    stalled = sent < nbytes
    s.setblocking(True)
    got = b""

    def sender():
        s.sendall(data[sent:])
        s.shutdown(socket.SHUT_WR)

    th = threading.Thread(target=sender)
    th.start()
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    th.join()
    s.close()
    return stalled and got == data, "sender blocked: %s after %d bytes; %d of %d echoed %s" % (
        stalled, sent, len(got), nbytes, "equal" if got == data else "DIFFERENT")


def cksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def synflood(host, port, seconds, legit):
    """Spoofed SYNs from off-subnet sources that never answer, plus legit connections."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    dst = socket.inet_aton(host)
    stop = time.time() + seconds
    sent = [0]

    def flood():
        rnd = random.Random(1)
        while time.time() < stop:
            for _ in range(100):
                src = bytes([10, 200, rnd.randrange(256), rnd.randrange(1, 255)])
                sport = rnd.randrange(1024, 65535)
                tcp = struct.pack("!HHIIBBHHH", sport, port, rnd.getrandbits(32), 0, 5 << 4,
                                  0x02, 64240, 0, 0)
                ph = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
                tcp = tcp[:16] + struct.pack("!H", cksum(ph + tcp)) + tcp[18:]
                ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0, src,
                                 dst)
                raw.sendto(ip + tcp, (host, 0))
                sent[0] += 1
            time.sleep(0.02)  # ~5000 SYN/s: far beyond the backlog, leaves CPU for the rest

    th = threading.Thread(target=flood)
    th.start()
    time.sleep(0.5)
    ok, detail = concurrent_ok(host, port, legit)
    th.join()
    return ok >= legit * 0.99, "%d spoofed SYNs; %d of %d legitimate connections completed" % (
        sent[0], ok, legit)


def concurrent_ok(host, port, n):
    good = 0
    for i in range(n):
        try:
            s = socket.create_connection((host, port), timeout=5)
            s.sendall(b"x" * 100)
            got = b""
            while len(got) < 100:
                b = s.recv(100)
                if not b:
                    break
                got += b
            good += got == b"x" * 100
            s.close()
        except OSError:
            pass
    return good, ""


def main():
    host, port, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    args = [int(a) for a in sys.argv[4:]]
    fn = {"bulk": bulk, "concurrent": concurrent, "parallel": parallel, "loop": loop, "rst": rst,
          "zerowin": zerowin, "synflood": synflood}[cmd]
    try:
        ok, detail = fn(host, port, *args)
    except Exception as e:  # report, never hang the TAP stream
        ok, detail = False, "exception %r" % (e,)
    print(("OK " if ok else "FAIL ") + detail, flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

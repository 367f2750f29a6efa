#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A passive MSRP participant for test_dp_ops.sh (kernel TCP, stdlib only).

Usage: dp_active_peer.py ADDR PORT WANT_TO_PATH TIMEOUT_S
Listens on ADDR:PORT, accepts one connection from the data plane (an active leg, RFC 4975
section 5.4 / RFC 6135 a=setup:active), reads the first request, checks it is a bodiless SEND
whose To-Path is WANT_TO_PATH, answers 200 and prints "OK <its From-Path>" (the switch's URI
on the leg, which the caller compares with what mswctl printed) or "FAIL <reason>".
"""
import socket
import sys


def main():
    addr, port, want_to, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(1)
    print("LISTENING", flush=True)
    ls.settimeout(timeout)
    try:
        c, _ = ls.accept()
    except socket.timeout:
        print("FAIL no connection from the data plane within %.0f s" % timeout)
        return 1
    c.settimeout(timeout)
    buf = b""
    while b"\r\n-------" not in buf or not buf.endswith(b"\r\n"):
        d = c.recv(4096)
        if not d:
            print("FAIL connection closed before a request: %r" % buf)
            return 1
        buf += d
    head = buf.decode("utf-8", "replace").split("\r\n")
    first = head[0].split(" ")
    hdrs = dict(h.split(": ", 1) for h in head[1:] if ": " in h)
    if len(first) != 3 or first[0] != "MSRP" or first[2] != "SEND":
        print("FAIL first line %r" % head[0])
        return 1
    tid = first[1]
    want_from = hdrs.get("From-Path", "")
    if hdrs.get("To-Path") != want_to or not want_from.startswith("msrp://"):
        print("FAIL paths To-Path %r From-Path %r" % (hdrs.get("To-Path"), hdrs.get("From-Path")))
        return 1
    if "Byte-Range" in hdrs and not hdrs["Byte-Range"].startswith("1-0/0"):
        print("FAIL binding SEND has a body: %r" % hdrs["Byte-Range"])
        return 1
    if not buf.rstrip(b"\r\n").endswith(("-------%s$" % tid).encode()):
        print("FAIL end-line %r" % buf[-40:])
        return 1
    c.sendall(("MSRP %s 200 OK\r\nTo-Path: %s\r\nFrom-Path: %s\r\n-------%s$\r\n"
               % (tid, want_from, want_to, tid)).encode())
    print("OK %s" % want_from, flush=True)
    c.recv(1)  # keep the connection until the data plane closes it (or timeout)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except socket.timeout:
        sys.exit(0)

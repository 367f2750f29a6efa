#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A small MSRP (RFC 4975) participant over Linux kernel TCP, for integration tests.

Independent of the msw MSRP library on purpose (Python standard library only), so a test
that drives the data plane with it checks the data plane against a second reading of the
RFC rather than against itself.

- FrameParser: incremental parser of an MSRP byte stream (requests and responses): start
  line, header block, content-stuff, end-line "-------" tid flag (RFC 4975 §9); the body
  ends at the first CRLF + end-line with the frame's own tid (a candidate with another tid
  is data).  Grammar errors raise ProtocolError with the stream offset.
- Peer: one TCP connection with a reader thread.  It sends SENDs (whole or chunked with
  Byte-Range and +/$/# flags, chosen Message-ID, Success-Report / Failure-Report,
  Content-Type), answers incoming SENDs (200, another code such as 413, or never), sends a
  success REPORT (Status 000 200, Byte-Range 1-N/N) for a completed message that asked for
  one, reassembles incoming messages per Message-ID by Byte-Range, and records every
  frame: transaction ids, To-Path / From-Path, responses to its requests, REPORT bodies.

Run as a program it is a one-shot client for reproducing a problem by hand:
  msrp_peer.py --connect 10.78.0.2:2855 --to MSRP_URI --from MSRP_URI [--send TEXT]...
               [--size N] [--chunk N] [--piece N] [--success-report] [--wait S]
It prints every frame it receives.
"""

import argparse
import hashlib
import random
import re
import socket
import string
import sys
import threading
import time

IDENT_CHARS = string.ascii_letters + string.digits
BYTE_RANGE = re.compile(rb"([0-9]+)-([0-9]+|\*)/([0-9]+|\*)\Z")
TID = re.compile(rb"[A-Za-z0-9][A-Za-z0-9.\-+%=]{3,31}\Z")
MAX_HEADER_BLOCK = 16384


def new_ident(n=16, rnd=random.SystemRandom()):
    """An RFC 4975 ident: alphanumerics only (a subset of ident-char)."""
    return "".join(rnd.choice(IDENT_CHARS) for _ in range(n))


def session_id(uri):
    """The session-id of an MSRP URI: msrp://host:port/SID;tcp -> SID."""
    rest = uri.split("://", 1)[1]
    path = rest.split(";", 1)[0]
    return path.split("/", 1)[1] if "/" in path else ""


class ProtocolError(Exception):
    def __init__(self, offset, reason):
        super().__init__("offset %d: %s" % (offset, reason))
        self.offset = offset
        self.reason = reason


class Frame:
    """One MSRP request or response as received (or as built for sending)."""

    def __init__(self):
        self.kind = None        # "request" or "response"
        self.tid = ""
        self.method = ""        # requests
        self.status = 0         # responses
        self.comment = ""       # responses
        self.headers = []       # [(name as sent, value)] in order
        self.body = b""
        self.body_len = 0       # len(body) as received (body may be dropped to save memory)
        self.has_body = False   # content-stuff present (blank line after the headers)
        self.flag = ""          # "+", "$" or "#"
        self.offset = 0         # stream offset of the start line
        self.time = 0.0

    def header(self, name, default=None):
        name = name.lower()
        for n, v in self.headers:
            if n.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for n, v in self.headers if n.lower() == name]

    @property
    def to_path(self):
        return (self.header("To-Path") or "").split()

    @property
    def from_path(self):
        return (self.header("From-Path") or "").split()

    def byte_range(self):
        """(start, end or None, total or None), or None without a Byte-Range header."""
        v = self.header("Byte-Range")
        if v is None:
            return None
        m = BYTE_RANGE.match(v.encode())
        if not m:
            return None
        return (int(m.group(1)), None if m.group(2) == b"*" else int(m.group(2)),
                None if m.group(3) == b"*" else int(m.group(3)))

    def __repr__(self):
        if self.kind == "response":
            return "<MSRP %s %d %s>" % (self.tid, self.status, self.comment)
        return "<MSRP %s %s %s %d bytes %s>" % (self.tid, self.method,
                                               self.header("Message-ID"), len(self.body),
                                               self.flag)


class FrameParser:
    """Incremental MSRP stream parser: feed() bytes, get complete frames back."""

    def __init__(self):
        self.buf = bytearray()
        self.base = 0           # stream offset of buf[0]
        self.pos = 0            # next unparsed byte in buf
        self.frame = None       # frame in progress (header block done or in progress)
        self.state = "start"    # start / headers / body
        self.body_start = 0
        self.search = 0
        self.endline = b""

    def _line(self):
        """Next CRLF-terminated line at self.pos, or None if not complete yet."""
        end = self.buf.find(b"\r\n", self.pos)
        if end < 0:
            if len(self.buf) - self.pos > MAX_HEADER_BLOCK:
                raise ProtocolError(self.base + self.pos, "line longer than %d bytes"
                                    % MAX_HEADER_BLOCK)
            return None
        line = bytes(self.buf[self.pos:end])
        if b"\n" in line or b"\r" in line:
            raise ProtocolError(self.base + self.pos, "bare CR or LF inside a line")
        self.pos = end + 2
        return line

    def feed(self, data):
        self.buf += data
        out = []
        while True:
            f = self._step()
            if f is None:
                break
            out.append(f)
        # Drop consumed bytes now and then (keeps the buffer small without quadratic moves).
        if self.pos > 65536 and self.pos * 2 > len(self.buf):
            del self.buf[:self.pos]
            self.base += self.pos
            self.body_start -= self.pos
            self.search -= self.pos
            self.pos = 0
        return out

    def _step(self):
        if self.state == "start":
            start = self.pos
            line = self._line()
            if line is None:
                return None
            f = Frame()
            f.offset = self.base + start
            parts = line.split(b" ", 3)
            if len(parts) < 3 or parts[0] != b"MSRP" or not TID.match(parts[1]):
                raise ProtocolError(f.offset, "bad start line %r" % line[:80])
            f.tid = parts[1].decode()
            if re.fullmatch(rb"[0-9]{3}", parts[2]):
                f.kind = "response"
                f.status = int(parts[2])
                f.comment = parts[3].decode("utf-8", "replace") if len(parts) > 3 else ""
            elif re.fullmatch(rb"[A-Z]+", parts[2]) and len(parts) == 3:
                f.kind = "request"
                f.method = parts[2].decode()
            else:
                raise ProtocolError(f.offset, "bad start line %r" % line[:80])
            self.frame = f
            self.endline = b"-------" + parts[1]
            self.state = "headers"
        if self.state == "headers":
            f = self.frame
            while True:
                lstart = self.pos
                line = self._line()
                if line is None:
                    return None
                if line.startswith(b"-------"):
                    if line[:-1] != self.endline or line[-1:] not in (b"+", b"$", b"#"):
                        raise ProtocolError(self.base + lstart, "end-line %r for tid %s"
                                            % (line, f.tid))
                    f.flag = line[-1:].decode()
                    return self._done()
                if line == b"":
                    f.has_body = True
                    self.body_start = self.pos
                    self.search = self.pos
                    self.state = "body"
                    break
                name, sep, value = line.partition(b":")
                if not sep or not value.startswith(b" ") or not name:
                    raise ProtocolError(self.base + lstart, "bad header line %r" % line[:80])
                f.headers.append((name.decode(), value[1:].decode("utf-8", "replace")))
                if len(f.headers) == 1 and name.lower() != b"to-path":
                    raise ProtocolError(self.base + lstart, "first header is not To-Path")
                if len(f.headers) == 2 and name.lower() != b"from-path":
                    raise ProtocolError(self.base + lstart, "second header is not From-Path")
        # state == "body": data CRLF end-line
        f = self.frame
        pat = b"\r\n" + self.endline
        while True:
            k = self.buf.find(pat, self.search)
            if k < 0:
                self.search = max(self.body_start, len(self.buf) - len(pat))
                return None
            after = k + len(pat)
            if len(self.buf) < after + 3:
                self.search = k
                return None
            if self.buf[after:after + 1] in (b"+", b"$", b"#") and \
                    self.buf[after + 1:after + 3] == b"\r\n":
                break
            self.search = k + 1
        f.body = bytes(self.buf[self.body_start:k])
        f.body_len = len(f.body)
        f.flag = chr(self.buf[after])
        self.pos = after + 3
        return self._done()

    def _done(self):
        f = self.frame
        f.time = time.time()
        if len(f.headers) < 2:
            raise ProtocolError(f.offset, "frame without To-Path and From-Path")
        self.frame = None
        self.state = "start"
        return f


def build_request(tid, method, to_path, from_path, headers=(), body=None,
                  content_type=None, flag="$"):
    """Bytes of one request.  headers: [(name, value)] placed after the paths; a body
    (bytes, possibly empty) adds Content-Type last and the content-stuff."""
    h = ["MSRP %s %s" % (tid, method), "To-Path: " + " ".join(to_path),
         "From-Path: " + " ".join(from_path)]
    h += ["%s: %s" % (n, v) for n, v in headers]
    if body is not None:
        h.append("Content-Type: " + (content_type or "text/plain"))
        return ("\r\n".join(h) + "\r\n\r\n").encode() + body + \
            ("\r\n-------%s%s\r\n" % (tid, flag)).encode()
    return ("\r\n".join(h) + "\r\n-------%s%s\r\n" % (tid, flag)).encode()


def build_response(tid, code, comment, to_uri, from_uri):
    """RFC 4975 §7.2: To-Path is the previous hop only, From-Path our own URI."""
    start = "MSRP %s %03d" % (tid, code) + (" " + comment if comment else "")
    return ("%s\r\nTo-Path: %s\r\nFrom-Path: %s\r\n-------%s$\r\n"
            % (start, to_uri, from_uri, tid)).encode()


class Message:
    """An incoming message reassembled by Byte-Range (RFC 4975 §5.1)."""

    def __init__(self, mid):
        self.mid = mid
        self.data = bytearray()
        self.received = 0       # body bytes received (overlaps counted once per chunk)
        self.total = None       # Byte-Range total when known
        self.end = None         # last byte position, known once the '$' chunk arrived
        self.chunks = []        # the Frames, in arrival order
        self.aborted = False
        self.complete = False
        self.content_type = None
        self.first_time = 0.0
        self.done_time = 0.0

    def add(self, f):
        br = f.byte_range() or (1, None, len(f.body))
        start = br[0]
        if not self.chunks:
            self.first_time = f.time
            self.content_type = f.header("Content-Type")
        self.chunks.append(f)
        if br[2] is not None:
            self.total = br[2]
        if start - 1 + len(f.body) > len(self.data):
            self.data.extend(b"\0" * (start - 1 + len(f.body) - len(self.data)))
        self.data[start - 1:start - 1 + len(f.body)] = f.body
        self.received += len(f.body)
        if f.flag == "#":
            self.aborted = True
        elif f.flag == "$":
            self.end = start - 1 + len(f.body)
        if self.end is not None and not self.aborted and self.received >= self.end and \
                (self.total is None or self.total == self.end):
            self.complete = True
            self.done_time = f.time

    def body(self):
        return bytes(self.data)

    def sha256(self):
        return hashlib.sha256(self.data).hexdigest()


class Peer:
    """One MSRP participant on one TCP connection.

    my_uri: our MSRP URI (From-Path of our requests, From-Path of our responses).
    to_uri: the switch's URI for our leg (To-Path of our requests).
    respond: code answered to incoming SENDs (200 by default, e.g. 413), or None to never
             answer.  report: send a success REPORT for completed messages that asked for it.
    """

    def __init__(self, name, my_uri, to_uri, respond=200, report=True, keep_data=True,
                 rcvbuf=0):
        self.name = name
        self.my_uri = my_uri
        self.to_uri = to_uri
        self.respond = respond
        self.report = report
        self.keep_data = keep_data
        self.sock = None
        self.parser = FrameParser()
        self.cv = threading.Condition()
        self.wlock = threading.Lock()
        self.frames = []            # every frame received, in order
        self.requests = []          # incoming SEND/REPORT/other requests
        self.reports = []           # incoming REPORTs
        self.responses = {}         # our tid -> response Frame
        self.sent = {}              # our tid -> (method, Message-ID, bytes of the frame)
        self.sent_order = []        # our tids in sending order
        self.messages = {}          # incoming Message-ID -> Message
        self.message_order = []     # incoming Message-IDs in order of their first chunk
        self.answered = []          # (tid, code) we answered
        self.reports_sent = []      # Message-IDs we sent a success REPORT for
        self.eof = False
        self.error = None           # ProtocolError or OSError seen by the reader
        self.rx_bytes = 0
        self.reader = None
        self.rcvbuf = rcvbuf        # SO_RCVBUF before connecting (0 = kernel autotuning)
        self.reading = threading.Event()  # cleared: the reader stops reading (slow peer)
        self.reading.set()
        self.violations = []        # RFC 4975 rules the other side broke (text each)

    # ---- connection ---------------------------------------------------------------------

    def connect(self, host, port, timeout=10):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if self.rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = threading.Thread(target=self._read_loop, name="msrp-" + self.name,
                                       daemon=True)
        self.reader.start()
        return self

    def close(self):
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
        if self.reader is not None:
            self.reader.join(timeout=5)

    def send_raw(self, data, piece=0, gap=0.002):
        """Writes data; piece > 0 writes it piece bytes at a time, gap seconds apart, so
        that (with TCP_NODELAY) every piece leaves in its own TCP segment."""
        with self.wlock:
            if piece <= 0:
                self.sock.sendall(data)
                return
            for i in range(0, len(data), piece):
                self.sock.sendall(data[i:i + piece])
                time.sleep(gap)

    def _read_loop(self):
        try:
            while True:
                self.reading.wait()
                data = self.sock.recv(1 << 18)
                if not data:
                    break
                self.rx_bytes += len(data)
                for f in self.parser.feed(data):
                    self._handle(f)
        except (OSError, ProtocolError) as e:
            with self.cv:
                self.error = e
        # Like a real client: the other side closed, so close ours (send our FIN).
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        with self.cv:
            self.eof = True
            self.cv.notify_all()

    # ---- incoming -----------------------------------------------------------------------

    def _handle(self, f):
        out = []
        with self.cv:
            self.frames.append(f)
            self._check(f)
            if f.kind == "response":
                self.responses[f.tid] = f
            else:
                self.requests.append(f)
                if f.method == "REPORT":
                    self.reports.append(f)
                elif f.method == "SEND":
                    out = self._on_send(f)
            self.cv.notify_all()
        for data in out:
            try:
                self.send_raw(data)
            except OSError:
                pass

    def _check(self, f):
        """Records what the other side got wrong (called under the lock)."""
        v = self.violations
        if f.kind == "response":
            if f.tid not in self.sent:
                v.append("response %d for tid %s we never sent" % (f.status, f.tid))
            elif f.tid in self.responses:
                v.append("second response %d for tid %s" % (f.status, f.tid))
            elif self.sent[f.tid][0] == "REPORT":
                v.append("response to our REPORT %s (RFC 4975 §7.1.2)" % f.tid)
            if f.to_path != [self.my_uri]:
                v.append("response %s To-Path %s is not our URI" % (f.tid, f.to_path))
            return
        if f.to_path[-1:] != [self.my_uri]:
            v.append("%s %s To-Path %s does not end with our URI" % (f.method, f.tid,
                                                                    f.to_path))
        if f.method in ("SEND", "REPORT") and f.header("Message-ID") is None:
            v.append("%s %s without Message-ID" % (f.method, f.tid))
        if f.method == "REPORT" and f.header("Status") is None:
            v.append("REPORT %s without Status" % f.tid)
        if f.has_body and f.body and f.header("Content-Type") is None:
            v.append("%s %s has a body without Content-Type" % (f.method, f.tid))
        br = f.byte_range()
        if f.method == "SEND" and br is not None:
            if br[1] is not None and br[1] != br[0] + len(f.body) - 1:
                v.append("SEND %s Byte-Range %s for %d bytes" % (f.tid, f.header("Byte-Range"),
                                                               len(f.body)))
            m = self.messages.get(f.header("Message-ID"))
            if m is not None and m.chunks and not m.aborted:
                pb = m.chunks[-1].byte_range()
                if pb is not None and br[0] != pb[0] + m.chunks[-1].body_len:
                    v.append("SEND %s Byte-Range %s does not follow the previous chunk %s of "
                             "%d bytes" % (f.tid, f.header("Byte-Range"),
                                           m.chunks[-1].header("Byte-Range"),
                                           m.chunks[-1].body_len))

    def _on_send(self, f):
        """Records the chunk; returns the frames to send back (response, REPORT)."""
        out = []
        mid = f.header("Message-ID")
        fr = (f.header("Failure-Report") or "yes").lower()
        code = self.respond
        if code is not None and not (fr == "no" or (fr == "partial" and code == 200)):
            prev = f.from_path[0] if f.from_path else ""
            comment = {200: "OK", 400: "Bad Request", 413: "Message Too Large",
                       415: "Unsupported Media Type", 481: "No Such Session"}.get(code, "")
            out.append(build_response(f.tid, code, comment, prev, self.my_uri))
            self.answered.append((f.tid, code))
        if mid is None:
            return out
        m = self.messages.get(mid)
        if m is None:
            m = self.messages[mid] = Message(mid)
            self.message_order.append(mid)
        was_complete = m.complete
        m.add(f)
        if not self.keep_data:
            f.body = b""
        want = (m.chunks[0].header("Success-Report") or "no").lower() == "yes"
        if m.complete and not was_complete and code == 200 and self.report and want:
            # RFC 4975 §7.1.2: the REPORT's To-Path is the SEND's From-Path (previous hop
            # first, the originator last); REPORTs are never answered.  The Byte-Range
            # covers the whole message.
            n = m.end
            rtid = new_ident()
            self.sent[rtid] = ("REPORT", mid, 0)
            out.append(build_request(rtid, "REPORT", f.from_path, [self.my_uri],
                                     [("Message-ID", mid), ("Byte-Range", "1-%d/%d" % (n, n)),
                                      ("Status", "000 200 OK")]))
            self.reports_sent.append(mid)
        return out

    # ---- outgoing -----------------------------------------------------------------------

    def send_message(self, body, mid=None, chunk=0, content_type="text/plain",
                     success_report=None, failure_report=None, extra=(), abort_after=None,
                     unknown_total=False, to_path=None, pause=0.0, piece=0):
        """Sends one message as SEND requests.  chunk: body bytes per chunk (0 = whole).
        success_report / failure_report: header values ("yes", "no", "partial") or None to
        omit the header.  abort_after: after that many chunks, end the last one with '#'.
        piece: write each frame that many bytes per TCP segment (see send_raw).
        Returns (Message-ID, [tids])."""
        mid = mid or new_ident(12)
        to_path = to_path or [self.to_uri]
        total = len(body)
        size = chunk if chunk > 0 else max(total, 1)
        tids = []
        pos = 0
        n = 0
        while True:
            part = body[pos:pos + size]
            last = pos + len(part) >= total
            n += 1
            flag = "$" if last else "+"
            if abort_after is not None and n >= abort_after:
                flag = "#"
            hdrs = [("Message-ID", mid)]
            if success_report is not None:
                hdrs.append(("Success-Report", success_report))
            if failure_report is not None:
                hdrs.append(("Failure-Report", failure_report))
            end = pos + len(part)
            hdrs.append(("Byte-Range", "%d-%d/%s" % (pos + 1, end,
                                                      "*" if unknown_total else total)))
            hdrs += list(extra)
            tid = new_ident()
            data = build_request(tid, "SEND", to_path, [self.my_uri], hdrs, part, content_type,
                                 flag)
            with self.cv:
                self.sent[tid] = ("SEND", mid, len(part))
                self.sent_order.append(tid)
            self.send_raw(data, piece)
            tids.append(tid)
            pos = end
            if last or flag == "#":
                break
            if pause:
                time.sleep(pause)
        return mid, tids

    # ---- waiting ------------------------------------------------------------------------

    def wait(self, pred, timeout=10.0):
        """Waits until pred() (called under the lock) is true or the connection ended."""
        deadline = time.time() + timeout
        with self.cv:
            while not pred():
                left = deadline - time.time()
                if left <= 0 or self.eof:
                    return pred()
                self.cv.wait(min(left, 0.5))
            return True

    def wait_eof(self, timeout=10.0):
        return self.wait(lambda: self.eof, timeout)

    def wait_responses(self, tids, timeout=10.0):
        return self.wait(lambda: all(t in self.responses for t in tids), timeout)

    def wait_message(self, mid, timeout=10.0):
        return self.wait(lambda: mid in self.messages and self.messages[mid].complete, timeout)

    def wait_messages(self, mids, timeout=10.0):
        return self.wait(lambda: all(m in self.messages and self.messages[m].complete
                                     for m in mids), timeout)

    def reports_for(self, mid):
        with self.cv:
            return [r for r in self.reports if r.header("Message-ID") == mid]


def main():
    ap = argparse.ArgumentParser(description="One-shot MSRP client (prints received frames).")
    ap.add_argument("--connect", required=True, help="HOST:PORT")
    ap.add_argument("--to", required=True, help="To-Path URI (the switch's URI of our leg)")
    ap.add_argument("--from", dest="from_", required=True, help="our URI (From-Path)")
    ap.add_argument("--send", action="append", default=[], help="message text (repeatable)")
    ap.add_argument("--chunk", type=int, default=0)
    ap.add_argument("--content-type", default="text/plain")
    ap.add_argument("--success-report", action="store_true")
    ap.add_argument("--respond", type=int, default=200, help="code for incoming SENDs, 0=none")
    ap.add_argument("--piece", type=int, default=0,
                    help="write every frame N bytes per TCP segment (0 = whole)")
    ap.add_argument("--size", type=int, default=0,
                    help="also send one message of N random printable bytes")
    ap.add_argument("--raw", help="file of raw bytes to send after the messages")
    ap.add_argument("--wait", type=float, default=2.0, help="seconds to listen afterwards")
    args = ap.parse_args()
    host, port = args.connect.rsplit(":", 1)
    p = Peer("cli", args.from_, args.to, respond=args.respond or None)
    p.connect(host, int(port))
    bodies = [t.encode() for t in args.send]
    if args.size:
        bodies.append(bytes(random.randrange(33, 127) for _ in range(args.size)))
    try:
        for body in bodies:
            mid, tids = p.send_message(body, chunk=args.chunk, content_type=args.content_type,
                                       success_report="yes" if args.success_report else None,
                                       piece=args.piece)
            print("sent %s (%d bytes) tids %s" % (mid, len(body), " ".join(tids)))
    except OSError as e:
        print("write failed: %s" % e)
    if args.raw:
        with open(args.raw, "rb") as fh:
            p.send_raw(fh.read())
    time.sleep(args.wait)
    eof = p.eof
    p.close()
    for f in p.frames:
        print(repr(f), f.headers, f.body[:200])
    if p.error:
        print("error:", p.error)
    print("connection closed by the other side" if eof else "connection still open")
    return 0


if __name__ == "__main__":
    sys.exit(main())

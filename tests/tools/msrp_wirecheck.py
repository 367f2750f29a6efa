#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Strict MSRP wire checker (RFC 4975 §9 grammar) for packet captures.

Independent of the msw MSRP library on purpose, so the two can disagree: it reads a
pcap/pcapng with tshark, reassembles every TCP stream per direction in sequence order
(out-of-order, retransmitted and overlapping segments are merged; a retransmission that
changes already-seen bytes is an error), and checks every MSRP frame:

  start line (MSRP SP tid SP method|status [SP comment] CRLF), tid = ident (4..32 chars),
  To-Path first and From-Path second (each 1*(SP MSRP-URI)), header-line syntax,
  Message-ID / Byte-Range / Status / Success-Report / Failure-Report / Content-Type
  syntax, Content-Type last and present when there is content-stuff, Byte-Range end
  consistent with the data length, end-line "-------" + the same tid + flag (+ $ #),
  responses with a one-URI To-Path (the previous hop) and no body, non-SEND bodies
  <= 10240 bytes, SEND/REPORT carrying Message-ID,
  REPORT carrying Status.  With --transactions, every response must answer a request sent
  in the other direction of the same stream, and no REPORT may be answered (§7.1.2).

Prints one summary line and exits 0 when all frames are good; otherwise prints
"stream N dir D offset O: reason" lines (first error per direction, since the byte stream
cannot be re-synchronised after one) and exits 1. Exit 2 on usage or tshark errors.
D is c2s when the destination port is one of --port, else s2c. O is the byte offset in
that direction's reassembled stream.

Usage: msrp_wirecheck.py [--port P]... [--transactions] CAPTURE
       msrp_wirecheck.py --raw FILE      (check one direction's bytes, no capture)
"""

import argparse
import re
import subprocess
import sys

MAX_HEADER_BLOCK = 16 * 1024  # MFR-19 spirit: a start line + headers beyond this is hostile

IDENT = re.compile(rb"[A-Za-z0-9][A-Za-z0-9.\-+%=]{3,31}\Z")
METHOD = re.compile(rb"[A-Z]+\Z")
HNAME = re.compile(rb"[A-Za-z][!#-'*+\-.0-9A-Z^-~]*\Z")  # ALPHA *token (RFC 4975 §9)
STATUS_CODE = re.compile(rb"[0-9]{3}\Z")
BYTE_RANGE = re.compile(rb"([0-9]+)-([0-9]+|\*)/([0-9]+|\*)\Z")
STATUS_HDR = re.compile(rb"([0-9]{3}) ([0-9]{3})(?: (.*))?\Z", re.S)
TOKEN = rb"[!#-'*+\-.0-9A-Z^-~]+"
CONTENT_TYPE = re.compile(
    rb"(" + TOKEN + rb")/(" + TOKEN + rb")"
    rb"(?:[ \t]*;[ \t]*" + TOKEN + rb"=(?:" + TOKEN + rb'|"(?:[^"\\\r\n]|\\.)*"))*[ \t]*\Z')
# RFC 4975 §9 MSRP-URI: scheme "://" authority ["/" session-id] ";" transport *(";" param)
# authority = [userinfo "@"] host [":" port] (RFC 3986); session-id = 1*(unreserved/+/=//)
MSRP_URI = re.compile(
    rb"(?i:msrps?)://"
    rb"(?:[A-Za-z0-9\-._~!$&'()*+,=:]|%[0-9A-Fa-f]{2})*@?"
    rb"(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,=]|%[0-9A-Fa-f]{2})+)"
    rb"(?::[0-9]{1,5})?"
    rb"(?:/[A-Za-z0-9\-._~+=/]+)?"
    rb";[A-Za-z0-9]+"
    rb"(?:;" + TOKEN + rb"(?:=" + TOKEN + rb")?)*\Z")


class FrameError(Exception):
    """A grammar violation at a byte offset of the direction's stream."""

    def __init__(self, offset, reason, truncated=False):
        super().__init__(reason)
        self.offset = offset
        self.reason = reason
        self.truncated = truncated  # the bytes ran out: a hole explains it better


def utf8text_ok(b):
    """utf8text = *(HTAB / %x20-7E / UTF8-NONASCII) (RFC 4975 §9)."""
    if any((c < 0x20 and c != 0x09) or c == 0x7F for c in b):
        return False
    try:
        b.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        return False
    return True


def check_uri_authority(uri):
    """The regex admits userinfo anywhere; keep the '@' rule and the port range honest."""
    rest = uri.split(b"://", 1)[1]
    auth = re.split(rb"[/;]", rest, 1)[0]
    if auth.count(b"@") > 1:
        return False
    hostport = auth.rsplit(b"@", 1)[-1]
    m = re.search(rb":([0-9]{1,5})\Z", hostport)
    if m and int(m.group(1)) > 65535:
        return False
    return True


def check_path(value, off, name):
    if not value:
        raise FrameError(off, "%s is empty" % name)
    uris = value.split(b" ")
    for u in uris:
        if not MSRP_URI.match(u) or not check_uri_authority(u):
            raise FrameError(off, "%s has an invalid MSRP URI %r" % (name, u.decode("latin-1")))
    return uris


class Frame:
    def __init__(self):
        self.kind = None  # "request" / "response"
        self.tid = b""
        self.method = b""
        self.status = 0
        self.headers = []
        self.body_len = 0
        self.has_body = False
        self.flag = b""
        self.offset = 0


def parse_frame(buf, off):
    """Check one frame starting at buf[off]; return (Frame, next offset)."""
    f = Frame()
    f.offset = off
    pos = off

    def line_at(p):
        end = buf.find(b"\r\n", p, p + MAX_HEADER_BLOCK)
        lf = buf.find(b"\n", p, end if end >= 0 else p + MAX_HEADER_BLOCK)
        if lf >= 0 and (end < 0 or lf < end):
            raise FrameError(lf, "bare LF: lines end with CRLF")
        if end < 0:
            if len(buf) - p >= MAX_HEADER_BLOCK:
                raise FrameError(p, "line longer than %d bytes" % MAX_HEADER_BLOCK)
            raise FrameError(p, "stream ends inside a line (truncated frame)", True)
        cr = buf.find(b"\r", p, end)
        if cr >= 0:
            raise FrameError(cr, "bare CR inside a line")
        return buf[p:end], end + 2

    start, pos = line_at(pos)
    parts = start.split(b" ", 3)
    if len(parts) < 3 or parts[0] != b"MSRP":
        raise FrameError(off, "start line is not 'MSRP SP transact-id SP method/status'")
    f.tid = parts[1]
    if not IDENT.match(f.tid):
        raise FrameError(off, "transaction id %r is not an ident (ALPHANUM 3*31ident-char)"
                         % f.tid.decode("latin-1"))
    if STATUS_CODE.match(parts[2]):
        f.kind = "response"
        f.status = int(parts[2])
        if len(parts) == 4 and not utf8text_ok(parts[3]):
            raise FrameError(off, "response comment is not utf8text")
        if len(parts) == 4 and parts[3] == b"":
            raise FrameError(off, "SP after the status code without a comment")
    elif METHOD.match(parts[2]) and len(parts) == 3:
        f.kind = "request"
        f.method = parts[2]
    else:
        raise FrameError(off, "start line: %r is neither a method (1*UPALPHA) nor a status code"
                         % b" ".join(parts[2:]).decode("latin-1"))

    # Header lines until the blank line (content-stuff) or the end-line (no body).
    endline = b"-------" + f.tid
    n = 0
    while True:
        if pos - off > MAX_HEADER_BLOCK:
            raise FrameError(off, "header block longer than %d bytes" % MAX_HEADER_BLOCK)
        lstart = pos
        line, pos = line_at(pos)
        if line.startswith(b"-------"):
            if line[:-1] != endline or line[-1:] not in (b"+", b"$", b"#"):
                raise FrameError(lstart, "end-line %r does not match transaction id %r + flag"
                                 % (line.decode("latin-1"), f.tid.decode("latin-1")))
            f.flag = line[-1:]
            break
        if line == b"":
            f.has_body = True
            break
        name, sep, value = line.partition(b":")
        if not sep or not HNAME.match(name):
            raise FrameError(lstart, "header line %r is not 'name: value'"
                             % line[:60].decode("latin-1"))
        if not value.startswith(b" "):
            raise FrameError(lstart, "no SP after '%s:'" % name.decode("latin-1"))
        value = value[1:]
        if not utf8text_ok(value):
            raise FrameError(lstart, "header %s value has control characters or bad UTF-8"
                             % name.decode("latin-1"))
        f.headers.append((name.lower(), value, lstart))
        n += 1
        # RFC 4975 §9 (MFR-03): To-Path is the first header, From-Path the second.
        if n == 1 and name.lower() != b"to-path":
            raise FrameError(lstart, "first header is %s, not To-Path" % name.decode("latin-1"))
        if n == 2 and name.lower() != b"from-path":
            raise FrameError(lstart, "second header is %s, not From-Path" % name.decode("latin-1"))
        if n > 2 and name.lower() in (b"to-path", b"from-path"):
            raise FrameError(lstart, "%s repeated" % name.decode("latin-1"))

    if n < 2:
        raise FrameError(off, "frame without To-Path and From-Path")
    hdr = {}
    for name, value, lstart in f.headers:
        if name in hdr and name in (b"message-id", b"byte-range", b"status", b"content-type",
                                    b"success-report", b"failure-report"):
            raise FrameError(lstart, "%s repeated" % name.decode())
        hdr.setdefault(name, (value, lstart))

    to_uris = check_path(hdr[b"to-path"][0], hdr[b"to-path"][1], "To-Path")
    check_path(hdr[b"from-path"][0], hdr[b"from-path"][1], "From-Path")
    if b"message-id" in hdr and not IDENT.match(hdr[b"message-id"][0]):
        raise FrameError(hdr[b"message-id"][1], "Message-ID is not an ident")
    br = None
    if b"byte-range" in hdr:
        m = BYTE_RANGE.match(hdr[b"byte-range"][0])
        if not m:
            raise FrameError(hdr[b"byte-range"][1], "Byte-Range is not start-end/total")
        br = (int(m.group(1)), None if m.group(2) == b"*" else int(m.group(2)),
              None if m.group(3) == b"*" else int(m.group(3)))
        if br[0] < 1:
            raise FrameError(hdr[b"byte-range"][1], "Byte-Range start is 0 (ranges are 1-based)")
        if br[1] is not None and br[1] < br[0] - 1:
            raise FrameError(hdr[b"byte-range"][1], "Byte-Range end before start")
        if br[1] is not None and br[2] is not None and br[1] > br[2]:
            raise FrameError(hdr[b"byte-range"][1], "Byte-Range end beyond total")
    if b"status" in hdr:
        m = STATUS_HDR.match(hdr[b"status"][0])
        if not m:
            raise FrameError(hdr[b"status"][1], "Status is not 'namespace SP status-code [SP "
                             "comment]'")
    # ABNF quoted strings ("yes") are case-insensitive (RFC 5234 §2.3).
    if b"success-report" in hdr and hdr[b"success-report"][0].lower() not in (b"yes", b"no"):
        raise FrameError(hdr[b"success-report"][1], "Success-Report is not yes/no")
    if b"failure-report" in hdr and hdr[b"failure-report"][0].lower() not in (b"yes", b"no",
                                                                              b"partial"):
        raise FrameError(hdr[b"failure-report"][1], "Failure-Report is not yes/no/partial")
    if b"content-type" in hdr and not CONTENT_TYPE.match(hdr[b"content-type"][0]):
        raise FrameError(hdr[b"content-type"][1], "Content-Type is not type/subtype *(;param)")

    if f.has_body:
        # content-stuff = *(Other-Mime-header CRLF) Content-Type 2CRLF data CRLF
        # The data ends at the first CRLF "-------" tid flag CRLF; a candidate with another
        # tid is data (RFC 4975 §9, MFR-04).
        data_start = pos
        if buf.startswith(endline, data_start):
            raise FrameError(data_start, "end-line right after the blank line: content-stuff "
                             "is 2CRLF data CRLF end-line")
        p = data_start
        while True:
            k = buf.find(b"\r\n" + endline, p)
            if k < 0:
                other = re.search(rb"\r\n-------([A-Za-z0-9.\-+%=]{4,32})[+$#]\r\n",
                                  buf[data_start:])
                hint = ""
                if other:
                    hint = " (an end-line with transaction id %r is at offset %d)" % (
                        other.group(1).decode("latin-1"), data_start + other.start() + 2)
                raise FrameError(off, "no end-line with transaction id %r before the stream "
                                 "ends%s" % (f.tid.decode("latin-1"), hint), not other)
            after = k + 2 + len(endline)
            if buf[after:after + 1] in (b"+", b"$", b"#") and buf[after + 1:after + 3] == b"\r\n":
                break
            p = k + 1
        f.body_len = k - data_start
        f.flag = buf[after:after + 1]
        pos = after + 3
        # RFC 4975 §7.1: a body needs Content-Type, and Content-Type is the last header.
        last_name, _, last_off = f.headers[-1]
        if b"content-type" not in hdr and f.body_len > 0:
            raise FrameError(data_start - 2, "body of %d bytes without Content-Type"
                             % f.body_len)
        if b"content-type" in hdr and last_name != b"content-type":
            raise FrameError(last_off, "Content-Type is not the last header before the body")
        if f.kind == "request" and f.method != b"SEND" and f.body_len > 10240:
            raise FrameError(data_start, "%s body of %d bytes (non-SEND bodies are at most "
                             "10240, RFC 4975 §7.1)" % (f.method.decode(), f.body_len))
    if f.kind == "response":
        if len(to_uris) != 1:
            raise FrameError(hdr[b"to-path"][1], "response To-Path must be exactly one URI, the "
                             "previous hop (RFC 4975 §7.2), got %d" % len(to_uris))
        if f.has_body:
            raise FrameError(off, "a response has no body (msrp-response = resp-start "
                             "headers end-line)")
    else:
        if f.method in (b"SEND", b"REPORT") and b"message-id" not in hdr:
            raise FrameError(off, "%s without Message-ID" % f.method.decode())
        if f.method == b"REPORT" and b"status" not in hdr:
            raise FrameError(off, "REPORT without Status")
        # MCH-03: a numeric range-end is the chunk's last byte (SEND only: a REPORT's range
        # describes the reported message).
        if f.method == b"SEND" and br is not None:
            if br[1] is not None and br[1] != br[0] + f.body_len - 1:
                raise FrameError(hdr[b"byte-range"][1], "Byte-Range %d-%d does not match %d "
                                 "data bytes" % (br[0], br[1], f.body_len))
            if br[2] is not None and f.body_len > 0 and br[0] + f.body_len - 1 > br[2]:
                raise FrameError(hdr[b"byte-range"][1], "chunk data goes beyond Byte-Range "
                                 "total")
    return f, pos


def check_stream(buf):
    """Check a direction's bytes. Returns (frames, error or None)."""
    frames = []
    off = 0
    while off < len(buf):
        try:
            f, off = parse_frame(buf, off)
        except FrameError as e:
            return frames, e
        frames.append(f)
    return frames, None


def reassemble(segments):
    """segments: list of (seq, bytes). Returns (bytes, error or None).

    Sorted by sequence number; duplicates and overlaps must carry the same bytes; a hole
    means the capture lost data and is reported (nothing after it can be checked).
    """
    if not segments:
        return b"", None
    segments = sorted(segments, key=lambda s: s[0])
    base = segments[0][0]
    out = bytearray()
    for seq, data in segments:
        rel = seq - base
        if rel > len(out):
            return bytes(out), FrameError(len(out), "capture has a hole of %d bytes (lost "
                                          "segment); later bytes not checked" % (rel - len(out)))
        overlap = len(out) - rel
        if overlap > 0:
            common = min(overlap, len(data))
            if out[rel:rel + common] != data[:common]:
                return bytes(out), FrameError(rel, "retransmitted segment changes bytes "
                                              "already sent")
            data = data[common:]
        out += data
    return bytes(out), None


def run_tshark(capture, ports):
    filt = " || ".join("tcp.port == %d" % p for p in ports)
    cmd = ["tshark", "-r", capture, "-n",
           "-o", "tcp.relative_sequence_numbers:TRUE",
           "-o", "tcp.desegment_tcp_streams:FALSE",
           "-Y", "(%s) && tcp.len > 0" % filt,
           "-T", "fields", "-E", "separator=\t",
           "-e", "tcp.stream", "-e", "tcp.seq", "-e", "tcp.srcport", "-e", "tcp.dstport",
           "-e", "tcp.payload"]
    try:
        res = subprocess.run(cmd, capture_output=True, check=False)
    except FileNotFoundError:
        sys.stderr.write("msrp_wirecheck: tshark not found\n")
        sys.exit(2)
    if res.returncode != 0:
        sys.stderr.write("msrp_wirecheck: tshark failed (%d): %s\n"
                         % (res.returncode, res.stderr.decode(errors="replace").strip()))
        sys.exit(2)
    streams = {}
    for line in res.stdout.decode().splitlines():
        if not line.strip():
            continue
        f = line.split("\t")
        if len(f) < 5 or not f[4]:
            continue
        stream, seq, sport, dport = int(f[0]), int(f[1]), int(f[2]), int(f[3])
        d = "c2s" if dport in ports else "s2c"
        data = bytes.fromhex(f[4].replace(":", ""))
        # Relative sequence numbers are 32-bit; unwrap against the first one seen.
        key = (stream, d)
        first = streams.setdefault(key, {"first": seq, "segs": []})
        delta = (seq - first["first"]) & 0xFFFFFFFF
        if delta >= 0x80000000:
            delta -= 0x100000000
        first["segs"].append((first["first"] + delta, data))
    return {k: v["segs"] for k, v in streams.items()}


def main():
    ap = argparse.ArgumentParser(description="Strict RFC 4975 wire checker for captures.")
    ap.add_argument("--port", type=int, action="append",
                    help="MSRP server port (repeatable; default 2855)")
    ap.add_argument("--transactions", action="store_true",
                    help="also require every response to answer a request from the other "
                    "direction, and no response to REPORT")
    ap.add_argument("--raw", action="store_true",
                    help="CAPTURE is one direction's raw byte stream, not a capture")
    ap.add_argument("capture")
    args = ap.parse_args()
    ports = args.port or [2855]

    if args.raw:
        with open(args.capture, "rb") as fh:
            directions = {(0, "c2s"): [(0, fh.read())]}
    else:
        directions = run_tshark(args.capture, ports)

    errors = []
    nframes = nreq = nresp = 0
    parsed = {}
    for key in sorted(directions):
        stream, d = key
        buf, err = reassemble(directions[key])
        frames, err2 = check_stream(buf)
        parsed[key] = frames
        nframes += len(frames)
        nreq += sum(1 for f in frames if f.kind == "request")
        nresp += sum(1 for f in frames if f.kind == "response")
        # A grammar error in the reassembled prefix comes first, unless it only says that
        # the bytes ran out: then the hole (or bad retransmission) is the real cause.
        e = err2
        if err is not None and (err2 is None or err2.truncated):
            e = err
        if e is not None:
            errors.append("stream %d dir %s offset %d: %s" % (stream, d, e.offset, e.reason))

    if args.transactions:
        for (stream, d), frames in sorted(parsed.items()):
            other = parsed.get((stream, "s2c" if d == "c2s" else "c2s"), [])
            req = {f.tid: f for f in other if f.kind == "request"}
            for f in frames:
                if f.kind != "response":
                    continue
                r = req.get(f.tid)
                if r is None:
                    errors.append("stream %d dir %s offset %d: response %d answers no request "
                                  "(transaction id %r)" % (stream, d, f.offset, f.status,
                                                           f.tid.decode("latin-1")))
                elif r.method == b"REPORT":
                    errors.append("stream %d dir %s offset %d: response to a REPORT (RFC 4975 "
                                  "§7.1.2: REPORTs are never answered)" % (stream, d, f.offset))

    for e in errors:
        print(e)
    print("msrp_wirecheck: %d direction(s), %d frame(s) (%d request(s), %d response(s)), "
          "%d error(s)" % (len(directions), nframes, nreq, nresp, len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

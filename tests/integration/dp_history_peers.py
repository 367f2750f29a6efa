#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""MSRP peers and checker of test_dp_history.sh (EV_HISTORY through a real msw-dataplane).

  dp_history_peers.py send --legs FILE --sent FILE --release FILE
      (inside the test's network namespace) one msrp_peer.Peer per leg of FILE (lines
      "leg NAME CONF PATH LOCAL_URI" of dp_history_client), each connects and binds; then
      the messages of MESSAGES, each waited for at its recipient; writes what was sent to
      --sent (JSON) and keeps the connections open until the file --release exists
  dp_history_peers.py check --legs FILE --sent FILE --events FILE
      compares the client's event lines (JSON, one per event) with what was sent

Both commands print "ok - ..." / "not ok - ..." lines; the script numbers them.

What EV_HISTORY must carry (docs/ctl-abi.md): one event per received chunk with a body, for
a conference created with MSW_CTL_CONF_F_HISTORY (every sender) or a sender leg added with
MSW_CTL_LEG_F_HISTORY; chunk_offset = Byte-Range start - 1 (RFC 4975 §7.1.1), msg_len = the
Byte-Range total (0 for '*'), the continuation flag ('+', '$', '#'), the Content-Type and
the chunk's bytes, so that placing the bodies at their offsets rebuilds the message. A
chunk the data plane cut through while it arrived (larger than msrp.rechunk_bytes, in
several TCP segments) may come as one event per piece instead: contiguous, '+' on all but
the last, which has the chunk's flag. The checker accepts both and says which it saw.
"""

import argparse
import hashlib
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import msrp_peer  # noqa: E402  (independent MSRP participant, stdlib only)
from msrp_peer import Peer, new_ident, session_id  # noqa: E402

# A fixed seed: a failure can be replayed with the same bytes.
RND = random.Random(0x4849535430)


def msg(label, sender, rcpt, body, chunk=0, ctype="text/plain", abort_after=None,
        unknown_total=False, piece=0, history=True):
    """One message of the scenario. chunk: body bytes per chunk (0 = one chunk);
    abort_after: the Nth chunk ends with '#'; unknown_total: Byte-Range total '*'; piece:
    write each frame that many bytes per TCP segment, so the data plane sees the chunk
    arrive in parts (its cut-through forwards pieces before the end-line)."""
    return {"label": label, "sender": sender, "rcpt": rcpt, "body": body, "chunk": chunk,
            "ctype": ctype, "abort_after": abort_after, "unknown_total": unknown_total,
            "piece": piece, "history": history}


def rnd_bytes(n, lo=0, hi=256):
    return bytes(RND.randrange(lo, hi) for _ in range(n))


# The conferences without history go first: one worker posts events in the order it
# received the chunks, so an event they produced wrongly arrives before the last wanted
# one, while the client still listens.
MESSAGES = [
    msg("hist-off: short message from c", "c", "d", b"not for the history", history=False),
    msg("hist-off: 4,000 bytes in 2 chunks from c", "c", "d", rnd_bytes(4000), 2500,
        "application/octet-stream", history=False),
    msg("hist-leg: message from f (no leg flag)", "f", "e", b"f keeps no history",
        history=False),
    msg("hist-leg: message from e (MSW_CTL_LEG_F_HISTORY)", "e", "f",
        "e keeps history: \u00e9t\u00e9".encode(), ctype="text/plain; charset=utf-8"),
    msg("hist-on: short one-chunk message from a", "a", "b", b"Hello, history!"),
    msg("hist-on: reply from b", "b", "a", b"Hi a, b here"),
    msg("hist-on: 10,000 bytes in 3 chunks from a", "a", "b", rnd_bytes(10000), 3500,
        "application/octet-stream"),
    msg("hist-on: 6,000 bytes in 2 chunks, 700 bytes per TCP segment", "a", "b",
        rnd_bytes(6000), 3000, "application/octet-stream", piece=700),
    msg("hist-on: 8,000 bytes aborted in the 2nd chunk, 700 bytes per TCP segment", "a", "b",
        rnd_bytes(8000, 32, 127), 3000, abort_after=2, piece=700),
    msg("hist-on: 3,000 bytes in 2 chunks, total unknown", "a", "b", rnd_bytes(3000, 32, 127),
        1500, "text/x-unknown-total", unknown_total=True),
]


def chunks_of(body, chunk, abort_after):
    """[(offset, length, flag)] exactly as Peer.send_message cuts the message."""
    size = chunk if chunk > 0 else max(len(body), 1)
    out = []
    pos = 0
    while True:
        part = len(body[pos:pos + size])
        last = pos + part >= len(body)
        flag = "$" if last else "+"
        if abort_after is not None and len(out) + 1 >= abort_after:
            flag = "#"
        out.append((pos, part, flag))
        pos += part
        if last or flag == "#":
            return out


def say(ok, text):
    # '#' would start a TAP directive.
    print("%s - %s" % ("ok" if ok else "not ok", text.replace("#", "(hash)")))
    sys.stdout.flush()
    return ok


def read_legs(path):
    """{name: {"conf", "path", "uri", "sid"}} from the client's "leg" lines."""
    legs = {}
    with open(path) as fh:
        for line in fh:
            w = line.split()
            if len(w) == 5 and w[0] == "leg":
                legs[w[1]] = {"conf": w[2], "path": w[3], "uri": w[4],
                              "sid": session_id(w[4])}
    return legs


def bind(p, timeout=5):
    """A bodiless SEND (RFC 4975 §5.4) binds the session at the data plane."""
    tid = new_ident()
    data = msrp_peer.build_request(tid, "SEND", [p.to_uri], [p.my_uri],
                                   [("Message-ID", new_ident(12))], None)
    with p.cv:
        p.sent[tid] = ("SEND", "", 0)
    p.send_raw(data)
    return p.wait_responses([tid], timeout) and p.responses[tid].status == 200


def cmd_send(args):
    legs = read_legs(args.legs)
    peers = {}
    try:
        bound = []
        for name, leg in sorted(legs.items()):
            hostport = leg["uri"].split("://", 1)[1].split("/", 1)[0]
            host, port = hostport.rsplit(":", 1)
            p = peers[name] = Peer(name, leg["path"], leg["uri"])
            p.connect(host, int(port))
            if bind(p):
                bound.append(name)
        if not say(len(bound) == 6 and len(legs) == 6,
                   "peers %s connected and bound (bodiless SEND 200)" % ",".join(bound)):
            return 1
        sent = []
        for m in MESSAGES:
            label, snd, rcv = m["label"], m["sender"], m["rcpt"]
            if snd not in peers or rcv not in peers:
                say(False, "%s: no leg" % label)
                continue
            mid, tids = peers[snd].send_message(m["body"], chunk=m["chunk"],
                                                content_type=m["ctype"],
                                                abort_after=m["abort_after"],
                                                unknown_total=m["unknown_total"],
                                                piece=m["piece"])
            got = peers[snd].wait_responses(tids, 10)
            codes = [peers[snd].responses[t].status for t in tids if t in peers[snd].responses]
            r = peers[rcv]
            if m["abort_after"] is not None:
                arrived = r.wait(lambda: mid in r.messages and r.messages[mid].aborted, 10)
            else:
                arrived = r.wait_message(mid, 10)
            delivered = say(got and codes == [200] * len(tids) and arrived,
                            "%s: %d chunk(s) answered %s, %s at %s" %
                            (label, len(tids), codes,
                             "abort" if m["abort_after"] else "message", rcv))
            sent.append({"label": label, "sender": snd, "conf": legs[snd]["conf"],
                         "mid": mid, "content_type": m["ctype"], "body_hex": m["body"].hex(),
                         "chunks": chunks_of(m["body"], m["chunk"], m["abort_after"]),
                         "msg_len": 0 if m["unknown_total"] else len(m["body"]),
                         "history": m["history"]})
            if not delivered:
                break  # the data plane is not switching: the rest would only time out
        bad = {n: p.violations for n, p in peers.items() if p.violations}
        say(not bad, "no RFC 4975 violation seen by the peers %s" % (bad or ""))
        with open(args.sent + ".tmp", "w") as fh:
            json.dump(sent, fh)
        os.rename(args.sent + ".tmp", args.sent)
        # Idle connections until the script has read the counters (no event meanwhile).
        deadline = time.time() + 60
        while not os.path.exists(args.release) and time.time() < deadline:
            time.sleep(0.05)
    finally:
        for p in peers.values():
            p.close()
    return 0


def cmd_check(args):
    legs = read_legs(args.legs)
    sid_name = {leg["sid"]: name for name, leg in legs.items()}
    with open(args.sent) as fh:
        sent = json.load(fh)
    events = []
    with open(args.events) as fh:
        for line in fh:
            if line.startswith("{"):
                events.append(json.loads(line))
    hist = [e for e in events if e.get("type") == "EV_HISTORY"]
    by_mid = {}
    for e in hist:
        by_mid.setdefault(e["message_id"], []).append(e)
    for m in sent:
        evs = by_mid.pop(m["mid"], [])
        if not m["history"]:
            say(not evs, "%s: no EV_HISTORY (%d)" % (m["label"], len(evs)))
            continue
        body = bytes.fromhex(m["body_hex"])
        want = [tuple(c) for c in m["chunks"]]
        errs = []
        if any(e["chunk_offset"] is None for e in evs):
            errs.append("event without chunk_offset (record v1)")
            evs = [e for e in evs if e["chunk_offset"] is not None]
        # Each chunk's events tile it: a chunk handled whole gives one event; one that
        # arrived in parts and was cut through may give one per piece, contiguous, '+'
        # on all but the last, which has the chunk's flag.
        pieces = []
        for off, n, flag in want:
            mine = sorted((e for e in evs if off <= e["chunk_offset"] < off + n),
                          key=lambda e: e["chunk_offset"])
            pos = off
            for i, e in enumerate(mine):
                f = flag if i == len(mine) - 1 else "+"
                if e["chunk_offset"] != pos or e["body_len"] <= 0 or e["flag"] != f:
                    errs.append("chunk %d+%d%s: event at %d, %d bytes, flag %r" %
                                (off, n, flag, e["chunk_offset"], e["body_len"], e["flag"]))
                pos = e["chunk_offset"] + max(e["body_len"], 0)
            if pos != off + n:
                errs.append("chunk %d+%d%s: events cover %d..%d" % (off, n, flag, off, pos))
            pieces.append(len(mine))
        outside = [e["chunk_offset"] for e in evs
                   if not any(o <= e["chunk_offset"] < o + n for o, n, _ in want)]
        if outside:
            errs.append("events at offsets %s outside the chunks sent" % outside)
        for e in evs:
            if e["ver"] < 2:
                errs.append("record version %d" % e["ver"])
            if e["conf"] != m["conf"] or sid_name.get(e["sid"]) != m["sender"]:
                errs.append("leg %s/%s is not the sender %s" % (e["conf"], e["sid"],
                                                                m["sender"]))
            if e["msg_len"] != m["msg_len"]:
                errs.append("msg_len %d, Byte-Range total %d" % (e["msg_len"], m["msg_len"]))
            if e["content_type"] != m["content_type"]:
                errs.append("content type %r" % e["content_type"])
        # Place every body at its offset: the result must be the bytes sent, exactly.
        rebuilt = bytearray()
        for e in evs:
            off = e["chunk_offset"] or 0
            part = bytes.fromhex(e["body_hex"])
            if len(rebuilt) < off + len(part):
                rebuilt.extend(b"\0" * (off + len(part) - len(rebuilt)))
            rebuilt[off:off + len(part)] = part
        sent_bytes = body[:sum(c[1] for c in want)]
        if bytes(rebuilt) != sent_bytes:
            errs.append("rebuilt %d bytes sha256 %s, sent %d bytes sha256 %s" %
                        (len(rebuilt), hashlib.sha256(rebuilt).hexdigest()[:16],
                         len(sent_bytes), hashlib.sha256(sent_bytes).hexdigest()[:16]))
        say(not errs, "%s: chunks at %s flags %s as %s EV_HISTORY, msg_len %d, %s, rebuilt "
            "%d bytes = sent (sha256 %s)%s" %
            (m["label"], "/".join(str(c[0]) for c in want), "".join(c[2] for c in want),
             "+".join(str(k) for k in pieces), m["msg_len"], m["content_type"], len(rebuilt),
             hashlib.sha256(rebuilt).hexdigest()[:16], ": " + "; ".join(errs) if errs else ""))
    n_chunks = sum(len(m["chunks"]) for m in sent if m["history"])
    say(not by_mid and len(hist) >= n_chunks,
        "EV_HISTORY events: %d for %d chunks; of other messages: %s" %
        (len(hist), n_chunks, sorted(by_mid) or "none"))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=("send", "check"))
    ap.add_argument("--legs")
    ap.add_argument("--sent")
    ap.add_argument("--events")
    ap.add_argument("--release")
    args = ap.parse_args()
    return cmd_send(args) if args.command == "send" else cmd_check(args)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""msw-client end to end (prints TAP): msw-dataplane and msw-controlplane in a network
namespace (the Env of test_focus_e2e.py), several msw-client processes on the SIP and MSRP
sides (docs/client.md).

  1. alice --create (JSON): 200 with the conference URI (;isfocus Contact) and a bound MSRP
     session; carol (text mode, lines from stdin) and bob (--send, SIP over TCP) --join it by
     URI and by id; the data plane holds the three legs with their identities.
  2. bob's --send and carol's stdin line reach the two others with the sender (CPIM From
     display name and URI), never the sender itself; --expect makes each leave (BYE), exit 0.
  3. erin --send-file (chunked) to dave's conference (gus stays in it too): dave saves it
     byte-exact (--save-dir) under its name; frank --final-report: the OMA final report lists
     dave and gus as delivered; SIGINT makes dave leave with a BYE and exit 0; gus, alone,
     gets the focus's BYE.
  4. --join of an unknown conference: exit 1 with the 404; --timeout with nothing to
     receive: exit 1 after the timeout, having left cleanly; a focus that only rings (SIPp,
     tests/sipp/client_ringing_uas.xml): CANCEL on --timeout; a focus that re-INVITEs
     (tests/sipp/client_reinvite_uas.xml): 200 to a session refresh, 488 to a new a=path.
  5. after everyone left, the data plane holds no conference.
  6. the planes again with controlplane.prefer_passive = false: the focus answers
     a=setup:active and the data plane dials the clients' a=path (RFC 6135).

Usage: test_client_e2e.py BUILD_DIR SRC_DIR (as root). MSW_BUILD_ROOT / MSW_SRC_ROOT work too.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_focus_e2e as focus_e2e  # noqa: E402  (Env: both planes in a namespace)

N = 0
FAILS = 0


def tap(ok, text, diag=""):
    global N, FAILS
    N += 1
    if not ok:
        FAILS += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", N, text))
    if not ok and diag:
        for line in str(diag).splitlines()[:30]:
            print("# " + line)
    sys.stdout.flush()


class Client:
    """One msw-client process; stdout lines (JSON events or text) collected by a thread."""

    def __init__(self, env, name, args, json_mode=True, stdin=False):
        self.name, self.json = name, json_mode
        self.lines, self.events = [], []
        self.cv = threading.Condition()
        self.err = os.path.join(env.tmp, "client-%s.err" % name)
        argv = [os.path.join(env.build, "controlplane/msw-client"), "--config", env.conf,
                "--user", name] + (["--json"] if json_mode else []) + args
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=open(self.err, "w"), text=True)
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stdout:
            with self.cv:
                self.lines.append(line.rstrip("\n"))
                if self.json:
                    try:
                        self.events.append(json.loads(line))
                    except ValueError:
                        self.events.append({"event": "unparsable", "line": line})
                self.cv.notify_all()

    def wait_line(self, pred, timeout=15):
        end = time.time() + timeout
        with self.cv:
            while True:
                for x in (self.events if self.json else self.lines):
                    if pred(x):
                        return x
                left = end - time.time()
                if left <= 0 or (self.p.poll() is not None and not self.t.is_alive()):
                    return None
                self.cv.wait(min(left, 0.2))

    def of(self, kind):
        with self.cv:
            return [e for e in self.events if e.get("event") == kind]

    def finish(self, timeout=60):
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        self.t.join(5)
        return rc

    def diag(self):
        try:
            err = open(self.err).read()
        except OSError:
            err = ""
        return "\n".join(["%s stdout:" % self.name] + self.lines + ["stderr:", err])


def messages_from(client, uri):
    return [e for e in client.of("message") if e.get("from") == uri]


def conf_legs(env, conf_id):
    rc, out = env.ctl("conf", "list", "--json")
    if rc != 0:
        return None, out
    for c in json.loads(out)["conferences"]:
        if c["id"] == conf_id:
            return c["legs"], out
    return [], out


def run(env):
    clients = []
    tap(env.start(), "msw-dataplane and msw-controlplane start in a namespace")

    # 1. alice creates; carol (text, stdin) and bob (--send, SIP over TCP) join.
    alice = Client(env, "alice", ["--create", "--name", "Alice", "--expect", "2",
                                  "--timeout", "40"])
    clients.append(alice)
    joined = alice.wait_line(lambda e: e.get("event") == "joined")
    ok = (joined is not None and joined["created"] and
          joined["conference"] == "sip:%s@10.83.0.1:5060" % joined["conf_id"] and
          joined["remote_path"].startswith("msrp://10.83.0.2:2855/") and
          joined["local_path"].startswith("msrp://10.83.0.1:"))
    tap(ok, "--create: conference URI from the ;isfocus Contact, MSRP session bound on the "
        "data plane's a=path", alice.diag())
    if not ok:
        return
    conf, conf_id = joined["conference"], joined["conf_id"]
    carol = Client(env, "carol", ["--join", conf, "--name", "Carol C", "--expect", "1",
                                  "--timeout", "40"], json_mode=False, stdin=True)
    clients.append(carol)
    cj = carol.wait_line(lambda l: l.startswith("*** joined "))
    bob = Client(env, "bob", ["--join", conf_id, "--name", "Bob", "--tcp", "--send",
                              "hello from bob", "--expect", "1", "--timeout", "40"])
    clients.append(bob)
    bj = bob.wait_line(lambda e: e.get("event") == "joined")
    tap(cj == "*** joined %s" % conf and bj is not None and bj["conference"] == conf and
        not bj["created"], "carol (--join URI, text mode) and bob (--join id, SIP over TCP) "
        "join the same conference", carol.diag() + "\n" + bob.diag())
    legs, out = conf_legs(env, conf_id)
    tap(legs is not None and sorted(l["identity"] for l in legs) ==
        ["sip:alice@example.com", "sip:bob@example.com", "sip:carol@example.com"],
        "the data plane holds the three legs with the From identities", out)

    # 2. carol types a line; everyone gets the others' messages, then leaves on --expect.
    carol.p.stdin.write("hello from carol\n")
    carol.p.stdin.close()
    rcs = [c.finish() for c in (alice, bob, carol)]
    tap(rcs == [0, 0, 0], "alice, bob and carol reach --expect, send BYE and exit 0 (%s)" % rcs,
        "\n".join(c.diag() for c in (alice, bob, carol)))
    a_bob = messages_from(alice, "sip:bob@example.com")
    a_carol = messages_from(alice, "sip:carol@example.com")
    tap(len(a_bob) == 1 and a_bob[0]["text"] == "hello from bob" and
        a_bob[0]["alias"] == "Bob" and a_bob[0]["content_type"].startswith("text/plain") and
        len(a_carol) == 1 and a_carol[0]["text"] == "hello from carol" and
        a_carol[0]["alias"] == "Carol C" and len(alice.of("message")) == 2,
        "alice gets bob's --send and carol's stdin line, each with its sender (CPIM From)",
        alice.diag())
    b_msgs = bob.of("message")
    tap(len(b_msgs) == 1 and b_msgs[0]["from"] == "sip:carol@example.com" and
        b_msgs[0]["text"] == "hello from carol" and len(bob.of("sent")) == 1,
        "bob gets carol's message, not his own; his own was acknowledged (sent)", bob.diag())
    tap("Bob: hello from bob" in carol.lines and
        not any(l.startswith("Carol C:") for l in carol.lines),
        "carol's terminal shows '<alias>: text' for bob's message, not her own", carol.diag())
    lefts = [c.of("left") for c in (alice, bob)]
    tap(all(len(x) == 1 and x[0]["reason"] == "done" for x in lefts) and
        lefts[0][0]["received"] == 2 and
        any(l.startswith("*** left: done") for l in carol.lines),
        "each client reports leaving once (left, received count)",
        alice.diag() + "\n" + bob.diag())

    # 3. a file, a final report and SIGINT in a second conference.
    recv = os.path.join(env.tmp, "recv")
    os.mkdir(recv)
    blob = os.path.join(env.tmp, "blob.bin")
    data = os.urandom(50000)
    with open(blob, "wb") as fh:
        fh.write(data)
    dave = Client(env, "dave", ["--name", "Dave", "--save-dir", recv, "--hold", "120",
                                "--timeout", "60"])
    clients.append(dave)
    dj = dave.wait_line(lambda e: e.get("event") == "joined")
    if dj is None:
        tap(False, "dave creates a second conference", dave.diag())
        return
    # gus stays, so the ad-hoc conference keeps two participants while erin and frank come
    # and go (the focus ends it when fewer than two remain).
    gus = Client(env, "gus", ["--join", dj["conf_id"], "--name", "Gus", "--hold", "120",
                              "--timeout", "60"])
    clients.append(gus)
    gus.wait_line(lambda e: e.get("event") == "joined")
    erin = Client(env, "erin", ["--join", dj["conf_id"], "--send-file", blob,
                                "--chunk-size", "1500", "--timeout", "20"])
    clients.append(erin)
    erc = erin.finish(40)
    sent = erin.of("sent")
    got = dave.wait_line(lambda e: e.get("event") == "message")
    saved = got.get("file") if got else None
    same = saved is not None and os.path.exists(saved) and open(saved, "rb").read() == data
    tap(erc == 0 and len(sent) == 1 and sent[0]["bytes"] == len(data) and got is not None and
        got["bytes"] == len(data) and got["content_type"] == "application/octet-stream" and
        "text" not in got and same and os.path.dirname(saved) == recv,
        "--send-file: 50000 bytes in 1500-byte chunks reach dave and are saved byte-exact",
        erin.diag() + "\n" + dave.diag())
    tap(got is not None and got.get("filename") == "blob.bin" and saved is not None and
        os.path.basename(saved) == "blob.bin",
        "the file keeps its name (Content-Disposition: attachment; filename=blob.bin, "
        "moved into the CPIM envelope by the switch's wrap)", dave.diag())
    frank = Client(env, "frank", ["--join", dj["conf_id"], "--final-report", "--send",
                                  "please report", "--timeout", "15"])
    clients.append(frank)
    frc = frank.finish(40)
    rep = frank.of("report")
    tap(frc == 0 and len(rep) == 1 and rep[0]["kind"] == "final" and
        sorted(rep[0]["recipients"], key=lambda r: r["uri"]) ==
        [{"uri": "sip:dave@example.com", "status": 200, "outcome": "delivered"},
         {"uri": "sip:gus@example.com", "status": 200, "outcome": "delivered"}],
        "--final-report: CPIM FR.Final-Report: yes, the final report lists dave and gus "
        "delivered", frank.diag())
    dave.p.send_signal(signal.SIGINT)
    drc = dave.finish(20)
    dl = dave.of("left")
    tap(drc == 0 and len(dl) == 1 and dl[0]["reason"] == "interrupted",
        "SIGINT: dave sends BYE, reports leaving and exits 0", dave.diag())
    grc = gus.finish(20)
    gl = gus.of("left")
    tap(grc == 0 and len(gl) == 1 and gl[0]["reason"] == "ended by the focus (BYE)",
        "gus, left alone, gets the focus's BYE (an ad-hoc conference ends below two) and "
        "exits 0", gus.diag())

    # 4. refusals and timeouts.
    ghost = Client(env, "ghost", ["--join", "nosuchconference", "--timeout", "10"])
    clients.append(ghost)
    grc = ghost.finish(30)
    ge = ghost.of("error")
    tap(grc == 1 and len(ge) == 1 and ge[0]["status"] == 404 and not ghost.of("joined"),
        "--join of an unknown conference: error 404, exit 1", ghost.diag())
    t0 = time.time()
    lonely = Client(env, "lonely", ["--expect", "1", "--timeout", "1.5"])
    clients.append(lonely)
    lrc = lonely.finish(30)
    took = time.time() - t0
    le = lonely.of("error")
    tap(lrc == 1 and len(le) == 1 and le[0]["status"] == 408 and
        len(lonely.of("left")) == 1 and 1.4 < took < 15,
        "--expect not reached by --timeout: error 408, leaves, exit 1 (%.1f s)" % took,
        lonely.diag())

    if shutil.which("sipp"):
        uas = subprocess.Popen(["timeout", "30", "sipp", "-sf",
                                os.path.join(env.src, "tests/sipp/client_ringing_uas.xml"),
                                "-i", "10.83.0.1", "-p", "5090", "-m", "1", "-nostdin"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            r = subprocess.run(["ss", "-Hlun", "sport = :5090"], capture_output=True,
                               text=True)
            if r.stdout.strip():
                break
            time.sleep(0.1)
        ring = Client(env, "ring", ["--focus", "10.83.0.1:5090", "--timeout", "1.5"])
        clients.append(ring)
        rrc = ring.finish(30)
        urc = uas.wait(30)
        re_ = ring.of("error")
        tap(rrc == 1 and urc == 0 and len(re_) == 1 and re_[0]["status"] == 408,
            "a focus that only rings: on --timeout the client CANCELs (SIPp answers 487, "
            "exit %s), exit 1" % urc, ring.diag())
        uas = subprocess.Popen(["timeout", "30", "sipp", "-sf",
                                os.path.join(env.src, "tests/sipp/client_reinvite_uas.xml"),
                                "-i", "10.83.0.1", "-p", "5091", "-m", "1", "-nostdin"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            r = subprocess.run(["ss", "-Hlun", "sport = :5091"], capture_output=True,
                               text=True)
            if r.stdout.strip():
                break
            time.sleep(0.1)
        rei = Client(env, "rei", ["--focus", "10.83.0.1:5091", "--timeout", "3"])
        clients.append(rei)
        rrc = rei.finish(30)
        urc = uas.wait(30)
        re_ = rei.of("error")
        tap(rrc == 1 and urc == 0 and len(re_) == 1 and re_[0]["status"] == 408,
            "re-INVITEs from the focus: the same a=path (a session refresh) gets 200 with our "
            "SDP, another a=path 488; BYE on --timeout (SIPp exit %s)" % urc, rei.diag())
    else:
        tap(True, "CANCEL while ringing # SKIP sipp not installed")
        tap(True, "re-INVITE # SKIP sipp not installed")

    # 5. nothing left behind in the data plane.
    empty, out = False, ""
    for _ in range(50):
        rc, out = env.ctl("conf", "list", "--json")
        if rc == 0 and not json.loads(out)["conferences"]:
            empty = True
            break
        time.sleep(0.1)
    tap(empty, "after every client left, the data plane holds no conference", out)
    for c in clients:
        if c.p.poll() is None:
            c.p.kill()


def run_passive(env):
    """6. The focus answers a=setup:active: the data plane dials the client's a=path."""
    with open(env.conf) as fh:
        text = fh.read()
    with open(env.conf, "w") as fh:
        fh.write(text.replace("sip_port = 5060;", "sip_port = 5060; prefer_passive = false;"))
    tap(env.start(), "the planes start again with controlplane.prefer_passive = false")
    gina = Client(env, "gina", ["--expect", "1", "--timeout", "20"])
    gj = gina.wait_line(lambda e: e.get("event") == "joined")
    if gj is None:
        tap(False, "gina creates a conference (passive MSRP side)", gina.diag())
        gina.p.kill()
        return
    text = "p" * 5000
    hugo = Client(env, "hugo", ["--join", gj["conf_id"], "--send", text, "--timeout", "20"])
    hrc, grc = hugo.finish(40), gina.finish(40)
    got = gina.of("message")
    tap(hrc == 0 and grc == 0 and len(got) == 1 and got[0]["text"] == text and
        got[0]["from"] == "sip:hugo@example.com",
        "a=setup:active answers: the data plane connects to both clients, they bind on its "
        "first SEND and a 5000-byte message crosses", gina.diag() + "\n" + hugo.diag())


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MSW_BUILD_ROOT", "build")
    src = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("MSW_SRC_ROOT", ".")
    build, src = os.path.abspath(build), os.path.abspath(src)
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun"):
        print("1..0 # SKIP needs root and /dev/net/tun")
        return 0
    for b in ("dataplane/msw-dataplane", "controlplane/msw-controlplane",
              "dataplane/mswctl/mswctl", "controlplane/msw-client"):
        if not os.access(os.path.join(build, b), os.X_OK):
            print("1..0 # SKIP %s not built" % b)
            return 0
    if "MSW_FOCUS_NS" not in os.environ:
        return focus_e2e.run_in_netns("ce", __file__, build, src)
    env = focus_e2e.Env(build, src)
    try:
        run(env)
    finally:
        env.stop()
    env = focus_e2e.Env(build, src)
    try:
        run_passive(env)
    finally:
        env.stop()
    print("1..%d" % N)
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""msw-client beyond joining (prints TAP): msw-dataplane and msw-controlplane in a network
namespace (the Env of test_focus_e2e.py), msw-client processes only (docs/client.md).

  1. Conference of three with a watcher (issue 7 "End to end"): alice --create --watch gets
     the participant list (RFC 4575 full state), then bob and carol --join: alice sees both
     join (partial conference-info); the three exchange a line each through the data plane
     and each gets the two others' with the right sender.
  2. dave (text mode) types /who: the list with the display names.
  3. REFER: alice types /invite for ivy, who waits in --listen mode: the focus dials ivy out,
     ivy answers (a=setup:passive, the data plane connects), alice sees the REFER progress
     end in 200 and ivy join; /kick (method=BYE): ivy gets the focus's BYE and exits.
  4. bob and carol leave: the watcher sees both leave (departed); alone, alice's session
     ends (the focus's BYE) and so does her subscription (terminated;reason=noresource).
  5. 1:1 (S11-01): kim --listen --sip-port, leo --call sip:kim@IP:PORT through the focus:
     kim is invited with leo's identity, leo (--watch) sees kim in it, both exchange a line
     (no CPIM: the sender is the peer), leo leaves and the focus BYEs kim.

Usage: test_client_features.py BUILD_DIR SRC_DIR (as root).
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_client_e2e as ce  # noqa: E402  (Client, tap)
import test_focus_e2e as focus_e2e  # noqa: E402  (Env: both planes in a namespace)

tap = ce.tap
Client = ce.Client
IP = "10.83.0.1"


def participant(c, change, uri):
    return c.wait_line(lambda e: e.get("event") == "participant" and e.get("change") == change
                       and e.get("uri") == uri, 15)


def texts(c):
    return sorted((e["from"], e.get("text")) for e in c.of("message"))


def conference(env, clients):
    alice = Client(env, "alice", ["--create", "--watch", "--name", "Alice", "--timeout", "60"],
                   stdin=True)
    clients.append(alice)
    aj = alice.wait_line(lambda e: e.get("event") == "joined")
    first = alice.wait_line(lambda e: e.get("event") == "participants", 10)
    tap(aj is not None and first is not None and
        [u["uri"] for u in first["users"]] == ["sip:alice@example.com"] and
        first["users"][0]["display"] == "Alice" and first["users"][0]["status"] == "connected",
        "--watch: SUBSCRIBE Event: conference, the full state lists alice (connected, Alice)",
        alice.diag())
    if aj is None:
        return
    conf, conf_id = aj["conference"], aj["conf_id"]
    bob = Client(env, "bob", ["--join", conf_id, "--name", "Bob", "--expect", "2",
                              "--timeout", "60"], stdin=True)
    carol = Client(env, "carol", ["--join", conf, "--name", "Carol", "--expect", "2",
                                  "--timeout", "60"], stdin=True)
    clients += [bob, carol]
    ok = all(c.wait_line(lambda e: e.get("event") == "joined") for c in (bob, carol))
    jb = participant(alice, "joined", "sip:bob@example.com")
    jc = participant(alice, "joined", "sip:carol@example.com")
    tap(ok and jb is not None and jb["display"] == "Bob" and jc is not None and
        jc["display"] == "Carol",
        "the watcher sees bob and carol join with their display names (partial "
        "conference-info)", alice.diag())
    for c in (alice, bob, carol):
        c.p.stdin.write("from %s\n" % c.name)
        c.p.stdin.flush()
    alice.wait_line(lambda e: len(alice.of("message")) >= 2, 15)
    tap(texts(alice) == [("sip:bob@example.com", "from bob"),
                         ("sip:carol@example.com", "from carol")] and
        bob.wait_line(lambda e: len(bob.of("message")) >= 2, 15) is not None and
        texts(bob) == [("sip:alice@example.com", "from alice"),
                       ("sip:carol@example.com", "from carol")] and
        carol.wait_line(lambda e: len(carol.of("message")) >= 2, 15) is not None and
        texts(carol) == [("sip:alice@example.com", "from alice"),
                         ("sip:bob@example.com", "from bob")],
        "three clients exchange a line each through the data plane, each gets the two "
        "others' with the sender", "\n".join(c.diag() for c in (alice, bob, carol)))

    # 2. /who in text mode.
    dave = Client(env, "dave", ["--join", conf_id, "--name", "Dave"], json_mode=False,
                  stdin=True)
    clients.append(dave)
    dj = dave.wait_line(lambda l: l.startswith("*** joined"))
    if dj is not None:
        dave.p.stdin.write("/who\n")
        dave.p.stdin.flush()
    who = dave.wait_line(lambda l: "participants:" in l, 10)
    tap(who is not None and who.startswith("*** 4 participants:") and
        "Alice <sip:alice@example.com>" in who and "Bob <sip:bob@example.com>" in who and
        "Dave <sip:dave@example.com>" in who,
        "/who in text mode: '*** 4 participants: Alice <sip:alice@example.com>, ...'",
        dave.diag())
    dave.p.stdin.close()
    drc = dave.finish(20)
    dl = participant(alice, "left", "sip:dave@example.com")
    tap(drc == 0 and dl is not None and dl["method"] == "departed",
        "dave leaves: the watcher sees him leave (departed)", alice.diag())

    # 3. REFER: invite ivy (listening), then remove her.
    ivy_uri = "sip:ivy@%s:5099" % IP
    ivy = Client(env, "ivy", ["--listen", "--sip-port", "5099", "--name", "Ivy",
                              "--timeout", "60"], stdin=True)
    clients.append(ivy)
    time.sleep(0.5)
    alice.p.stdin.write("/invite %s\n" % ivy_uri)
    alice.p.stdin.flush()
    inv = ivy.wait_line(lambda e: e.get("event") == "invited", 15)
    ij = ivy.wait_line(lambda e: e.get("event") == "joined", 15)
    rf = alice.wait_line(lambda e: e.get("event") == "refer" and e.get("final"), 15)
    ji = participant(alice, "joined", ivy_uri)
    tap(inv is not None and inv["conference"] == conf and ij is not None and
        ij["remote_path"].startswith("msrp://10.83.0.2:2855/") and rf is not None and
        rf["method"] == "INVITE" and rf["status"] == 200 and ji is not None,
        "/invite: REFER, the focus dials ivy (--listen answers, the data plane connects), "
        "the REFER's NOTIFYs end in 200, the watcher sees ivy join",
        alice.diag() + "\n" + ivy.diag())
    alice.p.stdin.write("hello ivy\n")
    alice.p.stdin.flush()
    got = ivy.wait_line(lambda e: e.get("event") == "message", 10)
    tap(got is not None and got["text"] == "hello ivy" and got["from"] == "sip:alice@example.com",
        "ivy, dialled in by REFER, gets alice's message (CPIM From alice)", ivy.diag())
    n_ref = len(alice.of("refer"))
    alice.p.stdin.write("/kick %s\n" % ivy_uri)
    alice.p.stdin.flush()
    irc = ivy.finish(20)
    il = ivy.of("left")
    kf = alice.wait_line(lambda e: e.get("event") == "refer" and e.get("method") == "BYE" and
                         e.get("final"), 10)
    li = participant(alice, "left", ivy_uri)
    tap(irc == 0 and len(il) == 1 and il[0]["reason"] == "ended by the focus (BYE)" and
        kf is not None and kf["status"] == 200 and li is not None and li["method"] == "booted"
        and len(alice.of("refer")) > n_ref,
        "/kick: REFER method=BYE, ivy gets the focus's BYE and exits 0, the watcher sees "
        "her booted", alice.diag() + "\n" + ivy.diag())

    # 4. bob and carol leave.
    for c in (bob, carol):
        c.p.stdin.close()
    rcs = [c.finish(30) for c in (bob, carol)]
    lb = participant(alice, "left", "sip:bob@example.com")
    lc = participant(alice, "left", "sip:carol@example.com")
    # The second leave ends the conference (fewer than two): the focus may fold it into the
    # terminating full document, where a user no longer listed has no disconnection-method.
    tap(rcs == [0, 0] and lb is not None and lc is not None and
        {lb["method"], lc["method"]} <= {"departed", ""} and
        "departed" in (lb["method"], lc["method"]),
        "bob and carol leave (exit %s): the watcher sees both leave (departed)" % rcs,
        alice.diag())
    we = alice.wait_line(lambda e: e.get("event") == "watch_ended", 10)
    arc = alice.finish(30)
    al = alice.of("left")
    tap(arc == 0 and we is not None and we["reason"] == "noresource" and len(al) == 1 and
        al[0]["reason"] == "ended by the focus (BYE)",
        "alone, alice gets the subscription's end (terminated;reason=noresource) and the "
        "focus's BYE, exit 0", alice.diag())


def one_to_one(env, clients):
    kim_uri = "sip:kim@%s:5097" % IP
    kim = Client(env, "kim", ["--listen", "--sip-port", "5097", "--name", "Kim",
                              "--expect", "1", "--timeout", "60"], stdin=True)
    clients.append(kim)
    time.sleep(0.5)
    leo = Client(env, "leo", ["--call", kim_uri, "--name", "Leo", "--expect", "1", "--watch",
                              "--timeout", "60"], stdin=True)
    clients.append(leo)
    lj = leo.wait_line(lambda e: e.get("event") == "joined", 15)
    inv = kim.wait_line(lambda e: e.get("event") == "invited", 15)
    kj = kim.wait_line(lambda e: e.get("event") == "joined", 15)
    tap(lj is not None and inv is not None and kj is not None and
        inv["from"] == "sip:leo@example.com" and inv["display"] == "Leo" and
        inv["conference"] == lj["conference"],
        "--call sip:kim@IP:5097 through the focus: leo joins a conference of two, kim "
        "(--listen) is invited from leo's identity with the same conference URI",
        leo.diag() + "\n" + kim.diag())
    if lj is None or kj is None:
        return
    # kim may be connected before leo's SUBSCRIBE arrives: then the first list shows her.
    jk = leo.wait_line(lambda e: (e.get("event") == "participant" and
                                  e.get("change") == "joined" and e.get("uri") == kim_uri) or
                       (e.get("event") == "participants" and
                        any(u["uri"] == kim_uri and u["status"] == "connected"
                            for u in e["users"])), 15)
    tap(jk is not None, "--watch in a 1:1 session: leo sees kim in the conference of two "
        "(in the full list or as a join)", leo.diag())
    legs, out = ce.conf_legs(env, lj["conf_id"])
    tap(legs is not None and sorted(l["identity"] for l in legs) ==
        sorted(["sip:leo@example.com", kim_uri]),
        "the data plane holds the 1:1 session's two legs", out)
    leo.p.stdin.write("hi kim\n")
    leo.p.stdin.flush()
    kim.p.stdin.write("hi leo\n")
    kim.p.stdin.flush()
    km = kim.wait_line(lambda e: e.get("event") == "message", 15)
    lm = leo.wait_line(lambda e: e.get("event") == "message", 15)
    tap(km is not None and km["text"] == "hi kim" and km["from"] == "sip:leo@example.com" and
        km["alias"] == "Leo" and lm is not None and lm["text"] == "hi leo" and
        lm["from"] == kim_uri,
        "a line each way, unwrapped (1:1: no CPIM), shown with the peer as sender",
        leo.diag() + "\n" + kim.diag())
    leo.p.stdin.close()
    lrc = leo.finish(30)
    krc = kim.finish(30)
    kl = kim.of("left")
    tap(lrc == 0 and krc == 0 and len(kl) == 1 and kl[0]["reason"] == "ended by the focus (BYE)",
        "leo leaves; the focus ends the 1:1 session with BYE to kim; both exit 0 (%s, %s)" %
        (lrc, krc), leo.diag() + "\n" + kim.diag())


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
        return focus_e2e.run_in_netns("cf", __file__, build, src)
    env = focus_e2e.Env(build, src)
    clients = []
    try:
        tap(env.start(), "msw-dataplane and msw-controlplane start in a namespace")
        conference(env, clients)
        one_to_one(env, clients)
        empty, out = False, ""
        for _ in range(50):
            rc, out = env.ctl("conf", "list", "--json")
            if rc == 0 and not json.loads(out)["conferences"]:
                empty = True
                break
            time.sleep(0.1)
        tap(empty, "after every client left, the data plane holds no conference", out)
    finally:
        for c in clients:
            if c.p.poll() is None:
                c.p.kill()
        if ce.FAILS:
            for name in ("cp.log", "dp.log"):
                try:
                    with open(os.path.join(env.tmp, name)) as fh:
                        for line in fh.readlines()[-40:]:
                            print("# %s: %s" % (name, line.rstrip()))
                except OSError:
                    pass
        env.stop()
    print("1..%d" % ce.N)
    return 1 if ce.FAILS else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The conference focus end to end (prints TAP): msw-dataplane and msw-controlplane in a
network namespace this test creates; SIPp participants (tests/sipp/*.xml) on the SIP side,
independent MSRP participants (msrp_peer.py, Linux TCP) on the media side.

  1. alice INVITEs the Conference-factory URI: 200 with Contact <conf URI>;isfocus and an
     a=path of the switch; bob and carol INVITE that conference URI and join.
  2. each binds its MSRP session on the a=path it got; alice's message reaches bob and carol
     wrapped in CPIM with From = alice's identity (SWX-04); bob's reaches alice and carol.
  3. an INVITE to an unknown conference -> 404; an offer without MSRP media -> 488.
  4. the participants BYE: the legs and the conference leave the data plane.
  5. a URI-list INVITE (RFC 5366) to the factory: the focus invites the listed users (SIPp
     UAS), the switch connects to their MSRP listeners; deleting the conference in the data
     plane makes the focus BYE them.

Usage: test_focus_e2e.py BUILD_DIR SRC_DIR (as root). MSW_BUILD_ROOT / MSW_SRC_ROOT work too.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import msrp_peer  # noqa: E402

N = 0
FAILS = 0


def tap(ok, text, diag=""):
    global N, FAILS
    N += 1
    if not ok:
        FAILS += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", N, text))
    if not ok and diag:
        for line in str(diag).splitlines()[:20]:
            print("# " + line)
    sys.stdout.flush()


class Env:
    def __init__(self, build, src, cp_extra=""):
        self.build, self.src = build, src
        pid = os.getpid()
        # The namespace is made by the outer process (main), which runs this one inside it.
        self.ns = os.environ["MSW_FOCUS_NS"]
        self.tap, self.inst = "mswf%d" % pid, "fe%d" % pid
        self.tmp = tempfile.mkdtemp(prefix="msw-focus.")
        self.dp = self.cp = None
        self.conf = os.path.join(self.tmp, "msw.conf")
        with open(self.conf, "w") as fh:
            fh.write("""instance = "%s";
log = { level = "info"; };
eal = { args = ["-m", "256", "--no-pci", "--vdev=net_tap0,iface=%s"]; lcores = "0"; hugepages = "off"; };
dataplane = { idle_sleep_us = 100; ports = ({ name = "tap0"; driver = "tap"; iface = "%s"; ipv4 = "10.83.0.2/24"; }); };
tcp = { mbufs_per_lcore = 4096; time_wait_ms = 1000; };
msrp = { transaction_timeout_ms = 3000; final_report_timeout_ms = 3000; };
controlplane = { sip_address = "10.83.0.1"; sip_port = 5060; cdr_path = "%s"; %s };
""" % (self.inst, self.tap, self.tap, os.path.join(self.tmp, "cdr.jsonl"), cp_extra))

    def nsx(self, *argv, **kw):
        return subprocess.run(["ip", "netns", "exec", self.ns] + list(argv), **kw)

    def ctl(self, *argv):
        r = subprocess.run([os.path.join(self.build, "dataplane/mswctl/mswctl"), "--instance",
                            self.inst] + list(argv), capture_output=True, text=True, timeout=20)
        return r.returncode, r.stdout

    def start_dp(self, log="dp.log"):
        """Starts msw-dataplane and gives the kernel side of its tap the address."""
        self.dp = subprocess.Popen(["ip", "netns", "exec", self.ns,
                                    os.path.join(self.build, "dataplane/msw-dataplane"),
                                    "--config", self.conf],
                                   stdout=open(os.path.join(self.tmp, log), "w"),
                                   stderr=subprocess.STDOUT)
        for _ in range(100):
            if subprocess.run(["ip", "-n", self.ns, "link", "show", self.tap],
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        subprocess.run(["ip", "-n", self.ns, "addr", "add", "10.83.0.1/24", "dev", self.tap])
        subprocess.run(["ip", "-n", self.ns, "link", "set", self.tap, "up"])

    def start(self):
        self.start_dp()
        subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"])
        # SIP lives on its own interface, as on a real host: the address stays on lo when
        # the data plane (and its tap) restarts (test_focus_features.py:dp_restart_flow).
        subprocess.run(["ip", "-n", self.ns, "addr", "add", "10.83.0.1/32", "dev", "lo"])
        self.cp = subprocess.Popen(["ip", "netns", "exec", self.ns,
                                    os.path.join(self.build, "controlplane/msw-controlplane"),
                                    "--config", self.conf],
                                   stdout=open(os.path.join(self.tmp, "cp.log"), "w"),
                                   stderr=subprocess.STDOUT)
        for _ in range(100):
            r = self.nsx("ss", "-Hlun", "sport = :5060", capture_output=True, text=True)
            if r.stdout.strip() and self.ctl("conf", "list")[0] == 0:
                return True
            time.sleep(0.1)
        return False

    def sipp(self, scenario, port, keys, hold_ms=0, name="x", extra=()):
        """Starts one SIPp UAC; returns (Popen, log path)."""
        log = os.path.join(self.tmp, "sipp-%s.log" % name)
        argv = ["ip", "netns", "exec", self.ns, "sipp", "-sf",
                os.path.join(self.src, "tests/sipp", scenario), "-i", "10.83.0.1", "-p",
                str(port), "-m", "1", "-nostdin", "-trace_logs", "-log_file", log,
                "-trace_err", "-error_file", log + ".err", "-trace_msg", "-message_file",
                log + ".msg"]
        if hold_ms:
            argv += ["-d", str(hold_ms)]
        argv += list(extra)
        for k, v in keys.items():
            argv += ["-key", k, v]
        argv.append("10.83.0.1:5060")
        return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), log

    def stop(self):
        if FAILS:
            for name in ("cp.log", "dp.log"):
                try:
                    with open(os.path.join(self.tmp, name)) as fh:
                        for line in fh.readlines()[-15:]:
                            print("# %s: %s" % (name, line.rstrip()))
                except OSError:
                    pass
        for p in (self.cp, self.dp):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        try:
            os.unlink("/dev/shm/msw." + self.inst)
        except OSError:
            pass
        if os.environ.get("MSW_TEST_KEEP"):
            print("# kept %s (MSW_TEST_KEEP)" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def run_in_netns(tag, script, build, src):
    """Outer run of a test: a namespace of its own, then the script itself inside it (its
    MSRP participants need the namespace's network; the planes are started in it too).
    Inside, MSW_FOCUS_NS names the namespace. Returns the inner exit status."""
    ns = "msw-%s-%d" % (tag, os.getpid())
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        return subprocess.run(["ip", "netns", "exec", ns, sys.executable,
                               os.path.abspath(script), build, src],
                              env=dict(os.environ, MSW_FOCUS_NS=ns)).returncode
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def wait_log(path, prefix, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with open(path) as fh:
                for line in fh:
                    if line.startswith(prefix):
                        return line.strip()
        except OSError:
            pass
        time.sleep(0.05)
    return None


def focus_line(line):
    """'FOCUS conf=ID path=URI' -> (ID, URI)."""
    parts = dict(p.split("=", 1) for p in line.split()[1:])
    return parts["conf"], parts["path"]


def listener(name, port, path):
    """An MSRP participant that waits for the switch to connect (the focus dials out)."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("10.83.0.1", port))
    ls.listen(1)
    ls.settimeout(15)
    p = msrp_peer.Peer(name, path, None)

    def accept():
        try:
            conn, _ = ls.accept()
        except OSError:
            return
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        p.sock = conn
        p._read_loop()
    p.reader = threading.Thread(target=accept, daemon=True)
    p.reader.start()
    return p, ls


def uri_list(env, peers):
    """5. URI-list INVITE (RFC 5366): the focus invites the listed users (dial-out)."""
    dave, ls_d = listener("dave", 40021, "msrp://10.83.0.1:40021/daves1;tcp")
    erin, ls_e = listener("erin", 40022, "msrp://10.83.0.1:40022/erins1;tcp")
    peers += [dave, erin]
    ud, lud = env.sipp("focus_invited_uas.xml", 5082,
                       {"msrp_port": "40021", "msrp_uri": dave.my_uri}, name="dave")
    ue, lue = env.sipp("focus_invited_uas.xml", 5083,
                       {"msrp_port": "40022", "msrp_uri": erin.my_uri}, name="erin")
    time.sleep(0.3)
    sa, la = env.sipp("focus_list_uac.xml", 5081,
                      {"conf": "conf-factory", "user": "frank", "msrp_port": "40020",
                       "invitee1": "sip:dave@10.83.0.1:5082",
                       "invitee2": "sip:erin@10.83.0.1:5083"}, hold_ms=4000, name="frank")
    line = wait_log(la, "FOCUS")
    inv = [wait_log(lud, "INVITED"), wait_log(lue, "INVITED")]
    tap(line is not None and all(inv),
        "URI-list INVITE: the initiator gets 200 (;isfocus), each listed user is INVITEd once "
        "with an a=setup:actpass MSRP offer (%s)" % inv,
        (open(la + ".err").read() if os.path.exists(la + ".err") else "") + str(line))
    if line is None or not all(inv):
        return
    conf_id, path_f = focus_line(line)
    frank = msrp_peer.Peer("frank", "msrp://10.83.0.1:40020/franks1;tcp", path_f)
    frank.connect("10.83.0.2", 2855)
    peers.append(frank)
    tid = msrp_peer.new_ident()
    data = msrp_peer.build_request(tid, "SEND", [frank.to_uri], [frank.my_uri],
                                   [("Message-ID", "bind-frank")], None)
    with frank.cv:
        frank.sent[tid] = ("SEND", "bind-frank", 0)
        frank.sent_order.append(tid)
    frank.send_raw(data)
    # The switch dialled dave and erin and bound their sessions with a bodiless SEND.
    bound = frank.wait_responses([tid], 5) and dave.wait(lambda: dave.requests, 10) and \
        erin.wait(lambda: erin.requests, 10)
    tap(bound, "the switch connects to each invited user's a=path and binds (RFC 4975 5.4)")
    mid, _ = frank.send_message(b"welcome, both of you", content_type="text/plain")
    tap(dave.wait_message(mid, 5) and erin.wait_message(mid, 5),
        "the initiator's message reaches both invited users")
    code = sa.wait(30)
    rc, _ = env.ctl("conf", "delete", conf_id)
    codes = []
    for u in (ud, ue):
        try:
            codes.append(u.wait(20))
        except subprocess.TimeoutExpired:
            u.kill()
            codes.append("timeout")
    tap(code == 0 and rc == 0 and codes == [0, 0],
        "deleting the conference in the data plane makes the focus BYE the invited users "
        "(sipp exits %s %s, mswctl %d)" % (code, codes, rc),
        "".join(open(x + ".err").read() for x in (la, lud, lue) if os.path.exists(x + ".err")))
    for s in (ls_d, ls_e):
        s.close()


def enter(tag, script):
    """The common start of a focus test: (build, src, None) inside its namespace, or
    (build, src, exit status) when it skipped or ran (the outer process)."""
    build = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MSW_BUILD_ROOT", "build")
    src = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("MSW_SRC_ROOT", ".")
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun") or not shutil.which("sipp"):
        print("1..0 # SKIP needs root, /dev/net/tun and sipp")
        return build, src, 0
    for b in ("dataplane/msw-dataplane", "controlplane/msw-controlplane",
              "dataplane/mswctl/mswctl"):
        if not os.access(os.path.join(build, b), os.X_OK):
            print("1..0 # SKIP %s not built" % b)
            return build, src, 0
    if "MSW_FOCUS_NS" not in os.environ:
        return build, src, run_in_netns(tag, script, build, src)
    return build, src, None


def main():
    build, src, rc = enter("fe", __file__)
    if rc is not None:
        return rc
    env = Env(build, src)
    peers = []
    try:
        tap(env.start(), "msw-dataplane and msw-controlplane start in a namespace")
        # 1. alice creates a conference through the factory; bob and carol dial in. Once
        #    they left, alice would be alone: the focus ends her session (AHG-08).
        sa, la = env.sipp("focus_wait_bye_uac.xml", 5071,
                          {"ruri": "sip:conf-factory@10.83.0.1:5060", "user": "alice",
                           "msrp_port": "40001", "h1": "X-Msw-Test: none"}, name="alice")
        line = wait_log(la, "FOCUS")
        tap(line is not None, "factory INVITE: 200 with Contact ;isfocus and a=path (%s)" % line,
            open(la + ".err").read() if os.path.exists(la + ".err") else "")
        if line is None:
            return 1
        conf_id, path_a = focus_line(line)
        sb, lb = env.sipp("focus_dialin_uac.xml", 5072,
                          {"conf": conf_id, "user": "bob", "msrp_port": "40002"},
                          hold_ms=6000, name="bob")
        sc, lc = env.sipp("focus_dialin_uac.xml", 5073,
                          {"conf": conf_id, "user": "carol", "msrp_port": "40003"},
                          hold_ms=6000, name="carol")
        lines = [wait_log(lb, "FOCUS"), wait_log(lc, "FOCUS")]
        tap(all(lines) and all(focus_line(x)[0] == conf_id for x in lines),
            "bob and carol INVITE the conference URI sip:%s@...: joined, same IM Session "
            "Identity" % conf_id, lines)
        if not all(lines):
            return 1
        paths = {"alice": path_a, "bob": focus_line(lines[0])[1],
                 "carol": focus_line(lines[1])[1]}
        rc, out = env.ctl("conf", "list", "--json")
        legs = []
        if rc == 0:
            for c in json.loads(out)["conferences"]:
                if c["id"] == conf_id:
                    legs = c["legs"]
        tap(len(legs) == 3 and sorted(l["identity"] for l in legs) ==
            ["sip:alice@example.com", "sip:bob@example.com", "sip:carol@example.com"] and
            sorted(l["local_uri"] for l in legs) == sorted(paths.values()),
            "the data plane holds the three legs, programmed before each 200 OK", out)
        # 2. MSRP through the legs the focus programmed.
        for name, port in (("alice", 40001), ("bob", 40002), ("carol", 40003)):
            p = msrp_peer.Peer(name, "msrp://10.83.0.1:%d/%ss1;tcp" % (port, name), paths[name])
            p.connect("10.83.0.2", 2855)
            peers.append(p)
        ok = True
        for p in peers:
            tid = msrp_peer.new_ident()
            mid = "bind-" + p.name
            data = msrp_peer.build_request(tid, "SEND", [p.to_uri], [p.my_uri],
                                           [("Message-ID", mid)], None)
            with p.cv:
                p.sent[tid] = ("SEND", mid, 0)
                p.sent_order.append(tid)
            p.send_raw(data)
            ok = ok and p.wait_responses([tid], 5) and p.responses[tid].status == 200
        tap(ok, "each participant binds its MSRP session on the a=path it was given")
        alice, bob, carol = peers
        mid, _ = alice.send_message(b"hello from alice", content_type="text/plain")
        got = bob.wait_message(mid, 5) and carol.wait_message(mid, 5)
        body = bob.messages[mid].body() if mid in bob.messages else b""
        to = ("To: <sip:%s@10.83.0.1:5060>" % conf_id).encode()
        tap(got and b"From: \"alice\" <sip:alice@example.com>" in body and to in body and
            b"hello from alice" in body and bob.messages[mid].content_type == "message/cpim",
            "alice's message reaches bob and carol in CPIM with From = her identity and "
            "alias, To = the conference URI the focus gave (SWX-04)", body[:300])
        mid2, _ = bob.send_message(b"hi, bob here", content_type="text/plain")
        tap(alice.wait_message(mid2, 5) and carol.wait_message(mid2, 5) and
            mid2 not in bob.messages, "bob's message reaches alice and carol, not bob")
        # 3. refusals.
        sr, lr = env.sipp("focus_reject_uac.xml", 5074,
                          {"conf": "nosuchconference", "user": "eve", "h1": "X-Msw-Test: none",
                           "media": "message 40099 TCP/MSRP *"}, name="r404")
        sr.wait(20)
        tap(wait_log(lr, "REJECT", 2) == "REJECT 404", "INVITE to an unknown conference: 404")
        sr, lr = env.sipp("focus_reject_uac.xml", 5075,
                          {"conf": "conf-factory", "user": "eve", "h1": "X-Msw-Test: none",
                           "media": "audio 40099 RTP/AVP 0"},
                          name="r488")
        sr.wait(20)
        tap(wait_log(lr, "REJECT", 2) == "REJECT 488", "INVITE without MSRP media: 488")
        # 4. BYEs (the SIPp scenarios end their sessions): legs and conference leave.
        codes = [p.wait(30) for p in (sa, sb, sc)]
        tap(codes == [0, 0, 0] and wait_log(la, "BYE", 1) is not None,
            "bob and carol complete INVITE/ACK/BYE; alice, left alone, gets the focus's BYE "
            "(ad-hoc session ends below two, AHG-08) (exit %s)" % codes,
            "".join(open(x + ".err").read() for x in (la, lb, lc)
                    if os.path.exists(x + ".err")))
        empty = False
        for _ in range(50):
            rc, out = env.ctl("conf", "list", "--json")
            if rc == 0 and not json.loads(out)["conferences"]:
                empty = True
                break
            time.sleep(0.1)
        tap(empty, "after the last BYE the conference is gone from the data plane", out)
        uri_list(env, peers)
    finally:
        for p in peers:
            p.close()
        env.stop()
    print("1..%d" % N)
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())

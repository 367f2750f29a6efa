#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The focus beyond dial-in (prints TAP): msw-dataplane and msw-controlplane in a network
namespace this test creates, SIPp on the SIP side (tests/sipp/*.xml), MSRP participants on
Linux TCP (msrp_peer.py). What it checks:

  A. session timer (RFC 4028): a participant that asks for Session-Expires 90 with itself as
     refresher and never refreshes gets the focus's BYE in time (SMT-11/12); 60 s gets 422
     with Min-SE: 90 (SMT-10).
  B. conference event package (RFC 4575): alice subscribes to her conference: 200, a full
     conference-info, then partial ones as bob joins, re-INVITEs and leaves, as dave is
     invited and removed; versions go up by one; the end of the session terminates the
     subscription (reason=noresource). Non-participants 403, unknown conference 404, another
     Event 489, an Accept without conference-info 406, Expires 0 a single terminated NOTIFY.
  C. re-INVITE (SMT-01/03): a new a=path goes to the data plane before the 200; an offer
     without MSRP gets 488 and the session goes on.
  D. REFER (RFC 3515/4579): alice adds dave (202, NOTIFY progress to SIP/2.0 200 OK, dave's
     INVITE carries Referred-By), a non-participant is refused 403, bob (not the owner) may
     not remove, alice removes dave (method=BYE: dave gets BYE, conference-info says booted).
  E. groups (OMA PDG): a member's INVITE to the Group Identity starts the session and the
     focus invites the other members with the group as From/PAI and their configured display
     names; a non-member gets 403 Warning 127; anonymity where the group forbids it 403
     Warning 119; the member beyond max participants 486 Warning 102.
  F. 1:1 (S11-01): an INVITE to a user elsewhere through the focus: the invitee gets an
     INVITE from the inviter, messages pass unwrapped (CPIM off).
  G. CANCEL: when the initiator of a URI-list conference leaves while the invitees still
     ring, the focus CANCELs their INVITEs.
  H. CDRs: every session and conference wrote one JSON line with the right end reason.
  I. overload: INVITEs beyond controlplane.max_pending_setups, or beyond
     max_setups_per_sec, get 503 with Retry-After.
  J. large message mode: a one-message conference to a URI list, torn down by BYE once the
     message reached every recipient; a size above the limit 488.
  K. aliases: the same display name twice becomes "zoe (2)".
  M. SIP over TCP: a dial-in and its BYE.
  L. data-plane restart: the focus re-creates the conference and re-INVITEs the participants
     with their new a=path; they bind again and talk.

Usage: test_focus_features.py BUILD_DIR SRC_DIR (as root).
"""

import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import msrp_peer  # noqa: E402
import test_focus_e2e as fe  # noqa: E402
from test_focus_e2e import tap, wait_log, focus_line, listener  # noqa: E402

NONE = "X-Msw-Test: none"
CP_EXTRA = """
max_participants = 6;
max_pending_setups = 4;
max_setups_per_sec = 40;
groups = (
  { name = "team"; display_name = "The Team"; max_participants = 3; anonymity_allowed = false;
    members = (
      { uri = "sip:gina@example.com"; display_name = "Gina"; },
      { uri = "sip:hank@10.83.0.1:5095"; display_name = "Hank"; },
      { uri = "sip:ivan@10.83.0.1:5096"; display_name = "Ivan"; },
      { uri = "sip:judy@example.com"; }
    ); },
  { name = "crew"; invite_members = false;
    members = (
      { uri = "sip:lena@example.com"; },
      { uri = "sip:pia@10.83.0.1:5137"; },
      { uri = "sip:quin@10.83.0.1:5138"; }
    ); }
);"""


def messages(log, method=None):
    """The SIP messages of a SIPp message trace (-trace_msg), optionally only requests of
    method."""
    try:
        text = open(log + ".msg", errors="replace").read()
    except OSError:
        return []
    out = []
    for block in re.split(r"^-{20,}.*$", text, flags=re.M):
        lines = block.strip("\n").split("\n")
        if len(lines) < 2:
            continue
        if "message" not in lines[0]:
            continue  # SIPp's own remarks, not a message
        msg = "\n".join(lines[2:]).strip("\n")
        if method is None or msg.startswith(method + " "):
            out.append(msg)
    return out


def response(log, code):
    """The first received response with status code from a SIPp trace, or ""."""
    for m in messages(log):
        if m.startswith("SIP/2.0 %d " % code):
            return m
    return ""


def bind(p):
    tid = msrp_peer.new_ident()
    mid = "bind-" + p.name
    data = msrp_peer.build_request(tid, "SEND", [p.to_uri], [p.my_uri], [("Message-ID", mid)],
                                   None)
    with p.cv:
        p.sent[tid] = ("SEND", mid, 0)
        p.sent_order.append(tid)
    p.send_raw(data)
    return p.wait_responses([tid], 5) and p.responses[tid].status == 200


def wait_exit(p, timeout):
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        return "timeout"


def legs_of(env, conf_id):
    rc, out = env.ctl("conf", "list", "--json")
    if rc != 0:
        return []
    for c in json.loads(out)["conferences"]:
        if c["id"] == conf_id:
            return c["legs"]
    return []


def session_timer(env):
    """A: Session-Expires 90;refresher=uac, never refreshed -> the focus BYEs."""
    st, lt = env.sipp("focus_wait_bye_uac.xml", 5061,
                      {"ruri": "sip:conf-factory@10.83.0.1:5060", "user": "tim",
                       "msrp_port": "40061", "h1": "Session-Expires: 90;refresher=uac"},
                      name="tim")
    line = wait_log(lt, "FOCUS")
    ok200 = response(lt, 200)
    tap(line is not None and re.search(r"^Session-Expires: *90;refresher=uac", ok200, re.M) and
        re.search(r"^Require:.*timer", ok200, re.M),
        "Session-Expires 90;refresher=uac: the 200 carries Session-Expires and Require: timer "
        "(SMT-11)", ok200[:600])
    sr, lr = env.sipp("focus_reject_uac.xml", 5062,
                      {"conf": "conf-factory", "user": "tom", "h1": "Session-Expires: 60",
                       "media": "message 40062 TCP/MSRP *"}, name="t422")
    sr.wait(20)
    r422 = response(lr, 422)
    tap(wait_log(lr, "REJECT", 2) == "REJECT 422" and re.search(r"^Min-SE: *90", r422, re.M),
        "Session-Expires 60 below Min-SE: 422 with Min-SE: 90 (SMT-10)", r422[:400])
    return st, lt, time.time()


def subscribe(env, port, conf, user, h2="Accept: application/conference-info+xml",
              h3="Expires: 600", event="Event: conference", name=None, hold_ms=60000):
    # -aa: SIPp answers the NOTIFYs itself, whenever they come.
    return env.sipp("focus_subscribe_uac.xml", port,
                    {"ruser": conf, "user": user, "h1": event, "h2": h2, "h3": h3},
                    hold_ms=hold_ms, name=name or "sub-%s-%d" % (user, port), extra=["-aa"])


def refer(env, port, conf, user, target, name):
    return env.sipp("focus_refer_uac.xml", port,
                    {"ruser": conf, "user": user,
                     "h1": "Refer-To: <%s>" % target, "h2": NONE, "h3": "X-Msw-Test: 2"},
                    hold_ms=15000, name=name, extra=["-aa"])


def notify_docs(log):
    """(Subscription-State, body) of every NOTIFY the subscriber received."""
    out, seen = [], set()
    for m in messages(log, "NOTIFY"):
        head, _, body = m.partition("\n\n")
        cseq = re.search(r"^CSeq: *(\d+)", head, re.M)
        if cseq is None or cseq.group(1) in seen:
            continue  # a retransmission
        seen.add(cseq.group(1))
        st = re.search(r"^Subscription-State: *(.*)$", head, re.M)
        out.append((st.group(1).strip() if st else "", body))
    return out


def ended(docs):
    return bool(docs) and docs[-1][0].startswith("terminated")


def wait_docs(log, pred=ended, timeout=10.0):
    """The NOTIFYs of a subscriber's trace once pred(docs) holds (or at the timeout)."""
    end = time.time() + timeout
    while time.time() < end:
        docs = notify_docs(log)
        if pred(docs):
            return docs
        time.sleep(0.1)
    return notify_docs(log)


def stop(p):
    if p.poll() is None:
        p.terminate()
    wait_exit(p, 5)


def conference_flow(env, peers):
    """B, C, D on one ad-hoc conference of alice."""
    sa, la = env.sipp("focus_wait_bye_uac.xml", 5071,
                      {"ruri": "sip:conf-factory@10.83.0.1:5060", "user": "alice",
                       "msrp_port": "40001", "h1": NONE}, name="alice")
    line = wait_log(la, "FOCUS")
    if line is None:
        tap(False, "alice creates a conference", open(la + ".err").read()
            if os.path.exists(la + ".err") else "")
        return None
    conf_id, path_a = focus_line(line)
    conf_uri = "sip:%s@10.83.0.1:5060" % conf_id
    ok200 = response(la, 200)
    tap(re.search(r"^Server: *IM-serv/OMA1\.0", ok200, re.M) and
        re.search(r"^Allow:.*\bINVITE\b", ok200, re.M),
        "the 200 carries Server: IM-serv/OMA1.0 ... and Allow (VER-01)", ok200[:400])
    alice = msrp_peer.Peer("alice", "msrp://10.83.0.1:40001/alices1;tcp", path_a)
    alice.connect("10.83.0.2", 2855)
    peers.append(alice)
    bind(alice)
    # B. alice subscribes (she is a participant).
    ss, ls = subscribe(env, 5072, conf_id, "alice", name="sub-alice")
    first = wait_log(ls, "FINAL", 5)
    docs = wait_docs(ls, lambda d: len(d) >= 1, 5)
    full = docs[0][1] if docs else ""
    tap(first == "FINAL 200" and docs and docs[0][0].startswith("active") and
        'state="full"' in full and 'version="1"' in full and
        ('entity="%s"' % conf_uri) in full and 'entity="sip:alice@example.com"' in full and
        "<status>connected</status>" in full and
        "urn:ietf:params:xml:ns:conference-info" in full,
        "SUBSCRIBE by a participant: 200, then a full conference-info (version 1, the "
        "conference URI, alice connected) (CNF-01/02)", (first, docs[:1]))
    # Refusals.
    checks = [("eve", {}, "FINAL 403", "a non-participant's SUBSCRIBE: 403 (CNF-03)", 5073),
              ("alice", {"event": "Event: presence"}, "FINAL 489", "another Event: 489 "
               "(CNF-09)", 5074),
              ("alice", {"h2": "Accept: text/plain"}, "FINAL 406",
               "an Accept without conference-info: 406 (CNF-09)", 5075)]
    for user, kw, want, text, port in checks:
        p, lg = subscribe(env, port, conf_id, user, **kw)
        wait_exit(p, 10)
        tap(wait_log(lg, "FINAL", 2) == want, text, wait_log(lg, "FINAL", 1))
    p, lg = subscribe(env, 5076, "cnosuchconf", "alice")
    wait_exit(p, 10)
    tap(wait_log(lg, "FINAL", 2) == "FINAL 404", "SUBSCRIBE to an unknown conference: 404")
    p, lg = subscribe(env, 5077, conf_id, "alice", h3="Expires: 0", hold_ms=1500)
    code = wait_exit(p, 10)
    fetch = notify_docs(lg)
    tap(code == 0 and wait_log(lg, "FINAL", 1) == "FINAL 200" and len(fetch) == 1 and
        fetch[0][0].startswith("terminated") and
        'state="full"' in fetch[0][1],
        "SUBSCRIBE Expires: 0: 200 and one terminated NOTIFY with the state (CNF-07)", fetch)
    # C. bob joins and re-INVITEs.
    sb, lb = env.sipp("focus_reinvite_uac.xml", 5078,
                      {"conf": conf_id, "user": "bob", "msrp_port": "40002",
                       "msrp_port2": "40012"}, hold_ms=6000, name="bob")
    ok = wait_log(lb, "REINVITE 200", 10)
    legs = legs_of(env, conf_id)
    bob_path = [leg["path"] for leg in legs if leg["identity"] == "sip:bob@example.com"]
    tap(ok is not None and bob_path and "40012/bobs2" in " ".join(bob_path[0]),
        "re-INVITE with a new a=path: 200, the data plane's leg has the new path (SMT-03)",
        (ok, bob_path))
    tap(wait_log(lb, "REINVITE 488", 10) is not None,
        "re-INVITE without MSRP media: 488, the session stays (SMT-01)")
    # D. REFER.
    dave, ls_d = listener("dave", 40021, "msrp://10.83.0.1:40021/daves1;tcp")
    peers.append(dave)
    ud, lud = env.sipp("focus_invited_uas.xml", 5085,
                       {"msrp_port": "40021", "msrp_uri": dave.my_uri}, name="dave")
    time.sleep(0.3)
    pr, lr = refer(env, 5079, conf_id, "eve", "sip:dave@10.83.0.1:5085", "refer-eve")
    wait_exit(pr, 10)
    tap(wait_log(lr, "FINAL", 2) == "FINAL 403", "REFER from a non-participant: 403 (REF-05)")
    # REF-10: multiple-REFER (RFC 5368) is not supported: 420 naming the extension.
    pr, lr = env.sipp("focus_refer_uac.xml", 5086,
                      {"ruser": conf_id, "user": "alice", "h1": "Refer-To: <cid:list1@example.com>",
                       "h2": "Require: multiple-refer", "h3": NONE},
                      hold_ms=15000, name="refer-multi", extra=["-aa"])
    wait_exit(pr, 10)
    unsup = re.search(r"^Unsupported: *(.*)$", response(lr, 420), re.M)
    tap(wait_log(lr, "FINAL", 2) == "FINAL 420" and unsup and
        "multiple-refer" in unsup.group(1),
        "REFER with Require: multiple-refer: 420 Bad Extension, Unsupported: multiple-refer "
        "(REF-10)", response(lr, 420)[:300] or messages(lr)[-1:])
    pr, lr = refer(env, 5080, conf_id, "alice", "sip:dave@10.83.0.1:5085", "refer-alice")
    inv = wait_log(lud, "INVITED", 10)
    nd = wait_docs(lr)
    stop(pr)
    tap(wait_log(lr, "FINAL", 1) == "FINAL 202" and nd and nd[0][1].startswith(
        "SIP/2.0 100") and nd[-1][0].startswith("terminated") and
        nd[-1][1].startswith("SIP/2.0 200") and
        inv is not None and "<sip:alice@example.com>" in inv.partition("by=")[2],
        "REFER by alice adds dave: 202, NOTIFYs end with SIP/2.0 200 OK, dave's INVITE has "
        "Referred-By: alice (REF-01/02/03)", (nd, inv))
    tap(dave.wait(lambda: dave.requests, 10), "the switch connects to dave and binds")
    pr, lr = refer(env, 5081, conf_id, "bob", "sip:dave@10.83.0.1:5085;method=BYE", "refer-bob")
    wait_exit(pr, 10)
    tap(wait_log(lr, "FINAL", 2) == "FINAL 403",
        "REFER method=BYE from bob, not the owner: 403 (REF-07)")
    pr, lr = refer(env, 5082, conf_id, "alice", "sip:dave@10.83.0.1:5085;method=BYE",
                   "refer-bye")
    dcode = wait_exit(ud, 15)
    nd = wait_docs(lr)
    stop(pr)
    code = wait_log(lr, "FINAL", 1)
    tap(code == "FINAL 202" and dcode == 0 and ended(nd) and nd[-1][1].startswith("SIP/2.0 200"),
        "REFER method=BYE by the owner: 202, dave gets BYE, final NOTIFY 200 (REF-06)",
        (code, dcode, nd))
    ls_d.close()
    # Bob leaves (his scenario ends): alice is alone, the focus ends the session.
    codes = [wait_exit(sb, 30), wait_exit(sa, 30)]
    tap(codes == [0, 0] and wait_log(la, "BYE", 1) is not None,
        "bob's BYE leaves alice alone: the focus ends her session (AHG-08) %s" % codes)
    docs = wait_docs(ls)
    stop(ss)
    bodies = "\n".join(b for _, b in docs)
    versions = [int(v) for v in re.findall(r'<conference-info[^>]*version="(\d+)"', bodies)]
    tap(ended(docs) and "noresource" in docs[-1][0],
        "the session's end terminates the subscription with reason=noresource (CNF-08)",
        [d[0] for d in docs])
    tap(versions == list(range(1, len(versions) + 1)) and len(versions) >= 5,
        "conference-info versions go 1, 2, 3 ... by one per NOTIFY (CNF-04): %s" % versions)
    partial = [b for _, b in docs[1:]]
    joined = any('entity="sip:bob@example.com"' in b and "connected" in b and
                 'state="partial"' in b for b in partial)
    booted = any('entity="sip:dave@10.83.0.1:5085"' in b and
                 "<disconnection-method>booted</disconnection-method>" in b for b in partial)
    dialed = any("dialed-out" in b for b in partial)
    tap(joined and booted and dialed,
        "partial notifications: bob connected, dave dialed-out then booted (CNF-05, REF-06)",
        bodies[-1500:])
    return conf_id


def group_flow(env, peers):
    """E: the pre-defined group "team"."""
    hank, ls_h = listener("hank", 40095, "msrp://10.83.0.1:40095/hanks1;tcp")
    ivan, ls_i = listener("ivan", 40096, "msrp://10.83.0.1:40096/ivans1;tcp")
    peers += [hank, ivan]
    uh, luh = env.sipp("focus_invited_uas.xml", 5095,
                       {"msrp_port": "40095", "msrp_uri": hank.my_uri}, name="hank")
    ui, lui = env.sipp("focus_invited_uas.xml", 5096,
                       {"msrp_port": "40096", "msrp_uri": ivan.my_uri}, name="ivan")
    time.sleep(0.3)
    sr, lr = env.sipp("focus_reject_uac.xml", 5091,
                      {"conf": "team", "user": "eve", "h1": NONE,
                       "media": "message 40091 TCP/MSRP *"}, name="g-eve")
    sr.wait(20)
    w = re.search(r"^Warning: *(.*)$", response(lr, 403), re.M)
    tap(wait_log(lr, "REJECT", 2) == "REJECT 403" and w and
        '"127 Service not authorised"' in w.group(1),
        "a non-member's INVITE to the Group Identity: 403, Warning 399 \"127 ...\" (PDG-02)",
        w.group(1) if w else response(lr, 403)[:300])
    sg, lg = env.sipp("focus_dialin_uac.xml", 5092,
                      {"conf": "team", "user": "gina", "msrp_port": "40092"}, hold_ms=4000,
                      name="gina")
    line = wait_log(lg, "FOCUS")
    invs = [wait_log(luh, "INVITED", 10), wait_log(lui, "INVITED", 10)]
    tap(line is not None and all(invs) and
        all('"The Team" <sip:team@10.83.0.1:5060>' in i for i in invs),
        "gina starts the group's session; the focus invites hank and ivan with From = the "
        "Group Identity (PDG-04/06)", invs)
    if line is None:
        return
    conf_id, _ = focus_line(line)
    time.sleep(0.5)
    names = sorted((leg["identity"], leg["alias"]) for leg in legs_of(env, conf_id))
    tap(("sip:hank@10.83.0.1:5095", "Hank") in names and ("sip:gina@example.com", "Gina") in
        names, "display names come from the group's entries first (ALS-04 2a)", names)
    sr, lr = env.sipp("focus_reject_uac.xml", 5093,
                      {"conf": "team", "user": "judy", "h1": "Privacy: id",
                       "media": "message 40093 TCP/MSRP *"}, name="g-anon")
    sr.wait(20)
    w = re.search(r"^Warning: *(.*)$", response(lr, 403), re.M)
    tap(wait_log(lr, "REJECT", 2) == "REJECT 403" and w and
        '"119 Anonymity not allowed"' in w.group(1),
        "anonymity requested where the group forbids it: 403 Warning 119 (PDG-08)",
        w.group(1) if w else "")
    sr, lr = env.sipp("focus_reject_uac.xml", 5094,
                      {"conf": "team", "user": "judy", "h1": NONE,
                       "media": "message 40094 TCP/MSRP *"}, name="g-full")
    sr.wait(20)
    w = re.search(r"^Warning: *(.*)$", response(lr, 486), re.M)
    tap(wait_log(lr, "REJECT", 2) == "REJECT 486" and w and
        w.group(1) == '399 10.83.0.1:5060 "102 Too many participants"',
        "a member beyond max participants (3): 486, Warning: 399 <host> \"102 Too many "
        "participants\" (PDG-05, WRN-01/02)", w.group(1) if w else "")
    code = wait_exit(sg, 20)
    rc, _ = env.ctl("conf", "delete", conf_id)
    codes = [wait_exit(uh, 20), wait_exit(ui, 20)]
    tap(code == 0 and rc == 0 and codes == [0, 0],
        "gina leaves, the group session goes on; deleting it makes the focus BYE the invited "
        "members (%s %s)" % (code, codes))
    for s in (ls_h, ls_i):
        s.close()


def one_to_one(env, peers):
    """F: INVITE to a user elsewhere -> 1:1 through the focus, CPIM off."""
    kim, ls_k = listener("kim", 40097, "msrp://10.83.0.1:40097/kims1;tcp")
    peers.append(kim)
    uk, luk = env.sipp("focus_invited_uas.xml", 5097,
                       {"msrp_port": "40097", "msrp_uri": kim.my_uri}, name="kim")
    time.sleep(0.3)
    sl, ll = env.sipp("focus_wait_bye_uac.xml", 5098,
                      {"ruri": "sip:kim@10.83.0.1:5097", "user": "leo", "msrp_port": "40098",
                       "h1": NONE}, name="leo")
    line = wait_log(ll, "FOCUS")
    inv = wait_log(luk, "INVITED", 10)
    tap(line is not None and inv is not None and '"leo" <sip:leo@example.com>' in inv,
        "INVITE to sip:kim@<elsewhere> through the focus: leo gets 200 (;isfocus), kim an "
        "INVITE from leo (S11-01/02)", (line, inv))
    if line is None or inv is None:
        return
    conf_id, path_l = focus_line(line)
    leo = msrp_peer.Peer("leo", "msrp://10.83.0.1:40098/leos1;tcp", path_l)
    leo.connect("10.83.0.2", 2855)
    peers.append(leo)
    bind(leo)
    kim.wait(lambda: kim.requests, 10)
    mid, _ = leo.send_message(b"just between us", content_type="text/plain")
    got = kim.wait_message(mid, 5)
    tap(got and kim.messages[mid].content_type == "text/plain" and
        kim.messages[mid].body() == b"just between us",
        "leo's message reaches kim as sent, not wrapped (1:1 CPIM off)")
    rc, _ = env.ctl("conf", "delete", conf_id)
    codes = [wait_exit(uk, 20), wait_exit(sl, 20)]
    tap(rc == 0 and codes == [0, 0], "the 1:1 session ends: both get BYE %s" % codes)
    ls_k.close()


def cancel_flow(env):
    """G: the initiator leaves while the invitees ring: the focus CANCELs them."""
    r1, lr1 = env.sipp("client_ringing_uas.xml", 5101, {}, name="ring1")
    r2, lr2 = env.sipp("client_ringing_uas.xml", 5102, {}, name="ring2")
    time.sleep(0.3)
    sm, lm = env.sipp("focus_list_uac.xml", 5103,
                      {"conf": "conf-factory", "user": "mia", "msrp_port": "40103",
                       "invitee1": "sip:rita@10.83.0.1:5101",
                       "invitee2": "sip:rolf@10.83.0.1:5102"}, hold_ms=1500, name="mia")
    codes = [wait_exit(sm, 20), wait_exit(r1, 20), wait_exit(r2, 20)]
    tap(codes == [0, 0, 0],
        "the initiator leaves while both invitees ring: the focus CANCELs both INVITEs "
        "(each answers 487) %s" % codes)


def overload_flow(env):
    """I: more INVITEs in setup than controlplane.max_pending_setups (4): 503 Retry-After."""
    rings = [env.sipp("client_ringing_uas.xml", 5121 + i, {}, name="ring%d" % (i + 3))
             for i in range(4)]
    time.sleep(0.3)
    lists = [env.sipp("focus_list_uac.xml", 5125 + i,
                      {"conf": "conf-factory", "user": "ola%d" % i, "msrp_port": str(40125 + i),
                       "invitee1": "sip:r%d@10.83.0.1:%d" % (i, 5121 + 2 * i),
                       "invitee2": "sip:s%d@10.83.0.1:%d" % (i, 5122 + 2 * i)},
                      hold_ms=3000, name="ola%d" % i) for i in range(2)]
    time.sleep(1.0)
    sr, lr = env.sipp("focus_reject_uac.xml", 5127,
                      {"conf": "conf-factory", "user": "pat", "h1": NONE,
                       "media": "message 40127 TCP/MSRP *"}, name="over")
    sr.wait(20)
    r503 = response(lr, 503)
    codes = [wait_exit(p, 20) for p, _ in lists + rings]
    tap(wait_log(lr, "REJECT", 2) == "REJECT 503" and
        re.search(r"^Retry-After: *\d+", r503, re.M) and codes == [0] * 6,
        "four invitees ringing = controlplane.max_pending_setups: the next INVITE gets 503 "
        "with Retry-After; the ringing ones are cancelled later %s" % codes, r503[:300])
    # A burst of 120 setups at 600/s against max_setups_per_sec = 40 (a bucket of 40, less
    # what the flows before used; some also meet max_pending_setups = 4).
    time.sleep(1.2)
    sb, lb = env.sipp(os.path.abspath(os.path.join(env.src, "bench/sip/setup_uac.xml")), 5128,
                      {}, name="burst", extra=["-s", "conf-factory", "-r", "600", "-m", "120"])
    wait_exit(sb, 60)
    finals = {}
    for m in messages(lb):
        cid = re.search(r"^Call-ID: *(\S+)", m, re.M)
        if m.startswith("SIP/2.0 ") and cid and re.search(r"^CSeq: *1 INVITE", m, re.M):
            code = m.split(" ", 2)[1]
            if code != "100":
                finals[cid.group(1)] = code  # retransmissions count once
    n200 = list(finals.values()).count("200")
    n503 = list(finals.values()).count("503")
    retry = all(re.search(r"^Retry-After:", m, re.M) for m in messages(lb)
                if m.startswith("SIP/2.0 503"))
    tap(10 <= n200 <= 60 and n503 >= 60 and n200 + n503 == 120 and retry,
        "120 INVITEs at 600/s against max_setups_per_sec 40: %d answered, %d refused 503 "
        "with Retry-After" % (n200, n503))
    time.sleep(1.2)  # the bucket refills for the flows after this one


def large_message_flow(env, peers):
    """J: large message mode to a URI list (OMA 4.2.1): the recipients are invited first
    (Contact and Accept-Contact with the feature tag, a=sendonly), the sender is answered once
    they are bound, its 200 KB message reaches both, then the focus BYEs every dialog."""
    rx = [listener("nora", 40131, "msrp://10.83.0.1:40131/noras1;tcp"),
          listener("otto", 40132, "msrp://10.83.0.1:40132/ottos1;tcp")]
    uas = [env.sipp("focus_invited_uas.xml", 5131 + i,
                    {"msrp_port": str(40131 + i), "msrp_uri": p.my_uri}, name=p.name)
           for i, (p, _) in enumerate(rx)]
    peers += [p for p, _ in rx]
    time.sleep(0.3)
    sl, ll = env.sipp("focus_lmm_uac.xml", 5133,
                      {"conf": "conf-factory", "user": "lena", "msrp_port": "40133",
                       "max_size": "300000", "invitee1": "sip:nora@10.83.0.1:5131",
                       "invitee2": "sip:otto@10.83.0.1:5132"}, name="lena")
    line = wait_log(ll, "FOCUS", 15)
    invs = [messages(lg, "INVITE") for _, lg in uas]
    tagged = all(i and "+g.oma.sip-im.large-message" in i[0] and "a=sendonly" in i[0]
                 for i in invs)
    bound = all(p.wait(lambda p=p: p.requests, 5) for p, _ in rx)
    ok200 = response(ll, 200)
    tap(line is not None and tagged and bound and "a=recvonly" in ok200,
        "large message INVITE: the recipients get INVITEs with the feature tag and "
        "a=sendonly, are bound, then the sender gets 200 with a=recvonly (LMM-02/06/08)",
        (line, [i[0][:200] if i else None for i in invs]))
    if line is None:
        return
    _, path = focus_line(line)
    lena = msrp_peer.Peer("lena", "msrp://10.83.0.1:40133/lenas1;tcp", path)
    lena.connect("10.83.0.2", 2855)
    peers.append(lena)
    bind(lena)
    body = bytes(range(256)) * 800
    mid, _ = lena.send_message(body, chunk=16384, content_type="application/octet-stream")
    got = all(p.wait_message(mid, 10) and p.messages[mid].body() == body for p, _ in rx)
    codes = [wait_exit(sl, 20)] + [wait_exit(u, 20) for u, _ in uas]
    tap(got and codes == [0, 0, 0] and wait_log(ll, "BYE", 1) is not None,
        "the 204800-byte message reaches both recipients intact, then the focus BYEs the "
        "sender and both recipients (LMM-01/07) %s" % codes)
    sr, lr = env.sipp("focus_reject_uac.xml", 5134,
                      {"conf": "conf-factory", "user": "lena",
                       "h1": "Accept-Contact: *;+g.oma.sip-im.large-message",
                       "media": "message 40134 TCP/MSRP *\r\na=max-size:999999999999"},
                      name="lmm-big")
    sr.wait(20)
    w = re.search(r"^Warning: *(.*)$", response(lr, 488), re.M)
    tap(wait_log(lr, "REJECT", 2) == "REJECT 488" and w and "bytes permitted" in w.group(1),
        "a large message above engine.max_message_bytes: 488 naming the permitted size "
        "(LMM-05)", w.group(1) if w else response(lr, 488)[:300])
    for _, ls in rx:
        ls.close()


def lmm_group_flow(env, peers):
    """J2: large message mode to the pre-defined group "crew" (LMM-08 to a group, LMM-07):
    the other members are invited (the group itself does not invite members to its chat
    session), the sender's message reaches both, a second Message-ID on the session gets MSRP
    403 and is not forwarded, then the focus BYEs every dialog; a non-member is refused."""
    rx = [listener("pia", 40137, "msrp://10.83.0.1:40137/pias1;tcp"),
          listener("quin", 40138, "msrp://10.83.0.1:40138/quins1;tcp")]
    uas = [env.sipp("focus_invited_uas.xml", 5137 + i,
                    {"msrp_port": str(40137 + i), "msrp_uri": p.my_uri}, name=p.name)
           for i, (p, _) in enumerate(rx)]
    peers += [p for p, _ in rx]
    time.sleep(0.3)
    lmm = "Accept-Contact: *;+g.oma.sip-im.large-message"
    sr, lr = env.sipp("focus_reject_uac.xml", 5140,
                      {"conf": "crew", "user": "eve", "h1": lmm,
                       "media": "message 40140 TCP/MSRP *"}, name="crew-eve")
    sr.wait(20)
    w = re.search(r"^Warning: *(.*)$", response(lr, 403), re.M)
    tap(wait_log(lr, "REJECT", 2) == "REJECT 403" and w and
        '"127 Service not authorised"' in w.group(1),
        "a non-member's large message to a group: 403, Warning \"127 ...\" (PDG-02)",
        w.group(1) if w else response(lr, 403)[:300])
    sl, ll = env.sipp("focus_wait_bye_uac.xml", 5139,
                      {"ruri": "sip:crew@10.83.0.1:5060", "user": "lena", "msrp_port": "40139",
                       "h1": lmm}, name="lena-crew")
    line = wait_log(ll, "FOCUS", 15)
    invs = [messages(lg, "INVITE") for _, lg in uas]
    tagged = all(i and "+g.oma.sip-im.large-message" in i[0] and "a=sendonly" in i[0]
                 for i in invs)
    tap(line is not None and tagged,
        "large message to the group: the other members get INVITEs with the feature tag and "
        "a=sendonly, then the sender gets 200 (LMM-02/06/08)",
        (line, [i[0][:200] if i else None for i in invs]))
    if line is None:
        return
    _, path = focus_line(line)
    lena = msrp_peer.Peer("lena", "msrp://10.83.0.1:40139/lenas1;tcp", path)
    lena.connect("10.83.0.2", 2855)
    peers.append(lena)
    bind(lena)
    body = bytes(range(256)) * 40
    mid, _ = lena.send_message(body, chunk=4096, content_type="application/octet-stream")
    # Right behind it on the same connection, before the message settled: a second one.
    mid2, tids2 = lena.send_message(b"one more", content_type="text/plain")
    got = all(p.wait_message(mid, 10) and p.messages[mid].body() == body for p, _ in rx)
    refused = lena.wait(lambda: all(t in lena.responses for t in tids2), 10) and \
        all(lena.responses[t].status == 403 for t in tids2)
    leaked = [p.name for p, _ in rx if mid2 in p.messages]
    codes = [wait_exit(sl, 20)] + [wait_exit(u, 20) for u, _ in uas]
    tap(got and refused and not leaked and codes == [0, 0, 0],
        "the message reaches both members intact, a second Message-ID gets MSRP 403 and "
        "reaches nobody (LMM-07), then the focus BYEs all three %s" % codes,
        "got %s refused %s leaked %s responses %s" % (
            got, refused, leaked, {t: f.status for t, f in lena.responses.items()}))
    for _, s in rx:
        s.close()


def cdr_check(env):
    """H: the CDR file."""
    recs = []
    try:
        with open(os.path.join(env.tmp, "cdr.jsonl")) as fh:
            recs = [json.loads(line) for line in fh]
    except (OSError, ValueError) as e:
        tap(False, "CDR file is JSON lines", e)
        return recs
    by = {}
    for r in recs:
        if r["type"] == "session":
            by.setdefault(r["participant"], []).append(r)
    ok = (any(r["end_reason"] == "booted" for r in by.get("sip:dave@10.83.0.1:5085", [])) and
          any(r["end_reason"] == "bye" for r in by.get("sip:alice@example.com", [])) and
          any(r["messages_sent"] == 1 and r["bytes_sent"] == 15
              for r in by.get("sip:leo@example.com", [])) and
          any(r["messages_received"] == 1 and r["bytes_received"] == 15
              for r in by.get("sip:kim@10.83.0.1:5097", [])) and
          any(r["end_reason"] == "timer_expired" for r in by.get("sip:tim@example.com", [])) and
          any(r["type"] == "conference" for r in recs) and
          any(r["end_reason"] == "failed:487" or r["end_reason"] == "cancel"
              for r in by.get("sip:rita@10.83.0.1:5101", [])))
    tap(ok, "CDRs: one JSON line per session and conference, with messages and end reasons "
        "(booted, bye, timer_expired, cancelled invitee; leo's message counted for leo and kim)",
        recs[-6:])
    return recs


def alias_flow(env):
    """K: two participants with the same display name: the second is shown as "zoe (2)"
    (ALS-01/02: aliases are unique within a conference)."""
    s1, l1 = env.sipp("focus_wait_bye_uac.xml", 5141,
                      {"ruri": "sip:conf-factory@10.83.0.1:5060", "user": "zoe",
                       "msrp_port": "40141", "h1": NONE}, name="zoe1")
    line = wait_log(l1, "FOCUS")
    if line is None:
        tap(False, "zoe creates a conference")
        return
    conf_id, _ = focus_line(line)
    s2, l2 = env.sipp("focus_wait_bye_uac.xml", 5142,
                      {"ruri": "sip:%s@10.83.0.1:5060" % conf_id, "user": "zoe",
                       "msrp_port": "40142", "h1": NONE}, name="zoe2")
    wait_log(l2, "FOCUS")
    aliases = sorted(leg["alias"] for leg in legs_of(env, conf_id))
    tap(aliases == ["zoe", "zoe (2)"],
        "the same display name twice: the second becomes \"zoe (2)\" (ALS-01/02) %s" % aliases)
    env.ctl("conf", "delete", conf_id)
    wait_exit(s1, 20)
    wait_exit(s2, 20)


def tcp_flow(env):
    """M: SIP over TCP (the focus listens on UDP and TCP): a dial-in and its BYE over TCP."""
    st, lt = env.sipp("focus_dialin_uac.xml", 5151,
                      {"conf": "conf-factory", "user": "tess", "msrp_port": "40151"},
                      hold_ms=500, name="tess", extra=["-t", "t1"])
    line = wait_log(lt, "FOCUS")
    code = wait_exit(st, 20)
    invites = messages(lt, "INVITE")
    tap(line is not None and code == 0 and invites and "SIP/2.0/TCP" in invites[0],
        "INVITE, 200, ACK and BYE over TCP (exit %s)" % code, line)


def restart_dp(env):
    """Kills the data plane (SIGKILL: nothing is cleaned up) and starts it again."""
    env.dp.kill()
    env.dp.wait()
    time.sleep(0.5)
    env.start_dp("dp2.log")
    for _ in range(100):
        if env.ctl("conf", "list")[0] == 0:
            return True
        time.sleep(0.1)
    return False


def dp_restart_flow(env, peers):
    """L: the data plane restarts under a running conference: the focus re-programs it and
    re-INVITEs each participant with a new a=path (controlplane.dp_restart = reinvite)."""
    sa, la = env.sipp("focus_wait_bye_uac.xml", 5111,
                      {"ruri": "sip:conf-factory@10.83.0.1:5060", "user": "ann",
                       "msrp_port": "40111", "h1": NONE}, name="ann")
    line = wait_log(la, "FOCUS")
    if line is None:
        tap(False, "ann creates a conference")
        return
    conf_id, path_a = focus_line(line)
    sb, lb = env.sipp("focus_wait_bye_uac.xml", 5112,
                      {"ruri": "sip:%s@10.83.0.1:5060" % conf_id, "user": "ben",
                       "msrp_port": "40112", "h1": NONE}, name="ben")
    line_b = wait_log(lb, "FOCUS")
    tap(line_b is not None and restart_dp(env),
        "ann and ben in a conference; the data plane is killed and started again")
    new = [wait_log(la, "REINVITED", 15), wait_log(lb, "REINVITED", 15)]
    paths = [n.split("path=", 1)[1] if n else "" for n in new]
    legs = legs_of(env, conf_id)
    tap(all(new) and paths[0] != path_a and sorted(leg["local_uri"] for leg in legs) ==
        sorted(paths),
        "the focus re-creates the conference and re-INVITEs both with their new a=path "
        "(data-plane restart)", (new, path_a, legs))
    if not all(new):
        return
    ann = msrp_peer.Peer("ann", "msrp://10.83.0.1:40111/anns1;tcp", paths[0])
    ben = msrp_peer.Peer("ben", "msrp://10.83.0.1:40112/bens1;tcp", paths[1])
    for p in (ann, ben):
        p.connect("10.83.0.2", 2855)
        peers.append(p)
    ok = bind(ann) and bind(ben)
    mid, _ = ann.send_message(b"still here", content_type="text/plain")
    tap(ok and ben.wait_message(mid, 5),
        "both bind on their new paths and ann's message reaches ben")
    rc, _ = env.ctl("conf", "delete", conf_id)
    codes = [wait_exit(sa, 20), wait_exit(sb, 20)]
    tap(rc == 0 and codes == [0, 0], "deleting the conference ends both sessions %s" % codes)


def main():
    build, src, rc = fe.enter("ff", __file__)
    if rc is not None:
        return rc
    env = fe.Env(build, src, cp_extra=CP_EXTRA)
    peers = []
    try:
        tap(env.start(), "msw-dataplane and msw-controlplane start in a namespace")
        # MSW_FOCUS_FLOWS=restart,... runs some flows only (debugging).
        only = os.environ.get("MSW_FOCUS_FLOWS", "").split(",")
        if only != [""]:
            for name in only:
                {"conference": lambda: conference_flow(env, peers),
                 "group": lambda: group_flow(env, peers),
                 "1to1": lambda: one_to_one(env, peers), "cancel": lambda: cancel_flow(env),
                 "restart": lambda: dp_restart_flow(env, peers),
                 "overload": lambda: overload_flow(env),
                 "lmm": lambda: large_message_flow(env, peers),
                 "lmm_group": lambda: lmm_group_flow(env, peers),
                 "alias": lambda: alias_flow(env), "tcp": lambda: tcp_flow(env)}[name]()
            print("1..%d" % fe.N)
            return 1 if fe.FAILS else 0
        st, lt, t0 = session_timer(env)
        conference_flow(env, peers)
        group_flow(env, peers)
        one_to_one(env, peers)
        cancel_flow(env)
        overload_flow(env)
        large_message_flow(env, peers)
        lmm_group_flow(env, peers)
        alias_flow(env)
        tcp_flow(env)
        # A (end): nua sends the BYE at SE - min(32, SE/10) = 81 s (RFC 4028 §10 asks for
        # SE - min(32, SE/3); both are before expiry, docs/controlplane.md).
        code = wait_exit(st, max(1, 100 - (time.time() - t0)))
        waited = time.time() - t0
        tap(code == 0 and wait_log(lt, "BYE", 1) is not None,
            "nobody refreshed the session: the focus sent BYE after %.0f s (SMT-12)" % waited)
        cdr_check(env)
        dp_restart_flow(env, peers)
    finally:
        for p in peers:
            p.close()
        env.stop()
    print("1..%d" % fe.N)
    return 1 if fe.FAILS else 0


if __name__ == "__main__":
    sys.exit(main())

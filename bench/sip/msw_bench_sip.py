#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""msw-bench-sip: SIP session setups per second through the focus (issue 7), measured with
SIPp against msw-controlplane and msw-dataplane in a network namespace of its own.

Cases (JSON lines on stdout, one per rate step):
  factory_setup  INVITE to the Conference-factory URI (a new conference each: CONF_CREATE +
                 LEG_ADD in the data plane) -> 200 -> ACK -> BYE -> 200 (LEG_DEL, CONF_DEL).
  conf_join      INVITE to one running conference (LEG_ADD) -> 200 -> ACK -> BYE (LEG_DEL).
Each case steps the offered rate up (--rates) for --seconds per step and stops after the
first step where calls failed or the achieved rate fell below 90 % of the offered one. Per
step: offered and achieved calls/s, successful and failed calls, INVITE->200 response time
p50/p99 (ms, SIPp's rtd), and the CPU used by the control plane and the data plane
(utime+stime over the step, percent of one core; the data plane polls, so its share is
mostly polling). Baseline in the same run: the same scenario against a SIPp UAS that answers
at once (`uas_baseline`): what SIPp and the kernel cost without the appliance.

Usage (root): msw_bench_sip.py [--build DIR] [--src DIR] [--seconds S] [--rates R,R,...]
Exit 77 without root or sipp. Progress goes to stderr.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
# The planes are started exactly as the focus tests start them.
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
import test_focus_e2e as fe  # noqa: E402


def cpu_ticks(pid):
    try:
        with open("/proc/%d/stat" % pid) as fh:
            f = fh.read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])
    except OSError:
        return 0


def percentile(vals, q):
    if not vals:
        return None
    vals = sorted(vals)
    return vals[min(len(vals) - 1, int(q * len(vals)))]


def run_step(env, scenario, service, rate, seconds, port, tmp, target="10.83.0.1:5060"):
    calls = max(1, int(rate * seconds))
    # SIPp writes its response-time file into the working directory: one per step.
    wd = tempfile.mkdtemp(prefix="step-", dir=tmp)
    stat = os.path.join(wd, "stat.csv")
    argv = ["ip", "netns", "exec", env.ns, "sipp", "-sf", scenario, "-s", service,
            "-i", "10.83.0.1", "-p", str(port), "-r", str(rate), "-m", str(calls), "-l",
            str(max(rate * 4, 64)), "-nostdin", "-trace_stat", "-stf", stat, "-fd", "1",
            "-trace_rtt", "-rtt_freq", "1", "-timeout", str(int(seconds) + 30),
            "-max_recv_loops", "10000", target]
    pids = [p.pid for p in (env.cp, env.dp) if p is not None]
    t0 = [cpu_ticks(p) for p in pids]
    start = time.time()
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       timeout=seconds + 60, cwd=wd)
    if r.returncode != 0:
        print("# sipp exit %d: %s" % (r.returncode, r.stderr.strip()[-300:]), file=sys.stderr)
    elapsed = time.time() - start
    t1 = [cpu_ticks(p) for p in pids]
    hz = os.sysconf("SC_CLK_TCK")
    ok = failed = 0
    try:
        with open(stat) as fh:
            lines = [line.rstrip("\n").split(";") for line in fh if line.strip()]
        head, last = lines[0], lines[-1]
        ok = int(last[head.index("SuccessfulCall(C)")])
        failed = int(last[head.index("FailedCall(C)")])
    except (OSError, ValueError, IndexError):
        pass
    setup_ms = []
    rtts = [f for f in os.listdir(wd) if f.endswith("_rtt.csv")]
    try:
        with open(os.path.join(wd, rtts[0]) if rtts else "/nonexistent") as fh:
            for line in fh:
                parts = line.strip().split(";")
                # Date_ms;response_time_ms;rtd_no (ms resolution): rtd 1 is INVITE -> 200.
                if len(parts) == 3 and parts[2] == "1":
                    setup_ms.append(float(parts[1]))
    except (OSError, ValueError):
        pass
    cpu = [100.0 * (b - a) / hz / elapsed for a, b in zip(t0, t1)]
    return {"offered_per_s": rate, "calls": calls, "ok": ok, "failed": failed,
            "achieved_per_s": round(ok / elapsed, 1), "elapsed_s": round(elapsed, 2),
            "setup_p50_ms": percentile(setup_ms, 0.5), "setup_p99_ms": percentile(setup_ms, 0.99),
            "cp_cpu_pct": round(cpu[0], 1) if cpu else None,
            "dp_cpu_pct": round(cpu[1], 1) if len(cpu) > 1 else None}


def sweep(env, name, scenario, service, rates, seconds, port, tmp, target=None):
    for rate in rates:
        r = run_step(env, scenario, service, rate, seconds, port, tmp,
                     **({"target": target} if target else {}))
        r = dict({"bench": "sip_setup", "case": name}, **r)
        print(json.dumps(r), flush=True)
        print("# %s %d/s: %s/s achieved, %d failed" % (name, rate, r["achieved_per_s"],
                                                        r["failed"]), file=sys.stderr)
        if r["failed"] or r["achieved_per_s"] < 0.9 * rate:
            break


def inner(args):
    # CDRs stay on (written to the run's temporary directory): their cost is part of a setup.
    env = fe.Env(args.build, args.src,
                 cp_extra="max_pending_setups = 65536; max_participants = 256;")
    tmp = tempfile.mkdtemp(prefix="msw-bench-sip.")
    hold = hold2 = None
    try:
        if not env.start():
            print(json.dumps({"bench": "sip_setup", "error": "planes did not start"}))
            return 1
        rates = [int(x) for x in args.rates.split(",")]
        scen = os.path.join(HERE, "setup_uac.xml")
        # Baseline: SIPp's own UAS answering the same calls (no appliance on the path).
        uas = subprocess.Popen(["ip", "netns", "exec", env.ns, "sipp", "-sn", "uas", "-i",
                                "10.83.0.1", "-p", "5999", "-nostdin", "-bg"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        if "uas_baseline" in args.cases:
            sweep(env, "uas_baseline", scen, "echo", rates, args.seconds, 5081, tmp,
                  target="10.83.0.1:5999")
        subprocess.run(["pkill", "-f", "sipp -sn uas -i 10.83.0.1 -p 5999"])
        uas.wait()
        if "factory_setup" in args.cases:
            sweep(env, "factory_setup", scen, "conf-factory", rates, args.seconds, 5082, tmp)
        if "conf_join" not in args.cases:
            return 0
        # A conference that stays for the joins: two participants hold it (an ad-hoc
        # conference ends when fewer than two remain once two were in it).
        hold, log = env.sipp("focus_dialin_uac.xml", 5083,
                             {"conf": "conf-factory", "user": "host", "msrp_port": "40083"},
                             hold_ms=3600000, name="host")
        line = fe.wait_log(log, "FOCUS")
        if line is None:
            print(json.dumps({"bench": "sip_setup", "case": "conf_join",
                              "error": "no conference"}))
            return 1
        conf_id, _ = fe.focus_line(line)
        hold2, log2 = env.sipp("focus_dialin_uac.xml", 5085,
                               {"conf": conf_id, "user": "cohost", "msrp_port": "40085"},
                               hold_ms=3600000, name="cohost")
        if fe.wait_log(log2, "FOCUS") is None:
            print(json.dumps({"bench": "sip_setup", "case": "conf_join",
                              "error": "second participant did not join"}))
            return 1
        sweep(env, "conf_join", scen, conf_id, rates, args.seconds, 5084, tmp)
        return 0
    finally:
        for h in (hold, hold2):
            if h is not None and h.poll() is None:
                h.kill()
        env.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("MSW_BUILD_ROOT",
                                                      os.path.join(SRC, "build")))
    ap.add_argument("--src", default=SRC)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rates", default="100,200,400,800,1600,3200")
    ap.add_argument("--cases", default="uas_baseline,factory_setup,conf_join",
                    help="comma-separated subset of the cases")
    args = ap.parse_args()
    if os.geteuid() != 0 or not shutil.which("sipp"):
        print("msw-bench-sip: needs root and sipp", file=sys.stderr)
        return 77
    if "MSW_FOCUS_NS" not in os.environ:
        ns = "msw-bsip-%d" % os.getpid()
        subprocess.run(["ip", "netns", "add", ns], check=True)
        try:
            return subprocess.run(["ip", "netns", "exec", ns, sys.executable,
                                   os.path.abspath(__file__)] + sys.argv[1:],
                                  env=dict(os.environ, MSW_FOCUS_NS=ns)).returncode
        finally:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    return inner(args)


if __name__ == "__main__":
    sys.exit(main())

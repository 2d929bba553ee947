#!/usr/bin/env python3
"""Turns bench/run.sh's measurements into the table and the JSON record.

Reads DIR/measurements.tsv (one line per run: row, role, round, rate,
p50_us, p99_us, errors, peak RSS in KiB), takes the median of each row's
rounds, compares subject to baseline, prints the table on stdout and
writes RESULTS/<date>.json and .txt plus RESULTS/latest.json and
latest.txt. Which rows exist, their baselines and their targets are
defined here, in ROWS.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess

MIB = 1024

# kind "rate": ratio = median(subject rate) / median(baseline rate), met
#   when ratio >= target.
# kind "p99": ratio = median(subject p99) / median(baseline p99), met when
#   ratio <= target (or, with "abs_p99_us", when the p99 is under it).
# kind "rss": no ratio; met when the server's peak RSS < target MiB, or,
#   with "per_lease_b", <= target MiB + per_lease_b bytes per lease held.
# kind "secs": the "rate" field holds seconds (W8: restart to the first
#   read, and the scan it is compared with); ratio = subject / baseline,
#   met when subject <= factor x baseline + plus_s.
# A rate row with "target": None is informational: ratio shown, met "-".
# "subject" names the measured row when it is not the row's id (two rows
# that show one measurement against two baselines). "latency": False rows
# have no per-request latency (p50/p99 shown as "-").
# Names may hold {c} (CONNS), {w6c} (W6_CONNS), {leases} (the storm's
# leases), {held} (all leases held at W8's restarts), {secrets} (KV
# secrets stored then) and {scan} ("cold" or "warm").
ROWS = [
    {"id": "w1", "name": "W1 KV v2 read, 10k secrets, c={c}",
     "kind": "rate", "baseline": ("w1", "baseline", "nginx, same body"),
     "target": 0.50, "target_text": ">= 0.50 x nginx"},
    {"id": "w1-fixed", "name": "W1 at half its rate, paced (h2load), c={c}",
     "kind": "p99", "baseline": ("w1-fixed", "baseline", "nginx, same rate"),
     "abs_p99_us": 2000, "target_text": "p99 <= 2 ms"},
    {"id": "spread", "name": "KV v2 read, 100k secrets, c={c}",
     "kind": "rate", "baseline": ("spread", "baseline", "nginx, same body"),
     "target": 0.50, "target_text": ">= 0.50 x nginx"},
    {"id": "lookup", "name": "auth/token/lookup-self, c={c}",
     "kind": "rate", "baseline": ("lookup", "baseline", "nginx, same body"),
     "target": 0.50, "target_text": ">= 0.50 x nginx"},
    {"id": "acl-one", "name": "KV v2 read, 1-rule policy token, c={c}",
     "kind": "rate", "baseline": ("w1", "subject", "W1, root token"),
     "target": None, "target_text": "informational"},
    {"id": "acl-big", "name": "KV v2 read, 100 x 1,000-rule token, c={c}",
     "kind": "rate", "baseline": ("acl-one", "subject", "1-rule token"),
     "target": 0.90, "target_text": ">= 0.90 x 1 rule"},
    {"id": "audit-1", "name": "KV v2 read, 1 file audit device, c={c}",
     "kind": "rate", "baseline": ("audit-nginx", "baseline",
                                  "nginx, same body"),
     "target": 0.33, "target_text": ">= 0.33 x nginx"},
    {"id": "audit-1-vs-0", "subject": "audit-1",
     "name": "KV v2 read, 1 file audit device vs none",
     "kind": "rate", "baseline": ("audit-0", "subject", "no audit"),
     "target": None, "target_text": "informational"},
    {"id": "audit-3", "name": "KV v2 read, 3 file audit devices vs none",
     "kind": "rate", "baseline": ("audit-0", "subject", "no audit"),
     "target": None, "target_text": "informational"},
    {"id": "w2-c1", "name": "W2 KV v2 durable write, c=1",
     "kind": "rate", "baseline": ("w2-raw", "baseline", "raw SQLite, 1 writer"),
     "target": 0.70, "target_text": ">= 0.70 x raw"},
    {"id": "w2-c64", "name": "W2 KV v2 durable write, c={c}",
     "kind": "rate", "baseline": ("w2-raw", "baseline", "raw SQLite, 1 writer"),
     "target": 2.0, "target_text": ">= 2.0 x raw c=1"},
    {"id": "token-create", "name": "auth/token/create (service), c={c}",
     "kind": "rate", "baseline": ("w2-c64", "subject", "own W2 c=64"),
     "target": 0.80, "target_text": ">= 0.80 x own W2"},
    {"id": "approle-login", "name": "auth/approle/login, c={c}",
     "kind": "rate", "baseline": ("w2-c64", "subject", "own W2 c=64"),
     "target": 0.80, "target_text": ">= 0.80 x own W2"},
    {"id": "w6-issue", "name": "W6 database/creds (PostgreSQL), c={w6c}",
     "kind": "rate", "baseline": ("w6-issue", "baseline",
                                  "pgbench, same SQL"),
     "target": 0.70, "target_text": ">= 0.70 x pgbench"},
    {"id": "w6-revoke", "name": "W6 lease revoke (PostgreSQL), c={w6c}",
     "kind": "rate", "baseline": ("w6-revoke", "baseline",
                                  "pgbench, same SQL"),
     "target": 0.70, "target_text": ">= 0.70 x pgbench"},
    {"id": "m1-read", "name": "KV v2 read, 1M secrets, c={c}",
     "kind": "p99", "baseline": ("w1", "subject", "W1"),
     "target": 1.25, "target_text": "p99 <= 1.25 x W1", "full": True},
    {"id": "m1-rss", "name": "Server peak RSS with 1M secrets",
     "kind": "rss", "source": "m1-read", "target": 100,
     "target_text": "< 100 MiB", "full": True},
    # PostgreSQL storage (bench/pg.sh). Writes: perf-security.md A5's
    # target for W2 on PostgreSQL, against pgbench running the same upsert.
    # The read through a standby has no target there: forwarding adds one
    # HTTP hop whose cost on the shared core is bounded by the request's
    # own, so through the standby should reach at least half the active.
    {"id": "pg-w-c8", "name": "KV v2 durable write, PostgreSQL, c=8",
     "kind": "rate", "baseline": ("pg-w-c8", "baseline",
                                  "pgbench same upsert, c=8"),
     "target": 0.60, "target_text": ">= 0.60 x pgbench", "pg": True},
    {"id": "pg-w-c32", "name": "KV v2 durable write, PostgreSQL, c=32",
     "kind": "rate", "baseline": ("pg-w-c32", "baseline",
                                  "pgbench same upsert, c=32"),
     "target": 0.60, "target_text": ">= 0.60 x pgbench", "pg": True},
    {"id": "pg-read-standby",
     "name": "KV v2 hot read via a standby (forwarded), PostgreSQL, c={c}",
     "kind": "rate", "baseline": ("pg-read-standby", "baseline",
                                  "same reads on the active"),
     "target": 0.50, "target_text": ">= 0.50 x active", "pg": True},
    {"id": "w8-restart", "name": "W8 restart to first read, {secrets} "
     "secrets + {held} leases",
     "kind": "secs", "baseline": ("w8-restart", "baseline",
                                  "{scan} scan of leases"),
     "factor": 2.0, "plus_s": 1.0, "target_text": "<= 2 x scan + 1 s"},
    {"id": "w7-expiry", "name": "W7 expiry storm, {leases} token leases",
     "kind": "rate", "latency": False,
     "baseline": ("w7-expiry", "baseline", "raw SQLite delete loop"),
     "target": 0.50, "target_text": ">= 0.50 x raw"},
    {"id": "w7-read", "name": "W7 reads during the storm, paced, c={c}",
     "kind": "p99", "baseline": ("w7-read", "baseline", "same, quiet"),
     "target": 2.0, "target_text": "p99 <= 2 x quiet"},
    {"id": "w7-rss", "name": "Server peak RSS with {held} leases",
     "kind": "rss", "source": "w7-rss", "target": 64, "per_lease_b": 300,
     "target_text": "<= 64 MiB + 300 B/lease"},
]


def load(path):
    runs = {}
    with open(path) as f:
        for line in f:
            row, role, rnd, rate, p50, p99, err, rss = line.split("\t")
            runs.setdefault((row, role), []).append({
                "round": int(rnd), "rate": float(rate), "p50_us": int(p50),
                "p99_us": int(p99), "errors": int(err),
                "rss_kib": int(rss)})
    return runs


def summarise(runs):
    if not runs:
        return None
    return {
        "rate": statistics.median(r["rate"] for r in runs),
        "p50_us": statistics.median(r["p50_us"] for r in runs),
        "p99_us": statistics.median(r["p99_us"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        "peak_rss_kib": max(r["rss_kib"] for r in runs),
        "runs": runs,
    }


def rss_limit_mib(spec, facts):
    """The RSS target in MiB; None when the lease count is unknown."""
    if "per_lease_b" not in spec:
        return spec["target"]
    if facts.get("held") is None:
        return None
    return spec["target"] + spec["per_lease_b"] * facts["held"] / 2**20


def evaluate(spec, runs, facts):
    if spec["kind"] == "rss":
        subj = summarise(runs.get((spec["source"], "subject"), []))
        if subj is None:
            return None
        mib = subj["peak_rss_kib"] / MIB
        limit = rss_limit_mib(spec, facts)
        if limit is None:
            met = None
        elif "per_lease_b" in spec:
            met = mib <= limit
        else:
            met = mib < limit
        return {"subject": subj, "baseline": None, "ratio": None,
                "met": met, "limit_mib": limit}
    subj = summarise(runs.get((spec.get("subject", spec["id"]),
                               "subject"), []))
    brow, brole, _ = spec["baseline"]
    base = summarise(runs.get((brow, brole), []))
    if subj is None or base is None:
        return None
    if spec["kind"] == "rate":
        ratio = subj["rate"] / base["rate"] if base["rate"] else None
        if spec["target"] is None:
            met = None
        else:
            met = ratio is not None and ratio >= spec["target"]
    elif spec["kind"] == "secs":
        ratio = subj["rate"] / base["rate"] if base["rate"] else None
        met = subj["rate"] <= spec["factor"] * base["rate"] + spec["plus_s"]
    else:
        ratio = (subj["p99_us"] / base["p99_us"]
                 if base["p99_us"] else None)
        if "abs_p99_us" in spec:
            met = subj["p99_us"] <= spec["abs_p99_us"]
        else:
            met = ratio is not None and ratio <= spec["target"]
    if subj["errors"] and met is not None:
        met = False
    return {"subject": subj, "baseline": base, "ratio": ratio, "met": met}


def fmt_rate(x):
    return f"{x / 1000:.1f}k/s" if x >= 10000 else f"{x:.0f}/s"


def fmt_us(us):
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} us"


def fmt_count(n):
    if n is None:
        return "?"
    if n >= 1000000 and n % 100000 == 0:
        return f"{n / 1000000:g}M"
    if n >= 10000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return f"{n:,}"


def names(conns, facts):
    return {"c": conns, "w6c": facts.get("w6c"),
            "leases": fmt_count(facts.get("leases")),
            "held": fmt_count(facts.get("held")),
            "secrets": fmt_count(facts.get("secrets")),
            "scan": facts.get("scan") or "cold"}


def target_text(spec, res):
    if res is not None and res.get("limit_mib") is not None \
            and "per_lease_b" in spec:
        return f"{spec['target_text']} = {res['limit_mib']:.0f} MiB"
    return spec["target_text"]


def fmt_row(spec, res, conns, facts):
    name = spec["name"].format(**names(conns, facts))
    ttxt = target_text(spec, res)
    if res is None:
        return [name, "-", "-", "-", "-", "not run", "-", ttxt, "-"]
    s, b = res["subject"], res["baseline"]
    rss = f"{s['peak_rss_kib'] / MIB:.1f} MiB"
    met = "-" if res["met"] is None else "yes" if res["met"] else "NO"
    if spec["kind"] == "rss":
        return [name, "-", "-", "-", rss, "-", "-", ttxt, met]
    bname = spec["baseline"][2].format(**names(conns, facts))
    if spec["kind"] == "rate":
        btxt = f"{bname} {fmt_rate(b['rate'])}"
    elif spec["kind"] == "secs":
        btxt = f"{bname} {b['rate']:.2f} s"
    else:
        btxt = f"{bname} p99 {fmt_us(b['p99_us'])}"
    ratio = "-" if res["ratio"] is None else f"{res['ratio']:.2f}"
    if s["errors"]:
        met += f" ({s['errors']} errors)"
    if spec["kind"] == "secs":
        return [name, f"{s['rate']:.2f} s", "-", "-", rss, btxt, ratio,
                ttxt, met]
    if spec.get("latency", True):
        p50, p99 = fmt_us(s["p50_us"]), fmt_us(s["p99_us"])
    else:
        p50, p99 = "-", "-"
    return [name, fmt_rate(s["rate"]), p50, p99, rss, btxt, ratio, ttxt,
            met]


def table(lines):
    head = ["workload", "rate", "p50", "p99", "peak RSS", "baseline",
            "ratio", "target", "met"]
    rows = [head] + lines
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    out = []
    for n, r in enumerate(rows):
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def dpkg_version(pkg):
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                             capture_output=True, text=True, check=False)
        return out.stdout.strip() or None
    except OSError:
        return None


def machine():
    model = None
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    pkgs = ["nginx-light", "wrk", "nghttp2-client", "libsqlite3-0",
            "openssl", "libssl3", "libjansson4", "libevent-2.1-7", "gcc",
            "postgresql", "libpq5"]
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "kernel": platform.release(),
        "memory_kib": meminfo_total(),
        "packages": {p: dpkg_version(p) for p in pkgs},
    }


def meminfo_total():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1])
    return None


def git_commit(root):
    out = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True, check=False)
    return out.stdout.strip() or None


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def read_int(path):
    text = read(path)
    return int(text) if text and text.isdigit() else None


def run_facts(d, w6_conns):
    """What run.sh wrote about the lease and database rows."""
    return {"w6c": w6_conns,
            "leases": read_int(os.path.join(d, "leases_made")),
            "held": read_int(os.path.join(d, "w8_leases")),
            "secrets": read_int(os.path.join(d, "w8_secrets")),
            "scan": read(os.path.join(d, "scan_mode"))}


def main():
    ap = argparse.ArgumentParser()
    for opt in ["dir", "results", "keys"]:
        ap.add_argument("--" + opt, required=True)
    for opt in ["warmup", "measure", "rounds", "conns", "full",
                "server-cpu", "load-cpu"]:
        ap.add_argument("--" + opt, type=float, required=True)
    ap.add_argument("--w6-conns", type=int, default=8)
    a = ap.parse_args()
    conns = int(a.conns)

    runs = load(os.path.join(a.dir, "measurements.tsv"))
    now = datetime.datetime.now(datetime.timezone.utc)
    facts = machine()
    rf = run_facts(a.dir, a.w6_conns)
    results, lines = [], []
    for spec in ROWS:
        if spec.get("full") and not a.full:
            continue
        res = evaluate(spec, runs, rf)
        lines.append(fmt_row(spec, res, conns, rf))
        entry = {"id": spec["id"],
                 "workload": spec["name"].format(**names(conns, rf)),
                 "target": target_text(spec, res)}
        if spec["kind"] == "secs":
            entry["unit"] = "seconds in rate"
        if res is not None:
            entry.update({"ratio": res["ratio"], "met": res["met"],
                          "subject": res["subject"],
                          "baseline": res["baseline"],
                          "baseline_name": spec.get("baseline",
                                                    (None, None, None))[2]
                          .format(**names(conns, rf))
                          if spec.get("baseline") else None})
        results.append(entry)

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    fixed = read(os.path.join(a.dir, "fixed_rate"))
    header = (
        f"Coffer benchmark, {now:%Y-%m-%d %H:%M} UTC, commit "
        f"{git_commit(root)}\n"
        f"machine: {facts['nproc']} cores, {facts['cpu_model']}, "
        f"Linux {facts['kernel']}; load average before/after: "
        f"{read(os.path.join(a.dir, 'loadavg.start'))} / "
        f"{read(os.path.join(a.dir, 'loadavg.end'))}\n"
        f"server and baseline pinned to CPU {int(a.server_cpu)}, load "
        f"generator to CPU {int(a.load_cpu)}; {int(a.rounds)} interleaved "
        f"rounds of {a.warmup:g} s warm-up + {a.measure:g} s, medians"
        + (f"; paced rate {fixed} req/s" if fixed else "") + "\n")
    text = header + "\n" + table(lines) + "\n"
    notes = read(os.path.join(a.dir, "notes"))
    if notes:
        text += "\n" + "\n".join("note: " + n for n in notes.splitlines()) \
            + "\n"
    print(text, end="")

    record = {
        "date": now.isoformat(timespec="seconds"),
        "commit": git_commit(root),
        "machine": facts,
        "loadavg": {"start": read(os.path.join(a.dir, "loadavg.start")),
                    "end": read(os.path.join(a.dir, "loadavg.end"))},
        "settings": {"warmup_s": a.warmup, "measure_s": a.measure,
                     "rounds": int(a.rounds), "connections": conns,
                     "full": bool(a.full), "keys": a.keys,
                     "w6_connections": a.w6_conns,
                     "leases_due_in_storm": rf["leases"],
                     "leases_held_at_restart": rf["held"],
                     "secrets_at_restart": rf["secrets"],
                     "scan": rf["scan"],
                     "lease_load_per_s": read(os.path.join(
                         a.dir, "lease_load_rate")),
                     "server_cpu": int(a.server_cpu),
                     "load_cpu": int(a.load_cpu),
                     "paced_rate": int(fixed) if fixed else None},
        "rows": results,
        "notes": notes.splitlines() if notes else [],
        "table": text,
    }
    os.makedirs(a.results, exist_ok=True)
    stamp = f"{now:%Y-%m-%dT%H%M%SZ}"
    for name in [stamp, "latest"]:
        with open(os.path.join(a.results, name + ".json"), "w") as f:
            json.dump(record, f, indent=2)
            f.write("\n")
        with open(os.path.join(a.results, name + ".txt"), "w") as f:
            f.write(text)
    print(f"\nwritten: {os.path.join(a.results, stamp)}.json (and "
          "latest.json, latest.txt)")


if __name__ == "__main__":
    main()

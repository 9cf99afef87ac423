#!/usr/bin/env python3
"""The report of scripts/bench.sh: medians, per-round ratios, engine figures, system calls and the targets.

    bench-report.py RESULTS META [DOCS]
    bench-report.py --ping RESULTS META     (scripts/bench.sh --ping: the idle ping alone)

RESULTS holds `round path metric value` lines (tab-separated; paths bare, wg, ml1, ml2, and old1, old2 when an
older mlink ran as "before"; metrics tcp, udp in
Mbit/s, ping_idle, ping_loaded in ms), META `key value` lines. Prints the report; with DOCS, also writes it as the
top section of that Markdown file, replacing the section an earlier run wrote and keeping everything else.
Exits 1 when a figure the report needs is missing (a measurement did not complete), never because of a number.
"""
import os
import statistics
import sys

PATHS = [("bare", "bare veth"), ("wg", "wireguard-go (*)"), ("ml1", "mlink 1 link"), ("ml2", "mlink 2 links")]
BEFORE_PATHS = [("old1", "mlink 1 link (before)"), ("old2", "mlink 2 links (before)")]
BEGIN = "<!-- scripts/bench.sh: begin (the next full run replaces this section) -->"
END = "<!-- scripts/bench.sh: end -->"
WIREGUARD_NOTE = ("(*) Debian 12's wireguard-go {} predates wireguard-go's own batching (vectorized TUN and UDP I/O "
                  "with TSO/GRO, first released in 0.0.20230223).")


def fail(what, why, value):
    print(f"mlink bench: {what}: {why} ({value})", file=sys.stderr)
    sys.exit(1)


def read(results_file, meta_file):
    results = {}
    for line in open(results_file):
        round_, path, metric, value = line.rstrip("\n").split("\t")
        results[(int(round_), path, metric)] = float(value)
    meta = {}
    for line in open(meta_file):
        key, _, value = line.rstrip("\n").partition("\t")
        meta[key] = value
    return results, meta


def number(meta, key):
    try:
        return float(meta[key])
    except (KeyError, ValueError):
        fail("the report", "a figure is missing", key)


def report(results, meta):
    rounds = int(meta["rounds"])
    before = bool(meta.get("before"))
    paths = PATHS + (BEFORE_PATHS if before else [])
    for r in range(1, rounds + 1):
        for path, name in paths:
            for metric in ("tcp", "udp", "ping_idle", "ping_loaded"):
                if (r, path, metric) not in results:
                    fail("the report", "a measurement is missing", f"round {r} {name} {metric}")
    v = lambda r, path, metric: results[(r, path, metric)]
    median = lambda path, metric: statistics.median(v(r, path, metric) for r in range(1, rounds + 1))
    out = []
    out.append(f"mlink throughput benchmark (scripts/bench.sh), {meta['started']}-{meta['finished']} UTC")
    out.append(f"machine: {meta['machine']}; {meta['os']}; kernel {meta['kernel']}")
    out.append(f"mlink {meta['commit']}, {meta['build']}; libsodium {meta['libsodium']}; "
               f"wireguard-go {meta['wireguard_go']} (Debian); iperf3 {meta['iperf3']}")
    out.append(f"{rounds} round(s), {meta['seconds']} s per iperf3 run, paths alternating; TCP: one stream; "
               f"UDP: -b 0 -l 1300, received rate; ping: {meta['pings']} pings 2 ms apart idle, and 2 ms apart "
               f"during a TCP run")
    out.append("")
    if before:
        out.append(f"before: {meta['before']}")
    out.append(f"{'medians of ' + str(rounds) + ' round(s)':<24}{'TCP Mbit/s':>12}{'UDP Mbit/s':>12}"
               f"{'ping idle ms':>14}{'ping loaded ms':>16}")
    for path, name in paths:
        out.append(f"{name:<24}{median(path, 'tcp'):>12.1f}{median(path, 'udp'):>12.1f}"
                   f"{median(path, 'ping_idle'):>14.3f}{median(path, 'ping_loaded'):>16.3f}")
    out.append(WIREGUARD_NOTE.format(meta["wireguard_go"]))
    out.append("")

    ratios = [
        ("mlink 1 link TCP / wireguard-go", lambda r: v(r, "ml1", "tcp") / v(r, "wg", "tcp"), "x"),
        ("mlink 1 link TCP / bare veth", lambda r: v(r, "ml1", "tcp") / v(r, "bare", "tcp"), "x"),
        ("mlink 1 link UDP / wireguard-go", lambda r: v(r, "ml1", "udp") / v(r, "wg", "udp"), "x"),
        ("mlink 2 links TCP / 1 link TCP", lambda r: v(r, "ml2", "tcp") / v(r, "ml1", "tcp"), "x"),
        ("ping idle, 1 link - bare (ms)", lambda r: v(r, "ml1", "ping_idle") - v(r, "bare", "ping_idle"), "ms"),
        ("ping loaded, 1 link - bare (ms)", lambda r: v(r, "ml1", "ping_loaded") - v(r, "bare", "ping_loaded"), "ms"),
        ("ping idle, 2 links - bare (ms)", lambda r: v(r, "ml2", "ping_idle") - v(r, "bare", "ping_idle"), "ms"),
        ("ping loaded, 2 links - bare (ms)", lambda r: v(r, "ml2", "ping_loaded") - v(r, "bare", "ping_loaded"), "ms"),
        ("ping idle, 1 link / bare", lambda r: v(r, "ml1", "ping_idle") / v(r, "bare", "ping_idle"), "x"),
        ("ping loaded, 1 link / bare", lambda r: v(r, "ml1", "ping_loaded") / v(r, "bare", "ping_loaded"), "x"),
    ]
    if before:
        ratios += [
            ("1 link TCP, now / before", lambda r: v(r, "ml1", "tcp") / v(r, "old1", "tcp"), "x"),
            ("1 link UDP, now / before", lambda r: v(r, "ml1", "udp") / v(r, "old1", "udp"), "x"),
            ("2 links TCP, now / before", lambda r: v(r, "ml2", "tcp") / v(r, "old2", "tcp"), "x"),
            ("before: 1 link TCP / wireguard-go", lambda r: v(r, "old1", "tcp") / v(r, "wg", "tcp"), "x"),
            ("before: 1 link UDP / wireguard-go", lambda r: v(r, "old1", "udp") / v(r, "wg", "udp"), "x"),
            ("before: 2 links TCP / 1 link TCP", lambda r: v(r, "old2", "tcp") / v(r, "old1", "tcp"), "x"),
            ("before: ping idle, 1 link - bare", lambda r: v(r, "old1", "ping_idle") - v(r, "bare", "ping_idle"), "ms"),
            ("ping idle, 1 link, now - before", lambda r: v(r, "ml1", "ping_idle") - v(r, "old1", "ping_idle"), "ms"),
        ]
    out.append(f"{'per-round ratios':<34}" + "".join(f"{'r' + str(r):>8}" for r in range(1, rounds + 1))
               + f"{'median':>9}")
    per_round = {}
    for label, ratio, unit in ratios:
        values = [ratio(r) for r in range(1, rounds + 1)]
        per_round[label] = values
        form = "{:>8.3f}" if unit == "x" else "{:>+8.3f}"
        out.append(f"{label:<34}" + "".join(form.format(x) for x in values)
                   + form.replace(">8", ">9").format(statistics.median(values)))
    # The idle ping's differences as mean +- standard error over the rounds (scripts/bench.sh --ping for more rounds).
    idle = [label for label, _, unit in ratios if unit == "ms" and "idle" in label]
    out.append(f"idle ping, mean +- standard error over the {rounds} round(s):")
    for label in idle:
        mean, se = mean_se(per_round[label])
        out.append(f"  {label:<34}{mean:+.3f} +- {se:.3f} ms")
    out.append("")

    rate1, rate2 = number(meta, "engine_rate_1"), number(meta, "engine_rate_2")
    small, large = int(meta["callgrind_small"]), int(meta["callgrind_large"])
    per_packet = {links: (number(meta, f"callgrind_{links}_{large}") - number(meta, f"callgrind_{links}_{small}"))
                  / (large - small) for links in (1, 2)}
    allocations_ok = meta.get("allocations_status") == "0"
    out.append("protocol core alone (mlink-bench-engine: host engine -> router engine, no I/O, 1400-byte packets)")
    out.append(f"  packets/s ({meta['engine_packets']} packets): 1 link {rate1:.0f}, 2 links {rate2:.0f} "
               f"= {rate2 / rate1:.2f}x")
    if meta.get("before_engine"):
        old1, old2 = number(meta, "engine_before_rate_1"), number(meta, "engine_before_rate_2")
        out.append(f"  before ({meta['before_engine']}): 1 link {old1:.0f}, 2 links {old2:.0f} = {old2 / old1:.2f}x; "
                   f"now / before: 1 link {rate1 / old1:.2f}x, 2 links {rate2 / old2:.2f}x")
    out.append(f"  instructions per packet (callgrind, (I({large}) - I({small})) / {large - small}): "
               f"1 link {per_packet[1]:.0f}, 2 links {per_packet[2]:.0f} = {per_packet[2] / per_packet[1]:.3f}x")
    if f"callgrind_adaptive_{large}" in meta:
        adaptive = (number(meta, f"callgrind_adaptive_{large}") - number(meta, f"callgrind_adaptive_{small}")) / (large - small)
        out.append(f"  adaptive mode, 2 links ({meta.get('adaptive_plan', '')}): {adaptive:.0f} instructions per packet "
                   f"= {adaptive / per_packet[1]:.3f}x of 1 link (target <= 1.15x)")
    out.append(f"  allocation check: {meta.get('allocations_line', '')} -> "
               + ("0 allocations per packet" if allocations_ok else "FAILED"))
    if "adaptive_allocations_line" in meta:
        out.append(f"  allocation check, adaptive: {meta['adaptive_allocations_line']} -> "
                   + ("0 allocations per packet" if meta.get("adaptive_allocations_status") == "0" else "FAILED"))
    out.append("")

    if "syscalls_missing" in meta:
        out.append(f"system calls: not measured: {meta['syscalls_missing']}")
    else:
        out.append("system calls of mlink's cores on the 1-link path (perf stat, raw_syscalls:sys_enter, all threads,")
        out.append(f"a UDP run of {meta['seconds']} s with 1300-byte datagrams), per 1000 inner packets: the sender "
                   "core's per packet it read from its TUN, the receiver's per packet it wrote to its TUN")
        out.append("(from `mlink show --json`; where a build does not report them, iperf3's datagrams sent and received)")
        for label in ("fixed", "unlimited", "tcp"):
            if f"syscalls_{label}_rate" not in meta:
                continue
            rate = meta[f"syscalls_{label}_rate"]
            if rate == "tcp":
                out.append(tcp_syscalls(meta, label))
                continue
            sent, received = number(meta, f"syscalls_{label}_sent"), number(meta, f"syscalls_{label}_received")
            read = float(meta.get(f"syscalls_{label}_tun_read", sent))
            written = float(meta.get(f"syscalls_{label}_tun_written", received))
            parts = []
            for side, packets in (("sender", read), ("receiver", written)):
                total = number(meta, f"syscalls_{label}_{side}_sys_enter")
                calls = sorted(((number(meta, k), k.rsplit("sys_enter_", 1)[1]) for k in meta
                                if k.startswith(f"syscalls_{label}_{side}_sys_enter_")), reverse=True)
                detail = ", ".join(f"{name} {count * 1000 / packets:.0f}" for count, name in calls[:4] if count > 0)
                per_thousand = total * 1000 / packets if packets else float("nan")
                parts.append(f"{side} {per_thousand:.0f} ({detail})")
            rate_text = "unlimited (-b 0)" if rate == "0" else f"{rate}bit/s"
            writes = meta.get(f"syscalls_{label}_tun_writes")
            out.append(f"  {rate_text}: iperf3 sent {sent:.0f}, received {received:.0f}; TUN read {read:.0f}, "
                       f"written {written:.0f}" + (f" in {writes} writes" if writes else ""))
            out.append("    " + "; ".join(parts))
    out.append("  (counted over the run plus 0.7 s of idle timers; in parentheses the four most frequent calls)")
    out.append("")
    if "profile_sender_dso" in meta:
        out.append(f"where the CPU goes (perf record -e cpu-clock of each core during a TCP run, "
                   f"{meta.get('profile_mbits', '?')} Mbit/s; shares of that core's samples):")
        for side in ("sender", "receiver"):
            out.append(f"  {side} by object: {meta.get(f'profile_{side}_dso', '')}")
            out.append(f"  {side} top symbols:")
            for entry in meta.get(f"profile_{side}_symbols", "").split(" | "):
                if entry.strip():
                    out.append(f"    {entry.strip()}")
        out.append("")
    offloads = meta.get("offloads", "")
    out.append("offloads: " + (offloads if offloads else "none reported by this build's `mlink show`"))
    out.append("")

    def target(label, goal, values, met, show):
        measured = statistics.median(values)
        rounds_met = sum(1 for x in values if met(x))
        return (label, goal, show(measured), "yes" if met(measured) else "no", f"{rounds_met}/{len(values)}")

    x_ = lambda value: f"{value:.3f}x"
    ms = lambda value: f"{value:+.3f} ms"
    rows = [
        target("1-link TCP vs wireguard-go", ">= 4x", per_round["mlink 1 link TCP / wireguard-go"],
               lambda x: x >= 4, x_),
        target("1-link TCP vs bare veth", ">= 0.15x", per_round["mlink 1 link TCP / bare veth"],
               lambda x: x >= 0.15, x_),
        target("UDP 1300 B vs wireguard-go", ">= 2x", per_round["mlink 1 link UDP / wireguard-go"],
               lambda x: x >= 2, x_),
        target("2-link TCP vs 1-link TCP", ">= 0.9x", per_round["mlink 2 links TCP / 1 link TCP"],
               lambda x: x >= 0.9, x_),
        target("ping idle over bare (1 link)", "<= +0.06 ms", per_round["ping idle, 1 link - bare (ms)"],
               lambda x: x <= 0.06, ms),
        target("ping loaded over bare (1 link)", "<= +0.06 ms", per_round["ping loaded, 1 link - bare (ms)"],
               lambda x: x <= 0.06, ms),
        target("ping idle over bare (2 links)", "<= +0.06 ms", per_round["ping idle, 2 links - bare (ms)"],
               lambda x: x <= 0.06, ms),
        target("ping loaded over bare (2 links)", "<= +0.06 ms", per_round["ping loaded, 2 links - bare (ms)"],
               lambda x: x <= 0.06, ms),
        target("engine instructions/packet 2 vs 1", "<= 1.15x", [per_packet[2] / per_packet[1]],
               lambda x: x <= 1.15, x_),
        ("engine allocations per packet", "0", "0" if allocations_ok else "not 0", "yes" if allocations_ok else "no",
         "1/1" if allocations_ok else "0/1"),
    ]
    if f"callgrind_adaptive_{large}" in meta:  # issue 15: adaptive mode's cost per packet
        rows.append(target("engine instr./packet adaptive vs 1", "<= 1.15x", [adaptive / per_packet[1]],
                           lambda x: x <= 1.15, x_))
    out.append(f"{'target':<36}{'target':>12}{'measured':>12}{'met?':>6}{'rounds met':>12}")
    for label, goal, measured, met, rounds_met in rows:
        out.append(f"{label:<36}{goal:>12}{measured:>12}{met:>6}{rounds_met:>12}")
    out.append("(measured: the median of the per-round figures; the engine figures are one run each)")
    return out


def mean_se(values):
    """The mean and its standard error (sample standard deviation / sqrt(n); 0 for one value)."""
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.0
    return mean, se


def ping_report(results, meta):
    """bench.sh --ping: per path the idle ping's mean excess over bare veth (per round, paired), and now - before."""
    rounds = int(meta["rounds"])
    before = bool(meta.get("before"))
    paths = [p for p in PATHS + (BEFORE_PATHS if before else [])]
    for r in range(1, rounds + 1):
        for path, name in paths:
            if (r, path, "ping_idle") not in results:
                fail("the report", "a measurement is missing", f"round {r} {name} ping_idle")
    v = lambda r, path: results[(r, path, "ping_idle")]
    out = [f"mlink idle ping (scripts/bench.sh --ping), {meta['started']}-{meta['finished']} UTC, kernel {meta['kernel']}",
           f"mlink {meta['commit']}, {meta['build']}" + (f"; before: {meta['before']}" if before else ""),
           f"{rounds} round(s) of {meta['pings']} pings 2 ms apart per path, paths alternating; "
           "mean +- standard error over the rounds", ""]
    rows = [(f"{name}: avg RTT (ms)", [v(r, path) for r in range(1, rounds + 1)]) for path, name in paths]
    rows += [(f"{name} - bare (ms)", [v(r, path) - v(r, "bare") for r in range(1, rounds + 1)])
             for path, name in paths if path != "bare"]
    if before:
        rows += [("1 link, now - before (ms)", [v(r, "ml1") - v(r, "old1") for r in range(1, rounds + 1)]),
                 ("2 links, now - before (ms)", [v(r, "ml2") - v(r, "old2") for r in range(1, rounds + 1)])]
    for label, values in rows:
        mean, se = mean_se(values)
        out.append(f"  {label:<40}{mean:>+9.4f} +- {se:.4f}   (median {statistics.median(values):+.4f})")
    if before:
        now, old = (mean_se([v(r, p) - v(r, "bare") for r in range(1, rounds + 1)])[0] for p in ("ml1", "old1"))
        out.append(f"  1 link excess over bare, now / before: {now / old:.3f}x")
    return out


def tcp_syscalls(meta, label):
    """The TCP run's line: system calls per 1000 inner segments (the receiver's delivered packets) on each side."""
    segments = float(meta.get(f"syscalls_{label}_tun_written", "nan"))
    parts = []
    for side in ("sender", "receiver"):
        total = number(meta, f"syscalls_{label}_{side}_sys_enter")
        calls = sorted(((number(meta, k), k.rsplit("sys_enter_", 1)[1]) for k in meta
                        if k.startswith(f"syscalls_{label}_{side}_sys_enter_")), reverse=True)
        detail = ", ".join(f"{name} {count * 1000 / segments:.0f}" for count, name in calls[:4] if count > 0)
        parts.append(f"{side} {total * 1000 / segments:.0f} ({detail})")
    return (f"  TCP, one stream ({meta.get(f'syscalls_{label}_mbits', '?')} Mbit/s), per 1000 inner segments delivered: "
            f"{segments:.0f} segments; sender TUN reads {meta.get(f'syscalls_{label}_tun_read', '?')} "
            f"({meta.get(f'syscalls_{label}_tun_supers', '?')} TSO super-packets), receiver TUN writes "
            f"{meta.get(f'syscalls_{label}_tun_writes', '?')}\n    " + "; ".join(parts))


def write_docs(path, lines, meta):
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"

    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
    else:
        title = "# Benchmarks\n"
        if not text.startswith(title):
            fail("writing the report", "the file does not start with '# Benchmarks'", path)
        head, tail = title + "\n", text[len(title):].lstrip("\n")
    section = [
        BEGIN,
        "## Throughput: bare veth, wireguard-go and mlink over 1 and 2 links",
        f"Machine: {meta['machine']}, {meta['os']}, kernel {meta['kernel']}; {meta['started']}-{meta['finished']} "
        f"UTC; mlink {meta['commit']} ({meta['build']}).",
        "",
        "Command: `sudo scripts/bench.sh` (BENCH_ROUNDS=5, BENCH_SECONDS=5 by default; `--short` is CI's 1-round "
        "form, tests/integration/43-bench-throughput-short.sh, which checks that it runs, not the numbers). "
        "Namespaces a and b of examples/lab/pair.yaml (one veth pair: bare, Debian's wireguard-go, mlink over 1 "
        "link) and of examples/lab/pair2.yaml (two veth pairs: mlink sends every packet on both), all up at once; "
        "every round measures every path, each round starting with the next one. Both ends, iperf3 and the "
        "tunnels share the machine's cores. The targets are issue 11's; the table says what was measured.",
        "",
        *([f"Before and after in the same run: \"before\" is {meta['before']} (BENCH_BEFORE_MLINK, "
           "BENCH_BEFORE_ENGINE), run in two more labs of the same topologies and alternating with the others.", ""]
          if meta.get("before") else []),
        "```",
        *lines,
        "```",
        END,
        "",
    ]
    with open(path, "w") as f:
        f.write(head + "\n".join(section) + "\n" + tail)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--ping":
        results, meta = read(sys.argv[2], sys.argv[3])
        print("\n".join(ping_report(results, meta)))
        return
    if len(sys.argv) not in (3, 4):
        fail("bench-report.py", "usage: bench-report.py RESULTS META [DOCS]", " ".join(sys.argv[1:]))
    results, meta = read(sys.argv[1], sys.argv[2])
    lines = report(results, meta)
    print("\n".join(lines))
    if len(sys.argv) == 4 and sys.argv[3]:
        write_docs(sys.argv[3], lines, meta)
        print(f"\nwritten to {sys.argv[3]}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A real-time-like UDP stream for the lab: each datagram carries a sequence number and its send time.

All lab namespaces share one clock, so the receiver measures exact one-way delay.
  rtstream.py send HOST PORT --rate 200 --seconds 10 --size 160
  rtstream.py recv BIND PORT --seconds 12 --sent N   (prints one JSON line of statistics)
"""
import argparse, json, socket, struct, time

HEADER = struct.Struct("!Qd")


def send(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    pad = b"\0" * max(0, a.size - HEADER.size)
    interval = 1.0 / a.rate
    count = int(a.rate * a.seconds)
    start = time.time()
    for seq in range(count):
        target = start + seq * interval
        delay = target - time.time()
        if delay > 0:
            time.sleep(delay)
        try:
            s.sendto(HEADER.pack(seq, time.time()) + pad, (a.host, a.port))
        except OSError:
            pass  # a dead route counts as loss, as for a real application
    print(count)


def recv(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.bind, a.port))
    s.settimeout(0.2)
    seen, dups, delays, order = set(), 0, [], []
    end = time.time() + a.seconds
    while time.time() < end:
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        now = time.time()
        seq, sent = HEADER.unpack_from(data)
        if seq in seen:
            dups += 1
            continue
        seen.add(seq)
        order.append(seq)
        delays.append((now - sent) * 1000)
    delays.sort()
    pct = lambda p: round(delays[min(len(delays) - 1, int(p / 100 * len(delays)))], 2) if delays else None
    longest_gap, previous = 0, -1
    for seq in sorted(seen):
        longest_gap = max(longest_gap, seq - previous - 1)
        previous = seq
    reordered = sum(1 for i in range(1, len(order)) if order[i] < order[i - 1])
    late = sum(1 for d in delays if d > a.deadline)
    print(json.dumps({"received": len(seen), "sent": a.sent, "lost": a.sent - len(seen), "late": late,
                      "duplicates": dups, "reordered": reordered, "p50_ms": pct(50), "p95_ms": pct(95),
                      "p99_ms": pct(99), "max_ms": round(delays[-1], 2) if delays else None,
                      "longest_gap_packets": longest_gap}))


p = argparse.ArgumentParser()
sub = p.add_subparsers(dest="cmd", required=True)
ps = sub.add_parser("send"); ps.add_argument("host"); ps.add_argument("port", type=int)
ps.add_argument("--rate", type=float, default=200); ps.add_argument("--seconds", type=float, default=10)
ps.add_argument("--size", type=int, default=160)
pr = sub.add_parser("recv"); pr.add_argument("bind"); pr.add_argument("port", type=int)
pr.add_argument("--seconds", type=float, default=12); pr.add_argument("--sent", type=int, default=0)
pr.add_argument("--deadline", type=float, default=150)
a = p.parse_args()
send(a) if a.cmd == "send" else recv(a)

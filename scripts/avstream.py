#!/usr/bin/env python3
"""A real-time-like audio + video stream for `mlink-lab bench`, to several destinations at once.

Every datagram carries: stream (0 audio, 1 video), sequence number (per stream and destination) and its send
time, CLOCK_MONOTONIC in nanoseconds. All lab namespaces share that clock, so the receiver's one-way delay is
exact. Audio: 50 packets/s of 160 bytes (G.711, 20 ms frames). Video: 25 frames/s of 10000 bytes, each frame
sent as a burst of 8 packets of 1250 bytes (2 Mbit/s). Both start at --start-ns, so that the sender, the
receiver and the emulators' time scripts share one zero.

  avstream.py send --start-ns T0 --seconds S NAME=HOST:PORT...   (prints {"NAME": {"audio": N, "video": N}})
  avstream.py recv --start-ns T0 --seconds S --out FILE NAME=PORT...
      (writes one line per datagram: NAME STREAM SEQ SEND_NS RECV_NS)
"""
import argparse, json, os, select, socket, struct, time

HEADER = struct.Struct("!BIq")
AUDIO_INTERVAL_NS, AUDIO_SIZE = 20_000_000, 160
VIDEO_INTERVAL_NS, VIDEO_PACKETS, VIDEO_SIZE = 40_000_000, 8, 1250


def now_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def sleep_until(target):
    while True:
        left = target - now_ns()
        if left <= 0:
            return
        time.sleep(min(left, 200_000_000) / 1e9)


def send(a):
    dests = []
    for spec in a.dest:
        name, address = spec.split("=", 1)
        host, port = address.rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        dests.append((name, s, (host, int(port))))
    sent = {name: {"audio": 0, "video": 0} for name, _, _ in dests}
    end = a.start_ns + int(a.seconds * 1e9)
    next_audio, next_video = a.start_ns, a.start_ns
    pad_audio = b"\0" * (AUDIO_SIZE - HEADER.size)
    pad_video = b"\0" * (VIDEO_SIZE - HEADER.size)
    while True:
        due = min(next_audio, next_video)
        if due >= end:
            break
        sleep_until(due)
        if next_audio <= next_video:
            for name, s, target in dests:
                seq = sent[name]["audio"]
                try:
                    s.sendto(HEADER.pack(0, seq, now_ns()) + pad_audio, target)
                except OSError:
                    pass  # a dead route is loss, as for a real application
                sent[name]["audio"] = seq + 1
            next_audio += AUDIO_INTERVAL_NS
        else:
            for _ in range(VIDEO_PACKETS):
                for name, s, target in dests:
                    seq = sent[name]["video"]
                    try:
                        s.sendto(HEADER.pack(1, seq, now_ns()) + pad_video, target)
                    except OSError:
                        pass
                    sent[name]["video"] = seq + 1
            next_video += VIDEO_INTERVAL_NS
    print(json.dumps(sent))


def recv(a):
    sockets = {}
    for spec in a.port:
        name, port = spec.split("=", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind(("0.0.0.0", int(port)))
        s.setblocking(False)
        sockets[s.fileno()] = (name, s)
    end = a.start_ns + int((a.seconds + a.drain) * 1e9)
    lines = []
    poller = select.epoll()
    for fd in sockets:
        poller.register(fd, select.EPOLLIN)
    while True:
        left = end - now_ns()
        if left <= 0:
            break
        for fd, _ in poller.poll(min(left / 1e9, 0.2)):
            name, s = sockets[fd]
            while True:
                try:
                    data = s.recv(2048)
                except BlockingIOError:
                    break
                received = now_ns()
                if len(data) < HEADER.size:
                    continue
                stream, seq, sent = HEADER.unpack_from(data)
                lines.append("%s %d %d %d %d\n" % (name, stream, seq, sent, received))
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        f.writelines(lines)
    os.replace(tmp, a.out)


p = argparse.ArgumentParser()
sub = p.add_subparsers(dest="cmd", required=True)
ps = sub.add_parser("send")
ps.add_argument("--start-ns", type=int, required=True)
ps.add_argument("--seconds", type=float, required=True)
ps.add_argument("dest", nargs="+")
pr = sub.add_parser("recv")
pr.add_argument("--start-ns", type=int, required=True)
pr.add_argument("--seconds", type=float, required=True)
pr.add_argument("--drain", type=float, default=1.5)
pr.add_argument("--out", required=True)
pr.add_argument("port", nargs="+")
a = p.parse_args()
send(a) if a.cmd == "send" else recv(a)

#!/usr/bin/env python3
"""A real-time-like UDP stream whose one-way delay is measured from a send time in each payload.

The lab's hosts are network namespaces of one machine, so they share CLOCK_MONOTONIC: the receiver subtracts the
sender's timestamp from its own clock at arrival, with no clock offset to estimate.

  owd-stream.py receive ADDRESS PORT SECONDS   prints "p50 p99 max min received lost" (ms; counts); waits at most
                                               SECONDS + 3 s, and 1 s past the stream's last packet
  owd-stream.py send ADDRESS PORT COUNT RATE   sends COUNT 172-byte packets at RATE per second (a 20 ms audio frame
                                               at RATE 50) to ADDRESS:PORT
"""
import socket
import struct
import sys
import time


def receive(address, port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((address, port))
    delays, highest, seen = [], -1, set()
    end = time.monotonic() + seconds + 3
    s.settimeout(0.2)
    last_arrival = None
    while time.monotonic() < end:
        if last_arrival is not None and time.monotonic() - last_arrival > 1:
            break
        try:
            data = s.recv(2048)
        except socket.timeout:
            continue
        now = time.monotonic_ns()
        if len(data) < 12:
            continue
        sequence, sent = struct.unpack_from("<IQ", data)
        if sequence in seen:
            continue
        seen.add(sequence)
        highest = max(highest, sequence)
        delays.append((now - sent) / 1e6)
        last_arrival = time.monotonic()
    if not delays:
        print("0 0 0 0 0 0")
        return
    delays.sort()
    def at(q):
        return delays[min(len(delays) - 1, int(q * len(delays)))]
    print("%.2f %.2f %.2f %.2f %d %d" % (at(0.5), at(0.99), delays[-1], delays[0], len(delays),
                                          highest + 1 - len(delays)))


def send(address, port, count, rate):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    start = time.monotonic()
    padding = bytes(160)
    for sequence in range(count):
        wait = start + sequence / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        s.sendto(struct.pack("<IQ", sequence, time.monotonic_ns()) + padding, (address, port))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "receive":
        receive(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    elif len(sys.argv) == 6 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        sys.exit(__doc__)

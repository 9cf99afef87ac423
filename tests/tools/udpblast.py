#!/usr/bin/env python3
"""Hostile traffic for mlink's router port, for the namespace tests (never aimed outside a test namespace).

  udpblast.py replay HOST PORT CAPTURE.pcap        send every UDP payload of a capture once, from a new port
  udpblast.py flood HOST PORT COUNT CAPTURE.pcap   COUNT datagrams: random bytes (random lengths, biased towards
                                                   mlink's message types and sizes) and mutations of captured ones
Prints one JSON line: {"sent": N, "bytes": B, "seconds": S}.
"""
import json, random, socket, struct, sys, time


def udp_payloads(path):
    """The UDP payloads of an Ethernet or Linux-cooked pcap capture (IPv4 only, enough for the lab)."""
    out = []
    with open(path, "rb") as f:
        header = f.read(24)
        magic, = struct.unpack("<I", header[:4])
        endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        linktype, = struct.unpack(endian + "I", header[20:24])
        offset = {1: 14, 113: 16, 276: 20}.get(linktype, 14)
        while True:
            record = f.read(16)
            if len(record) < 16:
                break
            _, _, caplen, _ = struct.unpack(endian + "IIII", record)
            frame = f.read(caplen)
            ip = frame[offset:]
            if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            ihl = (ip[0] & 15) * 4
            out.append(bytes(ip[ihl + 8:]))
    return out


def mutate(data, rng):
    b = bytearray(data)
    kind = rng.randrange(6)
    if kind == 0 and b:
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    elif kind == 1 and b:
        b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == 2 and b:
        del b[rng.randrange(len(b)):]
    elif kind == 3:
        b += bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    elif kind == 4 and b:
        b[0] = rng.choice([1, 2, 4, 5, 6])
    elif b:
        start = rng.randrange(len(b))
        for i in range(start, min(len(b), start + 16)):
            b[i] = 0
    return bytes(b)


def random_datagram(rng):
    length = rng.choice([rng.randint(0, 1500), rng.choice([60, 64, 132, 88, 1472]), rng.randint(0, 100)])
    b = bytearray(rng.getrandbits(8) for _ in range(length))
    if b and rng.random() < 0.7:
        b[0] = rng.choice([1, 2, 4, 5, 6])
    if len(b) > 1 and rng.random() < 0.7:
        b[1] = 0
    return bytes(b)


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rng = random.Random(0x6D6C696E6B)
    start, sent, total = time.time(), 0, 0
    if mode == "replay":
        for payload in udp_payloads(sys.argv[4]):
            sock.sendto(payload, (host, port))
            sent += 1
            total += len(payload)
    elif mode == "flood":
        count = int(sys.argv[4])
        captured = udp_payloads(sys.argv[5]) if len(sys.argv) > 5 else []
        randoms = [random_datagram(rng) for _ in range(2000)]
        for i in range(count):
            if captured and i % 2:
                data = mutate(captured[rng.randrange(len(captured))], rng)
            else:
                data = randoms[i % len(randoms)] if i >= 2000 else randoms[i]
                if i >= 2000:
                    data = mutate(data, rng)
            try:
                sock.sendto(data, (host, port))
            except OSError:
                continue  # e.g. ENOBUFS: the point is the receiver, not this sender
            sent += 1
            total += len(data)
    else:
        sys.exit("usage: udpblast.py replay|flood ...")
    print(json.dumps({"sent": sent, "bytes": total, "seconds": round(time.time() - start, 2)}))


if __name__ == "__main__":
    main()

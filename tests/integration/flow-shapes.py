#!/usr/bin/env python3
"""Traffic of known shapes for the classifier's namespace test: one run of four flows, from fixed source ports.

    flow-shapes.py sink ADDRESS PORT                 accept TCP connections on PORT and drain them (until killed)
    flow-shapes.py send ADDRESS PORT BASE SECONDS    for SECONDS, from source ports BASE..BASE+3 to ADDRESS:PORT..PORT+3:
        BASE+0  RTP audio: version 2, payload type 111, 160-byte payload every 20 ms (+-2 ms), one SSRC
        BASE+1  WebRTC-like: a STUN binding request, two DTLS 1.2 handshake records, then RTP video (payload
                type 96) in 30 frames a second of 4 packets of 1000 bytes each
        BASE+2  UDP bulk: 1300-byte datagrams that look like nothing, 1000 a second
        BASE+3  TCP bulk: one connection to ADDRESS:PORT+3 sending as fast as it can
No payload byte depends on the classifier: these are the shapes applications send (RFC 3550, RFC 5389, RFC 6347).
"""
import random
import socket
import struct
import sys
import threading
import time


def rtp(sequence, timestamp, ssrc, payload_type, size):
    return struct.pack("!BBHII", 0x80, payload_type, sequence & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc) + b"\x55" * size


def stun_binding_request():
    attribute = struct.pack("!HHI", 0x0024, 4, 0x6E001EFF)  # PRIORITY
    return struct.pack("!HHI", 0x0001, len(attribute), 0x2112A442) + random.randbytes(12) + attribute


def dtls_handshake(size):
    body = random.randbytes(size)
    return struct.pack("!B H H 6s H", 22, 0xFEFD, 0, b"\0" * 6, len(body)) + body


def udp(address, source_port):
    """A sender from `source_port`; unconnected, so the far end's port unreachable does not fail the next send."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", source_port))
    return lambda data: s.sendto(data, address)


def quietly(send, data):
    try:
        send(data)
    except OSError:
        pass  # a full socket buffer: the packet is lost, as for a real application


def send(address, port, base, seconds):
    audio = udp((address, port), base)
    webrtc = udp((address, port + 1), base + 1)
    bulk = udp((address, port + 2), base + 2)
    stop = time.monotonic() + seconds

    def tcp():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", base + 3))
        s.connect((address, port + 3))
        chunk = b"\xa5" * 65536
        s.settimeout(0.5)
        while time.monotonic() < stop:
            try:
                s.send(chunk)
            except socket.timeout:
                pass
        s.close()

    thread = threading.Thread(target=tcp)
    thread.start()
    for packet in (stun_binding_request(), dtls_handshake(120), dtls_handshake(300)):
        quietly(webrtc, packet)
        time.sleep(0.01)
    ssrc_audio, ssrc_video = random.getrandbits(32), random.getrandbits(32)
    now = time.monotonic()
    next_audio, next_frame, next_bulk = now, now, now
    audio_seq = video_seq = 0
    while True:
        now = time.monotonic()
        if now >= stop:
            break
        if now >= next_audio:
            quietly(audio, rtp(audio_seq, audio_seq * 960, ssrc_audio, 111, 160))
            audio_seq += 1
            next_audio += 0.020 + random.uniform(-0.002, 0.002)
        if now >= next_frame:
            for _ in range(4):
                quietly(webrtc, rtp(video_seq, int(now * 90000), ssrc_video, 96, 1000))
                video_seq += 1
            next_frame += 1 / 30
        while next_bulk <= now:
            quietly(bulk, b"\x12\x34" + b"\0" * 1298)
            next_bulk += 0.001
        time.sleep(max(0.0, min(next_audio, next_frame, next_bulk) - time.monotonic()))
    thread.join()


def sink(address, port):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((address, port))
    server.listen(8)

    def drain(connection):
        with connection:
            while connection.recv(1 << 20):
                pass

    while True:
        connection, _ = server.accept()
        threading.Thread(target=drain, args=(connection,), daemon=True).start()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "sink":
        sink(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 6 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        sys.exit(__doc__)

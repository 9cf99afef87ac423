#!/usr/bin/env python3
"""Independent implementation of mlink wire format 3's transport sealing, written from docs/PROTOCOL.md section 9
alone: it writes transport-v3-vectors.json, which Tests/MLinkProtocolTests/TransportVectorTests.swift checks the
Swift implementation against byte for byte. Needs Python's `cryptography` (ChaCha20-Poly1305) and hashlib
(BLAKE2b); SipHash-2-4 is written out here and checked against the reference vector of its paper first."""
import hashlib, json, struct, sys
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

MASK = (1 << 64) - 1
def rotl(x, b): return ((x << b) | (x >> (64 - b))) & MASK

def siphash24(key16: bytes, data: bytes) -> bytes:
    k0, k1 = struct.unpack('<QQ', key16)
    v0, v1, v2, v3 = k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d, k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573
    def rounds(n):
        nonlocal v0, v1, v2, v3
        for _ in range(n):
            v0 = (v0 + v1) & MASK; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
            v2 = (v2 + v3) & MASK; v3 = rotl(v3, 16); v3 ^= v2
            v0 = (v0 + v3) & MASK; v3 = rotl(v3, 21); v3 ^= v0
            v2 = (v2 + v1) & MASK; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    full = len(data) // 8 * 8
    for i in range(0, full, 8):
        m, = struct.unpack('<Q', data[i:i + 8]); v3 ^= m; rounds(2); v0 ^= m
    tail = data[full:] + bytes(7 - len(data) % 8) + bytes([len(data) & 0xff])
    m, = struct.unpack('<Q', tail); v3 ^= m; rounds(2); v0 ^= m
    v2 ^= 0xff; rounds(4)
    return struct.pack('<Q', v0 ^ v1 ^ v2 ^ v3)

# SipHash paper, appendix A: key 00..0f, message 00..0e -> the 64-bit value 0xa129ca6149be45e5 (little-endian bytes)
assert struct.unpack('<Q', siphash24(bytes(range(16)), bytes(range(15))))[0] == 0xa129ca6149be45e5

def header(kind, path_id, receiver, counter, sequence):
    return struct.pack('<BBHIQI', kind, 0, path_id, receiver, counter, sequence) + bytes(8)

def seal(key, kind, receiver, counter, payload, copies):
    """copies: [(path id, path sequence)]; returns one datagram per copy."""
    copy_key = hashlib.blake2b(b'mlink copy tag', digest_size=16, key=key).digest()
    nonce = bytes(4) + struct.pack('<Q', counter)
    first = header(kind, copies[0][0], receiver, counter, copies[0][1])
    ad = first[0:2] + bytes(2) + first[4:16]
    body = ChaCha20Poly1305(key).encrypt(nonce, payload, ad)  # ciphertext || 16-byte tag
    out = []
    for path_id, sequence in copies:
        h = header(kind, path_id, receiver, counter, sequence)
        tag = siphash24(copy_key, h[0:20] + body[-16:])
        out.append(h[0:20] + tag + body)
    return copy_key, out

vectors = []
for n, (kind, length, copies) in enumerate([(4, 0, [(0x0000, 0)]), (4, 60, [(0x0001, 5), (0x0100, 9)]),
                                            (5, 24, [(0x0102, 0x01020304)]), (4, 1400, [(0x0000, 1), (0x0101, 2), (0x02ff, 3)])]):
    key = hashlib.blake2b(b'vector key %d' % n, digest_size=32).digest()
    payload = bytes((i * 13 + n) & 0xff for i in range(length))
    receiver, counter = 0x01020304 + n, 0x0000_1122_3344_5566 + n
    copy_key, datagrams = seal(key, kind, receiver, counter, payload, copies)
    vectors.append({'key': key.hex(), 'type': kind, 'receiver_index': receiver, 'counter': counter,
                    'payload': payload.hex(), 'copies': [{'path_id': p, 'path_sequence': s} for p, s in copies],
                    'copy_key': copy_key.hex(), 'datagrams': [d.hex() for d in datagrams]})
json.dump({'source': 'Tests/MLinkProtocolTests/Fixtures/transport-v3-vectors.py', 'vectors': vectors},
          open(sys.argv[1] if len(sys.argv) > 1 else 'transport-v3-vectors.json', 'w'), indent=1)

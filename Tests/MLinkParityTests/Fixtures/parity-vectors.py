#!/usr/bin/env python3
"""Independent implementation of mlink's parity coding, written from docs/PROTOCOL.md section 15 alone: GF(2^8)
with the polynomial 0x11d, Cauchy rows C[j][i] = 1 / ((k + j) XOR i), data shards length (u16 LE) || packet ||
zeros to L. Writes parity-vectors.json, which Tests/MLinkParityTests/ParityVectorTests.swift checks the Swift
implementation (ISA-L) against byte for byte. Standard library only."""
import json, random, struct

def gf_mul(a, b):
    r = 0
    while b:
        if b & 1: r ^= a
        a <<= 1
        if a & 0x100: a ^= 0x11d
        b >>= 1
    return r

def gf_inv(a):
    for x in range(1, 256):
        if gf_mul(a, x) == 1: return x
    raise ValueError(a)

assert gf_inv(2) == 0x8e and gf_inv(3) == 0xf4  # the section's example

def shards(packets):
    L = 2 + max(len(p) for p in packets)
    return L, [struct.pack('<H', len(p)) + p + bytes(L - 2 - len(p)) for p in packets]

def parity(packets, m):
    k = len(packets)
    L, data = shards(packets)
    if m == 1:
        out = bytearray(L)
        for d in data:
            for b in range(L): out[b] ^= d[b]
        return L, [bytes(out)]
    result = []
    for j in range(m):
        row = [gf_inv((k + j) ^ i) for i in range(k)]
        out = bytearray(L)
        for i, d in enumerate(data):
            for b in range(L): out[b] ^= gf_mul(row[i], d[b])
        result.append(bytes(out))
    return L, result

rng = random.Random(15)
cases = [[bytes([1, 2, 3]), bytes([0xff])]]  # the section's example, k = 2, m = 2
vectors = [{"k": 2, "m": 2, "packets": [p.hex() for p in cases[0]]}]
for k, m in [(1, 1), (3, 1), (4, 2), (5, 3), (8, 4)]:
    packets = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))) for _ in range(k)]
    vectors.append({"k": k, "m": m, "packets": [p.hex() for p in packets]})
for v in vectors:
    L, ps = parity([bytes.fromhex(p) for p in v["packets"]], v["m"])
    v["shard_length"] = L
    v["parity"] = [p.hex() for p in ps]
print(json.dumps(vectors[0]["parity"]))
with open(__file__.replace('.py', '.json'), 'w') as f:
    json.dump(vectors, f, indent=1)

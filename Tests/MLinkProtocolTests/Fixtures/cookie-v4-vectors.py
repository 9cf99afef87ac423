#!/usr/bin/env python3
"""Independent implementation of mlink wire format 4's cookies (docs/PROTOCOL.md section 5.2), written from the
document alone: it writes cookie-v4-vectors.json, which Tests/MLinkProtocolTests/CookieVectorTests.swift checks the
Swift implementation against byte for byte. Needs Python's `cryptography` (ChaCha20-Poly1305) and hashlib
(BLAKE2b); HChaCha20 (the XChaCha20 subkey) is written out here and checked against its draft's vector first."""
import hashlib, ipaddress, json, struct, sys
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

def rotl32(x, b): return ((x << b) | (x >> (32 - b))) & 0xffffffff

def hchacha20(key: bytes, nonce16: bytes) -> bytes:
    s = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] + list(struct.unpack('<8I', key)) + list(struct.unpack('<4I', nonce16))
    def qr(a, b, c, d):
        s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl32(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl32(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl32(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl32(s[b] ^ s[c], 7)
    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return struct.pack('<8I', *(s[0:4] + s[12:16]))

# draft-irtf-cfrg-xchacha, section 2.2.1: key 00..1f, nonce 000000090000004a0000000031415927
assert hchacha20(bytes(range(32)), bytes.fromhex('000000090000004a0000000031415927')).hex() == \
    '82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc', 'HChaCha20 disagrees with its draft'

def xchacha20poly1305_seal(key: bytes, nonce24: bytes, plaintext: bytes, ad: bytes) -> bytes:
    subkey = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(subkey).encrypt(bytes(4) + nonce24[16:], plaintext, ad)

def b2b(data: bytes, size: int, key: bytes = b'') -> bytes:
    return hashlib.blake2b(data, digest_size=size, key=key).digest()

def vector(n: int, source: str, port: int, path_id: int):
    label = lambda what: b2b(f'cookie vector {n} {what}'.encode(), 32)
    router_public = label('router public key')
    secret = label('secret')
    nonce = label('nonce')[:24]
    source_bytes = ipaddress.ip_address(source).packed + struct.pack('>H', port)
    cookie = b2b(source_bytes, 16, secret)
    cookie_key = b2b(b'mlink cookie' + router_public, 32)
    # An initiation: type 1, 0, path id (LE), a Noise message (any 112 bytes here), mac1, mac2.
    body = (b2b(f'cookie vector {n} noise'.encode(), 64) + b2b(f'cookie vector {n} noise 2'.encode(), 48))
    initiation = bytes([1, 0]) + struct.pack('<H', path_id) + body
    mac1 = b2b(initiation[4:116], 16, b2b(b'mlink mac1' + router_public, 32))
    initiation += mac1
    mac2 = b2b(initiation[4:132], 16, cookie)
    initiation += mac2
    assert len(initiation) == 148
    reply = bytes([3, 0]) + struct.pack('<H', 0x0100) + nonce + xchacha20poly1305_seal(cookie_key, nonce, cookie, mac1)
    assert len(reply) == 60
    return {'router_public_key': router_public.hex(), 'secret': secret.hex(), 'source': source, 'port': port,
            'cookie': cookie.hex(), 'cookie_key': cookie_key.hex(), 'initiation_without_mac2': initiation[:132].hex(),
            'mac2': mac2.hex(), 'nonce': nonce.hex(), 'reply': reply.hex()}

vectors = [vector(1, '192.0.2.7', 40000, 0x0000), vector(2, '2001:db8::42', 51820, 0x0101),
           vector(3, '10.1.2.3', 7, 0x0200)]
out = sys.argv[1] if len(sys.argv) > 1 else __file__.replace('.py', '.json')
with open(out, 'w') as f:
    json.dump({'source': 'docs/PROTOCOL.md section 5.2, by cookie-v4-vectors.py', 'vectors': vectors}, f, indent=1)
    f.write('\n')

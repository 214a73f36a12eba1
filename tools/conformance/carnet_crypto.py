"""The published primitives the SPEC names, in plain Python (standard library only).

Python's library has SHA-256, HMAC and HKDF's pieces but not ChaCha20-Poly1305, X25519 or
Ed25519. They are written here from their RFCs (8439, 7748, 8032) so that the session
vector (§8), sealed bundles (§6.4) and signed heads (§9) can be checked with nothing
installed. Slow and not constant-time: for checking files, never for keeping secrets.
"""

import hashlib
import hmac
import struct


# ---------------------------------------------------------------- RFC 5869 HKDF

def hkdf_sha256(ikm, salt, info, length):
    """RFC 5869 extract-then-expand (the psk of §8.2 and the bundle key of §6.4)."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block = b"", b""
    counter = 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


# ---------------------------------------------------------------- RFC 8439 ChaCha20-Poly1305

def _rotl(value, shift):
    return ((value << shift) | (value >> (32 - shift))) & 0xFFFFFFFF


def _quarter(state, a, b, c, d):
    state[a] = (state[a] + state[b]) & 0xFFFFFFFF
    state[d] = _rotl(state[d] ^ state[a], 16)
    state[c] = (state[c] + state[d]) & 0xFFFFFFFF
    state[b] = _rotl(state[b] ^ state[c], 12)
    state[a] = (state[a] + state[b]) & 0xFFFFFFFF
    state[d] = _rotl(state[d] ^ state[a], 8)
    state[c] = (state[c] + state[d]) & 0xFFFFFFFF
    state[b] = _rotl(state[b] ^ state[c], 7)


def chacha20_block(key, counter, nonce):
    """RFC 8439 §2.3: one 64-byte keystream block (also the Poly1305 one-time key)."""
    initial = list(struct.unpack("<4I", b"expand 32-byte k") + struct.unpack("<8I", key)
                   + (counter,) + struct.unpack("<3I", nonce))
    state = initial[:]
    for _ in range(10):
        _quarter(state, 0, 4, 8, 12)
        _quarter(state, 1, 5, 9, 13)
        _quarter(state, 2, 6, 10, 14)
        _quarter(state, 3, 7, 11, 15)
        _quarter(state, 0, 5, 10, 15)
        _quarter(state, 1, 6, 11, 12)
        _quarter(state, 2, 7, 8, 13)
        _quarter(state, 3, 4, 9, 14)
    return struct.pack("<16I", *((s + i) & 0xFFFFFFFF for s, i in zip(state, initial)))


def chacha20(key, counter, nonce, data):
    out = bytearray()
    for offset in range(0, len(data), 64):
        stream = chacha20_block(key, counter + offset // 64, nonce)
        out += bytes(x ^ y for x, y in zip(data[offset:offset + 64], stream))
    return bytes(out)


def poly1305(key, message):
    """RFC 8439 §2.5: the one-time authenticator under a 32-byte key."""
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key[16:], "little")
    p = (1 << 130) - 5
    accumulator = 0
    for offset in range(0, len(message), 16):
        block = message[offset:offset + 16] + b"\x01"
        accumulator = (accumulator + int.from_bytes(block, "little")) * r % p
    return ((accumulator + s) & ((1 << 128) - 1)).to_bytes(16, "little")


def _aead_tag(key, nonce, aad, ciphertext):
    one_time = chacha20_block(key, 0, nonce)[:32]
    pad = lambda data: data + bytes(-len(data) % 16)  # noqa: E731
    mac_data = pad(aad) + pad(ciphertext) + struct.pack("<QQ", len(aad), len(ciphertext))
    return poly1305(one_time, mac_data)


def aead_encrypt(key, nonce, aad, plaintext):
    ciphertext = chacha20(key, 1, nonce, plaintext)
    return ciphertext + _aead_tag(key, nonce, aad, ciphertext)


def aead_decrypt(key, nonce, aad, sealed):
    """The plaintext, or None when the tag does not match."""
    if len(sealed) < 16:
        return None
    ciphertext, tag = sealed[:-16], sealed[-16:]
    if not hmac.compare_digest(_aead_tag(key, nonce, aad, ciphertext), tag):
        return None
    return chacha20(key, 1, nonce, ciphertext)


# ---------------------------------------------------------------- RFC 7748 X25519

P25519 = (1 << 255) - 19


def x25519(scalar, u_bytes):
    """RFC 7748 §5: the Montgomery ladder with the clamped scalar (Noise's DH, §8.2)."""
    k = bytearray(scalar)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    k = int.from_bytes(k, "little")
    u = int.from_bytes(u_bytes, "little") & ((1 << 255) - 1)
    x1, x2, z2, x3, z3, swap = u, 1, 0, u, 1, 0
    for t in reversed(range(255)):
        bit = (k >> t) & 1
        swap ^= bit
        if swap:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = bit
        a, b = (x2 + z2) % P25519, (x2 - z2) % P25519
        aa, bb = a * a % P25519, b * b % P25519
        e = (aa - bb) % P25519
        c, d = (x3 + z3) % P25519, (x3 - z3) % P25519
        da, cb = d * a % P25519, c * b % P25519
        x3 = (da + cb) ** 2 % P25519
        z3 = x1 * (da - cb) ** 2 % P25519
        x2 = aa * bb % P25519
        z2 = e * (aa + 121665 * e) % P25519
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, P25519 - 2, P25519) % P25519).to_bytes(32, "little")


def x25519_public(scalar):
    return x25519(scalar, (9).to_bytes(32, "little"))


# ---------------------------------------------------------------- RFC 8032 Ed25519

_D = -121665 * pow(121666, P25519 - 2, P25519) % P25519
_L = (1 << 252) + 27742317777372353535851937790883648493
_SQRT_M1 = pow(2, (P25519 - 1) // 4, P25519)


def _point_add(p, q):
    a = (p[1] - p[0]) * (q[1] - q[0]) % P25519
    b = (p[1] + p[0]) * (q[1] + q[0]) % P25519
    c = 2 * p[3] * q[3] * _D % P25519
    d = 2 * p[2] * q[2] % P25519
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P25519, g * h % P25519, f * g % P25519, e * h % P25519)


def _point_mul(scalar, point):
    result = (0, 1, 1, 0)
    while scalar:
        if scalar & 1:
            result = _point_add(result, point)
        point = _point_add(point, point)
        scalar >>= 1
    return result


def _point_equal(p, q):
    return ((p[0] * q[2] - q[0] * p[2]) % P25519 == 0
            and (p[1] * q[2] - q[1] * p[2]) % P25519 == 0)


def _recover_x(y, sign):
    if y >= P25519:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, P25519 - 2, P25519) % P25519
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P25519 + 3) // 8, P25519)
    if (x * x - x2) % P25519:
        x = x * _SQRT_M1 % P25519
    if (x * x - x2) % P25519:
        return None
    if (x & 1) != sign:
        x = P25519 - x
    return x


def _decompress(data):
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P25519)


_G = (lambda y: (_recover_x(y, 0), y, 1, _recover_x(y, 0) * y % P25519))(
    4 * pow(5, P25519 - 2, P25519) % P25519)


def _compress(point):
    inverse = pow(point[2], P25519 - 2, P25519)
    x, y = point[0] * inverse % P25519, point[1] * inverse % P25519
    return (y | (x & 1) << 255).to_bytes(32, "little")


def _expand_seed(seed):
    """RFC 8032 §5.1.5: the clamped secret scalar and the prefix of a 32-byte seed."""
    digest = hashlib.sha512(seed).digest()
    scalar = bytearray(digest[:32])
    scalar[0] &= 248
    scalar[31] &= 127
    scalar[31] |= 64
    return int.from_bytes(scalar, "little"), digest[32:]


def ed25519_public(seed):
    """RFC 8032 §5.1.5: the public key of a 32-byte seed."""
    return _compress(_point_mul(_expand_seed(seed)[0], _G))


def ed25519_sign(seed, message):
    """RFC 8032 §5.1.6: the signature of `message` by the key of a 32-byte seed."""
    scalar, prefix = _expand_seed(seed)
    public = _compress(_point_mul(scalar, _G))
    r = int.from_bytes(hashlib.sha512(prefix + message).digest(), "little") % _L
    big_r = _compress(_point_mul(r, _G))
    k = int.from_bytes(hashlib.sha512(big_r + public + message).digest(), "little") % _L
    return big_r + ((r + k * scalar) % _L).to_bytes(32, "little")


def ed25519_verify(public, message, signature):
    """RFC 8032 §5.1.7: True when `signature` is `public`'s over `message`."""
    if len(public) != 32 or len(signature) != 64:
        return False
    a = _decompress(public)
    r = _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % _L
    return _point_equal(_point_mul(s, _G), _point_add(r, _point_mul(k, a)))


# ---------------------------------------------------------------- Noise (revision 34)

class NoiseSymmetric:
    """The SymmetricState of the Noise spec (§5.2) with ChaChaPoly and SHA256."""

    def __init__(self, protocol_name):
        name = protocol_name.encode()
        self.h = name.ljust(32, b"\x00") if len(name) <= 32 else hashlib.sha256(name).digest()
        self.ck = self.h
        self.k, self.n = None, 0

    def mix_hash(self, data):
        self.h = hashlib.sha256(self.h + data).digest()

    def _hkdf(self, ikm, outputs):
        temp = hmac.new(self.ck, ikm, hashlib.sha256).digest()
        out, previous = [], b""
        for index in range(1, outputs + 1):
            previous = hmac.new(temp, previous + bytes([index]), hashlib.sha256).digest()
            out.append(previous)
        return out

    def mix_key(self, ikm):
        self.ck, self.k = self._hkdf(ikm, 2)
        self.n = 0

    def mix_key_and_hash(self, ikm):
        self.ck, temp_h, self.k = self._hkdf(ikm, 3)
        self.mix_hash(temp_h)
        self.n = 0

    def encrypt_and_hash(self, plaintext):
        sealed = aead_encrypt(self.k, noise_nonce(self.n), self.h, plaintext)
        self.n += 1
        self.mix_hash(sealed)
        return sealed

    def decrypt_and_hash(self, sealed):
        plaintext = aead_decrypt(self.k, noise_nonce(self.n), self.h, sealed)
        if plaintext is None:
            return None
        self.n += 1
        self.mix_hash(sealed)
        return plaintext

    def split(self):
        return self._hkdf(b"", 2)


def noise_nonce(n):
    """Noise's ChaChaPoly nonce: 32 zero bits then the counter as u64le."""
    return bytes(4) + struct.pack("<Q", n)

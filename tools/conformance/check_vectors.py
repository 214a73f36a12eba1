#!/usr/bin/env python3
"""Conformance check: decode Carnet's golden vectors and fixtures with a decoder written
from protocol/SPEC.md alone, and compare every value they state.

Issue 22: every format Carnet has written must stay readable from protocol/ without its
code. This script is that claim, run: if it passes, the SPEC was enough to read the
vectors. Exit status 0 when every check passes, 1 on any mismatch.

    python3 tools/conformance/check_vectors.py [--protocol DIR] [-v]
"""

import argparse
import hashlib
import json
import os
import re
import sys

sys.dont_write_bytecode = True  # leave no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import carnet_crypto as cc  # noqa: E402
import carnet_encode  # noqa: E402
import carnet_format as cf  # noqa: E402


class Report:
    """Counts checks per section and keeps every failure, so one run shows them all."""

    def __init__(self, verbose):
        self.verbose = verbose
        self.counts = {}
        self.failures = []
        self.section = "?"

    def check(self, condition, what):
        """Count one check; print and keep it if it failed."""
        self.counts[self.section] = self.counts.get(self.section, 0) + 1
        if not condition:
            self.failures.append(f"[{self.section}] {what}")
            print(f"  FAIL {what}")
        elif self.verbose:
            print(f"  ok   {what}")
        return condition

    def equal(self, found, expected, what):
        if found == expected:
            return self.check(True, what)
        shown = [value.hex() if isinstance(value, bytes) else value for value in (found, expected)]
        return self.check(False, f"{what}: found {shown[0]!r}, expected {shown[1]!r}")

    def error(self, what):
        self.check(False, what)


# ---------------------------------------------------------------- events-v1.txt

def parse_event_vectors(path):
    """events-v1.txt: `event NODE:SEQ`, `canonical HEX`, `hash HEX` blocks, then `batch HEX`."""
    events, batch = [], None
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, _, value = line.partition(" ")
            if key == "event":
                node, _, seq = value.partition(":")
                events.append({"node": node, "seq": int(seq)})
            elif key in ("canonical", "hash"):
                events[-1][key] = bytes.fromhex(value)
            elif key == "batch":
                batch = bytes.fromhex(value)
            else:
                raise ValueError(f"{path}: unknown line {key!r}")
    return events, batch


def decode_canonical(data):
    """Parse `canonical-event` (§2.1) back into an Event: the grammar read the other way."""
    reader = cf.Reader(data)
    if reader.raw(4) != b"CEv1":
        raise cf.FormatError("canonical bytes do not start with CEv1")
    node, seq = reader.node(), reader.varint()
    physical, logical, previous = reader.varint(), reader.varint(), reader.digest()
    kind = reader.u8()
    if kind == 0:
        rtype, record, field = reader.string_bytes(), reader.string_bytes(), reader.string_bytes()
        value = read_canonical_value(reader)
        ids = [(reader.node(), reader.varint(), reader.digest()) for _ in range(reader.varint())]
        op = ("assign", rtype, record, field, value, ids)
    elif kind == 1:
        entry_id, entry_kind = reader.string_bytes(), reader.string_bytes()
        fields = [(reader.string_bytes(), read_canonical_value(reader))
                  for _ in range(reader.varint())]
        op = ("append", entry_id, entry_kind, fields)
    else:
        raise cf.FormatError(f"operation byte {kind}")
    if not reader.at_end():
        raise cf.FormatError("trailing bytes after the canonical event")
    return cf.Event(node, seq, physical, logical, previous, op)


def read_canonical_value(reader):
    """`value` of §2.1, read back from canonical bytes."""
    tag = reader.u8()
    if tag in (0, 3):
        return cf.Value(tag, reader.svarint())
    if tag == 1:
        return cf.Value(1, reader.string_bytes())
    if tag == 2:
        byte = reader.u8()
        if byte > 1:
            raise cf.FormatError("boolean byte")
        return cf.Value(2, byte == 1)
    raise cf.FormatError(f"value tag {tag}")


def check_event_vectors(report, path):
    """Each event's canonical bytes hash to its hash; the batch decodes to exactly those
    events (same canonical bytes, same hashes); a fresh encoder re-makes the batch."""
    report.section = "events-v1"
    print(f"{path}:")
    vectors, batch = parse_event_vectors(path)
    for vector in vectors:
        name = f"{vector['node']}:{vector['seq']}"
        report.equal(hashlib.sha256(vector["canonical"]).digest().hex(), vector["hash"].hex(),
                     f"{name} SHA-256 of the canonical bytes is the stated hash")
        try:
            event = decode_canonical(vector["canonical"])
        except cf.FormatError as error:
            report.error(f"{name} canonical bytes do not parse: {error}")
            continue
        report.equal((event.node.hex(), event.seq), (vector["node"], vector["seq"]),
                     f"{name} canonical bytes name its dot")
        report.equal(event.canonical(), vector["canonical"],
                     f"{name} canonical bytes re-encode byte for byte")
    try:
        version, events, runs, heads = cf.decode_batch(batch)
    except cf.FormatError as error:
        report.error(f"the batch does not decode: {error}")
        return
    report.equal((version, len(events)), (1, len(vectors)), "batch version and event count")
    for event, vector in zip(events, vectors):
        name = f"{vector['node']}:{vector['seq']}"
        report.equal((event.node.hex(), event.seq), (vector["node"], vector["seq"]),
                     f"batch event {name} in order")
        report.equal(event.canonical(), vector["canonical"], f"batch event {name} canonical bytes")
        report.equal(event.hash, vector["hash"], f"batch event {name} hash")
        if report.verbose:
            print("       " + json.dumps(event.to_json(), ensure_ascii=False))
    check_reencode(report, events, batch, "events-v1 batch")


def check_reencode(report, events, batch, what, version=1, heads=()):
    """The encoder rules of §3 and §3.1 are binding (primed batches need them): a fresh
    encoder written from them must make the vector's bytes."""
    report.equal(carnet_encode.encode_batch(events, version, heads).hex(), batch.hex(),
                 f"{what} re-encoded from the spec's encoder rules")


def reencode_payload(report, payload, what):
    """Decode a batch Carnet wrote and check the encoder rules re-make it byte for byte."""
    version, events, runs, heads = cf.decode_batch(payload)
    signed = [(runs[index][-1].id(), signature) for index, signature in heads]
    check_reencode(report, events, payload, what, version, signed)
    return events


# ---------------------------------------------------------------- state-digest-v3.txt

def check_digest_vectors(report, path):
    """state-digest-v3.txt: each batch decoded (§3) and delivered after those above it;
    the `state` bytes and the `digest` (§5) of everything delivered so far; a delivery
    changes the digest exactly when it changes the accepted events (§4); and every event
    delivered again in reverse order gives the last digest."""
    report.section = "state-digest-v3"
    print(f"{path}:")
    steps = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            word, _, rest = line.strip().partition(" ")
            if word == "batch":
                steps.append({"batch": bytes.fromhex(rest)})
            elif word in ("state", "digest"):
                steps[-1][word] = bytes.fromhex(rest)
            elif word == "fixture":
                version, digest3, digest2 = rest.split()
                store = os.path.join(os.path.dirname(path), "..", "fixtures", version, "store")
                fixture, _ = check_log(report, os.path.join(store, "events.log"))
                if fixture is not None:
                    report.equal(fixture.state_digest().hex(), digest3, f"fixtures/{version}: version-3 digest of its log")
                    report.equal(fixture.state_digest(version=2).hex(), digest2, f"fixtures/{version}: version-2 digest of its log")
    report.check(len(steps) >= 2, f"{len(steps)} deliveries")
    replica = cf.Replica()
    delivered = []
    previous = (set(), None)
    for number, step in enumerate(steps, 1):
        events = cf.decode_batch(step["batch"])[1]
        delivered.append(events)
        replica.add(events)
        report.check(step["state"].startswith(b"carnet-state/3"), f"delivery {number}: the bytes begin with \"carnet-state/3\"")
        report.equal(hashlib.sha256(step["state"]).digest(), step["digest"], f"delivery {number}: digest = SHA-256 of the stated bytes")
        report.equal(replica.state_digest(), step["digest"], f"delivery {number}: state digest (§5, version 3) recomputed")
        accepted = set(replica.accepted())
        if previous[1] is not None:
            report.equal(step["digest"] != previous[1], accepted != previous[0],
                         f"delivery {number}: the digest changes exactly when the accepted events do")
        previous = (accepted, step["digest"])
    backwards = cf.Replica()
    for events in reversed(delivered):
        backwards.add(list(reversed(events)))
    report.equal(backwards.state_digest(), steps[-1]["digest"], "every event in reverse order: the same digest")


# ---------------------------------------------------------------- fixtures (v1 store, bundles)

def check_fixtures(report, directory):
    """protocol/fixtures/vN: the store's log and status file, its bundles, and the JSON
    that the real binary wrote about them."""
    report.section = f"fixtures/{os.path.basename(directory)}"
    print(f"{directory}:")
    store = os.path.join(directory, "store")
    replica, records = check_log(report, os.path.join(store, "events.log"))
    if replica is None:
        return
    verify = load_json(os.path.join(directory, "verify.json"))
    status_json = load_json(os.path.join(directory, "status.json"))
    accepted = replica.accepted()
    # The JSON states the digest of the build that made the fixture: version 2 (§5) before
    # "carnet-state/3", when the status file it wrote was of version 1 (§6.3).
    status_path = os.path.join(store, "status")
    digest_version = 3
    if os.path.exists(status_path):
        with open(status_path, "rb") as handle:
            digest_version = cf.read_status(handle.read())["digestVersion"]
    digest = replica.state_digest(digest_version).hex()
    if verify:
        report.equal(digest, verify["digest"], f"state digest (§5, version {digest_version}) of the log's events = verify.json")
        report.equal(len(accepted), verify["log"]["events"], "accepted events = verify.json")
        report.equal(len(records), verify["log"]["records"], "log records = verify.json")
        report.equal(len(replica.rejected), verify["log"]["rejectedEvents"],
                     "rejected events (seq 1 with a previous hash, §4) = verify.json")
    if status_json:
        report.equal(digest, status_json["digest"], f"state digest (version {digest_version}) = status.json")
        vector = {n.hex(): seq for n, seq, _ in replica.summary()}
        report.equal(vector, status_json["versionVector"], "version vector = status.json")
        report.equal(replica.forks(), status_json["forks"], "fork points = status.json")
    check_status_file(report, os.path.join(store, "status"), replica, status_json,
                      os.path.getsize(os.path.join(store, "events.log")), records)
    check_conflicts(report, os.path.join(directory, "conflicts.json"), replica)
    node_file = os.path.join(store, "node")
    if os.path.exists(node_file):
        check_node_file(report, node_file, status_json)
    bundled = cf.Replica()
    for name in sorted(os.listdir(directory)):
        if name.endswith(".bundle"):
            bundled.add(check_bundle(report, os.path.join(directory, name)))
    if bundled.held:
        missing = set(bundled.held) - set(replica.held)
        report.equal(len(missing), 0, "every bundled event is in the store that applied them")


def load_json(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def check_log(report, path):
    """§6: every record sound and a batch; returns the replica and the records."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        records, stop = cf.read_log(data)
    except cf.FormatError as error:
        report.error(f"{path}: {error}")
        return None, []
    report.equal(stop, None, f"{os.path.basename(path)}: every record sound (framing, CRC-32C)")
    replica = cf.Replica()
    for offset, payload in records:
        try:
            _, events, _, _ = cf.decode_batch(payload)
        except cf.FormatError as error:
            report.error(f"log record at {offset} does not decode: {error}")
            continue
        report.check(True, f"log record at {offset}: {len(events)} events")
        reencode_payload(report, payload, f"log record at {offset}")
        replica.add(events)
    return replica, records


def check_status_file(report, path, replica, status_json, log_size, records):
    """§6.3: the status file states what the log's events give."""
    if not os.path.exists(path):
        return
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        status = cf.read_status(data)
    except cf.FormatError as error:
        report.error(f"status file: {error}")
        return
    stamp = status["stamp"]
    last_offset, last_payload = records[-1] if records else (0, b"")
    report.equal(stamp["size"], log_size, "status stamp size = the log's size (§6.1)")
    report.equal(stamp["last"], last_offset, "status stamp's last record offset")
    if records:
        with open(os.path.join(os.path.dirname(path), "events.log"), "rb") as handle:
            handle.seek(last_offset + 4)
            stored_crc = int.from_bytes(handle.read(4), "big")
        report.equal(stamp["crc"], stored_crc, "status stamp's CRC = the last record's")
    report.equal(status["events"], len(replica.accepted()), "status events = accepted events")
    report.equal(status["digest"], replica.state_digest(status["digestVersion"]),
                 f"status digest = recomputed state digest (§5 version {status['digestVersion']}, "
                 f"status file version {status['version']}, §6.3)")
    report.equal(status["forks"], replica.forks(), "status forks = recomputed fork points")
    report.equal(status["summary"], replica.summary(), "status summary = recomputed summary (§4.2)")
    report.equal(cf.encode_summary(status["summary"]), cf.encode_summary(replica.summary()),
                 "status summary bytes = the recomputed summary's encoding")
    if status_json:
        report.equal(status["figures"].get("conflicts"), status_json["conflicts"],
                     "status figure `conflicts` = status.json")
        report.equal(status["pending"], status_json["pending"], "status pending = status.json")
    report.equal(status["pending"], len(replica.held) - len(replica.accepted()),
                 "status pending = recomputed pending events (§4)")


def check_conflicts(report, path, replica):
    """conflicts.json's field conflicts are registers with several visible values (§2.2)."""
    conflicts = load_json(path)
    if conflicts is None:
        return
    registers = replica.visible_registers()
    for conflict in conflicts:
        if conflict.get("kind") != "field":
            continue
        rtype, _, rest = conflict["subject"].partition("/")
        record, _, field = rest.rpartition(".")
        key = (rtype.encode(), record.encode(), field.encode())
        values = registers.get(key, [])
        found = [(e.label(), e.op[4].to_json()) for e in values]
        expected = [(v["event"], v["value"]) for v in conflict["values"]]
        report.equal(found, expected, f"visible values of {conflict['subject']} (§2.2)")


def check_node_file(report, path, status_json):
    """§7: the node file's grammar, and its node and ledger against status.json."""
    with open(path, "rb") as handle:
        lines = [line[:-1] if line.endswith(b"\r") else line for line in handle.read().split(b"\n")]
    report.check(lines[0] in (b"carnet-node 1", b"carnet-node 2"), "node file first line")
    values = {}
    for line in lines[1:]:
        if line:
            key, space, value = line.partition(b" ")
            report.check(bool(space), f"node file line {line!r} has a space")
            values[key.decode()] = value.decode()
    if status_json:
        report.equal(values.get("node"), status_json["node"], "node file's node = status.json")
        report.equal(values.get("ledger"), status_json["ledger"], "node file's ledger = status.json")
        report.equal(values.get("label", ""), status_json["label"], "node file's label = status.json")


def check_bundle(report, path):
    """§6.4 format 1: checksum, body, every chunk a batch of its stated count."""
    with open(path, "rb") as handle:
        data = handle.read()
    name = os.path.basename(path)
    try:
        body = cf.read_bundle_v1(data)
    except cf.FormatError as error:
        report.error(f"{name}: {error}")
        return []
    events = [e for _, chunk, _, _ in body["chunks"] for e in chunk]
    report.check(True, f"{name}: ledger {body['ledger']!r}, creator {body['creator'].hex()} "
                       f"({body['label']}), {len(body['chunks'])} chunks, {len(events)} events")
    report.check(all(v == 1 for v, _, _, _ in body["chunks"]), f"{name}: batches of version 1")
    for index, (_, _, _, payload) in enumerate(body["chunks"]):
        reencode_payload(report, payload, f"{name} chunk {index}")
    return events


# ---------------------------------------------------------------- primitives (RFC vectors)

# RFC 8032 §7.1, tests 1-3: secret key (seed), public key, message, signature.
ED25519_TESTS = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]


def check_primitives(report):
    """carnet_crypto.py's primitives against their RFCs' own test vectors, so that a
    session or bundle mismatch cannot be a bug of this checker's crypto."""
    report.section = "primitives"
    key = bytes(range(0x80, 0xA0))
    nonce = bytes.fromhex("070000004041424344454647")
    aad = bytes.fromhex("50515253c0c1c2c3c4c5c6c7")
    text = (b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip "
            b"for the future, sunscreen would be it.")
    sealed = cc.aead_encrypt(key, nonce, aad, text)
    report.equal(sealed[-16:].hex(), "1ae10b594f09e26a7e902ecbd0600691", "ChaCha20-Poly1305 tag (RFC 8439 §2.8.2)")
    report.equal(cc.aead_decrypt(key, nonce, aad, sealed), text, "ChaCha20-Poly1305 opens (RFC 8439 §2.8.2)")
    report.equal(cc.x25519(
        bytes.fromhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
        bytes.fromhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")).hex(),
        "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552", "X25519 (RFC 7748 §5.2)")
    for test, (seed, public, message, signature) in enumerate(ED25519_TESTS, 1):
        seed, public, message, signature = (bytes.fromhex(x) for x in (seed, public, message, signature))
        report.equal(cc.ed25519_public(seed), public, f"Ed25519 public key of a seed (RFC 8032 §7.1 test {test})")
        report.equal(cc.ed25519_sign(seed, message), signature, f"Ed25519 signs (RFC 8032 §7.1 test {test})")
        report.check(cc.ed25519_verify(public, message, signature), f"Ed25519 verifies (RFC 8032 §7.1 test {test})")
        report.check(not cc.ed25519_verify(public, message + b"x", signature), "Ed25519 refuses another message")
    report.equal(cc.hkdf_sha256(bytes([0x0B] * 22), bytes(range(13)), bytes(range(0xF0, 0xFA)), 42).hex(),
                 "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
                 "HKDF-SHA256 (RFC 5869 A.1)")
    report.equal(hex(cf.crc32c(b"123456789")), "0xe3069283", "CRC-32C check value (§6)")


# ---------------------------------------------------------------- session-v2.txt (inner messages)

def parse_session_vectors(path):
    """session-v2.txt: `side kind:HEX [=inner:HEX]` items, one line per write."""
    writes = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            side, _, rest = line.partition(" ")
            frames = []
            for item in rest.split(" "):
                if item.startswith("=inner:"):
                    frames[-1]["inner"] = bytes.fromhex(item[len("=inner:"):])
                else:
                    kind, _, hexdata = item.partition(":")
                    frames.append({"kind": kind, "bytes": bytes.fromhex(hexdata)})
            writes.append((side, frames))
    return writes


FRAME_TYPES = {"handshake1": 16, "handshake2": 17, "sealed": 18}


def check_session_vectors(report, path):
    """Framing (§8.1) of every frame, the Noise handshake and SEALED frames (§8.1, §8.2)
    replayed from the stated secret and ephemeral keys, and the inner messages (§8.1,
    §4.3, §3) they carry."""
    report.section = "session-v2"
    print(f"{path}:")
    writes = parse_session_vectors(path)
    sent = {"dialer": [], "listener": []}
    for side, frames in writes:
        for frame in frames:
            reader = cf.Reader(frame["bytes"])
            length, ftype = reader.u32be(), reader.u8()
            report.equal(length, len(frame["bytes"]) - 4, f"{side} {frame['kind']} frame length")
            report.equal(ftype, FRAME_TYPES[frame["kind"]], f"{side} {frame['kind']} frame type")
            if "inner" in frame:
                report.equal(len(frame["inner"]) + 16, length - 1,
                             f"{side} sealed frame = inner message + 16-byte tag")
                try:
                    sent[side].append(decode_inner(frame["inner"]))
                except cf.FormatError as error:
                    report.error(f"{side} inner message does not decode: {error}")
    replay_noise(report, path, writes, sent)
    for side, messages in sent.items():
        check_session_side(report, side, messages)


def parse_session_keys(path):
    """The secret, psk, ephemeral keys and clock the vector's comments state."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    found = {
        "secret": re.search(r"# secret ([0-9a-f]{64})", text),
        "psk": re.search(r"psk ([0-9a-f]{64})", text),
        "dialer": re.search(r"dialer ephemeral private key 32 × ([0-9a-f]{2})", text),
        "listener": re.search(r"listener 32 × ([0-9a-f]{2})", text),
        "clock": re.search(r"dialer clock (\d+)", text),
        "listener_clock": re.search(r"listener clock (\d+)", text),
    }
    if not all(found.values()):
        raise ValueError(f"{path}: the comments do not state every key")
    keys = {name: bytes.fromhex(match.group(1)) for name, match in found.items()
            if name in ("secret", "psk")}
    keys["dialer"] = bytes.fromhex(found["dialer"].group(1)) * 32
    keys["listener"] = bytes.fromhex(found["listener"].group(1)) * 32
    keys["clock"] = int(found["clock"].group(1))
    keys["listener_clock"] = int(found["listener_clock"].group(1))
    return keys


def replay_noise(report, path, writes, sent):
    """§8.2: the psk, both handshake messages and every SEALED frame, from the keys alone.
    ChaCha20-Poly1305 is deterministic, so a frame that opens under the derived key, nonce
    and associated data is also the exact frame an implementation of §8.2 would write."""
    keys = parse_session_keys(path)
    psk = cc.hkdf_sha256(keys["secret"], b"carnet/2 psk", b"", 32)
    report.equal(psk, keys["psk"], "psk = HKDF-SHA256(secret, \"carnet/2 psk\", no ledger id)")
    frames = [(side, f) for side, fs in writes for f in fs]
    handshake1 = next(f["bytes"] for side, f in frames if f["kind"] == "handshake1")
    handshake2 = next(f["bytes"] for side, f in frames if f["kind"] == "handshake2")
    dialer_e = cc.x25519_public(keys["dialer"])
    listener_e = cc.x25519_public(keys["listener"])
    noise = cc.NoiseSymmetric("Noise_NNpsk0_25519_ChaChaPoly_SHA256")
    noise.mix_hash(b"carnet/2")
    # Message 1: -> psk, e (payload encrypted under the psk-derived key).
    noise.mix_key_and_hash(psk)
    report.equal(handshake1[5:37], dialer_e, "message 1 carries the dialer's ephemeral key")
    noise.mix_hash(dialer_e)
    noise.mix_key(dialer_e)
    payload1 = noise.decrypt_and_hash(handshake1[37:])
    if not report.check(payload1 is not None, "message 1 opens under the psk (§8.2)"):
        return
    check_handshake1_payload(report, payload1, keys["clock"], sent["dialer"])
    # Message 2: <- e, ee.
    report.equal(handshake2[5:37], listener_e, "message 2 carries the listener's ephemeral key")
    noise.mix_hash(listener_e)
    noise.mix_key(listener_e)
    shared = cc.x25519(keys["listener"], dialer_e)
    report.equal(shared, cc.x25519(keys["dialer"], listener_e), "both sides' ee are one secret")
    noise.mix_key(shared)
    payload2 = noise.decrypt_and_hash(handshake2[37:])
    if not report.check(payload2 is not None, "message 2 opens after ee (§8.2)"):
        return
    report.equal(payload2[0] & ~1, 0, "message 2 flags: no reserved bit")
    _, listener_clock, _, inner2 = cf.read_handshake2_payload(payload2)
    report.equal(listener_clock, keys["listener_clock"], "message 2 clock = the stated listener clock (§8.2.2)")
    if inner2 is not None:
        sent["listener"].insert(0, decode_inner(inner2))
        report.check(True, "message 2 carries the listener's first SUMMARY")
    directions = dict(zip(("dialer", "listener"), noise.split()))
    counters = {"dialer": 0, "listener": 0}
    for side, frame in frames:
        if frame["kind"] != "sealed":
            continue
        inner = cc.aead_decrypt(directions[side], cc.noise_nonce(counters[side]), b"",
                                frame["bytes"][5:])
        report.equal(inner, frame["inner"], f"{side} SEALED #{counters[side]} opens to its stated inner message")
        counters[side] += 1


def check_handshake1_payload(report, payload, clock, dialer_messages):
    """§8.2.1: flags 0, the dialer's clock, and the state tag of its compact summary (the
    events it holds are those it sends in the vector)."""
    reader = cf.Reader(payload)
    flags, sent_clock, tag, budget = reader.u8(), reader.u64be(), reader.raw(8), reader.raw(4)
    report.check(reader.at_end(), "message 1 payload is 21 bytes")
    report.equal(budget, bytes(4), "message 1 budget 0: none (§8.3.9)")
    report.equal(flags, 0, "message 1 flags = 0")
    report.equal(sent_clock, clock, "message 1 clock = the stated dialer clock")
    replica = cf.Replica()
    for message in dialer_messages:
        if message["type"] == "EVENTS" and message["batch"]:
            replica.add(message["batch"][1])
    compact = encode_compact(replica.summary())
    expected = hashlib.sha256(b"carnet/2 state" + compact).digest()[:8]
    report.equal(tag, expected, "message 1 state tag = SHA-256(\"carnet/2 state\" ‖ compact summary)[:8]")


def encode_compact(summary):
    """A compact summary (§4.3) of a full summary."""
    out = bytearray(cf.enc_varint(len(summary)))
    for node, seq, heads in summary:
        out += node[:8] + cf.enc_varint(seq) + cf.enc_varint(len(heads))
        for head_seq, digest in heads:
            out += cf.enc_varint(cf.zigzag(head_seq - seq)) + digest[:8]
    return bytes(out)


def decode_inner(data):
    """An inner message (§8.1 table)."""
    reader = cf.Reader(data)
    kind = reader.u8()
    if kind == 3:
        flags = reader.u8()
        if flags & ~15 or (flags >> 1) & 3 == 3:
            raise cf.FormatError(f"SUMMARY flags {flags}: reserved bits or form 3")
        if flags & 8 and (flags >> 1) & 3 == 1:
            raise cf.FormatError("a SUMMARY of form same cannot be continued")
        # §8.1 bit 3, continued: more parts of this SUMMARY follow (assemble_summary).
        message = {"type": "SUMMARY", "live": bool(flags & 1), "form": (flags >> 1) & 3,
                   "continued": bool(flags & 8),
                   "node": reader.node(), "ledger": reader.string_bytes(),
                   "label": reader.string_bytes()}
        # §8.1: the compact summary is there unless the form is `same` (1).
        message["compact"] = None if message["form"] == 1 else read_compact(reader)
    elif kind == 4:
        message = {"type": "EVENTS", "number": reader.varint(), "primed": reader.u8()}
        if message["primed"] > 1:
            raise cf.FormatError(f"EVENTS flag {message['primed']}")
        if message["primed"] == 1:
            message["context"] = (reader.node(), reader.varint(), reader.varint())
            _, end, count = message["context"]
            if not 1 <= count <= 1024 or count > end:  # §3.3
                raise cf.FormatError(f"primed context of {count} events ending at {end}")
        message["payload"] = reader.raw(reader.remaining())
        # A primed batch decodes only against its context (§3.3), which the receiver holds.
        message["batch"] = None if message["primed"] else cf.decode_batch(message["payload"])
    elif kind == 5:
        message = {"type": "ACK", "number": reader.varint(), "status": reader.u8()}
        if message["status"] > 1:
            raise cf.FormatError(f"ACK status {message['status']}")
        message.update(new=reader.varint(), reason=reader.string_bytes())
    elif kind == 6:
        message = {"type": "DONE", "last": reader.varint(), "summaries": reader.varint()}
    elif kind in (7, 8):
        message = {"type": "PING" if kind == 7 else "PONG", "token": reader.u64be()}
    elif kind == 9:
        message = {"type": "ERROR", "code": reader.u16be(), "message": reader.string_bytes()}
    elif kind == 10:
        # §9.6: the seq, then the holder's clock and signature unless seq is 0.
        message = {"type": "RECEIPT", "seq": reader.varint()}
        if message["seq"] > 0:
            message.update(held_at=reader.u64be(), signature=reader.raw(64))
    else:
        raise cf.FormatError(f"unknown inner type {kind}")
    if not reader.at_end():
        raise cf.FormatError(f"{reader.remaining()} trailing bytes in {message['type']}")
    return message


MAX_SUMMARY_ENTRIES = 262_144  # §8.1: every part of one SUMMARY together
MAX_SUMMARY_HEADS = 4 * MAX_SUMMARY_ENTRIES


def assemble_summary(parts):
    """§8.1 split summaries: the parts of one SUMMARY (every one but the last continued),
    as one SUMMARY; the same sender and form in each, entries in ascending prefix order across
    parts, a continued part not empty, the whole within the bounds."""
    first = parts[0]
    entries = []
    for index, part in enumerate(parts):
        if part["type"] != "SUMMARY":
            raise cf.FormatError(f"a {part['type']} between the parts of a SUMMARY")
        if part["continued"] != (index < len(parts) - 1):
            raise cf.FormatError("only the last part of a SUMMARY is not continued")
        if any(part[k] != first[k] for k in ("live", "form", "node", "ledger", "label")):
            raise cf.FormatError("the parts of a SUMMARY name different senders or forms")
        if part["continued"] and not part["compact"]:
            raise cf.FormatError("an empty continued SUMMARY part")
        if entries and part["compact"] and not entries[-1][0] < part["compact"][0][0]:
            raise cf.FormatError("SUMMARY parts out of prefix order")
        entries += part["compact"] or []
    if len(entries) > MAX_SUMMARY_ENTRIES or sum(len(h) for _, _, h in entries) > MAX_SUMMARY_HEADS:
        raise cf.FormatError("a SUMMARY above 262,144 entries or 1,048,576 heads")
    whole = dict(first, continued=False)
    whole["compact"] = entries if first["compact"] is not None else None
    return whole


def read_compact(reader):
    """A compact summary (§4.3)."""
    count = reader.varint()
    if count > 65_536:
        raise cf.FormatError("compact summary of more than 65,536 entries")
    entries = []
    for _ in range(count):
        prefix, seq, head_count = reader.raw(8), reader.varint(), reader.varint()
        if head_count > 64:
            raise cf.FormatError("more than 64 heads")
        heads = []
        for _ in range(head_count):
            head_seq = (seq + cf.unzigzag(reader.varint())) & cf.U64  # modulo 2^64
            if head_seq == 0:
                raise cf.FormatError("compact head at seq 0")
            heads.append((head_seq, reader.raw(8)))
        entries.append((prefix, seq, heads))
    if any(not a[0] < b[0] for a, b in zip(entries, entries[1:])):
        raise cf.FormatError("compact summary entries out of prefix order")
    return entries


def check_session_side(report, side, messages):
    """One side's messages: batches numbered from 1, ACKs and DONEs consistent, and every
    head its compact summary names that its own batches carry has the batch's hash."""
    numbers = [m["number"] for m in messages if m["type"] == "EVENTS"]
    for message in messages:
        if message["type"] == "EVENTS" and not message["primed"]:
            reencode_payload(report, message["payload"], f"{side} EVENTS #{message['number']}")
    report.equal(numbers, list(range(1, len(numbers) + 1)), f"{side} batches numbered from 1")
    events = [e for m in messages if m["type"] == "EVENTS" and m["batch"] for e in m["batch"][1]]
    by_prefix = {(e.node[:8], e.seq): e.hash[:8] for e in events}
    for message in messages:
        if message["type"] != "SUMMARY" or not message["compact"]:
            continue
        for prefix, _, heads in message["compact"]:
            for seq, hash_prefix in heads:
                if (prefix, seq) in by_prefix:
                    report.equal(by_prefix[(prefix, seq)].hex(), hash_prefix.hex(),
                                 f"{side} summary head {prefix.hex()}:{seq} = its sent event's hash")
    if report.verbose:
        for message in messages:
            print(f"       {side}: {describe(message)}")


def describe(message):
    shown = {k: v for k, v in message.items() if k not in ("batch", "payload")}
    if message.get("batch"):
        shown["events"] = [e.label() for e in message["batch"][1]]
    return shown


# ---------------------------------------------------------------- session-v2-signed.txt (§8.2.7)

def parse_signed_session_vectors(path):
    """session-v2-signed.txt: the shared keys, each device's seed, salt, key and node, then
    sessions, each from its `# session` comment (which states its ephemeral keys)."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    found = {
        "secret": re.search(r"# secret ([0-9a-f]{64})", text),
        "ledger": re.search(r"ledger id ([0-9a-f]{32})", text),
        "psk": re.search(r"psk ([0-9a-f]{64})", text),
    }
    devices = {}
    for role in ("dialer", "listener"):
        match = re.search(r"# (\w+) \(" + role + r"\): Ed25519 seed 32 × ([0-9a-f]{2}), salt 16 × "
                          r"([0-9a-f]{2}), public key ([0-9a-f]{64}), node ([0-9a-f]{32})", text)
        if not match:
            raise ValueError(f"{path}: the comments do not state the {role}'s device")
        devices[role] = {"name": match.group(1), "seed": bytes.fromhex(match.group(2)) * 32,
                         "salt": bytes.fromhex(match.group(3)) * 16,
                         "key": bytes.fromhex(match.group(4)), "node": bytes.fromhex(match.group(5))}
    if not all(found.values()):
        raise ValueError(f"{path}: the comments do not state the secret, ledger id and psk")
    keys = {name: bytes.fromhex(match.group(1)) for name, match in found.items()}
    sessions, lines = [], []
    for line in text.splitlines():
        match = re.match(r"# session (\d+).*ephemeral keys 32 × ([0-9a-f]{2}), 32 × ([0-9a-f]{2})", line)
        if match:
            lines = []
            sessions.append({"title": line[2:].split(":")[0], "lines": lines,
                             "dialer": bytes.fromhex(match.group(2)) * 32,
                             "listener": bytes.fromhex(match.group(3)) * 32})
        elif re.match(r"# (\d+) bytes in all", line) and sessions:
            sessions[-1]["total"] = int(re.match(r"# (\d+) bytes in all", line).group(1))
        elif line.strip() and not line.startswith("#"):
            if not sessions:
                raise ValueError(f"{path}: frames before the first `# session` line")
            lines.append(line)
    return keys, devices, sessions


def check_signed_session_vectors(report, path):
    """The signed ledger's sessions (§8.2.7): each side's device key from its seed and its
    node id (§9.1); each handshake replayed from the stated keys; both device proofs found
    where §8.2.7 puts them, in the form it prescribes, verifying over the handshake hash
    each signer had (and equal to the deterministic Ed25519 signature of the stated seed);
    every SEALED frame opening to its stated inner bytes, which decode."""
    report.section = "session-v2-signed"
    print(f"{path}:")
    keys, devices, sessions = parse_signed_session_vectors(path)
    psk = cc.hkdf_sha256(keys["secret"], b"carnet/2 psk", keys["ledger"], 32)
    report.equal(psk, keys["psk"], "psk = HKDF-SHA256(secret, \"carnet/2 psk\", ledger id)")
    for role, device in devices.items():
        report.equal(cc.ed25519_public(device["seed"]), device["key"], f"{role}'s public key = its seed's (RFC 8032)")
        report.equal(cf.node_id(device["key"], device["salt"]), device["node"],
                     f"{role}'s node = SHA-256(\"carnet/2 node\" ‖ key ‖ salt)[:16] (§9.1)")
    # What each side holds, across sessions (the dialer starts with the events it sends).
    held = {"dialer": cf.Replica(), "listener": cf.Replica()}
    report.check(len(sessions) >= 2, f"{len(sessions)} sessions")
    for session in sessions:
        writes = parse_session_vectors_lines(session["lines"])
        check_signed_session(report, session, writes, keys, devices, psk, held)


def parse_session_vectors_lines(lines):
    writes = []
    for line in lines:
        side, _, rest = line.strip().partition(" ")
        frames = []
        for item in rest.split(" "):
            if item.startswith("=inner:"):
                frames[-1]["inner"] = bytes.fromhex(item[len("=inner:"):])
            else:
                kind, _, hexdata = item.partition(":")
                frames.append({"kind": kind, "bytes": bytes.fromhex(hexdata)})
        writes.append((side, frames))
    return writes


def check_signed_session(report, session, writes, keys, devices, psk, held):
    """One session of session-v2-signed.txt (see check_signed_session_vectors)."""
    title = session["title"]
    frames = [(side, f) for side, fs in writes for f in fs]
    for side, frame in frames:
        reader = cf.Reader(frame["bytes"])
        report.check(reader.u32be() == len(frame["bytes"]) - 4 and reader.u8() == FRAME_TYPES[frame["kind"]],
                     f"{title}: {side} {frame['kind']} frame length and type (§8.1)")
    handshake1 = next(f["bytes"] for side, f in frames if f["kind"] == "handshake1")
    handshake2 = next(f["bytes"] for side, f in frames if f["kind"] == "handshake2")
    dialer_e, listener_e = cc.x25519_public(session["dialer"]), cc.x25519_public(session["listener"])
    noise = cc.NoiseSymmetric("Noise_NNpsk0_25519_ChaChaPoly_SHA256")
    noise.mix_hash(b"carnet/2")
    noise.mix_key_and_hash(psk)
    report.equal(handshake1[5:37], dialer_e, f"{title}: message 1 carries the dialer's ephemeral key")
    noise.mix_hash(dialer_e)
    noise.mix_key(dialer_e)
    payload1 = noise.decrypt_and_hash(handshake1[37:])
    if not report.check(payload1 is not None and len(payload1) == 21, f"{title}: message 1 opens under the psk, 21 bytes"):
        return
    report.equal(payload1[0], 1, f"{title}: message 1 flags = 1, device proof (§8.2.1, signed ledger)")
    report.equal(handshake2[5:37], listener_e, f"{title}: message 2 carries the listener's ephemeral key")
    noise.mix_hash(listener_e)
    noise.mix_key(listener_e)
    noise.mix_key(cc.x25519(session["listener"], dialer_e))
    listener_h = noise.h  # §8.2.7: after message 2's e and ee, before its payload
    payload2 = noise.decrypt_and_hash(handshake2[37:])
    if not report.check(payload2 is not None, f"{title}: message 2 opens after ee (§8.2)"):
        return
    dialer_h = noise.h  # §8.2.7: the final handshake hash
    flags, _, listener_proof, inner2 = cf.read_handshake2_payload(payload2)
    report.check(flags & 2 and listener_proof is not None, f"{title}: message 2 flag bit 1, the listener's device proof")
    hub, farm = devices["listener"], devices["dialer"]
    directions = dict(zip(("dialer", "listener"), noise.split()))
    counters = {"dialer": 0, "listener": 0}
    inners = {"dialer": [], "listener": []}
    for side, frame in frames:
        if frame["kind"] != "sealed":
            continue
        inner = cc.aead_decrypt(directions[side], cc.noise_nonce(counters[side]), b"", frame["bytes"][5:])
        report.equal(inner, frame["inner"], f"{title}: {side} SEALED #{counters[side]} opens to its stated inner bytes")
        counters[side] += 1
        inners[side].append(inner or b"")
    # The dialer's proof starts its first SEALED frame (§8.2.7).
    reader = cf.Reader(inners["dialer"][0])
    dialer_proof = cf.read_proof(reader, dialer=True)
    inners["dialer"][0] = reader.raw(reader.remaining())
    if dialer_proof["asks_key"]:
        # The listener's next SEALED frame starts with its key and salt.
        reader = cf.Reader(inners["listener"][0])
        listener_proof.update(key=reader.raw(32), salt=reader.raw(16))
        inners["listener"][0] = reader.raw(reader.remaining())
        report.check(True, f"{title}: the dialer asked for the listener's key (form bit 7); its first SEALED frame starts with it")
    messages = {side: ([decode_inner(inner2)] if side == "listener" and inner2 is not None else [])
                + [decode_inner(i) for i in inners[side]] for side in inners}
    first = {side: next(m for m in messages[side] if m["type"] == "SUMMARY") for side in messages}
    for side, proof, device, h in (("listener", listener_proof, hub, listener_h), ("dialer", dialer_proof, farm, dialer_h)):
        role = cf.LISTENER if side == "listener" else cf.DIALER
        report.equal(first[side]["node"], device["node"], f"{title}: the {side}'s first SUMMARY names its node")
        verifier = held["dialer" if side == "listener" else "listener"]
        declared = next((cf.key_declaration(e) for e in verifier.accepted().values()
                         if e.node == device["node"] and cf.key_declaration(e)), None)
        report.equal(cf.check_proof(proof, role, h, first[side]["node"], declared), None,
                     f"{title}: the {side}'s device proof verifies (\"carnet/2 device\" ‖ {role} ‖ h)")
        report.equal(proof["signature"], cc.ed25519_sign(device["seed"], cf.device_message(role, h)),
                     f"{title}: the {side}'s proof is the Ed25519 signature of its stated seed")
        if proof["key"] is not None:
            report.equal((proof["key"], proof["salt"]), (device["key"], device["salt"]),
                         f"{title}: the {side}'s key and salt as stated")
        bad = dict(proof, signature=proof["signature"][:-1] + bytes([proof["signature"][-1] ^ 1]))
        report.check(cf.check_proof(bad, role, h, first[side]["node"], declared) is not None,
                     f"{title}: the {side}'s proof with a flipped byte does not verify")
        other_role = cf.DIALER if role == cf.LISTENER else cf.LISTENER
        report.check(cf.check_proof(proof, other_role, h, first[side]["node"], declared) is not None,
                     f"{title}: the {side}'s proof does not verify as the other role's")
    # The dialer held, when it dialed, what it held before and the events it sends.
    before = cf.Replica()
    before.add([e for e in held["dialer"].accepted().values()]
               + [e for m in messages["dialer"] if m["type"] == "EVENTS" for e in m["batch"][1]])
    tag = hashlib.sha256(b"carnet/2 state" + encode_compact(before.summary())).digest()[:8]
    report.equal(payload1[9:17], tag, f"{title}: message 1 state tag = the dialer's compact summary's")
    # Which form (§8.2.7).
    listener_sent_key = listener_proof["form"] & 1
    report.equal(bool(listener_sent_key), inner2 is None,
                 f"{title}: the listener's proof carries its key exactly when its SUMMARY follows")
    holds_hub = any(e.node == hub["node"] and e.seq == 1 for e in held["dialer"].accepted().values())
    report.equal(dialer_proof["asks_key"], not listener_sent_key and not holds_hub,
                 f"{title}: the dialer asks for the key exactly when it lacks the listener's declaration")
    summary = first["listener"]
    listener_has_farm = summary["form"] == 1 or any(
        prefix == farm["node"][:8] and seq >= 1 for prefix, seq, _ in summary["compact"] or [])
    report.equal(bool(dialer_proof["form"] & 1), not listener_has_farm,
                 f"{title}: the dialer sends its key exactly when the listener's SUMMARY shows no seq 1 of it")
    for side in messages:
        for message in messages[side]:
            if message["type"] == "EVENTS" and message["batch"]:
                version, events, runs, heads = message["batch"]
                report.equal(version, 2, f"{title}: {side} EVENTS #{message['number']} is a version-2 batch")
                good = sum(cc.ed25519_verify(cf.key_declaration(next(
                    e for e in list(held[side].accepted().values()) + events
                    if e.node == runs[i][-1].node and e.seq == 1))[0],
                    cf.head_message(keys["ledger"], runs[i][-1]), signature) for i, signature in heads)
                report.check(heads and good == len(heads), f"{title}: its {len(heads)} signed heads verify (§9.2)")
                reencode_payload(report, message["payload"], f"{title}: {side} EVENTS #{message['number']}")
                held[side].add(events)
                held["listener" if side == "dialer" else "dialer"].add(events)
        check_session_side(report, side, messages[side])
    total = sum(len(f["bytes"]) for _, f in frames)
    report.equal(total, session.get("total"), f"{title}: {total} bytes on the wire, as the vector states")
    print(f"  {title}: listener proof form {listener_proof['form']:#04x}, dialer proof form "
          f"{dialer_proof['form']:#04x}, {sum(len(f['bytes']) for _, f in frames)} bytes")


# ---------------------------------------------------------------- main

def main():
    """Primitives, event and session vectors, then every fixtures version."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--protocol", default=os.path.join(here, "..", "..", "protocol"))
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    report = Report(args.verbose)
    vectors = os.path.join(args.protocol, "vectors")
    try:
        check_primitives(report)
        check_event_vectors(report, os.path.join(vectors, "events-v1.txt"))
        session = os.path.join(vectors, "session-v2.txt")
        if os.path.exists(session):
            check_session_vectors(report, session)
        signed = os.path.join(vectors, "session-v2-signed.txt")
        if os.path.exists(signed):
            check_signed_session_vectors(report, signed)
        digests = os.path.join(vectors, "state-digest-v3.txt")
        if os.path.exists(digests):
            check_digest_vectors(report, digests)
        fixtures = os.path.join(args.protocol, "fixtures")
        for version in sorted(os.listdir(fixtures)) if os.path.isdir(fixtures) else []:
            check_fixtures(report, os.path.join(fixtures, version))
    except (cf.FormatError, ValueError, KeyError, OSError) as error:
        report.error(f"stopped: {type(error).__name__}: {error}")
    return summarize(report, "conformance (decoder written from protocol/SPEC.md alone)")


def summarize(report, title):
    """Counts per section, then every failure again; the exit status."""
    print(f"{title}:")
    for section, count in report.counts.items():
        print(f"  {section}: {count} checks")
    if report.failures:
        print(f"FAILED: {len(report.failures)} of {sum(report.counts.values())} checks")
        for failure in report.failures:
            print(f"  {failure}")
        return 1
    print(f"OK: {sum(report.counts.values())} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

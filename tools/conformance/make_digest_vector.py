#!/usr/bin/env python3
"""Writes protocol/vectors/state-digest-v3.txt: the state digest (§5, "carnet-state/3")
of a small replica after each of several deliveries, computed from protocol/SPEC.md alone
(this decoder's §2.1 hashes, §3 batches from `carnet_encode`, §4 acceptance, §5), so that
the Swift tests check `Replica.digest` against bytes the Swift code did not make.

    python3 tools/conformance/make_digest_vector.py [--check]

The replica: two nodes that write concurrently (one field with two values, then a write
that supersedes both), a node whose device was restored from a backup (a fork: two
branches from seq 2, two heads) and an event held aside (its predecessor is not held: no
node item, no change). Then, per store of `protocol/fixtures` made before version 3
(whose JSON states a version-2 digest), the version-3 digest of its log, which the
compatibility tests expect of `carnet verify`. `--check` exits 1 when the file differs
from what this writes.
"""

import hashlib
import os
import sys

sys.dont_write_bytecode = True  # leave no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import carnet_encode  # noqa: E402
import carnet_format as cf  # noqa: E402
import carnet_read  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROTOCOL = os.path.join(HERE, "..", "..", "protocol")
VECTOR = os.path.join(PROTOCOL, "vectors", "state-digest-v3.txt")

FARM = bytes.fromhex("11" * 16)
HUB = bytes.fromhex("22" * 16)
GHOST = bytes.fromhex("33" * 16)
T0 = 1_780_300_800_000


def event(node, seq, millis, previous, op):
    made = cf.Event(node, seq, T0 + millis, 0, previous, op)
    made.compute_hash()
    return made


def text(data):
    return cf.Value(1, data.encode())


def harvest(entry_id, qty):
    return ("append", entry_id.encode(), b"harvest",
            [(b"product", text("P1")), (b"qty", cf.Value(0, qty)), (b"lot", text("L1"))])


def deliveries():
    """The batches in delivery order, each with what it shows."""
    farm1 = event(FARM, 1, 0, cf.ZERO_HASH, ("assign", b"product", b"P1", b"name", text("Tomme"), []))
    farm2 = event(FARM, 2, 1_000, farm1.hash, harvest("h-1", 12))
    farm3 = event(FARM, 3, 2_000, farm2.hash, harvest("h-2", 5))
    hub1 = event(HUB, 1, 500, cf.ZERO_HASH, ("assign", b"product", b"P1", b"name", text("Tome"), []))
    hub2 = event(HUB, 2, 1_500, hub1.hash,
                 ("append", b"s-1", b"sale", [(b"product", text("P1")), (b"qty", cf.Value(0, 3)), (b"party", text("cantine"))]))
    # The farm's backup, taken after seq 1, writes on: the same seqs with other events.
    restored2 = event(FARM, 2, 3_000, farm1.hash, harvest("h-1", 13))
    restored3 = event(FARM, 3, 4_000, restored2.hash, ("assign", b"product", b"P1", b"price", cf.Value(0, 2400), []))
    ghost2 = event(GHOST, 2, 5_000, hashlib.sha256(b"no event has this hash").digest(), harvest("g-1", 1))
    hub3 = event(HUB, 3, 6_000, hub2.hash,
                 ("assign", b"product", b"P1", b"name", text("Tomme de brebis"), [farm1.id(), hub1.id()]))
    return [
        ("the farm's first three events: one node item, one head", [farm1, farm2, farm3]),
        ("the hub's two: a second node item; the name has two values", [hub1, hub2]),
        ("the restored farm's branch from seq 2: the farm's item has two heads", [restored2, restored3]),
        ("an event whose predecessor is not held: held aside, the digest does not change", [ghost2]),
        ("the hub supersedes both names", [hub3]),
    ]


def vector_text():
    lines = ["# Carnet state digest vectors (protocol/SPEC.md §5, \"carnet-state/3\").",
             "# Made by tools/conformance/make_digest_vector.py from the SPEC alone (§2.1, §3, §4, §5).",
             "# Each `batch` (§3, version 1) is delivered after the ones above it; the `digest`",
             "# after it is the state digest of every event delivered so far, and `state` the",
             "# bytes it hashes. Delivered in any order, grouping or with duplicates, the same",
             "# events give the last digest.",
             ""]
    replica = cf.Replica()
    for what, events in deliveries():
        replica.add(events)
        lines.append(f"# {what}")
        lines.append("batch " + carnet_encode.encode_batch(events, 1).hex())
        lines.append("state " + state_bytes(replica).hex())
        lines.append("digest " + replica.state_digest().hex())
        lines.append("")
    lines.append("# fixture VERSION DIGEST3 DIGEST2: the state digests (§5, versions 3 and 2) of the log of")
    lines.append("# protocol/fixtures/VERSION/store; fixtures made before version 3 state the second in their")
    lines.append("# verify.json and status.json, and `carnet verify` of the store now prints the first.")
    fixtures = os.path.join(PROTOCOL, "fixtures")
    for version in sorted(os.listdir(fixtures)):
        store = os.path.join(fixtures, version, "store")
        replica, _, stop = carnet_read.load_store(store)
        assert stop is None, f"{store}: the log does not read to its end"
        lines.append(f"fixture {version} {replica.state_digest().hex()} {replica.state_digest(version=2).hex()}")
    return "\n".join(lines) + "\n"


def state_bytes(replica):
    """The bytes §5 hashes, written out so that a mismatch shows where."""
    out = bytearray(b"carnet-state/3")
    summary = replica.summary()
    out += cf.enc_varint(len(summary))
    for node, seq, heads in summary:
        out += node + cf.enc_varint(seq) + cf.enc_varint(len(heads))
        for head_seq, digest in heads:
            out += node + cf.enc_varint(head_seq) + digest
    assert hashlib.sha256(bytes(out)).digest() == replica.state_digest()
    return bytes(out)


def main():
    made = vector_text()
    if "--check" in sys.argv[1:]:
        with open(VECTOR, encoding="utf-8") as handle:
            if handle.read() != made:
                print(f"{VECTOR} differs from what make_digest_vector.py makes", file=sys.stderr)
                return 1
        return 0
    with open(VECTOR, "w", encoding="utf-8") as handle:
        handle.write(made)
    print(f"wrote {VECTOR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

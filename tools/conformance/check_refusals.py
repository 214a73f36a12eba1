#!/usr/bin/env python3
"""What a decoder MUST refuse, and what it MUST accept: the SPEC's rules at their edges,
checked against this decoder and against the real `carnet`.

The golden vectors only show valid bytes. A reader in ten years also needs the SPEC's
refusals to be the code's, or it would accept what Carnet refuses (or the reverse). Each
case below is a hand-made batch with the verdict the SPEC gives it; the independent
decoder must give that verdict, and so must `carnet bundle apply` of a format-1 bundle
holding the batch. For accepted cases, the events `carnet` stored must be those this
decoder read (same ids, so same canonical bytes).

    python3 tools/conformance/check_refusals.py --carnet .build/debug/carnet [-v]
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # leave no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import carnet_format as cf  # noqa: E402
import carnet_read  # noqa: E402
import check_vectors  # noqa: E402

V, SV, S = cf.enc_varint, cf.enc_svarint, cf.enc_string
U64 = cf.U64
NODE = bytes.fromhex("abcdef00112233445566778899aabbcc")
LEDGER = b"refusals"
CLOCK = V(cf.zigzag(1_796_522_672_669) << 1)


def batch(*parts, version=1, runs=1):
    return b"CB" + bytes([version]) + V(runs) + b"".join(parts)


def run(seq=1, count=1, previous=bytes(32)):
    """A run of NODE, defined inline (node-ref 0 = the empty table's size)."""
    return b"\x00" + NODE + V(seq) + V(count) + previous


def new(text):
    """A new string in an empty dictionary (h = 0)."""
    return b"\x00" + S(text)


def assign(record=new(b"x"), value=b"\x01" + new(b"v"), superseded=V(0)):
    return V(0) + new(b"product") + record + new(b"name") + value + superseded


def superseded_id(seq):
    return b"\x00" + V(seq) + b"\x01" * 32


def entry(fields, payloads, kind=b"note", entry_id=new(b"E1")):
    """An append defining shape 0: fields are (coded name, tag) pairs, each name coded in
    the `field` context (new(name), or V(2i) for the i-th name already defined)."""
    shape = new(kind) + V(len(fields)) + b"".join(n + bytes([t]) for n, t in fields)
    return V(1) + shape + entry_id + payloads


ACCEPT, REFUSE = "accept", "refuse"

CASES = [
    ("a plain assign", "§3", ACCEPT, batch(run(), CLOCK, assign())),
    ("a seq in a longer varint form", "§1", ACCEPT,
     batch(b"\x00" + NODE + b"\x81\x00" + V(1) + bytes(32), CLOCK, assign())),
    ("a 10-byte varint of value 1", "§1", ACCEPT,
     batch(b"\x00" + NODE + b"\x81" + b"\x80" * 8 + b"\x00" + V(1) + bytes(32), CLOCK, assign())),
    ("a varint whose 10th byte is 02", "§1", REFUSE,
     batch(b"\x00" + NODE + b"\x81" + b"\x80" * 8 + b"\x02" + V(1) + bytes(32), CLOCK, assign())),
    ("an 11-byte varint", "§1", REFUSE,
     batch(b"\x00" + NODE + b"\x81" + b"\x80" * 8 + b"\x81\x00" + V(1) + bytes(32), CLOCK, assign())),
    ("a trailing byte", "§3", REFUSE, batch(run(), CLOCK, assign(), b"\x00")),
    ("batch version 3", "§3", REFUSE, batch(run(), CLOCK, assign(), version=3)),
    ("first-seq 0", "§3", REFUSE, batch(run(seq=0), CLOCK, assign())),
    ("count 0", "§3", REFUSE, batch(run(count=0))),
    ("first-seq + count = 2^64", "§3", REFUSE, batch(run(seq=U64), CLOCK, assign())),
    ("first-seq + count = 2^64 - 1", "§3", ACCEPT,
     batch(run(seq=U64 - 1, previous=b"\x05" * 32), CLOCK, assign())),
    ("seq 1 with a non-zero previous (decodes; the event is rejected)", "§4", ACCEPT,
     batch(run(previous=b"\x07" * 32), CLOCK, assign())),
    ("a node-ref beyond the table", "§3", REFUSE,
     batch(b"\x01" + NODE + V(1) + V(1) + bytes(32), CLOCK, assign())),
    ("a clock below 0, wrapping", "§3", ACCEPT, batch(run(), V(cf.zigzag(-5) << 1), assign())),
    ("a logical counter of 0 announced", "§3", REFUSE,
     batch(run(), V((cf.zigzag(1_796_522_672_669) << 1) | 1) + V(0), assign())),
    ("a logical counter of 2^32", "§3", REFUSE,
     batch(run(), V((cf.zigzag(1_796_522_672_669) << 1) | 1) + V(1 << 32), assign())),
    ("boolean byte 1", "§3", ACCEPT, batch(run(), CLOCK, assign(value=b"\x02\x01"))),
    ("boolean byte 2", "§3", REFUSE, batch(run(), CLOCK, assign(value=b"\x02\x02"))),
    ("value tag 4", "§3", REFUSE, batch(run(), CLOCK, assign(value=b"\x04\x00"))),
    ("day -2^31", "§3", ACCEPT, batch(run(), CLOCK, assign(value=b"\x03" + SV(-(1 << 31))))),
    ("day 2^31", "§3", REFUSE, batch(run(), CLOCK, assign(value=b"\x03" + SV(1 << 31)))),
    ("superseded ids in id order", "§3", ACCEPT,
     batch(run(), CLOCK, assign(superseded=V(2) + superseded_id(4) + superseded_id(5)))),
    ("superseded ids out of order", "§3", REFUSE,
     batch(run(), CLOCK, assign(superseded=V(2) + superseded_id(5) + superseded_id(4)))),
    ("a superseded id repeated", "§3", REFUSE,
     batch(run(), CLOCK, assign(superseded=V(2) + superseded_id(5) + superseded_id(5)))),
    ("4,097 superseded ids", "§3.2", REFUSE, batch(run(), CLOCK, assign(superseded=V(4097)))),
    ("a string of 65,537 bytes", "§1", REFUSE,
     batch(run(), CLOCK, assign(value=b"\x01" + new(b"a" * 65537)))),
    ("an event above 65,536 canonical bytes", "§3.2", REFUSE,
     batch(run(), CLOCK, assign(value=b"\x01" + new(b"a" * 65536)))),
    ("invalid UTF-8", "§1", REFUSE, batch(run(), CLOCK, assign(value=b"\x01" + new(b"\xc3\x28")))),
    ("overlong UTF-8", "§1", REFUSE, batch(run(), CLOCK, assign(value=b"\x01" + new(b"\xc0\xaf")))),
    ("a UTF-8 surrogate", "§1", REFUSE,
     batch(run(), CLOCK, assign(value=b"\x01" + new(b"\xed\xa0\x80")))),
    ("a text reference beyond the dictionary", "§3.1", REFUSE,
     batch(run(), CLOCK, V(0) + V(2))),
    ("template width 2", "§3.1", REFUSE,
     batch(run(), CLOCK, assign(record=V(1) + S(b"P") + b"\x02" + SV(5)))),
    ("template width 18", "§3.1", ACCEPT,
     batch(run(), CLOCK, assign(record=V(1) + S(b"P") + bytes([18]) + SV(5)))),
    ("template width 19", "§3.1", REFUSE,
     batch(run(), CLOCK, assign(record=V(1) + S(b"P") + bytes([19]) + SV(5)))),
    ("a templated number wider than its width", "§3.1", REFUSE,
     batch(run(), CLOCK, assign(record=V(1) + S(b"P") + b"\x03" + SV(1000)))),
    ("a negative templated number", "§3.1", REFUSE,
     batch(run(), CLOCK, assign(record=V(1) + S(b"P") + b"\x03" + SV(-1)))),
    ("a field named 00 id shares the id dictionary", "§3.1", ACCEPT,
     batch(run(), CLOCK, entry([(new(b"\x00id"), 1)], V(0)))),
    ("a field named id has its own dictionary", "§3.1", REFUSE,
     batch(run(), CLOCK, entry([(new(b"id"), 1)], V(0)))),
    ("a shape repeating a field name", "§2.1", ACCEPT,
     batch(run(), CLOCK, entry([(new(b"a"), 0), (V(0), 0)], SV(1) + SV(2)))),
    ("a shape field of tag 4", "§3", REFUSE, batch(run(), CLOCK, entry([(new(b"q"), 4)], b"\x00"))),
    ("a shape of 65 fields", "§3.2", REFUSE,
     batch(run(), CLOCK, V(1) + new(b"k") + V(65) + new(b"f") + b"\x00" + (b"\x00\x00") * 64
           + new(b"E1") + SV(1) * 65)),
    ("a shape index beyond the table", "§3", REFUSE, batch(run(), CLOCK, V(2))),
    ("version 2 with no heads", "§3.4", ACCEPT, batch(run(), CLOCK, assign(), V(0), version=2)),
    ("a head beyond the runs", "§3.4", REFUSE,
     batch(run(), CLOCK, assign(), V(1) + V(1) + bytes(64), version=2)),
    ("more heads than runs", "§3.4", REFUSE,
     batch(run(), CLOCK, assign(), V(2) + (V(0) + bytes(64)) * 2, version=2)),
]


def bundle_v1(payload):
    """A format-1 bundle (§6.4) of one chunk holding `payload`, the event count as decoded
    (1 when the batch does not decode: the bundle is refused either way)."""
    try:
        count = len(cf.decode_batch(payload)[1])
    except cf.FormatError:
        count = 1
    body = (S(LEDGER) + NODE + S(b"probe") + bytes(8) + b"\x00" + V(1) + V(count)
            + V(len(payload)) + payload)
    data = b"CARNETBN\x00\x01" + bytes(6) + body
    return data + hashlib.sha256(data).digest()


def carnet_verdict(binary, work, index, payload):
    """`carnet bundle apply` on a fresh node: (verdict, message, events it then holds)."""
    directory = os.path.join(work, f"node-{index}")
    subprocess.run([binary, "init", "--ledger", LEDGER.decode(), "--label", "n", "--secret-file",
                    os.path.join(work, "secret"), "--dir", directory], capture_output=True, check=True)
    path = os.path.join(work, "case.bundle")
    with open(path, "wb") as handle:
        handle.write(bundle_v1(payload))
    result = subprocess.run([binary, "bundle", "apply", path, "--dir", directory],
                            capture_output=True, text=True)
    if result.returncode != 0:
        return REFUSE, result.stderr.strip(), None
    status = subprocess.run([binary, "status", "--json", "--dir", directory],
                            capture_output=True, text=True, check=True)
    return ACCEPT, result.stdout.strip(), (directory, json.loads(status.stdout))


def main():
    """Each case through the decoder, then through `carnet bundle apply` if given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--carnet", help="also check the real binary's verdicts")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    report = check_vectors.Report(args.verbose)
    report.section = "refusals"
    work = tempfile.mkdtemp(prefix="carnet-refusals-")
    try:
        if args.carnet:
            subprocess.run([args.carnet, "secret", "new", "--out", os.path.join(work, "secret")],
                           capture_output=True, check=True)
        for index, (name, section, expected, payload) in enumerate(CASES):
            try:
                events = cf.decode_batch(payload)[1]
                mine = ACCEPT
            except cf.FormatError as error:
                events, mine = [], REFUSE
                if args.verbose:
                    print(f"       decoder: {error}")
            report.equal(mine, expected, f"{section} {name}: the decoder")
            if not args.carnet:
                continue
            theirs, message, stored = carnet_verdict(os.path.abspath(args.carnet), work, index, payload)
            if args.verbose:
                print(f"       carnet: {message[:160]}")
            report.equal(theirs, expected, f"{section} {name}: carnet bundle apply")
            if theirs == ACCEPT and mine == ACCEPT:
                check_stored(report, f"{section} {name}", events, *stored)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return check_vectors.summarize(report, "the SPEC's refusals (decoder" + (" and carnet)" if args.carnet else ")"))


def check_stored(report, what, events, directory, status):
    """What carnet kept of an accepted batch: the events the decoder read (same ids, so the
    same canonical bytes), and the accepted, pending and rejected ones as §4 sorts them,
    with the digest (§5) they give."""
    replica, _, _ = carnet_read.load_store(directory)
    kept = {e.id() for e in events if e.seq > 1 or e.previous == cf.ZERO_HASH}  # §4: rejected
    report.equal(set(replica.held) >= kept, True, f"{what}: carnet stored the events the decoder read")
    pending = len(replica.held) - len(replica.accepted())
    report.equal((len(replica.accepted()), pending, replica.state_digest().hex()),
                 (status["events"], status["pending"], status["digest"]),
                 f"{what}: accepted, pending and digest = carnet status")


if __name__ == "__main__":
    sys.exit(main())

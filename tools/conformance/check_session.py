#!/usr/bin/env python3
"""A session with a real `carnet serve`, from a dialer written from protocol/SPEC.md §8
alone, that makes the listener send a primed batch (§3.3) and decodes it.

No vector holds a primed batch, and the receiver of one must rebuild the sender's tables
by encoding the context itself (§3.3), so only a live session shows that the SPEC states
priming completely. The dialer holds the first events of a farm (read from an earlier copy
of its log); the farm, listening, holds more; by §3.3 it primes the batch with the events
the dialer holds, and the decoded events must be the farm's (same ids).

    python3 tools/conformance/check_session.py --carnet .build/debug/carnet [-v]
"""

import argparse
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import carnet_crypto as cc  # noqa: E402
import carnet_encode  # noqa: E402
import carnet_format as cf  # noqa: E402
import carnet_read  # noqa: E402
import check_vectors  # noqa: E402

LEDGER = "conformance"


class Dialer:
    """The dialer's side of §8.1-§8.3 over one TCP connection: frames, the NNpsk0
    handshake, SEALED frames with per-direction counters."""

    def __init__(self, address, secret, ledger_id, summary, device=None, held=()):
        self.sock = socket.create_connection(address, timeout=10)
        self.buffer = b""
        self.summary = summary  # the full summary (§4.2) of what this dialer holds
        self.ledger_id = ledger_id
        self.psk = cc.hkdf_sha256(secret, b"carnet/2 psk", ledger_id, 32)  # format 1: empty id
        self.sent = self.received = 0
        # Signed ledger (§8.2.7): this dialer's device {seed, salt, node}, and the key
        # declarations (§9.1) of the events it holds, by node.
        self.device = device
        self.declared = {e.node: cf.key_declaration(e) for e in held if cf.key_declaration(e)}
        self.proof_pending = None  # the listener's proof, checked when its SUMMARY comes
        self.key_expected = False  # the listener's next SEALED frame starts with its key
        self.ask_key = False
        self.message1 = None

    # -- frames (§8.1)

    def send_frame(self, kind, body):
        self.sock.sendall((1 + len(body)).to_bytes(4, "big") + bytes([kind]) + body)

    def read_frame(self):
        """The next frame (type, body), length checked before buffering it (§8.1)."""
        while True:
            if len(self.buffer) >= 4:
                length = int.from_bytes(self.buffer[:4], "big")
                if not 1 <= length <= 1_048_593:
                    raise cf.FormatError(f"frame length {length}")
                if len(self.buffer) >= 4 + length:
                    frame, self.buffer = self.buffer[4:4 + length], self.buffer[4 + length:]
                    return frame[0], frame[1:]
            chunk = self.sock.recv(65536)
            if not chunk:
                raise cf.FormatError("the listener closed the connection")
            self.buffer += chunk

    # -- handshake (§8.2)

    def handshake(self, flags=None):
        """Message 1 (psk, e) with flags, clock and state tag; message 2 (e, ee) with the
        listener's first SUMMARY; then Split()."""
        private = os.urandom(32)
        ephemeral = cc.x25519_public(private)
        noise = cc.NoiseSymmetric("Noise_NNpsk0_25519_ChaChaPoly_SHA256")
        noise.mix_hash(b"carnet/2")
        noise.mix_key_and_hash(self.psk)
        noise.mix_hash(ephemeral)
        noise.mix_key(ephemeral)
        tag = hashlib.sha256(b"carnet/2 state" + check_vectors.encode_compact(self.summary)).digest()[:8]
        if flags is None:
            flags = 1 if self.device else 0  # §8.2.1 bit 0: device proof, signed ledgers only
        flags = bytes([flags])
        payload = flags + int(time.time() * 1000).to_bytes(8, "big") + tag + bytes(4)  # no budget (§8.3.9)
        self.message1 = (1 + 32 + len(payload) + 16).to_bytes(4, "big") + b"\x10" + ephemeral \
            + noise.encrypt_and_hash(payload)
        self.sock.sendall(self.message1)
        kind, body = self.read_frame()
        if kind != 17:
            raise cf.FormatError(f"expected HANDSHAKE-2, got frame type {kind}")
        remote = body[:32]
        noise.mix_hash(remote)
        noise.mix_key(remote)
        noise.mix_key(cc.x25519(private, remote))
        listener_h = noise.h  # §8.2.7: what the listener signed
        payload = noise.decrypt_and_hash(body[32:])
        if payload is None:
            raise cf.FormatError("message 2 does not open")
        self.final_h = noise.h  # §8.2.7: what this dialer signs
        self.send_key, self.receive_key = noise.split()
        flags, self.listener_clock, proof, inner = cf.read_handshake2_payload(payload)
        self.listener_flags = flags
        if inner is not None and inner[:1] == b"\x09":
            return check_vectors.decode_inner(inner)  # an ERROR carries no proof
        if bool(proof) != bool(self.device):
            raise cf.FormatError(f"message 2 flags {flags:#04x}: a device proof "
                                 f"{'missing' if self.device else 'in a format-1 ledger'} (§8.2.2)")
        self.listener_proof = proof
        if proof:
            self.proof_pending = (proof, listener_h)
        summary = self.receive() if inner is None else check_vectors.decode_inner(inner)
        self.check_listener_proof(summary)
        return summary

    def check_listener_proof(self, summary):
        """§8.2.7: the listener's proof, for the node of its first SUMMARY, checked before
        anything of it is taken in; without its key and its declaration, ask for the key."""
        if not self.proof_pending or summary["type"] != "SUMMARY":
            return
        proof, listener_h = self.proof_pending
        declared = self.declared.get(summary["node"])
        if proof["key"] is None and declared is None:
            self.ask_key = True  # checked when the key comes (receive)
            self.listener_node = summary["node"]
            return
        why = cf.check_proof(proof, cf.LISTENER, listener_h, summary["node"], declared)
        if why:
            raise cf.FormatError(f"the listener's device proof: {why}")
        self.proof_pending = None
        self.listener_verified = summary["node"]

    def first_proof(self, listener_summary):
        """§8.2.7: this dialer's proof, with its key unless the listener's first SUMMARY is
        `same` or `full` with an entry for this node at seq 1 or more."""
        if not self.device:
            return b""
        entries = listener_summary["compact"] or []
        holds_me = listener_summary["form"] == 1 or any(
            prefix == self.device["node"][:8] and seq >= 1 for prefix, seq, _ in entries)
        proof = cf.encode_proof(self.device["seed"], self.device["salt"], cf.DIALER, self.final_h,
                                with_key=not holds_me, ask_key=self.ask_key)
        self.key_expected = self.ask_key
        return proof

    # -- SEALED (§8.1)

    def send(self, inner, proof=b""):
        inner = proof + inner  # §8.2.7: the dialer's proof starts its first SEALED frame
        sealed = cc.aead_encrypt(self.send_key, cc.noise_nonce(self.sent), b"", inner)
        self.sent += 1
        self.send_frame(18, sealed)

    def receive(self):
        """The next message: a SEALED frame opened and decoded, or the parts of a SUMMARY
        split over several (§8.1, bit 3), assembled."""
        message = self.receive_one()
        parts = [message]
        while parts[-1]["type"] == "SUMMARY" and parts[-1]["continued"]:
            parts.append(self.receive_one())
        return check_vectors.assemble_summary(parts) if len(parts) > 1 else message

    def receive_one(self):
        """The next SEALED frame, opened under the next receive nonce and decoded."""
        kind, body = self.read_frame()
        if kind != 18:
            raise cf.FormatError(f"expected SEALED, got frame type {kind}: {body[:80]!r}")
        inner = cc.aead_decrypt(self.receive_key, cc.noise_nonce(self.received), b"", body)
        if inner is None:
            raise cf.FormatError("a SEALED frame does not open")
        self.received += 1
        if self.key_expected:  # §8.2.7: the key asked for, in front of the message
            self.key_expected = False
            proof, listener_h = self.proof_pending
            proof = dict(proof, key=inner[:32], salt=inner[32:48])
            inner = inner[48:]
            why = cf.check_proof(proof, cf.LISTENER, listener_h, self.listener_node)
            if why:
                raise cf.FormatError(f"the listener's device proof with the key it sent: {why}")
            self.proof_pending = None
            self.listener_verified = self.listener_node
            self.key_received = proof["key"], proof["salt"]
        return check_vectors.decode_inner(inner)


def summary_message(node, label, form, compact):
    """SUMMARY (§8.1): flags (form in bits 1-2), node, ledger, label, compact summary."""
    return (b"\x03" + bytes([form << 1]) + node + cf.enc_string(LEDGER.encode())
            + cf.enc_string(label.encode()) + compact)


def delta(mine, theirs):
    """§8.3.1 `delta`: my compact entries that differ from the listener's, plus seq 0 and no
    heads for each node the listener has and I have not."""
    listener = {prefix: (seq, heads) for prefix, seq, heads in theirs}
    out = []
    own = {node[:8]: (seq, [(s, h[:8]) for s, h in heads]) for node, seq, heads in mine}
    for prefix in sorted(set(own) | set(listener)):
        if prefix not in own:
            out.append((prefix, 0, []))
        elif listener.get(prefix) != own[prefix]:
            out.append((prefix,) + own[prefix])
    body = bytearray(cf.enc_varint(len(out)))
    for prefix, seq, heads in out:
        body += prefix + cf.enc_varint(seq) + cf.enc_varint(len(heads))
        for head_seq, hash_prefix in heads:
            body += cf.enc_varint(cf.zigzag(head_seq - seq)) + hash_prefix
    return bytes(body)


def decode_primed(payload, context):
    """§3.3: encode the context as a plain version-1 batch with a fresh encoder, decode it to
    set up a decoder, then decode the real batch with that decoder."""
    decoder = cf.BatchDecoder()
    decoder.decode(carnet_encode.encode_batch(context, 1), apply_limits=False)
    return decoder.decode(payload)


def run_session(report, carnet, work, signed):
    """A farm of 13 events; the dialer holds its first 7 (an earlier copy of its log). In a
    signed ledger the farm's commits carry signed heads and its batches are of version 2,
    while the context is still encoded as a plain version-1 batch (§3.3)."""
    farm = os.path.join(work, "farm")

    def run(*args):
        subprocess.run([carnet, *args, "--dir", farm], capture_output=True, check=True)

    if signed:
        run("ledger", "create", "--ledger", LEDGER, "--label", "farm", "--out",
            os.path.join(work, "farm.ledger"))
    else:
        subprocess.run([carnet, "secret", "new", "--out", os.path.join(farm + ".secret")],
                       capture_output=True, check=True)
        run("init", "--ledger", LEDGER, "--label", "farm", "--secret-file", farm + ".secret")
    run("party", "set", "ferme", "--name", "Ferme", "--kind", "farm")
    run("product", "set", "tomate", "--name", "Tomate", "--unit", "kg", "--price", "3,20")
    run("record", "harvest", "--producer", "ferme", "--date", "2026-06-01", "--product", "tomate",
        "--qty", "40kg", "--lot", "L001")
    early = carnet_read.load_store(farm)[0]
    for day in range(2, 8):
        run("record", "sale", "--producer", "ferme", "--date", f"2026-06-0{day}", "--product",
            "tomate", "--qty", "1kg", "--lot", "L001", "--to", "ferme")
    full = carnet_read.load_store(farm)[0]
    held = sorted(early.accepted().values(), key=cf.Event.id)
    expected = sorted((e for e in full.accepted().values() if e.id() not in early.held), key=cf.Event.id)
    identity = read_identity(farm)
    with open(os.path.join(farm, "secret"), encoding="ascii") as handle:
        secret = bytes.fromhex(handle.read().strip())
    ledger_id = bytes.fromhex(identity.get("ledger-id", ""))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    device = make_dialer_device(carnet, work) if signed else None
    server = subprocess.Popen([carnet, "serve", "--listen", f"127.0.0.1:{port}", "--dir", farm],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        dialer = connect(port, secret, ledger_id, early.summary(), device, held)
        try:
            exchange(report, dialer, early, held, expected, 2 if signed else 1)
        finally:
            dialer.sock.close()
        if signed:
            check_proofs(report, dialer, full)
            check_key_request(report, port, secret, ledger_id, device, full)
            check_bad_proof(report, port, secret, ledger_id, device, early, held)
        check_replay(report, port, dialer.message1)
        check_opening_flags(report, port, secret, ledger_id, device, early, signed)
        if signed:
            check_receipt(report, carnet, work, port, secret, ledger_id, device, farm)
    finally:
        server.terminate()
        server.wait(timeout=10)


def make_dialer_device(carnet, work):
    """A second node of the signed ledger, made by the real `carnet init --ledger-file`:
    this dialer proves its device with that node's `device.key` (§7.1) and salt. (The
    dialer's SUMMARY lists only the farm's events it holds, not that node's own.)"""
    directory = os.path.join(work, "dialer")
    subprocess.run([carnet, "init", "--ledger-file", os.path.join(work, "farm.ledger"), "--label",
                    "conformance-dialer", "--dir", directory], capture_output=True, check=True)
    identity = read_identity(directory)
    path = os.path.join(directory, "device.key")
    if os.stat(path).st_mode & 0o077:
        raise cf.FormatError(f"device.key grants permissions to group or others (§7.1): {oct(os.stat(path).st_mode)}")
    with open(path, encoding="ascii") as handle:
        lines = handle.read().split("\n")
    if (len(lines) != 3 or lines[0] != "carnet-device-key 1" or not lines[1].startswith("seed ")
            or len(lines[1]) != 69 or lines[1] != lines[1].lower() or lines[2]):
        raise cf.FormatError(f"device.key is not as §7.1 says: {lines[0]!r}, {len(lines)} lines")
    seed = bytes.fromhex(lines[1][len("seed "):])
    salt, node = bytes.fromhex(identity["salt"]), bytes.fromhex(identity["node"])
    if cf.node_id(cc.ed25519_public(seed), salt) != node:
        raise cf.FormatError("device.key and the node's salt do not derive its node id (§9.1)")
    return {"seed": seed, "salt": salt, "node": node}


def check_proofs(report, dialer, full):
    """§8.2.7 in the exchange that just ran: the listener proved the farm's node."""
    farm = next(e.node for e in full.accepted().values() if cf.key_declaration(e))
    report.equal(getattr(dialer, "listener_verified", None), farm,
                 "the listener's device proof verifies for the node of its SUMMARY (§8.2.7)")
    report.equal(dialer.listener_proof["form"], 0,
                 "the listener's proof is its signature alone (its SUMMARY is in message 2)")


def check_key_request(report, port, secret, ledger_id, device, full):
    """§8.2.7, a dialer that holds nothing: it lacks the farm's declaration, asks for the
    key (form bit 7), and the listener's next SEALED frame starts with it; then the
    listener sends the farm's events."""
    dialer = connect(port, secret, ledger_id, [], device, [])
    try:
        summary = dialer.handshake()
        report.check(dialer.ask_key, "a dialer without the farm's declaration asks for its key")
        dialer.send(summary_message(device["node"], "conformance-dialer", 2, delta([], summary["compact"] or [])),
                    dialer.first_proof(summary))
        dialer.send(b"\x06" + cf.enc_varint(0) + cf.enc_varint(1))
        got = []
        while True:
            message = dialer.receive()
            if message["type"] == "EVENTS":
                report.equal(message["primed"], 0, "to a dialer that holds nothing, batches are plain")
                got += message["batch"][1]
                dialer.send(b"\x05" + cf.enc_varint(message["number"]) + b"\x00"
                            + cf.enc_varint(len(message["batch"][1])) + cf.enc_string(b""))
            elif message["type"] == "DONE":
                break
            elif message["type"] == "ERROR":
                raise cf.FormatError(f"the listener sent ERROR {message['code']}: {message['message']!r}")
    finally:
        dialer.sock.close()
    declared = next(cf.key_declaration(e) for e in full.accepted().values() if cf.key_declaration(e))
    report.equal(getattr(dialer, "key_received", None), declared,
                 "asked, the listener's next SEALED frame starts with its declared key and salt, "
                 "and its proof verifies with them")
    report.equal(sorted(e.id() for e in got), sorted(e.id() for e in full.accepted().values()),
                 f"then its {len(got)} events, the farm's")


def check_bad_proof(report, port, secret, ledger_id, device, early, held):
    """Fail-first for §8.2.7: the dialer of the exchange above, with its proof spoiled
    three ways (one signature byte flipped; the signature alone, while the listener holds
    no declaration of this node; no proof at all, the first SEALED frame starting with its
    SUMMARY), gets nothing of the farm: an ERROR authentication-failed (5), malformed (4)
    for the missing proof, or a close."""
    spoil = {
        "with a flipped signature byte": lambda proof: proof[:-1] + bytes([proof[-1] ^ 1]),
        "without its key, which the listener lacks": lambda proof: b"\x00" + proof[49:],
        "missing": lambda proof: b"",
    }
    for what, change in spoil.items():
        dialer = connect(port, secret, ledger_id, early.summary(), device, held)
        try:
            summary = dialer.handshake()
            proof = dialer.first_proof(summary)
            if proof[0] != 1:
                raise cf.FormatError(f"expected a proof with the key, form 1; form {proof[0]}")
            dialer.send(summary_message(device["node"], "conformance-dialer", 2,
                                        delta(early.summary(), summary["compact"] or [])), change(proof))
            dialer.send(b"\x06" + cf.enc_varint(0) + cf.enc_varint(1))
            answers = []
            try:
                while True:
                    answers.append(dialer.receive())
            except (cf.FormatError, OSError):
                pass
        finally:
            dialer.sock.close()
        kinds = [m["type"] for m in answers]
        # A missing proof is read as a proof whose form is the SUMMARY's type byte, 3:
        # malformed (§8.2.7).
        codes = (4,) if what == "missing" else (5,)
        report.check(kinds in ([], ["ERROR"]) and all(m["code"] in codes for m in answers),
                     f"a dialer proof {what}: nothing of the farm, a close or ERROR "
                     f"{'malformed' if codes == (4,) else 'authentication-failed'} (§8.2.7, §8.4), got {kinds}"
                     + "".join(f": {m['message'].decode(errors='replace')!r}" for m in answers))


def check_opening_flags(report, port, secret, ledger_id, device, early, signed):
    """§8.2.1: message 1's bit 0 must say what the ledger is (else message 2 carries ERROR
    authentication-failed in a signed ledger, malformed in format 1), bit 1 (a receipt,
    §9.6) is malformed in format 1, and another bit than 0 to 2 is malformed; each answered
    with message 2 carrying only that ERROR, no proof. Bit 2 (grants, §8.3 rule 8): `carnet
    serve` speaks them in both formats, so message 2 sets its bit 2 and carries the SUMMARY
    (in a signed ledger with the listener's proof, bit 1)."""
    cases = [(0 if signed else 1, 5 if signed else 4, "bit 0 " + ("clear in a signed ledger" if signed
                                                                   else "set in format 1")),
             ((1 if signed else 0) | 8, 4, "bit 3 set")]
    if not signed:
        cases.append((2, 4, "bit 1 (receipt wanted) in format 1"))
    ledger = "a signed ledger" if signed else "format 1"
    dialer = connect(port, secret, ledger_id, early.summary(), device)
    try:
        answer = dialer.handshake((1 if signed else 0) | 4)
        flags = dialer.listener_flags
    except (cf.FormatError, OSError) as error:
        answer, flags = {"type": f"{type(error).__name__}: {error}"}, 0
    finally:
        dialer.sock.close()
    report.equal((answer["type"], flags & 4), ("SUMMARY", 4),
                 f"message 1 with bit 2 set (grants) in {ledger}: message 2 sets bit 2 and carries the SUMMARY (§8.2.2, §8.3 rule 8)")
    for flags, code, what in cases:
        dialer = connect(port, secret, ledger_id, early.summary(), device)
        try:
            answer = dialer.handshake(flags)
        except (cf.FormatError, OSError) as error:
            answer = {"type": f"{type(error).__name__}: {error}"}
        finally:
            dialer.sock.close()
        report.equal((answer["type"], answer.get("code")), ("ERROR", code),
                     f"message 1 with {what}: message 2 carries ERROR {code} (§8.2.1)")


def receipt_message(ledger_id, holder, subject, seq, head, held_at):
    """§9.6: the bytes a custody receipt's signature covers."""
    return (b"carnet/2 receipt" + ledger_id + holder + subject + seq.to_bytes(8, "big") + head
            + held_at.to_bytes(8, "big"))


def check_receipt(report, carnet, work, port, secret, ledger_id, device, farm):
    """§9.6: the dialer's node first syncs for real (`carnet sync`), so the listener holds
    its events; a dialer that then sets message 1's bit 1 gets a RECEIPT once its DONE is
    answered: the newest seq of its node the listener holds, the listener's clock and a
    signature that verifies, under the key the listener's node declared, over the message
    rebuilt with the hash of the dialer's own event at that seq."""
    directory = os.path.join(work, "dialer")
    subprocess.run([carnet, "sync", f"127.0.0.1:{port}", "--dir", directory], capture_output=True, check=True)
    mine = carnet_read.load_store(directory)[0]
    held = sorted(mine.accepted().values(), key=cf.Event.id)
    own = max((e for e in held if e.node == device["node"]), key=lambda e: e.seq)
    dialer = connect(port, secret, ledger_id, mine.summary(), device, held)
    try:
        listener_summary = dialer.handshake(3)  # bit 0 device proof, bit 1 receipt wanted
        same = listener_summary["form"] == 1
        compact = b"" if same else delta(mine.summary(), listener_summary["compact"] or [])
        dialer.send(summary_message(device["node"], "conformance-dialer", 1 if same else 2, compact),
                    dialer.first_proof(listener_summary))
        dialer.send(b"\x06" + cf.enc_varint(0) + cf.enc_varint(1))  # DONE(0, 1)
        receipt, done = None, False
        while receipt is None or not done:
            message = dialer.receive()
            if message["type"] == "RECEIPT":
                receipt = message
            elif message["type"] == "DONE":
                done = True
            elif message["type"] == "EVENTS":
                dialer.send(b"\x05" + cf.enc_varint(message["number"]) + b"\x00" + cf.enc_varint(0) + cf.enc_string(b""))
            elif message["type"] == "ERROR":
                raise cf.FormatError(f"the listener sent ERROR {message['code']}: {message['message']!r}")
    finally:
        dialer.sock.close()
    report.equal(receipt["seq"], own.seq, "the RECEIPT names the newest seq of the dialer's node the listener holds (§9.6)")
    report.check(abs(receipt.get("held_at", 0) - time.time() * 1000) < 60_000,
                 "it carries the listener's wall clock, within a minute of this machine's")
    holder = listener_summary["node"]
    keys = {e.node: cf.key_declaration(e)[0] for e in carnet_read.load_store(farm)[0].accepted().values()
            if cf.key_declaration(e)}
    message = receipt_message(ledger_id, holder, device["node"], own.seq, own.hash, receipt.get("held_at", 0))
    signature = receipt.get("signature", bytes(64))
    report.check(cc.ed25519_verify(keys.get(holder, bytes(32)), message, signature),
                 "its signature verifies under the listener's declared key over the rebuilt message (§9.6)")
    flipped = message[:-9] + bytes([message[-9] ^ 1]) + message[-8:]
    report.check(not cc.ed25519_verify(keys.get(holder, bytes(32)), flipped, signature),
                 "and not over a message with the head's last byte flipped")


def check_replay(report, port, message1):
    """§8.2.6: the message 1 answered above, sent again to the same `carnet serve`, gets
    nothing at all: the connection closes with zero bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(message1)
        got, closed = b"", False
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    closed = True
                    break
                got += chunk
        except (socket.timeout, ConnectionResetError):
            closed = isinstance(sys.exc_info()[1], ConnectionResetError)
    report.equal(len(got), 0, "a replayed message 1 gets zero bytes back (§8.2.6 replay cache)")
    report.check(closed, "and the listener closes the connection")


def read_identity(directory):
    """The node file's key-value lines (§7)."""
    with open(os.path.join(directory, "node"), encoding="utf-8") as handle:
        lines = handle.read().split("\n")[1:]
    return dict(line.partition(" ")[::2] for line in lines if line)


def connect(port, secret, ledger_id, summary, device=None, held=()):
    """Dial the listener, retrying while `carnet serve` starts (at most 10 s)."""
    deadline = time.time() + 10
    while True:
        try:
            return Dialer(("127.0.0.1", port), secret, ledger_id, summary, device, held)
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def exchange(report, dialer, early, held, expected, version):
    """The dialer's session: SUMMARY (delta) and DONE, then ACK every EVENTS until the
    listener's DONE; a primed batch is decoded against the context the dialer holds."""
    listener_summary = dialer.handshake()
    report.equal(listener_summary["type"], "SUMMARY", "message 2 carries the listener's SUMMARY (§8.2)")
    report.check(abs(dialer.listener_clock - time.time() * 1000) < 60_000,
                 "message 2 carries the listener's wall clock, within a minute of this machine's (§8.2.2)")
    node = dialer.device["node"] if dialer.device else os.urandom(16)
    dialer.send(summary_message(node, "conformance-dialer", 2, delta(early.summary(), listener_summary["compact"] or [])),
                dialer.first_proof(listener_summary))
    dialer.send(b"\x06" + cf.enc_varint(0) + cf.enc_varint(1))  # DONE(0, 1)
    received, done = [], False
    while not done:
        message = dialer.receive()
        if message["type"] == "EVENTS":
            if message["primed"]:
                context_node, end, count = message["context"]
                context = [e for e in held if e.node == context_node and end - count < e.seq <= end]
                report.equal(len(context), count, f"the primed context ({count} events to seq {end}) is held")
                batch_version, events, runs, heads = decode_primed(message["payload"], context)
                report.equal(batch_version, version, f"the primed batch is of version {version}")
                if version == 2:
                    check_heads(report, held, runs, heads, dialer.ledger_id)
                report.check(events and events[0].node == context_node and events[0].seq == end + 1
                             and events[0].previous == context[-1].hash,
                             "the primed batch follows its context (§3.3)")
                try:
                    plain = cf.decode_batch(message["payload"])[1]
                except cf.FormatError:
                    plain = None
                report.check(plain is None or [e.id() for e in plain] != [e.id() for e in events],
                             "without its context the batch does not decode to the same events")
            else:
                events = message["batch"][1]
            report.check(True, f"EVENTS #{message['number']}: {len(events)} events, "
                               f"{'primed' if message['primed'] else 'plain'}")
            received.append(message)
            dialer.send(b"\x05" + cf.enc_varint(message["number"]) + b"\x00"
                        + cf.enc_varint(len(events)) + cf.enc_string(b""))
            message["events"] = events
        elif message["type"] == "DONE":
            done = True
        elif message["type"] == "ERROR":
            raise cf.FormatError(f"the listener sent ERROR {message['code']}: {message['message']!r}")
    got = sorted((e for m in received for e in m["events"]), key=cf.Event.id)
    report.check(any(m["primed"] for m in received), "the listener primed a batch (§3.3)")
    report.equal([e.id() for e in got], [e.id() for e in expected],
                 f"the {len(got)} events received are the farm's events the dialer lacked (same ids)")


def check_heads(report, held, runs, heads, ledger_id):
    """§9.2: each head of the primed batch is signed by the key its node declared (§9.1)."""
    keys = {e.node: cf.key_declaration(e)[0] for e in held if cf.key_declaration(e)}
    good = sum(cc.ed25519_verify(keys.get(runs[i][-1].node, bytes(32)),
                                 cf.head_message(ledger_id, runs[i][-1]), signature)
               for i, signature in heads)
    report.check(heads and good == len(heads), f"its {len(heads)} signed heads verify (§9.2)")


def main():
    """The exchange in a format-1 and in a signed ledger, each in a scratch directory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--carnet", required=True)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    report = check_vectors.Report(args.verbose)
    for signed in (False, True):
        report.section = "signed ledger" if signed else "format-1 ledger"
        work = tempfile.mkdtemp(prefix="carnet-session-")
        try:
            run_session(report, os.path.abspath(args.carnet), work, signed)
        except (cf.FormatError, OSError, subprocess.SubprocessError) as error:
            report.error(f"stopped: {type(error).__name__}: {error}")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return check_vectors.summarize(report, "a live session with carnet serve (§8, §3.3)")


if __name__ == "__main__":
    sys.exit(main())

"""§9.5 of protocol/SPEC.md read independently: a ledger's genesis, its member records,
and the verdict on every accepted event (counts, unenrolled, revoked, out-of-role); and
§9.7's adoption of a format-1 history (the `adopted` assigns that count, and which keyless
events they adopt).

Written from the SPEC alone, like the rest of this directory: where it and `carnet`
disagree on a store, one of them (or the SPEC) is wrong.
"""

import hashlib

COUNTS, UNENROLLED, REVOKED, OUT_OF_ROLE = "counts", "unenrolled", "revoked", "out-of-role"
CREATOR_ROLES = frozenset({b"admin", b"catalog", b"producer:*"})


def _text(value):
    return value.data if value is not None and value.tag == 1 else None


def declared_key(accepted, node):
    """§9.1: the key A a node's seq-1 event declares (`node/<id>.key` = hex(A ‖ salt)),
    when it derives the node's id; None otherwise."""
    for event in accepted.values():
        if event.node != node or event.seq != 1 or event.op[0] != "assign":
            continue
        _, rtype, record, field, value, _ = event.op
        if rtype != b"node" or record != node.hex().encode() or field != b"key":
            continue
        text = _text(value)
        try:
            raw = bytes.fromhex(text.decode()) if text and text == text.lower() else b""
        except ValueError:
            raw = b""
        if len(raw) == 48 and hashlib.sha256(b"carnet/2 node" + raw).digest()[:16] == node:
            return raw[:32]
    return None


def _fields(event):
    by_name = {}
    for name, value in event.op[3]:
        by_name.setdefault(name, value)  # §10.4: the first occurrence
    return by_name


def member_record(event):
    """A member record's fields (§9.5), or None when it is malformed (it counts for nothing)."""
    fields = _fields(event)
    text = {name: _text(value) for name, value in fields.items()}
    if any(fields[name].tag != 1 for name in (b"action", b"device", b"roles", b"label", b"cut", b"reason") if name in fields):
        return None  # a known field of another type
    action, device = text.get(b"action"), text.get(b"device")
    if action not in (b"enrol", b"roles", b"revoke") or device is None or len(device) != 32:
        return None
    try:
        device = bytes.fromhex(device.decode())
    except ValueError:
        return None
    roles = set()
    if action != b"revoke":
        if b"roles" not in text:
            return None
        for word in text[b"roles"].split(b" "):
            if not word:
                continue
            if word in (b"admin", b"catalog") or (word.startswith(b"producer:") and len(word) > 9):
                roles.add(word)
            else:
                return None
    cuts = {}
    if text.get(b"cut") is not None:
        for item in text[b"cut"].split(b","):
            parts = item.split(b":")
            if len(parts) != 3 or len(parts[0]) != 32 or len(parts[2]) != 64 or not parts[1].isdigit():
                return None
            node = bytes.fromhex(parts[0].decode())
            if node in cuts or int(parts[1]) < 1:
                return None
            cuts[node] = (int(parts[1]), bytes.fromhex(parts[2].decode()))
    return {"action": action, "device": device, "roles": frozenset(roles), "cuts": cuts}


class Members:
    """The verdicts of §9.5 over a replica's accepted events, for a ledger id."""

    def __init__(self, replica, ledger_id):
        self.accepted = replica.accepted()
        self.keys = {}
        self.creator = None
        self.enforced = False
        self.heads = {}
        self.adopted_tips = {}  # §9.7: node -> [(seq, hash)] named by adopted assigns that count
        self.adoptions = []     # the adopted assigns that count
        for node, _, heads in replica.summary():
            self.heads[node] = heads
        if ledger_id is None:
            return
        self.ledger_hex = ledger_id.hex().encode()
        genesis = []
        for event in self.accepted.values():
            if event.op[0] != "assign":
                continue
            _, rtype, record, field, value, _ = event.op
            text = _text(value)
            if rtype != b"ledger" or record != ledger_id.hex().encode() or field != b"genesis" or text is None:
                continue
            try:
                raw = bytes.fromhex(text.decode())
            except ValueError:
                continue
            if (len(raw) == 48 and hashlib.sha256(b"carnet/2 ledger" + raw).digest()[:16] == ledger_id
                    and self.key(event.node) == raw[:32]):
                genesis.append(event)
        if not genesis:
            return
        self.enforced = True
        self.creator = min(genesis, key=lambda e: e.id()).node
        records = []
        for event in self.accepted.values():
            if event.op[0] == "append" and event.op[2] == b"member":
                record = member_record(event)
                if record is not None:
                    records.append((event, record))
        records.sort(key=lambda item: ((item[0].physical, item[0].logical), item[0].id()))
        self.records = records
        self._judge()
        self._adopt()

    def key(self, node):
        if node not in self.keys:
            self.keys[node] = declared_key(self.accepted, node)
        return self.keys[node]

    def device(self, node):
        key = self.key(node)
        return ("key", key) if key is not None else ("node", node)

    def is_past(self, event, cuts):
        """§9.5 Cuts."""
        cut = cuts.get(event.node)
        if cut is None or event.seq > cut[0]:
            return True
        if len(self.heads.get(event.node, [])) <= 1:
            return False
        current = (event.node, cut[0], cut[1])
        if current not in self.accepted:
            return False
        while current[1] > event.seq:
            previous = self.accepted[current].previous
            current = (current[0], current[1] - 1, previous)
            if current not in self.accepted:
                return False
        return current != event.id()

    def _roles(self, device, event, grants):
        found = None
        for grant in grants.get(device, []):
            if self.is_past(event, grant["cuts"]):
                found = grant["roles"]
        return found

    def _revocation(self, device, event, revocations, ignoring):
        for revocation in revocations.get(device, []):
            if revocation["author"] != ignoring and self.is_past(event, revocation["cuts"]):
                return revocation["event"]
        return None

    def _authority(self, event, record, grants, revocations):
        author = self.device(event.node)
        ignoring = self.device(record["device"]) if record["action"] == b"revoke" else None
        if self._revocation(author, event, revocations, ignoring) is not None:
            return REVOKED
        roles = self._roles(author, event, grants)
        if roles is None:
            return UNENROLLED
        return COUNTS if b"admin" in roles else OUT_OF_ROLE

    def _judge(self):
        """§9.5 Which member records count: in order; the earliest counted record past a
        revocation or change of roles of its author that counts is set aside; again."""
        set_aside = set()
        while True:
            grants = {self.device(self.creator): [{"roles": CREATOR_ROLES, "cuts": {}}]}
            revocations = {}
            verdicts, counted = {}, []
            for event, record in self.records:
                if event.id() in set_aside:
                    verdicts[event.id()] = OUT_OF_ROLE
                    continue
                verdict = self._authority(event, record, grants, revocations)
                verdicts[event.id()] = verdict
                if verdict != COUNTS:
                    continue
                counted.append((event, record))
                target = self.device(record["device"])
                if record["action"] == b"revoke":
                    revocations.setdefault(target, []).append(
                        {"author": self.device(event.node), "cuts": record["cuts"], "event": event.id()})
                else:
                    cuts = {} if record["action"] == b"enrol" else record["cuts"]
                    grants.setdefault(target, []).append({"roles": record["roles"], "cuts": cuts})
            late = next((event for event, record in counted
                         if self._authority(event, record, grants, revocations) != COUNTS), None)
            if late is None:
                self.grants, self.revocations, self.member_verdicts = grants, revocations, verdicts
                return
            set_aside.add(late.id())

    def _adopt(self):
        """§9.7 Verdicts: an assign of `ledger/<ledger id hex>` field `adopted` counts when
        written by a node of the creator's device and not past a revocation of that device
        that counts; each names branch tips as NODE:SEQ:HASH joined by `,` (a member
        record's cut form). One that does not parse names nothing."""
        creator = self.device(self.creator)
        for event in self.accepted.values():
            if event.op[0] != "assign":
                continue
            _, rtype, record, field, value, _ = event.op
            text = _text(value)
            if (rtype != b"ledger" or record != self.ledger_hex or field != b"adopted" or text is None
                    or self.device(event.node) != creator
                    or self._revocation(creator, event, self.revocations, None) is not None):
                continue
            tips = []
            for item in text.split(b","):
                parts = item.split(b":")
                try:
                    if len(parts) != 3 or len(parts[0]) != 32 or len(parts[2]) != 64 or not parts[1].isdigit():
                        raise ValueError(item)
                    tips.append((bytes.fromhex(parts[0].decode()), int(parts[1]), bytes.fromhex(parts[2].decode())))
                except ValueError:
                    tips = None
                    break
            if not tips:
                continue
            self.adoptions.append(event)
            for node, seq, digest in tips:
                self.adopted_tips.setdefault(node, []).append((seq, digest))

    def is_adopted(self, event):
        """§9.7: in a ledger with members, an event whose node declares no key and that is
        not past (§9.5 Cuts) one of the tips a counting `adopted` assign names."""
        if not self.enforced or self.key(event.node) is not None:
            return False
        return any(not self.is_past(event, {event.node: tip}) for tip in self.adopted_tips.get(event.node, []))

    def verdict(self, event, entry=None):
        """§9.5 Which events count. `entry`: the ledger entry read from an append (10.4)."""
        if not self.enforced:
            return COUNTS
        if event.op[0] == "assign" and event.op[1] == b"node" and event.op[2] == event.node.hex().encode():
            return COUNTS
        if event.op[0] == "append" and event.op[2] == b"member":
            return self.member_verdicts.get(event.id(), OUT_OF_ROLE)
        if self.is_adopted(event):  # §9.7: counts, with every role; never held aside or revoked
            return COUNTS
        device = self.device(event.node)
        if self._revocation(device, event, self.revocations, None) is not None:
            return REVOKED
        roles = self._roles(device, event, self.grants)
        if roles is None:
            return UNENROLLED

        def may_write(party):
            return b"producer:*" in roles or (party is not None and b"producer:" + party in roles)
        if event.op[0] == "assign":
            if event.op[1] == b"ledger":
                return COUNTS if event.node == self.creator or b"admin" in roles else OUT_OF_ROLE
            return COUNTS if b"catalog" in roles else OUT_OF_ROLE
        if entry is None:
            return COUNTS
        if entry["kind"] == b"review":
            return COUNTS if b"admin" in roles else OUT_OF_ROLE
        if entry["kind"] == b"order":
            return COUNTS if may_write(entry.get("producer")) or may_write(entry.get("party")) else OUT_OF_ROLE
        return COUNTS if may_write(entry.get("producer")) else OUT_OF_ROLE

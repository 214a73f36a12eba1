"""An event batch encoder written from the encoder rules of protocol/SPEC.md §3 and §3.1.

Why an encoder in a conformance check: the decoder accepts any coding, but the encoder
rules are binding (§3.1) because a primed batch (§3.3) makes the receiver rebuild the
sender's tables by encoding the context itself. If this encoder, written from the text,
re-makes the bytes Carnet wrote, the rules are stated completely enough for that.
"""

import carnet_format as cf


class BatchEncoder:
    """Encoder state: the same tables as the decoder's, filled by the encoder rules."""

    def __init__(self):
        self.nodes = {}        # node -> index
        self.shapes = {}       # (kind, ((name, tag), ...)) -> index
        self.dictionaries = {} # context -> {bytes: index}, with a size
        self.templates = {}    # (prefix, width) -> index
        self.template_last = []
        self.last_physical = 0
        self.last_day = 0
        self.out = bytearray()

    def varint(self, value):
        self.out += cf.enc_varint(value)

    def svarint(self, value):
        self.out += cf.enc_svarint(value)

    def node_ref(self, node):
        """§3: a node already in the table by its index, else the table size and its bytes."""
        if node in self.nodes:
            self.varint(self.nodes[node])
        else:
            self.nodes[node] = len(self.nodes)
            self.varint(self.nodes[node])
            self.out += node

    def text(self, data, context):
        """§3.1 encoder rules 1 to 3, in that order."""
        dictionary = self.dictionaries.setdefault(context, {})
        if data in dictionary:
            self.varint(2 * dictionary[data])
            return
        index = len(dictionary)
        split = trailing_digit_run(data)
        if split is None:
            self.varint(2 * index)
            self.out += cf.enc_string(data)
        else:
            prefix, digits = split
            key = (prefix, len(digits))
            if key in self.templates:
                template = self.templates[key]
                self.varint(2 * template + 1)
            else:
                template = len(self.template_last)
                self.templates[key] = template
                self.template_last.append(0)
                self.varint(2 * template + 1)
                self.out += cf.enc_string(prefix) + bytes([len(digits)])
            number = int(digits)
            self.svarint(number - self.template_last[template])
            self.template_last[template] = number
        dictionary[data] = index

    def payload(self, value, context):
        """A payload by tag (§3 table); a day is coded against the batch's last day value."""
        if value.tag == 0:
            self.svarint(value.data)
        elif value.tag == 1:
            self.text(value.data, context)
        elif value.tag == 2:
            self.out.append(1 if value.data else 0)
        else:
            self.svarint(cf.to_signed64(value.data - self.last_day))
            self.last_day = value.data

    def clock(self, event):
        delta = cf.to_signed64(event.physical - self.last_physical)
        self.last_physical = event.physical
        self.varint(cf.zigzag(delta) << 1 | (1 if event.logical else 0))
        if event.logical:
            self.varint(event.logical)

    def operation(self, op):
        """An assign, or an append reusing an equal shape or defining one (§3)."""
        if op[0] == "assign":
            _, rtype, record, field, value, superseded = op
            self.varint(0)
            self.text(rtype, cf.TEXT_CONTEXTS["type"])
            self.text(record, cf.TEXT_CONTEXTS["record"])
            self.text(field, cf.TEXT_CONTEXTS["assigned"])
            self.out.append(value.tag)
            self.payload(value, cf.TEXT_CONTEXTS["value"])
            self.varint(len(superseded))
            for node, seq, digest in superseded:
                self.node_ref(node)
                self.varint(seq)
                self.out += digest
            return
        _, entry_id, kind, fields = op
        shape = (kind, tuple((name, value.tag) for name, value in fields))
        if shape in self.shapes:
            self.varint(self.shapes[shape] + 1)
        else:
            self.shapes[shape] = len(self.shapes)
            self.varint(len(self.shapes))
            self.text(kind, cf.TEXT_CONTEXTS["kind"])
            self.varint(len(fields))
            for name, value in fields:
                self.text(name, cf.TEXT_CONTEXTS["field"])
                self.out.append(value.tag)
        self.text(entry_id, cf.TEXT_CONTEXTS["id"])
        for name, value in fields:
            self.payload(value, name)

    def batch(self, events, version, heads=()):
        """§3 and §3.4: runs as long as they can be, cut after every event a head signs."""
        signed = {event_id for event_id, _ in heads}
        runs = []
        for event in events:
            last = runs[-1][-1] if runs else None
            if (last is None or last.node != event.node or last.seq + 1 != event.seq
                    or last.hash != event.previous or last.id() in signed):
                runs.append([])
            runs[-1].append(event)
        self.out += b"CB" + bytes([version])
        self.varint(len(runs))
        for run in runs:
            self.node_ref(run[0].node)
            self.varint(run[0].seq)
            self.varint(len(run))
            self.out += run[0].previous
            for event in run:
                self.clock(event)
                self.operation(event.op)
        if version == 2:
            by_id = dict(heads)
            found = [(i, by_id[run[-1].id()]) for i, run in enumerate(runs) if run[-1].id() in by_id]
            self.varint(len(found))
            for index, signature in found:
                self.varint(index)
                self.out += signature
        return bytes(self.out)


def trailing_digit_run(data):
    """§3.1 rule 2: (prefix, digits) when the string ends in a run of 3 to 18 ASCII digits,
    the run taken whole; None otherwise (no digit, 1 or 2 of them, or more than 18)."""
    end = len(data)
    start = end
    while start > 0 and 0x30 <= data[start - 1] <= 0x39:
        start -= 1
    if 3 <= end - start <= 18:
        return data[:start], data[start:].decode("ascii")
    return None


def encode_batch(events, version, heads=()):
    """A plain batch with a fresh encoder; heads are (event id, signature) pairs."""
    return BatchEncoder().batch(events, version, heads)

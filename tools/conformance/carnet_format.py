"""An independent reader of Carnet's formats, written from protocol/SPEC.md alone.

Nothing here was taken from the Swift sources: every rule cites the SPEC section it
implements, so that a reader of this file in ten years can check it against the text.
Standard library only (hashlib for SHA-256, unicodedata for NFC).
"""

import hashlib
import unicodedata

MAX_STRING = 65_536            # §1, §3.2
MAX_BATCH_EVENTS = 1 << 20     # §3.2
MAX_SHAPE_FIELDS = 64          # §3.2
MAX_SUPERSEDED = 4_096         # §3, §3.2
MAX_EVENT_CANONICAL = 65_536   # §3.2
MAX_BATCH_CANONICAL = 32 * 1024 * 1024  # §3.2
U64 = (1 << 64) - 1
ZERO_HASH = bytes(32)


class FormatError(Exception):
    """Any input the SPEC says a decoder MUST refuse."""


# ---------------------------------------------------------------- §1 primitives

class Reader:
    """A cursor over bytes; every read refuses truncation (§3.2: truncation is invalid)."""

    def __init__(self, data, pos=0):
        self.data = bytes(data)
        self.pos = pos

    def remaining(self):
        return len(self.data) - self.pos

    def at_end(self):
        return self.pos == len(self.data)

    def raw(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise FormatError(f"truncated: need {n} bytes at offset {self.pos}")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def u8(self):
        if self.pos >= len(self.data):
            raise FormatError(f"truncated: need 1 byte at offset {self.pos}")
        self.pos += 1
        return self.data[self.pos - 1]

    def u16be(self):
        return int.from_bytes(self.raw(2), "big")

    def u32be(self):
        return int.from_bytes(self.raw(4), "big")

    def u64be(self):
        return int.from_bytes(self.raw(8), "big")

    def varint(self):
        """Unsigned LEB128, at most 10 bytes, value ≤ 2^64−1; longer forms accepted (§1)."""
        if self.pos < len(self.data) and self.data[self.pos] < 0x80:  # one byte: most of them
            self.pos += 1
            return self.data[self.pos - 1]
        value = 0
        for index in range(10):
            byte = self.u8()
            if index == 9 and byte > 1:
                raise FormatError("varint above 2^64-1")
            value |= (byte & 0x7F) << (7 * index)
            if not byte & 0x80:
                return value
        raise FormatError("varint longer than 10 bytes")

    def svarint(self):
        return unzigzag(self.varint())

    def string_bytes(self):
        """`string` (§1): a varint length ≤ 65,536 then strict UTF-8."""
        length = self.varint()
        if length > MAX_STRING:
            raise FormatError(f"string length {length} above {MAX_STRING}")
        data = self.raw(length)
        check_utf8(data)
        return data

    def node(self):
        return self.raw(16)

    def digest(self):
        return self.raw(32)


def check_utf8(data):
    """RFC 3629 UTF-8; Python's strict codec refuses overlongs, surrogates and > U+10FFFF."""
    try:
        data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as error:
        raise FormatError(f"invalid UTF-8: {error}") from None


def unzigzag(z):
    """§1 svarint: (z >> 1) ^ −(z & 1), as a signed 64-bit integer."""
    return (z >> 1) ^ -(z & 1)


def zigzag(n):
    return ((n << 1) ^ (n >> 63)) & U64


def to_signed64(value):
    value &= U64
    return value - (1 << 64) if value >> 63 else value


def enc_varint(value):
    """Shortest-form varint (§1: an encoder MUST write the shortest form)."""
    if not 0 <= value <= U64:
        raise FormatError(f"varint out of range: {value}")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def enc_svarint(value):
    return enc_varint(zigzag(value))


def enc_string(data):
    return enc_varint(len(data)) + data


def hex_(data):
    return data.hex()


# ---------------------------------------------------------------- §2 events

class Value:
    """A value (§2): tag 0 integer, 1 text (bytes), 2 boolean, 3 day."""

    __slots__ = ("tag", "data")
    NAMES = {0: "int", 1: "text", 2: "bool", 3: "day"}

    def __init__(self, tag, data):
        self.tag, self.data = tag, data

    def encode(self):
        """`value` of §2.1 and §5."""
        if self.tag in (0, 3):
            return bytes([self.tag]) + enc_svarint(self.data)
        if self.tag == 1:
            return b"\x01" + enc_string(self.data)
        return b"\x02" + (b"\x01" if self.data else b"\x00")

    def to_json(self):
        if self.tag == 1:
            return self.data.decode("utf-8")
        return self.data

    def __repr__(self):
        return f"{self.NAMES[self.tag]}:{self.to_json()!r}"


class Event:
    """An event `(dot, clock, previous, operation)` (§2) with its hash once computed."""

    def __init__(self, node, seq, physical, logical, previous, op):
        self.node, self.seq = node, seq
        self.physical, self.logical = physical, logical
        self.previous = previous
        self.op = op          # ("assign", type, record, field, Value, [ids]) or
        self.hash = None      # ("append", entry_id, kind, [(name, Value)])

    def id(self):
        """Event id `(node, seq, hash)`, a tuple that sorts in id order (§1)."""
        return (self.node, self.seq, self.hash)

    def canonical(self):
        """`canonical-event` of §2.1."""
        out = bytearray(b"CEv1")
        out += self.node + enc_varint(self.seq) + enc_varint(self.physical)
        out += enc_varint(self.logical) + self.previous
        if self.op[0] == "assign":
            _, rtype, record, field, value, superseded = self.op
            out += b"\x00" + enc_string(rtype) + enc_string(record) + enc_string(field)
            out += value.encode() + enc_varint(len(superseded))
            for node, seq, digest in superseded:
                out += node + enc_varint(seq) + digest
        else:
            _, entry_id, kind, fields = self.op
            out += b"\x01" + enc_string(entry_id) + enc_string(kind) + enc_varint(len(fields))
            for name, value in fields:
                out += enc_string(name) + value.encode()
        return bytes(out)

    def compute_hash(self):
        canonical = self.canonical()
        self.hash = hashlib.sha256(canonical).digest()
        return canonical

    def label(self):
        return f"{hex_(self.node)}:{self.seq}#{hex_(self.hash)[:8]}"

    def to_json(self):
        """A plain description, for reports and `carnet_read.py`."""
        out = {"node": hex_(self.node), "seq": self.seq, "hash": hex_(self.hash),
               "physical": self.physical, "logical": self.logical,
               "previous": hex_(self.previous)}
        if self.op[0] == "assign":
            _, rtype, record, field, value, superseded = self.op
            out.update(op="assign", type=rtype.decode(), record=record.decode(),
                       field=field.decode(), value=value.to_json(),
                       valueType=Value.NAMES[value.tag],
                       supersedes=[f"{hex_(n)}:{s}#{hex_(h)}" for n, s, h in superseded])
        else:
            _, entry_id, kind, fields = self.op
            out.update(op="append", id=entry_id.decode(), kind=kind.decode(),
                       fields=[[n.decode(), Value.NAMES[v.tag], v.to_json()] for n, v in fields])
        return out


# ---------------------------------------------------------------- §3 batches

TEXT_CONTEXTS = {name: b"\x00" + name.encode() for name in
                 ("type", "record", "assigned", "value", "kind", "field", "id")}


class BatchDecoder:
    """The decoder state of §3 and §3.1; one per batch (or carried over when primed, §3.3)."""

    def __init__(self):
        self.nodes = []          # node table
        self.shapes = []         # shape table: (kind, [(name, tag)])
        self.dictionaries = {}   # context string -> [bytes]
        self.templates = []      # [prefix, width, last number]
        self.last_physical = 0
        self.last_day = 0

    # -- tables

    def node_ref(self, reader):
        index = reader.varint()
        if index == len(self.nodes):
            self.nodes.append(reader.node())
        elif index > len(self.nodes):
            raise FormatError(f"node-ref {index} beyond the node table ({len(self.nodes)})")
        return self.nodes[index]

    def text(self, reader, context):
        """A string in a text context (§3.1)."""
        dictionary = self.dictionaries.setdefault(context, [])
        h = reader.varint()
        if h % 2 == 0:
            index = h // 2
            if index < len(dictionary):
                return dictionary[index]
            if index > len(dictionary):
                raise FormatError(f"text reference {index} beyond the dictionary ({len(dictionary)})")
            text = reader.string_bytes()
        else:
            text = self.templated(reader, (h - 1) // 2)
        dictionary.append(text)
        return text

    def templated(self, reader, index):
        """A templated string (§3.1 `h` odd): prefix plus number zero-padded to width."""
        if index == len(self.templates):
            prefix = reader.string_bytes()
            width = reader.u8()
            if not 3 <= width <= 18:
                raise FormatError(f"template width {width} outside 3..18")
            self.templates.append([prefix, width, 0])
        elif index > len(self.templates):
            raise FormatError(f"template {index} beyond the table ({len(self.templates)})")
        template = self.templates[index]
        number = template[2] + reader.svarint()
        if not -(1 << 63) <= number < (1 << 63):
            raise FormatError("template number overflows a signed 64-bit integer")
        digits = str(number)
        if number < 0 or len(digits) > template[1]:
            raise FormatError(f"template number {number} does not fit width {template[1]}")
        template[2] = number
        text = template[0] + digits.rjust(template[1], "0").encode()
        check_utf8(text)  # a prefix is valid UTF-8 and digits are ASCII; kept as a guard
        return text

    # -- values

    def payload(self, reader, tag, context):
        """A payload by tag (§3 table)."""
        if tag == 0:
            return Value(0, reader.svarint())
        if tag == 1:
            return Value(1, self.text(reader, context))
        if tag == 2:
            byte = reader.u8()
            if byte > 1:
                raise FormatError(f"boolean byte {byte}")
            return Value(2, byte == 1)
        if tag == 3:
            day = to_signed64(self.last_day + reader.svarint())
            if not -(1 << 31) <= day < (1 << 31):
                raise FormatError(f"day {day} outside signed 32-bit")
            self.last_day = day
            return Value(3, day)
        raise FormatError(f"unknown value tag {tag}")

    def clock(self, reader):
        """A clock (§3): zig-zag delta of the physical time, then the counter if flagged."""
        h = reader.varint()
        delta = unzigzag(h >> 1)
        physical = (self.last_physical + delta) & U64
        self.last_physical = physical
        logical = 0
        if h & 1:
            logical = reader.varint()
            if not 1 <= logical <= 0xFFFFFFFF:
                raise FormatError(f"logical counter {logical} outside 1..2^32-1")
        return physical, logical

    def operation(self, reader):
        x = reader.varint()
        if x == 0:
            return self.assign(reader)
        return self.append(reader, x - 1)

    def assign(self, reader):
        """An assign (§3): its texts, value, and superseded ids in strict id order."""
        rtype = self.text(reader, TEXT_CONTEXTS["type"])
        record = self.text(reader, TEXT_CONTEXTS["record"])
        field = self.text(reader, TEXT_CONTEXTS["assigned"])
        value = self.payload(reader, reader.u8(), TEXT_CONTEXTS["value"])
        count = reader.varint()
        if count > MAX_SUPERSEDED:
            raise FormatError(f"{count} superseded ids above {MAX_SUPERSEDED}")
        superseded = []
        for _ in range(count):
            superseded.append((self.node_ref(reader), reader.varint(), reader.digest()))
        for before, after in zip(superseded, superseded[1:]):
            if not before < after:
                raise FormatError("superseded ids out of id order or repeated")
        return ("assign", rtype, record, field, value, superseded)

    def append(self, reader, shape_index):
        """An append (§3) using shape `shape_index`, defined inline when it is new."""
        if shape_index == len(self.shapes):
            kind = self.text(reader, TEXT_CONTEXTS["kind"])
            count = reader.varint()
            if count > MAX_SHAPE_FIELDS:
                raise FormatError(f"shape of {count} fields above {MAX_SHAPE_FIELDS}")
            fields = []
            for _ in range(count):
                name = self.text(reader, TEXT_CONTEXTS["field"])
                tag = reader.u8()
                if tag > 3:
                    raise FormatError(f"unknown tag {tag} in a shape")
                fields.append((name, tag))
            self.shapes.append((kind, fields))
        elif shape_index > len(self.shapes):
            raise FormatError(f"shape {shape_index} beyond the table ({len(self.shapes)})")
        kind, shape = self.shapes[shape_index]
        entry_id = self.text(reader, TEXT_CONTEXTS["id"])
        # §3.1: a text field's context is the field's name itself.
        fields = [(name, self.payload(reader, tag, name)) for name, tag in shape]
        return ("append", entry_id, kind, fields)

    # -- the batch

    def decode(self, data, apply_limits=True):
        """Decode one batch (§3, §3.4); returns (version, events, runs, heads)."""
        reader = Reader(data)
        if reader.raw(2) != b"CB":
            raise FormatError("not a batch (magic)")
        version = reader.u8()
        if version not in (1, 2):
            raise FormatError(f"batch version {version}")
        run_count = reader.varint()
        events, runs = [], []
        total_canonical = 0
        for _ in range(run_count):
            node = self.node_ref(reader)
            first_seq, count = reader.varint(), reader.varint()
            previous = reader.digest()
            if first_seq == 0 or count == 0 or first_seq + count > U64:
                raise FormatError(f"run of seq {first_seq} count {count}")
            if apply_limits and len(events) + count > MAX_BATCH_EVENTS:
                raise FormatError("more than 2^20 events in a batch")
            run = []
            for offset in range(count):
                physical, logical = self.clock(reader)
                event = Event(node, first_seq + offset, physical, logical, previous,
                              self.operation(reader))
                canonical = event.compute_hash()
                total_canonical += len(canonical)
                if apply_limits and (len(canonical) > MAX_EVENT_CANONICAL
                                     or total_canonical > MAX_BATCH_CANONICAL):
                    raise FormatError("canonical size limit passed (§3.2)")
                previous = event.hash
                run.append(event)
            runs.append(run)
            events.extend(run)
        heads = []
        if version == 2:
            head_count = reader.varint()
            if head_count > run_count:
                raise FormatError("more heads than runs")
            for _ in range(head_count):
                index = reader.varint()
                if index >= run_count or (heads and index <= heads[-1][0]):
                    raise FormatError("head run indexes not increasing or beyond the runs")
                heads.append((index, reader.raw(64)))
        if not reader.at_end():
            raise FormatError(f"{reader.remaining()} trailing bytes after the batch")
        return version, events, runs, heads


def decode_batch(data, apply_limits=True):
    """A plain batch with a fresh decoder."""
    return BatchDecoder().decode(data, apply_limits)


# ---------------------------------------------------------------- CRC-32C (§6)

def _crc32c_table():
    table = []
    for index in range(256):
        crc = index
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C = _crc32c_table()


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli), reflected polynomial 0x82F63B78, as iSCSI uses it."""
    crc ^= 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# ---------------------------------------------------------------- §6 files

MAGICS = {b"CARNETLG": "log", b"CARNETCK": "checkpoint", b"CARNETST": "status",
          b"CARNETVW": "views", b"CARNETIX": "entry index", b"CARNETBN": "bundle"}


def read_header(reader, magic):
    """The 16-byte file header of §6; reserved bytes are not checked."""
    if reader.remaining() < 16:
        raise FormatError("shorter than the 16-byte header")
    found = reader.raw(8)
    if found != magic:
        raise FormatError(f"magic {found!r}, expected {magic!r}")
    version = reader.u16be()
    reader.raw(6)
    return version


def read_log(data):
    """`events.log` (§6): header, then records; returns (records, stop) where each record is
    (offset, payload) and stop is None or (offset, reason) at the first unsound record."""
    reader = Reader(data)
    version = read_header(reader, b"CARNETLG")
    if version != 1:
        raise FormatError(f"log version {version}")
    records = []
    while not reader.at_end():
        offset = reader.pos
        if reader.remaining() < 8:
            return records, (offset, "incomplete record header")
        length, crc = reader.u32be(), reader.u32be()
        if length > 64 * 1024 * 1024:
            return records, (offset, f"record length {length} above 64 MiB")
        if reader.remaining() < length:
            return records, (offset, "incomplete record")
        payload = reader.raw(length)
        if crc32c(data[offset:offset + 4] + payload) != crc:
            return records, (offset, "checksum mismatch")
        records.append((offset, payload))
    return records, None


def scan_log(data):
    """§6 on open: the sound records, then what the first unsound one is. Returns (records,
    None) for a sound log, or (records, (offset, "torn tail" | "middle damage", reason)):
    a torn tail when no sound record starts anywhere after it, else damage in the middle."""
    records, stop = read_log(data)
    for index, (offset, payload) in enumerate(records):
        try:
            decode_batch(payload, apply_limits=False)  # a node's own log MAY skip limits (§3.2)
        except FormatError as error:
            records, stop = records[:index], (offset, f"does not decode: {error}")
            break
    if stop is None:
        return records, None
    offset, reason = stop
    kind = "middle damage" if sound_record_after(data, offset) else "torn tail"
    return records, (offset, kind, reason)


def sound_record_after(data, start):
    """§6: does a record start at some p > start: 8 bytes of length and CRC, 1 ≤ length ≤
    the bytes after them, and a matching CRC-32C (framing only, not decoding)."""
    for p in range(start + 1, len(data) - 7):
        length = int.from_bytes(data[p:p + 4], "big")
        if 1 <= length <= len(data) - p - 8:
            crc = int.from_bytes(data[p + 4:p + 8], "big")
            if crc32c(data[p:p + 4] + data[p + 8:p + 8 + length]) == crc:
                return True
    return False


def read_stamp(reader):
    """§6.1: u64be(size) u64be(last record offset) u32be(crc)."""
    return {"size": reader.u64be(), "last": reader.u64be(), "crc": reader.u32be()}


def check_trailer_crc(data):
    """Checkpoint and status trailers: CRC-32C of every byte before the last 4 (§6.2, §6.3)."""
    if len(data) < 4 or crc32c(data[:-4]) != int.from_bytes(data[-4:], "big"):
        raise FormatError("trailer CRC-32C mismatch")


def read_checkpoint(data):
    """§6.2: returns (stamp, [(events, hashes)]), checking stored hashes against recomputed."""
    check_trailer_crc(data)
    reader = Reader(data[:-4])
    if read_header(reader, b"CARNETCK") != 1:
        raise FormatError("checkpoint version")
    stamp = read_stamp(reader)
    chunks = []
    for _ in range(reader.u32be()):
        length, count = reader.u32be(), reader.u32be()
        _, events, _, _ = decode_batch(reader.raw(length), apply_limits=False)
        hashes = [reader.digest() for _ in range(count)]
        if len(events) != count:
            raise FormatError("checkpoint chunk count mismatch")
        chunks.append((events, hashes))
    if not reader.at_end():
        raise FormatError("bytes after the checkpoint's chunks")
    return stamp, chunks


def read_summary(reader):
    """A summary (§4.2): [(node, seq, [(head seq, hash)])], order and limits checked."""
    count = reader.varint()
    if count > 262_144:
        raise FormatError("summary of more than 262,144 nodes")
    entries = []
    for _ in range(count):
        node, seq, head_count = reader.node(), reader.varint(), reader.varint()
        if head_count > 64:
            raise FormatError("more than 64 heads")
        heads = [(reader.varint(), reader.digest()) for _ in range(head_count)]
        if any(s == 0 for s, _ in heads):
            raise FormatError("a head at seq 0")
        if any(not a < b for a, b in zip(heads, heads[1:])):
            raise FormatError("heads out of order or repeated")
        if entries and not entries[-1][0] < node:
            raise FormatError("summary nodes out of order or repeated")
        entries.append((node, seq, heads))
    return entries


def encode_summary(entries):
    out = bytearray(enc_varint(len(entries)))
    for node, seq, heads in entries:
        out += node + enc_varint(seq) + enc_varint(len(heads))
        for head_seq, digest in heads:
            out += enc_varint(head_seq) + digest
    return bytes(out)


STATUS_DIGEST_VERSION = {1: 2, 2: 3, 3: 3}  # §6.3: status file version -> its state digest's (§5)


def read_status(data):
    """The status file (§6.3), version 3, or the earlier 2 (no checkpoint count nor head
    clocks) or 1 (the layout of 2, a version-2 digest); "version" and "digestVersion" say
    which. Version 3's head clocks come as "headClocks": {node bytes: [(physical, logical)]}."""
    check_trailer_crc(data)
    reader = Reader(data[:-4])
    version = read_header(reader, b"CARNETST")
    if version not in STATUS_DIGEST_VERSION:
        raise FormatError(f"status version {version}")
    status = {"version": version, "digestVersion": STATUS_DIGEST_VERSION[version],
              "stamp": read_stamp(reader), "events": reader.varint(),
              "digest": reader.digest(), "forks": reader.varint(), "pending": reader.varint()}
    count = reader.varint()
    if count > 1024:
        raise FormatError("more than 1,024 derived figures")
    status["figures"] = {reader.string_bytes().decode(): reader.svarint() for _ in range(count)}
    status["summary"] = read_summary(reader)
    if version >= 3:
        status["checkpointed"] = reader.varint()
        clocks, previous = {}, None
        heads = {node: listed for node, _, listed in status["summary"]}
        for _ in range(reader.varint()):
            node = reader.node()
            if previous is not None and node <= previous:
                raise FormatError("head clocks: nodes not in ascending order, or one twice")
            previous = node
            count = reader.varint()
            if count != len(heads.get(node, [])):
                raise FormatError(f"head clocks: {count} clocks for a node with {len(heads.get(node, []))} heads")
            listed = []
            for _ in range(count):
                physical, logical = reader.varint(), reader.varint()
                if logical >= 1 << 32:
                    raise FormatError("head clocks: a logical clock above 32 bits")
                listed.append((physical, logical))
            clocks[node] = listed
        status["headClocks"] = clocks
    if not reader.at_end():
        raise FormatError("status body does not end at the trailer")
    return status


def log_stamp(log):
    """§6.1: the stamp of a sound log's current state (size, last record offset, its CRC)."""
    records, _ = read_log(log)
    if not records:
        return {"size": 16, "last": 0, "crc": 0}
    offset, payload = records[-1]
    return {"size": offset + 8 + len(payload), "last": offset,
            "crc": int.from_bytes(log[offset + 4:offset + 8], "big")}


def stamp_covers(stamp, log):
    """§6.1: the log is at least `size` bytes and the record at `last` has the stored CRC
    and ends exactly at `size` (a stamp of an empty log names offset 0)."""
    if len(log) < stamp["size"]:
        return False
    if stamp["last"] == 0:
        return stamp["size"] == 16
    head = log[stamp["last"]:stamp["last"] + 8]
    return (len(head) == 8 and int.from_bytes(head[4:], "big") == stamp["crc"]
            and stamp["last"] + 8 + int.from_bytes(head[:4], "big") == stamp["size"])


def read_entry_index(data):
    """The entry index (§6.7, version 2): header, stamp, head (five counts and their
    CRC-32C), then five tables cut into blocks of 256 elements each followed by its CRC-32C,
    then the names, then the members, then the trailer. Returns {"stamp", "entries", "ids",
    "changes", "held", "standings", "products", "parties", "labels", "members"}: slots as
    (record offset, event index, voided by, hash prefix), id lines as (key, entry, role),
    standings as positions in "members", products as (sku, name, unit), parties as
    (id, name), labels as (node, label); strings as bytes, None for an absent name; "members"
    None where every entry counts, else a list of {"verdict", "adopted", "roles", "by",
    "role"} ("by": the revocation's (node, seq, hash), "role": the role lacked).
    A file this refuses (FormatError) is one a reader MUST ignore; whether its stamp is the
    log's current state is the caller's to check."""
    if len(data) < 60 + 4:
        raise FormatError("shorter than header, stamp, head and trailer")
    check_trailer_crc(data)
    reader = Reader(data[:-4])
    version = read_header(reader, b"CARNETIX")
    if version != 2:
        raise FormatError(f"entry index version {version}")
    index = {"stamp": read_stamp(reader)}
    counts = [reader.u32be() for _ in range(5)]
    if crc32c(data[:56]) != reader.u32be():
        raise FormatError("entry index head CRC-32C mismatch")
    widths = (24, 16, 24, 24, 4)
    names_at = 60 + sum(n * w + 4 * ((n + 255) // 256) for n, w in zip(counts, widths))
    if len(data) < names_at + 20:
        raise FormatError("entry index size does not match its counts")
    members_at = names_at + 8 + int.from_bytes(data[names_at:names_at + 4], "big")
    if len(data) < members_at + 12 or len(data) != members_at + 12 + int.from_bytes(data[members_at:members_at + 4], "big"):
        raise FormatError("entry index size does not match its counts, names and members")
    for name, count, width in zip(("entries", "ids", "changes", "held", "standings"), counts, widths):
        elements = []
        while len(elements) < count:
            block = reader.raw(min(256, count - len(elements)) * width)
            if crc32c(block) != reader.u32be():
                raise FormatError(f"entry index: a block of {name} fails its CRC-32C")
            for at in range(0, len(block), width):
                element = block[at:at + width]
                if width == 24:
                    elements.append((int.from_bytes(element[:8], "big"), int.from_bytes(element[8:12], "big"),
                                     int.from_bytes(element[12:16], "big"), int.from_bytes(element[16:], "big")))
                elif width == 16:
                    elements.append((int.from_bytes(element[:8], "big"), int.from_bytes(element[8:12], "big"),
                                     int.from_bytes(element[12:], "big")))
                else:
                    elements.append(int.from_bytes(element, "big"))
        index[name] = elements
    length = reader.u32be()
    body = reader.raw(length)
    if crc32c(body) != reader.u32be():
        raise FormatError("entry index names CRC-32C mismatch")
    names = Reader(body)

    def optional(source):
        flag = source.u8()
        if flag not in (0, 1):
            raise FormatError("entry index: an opt byte other than 00 or 01")
        return source.string_bytes() if flag == 1 else None
    index["products"] = []
    for _ in range(names.varint()):
        sku, name, unit = names.string_bytes(), optional(names), optional(names)
        if unit is not None and unit not in LEDGER_UNITS:
            raise FormatError(f"entry index names: unit {unit!r}")
        index["products"].append((sku, name, unit))
    index["parties"] = [(names.string_bytes(), optional(names)) for _ in range(names.varint())]
    index["labels"] = [(names.node(), names.string_bytes()) for _ in range(names.varint())]
    if not names.at_end():
        raise FormatError("entry index names: bytes after the labels")
    length = reader.u32be()
    body = reader.raw(length)
    if crc32c(body) != reader.u32be():
        raise FormatError("entry index members CRC-32C mismatch")
    index["members"] = None
    if length == 0:
        if counts[4] != 0:
            raise FormatError("entry index: standings without members")
        return index
    if counts[4] != counts[0]:
        raise FormatError("entry index: members, and not one standing per entry")
    members = Reader(body)
    index["members"] = []
    for _ in range(members.varint()):
        code, adopted = members.u8(), members.u8()
        if code > 3 or adopted > 1:
            raise FormatError(f"entry index members: verdict {code:02x}, adopted {adopted:02x}")
        standing = {"verdict": ("counts", "unenrolled", "revoked", "out-of-role")[code], "adopted": adopted == 1,
                    "roles": optional(members), "by": None, "role": None}
        if code == 2:
            standing["by"] = (members.node(), members.varint(), members.digest())
        elif code == 3:
            standing["role"] = members.string_bytes()
        index["members"].append(standing)
    if not members.at_end():
        raise FormatError("entry index members: bytes after the standings")
    if any(position >= len(index["members"]) for position in index["standings"]):
        raise FormatError("entry index: a standing beyond the members")
    return index


def entry_index_key(entry_id):
    """§6.7: the first 8 bytes of the SHA-256 of an id's UTF-8 bytes, as u64be."""
    return int.from_bytes(hashlib.sha256(entry_id).digest()[:8], "big")


# §6.5: the conflict kinds, in the order conflicts are stored.
VIEW_CONFLICT_KINDS = (b"field", b"fork", b"stock-below-zero", b"double-reversal",
                       b"reversal-of-reversal", b"unknown-reference", b"overpayment",
                       b"duplicate-entry", b"order-fulfilled-twice", b"order-overfilled",
                       b"orders-beyond-availability", b"past-revocation", b"out-of-role")
# The views file's value tags (§6.5), mapped onto §2's Value tags; 00 is "none".
VIEW_VALUE_TAGS = {1: 0, 2: 1, 3: 2, 4: 3}


def _count(reader, least):
    """A list count: each item takes at least `least` bytes, so a count the rest of the
    file cannot hold is refused before it is looped over."""
    n = reader.varint()
    if n * least > reader.remaining():
        raise FormatError(f"count {n} at offset {reader.pos} beyond the file")
    return n


def read_view_value(reader):
    """`value` of §6.5: None for 00 (a conflict side that is an entry), else a Value."""
    tag = reader.u8()
    if tag == 0:
        return None
    if tag not in VIEW_VALUE_TAGS:
        raise FormatError(f"views value tag {tag:02x}")
    if tag == 1:
        return Value(0, reader.svarint())
    if tag == 2:
        return Value(1, reader.string_bytes())
    if tag == 3:
        flag = reader.u8()
        if flag > 1:
            raise FormatError(f"views bool byte {flag:02x}")
        return Value(2, bool(flag))
    day = reader.svarint()
    if not -(1 << 31) <= day < (1 << 31):
        raise FormatError(f"views day {day} beyond 32 bits")
    return Value(3, day)


def read_view_writer(reader):
    """`writer` of §6.5: the event id and clock of the event that carries a value."""
    writer = {"id": (reader.node(), reader.varint(), reader.digest()),
              "physical": reader.varint(), "logical": reader.varint()}
    if writer["logical"] > 0xFFFFFFFF:
        raise FormatError("views: a logical counter above 2^32-1 (§2)")
    return writer


def read_view_record(reader):
    """`record` of §6.5: type, id, fields each with their live values."""
    rtype, rid = reader.string_bytes(), reader.string_bytes()
    fields = []
    for _ in range(_count(reader, 2)):
        name = reader.string_bytes()
        values = [(read_view_writer(reader), read_view_value(reader))
                  for _ in range(_count(reader, 52))]
        if any(value is None for _, value in values):
            raise FormatError("views: a none value in a record's field")
        fields.append((name, values))
    return (rtype, rid, fields)


VIEW_SECTIONS = {1: "counts", 2: "stock", 3: "balances", 4: "availability", 5: "conflicts",
                 6: "catalog", 7: "labels", 8: "members", 9: "stock totals", 10: "open orders",
                 11: "unheld payment targets", 12: "lot products", 13: "sale payments",
                 14: "stock blocks", 15: "lot product blocks", 16: "sale payment blocks",
                 17: "node records"}
VIEW_REQUIRED = range(1, 14)  # §6.5: blocks (14 to 16) and node records (17) are optional, a file of thirteen sections stays current
# §6.5 sections 14 to 16: blocks section -> (the section it cuts, how many of a line's
# first strings make its key, how many its group: producer and product, producer, one group)
VIEW_BLOCKS = {14: (2, 2, 2), 15: (12, 2, 1), 16: (13, 1, 0)}
VIEW_BLOCK_BYTES = 65_536  # a new block begins at each line that follows a block this long or longer


def _stock_line(reader):
    s = reader.string_bytes
    return (s(), s(), s(), reader.svarint(), s())


def _lot_products_line(reader):
    s = reader.string_bytes
    return (s(), s(), [s() for _ in range(_count(reader, 1))])


def _sale_payments_line(reader):
    return (reader.string_bytes(), reader.svarint())


VIEW_LINES = {2: _stock_line, 12: _lot_products_line, 13: _sale_payments_line}  # the sections blocks cut


def read_views(data, only=None):
    """The views file (§6.5, version 8): header, stamp, a table of sections each with its
    CRC-32C, the table's own CRC-32C (over header, stamp and table), the sections; strings
    kept as bytes. A file this refuses (FormatError) is one a reader MUST ignore; whether
    its stamp is the log's current state is the caller's to check (`stamp_covers`, size
    equal). With `only` (section numbers), the others are neither checked nor decoded, as
    a reading command does; otherwise every known section is, each exactly to its length.
    A section number this reader does not know is skipped. Sections 14 to 16 (blocks) are
    optional; each is decoded to its table, [(lines, length, crc, key)] (`read_view_blocks`
    reads by it, `view_blocks` makes it again)."""
    if len(data) < 16 + 20 + 1 + 4:
        raise FormatError("shorter than header, stamp and table")
    reader = Reader(data)
    version = read_header(reader, b"CARNETVW")
    if version != 8:
        raise FormatError(f"views version {version}")
    views = {"stamp": read_stamp(reader)}
    count = reader.u8()
    table_end = 37 + 13 * count
    if len(data) < table_end + 4:
        raise FormatError("views: shorter than its table")
    table = [(reader.u8(), reader.u64be(), reader.u32be()) for _ in range(count)]
    if crc32c(data[:table_end]) != reader.u32be():
        raise FormatError("views: the table fails its CRC-32C")
    offset, seen = table_end + 4, set()
    for number, length, crc in table:
        if number in seen:
            raise FormatError(f"views: section {number} twice")
        seen.add(number)
        if length > len(data) - offset:
            raise FormatError("views: a section beyond the end of the file")
        offset += length
    if offset != len(data):
        raise FormatError(f"views: the sections end at {offset}, the file at {len(data)}")
    missing = set(VIEW_REQUIRED) - seen
    if missing:
        raise FormatError(f"views: sections {sorted(missing)} missing")
    for number, length, crc in table:
        section = reader.raw(length)
        if number not in VIEW_SECTIONS or (only is not None and number not in only):
            continue
        if crc32c(section) != crc:
            raise FormatError(f"views: section {VIEW_SECTIONS[number]} fails its CRC-32C")
        section_reader = Reader(section)
        if number in VIEW_BLOCKS:
            keys = VIEW_BLOCKS[number][1]
            views[VIEW_SECTIONS[number]] = [
                (section_reader.varint(), section_reader.varint(), section_reader.u32be(),
                 tuple(section_reader.string_bytes() for _ in range(keys)))
                for _ in range(_count(section_reader, 6 + keys))]
        else:
            _read_view_section(VIEW_SECTIONS[number], section_reader, views)
        if not section_reader.at_end():
            raise FormatError(f"views: section {VIEW_SECTIONS[number]} does not end at its length")
    return views


def view_sections(data):
    """Section number → (offset, length) in a views file of version 8, from its table
    (unchecked: for placing damage)."""
    reader = Reader(data)
    reader.raw(36)
    table = [(reader.u8(), reader.u64be(), reader.u32be()) for _ in range(reader.u8())]
    offset, sections = 37 + 13 * len(table) + 4, {}
    for number, length, _ in table:
        sections[number] = (offset, length)
        offset += length
    return sections


def reseal_views(data):
    """A views file of version 8 with every section's CRC-32C and the table's recomputed:
    bytes changed inside a section then pass every checksum, so only a decoder can refuse
    them."""
    out = bytearray(data)
    for index, (number, (offset, length)) in enumerate(view_sections(data).items()):
        at = 37 + 13 * index + 9
        out[at:at + 4] = crc32c(data[offset:offset + length]).to_bytes(4, "big")
    table_end = 37 + 13 * data[36]
    out[table_end:table_end + 4] = crc32c(bytes(out[:table_end])).to_bytes(4, "big")
    return bytes(out)


def view_blocks(section, number):
    """§6.5: the block table of section `number` (2, 12 or 13) made again from its bytes,
    [(lines, length, crc, key)]: a block begins at the first line, at each line whose group
    differs from the line before it's, and at each line that follows a block of 65,536
    bytes or more; `key` its first line's strings (producer and product, producer and lot,
    id). Runs of whole lines after the count, so the blocks are the section's last bytes."""
    keys, groups = next(v[1:] for v in VIEW_BLOCKS.values() if v[0] == number)
    reader = Reader(section)
    blocks = []
    for _ in range(_count(reader, 1)):
        start = reader.pos
        line = VIEW_LINES[number](reader)
        if not blocks or line[:groups] != blocks[-1][3][:groups] or blocks[-1][1] >= VIEW_BLOCK_BYTES:
            blocks.append([0, 0, start, line[:keys]])
        blocks[-1][0] += 1
        blocks[-1][1] += reader.pos - start
    if not reader.at_end():
        raise FormatError(f"views: section {VIEW_SECTIONS[number]} does not end at its length")
    return [(lines, length, crc32c(section[start:start + length]), key) for lines, length, start, key in blocks]


def encode_view_blocks(table):
    """`blocks` of §6.5: varint(n) n × (varint(lines) varint(length) u32be(crc) key)."""
    return enc_varint(len(table)) + b"".join(
        enc_varint(lines) + enc_varint(length) + crc.to_bytes(4, "big") + b"".join(map(enc_string, key))
        for lines, length, crc, key in table)


def read_view_blocks(section, table, number, want, cache=None):
    """§6.5, a reader that reads blocks instead of the whole section `number` (2, 12, 13;
    `section` its bytes, whose own CRC-32C it does not check; `table` its blocks, decoded
    from section 14, 15 or 16 under that section's checksum): the stock lines of product
    `want` from every block whose key names it; the lot products of (producer, lot) `want`
    from the last block whose key is at or before it, when that key names the producer;
    the sale payments of id `want` from the last block whose key is at or before it. Each
    block read must match its CRC-32C, decode exactly to its `lines` (at least 1) and its
    `length`, its lines be of its key's group and its first line's strings be the key; the
    lengths add up to between the section's length less ten and less one. FormatError
    otherwise: the reader MUST ignore the file. `cache` keeps blocks already checked."""
    keys, groups = next(v[1:] for v in VIEW_BLOCKS.values() if v[0] == number)
    total = sum(length for _, length, _, _ in table)
    if not len(section) - 10 <= total <= len(section) - 1:
        raise FormatError(f"views: the blocks of section {number} add up to {total} bytes of {len(section)}")
    if number == 2:
        chosen = [index for index, block in enumerate(table) if block[3][1] == want]
    else:
        key = want if number == 12 else (want,)
        chosen = [index for index, block in enumerate(table) if block[3] <= key][-1:]
        if number == 12 and chosen and table[chosen[0]][3][0] != want[0]:
            chosen = []  # the section holds no line of it
    found = []
    for index in chosen:
        lines = (cache or {}).get(index)
        if lines is None:
            count, length, crc, key = table[index]
            start = len(section) - sum(block[1] for block in table[index:])
            data = section[start:start + length]
            if len(data) != length or crc32c(data) != crc:
                raise FormatError(f"views: block {index} of section {number} fails its CRC-32C")
            reader = Reader(data)
            lines = [VIEW_LINES[number](reader) for _ in range(count)]
            if not lines or not reader.at_end():
                raise FormatError(f"views: block {index} of section {number} is not {count} lines of {length} bytes")
            if lines[0][:keys] != key or any(line[:groups] != key[:groups] for line in lines):
                raise FormatError(f"views: block {index} of section {number} holds lines not of its key {key}")
            if cache is not None:
                cache[index] = lines
        found += [line for line in lines if (line[1] == want if number == 2 else
                                             line[:2] == want if number == 12 else line[0] == want)]
    return found


def _read_view_section(name, reader, views):
    """One section of §6.5 into `views`."""
    s = reader.string_bytes
    if name == "counts":
        views["entries"], views["unreadable"] = reader.varint(), reader.varint()
        if max(views["entries"], views["unreadable"]) > (1 << 62) - 1:
            raise FormatError("views: an entry count above 2^62-1")
    elif name == "stock":
        views["stock"] = [_stock_line(reader) for _ in range(_count(reader, 5))]
    elif name == "stock totals":
        views["stock totals"] = [(s(), s(), reader.svarint(), s()) for _ in range(_count(reader, 4))]
    elif name == "balances":
        views["balances"] = [(s(), s(), reader.svarint()) for _ in range(_count(reader, 3))]
    elif name == "open orders":
        views["open orders"] = [(s(), s(), reader.svarint()) for _ in range(_count(reader, 3))]
    elif name == "unheld payment targets":
        views["unheld payment targets"] = [s() for _ in range(_count(reader, 1))]
    elif name == "lot products":
        views["lot products"] = [_lot_products_line(reader) for _ in range(_count(reader, 3))]
    elif name == "sale payments":
        views["sale payments"] = [_sale_payments_line(reader) for _ in range(_count(reader, 2))]
    elif name == "availability":
        views["availability"] = [(s(), s(), reader.svarint(), reader.svarint(),
                                  [s() for _ in range(_count(reader, 1))])
                                 for _ in range(_count(reader, 5))]
    elif name == "conflicts":
        conflicts = []
        for _ in range(_count(reader, 5)):
            kind, subject, summary, suggestion = s(), s(), s(), s()
            if kind not in VIEW_CONFLICT_KINDS:
                raise FormatError(f"views: conflict kind {kind!r}")
            sides = [(read_view_writer(reader), s(), read_view_value(reader))
                     for _ in range(_count(reader, 53))]
            conflicts.append((kind, subject, summary, suggestion, sides))
        views["conflicts"] = conflicts
    elif name == "catalog":
        views["products"] = [read_view_record(reader) for _ in range(_count(reader, 3))]
        views["parties"] = [read_view_record(reader) for _ in range(_count(reader, 3))]
    elif name == "labels":
        views["labels"] = [(reader.node(), s()) for _ in range(_count(reader, 17))]
    elif name == "node records":
        # §6.5 section 17: varint(n) n × node, in node order (strictly ascending: each once).
        nodes = [reader.node() for _ in range(_count(reader, 16))]
        if any(not a < b for a, b in zip(nodes, nodes[1:])):
            raise FormatError("views: node records not in ascending node order, or one twice")
        views["node records"] = nodes
    elif name == "members":
        enforced, standing, roles = reader.u8(), reader.u8(), s()
        if enforced > 1 or standing > 2 or (not enforced and (standing or roles)):
            raise FormatError("views: members section out of range")
        views["members"] = {"enforced": bool(enforced), "standing": standing, "roles": roles,
                            "heldAside": reader.varint(), "revoked": reader.varint(), "outOfRole": reader.varint()}


def read_bundle_v1(data):
    """A format-1 bundle (§6.4): header, body, SHA-256 trailer."""
    if len(data) < 48 or hashlib.sha256(data[:-32]).digest() != data[-32:]:
        raise FormatError("bundle checksum mismatch")
    reader = Reader(data[:-32])
    version = read_header(reader, b"CARNETBN")
    if version != 1:
        raise FormatError(f"bundle version {version} (only format 1 is read here)")
    return read_bundle_body(reader)


def read_bundle_body(reader):
    """The bundle body shared by both formats (§6.4)."""
    body = {"ledger": reader.string_bytes().decode(), "creator": reader.node(),
            "label": reader.string_bytes().decode(), "created": reader.u64be()}
    body["for"] = reader.node() if reader.u8() == 1 else None
    chunk_count = reader.varint()
    if chunk_count > 1 << 20:
        raise FormatError("more than 2^20 chunks")
    body["chunks"] = []
    for _ in range(chunk_count):
        count, length = reader.varint(), reader.varint()
        if count > 1 << 20 or length > reader.remaining():
            raise FormatError("chunk count or length out of range")
        payload = reader.raw(length)
        version, events, _, heads = decode_batch(payload)
        if len(events) != count:
            raise FormatError(f"chunk says {count} events, batch holds {len(events)}")
        body["chunks"].append((version, events, heads, payload))
    if not reader.at_end():
        raise FormatError("bytes after the last chunk")
    return body


BUNDLE_SEGMENT = 65_536  # §6.4: plain bytes per sealed chunk


def read_bundle_v2(data, secret):
    """A format-2 (sealed) bundle (§6.4): the 64 clear bytes, then the STREAM chunks,
    every one opened before the body is decoded. Returns (ledger id, body)."""
    import carnet_crypto as cc
    if len(data) < 64:
        raise FormatError("shorter than a sealed bundle's 64 clear bytes")
    clear = data[:64]
    if read_header(Reader(clear), b"CARNETBN") != 2:
        raise FormatError("not a format-2 bundle")
    ledger_id, salt = clear[16:32], clear[32:64]
    key = cc.hkdf_sha256(secret, salt, b"carnet/2 bundle" + ledger_id, 32)
    sealed = data[64:]
    size = BUNDLE_SEGMENT + 16
    chunks = [sealed[i:i + size] for i in range(0, len(sealed), size)]
    if not chunks:
        raise FormatError("a sealed bundle without chunks")
    plain = bytearray()
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        nonce = index.to_bytes(11, "big") + bytes([1 if last else 0])
        opened = cc.aead_decrypt(key, nonce, clear, chunk)
        if not opened:  # a chunk that opens to no bytes is refused too
            raise FormatError(f"sealed chunk {index} does not open: damaged or another secret")
        plain += opened
    return ledger_id, read_bundle_body(Reader(bytes(plain)))


def key_declaration(event):
    """§9.1: (public key, salt) when `event` declares its author's key, else None."""
    if event.seq != 1 or event.op[0] != "assign" or event.op[4].tag != 1:
        return None
    _, rtype, record, field, value, _ = event.op
    if (rtype, field, record) != (b"node", b"key", event.node.hex().encode()):
        return None
    try:
        material = bytes.fromhex(value.data.decode())
    except ValueError:
        return None
    if len(material) != 48 or value.data != value.data.lower():
        return None
    public, salt = material[:32], material[32:]
    if node_id(public, salt) != event.node:
        return None
    return public, salt


def node_id(public, salt):
    """§9.1: the first 16 bytes of SHA-256("carnet/2 node" ‖ A ‖ salt)."""
    return hashlib.sha256(b"carnet/2 node" + public + salt).digest()[:16]


def head_message(ledger_id, event):
    """§9.2: the bytes a signed head's signature covers."""
    return (b"carnet/2 head" + ledger_id + event.node + event.seq.to_bytes(8, "big")
            + event.hash)


def ledger_id_of(public, salt):
    """§9.5: the first 16 bytes of SHA-256("carnet/2 ledger" ‖ A ‖ salt)."""
    return hashlib.sha256(b"carnet/2 ledger" + public + salt).digest()[:16]


def adoption_message(ledger_id, event):
    """§9.7: the bytes an adoption head's signature (by the creator's key) covers."""
    return (b"carnet/2 adopt" + ledger_id + event.node + event.seq.to_bytes(8, "big")
            + event.hash)


def _hex_field(text, digits, what, lowercase=False):
    """§7 Hex: `digits` hex digits (either case unless `lowercase`), as bytes."""
    if len(text) != digits or any(c not in "0123456789abcdefABCDEF" for c in text) \
            or (lowercase and text != text.lower()):
        raise FormatError(f"{what} is not {digits} {'lowercase ' if lowercase else ''}hex digits: {text!r}")
    return bytes.fromhex(text)


def creator_material(text, ledger_id):
    """§7.1, §9.7: a `creator` line's value, the creator's key A and the genesis salt,
    which MUST derive the ledger id; (A, salt)."""
    raw = _hex_field(text, 96, "creator")
    if ledger_id_of(raw[:32], raw[32:]) != ledger_id:
        raise FormatError("the creator line does not derive the ledger id (§9.7)")
    return raw[:32], raw[32:]


def read_node_file(data):
    """§7, §7.1: the `node` file: {key: value} (text), with `version` (1 or 2) and, in a
    signed node, `ledger_id`, `salt_bytes` and `creator_key` / `creator_salt` when the
    optional creator line is there (refused when it does not derive the ledger id)."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    if not lines or lines[0] not in (b"carnet-node 1", b"carnet-node 2"):
        raise FormatError(f"node file's first line is not carnet-node 1 or 2: {lines[:1]!r}")
    values = {}
    for line in lines[1:]:
        if not line:
            continue
        if b" " not in line:
            raise FormatError(f"node file line without a space: {line!r}")
        key, _, value = line.partition(b" ")
        values[key.decode("utf-8")] = value.decode("utf-8")  # the last of a repeated key wins
    _hex_field(values.get("node", ""), 32, "node")
    if not values.get("ledger"):
        raise FormatError("node file without a ledger name")
    device, colon, inode = values.get("home", "").partition(":")
    if not colon or not all(part.isdigit() and part.isascii() and int(part) <= U64 for part in (device, inode)):
        raise FormatError(f"node file's home is not DEVICE:INODE: {values.get('home')!r}")
    values.setdefault("label", "")
    values["version"] = int(lines[0][-1:])
    if values["version"] == 2:
        values["ledger_id"] = _hex_field(values.get("ledger-id", ""), 32, "ledger-id")
        values["salt_bytes"] = _hex_field(values.get("salt", ""), 32, "salt")
        if "creator" in values:
            values["creator_key"], values["creator_salt"] = creator_material(values["creator"], values["ledger_id"])
    return values


def read_ledger_file(data):
    """§7.1, §9.7: the ledger file, exactly its lines each followed by a newline; the
    creator line optional (files written before adoption), refused when it does not
    derive the id. {name, id, secret, creator: (A, salt) or None}."""
    if not data.endswith(b"\n"):
        raise FormatError("the ledger file does not end with a newline")
    lines = data[:-1].split(b"\n")
    keys = ["name", "id", "secret"] + (["creator"] if len(lines) == 5 else [])
    if lines[0] != b"carnet-ledger 1" or len(lines) != 1 + len(keys):
        raise FormatError(f"the ledger file is not carnet-ledger 1 and {len(keys)} lines")
    values = {}
    for key, line in zip(keys, lines[1:]):
        if not line.startswith(key.encode() + b" "):
            raise FormatError(f"the ledger file's line {line[:20]!r} is not {key}")
        values[key] = line[len(key) + 1:].decode("utf-8")
    if not values["name"]:
        raise FormatError("the ledger file names no ledger")
    ledger_id = _hex_field(values["id"], 32, "id")
    secret = _hex_field(values["secret"], 64, "secret", lowercase=True)
    creator = creator_material(values["creator"], ledger_id) if "creator" in values else None
    return {"name": values["name"], "id": ledger_id, "secret": secret, "creator": creator}


# ---------------------------------------------------------------- §8.2.7 device proofs

DIALER, LISTENER = 1, 2  # the signer's role byte


def device_message(role, handshake_hash):
    """§8.2.7: the bytes a device proof signs."""
    return b"carnet/2 device" + bytes([role]) + handshake_hash


def read_proof(reader, dialer):
    """§8.2.7: a device proof, {form, key, salt, signature, asks_key}; form bit 7 is allowed
    only in the dialer's proof, other bits are malformed."""
    form = reader.u8()
    if form & ~(0x81 if dialer else 0x01):
        raise FormatError(f"device proof form {form:#04x}")
    key, salt = (reader.raw(32), reader.raw(16)) if form & 1 else (None, None)
    return {"form": form, "key": key, "salt": salt, "signature": reader.raw(64),
            "asks_key": bool(form & 0x80)}


def encode_proof(seed, salt, role, handshake_hash, with_key, ask_key=False):
    """§8.2.7: a device proof signed by the device key of `seed`."""
    from carnet_crypto import ed25519_public, ed25519_sign  # the decoder needs no crypto
    form = (1 if with_key else 0) | (0x80 if ask_key else 0)
    key = ed25519_public(seed) + salt if with_key else b""
    return bytes([form]) + key + ed25519_sign(seed, device_message(role, handshake_hash))


def read_handshake2_payload(payload):
    """§8.2.2: message 2's payload, (flags, the listener's clock in ms since 1970, proof or
    None, the inner message's bytes or None when the SUMMARY follows in the first SEALED
    frame)."""
    reader = Reader(payload)
    flags = reader.u8()
    if flags & ~7:  # bit 0 SUMMARY follows, bit 1 device proof, bit 2 grants in force (§8.3 rule 8)
        raise FormatError(f"message 2 flags {flags:#04x}")
    clock = reader.u64be()
    proof = read_proof(reader, dialer=False) if flags & 2 else None
    inner = None if flags & 1 else reader.raw(reader.remaining())
    if flags & 1 and not reader.at_end():
        raise FormatError("message 2 says the SUMMARY follows but carries more bytes")
    return flags, clock, proof, inner


def check_proof(proof, role, handshake_hash, node, declared=None):
    """§8.2.7 verification: None when `proof` proves `node` (the node id of the signer's
    first SUMMARY), else why not. `declared`: the (key, salt) that node declared, when the
    verifier holds it; a proof without the key needs it."""
    from carnet_crypto import ed25519_verify
    if proof["key"] is not None:
        if node_id(proof["key"], proof["salt"]) != node:
            return "the proof's key and salt do not derive the SUMMARY's node id"
        if declared is not None and declared[0] != proof["key"]:
            return "the peer's device key does not match the key its node declared"
        key = proof["key"]
    elif declared is not None:
        key = declared[0]
    else:
        return "a proof without its key for a node whose declaration is not held"
    if not ed25519_verify(key, device_message(role, handshake_hash), proof["signature"]):
        return "the device proof's signature does not verify"
    return None


# ---------------------------------------------------------------- §4, §5 state

class Replica:
    """The events a node holds, and what §4, §4.2 and §5 derive from them."""

    def __init__(self):
        self.held = {}      # (node, seq, hash) -> Event
        self.rejected = {}  # seq 1 with a previous hash: never accepted, not held (§4)
        self._accepted = None  # accepted(), kept until the next add

    def add(self, events):
        self._accepted = None
        for event in events:
            if event.seq == 1 and event.previous != ZERO_HASH:
                self.rejected.setdefault(event.id(), event)
            else:
                self.held.setdefault(event.id(), event)

    def accepted(self):
        """§4: accepted when the predecessor is accepted (or seq 1 with a zero previous).
        Kept until the next `add` (callers only read it)."""
        if getattr(self, "_accepted", None) is not None:
            return self._accepted
        accepted = set()
        by_pred = {}
        for key, event in self.held.items():
            by_pred.setdefault((event.node, event.seq - 1, event.previous), []).append(key)
        frontier = [key for key, e in self.held.items()
                    if e.seq == 1 and e.previous == ZERO_HASH]
        while frontier:
            key = frontier.pop()
            if key in accepted:
                continue
            accepted.add(key)
            frontier.extend(by_pred.get(key, []))
        self._accepted = {key: self.held[key] for key in accepted}
        return self._accepted

    def summary(self):
        """§4.2: per node with an accepted event, its highest seq and its heads."""
        accepted = self.accepted()
        followed = {(e.node, e.seq - 1, e.previous) for e in accepted.values()}
        nodes = {}
        for key, event in accepted.items():
            entry = nodes.setdefault(event.node, [0, []])
            entry[0] = max(entry[0], event.seq)
            if key not in followed:
                entry[1].append((event.seq, event.hash))
        return [(node, seq, sorted(heads)) for node, (seq, heads) in sorted(nodes.items())]

    def forks(self):
        """§6.3: distinct (node, seq, previous) shared by two or more accepted events."""
        points = {}
        for event in self.accepted().values():
            key = (event.node, event.seq, event.previous)
            points[key] = points.get(key, 0) + 1
        return sum(1 for n in points.values() if n > 1)

    def visible_registers(self):
        """§2.2: per register, accepted assigns minus those any of its assigns supersede."""
        registers = {}
        for event in self.accepted().values():
            if event.op[0] == "assign":
                key = (event.op[1], event.op[2], event.op[3])
                registers.setdefault(key, []).append(event)
        visible = {}
        for key, writes in registers.items():
            superseded = {tuple(i) for w in writes for i in w.op[5]}
            visible[key] = sorted((w for w in writes if w.id() not in superseded),
                                  key=Event.id)
        return visible

    def state_digest(self, version=3):
        """§5: SHA-256 over "carnet-state/3" and the node items (each node's seq and heads).
        `version=2` gives the earlier digest (§5, "Earlier versions"), which also hashed the
        registers and the entries: what version-1 status files and `protocol/fixtures/v1`
        hold."""
        if version not in (2, 3):
            raise ValueError(f"state digest version {version}")
        out = bytearray(b"carnet-state/%d" % version)
        summary = self.summary()
        out += enc_varint(len(summary))
        for node, seq, heads in summary:
            out += node + enc_varint(seq) + enc_varint(len(heads))
            for head_seq, digest in heads:
                out += node + enc_varint(head_seq) + digest
        if version == 3:
            return hashlib.sha256(bytes(out)).digest()
        registers = self.visible_registers()
        out += enc_varint(len(registers))
        for (rtype, record, field) in sorted(registers):
            values = registers[(rtype, record, field)]
            out += enc_string(rtype) + enc_string(record) + enc_string(field)
            out += enc_varint(len(values))
            for event in values:
                out += event.node + enc_varint(event.seq) + event.hash + event.op[4].encode()
        entries = [e for e in self.accepted().values() if e.op[0] == "append"]
        entries.sort(key=lambda e: (unicodedata.normalize("NFC", e.op[1].decode()), e.id()))
        out += enc_varint(len(entries))
        for event in entries:
            out += enc_string(event.op[1]) + event.node + enc_varint(event.seq) + event.hash
        return hashlib.sha256(bytes(out)).digest()


# ---------------------------------------------------------------- §10 the ledger's views

LEDGER_KINDS = (b"harvest", b"production", b"delivery", b"sale", b"purchase", b"payment",
                b"loss", b"adjust", b"reversal", b"review", b"order", b"uncollected")
LEDGER_FIELD_TAGS = {b"producer": 1, b"date": 3, b"product": 1, b"qty": 0, b"unit": 1,
                     b"lot": 1, b"party": 1, b"amount": 0, b"method": 1, b"ref": 1,
                     b"ref_kind": 1, b"ref_event": 1, b"sides": 1, b"order": 1, b"line": 0, b"reason": 1,
                     b"note": 1}  # §10.3, Value tags of §2
LEDGER_UNITS = (b"g", b"ml", b"pc")
STOCK_SIGN = {b"harvest": 1, b"production": 1, b"purchase": 1, b"adjust": 1,
              b"delivery": -1, b"sale": -1, b"loss": -1}  # §10.3's stock column
BALANCE_SIGN = {b"sale": 1, b"payment": -1, b"purchase": -1}  # §10.4


def ledger_entry(event):
    """§10.4: an accepted append's fields by name (first occurrence), or None when it is
    unreadable (unknown kind, no text producer or day date, a known field of another type,
    a unit not g/ml/pc, a ref_kind that is not a kind)."""
    _, entry_id, kind, fields = event.op
    if kind not in LEDGER_KINDS:
        return None
    by_name = {}
    for name, value in fields:
        by_name.setdefault(name, value)
    for name, value in by_name.items():
        if name in LEDGER_FIELD_TAGS and value.tag != LEDGER_FIELD_TAGS[name]:
            return None
    # §10.3: a review belongs to no actor; it names a conflict and the sides it saw.
    if (b"producer" not in by_name and kind != b"review") or b"date" not in by_name:
        return None
    if kind == b"review" and (b"ref" not in by_name or b"sides" not in by_name):
        return None
    if (b"order" in by_name) != (b"line" in by_name) or (b"line" in by_name and by_name[b"line"].data < 1):
        return None
    if kind == b"order" and not all(name in by_name for name in (b"order", b"product", b"qty")):
        return None
    if kind == b"uncollected" and b"ref" not in by_name:
        return None
    if b"ref_event" in by_name and not is_event_hash(by_name[b"ref_event"].data):
        return None
    if b"sides" in by_name and not all(map(is_event_hash, by_name[b"sides"].data.split(b","))):
        return None
    if b"unit" in by_name and by_name[b"unit"].data not in LEDGER_UNITS:
        return None
    if b"ref_kind" in by_name and by_name[b"ref_kind"].data not in LEDGER_KINDS:
        return None
    return {"id": entry_id, "kind": kind, "event": event,
            **{name.decode(): value.data for name, value in by_name.items()}}


def is_event_hash(text):
    """§10.3: an event named in an entry, 64 lower-case hex digits."""
    return len(text) == 64 and all(c in b"0123456789abcdef" for c in text)


def cancels(reversal, entry):
    """§10.4: a reversal cancels an entry (not a reversal) of its own producer whose id it
    names, every entry with that id or, with `ref_event`, the one its event carries."""
    return (entry["kind"] != b"reversal" and reversal.get("ref") == entry["id"]
            and reversal.get("producer") == entry.get("producer")
            and ("ref_event" not in reversal or bytes.fromhex(reversal["ref_event"].decode()) == entry["event"].hash))


def ledger_views(replica, ledger_id=None):
    """The ledger's views recomputed from the accepted appends by §10.3, §10.4 and §6.5:
    {"entries", "unreadable", "stock": {(producer, product, lot): [qty, unit]},
    "balances": {(producer, party): cents}, "availability": {product: (unit, at producers,
    delivered, [producers])}}, keys as bytes, an empty unit for none. Entries count in
    (clock, event id) order; voided entries and reversals count in no view. In a ledger
    with members (`ledger_id` of a signed ledger, §9.5) only the entries that count."""
    import carnet_members
    # Member records (§9.5) are not ledger entries, and not unreadable ones.
    appends = sorted((e for e in replica.accepted().values() if e.op[0] == "append" and e.op[2] != b"member"),
                     key=lambda e: ((e.physical, e.logical), e.id()))
    every = [entry for entry in map(ledger_entry, appends) if entry is not None]
    members = carnet_members.Members(replica, ledger_id)
    readable = [entry for entry in every if members.verdict(entry["event"], entry) == carnet_members.COUNTS]
    reversals = {}
    for entry in readable:
        if entry["kind"] == b"reversal" and "ref" in entry:
            reversals.setdefault(entry["ref"], []).append(entry)
    stock, balances, delivered = {}, {}, {}
    for entry in readable:
        if entry["kind"] in (b"reversal", b"review", b"order", b"uncollected"):
            continue
        if any(cancels(reversal, entry) for reversal in reversals.get(entry["id"], [])):
            continue
        sign = STOCK_SIGN.get(entry["kind"])
        if sign is not None and "product" in entry and "qty" in entry:
            key = (entry["producer"], entry["product"], entry.get("lot", b""))
            line = stock.setdefault(key, [0, b""])
            line[0] += sign * entry["qty"]
            line[1] = entry.get("unit", line[1])  # §6.5: the last entry's that has one
            if entry["kind"] == b"delivery":
                delivered[entry["product"]] = delivered.get(entry["product"], 0) + entry["qty"]
        sign = BALANCE_SIGN.get(entry["kind"])
        if sign is not None and "party" in entry and "amount" in entry:
            key = (entry["producer"], entry["party"])
            balances[key] = balances.get(key, 0) + sign * entry["amount"]
    availability = {}
    for (producer, product, _), (quantity, unit) in sorted(stock.items()):
        unit_, at, _, producers = availability.get(product, (b"", 0, 0, set()))
        if quantity > 0:
            producers.add(producer)
        availability[product] = (unit_ or unit, at + quantity, 0, producers)
    for product, quantity in delivered.items():
        unit_, at, _, producers = availability.get(product, (b"", 0, 0, set()))
        availability[product] = (unit_, at, quantity, producers)
    availability = {product: (unit, at, out, sorted(producers))
                    for product, (unit, at, out, producers) in availability.items()}
    return {"entries": len(readable), "unreadable": len(appends) - len(every), "members": members,
            "stock": stock, "balances": balances, "availability": availability}


def preferred(values):
    """§6.5: of a register's live values, the latest clock, then the highest node id."""
    return max(values, key=lambda e: ((e.physical, e.logical), e.node), default=None)


def node_labels(replica):
    """§6.5, §10.2: {node: label} for every node with an accepted event and a label, its
    own or the nearest continued node's (at most 64 steps, no node twice)."""
    registers = replica.visible_registers()

    def shown(node, field):
        event = preferred(registers.get((b"node", node.hex().encode(), field), []))
        return event.op[4].data if event is not None and event.op[4].tag == 1 else None

    labels = {}
    for node in {e.node for e in replica.accepted().values()}:
        chain, current = [node], node
        while len(chain) <= 64:
            text = shown(current, b"continues")
            try:
                previous = bytes.fromhex(text.decode()) if text else None
            except ValueError:
                previous = None
            if previous is None or len(previous) != 16 or previous in chain:
                break
            chain.append(previous)
            current = previous
        label = next((text for text in map(lambda n: shown(n, b"label"), chain) if text is not None), None)
        if label is not None:
            labels[node] = label
    return labels


def node_records(replica):
    """§6.5 section 17 from the registers: every node whose label register (`node` record
    of its id in 32 lowercase hex digits, field `label`, §10.2) holds a live value, and
    every node named by the text of a live value of any node's `continues` register when
    that text is 32 hex digits (either case); each once, in ascending order."""
    nodes = set()
    for (rtype, record, field), events in replica.visible_registers().items():
        if rtype != b"node" or not events:
            continue
        if field == b"label" and is_node_hex(record, lowercase=True):
            nodes.add(bytes.fromhex(record.decode()))
        elif field == b"continues":
            nodes.update(bytes.fromhex(e.op[4].data.decode()) for e in events
                         if e.op[4].tag == 1 and is_node_hex(e.op[4].data))
    return sorted(nodes)


def is_node_hex(text, lowercase=False):
    """32 hex digits (§7 Hex: either case, or lowercase only where a record id names a node)."""
    digits = b"0123456789abcdef" if lowercase else b"0123456789abcdefABCDEF"
    return len(text) == 32 and all(c in digits for c in text)


# ---------------------------------------------------------------- §6.8 the log past a derived file

TAIL_FIGURE = "views-tail-from"  # §6.3's derived figure naming `t`
TAIL_KINDS = (b"harvest", b"production", b"delivery", b"sale", b"purchase", b"payment", b"loss", b"adjust")
TAIL_MAX_EVENTS = 4_096  # §6.8: a reader adds at most this many events
TAIL_REWRITE_PAST = 256  # §6.8: the writer writes both files again past this many


def tail_entry(event):
    """§6.8: the entry an event of a tail must be (a readable entry of one of the eight
    kinds, without `ref_event`, `order` or `line`, and without `ref` unless it is a
    payment's), or None when it is not one. Whether a payment's `ref` names an id that
    entries held carry, and paid so far with it stays within their worth, is the writer's
    statement (§6.5, §6.8), checked against the log (`tail_payment_overrun`)."""
    if event.op[0] != "append" or event.op[2] not in TAIL_KINDS:
        return None
    entry = ledger_entry(event)
    if entry is None or any(name in entry for name in ("ref_event", "order", "line")):
        return None
    if "ref" in entry and entry["kind"] != b"payment":
        return None
    return entry


def tail_label_write(event):
    """§6.5, §6.8: a write of a node's own label a tail may hold: an assignment to
    (`node`, the event's own node in 32 lowercase hex, `label`) with a text value; the
    event, or None when it is not one."""
    if event.op[0] != "assign":
        return None
    _, rtype, record, field, value, _ = event.op
    if (rtype, record, field) != (b"node", event.node.hex().encode(), b"label") or value.tag != 1:
        return None
    return event


def tail_labels(writes):
    """§6.8: the label writes of a tail (`tail_label_write` events, in log order), each
    node's taken in log order into an empty register, each superseding what it names among
    those taken: {node: the text of the value left, or None when they leave a conflict
    (several values that differ, which a reader does not take)}."""
    live = {}
    for event in writes:
        taken = live.setdefault(event.node, [])
        named = {tuple(i) for i in event.op[5]}
        taken[:] = [e for e in taken if e.id() not in named] + [event]
    return {node: (texts.pop() if len(texts) == 1 else None)
            for node, texts in ((node, {e.op[4].data for e in taken}) for node, taken in live.items())}


def tail_payment_overrun(held, paid, entry):
    """§6.5's writer rule, §6.8's statement, for a payment with `ref` added without folding:
    `held` the readable entries that count in the log before it (its own excluded), `paid`
    section 13 of that log ({id: cents}). None when the rule holds: entries held carry the
    `ref`, and its amount (0 without) added to what section 13 says of it stays at or below
    the worth of those carriers not voided (the sum of their `amount`); else what fails."""
    ref = entry["ref"]
    carriers = [e for e in held if e["id"] == ref]
    if not carriers:
        return (entry["id"], "ref carried by no entry held", ref)
    reversals = [e for e in held if e["kind"] == b"reversal" and e.get("ref") == ref]
    worth = sum(e.get("amount", 0) for e in carriers if not any(cancels(r, e) for r in reversals))
    after = paid.get(ref, 0) + entry.get("amount", 0)
    if after > worth:
        return (entry["id"], "paid beyond worth", ref, after, worth)
    return None


def add_tail(views, entries):
    """§6.8's Views rule applied to a decoded views file (`read_views`): each tail entry, in
    log order, adds its signed quantity to the stock line of its producer, product and lot
    (the line taking the entry's unit when it has none), a delivery its quantity to
    `delivered`, a harvest's, production's or purchase's lot and product to the lot products, a sale's
    amount to its balance and a payment's or purchase's amount taken from it, a payment's
    amount (0 without) to the sale payments of its `ref` when it has one (section 13), and
    one to `entries`; availability is made again from the stock lines. Returns {"entries",
    "unreadable", "stock": {(producer, product, lot): [qty, unit]}, "balances": {(producer,
    party): cents}, "availability": {product: (unit, at producers, delivered, [producers])},
    "lot products": {(producer, lot): set(products)}, "sale payments": {id: cents}}: the
    shapes `ledger_views`, `lot_products` and `sale_payments` give."""
    stock = {(p, q, l): [n, u] for p, q, l, n, u in views["stock"]}
    balances = {(p, q): n for p, q, n in views["balances"]}
    delivered = {p: d for p, _, _, d, _ in views["availability"]}
    lots = {(p, l): set(products) for p, l, products in views["lot products"]}
    paid = dict(views["sale payments"])
    for entry in entries:
        kind = entry["kind"]
        if kind == b"payment" and "ref" in entry:
            paid[entry["ref"]] = paid.get(entry["ref"], 0) + entry.get("amount", 0)
        sign = STOCK_SIGN.get(kind)
        if sign is not None and "product" in entry and "qty" in entry:
            line = stock.setdefault((entry["producer"], entry["product"], entry.get("lot", b"")), [0, b""])
            line[0] += sign * entry["qty"]
            if not line[1] and "unit" in entry:
                line[1] = entry["unit"]
            if kind == b"delivery":
                delivered[entry["product"]] = delivered.get(entry["product"], 0) + entry["qty"]
        if kind in (b"harvest", b"production", b"purchase") and entry.get("lot") and "product" in entry:
            lots.setdefault((entry["producer"], entry["lot"]), set()).add(entry["product"])
        sign = BALANCE_SIGN.get(kind)
        if sign is not None and "party" in entry and "amount" in entry:
            key = (entry["producer"], entry["party"])
            balances[key] = balances.get(key, 0) + sign * entry["amount"]
    availability = {product: (b"", 0, out, set()) for product, out in delivered.items()}
    for (producer, product, _), (quantity, unit) in sorted(stock.items()):
        unit_, at, out, producers = availability.get(product, (b"", 0, 0, set()))
        if quantity > 0:
            producers.add(producer)
        availability[product] = (unit_ or unit, at + quantity, out, producers)
    return {"entries": views["entries"] + len(entries), "unreadable": views["unreadable"], "stock": stock,
            "balances": balances,
            "availability": {p: (u, a, d, sorted(xs)) for p, (u, a, d, xs) in availability.items()},
            "lot products": lots, "sale payments": paid}


def add_tail_to_totals(totals, entries):
    """§6.8, a reader of the stock totals alone (section 9): each tail entry that moves
    stock adds to its producer's total of the product when there is one and the entry's
    unit is not another than the total's; None when some entry cannot be told so (then
    the reader reads the lots). A total that comes to zero is left out, as §6.5 writes."""
    found = {(p, q): [n, u] for p, q, n, u in totals}
    for entry in entries:
        sign = STOCK_SIGN.get(entry["kind"])
        if sign is None or "product" not in entry or "qty" not in entry:
            continue
        total = found.get((entry["producer"], entry["product"]))
        if total is None or entry.get("unit", total[1]) != total[1]:
            return None
        total[0] += sign * entry["qty"]
        if total[0] == 0:
            del found[(entry["producer"], entry["product"])]
    return [(p, q, n, u) for (p, q), (n, u) in sorted(found.items())]


def stock_totals(stock):
    """§6.5 section 9 from stock lines {(producer, product, lot): [qty, unit]}: summed per
    (producer, product) in their order, the first non-empty unit, zero sums left out."""
    totals = []
    for (p, q, _), (n, u) in sorted(stock.items()):
        if totals and totals[-1][:2] == [p, q]:
            totals[-1][2] += n
            totals[-1][3] = totals[-1][3] or u
        else:
            totals.append([p, q, n, u])
    return [tuple(t) for t in totals if t[2] != 0]


def counting_entries(replica, ledger_id=None):
    """§10.4, §9.5: the readable entries of the accepted appends that count (member records
    are not entries), in no particular order."""
    import carnet_members
    appends = [e for e in replica.accepted().values() if e.op[0] == "append" and e.op[2] != b"member"]
    members = carnet_members.Members(replica, ledger_id)
    return [entry for entry in map(ledger_entry, appends)
            if entry is not None and members.verdict(entry["event"], entry) == carnet_members.COUNTS]


def effective_entries(replica, ledger_id=None):
    """§6.5's effective entries: readable, counting, not a reversal, a review, an order or
    an `uncollected` mark, and not voided (§10.4)."""
    readable = counting_entries(replica, ledger_id)
    reversals = {}
    for entry in readable:
        if entry["kind"] == b"reversal" and "ref" in entry:
            reversals.setdefault(entry["ref"], []).append(entry)
    return [entry for entry in readable
            if entry["kind"] not in (b"reversal", b"review", b"order", b"uncollected")
            and not any(cancels(r, entry) for r in reversals.get(entry["id"], []))]


def lot_products(replica, ledger_id=None):
    """§6.5 section 12 from the events: {(producer, lot): set(products)} of the effective
    harvests, productions and purchases with a non-empty lot and a product."""
    lots = {}
    for entry in effective_entries(replica, ledger_id):
        if entry["kind"] not in (b"harvest", b"production", b"purchase") or not entry.get("lot") \
                or "product" not in entry:
            continue
        lots.setdefault((entry["producer"], entry["lot"]), set()).add(entry["product"])
    return lots


def sale_payments(replica, ledger_id=None):
    """§6.5 section 13 from the events: {id: cents} for every id that effective payments
    name in `ref` (held or not), the sum of their `amount` (0 for a payment without one)."""
    paid = {}
    for entry in effective_entries(replica, ledger_id):
        if entry["kind"] == b"payment" and "ref" in entry:
            paid[entry["ref"]] = paid.get(entry["ref"], 0) + entry.get("amount", 0)
    return paid

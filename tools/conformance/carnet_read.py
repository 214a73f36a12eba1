#!/usr/bin/env python3
"""Read Carnet's files with the independent decoder (written from protocol/SPEC.md alone).

A farm's accountant in 2036 with this file and protocol/ can list what a store holds
without building Carnet:

    carnet_read.py events-log PATH [--json]   every event of an events.log (§6), in log order
    carnet_read.py store DIR [--json]          the store: log, checkpoint, status file, digest
    carnet_read.py entries DIR                 the ledger entries (§10.3) as JSON, newest first,
                                               in the shape of `carnet log --json`
    carnet_read.py bundle PATH [SECRET] [--json]  the events of a bundle (§6.4); a sealed
                                               (format-2) one needs the ledger's secret file
    carnet_read.py views PATH                  a views file (§6.5) as JSON: stock, balances,
                                               availability, conflicts, catalog, labels
    carnet_read.py batch HEX [--json]          one event batch (§3)

Exit status 0 when the file reads, 1 when it does not (with the reason on stderr).
"""

import datetime
import json
import os
import sys

sys.dont_write_bytecode = True  # leave no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import carnet_format as cf  # noqa: E402


def read_file(path):
    with open(path, "rb") as handle:
        return handle.read()


class Record:
    """One log record, decoded once: its offset, bytes, and the batch they hold."""

    def __init__(self, offset, payload):
        self.offset, self.payload = offset, payload
        self.version, self.events, self.runs, self.heads = cf.decode_batch(payload)

    def signed_heads(self):
        """(event, signature) for each head (§3.4: the last event of its run)."""
        return [(self.runs[index][-1], signature) for index, signature in self.heads]


def log_events(path):
    """Every sound record of the log, decoded, in log order; and where reading stopped."""
    records, stop = cf.read_log(read_file(path))
    return [Record(offset, payload) for offset, payload in records], stop


def describe(event):
    """One line per event: id, clock, and what it says."""
    when = datetime.datetime.fromtimestamp(event.physical / 1000, datetime.timezone.utc)
    clock = when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + (f"+{event.logical}" if event.logical else "")
    if event.op[0] == "assign":
        _, rtype, record, field, value, superseded = event.op
        what = f"assign {rtype.decode()}/{record.decode()}.{field.decode()} = {value!r}"
        if superseded:
            what += f" (supersedes {', '.join(f'{n.hex()}:{s}#{h.hex()[:8]}' for n, s, h in superseded)})"
    else:
        _, entry_id, kind, fields = event.op
        what = f"append {kind.decode()} {entry_id.decode()} " + " ".join(
            f"{n.decode()}={show_value(v)}" for n, v in fields)
    return f"{event.label()}  {clock}  {what}"


def show_value(value):
    if value.tag == 3:
        return day_text(value.data)
    if value.tag == 1:
        return json.dumps(value.data.decode(), ensure_ascii=False)
    return str(value.to_json()).lower() if value.tag == 2 else str(value.data)


def day_text(day):
    """A day value (§2: days since 1970-01-01) as YYYY-MM-DD."""
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=day)).isoformat()


def cmd_events_log(path, as_json):
    """List every event of a log, record by record; exit 1 if the log stops early."""
    records, stop = log_events(path)
    if as_json:
        print(json.dumps([e.to_json() for record in records for e in record.events],
                         ensure_ascii=False, indent=1))
    else:
        for record in records:
            print(f"# record at {record.offset}: {len(record.events)} events, "
                  f"{len(record.heads)} signed heads")
            for event in record.events:
                print(describe(event))
    if stop:
        _, damage = cf.scan_log(read_file(path))
        print(f"log stops at offset {damage[0]}: {damage[2]} ({damage[1]}, §6)", file=sys.stderr)
        return 1
    return 0


def load_store(directory):
    """The replica of a store's log (the checkpoint is never needed, §6.2)."""
    records, stop = log_events(os.path.join(directory, "events.log"))
    replica = cf.Replica()
    for record in records:
        replica.add(record.events)
    return replica, records, stop


def cmd_store(directory, as_json):
    """What a store holds and whether its status file and checkpoint agree with its log."""
    replica, records, stop = load_store(directory)
    accepted = replica.accepted()
    report = {"records": len(records), "held": len(replica.held), "accepted": len(accepted),
              "pending": len(replica.held) - len(accepted), "rejected": len(replica.rejected),
              "forks": replica.forks(),
              "digest": replica.state_digest().hex(),
              "versionVector": {n.hex(): s for n, s, _ in replica.summary()},
              "logStop": stop}
    report["reencoded"] = reencoded_records(records)
    status_path = os.path.join(directory, "status")
    if os.path.exists(status_path):
        status = cf.read_status(read_file(status_path))
        report["statusFile"] = {"version": status["version"], "events": status["events"],
                                "digest": status["digest"].hex(),
                                "forks": status["forks"], "pending": status["pending"],
                                "figures": status["figures"], "stamp": status["stamp"],
                                "matchesLog": status["digest"] == replica.state_digest(status["digestVersion"])
                                and status["summary"] == replica.summary()}
    checkpoint_path = os.path.join(directory, "checkpoint")
    if os.path.exists(checkpoint_path):
        stamp, chunks = cf.read_checkpoint(read_file(checkpoint_path))
        ok = all(e.hash == h for events, hashes in chunks for e, h in zip(events, hashes))
        report["checkpoint"] = {"stamp": stamp, "events": sum(len(c[0]) for c in chunks),
                                "hashesMatch": ok,
                                "allInLog": all(e.id() in replica.held
                                                for events, _ in chunks for e in events)}
    print(json.dumps(report, indent=1) if as_json else
          "\n".join(f"{k}: {v}" for k, v in report.items()))
    return 0 if stop is None else 1


def reencoded_records(records):
    """How many log records the spec's encoder rules (§3, §3.1) re-make byte for byte."""
    import carnet_encode
    same = sum(carnet_encode.encode_batch(r.events, r.version, [(e.id(), sig) for e, sig in r.signed_heads()])
               == r.payload for r in records)
    return f"{same} of {len(records)} records"


JSON_NAMES = {"qty": "quantity", "amount": "amountCents", "ref_kind": "refKind", "ref_event": "refEvent"}  # §10.3


def cmd_entries(directory):
    """Ledger entries as `carnet log --json` names them (§10.3), newest first by clock."""
    replica, _, _ = load_store(directory)
    print(json.dumps(entries_json(replica), ensure_ascii=False, indent=1))
    return 0


def entries_json(replica):
    """The accepted appends, newest first (clock, then event id), fields by §10.3 names;
    member records (§9.5) are not ledger entries and `log` does not list them."""
    entries = [e for e in replica.accepted().values() if e.op[0] == "append" and e.op[2] != b"member"]
    entries.sort(key=lambda e: ((e.physical, e.logical), e.id()), reverse=True)
    out = []
    for event in entries:
        _, entry_id, kind, fields = event.op
        item = {"id": entry_id.decode(), "kind": kind.decode(), "node": event.node.hex(),
                "event": event.label(), "clockMillis": event.physical}
        for name, value in fields:
            key = JSON_NAMES.get(name.decode(), name.decode())
            if key not in item:  # §10.4: a field read by name takes its first occurrence
                item[key] = day_text(value.data) if value.tag == 3 else value.to_json()
        if item["kind"] == "review":
            item.setdefault("producer", "")  # §10.4: a review has no producer
        out.append(item)
    return out


def cmd_bundle(path, as_json, secret_path=None):
    """Format 1 reads as is; format 2 needs the ledger secret (§6.4, §7.2: its file)."""
    data = read_file(path)
    if data[8:10] == b"\x00\x02":
        if not secret_path:
            raise cf.FormatError("a sealed (format-2) bundle: give the ledger's secret file too")
        secret = bytes.fromhex(read_file(secret_path).decode("ascii").strip())
        _, body = cf.read_bundle_v2(data, secret)
    else:
        body = cf.read_bundle_v1(data)
    events = [e for _, chunk, _, _ in body["chunks"] for e in chunk]
    if as_json:
        print(json.dumps({"ledger": body["ledger"], "creator": body["creator"].hex(),
                          "label": body["label"], "created": body["created"],
                          "for": body["for"].hex() if body["for"] else None,
                          "events": [e.to_json() for e in events]}, ensure_ascii=False, indent=1))
    else:
        print(f"bundle of ledger {body['ledger']!r} by {body['creator'].hex()} ({body['label']}), "
              f"{len(body['chunks'])} chunks, {len(events)} events")
        for event in events:
            print(describe(event))
    return 0


def cmd_views(path):
    """The views file (§6.5) as JSON; strings shown as text, node ids and hashes in hex."""
    views = cf.read_views(read_file(path))

    def writer(w):
        node, seq, digest = w["id"]
        return {"event": f"{node.hex()}:{seq}#{digest.hex()}", "physical": w["physical"],
                "logical": w["logical"]}

    def value(v):
        return None if v is None else {"type": cf.Value.NAMES[v.tag], "value": v.to_json()}

    def record(r):
        return {"type": r[0].decode(), "id": r[1].decode(),
                "fields": {n.decode(): [dict(writer(w), value=value(v)) for w, v in values]
                           for n, values in r[2]}}

    t = bytes.decode
    print(json.dumps({
        "stamp": views["stamp"], "entries": views["entries"], "unreadable": views["unreadable"],
        "stock": [{"producer": t(p), "product": t(q), "lot": t(l), "quantity": n, "unit": t(u)}
                  for p, q, l, n, u in views["stock"]],
        "balances": [{"producer": t(p), "party": t(q), "cents": n} for p, q, n in views["balances"]],
        "availability": [{"product": t(p), "unit": t(u), "atProducers": a, "delivered": d,
                          "producers": [t(x) for x in xs]} for p, u, a, d, xs in views["availability"]],
        "conflicts": [{"kind": t(k), "subject": t(s), "summary": t(m), "suggestion": t(g),
                       "sides": [dict(writer(w), detail=t(x), value=value(v)) for w, x, v in sides]}
                      for k, s, m, g, sides in views["conflicts"]],
        "products": [record(r) for r in views["products"]],
        "parties": [record(r) for r in views["parties"]],
        "labels": {node.hex(): t(label) for node, label in views["labels"]},
        "salePayments": [{"id": t(i), "cents": n} for i, n in views["sale payments"]]},
        ensure_ascii=False, indent=1))
    return 0


def cmd_batch(hexdata, as_json):
    """Decode one batch given in hex (a vector line, a captured frame)."""
    version, events, runs, heads = cf.decode_batch(bytes.fromhex(hexdata))
    if as_json:
        print(json.dumps({"version": version, "runs": len(runs), "heads": [i for i, _ in heads],
                          "events": [e.to_json() for e in events]}, ensure_ascii=False, indent=1))
    else:
        print(f"batch version {version}, {len(runs)} runs, {len(events)} events, {len(heads)} heads")
        for event in events:
            print(describe(event))
    return 0


def main(argv):
    """Dispatch a command; FormatError and OSError become exit 1 with one line."""
    as_json = "--json" in argv
    args = [a for a in argv if a != "--json"]
    commands = {"events-log": lambda: cmd_events_log(args[1], as_json),
                "store": lambda: cmd_store(args[1], as_json),
                "entries": lambda: cmd_entries(args[1]),
                "bundle": lambda: cmd_bundle(args[1], as_json, *args[2:3]),
                "views": lambda: cmd_views(args[1]),
                "batch": lambda: cmd_batch(args[1], as_json)}
    if args[:1] == ["bundle"] and len(args) == 3:
        pass
    elif len(args) != 2 or args[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 64
    try:
        return commands[args[0]]()
    except (cf.FormatError, OSError, ValueError) as error:
        print(f"carnet_read: {args[1]}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Conformance against the real binary: make stores with `carnet`, read them with the
independent decoder, and compare with what `carnet` itself reports.

The golden vectors are fixed; this check follows the formats as the current code writes
them, so a change of the on-disk bytes that the SPEC does not describe fails here. The
stores: a format-1 farm (a reversal, a payment, a lot below zero, a field conflict merged
in), a copy of a node that continues it under a new id, a signed
ledger (version-2 batches, heads, key declarations), entry ids that sort differently as
bytes and as NFC, a hub holding a fork, two hubs merging a new farm whose first label
and harvests they take from the files alone (§6.5 section 17, §6.8), and the 10,000-entry
workload imported twice (a checkpoint of two chunks); then copies of the farm's log
damaged eight ways. Each store's
views file (§6.5) is read, compared with the reading commands and with stock and balances
recomputed from the events (§10), and damaged to see `carnet` ignore and rewrite it.

    python3 tools/conformance/check_store.py --carnet .build/debug/carnet [--keep DIR]

Exit status 0 when everything matches, 1 otherwise.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # leave no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import carnet_crypto as cc  # noqa: E402
import carnet_format as cf  # noqa: E402
import carnet_read  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "..", "..", "Tests", "CarnetWorkloadTests", "Fixtures", "ledger-10k.jsonl")
ENTRY_FIELDS = ("producer", "date", "product", "quantity", "unit", "lot", "party",
                "amountCents", "method", "ref", "refKind", "refEvent", "order", "line", "reason", "note")


class Carnet:
    """Runs the real binary in a scratch directory."""

    def __init__(self, binary, work):
        self.binary, self.work = binary, work

    def run(self, *args, directory=None, fails=False):
        """Its stdout; an exit status other than 0 is an error unless `fails` allows it
        (`verify` of a damaged store exits 1 with its JSON)."""
        command = [self.binary, *args] + (["--dir", os.path.join(self.work, directory)] if directory else [])
        result = subprocess.run(command, cwd=self.work, capture_output=True, text=True)
        if result.returncode != 0 and not (fails and result.stdout):
            raise RuntimeError(f"{' '.join(args)}: exit {result.returncode}: {result.stderr.strip()}")
        return result.stdout

    def json(self, *args, directory, fails=False):
        return json.loads(self.run(*args, "--json", directory=directory, fails=fails))


def make_stores(carnet):
    """The stores to read: returns their directory names under the scratch directory."""
    carnet.run("secret", "new", "--out", "secret")
    for name in ("farm", "other"):
        carnet.run("init", "--ledger", "conformance", "--label", name, "--secret-file", "secret",
                   directory=name)
    farm = lambda *args: carnet.run(*args, directory="farm")  # noqa: E731
    farm("party", "set", "ferme-un", "--name", "Ferme Été", "--kind", "farm")
    farm("party", "set", "cantine", "--name", "Cantine Jaurès", "--kind", "canteen")
    farm("product", "set", "tomate", "--name", "Tomate ronde", "--unit", "kg", "--price", "3,20")
    farm("record", "harvest", "--producer", "ferme-un", "--date", "2026-06-01", "--product", "tomate",
         "--qty", "42kg", "--lot", "L1")
    sale = farm("record", "sale", "--producer", "ferme-un", "--date", "2026-06-02", "--product",
                "tomate", "--qty", "10kg", "--lot", "L1", "--to", "cantine").strip()
    farm("record", "payment", "--producer", "ferme-un", "--from", "cantine", "--amount", "32",
         "--ref", sale, "--method", "cheque")
    loss = farm("record", "loss", "--producer", "ferme-un", "--date", "2026-06-03", "--product",
                "tomate", "--qty", "1kg", "--lot", "L1", "--reason", "damaged", "--note", "grêle").strip()
    farm("void", loss, "--reason", "saisie en double")
    # 42 - 10 - 40: lot L1 below zero, a ledger conflict (§10.5) beside the field one.
    farm("record", "loss", "--producer", "ferme-un", "--date", "2026-06-04", "--product", "tomate",
         "--qty", "40kg", "--lot", "L1", "--reason", "damaged", "--note", "gel")
    carnet.run("product", "set", "tomate", "--price", "3,50", directory="other")
    farm("merge", os.path.join(carnet.work, "other"))
    # A copied directory continues as a new node (§10.2) with no label of its own.
    shutil.copytree(os.path.join(carnet.work, "other"), os.path.join(carnet.work, "moved"))
    carnet.run("product", "set", "tomate", "--price", "3,60", directory="moved")
    carnet.run("ledger", "create", "--ledger", "signée", "--label", "hub", "--out", "signed.ledger",
               directory="signed")
    carnet.run("init", "--ledger-file", "signed.ledger", "--label", "ferme", directory="signed-farm")
    carnet.run("party", "set", "ferme-deux", "--name", "Ferme Deux", "--kind", "farm",
               directory="signed-farm")
    carnet.run("record", "harvest", "--producer", "ferme-deux", "--date", "2026-06-01", "--product",
               "pomme", "--qty", "3kg", "--lot", "P1", "--force", directory="signed-farm")
    carnet.run("merge", os.path.join(carnet.work, "signed-farm"), directory="signed")
    # The farm wrote before it was enrolled (§9.5): the creator enrols it, and then all it
    # wrote counts, as the views recomputed below (which know no members) count it.
    farm_node = carnet.json("status", directory="signed-farm")["node"]
    carnet.run("member", "add", farm_node, "--role", "producer:ferme-deux", "--role", "catalog",
               "--label", "Ferme Deux", directory="signed")
    make_unicode_store(carnet)
    make_fork_store(carnet)
    make_settled_store(carnet)
    make_members_store(carnet)
    make_upgraded_store(carnet)
    make_tail_store(carnet)
    make_new_farm_store(carnet)
    stores = ["farm", "moved", "signed", "unicode", "fork-hub", "settled", "members", "upgraded", "up-node", "tail",
              *NEWFARM]
    if os.path.exists(WORKLOAD):
        carnet.run("init", "--ledger", "conformance", "--label", "hub", "--secret-file", "secret",
                   directory="big")
        # Twice: past 16,384 events the checkpoint has a second chunk (§6.2).
        carnet.run("import", WORKLOAD, directory="big")
        carnet.run("import", WORKLOAD, directory="big")
        stores.append("big")
    return stores


TAIL_RUN = cf.TAIL_REWRITE_PAST + 1  # harvests past the files: the writer writes them again at the last (§6.8)
TAIL_STORES = {}  # store -> the log size when its views file and index were last written for the whole log
TAIL_AFTER_RUN = 10  # the entries recorded after the harvests: the tail, when the writer folds for none of them
TAIL_REF_PAYMENTS = (5, 7)  # the payments with a ref among them (1-based): §6.5's writer MAY add them unfolded
# Whether `carnet record payment --ref` must leave the files behind (§6.5's writer rule for
# a payment naming an id entries held carry, §6.8): True requires the tail (carnet does so
# since e0289b6); False accepts, and says, that carnet folds for it and writes the files
# again right after it (a shorter tail), as the SPEC allows (a writer MAY fold).
TAIL_REF_PAYMENTS_REQUIRED = True


def make_tail_store(carnet):
    """§6.8: a farm whose `carnet record` leaves the views file and the entry index behind
    the log. After its catalog, a harvest, a sale of it and a payment towards the sale
    (the files written exactly by the catalog's last write), 257 harvests: past 256 events
    the writer writes both files again; then one entry of each of the eight kinds (a
    purchase making a lot, a payment without `ref`) and two payments with a `ref`, each
    below what is left to pay: one more towards the earlier sale (its section 13 line
    grows), one towards the sale of the tail (a new line), which readers add to the files
    themselves (§6.5 section 13, §6.8)."""
    carnet.run("init", "--ledger", "conformance", "--label", "tail", "--secret-file", "secret", directory="tail")
    for args in (("party", "set", "ferme-t", "--name", "Ferme T", "--kind", "farm"),
                 ("party", "set", "client", "--name", "Client", "--kind", "canteen"),
                 ("product", "set", "pomme", "--name", "Pomme", "--unit", "kg", "--price", "2"),
                 ("product", "set", "jus", "--name", "Jus", "--unit", "l", "--price", "3")):
        carnet.run(*args, directory="tail")
    record = lambda *args: carnet.run("record", *args, "--producer", "ferme-t", "--date", "2026-06-01",  # noqa: E731
                                      directory="tail").strip()
    record("harvest", "--product", "pomme", "--qty", "20kg", "--lot", "S1")
    early = record("sale", "--product", "pomme", "--qty", "8kg", "--lot", "S1", "--to", "client")  # 16 €
    record("payment", "--from", "client", "--amount", "5", "--ref", early, "--method", "cheque")
    # A write that is no entry: every file written for the whole log (§6.8).
    carnet.run("party", "set", "grossiste", "--name", "Grossiste", "--kind", "wholesale", directory="tail")
    TAIL_STORES["tail"] = os.path.getsize(os.path.join(carnet.work, "tail", "events.log"))
    for index in range(TAIL_RUN):
        record("harvest", "--product", "pomme", "--qty", f"{1 + index % 5}kg", "--lot", f"T{index % 2}")
    record("harvest", "--product", "pomme", "--qty", "50kg", "--lot", "T9")
    record("production", "--product", "jus", "--qty", "20l", "--lot", "J1")
    record("purchase", "--product", "pomme", "--qty", "10kg", "--from", "grossiste", "--amount", "15", "--lot", "A1")
    sale = record("sale", "--product", "pomme", "--qty", "5kg", "--lot", "T9", "--to", "client")  # 10 €
    record("payment", "--from", "client", "--amount", "10", "--ref", early, "--method", "transfer")  # 5 + 10 ≤ 16
    record("payment", "--from", "client", "--amount", "4", "--method", "cash")
    record("payment", "--from", "client", "--amount", "6", "--ref", sale)  # 6 ≤ 10
    record("delivery", "--product", "jus", "--qty", "3l", "--lot", "J1", "--to", "client")
    record("loss", "--product", "pomme", "--qty", "1kg", "--lot", "T9", "--reason", "damaged")
    record("adjust", "--product", "pomme", "--qty", "2kg", "--lot", "T0", "--reason", "recompté")


NEWFARM = {}  # hub store -> {"farm": its node id (hex), "label": its label, "merges": the hub's log size before each merge}
NEWFARM_LABEL = "nouvelle-ferme"
# Whether the hub's first merge of the new farm must leave its label and harvests as a
# tail (§6.5: a writer MAY take a node's first label by itself when the views file has
# section 17 and does not list the node; §6.3: a merge MAY take events from elsewhere so).
# True requires the tail; False accepts, and says, that carnet folds for it.
NEWFARM_TAIL_REQUIRED = True


def make_new_farm_store(carnet):
    """§6.5 section 17, §6.8: a new farm's first label reaching a hub by merge. Two hubs of
    the `conformance` ledger each write their catalog (`party set`, `product set`: a full
    writer, which reads the registers and writes section 17) and two harvests; a fresh
    farm (`carnet init`, which writes its label as its first event) records three harvests
    (`--force`: it holds no catalog); both hubs merge it. Each hub's last write before
    the merge is a catalog write, so its files are written for the whole log there. `newfarm-hub` stops there: it
    may take the farm's label and harvests without folding, leaving them past its views
    file and entry index for readers (§6.8). The farm then records once more and
    `newfarm-hub2` merges it again: the farm's label register is now in the hub's state
    (listed by section 17 once a writer writes the views again); the writer may take the
    new harvest or fold, the result is checked."""
    for hub, label in (("newfarm-hub", "hub"), ("newfarm-hub2", "hub-deux")):
        carnet.run("init", "--ledger", "conformance", "--label", label, "--secret-file", "secret", directory=hub)
        for args in (("party", "set", "ferme-n", "--name", "Ferme Nouvelle", "--kind", "farm"),
                     ("party", "set", "coop", "--name", "Coop", "--kind", "hub"),
                     ("product", "set", "poire", "--name", "Poire", "--unit", "kg", "--price", "2,40")):
            carnet.run(*args, directory=hub)
        for index in range(2):
            carnet.run("record", "harvest", "--producer", "ferme-n", "--date", "2026-06-01", "--product", "poire",
                       "--qty", f"{10 + index}kg", "--lot", f"H{index}", directory=hub)
        # A write that is no entry: every file written for the whole log, the harvests in
        # the index (§6.8), section 17 by a writer that reads the registers (§6.5).
        carnet.run("party", "set", "cantine", "--name", "Cantine", "--kind", "canteen-public", directory=hub)
    carnet.run("init", "--ledger", "conformance", "--label", NEWFARM_LABEL, "--secret-file", "secret",
               directory="newfarm")
    farm = carnet.json("status", directory="newfarm")["node"]
    record = lambda qty, lot: carnet.run("record", "harvest", "--producer", "ferme-n", "--date", "2026-06-02",  # noqa: E731
                                         "--product", "poire", "--qty", qty, "--lot", lot, "--force",
                                         directory="newfarm")
    for index in range(3):
        record(f"{3 + index}kg", f"N{index}")
    size = lambda hub: os.path.getsize(os.path.join(carnet.work, hub, "events.log"))  # noqa: E731
    for hub in ("newfarm-hub", "newfarm-hub2"):
        NEWFARM[hub] = {"farm": farm, "label": NEWFARM_LABEL, "merges": [size(hub)]}
        carnet.run("merge", os.path.join(carnet.work, "newfarm"), directory=hub)
    record("7kg", "N3")
    NEWFARM["newfarm-hub2"]["merges"].append(size("newfarm-hub2"))
    carnet.run("merge", os.path.join(carnet.work, "newfarm"), directory="newfarm-hub2")


def check_new_farm_store(report, carnet, name, status_file, records, stamps, replica):
    """The new farm's label at the hub (§6.5 section 17, §6.8, §10.2): the merges' records
    hold the farm's events (its label first); after the first merge alone the views file
    and entry index stay before the merge's record and the status file names
    `views-tail-from` (the hub took the label and harvests without folding), the tail
    holding the farm's label write; what the files with the tail give is checked by
    `check_views` and `check_entry_index`. `log --json` and `show` print the farm's label
    for its entries, from the views' names with the tail's added."""
    store = NEWFARM[name]
    farm = bytes.fromhex(store["farm"])
    merged = [event for record in records if record.offset >= store["merges"][0] for event in record.events]
    label = cf.tail_label_write(merged[0]) if merged else None
    report.check(label is not None and label.node == farm and label.op[4].data == store["label"].encode()
                 and {e.node for e in merged} == {farm},
                 f"new farm: the hub's merge took the farm's events, the first its own label "
                 f"{store['label']!r} (node/{store['farm']}.label, §10.2), {len(merged)} events")
    sizes = [stamp["size"] for stamp in stamps]
    figure = status_file["figures"].get(cf.TAIL_FIGURE)
    if len(store["merges"]) == 1:
        tail_ok = figure is not None and max(sizes) <= store["merges"][0] and figure == min(sizes)
        what = (f"new farm, first merge: the views file and entry index stamped at {sizes}, at or before the merge's "
                f"record ({store['merges'][0]}), {cf.TAIL_FIGURE} {figure} names the older: the hub took the farm's "
                f"label and harvests without folding (§6.3, §6.5 section 17, §6.8)")
        if NEWFARM_TAIL_REQUIRED:
            report.check(tail_ok, what)
        elif not tail_ok:
            print(f"  new farm: NOTE the hub folded for the farm's label (files at {sizes}, {cf.TAIL_FIGURE} "
                  f"{figure}): §6.5's writer rule for a node's first label is not used by this carnet")
    else:
        print(f"  new farm, second merge: files at {sizes}, {cf.TAIL_FIGURE} {figure}, merges at {store['merges']}: "
              + ("the writer folded (wrote the files again)" if min(sizes) >= store["merges"][-1] else
                 "the files left behind (a tail)"))
    expected = cf.node_labels(replica).get(farm)
    report.equal(expected, store["label"].encode(), "new farm: its label from the whole log's registers (§6.5, §10.2)")
    theirs = [e for e in carnet.json("log", directory=name) if e["node"] == store["farm"]]
    report.equal(sorted({e.get("label") for e in theirs}), [store["label"]],
                 f"new farm: carnet log --json labels its {len(theirs)} entries {store['label']!r} (§6.7 names, §6.8)")
    if theirs:
        shown = carnet.json("show", theirs[0]["id"], directory=name)
        report.equal((shown["id"], shown.get("label")), (theirs[0]["id"], store["label"]),
                     "new farm: carnet show --json of its newest entry names its label (§6.7, §6.8)")


def check_tail_store(report, name, status_file, records, stamps):
    """The tail store's history (§6.8): both files were written for the whole log after
    the catalog's last write, left behind by the first harvest, written again by the 257th
    (more than 256 events past them), then left behind again: the ten entries after it are
    the tail, two payments with a ref among them. A writer MAY fold for such a payment
    instead (§6.5): then both files are written again right after it, and the tail is what
    follows; that path is said, and refused only with TAIL_REF_PAYMENTS_REQUIRED."""
    start = TAIL_STORES[name]
    after = [record for record in records if record.offset >= start]

    def end(index):
        return after[index].offset + 8 + len(after[index].payload) if len(after) > index else None

    count = sum(len(r.events) for r in after[TAIL_RUN:])
    report.equal(count, TAIL_AFTER_RUN, f"tail store: {TAIL_AFTER_RUN} entries recorded after the {TAIL_RUN} harvests")
    unfolded = end(TAIL_RUN - 1)
    folds = {end(TAIL_RUN - 1 + k): k for k in TAIL_REF_PAYMENTS}  # files written again right after the k-th
    sizes = [s["size"] for s in stamps]
    left = sum(len(r.events) for r in records if r.offset >= sizes[0])
    if sizes[0] in folds and not TAIL_REF_PAYMENTS_REQUIRED:
        print(f"  tail store: NOTE carnet folded for the payment with a ref recorded {folds[sizes[0]]}th after "
              f"the harvests (files written again at {sizes[0]}): the tail holds {left} entries, "
              f"{sum(1 for k in TAIL_REF_PAYMENTS if k > folds[sizes[0]])} payments with a ref; §6.5's writer rule "
              f"for such payments is not (always) used by this carnet")
        report.equal((sizes, status_file["figures"].get(cf.TAIL_FIGURE), left),
                     ([sizes[0], sizes[0]], sizes[0], TAIL_AFTER_RUN - folds[sizes[0]]),
                     f"tail store: both files written again after a payment with a ref (the writer folded for it, "
                     f"§6.5), {cf.TAIL_FIGURE} names it; the {left} entries after it left for readers (§6.8)")
        return
    print(f"  tail store: the tail holds {left} entries, {len(TAIL_REF_PAYMENTS)} payments with a ref among them "
          f"(§6.5's writer rule, §6.8)" if sizes[0] == unfolded else
          f"  tail store: files at {sizes}, expected {unfolded}: the tail holds {left} entries")
    report.equal((sizes, status_file["figures"].get(cf.TAIL_FIGURE), left),
                 ([unfolded, unfolded], unfolded, TAIL_AFTER_RUN),
                 f"tail store: both files written again after the {TAIL_RUN}th harvest past them, at {unfolded}, "
                 f"and {cf.TAIL_FIGURE} names it; the {TAIL_AFTER_RUN} entries after it, {len(TAIL_REF_PAYMENTS)} "
                 f"payments with a ref among them, left for readers (§6.5, §6.8)")


def make_unicode_store(carnet):
    """Entry ids that sort differently as bytes and as NFC text (§5 orders entries by the
    scalar values of their NFC forms): é precomposed and e + U+0301, Å and the Angstrom
    sign U+212B, after z in NFC but not all after it in bytes."""
    lines = [{"t": "meta", "schema": "producer-ledger-workload/1", "seed": 1, "farms": 1, "days": 1,
              "products": 1, "entries": 6, "start": "2026-03-02", "hub": "HUB", "actors": ["HUB", "F00"],
              "counts": {"entry": 6, "cat": 1, "sync": 0}, "kinds": {"harvest": 6}, "conflict_groups": 0},
             {"t": "cat", "actor": "HUB", "date": "2026-03-02", "product": "P0000",
              "set": {"name": "Carotte", "unit": "g", "price": 209}}]
    for index, entry_id in enumerate(["\u00e9-1", "e\u0301-1", "z-1", "\u212b-1", "\u00c5-1", "Z-1"]):
        lines.append({"t": "entry", "id": entry_id, "farm": "F00", "date": "2026-03-02",
                      "kind": "harvest", "product": "P0000", "qty": 100 + index, "unit": "g",
                      "lot": f"L{index}"})
    path = os.path.join(carnet.work, "unicode.jsonl")
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    carnet.run("init", "--ledger", "conformance", "--label", "unicode", "--secret-file", "secret",
               directory="unicode")
    carnet.run("import", path, directory="unicode")


def make_fork_store(carnet):
    """A hub holding a fork (§4): a farm's log is put back to an earlier copy in place (the
    directory keeps its inode, so the farm does not know) and the farm writes the same seq
    again; the hub merges before and after, and holds both branches."""
    for name in ("fork-farm", "fork-hub"):
        carnet.run("init", "--ledger", "conformance", "--label", name, "--secret-file", "secret",
                   directory=name)
    farm = os.path.join(carnet.work, "fork-farm")
    carnet.run("party", "set", "f1", "--name", "Un", "--kind", "farm", directory="fork-farm")
    shutil.copy(os.path.join(farm, "events.log"), os.path.join(carnet.work, "fork-backup.log"))
    carnet.run("party", "set", "f2", "--name", "Deux", "--kind", "farm", directory="fork-farm")
    carnet.run("merge", farm, directory="fork-hub")
    shutil.copy(os.path.join(carnet.work, "fork-backup.log"), os.path.join(farm, "events.log"))
    for derived in ("status", "checkpoint", "views"):
        if os.path.exists(os.path.join(farm, derived)):
            os.remove(os.path.join(farm, derived))
    carnet.run("party", "set", "f3", "--name", "Trois", "--kind", "farm", directory="fork-farm")
    carnet.run("merge", farm, directory="fork-hub")


def make_members_store(carnet):
    """A ledger with members (§9.5): the hub created it; farm A is enrolled for ferme-a;
    farm B wrote a sale for ferme-a and voided A's sale before it was enrolled, then was
    enrolled for ferme-b only; farm C is revoked, then writes more, which reaches the hub
    by merge; farm D never is enrolled. The stock recomputed here from the SPEC's verdicts
    must be carnet's, and so must the out-of-role and past-revocation conflicts."""
    carnet.run("ledger", "create", "--ledger", "membres", "--label", "hub", "--out", "members.ledger",
               directory="members")
    for name in ("m-a", "m-b", "m-c", "m-d"):
        carnet.run("init", "--ledger-file", "members.ledger", "--label", name, directory=name)
    node = {name: carnet.json("status", directory=name)["node"] for name in ("m-a", "m-b", "m-c", "m-d")}
    for args in (("party", "set", "ferme-a", "--name", "A", "--kind", "farm"),
                 ("party", "set", "ferme-c", "--name", "C", "--kind", "farm"),
                 ("party", "set", "cj", "--name", "Cantine", "--kind", "canteen-public"),
                 ("product", "set", "miel", "--name", "Miel", "--unit", "g")):
        carnet.run(*args, directory="members")
    carnet.run("member", "add", node["m-a"], "--role", "producer:ferme-a", directory="members")
    carnet.run("member", "add", node["m-c"], "--role", "producer:ferme-c", directory="members")
    for name in ("m-a", "m-b", "m-c", "m-d"):
        carnet.run("merge", os.path.join(carnet.work, "members"), directory=name)
    carnet.run("record", "harvest", "--actor", "ferme-a", "--product", "miel", "--qty", "900g", "--lot", "A1",
               directory="m-a")
    sale = carnet.run("record", "sale", "--actor", "ferme-a", "--product", "miel", "--qty", "100g", "--lot", "A1",
                      "--to", "cj", "--amount", "5", directory="m-a").strip()
    carnet.run("merge", os.path.join(carnet.work, "m-a"), directory="m-b")
    carnet.run("record", "sale", "--actor", "ferme-a", "--product", "miel", "--qty", "700g", "--lot", "A1",
               "--to", "cj", "--amount", "30", directory="m-b")
    carnet.run("void", sale, "--reason", "pas le mien", directory="m-b")
    carnet.run("record", "harvest", "--actor", "ferme-d", "--product", "miel", "--qty", "50g", "--lot", "D1",
               "--force", directory="m-d")
    carnet.run("record", "harvest", "--actor", "ferme-c", "--product", "miel", "--qty", "300g", "--lot", "C1",
               directory="m-c")
    for name in ("m-a", "m-b", "m-c", "m-d"):
        carnet.run("merge", os.path.join(carnet.work, name), directory="members")
    carnet.run("member", "add", node["m-b"], "--role", "producer:ferme-b", directory="members")
    carnet.run("member", "revoke", node["m-c"], "--reason", "volé", directory="members")
    carnet.run("record", "harvest", "--actor", "ferme-c", "--product", "miel", "--qty", "9000g", "--lot", "C2",
               directory="m-c")
    carnet.run("merge", os.path.join(carnet.work, "m-c"), directory="members")


BUCKET_EVENTS = 1_100  # entries imported on the format-1 hub: a chain past one 1,024-seq bucket (§9.7 step 2)


def make_upgraded_store(carnet):
    """A format-1 history adopted (§9.7): a format-1 hub and farm; the farm writes parties,
    a product, a harvest, a sale and a payment, forks (its log put back to an earlier copy
    in place, then written again: the hub holds two branch tips of one format-1 node), and
    the hub imports enough entries for a chain of more than 1,024 seqs. `carnet ledger
    upgrade` on the hub (`upgraded`) makes it the signed ledger's creator; a new node
    (`up-node`) joins by the ledger file, takes the hub's history by merge, is enrolled for
    the farm's producer and records a sale, which the hub merges back."""
    carnet.run("secret", "new", "--out", "up-secret")
    for name in ("upgraded", "up-farm"):
        carnet.run("init", "--ledger", "coop-f1", "--label", name, "--secret-file", "up-secret", directory=name)
    farm_dir = os.path.join(carnet.work, "up-farm")
    farm = lambda *args: carnet.run(*args, directory="up-farm")  # noqa: E731
    farm("party", "set", "ferme-up", "--name", "Ferme Haute", "--kind", "farm")
    farm("party", "set", "cantine", "--name", "Cantine", "--kind", "canteen")
    farm("product", "set", "courge", "--name", "Courge", "--unit", "kg", "--price", "2,10")
    farm("record", "harvest", "--producer", "ferme-up", "--date", "2026-06-01", "--product", "courge",
         "--qty", "50kg", "--lot", "C1")
    sale = farm("record", "sale", "--producer", "ferme-up", "--date", "2026-06-02", "--product", "courge",
                "--qty", "12kg", "--lot", "C1", "--to", "cantine").strip()
    farm("record", "payment", "--producer", "ferme-up", "--from", "cantine", "--amount", "25,20",
         "--ref", sale, "--method", "cheque")
    shutil.copy(os.path.join(farm_dir, "events.log"), os.path.join(carnet.work, "up-backup.log"))
    farm("party", "set", "voisin-a", "--name", "Voisin A", "--kind", "farm")
    carnet.run("merge", farm_dir, directory="upgraded")
    shutil.copy(os.path.join(carnet.work, "up-backup.log"), os.path.join(farm_dir, "events.log"))
    for derived in ("status", "checkpoint", "views", "entries"):
        if os.path.exists(os.path.join(farm_dir, derived)):
            os.remove(os.path.join(farm_dir, derived))
    farm("party", "set", "voisin-b", "--name", "Voisin B", "--kind", "farm")
    farm("record", "harvest", "--producer", "ferme-up", "--date", "2026-06-03", "--product", "courge",
         "--qty", "5kg", "--lot", "C2")
    carnet.run("merge", farm_dir, directory="upgraded")
    lines = [{"t": "meta", "schema": "producer-ledger-workload/1", "seed": 2, "farms": 1, "days": 1,
              "products": 1, "entries": BUCKET_EVENTS, "start": "2026-03-02", "hub": "HUB", "actors": ["HUB", "F00"],
              "counts": {"entry": BUCKET_EVENTS, "cat": 1, "sync": 0}, "kinds": {"harvest": BUCKET_EVENTS},
              "conflict_groups": 0},
             {"t": "cat", "actor": "HUB", "date": "2026-03-02", "product": "P0000",
              "set": {"name": "Navet", "unit": "g", "price": 150}}]
    lines += [{"t": "entry", "id": f"nav-{index}", "farm": "F00", "date": "2026-03-02", "kind": "harvest",
               "product": "P0000", "qty": 10 + index % 7, "unit": "g", "lot": f"N{index % 3}"}
              for index in range(BUCKET_EVENTS)]
    path = os.path.join(carnet.work, "upgraded.jsonl")
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(line) + "\n" for line in lines)
    carnet.run("import", path, directory="upgraded")
    carnet.run("ledger", "upgrade", "--out", "upgraded.ledger", directory="upgraded")
    carnet.run("init", "--ledger-file", "upgraded.ledger", "--label", "adoptante", directory="up-node")
    carnet.run("merge", os.path.join(carnet.work, "upgraded"), directory="up-node")
    node = carnet.json("status", directory="up-node")["node"]
    carnet.run("member", "add", node, "--role", "producer:ferme-up", "--label", "Ferme Haute (signée)",
               directory="upgraded")
    carnet.run("merge", os.path.join(carnet.work, "upgraded"), directory="up-node")
    carnet.run("record", "sale", "--producer", "ferme-up", "--date", "2026-06-05", "--product", "courge",
               "--qty", "3kg", "--lot", "C1", "--to", "cantine", directory="up-node")
    carnet.run("merge", os.path.join(carnet.work, "up-node"), directory="upgraded")


def chain_below(replica, event):
    """The events reached from `event` down through `previous` hashes (§9.2), itself included."""
    while event is not None:
        yield event
        event = replica.held.get((event.node, event.seq - 1, event.previous))


def check_adoption(report, carnet, name, replica, records, adoptions, ledger_id, identity):
    """§9.7 read from the SPEC on a format-1 history adopted by `carnet ledger upgrade`:
    the adoption heads and where they sit, the `adopted` assign, the events' bytes kept,
    the verdicts (every adopted event counts), and what `log`, `member list` and `stock`
    say of them."""
    import carnet_members
    accepted = replica.accepted()
    keys = {e.node for e in replica.held.values() if cf.key_declaration(e)}
    keyless = [e for e in replica.held.values() if e.node not in keys]
    tips = sorted((node, seq, digest) for node, _, heads in replica.summary() if node not in keys
                  for seq, digest in heads)
    covered = {x.id() for event, _ in adoptions for x in chain_below(replica, event)}
    report.check(keyless and all(e.id() in covered for e in keyless),
                 f"{len(keyless)} format-1 events of {len({e.node for e in keyless})} keyless nodes, each below "
                 f"an adoption head (§9.7): {len(adoptions)} adoption heads")
    if name == "upgraded":
        # Step 2 on the node that upgraded: one head at the highest seq of every 1,024-seq
        # bucket of each chain (seq // 1024, as the seq is a u64 and the bucket its index),
        # and one at every branch tip.
        at = {event.id() for event, _ in adoptions}
        wanted = set()
        for node, seq, digest in tips:
            tip = replica.held[(node, seq, digest)]
            highest = {}
            for event in chain_below(replica, tip):
                highest.setdefault(event.seq // 1024, event.id())
            wanted |= set(highest.values())
        forked = sum(1 for node in {t[0] for t in tips} if sum(1 for t in tips if t[0] == node) > 1)
        longest = max((seq for _, seq, _ in tips), default=0)
        report.check(forked >= 1 and longest > 1024 and wanted <= at,
                     f"adoption heads at the {len(tips)} branch tips ({forked} forked node) and at the highest seq of "
                     f"every 1,024-seq bucket (a chain of {longest}): {len(wanted)} places, "
                     f"{len(at - wanted)} heads elsewhere (§9.7 step 2)")
        old = carnet_read.load_store(os.path.join(carnet.work, "upgraded.format-1"))[0]
        report.equal(sorted(old.held), sorted(e.id() for e in keyless),
                     "the adopted events are the format-1 directory's, ids and hashes kept (§9.7)")
        kept = cf.Replica()
        kept.add(keyless)
        report.equal(kept.state_digest(), old.state_digest(), "the adopted events' state digest (§5) is the format-1 "
                                                              "store's (§9.7)")
        check_doctored_creator(report, carnet)
        check_flipped_adoption(report, carnet, records, adoptions)
        check_revoked_creator(report, carnet, keyless)
    members = carnet_members.Members(replica, ledger_id)
    named = [f"{n.hex()}:{s}:{h.hex()}" for n, s, h in tips]
    report.equal([e.op[4].data for e in members.adoptions], [",".join(sorted(named)).encode()],
                 "one `adopted` assign that counts, by the creator's device, naming every branch tip as "
                 "NODE:SEQ:HASH sorted and joined by `,` (§9.7 step 3)")
    adoption = members.adoptions[0] if members.adoptions else None
    genesis_by = {e.node for e in accepted.values() if e.op[0] == "assign" and e.op[3] == b"genesis"
                  and e.op[1:3] == (b"ledger", ledger_id.hex().encode())}
    report.check(adoption is not None and genesis_by == {adoption.node, members.creator},
                 "the adoption is written by the node that wrote the genesis, the creator's")
    verdicts = {}
    for event in accepted.values():
        entry = cf.ledger_entry(event) if event.op[0] == "append" and event.op[2] != b"member" else None
        verdicts.setdefault(members.verdict(event, entry), []).append(event)
    adopted = {e.id() for e in accepted.values() if members.is_adopted(e)}
    report.equal((members.enforced, len(adopted), {k: len(v) for k, v in verdicts.items()}),
                 (True, len(keyless), {carnet_members.COUNTS: len(accepted)}),
                 "§9.7 verdicts recomputed: every format-1 event adopted, every event counts (the enrolled node's sale too)")
    sale = [e for e in accepted.values() if e.node in keys and e.op[0] == "append" and e.op[2] == b"sale"]
    report.check(len(sale) == 1 and members.verdict(sale[0], cf.ledger_entry(sale[0])) == carnet_members.COUNTS
                 and not members.is_adopted(sale[0]), "the new node's sale counts once it is enrolled, not as adopted")
    # The check must be able to fail: the same events with the adoption's tips cut one
    # event lower leave the forked node's newest events not adopted.
    members.adopted_tips = {node: [(seq - 1, replica.held[(node, seq, digest)].previous)]
                            for node, seq, digest in tips[:1]}
    report.check(not members.is_adopted(replica.held[tips[0]]),
                 "an event above the adopted tip is not adopted (§9.5 Cuts)")
    theirs = carnet.json("log", directory=name)
    report.equal(sorted(e["event"] for e in theirs if e.get("adopted") is True),
                 sorted(e.label() for e in accepted.values() if e.id() in adopted and e.op[0] == "append"
                        and cf.ledger_entry(e) is not None),
                 f"carnet log --json marks the {sum(1 for e in theirs if e.get('adopted'))} adopted entries "
                 "\"adopted\": true, and no other")
    listed = carnet.json("member", "list", directory=name)
    report.equal(sorted(m["node"] for m in listed if m.get("adopted") is True),
                 sorted({n.hex() for n, _, _ in tips}), "carnet member list --json: the format-1 nodes, \"adopted\": true")
    stock = {}
    for (producer, product, _), (quantity, unit) in cf.ledger_views(replica, ledger_id)["stock"].items():
        line = stock.setdefault((text(producer), text(product)), [0, text(unit)])
        line[0] += quantity
    report.equal([(s["producer"], s["product"], s["quantity"], s.get("unit") or "")
                  for s in carnet.json("stock", directory=name)],
                 [(p, q, n, u) for (p, q), (n, u) in sorted(stock.items()) if n != 0],
                 "carnet stock --json = the stock recomputed from the SPEC's verdicts (§9.7, §10.4)")


def check_flipped_adoption(report, carnet, records, adoptions):
    """§9.3 as §9.7 extends it: a copy of the upgraded hub with one bit of an adoption
    head's signature flipped (the record's CRC-32C made good again) is refused whole by a
    node of the ledger that merges it, and `carnet verify` names the events it no longer
    vouches for."""
    event, signature = adoptions[0]
    record = next(r for r in records if (event, signature) in r.signed_heads())
    at = record.payload.rindex(signature) + 7
    payload = record.payload[:at] + bytes([record.payload[at] ^ 0x20]) + record.payload[at + 1:]
    copy = os.path.join(carnet.work, "upgraded-flipped")
    shutil.copytree(os.path.join(carnet.work, "upgraded"), copy)
    for derived in ("checkpoint", "status", "views", "entries"):
        if os.path.exists(os.path.join(copy, derived)):
            os.remove(os.path.join(copy, derived))
    log = carnet_read.read_file(os.path.join(copy, "events.log"))
    length = len(payload).to_bytes(4, "big")
    framed = length + cf.crc32c(length + payload).to_bytes(4, "big") + payload
    with open(os.path.join(copy, "events.log"), "wb") as handle:
        handle.write(log[:record.offset] + framed + log[record.offset + 8 + len(payload):])
    verify = carnet.json("verify", directory="upgraded-flipped", fails=True)
    carnet.run("init", "--ledger-file", "upgraded.ledger", "--label", "témoin", directory="up-witness")
    before = carnet.json("status", directory="up-witness")["events"]
    merged = subprocess.run([carnet.binary, "merge", copy, "--dir", os.path.join(carnet.work, "up-witness")],
                            capture_output=True, text=True)
    after = carnet.json("status", directory="up-witness")["events"]
    report.check(bool(verify.get("problems")) and merged.returncode != 0 and before == after,
                 f"an adoption signature with a bit flipped: carnet verify reports it, a merge is refused and "
                 f"stores nothing ({merged.stderr.strip()[:70]!r})")
    shutil.rmtree(copy)


def check_revoked_creator(report, carnet, keyless):
    """§9.7 Verdicts: an adoption counts while it is not past a revocation of the creator's
    device that counts. A copy of the hub continues the creator's device under a fresh id
    (§9.1) and enrols a second administrator, who revokes the creator's device; the copy
    writes on past the cut. The adopted history still counts (the adoption lies below the
    revocation's cut), what the creator wrote past it counts nowhere."""
    import carnet_members
    shutil.copytree(os.path.join(carnet.work, "upgraded"), os.path.join(carnet.work, "up-copy"))
    carnet.run("init", "--ledger-file", "upgraded.ledger", "--label", "admin-deux", directory="up-admin")
    admin = carnet.json("status", directory="up-admin")["node"]
    carnet.run("member", "add", admin, "--role", "admin", directory="up-copy")
    carnet.run("merge", os.path.join(carnet.work, "up-copy"), directory="up-admin")
    creator = carnet.json("status", directory="up-copy")["node"]
    carnet.run("member", "revoke", creator, "--reason", "volé", directory="up-admin")
    # The copy writes before the revocation reaches it (a revoked device's own node
    # refuses to write): past the cut, as a stolen device would.
    carnet.run("party", "set", "intrus", "--name", "Intrus", "--kind", "farm", directory="up-copy")
    carnet.run("merge", os.path.join(carnet.work, "up-copy"), directory="up-admin")
    replica = carnet_read.load_store(os.path.join(carnet.work, "up-admin"))[0]
    identity = cf.read_node_file(carnet_read.read_file(os.path.join(carnet.work, "up-admin", "node")))
    members = carnet_members.Members(replica, identity["ledger_id"])
    accepted = replica.accepted()
    verdicts = {}
    for event in accepted.values():
        entry = cf.ledger_entry(event) if event.op[0] == "append" and event.op[2] != b"member" else None
        verdicts.setdefault(members.verdict(event, entry), []).append(event)
    revoked = verdicts.get(carnet_members.REVOKED, [])
    report.check(all(members.is_adopted(accepted[e.id()]) for e in keyless) and len(members.adoptions) == 1
                 and [e.op[2] for e in revoked] == [b"intrus"] * len(revoked) and revoked
                 and members.device(revoked[0].node) == members.device(members.creator),
                 f"creator's device revoked: the {len(keyless)} adopted events still count, the creator's "
                 f"{len(revoked)} events past the cut are revoked (§9.5, §9.7)")
    views = cf.read_views(carnet_read.read_file(os.path.join(carnet.work, "up-admin", "views")))
    report.equal((views["members"]["revoked"], views["members"]["heldAside"]), (len(revoked), 0),
                 "creator's device revoked: views members count what is revoked, nothing held aside")
    listed = carnet.json("member", "list", directory="up-admin")
    report.equal((sorted(m["node"] for m in listed if m.get("adopted") is True),
                  [m["revoked"] for m in listed if creator in m["nodes"]]),
                 (sorted({e.node.hex() for e in keyless}), [True]),
                 "creator's device revoked: carnet member list --json, the format-1 nodes still adopted")
    theirs = carnet.json("log", directory="up-admin")
    report.equal(sorted(e["event"] for e in theirs if e.get("adopted") is True),
                 sorted(e.label() for e in keyless if e.op[0] == "append" and cf.ledger_entry(e) is not None),
                 "creator's device revoked: carnet log --json still marks the adopted entries")


def check_doctored_creator(report, carnet):
    """§7.1, §9.7: a ledger file or a node file whose creator line does not derive the
    ledger id is refused, by this reader and by `carnet`."""
    with open(os.path.join(carnet.work, "upgraded.ledger"), "rb") as handle:
        text = handle.read()
    at = text.index(b"\ncreator ") + len(b"\ncreator ") + 95  # the salt's last digit
    doctored = text[:at] + (b"1" if text[at:at + 1] == b"0" else b"0") + text[at + 1:]
    path = os.path.join(carnet.work, "doctored.ledger")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        handle.write(doctored)
    try:
        cf.read_ledger_file(doctored)
        ours = False
    except cf.FormatError:
        ours = True
    result = subprocess.run([carnet.binary, "init", "--ledger-file", path, "--label", "x",
                             "--dir", os.path.join(carnet.work, "doctored-node")], capture_output=True, text=True)
    report.check(ours and result.returncode != 0 and not os.path.exists(os.path.join(carnet.work, "doctored-node",
                                                                                      "events.log")),
                 f"a ledger file whose creator line does not derive the id: refused here and by carnet init "
                 f"({result.stderr.strip()[:80]!r})")
    source = os.path.join(carnet.work, "up-node")
    copy = os.path.join(carnet.work, "up-node-doctored")
    shutil.copytree(source, copy)
    with open(os.path.join(copy, "node"), "rb") as handle:
        node = handle.read()
    at = node.index(b"\ncreator ") + len(b"\ncreator ") + 95
    node = node[:at] + (b"1" if node[at:at + 1] == b"0" else b"0") + node[at + 1:]
    with open(os.path.join(copy, "node"), "wb") as handle:
        handle.write(node)
    try:
        cf.read_node_file(node)
        ours = False
    except cf.FormatError:
        ours = True
    result = subprocess.run([carnet.binary, "status", "--json", "--dir", copy], capture_output=True, text=True)
    report.check(ours and result.returncode != 0,
                 f"a node file whose creator line does not derive its ledger-id: refused here and by carnet status "
                 f"({result.stderr.strip()[:80]!r})")
    shutil.rmtree(copy)
    # A ledger file without the creator line (written before adoption existed) is still
    # read; its node has no creator key, so it cannot verify adoption heads and refuses
    # the adopted history whole (§9.7).
    path = os.path.join(carnet.work, "no-creator.ledger")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        handle.write(text[:text.index(b"creator ")])
    ours = cf.read_ledger_file(carnet_read.read_file(path))["creator"] is None
    carnet.run("init", "--ledger-file", path, "--label", "sans-créateur", directory="no-creator")
    identity = cf.read_node_file(carnet_read.read_file(os.path.join(carnet.work, "no-creator", "node")))
    before = carnet.json("status", directory="no-creator")["events"]
    merged = subprocess.run([carnet.binary, "merge", os.path.join(carnet.work, "upgraded"), "--dir",
                             os.path.join(carnet.work, "no-creator")], capture_output=True, text=True)
    after = carnet.json("status", directory="no-creator")["events"]
    report.check(ours and "creator" not in identity and merged.returncode != 0 and before == after,
                 f"a ledger file without the creator line: read, its node has none, and it refuses the adopted "
                 f"history whole ({merged.stderr.strip()[:70]!r})")


def check_members(report, carnet, name, replica, ledger_id, views):
    """§9.5 read from the SPEC: the verdicts of the members store, against carnet's."""
    import carnet_members
    members = carnet_members.Members(replica, ledger_id)
    verdicts = {}
    for event in replica.accepted().values():
        entry = cf.ledger_entry(event) if event.op[0] == "append" and event.op[2] != b"member" else None
        verdicts.setdefault(members.verdict(event, entry), []).append(event)
    counts = {kind: len(events) for kind, events in verdicts.items()}
    report.check(members.enforced and counts.get("revoked") == 1 and counts.get("out-of-role") == 2
                 and counts.get("unenrolled") == 1,
                 f"§9.5 verdicts recomputed: {sorted(counts.items())} (the revoked harvest, B's sale and void for "
                 f"ferme-a, D's harvest waiting)")
    kinds = sorted({kind.decode() for kind, *_ in views["conflicts"]} & {"past-revocation", "out-of-role"})
    report.equal(kinds, ["out-of-role", "past-revocation"], "views list the out-of-role and past-revocation conflicts")


def make_settled_store(carnet):
    """A hub whose conflicts are settled (§10.5): a restored farm writes a second harvest
    under the first one's seq, so its id too (a fork and a duplicate id); the hub voids the
    second by its event (`ref_event`, §10.4), reviews the fork, and fulfils an order line.
    The stock and the open conflicts recomputed here must follow those rules."""
    for name in ("settle-farm", "settled"):
        carnet.run("init", "--ledger", "conformance", "--label", name, "--secret-file", "secret",
                   directory=name)
    farm = os.path.join(carnet.work, "settle-farm")
    for args in (("party", "set", "f1", "--name", "Un", "--kind", "farm"),
                 ("party", "set", "cj", "--name", "Cantine", "--kind", "canteen-public"),
                 ("product", "set", "miel", "--name", "Miel", "--unit", "g")):
        carnet.run(*args, directory="settle-farm")
    shutil.copy(os.path.join(farm, "events.log"), os.path.join(carnet.work, "settle-backup.log"))
    harvest = ("record", "harvest", "--producer", "f1", "--date", "2026-06-01", "--product", "miel", "--lot", "L1")
    first = carnet.run(*harvest, "--qty", "500g", directory="settle-farm").strip()
    carnet.run("merge", farm, directory="settled")
    shutil.copy(os.path.join(carnet.work, "settle-backup.log"), os.path.join(farm, "events.log"))
    for derived in ("status", "checkpoint", "views"):
        if os.path.exists(os.path.join(farm, derived)):
            os.remove(os.path.join(farm, derived))
    second = carnet.run(*harvest, "--qty", "700g", directory="settle-farm").strip()
    if first != second:
        raise RuntimeError(f"the restored farm wrote {second}, not again {first}")
    carnet.run("merge", farm, directory="settled")
    carnet.run("void", first, "--event", "2", "--reason", "written twice", directory="settled")
    fork = [c for c in carnet.json("conflicts", directory="settled") if c["kind"] == "fork"]
    if len(fork) != 1:
        raise RuntimeError(f"expected one fork conflict, got {fork}")
    carnet.run("resolve", fork[0]["id"], "--reviewed", "--note", "checked", directory="settled")
    order = carnet.run("order", "create", "--buyer", "cj", "--seller", "f1", "--line", "miel:100g:20",
                       "--date", "2026-06-02", directory="settled").strip()
    carnet.run("record", "sale", "--actor", "f1", "--order", order, "--lot", "L1", "--date", "2026-06-02",
               directory="settled")


def check_store(report, carnet, name):
    """One store: events, digest, summary, status file, checkpoint, entries, re-encoding."""
    directory = os.path.join(carnet.work, name)
    report.section = f"store {name}"
    replica, records, stop = carnet_read.load_store(directory)
    status = carnet.json("status", directory=name)
    report.equal(stop, None, "every log record sound")
    report.equal(len(replica.accepted()), status["events"], "accepted events = carnet status")
    report.equal(replica.state_digest().hex(), status["digest"], "state digest (§5) = carnet status")
    # `verify` recomputes everything from the log: 2 s of a debug build on the big store,
    # whose digest `status` already gives; the small stores show the two agree.
    verify = carnet.json("verify", directory=name) if name != "big" else None
    if verify:
        report.equal(len(records), verify["log"]["records"], "records = carnet verify")
        report.equal(replica.state_digest().hex(), verify["digest"], "state digest = carnet verify")
    report.equal({n.hex(): s for n, s, _ in replica.summary()}, status["versionVector"],
                 "version vector = carnet status")
    report.equal(replica.forks(), status["forks"], "fork points = carnet status")
    if name == "fork-hub":
        report.check(replica.forks() == 1 and any(len(h) == 2 for _, _, h in replica.summary()),
                     "the restored farm's fork: one fork point, two heads (§4, §4.2)")
    status_file = cf.read_status(carnet_read.read_file(os.path.join(directory, "status")))
    report.equal(status_file["version"], 3, "status file version 3 (§6.3)")
    accepted = replica.accepted()
    report.equal(status_file["headClocks"],
                 {node: [(accepted[(node, seq, digest)].physical, accepted[(node, seq, digest)].logical)
                         for seq, digest in heads] for node, _, heads in replica.summary()},
                 "status file head clocks = each head's clock (§6.3)")
    report.equal(status_file["digest"], replica.state_digest(), "status file digest = state digest (§5, version 3)")
    report.equal(status_file["summary"], replica.summary(), "status file summary (§4.2, §6.3)")
    report.equal(status_file["figures"].get("conflicts"), status["conflicts"],
                 "status file `conflicts` = carnet status")
    check_checkpoint(report, directory, replica, verify)
    reencoded = carnet_read.reencoded_records(records)
    report.equal(reencoded, f"{len(records)} of {len(records)} records",
                 "log records re-made by the SPEC's encoder rules")
    check_entries(report, carnet, name, replica)
    identity = cf.read_node_file(carnet_read.read_file(os.path.join(directory, "node")))
    ledger_id = bytes.fromhex(identity.get("ledger-id", "00" * 16))
    views_ledger = ledger_id if "ledger-id" in identity else None
    log = carnet_read.read_file(os.path.join(directory, "events.log"))
    stamps = [cf.read_views(carnet_read.read_file(os.path.join(directory, "views")), only=set())["stamp"],
              cf.read_entry_index(carnet_read.read_file(os.path.join(directory, "entries")))["stamp"]]
    check_tail_figure(report, directory, status_file, log, records, replica, *stamps, views_ledger)
    if name in TAIL_STORES:
        check_tail_store(report, name, status_file, records, stamps)
    if name in NEWFARM:
        check_new_farm_store(report, carnet, name, status_file, records, stamps, replica)
    # The views damage below makes `carnet` write the three derived files again for the
    # whole log; the index is checked as the store had it (its tail, §6.8), so put back.
    kept = {derived: carnet_read.read_file(os.path.join(directory, derived)) for derived in ("entries", "status")}
    check_views(report, carnet, name, replica, records, status, status_file, views_ledger)
    for derived, data in kept.items():
        with open(os.path.join(directory, derived), "wb") as handle:
            handle.write(data)
    check_entry_index(report, carnet, name, replica, records, status_file, views_ledger)
    if "ledger-id" in identity:
        adoptions = check_signatures(report, replica, [h for r in records for h in r.signed_heads()],
                                     ledger_id, "log", identity.get("creator_key"))
        if name in ("upgraded", "up-node"):
            check_adoption(report, carnet, name, replica, records, adoptions, ledger_id, identity)
    check_identity_files(report, directory, identity, replica)
    if name != "big":  # pure-Python ChaCha20 on 250 KB would cost seconds for nothing new
        check_bundle(report, carnet, name, replica, identity, ledger_id)


LEDGER_FILES = {"signed": "signed.ledger", "members": "members.ledger", "upgraded": "upgraded.ledger",
                "up-node": "upgraded.ledger"}  # store -> the ledger file it was made from


def check_identity_files(report, directory, identity, replica):
    """§7, §7.1, §7.2: the node file's fields, the secret file's exact form, and in a signed
    ledger the device key whose seed gives the key the node declared (§9.1)."""
    with open(os.path.join(directory, "node"), "rb") as handle:
        first = handle.read().split(b"\n")[0]
    signed = "ledger-id" in identity
    report.equal(first, b"carnet-node 2" if signed else b"carnet-node 1", "node file's first line (§7)")
    report.check(re.fullmatch(r"[0-9a-f]{32}", identity.get("node", "")) is not None
                 and re.fullmatch(r"\d+:\d+", identity.get("home", "")) is not None
                 and bool(identity.get("ledger")), "node file: node, ledger and home (§7)")
    with open(os.path.join(directory, "secret"), "rb") as handle:
        report.check(re.fullmatch(rb"[0-9a-f]{64}\n", handle.read()) is not None,
                     "secret file: 64 lowercase hex digits and a newline (§7.2)")
    if not signed:
        return
    with open(os.path.join(directory, "device.key"), "rb") as handle:
        lines = handle.read().split(b"\n")
    report.equal(lines[0], b"carnet-device-key 1", "device.key first line (§7.1)")
    seed = bytes.fromhex(lines[1].decode().partition(" ")[2])
    public = cc.ed25519_public(seed)
    salt = bytes.fromhex(identity["salt"])
    node = bytes.fromhex(identity["node"])
    report.equal(cf.node_id(public, salt), node, "node id = SHA-256(\"carnet/2 node\" ‖ A ‖ salt)[:16] of device.key (§9.1)")
    ledger_file = os.path.join(os.path.dirname(directory), LEDGER_FILES.get(os.path.basename(directory), ""))
    if os.path.isfile(ledger_file):
        with open(ledger_file, "rb") as handle:
            text = handle.read()
        with open(os.path.join(directory, "secret"), "rb") as handle:
            secret = handle.read().strip()
        ledger = cf.read_ledger_file(text)  # refuses a creator line that does not derive the id
        report.check(ledger["creator"] is not None and "creator" in identity,
                     "the ledger file and the node file carry the creator line (§7.1, §9.7)")
        expected = (b"carnet-ledger 1\nname " + identity["ledger"].encode() + b"\nid "
                    + identity["ledger-id"].encode() + b"\nsecret " + secret + b"\ncreator "
                    + identity.get("creator", "").encode() + b"\n")
        report.equal(text, expected, "the ledger file: name, id, secret and the node's creator line, one line "
                                     "each (§7.1)")
        report.equal(os.stat(ledger_file).st_mode & 0o777, 0o600, "the ledger file's mode is 0600 (§7.1)")
        genesis = [e.op[4].data for e in replica.accepted().values() if e.op[0] == "assign"
                   and e.op[1:4] == (b"ledger", identity["ledger-id"].encode(), b"genesis")]
        report.equal(genesis, [identity.get("creator", "").encode()],
                     "the creator line is the genesis' A ‖ salt (§9.5, §9.7), deriving the ledger id")
    first_event = next((e for e in replica.held.values() if e.node == node and e.seq == 1), None)
    report.equal(cf.key_declaration(first_event) if first_event else None, (public, salt),
                 "the node's seq 1 declares device.key's public key and the node file's salt")


def check_signatures(report, replica, heads, ledger_id, where, creator=None):
    """§9.1-§9.3, §9.7: node ids derive from their declared keys, every head's signature
    verifies under its author's key or, as an adoption head, under the creator's key
    (`creator`, from the node file's creator line), and every event lies below a verified
    head. Returns the adoption heads (event, signature)."""
    keys = {}
    for event in replica.held.values():
        declared = cf.key_declaration(event)
        if declared:
            keys[event.node] = declared[0]
    good, adoptions = [], []
    for event, signature in heads:
        if event.node in keys and cc.ed25519_verify(keys[event.node], cf.head_message(ledger_id, event), signature):
            good.append(event)
        elif creator is not None and cc.ed25519_verify(creator, cf.adoption_message(ledger_id, event), signature):
            good.append(event)
            adoptions.append((event, signature))
    report.equal(len(good), len(heads), f"{where}: {len(heads)} head signatures verify (§9.2), "
                                        f"{len(adoptions)} of them adoption heads under the creator's key (§9.7)")
    nodes = {event.node for event in replica.held.values()}
    adopted_nodes = {event.node for event, _ in adoptions}
    report.equal(sorted(nodes - set(keys) - adopted_nodes), [],
                 f"{where}: every node declares a key that derives its id (§9.1)"
                 + (f", or is one of the {len(adopted_nodes)} keyless nodes below adoption heads (§9.7)"
                    if creator is not None else ""))
    covered = set()
    for event in good:
        while event is not None and event.id() not in covered:
            covered.add(event.id())
            event = replica.held.get((event.node, event.seq - 1, event.previous))
    report.equal(len(set(replica.held) - covered), 0, f"{where}: every event below a signed head (§9.3)")
    if adoptions:
        # The check must be able to fail: a flipped bit, or the head domain in place of
        # the adoption domain, is refused under both keys.
        event, signature = adoptions[0]
        flipped = signature[:10] + bytes([signature[10] ^ 0x04]) + signature[11:]
        refused = not cc.ed25519_verify(creator, cf.adoption_message(ledger_id, event), flipped) and \
            not cc.ed25519_verify(creator, cf.head_message(ledger_id, event), signature)
        report.check(refused, f"{where}: an adoption signature with a bit flipped, or read over the head "
                              "domain, does not verify")
    return adoptions


def check_bundle(report, carnet, name, replica, identity, ledger_id):
    """§6.4 format 2: `carnet bundle create` of the whole store, opened with the store's
    secret, holds every event the store holds (and, signed, their heads)."""
    path = os.path.join(carnet.work, f"{name}.bundle")
    carnet.run("bundle", "create", path, directory=name)
    with open(os.path.join(carnet.work, name, "secret"), encoding="ascii") as handle:
        secret = bytes.fromhex(handle.read().strip())
    found_id, body = cf.read_bundle_v2(carnet_read.read_file(path), secret)
    report.equal(found_id, ledger_id, "bundle's clear ledger id (§6.4)")
    report.equal((body["ledger"], body["creator"].hex(), body["label"]),
                 (identity["ledger"], identity["node"], identity.get("label", "")),
                 "bundle body: ledger name, creator, label")
    events = [e for _, chunk, _, _ in body["chunks"] for e in chunk]
    report.equal({e.id() for e in events}, set(replica.held), f"bundle holds the store's {len(events)} events")
    versions = {version for version, _, _, _ in body["chunks"]}
    report.equal(versions, {2 if "ledger-id" in identity else 1}, "bundle batches' version")
    if "ledger-id" in identity:
        heads = []
        for _, chunk, chunk_heads, payload in body["chunks"]:
            _, _, runs, _ = cf.decode_batch(payload)
            heads += [(runs[index][-1], signature) for index, signature in chunk_heads]
        bundled = cf.Replica()
        bundled.add(events)
        check_signatures(report, bundled, heads, ledger_id, "bundle", identity.get("creator_key"))


def check_checkpoint(report, directory, replica, verify):
    """§6.2: stored hashes equal recomputed ones, chunk by chunk, for the log's events."""
    path = os.path.join(directory, "checkpoint")
    if verify:
        report.equal(os.path.exists(path), verify["checkpoint"]["present"],
                     "checkpoint present = carnet verify")
    else:
        report.check(os.path.exists(path), "a checkpoint (written past 2,000 events)")
    if not os.path.exists(path):
        return
    _, chunks = cf.read_checkpoint(carnet_read.read_file(path))
    events = [e for chunk, _ in chunks for e in chunk]
    report.check(all(e.hash == h for chunk, hashes in chunks for e, h in zip(chunk, hashes)),
                 f"checkpoint (§6.2): {len(events)} stored hashes = recomputed hashes, "
                 f"{len(chunks)} chunks each decoded afresh")
    report.equal({e.id() for e in events}, set(replica.held), "checkpoint holds the log's events")


def check_entries(report, carnet, name, replica):
    """`carnet log --json` against the entries (§10.3) this decoder reads, newest first."""
    theirs = carnet.json("log", directory=name)
    ours = carnet_read.entries_json(replica)
    report.equal([e["id"] for e in ours], [e["id"] for e in theirs], f"{len(theirs)} entries, in log order")
    mismatched = []
    for mine, real in zip(ours, theirs):
        fields = ("kind", "event", "node", "clockMillis") + ENTRY_FIELDS
        if any(mine.get(key) != real.get(key) for key in fields):
            mismatched.append((mine, real))
    report.equal(mismatched[:1], [], "every entry's fields = carnet log --json")
    labels = {node.hex(): text(label) for node, label in cf.node_labels(replica).items()}
    wrong = [(real["id"], real.get("label"), labels.get(real["node"])) for real in theirs
             if real.get("label") != labels.get(real["node"])]
    report.equal(wrong[:3], [], f"carnet log --json: each entry's `label` is its writer's label, the whole log's "
                                f"(§6.5 labels, §6.7 names, §6.8 the tail's; null without one), "
                                f"{len({e['node'] for e in theirs})} writers")


def check_entry_index(report, carnet, name, replica, records, status_file, ledger_id):
    """§6.7: the entry index read from the SPEC, stamped with the log's current state or an
    older one past which readers add the log's entries (§6.8), each slot naming the record
    and position of its event, in the order and with the voids and id lines recomputed
    from the entries (§10.4) of the log up to its stamp, in a ledger with members each
    entry's standing recomputed from §9.5 and the voids from the reversals that count;
    with the tail added, the whole log's entries, voids and ids; then what `show` and `log
    --limit` print from it against `log --json`, and a flipped byte is said and not
    believed (then the file is put back)."""
    import carnet_members
    directory = os.path.join(carnet.work, name)
    data = carnet_read.read_file(os.path.join(directory, "entries"))
    log = carnet_read.read_file(os.path.join(directory, "events.log"))
    index = cf.read_entry_index(data)  # head and block CRC-32Cs, trailer, exact size
    report.check(True, f"entry index: {len(index['entries'])} entries, head, blocks and trailer check (§6.7)")
    full, tail = replica, derived_tail(report, "entry index", index["stamp"], log, status_file, records, ledger_id)
    whole = records
    if tail is not None:
        records = records_below(records, index["stamp"]["size"])
        replica = replica_of(records)
    events = {(record.offset, position): event for record in records for position, event in enumerate(record.events)}

    def pointed(slot):
        event = events.get((slot[0], slot[1]))
        return event if event is not None and int.from_bytes(event.hash[:8], "big") == slot[3] else None

    accepted = replica.accepted()
    appends = sorted((e for e in accepted.values() if e.op[0] == "append"), key=lambda e: ((e.physical, e.logical), e.id()))
    readable = [entry for entry in map(cf.ledger_entry, appends) if entry is not None]
    report.equal([pointed(slot) for slot in index["entries"]], [entry["event"] for entry in readable],
                 "entries: each readable entry's record and position, in (clock, event id) order (§6.7)")
    position = {entry["event"].id(): at for at, entry in enumerate(readable)}
    members = carnet_members.Members(replica, ledger_id)
    verdicts = [members.verdict(entry["event"], entry) for entry in readable]
    if members.enforced:
        standings = []
        for entry, verdict in zip(readable, verdicts):
            event = entry["event"]
            adopted = members.is_adopted(event)
            device = members.device(event.node)
            roles = None if adopted else members._roles(device, event, members.grants)
            standings.append({
                "verdict": verdict, "adopted": adopted, "roles": None if roles is None else b" ".join(sorted(roles)),
                "by": members._revocation(device, event, members.revocations, None) if verdict == "revoked" else None,
                "role": (b"admin" if entry["kind"] == b"review" else b"producer:" + entry["producer"])
                if verdict == "out-of-role" else None})
        report.equal([index["members"][at] for at in index["standings"]], standings,
                     f"standings: each entry's verdict, adoption and writer's roles (§9.5), "
                     f"{sum(v != 'counts' for v in verdicts)} set aside")
    else:
        report.check(index["members"] is None and index["standings"] == [], "no members: no standings")
    naming = {}
    for entry, verdict in zip(readable, verdicts):
        # A reversal set aside under the members voids nothing (§9.5).
        if entry["kind"] == b"reversal" and "ref" in entry and verdict == "counts":
            naming.setdefault(entry["ref"], []).append(entry)
    voided = []
    for entry in readable:
        first = next((r for r in naming.get(entry["id"], []) if cf.cancels(r, entry)), None)
        voided.append(0 if first is None else 1 + position[first["event"].id()])
    report.equal([slot[2] for slot in index["entries"]], voided, "voided by: 1 + the first cancelling reversal (§10.4)")
    lines = sorted([(cf.entry_index_key(e["id"]), at, 0) for at, e in enumerate(readable)]
                   + [(cf.entry_index_key(e["ref"]), at, 1) for at, e in enumerate(readable)
                      if e["kind"] == b"reversal" and "ref" in e])
    report.equal(index["ids"], lines, f"ids: {len(lines)} lines by key, entry, role")
    assigns = sorted((e for e in accepted.values() if e.op[0] == "assign"), key=lambda e: ((e.physical, e.logical), e.id()))
    report.equal([pointed(slot) for slot in index["changes"]], assigns, f"changes: the {len(assigns)} assignments by clock")
    pending = sorted((e for key, e in replica.held.items() if key not in accepted), key=lambda e: e.id())
    report.equal([pointed(slot) for slot in index["held"]], pending, "held: the events waiting for a predecessor")
    views = cf.read_views(carnet_read.read_file(os.path.join(directory, "views")))

    def shown(fields, name):
        """The value shown of a field (§6.5: the latest clock, then the highest node id), as
        text; None when the field has none or it is not text."""
        values = next((values for field, values in fields if field == name), [])
        if not values:
            return None
        _, value = max(values, key=lambda wv: ((wv[0]["physical"], wv[0]["logical"]), wv[0]["id"][0]))
        return value.data if value.tag == 1 else None
    products = [(sku, shown(fields, b"name"), (lambda u: u if u in cf.LEDGER_UNITS else None)(shown(fields, b"unit")))
                for _, sku, fields in views["products"]]
    report.equal(index["products"], products, f"names: the {len(products)} products' name and unit, as the views' catalog")
    report.equal(index["parties"], [(pid, shown(fields, b"name")) for _, pid, fields in views["parties"]],
                 "names: the parties' names")
    report.equal(index["labels"], list(views["labels"]), "names: the views' labels")
    if tail is not None:
        check_index_tail(report, index, readable, voided, tail, full, whole, ledger_id)
    readable = [e for e in map(cf.ledger_entry, sorted((e for e in full.accepted().values() if e.op[0] == "append"),
                                                       key=lambda e: ((e.physical, e.logical), e.id())))
                if e is not None]  # what the commands show: the whole log's (§6.8, they add the tail)
    if not readable:
        return
    # What the commands print from it (the index is current: they do not open the store).
    newest = carnet.json("log", "--limit", "3", directory=name)
    report.equal([e["event"] for e in newest], [e["event"] for e in carnet.json("log", directory=name)[:3]],
                 "carnet log --limit 3 = the first three of carnet log")
    shown = carnet.json("show", text(readable[-1]["id"]), directory=name)
    report.equal(shown["id"], text(readable[-1]["id"]), "carnet show of the newest entry")
    if not index["entries"]:
        return  # every entry past the index (§6.8): no slot of it to damage
    flipped = bytearray(data)
    flipped[60 + 8] ^= 0x01  # the first slot's event index: its block's CRC-32C fails
    with open(os.path.join(directory, "entries"), "wb") as handle:
        handle.write(bytes(flipped))
    command = [carnet.binary, "log", "--limit", str(len(readable)), "--json", "--dir", directory]
    damaged = subprocess.run(command, cwd=carnet.work, capture_output=True, text=True)
    report.check(damaged.returncode == 0 and "entry index does not check" in damaged.stderr
                 and json.loads(damaged.stdout) == carnet.json("log", directory=name),
                 "a flipped byte in the index: said on stderr, the answer read from the store")
    with open(os.path.join(directory, "entries"), "wb") as handle:
        handle.write(data)  # put back: a reader leaves the index as it finds it; the next write makes it again


CONFLICT_KINDS = cf.VIEW_CONFLICT_KINDS  # §6.5, in the order conflicts are stored


def ascending(keys):
    """Strictly ascending (bytes compare as bytes in Python, as §1 orders strings)."""
    return all(a < b for a, b in zip(keys, keys[1:]))


def text(data):
    return data.decode("utf-8")


def check_views(report, carnet, name, replica, records, status, status_file, ledger_id=None):
    """§6.5: the views file read from the SPEC, stamped with the log's current state or,
    when the log has grown past it, with the older state §6.8 lets readers add to: against
    stock and balances recomputed from the events up to its stamp (§10.3, §10.4), then with
    the tail added against those of the whole log and the reading commands; then a flipped
    byte must make `carnet` ignore and rewrite it."""
    directory = os.path.join(carnet.work, name)
    data = carnet_read.read_file(os.path.join(directory, "views"))
    log = carnet_read.read_file(os.path.join(directory, "events.log"))
    report.equal(data[:16], b"CARNETVW\x00\x08" + bytes(6), "views header: CARNETVW, version 8 (§6.5)")
    views = cf.read_views(data)  # table and section CRC-32Cs, value tags, each section exactly to its end
    report.check(True, f"views file decodes to its trailer: {len(views['stock'])} stock lines, "
                       f"{len(views['balances'])} balances, {len(views['conflicts'])} conflicts")
    # The file describes the log up to its stamp: the log's current state, or an older one
    # past which a reader adds the records (§6.8). It is checked against that state.
    full, tail = replica, derived_tail(report, "views", views["stamp"], log, status_file, records, ledger_id)
    if tail is not None:
        replica = replica_of(records_below(records, views["stamp"]["size"]))
    ours = cf.ledger_views(replica, ledger_id)
    report.equal((views["entries"], views["unreadable"]), (ours["entries"], ours["unreadable"]),
                 "views entries and unreadable = recomputed (§10.4)")
    stock = {(p, q, l): [n, u] for p, q, l, n, u in views["stock"]}
    report.equal(len(stock), len(views["stock"]), "views stock lines: one per (producer, product, lot)")
    report.equal(stock, ours["stock"], f"views stock = recomputed from {ours['entries']} entries (§10.3, §10.4)")
    totals = []
    for p, q, _, n, u in views["stock"]:
        if totals and totals[-1][:2] == [p, q]:
            totals[-1][2] += n
            totals[-1][3] = totals[-1][3] or u
        else:
            totals.append([p, q, n, u])
    report.equal([tuple(t) for t in totals if t[2] != 0], views["stock totals"],
                 f"views stock totals = the stock lines summed per producer and product, zeros left out "
                 f"({len(views['stock totals'])} lines, §6.5 section 9)")
    report.equal({(p, l): set(xs) for p, l, xs in views["lot products"]}, cf.lot_products(replica, ledger_id),
                 f"views lot products = the effective harvests', productions' and purchases' lots "
                 f"({len(views['lot products'])}, §6.5 section 12)")
    paid = dict(views["sale payments"])
    report.equal((len(paid), paid), (len(views["sale payments"]), cf.sale_payments(replica, ledger_id)),
                 f"views sale payments = per id the effective payments name in ref, the sum of their amounts "
                 f"({len(paid)} ids, §6.5 section 13)")
    balances = {(p, q): n for p, q, n in views["balances"]}
    report.equal(balances, ours["balances"], "views balances = recomputed (§10.4)")
    availability = {p: (u, a, d, producers) for p, u, a, d, producers in views["availability"]}
    report.equal(availability, ours["availability"], "views availability = recomputed from stock lines and deliveries")
    report.equal(len(views["conflicts"]), status["conflicts"], "views conflicts = carnet status `conflicts`")
    check_views_orders(report, views)
    check_view_blocks(report, data, views)
    check_views_records(report, replica, views)
    check_views_node_records(report, name, replica, data, views, tail)
    if name == "members":
        check_members(report, carnet, name, replica, ledger_id, views)
    members = views["members"]
    if name == "members":
        report.equal((members["enforced"], members["standing"], members["roles"], members["heldAside"],
                      members["revoked"], members["outOfRole"]), (True, 0, b"admin catalog producer:*", 1, 1, 2),
                     "views members: the creator's roles; D's harvest waits, 1 revoked, 2 out of role (§9.5)")
    elif name == "signed":
        report.equal((members["enforced"], members["standing"], members["roles"], members["heldAside"]),
                     (True, 0, b"admin catalog producer:*", 0),
                     "views members: the creator has every role, nothing held aside once the farm is enrolled (§9.5)")
    elif name in ("upgraded", "up-node"):
        report.equal((members["enforced"], members["standing"], members["roles"], members["heldAside"],
                      members["revoked"], members["outOfRole"]),
                     (True, 0, b"admin catalog producer:*" if name == "upgraded" else b"producer:ferme-up", 0, 0, 0),
                     "views members: this node's roles; nothing held aside, revoked or out of role: the format-1 "
                     "history is adopted (§9.7)")
    else:
        report.equal(members["enforced"], False, "views members: none in a ledger without a genesis (§9.5)")
    check_views_conflicts(report, replica, views)
    file_views, views = views, check_views_tail(report, name, views, tail, full, ledger_id)
    # What the reading commands print (they answer from this file while it is current, and
    # add the tail past it, §6.8).
    theirs = carnet.json("stock", "--by-lot", directory=name)
    report.equal([(l["producer"], l["product"], l["lot"], l["quantity"], l.get("unit") or "") for l in theirs],
                 [(text(p), text(q), text(l), n, text(u)) for p, q, l, n, u in views["stock"] if n != 0],
                 f"carnet stock --by-lot --json = the views' {len(theirs)} non-zero lines")
    theirs = carnet.json("stock", directory=name)
    report.equal([(l["producer"], l["product"], l["quantity"]) for l in theirs],
                 [(text(p), text(q), n) for p, q, n, _ in views["stock totals"]],
                 f"carnet stock --json = the views' {len(theirs)} stock totals")
    theirs = carnet.json("balances", directory=name)
    report.equal([(b["producer"], b["party"], b["balanceCents"]) for b in theirs],
                 [(text(p), text(q), n) for p, q, n in views["balances"]], "carnet balances --json = views")
    theirs = carnet.json("availability", directory=name)
    report.equal([(a["product"], a.get("unit") or "", a["atProducers"], a["delivered"], a["producers"]) for a in theirs],
                 [(text(p), text(u), a, d, [text(x) for x in producers])
                  for p, u, a, d, producers in views["availability"]], "carnet availability --json = views")
    if name == "big":  # 10,000 conflicts printed (2 s) and the log folded again after the
        return          # damage (2.5 s, debug): the small stores show both
    theirs = carnet.json("conflicts", directory=name)
    labels = {node.hex(): text(label) for node, label in views["labels"]}

    def side(writer, detail, value):
        node, seq, digest = writer["id"]
        shown = {"node": node.hex(), "event": f"{node.hex()}:{seq}#{digest.hex()[:8]}",
                 "clockMillis": writer["physical"], "detail": text(detail), "label": labels.get(node.hex())}
        if value is not None:
            shown["value"] = value.to_json()
        return shown

    keys = ("node", "event", "clockMillis", "detail", "label", "value")
    report.equal([(c["kind"], c["subject"], c["summary"], c["suggestion"],
                   [{k: s[k] for k in keys if k in s} for s in c.get("values", c.get("events", []))])
                  for c in theirs],
                 [(text(k), text(s), text(m), text(g), [side(*x) for x in sides])
                  for k, s, m, g, sides in views["conflicts"]],
                 f"carnet conflicts --json = the views' {len(theirs)} conflicts, sides and labels")
    check_views_damage(report, carnet, name, data, file_views, views, tail)


def records_below(records, size):
    """The log's records that lie below a stamp's `size`: the log in that state (§6.1)."""
    return [record for record in records if record.offset < size]


def replica_of(records):
    replica = cf.Replica()
    for record in records:
        replica.add(record.events)
    return replica


def derived_tail(report, what, stamp, log, status_file, records, ledger_id):
    """§6.8, a reader's terms for a views file or entry index (`what`) stamped at `stamp`:
    None when the stamp is the log's current state (§6.1); else the status file is current
    and names `views-tail-from` t with t ≤ the stamp's size, the stamp covers the log, and
    the records from its size to the end are sound and hold at most 4,096 events, each an
    accepted readable entry of one of the eight kinds without `ref_event`, `order` or
    `line`, nor `ref` unless a payment's, or a write of a node's own label with a text
    value (§6.5, §6.8), in a ledger whose members are enforced each entry one that counts
    (`tail_counts_among_members`); each node's label
    writes, taken in log order into an empty register, leave one text (else the reader
    opens the store). Returns those entries, in log order, as a `Tail` whose `labels` are
    {node: the label its writes leave}."""
    if stamp == cf.log_stamp(log) and stamp["size"] == len(log) and cf.stamp_covers(stamp, log):
        report.check(True, f"{what} stamp = the log's current state (§6.1)")
        return None
    t = status_file["figures"].get(cf.TAIL_FIGURE)
    report.check(status_file["stamp"] == cf.log_stamp(log) and status_file["stamp"]["size"] == len(log)
                 and t is not None and t <= stamp["size"],
                 f"{what} stamp behind the log ({stamp['size']} of {len(log)} bytes): the status file is current and "
                 f"names {cf.TAIL_FIGURE} {t} ≤ {stamp['size']} (§6.3, §6.8)")
    tail_records = [record for record in records if record.offset >= stamp["size"]]
    report.check(cf.stamp_covers(stamp, log) and (not tail_records or tail_records[0].offset == stamp["size"]),
                 f"{what} stamp covers the log (§6.1): its last record ends at {stamp['size']}, where the next begins")
    events = [event for record in tail_records for event in record.events]
    accepted = replica_of(records).accepted()
    entries = [cf.tail_entry(event) if event.id() in accepted else None for event in events]
    writes = [cf.tail_label_write(event) if event.id() in accepted else None for event in events]
    report.check(len(events) <= cf.TAIL_MAX_EVENTS and all(e or w for e, w in zip(entries, writes))
                 and tail_counts_among_members(records, ledger_id, entries),
                 f"{what}: the {len(events)} events of the {len(tail_records)} records past it (at most "
                 f"{cf.TAIL_MAX_EVENTS:,}) are accepted readable entries of the eight kinds without ref_event, "
                 f"order or line, nor ref unless a payment's, or writes of the event's own node's label with a text "
                 f"value; with members, entries that count (§6.8)")
    tail = Tail(entry for entry in entries if entry is not None)
    tail.labels = cf.tail_labels([w for w in writes if w is not None])
    if tail.labels:
        report.check(all(label is not None for label in tail.labels.values()),
                     f"{what}: the tail's label writes of {len(tail.labels)} node(s), each node's taken in log order "
                     f"into an empty register, leave one text, not a conflict (§6.5, §6.8)")
    refs = sum(1 for entry in entries if entry is not None and "ref" in entry)
    print(f"  {what}: {len(events)} tail events past its stamp ({stamp['size']} of {len(log)} bytes) added (§6.8), "
          f"{refs} of them payments with a ref, {sum(1 for w in writes if w)} writes of a node's own label")
    return tail


def tail_counts_among_members(records, ledger_id, entries):
    """§6.8 with members enforced (§9.5): a tail holds entries that count, by nodes whose
    chain end (views section 18) counts them. This checker does not decode section 18; it
    holds the tail to what the chain end stands for, each entry's verdict in the whole log
    being `counts` (§9.5), judged here from the member records. True without members."""
    import carnet_members
    members = carnet_members.Members(replica_of(records), ledger_id)
    if not members.enforced:
        return True
    return all(members.verdict(entry["event"], entry) == carnet_members.COUNTS for entry in entries if entry is not None)


class Tail(list):
    """§6.8: the tail's entries, in log order; `labels`: {node: the text its own label
    writes in the tail leave (None for a conflict)}."""
    labels = {}


def check_tail_figure(report, directory, status_file, log, records, replica, views_stamp, index_stamp, ledger_id):
    """§6.8, the writer's statement when the status file names `views-tail-from` t: every
    record from t to the status file's stamp holds entries of the eight kinds without
    `ref_event`, `order` or `line`, nor `ref` unless a payment's, each (in the log before
    it) with an id carried by no other entry and named by no reversal or payment, a
    payment's `ref` carried by entries held and paid so far (section 13) with its amount
    at or below what those carriers not voided are worth, with members each counting, the
    entry's stock line not below zero before or after it, its unit its line's, no open
    orders of its product beyond what producers hold; the figure names the older file's
    size, and at most 256 events lie past that file (past that the writer writes both
    again)."""
    t = status_file["figures"].get(cf.TAIL_FIGURE)
    if t is None:
        return
    import carnet_members
    past = [event for record in records if record.offset >= t for event in record.events]
    accepted = replica.accepted()
    entries = [cf.tail_entry(event) if event.id() in accepted else None for event in past]
    writes = [cf.tail_label_write(event) if event.id() in accepted else None for event in past]
    report.check(all(e or w for e, w in zip(entries, writes)) and tail_counts_among_members(records, ledger_id, entries)
                 and any(record.offset == t for record in records),
                 f"{cf.TAIL_FIGURE} {t}: a record boundary, and the {len(past)} events past it are entries a reader "
                 f"may add (with members, each counting) or writes of the event's own node's label with a text "
                 f"value (§6.8)")
    entries = [entry for entry in entries if entry is not None]
    writes = [write for write in writes if write is not None]
    # Each entry against the log before it: the log below t, then the tail entries before it.
    below = replica_of(records_below(records, t))
    if writes:
        # §6.5: a writer takes a node's first label without the registers only when the
        # views file has section 17 and the node is not in it (its register empty, no
        # node continuing it), and the writes leave one text.
        views = cf.read_views(carnet_read.read_file(os.path.join(directory, "views")))
        labels = cf.tail_labels(writes)
        listed = set(cf.node_records(below)) | (set(views.get("node records", [])) if views["stamp"]["size"] == t
                                                else set())
        report.check("node records" in views and not listed & set(labels)
                     and all(label is not None for label in labels.values()),
                     f"{cf.TAIL_FIGURE}: the tail's {len(writes)} writes of {len(labels)} node(s)' own label taken as "
                     f"§6.5 says: the views file has section 17, no such node in it nor in the log before the tail "
                     f"(register empty, continued by none), the writes leaving one text (§6.5, §6.8)")
    held = cf.counting_entries(below, ledger_id)
    paid = cf.sale_payments(below, ledger_id)
    clashes, overruns, refs = [], [], 0
    for entry in entries:
        if any(e["id"] == entry["id"] for e in held) or \
                any(e["kind"] in (b"reversal", b"payment") and e.get("ref") == entry["id"] for e in held):
            clashes.append(entry["id"])
        if entry["kind"] == b"payment" and "ref" in entry:
            refs += 1
            overrun = cf.tail_payment_overrun(held, paid, entry)
            if overrun is not None:
                overruns.append(overrun)
            paid[entry["ref"]] = paid.get(entry["ref"], 0) + entry.get("amount", 0)
        held.append(entry)
    report.equal(clashes[:3], [], f"{cf.TAIL_FIGURE}: each tail entry's id carried by no other entry and named by no "
                                  "reversal or payment in the log before it (§6.8)")
    report.equal(overruns[:3], [], f"{cf.TAIL_FIGURE}: each of the {refs} tail payments with a ref names an id entries "
                                   "held before it carry, paid so far (section 13) with its amount at or below "
                                   "what those not voided are worth (§6.5, §6.8)")
    before = cf.ledger_views(below, ledger_id)
    stock = {key: list(line) for key, line in before["stock"].items()}
    views = cf.read_views(carnet_read.read_file(os.path.join(directory, "views")))
    ordered = {product: quantity for product, _, quantity in views["open orders"]}
    wrong = []
    for entry in entries:
        sign = cf.STOCK_SIGN.get(entry["kind"])
        if sign is None or "product" not in entry or "qty" not in entry:
            continue
        key = (entry["producer"], entry["product"], entry.get("lot", b""))
        line = stock.setdefault(key, [0, b""])
        was = line[0]
        line[0] += sign * entry["qty"]
        if "unit" in entry and line[1] and entry["unit"] != line[1]:
            wrong.append((entry["id"], "unit", line[1], entry["unit"]))
        line[1] = line[1] or entry.get("unit", b"")
        if was < 0 or line[0] < 0:
            wrong.append((entry["id"], "below zero", was, line[0]))
        held = sum(n for (_, product, _), (n, _) in stock.items() if product == entry["product"])
        if ordered.get(entry["product"], 0) > held:
            wrong.append((entry["id"], "open orders", ordered[entry["product"]], held))
    report.equal(wrong[:3], [], f"{cf.TAIL_FIGURE}: no tail entry's line below zero before or after it, each of its "
                                "line's unit, no open orders of its product beyond what producers hold (§6.8)")
    older = min(views_stamp["size"], index_stamp["size"])
    behind = sum(len(record.events) for record in records if record.offset >= older)
    report.check(t == older and behind <= cf.TAIL_REWRITE_PAST,
                 f"{cf.TAIL_FIGURE} {t} names the older file's size ({older}); {behind} events past it, at most "
                 f"{cf.TAIL_REWRITE_PAST} (§6.8: past that the writer writes both files again)")


def check_views_tail(report, name, views, tail, replica, ledger_id):
    """§6.8's Views rule: the file's views with the tail added must be those of the whole
    log (entries, stock lines and totals, balances, availability, lot products, sale
    payments); returns
    them in the file's shapes for what the reading commands print. The file as it is when
    there is no tail."""
    if tail is None:
        return views
    added = cf.add_tail(views, tail)
    ours = cf.ledger_views(replica, ledger_id)
    report.equal((added["entries"], added["unreadable"]), (ours["entries"], ours["unreadable"]),
                 f"views + {len(tail)} tail entries: entries and unreadable = the whole log's (§6.8)")
    report.equal(added["stock"], ours["stock"], f"views + tail: the {len(ours['stock'])} stock lines = the whole "
                                                "log's, units included (§6.8)")
    totals = cf.stock_totals(added["stock"])
    report.equal(totals, cf.stock_totals(ours["stock"]), "views + tail: stock totals from the lines = the whole log's")
    alone = cf.add_tail_to_totals(views["stock totals"], tail)
    report.check(alone is None or alone == totals,
                 "views + tail: the stock totals added alone = those of the lines" if alone is not None else
                 "views + tail: a tail entry the totals alone cannot tell (§6.8: the reader reads the lots)")
    report.equal(added["balances"], ours["balances"], "views + tail: balances = the whole log's (§6.8)")
    report.equal(added["availability"], ours["availability"], "views + tail: availability, made again from the "
                                                              "stock lines = the whole log's (§6.8)")
    report.equal(added["lot products"], cf.lot_products(replica, ledger_id),
                 "views + tail: lot products (harvests', productions' and purchases' lots added, §6.8) = the whole log's (§6.5)")
    report.equal(added["sale payments"], cf.sale_payments(replica, ledger_id),
                 f"views + tail: sale payments ({sum(1 for e in tail if 'ref' in e)} payments with a ref added, §6.8) "
                 "= the whole log's (§6.5 section 13)")
    labels = dict(views["labels"])
    labels.update(tail.labels)
    ours = cf.node_labels(replica)
    report.equal(labels, ours, f"views + tail: labels, with the {len(tail.labels)} node(s) whose own label the tail "
                               "writes given its text (§6.8) = the whole log's (§6.5)")
    shown = dict(views)
    if "node records" in views:
        nodes = sorted(set(views["node records"]) | set(tail.labels))
        report.equal(nodes, cf.node_records(replica), f"views + tail: node records, the {len(tail.labels)} node(s) "
                                                      "whose label the tail writes added (§6.8) = the whole log's "
                                                      "(§6.5 section 17)")
        shown["node records"] = nodes
    shown.update({"labels": sorted(labels.items()), "entries": added["entries"],
                  "stock": [(*key, n, u) for key, (n, u) in sorted(added["stock"].items())],
                  "stock totals": totals,
                  "balances": sorted((*key, n) for key, n in added["balances"].items()),
                  "availability": [(p, *rest) for p, rest in sorted(added["availability"].items())],
                  "lot products": [(p, l, sorted(xs)) for (p, l), xs in sorted(added["lot products"].items())],
                  "sale payments": sorted(added["sale payments"].items())})
    return shown


def check_index_tail(report, index, readable, voided, tail, replica, records, ledger_id):
    """§6.8's Entry index rule: the file's entries with each tail entry one more entry in
    (clock, event id) order, voided by none, carrying its id alone, must be the whole
    log's readable entries with their voids and id lines (§6.7, §10.4)."""
    import carnet_members
    accepted = replica.accepted()
    appends = sorted((e for e in accepted.values() if e.op[0] == "append"), key=lambda e: ((e.physical, e.logical), e.id()))
    every = [entry for entry in map(cf.ledger_entry, appends) if entry is not None]
    members = carnet_members.Members(replica, ledger_id)
    counting = [e for e in every if members.verdict(e["event"], e) == carnet_members.COUNTS]
    naming = {}
    for entry in counting:
        if entry["kind"] == b"reversal" and "ref" in entry:
            naming.setdefault(entry["ref"], []).append(entry)
    voiding = {}
    for entry in every:
        first = next((r for r in naming.get(entry["id"], []) if cf.cancels(r, entry)), None)
        voiding[entry["event"].id()] = None if first is None else first["event"].id()
    added = sorted([(entry, None if v == 0 else readable[v - 1]["event"].id()) for entry, v in zip(readable, voided)]
                   + [(entry, None) for entry in tail],
                   key=lambda ev: ((ev[0]["event"].physical, ev[0]["event"].logical), ev[0]["event"].id()))
    report.equal([(e["event"].id(), v) for e, v in added], [(e["event"].id(), voiding[e["event"].id()]) for e in every],
                 f"entry index + {len(tail)} tail entries: the whole log's readable entries in (clock, event id) "
                 "order, voided as it voids them (§6.8)")
    ids = sorted((cf.entry_index_key(e["id"]), e["event"].id(), 0) for e in every) + \
        sorted((cf.entry_index_key(e["ref"]), e["event"].id(), 1) for e in every if e["kind"] == b"reversal" and "ref" in e)
    at = [e["event"].id() for e in readable]
    ours = sorted((key, at[entry], role) for key, entry, role in index["ids"]) + \
        [(cf.entry_index_key(e["id"]), e["event"].id(), 0) for e in tail]
    report.equal(sorted(ours), sorted(ids), "entry index + tail: each tail entry carrying its id alone, the id lines "
                                            "= the whole log's (§6.8)")
    labels = dict(index["labels"])
    labels.update(tail.labels)
    report.equal(labels, cf.node_labels(replica), f"entry index + tail: the names' labels, with the "
                                                  f"{len(tail.labels)} node(s) whose own label the tail writes, = the "
                                                  "whole log's (§6.7, §6.8)")


def check_views_orders(report, views):
    """The orders §6.5 states, strings as bytes."""
    report.check(ascending([line[:3] for line in views["stock"]]), "stock lines in ascending (producer, product, lot)")
    report.check(ascending([b[:2] for b in views["balances"]]), "balances in ascending (producer, party)")
    report.check(ascending([a[0] for a in views["availability"]])
                 and all(ascending(a[4]) for a in views["availability"]),
                 "availability by ascending product, its producers ascending")
    order = [(CONFLICT_KINDS.index(c[0]), c[1], c[2]) for c in views["conflicts"]]
    report.check(order == sorted(order), "conflicts by kind order, then subject, then summary")
    records = views["products"] + views["parties"]
    report.check(all(r[0] == b"product" for r in views["products"]) and all(r[0] == b"party" for r in views["parties"])
                 and ascending([r[1] for r in views["products"]]) and ascending([r[1] for r in views["parties"]]),
                 "products, then parties, each in ascending id")
    report.check(all(ascending([f[0] for f in r[2]]) for r in records)
                 and all(ascending([w["id"] for w, _ in f[1]]) for r in records for f in r[2]),
                 "record fields by name, their values in id order")
    report.check(ascending([node for node, _ in views["labels"]]), "labels in node order")
    report.check(ascending([o[0] for o in views["open orders"]]) and all(o[2] > 0 for o in views["open orders"]),
                 "open orders by ascending product, each above zero (§6.5 section 10)")
    report.check(ascending(views["unheld payment targets"]), "unheld payment targets in ascending order (§6.5 section 11)")
    report.check(ascending([lot[:2] for lot in views["lot products"]])
                 and all(lot[2] and ascending(lot[2]) for lot in views["lot products"]),
                 "lot products by ascending (producer, lot), each with its products ascending (§6.5 section 12)")
    report.check(ascending([line[0] for line in views["sale payments"]]),
                 "sale payments by ascending id (§6.5 section 13)")


BLOCK_WANTS = {2: lambda line: line[1], 12: lambda line: line[:2], 13: lambda line: line[0]}  # what a reader asks


def read_blocks(section, table, number, want, cache=None):
    """`cf.read_view_blocks`, None when it refuses the file."""
    try:
        return cf.read_view_blocks(section, table, number, want, cache)
    except cf.FormatError:
        return None


def check_view_blocks(report, data, views):
    """§6.5 sections 14 to 16, which a writer writes all three: each table equal byte for
    byte to the one made again from its section's bytes; a reader of blocks finding, for
    every product, (producer, lot) and id the section holds and a few it does not, the
    lines of the whole section of that key; and refusing a table with one block's crc,
    lines, length or key changed, or two groups' blocks merged under a good CRC-32C."""
    present = [number for number in cf.VIEW_BLOCKS if cf.VIEW_SECTIONS[number] in views]
    if not report.equal(present, list(cf.VIEW_BLOCKS), "views sections 14 to 16 (blocks) present: "
                        "a writer writes all three (§6.5)"):
        return
    sections = cf.view_sections(data)
    for number, (of, _, groups) in cf.VIEW_BLOCKS.items():
        name, table = cf.VIEW_SECTIONS[number], views[cf.VIEW_SECTIONS[number]]
        offset, length = sections[of]
        section, lines, want = data[offset:offset + length], views[cf.VIEW_SECTIONS[of]], BLOCK_WANTS[of]
        at, size = sections[number]
        ours = cf.view_blocks(section, of)
        same = data[at:at + size] == cf.encode_view_blocks(ours)
        first = next((i for i, (a, b) in enumerate(zip(table, ours)) if a != b), min(len(table), len(ours)))
        report.check(same, f"views section {number}, {name}: the {len(ours)} blocks made again from section {of}'s "
                           f"{length} bytes (groups, 65,536 bytes, keys, CRC-32Cs, §6.5), byte for byte"
                           + ("" if same else f": {len(table)} written, the first that differs #{first}: "
                                              f"{table[first:first + 1]}, made {ours[first:first + 1]}"))
        held = sorted({want(line) for line in lines})
        ends, last = held[:1] + held[-1:], b"\xf4\x8f\xbf\xbf"  # the greatest code point
        probes = [b"", last] + [k + b"\x00" for k in ends] if of != 12 else \
            [(b"", b""), (last, b"")] + [(p, b"") for p, _ in ends] + \
            [(p, lot + b"\x00") for p, lot in ends + held[len(held) // 2:][:1]]
        absent = sorted(set(probes) - set(held))
        cache, of_key = {}, {}
        for line in lines:  # the whole section's lines, by key
            of_key.setdefault(want(line), []).append(line)
        wrong = [w for w in held + absent if read_blocks(section, table, of, w, cache) != of_key.get(w, [])]
        report.equal(wrong, [], f"views section {number}: the blocks a reader reads (§6.5) give, for each of the "
                                f"{len(held)} keys section {of} holds and {len(absent)} it does not, the section's "
                                f"lines of it")
        if not table:
            continue
        merged = next((i for i in range(len(table) - 1) if table[i][3][:groups] != table[i + 1][3][:groups]), None)
        check_block_reader_refusals(report, number, section, table, merged)


def check_block_reader_refusals(report, number, section, table, merged=None):
    """The reader of blocks (§6.5) MUST ignore the file when a block it reads fails its
    CRC-32C, does not decode exactly to its `lines` and `length`, or holds lines not of its
    key's group or a first line other than its key, or when the lengths do not add up to
    within ten bytes of the section's: tables mutated so, each read by the key the mutated
    block answers for, must be refused (the checks can fail)."""
    of = cf.VIEW_BLOCKS[number][0]
    index = merged or 0
    lines, length, crc, key = table[index]

    def asked(key):
        return key[1] if of == 2 else key if of == 12 else key[0]

    mutations = {"crc": (lines, length, crc ^ 1, key), "lines": (lines + 1, length, crc, key),
                 "length": (lines, length + 10, crc, key), "key": (lines, length, crc, key[:-1] + (key[-1] + b"\x00",))}
    if merged is not None:
        nxt = table[index + 1]
        start = len(section) - sum(block[1] for block in table[index:])
        mutations["groups"] = (lines + nxt[0], length + nxt[1],
                               cf.crc32c(section[start:start + length + nxt[1]]), key)
    accepted = []
    for what, block in mutations.items():
        mutated = table[:index] + [block] + table[index + 1 + (what == "groups"):]
        if read_blocks(section, mutated, of, asked(block[3])) is not None:
            accepted.append(what)
    merging = " (two groups merged, CRC-32C good)" if merged is not None else ""
    report.equal(accepted, [], f"views section {number}: the reader refuses a table with a block's "
                               f"{', '.join(mutations)} changed{merging} (§6.5: it MUST ignore the file)")


def check_block_reader_self(report):
    """The reader of blocks (§6.5) over a section 2 made here: a (producer, product), then
    one of 6,000 lots (about 170 KB: more than one block by the 65,536-byte rule), then
    another producer of that product: the stock lines of each product, across blocks and
    producers, are the section's, and every block but a group's last is 65,536 bytes or
    more, without its last line less."""
    report.section = "views blocks (§6.5), the reader's own"
    lines = [(b"ferme-a", b"poire", b"L1", 3, b"")] + \
            [(b"ferme-a", b"pomme", f"lot-{i:05d}".encode(), i, b"g") for i in range(6_000)] + \
            [(b"ferme-b", b"pomme", b"L1", -2, b"pc")]
    encoded = [b"".join(map(cf.enc_string, line[:3])) + cf.enc_svarint(line[3]) + cf.enc_string(line[4])
               for line in lines]
    section = cf.enc_varint(len(lines)) + b"".join(encoded)
    table = cf.view_blocks(section, 2)
    sizes, at, ok = [len(e) for e in encoded], 0, True
    for index, (count, length, _, key) in enumerate(table):
        last_of_group = index + 1 == len(table) or table[index + 1][3] != key
        ok &= length == sum(sizes[at:at + count]) and \
            (last_of_group or length - sizes[at + count - 1] < 65_536 <= length)
        at += count
    report.check(ok and len(table) >= 4 and at == len(lines),
                 f"a 6,002-line section 2 cut into {len(table)} blocks: a group's blocks of 65,536 bytes or more "
                 f"but for its last, a new block at each (producer, product) (§6.5)")
    report.equal([read_blocks(section, table, 2, product) for product in (b"pomme", b"poire", b"prune")],
                 [[line for line in lines if line[1] == product] for product in (b"pomme", b"poire", b"prune")],
                 "the reader of blocks: the stock lines of pomme (two producers, several blocks), poire, prune (none)")
    check_block_reader_refusals(report, 14, section, table, len(table) - 2)


def check_node_records_self(report):
    """§6.5 section 17 as `cf.node_records` computes it, on events made here: a node's
    label on its own lowercase record and one written by another node for a third are
    listed; a record id in uppercase names no node (§7 Hex); a `continues` value in
    uppercase hex names its node, one that is not 32 hex digits names none, and one
    superseded (no longer live, §2.2) names none."""
    report.section = "views node records (§6.5), the reader's own"
    a, b, c, d, e, f, g = (bytes([i]) * 16 for i in (0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07))
    writes = [(a, a.hex(), b"label", b"un"), (a, g.hex(), b"label", b"autre"), (b, b.hex(), b"continues", f.hex().encode()),
              (b, b.hex(), b"continues", c.hex().upper().encode()), (d, d.hex().upper(), b"label", b"quatre"),
              (e, e.hex(), b"continues", b"xyz")]
    replica, last = cf.Replica(), {}
    for node, record, field, value in writes:
        seq, previous = last.get(node, (0, cf.ZERO_HASH))
        superseded = [event.id() for event in replica.held.values()
                      if event.op[1:4] == (b"node", record.encode(), field)]
        event = cf.Event(node, seq + 1, 1_000 + seq, 0, previous,
                         ("assign", b"node", record.encode(), field, cf.Value(1, value), sorted(superseded)))
        event.compute_hash()
        replica.add([event])
        last[node] = (seq + 1, event.hash)
    report.equal(cf.node_records(replica), [g, a, c], "node records made here: a node's own label, a label written "
                                                      "for another node, a live continues value in uppercase hex; not "
                                                      "an uppercase record id, a value not hex, a superseded value")

    def assign(node, seq, record, field, value, superseded=()):
        event = cf.Event(node, seq, 2_000 + seq, 0, cf.ZERO_HASH, ("assign", b"node" if field != b"name" else b"party",
                                                                  record, field, value, list(superseded)))
        event.compute_hash()
        return event
    own = assign(a, 1, a.hex().encode(), b"label", cf.Value(1, b"un"))
    others = [assign(a, 1, g.hex().encode(), b"label", cf.Value(1, b"un")),  # another node's label
              assign(a, 1, a.hex().upper().encode(), b"label", cf.Value(1, b"un")),  # not its lowercase record
              assign(a, 1, a.hex().encode(), b"label", cf.Value(0, 1)),  # not a text value
              assign(a, 1, a.hex().encode(), b"continues", cf.Value(1, c.hex().encode())),
              assign(a, 1, b"coop", b"name", cf.Value(1, b"Coop"))]
    report.equal([cf.tail_label_write(event) is not None for event in [own] + others], [True] + [False] * len(others),
                 "a tail may hold a write of the event's own node's label with a text value, and no other assignment "
                 "(another node's label, an uppercase record, an int value, continues, a party) (§6.8)")
    later = assign(a, 2, a.hex().encode(), b"label", cf.Value(1, b"deux"), [own.id()])
    apart = assign(a, 2, a.hex().encode(), b"label", cf.Value(1, b"deux"))
    same = assign(a, 2, a.hex().encode(), b"label", cf.Value(1, b"un"))
    report.equal([cf.tail_labels(writes) for writes in ([own, later], [own, apart], [own, same])],
                 [{a: b"deux"}, {a: None}, {a: b"un"}],
                 "a tail's label writes taken in log order into an empty register: one superseding the other leaves "
                 "its text, two differing a conflict (None: the reader opens the store), two equal their text (§6.8)")


def check_views_records(report, replica, views):
    """Catalog and labels: the products' and parties' live values (§2.2), and each node's
    label (§6.5, §10.2), from the events."""
    registers = replica.visible_registers()
    expected = {b"product": {}, b"party": {}}
    for (rtype, record, field), events in sorted(registers.items()):
        if rtype in expected:
            fields = expected[rtype].setdefault(record, [])
            fields.append((field, [({"id": e.id(), "physical": e.physical, "logical": e.logical},
                                    e.op[4]) for e in events]))
    found = [(r[0], r[1], [(n, [(w, (v.tag, v.data)) for w, v in values]) for n, values in r[2]])
             for r in views["products"] + views["parties"]]
    wanted = [(t, record, [(n, [(w, (v.tag, v.data)) for w, v in values]) for n, values in fields])
              for t in (b"product", b"party") for record, fields in sorted(expected[t].items())]
    report.equal(found, wanted, f"views catalog = the {len(wanted)} records' live values, writers and clocks")
    report.equal(dict(views["labels"]), cf.node_labels(replica), "views labels = node labels from the events")


def check_views_node_records(report, name, replica, data, views, tail):
    """§6.5 section 17 (optional): when present, every node whose label register holds a
    live value and every node a live `continues` value names (32 hex digits, either case),
    ascending, each once, from the registers of the state the file describes; with a tail
    holding label writes (§6.8) the file has it and lists none of their nodes. This
    decoder refuses the section resealed with its first two nodes swapped, with its first
    node twice, or with a count one short (16 bytes left over)."""
    ours = cf.node_records(replica)
    if "node records" in views:
        report.equal(views["node records"], ours,
                     f"views node records = the {len(ours)} nodes with a live label or named by a live continues "
                     f"value, ascending (§6.5 section 17)")
        offset, length = cf.view_sections(data)[17]
        nodes = views["node records"]
        mutations = {"count one short": cf.enc_varint(len(nodes) - 1) + b"".join(nodes)} if 0 < len(nodes) < 128 else {}
        if 2 <= len(nodes) < 128:
            mutations["first two swapped"] = cf.enc_varint(len(nodes)) + b"".join([nodes[1], nodes[0]] + nodes[2:])
            mutations["first node twice"] = cf.enc_varint(len(nodes)) + b"".join([nodes[0], nodes[0]] + nodes[2:])
        accepted = []
        for what, section in mutations.items():
            try:
                cf.read_views(cf.reseal_views(data[:offset] + section + data[offset + length:]), only={17})
                accepted.append(what)
            except cf.FormatError:
                pass
        report.equal(accepted, [], f"views section 17 resealed with {', '.join(mutations) or 'nothing'} changed: this "
                                   f"decoder refuses it (§6.5: node order, each once, the section exactly its length)")
    else:
        print(f"  views: NOTE no section 17 (node records, optional, §6.5); {len(ours)} nodes it would list")
    if name in NEWFARM:
        report.check("node records" in views, "views section 17 (node records) present: the hub's catalog writes "
                                              "read the registers (§6.5)")
    if tail is not None and tail.labels:
        report.check("node records" in views and not set(views["node records"]) & set(tail.labels),
                     f"views + tail: the file has section 17 and lists none of the {len(tail.labels)} node(s) whose "
                     f"label the tail writes (§6.5: a writer takes a node's first label only then; §6.8: else the "
                     f"reader opens the store)")


def check_views_conflicts(report, replica, views):
    """The conflicts that the events alone decide: one `field` per register whose live
    values differ (§2.2), its sides those values; one `fork` per fork point, its sides the
    branches' events."""
    registers = replica.visible_registers()
    fields = sorted(sorted((e.id(), e.op[4].tag, e.op[4].data) for e in events) for events in registers.values()
                    if len({(e.op[4].tag, e.op[4].data) for e in events}) > 1)
    found = sorted(sorted((w["id"], v.tag, v.data) for w, _, v in c[4]) for c in views["conflicts"] if c[0] == b"field")
    report.equal(found, fields, f"{len(fields)} field conflicts = registers with differing live values")
    points = {}
    for event in replica.accepted().values():
        points.setdefault((event.node, event.seq, event.previous), []).append(event)
    # §10.5: a fork is open unless a review that counts names its id and saw every branch.
    reviews = settling_reviews(replica)
    forks, settled = [], 0
    for (node, seq, _), events in points.items():
        if len(events) < 2:
            continue
        ids = [e.id() for e in events]
        subject = f"node/{node.hex()}@{seq}"
        conflict = hashlib.sha256(f"fork:{subject}".encode()).hexdigest()[:10]
        hashes = {e.hash for e in events}
        if any(hashes <= seen for seen in reviews.get(conflict.encode(), [])):
            settled += 1
        else:
            forks.append(sorted(ids))
    forks.sort()
    found = sorted(sorted(w["id"] for w, _, v in c[4]) for c in views["conflicts"] if c[0] == b"fork")
    report.equal(found, forks, f"{len(forks)} fork conflicts = fork points no review settles ({settled} settled), "
                               "sides their branches")
    report.check(all(v is None for c in views["conflicts"] if c[0] != b"field" for _, _, v in c[4]),
                 "sides that are events or entries carry no value (00)")


def settling_reviews(replica):
    """§10.5: conflict id → the side sets of the readable reviews that count (not voided)."""
    entries = [e for e in map(cf.ledger_entry, (e for e in replica.accepted().values() if e.op[0] == "append"))
               if e is not None]
    reversals = [e for e in entries if e["kind"] == b"reversal"]
    reviews = {}
    for entry in entries:
        if entry["kind"] != b"review" or any(cf.cancels(r, entry) for r in reversals):
            continue
        sides = {bytes.fromhex(h.decode()) for h in entry["sides"].split(b",")}
        reviews.setdefault(entry["ref"], []).append(sides)
    return reviews


def check_views_damage(report, carnet, name, data, file_views, shown, tail):
    """§6.5: a reader checks the table and the sections it reads, and only those. A byte
    flipped in the stock totals (which `stock` reads): `verify` says the file is not
    current, `stock` answers the same from the log and rewrites it. A byte flipped in the
    stock lots (which `stock` without `--by-lot` does not read): `stock` answers from the
    file and leaves it, `verify` (which reads every section) still finds it. With a tail
    (§6.8) the file rewritten is that of the whole log (`shown`: the file's views with the
    tail added), and `stock` reads the lots when the totals alone cannot tell the tail."""
    path = os.path.join(carnet.work, name, "views")
    before = carnet.json("stock", directory=name)
    sections = cf.view_sections(data)
    # A rewrite for the whole log writes the status file without `views-tail-from` (and the
    # index): each damaged file is put with them as the store had them, so that its tail
    # stays one readers add (§6.8).
    kept = {derived: carnet_read.read_file(os.path.join(carnet.work, name, derived)) for derived in ("entries", "status")}

    def put(views):
        for derived, kept_data in kept.items():
            with open(os.path.join(carnet.work, name, derived), "wb") as out:
                out.write(kept_data)
        with open(path, "wb") as out:
            out.write(views)

    def flipped(number):
        offset, length = sections[number]
        at = offset + length // 2
        return data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1:]

    def rewritten(what):
        """The file is written again as it was, or with a tail for the whole log."""
        found = carnet_read.read_file(path)
        if tail is None:
            return report.check(found == data, f"{what}: the views file is rewritten as it was")
        views = cf.read_views(found)
        log = carnet_read.read_file(os.path.join(carnet.work, name, "events.log"))
        keys = ("entries", "unreadable", "stock", "stock totals", "balances", "availability", "labels",
                "open orders", "unheld payment targets", "lot products", "sale payments") + \
            (("node records",) if "node records" in views and "node records" in shown else ())
        # the catalog and conflicts hold Values: compared above
        report.check(views["stamp"] == cf.log_stamp(log) and views["stamp"]["size"] == len(log)
                     and all(views[k] == shown[k] for k in keys),
                     f"{what}: the views file is rewritten for the whole log, the file's views with the "
                     f"{len(tail)} tail entries added (§6.8)")

    put(flipped(9))
    if name != "big":  # verify folds every event again: seconds on the big store
        report.equal(carnet.json("verify", directory=name, fails=True)["views"]["current"], False,
                     "a flipped byte in the stock totals: carnet verify reports views.current false")
    report.equal(carnet.json("stock", directory=name), before,
                 "a flipped byte in the stock totals: carnet stock --json answers the same")
    rewritten("a flipped byte in the stock totals")
    lots = flipped(2)
    put(lots)
    report.equal(carnet.json("stock", directory=name), before,
                 "a flipped byte in the stock lots: carnet stock --json answers the same")
    if tail is None or cf.add_tail_to_totals(file_views["stock totals"], tail) is not None:
        report.check(carnet_read.read_file(path) == lots,
                     "a flipped byte in the stock lots: carnet stock (the totals"
                     + (", the tail added to them, §6.8" if tail else "") + ") neither reads nor rewrites the file")
    else:
        rewritten("a flipped byte in the stock lots, a tail the totals alone cannot tell (§6.8: stock reads the lots)")
        put(lots)
    outcomes = []
    for only in ({1, 3, 4, 5, 6, 7, 8, 9}, None):
        try:
            cf.read_views(lots, only=only)
            outcomes.append("read")
        except cf.FormatError:
            outcomes.append("refused")
    report.equal(outcomes, ["read", "refused"],
                 "a flipped byte in the stock lots: this decoder reads the other sections, refuses the lots")
    if name != "big":
        report.equal(carnet.json("verify", directory=name, fails=True)["views"]["current"], False,
                     "a flipped byte in the stock lots: carnet verify reports views.current false")
    put(data)
    at = data.find(b"\x05field", 36)
    if at < 0:
        return
    # A conflict kind §6.5 does not name, under good checksums: both readers must refuse it.
    resealed = cf.reseal_views(data[:at] + b"\x05fielx" + data[at + 6:])
    put(resealed)
    try:
        cf.read_views(resealed)
        refused = False
    except cf.FormatError:
        refused = True
    report.check(refused, "an unknown conflict kind (good checksums): this decoder refuses the file")
    report.equal(carnet.json("verify", directory=name, fails=True)["views"]["current"], False,
                 "an unknown conflict kind: carnet verify reports views.current false")
    # A reader decodes the sections it shows (§6.5): `conflicts` reads that section, finds
    # the kind, ignores the file and rewrites it.
    carnet.json("conflicts", directory=name)
    rewritten("an unknown conflict kind: carnet conflicts")
    put(data)


def damaged_logs(log):
    """Copies of a sound log damaged the ways §6 distinguishes: a torn tail (cut, bad CRC,
    garbage, an undecodable or oversized last record) or damage in the middle."""
    offsets = [offset for offset, _ in cf.read_log(log)[0]]

    def framed(payload):
        length = len(payload).to_bytes(4, "big")
        return length + cf.crc32c(length + payload).to_bytes(4, "big") + payload

    flip = offsets[0] + 13
    return {
        "last record cut short": log[:-10],
        "a byte of the first record flipped": log[:flip] + bytes([log[flip] ^ 1]) + log[flip + 1:],
        "a byte of the last record flipped": log[:-1] + bytes([log[-1] ^ 1]),
        "5 bytes appended": log + b"\x01\x02\x03\x04\x05",
        "a framed undecodable record appended": log + framed(b"XX"),
        "a framed undecodable record inserted": log[:offsets[2]] + framed(b"XX") + log[offsets[2]:],
        "an empty framed record appended": log + framed(b""),
        "a length above 64 MiB appended": log + (64 * 1024 * 1024 + 1).to_bytes(4, "big") + bytes(4),
    }


def check_damage(report, carnet, name):
    """§6's reading of a damaged log: where it stops and whether it is a torn tail, against
    `carnet verify` (which reads without repairing) on a copy of the store."""
    report.section = f"damaged {name}"
    source = os.path.join(carnet.work, name)
    with open(os.path.join(source, "events.log"), "rb") as handle:
        log = handle.read()
    for index, (what, data) in enumerate(damaged_logs(log).items()):
        copy = f"{name}-damaged-{index}"
        shutil.copytree(source, os.path.join(carnet.work, copy))
        with open(os.path.join(carnet.work, copy, "events.log"), "wb") as handle:
            handle.write(data)
        _, stop = cf.scan_log(data)
        verify = carnet.json("verify", directory=copy, fails=True)["log"]
        ours = (stop[0], stop[1] == "torn tail") if stop else (None, False)
        report.equal(ours, (verify["damageOffset"], verify["tornTail"]),
                     f"{what}: (offset, torn tail) = carnet verify")


def main():
    """Make the stores, check each, damage the farm's log; report and exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--carnet", required=True, help="the carnet binary")
    parser.add_argument("--keep", help="make the stores in this (new) directory and keep them")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    import check_vectors
    report = check_vectors.Report(args.verbose)
    work = args.keep or tempfile.mkdtemp(prefix="carnet-conformance-")
    os.makedirs(work, exist_ok=True)
    try:
        check_block_reader_self(report)
        check_node_records_self(report)
        carnet = Carnet(os.path.abspath(args.carnet), work)
        for name in make_stores(carnet):
            print(f"{os.path.join(work, name)}:")
            check_store(report, carnet, name)
        check_damage(report, carnet, "farm")
    except (RuntimeError, cf.FormatError, OSError, KeyError, ValueError) as error:
        report.error(f"stopped: {type(error).__name__}: {error}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return check_vectors.summarize(report, "conformance with the real carnet")


if __name__ == "__main__":
    sys.exit(main())

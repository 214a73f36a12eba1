#!/usr/bin/env bash
# T10 (RELIABILITY.md): writes the compatibility fixtures of the current on-disk formats
# into protocol/fixtures/v<N>/, with what every later build must read from them.
#
#   tools/make-compat-fixtures.sh VERSION      e.g. tools/make-compat-fixtures.sh 1
#
# Run it once per released format version and commit the result; never regenerate an
# existing version (the point is that old bytes stay old). The fixtures are made with
# the `carnet` command itself, the way users make such files:
#   store/          the hub's data directory (events.log, status, node, secret): two farms'
#                   entries, catalog edits with a field conflict, and a farm restored from
#                   a backup that continues under a new id (its link event). No checkpoint:
#                   one is written only past 2,000 events, and a store never needs it.
#   farm-a.bundle   every event farm A held before its backup was restored (bundle format)
#   farm-a-restored.bundle, farm-b.bundle
#   verify.json     the hub's `verify --json`: digest, events, records
#   status.json     its `status --json` (version vector, conflicts)
#   conflicts.json  its `conflicts --json`
# `Tests/CarnetCLITests/CompatibilityFixtureTests.swift` opens them with the built
# binary and checks the digest, counts and conflicts.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: tools/make-compat-fixtures.sh VERSION}
out=protocol/fixtures/v$version
if [ -e "$out" ]; then
  echo "make-compat-fixtures: $out exists; fixtures of a released version are never remade" >&2
  exit 1
fi
swift build --product carnet >/dev/null
carnet=$(swift build --show-bin-path)/carnet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$carnet" secret new --out "$work/secret" >/dev/null
for node in hub farm-a farm-b; do
  "$carnet" init --dir "$work/$node" --ledger compat-fixture --label "$node" --secret-file "$work/secret" >/dev/null
done
run() { "$carnet" "$@" >/dev/null; }
# Farm A: its catalog and parties, then a week of entries.
run party set ferme-a --name "Ferme A" --kind farm --dir "$work/farm-a"
run party set cantine --name "Cantine Jaurès" --kind canteen --dir "$work/farm-a"
run product set tomate --name "Tomate ronde" --unit kg --price 3,20 --category legume --dir "$work/farm-a"
run record harvest --producer ferme-a --date 2026-06-01 --product tomate --qty 42kg --lot L1 --dir "$work/farm-a"
run record delivery --producer ferme-a --date 2026-06-02 --product tomate --qty 12kg --lot L1 --to cantine --dir "$work/farm-a"
cp -a "$work/farm-a" "$work/farm-a-backup"
run record sale --producer ferme-a --date 2026-06-03 --product tomate --qty 10kg --lot L1 --to cantine --dir "$work/farm-a"
"$carnet" bundle create "$work/farm-a.bundle" --dir "$work/farm-a" >/dev/null
# Farm B: the same product, priced differently (a field conflict), and its own entries.
run party set ferme-b --name "Ferme B" --kind farm --dir "$work/farm-b"
run product set tomate --price 3,50 --dir "$work/farm-b"
run record harvest --producer ferme-b --date 2026-06-01 --product tomate --qty 20kg --lot B1 --force --dir "$work/farm-b"
run record loss --producer ferme-b --date 2026-06-04 --product tomate --qty 2kg --lot B1 --reason "grêle" --force --dir "$work/farm-b"
"$carnet" bundle create "$work/farm-b.bundle" --dir "$work/farm-b" >/dev/null
# Farm A restored from its backup writes on: a second history for the same seqs.
rm -rf "$work/farm-a"
mv "$work/farm-a-backup" "$work/farm-a"
run record sale --producer ferme-a --date 2026-06-05 --product tomate --qty 8kg --lot L1 --to cantine --dir "$work/farm-a"
"$carnet" bundle create "$work/farm-a-restored.bundle" --dir "$work/farm-a" >/dev/null
for bundle in farm-a farm-b farm-a-restored; do
  run bundle apply "$work/$bundle.bundle" --dir "$work/hub"
done
mkdir -p "$out"
# What a later build must find, read before the copy: a copied directory continues as a
# new node at its next write-open (it is not where the node was created), verify does not.
"$carnet" verify --json --dir "$work/hub" >"$out/verify.json"
"$carnet" status --json --dir "$work/hub" >"$out/status.json"
"$carnet" conflicts --json --dir "$work/hub" >"$out/conflicts.json"
cp -a "$work/hub" "$out/store"
cp "$work/farm-a.bundle" "$work/farm-b.bundle" "$work/farm-a-restored.bundle" "$out/"
echo "wrote $out:"
ls -la "$out" "$out/store"

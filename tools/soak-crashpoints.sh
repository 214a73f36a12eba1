#!/usr/bin/env bash
# T3 (a) soak: random simulated crash points on large workloads (RELIABILITY.md T3).
#
#   tools/soak-crashpoints.sh [POINTS] [APPENDS] [SEED]
#       (default 100000 crash points, 10000-event workloads, a seed from the clock)
#
# Runs CrashPointTests in release mode on SimStorage: workloads of APPENDS events (group
# commit, status files, checkpoints, reopenings), each crashed at up to
# CARNET_CRASH_POINTS_PER_WORKLOAD (default 1000) random (disk call, damage) pairs, until
# POINTS crash points are judged; every recovery is checked for I1 and I3 and crashed once
# more in the middle (idempotence). Workload k uses seed SEED+k. A failure prints the
# workload seed and the call; replay with
#   CARNET_SEED=<SEED> CARNET_CRASH_APPENDS=<APPENDS> CARNET_CRASH_POINTS=<POINTS> \
#     swift test -c release -Xswiftc -enable-testing --filter CrashPointTests
set -euo pipefail
cd "$(dirname "$0")/.."
points=${1:-100000}
appends=${2:-10000}
seed=${3:-$(date +%s)}
scratch=${CARNET_SOAK_SCRATCH:-.build-soak}
log=/tmp/carnet-crashpoints-soak.log
echo "building (release, $scratch)…"
swift build -c release -Xswiftc -enable-testing --build-tests --scratch-path "$scratch" >/dev/null
echo "CARNET_SEED=$seed CARNET_CRASH_APPENDS=$appends CARNET_CRASH_POINTS=$points"
if ! CARNET_SEED=$seed CARNET_CRASH_APPENDS=$appends CARNET_CRASH_POINTS=$points \
    swift test -c release -Xswiftc -enable-testing --scratch-path "$scratch" --skip-build \
    --filter everyCrashPointOfAWorkloadRecoversSoundAndIdempotently >"$log" 2>&1; then
  grep -E '✘|seed|I1|I3|idempotent' "$log" | head -30
  echo "FAILED at CARNET_SEED=$seed (log: $log)"
  exit 1
fi
grep 'crash points:' "$log"
echo "$points crash points on $appends-event workloads passed"

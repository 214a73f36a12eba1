#!/usr/bin/env bash
# The store's SIGKILL crash test with many more kill points than CI runs.
#
#   tools/soak-crash.sh [KILL_POINTS] [ROUNDS]     (default 1000 points, 5 rounds)
#
# Each round uses another seed; a failure prints it, and
# `CARNET_SEED=<seed> CARNET_KILL_POINTS=<n> swift test --filter CrashTests` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
points=${1:-1000}
rounds=${2:-5}
swift build --build-tests >/dev/null
for round in $(seq 1 "$rounds"); do
  seed=$(( round * 7919 + 3 ))
  echo "round $round/$rounds: CARNET_SEED=$seed CARNET_KILL_POINTS=$points"
  if ! CARNET_SEED=$seed CARNET_KILL_POINTS=$points swift test --skip-build --filter CrashTests >/tmp/carnet-crash-soak.log 2>&1; then
    grep -E '✘|seed' /tmp/carnet-crash-soak.log | head -20
    echo "FAILED at CARNET_SEED=$seed (log: /tmp/carnet-crash-soak.log)"
    exit 1
  fi
  grep 'crash test:' /tmp/carnet-crash-soak.log || true
done
echo "$rounds rounds of $points kill points passed"

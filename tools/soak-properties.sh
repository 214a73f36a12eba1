#!/usr/bin/env bash
# Runs the merge-law property tests over many more seeds than CI does.
#
#   tools/soak-properties.sh [ROUNDS]      (default 50 rounds; each round is 2,000 histories)
#
# Each round uses another base seed; a failure prints the seed, and
# `CARNET_SEED=<seed> swift test --filter ConvergencePropertyTests` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-50}
swift build --build-tests -c release >/dev/null
for round in $(seq 1 "$rounds"); do
  seed=$(( (round * 1000003) + 17 ))
  echo "round $round/$rounds: CARNET_SEED=$seed"
  if ! CARNET_SEED=$seed SWIFT_DETERMINISTIC_HASHING=1 swift test -c release \
      --filter 'ConvergencePropertyTests|EventBatchTests|ReplicaTests' >/tmp/carnet-soak.log 2>&1; then
    grep -E '✘|seed' /tmp/carnet-soak.log | head -20
    echo "FAILED at CARNET_SEED=$seed (log: /tmp/carnet-soak.log)"
    exit 1
  fi
done
echo "$rounds rounds passed"

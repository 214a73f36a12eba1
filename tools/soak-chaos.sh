#!/usr/bin/env bash
# T6 soak (RELIABILITY T6): the chaos run of ChaosTests — a hub and three farms as real
# `carnet` processes, each farm's link through the link simulator (300 ms round trip,
# 256 kbit/s, a cut every 64 KiB), three fault schedules, then I1, I2 and I6 — run again
# and again with fresh seeds and longer schedules (one backlog per farm per 30 s).
#
#   tools/soak-chaos.sh [RUNS] [SECONDS]     default: 10 runs of 3 schedules × 120 s
#
# Environment: CARNET_CHAOS_SCRATCH (build directory, default .build-soak-chaos),
# CARNET_CHAOS_CONFIG (release or debug, default release).
#
# Prints each schedule's line of figures and one summary line. A failing run prints its
# figures, its failed checks and its replay command:
#   CARNET_SEED=<seed> CARNET_CHAOS_SECONDS=<seconds> swift test --filter ChaosTests
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
seconds=${2:-120}
scratch=${CARNET_CHAOS_SCRATCH:-.build-soak-chaos}
config=${CARNET_CHAOS_CONFIG:-release}
# `-enable-testing`: other test targets use `@testable import`, which a plain release
# build refuses.
flags=(-c "$config" --scratch-path "$scratch")
[ "$config" = release ] && flags+=(-Xswiftc -enable-testing)
echo "building ($config)…"
swift build "${flags[@]}" --build-tests >/dev/null
failures=0
start=$(date +%s)
for run in $(seq 1 "$runs"); do
  seed=$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')
  log=$(mktemp)
  if CARNET_SEED=$seed CARNET_CHAOS_SECONDS=$seconds \
       swift test "${flags[@]}" --skip-build --filter ChaosTests >"$log" 2>&1 \
     && grep -c '^chaos schedule [0-9] (' "$log" | grep -qx 3; then
    grep '^chaos schedule' "$log"
    rm -f "$log"
  else
    failures=$((failures + 1))
    grep -E '^chaos schedule|seed [0-9]+ \(CARNET_SEED' "$log" | head -60 || true
    echo "run $run FAILED — replay: CARNET_SEED=$seed CARNET_CHAOS_SECONDS=$seconds swift test --filter ChaosTests (log: $log)"
  fi
done
echo "soak-chaos summary: runs=$runs failures=$failures seconds-per-schedule=$seconds wall=$(( $(date +%s) - start ))s"
[ "$failures" -eq 0 ]

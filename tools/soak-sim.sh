#!/usr/bin/env bash
# T2 soak (RELIABILITY.md 3.3): the deterministic simulation of 1–2 hubs and K farms over
# many seeds, in a release build.
#
#   tools/soak-sim.sh [SEEDS] [FIRST]     default: 100000 seeds from seed 1
#
# Environment: CARNET_SIM_K (default 2-12), CARNET_SIM_HUBS (default 1-2), CARNET_SIM_JOBS
# (parallel test processes, default 1; each takes a share of the seeds),
# CARNET_SIM_SCRATCH (build directory, default .build-soak-sim). Runs `carnet-sim`
# (Sources/carnet-sim) in a release build.
#
# Prints one summary line: seeds, failures, events, sessions, wall seconds. A failing seed
# is printed with its replay command:
#   CARNET_SEED=<seed> CARNET_SIM_K=<k> CARNET_SIM_HUBS=<h> CARNET_SIM_TRACE=1 \
#     swift test --filter SimulationSeedTests
# (or the same environment before `swift run -c release carnet-sim`).
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-100000}
first=${2:-1}
jobs=${CARNET_SIM_JOBS:-1}
scratch=${CARNET_SIM_SCRATCH:-.build-soak-sim}
export CARNET_SIM_K=${CARNET_SIM_K:-2-12}
export CARNET_SIM_HUBS=${CARNET_SIM_HUBS:-1-2}
export CARNET_SIM_PROGRESS=${CARNET_SIM_PROGRESS:-1000}
echo "building carnet-sim (release)…"
swift build -c release --product carnet-sim --scratch-path "$scratch" >/dev/null
sim=$scratch/release/carnet-sim
logs=$(mktemp -d)
echo "logs (progress every $CARNET_SIM_PROGRESS seeds, failures as they come): $logs"
start=$(date +%s)
share=$(( (seeds + jobs - 1) / jobs ))
for job in $(seq 0 $((jobs - 1))); do
  from=$(( first + job * share ))
  count=$(( seeds - job * share < share ? seeds - job * share : share ))
  [ "$count" -gt 0 ] || continue
  # Line-buffered, so that the logs show progress and failures while it runs.
  CARNET_SIM_SEEDS=$count CARNET_SIM_FIRST=$from stdbuf -oL -eL "$sim" >"$logs/job$job.log" 2>&1 &
done
status=0
wait || status=$?
elapsed=$(( $(date +%s) - start ))
# Failing seeds, with their reports.
grep -h -A8 '^simulation failure:' "$logs"/job*.log | grep -v '^--$' | head -200 || true
awk -v elapsed="$elapsed" -v logs="$logs" '
  /^simulation summary:/ {
    for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] += kv[2] }
    found++
  }
  END {
    if (found == 0) { print "soak-sim: no summary found; logs in " logs; exit 1 }
    printf "soak-sim summary: seeds=%d failures=%d events=%d sessions=%d seconds=%d seeds/s=%.1f\n",
      v["seeds"], v["failures"], v["events"], v["sessions"], elapsed, (elapsed > 0 ? v["seeds"] / elapsed : 0)
    if (v["failures"] > 0) exit 1
  }' "$logs"/job*.log || status=1
[ "$status" -eq 0 ] && rm -rf "$logs" || echo "logs: $logs"
exit "$status"

#!/usr/bin/env bash
# The delta scenario timed with the real binaries over a real shaped link (issue 6):
# `carnet sync` from process start to exit, TCP connect and authentication included, from
# a farm in one network namespace to the hub's `carnet serve` in another, over a veth pair
# shaped by netem (64 kbit/s each way, 300 ms each way = 600 ms RTT).
#
#   tools/bench-delta-netem.sh [RUNS] [RATE] [DELAY]     (defaults 5 64kbit 300ms; needs root)
#
# The equivalent link through Carnet's own simulator (no root needed) is the "delta rural"
# line of `carnet-bench`; the two are compared in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}; RATE=${2:-64kbit}; DELAY=${3:-300ms}
WORK=$(mktemp -d /tmp/carnet-netem.XXXXXX)
A=carnet-hub-$$; B=carnet-farm-$$
cleanup() {
    pkill -f "carnet --dir $WORK" 2>/dev/null || true
    ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
swift build -c release --product carnet >/dev/null
CARNET=$(swift build -c release --show-bin-path)/carnet
swift run -c release --package-path tools/bench carnet-bench --scale 100k --runs "$RUNS" --prepare-delta "$WORK"

if ! tc qdisc add dev lo root netem delay 0ms 2>/dev/null && ! (modprobe sch_netem 2>/dev/null && tc qdisc add dev lo root netem delay 0ms 2>/dev/null); then
    echo "this kernel has no netem qdisc (sch_netem); use the simulator figure instead:" >&2
    echo "  swift run -c release --package-path tools/bench carnet-bench --scale 100k  (line 'delta binary')" >&2
    exit 3
fi
tc qdisc del dev lo root 2>/dev/null || true
ip netns add "$A"; ip netns add "$B"
ip link add vhub type veth peer name vfarm
ip link set vhub netns "$A"; ip link set vfarm netns "$B"
ip -n "$A" addr add 10.77.0.1/24 dev vhub; ip -n "$B" addr add 10.77.0.2/24 dev vfarm
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set vhub up; ip -n "$B" link set vfarm up
ip netns exec "$A" tc qdisc add dev vhub root netem delay "$DELAY" rate "$RATE"
ip netns exec "$B" tc qdisc add dev vfarm root netem delay "$DELAY" rate "$RATE"
echo "link: $RATE each way, $DELAY each way (netem on a veth pair between two namespaces)"

times=()
for run in $(seq 1 "$RUNS"); do
    dir="$WORK/run-$run"
    ip netns exec "$A" "$CARNET" --dir "$dir/hub" serve --listen 10.77.0.1:7420 --interval 3600 >"$WORK/serve.out" 2>"$WORK/serve.err" &
    SERVE=$!
    for _ in $(seq 100); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.05; done
    start=$(date +%s%N)
    ip netns exec "$B" "$CARNET" --dir "$dir/farm" sync 10.77.0.1:7420 --json >"$WORK/sync-$run.json"
    end=$(date +%s%N)
    kill -TERM "$SERVE"; wait "$SERVE" || true
    t=$(awk "BEGIN { printf \"%.3f\", ($end - $start) / 1e9 }")
    bytes=$(python3 -c "import json,sys; d=json.load(open('$WORK/sync-$run.json')); print(d['sent']['bytes']+d['received']['bytes'], d['sent']['newEvents'], d['roundTrips'])")
    echo "run $run: ${t} s from process start to exit; bytes, new events sent, round trips: $bytes"
    times+=("$t")
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median %.2f s (min %.2f, max %.2f) over %d runs\n", a[int((NR+1)/2)], a[1], a[NR], NR}'

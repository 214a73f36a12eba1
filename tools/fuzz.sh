#!/usr/bin/env bash
# The codec fuzzers of RELIABILITY.md T4, with libFuzzer and AddressSanitizer.
#
#   tools/fuzz.sh smoke                    20 s of the frame reader (CI); exit 1 on any finding
#   tools/fuzz.sh soak [SECONDS] [TARGET]  each target (default: all) for SECONDS (default
#                                          1800), with a table of execs, coverage, corpus,
#                                          crashes, timeouts and OOMs per target
#   tools/fuzz.sh merge                    minimize Tests/Fixtures/fuzz/*/corpus (libFuzzer's
#                                          -set_cover_merge=1), taking in what the runs found
#   tools/fuzz.sh build                    only build tools/fuzz
#
# Targets: frame session session-signed codec store bundle (see tools/fuzz/Sources/CarnetFuzzTargets).
# Each run starts from Tests/Fixtures/fuzz/<target>/corpus (read only) plus its working
# corpus in tools/fuzz/.work/<target>/corpus (where new inputs go; `merge` folds them
# in). Every crash, timeout or OOM is copied to Tests/Fixtures/fuzz/<target>/crashers/,
# kept forever and replayed by `swift test` (CarnetFuzzReplayTests). A run that stops on a
# finding is restarted for the rest of its time, so the counts cover the whole duration.
#
# Limits on every run: -rss_limit_mb=1024 -malloc_limit_mb=64 -timeout=10 (no input may
# allocate more than 64 MB at once or run longer than 10 s). The timeout is wall-clock
# time: at 1 s, a fuzzer starved of CPU by builds on a 2-core machine reported inputs that
# take 90 ms as timeouts.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
targets_all=(frame session session-signed codec store bundle)
work=$root/tools/fuzz/.work
bin_dir=$root/tools/fuzz/.build/release
limits=(-rss_limit_mb=1024 -malloc_limit_mb=64 -timeout=10)
# Swift's own crash handler would swallow the crash libFuzzer must see. A short malloc
# stack in ASan reports costs little in detail and saves a third of the time per input.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=8}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tools/lsan-suppressions.txt}

build() {
  # Both forms of the sanitizer flag are needed: --sanitize links libFuzzer's main and
  # runtime, -Xswiftc instruments our code for coverage (without it libFuzzer runs blind).
  swift build -c release --package-path tools/fuzz --sanitize=fuzzer --sanitize=address \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
}

# run TARGET SECONDS: fuzzes one target; prints one summary line; returns 1 on any finding.
run() {
  local target=$1 seconds=$2
  local dir=$work/$target
  mkdir -p "$dir/corpus" "$dir/artifacts" "$dir/logs" "$root/Tests/Fixtures/fuzz/$target/crashers"
  local start=$SECONDS remaining=$seconds execs=0 restarts=0 cov=0 ft=0 corp="" rate=0 log
  local crashes timeouts ooms cpu_before
  crashes=$(count "$dir" crash) timeouts=$(count "$dir" timeout) ooms=$(count "$dir" oom)
  children_cpu >"$dir/cpu-before"
  cpu_before=$(cat "$dir/cpu-before")
  while (( remaining > 0 && restarts < 20 )); do
    log=$dir/logs/run-$(date +%Y%m%d-%H%M%S)-$restarts.log
    "$bin_dir/fuzz-$target" -max_total_time="$remaining" -print_final_stats=1 "${limits[@]}" \
      -artifact_prefix="$dir/artifacts/" "$dir/corpus" "$root/Tests/Fixtures/fuzz/$target/corpus" >"$log" 2>&1 &
    wait $! || true
    sweep
    execs=$(( execs + $(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 | grep . || echo 0) ))
    local done_line
    done_line=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -1 || true)
    if [[ -n $done_line ]]; then
      cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
      ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
      corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$done_line")
    fi
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    remaining=$(( seconds - (SECONDS - start) ))
    grep -qE 'ERROR: libFuzzer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|SUMMARY:' "$log" || break
    grep -E 'Fatal error|ERROR:|SUMMARY:|Test unit written' "$log" | sed "s/^/  $target: /" >&2
    restarts=$(( restarts + 1 ))
  done
  crashes=$(( $(count "$dir" crash) - crashes )) timeouts=$(( $(count "$dir" timeout) - timeouts ))
  ooms=$(( $(count "$dir" oom) - ooms ))
  # Every finding is kept with the fixtures, under its libFuzzer name.
  find "$dir/artifacts" -type f -exec cp -n {} "$root/Tests/Fixtures/fuzz/$target/crashers/" \;
  # On a shared machine exec/s says more about the neighbours than about the target: the
  # CPU seconds the fuzzer really got, and execs per CPU second, say how fast it is.
  local cpu
  children_cpu >"$dir/cpu-after"
  cpu=$(awk -v a="$cpu_before" -v b="$(cat "$dir/cpu-after")" 'BEGIN { printf "%.0f", b - a }')
  printf '%-8s %5ss (%ss CPU) %10s execs %6s exec/s %6s exec/CPU-s  cov %5s  ft %6s  corpus %-11s crashes %s  timeouts %s  ooms %s\n' \
    "$target" "$(( SECONDS - start ))" "$cpu" "$execs" "${rate:-?}" "$(( execs / (cpu > 0 ? cpu : 1) ))" "$cov" "$ft" "$corp" \
    "$crashes" "$timeouts" "$ooms"
  (( crashes + timeouts + ooms == 0 ))
}

# sweep: removes the store target's scratch directories (carnet-fuzz-<pid>-*) whose
# process has ended; a fuzzing process keeps its own until it exits, and a merge runs the
# inputs in a child process of its own.
sweep() {
  local dir pid
  for dir in /dev/shm/carnet-fuzz-* /tmp/carnet-fuzz-*; do
    [[ -d $dir ]] || continue
    pid=${dir#*carnet-fuzz-}
    pid=${pid%%-*}
    kill -0 "$pid" 2>/dev/null || rm -rf "$dir"
  done
}

# children_cpu: user + system seconds used so far by this shell's finished children
# (`times` runs in this shell, not in a $(...) subshell, which has no children of its own).
children_cpu() {
  times >"$work/.times"
  tail -1 "$work/.times" | awk '{ t = 0; for (i = 1; i <= NF; i++) { split($i, p, "m"); t += p[1] * 60 + p[2] } printf "%.2f", t }'
}

# count DIR KIND: artifacts of a kind so far (crash counts leaks and deadly signals too).
count() {
  case $2 in
    crash) find "$1/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'deadly*' \) | wc -l ;;
    *) find "$1/artifacts" -type f -name "$2-*" | wc -l ;;
  esac
}

merge() {
  for target in "${targets_all[@]}"; do
    local corpus=$root/Tests/Fixtures/fuzz/$target/corpus merged=$work/$target/merged
    mkdir -p "$corpus" "$work/$target/corpus"
    rm -rf "$merged" && mkdir -p "$merged"
    # -set_cover_merge=1 (-merge=1 choosing the inputs that cover most first) and
    # -use_counters=0 (features are edges reached, not hit-count buckets of every edge)
    # keep each corpus to a few hundred files.
    "$bin_dir/fuzz-$target" -set_cover_merge=1 -use_counters=0 "${limits[@]}" "$merged" "$corpus" "$work/$target/corpus" \
      >"$work/$target/merge.log" 2>&1 &
    local status=0
    wait $! || status=$?
    sweep
    (( status == 0 )) || { echo "merge of $target failed; see $work/$target/merge.log" >&2; return 1; }
    find "$corpus" -type f -delete
    cp "$merged"/* "$corpus"/ 2>/dev/null || true
    rm -rf "$merged" "$work/$target/corpus" && mkdir -p "$work/$target/corpus"
    printf '%-8s %4s files %8s bytes\n' "$target" "$(find "$corpus" -type f | wc -l)" "$(du -sb "$corpus" | cut -f1)"
  done
}

command=${1:-}
case $command in
  build) build ;;
  smoke)
    build
    echo "== 20 s libFuzzer smoke run of the frame reader"
    run frame 20
    ;;
  soak)
    seconds=${2:-1800}
    shift $(( $# < 2 ? $# : 2 ))
    if (( $# )); then selected=("$@"); else selected=("${targets_all[@]}"); fi
    build
    status=0
    for target in "${selected[@]}"; do
      run "$target" "$seconds" || status=1
    done
    exit $status
    ;;
  merge) build && merge ;;
  *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 64 ;;
esac

#!/usr/bin/env bash
# Runs the whole test suite under AddressSanitizer and ThreadSanitizer, each in its own
# build folder (a first build takes several minutes on two cores).
#
#   tools/check-sanitizers.sh [address|thread]...     (default: both)
#
# The XCTest runner leaks by itself, so the ASan run uses Swift Testing only; leaks inside
# the toolchain's own libraries are listed in tools/lsan-suppressions.txt. The clock tests
# are skipped: they run carnet under libfaketime, whose interposed clock calls hang a
# sanitizer runtime's start (a TSan-built `carnet init` under `faketime` never got going).
set -euo pipefail
cd "$(dirname "$0")/.."
for sanitizer in "${@:-address thread}"; do
  for kind in $sanitizer; do
    echo "== $kind sanitizer"
    case $kind in
      address) LSAN_OPTIONS="suppressions=$PWD/tools/lsan-suppressions.txt" \
                 swift test --sanitize=address --scratch-path .build-asan --disable-xctest --skip ClockFaultTests ;;
      thread) swift test --sanitize=thread --scratch-path .build-tsan --skip ClockFaultTests ;;
      *) echo "unknown sanitizer $kind (address or thread)" >&2; exit 64 ;;
    esac
  done
done

#!/usr/bin/env bash
# Long fuzz runs on demand (docs/fuzzing.md "Record"): builds the libFuzzer
# targets (clang, build-fuzz) and runs each for SECONDS (default 3600) from
# its seed corpus, keeping the grown corpus and any crash outside the tree.
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (default: every fuzz_* target)
# env: FUZZ_WORK (default /var/tmp/shadowcast-fuzz), FUZZ_NICE (default 0)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-3600}
shift || true
work=${FUZZ_WORK:-/var/tmp/shadowcast-fuzz}
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSC_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzzers >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^add_executable(\(fuzz_[a-z_]*\).*/\1/p' fuzz/CMakeLists.txt)
fi
mkdir -p "$work"
printf '| target | seconds | runs | coverage | corpus | crashes |\n|---|---|---|---|---|---|\n'
failed=0
for t in "${targets[@]}"; do
  name=${t#fuzz_}
  corpus=$work/corpus-$name art=$work/crashes-$name/
  mkdir -p "$corpus" "$art"
  seed=fuzz/corpus/$name
  log=$work/$t.log
  rc=0
  nice -n "${FUZZ_NICE:-0}" "build-fuzz/$t" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 \
    -artifact_prefix="$art" -print_final_stats=1 "$corpus" $( [ -d "$seed" ] && echo "$seed" ) >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  crashes=$(find "$art" -type f | wc -l)
  [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ] && failed=1
  printf '| %s | %s | %s | %s | %s | %s |\n' "$t" "$secs" "${runs:-?}" "${cov:-?}" "$(ls "$corpus" | wc -l)" \
    "$crashes$( [ "$rc" -ne 0 ] && echo " (exit $rc, $log)" )"
done
exit $failed

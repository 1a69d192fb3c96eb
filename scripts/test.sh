#!/usr/bin/env bash
# The test command: installs dependencies (Debian packages), builds the normal,
# ASan+UBSan and TSan flavours and the fuzzers, and runs every test. In CI
# (CI=true) or with SC_TRIXIE_STAGE=1 also the Debian 13 stage: a fresh trixie
# root (scripts/trixie-root.sh), prepared in the background while this
# machine's stages run, then the build and the non-browser tests inside it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
t_start=$(date +%s)
stage() { # "== [elapsed] what": the CI log says what each stage cost
  local t=$(( $(date +%s) - t_start ))
  printf '== [%d:%02d] %s\n' $((t / 60)) $((t % 60)) "$*"
}

scripts/install-deps.sh
export SHADOWCAST_ARTIFACTS=${SHADOWCAST_ARTIFACTS:-$root/test-artifacts}
mkdir -p "$SHADOWCAST_ARTIFACTS"

trixie_pid=""
trixie_root=""
bg_build_pid=""
# whatever happens below, no background build and no Debian 13 root (its
# mounts and files) outlives the run
cleanup() {
  if [ -n "$bg_build_pid" ]; then kill -- -"$bg_build_pid" 2>/dev/null || true; wait "$bg_build_pid" 2>/dev/null || true; fi
  if [ -n "$trixie_pid" ]; then kill "$trixie_pid" 2>/dev/null || true; wait "$trixie_pid" 2>/dev/null || true; fi
  if [ -n "$trixie_root" ]; then
    scripts/trixie-root.sh clean "$trixie_root" >/dev/null 2>&1 || echo "could not clean $trixie_root" >&2
  fi
}
trap cleanup EXIT
if [ "${CI:-}" = true ] || [ "${SC_TRIXIE_STAGE:-}" = 1 ]; then
  trixie_root=${SC_TRIXIE_ROOT:-/var/tmp/shadowcast-trixie.$$}
  trixie_log=$SHADOWCAST_ARTIFACTS/trixie-prepare.log
  stage "Debian 13 root: preparing $trixie_root in the background (log: $trixie_log)"
  trixie_t0=$(date +%s)
  # below the tests' priority: it has the whole run to finish
  # and its release build, at nice 19 (the root is ready about halfway
  # through the run; the build then takes what the ASan stage leaves idle)
  nice -n 10 scripts/trixie-root.sh prepare-build "$trixie_root" >"$trixie_log" 2>&1 &
  trixie_pid=$!
else
  stage "Debian 13 stage: not run here (CI=true or SC_TRIXIE_STAGE=1 runs it; docs/debian-releases.md)"
fi
stage "npm: e2e/browser test dependencies (ws, playwright-core) in tests/e2e"
(cd tests/e2e && npm ci --no-audit --no-fund)
jobs=$(nproc)
# release tests per core: most session tests wait on ticks, sockets and
# restarts far more than they compute (a 30 s one takes 3..9 s of CPU), so
# one per core leaves the cores idle much of the time. Two per core: the
# release stage ran in 547 s against 781 s, its two cores 64 % busy. Not the
# ASan stage: there a process takes 2-3 times the CPU; at three tests per two
# cores its GPU tests took 650 s against 607-625 s at one per core.
test_jobs=$((jobs * 2))

# While one flavour's tests run, the next flavours build in the background at
# the lowest priority: the tests wait on servers and sockets much of the time,
# and the compiler takes only the cores they leave idle (nice 19 gets ~1.5 % of
# a core the tests want). Each background build logs to the artifacts folder.
bg_build_log=""
bg_build() { # NAME COMMANDS: runs COMMANDS (a bash string) in the background, logged
  bg_build_log=$SHADOWCAST_ARTIFACTS/build-$1.log
  stage "build in the background: $2 (log: $bg_build_log)"
  # its own session, so that the EXIT trap can stop the compilers too
  jobs=$jobs setsid nice -n 19 bash -euo pipefail -c "$2" >"$bg_build_log" 2>&1 &
  bg_build_pid=$!
}
bg_build_wait() {
  local pid=$bg_build_pid
  bg_build_pid=""
  if ! wait "$pid"; then
    tail -60 "$bg_build_log" >&2
    echo "== FAILED: background build (log: $bg_build_log)" >&2
    exit 1
  fi
}
# the fuzzers: only the fuzz targets (nothing else runs in that build)
build_fuzz='CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSC_FUZZ=ON >/dev/null
  cmake --build build-fuzz -j"$jobs" --target fuzzers'

stage "build: release"
scripts/build.sh build
bg_build asan "scripts/build.sh build-asan -DSC_SANITIZE=address"
stage "test: release"
ctest --test-dir build --output-on-failure -j"$test_jobs" --timeout 600

stage "build: ASan+UBSan (waiting for the background build)"
bg_build_wait
bg_build tsan-fuzz "scripts/build.sh build-tsan -DSC_SANITIZE=thread && $build_fuzz"
stage "test: ASan+UBSan (everything but the browser tests)"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0
# a 32 MiB quarantine (default 256): lavapipe's shader compiler (LLVM) churns
# through memory at every Vulkan process's start, and a large quarantine makes
# each of those allocations touch a fresh page (2.4 s against 1.5 s for one
# GPU test's process); a use after free is still found within the last 32 MiB
# freed.
asan_quarantine=quarantine_size_mb=32
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:$asan_quarantine \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 900 -LE 'browser|gpu'
# Vulkan processes: lavapipe's JIT modules are unloaded at exit, so LeakSanitizer
# can neither attribute nor suppress their allocations; memory errors still abort.
# Label release-only (the 20 encoder kills of server_msg_blocks_kill and the 2
# of server_msg_rings_kill, 3 x 3,000 ticks of gpu_determinism, the GPU
# bundle's shell script) ran in the release stage; shorter tests run the same
# code here (CI time: the budget for the whole run is 25 minutes on 2 cores).
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:$asan_quarantine \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 900 -L gpu -LE 'browser|release-only'

stage "build: TSan and the libFuzzer targets (waiting for the background build)"
bg_build_wait
stage "test: TSan (shared-memory tests, the encoder process's threads)"
# lavapipe's threads race among themselves (tests/tsan.supp): suppressed there only
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp \
  ctest --test-dir build-tsan --output-on-failure -j"$jobs" --timeout 900 -L 'shm|tsan'

stage "smoke: libFuzzer targets"
ctest --test-dir build-fuzz --output-on-failure -j"$jobs" -L fuzz

if [ -n "$trixie_pid" ]; then
  stage "Debian 13 root: waiting for its preparation (debootstrap, install-deps.sh and the release build inside)"
  if ! wait "$trixie_pid"; then
    trixie_pid=""
    tail -40 "$trixie_log" >&2
    echo "== FAILED: the Debian 13 root could not be prepared (log: $trixie_log)" >&2
    exit 1
  fi
  trixie_pid=""
  stage "Debian 13 root ready after $(( $(date +%s) - trixie_t0 )) s (in the background)"
  trixie_t1=$(date +%s)
  stage "build + test: Debian 13 (trixie) root: release build (what changed), unit and GPU tests (golden match included), three run tests"
  scripts/trixie-root.sh test "$trixie_root"
  stage "Debian 13 stage: $(( $(date +%s) - trixie_t1 )) s after this machine's stages"
fi

stage "all tests passed"

#!/usr/bin/env bash
# The test command: installs dependencies (Debian packages), builds the normal,
# ASan+UBSan and TSan flavours and the fuzzers, and runs every test. In CI
# (CI=true) or with SC_TRIXIE_STAGE=1 also the Debian 13 stage: a fresh trixie
# root (scripts/trixie-root.sh), prepared in the background while this
# machine's stages run, then the build and the non-browser tests inside it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh
export SHADOWCAST_ARTIFACTS=${SHADOWCAST_ARTIFACTS:-$root/test-artifacts}
mkdir -p "$SHADOWCAST_ARTIFACTS"

trixie_pid=""
trixie_root=""
if [ "${CI:-}" = true ] || [ "${SC_TRIXIE_STAGE:-}" = 1 ]; then
  trixie_root=${SC_TRIXIE_ROOT:-/var/tmp/shadowcast-trixie.$$}
  trixie_log=$SHADOWCAST_ARTIFACTS/trixie-prepare.log
  echo "== Debian 13 root: preparing $trixie_root in the background (log: $trixie_log)"
  trixie_t0=$(date +%s)
  scripts/trixie-root.sh prepare "$trixie_root" >"$trixie_log" 2>&1 &
  trixie_pid=$!
  # whatever happens below, the root's mounts and files do not outlive the run
  trap 'if [ -n "$trixie_pid" ]; then kill "$trixie_pid" 2>/dev/null || true; wait "$trixie_pid" 2>/dev/null || true; fi
        scripts/trixie-root.sh clean "$trixie_root" >/dev/null 2>&1 || echo "could not clean $trixie_root" >&2' EXIT
else
  echo "== Debian 13 stage: not run here (CI=true or SC_TRIXIE_STAGE=1 runs it; docs/debian-releases.md)"
fi
echo "== npm: e2e/browser test dependencies (ws, playwright-core) in tests/e2e"
(cd tests/e2e && npm ci --no-audit --no-fund)
jobs=$(nproc)

echo "== build: release"
scripts/build.sh build
echo "== test: release"
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 600

echo "== build: ASan+UBSan"
scripts/build.sh build-asan -DSC_SANITIZE=address
echo "== test: ASan+UBSan (everything but the browser tests)"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 900 -LE 'browser|gpu'
# Vulkan processes: lavapipe's JIT modules are unloaded at exit, so LeakSanitizer
# can neither attribute nor suppress their allocations; memory errors still abort.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 900 -L gpu -LE browser

echo "== build: TSan"
scripts/build.sh build-tsan -DSC_SANITIZE=thread
echo "== test: TSan (shared-memory tests, the encoder process's threads)"
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --test-dir build-tsan --output-on-failure -j"$jobs" --timeout 900 -L 'shm|tsan'

echo "== build + smoke: libFuzzer targets"
CC=clang scripts/build.sh build-fuzz -DSC_FUZZ=ON
ctest --test-dir build-fuzz --output-on-failure -j"$jobs" -L fuzz

if [ -n "$trixie_pid" ]; then
  echo "== Debian 13 root: waiting for its preparation (debootstrap, install-deps.sh inside)"
  if ! wait "$trixie_pid"; then
    trixie_pid=""
    tail -40 "$trixie_log" >&2
    echo "== FAILED: the Debian 13 root could not be prepared (log: $trixie_log)" >&2
    exit 1
  fi
  trixie_pid=""
  echo "== Debian 13 root ready after $(( $(date +%s) - trixie_t0 )) s (in the background)"
  trixie_t1=$(date +%s)
  echo "== build + test: Debian 13 (trixie) root: release build, unit and GPU tests (golden match included), three run tests"
  scripts/trixie-root.sh test "$trixie_root"
  echo "== Debian 13 stage: $(( $(date +%s) - trixie_t1 )) s after this machine's stages"
fi

echo "== all tests passed"

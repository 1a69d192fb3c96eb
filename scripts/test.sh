#!/usr/bin/env bash
# The test command: installs dependencies (Debian packages), builds the normal,
# ASan+UBSan and TSan flavours and the fuzzers, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh
echo "== npm: e2e/browser test dependencies (ws, playwright-core) in tests/e2e"
(cd tests/e2e && npm ci --no-audit --no-fund)
export SHADOWCAST_ARTIFACTS=${SHADOWCAST_ARTIFACTS:-$root/test-artifacts}
mkdir -p "$SHADOWCAST_ARTIFACTS"
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
ctest --test-dir build-fuzz --output-on-failure -L fuzz

echo "== all tests passed"

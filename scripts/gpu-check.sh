#!/usr/bin/env bash
# The hardware check (docs/benchmarks.md "GPU check"): every step of
# scripts/gpu_check.py on the first GPU Vulkan device found, against Mesa's
# lavapipe on the same machine; one JSON report as the last line of stdout.
# usage: scripts/gpu-check.sh [--quick] [--out DIR] [--bin PATH/TO/shadowcast]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x build/shadowcast ] && [[ " $* " != *" --bin "* ]]; then
  echo "gpu-check: build/shadowcast is missing: scripts/build.sh build first" >&2
  exit 2
fi
exec python3 scripts/gpu_check.py "$@"

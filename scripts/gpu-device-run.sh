#!/usr/bin/env bash
# On a lent GPU machine (bare, no package registry): the hardware check with
# the bundle scripts/gpu-bundle.sh made here (docs/benchmarks.md "On a lent
# device"). Unpacks the bundle's libraries into /tmp (Python's tarfile: no xz
# binary needed), gives them to the binaries only (LD_LIBRARY_PATH is never
# set for python3 itself), and runs scripts/gpu_check.py with the bundled
# shadowcast; its report goes to $OUT/gpu-check when $OUT is set.
# usage: scripts/gpu-device-run.sh [gpu_check.py options: --quick, --reference golden, ...]
#        SC_BUNDLE=DIR (default .gpu-bundle)
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=${SC_BUNDLE:-.gpu-bundle}
if [ ! -x "$bundle/bin/shadowcast" ]; then
  echo "gpu-device-run: $bundle/bin/shadowcast is missing: run scripts/gpu-bundle.sh where shadowcast was built" >&2
  exit 2
fi
lib=$bundle/lib
if [ ! -d "$lib" ]; then
  if [ ! -f "$bundle/lib.tar.xz" ]; then
    echo "gpu-device-run: $bundle has neither lib/ nor lib.tar.xz" >&2
    exit 2
  fi
  unpack=$(mktemp -d /tmp/sc-gpu-bundle.XXXXXX)
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$bundle/lib.tar.xz" "$unpack"
  lib=$unpack/lib
fi
# the player page from the working tree (the device gets it with the bundle)
export SHADOWCAST_WEB_ROOT=${SHADOWCAST_WEB_ROOT:-$PWD/web}
out=()
if [ -n "${OUT:-}" ]; then out=(--out "$OUT/gpu-check"); fi
echo "gpu-device-run: $(ls "$lib" | wc -l) bundled libraries in $lib; python3 $(python3 -c 'import platform; print(platform.python_version())'), $(ldd --version | head -1)" >&2
exec python3 scripts/gpu_check.py --bin "$bundle/bin/shadowcast" --lib "$lib" "${out[@]}" "$@"

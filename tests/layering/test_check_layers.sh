#!/usr/bin/env bash
# scripts/check-layers.sh: the project's tree follows the layering rule, and
# the check does fail on a tree that breaks it (an include upwards, a folder
# with C sources and no rule), naming the file and line.
set -euo pipefail
check=$1
src=$2
bash "$check" "$src"

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/net/shm" "$t/gpu" "$t/util"
printf '#include "util/log.h"\n' > "$t/net/shm/ok.h"
printf '/* x */\n#include "net/shm/ok.h"\n#include "gpu/game.h"\n' > "$t/net/shm/up.h"
printf '#include "net/shm/ok.h"\n' > "$t/gpu/fine.c"
if out=$(bash "$check" "$t"); then
  echo "FAIL: net/ including gpu/ passed the check: $out"; exit 1
fi
grep -qx 'net/shm/up.h:3: net/ includes "gpu/" (allowed: net util)' <<<"$out" ||
  { echo "FAIL: the violation is not named with file and line: $out"; exit 1; }
[ "$(grep -c includes <<<"$out")" = 1 ] || { echo "FAIL: allowed includes reported: $out"; exit 1; }

rm "$t/net/shm/up.h"
mkdir -p "$t/audio" && printf 'int x;\n' > "$t/audio/a.c"
if out=$(bash "$check" "$t"); then
  echo "FAIL: a folder without a layer rule passed: $out"; exit 1
fi
grep -q 'audio/ has C sources but no layer rule' <<<"$out" || { echo "FAIL: $out"; exit 1; }
echo ok

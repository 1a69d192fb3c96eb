#!/usr/bin/env bash
# The layering rule, checked on every #include "folder/..." of the project's
# C sources (docs/architecture.md "Layers"). A folder may include itself and
# the folders listed for it, nothing else:
#
#   server/   the processes, CLI, config, debug API      (top: anything below)
#   bench/    `shadowcast bench NAME`                    (beside server/)
#   shadow/   the shadow instance, captures, stepping
#   session/  one session's shared-memory contracts and the children's attach
#   gpu/      Vulkan: the game, frames, devices
#   net/      shared memory, the WebSocket edge, the encoder (bottom)
#   util/     logging, parsing, JSON and HTTP helpers     (below everything)
#
# tests/ and fuzz/ may include anything. Prints each violation as
# FILE:LINE: FOLDER includes "X" and exits 1 if there is one. The tree checked
# is the project's, or the one given as the first argument (its self-test).
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

declare -A allowed=(
  [util]="util"
  [net]="net util"
  [gpu]="gpu net util shaders"
  [session]="session gpu net util"
  [shadow]="shadow session gpu net util"
  [bench]="bench session gpu net util"
  [server]="server bench shadow session gpu net util"
)

bad=0
for layer in "${!allowed[@]}"; do
  [ -d "$layer" ] || continue
  while IFS=: read -r file line text; do
    # bash's own regex: a sed per include took seconds on the whole tree
    [[ $text =~ \"([a-z_]+)/ ]] && inc=${BASH_REMATCH[1]}
    if [[ " ${allowed[$layer]} " != *" $inc "* ]]; then
      echo "$file:$line: $layer/ includes \"$inc/\" (allowed: ${allowed[$layer]})"
      bad=1
    fi
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include "[a-z_]+/' --include='*.c' --include='*.h' "$layer" || true)
done
# a project folder this script does not know is a folder nobody placed
for d in */; do
  d=${d%/}
  case $d in build*|docs|scripts|tests|fuzz|web|shaders|test-artifacts) continue ;; esac
  if ! find "$d" -name '*.[ch]' -print -quit | grep -q . ; then continue; fi
  [[ -n "${allowed[$d]+x}" ]] || { echo "check-layers: $d/ has C sources but no layer rule"; bad=1; }
done
[ $bad = 0 ] && echo "check-layers: every include follows the layering rule"
exit $bad

#!/usr/bin/env bash
# Installs dependencies, builds, and runs shadowcast with the given arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
exec build/shadowcast "${@:-run}"

#!/usr/bin/env bash
# Installs every build, run and test dependency from Debian packages (Debian 12
# "bookworm" and Debian 13 "trixie"; docs/debian-releases.md).
# Idempotent: packages already present are skipped. Needs root (or sudo).
set -euo pipefail

# Usage: install-deps.sh [--all|--build|--runtime] [--list]
#   --all      (default) build, run and test: what scripts/test.sh needs
#   --build    what `scripts/build.sh` + `cmake --install` need (packaging/container)
#   --runtime  what the installed binary needs to run (the container's final stage)
#   --list     print the chosen packages, one a line, and install nothing
mode=all
list=0
for a in "$@"; do
  case "$a" in
    --all) mode=all ;;
    --build) mode=build ;;
    --runtime) mode=runtime ;;
    --list) list=1 ;;
    *) echo "usage: $0 [--all|--build|--runtime] [--list]" >&2; exit 2 ;;
  esac
done

BUILD_PKGS=(
  build-essential cmake pkg-config git ca-certificates
  libvulkan-dev glslang-tools spirv-tools
  libpng-dev
  libavcodec-dev libavutil-dev libva-dev libx264-dev
  libopus-dev
  libwebsockets-dev
  liburing-dev
  libcurl4-openssl-dev libjansson-dev
  python3
  libarchive-dev
)
# the shared libraries `shadowcast` links (tests/packaging checks this list
# against the built binary) and lavapipe, the Vulkan driver without a GPU.
# Their package names carry sonames, which differ between releases; --all
# takes only the versionless ones (the -dev packages pull the rest)
RUNTIME_VERSIONLESS=(ca-certificates libvulkan1 mesa-vulkan-drivers libva2 libva-drm2 libopus0 libjansson4 liburing2)
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
case "$codename" in
  bookworm) RUNTIME_PKGS=("${RUNTIME_VERSIONLESS[@]}" libpng16-16 libavcodec59 libavutil57 libwebsockets17
                          libcurl4 libarchive13) ;;
  trixie) RUNTIME_PKGS=("${RUNTIME_VERSIONLESS[@]}" libpng16-16t64 libavcodec61 libavutil59 libwebsockets19t64
                        libcurl4t64 libarchive13t64) ;;
  *) RUNTIME_PKGS=() ;; # refused below for --runtime: the sonames of another release are not known here
esac
TEST_PKGS=(
  vulkan-tools openssl
  clang libclang-rt-dev # versionless: the runtimes of the release's default clang (14 on 12, 19 on 13)
  chromium
  procps iproute2
  systemd  # systemd-analyze verify of packaging/systemd (tests/packaging)
  debootstrap # the test command's Debian 13 stage (CI)
  prometheus  # a real Prometheus scrapes two servers (server_prometheus_scrape)
  python3-prometheus-client # its strict OpenMetrics parser reads /metrics (server_profile_metrics)
)
if [ "$mode" = runtime ] && [ ${#RUNTIME_PKGS[@]} -eq 0 ]; then
  echo "install-deps: --runtime knows Debian 12 (bookworm) and 13 (trixie), not '${codename:-unknown}'" >&2
  exit 2
fi
case "$mode" in
  all) PKGS=("${BUILD_PKGS[@]}" "${RUNTIME_VERSIONLESS[@]}" "${TEST_PKGS[@]}") ;;
  build) PKGS=("${BUILD_PKGS[@]}") ;;
  runtime) PKGS=("${RUNTIME_PKGS[@]}") ;;
esac
if [ "$mode" = all ]; then
  # Node.js: any node >= 18 on PATH will do (Debian's nodejs + npm otherwise).
  command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
  command -v npm >/dev/null 2>&1 || PKGS+=(npm)
fi
if [ "$list" = 1 ]; then
  printf '%s\n' "${PKGS[@]}"
  exit 0
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

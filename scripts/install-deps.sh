#!/usr/bin/env bash
# Installs every build, run and test dependency from Debian packages (Debian 12
# "bookworm" and Debian 13 "trixie"; docs/debian-releases.md).
# Idempotent: packages already present are skipped. Needs root (or sudo).
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git ca-certificates
  libvulkan-dev mesa-vulkan-drivers vulkan-tools glslang-tools spirv-tools
  libpng-dev
  libavcodec-dev libavutil-dev libva-dev libx264-dev
  libopus-dev
  libwebsockets-dev
  libcurl4-openssl-dev libjansson-dev openssl
  clang libclang-rt-dev # versionless: the runtimes of the release's default clang (14 on 12, 19 on 13)
  chromium
  procps iproute2 python3
  libarchive-dev
  debootstrap # the test command's Debian 13 stage (CI)
)
# Node.js: any node >= 18 on PATH will do (Debian's nodejs + npm otherwise).
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)

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

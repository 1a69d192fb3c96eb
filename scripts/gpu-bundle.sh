#!/usr/bin/env bash
# Packs what the hardware check needs on a bare GPU machine that has no
# package registry (docs/benchmarks.md "GPU check", "On a lent device"):
# the built binaries and every shared library they load except glibc's own,
# as found by ldd here (Debian 12), so that the device needs only a glibc at
# least as new (2.36), python3 and its GPU driver's Vulkan ICD.
#   DIR/bin/         shadowcast, h264_decode_stream
#   DIR/lib/         the libraries (with --no-archive)
#   DIR/lib.tar.xz   the same, compressed (default): the device's carry limit
#                    is 64 MiB with the working tree; they are ~155 MB plain
# usage: scripts/gpu-bundle.sh [--no-archive] [--build DIR] [OUT]   (OUT: .gpu-bundle)
set -euo pipefail
cd "$(dirname "$0")/.."
archive=1
build=build
out=.gpu-bundle
while [ $# -gt 0 ]; do
  case "$1" in
    --no-archive) archive=0 ;;
    --build) build=$2; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    -*) echo "gpu-bundle: unknown option $1" >&2; exit 2 ;;
    *) out=$1 ;;
  esac
  shift
done
bins=("$build/shadowcast" "$build/h264_decode_stream")
for b in "${bins[@]}"; do
  if [ ! -x "$b" ]; then
    echo "gpu-bundle: $b is missing: scripts/build.sh $build first" >&2
    exit 2
  fi
done
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib"
cp "${bins[@]}" "$out/bin/"
# glibc's libraries stay the device's own: mixing another glibc's is unsafe
glibc='^(libc|libm|libpthread|libdl|librt|libresolv|libutil|libanl|ld-linux-x86-64)\.so'
n=0
while read -r name path; do
  [[ "$name" =~ $glibc ]] && continue
  if [ ! -e "$path" ]; then
    echo "gpu-bundle: $name is not found here (ldd: $path)" >&2
    exit 1
  fi
  cp -L "$path" "$out/lib/$name"
  n=$((n + 1))
done < <(ldd "${bins[@]}" | awk '$2 == "=>" { print $1, $3 }' | sort -u)
plain=$(du -sb "$out/lib" | cut -f1)
if [ "$archive" = 1 ]; then
  tar -C "$out" -cf - lib | xz -T0 -6 > "$out/lib.tar.xz"
  rm -rf "$out/lib"
  echo "gpu-bundle: $out: 2 binaries, $n libraries ($((plain / 1048576)) MiB plain, $(( $(stat -c %s "$out/lib.tar.xz") / 1048576 )) MiB in lib.tar.xz)"
else
  echo "gpu-bundle: $out: 2 binaries, $n libraries ($((plain / 1048576)) MiB in lib/)"
fi

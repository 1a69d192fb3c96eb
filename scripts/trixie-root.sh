#!/usr/bin/env bash
# The Debian 13 ("trixie") stage of the test command, in a fresh minbase root
# (docs/debian-releases.md):
#   trixie-root.sh prepare DIR   debootstrap DIR, this machine's CA
#                                certificates, npm and apt configuration
#                                copied in, the source tree copied to DIR/src,
#                                scripts/install-deps.sh run inside it
#   trixie-root.sh prepare-build DIR
#                                prepare, then the release build inside DIR at
#                                the lowest priority (the test command runs
#                                this in the background while this machine's
#                                stages run)
#   trixie-root.sh test DIR      inside DIR (chroot): the release build (only
#                                what changed, after prepare-build), the unit
#                                and GPU tests (the golden determinism check
#                                among them), three `run` e2e tests
#   trixie-root.sh clean DIR     unmounts and removes DIR
# Every step is bounded by `timeout`; any failure exits non-zero with the
# step's name (never a silent skip). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
what=${1:?usage: trixie-root.sh prepare|prepare-build|test|clean DIR}
root=${2:?usage: trixie-root.sh prepare|prepare-build|test|clean DIR}
mirror=${SC_DEBIAN_MIRROR:-http://deb.debian.org/debian}

trap 'exit 143' TERM INT # so that the EXIT trap unmounts
die() { echo "trixie-root: FAILED: $*" >&2; exit 1; }
stamp() { echo "trixie-root: $(date -u +%T) $*"; }
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mount)"

mounted() { grep -q " $1 " /proc/self/mounts; }
unmount_all() {
	for m in dev/shm dev sys proc; do
		if mounted "$root/$m"; then umount "$root/$m" || umount -l "$root/$m"; fi
	done
}

mount_all() {
	mounted "$root/proc" || mount -t proc proc "$root/proc"
	mounted "$root/sys" || mount --bind /sys "$root/sys"
	mounted "$root/dev" || mount --bind /dev "$root/dev"
	# its own /dev/shm: the session blocks of the tests inside stay inside
	mounted "$root/dev/shm" || mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
}

# Runs a command in the root with a clean environment (only what CI passes on).
in_root() {
	local limit=$1; shift
	timeout --signal=TERM --kill-after=30 "$limit" chroot "$root" /usr/bin/env -i \
		HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		CI="${CI:-}" DEBIAN_FRONTEND=noninteractive /bin/bash -c "$*"
}

prepare() {
	[ ! -e "$root" ] || die "$root exists: a fresh root is built every time (trixie-root.sh clean $root)"
	command -v debootstrap >/dev/null || die "debootstrap is not installed (scripts/install-deps.sh installs it)"
	mkdir -p "$root"
	stamp "debootstrap --variant=minbase trixie ($mirror)"
	# a stalled mirror must not hang CI: 15 minutes, then fail
	timeout --kill-after=30 900 debootstrap --variant=minbase trixie "$root" "$mirror" \
		>"$root.debootstrap.log" 2>&1 || { tail -20 "$root.debootstrap.log" >&2; die "debootstrap (log: $root.debootstrap.log)"; }
	stamp "copying in CA certificates, npm and apt configuration"
	# how this machine reaches the mirrors and the npm registry: certificates
	# (a proxy's own CA too), npm configuration, apt proxy/settings
	mkdir -p "$root/etc/ssl/certs"
	cp -aL /etc/ssl/certs/. "$root/etc/ssl/certs/" # links resolved: their targets are not in the root
	for f in /root/.npmrc "${HOME:-/root}/.npmrc"; do
		[ -f "$f" ] && cp "$f" "$root/root/.npmrc"
	done
	[ -f /etc/npmrc ] && cp /etc/npmrc "$root/etc/npmrc"
	for f in /etc/apt/apt.conf.d/*proxy* /etc/apt/apt.conf.d/99artifact-registry /etc/apt/apt.conf; do
		[ -f "$f" ] && cp "$f" "$root/etc/apt/apt.conf.d/$(basename "$f")"
	done
	for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
		[ -n "${!v:-}" ] && echo "export $v=${!v}" >>"$root/etc/profile.d/proxy.sh"
	done
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	stamp "copying the source tree to $root/src"
	mkdir -p "$root/src"
	if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$src" ls-files -z --cached --others --exclude-standard |
			(cd "$src" && tar --null -T - -cf - --ignore-failed-read) | tar -C "$root/src" -xf -
	else
		tar -C "$src" --exclude='./build*' --exclude=node_modules --exclude=./test-artifacts -cf - . |
			tar -C "$root/src" -xf -
	fi
	mount_all
	trap unmount_all EXIT
	stamp "scripts/install-deps.sh inside the root (the README's first step, unchanged)"
	in_root 1200 'cd /src && bash scripts/install-deps.sh' || die "install-deps.sh in the trixie root"
	stamp "prepared"
}

build_release() {
	[ -d "$root/src" ] || die "no prepared root at $root (trixie-root.sh prepare $root)"
	mount_all
	trap unmount_all EXIT
	stamp "build: release (inside the root)"
	in_root 1200 'cd /src && scripts/build.sh build' || die "the release build in the trixie root"
}

run_tests() {
	[ -d "$root/src" ] || die "no prepared root at $root (trixie-root.sh prepare $root)"
	mount_all
	trap unmount_all EXIT
	in_root 60 '. /etc/os-release; echo "inside: $PRETTY_NAME; $(dpkg-query -W -f "mesa-vulkan-drivers \${Version}" mesa-vulkan-drivers)"'
	build_release
	stamp "tests: unit + gpu (no browser, no e2e)"
	# the golden determinism check (gpu_golden), the false-hang test
	# (gpu_first_submit), the other GPU and unit tests
	in_root 1200 "cd /src && ctest --test-dir build --output-on-failure -j$(nproc) --timeout 600 \
		${SC_TRIXIE_CTEST_ARGS:--L 'unit|gpu' -LE 'e2e|browser|release-only'}" || die "tests in the trixie root"
	# and `shadowcast run` itself, three of its e2e tests (supervisor and
	# children, libx264 and libwebsockets of this release; a slow first use;
	# a hang through the shadow): the others and the browser tests do not fit
	# the CI budget (docs/debian-releases.md)
	stamp "tests: server_run_supervisor, server_slow_first_submit, shadow_e2e_hang"
	in_root 900 "cd /src && ctest --test-dir build --output-on-failure -j$(nproc) --timeout 300 \
		-R '^(server_run_supervisor|server_slow_first_submit|shadow_e2e_hang)\$'" ||
		die "run tests in the trixie root"
	stamp "passed"
}

case "$what" in
prepare) prepare ;;
prepare-build)
	prepare
	# the compiler takes only what the tests leave idle (as the test
	# command's own background builds)
	renice -n 19 -p $$ >/dev/null
	build_release
	stamp "built" ;;
test) run_tests ;;
clean)
	unmount_all
	for m in proc sys dev/shm dev; do ! mounted "$root/$m" || die "$root/$m is still mounted: not removing $root"; done
	rm -rf "$root" "$root.debootstrap.log" ;;
*) die "unknown step $what (prepare | prepare-build | test | clean)" ;;
esac

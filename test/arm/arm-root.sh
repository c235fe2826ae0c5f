#!/usr/bin/env bash
# Builds (once) and caches an arm64 Debian trixie root with Debian's nodejs in it, for the
# ARM check (test/arm/arm-check.sh). Needs root, debootstrap and qemu-user-static. Foreign
# binaries run through binfmt_misc with qemu-aarch64-static; the root is cached outside the clone
# because a first build takes many minutes under emulation and repeats must be quick.
# Usage: arm-root.sh  → prints the root's path on its last stdout line.
set -euo pipefail

cache=${SV2MINER_ARM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sv2miner-arm}
root="$cache/trixie-arm64"
mirror=${SV2MINER_DEBIAN_MIRROR:-http://deb.debian.org/debian}

log() { printf '[arm-root] %s\n' "$*" >&2; }
[ "$(id -u)" -eq 0 ] || { echo "arm-root.sh: needs root (debootstrap, chroot)" >&2; exit 2; }

need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
[ -x /usr/bin/qemu-aarch64-static ] || need+=(qemu-user-static)
command -v update-binfmts >/dev/null || need+=(binfmt-support)
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# binfmt_misc lets the kernel hand AArch64 ELF files to qemu, so chroot, apt and dpkg's
# maintainer scripts run as they would on the board. A sandbox may not have it mounted yet.
binfmt=/proc/sys/fs/binfmt_misc
[ -e "$binfmt/register" ] || mount -t binfmt_misc binfmt_misc "$binfmt" \
  || { echo "arm-root.sh: cannot mount binfmt_misc; the ARM check needs it to run AArch64 programs" >&2; exit 1; }
[ -e "$binfmt/qemu-aarch64" ] || update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
[ -e "$binfmt/qemu-aarch64" ] \
  || { echo "arm-root.sh: qemu-aarch64 is not registered with binfmt_misc (update-binfmts --enable qemu-aarch64)" >&2; exit 1; }

if [ ! -f "$root/.sv2miner-root-ready" ]; then
  log "building $root (debootstrap trixie arm64 from $mirror; first time only)"
  rm -rf "$root"
  mkdir -p "$cache"
  debootstrap --arch=arm64 --variant=minbase --foreign trixie "$root" "$mirror" >&2
  chroot "$root" /debootstrap/debootstrap --second-stage >&2
  printf 'deb %s trixie main\n' "$mirror" > "$root/etc/apt/sources.list"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # nodejs comes from Debian, as on a board; installing it here once keeps every repeat fast.
  chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
    'apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs file >/dev/null' >&2
  touch "$root/.sv2miner-root-ready"
fi
echo "$root"

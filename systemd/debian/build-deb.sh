#!/usr/bin/env bash
# `npm run package`: builds sv2miner_<version>_<arch>.deb for arm64, armhf and amd64 (or the
# arches given as arguments) into dist/deb/, then checks each one: contents, conffiles, control
# fields, maintainer scripts (sh -n), and that every native addon is an ELF of the package's
# architecture. Runs on Debian as root or not; needs dpkg-deb, file, a C++ compiler per arch
# (g++, g++-aarch64-linux-gnu, g++-arm-linux-gnueabihf) and Node.js headers (/usr/include/node).
#
# Native addons: serialport's bindings-cpp ships prebuilds per arch (the other arches' are
# dropped); i2c-bus, epoll (onoff) and unix-dgram are compiled with node-gyp against the local
# Node 20 headers (same NODE_MODULE_VERSION as Debian trixie's nodejs 20) with a cross compiler.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
here="$repo/systemd/debian"
out="$repo/dist/deb"
work="$out/work"
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(arm64 armhf amd64)

version=$(node -p "require('$repo/package.json').version")
# Whoever publishes the packages sets this (name <address>); the default says nobody is reachable.
maintainer=${SV2MINER_MAINTAINER:-sv2miner developers <sv2miner@example.invalid>}
log() { printf '[package] %s\n' "$*" >&2; }
die() { printf 'package: %s\n' "$*" >&2; exit 1; }
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

# Per arch: Node's name, the compiler prefix, and what `file` says about its ELF objects.
node_arch() { case $1 in arm64) echo arm64 ;; armhf) echo arm ;; amd64) echo x64 ;; *) die "unknown arch $1 (arm64, armhf, amd64)" ;; esac; }
cross_prefix() { case $1 in arm64) echo aarch64-linux-gnu- ;; armhf) echo arm-linux-gnueabihf- ;; amd64) echo "" ;; esac; }
elf_signature() { case $1 in arm64) echo 'ELF 64-bit LSB .*ARM aarch64' ;; armhf) echo 'ELF 32-bit LSB .*ARM, EABI5' ;; amd64) echo 'ELF 64-bit LSB .*x86-64' ;; esac; }

for a in "${arches[@]}"; do
  node_arch "$a" >/dev/null
  command -v "$(cross_prefix "$a")g++" >/dev/null || die "no $(cross_prefix "$a")g++ for $a (apt-get install g++-aarch64-linux-gnu g++-arm-linux-gnueabihf)"
done
for tool in dpkg-deb file; do command -v "$tool" >/dev/null || die "$tool is missing (apt-get install dpkg file)"; done
nodedir=${SV2MINER_NODEDIR:-/usr}
[ -f "$nodedir/include/node/common.gypi" ] || die "no Node headers in $nodedir/include/node (set SV2MINER_NODEDIR, or apt-get install libnode-dev)"
node_gyp=${SV2MINER_NODE_GYP:-$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js}
[ -f "$node_gyp" ] || die "node-gyp not found at $node_gyp (set SV2MINER_NODE_GYP)"

t0=$(date +%s)
log "building JavaScript"
(cd "$repo" && npm run --silent build) >&2
rm -rf "$work" && mkdir -p "$work"

# Production dependencies once, no install scripts (nothing built for the host); each arch copies them.
log "production node_modules (npm ci --omit=dev)"
mkdir -p "$work/prod"
cp "$repo/package.json" "$repo/package-lock.json" "$work/prod/"
(cd "$work/prod" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error) >&2

# Node's package files that are neither code nor licence: docs, tests, benchmarks, sources and
# headers of compiled addons (node-addon-api is build-time only), bins we never call.
prune_node_modules() {
  rm -rf "$1/.bin" "$1/node-addon-api" "$1/nan" "$1/.package-lock.json"
  find "$1" \( -name '*.md' -o -name '*.markdown' -o -name '*.ts' -o -name '*.map' -o -name '.npmignore' \
    -o -name '.eslintrc*' -o -name '.travis.yml' -o -name '.github' -o -name '.gitattributes' -o -name '.husky' -o -name '*.html' \
    -o -name 'test' -o -name 'tests' -o -name 'integration-test' -o -name 'benchmarks' -o -name 'example' \
    -o -name 'examples' -o -name 'docs' -o -name 'doc' \
    -o -name '*.cc' -o -name '*.cpp' -o -name '*.h' -o -name '*.gyp' -o -name '*.gypi' -o -name 'Makefile' \) \
    -prune -exec rm -rf {} +
  find "$1" -mindepth 1 -type d -empty -delete
  # Nothing in node_modules is run directly (node loads it); addons are shared objects, not programs.
  find "$1" -type d -exec chmod 0755 {} +
  find "$1" -type f -exec chmod 0644 {} +
  # Modules' own command-line scripts keep their shebang, so keep them runnable as well.
  find "$1" -type f \( -name '*.js' -o -name '*.sh' \) -exec grep -l -m1 '^#!' {} + 2>/dev/null | xargs -r chmod 0755
}

build_addons() { # $1 arch, $2 node_modules
  local arch=$1 nm=$2 narch prefix
  narch=$(node_arch "$arch"); prefix=$(cross_prefix "$arch")
  # bindings-cpp: keep this arch's glibc prebuilds only (armv6 and armv7 for armhf: Pi Zero/1 too).
  local pb="$nm/@serialport/bindings-cpp/prebuilds"
  find "$pb" -mindepth 1 -maxdepth 1 -not -name "linux-$narch" -exec rm -rf {} +
  find "$pb" -name '*.musl.node' -delete
  [ -n "$(find "$pb" -name '*.node')" ] || die "no serialport prebuild for linux-$narch"
  for addon in i2c-bus epoll unix-dgram; do
    log "$arch: node-gyp $addon"
    (cd "$nm/$addon" && CC="${prefix}gcc" CXX="${prefix}g++" LINK="${prefix}g++" AR="${prefix}ar" \
      node "$node_gyp" rebuild --arch="$narch" --nodedir="$nodedir" --loglevel=warn >"$work/$arch-$addon.log" 2>&1) \
      || { tail -20 "$work/$arch-$addon.log" >&2; die "$arch: building $addon failed (log: $work/$arch-$addon.log)"; }
    # Keep the addon only: the loaders look in build/Release/.
    find "$nm/$addon/build" -mindepth 1 -maxdepth 1 -not -name Release -exec rm -rf {} +
    find "$nm/$addon/build/Release" -mindepth 1 -not -name '*.node' -exec rm -rf {} +
    "${prefix}strip" --strip-unneeded "$nm/$addon/build/Release/"*.node
  done
}

stage() { # $1 arch, $2 root
  local arch=$1 root=$2 lib=$2/usr/lib/sv2miner
  install -d "$lib/dist" "$lib/config" "$root/usr/bin" "$root/etc/sv2miner/examples" \
    "$root/usr/lib/systemd/system" "$root/usr/share/doc/sv2miner" "$root/usr/share/man/man1" "$root/DEBIAN"
  cp -a "$repo/dist/src" "$repo/dist/drivers" "$repo/dist/boards" "$lib/dist/"
  cp "$repo/package.json" "$lib/"
  cp -a "$work/prod/node_modules" "$lib/"
  build_addons "$arch" "$lib/node_modules"
  prune_node_modules "$lib/node_modules"
  chmod 0755 "$lib/dist/src/cli/main.js"
  # The install's defaults: the checkout's, with state under /var/lib and no demo pool.
  node "$repo/systemd/installed-config.mjs" "$repo" "$lib/config"
  install -m 0755 "$here/sv2miner.sh" "$root/usr/bin/sv2miner"
  install -m 0644 "$here/local.json" "$root/etc/sv2miner/local.json"
  node --input-type=module -e '
    import { writeFileSync } from "node:fs";
    const { BOARDS } = await import(process.argv[1] + "/dist/boards/registry.js");
    const { exampleConfig } = await import(process.argv[1] + "/dist/src/config/example-config.js");
    for (const board of BOARDS.values()) writeFileSync(`${process.argv[2]}/${board.id}.json5`, exampleConfig(board));
  ' "$repo" "$root/etc/sv2miner/examples"
  sed -e 's#/usr/bin/node /opt/sv2miner/dist/src/cli/main.js#/usr/bin/sv2miner#' \
      -e 's#/opt/sv2miner/config#/usr/lib/sv2miner/config#' \
      -e 's#^WorkingDirectory=.*#WorkingDirectory=/var/lib/sv2miner#' \
      -e 's#^Documentation=.*#Documentation=file:///usr/share/doc/sv2miner/README.md.gz#' \
      "$repo/systemd/sv2miner.service" > "$root/usr/lib/systemd/system/sv2miner.service"
  grep -q '^ExecStart=/usr/bin/sv2miner run$' "$root/usr/lib/systemd/system/sv2miner.service" \
    || die "the unit's ExecStart was not rewritten for the package"
  gzip -9n -c "$repo/README.md" > "$root/usr/share/doc/sv2miner/README.md.gz"
  cat > "$root/usr/share/doc/sv2miner/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: sv2miner
Comment: The bundled Node.js modules under /usr/lib/sv2miner/node_modules carry their own
 licences beside them (MIT, ISC, Apache-2.0 and BSD-style).

Files: *
Copyright: 2026 sv2miner developers
License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy of this software
 and associated documentation files (the "Software"), to deal in the Software without
 restriction, including without limitation the rights to use, copy, modify, merge, publish,
 distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
 Software is furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all copies or
 substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
 BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
 NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
 DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
COPYRIGHT
  local when
  when=$(date -R -d "@${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}")
  printf 'sv2miner (%s) unstable; urgency=medium\n\n  * Release %s (see the README and the git history).\n\n -- %s  %s\n' \
    "$version" "$version" "$maintainer" "$when" | gzip -9n > "$root/usr/share/doc/sv2miner/changelog.gz"
  sed "s/@VERSION@/$version/" "$here/sv2miner.1" | gzip -9n > "$root/usr/share/man/man1/sv2miner.1.gz"
  for script in postinst prerm postrm; do install -m 0755 "$here/$script" "$root/DEBIAN/$script"; done
  (cd "$root" && find etc -type f | sort | sed 's#^#/#') > "$root/DEBIAN/conffiles"
  local size
  size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
  sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@MAINTAINER@/$maintainer/" \
    "$here/control" > "$root/DEBIAN/control"
}

for arch in "${arches[@]}"; do
  ta=$(date +%s)
  root="$work/$arch/root"
  deb="$out/sv2miner_${version}_${arch}.deb"
  log "$arch: staging"
  rm -rf "$work/$arch" && mkdir -p "$root"
  stage "$arch" "$root"
  dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
  bash "$here/check-deb.sh" "$deb" "$arch" "$(elf_signature "$arch")"
  log "$arch: $deb ($(du -h "$deb" | cut -f1), $(elapsed "$ta"))"
done
log "done in $(elapsed "$t0")"

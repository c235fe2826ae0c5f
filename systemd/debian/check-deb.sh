#!/usr/bin/env bash
# Checks one built sv2miner .deb: control fields, the contents a rig needs, conffiles (every
# file under /etc and nothing else), maintainer scripts (executable, `sh -n`), the plain-JSON
# local.json, and that every native addon (*.node) and every other ELF file is built for the
# package's architecture. Prints one line per problem and exits 1 if there was any.
# Usage: check-deb.sh <file.deb> <arch> <regex that `file -b` prints for that arch's ELF>
set -uo pipefail

deb=$1 arch=$2 elf=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
problems=0
bad() { printf 'check-deb: %s: %s\n' "$(basename "$deb")" "$*" >&2; problems=$((problems + 1)); }

dpkg-deb -e "$deb" "$tmp/control" || { bad "not a readable .deb"; exit 1; }
dpkg-deb -x "$deb" "$tmp/root" || { bad "data archive does not extract"; exit 1; }
field() { sed -n "s/^$1: //p" "$tmp/control/control"; }

[ "$(field Package)" = sv2miner ] || bad "Package is '$(field Package)', expected sv2miner"
[ "$(field Architecture)" = "$arch" ] || bad "Architecture is '$(field Architecture)', expected $arch"
case "$(basename "$deb")" in "sv2miner_$(field Version)_${arch}.deb") ;; *) bad "file name does not match Version $(field Version) and $arch" ;; esac
field Depends | grep -q 'nodejs (>= 20\.19)' || bad "Depends lacks nodejs (>= 20.19): $(field Depends)"
[ -n "$(field Maintainer)" ] || bad "no Maintainer"
[ -n "$(field Description)" ] || bad "no Description"

for path in usr/bin/sv2miner usr/lib/sv2miner/dist/src/cli/main.js usr/lib/sv2miner/package.json \
  usr/lib/sv2miner/config/default.json usr/lib/systemd/system/sv2miner.service etc/sv2miner/local.json \
  usr/share/doc/sv2miner/copyright usr/share/doc/sv2miner/changelog.gz; do
  [ -f "$tmp/root/$path" ] || bad "missing /$path"
done
[ -x "$tmp/root/usr/bin/sv2miner" ] || bad "/usr/bin/sv2miner is not executable"
[ -n "$(find "$tmp/root/etc/sv2miner/examples" -name '*.json5' 2>/dev/null)" ] || bad "no example configs in /etc/sv2miner/examples"
[ -d "$tmp/root/usr/lib/sv2miner/node_modules" ] || bad "no node_modules"
if [ -f "$tmp/root/etc/sv2miner/local.json" ]; then
  node -e 'JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"))' "$tmp/root/etc/sv2miner/local.json" 2>/dev/null \
    || bad "/etc/sv2miner/local.json is not plain JSON (the API writes settings back into it)"
fi

# Conffiles: exactly the files under /etc.
(cd "$tmp/root" && find etc -type f 2>/dev/null | sed 's#^#/#' | sort) > "$tmp/etc-files"
sort "$tmp/control/conffiles" 2>/dev/null > "$tmp/conffiles" || : > "$tmp/conffiles"
while read -r f; do bad "$f is not a conffile (an upgrade would overwrite the rig's edits)"; done \
  < <(comm -23 "$tmp/etc-files" "$tmp/conffiles")
while read -r f; do bad "conffile $f is not in the package"; done < <(comm -13 "$tmp/etc-files" "$tmp/conffiles")

for script in postinst prerm postrm; do
  s="$tmp/control/$script"
  if [ ! -f "$s" ]; then bad "no $script"; continue; fi
  [ -x "$s" ] || bad "$script is not executable"
  sh -n "$s" 2>"$tmp/sh-n" || bad "$script: sh -n: $(head -1 "$tmp/sh-n")"
done

# Every ELF file for this arch; at least one addon (serialport, i2c-bus, epoll, unix-dgram).
addons=0
while IFS= read -r -d '' f; do
  desc=$(file -b "$f")
  case "$f" in *.node) addons=$((addons + 1)) ;; *) [[ $desc == ELF* ]] || continue ;; esac
  [[ $desc =~ $elf ]] || bad "${f#"$tmp/root"} is not a $arch ELF: $desc"
done < <(find "$tmp/root" -type f \( -name '*.node' -o -perm -u+x \) -print0)
[ "$addons" -ge 4 ] || bad "$addons native addons (*.node), expected at least 4 (serialport, i2c-bus, epoll, unix-dgram)"

[ "$problems" -eq 0 ] || exit 1
printf 'check-deb: %s: ok (%d native addons, all %s)\n' "$(basename "$deb")" "$addons" "$arch" >&2

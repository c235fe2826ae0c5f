#!/usr/bin/env bash
# `npm run test:arm`: the release check on the target architecture. Builds the arm64 .deb
# (npm run package arm64), installs it with apt into a cached arm64 Debian trixie root
# (arm-root.sh; nodejs from Debian), and under qemu user-mode emulation checks that
#   sv2miner --version           prints the package version,
#   sv2miner check-config         on the untouched install says there is no pool (exit 2),
#   sv2miner probe --board sim-bm1370-chain   enumerates the simulated chain,
#   sv2miner run --for 60         on the simulated board mines on a pool (`sv2miner pool` in the
#                                 same root, real TCP + Noise on loopback) and gets shares accepted,
# then that an upgrade keeps the edited config and the state, remove keeps the rig's config, and
# purge removes user, config and state. Prints how
# long each step took. Needs root. `--deb FILE` installs FILE instead of building one.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
deb=""
[ "${1:-}" = --deb ] && deb=$(readlink -f "$2")
version=$(node -p "require('$repo/package.json').version")
run_for=${SV2MINER_ARM_RUN_SECONDS:-60}

steps=()
t_all=$(date +%s)
step_start=0
begin() { step_start=$(date +%s); printf '\n== %s\n' "$1" >&2; }
done_step() { steps+=("$(printf '%-52s %5ss' "$1" "$(( $(date +%s) - step_start ))")"); }
fail() { printf 'test:arm FAILED: %s\n' "$*" >&2; summary; exit 1; }
summary() {
  printf '\n== timings (total %ss)\n' "$(( $(date +%s) - t_all ))" >&2
  for s in "${steps[@]}"; do printf '  %s\n' "$s" >&2; done
}

if [ -z "$deb" ]; then
  begin "build the arm64 package"
  bash "$repo/systemd/debian/build-deb.sh" arm64
  deb="$repo/dist/deb/sv2miner_${version}_arm64.deb"
  done_step "npm run package arm64"
fi
[ -f "$deb" ] || fail "no package at $deb"

begin "arm64 trixie root (cached)"
root=$(bash "$repo/test/arm/arm-root.sh" | tail -1)
done_step "debootstrap root (cached after the first run)"

mounted=()
cleanup() {
  [ -n "${pool_pid:-}" ] && kill "$pool_pid" 2>/dev/null
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
for m in proc sys dev dev/pts; do
  mountpoint -q "$root/$m" && continue
  case $m in
    proc) mount -t proc proc "$root/proc" ;;
    sys) mount -t sysfs sys "$root/sys" ;;
    *) mount --bind "/$m" "$root/$m" ;;
  esac
  mounted+=("$root/$m")
done
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
# A clean slate when an earlier run stopped half way.
in_root sh -c 'dpkg -s sv2miner >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq sv2miner >/dev/null' || true

begin "apt install ./$(basename "$deb") under emulation"
cp "$deb" "$root/tmp/sv2miner.deb"
in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/sv2miner.deb' >&2 \
  || fail "apt could not install the package"
in_root uname -m | grep -qx aarch64 || fail "the root does not run as aarch64"
in_root file -b "$(in_root node -p process.execPath)" | grep -q 'ARM aarch64' || fail "node in the root is not AArch64"
in_root id sv2miner | grep -q dialout || fail "no sv2miner user in dialout: $(in_root id sv2miner)"
done_step "apt install (nodejs from Debian, maintainer scripts)"

begin "sv2miner --version"
got=$(in_root sh -c 'cd /tmp && sv2miner --version')
[ "$got" = "$version" ] || fail "--version printed '$got', expected $version"
echo "$got" >&2
done_step "sv2miner --version"

begin "sv2miner check-config on the untouched install (no pool)"
set +e
out=$(in_root sh -c 'cd / && sv2miner check-config' 2>&1)
code=$?
set -e
echo "$out" >&2
[ "$code" -eq 2 ] && grep -q '^pools: expected at least one pool in /etc/sv2miner/local.json' <<<"$out" \
  || fail "check-config on an install without pools: exit $code, expected 2 and the no-pool line"
done_step "check-config says there is no pool"

begin "sv2miner probe --board sim-bm1370-chain"
probe=$(in_root sh -c 'cd /tmp && sv2miner probe --board sim-bm1370-chain')
echo "$probe" | head -20 >&2
node -e '
  const p = JSON.parse(process.argv[1]);
  const chips = p.chains.reduce((n, c) => n + (c.chipCount ?? 0), 0);
  if (!p.ok || chips !== 4) { console.error(`probe: ok=${p.ok}, ${chips} chips, expected 4`); process.exit(1); }
' "$probe" || fail "probe did not enumerate the simulated chain"
done_step "probe enumerates 4 chips"

begin "sv2miner pool + sv2miner run --for $run_for on sim-bm1370-1"
rm -f "$root/tmp/pool.out"
chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root sh -c \
  'exec sv2miner pool --host 127.0.0.1 --port 0 --share-rate 30 >/tmp/pool.out 2>/tmp/pool.err' &
pool_pid=$!
url=""
for _ in $(seq 1 120); do
  url=$(sed -n 's/^url: //p' "$root/tmp/pool.out" 2>/dev/null | head -1 || true)
  [ -n "$url" ] && break
  kill -0 "$pool_pid" 2>/dev/null || fail "sv2miner pool exited: $(tail -3 "$root/tmp/pool.err")"
  sleep 1
done
[ -n "$url" ] || fail "sv2miner pool printed no url: line in 120 s"
echo "pool: $url" >&2
# What a user does: board and pool in the rig's local.json (the API on any free loopback port).
cat > "$root/etc/sv2miner/local.json" <<JSON
{
  "board": "sim-bm1370-1",
  "pools": [{ "url": "$url", "user": "arm-check" }],
  "api": { "host": "127.0.0.1", "port": 0, "cgminerPort": 0 }
}
JSON
set +e
in_root sh -c "cd / && sv2miner run --for $run_for --log-level warn" >"$root/tmp/run.out" 2>"$root/tmp/run.err"
code=$?
set -e
tail -3 "$root/tmp/run.out" >&2
summary_line=$(tail -1 "$root/tmp/run.out")
node -e '
  const s = JSON.parse(process.argv[1]);
  if (!(s.shares_accepted > 0 && s.nonces > 0 && s.board === "sim-bm1370-1")) {
    console.error(`run: ${s.shares_accepted} shares accepted, ${s.nonces} nonces on ${s.board}`);
    process.exit(1);
  }
' "$summary_line" || { tail -5 "$root/tmp/run.err" >&2; fail "run --for $run_for did not get shares accepted"; }
[ "$code" -eq 0 ] || fail "run --for exited $code"
kill "$pool_pid" 2>/dev/null; wait "$pool_pid" 2>/dev/null || true; pool_pid=""
done_step "run --for $run_for mines, shares accepted"

begin "upgrade keeps the rig's config and state"
# The same package with a higher version: dpkg must keep the edited conffile without asking.
rm -rf "$root/tmp/up" && dpkg-deb -R "$deb" "$root/tmp/up"
sed -i "s/^Version: .*/Version: ${version}+upgradecheck/" "$root/tmp/up/DEBIAN/control"
dpkg-deb --root-owner-group -Zgzip --build "$root/tmp/up" "$root/tmp/sv2miner-up.deb" >/dev/null
[ -f "$root/var/lib/sv2miner/api-token" ] || fail "run left no API token in /var/lib/sv2miner"
in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /tmp/sv2miner-up.deb </dev/null' >&2 \
  || fail "the upgrade did not install"
[ "$(in_root dpkg-query -W -f='${Version}' sv2miner)" = "${version}+upgradecheck" ] || fail "the upgrade is not installed"
grep -q '"arm-check"' "$root/etc/sv2miner/local.json" || fail "the upgrade replaced the rig's local.json"
[ -f "$root/var/lib/sv2miner/api-token" ] || fail "the upgrade lost /var/lib/sv2miner/api-token"
done_step "upgrade keeps local.json and state"

begin "remove keeps the rig's config, purge removes user, config and state"
in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq sv2miner' >&2
[ -f "$root/etc/sv2miner/local.json" ] || fail "remove deleted /etc/sv2miner/local.json"
[ ! -e "$root/usr/bin/sv2miner" ] || fail "remove left /usr/bin/sv2miner"
in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq sv2miner' >&2
[ ! -e "$root/etc/sv2miner" ] || fail "purge left /etc/sv2miner"
[ ! -e "$root/var/lib/sv2miner" ] || fail "purge left /var/lib/sv2miner"
! in_root id sv2miner >/dev/null 2>&1 || fail "purge left the sv2miner user"
done_step "remove / purge"

summary
printf 'test:arm: ok (%s installed, mined and purged under qemu-aarch64)\n' "$(basename "$deb")" >&2

#!/usr/bin/env bash
# Installs sv2miner on a control board (Debian / Raspberry Pi OS): copies the built tree to
# /opt/sv2miner, creates the service user with serial and GPIO access, writes a per-rig config
# with a fresh API token (shown once), and enables the service. Run as root from a built checkout.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
src=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$src/dist/src/cli/main.js" ] || { echo "install.sh: build first (npm ci && npm run build)" >&2; exit 1; }

getent group gpio >/dev/null || groupadd --system gpio
getent group i2c >/dev/null || groupadd --system i2c
id sv2miner >/dev/null 2>&1 || useradd --system --home /var/lib/sv2miner --shell /usr/sbin/nologin \
  --groups dialout,gpio,i2c sv2miner
# An existing user (an upgrade) gets the I2C group too, for the temperature sensors.
usermod --append --groups i2c sv2miner

install -d /opt/sv2miner /etc/sv2miner /var/lib/sv2miner
cp -a "$src/dist" "$src/node_modules" "$src/package.json" "$src/README.md" /opt/sv2miner/
# The checkout's defaults with the installed overrides: state in /var/lib, no embedded demo pool.
node "$src/systemd/installed-config.mjs" "$src" /opt/sv2miner/config
chown -R sv2miner:sv2miner /var/lib/sv2miner

if [ ! -f /etc/sv2miner/local.json ]; then
  token=$(node -e "console.log(require('node:crypto').randomBytes(24).toString('base64url'))")
  cat > /etc/sv2miner/local.json <<JSON
{
  "board": "${SV2MINER_BOARD:-rpi-uart-bm1370}",
  "pools": [],
  "api": { "host": "0.0.0.0", "port": 80, "token": "$token" }
}
JSON
  chmod 640 /etc/sv2miner/local.json
  chgrp sv2miner /etc/sv2miner/local.json
  echo "API write token (shown once, stored in /etc/sv2miner/local.json): $token"
fi

install -m 0644 "$src/systemd/sv2miner.service" /etc/systemd/system/sv2miner.service
systemctl daemon-reload
# The same folders the unit reads, so the check covers /etc/sv2miner/local.json.
if NODE_CONFIG_DIR=/opt/sv2miner/config:/etc/sv2miner node /opt/sv2miner/dist/src/cli/main.js check-config; then
  systemctl enable --now sv2miner
  echo "Installed and started. Logs: journalctl -u sv2miner -f"
else
  systemctl enable sv2miner
  echo "Installed, not started: edit /etc/sv2miner/local.json (board, pools), then: systemctl start sv2miner"
fi

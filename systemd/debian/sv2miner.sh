#!/bin/sh
# /usr/bin/sv2miner: the installed CLI from any directory. The package's defaults, then the rig's
# /etc/sv2miner files, unless the caller set NODE_CONFIG_DIR (the systemd unit sets the same).
: "${NODE_CONFIG_DIR:=/usr/lib/sv2miner/config:/etc/sv2miner}"
export NODE_CONFIG_DIR
exec /usr/bin/node /usr/lib/sv2miner/dist/src/cli/main.js "$@"

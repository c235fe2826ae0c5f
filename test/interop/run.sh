#!/usr/bin/env bash
# Runs the interop suites (vitest.interop.config.ts): builds test/interop/sri-peer with cargo
# (SRI's published crates, pinned by its Cargo.lock) and then the suites. Extra arguments go to
# vitest, e.g. `test/interop/run.sh test/interop/sri-pool.interop.test.ts`.
# SV2MINER_PYASIC=1 also runs the pyasic check (creates test/interop/.venv, pip install pyasic).
set -euo pipefail
cd "$(dirname "$0")/../.."
if command -v cargo >/dev/null 2>&1; then
  start=$(date +%s)
  (cd test/interop/sri-peer && cargo build --release --locked)
  echo "sri-peer build: $(( $(date +%s) - start )) s"
else
  echo "!!!!!!!!!! cargo not found: the SRI interop suites will be SKIPPED !!!!!!!!!!" >&2
fi
exec npx vitest run -c vitest.interop.config.ts "$@"

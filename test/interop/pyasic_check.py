"""pyasic against a running sv2miner: does pyasic (the library behind hass-miner) detect the rig
as an AxeOS device and read the figures the daemon's own /api/system/info reports?

pyasic's detection probes http://<ip>/ on port 80 only (MinerFactory._get_miner_web) and its
ESPMinerWebAPI uses `self.port = 80` (pyasic/web/base.py). To reach a daemon on another port
without root, this script swaps pyasic.settings.transport (the hook every pyasic HTTP client is
built from) for one that rewrites port 80 on the target host to --port. With --port 80 nothing is
rewritten. Prints one JSON object; exit 0 only when every check passed.

Usage: pyasic_check.py --host 127.0.0.1 --port 8080
"""

import argparse
import asyncio
import json
import sys
import urllib.request

import httpx
import pyasic
from pyasic import settings
from pyasic.device.algorithm import AlgoHashRateType


def redirecting_transport(host: str, port: int):
    original = settings.transport

    class PortRewrite(httpx.AsyncBaseTransport):
        def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
            self.inner = inner

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.host == host and request.url.scheme == "http" and request.url.port in (None, 80):
                request.url = request.url.copy_with(port=port)
            return await self.inner.handle_async_request(request)

        async def aclose(self) -> None:
            await self.inner.aclose()

    def transport(*args, **kwargs):
        return PortRewrite(original(*args, **kwargs))

    return transport


def system_info(host: str, port: int) -> dict:
    with urllib.request.urlopen(f"http://{host}:{port}/api/system/info", timeout=5) as r:
        return json.load(r)


def between(value, a, b, slack=0.0) -> bool:
    if value is None or a is None or b is None:
        return False
    lo, hi = min(a, b), max(a, b)
    return lo - slack <= value <= hi + slack


async def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=80)
    a = p.parse_args()
    if a.port != 80:
        settings.transport = redirecting_transport(a.host, a.port)

    checks: dict[str, dict] = {}

    def check(name: str, ok: bool, got, want) -> None:
        checks[name] = {"ok": bool(ok), "pyasic": got, "daemon": want}

    before = system_info(a.host, a.port)
    miner = await pyasic.get_miner(a.host)
    if miner is None:
        print(json.dumps({"ok": False, "pyasic": pyasic.__version__ if hasattr(pyasic, "__version__") else None,
                          "error": "pyasic did not detect the rig (is 'AxeOS' in the web root?)"}))
        return 1
    if a.port != 80:
        # The same redirect, stated where pyasic keeps it for data calls.
        miner.web.port = a.port
    try:
        data = await miner.get_data()
    except Exception as e:  # noqa: BLE001 - pyasic raises APIError (or KeyError inside it) on a missing field
        cause = repr(e.__cause__) if e.__cause__ is not None else ""
        print(json.dumps({"ok": False, "miner_class": type(miner).__name__, "error": f"get_data() failed: {e!r} {cause}"}))
        return 1
    # pyasic's own AxeOS client, for fields its get_data() does not map (shares).
    raw = await miner.web.system_info()
    after = system_info(a.host, a.port)

    check("detected_as_bitaxe", type(miner).__name__.startswith("BitAxe"), type(miner).__name__, before.get("ASICModel"))
    hashrate = data.hashrate
    ghs = float(hashrate.into(hashrate.unit.GH)) if isinstance(hashrate, AlgoHashRateType) else None
    check("hashrate_ghs", between(ghs, before.get("hashRate"), after.get("hashRate"), 0.05 * max(before.get("hashRate") or 0, after.get("hashRate") or 0) + 1e-9),
          ghs, [before.get("hashRate"), after.get("hashRate")])
    check("uptime_s", between(data.uptime, before.get("uptimeSeconds"), after.get("uptimeSeconds"), 1),
          data.uptime, [before.get("uptimeSeconds"), after.get("uptimeSeconds")])
    board = data.hashboards[0] if data.hashboards else None
    chip_temp = board.chip_temp if board else None
    board_temp = board.temp if board else None
    check("chip_temp_c", between(chip_temp, before.get("temp"), after.get("temp"), 0.5), chip_temp, [before.get("temp"), after.get("temp")])
    check("vr_temp_c", between(board_temp, before.get("vrTemp"), after.get("vrTemp"), 0.5), board_temp, [before.get("vrTemp"), after.get("vrTemp")])
    check("hostname", data.hostname == before.get("hostname"), data.hostname, before.get("hostname"))
    pools = data.config.pools.groups[0].pools if data.config and data.config.pools.groups else []
    pool = {"url": str(pools[0].url), "user": pools[0].user} if pools else None
    want_pool = {"url": f"stratum+tcp://{before.get('stratumURL')}:{before.get('stratumPort')}", "user": before.get("stratumUser")}
    check("pool", pool == want_pool, pool, want_pool)
    check("shares_accepted", between(raw.get("sharesAccepted"), before.get("sharesAccepted"), after.get("sharesAccepted")),
          raw.get("sharesAccepted"), [before.get("sharesAccepted"), after.get("sharesAccepted")])
    check("shares_rejected", between(raw.get("sharesRejected"), before.get("sharesRejected"), after.get("sharesRejected")),
          raw.get("sharesRejected"), [before.get("sharesRejected"), after.get("sharesRejected")])
    ok = all(c["ok"] for c in checks.values())
    version = None
    try:
        from importlib.metadata import version as pkg_version
        version = pkg_version("pyasic")
    except Exception:  # noqa: BLE001 - the version is informative only
        pass
    print(json.dumps({"ok": ok, "pyasic": version, "miner_class": type(miner).__name__,
                      "get_data_has_shares": False, "checks": checks}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

/**
 * `sv2miner pool-check <url>`: connects to an SV2 pool as a miner would and reports TCP, Noise
 * (certificate window, sv2.md §3.5), SetupConnection, OpenStandardMiningChannel and the first job
 * (§6.1). Exit code 0 only when every step succeeded. Logic in src/roles/pool-check/check.ts.
 */
import { parseArgs } from 'node:util';
import type { CliCommand, CliIo } from '../../cli/command.js';
import { DEFAULT_CHECK_TIMEOUT_MS, type PoolCheckOptions, runPoolCheck } from './check.js';
import { formatPoolCheck } from './format.js';

const HELP = `Usage: sv2miner pool-check <url> [--user U] [--timeout S] [--json] [--insecure]

Connects to a Stratum V2 pool the way a miner does and reports each step:
TCP connect time, Noise handshake and the certificate's validity window, SetupConnection,
OpenStandardMiningChannel (channel id, target as difficulty), and whether a job
(NewMiningJob + SetNewPrevHash) arrives before the deadline.

  <url>          stratum2+tcp://host:port/<authority public key>
  --user U       user_identity for the channel (default sv2miner-pool-check)
  --timeout S    overall deadline in seconds (default ${DEFAULT_CHECK_TIMEOUT_MS / 1000})
  --json         print one JSON object instead of text
  --insecure     do not verify the pool certificate (URL without key; trusted LAN only)
  -h, --help     show this text

Exit code 0 when every step succeeded, 1 when the pool check failed, 2 on bad usage.`;

export async function runPoolCheckCommand(
  argv: readonly string[],
  io: CliIo,
  extra: Partial<PoolCheckOptions> = {},
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`sv2miner pool-check: ${error instanceof Error ? error.message : String(error)}`);
    io.err('Run `sv2miner pool-check --help` for usage.');
    return 2;
  }
  const v = parsed.values;
  if (v.help === true) {
    io.out(HELP);
    return 0;
  }
  const url = parsed.positionals[0];
  if (url === undefined || parsed.positionals.length > 1) {
    io.err('sv2miner pool-check: give exactly one pool URL (stratum2+tcp://host:port/<authority key>)');
    return 2;
  }
  let timeoutMs = DEFAULT_CHECK_TIMEOUT_MS;
  if (v.timeout !== undefined) {
    const s = Number(v.timeout);
    if (!(s > 0) || !Number.isFinite(s)) {
      io.err(`sv2miner pool-check: --timeout expects seconds > 0, got "${v.timeout}"`);
      return 2;
    }
    timeoutMs = s * 1000;
  }
  const report = await runPoolCheck({
    ...extra,
    url,
    timeoutMs,
    insecure: v.insecure === true,
    ...(v.user === undefined ? {} : { user: v.user }),
  });
  if (v.json === true) io.out(JSON.stringify(report));
  else for (const line of formatPoolCheck(report)) io.out(line);
  return report.ok ? 0 : 1;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      user: { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
      insecure: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
}

export const command: CliCommand = {
  name: 'pool-check',
  summary: 'connect to an SV2 pool as a miner would and report each step (exit 0 = all good)',
  help: HELP,
  run: (argv, io) => runPoolCheckCommand(argv, io),
};

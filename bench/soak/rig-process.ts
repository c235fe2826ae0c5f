/**
 * The rig under test, in its own process: `sv2miner run` (the CLI's own runMiner, same config
 * loading, APIs, lifecycle and signal handling) on a simulated multi-chip board, plus the one thing
 * a real rig does not have: an IPC side door through which the campaign reaches the *simulated
 * hardware* (line faults, a chip dying) and reads the books the daemon keeps. The campaign reads
 * the rig's API over HTTP as any monitor would; the side door only adds what no API shows.
 *
 * argv: <rig spec JSON> <sv2miner run arguments...>
 */
import { boardById } from '../../boards/registry.js';
import type { BoardDefinition } from '../../boards/types.js';
import type { ChipFaults } from '../../drivers/sim/faults.js';
import { SimBinding } from '../../drivers/sim/sim-binding.js';
import { processIo } from '../../src/cli/command.js';
import { simChainPath } from '../../src/roles/miner/compose-board.js';
import { runMiner } from '../../src/roles/miner/main.js';
import type { Miner } from '../../src/roles/miner/miner.js';
import type { PoolSet } from '../../src/roles/miner/pool-set.js';
import type { RigCommand, RigLedger, RigSample, RigSpec } from './rig-protocol.js';

const SAMPLE_MS = 250;
const SIM_TICK_MS = 4;

const spec = JSON.parse(process.argv[2] ?? '{}') as RigSpec;
// Real chips hash beside the host; the simulated ones hash on its event loop. Short slices keep
// the simulator's share of the loop from reading as the daemon's own lag.
const createChain = SimBinding.createChain.bind(SimBinding);
SimBinding.createChain = (path, options) => createChain(path, { ...options, tickMs: SIM_TICK_MS });
const board = simulatedBoard(spec);
let miner: Miner | undefined;
const quiet = new Set<number>();
let line: ChipFaults = {};

process.on('message', (raw) => {
  const command = raw as RigCommand;
  switch (command.type) {
    case 'line':
      line = { dropByteRate: command.dropByteRate, flipByteRate: command.flipByteRate };
      applyFaults();
      return;
    case 'chip':
      // A dying chip hangs (recovered by a re-init of its chain); `dead: false` changes nothing.
      if (command.dead) applyFaults(command.position);
      return;
    case 'quiet':
      // Every chip stops answering: no new nonces while the books settle.
      for (let p = 0; p < chipCount(); p++) quiet.add(p);
      line = {};
      applyFaults();
      return;
    case 'ledger':
      process.send?.({ type: 'ledger', ledger: ledger() });
      return;
    case 'gc':
      globalThis.gc?.();
      {
        const m = process.memoryUsage();
        const mb = (bytes: number): number => bytes / 2 ** 20;
        process.send?.({
          type: 'gc-done',
          memory: {
            rssMb: mb(m.rss),
            heapUsedMb: mb(m.heapUsed),
            heapTotalMb: mb(m.heapTotal),
            externalMb: mb(m.external),
            arrayBuffersMb: mb(m.arrayBuffers),
            collected: globalThis.gc !== undefined,
          },
        });
      }
      return;
  }
});

// The campaign gone (killed, crashed): stop as a rig stops, instead of mining on as an orphan.
let finished = false;
process.once('disconnect', () => {
  if (!finished) process.kill(process.pid, 'SIGTERM');
});

const sampler = setInterval(() => {
  const s = sample();
  if (s !== undefined) process.send?.({ type: 'sample', sample: s });
}, SAMPLE_MS);
sampler.unref();

const code = await runMiner(process.argv.slice(3), processIo, {
  miner: { board },
  onMiner: (m) => {
    miner = m;
  },
});
finished = true;
clearInterval(sampler);
process.exitCode = code;
process.disconnect?.();

function simulatedBoard(s: RigSpec): BoardDefinition {
  const base = boardById(s.board);
  if (!base.simulated) throw new Error(`${s.board} is not a simulated board`);
  return { ...base, sim: { hashrate: s.hashrate, simTargetShift: s.simTargetShift } };
}

function chipCount(): number {
  return board.chains.reduce((n, c) => n + c.chipCount, 0);
}

/**
 * Line faults on every live chip; a quiet chip is silent (it relays but never answers). A chip
 * that died hangs until its chain is reset (the rig's flatline recovery does that): a new line
 * fault keeps the hang the chain still has.
 */
function applyFaults(dying?: number): void {
  board.chains.forEach((def, index) => {
    const chain = SimBinding.getChain(simChainPath(def, index));
    if (chain === undefined) return;
    for (const chip of chain.chips) {
      const hung = chip.position === dying || chain.faultsAt(chip.position).hung === true;
      chain.setFaults(chip.position, quiet.has(chip.position) ? { silent: true } : { ...line, hung });
    }
  });
}

function poolSet(m: Miner): PoolSet | undefined {
  // The pool set is the daemon's own; the campaign only reads its counters.
  return (m as unknown as { pools: PoolSet | undefined }).pools;
}

function sample(): RigSample | undefined {
  const m = miner;
  const rig = m?.currentRig;
  if (m === undefined || rig === undefined) return undefined;
  const status = poolSet(m)?.status();
  const current = status?.pools.find((p) => p.url === status.currentPool);
  return {
    at: Date.now(),
    currentPool: status?.currentPool ?? null,
    poolState: current?.state ?? null,
    hasJob: current?.channels.some((c) => c.activeJobId !== undefined) ?? false,
    miningChains: rig.miningChains(),
  };
}

function ledger(): RigLedger {
  const m = miner;
  const rig = m?.currentRig;
  const emitted = board.chains.reduce(
    (n, def, index) => n + (SimBinding.getChain(simChainPath(def, index))?.stats().nonces ?? 0),
    0,
  );
  const chains = rig?.chains.map((c) => c.chain.stats()) ?? [];
  const work = rig?.dispatcher.stats();
  const status = m === undefined ? undefined : poolSet(m)?.status();
  const pools = status?.pools ?? [];
  const sum = (f: (c: (typeof pools)[number]['counters']) => number): number =>
    pools.reduce((n, p) => n + f(p.counters), 0);
  const staleByReason: Record<string, number> = {};
  for (const p of pools)
    for (const [k, v] of Object.entries(p.counters.staleByReason))
      staleByReason[k] = (staleByReason[k] ?? 0) + v;
  const snapshot = m?.snapshot();
  const chainRecoveries = snapshot?.chains.reduce((n, c) => n + c.recoveries, 0) ?? 0;
  const chainsDisabled = snapshot?.chains.filter((c) => c.state === 'disabled').length ?? 0;
  const clientStale = sum((c) => c.stale);
  return {
    pid: process.pid,
    simNoncesEmitted: emitted,
    chainStale: chains.reduce((n, c) => n + c.stale, 0),
    chainNonces: chains.reduce((n, c) => n + c.nonces, 0),
    crcErrors: chains.reduce((n, c) => n + c.crcErrors, 0),
    junkBytes: chains.reduce((n, c) => n + c.junkBytes, 0),
    workStale: work?.stale ?? 0,
    hwErrors: work?.hwErrors ?? 0,
    chipNonces: work?.chipNonces ?? 0,
    belowTarget: work?.belowTarget ?? 0,
    duplicates: work?.duplicates ?? 0,
    shares: work?.shares ?? 0,
    submitted: sum((c) => c.submitted),
    accepted: sum((c) => c.accepted),
    rejected: sum((c) => c.rejected),
    unacknowledged: sum((c) => c.unacknowledged),
    inFlight: pools.reduce((n, p) => n + p.channels.reduce((k, c) => k + c.sharesInFlight, 0), 0),
    clientStale,
    staleByReason,
    // Shares the daemon held while no pool client existed at all.
    localStale: (snapshot?.shares.stale ?? clientStale) - clientStale,
    chainRecoveries,
    chainsDisabled,
  };
}

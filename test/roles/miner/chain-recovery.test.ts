import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { boardById } from '../../../boards/registry.js';
import { silentLog } from '../../../src/log.js';
import {
  backoffMs,
  ChainRecovery,
  type ChainRunState,
  DEFAULT_RECOVERY_POLICY,
  type RecoverableChain,
} from '../../../src/roles/miner/chain-recovery.js';
import { chainExpectation } from '../../../src/roles/miner/rig-recovery.js';
import { type ChainExpectation, ChipHealthMonitor } from '../../../src/work/chip-health.js';
import { FakeClock } from '../../upstream/helpers/fake-clock.js';
import { FakeChain as FakeHashChain } from '../../work/helpers/fakes.js';

// Two chips, each 2^32 H/s at difficulty 1: one nonce a second each, so a window is 40 s.
const EXPECT: ChainExpectation = {
  chips: 2,
  chipHashrate: 2 ** 32,
  nonceDifficulty: 1,
  chipEvents: { kind: 'nonce' },
};

interface FakeChain extends RecoverableChain {
  state: ChainRunState;
  /** Clock seconds of each bring-up. */
  readonly bringUps: number[];
  readonly shutDowns: number[];
  held: boolean;
  /** Chips returning nonces (by index); the test feeds them every second. */
  alive: Set<number>;
  /** Live chips that return only one nonce in ten seconds. */
  slow: Set<number>;
  /** Whether a bring-up succeeds, and which chips answer afterwards. */
  bringUpWorks: boolean;
  aliveAfterBringUp: Set<number>;
  work: boolean;
}

function fakeChain(index: number, clock: FakeClock): FakeChain {
  const c: FakeChain = {
    index,
    state: 'mining',
    bringUps: [],
    shutDowns: [],
    held: false,
    alive: new Set([0, 1]),
    slow: new Set(),
    bringUpWorks: true,
    aliveAfterBringUp: new Set([0, 1]),
    work: true,
    setState: (s) => {
      c.state = s;
    },
    holdWork: () => {
      c.held = true;
    },
    shutDown: async () => {
      c.shutDowns.push(clock.now() / 1000);
      c.alive = new Set();
    },
    bringUp: async () => {
      c.bringUps.push(clock.now() / 1000);
      if (!c.bringUpWorks)
        throw new Error(`chain ${index}: expected 2 BM1366 chips, 0 answered the chip-id read`);
      c.alive = new Set(c.aliveAfterBringUp);
    },
    resumeWork: async () => {
      c.held = false;
    },
    hasWork: () => c.work && !c.held,
    expectation: () => EXPECT,
  };
  return c;
}

/** Lets the recovery's promise chains (shut-down, bring-up) run between clock steps. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

function harness(chains: FakeChain[], clock: FakeClock, log = silentLog) {
  const monitor = new ChipHealthMonitor();
  const recovery = new ChainRecovery({ chains, monitor, clock, log });
  recovery.start();
  /** Runs `seconds` of clock, every live chip of a chain with work returning one nonce a second. */
  const run = async (seconds: number) => {
    for (let s = 0; s < seconds; s++) {
      for (const c of chains)
        if (c.state === 'mining' && c.hasWork())
          for (const chip of c.alive) if (!c.slow.has(chip) || s % 10 === 0) monitor.nonce(c.index, chip);
      clock.advance(1000);
      await settle();
    }
  };
  return { recovery, run, status: (i: number) => recovery.status().find((s) => s.chain === i) };
}

describe('backoff', () => {
  it('is 0, then 10 s doubling per failure, capped at 5 min', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((f) => backoffMs(f) / 1000)).toEqual([
      0, 10, 20, 40, 80, 160, 300, 300,
    ]);
    expect(DEFAULT_RECOVERY_POLICY.maxFailures).toBe(5);
  });
});

describe('ChainRecovery', () => {
  it('a chain that never comes back is retried at 0/10/20/40/80 s backoff, then disabled; the other chain mines on', async () => {
    const clock = new FakeClock();
    const dead = fakeChain(0, clock);
    const good = fakeChain(1, clock);
    const lines: { level: number; msg: string }[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const h = harness([dead, good], clock, log);
    await h.run(40);
    dead.alive = new Set(); // the whole chain falls silent at 40 s, for good
    dead.bringUpWorks = false;
    await h.run(265);
    // Window 2 (40-80 s) is a flatline: first attempt at 80 s after the 1 s power-off, then
    // +10, +20, +40, +80 s after each failure.
    expect(dead.bringUps).toEqual([81, 92, 113, 154, 235]);
    expect(dead.state).toBe('disabled');
    const s = h.status(0);
    expect(s?.recoveries).toBe(5);
    expect(s?.failures).toBe(5);
    expect(s?.recoveriesByReason).toEqual({ flatline: 1, 'chip-silent': 0, 'chip-weak': 0 });
    expect(s?.lastReason).toMatch(/re-init failed: chain 0: expected 2 BM1366 chips, 0 answered/);
    expect(s?.nextAttemptAt).toBeNull();
    // Disabled: out of dispatch and left in reset (the last shut-down followed the last attempt).
    expect(dead.held).toBe(true);
    expect(dead.shutDowns.at(-1)).toBe(235);
    // The healthy chain was judged every 40 s and never touched.
    expect(good.state).toBe('mining');
    expect(good.bringUps).toEqual([]);
    expect(h.status(1)?.chips).toEqual(['ok', 'ok']);
    // Logged: the flatline, each failure with its next delay, the disabling.
    const errors = lines.filter((l) => l.level === 50).map((l) => l.msg);
    expect(lines[0]?.msg).toBe(
      'chain 0: flatline: 0 nonces in 40 s where 80.0 were expected: re-initialising',
    );
    expect(errors.slice(0, 4).map((m) => /next attempt in (\d+) s$/.exec(m)?.[1])).toEqual([
      '10',
      '20',
      '40',
      '80',
    ]);
    expect(errors[4]).toMatch(
      /^chain 0 disabled after 5 failed recoveries in 30 min \(last: re-init failed: .*\); chips held in reset, the other chains mine on$/,
    );
    h.recovery.close();
  });

  it('a hung chip is cured by one re-init of its chain; the chain proves healthy and the backoff resets', async () => {
    const clock = new FakeClock();
    const c = fakeChain(0, clock);
    const lines: { level: number; msg: string; reason?: string }[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const h = harness([c], clock, log);
    c.alive = new Set([0]); // chip 1 hangs from the start
    await h.run(40);
    expect(h.status(0)?.recoveriesByReason['chip-silent']).toBe(1);
    expect(h.status(0)?.lastReason).toBe('chip-silent: chip 1 (0 of 40.0 expected) in 40 s');
    await h.run(2);
    expect(c.bringUps).toEqual([41]);
    expect(c.state).toBe('mining');
    await h.run(80);
    const s = h.status(0);
    expect(s?.chips).toEqual(['ok', 'ok']);
    expect(s?.recoveries).toBe(1);
    expect(s?.failures).toBe(0);
    // One warning with the reason, one line when it mines again.
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'chain 0: chip-silent: chip 1 (0 of 40.0 expected) in 40 s: re-initialising'],
      [30, 'chain 0 re-initialised: mining again'],
    ]);
    expect(lines[0]?.reason).toBe('chip-silent');
    h.recovery.close();
  });

  it('a weak chip (4 of 40) gets one re-init with its reason', async () => {
    const clock = new FakeClock();
    const c = fakeChain(0, clock);
    const h = harness([c], clock);
    c.slow = new Set([1]);
    await h.run(41);
    expect(h.status(0)?.recoveriesByReason).toEqual({ flatline: 0, 'chip-silent': 0, 'chip-weak': 1 });
    expect(h.status(0)?.lastReason).toBe('chip-weak: chip 1 (4 of 40.0 expected) in 40 s');
    expect(h.status(0)?.chips).toEqual(['ok', 'weak']);
    h.recovery.close();
  });

  it('a chip still silent after the re-init is reported, not re-initialised again', async () => {
    const clock = new FakeClock();
    const c = fakeChain(0, clock);
    c.aliveAfterBringUp = new Set([0]);
    const h = harness([c], clock);
    c.alive = new Set([0]);
    await h.run(400);
    const s = h.status(0);
    expect(c.bringUps).toEqual([41]);
    expect(s?.recoveries).toBe(1);
    expect(s?.chips).toEqual(['ok', 'silent']);
    expect(c.state).toBe('mining');
    h.recovery.close();
  });

  it('a chain that comes up but still returns nothing counts as a failed attempt', async () => {
    const clock = new FakeClock();
    const c = fakeChain(0, clock);
    c.aliveAfterBringUp = new Set();
    const h = harness([c], clock);
    c.alive = new Set();
    await h.run(40 + 1 + 40 + 1);
    // Flatline at 40 s, up again at 41 s, still flat at 81 s: failure, next attempt 10 s later.
    expect(h.status(0)?.failures).toBe(1);
    expect(h.status(0)?.lastReason).toMatch(/^still no nonces after re-init \(0 of 80\.0 expected\)/);
    expect(h.status(0)?.nextAttemptAt).toBe(91_000);
    expect(c.state).toBe('recovering');
    c.aliveAfterBringUp = new Set([0, 1]);
    await h.run(12);
    expect(c.bringUps).toEqual([41, 92]);
    expect(c.state).toBe('mining');
    h.recovery.close();
  });

  it('judges nothing while the chain has no work (no job, exhausted job): silence there proves nothing', async () => {
    const clock = new FakeClock();
    const c = fakeChain(0, clock);
    c.work = false;
    c.alive = new Set();
    const h = harness([c], clock);
    await h.run(600);
    expect(c.bringUps).toEqual([]);
    expect(h.status(0)?.chips).toEqual([]);
    h.recovery.close();
  });
});

describe('chainExpectation (what a rig chain owes)', () => {
  it('silicon: frequency x small cores per chip, the ticket difficulty per nonce', () => {
    const board = boardById('rpi-uart-bm1370');
    const chain = new FakeHashChain(0, { chipCount: 1, frequencyMhz: 525, chipDifficulty: 256 });
    expect(chainExpectation(board, chain, 0, 1)).toEqual({
      chips: 1,
      chipHashrate: 525e6 * 2040,
      nonceDifficulty: 256,
      chipEvents: { kind: 'nonce' },
    });
    // Throttled to 420 MHz: 80 % is due.
    const slow = new FakeHashChain(0, { chipCount: 1, frequencyMhz: 420, chipDifficulty: 256 });
    expect(chainExpectation(board, slow, 0, 1)?.chipHashrate).toBe(420e6 * 2040);
  });

  it("a simulated board: its configured speed per chip, the relaxed chip target, the counters' weight", () => {
    const board = boardById('sim-bm1370-chain'); // 600 kH/s, k = 24, 4 chips
    const chain = Object.assign(new FakeHashChain(0, { chipCount: 4, chipDifficulty: 256 }), {
      needsCounterReads: true,
    });
    expect(chainExpectation(board, chain, 24, 2 ** -24)).toEqual({
      chips: 4,
      chipHashrate: 150_000,
      nonceDifficulty: 2 ** -16,
      chipEvents: { kind: 'counter', difficulty: 2 ** -24 },
    });
    expect(chainExpectation(board, new FakeHashChain(0, null), 24, 1)).toBeUndefined();
  });
});

/**
 * The fault campaign's verdict (bench/soak/checks.ts): books that balance pass, one nonce or one
 * share missing anywhere fails the row that lost it, the pools may be ahead of the client only by
 * the shares lost in flight, and the lag row is judged only when the host itself is quiet.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, type Observations, type Row } from '../../../bench/soak/checks.js';
import type { SlotBooks } from '../../../bench/soak/pool-slot.js';
import type { RigLedger, RigMemory } from '../../../bench/soak/rig-protocol.js';

const ledger: RigLedger = {
  pid: 42,
  simNoncesEmitted: 1000,
  chainStale: 10,
  chainNonces: 990,
  crcErrors: 0,
  junkBytes: 0,
  workStale: 5,
  hwErrors: 3,
  chipNonces: 982,
  belowTarget: 900,
  duplicates: 2,
  shares: 80,
  submitted: 75,
  accepted: 70,
  rejected: 2,
  unacknowledged: 3,
  inFlight: 0,
  clientStale: 4,
  staleByReason: { 'pool-changed': 4 },
  localStale: 1,
};

const memory: RigMemory = {
  rssMb: 80,
  heapUsedMb: 20,
  heapTotalMb: 30,
  externalMb: 3,
  arrayBuffersMb: 1,
  collected: true,
};

describe('hung chip row', () => {
  it('passes when the chain was re-initialised and none disabled; fails otherwise; absent without the fault', () => {
    const row = (l: RigLedger, chipHung = true) =>
      evaluate(observe({ ledger: l, chipHung })).find((r) => r.name.startsWith('hung chip'));
    expect(row({ ...ledger, chainRecoveries: 1, chainsDisabled: 0 })?.result).toBe('pass');
    expect(row({ ...ledger, chainRecoveries: 0, chainsDisabled: 0 })?.result).toBe('FAIL');
    expect(row({ ...ledger, chainRecoveries: 4, chainsDisabled: 1 })?.result).toBe('FAIL');
    expect(row(ledger, false)).toBeUndefined();
  });
});

function books(accepted: number): SlotBooks {
  return {
    accepted,
    rejected: {},
    duplicates: 0,
    staleAfterSwitch: 0,
    maxStaleLatenessMs: 0,
    switches: 3,
    restarts: 1,
  };
}

function observe(over: Partial<Observations> = {}): Observations {
  return {
    ledger,
    lineFaults: false,
    pools: [books(40), books(30)],
    apiSharesAccepted: 70,
    childPid: 42,
    exitedEarly: false,
    uptimeWentBack: false,
    rssBaselineMb: 80,
    rssEndMb: 82,
    memoryBaseline: memory,
    memoryEnd: { ...memory, rssMb: 82 },
    lagP99Ms: 8,
    hostLagP99Ms: 2,
    healthySamples: 100,
    workingSamples: 97,
    stopSeconds: 0.5,
    stopCode: 0,
    fuzz: [],
    fuzzInputs: 1_000_000,
    ...over,
  };
}

const result = (rows: Row[], prefix: string) => rows.find((r) => r.name.startsWith(prefix))?.result;

describe('soak checks', () => {
  it('passes every row when the books balance and the bounds hold', () => {
    const rows = evaluate(observe());
    expect(rows.filter((r) => r.result !== 'pass')).toEqual([]);
    expect(rows.find((r) => r.name === 'valid nonces')?.measured).toBe(
      '982 = below pool target 900 + duplicate (not sent) 2 + shares 80',
    );
  });

  it('fails the row where one nonce or one share went missing', () => {
    expect(result(evaluate(observe({ ledger: { ...ledger, hwErrors: 2 } })), 'nonces in the pipeline')).toBe(
      'FAIL',
    );
    expect(result(evaluate(observe({ ledger: { ...ledger, belowTarget: 899 } })), 'valid nonces')).toBe(
      'FAIL',
    );
    expect(result(evaluate(observe({ ledger: { ...ledger, localStale: 0 } })), 'shares')).toBe('FAIL');
    expect(result(evaluate(observe({ ledger: { ...ledger, unacknowledged: 2 } })), 'submitted shares')).toBe(
      'FAIL',
    );
    // Without line faults every nonce the chips sent must arrive.
    expect(
      result(evaluate(observe({ ledger: { ...ledger, simNoncesEmitted: 1001 } })), 'nonces: chips'),
    ).toBe('FAIL');
    const spoiled = { ...ledger, simNoncesEmitted: 1001, crcErrors: 1 };
    expect(result(evaluate(observe({ ledger: spoiled, lineFaults: true })), 'nonces: chips')).toBe('pass');
  });

  it('lets the pools be ahead of the client only by the shares lost in flight', () => {
    expect(result(evaluate(observe({ pools: [books(73)] })), "pools' accepted")).toBe('pass');
    expect(result(evaluate(observe({ pools: [books(74)] })), "pools' accepted")).toBe('FAIL');
    expect(result(evaluate(observe({ pools: [books(69)] })), "pools' accepted")).toBe('FAIL');
  });

  it('fails duplicates, late stale shares, a restart, growth, idling and a slow stop', () => {
    const dup = { ...books(70), duplicates: 1 };
    expect(result(evaluate(observe({ pools: [dup] })), 'shares submitted twice')).toBe('FAIL');
    const late = { ...books(70), staleAfterSwitch: 1, maxStaleLatenessMs: 900 };
    expect(result(evaluate(observe({ pools: [late] })), 'old-prev-hash')).toBe('FAIL');
    expect(result(evaluate(observe({ exitedEarly: true })), 'rig process')).toBe('FAIL');
    expect(result(evaluate(observe({ ledger: { ...ledger, pid: 43 } })), 'rig process')).toBe('FAIL');
    expect(result(evaluate(observe({ rssEndMb: 85 })), 'RSS growth')).toBe('FAIL');
    // Readings the rig could not take after a collection judge nothing: no pass on garbage.
    const uncollected = { ...memory, collected: false };
    expect(result(evaluate(observe({ memoryEnd: uncollected })), 'RSS growth')).toBe('FAIL');
    expect(result(evaluate(observe({ workingSamples: 94 })), 'work on the chips')).toBe('FAIL');
    expect(
      result(evaluate(observe({ stopSeconds: undefined, stopCode: undefined })), 'stops on SIGTERM'),
    ).toBe('FAIL');
    expect(result(evaluate(observe({ apiSharesAccepted: 69 })), 'API sharesAccepted')).toBe('FAIL');
  });

  it('judges the lag only when an idle process on the same host stays under half the bound', () => {
    expect(result(evaluate(observe({ lagP99Ms: 25, hostLagP99Ms: 4 })), 'event-loop lag')).toBe('FAIL');
    expect(result(evaluate(observe({ lagP99Ms: 25, hostLagP99Ms: 12 })), 'event-loop lag')).toBe('SKIP');
    expect(result(evaluate(observe({ lagP99Ms: 15, hostLagP99Ms: 12 })), 'event-loop lag')).toBe('pass');
    expect(result(evaluate(observe({ lagP99Ms: undefined, hostLagP99Ms: 2 })), 'event-loop lag')).toBe(
      'FAIL',
    );
  });

  it('needs 10^6 clean inputs per byte decoder; the handshake runs on a time budget', () => {
    const fuzz = [
      { name: 'sv2 frame decoder', inputs: 1_000_000, seconds: 10, violations: 0, firstViolation: undefined },
      {
        name: 'cgminer request parser',
        inputs: 999_999,
        seconds: 10,
        violations: 0,
        firstViolation: undefined,
      },
      { name: 'bm13xx reply parser', inputs: 1_000_000, seconds: 10, violations: 1, firstViolation: 'x' },
      {
        name: 'noise handshake (act 2)',
        inputs: 3_000,
        seconds: 20,
        violations: 0,
        firstViolation: undefined,
      },
    ];
    const rows = evaluate(observe({ fuzz }));
    expect(fuzz.map((f) => result(rows, `fuzz: ${f.name}`))).toEqual(['pass', 'FAIL', 'FAIL', 'pass']);
  });
});

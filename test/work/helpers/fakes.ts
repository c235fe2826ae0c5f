/**
 * Test doubles for the work pipeline: a manual clock and a HashChain that records the work it
 * is given and lets a test push nonces back. No timers, no chips.
 */
import type {
  ChainInfo,
  ChainStats,
  ChipCounterReading,
  ChipWork,
  HashChain,
  NonceListener,
  NonceResult,
} from '../../../drivers/types.js';
import type { Clock, TimerHandle } from '../../../src/time/clock.js';

export class ManualClock implements Clock {
  private time = 0;
  private seq = 0;
  private timers: { due: number; seq: number; fn: () => void }[] = [];

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const timer = { due: this.time + ms, seq: this.seq++, fn };
    this.timers.push(timer);
    return { timer };
  }

  clearTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t !== handle.timer);
  }

  pending(): number {
    return this.timers.length;
  }

  /** Moves time forward, firing due timers in order (timers set by timers included). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = [...this.timers].sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (next === undefined || next.due > end) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.due;
      next.fn();
    }
    this.time = end;
  }
}

interface SentWork {
  readonly work: ChipWork;
  readonly clean: boolean;
}

export class FakeChain implements HashChain {
  readonly index: number;
  readonly sent: SentWork[] = [];
  readonly hwErrors: (number | undefined)[] = [];
  private listener: NonceListener | undefined;
  private chainInfo: ChainInfo | undefined;
  /** When set, sendWork waits on this (to observe ordering) or rejects with it. */
  sendBehaviour: 'resolve' | 'hold' | Error = 'resolve';
  private readonly held: (() => void)[] = [];

  /** `info` null = a chain that has not been initialised. */
  constructor(index: number, info: Partial<ChainInfo> | null = {}) {
    this.index = index;
    this.chainInfo =
      info === null
        ? undefined
        : {
            chain: index,
            chipModel: 'BM1370',
            chipCount: 1,
            addresses: [0],
            frequencyMhz: 525,
            baud: 1_000_000,
            nominalHashrate: 1e12,
            chipDifficulty: 1,
            ...info,
          };
  }

  async init(): Promise<ChainInfo> {
    if (this.chainInfo === undefined) throw new Error('fake chain has no info');
    return this.chainInfo;
  }

  sendWork(work: ChipWork, clean: boolean): Promise<void> {
    this.sent.push({ work, clean });
    if (this.sendBehaviour instanceof Error) return Promise.reject(this.sendBehaviour);
    if (this.sendBehaviour === 'hold') return new Promise((resolve) => this.held.push(resolve));
    return Promise.resolve();
  }

  releaseHeld(): void {
    for (const resolve of this.held.splice(0)) resolve();
  }

  onNonce(listener: NonceListener): void {
    this.listener = listener;
  }

  /** Pushes a nonce as the chain would, found on `work` with `version` and `nonce`. */
  emit(work: ChipWork, nonce: number, version = work.version, chipIndex: number | undefined = 0): void {
    const result: NonceResult = {
      chain: this.index,
      work,
      nonce,
      version,
      chipIndex,
      coreId: undefined,
      receivedAt: 77,
    };
    this.listener?.(result);
  }

  reportHardwareError(chipIndex: number | undefined): void {
    this.hwErrors.push(chipIndex);
  }

  stats(): ChainStats {
    return {
      chain: this.index,
      chipModel: this.chainInfo?.chipModel ?? '?',
      chipCount: 1,
      frequencyMhz: 0,
      nonces: 0,
      stale: 0,
      crcErrors: 0,
      junkBytes: 0,
      jobsSent: this.sent.length,
      chips: [],
    };
  }

  info(): ChainInfo | undefined {
    return this.chainInfo;
  }

  /** Frequencies asked for, in order. */
  readonly frequencies: number[] = [];
  readonly needsCounterReads = false;

  async setFrequency(mhz: number): Promise<number> {
    this.frequencies.push(mhz);
    return mhz;
  }

  async readNonceCounters(): Promise<readonly ChipCounterReading[]> {
    return [];
  }

  async close(): Promise<void> {}
}

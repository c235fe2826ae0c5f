/**
 * A daisy chain of SimChips behind one UART (bm13xx.md §1.1, §3): frames the host's bytes with the
 * driver's parseCommand, delivers each command down the chain as far as the link rates agree,
 * assigns addresses to the first chip still in addressing mode, merges replies onto one RX stream,
 * and hashes every chip's job in short timer slices so the event loop stays responsive.
 */
import { CHIPS, type ChipModel, RESET_BAUD } from '../bm13xx/chips.js';
import { type Command, parseCommand } from '../bm13xx/commands.js';
import { type ChainFaults, type ChipFaults, isMute, lineNoise, seededRandom, spoilReply } from './faults.js';
import { SimChip } from './sim-chip.js';

export interface SimChainOptions {
  readonly model: ChipModel;
  /** Chip positions on the board; `faults[i].missing` leaves position i empty. */
  readonly chipCount: number;
  /** Real double SHA-256 per second for the whole chain (the simulated board's true speed). */
  readonly hashrate?: number;
  /**
   * Ticket relaxation in bits: a chip reports a hash with at least 32 + N - shift leading zero
   * bits where silicon needs 32 + N (N = log2 of the programmed ticket difficulty). The chip
   * target the host must check is therefore the ticket target times 2^shift.
   */
  readonly simTargetShift?: number;
  readonly faults?: ChainFaults;
  /** Seed of the fault PRNG (replays a failing run). */
  readonly seed?: number;
  /** Hashing slice period in ms. */
  readonly tickMs?: number;
  /** Largest share of each slice spent hashing (bounds the sim's CPU use). */
  readonly maxBusyFraction?: number;
}

export const SIM_DEFAULTS = {
  // ~27% of one core on the 2-core dev box (noble compression ~0.94 MH/s per core, bench/sim.ts).
  hashrate: 250_000,
  // Ticket difficulty 1 -> 16 zero bits: ~4 nonces/s at the default rate.
  simTargetShift: 16,
  seed: 1,
  tickMs: 20,
  maxBusyFraction: 0.5,
} as const;

interface SimChainStats {
  hashes: number;
  /** Milliseconds spent hashing (CPU the sim took from the event loop). */
  busyMs: number;
  commands: number;
  /** Frames dropped for a bad CRC5/CRC16, as silicon does. */
  badFrames: number;
  /** Host bytes no chip understood: junk, or sent at a rate the chips do not run at. */
  lostBytes: number;
  replies: number;
  nonces: number;
}

/** Rates within 5% interoperate (ESP-Miner runs 1.0 Mbaud against the chips' 1.0417, §12.10). */
function baudsMatch(a: number, b: number): boolean {
  return Math.abs(a - b) <= 0.05 * Math.max(a, b);
}

const HASH_CHUNK = 2048; // candidates between deadline checks

export class SimChain {
  readonly model: ChipModel;
  /** Chips actually present, nearest the host first. */
  readonly chips: readonly SimChip[];
  readonly hashrate: number;
  readonly simTargetShift: number;
  private faults: ChainFaults;
  private readonly random: () => number;
  private readonly tickMs: number;
  private readonly maxBusyFraction: number;
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  private readonly nonceCount = new Map<SimChip, number>();
  private hostBaud: number | 'follow' = RESET_BAUD;
  private rx: Uint8Array = new Uint8Array(0);
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private carry = 0;
  private rotate = 0;
  private closed = false;
  /** Core rail present: without it no chip hears or answers anything. */
  private powered = true;
  /** NRST held low by the board: chips sit in reset, hear nothing and hash nothing. */
  private held = false;
  private readonly counters: SimChainStats = {
    hashes: 0,
    busyMs: 0,
    commands: 0,
    badFrames: 0,
    lostBytes: 0,
    replies: 0,
    nonces: 0,
  };

  constructor(options: SimChainOptions) {
    if (!Number.isInteger(options.chipCount) || options.chipCount < 1 || options.chipCount > 256) {
      throw new RangeError(`chipCount must be 1..256, got ${options.chipCount}`);
    }
    this.model = options.model;
    this.hashrate = options.hashrate ?? SIM_DEFAULTS.hashrate;
    this.simTargetShift = options.simTargetShift ?? SIM_DEFAULTS.simTargetShift;
    this.faults = options.faults ?? {};
    this.random = seededRandom(options.seed ?? SIM_DEFAULTS.seed);
    this.tickMs = options.tickMs ?? SIM_DEFAULTS.tickMs;
    this.maxBusyFraction = options.maxBusyFraction ?? SIM_DEFAULTS.maxBusyFraction;
    const present: number[] = [];
    for (let position = 0; position < options.chipCount; position++) {
      if (!this.faults[position]?.missing) present.push(position);
    }
    this.chips = present.map(
      (position, chainIndex) =>
        new SimChip({
          model: this.model,
          simTargetShift: this.simTargetShift,
          position,
          chainIndex,
          chainLength: present.length,
        }),
    );
  }

  /** Bytes the chips send to the host (after faults and rate mismatches). Returns an unsubscribe. */
  onData(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The host UART's rate; 'follow' (pty mode) always matches the chips. */
  setHostBaud(baud: number | 'follow'): void {
    this.hostBaud = baud;
  }

  /** True when the host and every chip run at compatible rates (the chain is not deaf). */
  get linkOk(): boolean {
    return this.reach() === this.chips.length;
  }

  /** Bytes from the host. Bytes at a rate chip 0 does not run at are lost (it hears noise). */
  write(bytes: Uint8Array): void {
    if (this.closed) return;
    if (!this.powered || this.held) {
      this.counters.lostBytes += bytes.length;
      return;
    }
    const first = this.chips[0];
    if (first === undefined || !this.hostMatches(first.baud)) {
      this.counters.lostBytes += bytes.length;
      this.rx = new Uint8Array(0);
      return;
    }
    const joined = new Uint8Array(this.rx.length + bytes.length);
    joined.set(this.rx, 0);
    joined.set(bytes, this.rx.length);
    let buf = joined;
    for (;;) {
      const parsed = parseCommand(buf, { jobFormat: CHIPS[this.model].jobFormat });
      if (parsed.kind === 'incomplete') break;
      if (parsed.kind === 'invalid') {
        if (parsed.reason === 'crc') this.counters.badFrames++;
        else this.counters.lostBytes += parsed.skip;
        buf = buf.subarray(parsed.skip);
        continue;
      }
      this.counters.commands++;
      this.dispatch(parsed.command);
      buf = buf.subarray(parsed.length);
    }
    this.rx = Uint8Array.from(buf);
  }

  /** The NRST line (board reset GPIO): every chip back to power-on state, hashing stops (§10.1). */
  reset(): void {
    for (const chip of this.chips) chip.reset();
    this.reviveHungChips();
    this.nonceCount.clear();
    this.rx = new Uint8Array(0);
    this.stopTicking();
  }

  /** The core rail (the simulated regulator's output): losing it is a full reset, then silence. */
  setPowered(on: boolean): void {
    if (!on) this.reset();
    this.powered = on;
  }

  /** The reset line as a level: held keeps every chip in its power-on state until released. */
  setResetHeld(held: boolean): void {
    if (held) this.reset();
    this.held = held;
  }

  get isPowered(): boolean {
    return this.powered;
  }

  /**
   * Changes one chip's line faults while the chain runs (a chip dying, a connector going bad).
   * A position cannot become missing at runtime: the chain's length is fixed at power-on.
   */
  setFaults(position: number, faults: ChipFaults): void {
    if (faults.missing === true) throw new RangeError('a chip cannot go missing while the chain runs');
    if (!this.chips.some((chip) => chip.position === position))
      throw new RangeError(`no chip at position ${position}`);
    this.faults = { ...this.faults, [position]: faults };
    this.nonceCount.clear();
  }

  /** A reset clears a hang (the chip comes back from power-on state); a dead chip stays dead. */
  private reviveHungChips(): void {
    let revived = false;
    const next: Record<number, ChipFaults> = { ...this.faults };
    for (const [position, f] of Object.entries(this.faults)) {
      if (f.hung !== true) continue;
      next[Number(position)] = { ...f, hung: false };
      revived = true;
    }
    if (revived) this.faults = next;
  }

  /** The faults now in force at `position` (a hang a reset cleared reads false). */
  faultsAt(position: number): ChipFaults {
    return this.faults[position] ?? {};
  }

  close(): void {
    this.closed = true;
    this.stopTicking();
    this.listeners.clear();
  }

  stats(): Readonly<SimChainStats> {
    return { ...this.counters };
  }

  /** How many chips (from the host on) a command reaches: it stops at the first rate mismatch. */
  private reach(): number {
    const first = this.chips[0];
    if (first === undefined || !this.hostMatches(first.baud)) return 0;
    let n = 1;
    while (n < this.chips.length) {
      const prev = this.chips[n - 1];
      const next = this.chips[n];
      if (prev === undefined || next === undefined || !baudsMatch(prev.baud, next.baud)) break;
      n++;
    }
    return n;
  }

  private hostMatches(chipBaud: number): boolean {
    return this.hostBaud === 'follow' || baudsMatch(this.hostBaud, chipBaud);
  }

  private dispatch(command: Command): void {
    // Rates are taken before the command runs: a baud write travels at the old rate to every chip.
    const reach = this.reach();
    if (command.type === 'setAddress') {
      // The first chip still in addressing mode keeps it; addressed chips pass it on (§3 step 5).
      const taker = this.chips.slice(0, reach).find((chip) => chip.addressingMode);
      if (taker !== undefined) {
        taker.address = command.address & 0xff;
        taker.addressingMode = false;
      }
      return;
    }
    for (let i = 0; i < reach; i++) {
      const chip = this.chips[i];
      if (chip === undefined) continue;
      for (const reply of chip.handle(command)) this.emit(chip, i, reply);
    }
    if (command.type === 'jobFull' || command.type === 'jobMidstate') this.ensureTicking();
  }

  /** Sends one reply frame from chip `index` toward the host through the chips in front of it. */
  private emit(chip: SimChip, index: number, frame: Uint8Array): void {
    const faults: ChipFaults = this.faults[chip.position] ?? {};
    if (isMute(faults)) return;
    let bytes = spoilReply(frame, faults, this.random);
    let pathOk = this.hostMatches(chip.baud);
    for (let i = index; i > 0 && pathOk; i--) {
      pathOk = baudsMatch(this.chips[i]?.baud ?? 0, this.chips[i - 1]?.baud ?? 0);
    }
    if (!pathOk) {
      // A UART at the wrong rate turns each frame into a shorter or longer burst of noise.
      const ratio = this.hostBaud === 'follow' ? 1 : this.hostBaud / chip.baud;
      bytes = lineNoise(Math.max(1, frame.length * ratio), this.random);
    }
    this.counters.replies++;
    const deliver = () => {
      if (this.closed) return;
      for (const listener of this.listeners) listener(bytes);
    };
    const latency = faults.replyLatencyMs ?? 0;
    if (latency > 0) setTimeout(deliver, latency).unref();
    else setImmediate(deliver);
  }

  private ensureTicking(): void {
    if (this.timer !== undefined || this.closed) return;
    this.lastTick = performance.now();
    this.timer = setTimeout(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  private stopTicking(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.carry = 0;
  }

  /** One hashing slice: the rate's share of hashes since the last slice, cut off at the CPU bound. */
  private tick(): void {
    this.timer = undefined;
    const start = performance.now();
    const active = this.chips.filter((chip) => chip.hashing && !isMute(this.faults[chip.position]));
    if (this.closed || active.length === 0) {
      this.carry = 0;
      return;
    }
    const elapsed = Math.min(10 * this.tickMs, start - this.lastTick);
    this.lastTick = start;
    const budget = (this.hashrate * elapsed) / 1000 + this.carry;
    const perChip = Math.floor(budget / active.length);
    this.carry = Math.min(this.hashrate, budget - perChip * active.length);
    const deadline = start + this.tickMs * this.maxBusyFraction;
    this.rotate = (this.rotate + 1) % active.length;
    for (let k = 0; k < active.length && performance.now() < deadline; k++) {
      const chip = active[(k + this.rotate) % active.length];
      if (chip === undefined) continue;
      let left = perChip;
      while (left > 0 && chip.hashing && performance.now() < deadline) {
        const slice = chip.hash(Math.min(HASH_CHUNK, left));
        left -= Math.max(1, slice.hashes);
        this.counters.hashes += slice.hashes;
        for (const reply of slice.replies) this.emitNonce(chip, reply);
      }
    }
    this.counters.busyMs += performance.now() - start;
    this.ensureTicking();
  }

  private emitNonce(chip: SimChip, reply: Uint8Array): void {
    const limit = this.faults[chip.position]?.stopNoncesAfter;
    const sent = this.nonceCount.get(chip) ?? 0;
    if (limit !== undefined && sent >= limit) return;
    this.nonceCount.set(chip, sent + 1);
    this.counters.nonces++;
    this.emit(chip, this.chips.indexOf(chip), reply);
  }
}

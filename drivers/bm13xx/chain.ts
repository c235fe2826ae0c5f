/**
 * Bm13xxChain: one UART daisy chain of BM13xx chips as a HashChain (drivers/types.ts). Bring-up
 * follows bm13xx.md §3 and §4.2 via init-plan.ts; jobs follow §7 (full header, or host midstates
 * on the BM1397); nonces are decoded per §2.3 and tied back to work through the job ring. Board
 * facts (reset line, chip count, baud) are injected; this file never opens GPIO or picks a binding.
 */
import { ChipError } from '../../src/errors.js';
import { type Logger, silentLog } from '../../src/log.js';
import type {
  ChainInfo,
  ChainStats,
  ChipCounterReading,
  ChipWork,
  HashChain,
  NonceListener,
} from '../types.js';
import { type BringUpContext, type BringUpState, ramp, runInitPlan, writeHcn } from './bring-up.js';
import {
  type Bm13xxChainOptions,
  type ChainTiming,
  checkChainOptions,
  DEFAULT_TIMING,
} from './chain-options.js';
import { type BaudOption, CHIPS, type ChipSpec, chipIndexFromNonce, RESET_BAUD } from './chips.js';
import { readRegister, type Target, writeRegister } from './commands.js';
import { initPlan } from './init-plan.js';
import { JobRing } from './job-ring.js';
import { buildJob, nonceResult, type SentJob } from './nonce-path.js';
import { POWER_ON_MHZ } from './pll.js';
import { type ProbeDump, probeChain } from './probe.js';
import { RegisterReads } from './register-reads.js';
import { ticketDifficulty } from './registers.js';
import type { RegisterReply, Reply } from './replies.js';
import { ReplyParser } from './reply-parser.js';

export class Bm13xxChain implements HashChain {
  readonly index: number;
  readonly spec: ChipSpec;
  private readonly o: Bm13xxChainOptions;
  private readonly timing: ChainTiming;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly baudOption: BaudOption | undefined;
  private readonly parser: ReplyParser;
  private readonly ring: JobRing<SentJob>;
  private readonly listeners: NonceListener[] = [];
  private readonly reads = new RegisterReads();
  private unsubscribe: (() => void) | undefined;
  private chainInfo: ChainInfo | undefined;
  private readonly state: BringUpState = { addresses: [], interval: 256, frequencyMhz: POWER_ON_MHZ };
  private versionMaskValue = 0x9000ffff; // full mask 0x1FFFE000 until work says otherwise (§4.4)
  private lastNonceKey = -1;
  /** Where bring-up ramps to: the configured frequency, or the last one set while mining (a re-init keeps a throttle). */
  private targetMhz: number;
  private readonly counters: ChainStats;

  constructor(options: Bm13xxChainOptions) {
    this.o = options;
    this.index = options.index;
    this.spec = CHIPS[options.model];
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.log = options.logger ?? silentLog;
    this.now = options.now ?? (() => performance.now());
    this.baudOption = checkChainOptions(options, this.spec);
    this.targetMhz = options.frequencyMhz;
    this.parser = new ReplyParser(options.model, this.spec.replyLength.plain, (r) => this.onReply(r));
    this.ring = new JobRing(this.spec.jobId.sequence);
    this.counters = {
      chain: options.index,
      chipModel: options.model,
      chipCount: options.expectedChipCount,
      frequencyMhz: 0,
      nonces: 0,
      stale: 0,
      crcErrors: 0,
      junkBytes: 0,
      jobsSent: 0,
      chips: [],
    };
  }

  async init(): Promise<ChainInfo> {
    const { link, model } = this.o;
    this.chainInfo = undefined;
    this.ring.clear();
    this.unsubscribe ??= link.onBytes((b) => this.parser.push(b));
    // Chips leave reset at the default divider, so the host must be there too (§6).
    await link.open(RESET_BAUD);
    await this.o.reset();
    await link.flushInput();
    this.parser.clear();
    this.parser.setReplyLength(this.spec.replyLength.plain);
    const st = this.state;
    st.frequencyMhz = POWER_ON_MHZ;
    st.addresses = [];
    const plan = initPlan(model, {
      ticketDifficulty: ticketDifficulty(this.o.chipDifficulty),
      versionMaskValue: this.versionMaskValue,
    });
    await runInitPlan(this.bringUpContext(), plan, st);
    // A re-init of the same chain (flatline recovery) keeps each chip's counters: they are totals.
    const kept = this.counters.chips.length === st.addresses.length ? [...this.counters.chips] : [];
    this.counters.chips.length = 0;
    st.addresses.forEach((address, index) => {
      const before = kept[index];
      if (before !== undefined && before.address === address) {
        this.counters.chips.push(before);
        return;
      }
      this.counters.chips.push({
        index,
        address,
        nonces: 0,
        hardwareErrors: 0,
        stale: 0,
        crcErrors: 0,
        lastNonceAt: undefined,
      });
    });
    this.counters.frequencyMhz = st.frequencyMhz;
    const info: ChainInfo = {
      chain: this.index,
      chipModel: model,
      chipCount: st.addresses.length,
      addresses: [...st.addresses],
      frequencyMhz: st.frequencyMhz,
      baud: link.baud ?? RESET_BAUD,
      nominalHashrate: st.frequencyMhz * 1e6 * this.spec.smallCores * st.addresses.length,
      chipDifficulty: ticketDifficulty(this.o.chipDifficulty),
    };
    this.chainInfo = info;
    this.log.info({ chips: info.chipCount, mhz: info.frequencyMhz, baud: info.baud }, 'chain ready');
    return info;
  }

  private async write(target: Target, reg: number, value: number | Uint8Array): Promise<void> {
    await this.send(writeRegister(target, reg, value));
    // Any 0xA4 write with bit 31 makes BM1366+ answer in 11 bytes from now on (§13).
    const top = typeof value === 'number' ? value >>> 24 : (value[0] ?? 0);
    if (reg === 0xa4 && top & 0x80) this.parser.setReplyLength(this.spec.replyLength.rolling);
  }

  private async send(frame: Uint8Array): Promise<void> {
    await this.o.link.write(frame);
  }

  private bringUpContext(): BringUpContext {
    return {
      chain: this.index,
      spec: this.spec,
      expectedChipCount: this.o.expectedChipCount,
      targetMhz: this.targetMhz,
      baudOption: this.baudOption,
      timing: this.timing,
      link: this.o.link,
      log: this.log,
      write: (t, r, v) => this.write(t, r, v),
      send: (f) => this.send(f),
      readRegister: (t, r, e, idle) => this.readRegister(t, r, e, idle),
      clearReplies: () => this.parser.clear(),
    };
  }

  /** Change frequency on a running chain: ramp, then recompute HCN (§5.3). Resolves with the reached MHz. */
  async setFrequency(mhz: number): Promise<number> {
    checkChainOptions({ ...this.o, frequencyMhz: mhz }, this.spec);
    this.targetMhz = mhz;
    const ctx = this.bringUpContext();
    this.state.frequencyMhz = await ramp(ctx, this.state.frequencyMhz, mhz);
    await writeHcn(ctx, this.state);
    this.counters.frequencyMhz = this.state.frequencyMhz;
    if (this.chainInfo) this.chainInfo = { ...this.chainInfo, frequencyMhz: this.state.frequencyMhz };
    return this.state.frequencyMhz;
  }

  /**
   * Read `reg` from one chip or all; resolves with the answers once `expected` arrived or the
   * line has been quiet for `idleMs` after the last one.
   */
  async readRegister(
    target: Target,
    reg: number,
    expected?: number,
    idleMs = this.timing.readIdleMs,
  ): Promise<RegisterReply[]> {
    return this.reads.collect(reg, () => this.send(readRegister(target, reg)), expected, idleMs);
  }

  async sendWork(work: ChipWork, clean: boolean): Promise<void> {
    if (this.chainInfo === undefined)
      throw new ChipError(`chain ${this.index}: sendWork before init`, { chain: this.index });
    if (this.spec.inChipVersionRolling) {
      const value = (0x90000000 | ((work.versionMask >>> 13) & 0xffff)) >>> 0;
      if (value !== this.versionMaskValue) {
        this.versionMaskValue = value;
        await this.write('all', 0xa4, value); // re-send before the job when the mask changes (§4.4)
      }
    }
    const built = buildJob(this.spec, work, (sent) => this.ring.next(sent, clean));
    this.counters.jobsSent++;
    await this.send(built);
  }

  private onReply(reply: Reply): void {
    if (reply.kind === 'register') {
      if (!this.reads.route(reply))
        this.log.debug(
          { reg: reply.reg, addr: reply.chipAddress, value: reply.value },
          'unsolicited register reply',
        );
      return;
    }
    const sent = this.ring.get(reply.jobId);
    const chipIndex = this.chipIndexOf(reply.nonceBe);
    const chip = chipIndex === undefined ? undefined : this.counters.chips[chipIndex];
    if (sent === undefined) {
      this.counters.stale++;
      if (chip) chip.stale++;
      return;
    }
    // The BM1397 repeats nonces now and then (ESP-Miner drops an equal successor, §2.4).
    const key = (reply.nonce ^ (reply.resultHeader << 24)) >>> 0;
    if (this.spec.jobFormat === 'midstate' && key === this.lastNonceKey) return;
    this.lastNonceKey = key;
    const at = this.now();
    const result = nonceResult(this.index, sent, reply, chipIndex, at);
    if (result === undefined) {
      this.counters.stale++;
      return;
    }
    this.counters.nonces++;
    if (chip) {
      chip.nonces++;
      chip.lastNonceAt = at;
    }
    for (const l of this.listeners) l(result);
  }

  /** True when every nonce names its chip: a single chip, or a model that stamps its address (§12.7). */
  get noncesNameTheirChip(): boolean {
    return this.state.addresses.length === 1 || this.spec.nonceCarriesAddress;
  }

  get needsCounterReads(): boolean {
    return !this.noncesNameTheirChip && this.spec.nonceCounterReg !== undefined;
  }

  /**
   * Every chip's total nonce counter in one broadcast read (§4.1 0x8C, §12.7): per-chip hashrate
   * where nonces cannot be attributed. The answers carry the chip address; an address we did not
   * assign is ignored. Empty when the model has no such counter or the chain is not ready.
   */
  async readNonceCounters(): Promise<ChipCounterReading[]> {
    const reg = this.spec.nonceCounterReg;
    const addresses = this.state.addresses;
    if (reg === undefined || this.chainInfo === undefined || addresses.length === 0) return [];
    const replies = await this.readRegister('all', reg, addresses.length);
    const readings: ChipCounterReading[] = [];
    for (const r of replies) {
      const chipIndex = addresses.indexOf(r.chipAddress);
      if (chipIndex >= 0 && !readings.some((x) => x.chipIndex === chipIndex))
        readings.push({ chipIndex, count: r.value >>> 0 });
    }
    return readings;
  }

  private chipIndexOf(nonceBe: number): number | undefined {
    const n = this.state.addresses.length;
    if (n === 1) return 0;
    const i = chipIndexFromNonce(this.spec, nonceBe, this.state.interval);
    return i !== undefined && i < n ? i : undefined;
  }

  onNonce(listener: NonceListener): void {
    this.listeners.push(listener);
  }

  reportHardwareError(chipIndex: number | undefined): void {
    const chip = chipIndex === undefined ? undefined : this.counters.chips[chipIndex];
    if (chip) chip.hardwareErrors++;
  }

  stats(): ChainStats {
    this.counters.crcErrors = this.parser.counters.crcErrors;
    this.counters.junkBytes = this.parser.counters.junkBytes;
    return { ...this.counters, chips: this.counters.chips.map((c) => ({ ...c })) };
  }

  info(): ChainInfo | undefined {
    return this.chainInfo;
  }

  /** Register dump for `sv2miner probe`: frequency, masks, baud, chip ids, addresses. */
  probe(): Promise<ProbeDump> {
    return probeChain(this, this.o.model, this.state.addresses, this.o.link.baud);
  }

  async close(): Promise<void> {
    this.chainInfo = undefined;
    this.ring.clear();
    this.reads.finishAll();
    if (this.o.stop) await this.o.stop();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.o.link.close();
  }
}

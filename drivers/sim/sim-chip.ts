/**
 * One simulated BM13xx chip: registers with power-on values, the 9 -> 11-byte reply switch, the
 * reporting gate, baud from its divider, and a real double-SHA-256 search of the current job
 * (bm13xx.md §2-§8, §13). Commands arrive already framed and CRC-checked by sim-chain.ts with the
 * driver's own parseCommand; replies are built with the driver's encoders from replies.ts.
 */
import { CHIPS, type ChipModel, type ChipSpec } from '../bm13xx/chips.js';
import type { Command, FullJob, MidstateJob } from '../bm13xx/commands.js';
import { decodePll, POWER_ON_MHZ } from '../bm13xx/pll.js';
import { bytesToU32, REGISTERS, u32ToBytes, uartBaudFromRegister } from '../bm13xx/registers.js';
import { encodeNonceReply, encodeRegisterReply, type ReplyLength } from '../bm13xx/replies.js';
import { type NonceSplit, splitFor } from './nonce-split.js';
import { type Hit, NonceSearch, type SearchSpace } from './sim-hasher.js';

/** Register values out of reset (§4.1, §6, §13); anything else reads 0 until written. */
const POWER_ON: Readonly<Record<number, number>> = {
  24: 0x0000c100, // MISC_CONTROL: report enables clear (BM1366+), §13
  40: 0x01301a00, // UART_BAUD divider 26 -> 115,740 baud, §6
};
const BM1397_POWER_ON: Readonly<Record<number, number>> = {
  24: 0x00007a31, // MISC_CONTROL BT8D = 26 -> 115,740 baud, §6 (inferred power-on value)
};
const NONCE_COUNTER_TOTAL = 0x8c; // §4.1: difficulty-1 nonces, free running
const NONCE_COUNTER_DOMAIN0 = 0x88; // 0x88..0x8B: per quarter of the core array

interface SimChipOptions {
  readonly model: ChipModel;
  /** Relaxation of the ticket test, in bits: see SimChain and sim-binding.ts. */
  readonly simTargetShift: number;
  /** Physical position on the chain (0 = nearest the host). */
  readonly position: number;
  /** Place among the chips present (missing positions skipped) and how many there are: the nonce
   * split of models that do not stamp their address (nonce-split.ts). */
  readonly chainIndex: number;
  readonly chainLength: number;
}

/** What one call to `hash()` did. */
interface HashSlice {
  readonly hashes: number;
  /** Nonce reply frames, in the model's exact format. */
  readonly replies: Uint8Array[];
}

export class SimChip {
  readonly spec: ChipSpec;
  readonly position: number;
  readonly simTargetShift: number;
  readonly chainIndex: number;
  readonly chainLength: number;
  /** Address the chip answers to (0 after reset). */
  address = 0;
  /** Set by chain-inactive; cleared when a set-address command gives this chip its address. */
  addressingMode = false;
  /** Nonce reports sent since reset (the stopNoncesAfter fault counts these). */
  noncesReported = 0;
  hashesDone = 0;
  private regs = new Map<number, number>();
  private longReplies = false;
  private search: NonceSearch | undefined;
  private jobId = 0;

  constructor(options: SimChipOptions) {
    this.spec = CHIPS[options.model];
    this.position = options.position;
    this.simTargetShift = options.simTargetShift;
    this.chainIndex = options.chainIndex;
    this.chainLength = options.chainLength;
    this.reset();
  }

  /** Power-on state: address 0, default registers, 9-byte replies, no job (the NRST line, §10.1). */
  reset(): void {
    this.address = 0;
    this.addressingMode = false;
    this.longReplies = false;
    this.search = undefined;
    this.noncesReported = 0;
    this.regs = new Map(
      Object.entries(this.isBm1397 ? BM1397_POWER_ON : POWER_ON).map(([k, v]) => [Number(k), v]),
    );
  }

  get isBm1397(): boolean {
    return !this.spec.inChipVersionRolling;
  }

  get replyLength(): ReplyLength {
    return this.longReplies ? this.spec.replyLength.rolling : this.spec.replyLength.plain;
  }

  /** The chip's UART rate from its divider: 0x28 bits 15..8 (BM1366+) or 0x18 BT8D bits 12..8 (BM1397), §6. */
  get baud(): number {
    if (this.isBm1397) return Math.round(25_000_000 / (8 * (((this.reg(0x18) >>> 8) & 0x1f) + 1)));
    return uartBaudFromRegister(this.reg(0x28));
  }

  /** Hash clock from PLL0 (0x08); the power-on 50 MHz until the host writes a valid setting (§5.3). */
  get frequencyMhz(): number {
    if (!this.regs.has(0x08)) return POWER_ON_MHZ;
    return decodePll(this.spec.model, u32ToBytes(this.reg(0x08)))?.actualMhz ?? 0;
  }

  /** Difficulty programmed in TICKET_MASK (0x14), a power of two (§4.3). */
  get ticketDifficulty(): number {
    return REGISTERS.TICKET_MASK.decode(u32ToBytes(this.reg(0x14)));
  }

  /**
   * Leading zero bits a hash needs to be reported: 32 + log2(ticket difficulty) on silicon
   * ("at least 32 + N zero bits", §13), minus the configured relaxation.
   */
  get reportZeroBits(): number {
    return Math.max(0, 32 + Math.log2(this.ticketDifficulty) - this.simTargetShift);
  }

  get hashing(): boolean {
    return this.search !== undefined && !this.search.exhausted;
  }

  reg(addr: number): number {
    if (addr === REGISTERS.CHIP_ID.addr) {
      const coreNum = this.spec.model === 'BM1362' ? 0x03 : 0x00; // §3: 0x03 on BM1362, 0x00 on BM1370
      return bytesToU32(
        REGISTERS.CHIP_ID.encode({ chipId: this.spec.chipId, coreNum, address: this.address }),
      );
    }
    return this.regs.get(addr) ?? 0;
  }

  /**
   * A register as a read returns it: PLL0 carries the read-only LOCKED bit 31 (bm13xx.md §5.1),
   * set here once the host programmed a setting that decodes to a frequency, as silicon does
   * after its lock time.
   */
  private readBack(addr: number): number {
    const value = this.reg(addr);
    if (addr === REGISTERS.PLL0.addr && this.regs.has(addr) && this.frequencyMhz > 0)
      return (value | 0x80000000) >>> 0;
    return value;
  }

  /** Does a command with this target reach this chip's registers? */
  accepts(target: number | 'all'): boolean {
    return target === 'all' || target === this.address;
  }

  /**
   * Applies a command the chain delivered to this chip. Returns the reply frames; only register
   * reads answer (§13 "silent commands"). Set-address is the chain's business (first chip in
   * addressing mode takes it), so it does not come here.
   */
  handle(command: Command): Uint8Array[] {
    switch (command.type) {
      case 'readRegister':
        if (!this.accepts(command.target)) return [];
        return [
          encodeRegisterReply(
            { value: this.readBack(command.reg), chipAddress: this.address, reg: command.reg },
            this.replyLength,
          ),
        ];
      case 'writeRegister':
        if (this.accepts(command.target)) this.write(command.reg, command.value);
        return [];
      case 'chainInactive':
        this.addressingMode = true;
        return [];
      case 'setAddress':
        return [];
      case 'jobFull':
        if (!this.isBm1397) this.startFullJob(command.job);
        return [];
      case 'jobMidstate':
        if (this.isBm1397) this.startMidstateJob(command.job);
        return [];
    }
  }

  /** Hashes up to `count` candidates of the current job and returns the nonce replies that pass. */
  hash(count: number): HashSlice {
    const search = this.search;
    if (search === undefined) return { hashes: 0, replies: [] };
    const replies: Uint8Array[] = [];
    const report = this.reportZeroBits;
    const counterBits = Math.max(0, 32 - this.simTargetShift);
    const gate = this.isBm1397 ? 0xf : (this.reg(0x18) >>> 28) & 0xf;
    const hashes = search.run(count, Math.min(report, counterBits), (hit) => {
      if (hit.zeroBits >= counterBits) this.countNonce(hit);
      if (hit.zeroBits < report) return;
      // Cores whose quarter is masked in MISC_CONTROL bits 31..28 keep hashing but stay quiet (§13).
      if (((gate >>> Math.min(3, hit.core >>> 5)) & 1) === 0) return;
      replies.push(this.nonceReply(hit, report));
    });
    this.hashesDone += hashes;
    return { hashes, replies };
  }

  private write(reg: number, value: number): void {
    this.regs.set(reg, value >>> 0);
    // 0xA4 with bit 31 switches BM1366+ to 11-byte replies and never back (§13).
    if (reg === REGISTERS.MIDSTATE_CONFIG.addr && !this.isBm1397 && value & 0x80000000)
      this.longReplies = true;
  }

  private startFullJob(job: FullJob): void {
    const header = new Uint8Array(80);
    const view = new DataView(header.buffer);
    view.setUint32(0, job.version, true);
    header.set(job.prevHash, 4);
    header.set(job.merkleRoot, 36);
    view.setUint32(68, job.ntime, true);
    view.setUint32(72, job.nbits, true);
    const a4 = this.reg(REGISTERS.MIDSTATE_CONFIG.addr);
    const space: SearchSpace = {
      kind: 'rolling',
      header,
      versionMask16: a4 & 0x80000000 ? a4 & 0xffff : 0,
      subCores: this.spec.model === 'BM1366' || this.spec.model === 'BM1362' ? 8 : 16, // §2.3
      cores: this.spec.cores,
    };
    this.jobId = job.jobId;
    this.search = new NonceSearch(space, this.nonceSplit());
  }

  private startMidstateJob(job: MidstateJob): void {
    const tail = new Uint8Array(12);
    const view = new DataView(tail.buffer);
    tail.set(job.merkle4, 0);
    view.setUint32(4, job.ntime, true);
    view.setUint32(8, job.nbits, true);
    const midstates = job.midstates.map((m) => {
      const words = new Uint32Array(8);
      const mv = new DataView(m.buffer, m.byteOffset, 32);
      for (let i = 0; i < 8; i++) words[i] = mv.getUint32(i * 4);
      return words;
    });
    this.jobId = job.jobId;
    this.search = new NonceSearch(
      { kind: 'midstates', midstates, tail, cores: this.spec.cores },
      this.nonceSplit(),
    );
  }

  /** Taken when a job starts, so a later address change applies from the next job. */
  private nonceSplit(): NonceSplit {
    return splitFor(this.spec, this.address, this.chainIndex, this.chainLength);
  }

  private nonceReply(hit: Hit, reportZeroBits: number): Uint8Array {
    this.noncesReported++;
    // Byte 6 on BM1362+: excess difficulty in half bits above the threshold the chip applied (§2.3).
    const excess = this.isBm1397 ? 0 : Math.min(0xff, 2 * (hit.zeroBits - reportZeroBits));
    const nonce = new DataView(hit.nonceBytes.buffer, hit.nonceBytes.byteOffset, 4).getUint32(0, true);
    return encodeNonceReply(
      {
        nonce,
        midstateNum: excess,
        resultHeader: this.spec.jobId.toReply(this.jobId, hit.slot),
        versionField: hit.versionField,
      },
      this.replyLength,
    );
  }

  private countNonce(hit: Hit): void {
    const bump = (reg: number) => this.regs.set(reg, ((this.regs.get(reg) ?? 0) + 1) >>> 0);
    bump(NONCE_COUNTER_TOTAL);
    bump(NONCE_COUNTER_DOMAIN0 + Math.min(3, hit.core >>> 5));
  }
}

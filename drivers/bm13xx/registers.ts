/**
 * BM13xx register table (bm13xx.md §4.1): address, name and the codec of the 4 value bytes, which
 * always travel MSB-first. Plain registers carry a u32; the few with structure (CHIP_ID, PLL0,
 * TICKET_MASK, MIDSTATE_CONFIG, UART_BAUD) decode to typed values. Model semantics (PLL post-divider
 * minus one, baud register per family) live in pll.ts and chips.ts, not here.
 */

interface RegisterDef<V> {
  readonly addr: number;
  readonly name: string;
  readonly encode: (value: V) => Uint8Array;
  readonly decode: (bytes: Uint8Array) => V;
}

interface ChipIdValue {
  /** 0x1370 etc. */
  readonly chipId: number;
  /** Byte 2, "core number" in the sources; not reliable (§3). */
  readonly coreNum: number;
  /** The chip's current address (byte 3). */
  readonly address: number;
}

/** PLL0 (0x08) bit fields as stored (§5.1); postDiv fields are raw, see pll.ts for the model rule. */
export interface Pll0Fields {
  readonly locked: boolean;
  readonly enabled: boolean;
  readonly vcoHigh: boolean;
  readonly fbDiv: number;
  readonly refDiv: number;
  readonly postDiv1Field: number;
  readonly postDiv2Field: number;
}

/** MIDSTATE_CONFIG (0xA4): the header version mask it enables, plus the raw control bits. */
interface VersionMaskValue {
  /** Header-version mask (pool form, e.g. 0x1FFFE000). */
  readonly mask: number;
  /** Bits 31..16 as written (0x9000 = auto midstates, code 1). */
  readonly control: number;
}

export function u32ToBytes(value: number): Uint8Array {
  const v = value >>> 0;
  return Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

export function bytesToU32(bytes: Uint8Array, offset = 0): number {
  if (bytes.length < offset + 4)
    throw new RangeError(`need 4 register bytes at ${offset}, have ${bytes.length}`);
  return (
    (((bytes[offset] ?? 0) << 24) |
      ((bytes[offset + 1] ?? 0) << 16) |
      ((bytes[offset + 2] ?? 0) << 8) |
      (bytes[offset + 3] ?? 0)) >>>
    0
  );
}

function plain(addr: number, name: string): RegisterDef<number> {
  return { addr, name, encode: u32ToBytes, decode: (b) => bytesToU32(b) };
}

function reverseBits8(b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i);
  return r;
}

/**
 * TICKET_MASK value: the difficulty (power of two) below which the chip stays silent (§4.3).
 * Wire bytes = (2^N - 1) MSB-first, each byte bit-reversed. Other difficulties round down.
 */
const TICKET_MASK: RegisterDef<number> = {
  addr: 0x14,
  name: 'TICKET_MASK',
  encode: (difficulty) => {
    const mask = ticketDifficulty(difficulty) - 1;
    return u32ToBytes(mask).map(reverseBits8);
  },
  decode: (bytes) => {
    const mask = bytesToU32(Uint8Array.from(bytes.subarray(0, 4), reverseBits8));
    // A well-formed mask is 2^N - 1; count its low one bits.
    let n = 0;
    while (n < 32 && (mask >>> n) & 1) n++;
    return 2 ** n;
  },
};

/** Largest power of two <= ceil(difficulty), at least 1 (ESP-Miner's rounding, §4.3). */
export function ticketDifficulty(difficulty: number): number {
  const d = Math.max(1, Math.ceil(difficulty));
  return 2 ** Math.min(31, Math.floor(Math.log2(d)));
}

const CHIP_ID: RegisterDef<ChipIdValue> = {
  addr: 0x00,
  name: 'CHIP_ID',
  encode: (v) => Uint8Array.of(v.chipId >> 8, v.chipId & 0xff, v.coreNum & 0xff, v.address & 0xff),
  decode: (b) => ({ chipId: ((b[0] ?? 0) << 8) | (b[1] ?? 0), coreNum: b[2] ?? 0, address: b[3] ?? 0 }),
};

const PLL0: RegisterDef<Pll0Fields> = {
  addr: 0x08,
  name: 'PLL0_PARAMETER',
  encode: (f) =>
    u32ToBytes(
      (f.locked ? 0x80000000 : 0) |
        (f.enabled ? 0x40000000 : 0) |
        (f.vcoHigh ? 0x10000000 : 0) |
        ((f.fbDiv & 0xfff) << 16) |
        ((f.refDiv & 0x3f) << 8) |
        ((f.postDiv1Field & 0x7) << 4) |
        (f.postDiv2Field & 0x7),
    ),
  decode: (b) => {
    const v = bytesToU32(b);
    return {
      locked: (v & 0x80000000) !== 0,
      enabled: (v & 0x40000000) !== 0,
      vcoHigh: (v & 0x10000000) !== 0,
      fbDiv: (v >>> 16) & 0xfff,
      refDiv: (v >>> 8) & 0x3f,
      postDiv1Field: (v >>> 4) & 0x7,
      postDiv2Field: v & 0x7,
    };
  },
};

/** value = 0x9000_0000 | (mask >> 13) (§4.4). */
const MIDSTATE_CONFIG: RegisterDef<VersionMaskValue> = {
  addr: 0xa4,
  name: 'MIDSTATE_CONFIG',
  encode: (v) => u32ToBytes(((v.control & 0xffff) << 16) | ((v.mask >>> 13) & 0xffff)),
  decode: (b) => {
    const v = bytesToU32(b);
    return { control: v >>> 16, mask: ((v & 0xffff) << 13) >>> 0 };
  },
};

export const REGISTERS = {
  CHIP_ID,
  PLL0,
  CHIP_NONCE_OFFSET: plain(0x0c, 'CHIP_NONCE_OFFSET'),
  HASH_COUNTING_NUMBER: plain(0x10, 'HASH_COUNTING_NUMBER'),
  TICKET_MASK,
  MISC_CONTROL: plain(0x18, 'MISC_CONTROL'),
  ORDERED_CLOCK_ENABLE: plain(0x20, 'ORDERED_CLOCK_ENABLE'),
  UART_BAUD: plain(0x28, 'UART_BAUD'),
  UART_RELAY: plain(0x2c, 'UART_RELAY'),
  CORE_REGISTER_CONTROL: plain(0x3c, 'CORE_REGISTER_CONTROL'),
  ERROR_COUNTER: plain(0x4c, 'ERROR_COUNTER'),
  ANALOG_MUX: plain(0x54, 'ANALOG_MUX'),
  IO_DRIVER_STRENGTH: plain(0x58, 'IO_DRIVER_STRENGTH'),
  /** BM1368/70 ring-osc pad disable; BM1397 PLL3 parameter. */
  PLL3_OR_PAD: plain(0x68, 'PLL3_PARAMETER'),
  PLL0_DIVIDER: plain(0x70, 'PLL0_DIVIDER'),
  CLOCK_ORDER_CONTROL0: plain(0x80, 'CLOCK_ORDER_CONTROL0'),
  CLOCK_ORDER_CONTROL1: plain(0x84, 'CLOCK_ORDER_CONTROL1'),
  NONCE_COUNTER_TOTAL: plain(0x8c, 'NONCE_COUNTER_TOTAL'),
  HASHRATE: plain(0x04, 'HASHRATE'),
  MIDSTATE_CONFIG,
  SOFT_RESET_CONTROL: plain(0xa8, 'SOFT_RESET_CONTROL'),
  ANALOG_CONTROL: plain(0xb9, 'ANALOG_CONTROL'),
} as const;

type RegisterName = keyof typeof REGISTERS;

const BY_ADDR = new Map<number, RegisterName>(
  (Object.keys(REGISTERS) as RegisterName[]).map((name) => [REGISTERS[name].addr, name]),
);

/** Name of a register address, or `REG_0xNN` for one the table does not know. */
export function registerName(addr: number): string {
  return BY_ADDR.get(addr) ?? `REG_0x${addr.toString(16).padStart(2, '0').toUpperCase()}`;
}

/** UART divider in 0x28 bits 15..8 (BM1366+) -> baud = 25 MHz / (8 x (div + 1)) (§6). */
export function uartBaudFromRegister(value: number): number {
  return Math.round(25_000_000 / (8 * (((value >>> 8) & 0xff) + 1)));
}

/** Core mailbox value for 0x3C (§4.1): all cores, write, core register `reg`, value `v`. */
export function coreRegisterWrite(reg: number, v: number): number {
  return (0x80008000 | ((reg & 0x1f) << 8) | (v & 0xff)) >>> 0;
}

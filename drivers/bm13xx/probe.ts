/**
 * Register dump of a running chain for `sv2miner probe` (bm13xx.md §4.1): chip ids, addresses,
 * PLL frequency, ticket mask, version mask, UART/misc control, read back from the chips with
 * broadcast reads. Returns a plain object; printing it is the CLI's job. The CLI itself waits
 * for board definitions (boards/), so only this function exists for now.
 */
import type { ChipModel } from './chips.js';
import type { Target } from './commands.js';
import { decodePll } from './pll.js';
import { REGISTERS, u32ToBytes, uartBaudFromRegister } from './registers.js';
import type { RegisterReply } from './replies.js';

interface ChipProbe {
  readonly address: number;
  readonly chipId: number | undefined;
  readonly frequencyMhz: number | undefined;
  readonly pllLocked: boolean | undefined;
  readonly ticketDifficulty: number | undefined;
  readonly versionMask: number | undefined;
  readonly miscControl: number | undefined;
  /** Chip-side UART rate from 0x28 (BM1366+); the BM1397 keeps its divider in 0x18. */
  readonly uartBaud: number | undefined;
}

export interface ProbeDump {
  readonly model: ChipModel;
  readonly hostBaud: number | undefined;
  readonly addresses: readonly number[];
  readonly chips: readonly ChipProbe[];
}

interface RegisterReader {
  readRegister(target: Target, reg: number, expected?: number): Promise<RegisterReply[]>;
}

export async function probeChain(
  reader: RegisterReader,
  model: ChipModel,
  addresses: readonly number[],
  hostBaud: number | undefined,
): Promise<ProbeDump> {
  const n = addresses.length > 0 ? addresses.length : undefined;
  const read = async (reg: number): Promise<Map<number, number>> =>
    new Map((await reader.readRegister('all', reg, n)).map((r) => [r.chipAddress, r.value]));
  const ids = await read(REGISTERS.CHIP_ID.addr);
  const pll = await read(REGISTERS.PLL0.addr);
  const ticket = await read(REGISTERS.TICKET_MASK.addr);
  const vmask = await read(REGISTERS.MIDSTATE_CONFIG.addr);
  const misc = await read(REGISTERS.MISC_CONTROL.addr);
  const uart = await read(REGISTERS.UART_BAUD.addr);
  const all = addresses.length > 0 ? addresses : [...ids.keys()];
  const chips = all.map((address): ChipProbe => {
    const p = pll.get(address);
    const decoded = p === undefined ? undefined : decodePll(model, u32ToBytes(p));
    const t = ticket.get(address);
    const v = vmask.get(address);
    const u = uart.get(address);
    const id = ids.get(address);
    return {
      address,
      chipId: id === undefined ? undefined : id >>> 16,
      frequencyMhz: decoded?.actualMhz,
      pllLocked: p === undefined ? undefined : (p & 0x80000000) !== 0,
      ticketDifficulty: t === undefined ? undefined : REGISTERS.TICKET_MASK.decode(u32ToBytes(t)),
      versionMask: v === undefined ? undefined : REGISTERS.MIDSTATE_CONFIG.decode(u32ToBytes(v)).mask,
      miscControl: misc.get(address),
      uartBaud: u === undefined || model === 'BM1397' ? undefined : uartBaudFromRegister(u),
    };
  });
  return { model, hostBaud, addresses: [...addresses], chips };
}

/**
 * Why a probed chain is not fit to hash, or undefined: a chip whose PLL0 reads back without the
 * LOCKED bit (bm13xx.md §5.1) has no stable hash clock at the frequency it was given.
 */
export function pllProblem(dump: ProbeDump): string | undefined {
  const unlocked = dump.chips.filter((c) => c.pllLocked === false).map((c) => `0x${c.address.toString(16)}`);
  if (unlocked.length === 0) return undefined;
  return `PLL not locked on chip${unlocked.length > 1 ? 's' : ''} ${unlocked.join(', ')} (PLL0 bit 31 clear: no stable hash clock at the set frequency)`;
}

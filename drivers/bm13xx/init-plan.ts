/**
 * Chain bring-up as data: the per-family init sequences of bm13xx.md §4.2 (ESP-Miner order for
 * BM1366/68/70/97, the factory order from mujina's REFERENCE.md for BM1362), plus the HCN
 * formula of §8.3. chain.ts executes a plan; keeping it data makes the order reviewable against
 * the reference table line by line and lets a test assert it without a serial port.
 */
import { CHIPS, type ChipModel } from './chips.js';
import { coreRegisterWrite, REGISTERS } from './registers.js';

type TimingKey = 'enumerateIdleMs' | 'perChipPauseMs' | 'bm1397AddressDelayMs';

export type InitStep =
  /** Broadcast register write (HDR 0x51), or to one fixed address. */
  | {
      readonly op: 'write';
      readonly target: number | 'all';
      readonly reg: number;
      readonly value: number | Uint8Array;
    }
  /** Broadcast read of CHIP_ID, count answers until the line is idle (§3 step 3). */
  | { readonly op: 'enumerate' }
  | { readonly op: 'chainInactive' }
  /** One set-address per chip, address i x interval (§3 step 5). */
  | { readonly op: 'assignAddresses' }
  /** These writes to every chip in turn (HDR 0x41), then an optional pause per chip. */
  | {
      readonly op: 'perChip';
      readonly writes: readonly (readonly [number, number])[];
      readonly pause?: TimingKey;
    }
  | { readonly op: 'pause'; readonly timing: TimingKey }
  /** PLL ramp from the power-on frequency to the target (§5.3). */
  | { readonly op: 'ramp' }
  /** HASH_COUNTING_NUMBER for the reached frequency (§8.3), where the family uses it. */
  | { readonly op: 'hcn' }
  /** Tell the chips the working baud, drain, then switch the host (§6). */
  | { readonly op: 'baud' };

interface PlanOptions {
  /** Ticket difficulty (power of two after rounding), §4.3. */
  readonly ticketDifficulty: number;
  /** 0xA4 value to start with: full mask 0x9000FFFF unless the pool's mask is already known. */
  readonly versionMaskValue: number;
}

const w = (reg: number, value: number | Uint8Array): InitStep => ({ op: 'write', target: 'all', reg, value });

export function initPlan(model: ChipModel, o: PlanOptions): InitStep[] {
  const ticket = w(0x14, REGISTERS.TICKET_MASK.encode(o.ticketDifficulty));
  const a4 = w(0xa4, o.versionMaskValue);
  switch (model) {
    case 'BM1370':
      return [
        a4,
        a4,
        a4,
        { op: 'enumerate' },
        a4,
        w(0xa8, 0x00070000),
        w(0x18, 0xf000c100),
        { op: 'chainInactive' },
        { op: 'assignAddresses' },
        w(0x3c, coreRegisterWrite(0x0b, 0x00)),
        w(0x3c, coreRegisterWrite(0x00, 0x0c)),
        ticket,
        w(0x58, 0x00011111),
        {
          op: 'perChip',
          writes: [
            [0xa8, 0x000701f0],
            [0x18, 0xf000c100],
            [0x3c, coreRegisterWrite(0x0b, 0x00)],
            [0x3c, coreRegisterWrite(0x00, 0x0c)],
            [0x3c, coreRegisterWrite(0x02, 0xaa)],
          ],
        },
        w(0xb9, 0x00004480),
        w(0x54, 0x00000002),
        w(0xb9, 0x00004480),
        w(0x3c, coreRegisterWrite(0x0d, 0xee)),
        { op: 'ramp' },
        { op: 'hcn' },
        { op: 'baud' },
      ];
    case 'BM1366':
      return [
        a4,
        a4,
        a4,
        { op: 'enumerate' },
        w(0xa8, 0x00070000),
        w(0x18, 0xff0fc100),
        { op: 'chainInactive' },
        { op: 'assignAddresses' },
        w(0x3c, coreRegisterWrite(0x05, 0x40)),
        w(0x3c, coreRegisterWrite(0x00, 0x20)),
        ticket,
        w(0x54, 0x00000003),
        w(0x58, 0x02111111),
        { op: 'write', target: 0x00, reg: 0x2c, value: 0x007c0003 },
        {
          op: 'perChip',
          writes: [
            [0xa8, 0x000701f0],
            [0x18, 0xf000c100],
            [0x3c, coreRegisterWrite(0x05, 0x40)],
            [0x3c, coreRegisterWrite(0x00, 0x20)],
            [0x3c, coreRegisterWrite(0x02, 0xaa)],
          ],
        },
        { op: 'ramp' },
        { op: 'hcn' },
        a4,
        { op: 'baud' },
      ];
    case 'BM1368':
      return [
        a4,
        a4,
        a4,
        a4,
        { op: 'enumerate' },
        { op: 'chainInactive' },
        w(0xa8, 0x00070000),
        w(0x18, 0xff0fc100),
        w(0x3c, coreRegisterWrite(0x0b, 0x00)),
        w(0x3c, coreRegisterWrite(0x00, 0x18)),
        // §4.2 BM1368 step 4 writes difficulty 256 here; step 7 writes the configured mask.
        w(0x14, REGISTERS.TICKET_MASK.encode(256)),
        w(0x54, 0x00000003),
        w(0x58, 0x02111111),
        { op: 'assignAddresses' },
        {
          op: 'perChip',
          writes: [
            [0xa8, 0x000701f0],
            [0x18, 0xf000c100],
            [0x3c, coreRegisterWrite(0x0b, 0x00)],
            [0x3c, coreRegisterWrite(0x00, 0x18)],
            [0x3c, coreRegisterWrite(0x02, 0xaa)],
          ],
          pause: 'perChipPauseMs',
        },
        ticket,
        { op: 'ramp' },
        { op: 'hcn' },
        a4,
        { op: 'baud' },
      ];
    case 'BM1397':
      return [
        { op: 'enumerate' },
        { op: 'pause', timing: 'bm1397AddressDelayMs' },
        { op: 'chainInactive' },
        { op: 'assignAddresses' },
        w(0x80, 0),
        w(0x84, 0),
        w(0x20, 0x00000001),
        w(0x3c, coreRegisterWrite(0x00, 0x74)),
        ticket,
        w(0x68, 0xc0700111),
        w(0x28, 0x0600000f),
        w(0x18, 0x00007a31),
        { op: 'ramp' },
        { op: 'baud' },
      ];
    case 'BM1362':
      return [
        a4,
        { op: 'enumerate' },
        w(0xa8, 0),
        w(0x18, 0xb000c100),
        { op: 'chainInactive' },
        { op: 'assignAddresses' },
        w(0x3c, coreRegisterWrite(0x05, 0x40)),
        w(0x3c, coreRegisterWrite(0x00, 0x08)),
        ticket,
        w(0x54, 0x00000003),
        w(0x58, 0x00011111),
        // Factory order: the link goes fast before the ramp (§4.2 BM1362).
        { op: 'baud' },
        { op: 'ramp' },
        {
          op: 'perChip',
          writes: [
            [0xa8, 0x00000002],
            [0x18, 0xb000c100],
            [0x3c, coreRegisterWrite(0x05, 0x40)],
            [0x3c, coreRegisterWrite(0x00, 0x08)],
            [0x3c, coreRegisterWrite(0x02, 0xaa)],
          ],
        },
        { op: 'hcn' },
        a4,
      ];
  }
}

const BM1370_HCN_GUARD = 2 * 134; // ESP-Miner's overrun guard in 25 MHz ticks (§8.3)
const BM1362_FACTORY_HCN = 0x00001381; // S19j Pro dump (§4.2); no formula is published

/** HASH_COUNTING_NUMBER for `chipCount` chips at `mhz` (§8.3), or undefined for the BM1397. */
export function hashCountingNumber(model: ChipModel, mhz: number, chipCount: number): number | undefined {
  if (model === 'BM1397') return undefined;
  if (model === 'BM1362') return BM1362_FACTORY_HCN;
  const slice = 2 ** 32 / nextPow2(CHIPS[model].cores) / nextPow2(chipCount);
  const hcn = Math.floor(slice * (25 / mhz) * 0.5);
  return model === 'BM1370' ? hcn - BM1370_HCN_GUARD : hcn;
}

function nextPow2(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}

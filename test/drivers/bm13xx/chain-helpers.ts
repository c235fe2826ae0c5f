/**
 * Test helpers for chain tests on binding-mock: a minimal scripted "chip" answering CHIP_ID and
 * register reads the way the captures show (9 bytes until 0xA4 is written, then 11), and a
 * frame builder that uses only crc5 (itself checked against the vectors) so expected bytes do not
 * come from the encoders under test.
 */

import type { ChainTiming } from '../../../drivers/bm13xx/chain-options.js';
import { parseCommand } from '../../../drivers/bm13xx/commands.js';
import { crc5 } from '../../../drivers/bm13xx/crc.js';
import { hexToBytes } from '../../../src/bytes/hex.js';
import { type Responder, type ScriptedPort, scriptedPort } from '../transport/mock-port.js';

export const FAST: Partial<ChainTiming> = {
  enumerateIdleMs: 25,
  readIdleMs: 25,
  rampStepMs: 0,
  pllWriteGapMs: 0,
  perChipPauseMs: 0,
  bm1397AddressDelayMs: 0,
  baudSettleMs: 0,
};

/** `55 AA HDR LEN payload CRC5` with CRC from crc5 alone. */
export function cmd(hex: string): string {
  const body = hexToBytes(hex);
  const frame = [0x55, 0xaa, ...body, crc5(body)];
  return Buffer.from(frame).toString('hex');
}

/** AA 55 register reply with CRC over payload + TYPE 0 bits. */
function regReply(value: number, addr: number, reg: number, length: 9 | 11): Uint8Array {
  const f = new Uint8Array(length);
  f.set([0xaa, 0x55, value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff, addr, reg]);
  f[length - 1] = crc5(f.subarray(2), (length - 3) * 8 + 3);
  return f;
}

interface FakeChips {
  readonly port: ScriptedPort;
  /** Frames the host wrote, as hex, in order. */
  frames(): string[];
}

/** `count` chips with CHIP_ID `chipId` that answer broadcast reads of 0x00 and stay silent otherwise. */
export function fakeChips(
  path: string,
  chipId: number,
  count: number,
  registers: Record<number, number> = {},
): FakeChips {
  let pending = new Uint8Array(0);
  let rolling = false;
  let addresses: number[] = [];
  const responder: Responder = (chunk, emit) => {
    const all = new Uint8Array(pending.length + chunk.length);
    all.set(pending);
    all.set(chunk, pending.length);
    let at = 0;
    for (;;) {
      const r = parseCommand(all.subarray(at));
      if (r.kind === 'incomplete') break;
      if (r.kind === 'invalid') {
        at += r.skip;
        continue;
      }
      at += r.length;
      const c = r.command;
      if (c.type === 'writeRegister' && c.reg === 0xa4 && c.value >>> 31) rolling = true;
      if (c.type === 'setAddress' && addresses.length < count) addresses.push(c.address);
      if (c.type === 'chainInactive') addresses = [];
      if (c.type === 'readRegister' && c.target === 'all') {
        for (let i = 0; i < count; i++) {
          const addr = addresses[i] ?? 0;
          const value = c.reg === 0 ? ((chipId << 16) | addr) >>> 0 : (registers[c.reg] ?? 0);
          emit(regReply(value, addr, c.reg, rolling ? 11 : 9));
        }
      }
    }
    pending = all.slice(at);
  };
  const port = scriptedPort(path, responder);
  return {
    port,
    frames: () => {
      const out: string[] = [];
      const bytes = port.written();
      let at = 0;
      while (at < bytes.length) {
        const r = parseCommand(bytes.subarray(at));
        if (r.kind !== 'ok') throw new Error(`host wrote an unparsable frame at ${at}: ${r.kind}`);
        out.push(Buffer.from(bytes.subarray(at, at + r.length)).toString('hex'));
        at += r.length;
      }
      return out;
    },
  };
}

export const h = (s: string): string => s.replace(/ /g, '').toLowerCase();

/**
 * Executes an init plan (init-plan.ts) against a chain's link: enumeration with the chip-count
 * check (bm13xx.md §3), addressing, per-chip writes, the PLL ramp (§5.3, BM1397 variant §4.2)
 * and the baud switch in the only safe order (§6: tell the chips, drain, then move the host,
 * then drop stale RX). Kept out of chain.ts so the steady-state nonce path stays small.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ChipError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import type { ByteLink } from '../transport/uart-link.js';
import type { ChainTiming } from './chain-options.js';
import { addressInterval, type BaudOption, type ChipSpec } from './chips.js';
import { chainInactive, setChipAddress, type Target } from './commands.js';
import { hashCountingNumber, type InitStep } from './init-plan.js';
import { pllForFrequency, rampSteps } from './pll.js';
import type { RegisterReply } from './replies.js';

/** What bring-up needs from its chain. */
export interface BringUpContext {
  readonly chain: number;
  readonly spec: ChipSpec;
  readonly expectedChipCount: number;
  readonly targetMhz: number;
  readonly baudOption: BaudOption | undefined;
  readonly timing: ChainTiming;
  readonly link: ByteLink;
  readonly log: Logger;
  /** Register write that also tracks the 9 -> 11 byte reply switch. */
  write(target: Target, reg: number, value: number | Uint8Array): Promise<void>;
  send(frame: Uint8Array): Promise<void>;
  readRegister(
    target: Target,
    reg: number,
    expected: number | undefined,
    idleMs: number,
  ): Promise<RegisterReply[]>;
  /** Drop whatever the reply parser holds (after the host changed baud). */
  clearReplies(): void;
}

export interface BringUpState {
  addresses: number[];
  interval: number;
  frequencyMhz: number;
}

export async function runInitPlan(
  ctx: BringUpContext,
  plan: readonly InitStep[],
  state: BringUpState,
): Promise<void> {
  for (const step of plan) {
    switch (step.op) {
      case 'write':
        await ctx.write(step.target, step.reg, step.value);
        break;
      case 'enumerate':
        await enumerate(ctx);
        break;
      case 'chainInactive':
        await ctx.send(chainInactive());
        break;
      case 'assignAddresses':
        state.interval = addressInterval(ctx.expectedChipCount);
        state.addresses = Array.from({ length: ctx.expectedChipCount }, (_, i) => i * state.interval);
        for (const addr of state.addresses) await ctx.send(setChipAddress(addr));
        break;
      case 'perChip':
        for (const addr of state.addresses) {
          for (const [reg, value] of step.writes) await ctx.write(addr, reg, value);
          if (step.pause !== undefined) await sleep(ctx.timing[step.pause]);
        }
        break;
      case 'pause':
        await sleep(ctx.timing[step.timing]);
        break;
      case 'ramp':
        state.frequencyMhz = await ramp(ctx, state.frequencyMhz, ctx.targetMhz);
        break;
      case 'hcn':
        await writeHcn(ctx, state);
        break;
      case 'baud':
        await switchBaud(ctx);
        break;
    }
  }
}

/** Broadcast CHIP_ID read; every chip answers; count until idle; refuse a foreign id or wrong count. */
async function enumerate(ctx: BringUpContext): Promise<void> {
  const replies = await ctx.readRegister('all', 0x00, undefined, ctx.timing.enumerateIdleMs);
  const { chipId, model } = ctx.spec;
  const foreign = replies.map((r) => r.value >>> 16).find((id) => id !== chipId); // CHIP_ID bytes 0..1
  if (foreign !== undefined) {
    throw new ChipError(
      `chain ${ctx.chain}: expected ${model} chips (id 0x${chipId.toString(16)}), one answered 0x${foreign.toString(16)}`,
      { chain: ctx.chain },
    );
  }
  if (replies.length !== ctx.expectedChipCount) {
    throw new ChipError(
      `chain ${ctx.chain}: expected ${ctx.expectedChipCount} ${model} chips, ${replies.length} answered the chip-id read`,
      { chain: ctx.chain },
    );
  }
  ctx.log.info({ chips: replies.length }, 'chips enumerated');
}

/** Walk the PLL in 6.25 MHz steps; BM1397 steps are 0x70 twice then 0x08 twice (§4.2). Returns the reached MHz. */
export async function ramp(ctx: BringUpContext, fromMhz: number, toMhz: number): Promise<number> {
  let reached = fromMhz;
  for (const mhz of rampSteps(fromMhz, toMhz)) {
    const pll = pllForFrequency(ctx.spec.model, mhz);
    if (ctx.spec.jobFormat === 'midstate') {
      const divider = 0x0f0f0f00; // PLL0 divider, written twice before every PLL0 write
      for (const [reg, value] of [
        [0x70, divider],
        [0x70, divider],
        [0x08, pll.bytes],
        [0x08, pll.bytes],
      ] as const) {
        await ctx.write('all', reg, value);
        await sleep(ctx.timing.pllWriteGapMs);
      }
    } else {
      await ctx.write('all', 0x08, pll.bytes);
    }
    reached = pll.actualMhz;
    await sleep(ctx.timing.rampStepMs);
  }
  return reached;
}

/** HASH_COUNTING_NUMBER for the reached frequency (§8.3); also needed after later frequency changes. */
export async function writeHcn(ctx: BringUpContext, state: BringUpState): Promise<void> {
  const hcn = hashCountingNumber(ctx.spec.model, state.frequencyMhz, state.addresses.length);
  if (hcn !== undefined) await ctx.write('all', 0x10, hcn);
}

/** Tell the chips at the old rate (write resolves after drain), settle, then move the host (§6). */
async function switchBaud(ctx: BringUpContext): Promise<void> {
  const opt = ctx.baudOption;
  if (opt === undefined) return;
  await ctx.write('all', opt.reg, opt.value);
  await sleep(ctx.timing.baudSettleMs);
  await ctx.link.setBaud(opt.hostBaud);
  await ctx.link.flushInput();
  ctx.clearReplies();
  ctx.log.info({ baud: opt.hostBaud }, 'baud switched');
}

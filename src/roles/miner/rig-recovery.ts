/**
 * The rig's side of flatline recovery (chain-recovery.ts): what one chain of a board should
 * return, and the actions recovery takes on it, from the rig's own parts. What a chip should hash
 * is what the board promises elsewhere: a simulated board's configured speed (expectedHashrate,
 * what the simulator really does) shared by its chips, silicon's frequency x small cores per
 * chip; the difficulty behind one nonce is the pipeline's chip target (relaxedTicketDifficulty,
 * relaxed on simulated boards), and behind one counter count the counters' own weight.
 */
import type { BoardDefinition } from '../../../boards/types.js';
import type { HashChain } from '../../../drivers/types.js';
import { relaxedTicketDifficulty } from '../../bitcoin/target.js';
import type { ChainExpectation } from '../../work/chip-health.js';
import type { Dispatcher } from '../../work/dispatcher.js';
import type { ChainRunState, RecoverableChain } from './chain-recovery.js';
import { expectedHashrate } from './rig-snapshot.js';

/** What `chain` should return now; undefined while it is not initialised. */
export function chainExpectation(
  board: BoardDefinition,
  chain: HashChain,
  targetShift: number,
  counterWeight: number,
): ChainExpectation | undefined {
  const info = chain.info();
  if (info === undefined || info.chipCount === 0) return undefined;
  const boardChips = board.chains.reduce((n, c) => n + c.chipCount, 0);
  return {
    chips: info.chipCount,
    // At the chain's present frequency (a thermal throttle lowers what is due).
    chipHashrate: expectedHashrate(board, info.frequencyMhz) / boardChips,
    nonceDifficulty: relaxedTicketDifficulty(info.chipDifficulty, targetShift),
    chipEvents: chain.needsCounterReads ? { kind: 'counter', difficulty: counterWeight } : { kind: 'nonce' },
  };
}

/** The chain of a rig as recovery drives it. */
export function recoverableChain(
  c: { readonly index: number; readonly chain: HashChain; state: string; error: string | undefined },
  dispatcher: Pick<Dispatcher, 'holdChain' | 'resumeChain' | 'hasWork'>,
  expectation: () => ChainExpectation | undefined,
): RecoverableChain {
  return {
    index: c.index,
    setState: (state: ChainRunState) => {
      c.state = state;
      c.error = undefined;
    },
    holdWork: () => dispatcher.holdChain(c.index),
    // Chain close holds NRST (or powers the rail down through the sequencer) and closes the port.
    shutDown: () => c.chain.close(),
    bringUp: async () => {
      await c.chain.init();
    },
    resumeWork: () => dispatcher.resumeChain(c.index),
    hasWork: () => dispatcher.hasWork(c.index),
    expectation,
  };
}

/**
 * Whether a core voltage (millivolts per chip) may be written to a board: only to a board whose
 * regulator sv2miner drives, and only inside the board's range narrowed to what that regulator
 * reaches. Config check and the AxeOS PATCH both ask here, so a refused value is never written.
 */

import type { BoardDefinition } from '../../boards/types.js';
import { allowedCoreMv } from '../../drivers/power/board-power.js';

/** What the value should have been, or undefined when it is fine. */
export function coreVoltageExpectation(board: BoardDefinition, mv: number): string | undefined {
  if (board.power === undefined)
    return `no coreVoltage: board ${board.id} has no core regulator sv2miner drives`;
  const { min, max } = allowedCoreMv(board.power, board.voltageDomains);
  if (!Number.isInteger(mv) || mv < min || mv > max)
    return `whole millivolts from ${min} to ${max} for board ${board.id}`;
  return undefined;
}

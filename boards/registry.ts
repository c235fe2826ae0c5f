/**
 * The static board table (architecture.md: no auto-discovery). `boardById` is how every other
 * module gets a board; an unknown id is a ConfigError that lists the known ids.
 */
import { ConfigError } from '../src/errors.js';
import { rpiTps546Bm1370 } from './rpi-tps546.js';
import { rpiUartBoards } from './rpi-uart.js';
import { simBm1366Chain } from './sim-bm1366-chain.js';
import { simBm1370Single } from './sim-bm1370-1.js';
import { simBm1370Chain } from './sim-bm1370-chain.js';
import type { BoardDefinition } from './types.js';
import { bitaxeGammaUsb, emberOne00 } from './usb-bridge.js';

export const DEFAULT_BOARD_ID = 'sim-bm1370-1';

export const BOARDS: ReadonlyMap<string, BoardDefinition> = new Map(
  [
    simBm1370Single,
    simBm1370Chain,
    simBm1366Chain,
    ...rpiUartBoards,
    rpiTps546Bm1370,
    bitaxeGammaUsb,
    emberOne00,
  ].map((b) => [b.id, b] as const),
);

export function boardIds(): string[] {
  return [...BOARDS.keys()];
}

/** The board for an id; `path` names the config field for the error message. */
export function boardById(id: string, path = 'board'): BoardDefinition {
  const board = BOARDS.get(id);
  if (board === undefined) throw new ConfigError(path, `one of ${boardIds().join(', ')}`, JSON.stringify(id));
  return board;
}

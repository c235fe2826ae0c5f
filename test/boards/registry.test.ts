import { describe, expect, it } from 'vitest';
import { BOARDS, boardById, boardIds, DEFAULT_BOARD_ID } from '../../boards/registry.js';
import { boardChipCount } from '../../boards/types.js';
import { CHIPS } from '../../drivers/bm13xx/chips.js';
import { ConfigError } from '../../src/errors.js';

describe('board registry', () => {
  it('has the default sim board with one BM1370 and its sim parameters', () => {
    const board = boardById(DEFAULT_BOARD_ID);
    expect(board).toMatchObject({ chip: 'BM1370', simulated: true, chipDifficulty: 256 });
    expect(boardChipCount(board)).toBe(1);
    expect(board.sim?.simTargetShift).toBeGreaterThan(0);
  });

  it('lists the sim chains, one Pi UART board per chip model, the Pi TPS546 board and the USB-bridged boards', () => {
    expect(boardIds()).toEqual([
      'sim-bm1370-1',
      'sim-bm1370-chain',
      'sim-bm1366-chain',
      'rpi-uart-bm1397',
      'rpi-uart-bm1366',
      'rpi-uart-bm1368',
      'rpi-uart-bm1370',
      'rpi-tps546-bm1370',
      'bitaxe-gamma-usb',
      'emberone00',
    ]);
  });

  it('rejects an unknown id with a ConfigError listing every known id', () => {
    let error: unknown;
    try {
      boardById('antminer-s9', 'board');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      `board: expected one of ${boardIds().join(', ')}, got "antminer-s9"`,
    );
  });

  it.each([...BOARDS.values()])('$id is self-consistent with the chip table', (board) => {
    const chip = CHIPS[board.chip];
    expect(board.chains.length).toBeGreaterThan(0);
    for (const chain of board.chains) expect(chain.chipCount).toBeGreaterThanOrEqual(1);
    // Chips come out of reset at ~115740 baud; hosts open at 115200 (bm13xx.md §1.1).
    expect(board.baud.initial).toBe(115_200);
    expect([115_200, ...chip.baudOptions.map((o) => o.hostBaud)]).toContain(board.baud.working);
    expect(board.defaultFrequencyMhz).toBeLessThanOrEqual(board.maxFrequencyMhz);
    expect(board.maxFrequencyMhz).toBeLessThanOrEqual(chip.maxMhz);
    expect(Math.log2(board.chipDifficulty) % 1).toBe(0);
    if (board.reset !== undefined) expect(board.reset.activeLow).toBe(true);
    if (board.simulated) {
      expect(board.chains.every((c) => c.uartPath === `sim:${board.id}`)).toBe(true);
      expect(Number.isInteger(board.sim.simTargetShift)).toBe(true);
      expect(board.sim.hashrate).toBeGreaterThan(0);
    } else {
      expect(board.chains.every((c) => c.uartPath.startsWith('/dev/'))).toBe(true);
      expect(board.sim).toBeUndefined();
    }
  });
});

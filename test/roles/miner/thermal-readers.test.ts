import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { boardById } from '../../../boards/registry.js';
import { FakeI2cBus } from '../../../drivers/peripherals/i2c.js';
import { thermalReaders } from '../../../src/roles/miner/compose-board.js';

function capturingLog() {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'warn' },
    { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) },
  );
  return { log, lines };
}

describe('thermalReaders: the board s sensors as readers', () => {
  it('rpi-uart-bm1370: the EMC2101 on /dev/i2c-1, configured for the BM1370 diode, read through the bus', async () => {
    const bus = new FakeI2cBus('/dev/i2c-1').set(0x4c, 0x01, 0x3a).set(0x4c, 0x10, 0x20);
    const opened: string[] = [];
    const { log } = capturingLog();
    const readers = thermalReaders(boardById('rpi-uart-bm1370'), log, (path) => {
      opened.push(path);
      return bus;
    });
    expect(opened).toEqual(['/dev/i2c-1']);
    expect(readers.map((r) => r.label)).toEqual(['asic']);
    expect(await readers[0]?.read()).toBe(58.125);
    expect(bus.writes).toEqual([
      { address: 0x4c, register: 0x17, value: 0x24 },
      { address: 0x4c, register: 0x18, value: 0x00 },
    ]);
  });

  it('a sensor that stops answering is logged once with bus and address, and reads as no temperature', async () => {
    const bus = new FakeI2cBus('/dev/i2c-1').set(0x4c, 0x01, 0x3a);
    const { log, lines } = capturingLog();
    const [reader] = thermalReaders(boardById('rpi-uart-bm1366'), log, () => bus);
    bus.fail(0x4c);
    expect(await reader?.read()).toBeUndefined();
    expect(await reader?.read()).toBeUndefined();
    expect(lines.map((l) => l['msg'])).toEqual([
      'temperature sensor unreadable: asic (emc2101 at 0x4c on /dev/i2c-1): no answer from device 0x4c',
    ]);
  });

  it('sensors behind a USB bridge control port share one bridge bus; an unknown bus kind is skipped with a warning', async () => {
    const bridge = new FakeI2cBus('bridge:/dev/ttyACM0')
      .set(0x4a, 0x00, 0x28)
      .set(0x4a, 0x01, 0x00)
      .set(0x49, 0x03, 0x00)
      .set(0x49, 0x01, 0x41)
      .set(0x49, 0x10, 0x00);
    const opened: string[] = [];
    const { log, lines } = capturingLog();
    const readers = thermalReaders(boardById('emberone00'), log, (path) => {
      opened.push(path);
      return bridge;
    });
    expect(opened).toEqual(['bridge:/dev/ttyACM0']);
    expect(await Promise.all(readers.map(async (r) => [r.label, await r.read()]))).toEqual([
      ['left-pcb', 40],
      ['chip0', 65 - 7],
    ]);
    expect(lines).toEqual([]);
    const skipped = thermalReaders(boardById('emberone00'), log, () => undefined);
    expect(skipped).toEqual([]);
    expect(lines.map((l) => [l['sensor'], l['msg']])).toEqual([
      ['left-pcb', 'no driver for this sensor; not monitored'],
      ['chip0', 'no driver for this sensor; not monitored'],
    ]);
  });
});

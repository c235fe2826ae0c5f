import { describe, expect, it } from 'vitest';
import { bindingByName } from '../../../drivers/transport/bindings.js';
import { UartLink } from '../../../drivers/transport/uart-link.js';
import { ConfigError, TransportError } from '../../../src/errors.js';
import { scriptedPort } from './mock-port.js';

describe('UartLink on binding-mock', () => {
  it('opens, writes whole frames (resolving after drain), receives bytes, switches baud, closes', async () => {
    const sp = scriptedPort('/dev/ttyTEST', (chunk, emit) => emit(Uint8Array.from(chunk).reverse()));
    const link = new UartLink({ binding: sp.binding, path: '/dev/ttyTEST' });
    const got: number[] = [];
    link.onBytes((b) => got.push(...b));
    await link.open(115_200);
    expect(link.baud).toBe(115_200);
    await link.write(Uint8Array.of(0x55, 0xaa, 0x53));
    expect([...sp.port().recording]).toEqual([0x55, 0xaa, 0x53]);
    await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual([0x53, 0xaa, 0x55]);
    await link.setBaud(1_000_000);
    expect(link.baud).toBe(1_000_000);
    expect((await sp.port().getBaudRate()).baudRate).toBe(1_000_000);
    expect(sp.bauds()).toEqual([115_200, 1_000_000]);
    await link.flushInput();
    await link.close();
    expect(link.baud).toBeUndefined();
  });

  it('rejects writes on a closed port with a TransportError naming the path', async () => {
    const sp = scriptedPort('/dev/ttyTEST');
    const link = new UartLink({ binding: sp.binding, path: '/dev/ttyTEST' });
    await expect(link.write(Uint8Array.of(1))).rejects.toThrow(TransportError);
    await expect(link.write(Uint8Array.of(1))).rejects.toThrow(/ttyTEST/);
  });

  it('fails to open a port that does not exist with a TransportError', async () => {
    const sp = scriptedPort('/dev/ttyTEST');
    const link = new UartLink({ binding: sp.binding, path: '/dev/nope' });
    await expect(link.open(115_200)).rejects.toThrow(TransportError);
  });
});

describe('bindingByName', () => {
  it('returns the injected sim binding and refuses unknown names', async () => {
    const sp = scriptedPort('/dev/ttyTEST');
    expect(await bindingByName('sim', { sim: sp.binding })).toBe(sp.binding);
    await expect(bindingByName('sim')).rejects.toThrow(ConfigError);
    await expect(bindingByName('usb')).rejects.toThrow(/one of hw, sim/);
  });
});

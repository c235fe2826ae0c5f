/**
 * Serial binding by name (architecture.md "Seams" A): 'hw' loads @serialport/bindings-cpp's
 * autoDetect() lazily (so tests and sim runs never load the native addon); 'sim' returns the
 * simulator binding the composition root passes in. This module never imports drivers/sim.
 * Tests hand MockBinding to UartLink directly and do not come through here.
 */
import type { BindingInterface } from '@serialport/bindings-interface';
import { ConfigError } from '../../src/errors.js';

const BINDING_NAMES = ['hw', 'sim'] as const;

export async function bindingByName(
  name: string,
  provided: { readonly sim?: BindingInterface } = {},
): Promise<BindingInterface> {
  switch (name) {
    case 'hw': {
      const { autoDetect } = await import('@serialport/bindings-cpp');
      return autoDetect();
    }
    case 'sim':
      if (provided.sim === undefined)
        throw new ConfigError('binding', 'a simulator binding passed in for "sim"', 'none');
      return provided.sim;
    default:
      throw new ConfigError('binding', `one of ${BINDING_NAMES.join(', ')}`, JSON.stringify(name));
  }
}

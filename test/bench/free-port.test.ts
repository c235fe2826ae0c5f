import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../bench/free-port.js';

describe('freePort', () => {
  it('returns a loopback port a listener can take at once', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65_536);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    const address = server.address();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(typeof address === 'object' && address?.port).toBe(port);
  });
});

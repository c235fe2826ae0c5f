/**
 * A loopback TCP port nothing holds right now, for processes that take a fixed listen port and do
 * not report the one they got (the soak campaign's pools and APIs; in the tests, `sv2miner pool`
 * processes, pool_sv2, the translator, the daemon's API). Lives in bench/ because the build
 * compiles bench/ (the soak campaign runs from dist/) and the tests may import it; test/ is not built.
 * Another process may take the port before the caller binds it: callers bind at once.
 */
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('loopback listener has no TCP address'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

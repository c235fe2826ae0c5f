import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConnection } from '../../src/connection/sv2-connection.js';
import { NoiseError } from '../../src/errors.js';
import { parsePoolUrl } from '../../src/noise/pool-url.js';
import { type LocalPool, startLocalPool } from '../../src/pool-server/local-pool.js';

// The local pool's certificate is valid for 3600 s from the moment the handshake answers.
const T0 = 1_800_000_000;

describe('certificate clock leeway (configurable skew)', () => {
  let pool: LocalPool;
  beforeAll(async () => {
    pool = await startLocalPool({ port: 0, certificateValiditySec: 3600, nowSec: () => T0 });
  });
  afterAll(() => pool.close());

  const connect = (now: number, certificateLeewaySec?: number) => {
    const url = parsePoolUrl(pool.url);
    return openConnection({
      pool: pool.url,
      endpoint: { host: url.host, port: url.port },
      authorityKey: url.authorityKey,
      insecure: false,
      unixNow: () => now,
      ...(certificateLeewaySec === undefined ? {} : { certificateLeewaySec }),
    });
  };

  it('accepts a certificate 30 s past its end with the default 60 s leeway', async () => {
    const conn = await connect(T0 + 3600 + 30);
    expect(conn.handshakeMs).toBeGreaterThan(0);
    conn.close();
  });

  it('refuses the same certificate when the configured leeway is 10 s, naming the certificate step', async () => {
    const failure = await connect(T0 + 3600 + 30, 10).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(NoiseError);
    expect((failure as NoiseError).step).toBe('certificate');
  });

  it('refuses a certificate from the future beyond the leeway (a board clock running behind)', async () => {
    const failure = await connect(T0 - 60 - 120, 60).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(NoiseError);
  });
});

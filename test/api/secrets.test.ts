import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgminerRaw, type Harness, startHarness, TOKEN } from './helpers/api.js';
import { SECRETS } from './helpers/fake-rig.js';
import { openRawWs } from './helpers/ws-client.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const SECRET_VALUES = [TOKEN, SECRETS.poolPassword, SECRETS.authoritySecretKey];

describe('no response ever carries a secret', () => {
  it('holds for every endpoint, error path, live stream and cgminer reply', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    // Writes that carry the password, including invalid ones whose error message could echo it.
    const patches = [
      { stratumPassword: SECRETS.poolPassword, stratumUser: 'u' },
      { fallbackStratumPassword: SECRETS.poolPassword, fallbackStratumUser: 'u' },
      { stratumPassword: { nested: SECRETS.poolPassword } },
      { pools: [{ url: 'stratum2+tcp://h:1', user: 'u', password: 7 }] },
      { stratumURL: `bad host ${SECRETS.poolPassword}` },
    ];
    for (const body of patches) {
      await h.http('/api/system', { method: 'PATCH', headers: auth, body: JSON.stringify(body) });
      await h.http('/api/system', { method: 'PATCH', body: JSON.stringify(body) });
    }
    await h.http('/api/system', {
      method: 'PATCH',
      headers: auth,
      body: `{"stratumPassword":"${SECRETS.poolPassword}"`,
    });
    await h.http('/api/system/restart', { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}x` } });
    h.rig.emitLog(`debug config token=${TOKEN}`);
    for (const path of [
      '/',
      '/app.js',
      '/style.css',
      '/api/system/info',
      '/api/system/asic',
      '/api/system/statistics',
      '/api/system/statistics/dashboard',
      '/api/system/scoreboard',
      '/api/system/metrics',
      '/metrics',
      '/api/sv2miner/snapshot',
      '/api/nope',
    ])
      await h.http(path);
    const port = h.api.cgminerPort ?? 0;
    for (const cmd of [
      'summary',
      'pools',
      'devs',
      'stats',
      'config',
      'devdetails',
      'version',
      'summary+pools+stats',
    ])
      h.bodies.push((await cgminerRaw(port, JSON.stringify({ command: cmd }))).toString('utf8'));
    // Writes carry the token (else they stop at Code 45), so the addpool error paths are reached.
    for (const parameter of [
      `stratum2+tcp://x:1,user,${SECRETS.poolPassword},extra`,
      `,user,${SECRETS.poolPassword}`,
    ])
      h.bodies.push(
        (await cgminerRaw(port, JSON.stringify({ command: 'addpool', parameter, token: TOKEN }))).toString(
          'utf8',
        ),
      );
    const ws = await openRawWs(h.api.httpPort, '/api/ws');
    const live = await openRawWs(h.api.httpPort, '/api/ws/live');
    await ws.waitFor((m) => m.some((l) => l.includes('debug config')));
    await live.waitFor((m) => m.length > 0);
    h.bodies.push(...ws.messages, ...live.messages);
    ws.socket.destroy();
    live.socket.destroy();

    expect(h.bodies.length).toBeGreaterThan(35);
    for (const body of h.bodies) for (const secret of SECRET_VALUES) expect(body).not.toContain(secret);
    // The info pools list masks the password field as AxeOS does.
    expect(h.bodies.join('\n')).toContain('"stratumPassword":"*****"');
  });
});

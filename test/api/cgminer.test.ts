import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleRequest, parseRequest, splitEscaped } from '../../src/api/cgminer.js';
import { silentLog } from '../../src/log.js';
import { parseAllowList } from '../../src/net/cidr.js';
import { until } from '../helpers/wait.js';
import { cgminer, cgminerRaw, type Harness, startHarness, TOKEN } from './helpers/api.js';
import { FakeRig } from './helpers/fake-rig.js';

let h: Harness;
let port: number;

beforeAll(async () => {
  h = await startHarness();
  port = h.api.cgminerPort ?? 0;
});
afterAll(() => h.close());

type Status = { STATUS: string; When: number; Code: number; Msg: string; Description: string };
const status = (reply: Record<string, unknown>) => (reply['STATUS'] as Status[])[0] as Status;
/** A write command in the JSON form, carrying the API token as every write must. */
const write = (command: string, parameter?: string, token = TOKEN) =>
  JSON.stringify(parameter === undefined ? { command, token } : { command, parameter, token });
const WRITES = ['switchpool', 'enablepool', 'disablepool', 'addpool', 'removepool', 'restart', 'privileged'];

describe('cgminer wire format (monitoring.md §3c)', () => {
  it('replies with one JSON object, a single trailing NUL, and closes the socket', async () => {
    const raw = await cgminerRaw(port, '{"command":"summary","parameter":""}');
    expect(raw[raw.length - 1]).toBe(0x00);
    expect(raw.indexOf(0x00)).toBe(raw.length - 1);
    const reply = JSON.parse(raw.subarray(0, -1).toString('utf8')) as Record<string, unknown>;
    expect(reply['id']).toBe(1);
    const st = status(reply);
    expect(st).toMatchObject({ STATUS: 'S', Code: 11, Msg: 'Summary', Description: 'sv2miner 0.1.0' });
    expect(Math.abs(st.When - Date.now() / 1000)).toBeLessThan(5);
  });

  it('answers a client that half-closes right after its request (echo … | nc)', async () => {
    const replies: Record<string, unknown>[] = [];
    for (const request of ['summary', '{"command":"summary"}', '{"command":"summary"']) {
      const raw = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const socket = connect({ port, host: '127.0.0.1' }, () => socket.end(request));
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('close', () => resolve(Buffer.concat(chunks)));
        socket.on('error', reject);
      });
      expect(raw.at(-1), request).toBe(0);
      replies.push(JSON.parse(raw.subarray(0, -1).toString('utf8')));
    }
    expect(replies.map((r) => [status(r).STATUS, status(r).Code])).toEqual([
      ['S', 11],
      ['S', 11],
      // Known to be complete only at the half-close: answered then, not dropped.
      ['E', 23],
    ]);
  });

  it('accepts the plain text form cmd|param', async () => {
    const reply = await cgminer(port, 'pools|');
    expect(status(reply)).toMatchObject({ STATUS: 'S', Code: 7, Msg: '2 Pool(s)' });
  });

  it('summary carries MHS and GHS spellings in the right units', async () => {
    const reply = await cgminer(port, '{"command":"summary"}');
    const s = (reply['SUMMARY'] as Record<string, number>[])[0] as Record<string, number>;
    expect(s['Elapsed']).toBe(3600);
    expect(s['MHS 5s']).toBe(4304400); // 4.3044 TH/s in MH/s
    expect(s['GHS 5s']).toBe(4304.4);
    expect(s['MHS 1m']).toBe(4220000);
    expect(s['GHS av']).toBe(4135.6); // 1 h window
    expect(s['Accepted']).toBe(42);
    expect(s['Rejected']).toBe(3);
    expect(s['Hardware Errors']).toBe(2);
    expect(s['Best Share']).toBe(123456.5);
    for (const key of [
      'MHS av',
      'MHS 5m',
      'MHS 15m',
      'Found Blocks',
      'Getworks',
      'Utility',
      'Stale',
      'Difficulty Accepted',
      'Pool Rejected%',
      'Last getwork',
    ])
      expect(s).toHaveProperty([key]);
  });

  it('version names sv2miner and CGMiner, with API', async () => {
    const reply = await cgminer(port, '{"command":"version"}');
    expect(status(reply)).toMatchObject({ Code: 22, Msg: 'CGMiner versions' });
    const v = (reply['VERSION'] as Record<string, string>[])[0] as Record<string, string>;
    expect(v['CGMiner']).toMatch(/^4\./);
    expect(v['API']).toBe('3.7');
    expect(v['sv2miner']).toBe('0.1.0');
  });

  it('devs lists one ASC per chain', async () => {
    const reply = await cgminer(port, '{"command":"devs"}');
    expect(status(reply)).toMatchObject({ Code: 9, Msg: '2 ASC(s)' });
    const devs = reply['DEVS'] as Record<string, unknown>[];
    expect(devs.map((d) => [d['ASC'], d['Status'], d['Enabled'], d['Temperature'], d['MHS 1m']])).toEqual([
      [0, 'Alive', 'Y', 55, 2110000],
      [1, 'Alive', 'Y', 56, 2110000],
    ]);
    expect(devs.map((d) => d['UART Junk Bytes'])).toEqual([7, 107]);
    expect(devs.map((d) => d['Chain Recoveries'])).toEqual([0, 2]);
  });

  it('devs shows a chain under flatline recovery as Sick and a disabled one as Dead and not enabled', async () => {
    const before = h.rig.snapshot().chains;
    const [c0, c1] = before;
    if (c0 === undefined || c1 === undefined) throw new Error('FakeRig has two chains');
    h.rig.update({
      chains: [
        { ...c0, state: 'recovering' },
        { ...c1, state: 'disabled' },
      ],
    });
    try {
      const devs = (await cgminer(port, '{"command":"devs"}'))['DEVS'] as Record<string, unknown>[];
      expect(devs.map((d) => [d['Status'], d['Enabled']])).toEqual([
        ['Sick', 'Y'],
        ['Dead', 'N'],
      ]);
    } finally {
      h.rig.update({ chains: before });
    }
  });

  it('pools carries the fields pyasic reads', async () => {
    const pools = (await cgminer(port, '{"command":"pools"}'))['POOLS'] as Record<string, unknown>[];
    expect(pools[0]).toMatchObject({
      POOL: 0,
      User: 'bc1qworker.rig0',
      Status: 'Alive',
      'Stratum Active': true,
      Accepted: 42,
      Rejected: 3,
      'Get Failures': 0,
      'Remote Failures': 0,
    });
    expect(pools[0]?.['URL']).toMatch(/^stratum2\+tcp:\/\/pool\.example\.org:34254\//);
    expect(pools[1]).toMatchObject({ POOL: 1, 'Stratum Active': false, 'Get Failures': 2 });
  });

  it('stats puts the Bitmain per-chain keys in STATS[1]', async () => {
    const reply = await cgminer(port, '{"command":"stats"}');
    expect(status(reply)).toMatchObject({ Code: 70, Msg: 'CGMiner stats' });
    const dev = (reply['STATS'] as Record<string, unknown>[])[1] as Record<string, unknown>;
    expect(dev).toMatchObject({
      Elapsed: 3600,
      chain_rate1: 2110,
      chain_rate2: 2110,
      chain_acn1: 2,
      chain_acn2: 2,
      freq_avg1: 525,
      temp1: 48,
      temp2_1: 55,
      temp2_2: 56,
      fan1: 4200,
      chain_uart_junk1: 7,
      chain_uart_junk2: 107,
    });
  });

  it('config and devdetails', async () => {
    const config = await cgminer(port, '{"command":"config"}');
    expect(status(config)).toMatchObject({ Code: 33, Msg: 'CGMiner config' });
    expect((config['CONFIG'] as Record<string, unknown>[])[0]).toMatchObject({
      'ASC Count': 2,
      'Pool Count': 2,
    });
    const details = await cgminer(port, '{"command":"devdetails"}');
    expect(status(details)).toMatchObject({ Code: 69, Msg: 'Device Details' });
    expect(details['DEVDETAILS']).toHaveLength(2);
  });

  it('joins commands with +', async () => {
    const reply = await cgminer(port, '{"command":"summary+pools","parameter":""}');
    expect(Object.keys(reply).sort()).toEqual(['id', 'pools', 'summary']);
    const summary = (reply['summary'] as Record<string, unknown>[])[0] as Record<string, unknown>;
    expect(status(summary)).toMatchObject({ STATUS: 'S', Code: 11 });
    expect(summary['SUMMARY']).toHaveLength(1);
    expect(summary['id']).toBe(1);
    const pools = (reply['pools'] as Record<string, unknown>[])[0] as Record<string, unknown>;
    expect(pools['POOLS']).toHaveLength(2);
  });

  it('unknown command -> STATUS E, Code 14, "Invalid command"', async () => {
    const reply = await cgminer(port, '{"command":"frobnicate"}');
    expect(reply['STATUS']).toEqual([
      expect.objectContaining({
        STATUS: 'E',
        Code: 14,
        Msg: 'Invalid command',
        Description: 'sv2miner 0.1.0',
      }),
    ]);
    expect(reply['id']).toBe(1);
  });

  it('bad JSON -> Code 23, missing command -> Code 24', async () => {
    expect(status(await cgminer(port, '{"command":'))).toMatchObject({
      STATUS: 'E',
      Code: 23,
      Msg: 'Invalid JSON',
    });
    expect(status(await cgminer(port, '{"parameter":"0"}'))).toMatchObject({ STATUS: 'E', Code: 24 });
  });

  it('runs privileged commands from loopback (default allow-list) that carry the API token', async () => {
    h.rig.calls.length = 0;
    expect(status(await cgminer(port, write('switchpool', '1')))).toMatchObject({
      STATUS: 'S',
      Code: 27,
      Msg: `Switching to pool 1:'${h.rig.state.pools[1]?.url}'`,
    });
    expect(status(await cgminer(port, write('disablepool', '1')))).toMatchObject({ STATUS: 'S', Code: 48 });
    expect(status(await cgminer(port, write('enablepool', '1')))).toMatchObject({ STATUS: 'I', Code: 49 });
    expect(status(await cgminer(port, write('removepool', '0')))).toMatchObject({ STATUS: 'E', Code: 67 });
    expect(status(await cgminer(port, write('removepool', '1')))).toMatchObject({ STATUS: 'S', Code: 68 });
    expect(status(await cgminer(port, write('switchpool', '7')))).toMatchObject({
      STATUS: 'E',
      Code: 26,
      Msg: 'Invalid pool id 7 - range is 0 - 1',
    });
    expect(status(await cgminer(port, write('switchpool')))).toMatchObject({ STATUS: 'E', Code: 25 });
    const added = await cgminer(
      port,
      '{"command":"addpool","parameter":"stratum2+tcp://p.example:3336/key,usr,pa\\\\,ss","token":"' +
        TOKEN +
        '"}',
    );
    expect(status(added)).toMatchObject({
      STATUS: 'S',
      Code: 55,
      Msg: "Added pool 'stratum2+tcp://p.example:3336/key'",
    });
    expect(await cgminer(port, write('restart'))).toEqual({ STATUS: 'RESTART', id: 1 });
    // The restart is carried out after the reply: wait for it to reach the rig.
    expect(await until(() => h.rig.calls.some((c) => c.kind === 'restart'), 5_000, 5)).toBe(true);
    expect(h.rig.calls).toEqual([
      { kind: 'switchPool', index: 1 },
      { kind: 'setPoolEnabled', index: 1, enabled: false },
      { kind: 'removePool', index: 1 },
      { kind: 'addPool', pool: { url: 'stratum2+tcp://p.example:3336/key', user: 'usr', password: 'pa,ss' } },
      { kind: 'restart' },
    ]);
  });
});

describe('privileged refusal', () => {
  it('refuses writes from the allow-listed loopback without the API token (Code 45); reads stay open', async () => {
    h.rig.calls.length = 0;
    for (const name of WRITES) {
      const param = name === 'addpool' ? 'stratum2+tcp://p.example:3336/key,u' : '1';
      for (const request of [
        `${name}|${param}`,
        JSON.stringify({ command: name, parameter: param }),
        write(name, param, 'not-the-token-0123456789'),
        write(name, param, ''),
      ])
        expect(status(await cgminer(port, request)), request).toMatchObject({
          STATUS: 'E',
          Code: 45,
          Msg: `Access denied to '${name}' command`,
        });
    }
    expect(status(await cgminer(port, 'summary'))).toMatchObject({ STATUS: 'S', Code: 11 });
    expect(status(await cgminer(port, '{"command":"pools","token":"wrong"}'))).toMatchObject({
      STATUS: 'S',
      Code: 7,
    });
    await new Promise((r) => setImmediate(r));
    expect(h.rig.calls).toEqual([]);
  });

  it('refuses write commands from a peer outside the allow-list over TCP (Code 45)', async () => {
    // Only 10.0.0.0/8 may write: the loopback test client is now outside it.
    const other = await startHarness({ cgminerAllow: ['10.0.0.0/8'] });
    try {
      const p = other.api.cgminerPort ?? 0;
      for (const name of WRITES) {
        // The right token does not open the door for a peer outside the allow-list.
        expect(status(await cgminer(p, write(name, name === 'addpool' ? 'u,v,w' : '1')))).toMatchObject({
          STATUS: 'E',
          Code: 45,
          Msg: `Access denied to '${name}' command`,
        });
      }
      // Reads still work.
      expect(status(await cgminer(p, 'summary'))).toMatchObject({ STATUS: 'S' });
      await new Promise((r) => setTimeout(r, 20));
      expect(other.rig.calls).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('handleRequest applies the allow-list to the peer address', async () => {
    const rig = new FakeRig();
    const ctx = {
      control: rig,
      allow: parseAllowList(['192.168.1.0/24']),
      token: TOKEN,
      log: silentLog,
      now: () => 1_700_000_000_000,
    };
    const denied = (await handleRequest(write('switchpool', '1'), '192.168.2.7', ctx)) as Record<
      string,
      unknown
    >;
    expect(denied).toEqual({
      STATUS: [
        {
          STATUS: 'E',
          When: 1_700_000_000,
          Code: 45,
          Msg: "Access denied to 'switchpool' command",
          Description: 'sv2miner 0.1.0',
        },
      ],
      id: 1,
    });
    const allowed = (await handleRequest(write('switchpool', '1'), '::ffff:192.168.1.20', ctx)) as Record<
      string,
      unknown
    >;
    expect(status(allowed)).toMatchObject({ STATUS: 'S', Code: 27 });
    // Writes are never joinable, even for an allowed peer.
    const joined = (await handleRequest(
      JSON.stringify({ command: 'summary+switchpool', parameter: '1', token: TOKEN }),
      '192.168.1.20',
      ctx,
    )) as Record<string, unknown>;
    expect(
      status((joined['switchpool'] as Record<string, unknown>[])[0] as Record<string, unknown>),
    ).toMatchObject({ Code: 45 });
    expect(rig.calls).toEqual([{ kind: 'switchPool', index: 1 }]);
  });
});

describe('request parsing', () => {
  it('parses JSON and plain forms', () => {
    expect(parseRequest('{"command":"pools","parameter":3}')).toEqual({ command: 'pools', parameter: '3' });
    expect(parseRequest('summary\n')).toEqual({ command: 'summary', parameter: '' });
    expect(parseRequest('addpool|a,b,c')).toEqual({ command: 'addpool', parameter: 'a,b,c' });
    expect(parseRequest('[1]')).toEqual({ command: '[1]', parameter: '' });
    expect(parseRequest('{"command":5}')).toEqual({ error: 'invalidCommand' });
  });

  it('splits addpool fields with cgminer escapes', () => {
    expect(splitEscaped('url,user,pass')).toEqual(['url', 'user', 'pass']);
    expect(splitEscaped('url,us\\,er,p\\\\w')).toEqual(['url', 'us,er', 'p\\w']);
  });
});

/**
 * The test Template Provider (test/interop/helpers/template-provider.ts) against our own client
 * connection over real loopback TCP and real Noise, so the pool_sv2 interop suite stands on a TP
 * whose behaviour is itself checked here even where pool_sv2 is not installed: certificate signed
 * by the advertised authority key, SetupConnection for protocol 2 only, templates only after
 * CoinbaseOutputConstraints, RequestTransactionData answered, SubmitSolution recorded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { leBytesToBigInt, nbitsToTarget } from '../../src/bitcoin/target.js';
import { parseTransaction } from '../../src/bitcoin/transaction.js';
import { openConnection, type Sv2Connection } from '../../src/connection/sv2-connection.js';
import { decodeAuthorityPublicKey } from '../../src/noise/authority-key.js';
import type { AnyMessage, MessageFields } from '../../src/sv2/messages/registry.js';
import { startTemplateProvider, type TemplateProvider } from '../interop/helpers/template-provider.js';

const SETUP: MessageFields<'SetupConnection'> = {
  protocol: 2,
  min_version: 2,
  max_version: 2,
  flags: 0,
  endpoint_host: '127.0.0.1',
  endpoint_port: 0,
  vendor: '',
  hardware_version: '',
  firmware: '',
  device_id: '',
};

let tp: TemplateProvider | undefined;
let conn: Sv2Connection | undefined;
afterEach(async () => {
  conn?.close();
  await tp?.close();
  conn = undefined;
  tp = undefined;
});

async function connect(provider: TemplateProvider): Promise<{
  conn: Sv2Connection;
  next: () => Promise<AnyMessage | undefined>;
}> {
  const c = await openConnection({
    pool: 'test-tp',
    endpoint: { host: provider.host, port: provider.port },
    authorityKey: decodeAuthorityPublicKey(provider.authorityPublicKey),
    insecure: false,
  });
  const it = c.messages();
  const next = async (): Promise<AnyMessage | undefined> => {
    for (;;) {
      const r = await it.next();
      if (r.done === true) return undefined;
      if (r.value.kind === 'message') return r.value.message;
    }
  };
  return { conn: c, next };
}

describe('test Template Provider', () => {
  it('authenticates, answers TDP SetupConnection, and sends the template after CoinbaseOutputConstraints', async () => {
    tp = await startTemplateProvider({ nbits: 0x207fffff, height: 1000, timestamp: 1_700_000_000 });
    const c = await connect(tp);
    conn = c.conn;
    expect(conn.handshake.authenticated).toBe(true);
    conn.send('SetupConnection', SETUP);
    expect(await c.next()).toEqual({
      name: 'SetupConnection.Success',
      fields: { used_version: 2, flags: 0 },
    });
    conn.send('CoinbaseOutputConstraints', {
      coinbase_output_max_additional_size: 100,
      coinbase_output_max_additional_sigops: 400,
    });
    const template = await c.next();
    const prev = await c.next();
    expect(template?.name).toBe('NewTemplate');
    expect(prev?.name).toBe('TemplateDistribution.SetNewPrevHash');
    if (template?.name !== 'NewTemplate' || prev?.name !== 'TemplateDistribution.SetNewPrevHash')
      throw new Error('unexpected messages');
    const t = template.fields;
    expect(t).toMatchObject({ template_id: 1n, future_template: true, coinbase_tx_outputs_count: 1 });
    // BIP34 height 1000 = push 2 bytes e8 03; 50 BTC >> 0 halvings at that height.
    expect([...t.coinbase_prefix]).toEqual([0x02, 0xe8, 0x03]);
    expect(t.coinbase_tx_value_remaining).toBe(5_000_000_000n);
    // The outputs parse as one zero-value BIP141 commitment when wrapped in a minimal transaction.
    const tx = parseTransaction(
      Uint8Array.from([
        ...[2, 0, 0, 0, 1],
        ...new Uint8Array(36),
        ...[1, 0],
        ...[0xff, 0xff, 0xff, 0xff, t.coinbase_tx_outputs_count],
        ...t.coinbase_tx_outputs,
        ...[0, 0, 0, 0],
      ]),
    );
    expect(tx.outputs).toHaveLength(1);
    expect(tx.outputs[0]?.value).toBe(0n);
    expect([...(tx.outputs[0]?.scriptPubKey.subarray(0, 6) ?? [])]).toEqual([
      0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed,
    ]);
    expect(prev.fields).toMatchObject({
      template_id: 1n,
      header_timestamp: 1_700_000_000,
      nbits: 0x207fffff,
    });
    expect(leBytesToBigInt(prev.fields.target)).toBe(nbitsToTarget(0x207fffff));
  });

  it('answers RequestTransactionData (empty list, or template-id-not-found) and records SubmitSolution', async () => {
    tp = await startTemplateProvider({ nbits: 0x207fffff, height: 1000 });
    const c = await connect(tp);
    conn = c.conn;
    conn.send('SetupConnection', SETUP);
    await c.next();
    conn.send('RequestTransactionData', { template_id: 1n });
    expect(await c.next()).toEqual({
      name: 'RequestTransactionData.Success',
      fields: { template_id: 1n, excess_data: new Uint8Array(0), transaction_list: [] },
    });
    conn.send('RequestTransactionData', { template_id: 9n });
    expect(await c.next()).toEqual({
      name: 'RequestTransactionData.Error',
      fields: { template_id: 9n, error_code: 'template-id-not-found' },
    });
    const solution = {
      template_id: 1n,
      version: 0x20000000,
      header_timestamp: 1_700_000_001,
      header_nonce: 42,
      coinbase_tx: Uint8Array.of(1, 2, 3),
    };
    conn.send('SubmitSolution', solution);
    const got = await tp.waitFor('SubmitSolution', 5_000);
    expect(got.message).toEqual({ name: 'SubmitSolution', fields: solution });
  });

  it('refuses a SetupConnection for another protocol with SetupConnection.Error and closes', async () => {
    tp = await startTemplateProvider({ nbits: 0x207fffff, height: 1000 });
    const c = await connect(tp);
    conn = c.conn;
    conn.send('SetupConnection', { ...SETUP, protocol: 0 });
    expect(await c.next()).toEqual({
      name: 'SetupConnection.Error',
      fields: { flags: 0, error_code: 'unsupported-protocol' },
    });
    expect(await c.next()).toBeUndefined();
  });
});

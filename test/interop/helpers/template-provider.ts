/**
 * A small SV2 Template Provider for the interop suites, standing in for sv2-tp + Bitcoin Core
 * (none can run here, see shared/reference/interop.md): a Noise responder on 127.0.0.1 speaking the
 * Template Distribution Protocol (spec 07) through src/connection. It answers SetupConnection
 * (protocol 2 only), waits for CoinbaseOutputConstraints as sv2-tp does, then sends one future
 * NewTemplate and the SetNewPrevHash that activates it: an empty block (no transactions, so an
 * empty merkle path) at a fixed height, whose coinbase carries the BIP34 height and the BIP141
 * witness commitment of that empty block. RequestTransactionData is answered with an empty list;
 * every message received is recorded, SubmitSolution included, for the test to check.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { bip34HeightScript, blockSubsidy, witnessCommitment } from '../../../src/bitcoin/coinbase.js';
import { writeCompactSize } from '../../../src/bitcoin/compact-size.js';
import { bigIntToLeBytes, nbitsToTarget } from '../../../src/bitcoin/target.js';
import type { TxOutput } from '../../../src/bitcoin/transaction.js';
import { ByteWriter } from '../../../src/bytes/writer.js';
import { acceptConnection, type Sv2Connection } from '../../../src/connection/sv2-connection.js';
import { encodeAuthorityPublicKey } from '../../../src/noise/authority-key.js';
import { certificateSigner } from '../../../src/noise/certificate.js';
import { randomSecret, xonlyPublicKey } from '../../../src/noise/ellswift.js';
import {
  type AnyMessage,
  type NewTemplate,
  TEMPLATE_DISTRIBUTION_PROTOCOL,
  type TemplateSetNewPrevHash,
} from '../../../src/sv2/messages/registry.js';

/** A TP serves one pool; a few spare slots cover a pool's reconnect. */
const MAX_CONNECTIONS = 4;
const HANDSHAKE_TIMEOUT_MS = 5_000;
/** SubmitSolution carries a whole coinbase (B0_64K): the largest TDP message a pool sends. */
const MAX_PAYLOAD = 1 << 17;
const BIP141_HEADER = Uint8Array.of(0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed);

interface TemplateProviderOptions {
  /** Compact target of the block; regtest's 0x207fffff makes every share a block. */
  readonly nbits: number;
  /** Block height of the template (BIP34 push in the coinbase, subsidy). */
  readonly height: number;
  /** header_timestamp of SetNewPrevHash, unix seconds. Default: now. */
  readonly timestamp?: number;
}

interface ReceivedMessage {
  readonly conn: number;
  readonly message: AnyMessage;
}

export interface TemplateProvider {
  readonly host: string;
  readonly port: number;
  /** The authority public key in SRI's base58check form (pool_sv2's `public_key`). */
  readonly authorityPublicKey: string;
  readonly template: NewTemplate;
  readonly prevHash: TemplateSetNewPrevHash;
  /** Every message received, in order. */
  readonly received: readonly ReceivedMessage[];
  /** Resolves with the first received message (seen or future) of that name. */
  waitFor(name: AnyMessage['name'], timeoutMs: number): Promise<ReceivedMessage>;
  close(): Promise<void>;
}

/** The serialised outputs of NewTemplate.coinbase_tx_outputs: no count prefix (spec 07). */
function serialiseOutputs(outputs: readonly TxOutput[]): Uint8Array {
  const w = new ByteWriter(64);
  for (const o of outputs) {
    w.u64le(o.value);
    writeCompactSize(w, o.scriptPubKey.length);
    w.bytes(o.scriptPubKey);
  }
  return w.finish();
}

/** The template of an empty block: the coinbase's wtxid is zero, so the witness root is too. */
function emptyBlockTemplate(height: number): NewTemplate {
  const commitment = witnessCommitment(new Uint8Array(32), new Uint8Array(32));
  const outputs = [{ value: 0n, scriptPubKey: new Uint8Array([...BIP141_HEADER, ...commitment]) }];
  return {
    template_id: 1n,
    future_template: true,
    version: 0x20000000,
    coinbase_tx_version: 2,
    coinbase_prefix: bip34HeightScript(height),
    coinbase_tx_input_sequence: 0xffffffff,
    coinbase_tx_value_remaining: blockSubsidy(height),
    coinbase_tx_outputs_count: outputs.length,
    coinbase_tx_outputs: serialiseOutputs(outputs),
    coinbase_tx_locktime: 0,
    merkle_path: [],
  };
}

export async function startTemplateProvider(o: TemplateProviderOptions): Promise<TemplateProvider> {
  const authoritySecret = randomSecret();
  const staticSecret = randomSecret();
  const certificate = certificateSigner(authoritySecret, { validForSec: 3600, backdateSec: 60 });
  const template = emptyBlockTemplate(o.height);
  const prevHash: TemplateSetNewPrevHash = {
    template_id: template.template_id,
    prev_hash: new Uint8Array(randomBytes(32)),
    header_timestamp: o.timestamp ?? Math.floor(Date.now() / 1000),
    nbits: o.nbits,
    target: bigIntToLeBytes(nbitsToTarget(o.nbits)),
  };
  const received: ReceivedMessage[] = [];
  const waiters: { name: string; resolve: (m: ReceivedMessage) => void }[] = [];
  const sockets = new Set<Socket>();
  const peers = new Set<Sv2Connection>();
  let nextConn = 0;

  const record = (entry: ReceivedMessage): void => {
    received.push(entry);
    for (const w of waiters.filter((x) => x.name === entry.message.name)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(entry);
    }
  };

  const serve = async (conn: number, peer: Sv2Connection): Promise<void> => {
    for await (const incoming of peer.messages()) {
      if (incoming.kind !== 'message') continue;
      const m = incoming.message;
      record({ conn, message: m });
      switch (m.name) {
        case 'SetupConnection':
          if (m.fields.protocol !== TEMPLATE_DISTRIBUTION_PROTOCOL || m.fields.min_version > 2) {
            peer.send('SetupConnection.Error', { flags: 0, error_code: 'unsupported-protocol' });
            peer.close();
            return;
          }
          peer.send('SetupConnection.Success', { used_version: 2, flags: 0 });
          break;
        case 'CoinbaseOutputConstraints':
          peer.send('NewTemplate', template);
          peer.send('TemplateDistribution.SetNewPrevHash', prevHash);
          break;
        case 'RequestTransactionData':
          if (m.fields.template_id === template.template_id)
            peer.send('RequestTransactionData.Success', {
              template_id: template.template_id,
              excess_data: new Uint8Array(0),
              transaction_list: [],
            });
          else
            peer.send('RequestTransactionData.Error', {
              template_id: m.fields.template_id,
              error_code: 'template-id-not-found',
            });
          break;
        default:
          // SubmitSolution and anything else: recorded above for the test.
          break;
      }
    }
  };

  const server: Server = createServer((socket) => {
    if (sockets.size >= MAX_CONNECTIONS) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const conn = nextConn++;
    void (async () => {
      const peer = await acceptConnection(`tp-client-${conn}`, socket, {
        staticSecret,
        certificate,
        handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
        maxPayload: MAX_PAYLOAD,
      });
      peers.add(peer);
      try {
        await serve(conn, peer);
      } finally {
        peers.delete(peer);
        peer.close();
      }
    })().catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('template provider: no TCP address');

  return {
    host: '127.0.0.1',
    port: address.port,
    authorityPublicKey: encodeAuthorityPublicKey(xonlyPublicKey(authoritySecret)),
    template,
    prevHash,
    received,
    waitFor(name, timeoutMs) {
      const seen = received.find((r) => r.message.name === name);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`template provider: no ${name} within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          name,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
    async close() {
      for (const peer of peers) peer.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * `pool-check` logic: connect to an SV2 pool the way a miner does (sv2.md §6.1) and report each
 * step — TCP connect time, Noise handshake and certificate window (§3.5), SetupConnection (§4),
 * OpenStandardMiningChannel (§5.2) and whether a job + SetNewPrevHash arrive before the deadline.
 * Returns a report value; never throws for a pool that misbehaves.
 */
import type { Socket } from 'node:net';
import { leBytesToBigInt, targetToDifficulty } from '../../bitcoin/target.js';
import { bytesToHex } from '../../bytes/hex.js';
import { tcpSocketFactory } from '../../connection/dial.js';
import { DEFAULT_MAX_MESSAGES_PER_SECOND, Sv2Connection } from '../../connection/sv2-connection.js';
import { NoiseError, SvMinerError } from '../../errors.js';
import { connectNoise } from '../../noise/noise-socket.js';
import { parsePoolUrl } from '../../noise/pool-url.js';
import type { MessageFields, MessageName } from '../../sv2/messages/registry.js';
import { Inbox } from './inbox.js';

export interface PoolCheckOptions {
  readonly url: string;
  readonly user?: string;
  readonly timeoutMs?: number;
  /** Skip certificate verification (URL without key, trusted LAN only). */
  readonly insecure?: boolean;
  /** Unix seconds, for the certificate window check. */
  readonly nowSec?: () => number;
  readonly nominalHashRate?: number;
}

type PoolCheckStep = 'url' | 'tcp' | 'noise' | 'setup' | 'channel' | 'job';

export interface PoolCheckReport {
  ok: boolean;
  url: string;
  failed_step?: PoolCheckStep;
  reason?: string;
  tcp?: { connect_ms: number };
  noise?: {
    handshake_ms: number;
    authenticated: boolean;
    certificate?: { version: number; valid_from: string; not_valid_after: string };
  };
  setup?:
    | { ok: true; used_version: number; flags: number }
    | { ok: false; flags: number; error_code: string };
  channel?:
    | {
        ok: true;
        channel_id: number;
        group_channel_id: number;
        target: string;
        difficulty: number;
        extranonce_prefix: string;
      }
    | { ok: false; error_code: string };
  job?: { received: boolean; job_id?: number; prev_hash?: string; nbits?: number; wait_ms?: number };
}

export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;

export async function runPoolCheck(options: PoolCheckOptions): Promise<PoolCheckReport> {
  const report: PoolCheckReport = { ok: false, url: options.url };
  const fail = (step: PoolCheckStep, reason: string): PoolCheckReport => {
    report.failed_step = step;
    report.reason = reason;
    return report;
  };
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS);
  let url: ReturnType<typeof parsePoolUrl>;
  try {
    url = parsePoolUrl(options.url, 'url');
  } catch (err) {
    return fail('url', errorText(err));
  }
  if (url.missingAuthorityKey && options.insecure !== true)
    return fail(
      'url',
      'the URL carries no authority public key; add it, or pass --insecure on a trusted LAN',
    );

  const t0 = performance.now();
  let socket: Socket;
  try {
    socket = await tcpSocketFactory({ host: url.host, port: url.port }, Math.max(1, deadline - Date.now()));
  } catch (err) {
    return fail('tcp', `TCP connect to ${url.host}:${url.port} failed: ${errorText(err)}`);
  }
  report.tcp = { connect_ms: round(performance.now() - t0) };

  const t1 = performance.now();
  let conn: Sv2Connection;
  try {
    const noise = await connectNoise(socket, {
      authorityKey: url.authorityKey,
      insecure: options.insecure === true,
      handshakeTimeoutMs: Math.max(1, deadline - Date.now()),
      ...(options.nowSec === undefined ? {} : { now: options.nowSec }),
    });
    conn = new Sv2Connection(options.url, noise, performance.now() - t1, DEFAULT_MAX_MESSAGES_PER_SECOND);
  } catch (err) {
    if (err instanceof NoiseError && err.step === 'certificate' && err.message.includes('signature'))
      return fail(
        'noise',
        "wrong authority key: the pool's certificate is not signed by the authority key in the URL " +
          '(check the key you were given, or you reached a different pool)',
      );
    return fail('noise', `Noise handshake failed: ${errorText(err)}`);
  }
  const cert = conn.handshake.certificate;
  report.noise = {
    handshake_ms: round(conn.handshakeMs),
    authenticated: conn.handshake.authenticated,
    ...(cert === undefined
      ? {}
      : {
          certificate: {
            version: cert.version,
            valid_from: isoSeconds(cert.validFrom),
            not_valid_after: isoSeconds(cert.notValidAfter),
          },
        }),
  };

  const inbox = new Inbox(conn);
  try {
    return await converse(conn, inbox, url, options, report, deadline, fail);
  } finally {
    conn.close();
  }
}

async function converse(
  conn: Sv2Connection,
  inbox: Inbox,
  url: { host: string; port: number },
  options: PoolCheckOptions,
  report: PoolCheckReport,
  deadline: number,
  fail: (step: PoolCheckStep, reason: string) => PoolCheckReport,
): Promise<PoolCheckReport> {
  const send = <N extends MessageName>(name: N, fields: MessageFields<N>): void => {
    conn.send(name, fields);
  };
  send('SetupConnection', {
    protocol: 0,
    min_version: 2,
    max_version: 2,
    // REQUIRES_STANDARD_JOBS | REQUIRES_VERSION_ROLLING: what a device sends (sv2.md §4).
    flags: 0x5,
    endpoint_host: url.host,
    endpoint_port: url.port,
    vendor: 'sv2miner',
    hardware_version: 'pool-check',
    firmware: 'sv2miner pool-check',
    device_id: '',
  });
  const setup = await inbox.waitFor(deadline, ['SetupConnection.Success', 'SetupConnection.Error']);
  if (setup === undefined) return fail('setup', `no SetupConnection reply before the deadline${inbox.why()}`);
  if (setup.name === 'SetupConnection.Error') {
    report.setup = { ok: false, flags: setup.fields.flags, error_code: setup.fields.error_code };
    return fail(
      'setup',
      `pool refused SetupConnection: ${setup.fields.error_code} (flags 0x${hex(setup.fields.flags)})`,
    );
  }
  if (setup.name !== 'SetupConnection.Success') return fail('setup', 'unexpected reply');
  report.setup = { ok: true, used_version: setup.fields.used_version, flags: setup.fields.flags };
  if ((setup.fields.flags & 0x2) !== 0)
    return fail(
      'setup',
      'pool requires extended channels (Success flag bit 1); a standard-channel device cannot mine here',
    );

  send('OpenStandardMiningChannel', {
    request_id: 1,
    user_identity: options.user ?? 'sv2miner-pool-check',
    nominal_hash_rate: options.nominalHashRate ?? 1e12,
    max_target: new Uint8Array(32).fill(0xff),
  });
  const open = await inbox.waitFor(deadline, [
    'OpenStandardMiningChannel.Success',
    'OpenMiningChannel.Error',
  ]);
  if (open === undefined)
    return fail('channel', `no OpenStandardMiningChannel reply before the deadline${inbox.why()}`);
  if (open.name === 'OpenMiningChannel.Error') {
    report.channel = { ok: false, error_code: open.fields.error_code };
    return fail('channel', `pool refused the channel: ${open.fields.error_code}`);
  }
  if (open.name !== 'OpenStandardMiningChannel.Success') return fail('channel', 'unexpected reply');
  const ch = open.fields;
  const target = leBytesToBigInt(ch.target);
  report.channel = {
    ok: true,
    channel_id: ch.channel_id,
    group_channel_id: ch.group_channel_id,
    target: bytesToHex(ch.target),
    difficulty: targetToDifficulty(target),
    extranonce_prefix: bytesToHex(ch.extranonce_prefix),
  };

  // A job is usable once a NewMiningJob and a SetNewPrevHash for this channel (or its group) are in.
  const t = performance.now();
  const ours = (id: number): boolean => id === ch.channel_id || id === ch.group_channel_id;
  let job: MessageFields<'NewMiningJob'> | undefined;
  let prev: MessageFields<'SetNewPrevHash'> | undefined;
  while (job === undefined || prev === undefined) {
    const m = await inbox.waitFor(deadline, ['NewMiningJob', 'SetNewPrevHash']);
    if (m === undefined) break;
    if (m.name === 'NewMiningJob' && ours(m.fields.channel_id)) job = m.fields;
    if (m.name === 'SetNewPrevHash' && ours(m.fields.channel_id)) prev = m.fields;
  }
  if (job === undefined || prev === undefined) {
    report.job = { received: false };
    const missing = job === undefined ? 'NewMiningJob' : 'SetNewPrevHash';
    return fail('job', `no ${missing} before the deadline${inbox.why()}`);
  }
  report.job = {
    received: true,
    job_id: job.job_id,
    prev_hash: bytesToHex(prev.prev_hash),
    nbits: prev.nbits,
    wait_ms: round(performance.now() - t),
  };
  send('CloseChannel', { channel_id: ch.channel_id, reason_code: 'pool-check done' });
  report.ok = true;
  return report;
}

function errorText(err: unknown): string {
  if (err instanceof SvMinerError || err instanceof Error) return err.message;
  return String(err);
}

function isoSeconds(unix: number): string {
  return new Date(unix * 1000).toISOString().replace('.000Z', 'Z');
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function hex(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}

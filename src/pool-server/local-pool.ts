/**
 * The local SV2 pool (`startLocalPool`): a Noise NX responder with its own authority key and
 * certificate (sv2.md §3), Common + Mining protocol for standard and extended channels in
 * per-connection groups (§4–§6) over a simulated chain with real coinbases (job-source.ts),
 * periodic jobs and blocks, vardiff by SetTarget. Used by the default demo,
 * by `sv2miner pool` and by tests; every connection is isolated from the others.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { difficultyToTarget, leBytesToBigInt } from '../bitcoin/target.js';
import { ExtendedServerChannel } from '../channels/server/extended.js';
import { ExtranonceAllocator } from '../channels/server/extranonce.js';
import { StandardServerChannel } from '../channels/server/standard.js';
import { harderTarget, hashrateToTarget, VardiffState } from '../channels/server/vardiff.js';
import { acceptConnection, type Sv2Connection } from '../connection/sv2-connection.js';
import { silentLog } from '../log.js';
import { ConnectionGuard } from '../net/connection-guard.js';
import { encodeAuthorityPublicKey } from '../noise/authority-key.js';
import { certificateSigner, unixNow } from '../noise/certificate.js';
import { randomSecret, xonlyPublicKey } from '../noise/ellswift.js';
import { systemClock, type TimerHandle } from '../time/clock.js';
import { MAX_CLIENT_PAYLOAD } from './client-frame-limit.js';
import { DownstreamConnection, type PoolContext, validHashRate } from './connection-handler.js';
import { type ChainTip, JobSource } from './job-source.js';
import {
  LOCAL_POOL_DEFAULTS,
  type LocalPool,
  type LocalPoolOptions,
  POOL_LISTENER_LIMITS,
} from './pool-options.js';

/** Certificates are back-dated so miners whose clock lags a little still accept them. */
const CERT_BACKDATE_SEC = 60;

export async function startLocalPool(options: LocalPoolOptions = {}): Promise<LocalPool> {
  const o = { ...LOCAL_POOL_DEFAULTS, ...stripUndefined(options) };
  const log = options.logger ?? silentLog;
  const clock = options.clock ?? systemClock;
  const nowSec = options.nowSec ?? unixNow;
  const authoritySecret = options.authoritySecretKey ?? randomSecret();
  const staticSecret = options.staticSecretKey ?? randomSecret();
  const authorityXonly = xonlyPublicKey(authoritySecret);
  const authorityPublicKey = encodeAuthorityPublicKey(authorityXonly);
  const certificate = certificateSigner(authoritySecret, {
    validForSec: o.certificateValiditySec,
    backdateSec: CERT_BACKDATE_SEC,
    now: nowSec,
  });
  const fixedTarget =
    options.initialTarget ??
    (options.initialDifficulty === undefined ? undefined : difficultyToTarget(options.initialDifficulty));
  const extranonce = new ExtranonceAllocator(o.extranonceSpace);
  const source = new JobSource({
    nowSec,
    seed: staticSecret,
    extranonceSpace: o.extranonceSpace,
    simulatedTransactions: o.simulatedTransactions,
    ...(options.nbits === undefined ? {} : { nbits: options.nbits }),
  });
  const nextTemplate = () => source.template();

  const connections = new Set<DownstreamConnection>();
  const sockets = new Set<Socket>();
  const rejected: Record<string, number> = {};
  let accepted = 0;
  let blocksFound = 0;
  let connectionsTotal = 0;
  let nextId = 1;
  let closed = false;

  const broadcastTip = (tip: ChainTip): void => {
    log.info({ height: tip.height }, 'new block (SetNewPrevHash)');
    for (const c of connections) c.onNewTip(tip);
  };
  const newBlock = (foundHash?: Uint8Array): ChainTip => {
    const tip = source.advance(foundHash);
    broadcastTip(tip);
    rearm('block');
    return tip;
  };

  /** What both channel kinds check and set up alike from an Open*MiningChannel request. */
  const channelBasics = (req: {
    user_identity: string;
    nominal_hash_rate: number;
    max_target: Uint8Array;
  }) => {
    if (!validHashRate(req.nominal_hash_rate))
      return { ok: false as const, code: 'invalid-nominal-hashrate' };
    const maxTarget = leBytesToBigInt(req.max_target);
    if (maxTarget === 0n) return { ok: false as const, code: 'max-target-out-of-range' };
    const base = fixedTarget ?? hashrateToTarget(req.nominal_hash_rate, o.targetSharesPerMinute);
    return {
      ok: true as const,
      init: {
        channelId: nextId++,
        userIdentity: req.user_identity,
        target: harderTarget(base, maxTarget),
        maxTarget,
        nominalHashRate: req.nominal_hash_rate,
        versionMask: o.versionRollingMask,
        shareBatchSize: o.shareBatchSize,
        ntimeLeewaySec: o.ntimeLeewaySec,
        vardiff:
          o.vardiffIntervalMs > 0
            ? new VardiffState(clock.now(), { sharesPerMinute: o.targetSharesPerMinute })
            : undefined,
        nextTemplate,
      },
    };
  };

  const ctx: PoolContext = {
    log,
    nowSec,
    nowMs: () => clock.now(),
    tip: () => source.tip,
    allocateGroupId: () => nextId++,
    openChannel(req, groupChannelId) {
      const common = channelBasics(req);
      if (!common.ok) return common;
      return {
        ok: true,
        channel: new StandardServerChannel({
          ...common.init,
          groupChannelId,
          extranoncePrefix: extranonce.standard(),
        }),
      };
    },
    openExtendedChannel(req, groupChannelId) {
      const common = channelBasics(req);
      if (!common.ok) return common;
      const allocation = extranonce.extended(req.min_extranonce_size);
      if (!allocation.ok) return allocation;
      return {
        ok: true,
        channel: new ExtendedServerChannel({
          ...common.init,
          groupChannelId,
          extranoncePrefix: allocation.prefix,
          extranonceSize: allocation.extranonceSize,
          extranonceSpace: extranonce.space,
        }),
      };
    },
    updatedTarget(_channel, hashRate, maxTarget) {
      return harderTarget(fixedTarget ?? hashrateToTarget(hashRate, o.targetSharesPerMinute), maxTarget);
    },
    recordShare(channel, outcome, share) {
      options.onShare?.({ channelId: channel?.channelId, share, outcome });
      if (outcome.kind === 'rejected') {
        rejected[outcome.code] = (rejected[outcome.code] ?? 0) + 1;
        return;
      }
      accepted++;
      if (!outcome.block) return;
      blocksFound++;
      log.info(
        { channel: channel?.channelId, user: channel?.userIdentity },
        'share meets nbits: block found',
      );
      if (options.advanceOnBlockFound !== false) {
        // After the current message is handled, so the ack goes out before the new prev hash.
        const hash = outcome.hash;
        queueMicrotask(() => {
          if (!closed) newBlock(hash);
        });
      }
    },
    connectionClosed(c) {
      connections.delete(c);
      log.info({ conn: c.id }, 'client disconnected');
    },
  };

  const timers = new Map<string, TimerHandle>();
  const periods: Record<string, number> = {
    job: o.jobIntervalMs,
    block: o.blockIntervalMs,
    vardiff: o.vardiffIntervalMs,
  };
  const actions: Record<string, () => void> = {
    job: () => {
      const ntime = source.activeNtime();
      for (const c of connections) c.newJobs(ntime);
    },
    block: () => {
      newBlock();
    },
    vardiff: () => {
      const now = clock.now();
      const ntime = source.activeNtime();
      for (const c of connections) c.vardiffTick(now, ntime);
    },
  };
  function rearm(name: string): void {
    const old = timers.get(name);
    if (old !== undefined) clock.clearTimer(old);
    const period = periods[name] ?? 0;
    const action = actions[name];
    if (closed || period <= 0 || action === undefined) return;
    timers.set(
      name,
      clock.setTimer(() => {
        try {
          action();
        } catch (err) {
          log.error({ err }, `local pool ${name} timer failed`);
        }
        // The block action re-arms itself through newBlock().
        if (name !== 'block') rearm(name);
      }, period),
    );
  }

  // Real timers, not `clock`: tests drive the pool's clock through hours of jobs and vardiff.
  // SV2 has no "busy" message before the handshake: a refused socket is just closed.
  const guard = new ConnectionGuard({ limits: { ...POOL_LISTENER_LIMITS, ...options.limits } });
  const server: Server = createServer((socket) => {
    if (!guard.admit(socket)) {
      // Debug only: a flood must not become a log flood; stats().connectionsRefused counts them.
      log.debug({ remote: socket.remoteAddress, refused: guard.refused }, 'connection refused: too many');
      return;
    }
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    void (async () => {
      let peer: Sv2Connection;
      try {
        peer = await acceptConnection(remote, socket, {
          staticSecret,
          certificate,
          handshakeTimeoutMs: o.handshakeTimeoutMs,
          maxPayload: MAX_CLIENT_PAYLOAD,
          maxMessagesPerSecond: o.maxMessagesPerSecond,
          log,
        });
      } catch (err) {
        log.info({ remote }, `handshake failed: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      if (closed) {
        peer.close();
        return;
      }
      connectionsTotal++;
      const conn = new DownstreamConnection(nextId++, remote, peer, ctx, {
        setupTimeoutMs: o.setupTimeoutMs,
        maxChannelsPerConnection: o.maxChannelsPerConnection,
      });
      connections.add(conn);
      log.info({ conn: conn.id, remote }, 'client connected');
      await conn.serve();
      // The connection ended its side; a peer that never closes its own is cut off after the grace.
      guard.end(socket, 'done');
    })().catch((err: unknown) => log.error({ err }, 'connection task failed'));
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(options.port ?? 0, o.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // Only now: a failed listen is the caller's one error, not also a logged stack.
  server.on('error', (err) => log.error({ err }, 'local pool listener error'));
  const address = server.address();
  const port = address !== null && typeof address === 'object' ? address.port : (options.port ?? 0);
  const hostForUrl = o.host.includes(':') ? `[${o.host}]` : o.host;
  const url = `stratum2+tcp://${hostForUrl}:${port}/${authorityPublicKey}`;
  for (const name of Object.keys(periods)) rearm(name);
  log.info({ url, height: source.tip.height }, 'local SV2 pool listening');

  return {
    url,
    authorityPublicKey,
    authorityXonly,
    host: o.host,
    port,
    stats: () => {
      let channels = 0;
      for (const c of connections) channels += c.channelCount;
      return {
        connections: connections.size,
        connectionsTotal,
        socketsOpen: guard.size,
        connectionsRefused: guard.refused,
        channels,
        sharesAccepted: accepted,
        sharesRejected: { ...rejected },
        blocksFound,
        height: source.tip.height,
      };
    },
    tip: () => source.tip,
    newBlock: () => newBlock(),
    newJobs: () => actions['job']?.(),
    sendToAll(frame) {
      let n = 0;
      for (const c of connections) if (c.sendFrame(frame)) n++;
      return n;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers.values()) clock.clearTimer(t);
      timers.clear();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of connections) c.close();
      // Nothing is owed to a miner at shutdown: no grace, every socket goes now.
      for (const s of sockets) s.destroy();
      await guard.close();
      await done;
      log.info('local SV2 pool stopped');
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export {
  LOCAL_POOL_DEFAULTS,
  type LocalPool,
  type LocalPoolOptions,
} from './pool-options.js';

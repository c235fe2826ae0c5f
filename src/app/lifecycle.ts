/**
 * Ordered start and stop of the daemon, and its contract with systemd (sd_notify(3)): READY=1 only
 * once chains are initialised and the first pool job reached them; WATCHDOG=1 every half
 * WatchdogSec only while healthy (stuck chips or a stuck pool loop stop the pings, so systemd
 * restarts us); STOPPING=1 on shutdown. SIGINT/SIGTERM stop cleanly; an unhandled rejection is a
 * bug: logged at fatal, exit 1. With src/cli/main.ts the only code that may exit the process.
 */
import type { Logger } from '../log.js';
import type { Notifier } from './sd-notify.js';

/** What the lifecycle drives (each role's daemon implements it; S is its snapshot). */
interface Daemon<S> {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly ready: Promise<void>;
  health(): { readonly ok: true } | { readonly ok: false; readonly reason: string };
  snapshot(): S;
  /** One human-readable line for the terminal and systemd's STATUS=. */
  statusLine(): string;
}

interface LifecycleOptions<S> {
  readonly daemon: Daemon<S>;
  readonly notifier: Notifier;
  readonly log: Logger;
  /** Mine this long, then stop as if signalled (`run --for`). */
  readonly durationMs?: number;
  /** Human status line sink (stdout) and its period. */
  readonly status?: (line: string) => void;
  readonly statusIntervalMs?: number;
  /** Started after the daemon; returns its closer (the API servers). */
  readonly afterStart?: () => Promise<(() => Promise<void>) | undefined>;
  /** How a fatal error ends the process (default process.exit). */
  readonly exit?: (code: number) => void;
}

type StopReason = 'signal' | 'duration' | 'start-failed';

export interface LifecycleResult<S> {
  readonly code: number;
  readonly reason: StopReason;
  /** Whether READY was reached (chains up, pool mining, work on the chips). */
  readonly wasReady: boolean;
  /** The last snapshot, taken after the ordered stop. */
  readonly snapshot: S | undefined;
  /** What made the start fail (reason 'start-failed'), in one line. */
  readonly startError?: string;
}

export async function runLifecycle<S>(o: LifecycleOptions<S>): Promise<LifecycleResult<S>> {
  const { daemon, notifier, log } = o;
  let stopRequested: (reason: StopReason) => void = () => {};
  const stopped = new Promise<StopReason>((resolve) => {
    stopRequested = resolve;
  });
  // Removed again when the run ends, so in-process runs (tests, one process per run otherwise)
  // leave the process as they found it.
  const hooks = installProcessHooks(log, stopRequested, o.exit);
  const timers: NodeJS.Timeout[] = [];
  let closeExtras: (() => Promise<void>) | undefined;
  let wasReady = false;
  try {
    // The daemon, then what runs beside it: an installed rig without its API is invisible to the
    // farm's monitoring, so a busy API port fails the start (exit 1, so systemd shows it and
    // retries) instead of mining unseen.
    try {
      await daemon.start();
      closeExtras = await o.afterStart?.();
    } catch (error) {
      return await failStart(daemon, notifier, log, error);
    }
    if (o.durationMs !== undefined) timers.push(setTimeout(() => stopRequested('duration'), o.durationMs));
    if (o.status !== undefined) {
      const print = o.status;
      timers.push(setInterval(() => print(daemon.statusLine()), o.statusIntervalMs ?? 5_000));
    }
    const first = await Promise.race([daemon.ready.then(() => 'ready' as const), stopped]);
    if (first === 'ready') {
      wasReady = true;
      const status = daemon.statusLine();
      log.info({ status }, 'ready: the daemon reports its work under way');
      await notifier.notify({ READY: 1, STATUS: status });
      startWatchdog(o, timers);
    }
    const reason = await stopped;
    log.info({ reason }, 'stopping');
    await notifier.notify({ STOPPING: 1 });
    for (const t of timers) clearTimeout(t);
    timers.length = 0;
    await closeExtras?.().catch((err: unknown) => log.warn({ err }, 'closing the APIs failed'));
    await daemon.stop();
    log.info('stopped cleanly');
    return { code: 0, reason, wasReady, snapshot: safeSnapshot(daemon) };
  } finally {
    for (const t of timers) clearTimeout(t);
    hooks();
  }
}

/** WATCHDOG=1 at half the interval systemd asked for, skipped while the daemon is unhealthy. */
function startWatchdog<S>(o: LifecycleOptions<S>, timers: NodeJS.Timeout[]): void {
  const interval = o.notifier.watchdogIntervalMs;
  if (interval === undefined) return;
  let unhealthy = false;
  timers.push(
    setInterval(() => {
      const health = o.daemon.health();
      if (health.ok) {
        if (unhealthy) o.log.info('healthy again: watchdog pings resume');
        unhealthy = false;
        void o.notifier.notify({ WATCHDOG: 1 });
      } else if (!unhealthy) {
        unhealthy = true;
        o.log.error({ reason: health.reason }, 'unhealthy: watchdog pings stop (systemd will restart us)');
      }
    }, interval / 2),
  );
}

function installProcessHooks(
  log: Logger,
  stop: (reason: StopReason) => void,
  exit: ((code: number) => void) | undefined,
): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'signal received');
    stop('signal');
  };
  const onFatal = (error: unknown): void => {
    // An unhandled rejection is a bug; let systemd restart a fresh process (Restart=on-failure).
    log.fatal({ err: error }, 'unhandled error: exiting');
    (exit ?? ((code: number) => process.exit(code)))(1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('unhandledRejection', onFatal);
  process.on('uncaughtException', onFatal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('unhandledRejection', onFatal);
    process.off('uncaughtException', onFatal);
  };
}

/** Either start step failed: one log line, the reason as systemd's STATUS, the daemon stopped. */
async function failStart<S>(
  daemon: Daemon<S>,
  notifier: Notifier,
  log: Logger,
  error: unknown,
): Promise<LifecycleResult<S>> {
  const message = oneLine(error);
  log.error(`start failed: ${message}`);
  log.debug({ err: error }, 'start failure in full');
  await notifier.notify({ STOPPING: 1, STATUS: `start failed: ${message}` });
  await daemon.stop().catch(() => {});
  return {
    code: 1,
    reason: 'start-failed',
    wasReady: false,
    snapshot: safeSnapshot(daemon),
    startError: message,
  };
}

function safeSnapshot<S>(daemon: Daemon<S>): S | undefined {
  try {
    return daemon.snapshot();
  } catch {
    return undefined;
  }
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/**
 * The one root logger (pino, JSON to stderr: stdout is for each command's own output such as
 * `pool`'s url line or `probe`'s JSON) and child loggers per component.
 * Redaction covers every place a secret could sit, so a careless `log.info({ config })`
 * still prints no password or key. No pino transports: they start worker threads.
 */
import { type Level, type Logger, pino } from 'pino';

export type { Logger };

const REDACT = [
  'password',
  '*.password',
  '*.*.password',
  'secretKey',
  '*.secretKey',
  'privateKey',
  '*.privateKey',
  'authoritySecretKey',
  '*.authoritySecretKey',
  'api.token',
  '*.token',
];

// Synchronous writes: a line logged before a reply is sent is on its way to journald before the
// reply, and nothing queued is lost when the process is killed.
let root: Logger = pino(
  {
    level: process.env['SV2MINER_LOG_LEVEL'] ?? 'info',
    base: { svc: 'sv2miner' },
    redact: { paths: REDACT, censor: '[redacted]' },
  },
  pino.destination({ dest: 2, sync: true }),
);

/** Replace the root logger (the composition root does this once, from config). */
export function configureRootLogger(options: {
  level?: Level | 'silent';
  destination?: pino.DestinationStream;
}): Logger {
  root = pino(
    {
      level: options.level ?? 'info',
      base: { svc: 'sv2miner' },
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
  return root;
}

export function rootLog(): Logger {
  return root;
}

export function childLog(component: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ component, ...bindings });
}

/** A logger that drops everything: for tests and for library callers that pass none. */
export const silentLog: Logger = pino({ level: 'silent' });

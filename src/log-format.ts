/**
 * How daemon log lines reach the terminal. pino always produces JSON (the APIs' log views and
 * journald keep that form); a person at a terminal gets one readable line per entry instead,
 * rendered by pino-pretty in-process (no transport worker thread). pino-pretty is required only
 * when a readable form is asked for: a daemon under systemd or with its output piped logs JSON and
 * would carry its ~30 modules (1-2 MB RSS) for nothing.
 */
import { createRequire } from 'node:module';
import type { prettyFactory } from 'pino-pretty';

export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export function isLogFormat(text: string): text is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(text);
}

/** `auto` is readable on a terminal and JSON everywhere else (pipes, files, journald). */
export function resolveLogFormat(format: LogFormat, isTty: boolean): 'json' | 'pretty' {
  if (format === 'auto') return isTty ? 'pretty' : 'json';
  return format;
}

/** One serialised pino JSON line in, one readable line out ("19:02:11 INFO  [pool] ..."). */
export function prettyLineFormatter(colorize: boolean): (jsonLine: string) => string {
  const pretty = createRequire(import.meta.url)('pino-pretty') as { prettyFactory: typeof prettyFactory };
  const render = pretty.prettyFactory({
    colorize,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,svc,component',
    messageFormat: '{if component}[{component}] {end}{msg}',
  });
  return (jsonLine) => render(jsonLine);
}

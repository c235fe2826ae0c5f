/**
 * systemd's notify protocol (sd_notify(3)): datagrams such as "READY=1" sent to the unix socket
 * named by $NOTIFY_SOCKET. Node has no unix datagram sockets, so this uses the small native
 * `unix-dgram` addon, loaded lazily: off systemd (no NOTIFY_SOCKET) nothing is loaded at all.
 * Abstract sockets ("@name") are supported by mapping '@' to the leading NUL byte.
 */
import { createRequire } from 'node:module';

interface DgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  close(): void;
  on(event: 'error', listener: (err: Error) => void): void;
}
interface UnixDgramModule {
  createSocket(type: 'unix_dgram'): DgramSocket;
}

export interface Notifier {
  readonly enabled: boolean;
  /** Sends the given state lines (e.g. { READY: 1, STATUS: '...' }); never throws. */
  notify(state: Record<string, string | number>): Promise<void>;
  /** The watchdog interval systemd expects pings at, in ms, or undefined when no watchdog is set. */
  readonly watchdogIntervalMs: number | undefined;
  close(): void;
}

export function systemdNotifier(env: NodeJS.ProcessEnv = process.env): Notifier {
  const socketPath = env['NOTIFY_SOCKET'];
  const watchdogUsec = Number(env['WATCHDOG_USEC'] ?? '');
  const watchdogPid = env['WATCHDOG_PID'];
  const watchdogForUs = watchdogPid === undefined || Number(watchdogPid) === process.pid;
  const watchdogIntervalMs =
    Number.isFinite(watchdogUsec) && watchdogUsec > 0 && watchdogForUs ? watchdogUsec / 1000 : undefined;
  if (socketPath === undefined || socketPath === '') {
    return { enabled: false, watchdogIntervalMs, notify: async () => {}, close: () => {} };
  }
  const target = socketPath.startsWith('@') ? `\0${socketPath.slice(1)}` : socketPath;
  let socket: DgramSocket | undefined;
  const open = (): DgramSocket => {
    if (socket === undefined) {
      const require = createRequire(import.meta.url);
      const mod = require('unix-dgram') as UnixDgramModule;
      socket = mod.createSocket('unix_dgram');
      socket.on('error', () => {});
    }
    return socket;
  };
  return {
    enabled: true,
    watchdogIntervalMs,
    notify: (state) =>
      new Promise<void>((resolve) => {
        const text = Object.entries(state)
          .map(([k, v]) => `${k}=${String(v).replace(/\n/g, ' ')}`)
          .join('\n');
        const buf = Buffer.from(text);
        try {
          open().send(buf, 0, buf.length, target, () => resolve());
        } catch {
          resolve();
        }
      }),
    close: () => {
      socket?.close();
      socket = undefined;
    },
  };
}

/**
 * Serves a simulated serial device (a SimChain, or a USB bridge's control port) on a
 * pseudo-terminal, so any serial client (sv2miner on the hw binding, picocom, a Python script)
 * can talk to it as to the hardware. Node has no pty API: a child process owns
 * the pty pair and relays its master end over stdio pipes: `socat pty,... STDIO`, or a few lines of
 * python3 (os.openpty) where socat is missing. Baud on a pty means nothing, so the chain's host
 * rate "follows" the chips: the chips' baud registers still change, but a pty client never goes deaf.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransportError } from '../../src/errors.js';
import { SimChain, type SimChainOptions } from './sim-chain.js';

export type PtyRelay = 'socat' | 'python3';

interface SimPtyOptions {
  readonly chain: SimChainOptions;
  /** Where the pty's symlink goes; default `<tmp>/sv2miner-sim-XXXX/ttySIM0`. */
  readonly link?: string;
  /** Which helper owns the pty; 'auto' prefers socat (what CI installs). */
  readonly relay?: PtyRelay | 'auto';
}

/** What a pty can serve: bytes in from the client, bytes out to it. */
interface SimSerialDevice {
  write(bytes: Uint8Array): void;
  onData(listener: (bytes: Uint8Array) => void): unknown;
  close(): void;
}

export interface PtyServer {
  /** Open this path with any serial client. */
  readonly path: string;
  readonly relay: PtyRelay;
  /** The relay process: tests pause it (SIGSTOP) to play a host that starves the other end. */
  readonly relayPid: number | undefined;
  close(): Promise<void>;
}

interface SimPtyServer extends PtyServer {
  readonly chain: SimChain;
}

/**
 * The python relay: holds the slave end open itself so a client may close and reopen the path,
 * copies master <-> stdio, and exits when its stdin closes.
 */
const PYTHON_RELAY = `
import os, select, sys, tty
link = sys.argv[1]
master, slave = os.openpty()
tty.setraw(slave)
name = os.ttyname(slave)
if os.path.lexists(link):
    os.unlink(link)
os.symlink(name, link)
sys.stderr.write("PTY is %s\\n" % name)
sys.stderr.flush()
try:
    while True:
        ready, _, _ = select.select([master, 0], [], [])
        if master in ready:
            os.write(1, os.read(master, 4096))
        if 0 in ready:
            data = os.read(0, 4096)
            if not data:
                break
            os.write(master, data)
finally:
    if os.path.lexists(link):
        os.unlink(link)
`;

/** The first relay helper this machine has, or undefined. */
export function findPtyRelay(): PtyRelay | undefined {
  if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0) return 'socat';
  if (spawnSync('python3', ['-c', 'import os, pty; os.openpty()'], { stdio: 'ignore' }).status === 0)
    return 'python3';
  return undefined;
}

export async function serveSimBoardOnPty(options: SimPtyOptions): Promise<SimPtyServer> {
  const chain = new SimChain(options.chain);
  chain.setHostBaud('follow');
  const server = await servePty(chain, options);
  return { ...server, chain };
}

/** Serves `device` on a new pty; closing the server closes the device. */
export async function servePty(
  device: SimSerialDevice,
  options: Pick<SimPtyOptions, 'link' | 'relay'> = {},
): Promise<PtyServer> {
  const wanted = options.relay ?? 'auto';
  const relay = wanted === 'auto' ? findPtyRelay() : wanted;
  if (relay === undefined) {
    device.close();
    throw new TransportError('pty', 'serving a simulated device on a pty needs socat or python3 on PATH');
  }
  const tempDir = options.link === undefined ? mkdtempSync(join(tmpdir(), 'sv2miner-sim-')) : undefined;
  const path = options.link ?? join(tempDir ?? tmpdir(), 'ttySIM0');
  const child =
    relay === 'socat'
      ? spawn('socat', ['-d', '-d', `pty,rawer,echo=0,link=${path}`, 'STDIO'])
      : spawn('python3', ['-u', '-c', PYTHON_RELAY, path]);
  wire(child, device);
  const cleanup = () => {
    device.close();
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  };
  try {
    await waitForLink(child, path);
  } catch (error) {
    child.kill('SIGTERM');
    cleanup();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    path,
    relay,
    relayPid: child.pid,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const done = () => {
          cleanup();
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', done);
        child.stdin.end();
        child.kill('SIGTERM');
      });
      return closing;
    },
  };
}

/** Host bytes from the relay's stdout go to the device; its replies go to the relay's stdin. */
function wire(child: ChildProcessWithoutNullStreams, device: SimSerialDevice): void {
  child.stdout.on('data', (bytes: Buffer) => device.write(Uint8Array.from(bytes)));
  device.onData((bytes) => {
    if (child.stdin.writable) child.stdin.write(bytes);
  });
  // EPIPE after the relay exits is expected during close; the exit itself is reported elsewhere.
  child.stdin.on('error', () => {});
}

/** Resolves once the relay has made the symlink; rejects with its stderr if it dies first. */
function waitForLink(child: ChildProcessWithoutNullStreams, path: string, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const fail = (why: string) => {
      clearInterval(poll);
      reject(
        new TransportError(path, `pty relay ${why}${stderr === '' ? '' : `: ${stderr.trim().slice(-400)}`}`),
      );
    };
    const started = Date.now();
    const poll = setInterval(() => {
      if (existsSync(path)) {
        clearInterval(poll);
        resolve();
      } else if (child.exitCode !== null) fail(`exited with code ${child.exitCode}`);
      else if (Date.now() - started > timeoutMs) fail(`made no pty within ${timeoutMs} ms`);
    }, 10);
    child.once('error', (err) => fail(`could not start (${err.message})`));
  });
}

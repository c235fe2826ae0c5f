/**
 * A fake systemd notify socket for tests: a python3 child binds a unix datagram socket and prints
 * each datagram as one JSON line, stamped on arrival. Python is the receiver so a bug in our
 * sending side cannot be cancelled out by the same bug on the receiving side.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Datagram {
  readonly text: string;
  /** performance.now() when this process read the line. */
  readonly at: number;
}

export interface FakeSystemd {
  readonly path: string;
  readonly received: Datagram[];
  close(): void;
}

export async function fakeSystemd(): Promise<FakeSystemd> {
  const dir = mkdtempSync(join(tmpdir(), 'sv2miner-notify-'));
  const path = join(dir, 'notify.sock');
  const script = [
    'import socket, sys, json',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    's.bind(sys.argv[1])',
    'print("bound", flush=True)',
    'while True:',
    '    print(json.dumps(s.recv(4096).decode()), flush=True)',
  ].join('\n');
  const child = spawn('python3', ['-c', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const received: Datagram[] = [];
  let bound = false;
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line === 'bound') bound = true;
      else received.push({ text: JSON.parse(line) as string, at: performance.now() });
    }
  });
  for (let i = 0; i < 300 && !bound; i++) await new Promise((r) => setTimeout(r, 10));
  if (!bound) throw new Error('python3 notify receiver did not start');
  return {
    path,
    received,
    close: () => {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

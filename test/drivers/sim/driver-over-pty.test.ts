/**
 * The whole driver through a real tty: `sv2miner sim-board --pty` runs as its own process, and the
 * chain driver opens the printed path with the hardware serial binding (@serialport/bindings-cpp,
 * what a Pi's /dev/serial0 uses), brings the chain up, sends the captured BM1370 job and gets
 * nonces whose double SHA-256 the host confirms. Needs the built CLI (`npm test` builds it) and
 * socat or python3 for the pty pair; without a relay it skips and says so loudly.
 *
 * Runs under `npm run test:slow` (SV2MINER_SLOW=1): with a CPU hog beside ~8 other builds it
 * failed 3 times in about 12 runs, twice with no nonce at all in 30 s after a good bring-up (a
 * lost write or a real race between the processes, cause not found yet; see the README's Testing
 * section). `npm test` keeps the pieces: the driver on the sim in
 * process (driver-on-sim.test.ts) and the hardware serial binding through the pty relay
 * (sim-pty.test.ts).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { autoDetect } from '@serialport/bindings-cpp';
import { afterEach, describe, expect, it } from 'vitest';
import { Bm13xxChain } from '../../../drivers/bm13xx/chain.js';
import { DEFAULT_TIMING } from '../../../drivers/bm13xx/chain-options.js';
import { UartLink } from '../../../drivers/transport/uart-link.js';
import type { NonceResult } from '../../../drivers/types.js';
import { HeaderHasher } from '../../../src/bitcoin/header.js';
import { leBytesToBigInt, ticketTarget } from '../../../src/bitcoin/target.js';
import { hexToBytes } from '../../../src/bytes/hex.js';
import { readVectorJson } from '../../helpers/vectors.js';
import { FAST } from '../bm13xx/chain-helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', '..', '..', 'dist', 'src', 'cli', 'main.js');
const hasRelay =
  spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0 ||
  spawnSync('python3', ['-c', 'import os; os.openpty()'], { stdio: 'ignore' }).status === 0;
if (!hasRelay)
  console.warn('\n!!! driver-over-pty test SKIPPED: neither socat nor python3 is installed !!!\n');

interface RoundTrip {
  rebuilt_header_hex: string;
  rolled_version: string;
  version_mask: string;
}

let child: ChildProcess | undefined;
let chain: Bm13xxChain | undefined;
afterEach(async () => {
  await chain?.close();
  child?.kill('SIGTERM');
  chain = undefined;
  child = undefined;
});

/** Starts the CLI and resolves with the pty path it prints on stdout. */
function serveBoard(args: string[]): Promise<string> {
  const proc = spawn(process.execPath, [CLI, 'sim-board', '--pty', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child = proc;
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const path = out.split('\n').find((l) => l.startsWith('/'));
      if (path !== undefined) resolve(path.trim());
    });
    proc.once('exit', (code) => reject(new Error(`sim-board exited with ${code} before printing a path`)));
  });
}

describe.skipIf(!hasRelay || process.env['SV2MINER_SLOW'] !== '1')('BM13xx driver over a real pty', () => {
  it('brings up a served BM1370 chain and returns nonces the host hash confirms', async () => {
    expect(existsSync(CLI), `${CLI} missing: run \`npm run build\` first (npm test does)`).toBe(true);
    // One nonce per 2^14 hashes: a few per second even when the other process gets little CPU.
    const shift = 18;
    const path = await serveBoard([
      '--model',
      'BM1370',
      '--chips',
      '2',
      '--shift',
      String(shift),
      '--hashrate',
      '300000',
    ]);
    expect(existsSync(path)).toBe(true);

    chain = new Bm13xxChain({
      index: 0,
      model: 'BM1370',
      expectedChipCount: 2,
      link: new UartLink({ binding: autoDetect(), path }),
      reset: async () => {},
      frequencyMhz: 100,
      chipDifficulty: 1,
      workingBaud: 1_000_000,
      // The chips live in another process behind socat: a quiet line means "no more answers" only
      // after the real (ESP-Miner) idle times, not the in-process tests' 25 ms, which a loaded
      // machine overruns before the other process is even scheduled.
      timing: {
        ...FAST,
        enumerateIdleMs: DEFAULT_TIMING.enumerateIdleMs,
        readIdleMs: DEFAULT_TIMING.readIdleMs,
      },
    });
    const info = await chain.init();
    expect(info).toMatchObject({ chipModel: 'BM1370', chipCount: 2, addresses: [0, 128] });

    // The captured Bitaxe Gamma job (header as the pool accepted it; base version = rolled bits cleared).
    const capture = readVectorJson<RoundTrip>('bm13xx/bm1370_roundtrip.json');
    const header = hexToBytes(capture.rebuilt_header_hex);
    const view = new DataView(header.buffer);
    const versionMask = Number.parseInt(capture.version_mask, 16);
    const work = {
      version: (Number.parseInt(capture.rolled_version, 16) & ~versionMask) >>> 0,
      versionMask,
      prevHash: header.slice(4, 36),
      merkleRoot: header.slice(36, 68),
      ntime: view.getUint32(68, true),
      nbits: view.getUint32(72, true),
      workId: 7,
    };
    expect(work.version).toBe(0x20000000);
    const got: NonceResult[] = [];
    chain.onNonce((r) => got.push(r));
    await chain.sendWork(work, true);
    const deadline = Date.now() + 30_000;
    while (got.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(got.length).toBeGreaterThanOrEqual(3);

    const hasher = new HeaderHasher();
    const chipTarget = ticketTarget(1, shift);
    for (const r of got) {
      expect(r.work.workId).toBe(7);
      expect(r.version & ~work.versionMask).toBe(work.version & ~work.versionMask);
      const hash = hasher.hash(r.work, r.version, r.nonce);
      expect(leBytesToBigInt(hash) <= chipTarget).toBe(true);
    }
  }, 60_000);
});

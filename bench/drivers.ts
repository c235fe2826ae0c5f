/**
 * Driver benchmarks (brief C): how long the host takes from handing ChipWork to a running
 * Bm13xxChain until the serial binding's write() is called, on @serialport/binding-mock, against
 * the time the job packet itself needs on the wire at the working baud (10 bits per byte, 8N1).
 * A ratio well below 1 means the host is never the bottleneck of job dispatch.
 */
import { MockBinding, type MockPortBinding } from '@serialport/binding-mock';
import type { BindingInterface, OpenOptions } from '@serialport/bindings-interface';
import { Bm13xxChain } from '../drivers/bm13xx/chain.js';
import { CHIPS, type ChipModel } from '../drivers/bm13xx/chips.js';
import { FULL_JOB_LENGTH, MIDSTATE_JOB_LENGTH, parseCommand } from '../drivers/bm13xx/commands.js';
import { encodeRegisterReply } from '../drivers/bm13xx/replies.js';
import { UartLink } from '../drivers/transport/uart-link.js';
import type { ChipWork } from '../drivers/types.js';
import { type BenchLine, percentile } from './lib.js';

const JOBS = 3000;

export async function run(): Promise<BenchLine[]> {
  const bm1370 = await measure('BM1370', 0x1370);
  const bm1397 = await measure('BM1397', 0x1397);
  const baud = CHIPS.BM1370.baudOptions[0]?.hostBaud ?? 1_000_000;
  const wireUs = (FULL_JOB_LENGTH * 10 * 1e6) / baud;
  const p50 = percentile(bm1370, 50);
  const baud97 = CHIPS.BM1397.baudOptions[0]?.hostBaud ?? 3_125_000;
  return [
    { name: 'job_dispatch_p50_us', value: p50, unit: 'us' },
    { name: 'job_dispatch_p99_us', value: percentile(bm1370, 99), unit: 'us' },
    { name: 'uart_job_wire_us', value: wireUs, unit: 'us' },
    { name: 'job_dispatch_wire_ratio', value: p50 / wireUs, unit: 'ratio' },
    { name: 'job_dispatch_bm1397_p50_us', value: percentile(bm1397, 50), unit: 'us' },
    { name: 'uart_job_wire_bm1397_us', value: (MIDSTATE_JOB_LENGTH * 10 * 1e6) / baud97, unit: 'us' },
  ];
}

/** Dispatch latencies in µs for JOBS jobs on a one-chip chain of `model` (4 midstates on the BM1397). */
async function measure(model: ChipModel, chipId: number): Promise<number[]> {
  const path = `/dev/bench-${model}`;
  let writeCalledAt = 0;
  const binding = chipAnsweringBinding(path, chipId, () => {
    writeCalledAt = performance.now();
  });
  const chain = new Bm13xxChain({
    index: 0,
    model,
    expectedChipCount: 1,
    link: new UartLink({ binding, path }),
    reset: async () => {},
    frequencyMhz: CHIPS[model].defaultMhz,
    chipDifficulty: 256,
    workingBaud: CHIPS[model].baudOptions[0]?.hostBaud ?? 115_200,
    timing: {
      enumerateIdleMs: 20,
      rampStepMs: 0,
      pllWriteGapMs: 0,
      perChipPauseMs: 0,
      bm1397AddressDelayMs: 0,
      baudSettleMs: 0,
    },
  });
  await chain.init();
  const samples: number[] = [];
  for (let i = 0; i < JOBS; i++) {
    const work = sampleWork(i);
    const t0 = performance.now();
    await chain.sendWork(work, i % 50 === 0);
    if (i >= 100) samples.push((writeCalledAt - t0) * 1000); // first 100 are warm-up
  }
  await chain.close();
  return samples;
}

function sampleWork(i: number): ChipWork {
  const prevHash = new Uint8Array(32).fill(i & 0xff);
  const merkleRoot = new Uint8Array(32).fill((i * 7) & 0xff);
  return {
    version: 0x20000000,
    versionMask: 0x1fffe000,
    prevHash,
    merkleRoot,
    ntime: 0x68546800 + i,
    nbits: 0x17023a04,
    workId: i,
  };
}

/** binding-mock port whose chip answers the broadcast CHIP_ID read; `onWrite` fires as write() is entered. */
function chipAnsweringBinding(path: string, chipId: number, onWrite: () => void): BindingInterface {
  MockBinding.createPort(path, { record: false });
  return {
    list: () => MockBinding.list(),
    async open(options: OpenOptions): Promise<MockPortBinding> {
      const port = await MockBinding.open(options);
      const write = port.write.bind(port);
      let rolling = false;
      port.write = async (buffer: Buffer) => {
        onWrite();
        await write(buffer);
        const r = parseCommand(buffer);
        if (r.kind !== 'ok') return;
        const c = r.command;
        if (c.type === 'writeRegister' && c.reg === 0xa4) rolling = true;
        if (c.type === 'readRegister' && c.reg === 0) {
          const reply = encodeRegisterReply(
            { value: (chipId << 16) >>> 0, chipAddress: 0, reg: 0 },
            rolling ? 11 : 9,
          );
          port.emitData(Buffer.from(reply));
        }
      };
      return port;
    },
  };
}

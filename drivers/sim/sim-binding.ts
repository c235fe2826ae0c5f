/**
 * A serialport BindingInterface whose ports ("sim:<name>") are simulated BM13xx chains: the same
 * shape as @serialport/binding-mock (list/open, then read/write/update/set/get/flush/drain/close).
 * update({baudRate}) is honoured: a host that changes its rate without the chips goes deaf (the
 * init-order bug, architecture.md Seam A). Written bytes take their line time (10 bits per byte at
 * the host rate) to reach the chips, so an update() before drain() garbles the tail (bm13xx.md §6).
 */
import type {
  BindingInterface,
  BindingPortInterface,
  OpenOptions,
  PortInfo,
  PortStatus,
  SetOptions,
  UpdateOptions,
} from '@serialport/bindings-interface';
import { TransportError } from '../../src/errors.js';
import { SimChain, type SimChainOptions } from './sim-chain.js';

const SIM_PATH_PREFIX = 'sim:';

/** The error a pending read or write rejects with when the port closes (bindings-interface contract). */
class CanceledError extends Error {
  readonly canceled = true;
}

const chains = new Map<string, SimChain>();
const openPorts = new Map<string, SimPortBinding>();

interface SimBindingApi extends BindingInterface<SimPortBinding> {
  /** Creates (or replaces) the chain served at `path`, which must start with "sim:". */
  createChain(path: string, options: SimChainOptions): SimChain;
  getChain(path: string): SimChain | undefined;
  /** Closes and forgets every chain (test teardown). */
  reset(): void;
}

export const SimBinding: SimBindingApi = {
  createChain(path, options) {
    if (!path.startsWith(SIM_PATH_PREFIX)) {
      throw new TransportError(path, `simulated port paths start with "${SIM_PATH_PREFIX}"`);
    }
    chains.get(path)?.close();
    const chain = new SimChain(options);
    chains.set(path, chain);
    return chain;
  },
  getChain(path) {
    return chains.get(path);
  },
  reset() {
    for (const port of openPorts.values()) port.cancelPending();
    openPorts.clear();
    for (const chain of chains.values()) chain.close();
    chains.clear();
  },
  async list(): Promise<PortInfo[]> {
    return [...chains.keys()].map((path) => ({
      path,
      manufacturer: 'sv2miner-sim',
      serialNumber: undefined,
      pnpId: undefined,
      locationId: undefined,
      productId: undefined,
      vendorId: undefined,
    }));
  },
  async open(options: OpenOptions): Promise<SimPortBinding> {
    await nextTick();
    const chain = chains.get(options.path);
    if (chain === undefined) {
      throw new TransportError(
        options.path,
        `no simulated chain here (known: ${[...chains.keys()].join(', ') || 'none'})`,
      );
    }
    if (!Number.isFinite(options.baudRate) || options.baudRate <= 0) {
      throw new TransportError(options.path, `baudRate must be a positive number, got ${options.baudRate}`);
    }
    if (openPorts.has(options.path)) throw new TransportError(options.path, 'port is already open');
    const port = new SimPortBinding(chain, {
      dataBits: 8,
      lock: true,
      stopBits: 1,
      parity: 'none',
      rtscts: false,
      xon: false,
      xoff: false,
      xany: false,
      hupcl: true,
      ...options,
    });
    openPorts.set(options.path, port);
    return port;
  },
};

class SimPortBinding implements BindingPortInterface {
  readonly openOptions: Required<OpenOptions>;
  readonly chain: SimChain;
  isOpen = true;
  private baudRate: number;
  private rxQueue: Buffer[] = [];
  private pendingRead: ((err?: Error) => void) | undefined;
  private readonly unsubscribe: () => void;
  /** Bytes on the wire toward the chips, with the time (performance.now) they finish arriving. */
  private txQueue: { bytes: Uint8Array; at: number }[] = [];
  private txTimer: NodeJS.Timeout | undefined;
  private txBusyUntil = 0;
  private drainWaiters: (() => void)[] = [];

  constructor(chain: SimChain, openOptions: Required<OpenOptions>) {
    this.chain = chain;
    this.openOptions = openOptions;
    this.baudRate = openOptions.baudRate;
    chain.setHostBaud(this.baudRate);
    this.unsubscribe = chain.onData((bytes) => {
      this.rxQueue.push(Buffer.from(bytes));
      const wake = this.pendingRead;
      this.pendingRead = undefined;
      wake?.();
    });
  }

  async close(): Promise<void> {
    this.ensureOpen();
    this.isOpen = false;
    this.unsubscribe();
    this.rxQueue = [];
    this.discardTx();
    openPorts.delete(this.openOptions.path);
    this.cancelPending();
  }

  /** Rejects an in-flight read with `canceled` (what SerialPortStream expects on close). */
  cancelPending(): void {
    const wake = this.pendingRead;
    this.pendingRead = undefined;
    wake?.(new CanceledError('port is closed'));
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (buffer.length < offset + length) throw new RangeError('buffer is too small');
    this.ensureOpen();
    await nextTick();
    while (this.rxQueue.length === 0) {
      if (!this.isOpen) throw new CanceledError('read canceled');
      await new Promise<void>((resolve, reject) => {
        this.pendingRead = (err) => (err === undefined ? resolve() : reject(err));
      });
    }
    let bytesRead = 0;
    while (bytesRead < length && this.rxQueue.length > 0) {
      const head = this.rxQueue[0];
      if (head === undefined) break;
      const n = head.copy(buffer, offset + bytesRead, 0, Math.min(head.length, length - bytesRead));
      bytesRead += n;
      if (n === head.length) this.rxQueue.shift();
      else this.rxQueue[0] = head.subarray(n);
    }
    return { buffer, bytesRead };
  }

  async write(buffer: Buffer): Promise<void> {
    this.ensureOpen();
    const copy = Uint8Array.from(buffer);
    await nextTick();
    if (!this.isOpen) throw new CanceledError('write canceled');
    // Resolves when the OS has the bytes (bindings-interface); they reach the chips later.
    const now = performance.now();
    this.txBusyUntil = Math.max(now, this.txBusyUntil) + (copy.length * 10 * 1000) / this.baudRate;
    this.txQueue.push({ bytes: copy, at: this.txBusyUntil });
    this.pumpTx();
  }

  async update(options: UpdateOptions): Promise<void> {
    if (typeof options?.baudRate !== 'number' || !(options.baudRate > 0)) {
      throw new TransportError(this.openOptions.path, `update: baudRate must be a positive number`);
    }
    this.ensureOpen();
    await nextTick();
    this.baudRate = options.baudRate;
    this.chain.setHostBaud(options.baudRate);
  }

  async set(_options: SetOptions): Promise<void> {
    this.ensureOpen();
    await nextTick();
  }

  async get(): Promise<PortStatus> {
    this.ensureOpen();
    await nextTick();
    return { cts: true, dsr: false, dcd: false };
  }

  async getBaudRate(): Promise<{ baudRate: number }> {
    this.ensureOpen();
    await nextTick();
    return { baudRate: this.baudRate };
  }

  /** Discards unread input and output not yet on the wire. */
  async flush(): Promise<void> {
    this.ensureOpen();
    await nextTick();
    this.rxQueue = [];
    this.discardTx();
  }

  /** Resolves once every written byte has reached the chips (tcdrain). */
  async drain(): Promise<void> {
    this.ensureOpen();
    await nextTick();
    if (this.txQueue.length === 0) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  /** Hands the chain every queued write whose line time is over; one timer for the queue keeps order. */
  private pumpTx(): void {
    if (this.txTimer !== undefined) return;
    const now = performance.now();
    while (this.txQueue.length > 0 && (this.txQueue[0]?.at ?? 0) <= now) {
      const head = this.txQueue.shift();
      // Judged at the host rate in force now: an update() while the bytes were on the wire garbles them.
      if (head !== undefined) this.chain.write(head.bytes);
    }
    const next = this.txQueue[0];
    if (next === undefined) {
      for (const wake of this.drainWaiters.splice(0)) wake();
      return;
    }
    this.txTimer = setTimeout(
      () => {
        this.txTimer = undefined;
        this.pumpTx();
      },
      Math.max(0, next.at - now),
    );
  }

  private discardTx(): void {
    if (this.txTimer !== undefined) clearTimeout(this.txTimer);
    this.txTimer = undefined;
    this.txQueue = [];
    this.txBusyUntil = 0;
    for (const wake of this.drainWaiters.splice(0)) wake();
  }

  private ensureOpen(): void {
    if (!this.isOpen) throw new TransportError(this.openOptions.path, 'port is not open');
  }
}

function nextTick(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}

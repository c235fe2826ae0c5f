/**
 * The per-listener connection bounds every server socket of the daemon goes through: a cap on
 * concurrent connections (in total and per remote address), an idle deadline (no byte received),
 * a lifetime deadline, and a closing deadline: a socket we ended is destroyed once `closeGraceMs`
 * have passed, so a peer that never closes its side of TCP cannot keep it (or the process) alive.
 * Protocol-specific refusals (503, cgminer error JSON) are the listener's: `admit` hands the
 * refused socket to `refuse` before it is ended.
 */
import type { Socket } from 'node:net';
import { type Clock, MAX_TIMER_MS, systemClock, type TimerHandle } from '../time/clock.js';

export interface ListenerLimits {
  /** Concurrent connections in total. */
  readonly maxConnections: number;
  /** Concurrent connections from one remote address. */
  readonly maxConnectionsPerAddress: number;
  /** No byte received for this long ends the connection; 0 = no idle deadline. */
  readonly idleMs: number;
  /** A connection older than this is ended; 0 = no lifetime deadline. */
  readonly lifetimeMs: number;
  /** How long an ended connection may take to close before it is destroyed. */
  readonly closeGraceMs: number;
}

type RefuseReason = 'too many connections' | 'too many connections from this address';
/** Why the guard ends a connection; 'done' is the listener's own end after its last reply. */
type EndReason = 'idle' | 'lifetime' | 'closing' | 'done';

interface ConnectionGuardOptions {
  readonly limits: ListenerLimits;
  /** Writes the protocol's "busy" answer to a refused socket (the guard ends it afterwards). */
  readonly refuse?: (socket: Socket, reason: RefuseReason) => void;
  readonly clock?: Clock;
}

interface Tracked {
  readonly address: string;
  readonly timers: TimerHandle[];
  /** Re-arms the idle deadline on received bytes; undefined without one. */
  onData: (() => void) | undefined;
  idle: TimerHandle | undefined;
  ending: boolean;
  /** Resolves once 'close' has been emitted and the socket forgotten. */
  readonly gone: Promise<void>;
  forgotten: () => void;
}

export class ConnectionGuard {
  readonly #limits: ListenerLimits;
  readonly #options: ConnectionGuardOptions;
  readonly #clock: Clock;
  readonly #sockets = new Map<Socket, Tracked>();
  readonly #perAddress = new Map<string, number>();
  #refused = 0;
  /** Refused sockets answered and not yet closed. */
  #refusing = 0;
  readonly #ended: Record<EndReason, number> = { idle: 0, lifetime: 0, closing: 0, done: 0 };
  #closing = false;

  constructor(options: ConnectionGuardOptions) {
    this.#options = options;
    this.#limits = options.limits;
    this.#clock = options.clock ?? systemClock;
  }

  /** Connections currently tracked (admitted and not yet closed). */
  get size(): number {
    return this.#sockets.size;
  }

  /** Connections refused over a limit since start. */
  get refused(): number {
    return this.#refused;
  }

  /** Connections ended since start, by why (idle and lifetime are the deadlines at work). */
  get ended(): Readonly<Record<EndReason, number>> {
    return { ...this.#ended };
  }

  /**
   * Tracks `socket` and arms its deadlines; false when a limit (or closing) refuses it, in which
   * case the socket has been answered and is being ended: the caller must not serve it.
   */
  admit(socket: Socket): boolean {
    // Without a listener an early socket error would be an uncaught exception.
    socket.on('error', () => {});
    const address = socket.remoteAddress ?? '?';
    const fromAddress = this.#perAddress.get(address) ?? 0;
    const reason: RefuseReason | undefined =
      this.#closing || this.#sockets.size >= this.#limits.maxConnections
        ? 'too many connections'
        : fromAddress >= this.#limits.maxConnectionsPerAddress
          ? 'too many connections from this address'
          : undefined;
    if (reason !== undefined) {
      this.#refused++;
      // Refused sockets waiting out their grace are bounded too: past as many as the listener
      // serves, a flood gets no answer, only a closed socket.
      if (this.#closing || this.#refusing >= this.#limits.maxConnections) {
        socket.destroy();
        return false;
      }
      this.#refusing++;
      socket.once('close', () => this.#refusing--);
      this.#options.refuse?.(socket, reason);
      this.#endThenDestroy(socket, undefined);
      return false;
    }
    let forgotten = (): void => {};
    const gone = new Promise<void>((resolve) => {
      forgotten = resolve;
    });
    const tracked: Tracked = {
      address,
      timers: [],
      onData: undefined,
      idle: undefined,
      ending: false,
      gone,
      forgotten,
    };
    this.#sockets.set(socket, tracked);
    this.#perAddress.set(address, fromAddress + 1);
    socket.once('close', () => this.#forget(socket));
    this.#arm(socket, tracked, this.#limits);
    return true;
  }

  /** True while `socket` is admitted and open. */
  has(socket: Socket): boolean {
    return this.#sockets.has(socket);
  }

  /**
   * New deadlines for one connection, counted from now: a connection upgraded to a stream (SSE,
   * WebSocket) lives longer than a request and may stay silent.
   */
  relimit(socket: Socket, deadlines: Pick<ListenerLimits, 'idleMs' | 'lifetimeMs'>): void {
    const tracked = this.#sockets.get(socket);
    if (tracked === undefined || tracked.ending) return;
    this.#disarm(tracked);
    if (tracked.onData !== undefined) socket.off('data', tracked.onData);
    tracked.onData = undefined;
    this.#arm(socket, tracked, deadlines);
  }

  /**
   * Ends `socket` (`last` is written before the end), destroying it if it has not closed within
   * closeGraceMs. Counted by `reason` (see `ended`).
   */
  end(socket: Socket, reason: EndReason, last?: string | Uint8Array): void {
    const tracked = this.#sockets.get(socket);
    if (tracked === undefined || tracked.ending) return;
    tracked.ending = true;
    this.#ended[reason]++;
    this.#disarm(tracked);
    if (!socket.destroyed && last !== undefined) socket.write(last);
    this.#endThenDestroy(socket, tracked);
  }

  /** Refuses new connections, ends every tracked one, and resolves once all have closed. */
  async close(): Promise<void> {
    this.#closing = true;
    const gone = [...this.#sockets.values()].map((t) => t.gone);
    for (const socket of [...this.#sockets.keys()]) this.end(socket, 'closing');
    await Promise.all(gone);
  }

  #endThenDestroy(socket: Socket, tracked: Tracked | undefined): void {
    if (socket.destroyed) return;
    socket.end();
    const destroy = this.#timer(() => socket.destroy(), this.#limits.closeGraceMs);
    if (tracked !== undefined) tracked.timers.push(destroy);
    else socket.once('close', () => this.#clock.clearTimer(destroy));
  }

  #arm(socket: Socket, tracked: Tracked, deadlines: Pick<ListenerLimits, 'idleMs' | 'lifetimeMs'>): void {
    if (deadlines.lifetimeMs > 0)
      tracked.timers.push(this.#timer(() => this.end(socket, 'lifetime'), deadlines.lifetimeMs));
    if (deadlines.idleMs > 0) {
      const rearm = (): void => {
        if (tracked.ending) return;
        if (tracked.idle !== undefined) this.#clock.clearTimer(tracked.idle);
        tracked.idle = this.#timer(() => this.end(socket, 'idle'), deadlines.idleMs);
      };
      rearm();
      tracked.onData = rearm;
      socket.on('data', rearm);
    }
  }

  #disarm(tracked: Tracked): void {
    for (const t of tracked.timers.splice(0)) this.#clock.clearTimer(t);
    if (tracked.idle !== undefined) this.#clock.clearTimer(tracked.idle);
    tracked.idle = undefined;
  }

  #timer(fn: () => void, ms: number): TimerHandle {
    return this.#clock.setTimer(fn, Math.min(ms, MAX_TIMER_MS));
  }

  #forget(socket: Socket): void {
    const tracked = this.#sockets.get(socket);
    if (tracked === undefined) return;
    this.#sockets.delete(socket);
    this.#disarm(tracked);
    tracked.forgotten();
    const left = (this.#perAddress.get(tracked.address) ?? 1) - 1;
    if (left <= 0) this.#perAddress.delete(tracked.address);
    else this.#perAddress.set(tracked.address, left);
  }
}

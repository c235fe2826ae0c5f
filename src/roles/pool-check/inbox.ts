/**
 * pool-check's inbox: buffers decoded SV2 messages (sv2.md §2) so the check can wait for named
 * replies with a deadline. (The TCP dial is the client's own tcpSocketFactory.)
 */
import type { Sv2Connection } from '../../connection/sv2-connection.js';
import type { AnyMessage, MessageName } from '../../sv2/messages/registry.js';

/** Buffers decoded messages so the check can wait for specific ones with a deadline. */
export class Inbox {
  private readonly queue: AnyMessage[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  private error: string | undefined;

  constructor(conn: Sv2Connection) {
    void (async () => {
      try {
        for await (const incoming of conn.messages()) {
          if (incoming.kind === 'message') this.queue.push(incoming.message);
          this.wake();
        }
      } catch (err) {
        this.error = err instanceof Error ? err.message : String(err);
      }
      this.ended = true;
      this.wake();
    })();
  }

  /** Why waiting failed, as a suffix for the reason line. */
  why(): string {
    if (this.error !== undefined) return ` (connection failed: ${this.error})`;
    return this.ended ? ' (the pool closed the connection)' : '';
  }

  /** The next message whose name is in `names` (others are skipped), or undefined at the deadline. */
  async waitFor(deadline: number, names: readonly MessageName[]): Promise<AnyMessage | undefined> {
    for (;;) {
      const m = this.queue.shift();
      if (m !== undefined) {
        if (names.includes(m.name)) return m;
        continue;
      }
      const left = deadline - Date.now();
      if (this.ended || left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

/**
 * Register reads in flight on a chain (bm13xx.md §2.2, §3): a read is open until the expected
 * number of answers arrived or the line was quiet for `idleMs` after the last one (ESP-Miner
 * counts chip-id answers until 1 s of silence). Answers nobody asked for are reported back so
 * the chain can log them; chips do send unsolicited register values (§2.2).
 */
import type { RegisterReply } from './replies.js';

interface OpenRead {
  readonly reg: number;
  readonly replies: RegisterReply[];
  onReply(): void;
  finish(): void;
}

export class RegisterReads {
  private readonly open = new Set<OpenRead>();

  /**
   * Start collecting answers for `reg`, then call `send` (the read command goes out after the
   * collector exists, so a fast answer cannot slip past). Rejects only if `send` fails.
   */
  collect(
    reg: number,
    send: () => Promise<void>,
    expected: number | undefined,
    idleMs: number,
  ): Promise<RegisterReply[]> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const read: OpenRead = {
        reg,
        replies: [],
        onReply: () => {
          if (expected !== undefined && read.replies.length >= expected) read.finish();
          else arm();
        },
        finish: () => {
          clearTimeout(timer);
          this.open.delete(read);
          resolve(read.replies);
        },
      };
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(read.finish, idleMs);
      };
      this.open.add(read);
      arm();
      send().catch((err: unknown) => {
        clearTimeout(timer);
        this.open.delete(read);
        reject(err);
      });
    });
  }

  /** Give `reply` to every open read of its register; false when nobody was waiting. */
  route(reply: RegisterReply): boolean {
    let routed = false;
    for (const read of this.open) {
      if (read.reg !== reply.reg) continue;
      read.replies.push(reply);
      read.onReply();
      routed = true;
    }
    return routed;
  }

  /** Resolve every open read with what it has (chain closing). */
  finishAll(): void {
    for (const read of [...this.open]) read.finish();
  }
}

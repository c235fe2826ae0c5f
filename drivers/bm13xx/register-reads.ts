/**
 * Register reads in flight on a chain (bm13xx.md §2.2, §3): a read is open until the expected
 * number of answers arrived or the line was quiet for `idleMs` after the last one (ESP-Miner
 * counts chip-id answers until 1 s of silence). Answers nobody asked for are reported back so
 * the chain can log them; chips do send unsolicited register values (§2.2).
 */
import type { RegisterReply } from './replies.js';

/** How many extra idle periods a read grants when its timer fired late (the host was starved). */
const MAX_STARVED_REARMS = 3;

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
      // A quiet-line timer only means something if the process was running to hear the line. One
      // that fires late by more than its own length was starved (a loaded host): answers may be
      // waiting unread, so the line gets another idle period, a bounded number of times. Either
      // way the read ends only after input already waiting has been taken (setImmediate runs
      // after the I/O poll and after callbacks queued before it).
      let starvedRearms = 0;
      const arm = (): void => {
        clearTimeout(timer);
        const armedAt = performance.now();
        timer = setTimeout(() => {
          const late = performance.now() - armedAt - idleMs;
          if (late > idleMs && starvedRearms < MAX_STARVED_REARMS) {
            starvedRearms++;
            arm();
          } else setImmediate(read.finish);
        }, idleMs);
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

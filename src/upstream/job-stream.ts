/**
 * Fan-out of active jobs to the work pipeline: synchronous listeners (`onJob`) and bounded async
 * streams (`for await (const job of client.jobs())`). A slow stream consumer loses its oldest
 * queued jobs, never the newest: an old job is worthless once a newer one is active.
 */
import type { Job } from '../work/job.js';

export type JobListener = (job: Job) => void;

export class JobStream {
  private readonly listeners = new Set<JobListener>();
  private ended = false;
  private readonly enders = new Set<() => void>();
  private readonly maxQueued: number;

  constructor(maxQueued = 16) {
    this.maxQueued = maxQueued;
  }

  /** Registers a listener; returns the function that removes it. */
  on(listener: JobListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(job: Job): void {
    for (const l of this.listeners) l(job);
  }

  /** Ends every stream (client closed). */
  end(): void {
    this.ended = true;
    for (const e of this.enders) e();
  }

  async *stream(): AsyncGenerator<Job> {
    const queue: Job[] = [];
    let wake: (() => void) | undefined;
    const poke = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const off = this.on((job) => {
      queue.push(job);
      if (queue.length > this.maxQueued) queue.shift();
      poke();
    });
    this.enders.add(poke);
    try {
      for (;;) {
        const job = queue.shift();
        if (job !== undefined) {
          yield job;
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      off();
      this.enders.delete(poke);
    }
  }
}

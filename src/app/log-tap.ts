/**
 * A pino destination that writes every log line to a sink (stderr in the daemon) and keeps the
 * most recent lines in a ring for the APIs' log views (RigControl.recentLogs/onLog). pino calls
 * write() once per JSON line, so a line is never split across calls.
 */

type LogListener = (line: string) => void;

export class LogTap {
  private readonly sink: (line: string) => void;
  private readonly capacity: number;
  private readonly ring: string[] = [];
  private readonly listeners = new Set<LogListener>();

  constructor(sink: (line: string) => void, capacity = 500) {
    this.sink = sink;
    this.capacity = capacity;
  }

  /** pino's DestinationStream: one serialised line, newline included. */
  write(chunk: string): void {
    this.sink(chunk);
    const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
    this.ring.push(line);
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
    for (const listener of this.listeners) {
      try {
        listener(line);
      } catch {
        // A broken log viewer must not break logging.
      }
    }
  }

  recent(): readonly string[] {
    return [...this.ring];
  }

  onLine(listener: LogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * Shared shape of the benchmarks: each bench module exports `run()` returning lines, and
 * bench/run.ts prints them as `name: value unit`, one per line, so scripts can parse them.
 */

export interface BenchLine {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

export type BenchModule = { run(): Promise<BenchLine[]> };

export function formatLine(line: BenchLine): string {
  const digits = Math.abs(line.value) >= 100 ? 0 : Math.abs(line.value) >= 1 ? 2 : 4;
  return `${line.name}: ${line.value.toFixed(digits)} ${line.unit}`;
}

/** Percentile of a list of samples (nearest rank). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Runs fn repeatedly for about `ms` milliseconds and returns operations per second. */
export function opsPerSecond(fn: () => void, ms = 1000): number {
  for (let i = 0; i < 1000; i++) fn();
  let count = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 100; i++) fn();
    count += 100;
    now = performance.now();
  }
  return (count * 1000) / (now - start);
}

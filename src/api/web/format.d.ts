// Types of format.js for the TypeScript tests (the page itself has no build step).
export function formatHashrate(hashesPerSecond: number): string;
export function formatDifficulty(difficulty: number): string;
export function formatTemperature(celsius: number | null | undefined): string;
export function formatMs(ms: number | null | undefined): string;
export function formatAge(seconds: number | null | undefined): string;
export function hashrateTicks(maxHashesPerSecond: number): number[];
export interface LogLine {
  readonly time: string;
  readonly level: string;
  readonly module: string;
  readonly message: string;
}
export function formatLogLine(line: string, timeZone?: string): LogLine;

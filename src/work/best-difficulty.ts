/**
 * Best share difficulty this session and of all time (AxeOS bestSessionDiff / bestDiff,
 * monitoring.md). All-time survives restarts in a small JSON file in the state directory; the
 * path is injected. A missing or unreadable file starts from zero and says why; it never stops
 * mining. Writes go to a temporary file first and are renamed, so a crash leaves the old value.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../log.js';
import { silentLog } from '../log.js';

interface BestDifficultyState {
  readonly session: number;
  readonly allTime: number;
}

export class BestDifficulty {
  private readonly path: string;
  private readonly log: Logger;
  private session = 0;
  private allTime: number;
  private writing: Promise<void> = Promise.resolve();

  private constructor(path: string, allTime: number, log: Logger) {
    this.path = path;
    this.allTime = allTime;
    this.log = log;
  }

  /** Reads the all-time best from `path` (absent -> 0). */
  static async load(path: string, log: Logger = silentLog): Promise<BestDifficulty> {
    let allTime = 0;
    try {
      const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
      const value =
        typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'bestAllTime') : undefined;
      if (typeof value === 'number' && Number.isFinite(value) && value >= 0) allTime = value;
      else log.warn({ path }, 'best-difficulty file has no valid bestAllTime; starting from 0');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        log.warn({ path, err: error }, 'best-difficulty file unreadable; starting from 0');
    }
    return new BestDifficulty(path, allTime, log);
  }

  get state(): BestDifficultyState {
    return { session: this.session, allTime: this.allTime };
  }

  /** Records a share difficulty; returns true (and starts a save) when the all-time best rose. */
  record(difficulty: number): boolean {
    if (!Number.isFinite(difficulty)) return false;
    if (difficulty > this.session) this.session = difficulty;
    if (difficulty <= this.allTime) return false;
    this.allTime = difficulty;
    void this.save();
    return true;
  }

  /** Resolves when every save started so far has finished (writes are serialised). */
  save(): Promise<void> {
    const value = this.allTime;
    this.writing = this.writing.then(() => this.write(value));
    return this.writing;
  }

  private async write(value: number): Promise<void> {
    const tmp = `${this.path}.tmp`;
    try {
      await mkdir(dirname(this.path), { recursive: true });
      await writeFile(
        tmp,
        `${JSON.stringify({ bestAllTime: value, updatedAt: new Date().toISOString() })}\n`,
      );
      await rename(tmp, this.path);
    } catch (error) {
      this.log.warn({ path: this.path, err: error }, 'cannot save best difficulty');
    }
  }
}

/** What fan control needs from any fan controller on a board. */
export interface FanController {
  readonly label: string;
  /** Writes the PWM duty (0..100 %); the controller's own resolution truncates it. */
  setDutyPercent(percent: number): Promise<void>;
  /** The fan's speed; 0 when stalled; undefined when the tach gave no usable count. */
  readRpm(): Promise<number | undefined>;
}

export function checkPercent(percent: number): void {
  if (!Number.isFinite(percent) || percent < 0 || percent > 100)
    throw new RangeError(`fan duty ${percent} %: expected 0..100`);
}

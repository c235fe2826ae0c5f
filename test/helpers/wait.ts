/**
 * Polling waits for tests that watch real sockets, child processes and timers: `until` answers
 * whether a condition came true in time (for expect(...).toBe(true)), `waitFor` throws if it did not.
 */

/**
 * How long the helpers wait by default for something that must happen (a message, a connection,
 * a condition). Only a bound for a hang: a loaded machine makes events late, never wrong, so it
 * is generous; the tests' own timeout (30 s) is the outer one.
 */
export const EVENT_BOUND_MS = 15_000;

/** Polls `cond` every `stepMs` for up to `ms`; resolves to its final value. */
export async function until(cond: () => boolean, ms: number, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, stepMs));
  return cond();
}

/** Polls `cond` every `stepMs` until it holds; throws once `ms` have passed without it. */
export async function waitFor(cond: () => boolean, ms = EVENT_BOUND_MS, stepMs = 5): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * Deep equality for values inside property runs, where vitest's toEqual dominates the run time:
 * byte arrays compare by content whatever their class (a decoder may hand back Buffer views),
 * arrays element by element, plain objects key by key (same key sets), everything else by
 * Object.is (so NaN equals NaN and -0 differs from 0, as with toEqual).
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return (
      a instanceof Uint8Array &&
      b instanceof Uint8Array &&
      Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
    );
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]))
    );
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keysA = Object.keys(a);
    const keysB = Object.keys(b);
    return (
      keysA.length === keysB.length &&
      keysA.every(
        (k) =>
          Object.hasOwn(b, k) &&
          sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
      )
    );
  }
  return Object.is(a, b);
}

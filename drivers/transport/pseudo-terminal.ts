/**
 * Is a serial path a pseudo-terminal (a simulated board served by `sim-board --pty`, or any other
 * pty relay)? A pty has no line rate, and tcdrain on it returns while the written bytes still sit
 * in the kernel's buffer on the far side, where tcflush on our side discards them: UartLink must
 * neither change its baud nor flush it (see uart-link.ts).
 */
import { realpath } from 'node:fs/promises';

/** Unix98 pty slaves: /dev/pts/N on Linux, /dev/ttysNNN on macOS. */
const PTY_SLAVE = /^\/dev\/(pts\/\d+|ttys\d+)$/;

/** True when `path` (or what its symlinks lead to) is a pty slave; false for anything unresolvable. */
export async function isPseudoTerminal(path: string): Promise<boolean> {
  try {
    return PTY_SLAVE.test(await realpath(path));
  } catch {
    return false; // simulated bindings' names and missing paths are not ptys
  }
}

/**
 * What the daemon tells a pool about itself in SetupConnection (sv2.md §4: vendor MUST be set,
 * hardware_version SHOULD be set, firmware, device_id): "sv2miner", `<board id> (<chip> x<count>)`,
 * the package version and the hostname. Every field is a STR0_255, so each is cut to 255 bytes.
 */
import { hostname } from 'node:os';
import type { BoardDefinition } from '../../../boards/types.js';
import { VERSION } from '../../app/version.js';
import type { DeviceIdentity } from '../../upstream/requests.js';

/** STR0_255 holds at most 255 bytes of UTF-8 (sv2.md §3). */
const MAX_STR0_255 = 255;

export function deviceIdentity(
  board: Pick<BoardDefinition, 'id' | 'chip' | 'chains'>,
  host: string = hostname(),
  firmware: string = VERSION,
): DeviceIdentity {
  const chips = board.chains.reduce((n, c) => n + c.chipCount, 0);
  return {
    vendor: 'sv2miner',
    hardwareVersion: cutUtf8(`${board.id} (${board.chip} x${chips})`, MAX_STR0_255),
    firmware: cutUtf8(firmware, MAX_STR0_255),
    deviceId: cutUtf8(host, MAX_STR0_255),
  };
}

/** The longest prefix of `text` whose UTF-8 encoding fits `maxBytes`, never splitting a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

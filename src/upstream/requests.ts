/**
 * What the client says to a pool, as message field values (sv2.md §4 SetupConnection, §5.2
 * OpenStandardMiningChannel / OpenExtendedMiningChannel / UpdateChannel / CloseChannel) plus the reading of
 * SetupConnection.Success.flags (§4, gotcha 21) and the channel count a rig needs (§6.6).
 * Pure: the session encodes and sends these.
 */

import { bigIntToLeBytes, MAX_TARGET } from '../bitcoin/target.js';
import type { MessageFields } from '../sv2/messages/registry.js';

/** Mining SetupConnection flags (sv2.md §4). */
const REQUIRES_STANDARD_JOBS = 0x1;
const REQUIRES_VERSION_ROLLING = 0x4;
/** What a standard-channel device with rolling chips sends. */
export const DEVICE_SETUP_FLAGS = REQUIRES_STANDARD_JOBS | REQUIRES_VERSION_ROLLING;
/** On extended channels we take extended (and group) jobs, so REQUIRES_STANDARD_JOBS is off. */
export const EXTENDED_SETUP_FLAGS = REQUIRES_VERSION_ROLLING;

export type ChannelKind = 'standard' | 'extended';

/**
 * OpenExtendedMiningChannel.min_extranonce_size: 4 bytes are 2^32 merkle roots per job, each
 * 2^48 hashes with BIP320 rolling; no rig exhausts that between two jobs.
 */
export const MIN_EXTRANONCE_SIZE = 4;
/** SetupConnection.Success flags for Mining. */
const SUCCESS_REQUIRES_FIXED_VERSION = 0x1;
export const SUCCESS_REQUIRES_EXTENDED_CHANNELS = 0x2;

/** BIP320 general-purpose bits: the default rolling mask (sv2.md §6.7). */
export const BIP320_MASK = 0x1fffe000;
/** BIP323 (draft) wider mask: opt-in only. */
export const BIP323_MASK = 0x1fffffe0;

export interface DeviceIdentity {
  readonly vendor: string;
  readonly hardwareVersion: string;
  readonly firmware: string;
  readonly deviceId: string;
}

export function setupConnectionFields(
  endpoint: { readonly host: string; readonly port: number },
  device: DeviceIdentity,
  flags: number = DEVICE_SETUP_FLAGS,
): MessageFields<'SetupConnection'> {
  return {
    protocol: 0, // Mining
    min_version: 2,
    max_version: 2,
    flags,
    endpoint_host: endpoint.host,
    endpoint_port: endpoint.port,
    vendor: device.vendor,
    hardware_version: device.hardwareVersion,
    firmware: device.firmware,
    device_id: device.deviceId,
  };
}

export function openChannelFields(
  requestId: number,
  userIdentity: string,
  nominalHashrate: number,
  maxTarget: bigint = MAX_TARGET,
): MessageFields<'OpenStandardMiningChannel'> {
  return {
    request_id: requestId >>> 0,
    user_identity: userIdentity,
    nominal_hash_rate: nominalHashrate,
    max_target: bigIntToLeBytes(maxTarget),
  };
}

export function openExtendedChannelFields(
  requestId: number,
  userIdentity: string,
  nominalHashrate: number,
  maxTarget: bigint = MAX_TARGET,
  minExtranonceSize: number = MIN_EXTRANONCE_SIZE,
): MessageFields<'OpenExtendedMiningChannel'> {
  return {
    ...openChannelFields(requestId, userIdentity, nominalHashrate, maxTarget),
    min_extranonce_size: minExtranonceSize,
  };
}

type SetupVerdict =
  | { readonly kind: 'ok'; readonly versionMask: number; readonly echoed: boolean }
  | { readonly kind: 'give-up'; readonly reason: string };

/**
 * Reads SetupConnection.Success.flags. Bit 1 (extended channels only) means a device opening
 * standard channels cannot use this pool; with extended channels it is what we do anyway. Bit 0 (fixed version) forbids rolling, except when the server merely echoed
 * our request (flags equal to what we sent, bit 2 set, which has no meaning in Success): SRI pools of
 * 2025 did that (gotcha 21), and the spec forbids bit 0 once we asked for version rolling.
 */
export function readSetupSuccess(
  successFlags: number,
  sentFlags: number,
  rollMask: number,
  kind: ChannelKind = 'standard',
): SetupVerdict {
  if (kind === 'standard' && (successFlags & SUCCESS_REQUIRES_EXTENDED_CHANNELS) !== 0)
    return {
      kind: 'give-up',
      reason: 'pool requires extended channels (SetupConnection.Success flag bit 1)',
    };
  const echoed = successFlags === sentFlags && (sentFlags & REQUIRES_VERSION_ROLLING) !== 0;
  if ((successFlags & SUCCESS_REQUIRES_FIXED_VERSION) !== 0 && !echoed)
    return { kind: 'ok', versionMask: 0, echoed: false };
  return { kind: 'ok', versionMask: rollMask, echoed };
}

/** Hashes one standard channel covers per second of ntime: 2^32 nonces x 2^16 BIP320 versions. */
const CHANNEL_SPACE_PER_SECOND = 2 ** 48;

/**
 * Channels to open: at least `requested`, and enough that no channel must roll ntime faster than
 * the clock (hashrate / 2^48 per ntime-second, sv2.md §6.6). Capped at 64.
 */
export function channelsNeeded(hashrate: number, requested = 1): number {
  const bySpace =
    Number.isFinite(hashrate) && hashrate > 0 ? Math.ceil(hashrate / CHANNEL_SPACE_PER_SECOND) : 1;
  return Math.min(64, Math.max(1, Math.floor(requested), bySpace));
}

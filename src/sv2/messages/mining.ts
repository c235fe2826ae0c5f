/**
 * Mining protocol messages (extension_type 0): field tables from sv2.md §5.2 = spec 05-Mining-Protocol
 * §5.3.2–5.3.22; msg_type and channel_msg bit from spec 08-Message-Types (= sv2.md §5.1, including the
 * May 2026 corrections for 0x15 and 0x22–0x24). Field names are the spec's, spelling included
 * (`coinbase_tx_input_nSequence`). 0x1e is reserved in the spec and has no row.
 */
import { defineMessage, type Infer } from '../schema.js';
import {
  B0_32,
  B0_64K,
  B0_255,
  BOOL,
  F32,
  OPTION,
  SEQ0_64K,
  SEQ0_255,
  STR0_255,
  U16,
  U32,
  U64,
  U256,
} from '../types.js';

const OpenStandardMiningChannel = defineMessage({
  name: 'OpenStandardMiningChannel',
  ext: 0x0000,
  type: 0x10,
  channelMsg: false,
  fields: [
    ['request_id', U32],
    ['user_identity', STR0_255],
    ['nominal_hash_rate', F32],
    ['max_target', U256],
  ],
} as const);

const OpenStandardMiningChannelSuccess = defineMessage({
  name: 'OpenStandardMiningChannel.Success',
  ext: 0x0000,
  type: 0x11,
  channelMsg: false,
  fields: [
    ['request_id', U32],
    ['channel_id', U32],
    ['target', U256],
    ['extranonce_prefix', B0_32],
    ['group_channel_id', U32],
  ],
} as const);

/** Shared by standard and extended channel opening. */
const OpenMiningChannelError = defineMessage({
  name: 'OpenMiningChannel.Error',
  ext: 0x0000,
  type: 0x12,
  channelMsg: false,
  fields: [
    ['request_id', U32],
    ['error_code', STR0_255],
  ],
} as const);

const OpenExtendedMiningChannel = defineMessage({
  name: 'OpenExtendedMiningChannel',
  ext: 0x0000,
  type: 0x13,
  channelMsg: false,
  fields: [...OpenStandardMiningChannel.fields, ['min_extranonce_size', U16]],
} as const);

// group_channel_id was added in Dec 2025 (SRI PR #2044, sv2.md §5.2): older peers send 4 bytes less.
const OpenExtendedMiningChannelSuccess = defineMessage({
  name: 'OpenExtendedMiningChannel.Success',
  ext: 0x0000,
  type: 0x14,
  channelMsg: false,
  fields: [
    ['request_id', U32],
    ['channel_id', U32],
    ['target', U256],
    ['extranonce_size', U16],
    ['extranonce_prefix', B0_32],
    ['group_channel_id', U32],
  ],
} as const);

/** Hot path. 45-byte payload for a future job (min_ntime none), 49 for an active one (sv2.md gotcha 14). */
export const NewMiningJob = defineMessage({
  name: 'NewMiningJob',
  ext: 0x0000,
  type: 0x15,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['job_id', U32],
    ['min_ntime', OPTION(U32)],
    ['version', U32],
    ['merkle_root', U256],
  ],
} as const);
export type NewMiningJob = Infer<typeof NewMiningJob>;

const UpdateChannel = defineMessage({
  name: 'UpdateChannel',
  ext: 0x0000,
  type: 0x16,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['nominal_hash_rate', F32],
    ['maximum_target', U256],
  ],
} as const);

const UpdateChannelError = defineMessage({
  name: 'UpdateChannel.Error',
  ext: 0x0000,
  type: 0x17,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['error_code', STR0_255],
  ],
} as const);

const CloseChannel = defineMessage({
  name: 'CloseChannel',
  ext: 0x0000,
  type: 0x18,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['reason_code', STR0_255],
  ],
} as const);

const SetExtranoncePrefix = defineMessage({
  name: 'SetExtranoncePrefix',
  ext: 0x0000,
  type: 0x19,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['extranonce_prefix', B0_32],
  ],
} as const);

/** Hot path: the only message a device sends in steady state. 24-byte payload. */
const SubmitSharesStandard = defineMessage({
  name: 'SubmitSharesStandard',
  ext: 0x0000,
  type: 0x1a,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['sequence_number', U32],
    ['job_id', U32],
    ['nonce', U32],
    ['ntime', U32],
    ['version', U32],
  ],
} as const);

const SubmitSharesExtended = defineMessage({
  name: 'SubmitSharesExtended',
  ext: 0x0000,
  type: 0x1b,
  channelMsg: true,
  fields: [...SubmitSharesStandard.fields, ['extranonce', B0_32]],
} as const);

const SubmitSharesSuccess = defineMessage({
  name: 'SubmitShares.Success',
  ext: 0x0000,
  type: 0x1c,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['last_sequence_number', U32],
    ['new_submits_accepted_count', U32],
    ['new_shares_sum', U64],
  ],
} as const);

const SubmitSharesError = defineMessage({
  name: 'SubmitShares.Error',
  ext: 0x0000,
  type: 0x1d,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['sequence_number', U32],
    ['error_code', STR0_255],
  ],
} as const);

const NewExtendedMiningJob = defineMessage({
  name: 'NewExtendedMiningJob',
  ext: 0x0000,
  type: 0x1f,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['job_id', U32],
    ['min_ntime', OPTION(U32)],
    ['version', U32],
    ['version_rolling_allowed', BOOL],
    ['merkle_path', SEQ0_255(U256)],
    ['coinbase_tx_prefix', B0_64K],
    ['coinbase_tx_suffix', B0_64K],
  ],
} as const);

/** Hot path (latency-critical: flushes the chips). 48-byte payload. channel_id may be a group id. */
export const SetNewPrevHash = defineMessage({
  name: 'SetNewPrevHash',
  ext: 0x0000,
  type: 0x20,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['job_id', U32],
    ['prev_hash', U256],
    ['min_ntime', U32],
    ['nbits', U32],
  ],
} as const);
export type SetNewPrevHash = Infer<typeof SetNewPrevHash>;

const SetTarget = defineMessage({
  name: 'SetTarget',
  ext: 0x0000,
  type: 0x21,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['maximum_target', U256],
  ],
} as const);

const SetCustomMiningJob = defineMessage({
  name: 'SetCustomMiningJob',
  ext: 0x0000,
  type: 0x22,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['request_id', U32],
    ['mining_job_token', B0_255],
    ['version', U32],
    ['prev_hash', U256],
    ['min_ntime', U32],
    ['nbits', U32],
    ['coinbase_tx_version', U32],
    ['coinbase_prefix', B0_255],
    ['coinbase_tx_input_nSequence', U32],
    ['coinbase_tx_outputs', B0_64K],
    ['coinbase_tx_locktime', U32],
    ['merkle_path', SEQ0_255(U256)],
  ],
} as const);

const SetCustomMiningJobSuccess = defineMessage({
  name: 'SetCustomMiningJob.Success',
  ext: 0x0000,
  type: 0x23,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['request_id', U32],
    ['job_id', U32],
  ],
} as const);

const SetCustomMiningJobError = defineMessage({
  name: 'SetCustomMiningJob.Error',
  ext: 0x0000,
  type: 0x24,
  channelMsg: true,
  fields: [
    ['channel_id', U32],
    ['request_id', U32],
    ['error_code', STR0_255],
  ],
} as const);

// channel_msg = 0 even though the first field is a (group) channel id: spec 08-Message-Types, gotcha 12.
const SetGroupChannel = defineMessage({
  name: 'SetGroupChannel',
  ext: 0x0000,
  type: 0x25,
  channelMsg: false,
  fields: [
    ['group_channel_id', U32],
    ['channel_ids', SEQ0_64K(U32)],
  ],
} as const);

/** Every Mining message, in msg_type order. */
export const MINING_MESSAGES = [
  OpenStandardMiningChannel,
  OpenStandardMiningChannelSuccess,
  OpenMiningChannelError,
  OpenExtendedMiningChannel,
  OpenExtendedMiningChannelSuccess,
  NewMiningJob,
  UpdateChannel,
  UpdateChannelError,
  CloseChannel,
  SetExtranoncePrefix,
  SubmitSharesStandard,
  SubmitSharesExtended,
  SubmitSharesSuccess,
  SubmitSharesError,
  NewExtendedMiningJob,
  SetNewPrevHash,
  SetTarget,
  SetCustomMiningJob,
  SetCustomMiningJobSuccess,
  SetCustomMiningJobError,
  SetGroupChannel,
] as const;

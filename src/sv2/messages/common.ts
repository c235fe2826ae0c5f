/**
 * Common messages (extension_type 0, shared by every sub-protocol): field tables from sv2.md §4 =
 * spec 03-Protocol-Overview §3.6.1–3.6.5, msg_type and channel_msg bit from spec 08-Message-Types.
 * Flag meanings are protocol-specific and live with the session code, not here.
 */
import { defineMessage, type Infer } from '../schema.js';
import { STR0_255, U8, U16, U32 } from '../types.js';

export const SetupConnection = defineMessage({
  name: 'SetupConnection',
  ext: 0x0000,
  type: 0x00,
  channelMsg: false,
  fields: [
    ['protocol', U8],
    ['min_version', U16],
    ['max_version', U16],
    ['flags', U32],
    ['endpoint_host', STR0_255],
    ['endpoint_port', U16],
    ['vendor', STR0_255],
    ['hardware_version', STR0_255],
    ['firmware', STR0_255],
    ['device_id', STR0_255],
  ],
} as const);
export type SetupConnection = Infer<typeof SetupConnection>;

export const SetupConnectionSuccess = defineMessage({
  name: 'SetupConnection.Success',
  ext: 0x0000,
  type: 0x01,
  channelMsg: false,
  fields: [
    ['used_version', U16],
    ['flags', U32],
  ],
} as const);
export type SetupConnectionSuccess = Infer<typeof SetupConnectionSuccess>;

export const SetupConnectionError = defineMessage({
  name: 'SetupConnection.Error',
  ext: 0x0000,
  type: 0x02,
  channelMsg: false,
  fields: [
    ['flags', U32],
    ['error_code', STR0_255],
  ],
} as const);
export type SetupConnectionError = Infer<typeof SetupConnectionError>;

// channel_msg = 1 although the message comes from the server unprompted: spec 08-Message-Types.
const ChannelEndpointChanged = defineMessage({
  name: 'ChannelEndpointChanged',
  ext: 0x0000,
  type: 0x03,
  channelMsg: true,
  fields: [['channel_id', U32]],
} as const);

const Reconnect = defineMessage({
  name: 'Reconnect',
  ext: 0x0000,
  type: 0x04,
  channelMsg: false,
  fields: [
    ['new_host', STR0_255],
    ['new_port', U16],
  ],
} as const);

/** Every Common message, in msg_type order. */
export const COMMON_MESSAGES = [
  SetupConnection,
  SetupConnectionSuccess,
  SetupConnectionError,
  ChannelEndpointChanged,
  Reconnect,
] as const;

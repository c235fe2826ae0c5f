/**
 * Template Distribution Protocol messages (extension_type 0, msg_type 0x70–0x76, channel_msg never
 * set): field tables from spec 07-Template-Distribution-Protocol, checked against SRI's
 * template_distribution_sv2 7.0.0 and the sv2-tp fixed-byte vectors. The connection's SetupConnection
 * is the Common one with protocol = 2. TDP's SetNewPrevHash shares its spec name with Mining's
 * (0x20, a different layout), so its row carries the qualified name
 * "TemplateDistribution.SetNewPrevHash" to keep the registry's names unique.
 */
import { defineMessage, type Infer } from '../schema.js';
import { B0_16M, B0_64K, B0_255, BOOL, SEQ0_64K, SEQ0_255, STR0_255, U16, U32, U64, U256 } from '../types.js';

/** SetupConnection.protocol value of the Template Distribution Protocol. */
export const TEMPLATE_DISTRIBUTION_PROTOCOL = 2;

export const CoinbaseOutputConstraints = defineMessage({
  name: 'CoinbaseOutputConstraints',
  ext: 0x0000,
  type: 0x70,
  channelMsg: false,
  fields: [
    ['coinbase_output_max_additional_size', U32],
    ['coinbase_output_max_additional_sigops', U16],
  ],
} as const);
export type CoinbaseOutputConstraints = Infer<typeof CoinbaseOutputConstraints>;

export const NewTemplate = defineMessage({
  name: 'NewTemplate',
  ext: 0x0000,
  type: 0x71,
  channelMsg: false,
  fields: [
    ['template_id', U64],
    ['future_template', BOOL],
    ['version', U32],
    ['coinbase_tx_version', U32],
    ['coinbase_prefix', B0_255],
    ['coinbase_tx_input_sequence', U32],
    ['coinbase_tx_value_remaining', U64],
    ['coinbase_tx_outputs_count', U32],
    ['coinbase_tx_outputs', B0_64K],
    ['coinbase_tx_locktime', U32],
    ['merkle_path', SEQ0_255(U256)],
  ],
} as const);
export type NewTemplate = Infer<typeof NewTemplate>;

export const TemplateSetNewPrevHash = defineMessage({
  name: 'TemplateDistribution.SetNewPrevHash',
  ext: 0x0000,
  type: 0x72,
  channelMsg: false,
  fields: [
    ['template_id', U64],
    ['prev_hash', U256],
    ['header_timestamp', U32],
    ['nbits', U32],
    ['target', U256],
  ],
} as const);
export type TemplateSetNewPrevHash = Infer<typeof TemplateSetNewPrevHash>;

export const RequestTransactionData = defineMessage({
  name: 'RequestTransactionData',
  ext: 0x0000,
  type: 0x73,
  channelMsg: false,
  fields: [['template_id', U64]],
} as const);
export type RequestTransactionData = Infer<typeof RequestTransactionData>;

export const RequestTransactionDataSuccess = defineMessage({
  name: 'RequestTransactionData.Success',
  ext: 0x0000,
  type: 0x74,
  channelMsg: false,
  fields: [
    ['template_id', U64],
    ['excess_data', B0_64K],
    ['transaction_list', SEQ0_64K(B0_16M)],
  ],
} as const);
export type RequestTransactionDataSuccess = Infer<typeof RequestTransactionDataSuccess>;

export const RequestTransactionDataError = defineMessage({
  name: 'RequestTransactionData.Error',
  ext: 0x0000,
  type: 0x75,
  channelMsg: false,
  fields: [
    ['template_id', U64],
    ['error_code', STR0_255],
  ],
} as const);
export type RequestTransactionDataError = Infer<typeof RequestTransactionDataError>;

export const SubmitSolution = defineMessage({
  name: 'SubmitSolution',
  ext: 0x0000,
  type: 0x76,
  channelMsg: false,
  fields: [
    ['template_id', U64],
    ['version', U32],
    ['header_timestamp', U32],
    ['header_nonce', U32],
    ['coinbase_tx', B0_64K],
  ],
} as const);
export type SubmitSolution = Infer<typeof SubmitSolution>;

/** Every Template Distribution message, in msg_type order. */
export const TEMPLATE_DISTRIBUTION_MESSAGES = [
  CoinbaseOutputConstraints,
  NewTemplate,
  TemplateSetNewPrevHash,
  RequestTransactionData,
  RequestTransactionDataSuccess,
  RequestTransactionDataError,
  SubmitSolution,
] as const;

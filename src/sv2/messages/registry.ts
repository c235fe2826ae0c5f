/**
 * The message registry and the only barrel of src/sv2/messages: (extension_type, msg_type) -> schema,
 * name -> schema, and the AnyMessage union. msg_type numbers are assigned per sub-protocol range in
 * spec 08-Message-Types (Common 0x00–0x04, Mining 0x10–0x25, JD 0x50–0x60, TDP 0x70–0x76), so within
 * extension 0 they do not collide and one key space serves every sub-protocol.
 * Names do collide across sub-protocols (TDP and Mining both have "SetNewPrevHash"): TDP's row is
 * named "TemplateDistribution.SetNewPrevHash" so byName stays unique (JD rows, when added, likewise).
 * Duplicate rows fail at module load.
 */
import type { FieldsOf, MessageDef, MessageSchema } from '../schema.js';
import { COMMON_MESSAGES } from './common.js';
import { MINING_MESSAGES } from './mining.js';
import { TEMPLATE_DISTRIBUTION_MESSAGES } from './template-distribution.js';

export * from './common.js';
export * from './mining.js';
export * from './template-distribution.js';

/** Every registered message, Common, Mining, then Template Distribution, in msg_type order. */
export const MESSAGES = [...COMMON_MESSAGES, ...MINING_MESSAGES, ...TEMPLATE_DISTRIBUTION_MESSAGES] as const;

type RegisteredSchema = (typeof MESSAGES)[number];

type MessageOf<S> =
  S extends MessageSchema<infer D extends MessageDef>
    ? { readonly name: D['name']; readonly fields: FieldsOf<D['fields']> }
    : never;

/** A decoded (or to-be-encoded) message: `{ name: 'SetNewPrevHash', fields: { channel_id, ... } }`. */
export type AnyMessage = MessageOf<RegisteredSchema>;
export type MessageName = AnyMessage['name'];
export type MessageFields<N extends MessageName> = Extract<AnyMessage, { readonly name: N }>['fields'];
type SchemaFor<N extends MessageName> = Extract<RegisteredSchema, { readonly name: N }>;

/** The registry key: extension_type (channel_msg flag removed) and msg_type in one number. */
function registryKey(extensionType: number, msgType: number): number {
  return extensionType * 0x100 + msgType;
}

const byKey = new Map<number, MessageSchema>();
const byName = new Map<string, MessageSchema>();
for (const schema of MESSAGES as readonly MessageSchema[]) {
  const key = registryKey(schema.ext, schema.type);
  const clash = byKey.get(key) ?? byName.get(schema.name);
  if (clash !== undefined) throw new Error(`SV2 registry: ${schema.name} clashes with ${clash.name}`);
  byKey.set(key, schema);
  byName.set(schema.name, schema);
}

/** The schema for a frame's (extension_type, msg_type), or undefined when we do not know it. */
export function lookupSchema(extensionType: number, msgType: number): MessageSchema | undefined {
  return byKey.get(registryKey(extensionType, msgType));
}

export function schemaByName<N extends MessageName>(name: N): SchemaFor<N>;
export function schemaByName(name: string): MessageSchema | undefined;
export function schemaByName(name: string): MessageSchema | undefined {
  return byName.get(name);
}

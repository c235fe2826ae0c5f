/**
 * defineMessage(): turns one SV2 message table (spec field list, sv2.md §4/§5.2) into a schema with a
 * generic payload encoder/decoder and an inferred TypeScript type (`Infer<typeof X>`). There is no
 * per-message code anywhere: the field table is the only description of a message. Framing (the
 * 6-byte header) is codec.ts's job, not this file's.
 */
import { ByteReader } from '../bytes/reader.js';
import { ByteWriter } from '../bytes/writer.js';
import type { Codec, CodecValue } from './types.js';

type FieldDef = readonly [name: string, codec: Codec<unknown>];

export interface MessageDef {
  /** The spec spelling, e.g. "SetupConnection.Success"; also the JSON `message` value. */
  readonly name: string;
  /** extension_type without the channel_msg flag (0 for Common, Mining, JD and TDP). */
  readonly ext: number;
  readonly type: number;
  /** The channel_msg bit to send (spec 08-Message-Types). */
  readonly channelMsg: boolean;
  readonly fields: readonly FieldDef[];
}

/** The value object of a field table: `{ field_name: value }`, read-only. */
export type FieldsOf<F extends readonly FieldDef[]> = {
  readonly [E in F[number] as E[0]]: CodecValue<E[1]>;
};

export interface MessageSchema<D extends MessageDef = MessageDef> {
  readonly name: D['name'];
  readonly ext: number;
  readonly type: number;
  readonly channelMsg: boolean;
  readonly fields: D['fields'];
  /** Decodes exactly one payload; short, long or malformed input throws DecodeError. */
  decodePayload(payload: Uint8Array): FieldsOf<D['fields']>;
  /** Reads the fields from a reader positioned at the payload start (no trailing-byte check). */
  readFields(r: ByteReader): FieldsOf<D['fields']>;
  /** Appends the payload to a writer; a value the field cannot carry throws RangeError naming it. */
  writeFields(w: ByteWriter, value: FieldsOf<D['fields']>): void;
  encodePayload(value: FieldsOf<D['fields']>): Uint8Array;
}

/** `Infer<typeof SetNewPrevHash>` -> `{ readonly channel_id: number; ...; readonly prev_hash: Uint8Array }`. */
export type Infer<S> = S extends MessageSchema<infer D> ? FieldsOf<D['fields']> : never;

export function defineMessage<const D extends MessageDef>(def: D): MessageSchema<D> {
  const name = def.name;
  const count = def.fields.length;
  // Split the table into two flat arrays once: the decode loop then touches no tuples.
  const names: string[] = def.fields.map((f) => f[0]);
  const codecs: Codec<unknown>[] = def.fields.map((f) => f[1]);
  type Value = FieldsOf<D['fields']>;

  const readFields = (r: ByteReader): Value => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < count; i++) {
      const field = names[i] as string;
      r.field = field;
      out[field] = (codecs[i] as Codec<unknown>).read(r);
    }
    return out as Value;
  };

  const writeFields = (w: ByteWriter, value: Value): void => {
    const record = value as Readonly<Record<string, unknown>>;
    let i = 0;
    try {
      for (; i < count; i++) (codecs[i] as Codec<unknown>).write(w, record[names[i] as string]);
    } catch (error) {
      const problem = error instanceof Error ? error.message : String(error);
      throw new RangeError(`${name}.${names[i] ?? '?'}: ${problem}`, { cause: error });
    }
  };

  return {
    name,
    ext: def.ext,
    type: def.type,
    channelMsg: def.channelMsg,
    fields: def.fields,
    readFields,
    writeFields,
    decodePayload(payload: Uint8Array): Value {
      const r = new ByteReader(payload, name);
      const value = readFields(r);
      if (r.remaining !== 0) {
        r.field = 'payload';
        r.fail(`${r.remaining} trailing bytes after the last field`);
      }
      return value;
    },
    encodePayload(value: Value): Uint8Array {
      const w = new ByteWriter(64);
      writeFields(w, value);
      return w.finish();
    },
  };
}

/**
 * Test helper: @serialport/binding-mock wrapped so a test sees every write and baud change in
 * order and can answer host bytes like a chip would (the responder gets each written chunk).
 */
import { MockBinding, type MockPortBinding } from '@serialport/binding-mock';
import type { BindingInterface, OpenOptions, UpdateOptions } from '@serialport/bindings-interface';

type PortEvent =
  | { readonly kind: 'write'; readonly bytes: Buffer }
  | { readonly kind: 'baud'; readonly baud: number };

export interface ScriptedPort {
  readonly binding: BindingInterface;
  readonly events: PortEvent[];
  /** The opened mock port (throws before open). */
  port(): MockPortBinding;
  /** Every byte written, concatenated. */
  written(): Buffer;
  /** Host baud changes in order (the open baud first). */
  bauds(): number[];
}

export type Responder = (chunk: Buffer, emit: (bytes: Uint8Array) => void, baud: number) => void;

export function scriptedPort(path: string, responder: Responder = () => {}): ScriptedPort {
  MockBinding.reset();
  MockBinding.createPort(path, { record: true });
  const events: PortEvent[] = [];
  let opened: MockPortBinding | undefined;
  let baud = 0;
  const binding: BindingInterface = {
    list: () => MockBinding.list(),
    async open(options: OpenOptions) {
      const port = await MockBinding.open(options);
      opened = port;
      baud = options.baudRate;
      events.push({ kind: 'baud', baud });
      const write = port.write.bind(port);
      const update = port.update.bind(port);
      port.write = async (buffer: Buffer) => {
        events.push({ kind: 'write', bytes: Buffer.from(buffer) });
        await write(buffer);
        responder(Buffer.from(buffer), (bytes) => port.emitData(Buffer.from(bytes)), baud);
      };
      port.update = async (opts: UpdateOptions) => {
        await update(opts);
        baud = opts.baudRate ?? baud;
        events.push({ kind: 'baud', baud });
      };
      return port;
    },
  };
  return {
    binding,
    events,
    port() {
      if (opened === undefined) throw new Error('mock port not opened yet');
      return opened;
    },
    written: () => Buffer.concat(events.flatMap((e) => (e.kind === 'write' ? [e.bytes] : []))),
    bauds: () => events.flatMap((e) => (e.kind === 'baud' ? [e.baud] : [])),
  };
}

/**
 * A ByteLink that shows every write to an observer before it goes out, and is otherwise the link
 * itself: for timing bytes on the wire (the job-switch bench) and for tests that assert what the
 * host sent. The observer runs synchronously on the write path, so it must be cheap.
 */
import type { ByteLink } from './uart-link.js';

export function tappedLink(link: ByteLink, onWrite: (bytes: Uint8Array) => void): ByteLink {
  return {
    path: link.path,
    get baud() {
      return link.baud;
    },
    open: (baud) => link.open(baud),
    write: (bytes) => {
      onWrite(bytes);
      return link.write(bytes);
    },
    setBaud: (baud) => link.setBaud(baud),
    flushInput: () => link.flushInput(),
    onBytes: (listener) => link.onBytes(listener),
    close: () => link.close(),
  };
}

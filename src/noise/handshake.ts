/**
 * Pure Noise NX handshake state machines for SV2 (sv2.md §2.3, §3.4): the initiator (our miner)
 * writes act 1 (64 bytes) and reads act 2 (234 bytes); the responder (test pools) reads act 1 and
 * answers with act 2. No sockets: bytes in, bytes out. RNG, ephemeral keys and clock are injectable.
 */
import { NoiseError } from '../errors.js';
import {
  CERTIFICATE_SIZE,
  type Certificate,
  checkCertificate,
  DEFAULT_LEEWAY_SEC,
  decodeCertificate,
  encodeCertificate,
  unixNow,
} from './certificate.js';
import type { CipherState } from './cipher-state.js';
import { MAC_SIZE } from './cipher-state.js';
import { v2Ecdh } from './ecdh.js';
import {
  defaultRandom,
  ELLSWIFT_SIZE,
  type EllswiftKeypair,
  ellswiftDecode,
  ellswiftKeypair,
  type RandomSource,
  xonlyPublicKey,
} from './ellswift.js';
import { SymmetricState } from './symmetric-state.js';

export const ACT1_SIZE = ELLSWIFT_SIZE;
export const ACT2_SIZE = ELLSWIFT_SIZE + (ELLSWIFT_SIZE + MAC_SIZE) + (CERTIFICATE_SIZE + MAC_SIZE);

const EMPTY = new Uint8Array(0);

interface NoiseSession {
  /** Encrypts what this side sends. */
  readonly send: CipherState;
  /** Decrypts what this side receives. */
  readonly recv: CipherState;
  /** The final handshake hash h (public; usable for channel binding). */
  readonly handshakeHash: Uint8Array;
}

export interface InitiatorOptions {
  /** The pool's x-only authority key; undefined is only allowed with `insecure: true`. */
  readonly authorityKey: Uint8Array | undefined;
  /** Skip the certificate signature and time checks (trusted LAN only; log a warning per connection). */
  readonly insecure: boolean;
  /** Unix seconds. */
  readonly now?: () => number;
  readonly leewaySec?: number;
  readonly random?: RandomSource;
  /** Replay hooks: a fixed ephemeral secret and, optionally, the exact 64-byte encoding to send. */
  readonly ephemeralSecret?: Uint8Array;
  readonly ephemeralEllswift?: Uint8Array;
}

export interface InitiatorResult extends NoiseSession {
  /** True when the certificate was verified against the authority key. */
  readonly authenticated: boolean;
  /** True when the check was skipped: callers must warn on every connection. */
  readonly insecure: boolean;
  readonly certificate: Certificate;
  readonly serverStaticXonly: Uint8Array;
  /** The exact 64-byte encoding of the server static key as it arrived. */
  readonly serverStaticEllswift: Uint8Array;
}

/** Builds a key pair, or checks that an injected encoding really encodes the injected secret. */
function ephemeral(
  random: RandomSource,
  secret: Uint8Array | undefined,
  encoding: Uint8Array | undefined,
): EllswiftKeypair {
  if (encoding === undefined) return ellswiftKeypair(random, secret);
  if (secret === undefined) throw new NoiseError('config', 'an injected ellswift encoding needs its secret');
  const xonly = xonlyPublicKey(secret);
  const decoded = ellswiftDecode(encoding);
  if (!decoded.every((b, i) => b === xonly[i]))
    throw new NoiseError('config', 'injected ellswift encoding does not encode the injected secret');
  return { secret, xonly, ellswift: Uint8Array.from(encoding) };
}

export class NoiseInitiator {
  private readonly options: InitiatorOptions;
  private readonly state = new SymmetricState();
  private e: EllswiftKeypair | undefined;
  private phase: 'start' | 'sent-act1' | 'done' | 'failed' = 'start';

  constructor(options: InitiatorOptions) {
    if (options.authorityKey === undefined && !options.insecure)
      throw new NoiseError(
        'config',
        'no pool authority key: refusing an unauthenticated connection (set insecure mode explicitly to allow it)',
      );
    if (options.authorityKey !== undefined && options.authorityKey.length !== 32)
      throw new NoiseError(
        'config',
        `authority key must be 32-byte x-only, got ${options.authorityKey.length}`,
      );
    this.options = options;
  }

  /** Act 1: `-> e`. */
  writeAct1(): Uint8Array {
    if (this.phase !== 'start') throw new NoiseError('act1', `cannot write act 1 in state ${this.phase}`);
    const o = this.options;
    this.e = ephemeral(o.random ?? defaultRandom, o.ephemeralSecret, o.ephemeralEllswift);
    this.state.mixHash(this.e.ellswift);
    // EncryptAndHash(empty) with no key is MixHash(empty), and it does change h.
    this.state.encryptAndHash(EMPTY);
    this.phase = 'sent-act1';
    return Uint8Array.from(this.e.ellswift);
  }

  /** Act 2: `<- e, ee, s, es` + certificate. Throws NoiseError naming 'act2', 'certificate' or 'clock'. */
  readAct2(act2: Uint8Array): InitiatorResult {
    const e = this.e;
    if (this.phase !== 'sent-act1' || e === undefined)
      throw new NoiseError('act2', `cannot read act 2 in state ${this.phase}`);
    this.phase = 'failed';
    if (act2.length !== ACT2_SIZE)
      throw new NoiseError('act2', `expected ${ACT2_SIZE} bytes, got ${act2.length}`);
    const st = this.state;
    const remoteE = act2.subarray(0, ELLSWIFT_SIZE);
    const sealedStatic = act2.subarray(ELLSWIFT_SIZE, ELLSWIFT_SIZE * 2 + MAC_SIZE);
    const sealedCert = act2.subarray(ELLSWIFT_SIZE * 2 + MAC_SIZE);
    st.mixHash(remoteE);
    st.mixKey(v2Ecdh(e.secret, remoteE, e.ellswift, true));
    const remoteStatic = st.decryptAndHash(sealedStatic);
    if (remoteStatic === undefined)
      throw new NoiseError(
        'act2',
        'MAC check failed on the server static key (tampered or not an SV2 Noise peer)',
      );
    st.mixKey(v2Ecdh(e.secret, remoteStatic, e.ellswift, true));
    const certBytes = st.decryptAndHash(sealedCert);
    if (certBytes === undefined)
      throw new NoiseError('act2', 'MAC check failed on the certificate (tampered or wrong key agreement)');
    const certificate = decodeCertificate(certBytes);
    const serverStaticXonly = ellswiftDecode(remoteStatic);
    const o = this.options;
    const authenticated = !o.insecure && o.authorityKey !== undefined;
    if (authenticated && o.authorityKey !== undefined) {
      const now = (o.now ?? unixNow)();
      const check = checkCertificate(
        certificate,
        serverStaticXonly,
        o.authorityKey,
        now,
        o.leewaySec ?? DEFAULT_LEEWAY_SEC,
      );
      switch (check.kind) {
        case 'valid':
          break;
        case 'bad-signature':
          throw new NoiseError(
            'certificate',
            'signature does not verify under the configured authority key (wrong key or forged certificate)',
          );
        case 'clock-unset':
          throw new NoiseError(
            'clock',
            `local clock reads ${new Date(check.now * 1000).toISOString()}, which looks unset; wait for NTP sync before connecting`,
          );
        case 'not-yet-valid':
          throw new NoiseError(
            'certificate',
            `not valid before ${check.validFrom}, local time ${check.now} (check the clock or raise the leeway)`,
          );
        case 'expired':
          throw new NoiseError('certificate', `expired at ${check.notValidAfter}, local time ${check.now}`);
      }
    }
    const handshakeHash = st.handshakeHash;
    const [toResponder, toInitiator] = st.split();
    this.phase = 'done';
    return {
      send: toResponder,
      recv: toInitiator,
      handshakeHash,
      authenticated,
      insecure: !authenticated,
      certificate,
      serverStaticXonly,
      serverStaticEllswift: remoteStatic,
    };
  }
}

export interface ResponderOptions {
  readonly staticSecret: Uint8Array;
  /** A fixed certificate, or a factory called per handshake with the static x-only key. */
  readonly certificate: Certificate | ((staticXonly: Uint8Array) => Certificate);
  readonly random?: RandomSource;
  /** Replay hooks: exact encodings to send (each must encode its secret). */
  readonly staticEllswift?: Uint8Array;
  readonly ephemeralSecret?: Uint8Array;
  readonly ephemeralEllswift?: Uint8Array;
}

export interface ResponderResult extends NoiseSession {
  readonly act2: Uint8Array;
}

export class NoiseResponder {
  private readonly options: ResponderOptions;
  private readonly state = new SymmetricState();
  private used = false;

  constructor(options: ResponderOptions) {
    this.options = options;
  }

  /** Reads act 1 and answers with act 2; the responder's keys are split at this point. */
  readAct1(act1: Uint8Array): ResponderResult {
    if (this.used) throw new NoiseError('act1', 'this responder has already handled a handshake');
    this.used = true;
    if (act1.length !== ACT1_SIZE)
      throw new NoiseError('act1', `expected ${ACT1_SIZE} bytes, got ${act1.length}`);
    const o = this.options;
    const random = o.random ?? defaultRandom;
    const st = this.state;
    const remoteE = Uint8Array.from(act1);
    st.mixHash(remoteE);
    // Act 1 carries no payload; with no key this is MixHash(empty) and cannot fail.
    st.decryptAndHash(EMPTY);
    const s = ephemeral(random, o.staticSecret, o.staticEllswift);
    const e = ephemeral(random, o.ephemeralSecret, o.ephemeralEllswift);
    const cert = typeof o.certificate === 'function' ? o.certificate(s.xonly) : o.certificate;
    st.mixHash(e.ellswift);
    st.mixKey(v2Ecdh(e.secret, remoteE, e.ellswift, false));
    const sealedStatic = st.encryptAndHash(s.ellswift);
    st.mixKey(v2Ecdh(s.secret, remoteE, s.ellswift, false));
    const sealedCert = st.encryptAndHash(encodeCertificate(cert));
    const act2 = new Uint8Array(ACT2_SIZE);
    act2.set(e.ellswift, 0);
    act2.set(sealedStatic, ELLSWIFT_SIZE);
    act2.set(sealedCert, ELLSWIFT_SIZE + sealedStatic.length);
    const handshakeHash = st.handshakeHash;
    const [toResponder, toInitiator] = st.split();
    return { act2, send: toInitiator, recv: toResponder, handshakeHash };
  }
}

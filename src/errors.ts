/**
 * The error hierarchy of sv2miner: one base class carrying a machine-readable code and a cause,
 * and one subclass per domain. Messages say what was expected and what arrived; they never carry
 * key material. Expected outcomes (a rejected share, a stale nonce) are values, not these.
 */

type ErrorCode = 'decode' | 'noise' | 'chip' | 'pool' | 'config' | 'transport' | 'usage';

export class SvMinerError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A byte sequence that does not decode: names the message, the field and the byte offset. */
export class DecodeError extends SvMinerError {
  readonly messageName: string;
  readonly field: string;
  readonly offset: number;
  constructor(messageName: string, field: string, offset: number, problem: string) {
    super('decode', `${messageName}.${field}: ${problem} at offset ${offset}`);
    this.messageName = messageName;
    this.field = field;
    this.offset = offset;
  }
}

/** A Noise handshake or transport failure; `step` names where it happened. */
export class NoiseError extends SvMinerError {
  readonly step: string;
  constructor(step: string, problem: string, options?: { cause?: unknown }) {
    super('noise', `noise ${step}: ${problem}`, options);
    this.step = step;
  }
}

/** A chip or chain that does not behave as its board definition says. */
export class ChipError extends SvMinerError {
  readonly chain: number | undefined;
  readonly chipAddress: number | undefined;
  constructor(
    problem: string,
    where: { chain?: number; chipAddress?: number } = {},
    options?: { cause?: unknown },
  ) {
    super('chip', problem, options);
    this.chain = where.chain;
    this.chipAddress = where.chipAddress;
  }
}

/** A pool that refused, misbehaved or vanished; `sv2Code` is the SV2 error code string if it sent one. */
export class PoolError extends SvMinerError {
  readonly pool: string;
  readonly sv2Code: string | undefined;
  constructor(pool: string, problem: string, sv2Code?: string, options?: { cause?: unknown }) {
    super('pool', `pool ${pool}: ${problem}${sv2Code === undefined ? '' : ` (${sv2Code})`}`, options);
    this.pool = pool;
    this.sv2Code = sv2Code;
  }
}

/** A configuration value that does not fit: `path: expected X, got Y`. */
export class ConfigError extends SvMinerError {
  readonly path: string;
  constructor(path: string, expected: string, got: string) {
    super('config', `${path}: expected ${expected}, got ${got}`);
    this.path = path;
  }
}

/** A serial device that cannot be opened, written or reconfigured. */
export class TransportError extends SvMinerError {
  readonly path: string;
  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super('transport', `${path}: ${problem}`, options);
    this.path = path;
  }
}

/** Misuse of the command line. */
export class UsageError extends SvMinerError {
  constructor(problem: string) {
    super('usage', problem);
  }
}

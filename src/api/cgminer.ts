/**
 * cgminer JSON API on TCP (default 4028, monitoring.md §3c): one request per connection, as JSON
 * {"command","parameter"} or plain `cmd|param`; one JSON reply terminated by a NUL byte, then the
 * server closes. `a+b` joins read-only commands. Write commands (switchpool, enablepool,
 * disablepool, addpool, removepool, restart, privileged) need both a peer in the allow-list and
 * the API bearer token as the JSON request's `token` field, else Code 45 (plain-text requests
 * carry no token, so they can only read). Replies are JSON for plain-text requests too (cgminer's
 * `key=value|` text form is not served). Requests are cut at MAX_REQUEST_BYTES and nothing is read
 * after the reply; connections are bounded by CGMINER_LIMITS.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../log.js';
import type { AllowList } from '../net/cidr.js';
import { ConnectionGuard, type ListenerLimits } from '../net/connection-guard.js';
import type { Json } from './axeos.js';
import { CODE, readSection, type Severity, statusBlock } from './cgminer-replies.js';
import type { RigControl, RigSnapshot } from './snapshot.js';

interface CgminerRequest {
  readonly command: string;
  readonly parameter: string;
  /** The API bearer token a write must carry (JSON form only). */
  readonly token?: string;
}

type ParsedRequest = CgminerRequest | { readonly error: 'invalidJson' | 'missingCommand' | 'invalidCommand' };

const WRITE_COMMANDS = new Set([
  'switchpool',
  'enablepool',
  'disablepool',
  'addpool',
  'removepool',
  'restart',
  'privileged',
]);
/** cgminer reads at most TMPBUFSIZ (8 KiB) of a request; the rest is never read. */
export const MAX_REQUEST_BYTES = 8192;
const IDLE_MS = 300;

/** One request per connection: a connection lives a few seconds at most. */
export const CGMINER_LIMITS: ListenerLimits = {
  maxConnections: 32,
  maxConnectionsPerAddress: 8,
  idleMs: 5_000,
  lifetimeMs: 10_000,
  closeGraceMs: 2_000,
};

export function parseRequest(text: string): ParsedRequest {
  const trimmed = text.replace(/[\0\s]+$/, '').replace(/^\s+/, '');
  if (!trimmed.startsWith('{')) {
    const bar = trimmed.indexOf('|');
    return bar < 0
      ? { command: trimmed, parameter: '' }
      : { command: trimmed.slice(0, bar), parameter: trimmed.slice(bar + 1) };
  }
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return { error: 'invalidJson' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'invalidJson' };
  const obj = value as Record<string, unknown>;
  if (!('command' in obj)) return { error: 'missingCommand' };
  if (typeof obj['command'] !== 'string') return { error: 'invalidCommand' };
  const p = obj['parameter'];
  const parameter = typeof p === 'string' ? p : typeof p === 'number' ? String(p) : '';
  const token = obj['token'];
  return typeof token === 'string'
    ? { command: obj['command'], parameter, token }
    : { command: obj['command'], parameter };
}

interface CgminerContext {
  readonly control: RigControl;
  readonly allow: AllowList;
  /** The API bearer token every write command must carry. */
  readonly token: string;
  readonly log: Logger;
  readonly now?: () => number;
}

/** The reply object for one request from `peer` (without the NUL terminator). */
export async function handleRequest(
  text: string,
  peer: string | undefined,
  ctx: CgminerContext,
): Promise<Json> {
  const now = (ctx.now ?? Date.now)();
  const s = ctx.control.snapshot();
  const fail = (severity: Severity, code: number, msg: string): Json => ({
    STATUS: statusBlock(s, severity, code, msg, now),
    id: 1,
  });
  const req = parseRequest(text);
  if ('error' in req) {
    if (req.error === 'invalidJson') return fail('E', CODE.invalidJson, 'Invalid JSON');
    if (req.error === 'missingCommand') return fail('E', CODE.missingCommand, "Missing JSON 'command'");
    return fail('E', CODE.invalidCommand, 'Invalid command');
  }
  const command = req.command.trim();
  if (command.includes('+')) {
    const reply: Record<string, Json> = {};
    for (const part of [...new Set(command.split('+'))]) {
      // Writes are never joinable (cgminer refuses them in a join).
      const section = WRITE_COMMANDS.has(part) ? null : readSection(part, s, now);
      reply[part] = [
        section === null
          ? {
              STATUS: statusBlock(
                s,
                'E',
                WRITE_COMMANDS.has(part) ? CODE.accessDenied : CODE.invalidCommand,
                WRITE_COMMANDS.has(part) ? `Access denied to '${part}' command` : 'Invalid command',
                now,
              ),
              id: 1,
            }
          : {
              STATUS: statusBlock(s, 'S', section.code, section.msg, now),
              [section.key]: section.rows,
              id: 1,
            },
      ];
    }
    reply['id'] = 1;
    return reply;
  }
  const section = readSection(command, s, now);
  if (section !== null)
    return {
      STATUS: statusBlock(s, 'S', section.code, section.msg, now),
      [section.key]: section.rows,
      id: 1,
    };
  if (!WRITE_COMMANDS.has(command)) return fail('E', CODE.invalidCommand, 'Invalid command');
  if (!ctx.allow.allows(peer) || !tokenMatches(req.token, ctx.token))
    return fail('E', CODE.accessDenied, `Access denied to '${command}' command`);
  return runWrite(command, req.parameter, s, ctx, fail);
}

async function runWrite(
  command: string,
  parameter: string,
  s: RigSnapshot,
  ctx: CgminerContext,
  reply: (severity: Severity, code: number, msg: string) => Json,
): Promise<Json> {
  if (command === 'privileged') return reply('S', CODE.privilegedOk, 'Privileged access OK');
  if (command === 'restart') {
    // cgminer answers before it restarts; the restart runs after the reply is written.
    setImmediate(() => {
      ctx.control
        .restart()
        .catch((error: unknown) => ctx.log.error({ err: error }, 'restart from cgminer API failed'));
    });
    return { STATUS: 'RESTART', id: 1 };
  }
  if (command === 'addpool') {
    const fields = splitEscaped(parameter);
    if (parameter.trim() === '') return reply('E', CODE.missingAddPool, 'Missing addpool details');
    const [url, user, password] = fields;
    // The message names the URL only: the password field must never be echoed.
    if (url === undefined || user === undefined || url === '' || fields.length > 3)
      return reply('E', CODE.invalidAddPool, `Invalid addpool details '${url ?? ''}'`);
    const ok = await attempt(() =>
      ctx.control.addPool(password === undefined ? { url, user } : { url, user, password }),
    );
    return ok === null
      ? reply('S', CODE.addPool, `Added pool '${url}'`)
      : reply('E', CODE.invalidAddPool, ok);
  }
  if (parameter.trim() === '') return reply('E', CODE.missingPoolId, 'Missing pool id parameter');
  const index = Number(parameter.trim());
  const target = Number.isInteger(index) ? s.pools.find((p) => p.index === index) : undefined;
  if (target === undefined)
    return reply(
      'E',
      CODE.invalidPoolId,
      `Invalid pool id ${parameter.trim()} - range is 0 - ${s.pools.length - 1}`,
    );
  const name = `${index}:'${target.url}'`;
  switch (command) {
    case 'switchpool': {
      const err = await attempt(() => ctx.control.switchPool(index));
      return err === null
        ? reply('S', CODE.switchPool, `Switching to pool ${name}`)
        : reply('E', CODE.invalidPoolId, err);
    }
    case 'enablepool': {
      if (target.enabled) return reply('I', CODE.alreadyEnabled, `Pool ${name} already enabled`);
      const err = await attempt(() => ctx.control.setPoolEnabled(index, true));
      return err === null
        ? reply('S', CODE.enablePool, `Enabling pool ${name}`)
        : reply('E', CODE.invalidPoolId, err);
    }
    case 'disablepool': {
      if (!target.enabled) return reply('I', CODE.alreadyDisabled, `Pool ${name} already disabled`);
      const err = await attempt(() => ctx.control.setPoolEnabled(index, false));
      return err === null
        ? reply('S', CODE.disablePool, `Disabling pool ${name}`)
        : reply('E', CODE.invalidPoolId, err);
    }
    default: {
      if (target.active) return reply('E', CODE.activePool, `Cannot remove active pool ${name}`);
      const err = await attempt(() => ctx.control.removePool(index));
      return err === null
        ? reply('S', CODE.removePool, `Removed pool ${name}`)
        : reply('E', CODE.invalidPoolId, err);
    }
  }
}

/** Constant-time over SHA-256 digests, like the HTTP bearer check; an empty token never matches. */
function tokenMatches(offered: string | undefined, token: string): boolean {
  if (offered === undefined || token === '') return false;
  const a = createHash('sha256').update(offered).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** Runs a control call; null on success, else the error message. */
async function attempt(fn: () => Promise<void>): Promise<string | null> {
  try {
    await fn();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** cgminer's addpool fields: comma separated, `\,` and `\\` escaped. */
export function splitEscaped(text: string): string[] {
  const out: string[] = [];
  let field = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) field += text[++i];
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out.map((f) => f.trim());
}

interface CgminerServer {
  readonly port: number;
  connections(): { readonly open: number; readonly refused: number };
  close(): Promise<void>;
}

export async function startCgminerServer(
  options: CgminerContext & { host: string; port: number; limits?: ListenerLimits },
): Promise<CgminerServer> {
  const guard = new ConnectionGuard({
    limits: options.limits ?? CGMINER_LIMITS,
    refuse: (socket) => {
      const s = options.control.snapshot();
      const now = (options.now ?? Date.now)();
      const reply = {
        STATUS: statusBlock(s, 'E', CODE.accessDenied, 'Access denied: too many API connections', now),
        id: 1,
      };
      socket.write(`${JSON.stringify(reply)}\0`);
    },
  });
  // allowHalfOpen: a client that sends its request and half-closes (`echo … | nc`) still gets the
  // reply; our end after it, and the guard's grace, close the connection.
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    if (guard.admit(socket)) serve(socket, options, guard);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    port,
    connections: () => ({ open: guard.size, refused: guard.refused }),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await guard.close();
      await closed;
    },
  };
}

/**
 * Reads one request (at most MAX_REQUEST_BYTES, joined once), answers it, and ends the connection.
 * Bytes after the request are dropped unread, however long the peer keeps sending.
 */
function serve(socket: Socket, ctx: CgminerContext, guard: ConnectionGuard): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let json: boolean | undefined;
  let done = false;
  // A JSON request split over segments gets a short grace period; a broken one is answered
  // (Invalid JSON) after that idle time instead of holding the socket open.
  let timer = setTimeout(() => respond(), IDLE_MS * 4);
  const respond = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    const text = Buffer.concat(chunks, size).toString('utf8');
    chunks.length = 0;
    handleRequest(text, socket.remoteAddress, ctx)
      .then((reply) => guard.end(socket, 'done', `${JSON.stringify(reply)}\0`))
      .catch((error: unknown) => {
        ctx.log.error({ err: error }, 'cgminer API request failed');
        socket.destroy();
      });
  };
  socket.on('data', (chunk: Buffer) => {
    if (done) return;
    const room = MAX_REQUEST_BYTES - size;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    chunks.push(kept);
    size += kept.length;
    clearTimeout(timer);
    timer = setTimeout(() => respond(), IDLE_MS);
    json ??= firstNonSpace(kept);
    // Plain text: cgminer acts on the first read. JSON: once it parses, or at the size limit.
    // Parsing is tried only when a chunk could close the object, so a trickle stays linear.
    if (json === false || size >= MAX_REQUEST_BYTES) respond();
    else if (json === true && couldEnd(kept) && parses(Buffer.concat(chunks, size).toString('utf8')))
      respond();
  });
  socket.on('end', respond);
  socket.on('close', () => {
    done = true;
    clearTimeout(timer);
  });
}

/** true: the request is JSON; false: plain text; undefined: only whitespace so far. */
function firstNonSpace(chunk: Buffer): boolean | undefined {
  for (const byte of chunk) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b; // '{'
  }
  return undefined;
}

function couldEnd(chunk: Buffer): boolean {
  return chunk.includes(0x7d) || chunk.includes(0x00); // '}' or NUL
}

function parses(text: string): boolean {
  try {
    JSON.parse(text.replace(/[\0\s]+$/, ''));
    return true;
  } catch {
    return false;
  }
}

/**
 * The configuration: one zod schema, the Config type inferred from it, and validation that turns
 * every problem into `path: expected X, got Y` (path like `pools[1].url`, a contract that tests
 * and users grep for). Unknown keys are errors naming the nearest known key, so a typo never
 * silently falls back to a default. Defaults live in config/default.json, not here.
 */
import { z } from 'zod';
import { BOARDS, boardIds } from '../../boards/registry.js';
import { pllForFrequency } from '../../drivers/bm13xx/pll.js';
import { DEFAULT_MIN_PERCENT, DEFAULT_TARGET_C } from '../../drivers/fans/fan-control.js';
import { ConfigError } from '../errors.js';
import { parseAllowList } from '../net/cidr.js';
import { parseAuthorityPublicKey } from '../noise/authority-key.js';
import { coreVoltageExpectation } from './core-voltage.js';
import { fitsStr0_255, STR0_255_EXPECTED } from './wire-bounds.js';

const POOL_URL_FORM = 'stratum2+tcp://host:port/<authority key>';
// Host: name, IPv4 or [IPv6]; the authority key part is optional here, required unless insecure.
const POOL_URL = /^stratum2\+tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})(?:\/([^/?#]*))?$/;
/** The SV2 channel a pool entry opens (default standard; extended rolls the extranonce itself). */
const CHANNEL_KINDS = ['standard', 'extended'] as const;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const expect = (expected: string) => ({ error: expected });
const text = (expected: string) => z.string(expect(expected)).min(1, expect(expected));
const integer = (expected: string, min: number, max: number) =>
  z.number(expect(expected)).int(expect(expected)).min(min, expect(expected)).max(max, expect(expected));
const port = (min = 1) => integer(`a TCP port ${min}..65535`, min, 65535);
const celsius = (what: string) =>
  z
    .number(expect(`${what} in degrees C`))
    .min(0, expect(`${what} in degrees C`))
    .max(150, expect(`${what} in degrees C`));

const poolSchema = z
  .strictObject(
    {
      url: z.string(expect(POOL_URL_FORM)).regex(POOL_URL, expect(POOL_URL_FORM)),
      // Sent as OpenStandardMiningChannel.user_identity: a longer one would fail every channel open.
      user: text('a user name').refine(fitsStr0_255, expect(`a user name of ${STR0_255_EXPECTED}`)),
      password: z.string(expect('a string')).optional(),
      priority: integer('an integer priority >= 0 (0 first)', 0, 1000).optional(),
      insecure: z.boolean(expect('true or false')).optional(),
      channel: z.enum(CHANNEL_KINDS, expect('"standard" or "extended"')).optional(),
    },
    expect('a pool object {url, user, password?, priority?, insecure?, channel?}'),
  )
  .superRefine((pool, ctx) => {
    const match = POOL_URL.exec(pool.url);
    // The field's own regex has already reported a URL of the wrong shape.
    if (match === null) return;
    const portNumber = Number(match[2]);
    const key = match[3] ?? '';
    // The host goes out as SetupConnection.endpoint_host.
    if (!fitsStr0_255(match[1] ?? '')) {
      const message = `a pool host of ${STR0_255_EXPECTED}`;
      ctx.addIssue({ code: 'custom', path: ['url'], message, input: pool.url });
      return;
    }
    if (portNumber < 1 || portNumber > 65535) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'a port 1..65535 in the pool URL',
        input: pool.url,
      });
      return;
    }
    // Without a key the server certificate cannot be checked: allowed only when asked for (LAN/test pools).
    if (key === '') {
      if (pool.insecure !== true)
        ctx.addIssue({ code: 'custom', path: ['url'], message: POOL_URL_FORM, input: pool.url });
      return;
    }
    const check = parseAuthorityPublicKey(key);
    if (!check.ok) {
      const message = `an authority key in the published Base58Check form (${check.reason})`;
      ctx.addIssue({ code: 'custom', path: ['url'], message, input: pool.url });
    }
  });

function isCidr(text: string): boolean {
  try {
    parseAllowList([text]);
    return true;
  } catch {
    return false;
  }
}

const CHIP_DIFFICULTY = 'a power of two from 1 to 2^32';
const TOKEN_EXPECTED = 'a token of at least 16 visible ASCII characters (no spaces)';

const configSchema = z
  .strictObject(
    {
      board: z
        .string(expect('a board id'))
        .refine((id) => BOARDS.has(id), expect(`one of ${boardIds().join(', ')}`)),
      pools: z.array(poolSchema, expect('a list of pools ([] = the embedded local pool)')),
      frequencyMhz: z.number(expect('a frequency in MHz')).positive(expect('a frequency in MHz')).optional(),
      // A USB-bridged board's control and data ports (udev names); default the board's.
      ports: z
        .strictObject(
          { control: text('a control port path').optional(), data: text('a data port path').optional() },
          expect('an object {control?, data?}'),
        )
        .optional(),
      // Millivolts per chip, as AxeOS names it; the board's range is checked below.
      coreVoltage: z.number(expect('millivolts')).optional(),
      chipDifficulty: z
        .number(expect(CHIP_DIFFICULTY))
        .refine((d) => Number.isInteger(Math.log2(d)) && d >= 1 && d <= 2 ** 32, expect(CHIP_DIFFICULTY)),
      api: z.strictObject(
        {
          host: text('a host name or address'),
          // 0 = any free port (tests).
          port: port(0),
          cgminerPort: port(0),
          // Sent as `Authorization: Bearer <token>`: visible ASCII only, or no client could send it.
          token: z
            .string(expect(TOKEN_EXPECTED))
            .min(16, expect(TOKEN_EXPECTED))
            .regex(/^[\x21-\x7e]+$/, expect(TOKEN_EXPECTED))
            .optional(),
          // Who may send cgminer write commands (switchpool, addpool, restart, ...).
          cgminerAllow: z
            .array(
              z.string().refine(isCidr, expect('an address or CIDR, e.g. 192.168.1.0/24')),
              expect('a list of CIDRs'),
            )
            .default(['127.0.0.1/32']),
        },
        expect('an object {host, port, cgminerPort, token?, cgminerAllow?}'),
      ),
      thermal: z.strictObject(
        {
          throttleC: celsius('a throttle temperature'),
          shutdownC: celsius('a shutdown temperature'),
          hysteresisC: celsius('a hysteresis'),
          maxBadReadings: integer('a count >= 1', 1, 100),
          // The overheat latch (src/roles/miner/overheat-latch.ts): mining resumes only below
          // resumeC (default shutdownC - 15), the regulator only below vrShutdownC by the same margin.
          resumeC: celsius('a resume temperature').optional(),
          // ESP-Miner's TPS546 throttle point, the Gamma profile's OT warn limit.
          vrShutdownC: celsius('a regulator shutdown temperature').default(105),
          requireClear: z.boolean(expect('true or false')).default(false),
        },
        expect(
          'an object {throttleC, shutdownC, hysteresisC, maxBadReadings, resumeC?, vrShutdownC?, requireClear?}',
        ),
      ),
      // What the operator asked of the fan (AxeOS autofanspeed/fanspeed); kept and served even
      // where the board has no fan driver, so a PATCH survives a restart.
      fan: z
        .strictObject(
          {
            auto: z.boolean(expect('true or false')),
            speedPercent: integer('a whole percent from 0 to 100', 0, 100),
            // AxeOS minFanSpeed and temptarget; defaults as ESP-Miner's (drivers/fans/fan-control.ts).
            minPercent: integer('a whole percent from 0 to 100', 0, 100).default(DEFAULT_MIN_PERCENT),
            targetC: celsius('a target temperature').default(DEFAULT_TARGET_C),
          },
          expect('an object {auto, speedPercent, minPercent?, targetC?}'),
        )
        .default({
          auto: true,
          speedPercent: 100,
          minPercent: DEFAULT_MIN_PERCENT,
          targetC: DEFAULT_TARGET_C,
        }),
      logLevel: z.enum(LOG_LEVELS, expect(`one of ${LOG_LEVELS.join(', ')}`)),
      localPool: z.strictObject(
        {
          host: text('a host name or address'),
          port: port(0),
          sharesPerMinute: z.number(expect('a positive number')).positive(expect('a positive number')),
          // The demo in a checkout mines on the embedded pool when "pools" is []; an installed rig
          // (the package's defaults say false) must not pretend to mine where nothing is earned.
          useWhenNoPools: z.boolean(expect('true or false')).default(true),
        },
        expect('an object {host, port, sharesPerMinute, useWhenNoPools?}'),
      ),
      stateDir: text('a directory path'),
      // Clock skew allowed around a pool certificate's validity window (a board without an RTC
      // may run before NTP has set the clock). SRI allows 10 s.
      certificateLeewaySec: integer('whole seconds from 0 to 86400', 0, 86_400).default(60),
    },
    expect('a configuration object'),
  )
  .superRefine((config, ctx) => {
    const board = BOARDS.get(config.board);
    if (
      board !== undefined &&
      config.frequencyMhz !== undefined &&
      config.frequencyMhz > board.maxFrequencyMhz
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['frequencyMhz'],
        message: `at most ${board.maxFrequencyMhz} MHz for board ${board.id}`,
        input: config.frequencyMhz,
      });
    }
    // The frequency goes to the chips as PLL dividers: one no divider set reaches would fail
    // every bring-up, so it is refused here, by the same search the driver runs.
    if (
      board !== undefined &&
      config.frequencyMhz !== undefined &&
      !pllReaches(board.chip, config.frequencyMhz)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['frequencyMhz'],
        message: `a frequency the ${board.chip} PLL can reach`,
        input: config.frequencyMhz,
      });
    }
    const voltageProblem =
      board !== undefined && config.coreVoltage !== undefined
        ? coreVoltageExpectation(board, config.coreVoltage)
        : undefined;
    if (voltageProblem !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['coreVoltage'],
        message: voltageProblem,
        input: config.coreVoltage,
      });
    const { resumeC, shutdownC, throttleC } = config.thermal;
    if (resumeC !== undefined && resumeC >= shutdownC)
      ctx.addIssue({
        code: 'custom',
        path: ['thermal', 'resumeC'],
        message: `a value below shutdownC (${shutdownC})`,
        input: resumeC,
      });
    if (config.fan.targetC >= throttleC)
      ctx.addIssue({
        code: 'custom',
        path: ['fan', 'targetC'],
        message: `a value below thermal.throttleC (${throttleC})`,
        input: config.fan.targetC,
      });
    if (config.thermal.throttleC >= config.thermal.shutdownC) {
      ctx.addIssue({
        code: 'custom',
        path: ['thermal', 'throttleC'],
        message: `a value below shutdownC (${config.thermal.shutdownC})`,
        input: config.thermal.throttleC,
      });
    }
  });

/** The chip temperature below which an overheat latch may release (thermal.resumeC or its default). */
export function resumeCelsius(thermal: Config['thermal']): number {
  return thermal.resumeC ?? thermal.shutdownC - 15;
}

/** The regulator's resume point: below vrShutdownC by the chips' margin. */
export function vrResumeCelsius(thermal: Config['thermal']): number {
  return thermal.vrShutdownC - (thermal.shutdownC - resumeCelsius(thermal));
}

function pllReaches(chip: Parameters<typeof pllForFrequency>[0], mhz: number): boolean {
  try {
    pllForFrequency(chip, mhz);
    return true;
  } catch {
    return false;
  }
}

export type Config = z.output<typeof configSchema>;
export type PoolConfig = Config['pools'][number];

export type ConfigValidation =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly errors: readonly ConfigError[] };

/** Validates a plain object (already merged by node-config); every problem becomes one ConfigError. */
export function validateConfig(raw: unknown): ConfigValidation {
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (result.success) return { ok: true, config: result.data };
  return { ok: false, errors: result.error.issues.flatMap(toConfigErrors) };
}

function toConfigErrors(issue: z.core.$ZodIssue): ConfigError[] {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(issue.path);
    return issue.keys.map((key) => {
      const near = nearest(key, known);
      const hint =
        near === undefined ? `one of ${known.join(', ')}` : `a known key (did you mean "${near}"?)`;
      return new ConfigError(path === '' ? key : `${path}.${key}`, hint, JSON.stringify(key));
    });
  }
  const secret = SECRET_KEYS.has(String(issue.path.at(-1)));
  const got =
    secret && typeof issue.input === 'string' ? `${issue.input.length} characters` : describe(issue.input);
  return [new ConfigError(path === '' ? 'config' : path, issue.message, got)];
}

/** Keys whose values are never echoed in an error (L.secret). */
const SECRET_KEYS = new Set(['token', 'password']);

/** ['pools', 1, 'url'] -> 'pools[1].url' */
function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, seg) => {
    if (typeof seg === 'number') return `${out}[${seg}]`;
    return out === '' ? String(seg) : `${out}.${String(seg)}`;
  }, '');
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value === null || typeof value !== 'object') {
    const json = JSON.stringify(value) ?? String(value);
    return json.length > 80 ? `${json.slice(0, 77)}..."` : json;
  }
  return 'an object';
}

/** Keys the schema allows at an object path (array indices step into the element schema). */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = configSchema;
  for (const seg of path) {
    schema = unwrap(schema);
    if (typeof seg === 'number' && schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else if (schema instanceof z.ZodObject)
      schema = (schema.shape as Record<string, z.ZodType>)[String(seg)] ?? z.never();
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  return schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
}

/** The known key closest by edit distance, if it is close enough to be a plausible typo. */
function nearest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

// Number and log formatting for the dashboard, shared by the page (app.js) and the unit tests
// (test/api/web-format.test.ts). Plain ES module, no DOM: figures are rounded the way a person
// reads them, units scale with the value, and pino JSON log lines become one readable line.

const HASHRATE_UNITS = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s', 'PH/s', 'EH/s'];
const SI_SUFFIXES = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
const LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
// Fields every pino line carries that the readable form shows in its own columns, or not at all.
const LOG_FIELDS_SHOWN_ELSEWHERE = new Set(['level', 'time', 'msg', 'component', 'svc', 'pid', 'hostname']);
const DASH = '–';

/** Three significant figures without exponent or trailing zeros: 4.22, 42.2, 422, 0.0226. */
function threeFigures(value) {
  if (value === 0) return '0';
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return String(Number(value.toFixed(Math.min(digits, 20))));
}

/** Scales `value` by 1000s until it is below 1000; returns the scaled figure and the step count. */
function scaleBy1000(value, steps) {
  let scaled = value;
  let step = 0;
  while (Math.abs(scaled) >= 999.5 && step < steps - 1) {
    scaled /= 1000;
    step++;
  }
  return { scaled, step };
}

/** 174620 -> "175 kH/s", 4.22e12 -> "4.22 TH/s", 0 -> "0 H/s". */
export function formatHashrate(hashesPerSecond) {
  if (!Number.isFinite(hashesPerSecond) || hashesPerSecond < 0) return DASH;
  const { scaled, step } = scaleBy1000(hashesPerSecond, HASHRATE_UNITS.length);
  return `${threeFigures(scaled)} ${HASHRATE_UNITS[step]}`;
}

/** Share or best difficulty with an SI suffix: 0.0226, 512, 12.3k, 9.88M, 1.5T. */
export function formatDifficulty(difficulty) {
  if (!Number.isFinite(difficulty) || difficulty < 0) return DASH;
  const { scaled, step } = scaleBy1000(difficulty, SI_SUFFIXES.length);
  return `${threeFigures(scaled)}${SI_SUFFIXES[step]}`;
}

/** 55.328585930709885 -> "55.3 °C"; null (no sensor) -> "–". */
export function formatTemperature(celsius) {
  if (celsius === null || celsius === undefined || !Number.isFinite(celsius)) return DASH;
  return `${celsius.toFixed(1)} °C`;
}

/** 1.7018219999990833 -> "1.7 ms", 0.2213 -> "0.22 ms", 17.4 -> "17 ms": two significant figures, whole ms from 10 up. */
export function formatMs(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return DASH;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  if (ms === 0) return '0 ms';
  return `${Number(ms.toPrecision(2))} ms`;
}

/** 42 -> "42 s", 150 -> "3 min", 7200 -> "2.0 h"; null -> "never". */
export function formatAge(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return 'never';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

/**
 * Axis ticks for a hashrate chart whose largest value is `maxHashesPerSecond`: 0 and four or five
 * round steps (1, 2, 2.5 or 5 times a power of ten) reaching at least the maximum.
 */
export function hashrateTicks(maxHashesPerSecond) {
  const max = Number.isFinite(maxHashesPerSecond) && maxHashesPerSecond > 0 ? maxHashesPerSecond : 1;
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks = [];
  for (let k = 0; k * step < max + step * 1e-9; k++) ticks.push(k * step);
  ticks.push(ticks.length * step);
  return ticks;
}

/**
 * One log line for a person: `{ time, level, module, message }`, message carrying the other
 * fields as `key=value`. A line that is not pino JSON comes back whole as the message.
 * `timeZone` is for tests; the page shows the browser's local time.
 */
export function formatLogLine(line, timeZone) {
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    return { time: '', level: '', module: '', message: line };
  }
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
    return { time: '', level: '', module: '', message: line };
  const extras = Object.entries(entry)
    .filter(([key]) => !LOG_FIELDS_SHOWN_ELSEWHERE.has(key))
    .map(([key, value]) => `${key}=${logValue(value)}`);
  const message = [entry.msg ?? '', ...extras].filter((part) => part !== '').join(' ');
  return {
    time: typeof entry.time === 'number' ? clockTime(entry.time, timeZone) : '',
    level: LEVELS[entry.level] ?? String(entry.level ?? ''),
    module: typeof entry.component === 'string' ? entry.component : '',
    message,
  };
}

function logValue(value) {
  if (value !== null && typeof value === 'object' && typeof value.message === 'string') return value.message;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function clockTime(epochMs, timeZone) {
  return new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    ...(timeZone === undefined ? {} : { timeZone }),
  }).format(new Date(epochMs));
}

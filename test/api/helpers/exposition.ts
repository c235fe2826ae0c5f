/**
 * A tiny checker for the Prometheus text exposition format 0.0.4, written from the format
 * description (not from our renderer): HELP/TYPE lines, metric and label name grammar, quoted
 * label values with only \\ \" \n escapes, float values, one TYPE per family before its samples,
 * contiguous families, no duplicate series, histogram buckets cumulative with +Inf == _count.
 */

export interface Series {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function checkExposition(text: string): { series: Series[]; types: Map<string, string> } {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a line feed');
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const series: Series[] = [];
  const seen = new Set<string>();
  const finished = new Set<string>();
  let current: string | null = null;
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => {
      const where = `line ${i + 1}: ${line}`;
      if (line.startsWith('#')) {
        const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
        if (m === null) return; // plain comment
        const [, kind, name = '', rest = ''] = m;
        if (!METRIC.test(name)) throw new Error(`bad metric name, ${where}`);
        if (kind === 'HELP') {
          if (helps.has(name)) throw new Error(`second HELP, ${where}`);
          if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`bad HELP escape, ${where}`);
          helps.add(name);
        } else {
          if (!TYPES.has(rest)) throw new Error(`bad TYPE, ${where}`);
          if (types.has(name) || finished.has(name))
            throw new Error(`TYPE repeated or after samples, ${where}`);
          types.set(name, rest);
        }
        return;
      }
      if (line.trim() === '') throw new Error(`blank line, ${where}`);
      const sample = parseSample(line, where);
      const family = familyOf(sample.name, types);
      if (!types.has(family)) throw new Error(`sample without TYPE, ${where}`);
      if (current !== family) {
        if (finished.has(family)) throw new Error(`family ${family} not contiguous, ${where}`);
        if (current !== null) finished.add(current);
        current = family;
      }
      const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
      if (seen.has(key)) throw new Error(`duplicate series, ${where}`);
      seen.add(key);
      series.push(sample);
    });
  for (const [name, type] of types) if (type === 'histogram') checkHistogram(name, series);
  return { series, types };
}

function familyOf(name: string, types: Map<string, string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && (types.get(base) === 'histogram' || types.get(base) === 'summary'))
      return base;
  }
  return name;
}

function parseSample(line: string, where: string): Series {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$/.exec(line);
  if (m === null) throw new Error(`bad sample, ${where}`);
  const [, name = '', labelText, valueText = ''] = m;
  const labels: Record<string, string> = {};
  if (labelText !== undefined) {
    let rest = labelText.slice(1, -1);
    while (rest.length > 0) {
      const lm = /^([^=]+)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
      if (lm === null) throw new Error(`bad labels, ${where}`);
      const [all, lname = '', lvalue = ''] = lm;
      if (!LABEL.test(lname) || lname in labels) throw new Error(`bad or repeated label ${lname}, ${where}`);
      labels[lname] = lvalue.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(all.length);
    }
  }
  const value =
    valueText === '+Inf'
      ? Infinity
      : valueText === '-Inf'
        ? -Infinity
        : valueText === 'NaN'
          ? NaN
          : Number(valueText);
  if (Number.isNaN(value) && valueText !== 'NaN') throw new Error(`bad value, ${where}`);
  return { name, labels, value };
}

function checkHistogram(name: string, series: Series[]): void {
  const buckets = series.filter((s) => s.name === `${name}_bucket`);
  const count = series.find((s) => s.name === `${name}_count`);
  if (series.find((s) => s.name === `${name}_sum`) === undefined || count === undefined)
    throw new Error(`histogram ${name} lacks _sum or _count`);
  let last = -1;
  let lastLe = -Infinity;
  for (const b of buckets) {
    const le = b.labels['le'] === '+Inf' ? Infinity : Number(b.labels['le']);
    if (Number.isNaN(le) || le <= lastLe) throw new Error(`histogram ${name}: le not increasing`);
    if (b.value < last) throw new Error(`histogram ${name}: buckets not cumulative`);
    last = b.value;
    lastLe = le;
  }
  if (lastLe !== Infinity || last !== count.value)
    throw new Error(`histogram ${name}: +Inf bucket != _count`);
}

// sv2miner dashboard logic: polls the AxeOS API, follows /api/events, draws the hashrate chart on
// a canvas by hand and PATCHes settings with the bearer token kept in localStorage. Plain ES module;
// every figure goes through format.js so it reads the same everywhere and is unit-tested.
import {
  formatAge,
  formatDifficulty,
  formatHashrate,
  formatLogLine,
  formatMs,
  formatTemperature,
  hashrateTicks,
} from './format.js';

const $ = (id) => document.getElementById(id);
const COLORS = ['#f7931a', '#4fc3f7', '#81c784', '#ba68c8', '#e57373', '#fff176'];
const BACKGROUND = '#0b0f16';
const LOG_LINES = 300;

const GH = 1e9;
const cell = (values) => `<tr>${values.map((v) => `<td>${escapeHtml(String(v))}</td>`).join('')}</tr>`;

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderInfo(info) {
  $('hashrate').textContent = formatHashrate(info.hashRate * GH);
  $('expected').textContent = `expected ${formatHashrate(info.expectedHashrate * GH)}`;
  $('shares').textContent = `${info.sharesAccepted} / ${info.sharesRejected}`;
  $('rejects').textContent =
    info.sharesRejectedReasons.map((r) => `${r.message}: ${r.count}`).join(', ') || 'no rejects';
  $('pool').textContent = info.stratumURL ? `${info.stratumURL}:${info.stratumPort}` : 'local pool';
  $('temp').textContent = formatTemperature(info.temp);
  $('fan').textContent = `fan ${info.fanspeed}%${info.fanrpm ? ` · ${info.fanrpm} rpm` : ''}`;
  $('best').textContent = formatDifficulty(info.bestSessionDiff);
  $('best-all').textContent = `all-time ${formatDifficulty(info.bestDiff)}`;
  $('uptime').textContent = `up ${formatAge(info.uptimeSeconds)}`;
  $('board').textContent = `${info.ASICModel} ×${info.asicCount} · ${info.boardVersion} · ${info.version}`;
  const state = $('state');
  state.textContent = info.overheat_mode === 1 ? 'overheat' : info.miningPaused ? 'paused' : 'mining';
  state.title =
    info.overheat_mode === 1 ? `${info.overheatReason}; waiting for ${info.overheatWaitingFor}` : '';
  state.className = `pill ${info.miningPaused ? 'bad' : 'ok'}`;
}

function renderSnapshot(s) {
  $('pool-state').textContent = s.pools.find((p) => p.active)?.state ?? 'no pool';
  $('pools').tBodies[0].innerHTML = s.pools
    .map((p) =>
      cell([
        p.index,
        p.host,
        p.user,
        p.active ? `${p.state} ★` : p.state,
        p.accepted,
        p.rejected,
        formatDifficulty(p.difficulty),
        formatMs(p.lastRoundTripMs),
      ]),
    )
    .join('');
  $('chains').tBodies[0].innerHTML = s.chains
    .map((c) =>
      cell([
        c.index,
        c.chipCount,
        c.frequencyMhz,
        formatHashrate(c.hashrate.h1m),
        c.state,
        c.recoveries ?? 0,
        c.hardwareErrors,
        c.uartJunkBytes,
        formatTemperature(c.temperatureC),
      ]),
    )
    .join('');
  $('chips').tBodies[0].innerHTML = s.chips
    .map((c) =>
      cell([
        c.chain,
        c.index,
        `0x${c.address.toString(16)}`,
        formatHashrate(c.hashrate.h1m),
        c.health ?? 'unknown',
        c.nonces,
        c.hardwareErrors,
        c.crcErrors,
        formatAge(c.lastNonceAgeS),
      ]),
    )
    .join('');
}

/** Total hashrate plus one line per chain, time on x, hashrate on y (the served GH/s, scaled for the axis). */
export function drawChart(canvas, stats) {
  const ctx = canvas.getContext('2d');
  const { width, height } = canvas;
  ctx.fillStyle = BACKGROUND;
  ctx.fillRect(0, 0, width, height);
  const t = stats.labels.indexOf('timestamp');
  const series = stats.labels
    .map((label, i) => ({ label, i }))
    .filter(({ label }) => label === 'hashrate' || label.startsWith('hashrate_chain'));
  const rows = stats.statistics;
  if (rows.length === 0 || t < 0 || series.length === 0) return 0;
  const pad = { l: 72, r: 10, t: 10, b: 22 };
  const t0 = rows[0][t];
  const t1 = Math.max(rows[rows.length - 1][t], t0 + 1);
  const ticks = hashrateTicks(Math.max(0, ...rows.flatMap((r) => series.map((s) => r[s.i]))) * GH);
  const max = ticks[ticks.length - 1] / GH;
  const x = (ts) => pad.l + ((ts - t0) / (t1 - t0)) * (width - pad.l - pad.r);
  const y = (v) => height - pad.b - (v / max) * (height - pad.t - pad.b);
  ctx.strokeStyle = '#2a3245';
  ctx.fillStyle = '#8b95a8';
  ctx.font = '11px sans-serif';
  const axisLabels = ticks.map(formatHashrate);
  ticks.forEach((tick, k) => {
    const v = tick / GH;
    ctx.beginPath();
    ctx.moveTo(pad.l, y(v));
    ctx.lineTo(width - pad.r, y(v));
    ctx.stroke();
    ctx.fillText(axisLabels[k], 4, y(v) + 4);
  });
  canvas.dataset.axis = axisLabels.join('|');
  // The total last, on top: on a one-chain rig the chain line is the total and would hide it.
  const isTotal = ({ s }) => (s.label === 'hashrate' ? 1 : 0);
  const drawOrder = series.map((s, n) => ({ s, n })).sort((a, b) => isTotal(a) - isTotal(b));
  drawOrder.forEach(({ s, n }) => {
    ctx.strokeStyle = COLORS[n % COLORS.length];
    ctx.fillStyle = ctx.strokeStyle;
    ctx.lineWidth = s.label === 'hashrate' ? 2.5 : 1.5;
    ctx.beginPath();
    rows.forEach((r, k) => {
      if (k === 0) ctx.moveTo(x(r[t]), y(r[s.i]));
      else ctx.lineTo(x(r[t]), y(r[s.i]));
    });
    ctx.stroke();
    if (rows.length === 1) ctx.fillRect(x(rows[0][t]) - 2, y(rows[0][s.i]) - 2, 5, 5);
  });
  $('legend').innerHTML = series
    .map(
      (s, n) =>
        `<span style="color:${COLORS[n % COLORS.length]}">${s.label === 'hashrate' ? 'total' : s.label.replace('hashrate_', '')}</span>`,
    )
    .join('');
  return rows.length;
}

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

async function refresh() {
  const [info, snapshot, stats] = await Promise.all([
    getJson('/api/system/info'),
    getJson('/api/sv2miner/snapshot'),
    getJson('/api/system/statistics'),
  ]);
  renderInfo(info);
  renderSnapshot(snapshot);
  const drawn = drawChart($('chart'), stats);
  document.body.dataset.chartRows = String(drawn);
  return info;
}

/** One readable, wrapping row per log entry (time, level, module, message); the newest LOG_LINES kept. */
function appendLog(line) {
  const box = $('log');
  const entry = formatLogLine(line);
  const row = document.createElement('div');
  row.className = `entry ${entry.level.toLowerCase()}`;
  for (const [name, text] of [
    ['time', entry.time],
    ['level', entry.level],
    ['module', entry.module],
    ['message', entry.message],
  ]) {
    const part = document.createElement('span');
    part.className = name;
    part.textContent = text;
    row.append(part);
  }
  const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
  box.append(row);
  while (box.childElementCount > LOG_LINES) box.firstElementChild.remove();
  if (atBottom) box.scrollTop = box.scrollHeight;
}

function follow() {
  const events = new EventSource('/api/events');
  events.addEventListener('log', (e) => appendLog(e.data));
  events.addEventListener('status', (e) => renderSnapshot(JSON.parse(e.data)));
}

function fillForm(info) {
  $('frequency').value = info.frequency;
  $('stratumURL').placeholder = info.pools[0]?.url ?? 'stratum2+tcp://host:port/key';
  $('stratumUser').value = info.stratumUser;
  $('autofanspeed').checked = info.autofanspeed === 1;
  // The setting, not the duty the PID or an override runs the fan at now (AxeOS's fanspeed).
  $('fanspeed').value = info.manualFanSpeed;
}

async function save(event) {
  event.preventDefault();
  const token = $('token').value.trim();
  localStorage.setItem('sv2miner.token', token);
  const body = { frequency: Number($('frequency').value), autofanspeed: $('autofanspeed').checked ? 1 : 0 };
  if ($('fanspeed').value !== '') body.fanspeed = Number($('fanspeed').value);
  if ($('stratumURL').value.trim() !== '') body.stratumURL = $('stratumURL').value.trim();
  if ($('stratumUser').value.trim() !== '') body.stratumUser = $('stratumUser').value.trim();
  if ($('stratumPassword').value !== '') body.stratumPassword = $('stratumPassword').value;
  const out = $('result');
  const res = await fetch('/api/system', {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const reply = await res.json().catch(() => ({}));
  out.className = res.ok ? '' : 'error';
  out.textContent = res.ok ? 'saved' : `${res.status}: ${reply.error ?? 'failed'}`;
  $('stratumPassword').value = '';
}

async function main() {
  $('token').value = localStorage.getItem('sv2miner.token') ?? '';
  $('settings').addEventListener('submit', (e) => {
    save(e).catch((error) => {
      $('result').textContent = String(error);
    });
  });
  follow();
  fillForm(await refresh());
  document.body.dataset.ready = 'true';
  setInterval(() => {
    refresh().catch((error) => appendLog(`dashboard: ${error}`));
  }, 5000);
}

main().catch((error) => appendLog(`dashboard: ${error}`));

// sv2miner dashboard logic: polls the AxeOS API, follows /api/events, draws the hashrate chart on
// a canvas by hand and PATCHes settings with the bearer token kept in localStorage. Plain ES module.

const $ = (id) => document.getElementById(id);
const COLORS = ['#f7931a', '#4fc3f7', '#81c784', '#ba68c8', '#e57373', '#fff176'];
const BACKGROUND = '#0b0f16';
const LOG_LINES = 300;

const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const ago = (s) => (s === null ? 'never' : s < 60 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`);
const cell = (values) => `<tr>${values.map((v) => `<td>${escapeHtml(String(v))}</td>`).join('')}</tr>`;

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderInfo(info) {
  $('hashrate').textContent = `${fmt(info.hashRate)} GH/s`;
  $('expected').textContent = `expected ${fmt(info.expectedHashrate)} GH/s`;
  $('shares').textContent = `${info.sharesAccepted} / ${info.sharesRejected}`;
  $('rejects').textContent =
    info.sharesRejectedReasons.map((r) => `${r.message}: ${r.count}`).join(', ') || 'no rejects';
  $('pool').textContent = info.stratumURL ? `${info.stratumURL}:${info.stratumPort}` : 'local pool';
  $('temp').textContent = `${fmt(info.temp, 1)} °C`;
  $('fan').textContent = `fan ${info.fanspeed}%${info.fanrpm ? ` · ${info.fanrpm} rpm` : ''}`;
  $('best').textContent = fmt(info.bestSessionDiff, 0);
  $('uptime').textContent = `up ${ago(info.uptimeSeconds)}`;
  $('board').textContent = `${info.ASICModel} ×${info.asicCount} · ${info.boardVersion} · ${info.version}`;
  const state = $('state');
  state.textContent = info.miningPaused ? 'paused' : 'mining';
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
        p.difficulty,
        p.lastRoundTripMs ?? '–',
      ]),
    )
    .join('');
  $('chains').tBodies[0].innerHTML = s.chains
    .map((c) =>
      cell([
        c.index,
        c.chipCount,
        c.frequencyMhz,
        fmt(c.hashrate.h1m / 1e9),
        c.state,
        c.hardwareErrors,
        c.uartJunkBytes,
        c.temperatureC ?? '–',
      ]),
    )
    .join('');
  $('chips').tBodies[0].innerHTML = s.chips
    .map((c) =>
      cell([
        c.chain,
        c.index,
        `0x${c.address.toString(16)}`,
        fmt(c.hashrate.h1m / 1e9),
        c.nonces,
        c.hardwareErrors,
        c.crcErrors,
        ago(c.lastNonceAgeS),
      ]),
    )
    .join('');
}

/** Total hashrate plus one line per chain, time on x, GH/s on y. */
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
  const pad = { l: 48, r: 10, t: 10, b: 22 };
  const t0 = rows[0][t];
  const t1 = Math.max(rows[rows.length - 1][t], t0 + 1);
  const max = Math.max(1e-9, ...rows.flatMap((r) => series.map((s) => r[s.i]))) * 1.1;
  const x = (ts) => pad.l + ((ts - t0) / (t1 - t0)) * (width - pad.l - pad.r);
  const y = (v) => height - pad.b - (v / max) * (height - pad.t - pad.b);
  ctx.strokeStyle = '#2a3245';
  ctx.fillStyle = '#8b95a8';
  ctx.font = '11px sans-serif';
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    ctx.beginPath();
    ctx.moveTo(pad.l, y(v));
    ctx.lineTo(width - pad.r, y(v));
    ctx.stroke();
    ctx.fillText(v.toFixed(v < 10 ? 2 : 0), 4, y(v) + 4);
  }
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

function appendLog(line) {
  const pre = $('log');
  const lines = `${pre.textContent}${line}\n`.split('\n');
  pre.textContent = lines.slice(Math.max(0, lines.length - LOG_LINES - 1)).join('\n');
  pre.scrollTop = pre.scrollHeight;
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
  $('fanspeed').value = info.fanspeed;
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

/**
 * The commented example config for one board, as the package ships it in
 * /etc/sv2miner/examples/<board>.json5 (JSON5, so it can carry comments and node-config still
 * reads it). A rig copies its keys into /etc/sv2miner/local.json, which stays plain JSON: the
 * API writes settings back there, and a second local file would override those writes.
 * Built from the board table so the wiring notes never drift from boards/*.ts.
 */
import type { BoardDefinition, ControlLine, SensorDefinition } from '../../boards/types.js';

/** A pool entry of the right form; the key is a placeholder a user must replace. */
const PLACEHOLDER_POOL =
  'stratum2+tcp://pool.example.com:34254/9auqWEzQDVyd2oe1JVGFLMLHZtCo2FFqZwtKA5gd9xbuEu7PH72';

export function exampleConfig(board: BoardDefinition): string {
  const wiring = [
    ...board.chains.map((c, i) => `chain ${i}: ${c.chipCount} x ${board.chip} on ${c.uartPath}`),
    `reset (NRST): ${lineText(board.reset)}`,
    `power enable: ${lineText(board.powerEnable)}`,
    ...board.sensors.map(sensorText),
  ];
  return [
    `// sv2miner example for board "${board.id}": ${board.description}.`,
    ...wiring.map((w) => `//   ${w}`),
    ...(board.notes === undefined ? [] : [`// Note: ${board.notes}.`]),
    '// Copy the keys into /etc/sv2miner/local.json as plain JSON (quoted keys, no comments:',
    '// the API saves settings there), then: sv2miner check-config && systemctl restart sv2miner',
    '{',
    `  board: ${JSON.stringify(board.id)},`,
    "  // Pools in priority order. Each URL carries the pool's authority key (see the README's",
    '  // "Pools" list); replace this placeholder with a real pool and your worker name.',
    `  pools: [{ url: ${JSON.stringify(PLACEHOLDER_POOL)}, user: "worker1" }],`,
    `  // MHz, at most ${board.maxFrequencyMhz} on this board; omit for the default.`,
    `  frequencyMhz: ${board.defaultFrequencyMhz},`,
    '  // AxeOS-compatible REST API and dashboard (port 80 for pyasic), cgminer API on 4028.',
    '  // Writes need the token in /var/lib/sv2miner/api-token, or set one here as "token".',
    '  api: { host: "0.0.0.0", port: 80, cgminerPort: 4028 },',
    '  // Throttle, then stop hashing, at these chip temperatures (°C).',
    '  thermal: { throttleC: 70, shutdownC: 80, hysteresisC: 5, maxBadReadings: 3 },',
    '}',
    '',
  ].join('\n');
}

function lineText(line: ControlLine | undefined): string {
  if (line === undefined) return 'none';
  const level = line.activeLow ? 'active low' : 'active high';
  switch (line.kind) {
    case 'gpiochip':
      return `${line.chip} line ${line.line} (BCM GPIO ${line.line}), ${level}`;
    case 'bridge':
      return `bridge pin ${line.pin} on ${line.controlPort}, ${level}`;
    case 'sim':
      return `simulated, ${level}`;
  }
}

function sensorText(sensor: SensorDefinition): string {
  switch (sensor.kind) {
    case 'sysfs':
      return `sensor ${sensor.label}: ${sensor.path}`;
    case 'sim':
      return `sensor ${sensor.label}: simulated ${sensor.celsius} °C`;
    default:
      return `sensor ${sensor.label}: ${sensor.kind.toUpperCase()} at 0x${sensor.address.toString(16)} on ${sensor.bus}`;
  }
}

/**
 * Readable text for a pool-check report (the default output of `sv2miner pool-check`): one line per
 * step that ran, then a verdict line naming the first failure. The --json form is the report itself.
 */
import type { PoolCheckReport } from './check.js';

export function formatPoolCheck(r: PoolCheckReport): string[] {
  const lines = [`pool:      ${r.url}`];
  if (r.tcp !== undefined) lines.push(`tcp:       connected in ${r.tcp.connect_ms.toFixed(1)} ms`);
  if (r.noise !== undefined) {
    const auth = r.noise.authenticated ? 'certificate verified' : 'NOT verified (insecure)';
    lines.push(`noise:     handshake in ${r.noise.handshake_ms.toFixed(1)} ms, ${auth}`);
    const c = r.noise.certificate;
    if (c !== undefined)
      lines.push(`cert:      valid from ${c.valid_from} until ${c.not_valid_after} (version ${c.version})`);
  }
  if (r.setup !== undefined) {
    lines.push(
      r.setup.ok
        ? `setup:     ok, version ${r.setup.used_version}, flags 0x${hex(r.setup.flags)}`
        : `setup:     refused: ${r.setup.error_code} (flags 0x${hex(r.setup.flags)})`,
    );
  }
  if (r.channel !== undefined) {
    lines.push(
      r.channel.ok
        ? `channel:   id ${r.channel.channel_id} (group ${r.channel.group_channel_id}), difficulty ${formatDifficulty(r.channel.difficulty)}, extranonce prefix ${r.channel.extranonce_prefix || '(none)'}`
        : `channel:   refused: ${r.channel.error_code}`,
    );
  }
  if (r.job !== undefined) {
    lines.push(
      r.job.received
        ? `job:       job ${r.job.job_id} + SetNewPrevHash after ${(r.job.wait_ms ?? 0).toFixed(1)} ms, nbits 0x${hex(r.job.nbits ?? 0)}`
        : 'job:       none before the deadline',
    );
  }
  lines.push(
    r.ok
      ? 'result:    OK, a miner can work with this pool'
      : `result:    FAILED at ${r.failed_step ?? '?'}: ${r.reason ?? 'unknown reason'}`,
  );
  return lines;
}

function formatDifficulty(d: number): string {
  if (d >= 1000 || d < 0.001) return d.toExponential(3);
  return d.toPrecision(4);
}

function hex(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}

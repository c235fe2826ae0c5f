/**
 * The miner daemon as the APIs see it: MinerCore (miner-core.ts: pool jobs to chips, shares to the
 * pool, health, snapshots) plus RigControl (src/api/snapshot.ts): pause/resume, in-process
 * restart, settings validated like the config file and persisted to local.json, pool edits, logs.
 */
import type { RigControl, RigSnapshot, SettingsPatch } from '../../api/snapshot.js';
import {
  configPatch,
  localConfigPath,
  patchedConfig,
  persistSettings,
  type SettingsKey,
} from '../../app/settings.js';
import type { Config, PoolConfig } from '../../config/schema.js';
import { ConfigError } from '../../errors.js';
import { MinerCore } from './miner-core.js';

export class Miner extends MinerCore implements RigControl {
  pause(): Promise<void> {
    return this.serial(async () => {
      if (this.paused) return;
      this.paused = true;
      this.log.info('paused: chips held in reset');
      await this.rig?.close();
      this.emitStatus();
    });
  }

  resume(): Promise<void> {
    return this.serial(async () => {
      if (!this.paused) return;
      // Only the latch itself resumes a latched rig (it releases first): cool, held, cleared.
      if (this.latch?.latched === true)
        throw new ConfigError(
          'overheat_mode',
          `the overheat latch released first (waiting for ${this.latch.snapshot().waitingFor ?? 'the next thermal sample'})`,
          `latched: ${this.latch.reason ?? 'no reason'}`,
        );
      this.latchPaused = false;
      this.paused = false;
      this.regulatorFault = undefined;
      await this.startRig();
      this.log.info('resumed');
      this.emitStatus();
    });
  }

  restart(): Promise<void> {
    return this.serial(async () => {
      this.log.info('restarting: chains re-initialised, pools reconnected');
      await this.rig?.close();
      this.lastJob = undefined;
      await this.pools?.rebuild();
      if (!this.paused) await this.startRig();
      this.emitStatus();
    });
  }

  applySettings(patch: SettingsPatch): Promise<void> {
    return this.serial(async () => {
      const change = this.withoutUnchangedPools(configPatch(patch, this.config));
      const next = patchedConfig(this.config, change);
      const keys: SettingsKey[] = [];
      if (change.fan !== undefined) {
        keys.push('fan');
        this.config = patchedConfig(this.config, { fan: change.fan });
        if (this.currentRig?.chains[0]?.io.fan === undefined)
          // Kept for the APIs and for a board that has a fan driver.
          this.log.warn('fan settings stored but not applied: this board has no fan control');
        await this.applyFan();
      }
      // Not a config key: the latch's own state file records the clear.
      if (patch.overheatClear === true) await this.latch?.clear();
      if (change.frequencyMhz !== undefined) {
        keys.push('frequencyMhz');
        this.config = next;
        await this.applyFrequency();
      }
      if (change.coreVoltage !== undefined) {
        // Validated against the board above (patchedConfig); the regulator takes it at the
        // next power-up, which a restart performs.
        keys.push('coreVoltage');
        this.config = next;
        this.log.info(
          { coreVoltage: change.coreVoltage },
          'core voltage stored; applied at the next power-up',
        );
      }
      if (change.pools !== undefined) {
        keys.push('pools');
        this.config = next;
        await this.pools?.replace(next.pools);
        // The embedded pool (ephemeral port, per-run key) must not land in local.json.
        this.config = patchedConfig(this.config, { pools: this.persistedPools() });
      }
      if (keys.length > 0) await persistSettings(localConfigPath(this.o.configDir), this.config, keys);
      this.emitStatus();
    });
  }

  switchPool(index: number): Promise<void> {
    return this.serial(async () => {
      await this.pools?.switchTo(index);
      this.emitStatus();
    });
  }

  setPoolEnabled(index: number, enabled: boolean): Promise<void> {
    return this.serial(async () => {
      await this.pools?.setEnabled(index, enabled);
      this.emitStatus();
    });
  }

  addPool(pool: { url: string; user: string; password?: string }): Promise<void> {
    return this.serial(async () => {
      const next = patchedConfig(this.config, { pools: [...this.persistedPools(), pool] });
      const added = next.pools.at(-1);
      if (added === undefined) return;
      await this.pools?.add(added);
      await this.persistPools();
      this.emitStatus();
    });
  }

  removePool(index: number): Promise<void> {
    return this.serial(async () => {
      await this.pools?.remove(index);
      await this.persistPools();
      this.emitStatus();
    });
  }

  recentLogs(): readonly string[] {
    return this.o.logTap?.recent() ?? [];
  }

  onLog(listener: (line: string) => void): () => void {
    return this.o.logTap?.onLine(listener) ?? (() => {});
  }

  onStatus(listener: (snapshot: RigSnapshot) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /**
   * AxeOS clients (our dashboard too) send the whole pool form with every save: a list equal to
   * the running one is no change, so saving a frequency neither reconnects nor persists pools.
   */
  private withoutUnchangedPools(
    change: Partial<Pick<Config, SettingsKey>>,
  ): Partial<Pick<Config, SettingsKey>> {
    const current = this.pools?.configs() ?? [];
    const { pools, ...rest } = change;
    const same =
      pools !== undefined &&
      pools.length === current.length &&
      pools.every((p, i) => {
        const c = current[i];
        return (
          c !== undefined &&
          p.url === c.url &&
          p.user === c.user &&
          (p.insecure ?? false) === (c.insecure ?? false) &&
          (p.channel ?? 'standard') === (c.channel ?? 'standard') &&
          (p.password === undefined || p.password === c.password)
        );
      });
    return same ? rest : change;
  }

  /** Pools as the config file should hold them (the embedded pool's URL is not persisted). */
  private persistedPools(): PoolConfig[] {
    return (this.pools?.configs() ?? []).filter((p) => p.url !== this.embeddedUrl);
  }

  private async persistPools(): Promise<void> {
    this.config = patchedConfig(this.config, { pools: this.persistedPools() });
    await persistSettings(localConfigPath(this.o.configDir), this.config, ['pools']);
  }
}

/**
 * A board definition's power section turned into drivers: its core regulator on the board's I2C
 * bus (TPS546 with the named profile and the board's series voltage domains, or the DS4432U
 * adapter), its fan controller, and the allowed core-voltage range, which is the board's range
 * narrowed to what the regulator can reach.
 */
import type {
  Ds4432uNetworkName,
  FanDefinition,
  PowerDefinition,
  RegulatorDefinition,
  Tps546ProfileName,
} from '../../boards/types.js';
import { Emc2101Fan } from '../fans/emc2101.js';
import { Emc2103Fan } from '../fans/emc2103.js';
import { Emc2302Fans } from '../fans/emc2302.js';
import type { FanController } from '../fans/fan.js';
import type { I2cBus } from '../peripherals/i2c.js';
import {
  BITAXE_TPS40305,
  Ds4432u,
  type Ds4432uNetwork,
  ds4432uRangeMv,
  EMBERONE_LM25119,
} from './ds4432u.js';
import { Ds4432uRegulator } from './ds4432u-regulator.js';
import type { CoreRegulator } from './sequencer.js';
import { Tps546 } from './tps546.js';
import {
  TPS546_5V_SINGLE,
  TPS546_12V_THREE_DOMAINS,
  TPS546_12V_TWO_PHASE,
  type Tps546Profile,
} from './tps546-profiles.js';

const TPS546_PROFILES: Readonly<Record<Tps546ProfileName, Tps546Profile>> = {
  '5v-single': TPS546_5V_SINGLE,
  '12v-three-domains': TPS546_12V_THREE_DOMAINS,
  '12v-two-phase': TPS546_12V_TWO_PHASE,
};

const DS4432U_NETWORKS: Readonly<Record<Ds4432uNetworkName, Ds4432uNetwork>> = {
  'bitaxe-tps40305': BITAXE_TPS40305,
  'emberone-lm25119': EMBERONE_LM25119,
};

export function regulatorFor(
  def: RegulatorDefinition,
  bus: I2cBus,
  voltageDomains: number,
  sleep?: (ms: number) => Promise<void>,
): CoreRegulator {
  if (def.kind === 'tps546')
    return new Tps546(bus, {
      address: def.address,
      profile: TPS546_PROFILES[def.profile],
      voltageDomains,
      ...(sleep === undefined ? {} : { sleep }),
    });
  return new Ds4432uRegulator(new Ds4432u(bus, def.address, DS4432U_NETWORKS[def.network]), voltageDomains);
}

export function fanFor(def: FanDefinition, bus: I2cBus): FanController {
  const options = { label: def.label, address: def.address };
  switch (def.kind) {
    case 'emc2101':
      return new Emc2101Fan(bus, options);
    case 'emc2302':
      return new Emc2302Fans(bus, options);
    case 'emc2103':
      return new Emc2103Fan(bus, options);
  }
}

/** The core voltages (mV per chip) the board allows and its regulator reaches. */
export function allowedCoreMv(power: PowerDefinition, voltageDomains: number): { min: number; max: number } {
  const reach =
    power.regulator.kind === 'tps546'
      ? (() => {
          const { minV, maxV } = TPS546_PROFILES[power.regulator.profile].vout;
          return {
            min: Math.ceil((minV * 1000) / voltageDomains),
            max: Math.floor((maxV * 1000) / voltageDomains),
          };
        })()
      : (() => {
          const { min, max } = ds4432uRangeMv(DS4432U_NETWORKS[power.regulator.network]);
          return { min: Math.ceil(min / voltageDomains), max: Math.floor(max / voltageDomains) };
        })();
  return {
    min: Math.max(power.coreVoltageMv.min, reach.min),
    max: Math.min(power.coreVoltageMv.max, reach.max),
  };
}

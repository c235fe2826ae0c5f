/**
 * Client request fields against outside bytes: SRI's own SetupConnection and
 * OpenStandardMiningChannel frames (test/vectors/sri_noise_handshake_transcript.json, plain
 * frames) and sv2-tp's SetupConnection; plus the Success-flag reading and the channel count rule.
 */
import { describe, expect, it } from 'vitest';
import { MAX_TARGET } from '../../src/bitcoin/target.js';
import { bytesToHex } from '../../src/bytes/hex.js';
import { encodeMessage } from '../../src/sv2/codec.js';
import {
  BIP320_MASK,
  channelsNeeded,
  DEVICE_SETUP_FLAGS,
  openChannelFields,
  readSetupSuccess,
  setupConnectionFields,
} from '../../src/upstream/requests.js';
import { readVectorJson } from '../helpers/vectors.js';

const sri = readVectorJson('sri_noise_handshake_transcript.json') as Record<string, string>;

describe('request fields', () => {
  it('SetupConnection encodes to SRI client bytes for the same inputs', () => {
    const fields = setupConnectionFields(
      { host: '127.0.0.1', port: 34254 },
      { vendor: 'sri-client', hardwareVersion: 'cpu', firmware: '0.1', deviceId: 'dev0' },
      0,
    );
    expect(bytesToHex(encodeMessage('SetupConnection', fields))).toBe(
      sri['msg1_setup_connection_plain_frame'],
    );
  });

  it('device default flags are 0x5 (standard jobs + version rolling)', () => {
    expect(DEVICE_SETUP_FLAGS).toBe(5);
    const f = setupConnectionFields(
      { host: 'pool.example', port: 3336 },
      { vendor: 'sv2miner', hardwareVersion: 'h', firmware: 'f', deviceId: '' },
    );
    expect(f).toMatchObject({
      protocol: 0,
      min_version: 2,
      max_version: 2,
      flags: 5,
      endpoint_host: 'pool.example',
    });
  });

  it('OpenStandardMiningChannel encodes to SRI bytes (request 7, 1 MH/s as F32, no max target)', () => {
    const fields = openChannelFields(7, 'sri-client.worker', 1e6, MAX_TARGET);
    expect(bytesToHex(encodeMessage('OpenStandardMiningChannel', fields))).toBe(
      sri['msg3_open_standard_mining_channel_plain_frame'],
    );
  });
});

describe('readSetupSuccess', () => {
  it('gives up on REQUIRES_EXTENDED_CHANNELS', () => {
    expect(readSetupSuccess(2, 5, BIP320_MASK).kind).toBe('give-up');
  });
  it('stops rolling on REQUIRES_FIXED_VERSION, but not on an echo of our own 0x5', () => {
    expect(readSetupSuccess(1, 5, BIP320_MASK)).toEqual({ kind: 'ok', versionMask: 0, echoed: false });
    expect(readSetupSuccess(5, 5, BIP320_MASK)).toEqual({
      kind: 'ok',
      versionMask: BIP320_MASK,
      echoed: true,
    });
    expect(readSetupSuccess(0, 5, BIP320_MASK)).toEqual({
      kind: 'ok',
      versionMask: BIP320_MASK,
      echoed: false,
    });
  });
});

describe('channelsNeeded', () => {
  it('is at least the requested count and at least hashrate / 2^48', () => {
    expect(channelsNeeded(1e12)).toBe(1);
    expect(channelsNeeded(1e12, 3)).toBe(3);
    expect(channelsNeeded(2 ** 48)).toBe(1);
    expect(channelsNeeded(2 ** 48 + 1)).toBe(2);
    expect(channelsNeeded(1e15)).toBe(4); // 1 PH/s / 281.5 TH
    expect(channelsNeeded(Number.NaN, 2)).toBe(2);
  });
});

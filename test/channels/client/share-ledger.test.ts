/**
 * Share ledger: sequence numbers from 0, strictly +1, wrapping at 2^32; batched Success acks
 * every seq <= last (serial arithmetic), per-share Error, late Error after an ack, write-offs.
 */
import { describe, expect, it } from 'vitest';
import { ShareLedger, seqLe } from '../../../src/channels/client/share-ledger.js';

describe('ShareLedger', () => {
  it('numbers shares 0,1,2,... and acks a batch up to last_sequence_number', () => {
    const l = new ShareLedger();
    const seqs = [0, 1, 2, 3, 4].map((i) => l.record(10 + i, 1, 100 + i).seq);
    expect(seqs).toEqual([0, 1, 2, 3, 4]);
    expect(l.reject(1)).toEqual({
      kind: 'rejected',
      share: { seq: 1, jobId: 11, difficulty: 1, sentAt: 101 },
    });
    const ack = l.acknowledge(3, 3, 150);
    expect(ack.accepted.map((s) => s.seq)).toEqual([0, 2, 3]);
    expect(ack.mismatch).toBe(false);
    expect(ack.roundTripMs).toBe(47);
    expect(l.inFlight).toBe(1);
    const second = l.acknowledge(4, 2, 160);
    expect(second.accepted.map((s) => s.seq)).toEqual([4]);
    expect(second.mismatch).toBe(true);
    expect(l.acknowledge(4, 0, 170).accepted).toEqual([]);
  });

  it('is mod-2^32 aware across the wrap', () => {
    expect(seqLe(0xffff_fffe, 1)).toBe(true);
    expect(seqLe(1, 0xffff_fffe)).toBe(false);
    const l = new ShareLedger({ firstSequence: 0xffff_fffe });
    expect([0, 1, 2, 3].map(() => l.record(1, 1, 0).seq)).toEqual([0xffff_fffe, 0xffff_ffff, 0, 1]);
    expect(l.acknowledge(0, 3, 0).accepted.map((s) => s.seq)).toEqual([0xffff_fffe, 0xffff_ffff, 0]);
    expect(l.inFlight).toBe(1);
  });

  it('moves a share rejected after its batch ack, and ignores unknown sequence numbers', () => {
    const l = new ShareLedger();
    l.record(1, 1, 0);
    l.record(1, 1, 0);
    l.acknowledge(1, 2, 5);
    expect(l.reject(0).kind).toBe('rejected-after-ack');
    expect(l.reject(0).kind).toBe('unknown');
    expect(l.reject(77).kind).toBe('unknown');
  });

  it('evicts the oldest share when too many are in flight and drains on disconnect', () => {
    const l = new ShareLedger({ maxPending: 2 });
    l.record(1, 1, 0);
    l.record(2, 1, 0);
    const r = l.record(3, 1, 0);
    expect(r.evicted?.seq).toBe(0);
    expect(l.drain().map((s) => s.seq)).toEqual([1, 2]);
    expect(l.inFlight).toBe(0);
  });
});

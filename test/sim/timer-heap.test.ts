/** TimerHeap against a sorted-array model: push, pop and remove in any order keep (at, seq) order. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TimerHeap, type HeapEntry } from '../../src/node/sim/timer-heap.js';

type Op = { kind: 'push'; at: number } | { kind: 'pop' } | { kind: 'remove'; pick: number };

describe('TimerHeap', () => {
  it('property: matches a sorted list under random push/pop/remove', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), at: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ kind: fc.constant('pop' as const) }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const heap = new TimerHeap<HeapEntry>();
        let model: HeapEntry[] = [];
        const removed: HeapEntry[] = [];
        let seq = 0;
        for (const o of ops) {
          if (o.kind === 'push') {
            const e: HeapEntry = { at: o.at, seq: seq++, heapIndex: -1 };
            heap.push(e);
            model.push(e);
            model.sort((a, b) => a.at - b.at || a.seq - b.seq);
          } else if (o.kind === 'pop') {
            expect(heap.pop()).toBe(model.shift());
          } else if (model.length > 0) {
            const victim = model[o.pick % model.length]!;
            expect(heap.remove(victim)).toBe(true);
            model = model.filter((e) => e !== victim);
            removed.push(victim);
          }
          expect(heap.size).toBe(model.length);
          expect(heap.peek()).toBe(model[0]);
        }
        // Entries that left the heap cannot be removed again.
        for (const e of removed) expect(heap.remove(e)).toBe(false);
        while (model.length > 0) expect(heap.pop()).toBe(model.shift());
        expect(heap.pop()).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * The control-line splitter and parser (no root needed): chunk boundaries never change the lines, long
 * lines are dropped without unbounded buffering, and parsing arbitrary text never throws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter, parseLabEvent } from './json-lines.js';

/** Cuts `text` at the given (sorted, deduplicated) offsets. */
function cut(text: string, offsets: number[]): string[] {
  const points = [...new Set(offsets.map((o) => o % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(text.slice(start, p));
    start = p;
  }
  chunks.push(text.slice(start));
  return chunks;
}

const lineText = fc.string({ maxLength: 40 }).filter((s) => !s.includes('\n') && !s.includes('\r'));

describe('LineSplitter', () => {
  it('yields the same lines however the stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(lineText, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), (lines, offsets, crlf) => {
        const text = lines.map((l) => l + (crlf ? '\r\n' : '\n')).join('');
        const splitter = new LineSplitter();
        const out = cut(text, offsets).flatMap((c) => splitter.push(c));
        out.push(...splitter.end());
        expect(out).toEqual(lines);
      }),
    );
  });

  it('returns an unterminated last line at the end of the stream', () => {
    const s = new LineSplitter();
    expect(s.push('{"event":"a"}\n{"event"')).toEqual(['{"event":"a"}']);
    expect(s.push(':"b"}')).toEqual([]);
    expect(s.end()).toEqual(['{"event":"b"}']);
    expect(s.end()).toEqual([]);
  });

  it('drops lines over the cap, whether they arrive whole or in pieces, and keeps the next ones', () => {
    const s = new LineSplitter(10);
    expect(s.push('0123456789ABC\nok\n')).toEqual(['ok']);
    expect(s.oversized).toBe(1);
    expect(s.push('0123456')).toEqual([]);
    expect(s.push('789ABCDEF')).toEqual([]);
    expect(s.push('GHIJ\nafter\n')).toEqual(['after']);
    expect(s.oversized).toBe(2);
    expect(s.push('exactly10!\n')).toEqual(['exactly10!']);
    expect(s.oversized).toBe(2);
  });
});

describe('parseLabEvent', () => {
  it('accepts JSON objects with a string event and keeps their fields', () => {
    expect(parseLabEvent('{"event":"ready","port":7000}')).toEqual({ event: 'ready', port: 7000 });
  });

  it('rejects everything else without throwing', () => {
    for (const line of ['', 'ready', '[]', '"x"', 'null', '{"event":3}', '{"port":1}', '{"event":"a"', '{"event":["a"]}']) {
      expect(parseLabEvent(line)).toBeNull();
    }
    fc.assert(
      fc.property(fc.string(), (line) => {
        const e = parseLabEvent(line);
        expect(e === null || typeof e.event === 'string').toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const e = parseLabEvent(JSON.stringify(value));
        const isEvent = typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { event?: unknown }).event === 'string';
        expect(e !== null).toBe(isEvent);
      }),
    );
  });
});

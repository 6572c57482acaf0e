/**
 * The binary frames of a pipe/listen stream (cmd/stream-frames.ts) and the line splitter's hand-over to
 * them: frames decode the same however the byte stream is chunked, arbitrary bytes never throw, unknown
 * types and oversized frames are refused before buffering, and the bytes after the last JSON line are kept.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../cmd/line-splitter.js';
import { FRAME_DATA, FRAME_END, FRAME_EOF, FRAME_ERROR, FRAME_HEADER_BYTES, FrameReader, encodeFrame, encodeJsonFrame, frameHeader } from '../../cmd/stream-frames.js';

const ALL = [FRAME_DATA, FRAME_EOF, FRAME_END, FRAME_ERROR];
const arbFrame = fc.record({ type: fc.constantFrom(...ALL), payload: fc.uint8Array({ maxLength: 300 }) });

/** Cuts `bytes` at the given (sorted, deduplicated) offsets. */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  out.push(bytes.subarray(at));
  return out;
}

describe('stream frames', () => {
  it('decode to the same frames however the stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(arbFrame, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, offsets) => {
        const wire = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.payload)));
        const reader = new FrameReader(1024, ALL);
        const got: Array<{ type: number; payload: number[] }> = [];
        for (const chunk of cut(wire, offsets)) {
          const r = reader.push(Buffer.from(chunk));
          expect(r.ok).toBe(true);
          if (r.ok) for (const f of r.value) got.push({ type: f.type, payload: [...f.payload] });
        }
        expect(got).toEqual(frames.map((f) => ({ type: f.type, payload: [...f.payload] })));
        expect(reader.bufferedBytes).toBe(0);
      }),
    );
  });

  it('never throw on arbitrary bytes, and stay failed after an error', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const reader = new FrameReader(100, [FRAME_DATA, FRAME_EOF]);
        let failed = false;
        for (const c of chunks) {
          const r = reader.push(Buffer.from(c));
          if (failed) expect(r.ok).toBe(false);
          if (!r.ok) failed = true;
        }
      }),
    );
  });

  it('refuse a type not expected in that direction, and a frame over the limit from its header alone', () => {
    const toNode = new FrameReader(1024, [FRAME_DATA, FRAME_EOF]);
    const end = toNode.push(encodeJsonFrame(FRAME_END, { bytesIn: 1, bytesOut: 2 }));
    expect(end.ok).toBe(false);
    const big = new FrameReader(1024, ALL);
    const r = big.push(frameHeader(FRAME_DATA, 1025));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/1025 bytes exceeds the limit of 1024/);
    expect(big.bufferedBytes).toBe(0);
  });

  it('hold a large split frame without copying it per chunk, and hand out views of whole frames', () => {
    const payload = Buffer.alloc(100_000, 7);
    const wire = encodeFrame(FRAME_DATA, payload);
    const reader = new FrameReader(1 << 20, ALL);
    let frames = 0;
    for (let at = 0; at < wire.length; at += 4096) {
      const r = reader.push(wire.subarray(at, Math.min(at + 4096, wire.length)));
      expect(r.ok).toBe(true);
      if (r.ok && r.value.length > 0) {
        frames += r.value.length;
        expect(r.value[0]!.payload.equals(payload)).toBe(true);
      } else expect(reader.bufferedBytes).toBe(Math.min(at + 4096, wire.length));
    }
    expect(frames).toBe(1);
    const whole = encodeFrame(FRAME_DATA, Buffer.from('abc'));
    const r = new FrameReader(10, ALL).push(whole);
    expect(r.ok && r.value[0]!.payload.buffer).toBe(whole.buffer);
    expect(FRAME_HEADER_BYTES).toBe(5);
  });
});

describe('line splitter hand-over', () => {
  it('keeps the bytes after the line that stopped it, and refuses later pushes', () => {
    const splitter = new LineSplitter(1024);
    const lines: string[] = [];
    const frame = encodeFrame(FRAME_DATA, Buffer.from('\n\nnot lines\n'));
    const chunk = Buffer.concat([Buffer.from('{"id":1,"event":{}}\n'), frame]);
    expect(
      splitter.push(chunk, (line) => {
        lines.push(line.toString());
        splitter.stop();
      }),
    ).toBe(true);
    expect(lines).toEqual(['{"id":1,"event":{}}']);
    expect(splitter.takeRest().equals(frame)).toBe(true);
    expect(splitter.push(Buffer.from('x\n'), () => lines.push('late'))).toBe(false);
    expect(lines).toHaveLength(1);
  });

  it('hands over an unfinished line held from an earlier chunk when stopped between chunks', () => {
    const splitter = new LineSplitter(1024);
    splitter.push(Buffer.from('partial'), () => {});
    splitter.stop();
    expect(splitter.takeRest().toString()).toBe('partial');
  });
});

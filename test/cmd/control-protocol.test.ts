/**
 * The control socket's pure parts: the bounded line splitter and the JSON-lines message decoders. Properties:
 * arbitrary bytes never throw, valid messages round-trip, and the splitter gives the same lines however the
 * stream is chunked and never holds more than the bound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeClientMessage,
  decodeServerMessage,
  encodeCancel,
  encodeClientMessage,
  encodeError,
  encodeEvent,
  encodeRequest,
  encodeResult,
  encodeServerMessage,
  parseJsonLine,
  requestIdOf,
  type ClientMessage,
  type ServerMessage,
} from '../../cmd/control-protocol.js';
import { LineSplitter } from '../../cmd/line-splitter.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
/** The line an encoder produced, without its newline, decoded again. */
const decodeClient = (line: string) => {
  const parsed = parseJsonLine(bytes(line.replace(/\n$/, '')));
  return parsed.ok ? decodeClientMessage(parsed.value) : parsed;
};
const decodeServer = (line: string) => {
  const parsed = parseJsonLine(bytes(line.replace(/\n$/, '')));
  return parsed.ok ? decodeServerMessage(parsed.value) : parsed;
};

const idArb = fc.oneof(
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }).filter((n) => !Object.is(n, -0)),
  fc.string({ minLength: 1, maxLength: 128 }),
);
const cmdArb = fc.stringMatching(/^[A-Za-z][A-Za-z0-9._-]{0,63}$/);
/** JSON values exactly as they come back from JSON.parse (no -0). */
const jsonArb = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const argsArb = fc.dictionary(fc.string({ maxLength: 8 }), jsonArb, { maxKeys: 4 }).map((v) => JSON.parse(JSON.stringify(v)) as Record<string, unknown>);

const clientMessageArb: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.record({ kind: fc.constant('request' as const), id: idArb, cmd: cmdArb, args: argsArb }),
  fc.record({ kind: fc.constant('cancel' as const), id: idArb }),
);
const serverMessageArb: fc.Arbitrary<ServerMessage> = fc.oneof(
  fc.record({ kind: fc.constant('result' as const), id: fc.option(idArb, { nil: null }), result: jsonArb }),
  fc.record({
    kind: fc.constant('error' as const),
    id: fc.option(idArb, { nil: null }),
    error: fc.record({ code: fc.string({ maxLength: 20 }), message: fc.string({ maxLength: 60 }) }),
  }),
  fc.record({ kind: fc.constant('event' as const), id: idArb, event: jsonArb }),
);

describe('control messages', () => {
  it('decode what the encoders write', () => {
    expect(decodeClient(encodeRequest(1, 'status', { verbose: true }))).toEqual({
      ok: true,
      value: { kind: 'request', id: 1, cmd: 'status', args: { verbose: true } },
    });
    expect(decodeClient('{"id":"a","cmd":"peers"}')).toEqual({ ok: true, value: { kind: 'request', id: 'a', cmd: 'peers', args: {} } });
    expect(decodeClient(encodeCancel(7))).toEqual({ ok: true, value: { kind: 'cancel', id: 7 } });
    expect(decodeServer(encodeResult(1, undefined))).toEqual({ ok: true, value: { kind: 'result', id: 1, result: null } });
    expect(decodeServer(encodeEvent(2, { sent: 5 }))).toEqual({ ok: true, value: { kind: 'event', id: 2, event: { sent: 5 } } });
    expect(decodeServer(encodeError(null, 'BUSY', 'too many'))).toEqual({
      ok: true,
      value: { kind: 'error', id: null, error: { code: 'BUSY', message: 'too many' } },
    });
  });

  it('reject malformed requests with a reason, keeping the id when there is one', () => {
    const cases: Array<[string, RegExp]> = [
      ['not json', /not JSON/],
      ['[1,2]', /JSON object/],
      ['{"cmd":"status"}', /"id"/],
      ['{"id":1.5,"cmd":"status"}', /"id"/],
      ['{"id":9007199254740993,"cmd":"status"}', /"id"/],
      ['{"id":"","cmd":"status"}', /"id"/],
      ['{"id":1}', /"cmd"/],
      ['{"id":1,"cmd":"bad name"}', /"cmd"/],
      [`{"id":1,"cmd":"${'a'.repeat(65)}"}`, /"cmd"/],
      ['{"id":1,"cmd":"status","args":[1]}', /"args"/],
      ['{"cancel":{}}', /"cancel"/],
    ];
    for (const [line, reason] of cases) {
      const result = decodeClient(line);
      expect(result.ok, line).toBe(false);
      if (!result.ok) expect(result.error.message).toMatch(reason);
    }
    expect(parseJsonLine(Buffer.from([0x7b, 0xff, 0x7d]))).toEqual({ ok: false, error: { code: 'BAD_FIELD', message: 'the line is not UTF-8 text' } });
    expect(requestIdOf(JSON.parse('{"id":4,"cmd":"no such!"}'))).toBe(4);
    expect(requestIdOf(JSON.parse('{"id":[4]}'))).toBeNull();
    expect(requestIdOf('x')).toBeNull();
  });

  it('reject malformed replies', () => {
    for (const line of ['{"id":1}', '{"id":1,"ok":false}', '{"id":1,"ok":false,"error":{"code":1,"message":"m"}}', '{"id":null,"event":1}', '{"id":[],"ok":true}', '3']) {
      expect(decodeServer(line).ok, line).toBe(false);
    }
  });

  it('never throw on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (raw) => {
        const parsed = parseJsonLine(raw);
        if (parsed.ok) {
          decodeClientMessage(parsed.value);
          decodeServerMessage(parsed.value);
          requestIdOf(parsed.value);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throw on arbitrary JSON values, and accept only well-formed ones (property)', () => {
    fc.assert(
      fc.property(fc.oneof(jsonArb, fc.record({ id: jsonArb, cmd: jsonArb, args: jsonArb }, { requiredKeys: [] })), (value) => {
        const client = decodeClientMessage(value);
        if (client.ok && client.value.kind === 'request') {
          expect(typeof client.value.cmd).toBe('string');
          expect(typeof client.value.args).toBe('object');
        }
        decodeServerMessage(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trip every valid client and server message (property)', () => {
    fc.assert(
      fc.property(clientMessageArb, (message) => {
        expect(decodeClient(encodeClientMessage(message))).toEqual({ ok: true, value: message });
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(serverMessageArb, (message) => {
        expect(decodeServer(encodeServerMessage(message))).toEqual({ ok: true, value: message });
      }),
      { numRuns: 500 },
    );
  });
});

describe('LineSplitter', () => {
  const collect = (splitter: LineSplitter, chunks: readonly Uint8Array[]): { lines: string[]; fits: boolean } => {
    const lines: string[] = [];
    let fits = true;
    for (const chunk of chunks) fits = splitter.push(chunk, (line) => lines.push(line.toString('latin1'))) && fits;
    return { lines, fits };
  };

  it('splits on \\n, drops a \\r before it, and joins lines across chunks', () => {
    const s = new LineSplitter(100);
    expect(collect(s, [bytes('ab'), bytes('c\r\nd'), bytes('e\n\nf')])).toEqual({ lines: ['abc', 'de', ''], fits: true });
    expect(s.bufferedBytes).toBe(1);
  });

  it('accepts a line of exactly the bound and fails on one byte more, for good', () => {
    const s = new LineSplitter(4);
    expect(collect(s, [bytes('abcd\n')])).toEqual({ lines: ['abcd'], fits: true });
    expect(collect(s, [bytes('ab'), bytes('c'), bytes('de'), bytes('\n')])).toEqual({ lines: [], fits: false });
    expect(s.overflowed).toBe(true);
    expect(collect(s, [bytes('ok\n')])).toEqual({ lines: [], fits: false });
    expect(s.bufferedBytes).toBe(0);
  });

  it('gives the same lines however the stream is chunked, and never buffers past the bound (property)', () => {
    const MAX = 16;
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 }), fc.array(fc.nat({ max: 50 }), { maxLength: 12 }), (parts, cuts) => {
        const whole = Buffer.concat(parts);
        // Reference: split the whole stream at once.
        const expected: string[] = [];
        let overflow = false;
        let start = 0;
        for (let i = whole.indexOf(0x0a); i >= 0 && !overflow; i = whole.indexOf(0x0a, start)) {
          let line = whole.subarray(start, i);
          if (line.at(-1) === 0x0d) line = line.subarray(0, -1);
          if (line.length > MAX) overflow = true;
          else expected.push(line.toString('latin1'));
          start = i + 1;
        }
        if (!overflow && whole.length - start > MAX + 1) overflow = true;
        // The same bytes in arbitrary chunks.
        const chunks: Buffer[] = [];
        let at = 0;
        for (const cut of cuts) {
          chunks.push(whole.subarray(at, Math.min(whole.length, at + cut)));
          at = Math.min(whole.length, at + cut);
        }
        chunks.push(whole.subarray(at));
        const s = new LineSplitter(MAX);
        const lines: string[] = [];
        let fits = true;
        for (const chunk of chunks) {
          fits = s.push(chunk, (line) => lines.push(line.toString('latin1'))) && fits;
          expect(s.bufferedBytes).toBeLessThanOrEqual(MAX + 1);
        }
        expect(lines).toEqual(expected);
        expect(fits).toBe(!overflow);
      }),
      { numRuns: 1000 },
    );
  });
});

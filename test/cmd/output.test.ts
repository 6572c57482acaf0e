/**
 * cmd/output.ts and its parts: --json event lines, human tables (alignment, missing values, control characters
 * from the network neutralised), sizes/rates/durations, and the progress line (redrawn on a terminal, periodic
 * plain lines otherwise) driven by a fake clock.
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatMs, formatRate } from '../../cmd/byte-units.js';
import { Output, jsonEventLine } from '../../cmd/output.js';
import { ProgressLine, TransferMeter, formatProgress } from '../../cmd/progress-line.js';
import { formatTable, printable } from '../../cmd/table.js';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

interface Peer {
  nodeId: string;
  address?: string;
  rttMs?: number;
  relayed: boolean;
}

const PEERS: Peer[] = [
  { nodeId: 'bafyaaa', address: '203.0.113.5:4242', rttMs: 12.5, relayed: false },
  { nodeId: 'bafybbbbbbbb', address: '[2001:db8::1]:4242', rttMs: 180, relayed: true },
  { nodeId: 'bafyc', relayed: true },
];
const COLUMNS = [
  { header: 'NODE ID', value: (p: Peer) => p.nodeId },
  { header: 'ADDRESS', value: (p: Peer) => p.address },
  { header: 'PATH', value: (p: Peer) => (p.relayed ? 'relayed' : 'direct') },
  { header: 'RTT ms', value: (p: Peer) => p.rttMs },
];

describe('json event lines', () => {
  it('put the event first, write bytes as base64 and big integers as text, one line each', () => {
    expect(jsonEventLine('message', { from: 'bafy', data: new Uint8Array([104, 105]), size: 10n, event: 'ignored' })).toBe(
      '{"event":"message","from":"bafy","data":"aGk=","size":"10"}\n',
    );
    expect(jsonEventLine('started')).toBe('{"event":"started"}\n');
    expect(jsonEventLine('x', { text: 'a\nb' }).split('\n')).toHaveLength(2);
  });
});

describe('Output', () => {
  it('prints human text or JSON lines depending on --json', () => {
    const human = sink();
    const h = new Output({ json: false, stdout: human.stream });
    h.event('started', { nodeId: 'bafy' }, 'node bafy is up');
    h.event('edge-up', { nodeId: 'x' });
    h.event('message', { from: 'x' }, () => 'from x: hi\n');
    expect(human.text()).toBe('node bafy is up\nfrom x: hi\n');
    const json = sink();
    const j = new Output({ json: true, stdout: json.stream });
    j.event('started', { nodeId: 'bafy' }, 'node bafy is up');
    j.table('peers', PEERS, COLUMNS);
    const lines = json.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ event: 'started', nodeId: 'bafy' });
    expect(lines[1]).toEqual({ event: 'peers', peers: PEERS });
  });

  it('prints tables with aligned columns, numbers to the right and - for missing values', () => {
    expect(formatTable(PEERS, COLUMNS)).toBe(
      [
        'NODE ID       ADDRESS             PATH     RTT ms',
        'bafyaaa       203.0.113.5:4242    direct     12.5',
        'bafybbbbbbbb  [2001:db8::1]:4242  relayed     180',
        'bafyc         -                   relayed       -',
        '',
      ].join('\n'),
    );
    expect(formatTable([], COLUMNS)).toBe('NODE ID  ADDRESS  PATH  RTT ms\n');
  });

  it('neutralises control characters in cells (a peer must not drive the terminal)', () => {
    const rows = [{ name: 'evil\x1b[2J\x07\r\nname\u009b' }];
    const text = formatTable(rows, [{ header: 'NAME', value: (r: { name: string }) => r.name }]);
    expect(text).toBe('NAME\nevil?[2J???name?\n');
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0x3ff }), { maxLength: 40 }).map((codes) => String.fromCharCode(...codes)), (s) => {
        // eslint-disable-next-line no-control-regex
        expect(/[\u0000-\u001f\u007f-\u009f]/.test(printable(s))).toBe(false);
      }),
    );
  });

  it('gives the progress line to stderr', () => {
    const err = sink();
    let now = 0;
    const progress = new Output({ json: true, stderr: err.stream, stderrIsTty: true }).progress({ label: 'send', totalBytes: 100, now: () => now });
    now = 500;
    progress.update(50);
    expect(err.text()).toMatch(/^\rsend: 50 B of 100 B \(50%\)/);
  });
});

describe('units', () => {
  it('formats bytes, rates and durations', () => {
    expect([0, 1023, 1024, 1536, 5_000_000, 10 * 1024 ** 3, 2 ** 60].map(formatBytes)).toEqual([
      '0 B',
      '1023 B',
      '1.00 KiB',
      '1.50 KiB',
      '4.77 MiB',
      '10.0 GiB',
      '1024 PiB',
    ]);
    expect(formatBytes(-1)).toBe('? B');
    expect(formatRate(3 * 1024 * 1024)).toBe('3.00 MiB/s');
    expect([0.4, 59.6, 75, 4000, 200_000, Infinity, NaN].map(formatDuration)).toEqual([
      '0 s',
      '1 min 0 s',
      '1 min 15 s',
      '1 h 6 min',
      '2 d 7 h',
      'unknown',
      'unknown',
    ]);
  });
});

describe('round trip times', () => {
  it('shows whole milliseconds as measured and smoothed values with one decimal', () => {
    expect([0, 8, 11.375, 0.5, -1, NaN].map(formatMs)).toEqual(['0 ms', '8 ms', '11.4 ms', '0.5 ms', 'unknown', 'unknown']);
  });
});

describe('progress', () => {
  it('measures the rate over the last few seconds and the time left', () => {
    const meter = new TransferMeter(0, 10_000_000);
    expect(meter.sample(1_000_000, 1000)).toEqual({ doneBytes: 1_000_000, totalBytes: 10_000_000, ratePerSec: 1_000_000, etaSec: 9, elapsedMs: 1000 });
    meter.sample(2_000_000, 2000);
    meter.sample(3_000_000, 3000);
    // A stall: after more than the window, the early bytes no longer hold the rate up.
    meter.sample(3_000_000, 6000);
    const stalled = meter.sample(3_000_000, 7000);
    expect(stalled.ratePerSec).toBe(0);
    expect(stalled.etaSec).toBe(Infinity);
    const done = new TransferMeter(0, 10).sample(10, 5);
    expect(done.etaSec).toBe(0);
    expect(new TransferMeter(0).sample(2048, 1000)).toMatchObject({ totalBytes: undefined, ratePerSec: 2048, etaSec: Infinity });
  });

  it('formats a progress line with and without a known size', () => {
    expect(formatProgress('send', { doneBytes: 1_258_291, totalBytes: 5_000_000, ratePerSec: 3_250_586, etaSec: 1.2, elapsedMs: 400 })).toBe(
      'send: 1.20 MiB of 4.77 MiB (25%), 3.10 MiB/s, 1 s left',
    );
    expect(formatProgress('receive', { doneBytes: 2048, totalBytes: undefined, ratePerSec: 1024, etaSec: Infinity, elapsedMs: 2000 })).toBe(
      'receive: 2.00 KiB, 1.00 KiB/s',
    );
  });

  it('redraws in place on a terminal at most every 200 ms and ends with a summary line', () => {
    const err = sink();
    let now = 0;
    const line = new ProgressLine({ label: 'send', totalBytes: 4096, stream: err.stream, isTty: true, now: () => now });
    for (const [t, done] of [[100, 512], [250, 1024], [300, 1536], [500, 2048]] as const) {
      now = t;
      line.update(done);
    }
    now = 1000;
    line.update(4096);
    line.finish();
    line.finish();
    const parts = err.text().split('\r').filter(Boolean);
    expect(parts).toHaveLength(4);
    expect(parts[0]).toMatch(/^send: 1.00 KiB of 4.00 KiB \(25%\), .* left\x1b\[K$/);
    expect(parts[3]).toBe('send: 4.00 KiB in 1.00 s (4.00 KiB/s)\x1b[K\n');
  });

  it('prints a plain line every 5 s when stderr is not a terminal', () => {
    const err = sink();
    let now = 0;
    const line = new ProgressLine({ label: 'receive', stream: err.stream, isTty: false, now: () => now });
    for (let t = 1000; t <= 12_000; t += 1000) {
      now = t;
      line.update(t * 10);
    }
    line.finish();
    expect(err.text()).toBe(
      ['receive: 48.8 KiB, 9.77 KiB/s', 'receive: 97.7 KiB, 9.77 KiB/s', 'receive: 117 KiB in 12 s (9.77 KiB/s)', ''].join('\n'),
    );
    expect(err.text()).not.toContain('\r');
  });
});

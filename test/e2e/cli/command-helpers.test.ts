/**
 * The pure parts of the node-facing commands: control request argument checks (untrusted JSON from any
 * local client), the NAT view, the metrics snapshot, stats lines and message text detection.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors.js';
import { formatNodeId } from '../../../src/identity/index.js';
import { bytesArg, integerArg, nodeIdArg, parseAppChannel } from '../../../cmd/commands/control-args.js';
import { metricsSnapshot } from '../../../cmd/commands/metrics-snapshot.js';
import { natViewOf } from '../../../cmd/commands/nat-view.js';
import { contactAddresses } from '../../../cmd/commands/node-service.js';
import { utf8Text } from '../../../cmd/commands/run.js';
import { statLines } from '../../../cmd/commands/stats.js';
import { metricFamilies } from '../../../cmd/metric-families.js';
import type { NodeStats } from '../../../src/node/index.js';

/** Runs `f`; anything thrown must be an InvalidArgumentError (one sentence for the client). */
function onlyInvalidArgument(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
  }
}

describe('control request arguments', () => {
  it('round-trips any bytes through base64 and refuses everything else with one InvalidArgumentError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(bytesArg({ data: Buffer.from(bytes).toString('base64') }, 'data')).toEqual(bytes);
      }),
    );
    fc.assert(fc.property(fc.anything(), (value) => onlyInvalidArgument(() => bytesArg({ data: value }, 'data'))));
    fc.assert(fc.property(fc.anything(), (value) => onlyInvalidArgument(() => nodeIdArg({ to: value }, 'to'))));
    fc.assert(fc.property(fc.anything(), (value) => onlyInvalidArgument(() => integerArg({ stream: value }, 'stream'))));
    expect(() => bytesArg({ data: 'not base64!' }, 'data')).toThrow('"data" must be base64 text');
    expect(() => bytesArg({ data: 'QUJD' + 'x' }, 'data')).toThrow(InvalidArgumentError);
  });

  it('takes a NodeID in text form and gives its 32 bytes', () => {
    const id = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    expect(nodeIdArg({ to: formatNodeId(id) }, 'to')).toEqual(id);
    expect(() => nodeIdArg({ to: 42 }, 'to')).toThrow('"to" must be a node ID in text form');
  });

  it('accepts application channels 16-254 only', () => {
    expect(parseAppChannel('16', '--channel')).toBe(16);
    expect(parseAppChannel(254, '--channel')).toBe(254);
    for (const bad of ['15', '255', '0', '-1', 'x', '1e2', '']) {
      expect(() => parseAppChannel(bad, '--channel')).toThrow(/is not an application channel: use a number from 16 to 254/);
    }
  });
});

describe('NAT view', () => {
  it('shows a node.nat() answer and survives anything else', () => {
    expect(natViewOf({ type: 'cone', reflexive: { host: '203.0.113.5', port: 4242 } })).toEqual({ type: 'cone', reflexive: '203.0.113.5:4242' });
    expect(natViewOf({ type: 'public', reflexive: { host: '2001:db8::1', port: 9 } })).toEqual({ type: 'public', reflexive: '[2001:db8::1]:9' });
    expect(natViewOf(undefined)).toEqual({ type: 'unknown', reflexive: null });
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const view = natViewOf(value);
        expect(typeof view.type).toBe('string');
      }),
    );
  });
});

describe('metrics snapshot', () => {
  it('flattens node stats into counters, gauges and labelled maps', () => {
    const stats = {
      running: true,
      phase: 'steady',
      edges: { total: 2, inbound: 1, outbound: 1, siblings: 2 },
      sessions: 2,
      knownContacts: 5,
      counters: { delivered: 3, originated: 4 },
      drops: { malformed: 1, stale: 0 },
      endpoint: { rxPackets: 10, txPackets: 11, drops: { replay: 2 } },
    } as unknown as NodeStats;
    const snap = metricsSnapshot(stats, { connections: 1, connectionsAccepted: 3, connectionsRefused: 0, requests: 7, badLines: 0, oversizedLines: 0, slowClientsDropped: 0 });
    expect(snap).toMatchObject({ running: true, delivered: 3, rxPackets: 10, sessionDrops: { replay: 2 }, drops: { malformed: 1 }, controlRequests: 7 });
    const names = metricFamilies(snap, { gauges: ['edges', 'running'], labelNames: { drops: 'reason', sessionDrops: 'reason' } }).map((f) => f.name);
    expect(names).toContain('wiremesh_edges');
    expect(names).toContain('wiremesh_delivered_total');
    expect(names).toContain('wiremesh_session_drops_total');
    expect(names).not.toContain('wiremesh_phase_total');
  });
});

describe('small helpers', () => {
  it('aligns nested stats as name/value lines', () => {
    expect(statLines({ running: true, counters: { delivered: 3, acksSent: 12 } })).toEqual([
      'running             true',
      'counters.delivered  3',
      'counters.acksSent   12',
    ]);
  });

  it('detects UTF-8 text, and only that', () => {
    expect(utf8Text(Buffer.from('grüße 👋'))).toBe('grüße 👋');
    expect(utf8Text(Uint8Array.of(0xff, 0xfe))).toBeUndefined();
    expect(utf8Text(Uint8Array.of(0xc3))).toBeUndefined();
  });

  it('reads the addresses of a contact string', () => {
    expect(contactAddresses('bkeys@127.0.0.1:4242,[::1]:4242')).toEqual(['127.0.0.1:4242', '[::1]:4242']);
    expect(contactAddresses('bkeys')).toEqual([]);
  });
});

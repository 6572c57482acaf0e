import { describe, expect, it } from 'vitest';
import { MAX_PUNCH_CANDIDATES, PUNCH_PACKET, PUNCH_PACKET_BYTES, punchCandidates } from '../../src/nat/index.js';
import { PACKET_PUNCH } from '../../src/wire/index.js';

describe('punchCandidates', () => {
  it('keeps reportable, distinct candidates in order, never our own, at most the cap', () => {
    const got = punchCandidates(
      [
        { host: '203.0.113.1', port: 4000 },
        { host: '127.0.0.1', port: 4000 },
        { host: '::ffff:203.0.113.1', port: 4000 },
        { host: '192.168.1.2', port: 4000 },
        { host: '198.51.100.9', port: 5000 },
        { host: 'example.org', port: 4000 },
        { host: '10.0.0.1', port: 0 },
        { host: '10.0.0.2', port: 1 },
        { host: '10.0.0.3', port: 2 },
        { host: '10.0.0.4', port: 3 },
      ],
      [{ host: '198.51.100.9', port: 5000 }],
    );
    expect(got).toEqual([
      { host: '203.0.113.1', port: 4000 },
      { host: '192.168.1.2', port: 4000 },
      { host: '10.0.0.2', port: 1 },
      { host: '10.0.0.3', port: 2 },
    ]);
    expect(got.length).toBe(MAX_PUNCH_CANDIDATES);
    expect(punchCandidates([])).toEqual([]);
  });

  it('the probe is the tag every receiver drops, and nothing else', () => {
    expect(PUNCH_PACKET.length).toBe(PUNCH_PACKET_BYTES);
    expect([...PUNCH_PACKET]).toEqual([PACKET_PUNCH, 0, 0, 0]);
  });
});

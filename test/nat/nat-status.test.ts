import { describe, expect, it } from 'vitest';
import { UNKNOWN_NAT_STATUS, classifyNat, sameNatStatus } from '../../src/nat/index.js';

describe('classifyNat', () => {
  const confirmed = { confirmed: { host: '203.0.113.9', port: 4000 }, symmetric: false, symmetricAddress: null, reporters: 3 };

  it('says public when the confirmed address is one of ours', () => {
    expect(classifyNat(confirmed, [{ host: '10.0.0.1', port: 4000 }, { host: '203.0.113.9', port: 4000 }])).toEqual({ type: 'public', reflexive: { host: '203.0.113.9', port: 4000 } });
    expect(classifyNat(confirmed, [{ host: '::ffff:203.0.113.9', port: 4000 }]).type).toBe('public');
  });

  it('says cone when neighbours agree on an address that is not ours (port or host differs)', () => {
    expect(classifyNat(confirmed, [{ host: '203.0.113.9', port: 4001 }])).toEqual({ type: 'cone', reflexive: { host: '203.0.113.9', port: 4000 } });
    expect(classifyNat(confirmed, [{ host: '192.168.1.2', port: 4000 }]).type).toBe('cone');
    expect(classifyNat(confirmed, []).type).toBe('cone');
  });

  it('says symmetric or unknown without a confirmed address', () => {
    expect(classifyNat({ confirmed: null, symmetric: true, symmetricAddress: null, reporters: 3 }, [])).toEqual({ type: 'symmetric', reflexive: null });
    expect(classifyNat({ confirmed: null, symmetric: false, symmetricAddress: null, reporters: 2 }, [])).toBe(UNKNOWN_NAT_STATUS);
  });

  it('compares statuses by type and address', () => {
    const cone = { type: 'cone', reflexive: { host: '203.0.113.9', port: 4000 } } as const;
    expect(sameNatStatus(cone, { type: 'cone', reflexive: { host: '203.0.113.9', port: 4000 } })).toBe(true);
    expect(sameNatStatus(cone, { type: 'cone', reflexive: { host: '203.0.113.9', port: 4001 } })).toBe(false);
    expect(sameNatStatus(cone, { type: 'public', reflexive: { host: '203.0.113.9', port: 4000 } })).toBe(false);
    expect(sameNatStatus(cone, UNKNOWN_NAT_STATUS)).toBe(false);
    expect(sameNatStatus(UNKNOWN_NAT_STATUS, { type: 'unknown', reflexive: null })).toBe(true);
  });
});

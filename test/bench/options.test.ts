/**
 * The `npm run bench` command line: subsets, aliases, provider choice, profiling, and clear errors.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ROUNDS } from '../../bench/constants.js';
import { MICRO_BENCH_NAMES, UsageError, parseBenchArgs } from '../../bench/options.js';
import { NETWORK_GROUPS } from '../../bench/session.js';

describe('parseBenchArgs', () => {
  it('runs everything in text mode by default', () => {
    const o = parseBenchArgs([]);
    expect(o.json).toBe(false);
    expect(o.quick).toBe(false);
    expect(o.rounds).toBe(DEFAULT_ROUNDS);
    expect([...o.network].sort()).toEqual([...NETWORK_GROUPS].sort());
    expect(o.micro).toEqual([...MICRO_BENCH_NAMES]);
    expect(o.crypto).toBe('auto');
    expect(o.profile).toBe(false);
    expect(o.profileDir).toBeNull();
  });

  it('selects a subset with --only, expanding aliases', () => {
    const o = parseBenchArgs(['--only', 'raw, reliable,kad', '--json', '--quick']);
    expect([...o.network].sort()).toEqual(['raw', 'reliable']);
    expect(o.micro).toEqual(['kad']);
    expect(o.json).toBe(true);
    expect(o.quick).toBe(true);
    expect(o.rounds).toBe(1);
    expect([...parseBenchArgs(['--only', 'session']).network].sort()).toEqual(NETWORK_GROUPS.filter((g) => g !== 'raw').sort());
    expect(parseBenchArgs(['--only', 'session']).micro).toEqual([]);
    expect(parseBenchArgs(['--only', 'micro']).network.size).toBe(0);
    expect(parseBenchArgs(['--only', 'micro']).micro).toEqual([...MICRO_BENCH_NAMES]);
  });

  it('takes the number of throughput rounds, also in quick mode', () => {
    expect(parseBenchArgs(['--rounds', '3']).rounds).toBe(3);
    expect(parseBenchArgs(['--quick', '--rounds', '2']).rounds).toBe(2);
    expect(() => parseBenchArgs(['--rounds', '0'])).toThrow(/--rounds '0' is not valid: use a whole number from 1 to 10/);
    expect(() => parseBenchArgs(['--rounds', '1.5'])).toThrow(/--rounds '1.5' is not valid/);
  });

  it('takes the crypto provider and a profile directory (which implies --profile)', () => {
    expect(parseBenchArgs(['--crypto', 'pure']).crypto).toBe('pure');
    const o = parseBenchArgs(['--profile-dir', 'profiles/x']);
    expect(o.profile).toBe(true);
    expect(o.profileDir).toMatch(/[\\/]profiles[\\/]x$/);
    expect(parseBenchArgs(['--profile']).profileDir).toBeNull();
  });

  it('rejects unknown names, options and providers with the fix', () => {
    expect(() => parseBenchArgs(['--only', 'rawr'])).toThrow(/unknown benchmark 'rawr'; choose from raw, unreliable/);
    expect(() => parseBenchArgs(['--only', ','])).toThrow(/at least one/);
    expect(() => parseBenchArgs(['--crypto', 'openssl'])).toThrow(/--crypto 'openssl' is not one of auto, native, pure/);
    expect(() => parseBenchArgs(['--fast'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['extra'])).toThrow(/unexpected argument 'extra'/);
  });

  it('treats --help as a usage request with an empty message', () => {
    expect(() => parseBenchArgs(['--help'])).toThrow(new UsageError(''));
  });
});

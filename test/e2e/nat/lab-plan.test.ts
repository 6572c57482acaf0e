/**
 * The lab's pure parts (no root needed): the address plan, the nftables scripts, and namespace naming.
 * That the scripts load and behave is what lab.test.ts proves in real namespaces.
 */
import { describe, expect, it } from 'vitest';
import { AddressPlan, checkLanPrefix } from './address-plan.js';
import { PUBLIC_SUBNET_MAX } from './constants.js';
import { checkHostName, labPrefix, namespaceName, parseLabNamespace, parseNamespaceList } from './namespace-names.js';
import { lossScript, natRuleset, rebindingScript } from './nat-ruleset.js';

describe('AddressPlan', () => {
  it('gives each public attachment its own /24 unless asked to share one', () => {
    const plan = new AddressPlan();
    const a = plan.newPublicSubnet();
    const b = plan.newPublicSubnet();
    expect(a).toEqual({ subnet: 1, address: '10.201.1.2', gateway: '10.201.1.1', prefixLength: 24 });
    expect(b).toEqual({ subnet: 2, address: '10.201.2.2', gateway: '10.201.2.1', prefixLength: 24 });
    expect(plan.joinPublicSubnet(1)).toEqual({ subnet: 1, address: '10.201.1.3', gateway: '10.201.1.1', prefixLength: 24 });
    expect(plan.newPublicSubnet().address).toBe('10.201.3.2');
    expect(() => plan.joinPublicSubnet(9)).toThrow(/does not exist/);
  });

  it('runs out of public /24s and of hosts in a /24 with an error, not a wrong address', () => {
    const plan = new AddressPlan();
    for (let i = 0; i < PUBLIC_SUBNET_MAX; i++) plan.newPublicSubnet();
    expect(() => plan.newPublicSubnet()).toThrow(/no public \/24 left/);
    for (let host = 3; host <= 254; host++) expect(plan.joinPublicSubnet(7).address).toBe(`10.201.7.${host}`);
    expect(() => plan.joinPublicSubnet(7)).toThrow(/full/);
  });

  it('numbers LANs 172.31.<n> by default, accepts chosen private /24s, and counts hosts per NAT', () => {
    const plan = new AddressPlan();
    const first = plan.newLan();
    const home = plan.newLan('192.168.1');
    const sameHome = plan.newLan('192.168.1');
    expect(first).toEqual({ prefix: '172.31.1', gateway: '172.31.1.1', prefixLength: 24 });
    expect(plan.newLan().prefix).toBe('172.31.4');
    expect(plan.nextLanHost(first)).toBe('172.31.1.10');
    expect(plan.nextLanHost(first)).toBe('172.31.1.11');
    // Two NATs with the same LAN (colliding home networks) each start at .10.
    expect(plan.nextLanHost(home)).toBe('192.168.1.10');
    expect(plan.nextLanHost(sameHome)).toBe('192.168.1.10');
    for (let host = 11; host <= 254; host++) plan.nextLanHost(home);
    expect(() => plan.nextLanHost(home)).toThrow(/full/);
  });

  it('refuses LANs outside private space or inside the public stand-in range', () => {
    for (const ok of ['10.0.0', '172.16.5', '172.31.255', '192.168.0']) expect(() => checkLanPrefix(ok)).not.toThrow();
    for (const bad of ['8.8.8', '172.32.0', '192.169.1', '11.0.0']) expect(() => checkLanPrefix(bad)).toThrow(/not private/);
    expect(() => checkLanPrefix('10.201.9')).toThrow(/public range/);
    for (const bad of ['10.0', '10.0.0.0', '10.0.256', '10.00.1', 'a.b.c', '']) expect(() => checkLanPrefix(bad)).toThrow(/invalid/);
  });
});

describe('nftables scripts', () => {
  it('cone keeps ports (plain masquerade); symmetric randomises them; both drop unsolicited WAN traffic', () => {
    const cone = natRuleset('cone');
    const symmetric = natRuleset('symmetric');
    expect(cone).toMatch(/oifname "wan0" masquerade\n/);
    expect(cone).not.toContain('random');
    expect(symmetric).toMatch(/oifname "wan0" masquerade fully-random\n/);
    for (const rules of [cone, symmetric]) {
      expect(rules).toContain('iifname "wan0" ct state established,related accept');
      expect(rules.match(/iifname "wan0" drop/g)).toHaveLength(2);
    }
  });

  it('rebinding: one transaction replaces the masquerade with a port range; bad ranges are refused', () => {
    expect(rebindingScript(40000, 40999)).toBe(
      'flush chain ip wmnat postrouting\nadd rule ip wmnat postrouting oifname "wan0" meta l4proto udp masquerade to :40000-40999\nadd rule ip wmnat postrouting oifname "wan0" masquerade\n',
    );
    for (const [min, max] of [[80, 1000], [40000, 39999], [1024, 70000], [1.5, 2000]]) expect(() => rebindingScript(min, max)).toThrow(/invalid/);
  });

  it('loss: 0 % removes the rules, N % draws 0-99 below N, 100 % drops everything', () => {
    expect(lossScript(0)).not.toContain('drop');
    expect(lossScript(0)).toContain('flush chain ip wmloss prerouting');
    expect(lossScript(37)).toContain('add rule ip wmloss prerouting numgen random mod 100 < 37 drop');
    expect(lossScript(37)).toContain('add rule ip wmloss output numgen random mod 100 < 37 drop');
    expect(lossScript(100)).toContain('add rule ip wmloss prerouting drop');
    expect(lossScript(100)).not.toContain('numgen');
    for (const bad of [-1, 101, 2.5, Number.NaN]) expect(() => lossScript(bad)).toThrow(/integer from 0 to 100/);
  });
});

describe('namespace names', () => {
  it('carry the pid and counter and parse back; other names are never ours', () => {
    const ns = namespaceName(labPrefix(4711, 3), 'natA');
    expect(ns).toBe('wmlab4711n3-natA');
    expect(parseLabNamespace(ns)).toEqual({ prefix: 'wmlab4711n3', pid: 4711, name: 'natA' });
    for (const other of ['wmlab-x', 'wmlab4711n3', 'wmlab4711-a', 'mylab1n1-a', 'wmlab0n1-a', 'xwmlab1n1-a']) {
      expect(parseLabNamespace(other)).toBeNull();
    }
  });

  it('check host names', () => {
    for (const ok of ['pub1', 'natA', 'a', 'abcdefghijkl']) expect(() => checkHostName(ok)).not.toThrow();
    for (const bad of ['', '1pub', 'pub-1', 'abcdefghijklm', 'a b']) expect(() => checkHostName(bad)).toThrow(/invalid/);
    expect(() => checkHostName('inet')).toThrow(/reserved/);
  });

  it('parse `ip netns list` output with and without ids', () => {
    expect(parseNamespaceList('wmlab1n1-a1 (id: 4)\nwmlab1n1-inet\n\nother (id: 0)\n')).toEqual(['wmlab1n1-a1', 'wmlab1n1-inet', 'other']);
    expect(parseNamespaceList('')).toEqual([]);
  });
});

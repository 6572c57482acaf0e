/**
 * The nftables scripts the lab loads into its namespaces (pure text builders, so their content is unit
 * tested without root). Facts they rely on (DESIGN.md, Toolchain facts):
 * - plain `masquerade` keeps the private source port whenever it is free, so one private socket gets one
 *   public port for every destination: endpoint-independent mapping, a "cone" NAT;
 * - `masquerade fully-random` draws a new port for every new conntrack entry, i.e. per destination:
 *   address-and-port-dependent mapping, a "symmetric" NAT;
 * - conntrack lets a packet in only when it is the reply direction of an existing entry (same remote ip
 *   AND port), which is address-and-port-dependent ("port-restricted") filtering for both kinds.
 */
import { LOSS_TABLE, NAT_TABLE, NAT_WAN } from './constants.js';

export type NatType = 'cone' | 'symmetric';

/** The router's NAT and filtering rules. Unsolicited packets from the WAN are dropped silently, as most home routers do. */
export function natRuleset(type: NatType): string {
  const masquerade = type === 'symmetric' ? 'masquerade fully-random' : 'masquerade';
  return [
    `table ip ${NAT_TABLE} {`,
    `  chain postrouting {`,
    `    type nat hook postrouting priority srcnat; policy accept;`,
    `    oifname "${NAT_WAN}" ${masquerade}`,
    `  }`,
    `  chain forward {`,
    `    type filter hook forward priority filter; policy accept;`,
    `    iifname "${NAT_WAN}" ct state established,related accept`,
    `    iifname "${NAT_WAN}" drop`,
    `  }`,
    `  chain input {`,
    `    type filter hook input priority filter; policy accept;`,
    `    iifname "${NAT_WAN}" ct state established,related accept`,
    `    iifname "${NAT_WAN}" meta l4proto icmp accept`,
    `    iifname "${NAT_WAN}" drop`,
    `  }`,
    `}`,
    '',
  ].join('\n');
}

/**
 * Makes a NAT stop keeping ports: new mappings take a port from `min`-`max` instead (existing conntrack
 * entries keep theirs). Once a mapping expires, the same private socket comes back out at another public
 * port, as NATs that do not preserve ports (many CGNATs) do: the path its peers hold is dead. One nft
 * transaction.
 */
export function rebindingScript(min: number, max: number): string {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1024 || max > 65535 || min > max) {
    throw new Error(`port range ${min}-${max} is invalid: give 1024 <= min <= max <= 65535`);
  }
  return [
    `flush chain ip ${NAT_TABLE} postrouting`,
    // A port range needs a transport protocol match: UDP (the overlay) gets the range, the rest stays as it was.
    `add rule ip ${NAT_TABLE} postrouting oifname "${NAT_WAN}" meta l4proto udp masquerade to :${min}-${max}`,
    `add rule ip ${NAT_TABLE} postrouting oifname "${NAT_WAN}" masquerade`,
    '',
  ].join('\n');
}

/** Throws unless `percent` is an integer from 0 to 100. */
export function checkLossPercent(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new Error(`loss ${percent} % is invalid: give an integer from 0 to 100`);
  }
}

/**
 * Replaces a namespace's random loss with `percent` % (0 removes it). Drops happen at prerouting (every
 * packet arriving, which includes each forwarded packet once) and at output (every packet the namespace
 * itself sends), before conntrack sees them, so a lost packet neither creates nor refreshes a NAT mapping.
 * One nft transaction, so there is never a moment with half the rules.
 */
export function lossScript(percent: number): string {
  checkLossPercent(percent);
  const lines = [
    `add table ip ${LOSS_TABLE}`,
    `add chain ip ${LOSS_TABLE} prerouting { type filter hook prerouting priority raw; policy accept; }`,
    `add chain ip ${LOSS_TABLE} output { type filter hook output priority raw; policy accept; }`,
    `flush chain ip ${LOSS_TABLE} prerouting`,
    `flush chain ip ${LOSS_TABLE} output`,
  ];
  if (percent > 0) {
    // `numgen random mod 100` yields 0-99, so `< 100` is rejected as out of range: 100 % is a plain drop.
    const match = percent === 100 ? '' : `numgen random mod 100 < ${percent} `;
    lines.push(`add rule ip ${LOSS_TABLE} prerouting ${match}drop`);
    lines.push(`add rule ip ${LOSS_TABLE} output ${match}drop`);
  }
  return lines.join('\n') + '\n';
}

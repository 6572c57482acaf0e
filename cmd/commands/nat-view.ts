/**
 * The node's NAT classification as the CLI shows it (issue 7 item 2: "once known, the NAT type and
 * reflexive address"): node.nat() and the node's 'nat' event (issue 6), with the address as `host:port`.
 */
import type { Node } from '../../src/node/index.js';
import { formatHostPort } from '../host-port.js';

export interface NatView {
  type: string;
  /** `host:port` neighbours agree they see this node at, or null. */
  reflexive: string | null;
}

interface NatReport {
  type: string;
  reflexive: { host: string; port: number } | null;
}

/** Reads `value` (a node.nat() answer or a 'nat' event payload) into the CLI's form. */
export function natViewOf(value: unknown): NatView {
  const report = value as Partial<NatReport> | null | undefined;
  const type = typeof report?.type === 'string' ? report.type : 'unknown';
  const r = report?.reflexive;
  const reflexive = r !== null && r !== undefined && typeof r.host === 'string' && typeof r.port === 'number' ? formatHostPort(r) : null;
  return { type, reflexive };
}

export function natStatusOf(node: Node): NatView {
  return natViewOf(node.nat());
}

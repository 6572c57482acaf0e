/**
 * A UDP endpoint in binary form, used where a message reports where its sender sees the peer (Identify,
 * Pong). Same layout as an address inside identity's contact record:
 *
 *   family(1) = 4 | 6,  ip(4 | 16),  port(u16, 1..65535)
 *
 * An optional address is family 0 with nothing after it. Text conversion (IP formatting) belongs to the
 * layers above; the wire only moves bytes.
 */
import { InvalidArgumentError } from '../../errors.js';
import { ADDRESS_FAMILY_IPV4, ADDRESS_FAMILY_IPV6, ADDRESS_FAMILY_NONE } from './constants.js';
import type { ByteReader } from './byte-reader.js';
import { copyBytes } from '../bytes.js';

export interface WireAddress {
  readonly family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  readonly ip: Uint8Array;
  readonly port: number;
}

/** Bytes `writeAddress` uses for `address` (1 for none). */
export function addressSize(address: WireAddress | null): number {
  if (address === null) return 1;
  return 1 + (address.family === ADDRESS_FAMILY_IPV4 ? 4 : 16) + 2;
}

function checkAddress(a: WireAddress): void {
  const length = a.family === ADDRESS_FAMILY_IPV4 ? 4 : a.family === ADDRESS_FAMILY_IPV6 ? 16 : -1;
  if (length < 0) throw new InvalidArgumentError(`address family must be 4 or 6, got ${String(a.family)}`);
  if (!(a.ip instanceof Uint8Array) || a.ip.length !== length) {
    throw new InvalidArgumentError(`an IPv${a.family} address is ${length} bytes, got ${a.ip?.length}`);
  }
  if (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535) {
    throw new InvalidArgumentError(`port ${String(a.port)} is out of range: use 1-65535`);
  }
}

/** Writes `address` (or the none marker) at `offset`; returns the offset after it. */
export function writeAddress(out: Uint8Array, offset: number, address: WireAddress | null): number {
  if (address === null) {
    out[offset] = ADDRESS_FAMILY_NONE;
    return offset + 1;
  }
  checkAddress(address);
  out[offset] = address.family;
  out.set(address.ip, offset + 1);
  const end = offset + 1 + address.ip.length;
  out[end] = address.port >>> 8;
  out[end + 1] = address.port & 0xff;
  return end + 2;
}

/** Reads an optional address; the ip is a copy (addresses outlive packet buffers). */
export function readAddress(r: ByteReader, what: string): WireAddress | null {
  const family = r.u8(`${what} family`);
  if (r.error !== null || family === ADDRESS_FAMILY_NONE) return null;
  if (family !== ADDRESS_FAMILY_IPV4 && family !== ADDRESS_FAMILY_IPV6) {
    r.fail('BAD_FIELD', `${what} has unknown address family ${family}`);
    return null;
  }
  const ip = r.view(family === ADDRESS_FAMILY_IPV4 ? 4 : 16, `${what} ip`);
  const port = r.u16(`${what} port`);
  if (r.error !== null) return null;
  if (port === 0) {
    r.fail('BAD_FIELD', `${what} has port 0`);
    return null;
  }
  return { family, ip: copyBytes(ip), port };
}

/**
 * An independent, generic Protocol Buffers wire-format parser used only by the tests: it knows nothing of
 * Wiresocket frames, so agreeing with it shows a frame (after its raw channel byte) really is proto wire format.
 * Varints are accumulated as BigInt so it shares no arithmetic with the codec under test.
 */
export type ProtoField =
  | { field: number; wireType: 0; value: bigint }
  | { field: number; wireType: 1; value: bigint }
  | { field: number; wireType: 2; bytes: Uint8Array }
  | { field: number; wireType: 5; value: bigint };

const UINT64_LIMIT = 1n << 64n;

function readProtoVarint(buf: Uint8Array, pos: number): { value: bigint; next: number } | null {
  let value = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= buf.length) return null;
    const byte = buf[pos + i];
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) return value < UINT64_LIMIT ? { value, next: pos + i + 1 } : null;
  }
  return null;
}

function readFixed(buf: Uint8Array, pos: number, size: number): bigint {
  let value = 0n;
  for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(buf[pos + i]);
  return value;
}

/** All fields of `buf` in order, or null when it is not valid proto wire format (groups are not supported). */
export function parseProto(buf: Uint8Array): ProtoField[] | null {
  const fields: ProtoField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const key = readProtoVarint(buf, pos);
    if (key === null) return null;
    pos = key.next;
    const field = Number(key.value >> 3n);
    const wireType = Number(key.value & 7n);
    if (field === 0 || key.value >> 3n > 0x1fff_ffffn) return null;
    if (wireType === 0) {
      const v = readProtoVarint(buf, pos);
      if (v === null) return null;
      fields.push({ field, wireType: 0, value: v.value });
      pos = v.next;
    } else if (wireType === 1) {
      if (pos + 8 > buf.length) return null;
      fields.push({ field, wireType: 1, value: readFixed(buf, pos, 8) });
      pos += 8;
    } else if (wireType === 2) {
      const len = readProtoVarint(buf, pos);
      if (len === null || BigInt(buf.length - len.next) < len.value) return null;
      const end = len.next + Number(len.value);
      fields.push({ field, wireType: 2, bytes: buf.subarray(len.next, end) });
      pos = end;
    } else if (wireType === 5) {
      if (pos + 4 > buf.length) return null;
      fields.push({ field, wireType: 5, value: readFixed(buf, pos, 4) });
      pos += 4;
    } else {
      return null;
    }
  }
  return fields;
}

/** Serialises a varint for building test inputs (independent of the codec's encoder). */
export function protoVarint(value: bigint | number): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

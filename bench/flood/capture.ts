/**
 * Capturing valid packets for the floods to replay and mutate: a datagram transport that keeps copies of the
 * first packets of each type it sends, and passes everything through unchanged.
 */
import type { DatagramTransport } from '../../src/session/index.js';
import { PACKET_HANDSHAKE_INIT, copyBytes } from '../../src/wire/index.js';

/** A transport that keeps a copy of the first `perType` packets of each type in `types` that it sends. */
export class CapturingTransport implements DatagramTransport {
  readonly captured: Uint8Array[] = [];
  private readonly counts = new Map<number, number>();
  constructor(
    private readonly inner: DatagramTransport,
    private readonly perType: number,
    private readonly types: ReadonlySet<number> = new Set([PACKET_HANDSHAKE_INIT]),
  ) {}
  send(buf: Uint8Array, length: number, host: string, port: number, done: (err: Error | null) => void): void {
    if (length > 0 && this.types.has(buf[0]!)) {
      const n = this.counts.get(buf[0]!) ?? 0;
      if (n < this.perType) {
        this.counts.set(buf[0]!, n + 1);
        this.captured.push(copyBytes(buf.subarray(0, length)));
      }
    }
    this.inner.send(buf, length, host, port, done);
  }
  onDatagram(handler: (buf: Uint8Array, host: string, port: number) => void): void {
    this.inner.onDatagram(handler);
  }
  address() {
    return this.inner.address();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * How every benchmark sender paces itself, so that all network figures use one method and their ratios are
 * fair: a burst of BURST_PACKETS datagrams' worth (constants.ts), then one event-loop turn with setImmediate,
 * which also lets the session layer flush its coalesced packet and lets received ACKs in. A sender that
 * never yields measures only how fast the kernel drops.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Counters of one Endpoint. Every datagram that is not used is counted here by reason, never thrown:
 * this is how operators (and tests) see malformed, replayed, forged or oversized traffic.
 */
export const DROP_REASONS = [
  'empty',
  'unknown_type',
  'punch',
  'malformed',
  'unknown_index',
  'mac1',
  'mac2_required',
  'cookie_rate_limited',
  'handshake_rate_limited',
  'handshake_decrypt',
  'handshake_skew',
  'handshake_replay',
  'handshake_low_order',
  'handshake_refused',
  'handshake_unexpected',
  'cookie_reply_invalid',
  'too_many_sessions',
  'replay',
  'decrypt',
  'frame_malformed',
  'fragment_malformed',
  'fragment_dropped',
  'channel_full',
  'channel_closed',
  'unconfirmed_buffer_full',
  'send_failed',
  'internal_error',
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

export interface EndpointStats {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  handshakesInitiated: number;
  handshakesCompleted: number;
  handshakesAccepted: number;
  rekeys: number;
  cookieRepliesSent: number;
  cookieRepliesReceived: number;
  /** Times the responder went under load (spec 6: cookie mode engaged). */
  underLoadEpisodes: number;
  keepalivesSent: number;
  keepalivesReceived: number;
  sessionsOpened: number;
  sessionsClosed: number;
  sessionsActive: number;
  eventsSent: number;
  eventsReceived: number;
  framesReassembled: number;
  drops: Record<DropReason, number>;
}

export function createStats(): EndpointStats {
  const drops = {} as Record<DropReason, number>;
  for (const r of DROP_REASONS) drops[r] = 0;
  return {
    rxPackets: 0,
    rxBytes: 0,
    txPackets: 0,
    txBytes: 0,
    handshakesInitiated: 0,
    handshakesCompleted: 0,
    handshakesAccepted: 0,
    rekeys: 0,
    cookieRepliesSent: 0,
    cookieRepliesReceived: 0,
    underLoadEpisodes: 0,
    keepalivesSent: 0,
    keepalivesReceived: 0,
    sessionsOpened: 0,
    sessionsClosed: 0,
    sessionsActive: 0,
    eventsSent: 0,
    eventsReceived: 0,
    framesReassembled: 0,
    drops,
  };
}

/** Sum of all drop counters. */
export function totalDrops(stats: EndpointStats): number {
  let n = 0;
  for (const r of DROP_REASONS) n += stats.drops[r];
  return n;
}

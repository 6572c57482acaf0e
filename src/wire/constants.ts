/**
 * Wiresocket wire constants (spec 3, 4, 9, 10, 12) and the wire layer's tunables.
 * Sizes are in bytes.
 */

// spec 3: the first byte of every datagram is a type tag.
/** wiremesh NAT punch probe; every receiver drops it (editor's note 9). */
export const PACKET_PUNCH = 0;
export const PACKET_HANDSHAKE_INIT = 1;
export const PACKET_HANDSHAKE_RESP = 2;
export const PACKET_COOKIE_REPLY = 3;
export const PACKET_DATA = 4;
export const PACKET_DISCONNECT = 5;
export const PACKET_KEEPALIVE = 6;
export const PACKET_DATA_FRAGMENT = 7;

// spec 12: numeric limits.
export const SIZE_HANDSHAKE_INIT = 148;
export const SIZE_HANDSHAKE_RESP = 92;
export const SIZE_COOKIE_REPLY = 64;
export const SIZE_DATA_HEADER = 16;
export const SIZE_FRAGMENT_HEADER = 8;
export const SIZE_AEAD_TAG = 16;
export const SIZE_KEEPALIVE = 32;
export const SIZE_DISCONNECT = 32;
/** spec 9: IPv6 minimum path MTU (1280) - IPv6 header (40) - UDP header (8). */
export const DEFAULT_MAX_PACKET_SIZE = 1232;
/** spec 9: 1232 - data header (16) - fragment header (8) - AEAD tag (16). */
export const DEFAULT_MAX_FRAG_PAYLOAD = 1192;
/** spec 4.7: frag_count is a uint16 in 1..65535. */
export const MAX_FRAGMENTS_PER_FRAME = 65535;
/** spec 10.1: channel ids are one raw byte. */
export const MAX_CHANNELS = 256;
/** spec 10.1: event type 255 on any channel means the peer closed that channel. */
export const CHANNEL_CLOSE_EVENT_TYPE = 255;

// spec 4.1 / 4.2: MAC offsets; everything before a MAC is that MAC's message body (spec 2.4, 2.5).
export const HANDSHAKE_INIT_MAC1_OFFSET = 116;
export const HANDSHAKE_INIT_MAC2_OFFSET = 132;
export const HANDSHAKE_RESP_MAC1_OFFSET = 60;
export const HANDSHAKE_RESP_MAC2_OFFSET = 76;

// Field sizes inside the handshake packets (spec 4.1-4.3).
export const SIZE_RESERVED = 3;
export const SIZE_INDEX = 4;
export const SIZE_COUNTER = 8;
export const SIZE_EPHEMERAL = 32;
/** spec 4.1: 32-byte static key + 16-byte tag. */
export const SIZE_ENCRYPTED_STATIC = 48;
/** spec 4.1: 12-byte TAI64N + 16-byte tag. */
export const SIZE_ENCRYPTED_TIMESTAMP = 28;
/** spec 4.2: empty plaintext + 16-byte tag. */
export const SIZE_ENCRYPTED_NIL = 16;
export const SIZE_MAC = 16;
/** spec 4.3: XChaCha20 nonce. */
export const SIZE_COOKIE_NONCE = 24;
/** spec 4.3: 16-byte cookie + 16-byte tag. */
export const SIZE_ENCRYPTED_COOKIE = 32;

// Offsets shared by every packet (spec 4).
export const OFFSET_TYPE = 0;
export const OFFSET_RESERVED = 1;
/** sender_index of handshakes, receiver_index of cookie replies and transport packets. */
export const OFFSET_FIRST_INDEX = 4;
/** spec 4.2: receiver_index of a HandshakeResp. */
export const OFFSET_RESP_RECEIVER_INDEX = 8;
/** spec 4.4-4.7: counter of transport packets. */
export const OFFSET_COUNTER = 8;

/** spec 4.4: a Data packet is the header plus at least an AEAD tag. */
export const MIN_SIZE_DATA = SIZE_DATA_HEADER + SIZE_AEAD_TAG;
/** spec 4.7: a DataFragment carries at least the encrypted fragment sub-header and its tag. */
export const MIN_SIZE_DATA_FRAGMENT = SIZE_DATA_HEADER + SIZE_FRAGMENT_HEADER + SIZE_AEAD_TAG;

/**
 * The 64-bit counter (spec 7.2) is kept in a JS number. Counters above this are rejected with BAD_FIELD:
 * a conforming sender rekeys after 2^60 messages at the latest (spec 7.3), long before 2^53.
 */
export const MAX_SAFE_COUNTER = Number.MAX_SAFE_INTEGER;

export const MAX_UINT32 = 0xffff_ffff;
export const MAX_UINT16 = 0xffff;
export const MAX_UINT64 = 0xffff_ffff_ffff_ffffn;

/** A protobuf varint of a 64-bit value takes at most 10 bytes. */
export const MAX_VARINT_SIZE = 10;
/** A uint32 varint takes at most 5 bytes. */
export const MAX_VARINT32_SIZE = 5;

// spec 10: frame field tags, (field number << 3) | wire type.
/** Field 1, wire type 2 (LEN): one event record. */
export const FRAME_TAG_EVENT = 0x0a;
/** Field 2, wire type 0 (varint): Seq. */
export const FRAME_TAG_SEQ = 0x10;
/** Field 3, wire type 0 (varint): AckSeq. */
export const FRAME_TAG_ACK_SEQ = 0x18;
/** Field 4, wire type 1 (I64 little-endian): AckBitmap. */
export const FRAME_TAG_ACK_BITMAP = 0x21;
/** Field 5, wire type 0 (varint): WindowSize. */
export const FRAME_TAG_WINDOW_SIZE = 0x28;
/** spec 10: AckBitmap is a fixed 8-byte field. */
export const SIZE_ACK_BITMAP = 8;

/**
 * Largest encoding of the four reliability fields (spec 10): tag + 5-byte uint32 varint for Seq, AckSeq and
 * WindowSize, tag + 8 bytes for AckBitmap. FrameWriter keeps this much room so `finish` always fits.
 */
export const FRAME_TRAILER_MAX_SIZE =
  1 + MAX_VARINT32_SIZE + (1 + MAX_VARINT32_SIZE) + (1 + SIZE_ACK_BITMAP) + (1 + MAX_VARINT32_SIZE);

/**
 * Tunable decoder cap (DESIGN: decoder caps): a reassembled frame can be ~78 MB (spec 9), which could hold
 * ~26 million 3-byte events; decoding stops with TOO_MANY beyond this many events instead of building them all.
 */
export const MAX_EVENTS_PER_FRAME = 65_536;

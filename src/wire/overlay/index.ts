/**
 * Overlay message codecs (DESIGN "Edges", "Overlay"): what travels inside Wiresocket events on the
 * control channel (0) and the routed channel (1). Pure byte code; decoders never throw, refuse trailing
 * bytes, enforce caps before allocating, and return views of their input.
 */
export * from './constants.js';
export { ByteReader } from './byte-reader.js';
export { addressSize, readAddress, writeAddress, type WireAddress } from './address.js';
export { decodeIdentify, encodeIdentify, signedPartOf, type Identify, type IdentifyFields } from './identify.js';
export {
  decodeEmpty,
  decodeLookupRequest,
  decodePing,
  decodePong,
  encodeLookupRequest,
  encodePing,
  encodePong,
  type LookupRequest,
  type Ping,
  type Pong,
} from './control.js';
export { decodeNeighbors, encodeNeighbors, type Neighbors } from './neighbors.js';
export {
  ENVELOPE_TTL_OFFSET,
  decodeEnvelope,
  encodeEnvelope,
  encodeSignedPart,
  envelopeSize,
  setEnvelopeTtl,
  writeEnvelope,
  type EnvelopeSignedFields,
  type RoutedEnvelope,
} from './envelope.js';
export {
  decodeAckPayload,
  decodeLookupPayload,
  decodeRendezvous,
  decodeRoutedPing,
  decodeRoutedPong,
  encodeRendezvous,
  encodeRoutedPing,
  encodeRoutedPong,
  type Rendezvous,
  type RoutedPong,
} from './routed-payloads.js';

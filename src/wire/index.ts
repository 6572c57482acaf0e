export * from './constants.js';
export * from './result.js';
export * from './varint.js';
export * from './packets.js';
export * from './frame.js';
export { copyBytes } from './bytes.js';
export * from './overlay/index.js';

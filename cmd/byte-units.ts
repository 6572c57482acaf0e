/**
 * Sizes, rates and durations as people read them in progress lines and tables: binary units (KiB, MiB),
 * three significant digits, durations in the two largest useful units.
 */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** `1536` -> `1.50 KiB`, `5_000_000` -> `4.77 MiB`, `12` -> `12 B`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '? B';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** Bytes per second, e.g. `3.20 MiB/s`. */
export function formatRate(bytesPerSec: number): string {
  return `${formatBytes(bytesPerSec)}/s`;
}

/** `75` -> `1 min 15 s`, `4000` -> `1 h 6 min`; `unknown` for Infinity or NaN. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/**
 * A round trip time in ms: whole numbers as they are, others with one decimal. The node's clock counts
 * whole milliseconds, so "8.00 ms" would claim a precision nobody measured; smoothed values have fractions.
 */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'unknown';
  return Number.isInteger(ms) ? `${ms} ms` : `${ms.toFixed(1)} ms`;
}
